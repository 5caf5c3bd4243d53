/* training_api.c - assembles the refined training answer: breakdown, choice, suggestions. */
#include "api/training_api.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/notes.h"
#include "azure/pricing.h"
#include "base/jsonout.h"
#include "model/params.h"

#define GB 1e9

/* Rounds to 3 decimals for output (the math keeps full precision). */
static double r3(double bytes_or_value)
{
    return round(bytes_or_value * 1000.0) / 1000.0;
}

#define note(list, ...) notes_add(list, __VA_ARGS__)

/*
 * Without an architecture: a dense Llama-like stack (MHA heads of 128, SwiGLU, 32000-token untied
 * vocabulary) whose MLP width makes the active parameters come out right.
 */
static void model_from_seed(const struct estimate_request *seed, struct training_model *m,
                            struct notes *notes)
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

static void key_number(struct jsonout *w, const char *key, double d)
{
    jsonout_key(w, key);
    jsonout_number(w, d);
}

/* A whole number written as an integer, else as a real (see plan.c's key_count). */
static void key_count(struct jsonout *w, const char *key, double d)
{
    jsonout_key(w, key);
    jsonout_whole(w, d);
}

static void key_integer(struct jsonout *w, const char *key, long long v)
{
    jsonout_key(w, key);
    jsonout_integer(w, v);
}

static void key_bool(struct jsonout *w, const char *key, bool v)
{
    jsonout_key(w, key);
    jsonout_bool(w, v);
}

static void key_string(struct jsonout *w, const char *key, const char *v)
{
    jsonout_key(w, key);
    jsonout_string(w, v);
}

/* A price rounded to a tenth of a cent, or null when unknown. */
static void key_price(struct jsonout *w, const char *key, enum price_source src, double usd)
{
    jsonout_key(w, key);
    if (src == PRICE_NONE)
        jsonout_null(w);
    else
        jsonout_number(w, round(usd * 1000) / 1000);
}

static void write_per_gpu(struct jsonout *w, const struct training_result *r)
{
    jsonout_begin_object(w);
    key_number(w, "weights_gb", r3(r->weights / GB));
    key_number(w, "grads_gb", r3(r->grads / GB));
    key_number(w, "optimizer_gb", r3(r->optimizer / GB));
    key_number(w, "activations_gb", r3(r->activations / GB));
    key_number(w, "overhead_gb", r3(r->overhead / GB));
    key_number(w, "total_gb", r3(r->total / GB));
    /* Sharding buffers (none without DeepSpeed ZeRO): the peak is the larger of backward
     * (activations + buffers) and the optimizer step (step buffers). */
    if (r->buffers > 0 || r->step_buffer > 0) {
        key_number(w, "buffers_gb", r3(r->buffers / GB));
        key_number(w, "step_buffers_gb", r3(r->step_buffer / GB));
        key_string(w, "peak_phase",
                   r->step_buffer > r->activations + r->buffers ? "optimizer_step" : "backward");
    }
    jsonout_key(w, "details");
    jsonout_begin_object(w);
    key_number(w, "gathered_weights_gb", r3(r->gather_buffer / GB));
    key_number(w, "dequant_buffer_gb", r3(r->dequant_buffer / GB));
    key_number(w, "loss_logits_gb", r3(r->logits / GB));
    key_number(w, "activations_per_layer_gb", r3(r->activations_layer / GB));
    jsonout_end_object(w);
    jsonout_end_object(w);
}

