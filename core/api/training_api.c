/* training_api.c - assembles the refined training answer: breakdown, choice, suggestions. */
#include "api/training_api.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/params.h"

#define GB 1e9

/* Rounds to 3 decimals for output (the math keeps full precision). */
static double r3(double bytes_or_value)
{
    return round(bytes_or_value * 1000.0) / 1000.0;
}

static int note(json_t *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(json_t *list, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return json_array_append_new(list, json_string(buf));
}

/*
 * Without an architecture: a dense Llama-like stack (MHA heads of 128, SwiGLU, 32000-token untied
 * vocabulary) whose MLP width makes the active parameters come out right.
 */
static void model_from_seed(const struct estimate_request *seed, struct training_model *m,
                            json_t *notes)
{
    memset(m, 0, sizeof(*m));
    const double P = seed->in.params_b * 1e9;
    const int L = (int)seed->in.layers, h = (int)seed->in.hidden;
    const bool moe = seed->in.moe_active_ratio > 0;
    const double f_exp = moe ? (seed->in.has_expert_fraction ? seed->in.moe_expert_fraction
                                                             : ESTIMATE_SEED_EXPERT_FRACTION)
                             : 0;
    const double active = moe ? P * (1 - f_exp) + seed->in.moe_active_ratio * P * f_exp : P;
    m->params = P;
    m->layers = L;
    m->hidden = h;
    m->heads = h >= 128 ? h / 128 : 1;
    m->kv_heads = m->heads;
    m->head_dim = h / m->heads;
    m->vocab = 32000;
    m->embed_params = 32000.0 * h;
    m->lm_head_params = m->embed_params;
    m->gated_mlp = true;
    double per_layer = (active - 2.0 * m->embed_params) / L;
    double f = (per_layer - 4.0 * h * (double)h - 2.0 * h) / (3.0 * h);
    /* Degenerate inputs (a huge params_b over a tiny hidden) must not overflow the int. */
    m->ffn = f >= 1 ? (int)fmin(f, (double)ARCH_MAX_DIM * 64) : 1;
    note(notes,
         "no architecture given (model preset, hf_config or attention_heads...): assumed a "
         "Llama-like stack with %d heads of %d (MHA), SwiGLU MLP of width %d (solved from the "
         "%s parameters), 32000-token untied vocabulary",
         m->heads, m->head_dim, m->ffn, moe ? "active" : "total");
    if (moe)
        note(notes,
             "MoE from moe_active_ratio only: activations follow the active parameters "
             "as a dense stack; model states count all %.3g B parameters",
             seed->in.params_b);
}

static json_t *per_gpu_json(const struct training_result *r)
{
    json_t *o = json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "weights_gb", r3(r->weights / GB),
                          "grads_gb", r3(r->grads / GB), "optimizer_gb", r3(r->optimizer / GB),
                          "activations_gb", r3(r->activations / GB), "overhead_gb",
                          r3(r->overhead / GB), "total_gb", r3(r->total / GB));
    if (o == NULL)
        return NULL;
    json_t *d =
        json_pack("{s:f, s:f, s:f, s:f}", "gathered_weights_gb", r3(r->gather_buffer / GB),
                  "dequant_buffer_gb", r3(r->dequant_buffer / GB), "loss_logits_gb",
                  r3(r->logits / GB), "activations_per_layer_gb", r3(r->activations_layer / GB));
    json_object_set_new(o, "details", d);
    return o;
}

static json_t *config_json(const struct training_config *c, const struct training_request *t,
                           int dp)
{
    json_t *o = json_pack(
        "{s:s, s:s, s:b, s:s, s:i, s:i, s:s, s:b, s:b, s:i, s:i, s:b, s:i, s:b, s:b}", "method",
        training_method_name(c->method), "optimizer", training_optimizer_name(c->optimizer),
        "master_weights", c->master_weights, "grad_precision", t->grad_precision, "micro_batch",
        c->micro_batch, "seq_len", c->seq_len, "activation_checkpointing",
        training_recompute_name(c->recompute), "flash_attention", c->flash_attention,
        "chunked_loss", c->chunked_loss, "data_parallel", dp, "zero_stage",
        c->fsdp ? 3 : c->zero_stage, "fsdp", c->fsdp, "tensor_parallel", c->tensor_parallel,
        "offload_optimizer", c->offload_optimizer, "offload_params", c->offload_params);
    if (o && c->method != TRAINING_FULL) {
        json_object_set_new(o, "lora_rank", json_integer(c->lora_rank));
        json_object_set_new(o, "lora_targets", training_targets_json(c->lora_targets));
    }
    return o;
}