static void write_config(struct jsonout *w, const struct training_config *c,
                         const struct training_request *t, int dp)
{
    jsonout_begin_object(w);
    key_string(w, "method", training_method_name(c->method));
    key_string(w, "optimizer", training_optimizer_name(c->optimizer));
    key_bool(w, "master_weights", c->master_weights);
    key_string(w, "grad_precision", t->grad_precision);
    key_integer(w, "micro_batch", c->micro_batch);
    key_integer(w, "seq_len", c->seq_len);
    key_string(w, "activation_checkpointing", training_recompute_name(c->recompute));
    key_bool(w, "flash_attention", c->flash_attention);
    key_bool(w, "chunked_loss", c->chunked_loss);
    key_integer(w, "data_parallel", dp);
    key_integer(w, "zero_stage", training_zero_stage(c));
    key_bool(w, "fsdp", c->fsdp);
    key_integer(w, "tensor_parallel", c->tensor_parallel);
    key_bool(w, "offload_optimizer", c->offload_optimizer);
    key_bool(w, "offload_params", c->offload_params);
    if (c->method != TRAINING_FULL) {
        key_integer(w, "lora_rank", c->lora_rank);
        jsonout_key(w, "lora_targets");
        /* A handful of names from the decoder's table (training_request.c owns it). */
        json_t *targets = training_targets_json(c->lora_targets);
        if (targets)
            jsonout_value(w, targets);
        else
            jsonout_fail(w, -ENOMEM);
        json_decref(targets);
    }
    jsonout_end_object(w);
}

/* DeepSpeed's overlap_comm: as given, else its default (on at stage 3, off below; config.py). */
static bool deepspeed_overlap(const struct training_config *c, int stage)
{
    switch (c->overlap_comm) {
    case TRAINING_OVERLAP_ON:
        return true;
    case TRAINING_OVERLAP_OFF:
        return false;
    case TRAINING_OVERLAP_AUTO:
        break;
    }
    return stage >= 3;
}

/* The sharding implementation's own settings, as the estimate used them. */
static void write_sharding_settings(struct jsonout *w, const struct training_config *c, int stage)
{
    switch (c->sharding) {
    case TRAINING_SHARD_DEEPSPEED:
        jsonout_key(w, "deepspeed");
        jsonout_begin_object(w);
        key_count(w, "reduce_bucket_size", c->reduce_bucket_size);
        key_count(w, "allgather_bucket_size", c->allgather_bucket_size);
        key_count(w, "stage3_max_live_parameters", c->max_live_parameters);
        key_count(w, "stage3_prefetch_bucket_size", c->prefetch_bucket_size);
        key_count(w, "sub_group_size", c->sub_group_size);
        key_bool(w, "contiguous_gradients", c->contiguous_gradients);
        key_bool(w, "overlap_comm", deepspeed_overlap(c, stage));
        jsonout_end_object(w);
        break;
    case TRAINING_SHARD_FSDP:
        jsonout_key(w, "fsdp");
        jsonout_begin_object(w);
        key_string(w, "unit", "transformer block");
        key_bool(w, "limit_all_gathers", c->limit_all_gathers);
        jsonout_end_object(w);
        break;
    case TRAINING_SHARD_MEGATRON:
        break;
    }
}

/* What the estimate assumed about the layout: every parallel dimension, the micro-batches the
 * shown pipeline stage holds, and who shards the states with which buffers. */
static void write_parallelism(struct jsonout *w, const struct training_config *c,
                              const struct training_result *r, int dp)
{
    const int stage = training_zero_stage(c);
    jsonout_begin_object(w);
    key_integer(w, "data_parallel", dp);
    key_integer(w, "tensor_parallel", c->tensor_parallel);
    key_bool(w, "sequence_parallel", c->tensor_parallel > 1 && c->sequence_parallel);
    key_integer(w, "pipeline_parallel", c->pipeline_parallel);
    key_string(w, "pp_schedule", training_pp_schedule_name(c->pp_schedule));
    key_integer(w, "pp_virtual_stages", c->pp_virtual_stages);
    key_integer(w, "pp_microbatches",
                c->pp_microbatches > 0 ? c->pp_microbatches : c->pipeline_parallel);
    key_count(w, "microbatches_in_flight", r3(r->inflight_microbatches));
    key_integer(w, "context_parallel", c->context_parallel);
    key_count(w, "tokens_per_gpu", r3(r->tokens_per_gpu));
    key_integer(w, "gpus_per_replica", training_model_parallel(c));
    key_string(w, "sharding", training_sharding_name(c->sharding));
    key_integer(w, "zero_stage", stage);
    /* the states shard over data x context parallel ranks (training.h) */
    key_integer(w, "shard_group", stage >= 1 ? (long long)dp * c->context_parallel : 1);
    key_count(w, "stage_parameter_share", r3(r->stage_fraction));
    key_bool(w, "loss_fp32", c->loss_fp32);
    if (stage >= 1)
        write_sharding_settings(w, c, stage);
    jsonout_end_object(w);
}