/* Total VRAM a candidate occupies (the yardstick for "smaller"). */
static double vram_used(const struct training_candidate *c)
{
    return c ? c->gpus * c->sku->vram_gb : INFINITY;
}

/* One change to the request that fits, kept when it needs less VRAM than the answer as asked. */
static int suggest(json_t *list, const struct catalog *cat, const char *today,
                   const struct choice_prefs *f, const struct training_model *m,
                   const struct training_config *c, bool dp_auto, double asked_vram, json_t *change)
{
    struct training_choice ch;
    if (training_choose(cat, today, f, m, c, dp_auto, &ch) < 0) {
        json_decref(change);
        return -ENOMEM;
    }
    const struct training_candidate *best = ch.n ? &ch.list[0] : NULL;
    int rc = 0;
    if (best && vram_used(best) < asked_vram) {
        json_t *s =
            json_pack("{s:o, s:s, s:i, s:i, s:i, s:f}", "change", change, "sku", best->sku->sku,
                      "gpus", best->gpus, "nodes", best->nodes, "data_parallel",
                      best->data_parallel, "per_gpu_total_gb", r3(best->res.total / GB));
        change = NULL;
        rc = s ? json_array_append_new(list, s) : -ENOMEM;
    }
    json_decref(change);
    training_choice_free(&ch);
    return rc;
}

static json_t *suggestions(const struct catalog *cat, const char *today,
                           const struct choice_prefs *f, const struct training_model *m,
                           const struct training_config *c, bool dp_auto, double v)
{
    json_t *list = json_array();
    if (list == NULL)
        return NULL;
    const int stage = c->fsdp ? 3 : c->zero_stage;
    if (c->recompute != TRAINING_RECOMPUTE_FULL) {
        struct training_config k = *c;
        k.recompute = TRAINING_RECOMPUTE_FULL;
        suggest(list, cat, today, f, m, &k, dp_auto, v,
                json_pack("{s:s}", "activation_checkpointing", "full"));
    }
    if (stage < 3) {
        struct training_config k = *c;
        k.zero_stage = 3;
        suggest(list, cat, today, f, m, &k, dp_auto, v, json_pack("{s:i}", "zero_stage", 3));
    }
    if (!c->offload_optimizer && c->method == TRAINING_FULL) {
        struct training_config k = *c;
        k.offload_optimizer = true;
        if (k.zero_stage < 1 && !k.fsdp)
            k.zero_stage = 3;
        suggest(list, cat, today, f, m, &k, dp_auto, v,
                json_pack("{s:b, s:i}", "offload_optimizer", 1, "zero_stage",
                          k.fsdp ? 3 : k.zero_stage));
    }
    if (!dp_auto && stage >= 1)
        suggest(list, cat, today, f, m, c, true, v,
                json_pack("{s:s}", "data_parallel", "automatic (more ranks or nodes)"));
    if (c->recompute != TRAINING_RECOMPUTE_FULL && (stage < 3 || !dp_auto)) {
        struct training_config k = *c;
        k.recompute = TRAINING_RECOMPUTE_FULL;
        if (!k.fsdp)
            k.zero_stage = 3;
        suggest(list, cat, today, f, m, &k, true, v,
                json_pack("{s:s, s:i, s:s}", "activation_checkpointing", "full", "zero_stage", 3,
                          "data_parallel", "automatic"));
    }
    return list;
}

static int check_parallel(const struct training_model *m, const struct training_config *c,
                          const char *field, struct error_info *err)
{
    const int tp = c->tensor_parallel;
    if (tp > 1 && (m->heads % tp != 0 || (m->kv_heads % tp != 0 && tp % m->kv_heads != 0)))
        return error_set(err, 422, "invalid_value", field,
                         "tensor_parallel %d must divide the %d attention heads and the %d KV "
                         "heads (or be a multiple of them)",
                         tp, m->heads, m->kv_heads);
    return 0;
}

static void add_assumptions(json_t *a, const struct estimate_request *seed,
                            const struct training_request *t, const struct training_model *m,
                            const struct training_result *r)
{
    const struct training_config *c = &t->cfg;
    if (t->forced)
        note(a, "\"training\": true with an architecture: the refined training model with its "
                "defaults (send a \"training\" object to set method, optimizer, ZeRO...)");
    if (t->micro_batch_from_batch)
        note(a, "micro_batch defaulted to batch (%d)", c->micro_batch);
    if (t->seq_len_from_ctx)
        note(a, "seq_len defaulted to ctx (%d)", c->seq_len);
    if (t->compute_defaulted_bf16)
        note(a, "precision %s is the frozen base's storage; activations and adapters in bf16",
             seed->precision);
    if (c->method == TRAINING_QLORA)
        note(a,
             "QLoRA base: NF4 with double-quantised scales, 4.127 bits per weight in the "
             "blocks' linear layers, embeddings/LM head/norms in 16 bits (%.2f bits per weight "
             "overall), one weight matrix dequantised to bf16 at a time",
             r->base_bits_per_weight);
    if (c->method != TRAINING_FULL) {
        if (t->lora_rank_defaulted)
            note(a, "lora_rank defaulted to 16");
        if (t->lora_targets_defaulted)
            note(a,
                 "lora_targets defaulted to every attention and MLP projection (q, k, v, o, "
                 "gate, up, down%s)",
                 m->moe_layers > 0 ? "; in MoE layers every expert" : "");
        note(a, "optimizer states, gradients and the fp32 master copy only for the adapters; "
                "lora_dropout 0");
    }
    if (t->optimizer_defaulted)
        note(a, "optimizer defaulted to adamw");
    note(a,
         "model states %.4g bytes per trainable parameter before sharding (weights %g, "
         "grads %g%s)",
         r->states_per_param, c->method == TRAINING_FULL ? c->weight_bytes : c->compute_bytes,
         c->grad_bytes, c->master_weights ? ", fp32 master 4" : "");
    if (t->grad_defaulted)
        note(a, "grad_precision defaulted to %s", t->grad_precision);
    if (t->recompute_defaulted)
        note(a, "activation_checkpointing defaulted to none");
    if (c->recompute == TRAINING_RECOMPUTE_SELECTIVE && c->flash_attention)
        note(a, "selective recompute saves nothing more with flash attention: it drops the "
                "attention-score term, which flash attention never stores");
    note(a,
         "activations per Korthikanti et al. 2022 with %s attention, %s MLP%s, no dropout "
         "masks%s",
         c->flash_attention ? "flash" : "eager (s^2 scores stored)",
         m->gated_mlp ? "gated (SwiGLU)" : "plain", m->moe_layers > 0 ? ", MoE top-k routing" : "",
         c->tensor_parallel > 1 ? ", divided by tensor_parallel (sequence parallel)" : "");
    note(a, "loss logits b x s x vocab: %s",
         c->chunked_loss ? "chunked (Liger-style fused cross-entropy)"
                         : "16-bit + fp32 upcast + fp32 log-softmax");
    if ((c->fsdp ? 3 : c->zero_stage) >= 3)
        note(a, "%s",
             c->fsdp ? "FSDP: two decoder blocks gathered (current + prefetch) plus one "
                       "block's unsharded gradient"
                     : "ZeRO-3: the largest module gathered with its gradient "
                       "(DeepSpeed's 4 x largest-layer term)");
    if (t->data_parallel_auto)
        note(a, "data_parallel chosen with the VM: %s",
             (c->fsdp || c->zero_stage >= 1) ? "the fewest ranks whose shards fit"
                                             : "1 (ZeRO stage 0 replicates the model states)");
    note(a, "overhead: CUDA context 0.5 GiB, NCCL 0.5 GiB when ranks > 1, 5%% allocator "
            "fragmentation (replaces the seed's 1.2x)");
    note(a, "%s",
         c->bf16 || c->flash_attention
             ? "only whole GPUs with bf16 tensor cores (A10, A100, H100, H200, GB200, "
               "GB300, RTX PRO 6000, MI300X): bf16 compute and flash attention need them"
             : "only whole GPUs (vGPU slices cannot run collective training)");
    note(a, "a VM fits when the per-GPU total_gb <= its vram_gb and host RAM (memory_gib) holds "
            "offloaded states x 1.5 (DeepSpeed's buffer factor)");
}