/* Total VRAM a candidate occupies (the yardstick for "smaller"). */
static double vram_used(const struct training_candidate *c)
{
    return c ? c->gpus * c->sku->vram_gb : INFINITY;
}

/* The changes suggested when they fit in less VRAM (what each sets is in write_change). */
enum change {
    CHANGE_RECOMPUTE,   /* full activation checkpointing */
    CHANGE_ZERO3,       /* ZeRO stage 3 */
    CHANGE_OFFLOAD,     /* offload the optimizer (with the ZeRO stage it needs) */
    CHANGE_DP_AUTO,     /* more ranks or nodes */
    CHANGE_ALL_SHARDED, /* recompute + ZeRO-3 + automatic ranks */
    CHANGE_COUNT
};

struct suggestion {
    enum change change;
    int zero_stage; /* CHANGE_OFFLOAD: the stage it runs at */
    const struct training_candidate *best;
    struct training_choice ch; /* owns best */
};

struct suggestions {
    struct suggestion list[CHANGE_COUNT];
    size_t n;
};

static void write_change(struct jsonout *w, const struct suggestion *s)
{
    jsonout_begin_object(w);
    switch (s->change) {
    case CHANGE_RECOMPUTE:
        key_string(w, "activation_checkpointing", "full");
        break;
    case CHANGE_ZERO3:
        key_integer(w, "zero_stage", 3);
        break;
    case CHANGE_OFFLOAD:
        key_bool(w, "offload_optimizer", true);
        key_integer(w, "zero_stage", s->zero_stage);
        break;
    case CHANGE_DP_AUTO:
        key_string(w, "data_parallel", "automatic (more ranks or nodes)");
        break;
    case CHANGE_ALL_SHARDED:
        key_string(w, "activation_checkpointing", "full");
        key_integer(w, "zero_stage", 3);
        key_string(w, "data_parallel", "automatic");
        break;
    case CHANGE_COUNT:
        break;
    }
    jsonout_end_object(w);
}

static void write_suggestion(struct jsonout *w, const struct suggestion *s)
{
    const struct training_candidate *best = s->best;
    jsonout_begin_object(w);
    jsonout_key(w, "change");
    write_change(w, s);
    key_string(w, "sku", best->sku->sku);
    key_integer(w, "gpus", best->gpus);
    key_integer(w, "nodes", best->nodes);
    key_integer(w, "data_parallel", best->data_parallel);
    key_number(w, "per_gpu_total_gb", r3(best->res.total / GB));
    jsonout_end_object(w);
}

static void suggestions_free(struct suggestions *l)
{
    for (size_t i = 0; i < l->n; i++)
        training_choice_free(&l->list[i].ch);
    l->n = 0;
}

/* What a suggestion is asked against: the request's choice and the VRAM its answer used. */
struct suggest_base {
    const struct catalog *cat;
    const char *today;
    const struct choice_prefs *f;
    struct choice_memo *memo; /* the answer's: sizes decided once for all its choices */
    const struct training_model *m;
    double asked_vram;
};

/* One change to the request that fits, kept when it needs less VRAM than the answer as asked. */
static int suggest(struct suggestions *l, const struct suggest_base *b,
                   const struct training_config *c, bool dp_auto, enum change change)
{
    struct suggestion *s = &l->list[l->n];
    memset(s, 0, sizeof(*s));
    if (training_choose(b->cat, b->today, b->f, b->memo, b->m, c, dp_auto, &s->ch) < 0)
        return -ENOMEM;
    s->best = s->ch.n ? &s->ch.list[0] : NULL;
    if (s->best && vram_used(s->best) < b->asked_vram) {
        s->change = change;
        s->zero_stage = training_zero_stage(c);
        l->n++;
    } else {
        training_choice_free(&s->ch);
    }
    return 0;
}

static int suggestions(struct suggestions *l, const struct suggest_base *b,
                       const struct training_config *c, bool dp_auto)
{
    const int stage = training_zero_stage(c);
    /* Megatron's distributed optimizer is stage 1 only: ZeRO-3 would be another framework. */
    const bool zero3_ok = c->sharding != TRAINING_SHARD_MEGATRON;
    int rc = 0;
    if (c->recompute != TRAINING_RECOMPUTE_FULL) {
        struct training_config k = *c;
        k.recompute = TRAINING_RECOMPUTE_FULL;
        rc = suggest(l, b, &k, dp_auto, CHANGE_RECOMPUTE);
    }
    if (rc == 0 && stage < 3 && zero3_ok) {
        struct training_config k = *c;
        k.zero_stage = 3;
        rc = suggest(l, b, &k, dp_auto, CHANGE_ZERO3);
    }
    if (rc == 0 && !c->offload_optimizer && c->method == TRAINING_FULL) {
        struct training_config k = *c;
        k.offload_optimizer = true;
        if (k.zero_stage < 1 && !k.fsdp)
            k.zero_stage = 3;
        rc = suggest(l, b, &k, dp_auto, CHANGE_OFFLOAD);
    }
    if (rc == 0 && !dp_auto && stage >= 1)
        rc = suggest(l, b, c, true, CHANGE_DP_AUTO);
    if (rc == 0 && c->recompute != TRAINING_RECOMPUTE_FULL && (stage < 3 || !dp_auto) && zero3_ok) {
        struct training_config k = *c;
        k.recompute = TRAINING_RECOMPUTE_FULL;
        k.zero_stage = 3; /* with fsdp: FULL_SHARD */
        rc = suggest(l, b, &k, true, CHANGE_ALL_SHARDED);
    }
    return rc;
}

/* The layout rules (training_config_check) against the model: 422 naming the field as given. */
static int check_parallel(const struct training_model *m, const struct training_request *t,
                          struct error_info *err)
{
    const char *field = NULL;
    char rule[200], path[64];
    if (training_config_check(m, &t->cfg, &field, rule, sizeof(rule)) == 0)
        return 0;
    return error_set(err, 422, "invalid_value",
                     training_request_field_path(t, field, path, sizeof(path)), "%s", rule);
}

/* Notes on the fields the request left to their defaults. */
static void request_default_notes(struct notes *a, const struct estimate_request *seed,
                                  const struct training_request *t)
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
}

/* Notes on the model states: the method's base and adapters, optimizer, bytes per parameter. */
static void state_notes(struct notes *a, const struct training_request *t,
                        const struct training_model *m, const struct training_result *r)
{
    const struct training_config *c = &t->cfg;
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
}

/* Notes on the activations: recompute, the formula's settings, pipeline and context parallel. */
static void activation_notes(struct notes *a, const struct training_request *t,
                             const struct training_model *m, const struct training_result *r)
{
    const struct training_config *c = &t->cfg;
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
         c->tensor_parallel <= 1 ? ""
         : c->sequence_parallel
             ? ", divided by tensor_parallel (sequence parallel)"
             : ", divided by tensor_parallel except norm inputs, dropout masks and the first "
               "linear inputs (no sequence parallel)");
    if (c->pipeline_parallel > 1)
        note(a,
             "pipeline: %d stages, %s; the fuller of the first stage (%.3g micro-batches in "
             "flight) and the last (one, plus the loss) is shown",
             c->pipeline_parallel, training_pp_schedule_name(c->pp_schedule),
             r->inflight_microbatches);
    if (c->context_parallel > 1)
        note(a,
             "context parallel %d: %.0f tokens per GPU; model states shard over data_parallel x "
             "context_parallel",
             c->context_parallel, r->tokens_per_gpu);
}