static void explicit_overrides(const struct refine *r, struct training_model *m, json_t *notes)
{
    const struct arch *a = &r->arch;
    if (a->heads > 0) {
        m->heads = (int)a->heads;
        m->kv_heads = (int)(a->kv_heads > 0 ? a->kv_heads : a->heads);
        m->head_dim = (int)(a->head_dim > 0 ? a->head_dim : m->hidden / m->heads);
    }
    if (a->vocab > 0) {
        m->vocab = (int)a->vocab;
        m->embed_params = (double)a->vocab * m->hidden;
        m->lm_head_params = m->embed_params;
    }
    note(notes, "explicit attention_heads/kv_heads/head_dim/vocab_size override the assumed shape");
}

/* Serving-only fields have no meaning for a training estimate: refuse rather than ignore. */
static int refuse_serving_fields(const struct refine *r, struct error_info *err)
{
    const char *field = r->engine_vllm           ? "engine"
                        : r->util_given          ? "gpu_memory_utilization"
                        : r->has_kv_precision    ? "kv_precision"
                        : r->solve != SOLVE_NONE ? "solve"
                                                 : NULL;
    if (field == NULL)
        return 0;
    return error_set(err, 400, "conflicting_fields", field,
                     "%s applies to serving estimates; a training estimate (\"training\" object or "
                     "training fields) does not use it",
                     field);
}

static json_t *candidate_json(const struct training_candidate *c, const char *today)
{
    json_t *o =
        json_pack("{s:s, s:i, s:i, s:i, s:f, s:f}", "sku", c->sku->sku, "gpus", c->gpus, "nodes",
                  c->nodes, "data_parallel", c->data_parallel, "per_gpu_total_gb",
                  r3(c->res.total / GB), "headroom_gb", r3(c->sku->vram_gb - c->res.total / GB));
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "vm", catalog_sku_json(c->sku, today));
    /* c->price covers every node; price_per_hour is one VM's, cost_per_hour the job's. */
    json_object_set_new(o, "price_per_hour",
                        c->price_source == PRICE_NONE
                            ? json_null()
                            : json_real(round(c->price / c->nodes * 1000) / 1000));
    json_object_set_new(o, "cost_per_hour",
                        c->price_source == PRICE_NONE ? json_null()
                                                      : json_real(round(c->price * 1000) / 1000));
    if (c->price_source != PRICE_NONE)
        json_object_set_new(o, "price_source", json_string(prices_source_name(c->price_source)));
    return o;
}