/* Notes on what comes on top of states and activations: sharding buffers, the loss logits, the
 * gathered ZeRO-3/FSDP weights, and how data_parallel was chosen. */
static void sharding_notes(struct notes *a, const struct training_request *t,
                           const struct training_result *r)
{
    const struct training_config *c = &t->cfg;
    if (r->buffers > 0 || r->step_buffer > 0)
        note(a, "DeepSpeed buffers as in parallelism.deepspeed (DeepSpeed's defaults where not "
                "given: reduce_bucket_size 5e8, allgather_bucket_size 5e8, "
                "stage3_max_live_parameters 1e9, stage3_prefetch_bucket_size 5e7, "
                "sub_group_size 1e9; overlap_comm holds 4.5x the buckets); the optimizer step adds "
                "an fp32 copy of the gradient partition (at stage 3 of one sub-group)");
    note(a, "loss logits b x s x vocab: %s",
         c->chunked_loss ? "chunked (Liger-style fused cross-entropy)"
                         : "16-bit + fp32 upcast + fp32 log-softmax");
    if (c->fsdp && training_zero_stage(c) == 2)
        note(a, "FSDP SHARD_GRAD_OP (FSDP2 reshard_after_forward=False): every unit stays "
                "unsharded in the compute precision from its forward to its backward, beside its "
                "shard, plus one block's unsharded gradient");
    else if (training_zero_stage(c) >= 3)
        note(a, "%s",
             c->fsdp ? "FSDP: two decoder blocks gathered (current + prefetch) plus one "
                       "block's unsharded gradient"
                     : "ZeRO-3: the largest module gathered with its gradient "
                       "(DeepSpeed's 4 x largest-layer term)");
    if (t->data_parallel_auto)
        note(a, "data_parallel chosen with the VM: %s",
             (c->fsdp || c->zero_stage >= 1) ? "the fewest ranks whose shards fit"
                                             : "1 (ZeRO stage 0 replicates the model states)");
}

/* Notes on the per-GPU overhead and which GPUs and VMs qualify. */
static void platform_notes(struct notes *a, const struct training_config *c)
{
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

/* The answer's assumptions, in a fixed order: defaults taken, states, activations, sharding,
 * platform. */
static void add_assumptions(struct notes *a, const struct estimate_request *seed,
                            const struct training_request *t, const struct training_model *m,
                            const struct training_result *r)
{
    request_default_notes(a, seed, t);
    state_notes(a, t, m, r);
    activation_notes(a, t, m, r);
    sharding_notes(a, t, r);
    platform_notes(a, &t->cfg);
}

static void explicit_overrides(const struct refine *r, struct training_model *m,
                               struct notes *notes)
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
    const char *field = r->engine != ENGINE_NONE ? "engine"
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

static void write_candidate(struct jsonout *w, const struct training_candidate *c)
{
    jsonout_begin_object(w);
    key_string(w, "sku", c->sku->sku);
    key_integer(w, "gpus", c->gpus);
    key_integer(w, "nodes", c->nodes);
    key_integer(w, "data_parallel", c->data_parallel);
    key_number(w, "per_gpu_total_gb", r3(c->res.total / GB));
    key_number(w, "headroom_gb", r3(c->sku->vram_gb - c->res.total / GB));
    key_integer(w, "gpus_per_vm", c->sku->gpus_per_vm); /* the size's specs: GET /skus */
    /* c->price covers every node; price_per_hour is one VM's, cost_per_hour the job's. */
    key_price(w, "price_per_hour", c->price_source, c->price / c->nodes);
    key_price(w, "cost_per_hour", c->price_source, c->price);
    key_string(w, "price_source", prices_source_name(c->price_source));
    jsonout_end_object(w);
}

/* One training answer: the model, the choice and what was noted while making them. */
struct tanswer {
    const struct estimate_request *seed;
    const struct training_request *treq;
    const struct refine *rf;
    struct choice_prefs prefs; /* the chooser's view of rf */
    struct choice_memo memo;   /* shared by the answer's choice and its suggestions */
    struct training_model m;
    struct training_choice ch;
    const struct training_candidate *best;
    const struct training_result *res; /* the best candidate's, or the layout as asked */
    int gpus, dp;
    struct notes notes;
    struct suggestions alt;
};

/* The model to train: from the architecture when there is one, else from the seed's fields. */
static int training_model(struct tanswer *t, struct error_info *err)
{
    const struct refine *rf = t->rf;
    if (rf->counted) {
        struct params p;
        models_params(rf->preset, &rf->arch, &p);
        training_model_from_arch(&rf->arch, p.total, &t->m);
        if (!arch_kv_per_head(rf->arch.attention))
            note(&t->notes, "MLA attention treated as multi-head attention of the same "
                            "per-head widths for activations and LoRA shapes");
    } else {
        model_from_seed(t->seed, &t->m, &t->notes);
        if (rf->arch_source == ARCH_EXPLICIT)
            explicit_overrides(rf, &t->m, &t->notes);
    }
    return check_parallel(&t->m, t->treq, err);
}

/* Host memory when offloading: what each node needs and what the chosen size has. */
static void write_host(struct jsonout *w, const struct tanswer *t)
{
    jsonout_key(w, "host");
    jsonout_begin_object(w);
    key_number(w, "needed_gb_per_node", r3(t->res->host_per_node / GB));
    if (t->best) {
        key_number(w, "available_gb_per_node", r3(t->best->sku->memory_gib * 1073741824.0 / GB));
        key_number(w, "memory_gib", t->best->sku->memory_gib);
    }
    jsonout_end_object(w);
}

/* Where the chosen size's price came from and the region it is quoted for. */
static void write_price_source(struct jsonout *w, const struct tanswer *t)
{
    enum price_source src = t->best ? t->best->price_source : PRICE_NONE;
    double usd = 0;
    const char *where = NULL;
    if (src != PRICE_NONE)
        prices_lookup_at(t->best->sku, t->rf->region, &usd, &where);
    key_string(w, "price_source", prices_source_name(src));
    jsonout_key(w, "price_region");
    jsonout_string(w, where);
}

/* The answer's sizing members: configuration, per-GPU breakdown and the chosen deployment. */
static void write_sizing(struct jsonout *w, const struct tanswer *t, const char *today)
{
    const struct training_config *cfg = &t->treq->cfg;
    const struct training_candidate *best = t->best;
    key_string(w, "mode", "training");
    jsonout_key(w, "training");
    write_config(w, cfg, t->treq, t->dp);
    key_number(w, "params_b", r3(t->m.params / 1e9));
    key_number(w, "trainable_params_b", round(t->res->trainable_params / 1e3) / 1e6);
    jsonout_key(w, "parallelism");
    write_parallelism(w, cfg, t->res, t->dp);
    jsonout_key(w, "per_gpu");
    write_per_gpu(w, t->res);
    jsonout_key(w, "sku");
    if (best) /* specs only: the price used is the answer's own price_per_hour below */
        catalog_sku_write_specs(w, best->sku, today);
    else
        jsonout_null(w);
    key_integer(w, "gpus", t->gpus);
    key_integer(w, "nodes", best ? best->nodes : 0);
    key_integer(w, "data_parallel", t->dp);
    key_bool(w, "fits", best != NULL);
    key_count(w, "model_states_bytes_per_trainable_param", r3(t->res->states_per_param));
    if (cfg->method != TRAINING_FULL)
        key_number(w, "base_bits_per_weight", r3(t->res->base_bits_per_weight));
    /* Also when nothing fits: the total over the ranks asked for, with no price. */
    key_number(w, "total_gb", r3(t->res->total * t->gpus / GB));
    key_price(w, "price_per_hour", best ? best->price_source : PRICE_NONE,
              best ? best->price / best->nodes : 0);
    key_price(w, "cost_per_hour", best ? best->price_source : PRICE_NONE, best ? best->price : 0);
    write_price_source(w, t);
    if (cfg->offload_optimizer || cfg->offload_params)
        write_host(w, t);
    if (t->rf->preset_name)
        key_string(w, "model", t->rf->preset_name);
}

static void write_answer(struct jsonout *w, const struct tanswer *t, const char *today)
{
    write_sizing(w, t, today);
    jsonout_key(w, "candidates");
    jsonout_begin_array(w);
    for (size_t i = 0; i < t->ch.n && i < 10; i++)
        write_candidate(w, &t->ch.list[i]);
    jsonout_end_array(w);
    if (t->best == NULL) {
        const struct training_config *cfg = &t->treq->cfg;
        char reason[320];
        snprintf(reason, sizeof(reason), "no %s size holds %.1f GB per GPU%s with %d rank(s)%s",
                 t->rf->any ? "allowed" : "available", t->res->total / GB,
                 t->ch.host_short ? " together with the offloaded states in host RAM" : "", t->gpus,
                 t->treq->data_parallel_auto && (cfg->fsdp || cfg->zero_stage >= 1)
                     ? " (or any ZeRO-sharded count up to 64 nodes)"
                     : "");
        key_string(w, "reason", reason);
    }
    if (t->alt.n > 0) {
        jsonout_key(w, "suggestions");
        jsonout_begin_array(w);
        for (size_t i = 0; i < t->alt.n; i++)
            write_suggestion(w, &t->alt.list[i]);
        jsonout_end_array(w);
    }
}

/* Chooses the deployment, notes what it assumed, and looks for changes that fit in less. */
static int choose(struct tanswer *t, const struct catalog *cat, const char *today)
{
    const struct training_request *treq = t->treq;
    refine_choice_prefs(t->rf, &t->prefs);
    if (choice_memo_init(&t->memo, cat) < 0 ||
        training_choose(cat, today, &t->prefs, &t->memo, &t->m, &treq->cfg,
                        treq->data_parallel_auto, &t->ch) < 0)
        return -ENOMEM;
    t->best = t->ch.n ? &t->ch.list[0] : NULL;
    t->res = t->best ? &t->best->res : &t->ch.asked;
    t->gpus =
        t->best ? t->best->gpus : treq->cfg.data_parallel * training_model_parallel(&treq->cfg);
    t->dp = t->best ? t->best->data_parallel : treq->cfg.data_parallel;
    add_assumptions(&t->notes, t->seed, treq, &t->m, t->res);
    if (t->rf->objective == CHOICE_OBJECTIVE_CHEAPEST)
        note(&t->notes, "objective cheapest: %s", PRICES_SNAPSHOT_LABEL);
    if (t->best && t->best->nodes > 1)
        note(&t->notes, "nothing fits one VM: %d nodes of %s over InfiniBand", t->best->nodes,
             t->best->sku->sku);
    /* Changes that fit in less VRAM than the answer as asked (or at all, when it does not). */
    struct suggest_base b = {cat, today, &t->prefs, &t->memo, &t->m, vram_used(t->best)};
    return suggestions(&t->alt, &b, &treq->cfg, treq->data_parallel_auto);
}

int training_api_estimate(const struct catalog *cat, const char *today,
                          const struct estimate_request *seed, const struct training_request *treq,
                          struct jsonout *w, struct error_info *err)
{
    struct tanswer t;
    memset(&t, 0, sizeof(t));
    t.seed = seed;
    t.treq = treq;
    t.rf = &seed->refine;
    notes_init(&t.notes);
    int rc = refuse_serving_fields(t.rf, err);
    if (rc == 0)
        rc = training_model(&t, err);
    if (rc == 0)
        rc = choose(&t, cat, today);
    if (rc == 0) {
        write_answer(w, &t, today);
        jsonout_key(w, "assumptions");
        rc = notes_write(&t.notes, w);
        if (rc == 0)
            rc = jsonout_status(w) == 0 ? 0 : -ENOMEM;
    }
    suggestions_free(&t.alt);
    training_choice_free(&t.ch);
    choice_memo_free(&t.memo);
    notes_free(&t.notes);
    return rc;
}