int training_api_estimate(const struct catalog *cat, const char *today,
                          const struct estimate_request *seed, const struct training_request *treq,
                          json_t **out, struct error_info *err)
{
    json_t *resp = NULL, *assumptions = json_array();
    const struct refine *rf = &seed->refine;
    struct training_model m;
    struct training_choice ch;
    memset(&ch, 0, sizeof(ch));
    struct choice_prefs prefs;
    refine_choice_prefs(rf, &prefs);
    int rc = 0;
    if (assumptions == NULL)
        return -ENOMEM;
    if ((rc = refuse_serving_fields(rf, err)) < 0)
        goto out;
    if (rf->counted) {
        struct params p;
        params_count(&rf->arch, &p);
        training_model_from_arch(&rf->arch, p.total, &m);
        if (!arch_kv_per_head(rf->arch.attention))
            note(assumptions, "MLA attention treated as multi-head attention of the same "
                              "per-head widths for activations and LoRA shapes");
    } else {
        model_from_seed(seed, &m, assumptions);
        if (rf->arch_source == ARCH_EXPLICIT)
            explicit_overrides(rf, &m, assumptions);
    }
    if ((rc = check_parallel(&m, &treq->cfg, treq->tp_field, err)) < 0)
        goto out;

    rc = training_choose(cat, today, &prefs, &m, &treq->cfg, treq->data_parallel_auto, &ch);
    if (rc < 0)
        goto out;
    const struct training_candidate *best = ch.n ? &ch.list[0] : NULL;
    const struct training_result *res = best ? &best->res : &ch.asked;
    const int gpus = best ? best->gpus : treq->cfg.data_parallel * treq->cfg.tensor_parallel;
    const int dp = best ? best->data_parallel : treq->cfg.data_parallel;
    add_assumptions(assumptions, seed, treq, &m, res);
    if (rf->objective == CHOICE_OBJECTIVE_CHEAPEST)
        note(assumptions, "objective cheapest: %s", PRICES_SNAPSHOT_LABEL);

    resp = json_pack("{s:s, s:o, s:f, s:f, s:o, s:o, s:i, s:i, s:i, s:b}", "mode", "training",
                     "training", config_json(&treq->cfg, treq, dp), "params_b", r3(m.params / 1e9),
                     "trainable_params_b", round(res->trainable_params / 1e3) / 1e6, "per_gpu",
                     per_gpu_json(res), "sku",
                     best ? catalog_sku_json(best->sku, today) : json_null(), "gpus", gpus, "nodes",
                     best ? best->nodes : 0, "data_parallel", dp, "fits", best != NULL);
    if (resp == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    json_object_set_new(resp, "model_states_bytes_per_trainable_param",
                        json_real(r3(res->states_per_param)));
    if (treq->cfg.method != TRAINING_FULL)
        json_object_set_new(resp, "base_bits_per_weight", json_real(r3(res->base_bits_per_weight)));
    if (best) {
        json_object_set_new(resp, "total_gb", json_real(r3(res->total * best->gpus / GB)));
        json_object_set_new(resp, "price_per_hour",
                            best->price_source == PRICE_NONE
                                ? json_null()
                                : json_real(round(best->price / best->nodes * 1000) / 1000));
        json_object_set_new(resp, "cost_per_hour",
                            best->price_source == PRICE_NONE
                                ? json_null()
                                : json_real(round(best->price * 1000) / 1000));
    }
    if (treq->cfg.offload_optimizer || treq->cfg.offload_params) {
        json_t *host = json_pack("{s:f}", "needed_gb_per_node", r3(res->host_per_node / GB));
        if (best && host) {
            json_object_set_new(host, "available_gb_per_node",
                                json_real(r3(best->sku->memory_gib * 1073741824.0 / GB)));
            json_object_set_new(host, "memory_gib", json_real(best->sku->memory_gib));
        }
        json_object_set_new(resp, "host", host);
    }
    if (rf->preset_name)
        json_object_set_new(resp, "model", json_string(rf->preset_name));
    if (best && best->nodes > 1)
        note(assumptions, "nothing fits one VM: %d nodes of %s over InfiniBand", best->nodes,
             best->sku->sku);
    json_t *cands = json_array();
    for (size_t i = 0; cands && i < ch.n && i < 10; i++)
        json_array_append_new(cands, candidate_json(&ch.list[i], today));
    json_object_set_new(resp, "candidates", cands);
    if (best == NULL) {
        char reason[320];
        snprintf(reason, sizeof(reason), "no %s size holds %.1f GB per GPU%s with %d rank(s)%s",
                 rf->any ? "allowed" : "available", res->total / GB,
                 ch.host_short ? " together with the offloaded states in host RAM" : "", gpus,
                 treq->data_parallel_auto && (treq->cfg.fsdp || treq->cfg.zero_stage >= 1)
                     ? " (or any ZeRO-sharded count up to 64 nodes)"
                     : "");
        json_object_set_new(resp, "reason", json_string(reason));
    }
    /* Changes that fit in less VRAM than the answer as asked (or at all, when it does not). */
    json_t *alt =
        suggestions(cat, today, &prefs, &m, &treq->cfg, treq->data_parallel_auto, vram_used(best));
    if (alt && json_array_size(alt) > 0)
        json_object_set_new(resp, "suggestions", alt);
    else
        json_decref(alt);
    json_object_set(resp, "assumptions", assumptions);
    *out = resp;
    resp = NULL;
out:
    training_choice_free(&ch);
    json_decref(resp);
    json_decref(assumptions);
    return rc;
}
