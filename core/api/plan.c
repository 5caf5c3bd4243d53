/* plan.c - assembles the refined estimate: counts, KV, per-GPU fit, ranked VMs and assumptions. */
#include "api/plan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/deploy.h"
#include "api/layout.h"
#include "api/manifests.h"
#include "api/notes.h"
#include "api/offloadout.h"
#include "azure/pricing.h"
#include "base/jsonout.h"
#include "memory/estimate.h"
#include "model/kv.h"
#include "model/params.h"
#include "choice/pick.h"
#include "model/gguf.h"
#include "model/precision.h"
#include "memory/sglang.h"
#include "memory/shard.h"
#include "memory/vllm.h"

struct plan {
    const struct estimate_request *req;
    const struct refine *r;
    struct arch arch; /* complete or KV subset; valid when has_arch */
    bool has_arch;
    struct params params;
    struct estimate_result res; /* seed-shaped numbers */
    double weight_bytes;        /* whole model */
    double kv_elem_bytes;
    double kv_per_token; /* bytes per token, all layers, tp = 1 */
    double encoder_len;  /* encoder-decoder: cross-attention length (given, or ctx) */
    double seq_fixed;    /* bytes per sequence whatever its length, tp = 1: state + cross K/V */
    struct notes notes;  /* the answer's "assumptions", written last */
    /* The choice: ranked candidates, or (solve) the one size asked for at its largest tp. */
    struct pick_result picks;
    const struct pick_candidate *best;
    const struct catalog_sku *solve_sku;
    struct pick_candidate solved;
    enum choice_objective objective; /* as given, else cheapest (the refined default) */
    enum precision format;           /* the weight format (fp16 for bits_per_weight) */
    /* Weights counted tensor by tensor in a format (a counted architecture and a format vLLM
     * can hold: the checkpoint's own, or a launch-time one); see weight_format. */
    bool has_quant;
    struct quant quant;
    struct quant_weights qw;
    const char *precision_source;    /* "checkpoint", "request", "request_runtime" */
    bool checkpoint_format;          /* vLLM reads the format from the checkpoint (no flags) */
    bool quant_is_preset_checkpoint; /* quant is the preset's own, as models_load counted it */
    struct pick_in pin;              /* what the chooser was asked (the layout block refits) */
    struct offload_in offload;       /* r->offload != OFFLOAD_NONE: experts in host RAM */
    double alone_gb; /* when nothing fits: what one GPU would need to hold it all (tp 1) */
};

#define assume(p, ...) notes_add(&(p)->notes, __VA_ARGS__)

/* Explicit fields: complete the KV subset from the seed's layers/hidden. */
static int explicit_arch(struct plan *p, struct error_info *err)
{
    struct arch *a = &p->arch;
    a->layers = (int64_t)p->req->in.layers;
    a->hidden = (int64_t)p->req->in.hidden;
    snprintf(a->model_type, sizeof(a->model_type), "custom");
    if (arch_kv_per_head(a->attention)) {
        if (a->kv_heads == 0) {
            a->kv_heads = a->heads;
            assume(p, "kv_heads defaulted to attention_heads (%lld): multi-head attention",
                   (long long)a->heads);
        }
        if (a->head_dim == 0) {
            a->head_dim = a->hidden / a->heads;
            assume(p, "head_dim defaulted to hidden / attention_heads = %lld",
                   (long long)a->head_dim);
        }
    } else if (a->head_dim == 0) {
        a->head_dim = a->qk_rope_head_dim;
    }
    if (a->sliding_window > 0 && a->windowed_layers == 0) {
        a->windowed_layers = a->layers;
        assume(p, "sliding_window applies to every layer (windowed_layers not given)");
    }
    return arch_validate(a, "", err);
}

/*
 * A resolved Hub repo: its tensor table's exact bytes replace parameters x bytes per parameter.
 * What an engine loads is every tensor but the MTP layers (vLLM's DeepSeek-V3 loader skips them
 * unless speculative decoding is on). The architecture still gives the active share: the shared
 * bytes plus the routed experts' bytes in the proportion a token uses.
 */
static void hub_weights(struct plan *p)
{
    const struct refine_hub_model *hub = p->r->hub;
    struct estimate_result *e = &p->res;
    if (hub->note && hub->note[0])
        assume(p, "%s", hub->note);
    if (hub->tensors == NULL)
        return;
    const struct st_summary *t = hub->tensors;
    double loaded = (double)st_loaded_bytes(t), experts = (double)t->part_bytes[ST_PART_EXPERTS];
    double routed_share =
        p->params.expert > 0 ? (p->params.active - p->params.shared) / p->params.expert : 1.0;
    p->weight_bytes = loaded;
    /* vLLM's allocation differs from the stored bytes as the config-only count says (mxfp4
     * expert padding): the same growth applies to the tensor table's bytes. */
    if (p->has_quant && p->r->engine == ENGINE_VLLM)
        p->weight_bytes += (double)p->qw.vllm_bytes - (double)p->qw.sum.bytes;
    e->weights_footprint_gb = loaded / 1e9;
    e->weights_active_gb = (loaded - experts + experts * routed_share) / 1e9;
    e->weights_gb = e->weights_active_gb;
    assume(p,
           "weights from the checkpoint's safetensors headers (%s: %llu tensors in %u shard%s), "
           "exact bytes per tensor; precision is not applied to them",
           hub->source, (unsigned long long)t->tensors, hub->shards, hub->shards == 1 ? "" : "s");
    if (t->part_bytes[ST_PART_MTP])
        assume(p,
               "%.2f GB of multi-token-prediction layers left out: vLLM loads them only for "
               "speculative decoding",
               (double)t->part_bytes[ST_PART_MTP] / 1e9);
}

/*
 * The format the weights are counted in. Without precision, the checkpoint's own (its config's
 * quantization_config, hf_quant_config or torch_dtype). A precision equal to the checkpoint's
 * format is that format; any other is a launch-time choice: fp8 is vLLM's online fp8 (the
 * linears only), 16-bit and fp32 are dense; a format vLLM cannot make at launch (int4, nvfp4,
 * ...) or a change away from a quantized checkpoint keeps parameters x bytes per parameter,
 * with a note. False when the weights are counted the old way.
 */
static bool weight_format(struct plan *p)
{
    const struct quant *ck = &p->r->quant;
    const struct estimate_request *q = p->req;
    if (ck->unknown[0])
        assume(p,
               "the checkpoint's quant_method \"%s\" is not one vramfit lays out tensor by "
               "tensor: every parameter is counted at the requested precision",
               ck->unknown);
    if (p->r->has_bits_per_weight || p->r->gguf != NULL || ck->unknown[0])
        return false; /* the bits given (or the GGUF file type's) are the format */
    if (q->precision_from_checkpoint || (ck->dtype_declared && ck->format == p->format &&
                                         (ck->method != QUANT_NONE || p->format == PRECISION_BF16 ||
                                          p->format == PRECISION_FP16))) {
        p->quant = *ck;
        p->quant_is_preset_checkpoint = p->r->quant_from_preset;
        p->precision_source = q->precision_from_checkpoint ? "checkpoint" : "request";
        p->checkpoint_format = q->precision_from_checkpoint || ck->method != QUANT_NONE;
        if (ck->downcast && q->precision_from_checkpoint)
            assume(p, "the checkpoint is float32: vLLM's --dtype auto serves it in 16 bits "
                      "(\"Downcasting torch.float32 to torch.float16\"); give precision fp32 "
                      "to keep 4 bytes per parameter");
        return true;
    }
    if (ck->method != QUANT_NONE) {
        assume(p,
               "the checkpoint is %s; precision %s counts every parameter at %g bytes (a copy "
               "of the weights in %s; vLLM itself loads the checkpoint's own format)",
               ck->desc, q->precision, q->in.bytes, q->precision);
        return false;
    }
    if (quant_runtime(p->format, ck->dense, &p->quant) < 0) {
        assume(p,
               "precision %s counts every parameter at %g bytes: vLLM has no launch-time %s for "
               "a 16-bit checkpoint, it needs a checkpoint quantized to %s",
               q->precision, q->in.bytes, q->precision, q->precision);
        return false;
    }
    p->precision_source = p->quant.layout == QL_DENSE ? "request" : "request_runtime";
    if (p->quant.layout != QL_DENSE)
        assume(p,
               "precision %s is a launch-time choice (vLLM --quantization %s): every linear "
               "layer but lm_head stored in %s with a per-tensor scale; embeddings and lm_head "
               "stay %s",
               q->precision, q->precision, q->precision, st_dtype_name(ck->dense));
    return true;
}

/* Weights from the format: exact bytes per tensor, the active share from the architecture. */
static void quant_weights_of(struct plan *p, struct estimate_result *e)
{
    struct quant_weights *w = &p->qw;
    const struct model_preset *pre = p->r->preset;
    /* A preset in its checkpoint's own format was counted when the registry loaded. */
    if (p->quant_is_preset_checkpoint && pre != NULL && pre->has_weights)
        *w = pre->weights;
    else
        quant_weights(&p->arch, &p->params, &p->quant, w);
    double bytes = (double)w->sum.bytes, experts = (double)w->sum.part_bytes[ST_PART_EXPERTS];
    double routed_share =
        p->params.expert > 0 ? (p->params.active - p->params.shared) / p->params.expert : 1.0;
    e->weights_footprint_gb = bytes / 1e9;
    e->weights_active_gb = (bytes - experts + experts * routed_share) / 1e9;
    e->weights_gb = e->weights_active_gb;
    p->weight_bytes = p->r->engine == ENGINE_VLLM ? (double)w->vllm_bytes : bytes;
    if (p->quant.method != QUANT_NONE && !p->quant.runtime)
        assume(p,
               "weights in the checkpoint's format, %s (its quantization config): %.2f GB, "
               "each tensor at its stored width%s",
               p->quant.desc, bytes / 1e9,
               w->excluded_params ? "; the ignore list keeps some linear layers 16-bit" : "");
    if (p->r->engine == ENGINE_VLLM && w->vllm_bytes != w->sum.bytes)
        assume(p,
               "vLLM pads the mxfp4 experts' intermediate size to a multiple of 256 when it "
               "allocates them: %.2f GB loaded for %.2f GB stored",
               (double)w->vllm_bytes / 1e9, bytes / 1e9);
}

static void weights(struct plan *p)
{
    const struct estimate_request *q = p->req;
    double bytes = q->in.bytes;
    if (p->r->counted) {
        models_params(p->r->preset, &p->arch, &p->params);
        struct estimate_result *e = &p->res;
        memset(e, 0, sizeof(*e));
        e->is_moe = arch_is_moe(&p->arch);
        e->params_active_b = p->params.active / 1e9;
        e->weights_footprint_gb = p->params.total * bytes / 1e9;
        e->weights_active_gb = p->params.active * bytes / 1e9;
        p->weight_bytes = p->params.total * bytes;
        if (p->r->gguf_expert_bits > 0) { /* a GGUF file type storing the experts apart */
            double eb = p->r->gguf_expert_bits / 8, shared = p->params.total - p->params.expert;
            p->weight_bytes = shared * bytes + p->params.expert * eb;
            e->weights_footprint_gb = p->weight_bytes / 1e9;
            e->weights_active_gb = (shared * bytes + (p->params.active - shared) * eb) / 1e9;
        }
        e->weights_gb = e->weights_active_gb;
        e->expert_fraction = p->params.expert / p->params.total;
        p->has_quant = weight_format(p);
        if (p->has_quant)
            quant_weights_of(p, e);
        if (p->r->hub != NULL)
            hub_weights(p);
        return;
    }
    estimate_seed(&q->in, &p->res);
    p->weight_bytes = q->in.params_b * 1e9 * bytes;
}

static void kv(struct plan *p)
{
    const struct estimate_request *q = p->req;
    const struct refine *r = p->r;
    struct estimate_result *e = &p->res;
    if (r->has_kv_precision) {
        p->kv_elem_bytes = r->kv_bytes;
    } else if (p->has_arch) {
        p->kv_elem_bytes = q->in.bytes >= 4 ? 4 : 2;
        assume(p,
               "kv_precision defaulted to %s: the KV cache keeps the activation dtype even "
               "for quantized weights (vLLM kv_cache_dtype=auto)",
               p->kv_elem_bytes == 4 ? "fp32" : "16-bit (bf16/fp16)");
    } else {
        p->kv_elem_bytes = q->in.bytes;
    }
    if (p->has_arch) {
        p->kv_per_token = kv_bytes_per_token(&p->arch, p->kv_elem_bytes, 1);
        if (p->arch.encoder_layers > 0) {
            p->encoder_len = r->encoder_len > 0 ? r->encoder_len : q->in.ctx;
            if (r->encoder_len == 0)
                assume(p,
                       "encoder_len defaulted to ctx (%.0f): the cross-attention K/V of every "
                       "decoder layer holds that many encoder tokens per sequence",
                       q->in.ctx);
        }
        p->seq_fixed = kv_fixed_seq_bytes(&p->arch, p->kv_elem_bytes, 1, 1, p->encoder_len);
        e->kv_gb = (kv_seq_bytes(&p->arch, p->kv_elem_bytes, 1, 1, q->in.ctx) + p->seq_fixed) *
                   q->in.batch / 1e9;
    } else {
        /* The seed's formula (every head keeps K and V), at the KV precision. */
        p->kv_per_token = 2 * q->in.layers * q->in.hidden * p->kv_elem_bytes;
        e->kv_gb =
            (2 * q->in.layers * q->in.ctx * q->in.hidden * p->kv_elem_bytes * q->in.batch) / 1e9;
        assume(p,
               "KV cache: 2 x layers x ctx x hidden (every head keeps K and V; the seed's "
               "formula): give model, hf_config or attention_heads + kv_heads for the real size");
    }
    e->optimizer_gb = q->in.training ? ESTIMATE_SEED_OPTIMIZER_FACTOR * e->weights_footprint_gb : 0;
    e->total_active_gb =
        ESTIMATE_SEED_HEADROOM * (e->weights_active_gb + e->kv_gb + e->optimizer_gb);
    e->total_footprint_gb =
        ESTIMATE_SEED_HEADROOM * (e->weights_footprint_gb + e->kv_gb + e->optimizer_gb);
    e->total_gb = e->total_footprint_gb;
}

/* A double that holds a whole number (a count of tokens or bytes) is written as an integer; one
 * that may not (bytes per element of a 4.5-bit format) keeps its fraction. */
static void key_count(struct jsonout *w, const char *key, double d)
{
    jsonout_key(w, key);
    jsonout_whole(w, d);
}

static void key_number(struct jsonout *w, const char *key, double d)
{
    jsonout_key(w, key);
    jsonout_number(w, d);
}

static void key_integer(struct jsonout *w, const char *key, long long v)
{
    jsonout_key(w, key);
    jsonout_integer(w, v);
}

/* A price, or null when unknown (0 means unknown in pick). */
static void key_price(struct jsonout *w, const char *key, double usd)
{
    jsonout_key(w, key);
    if (usd > 0)
        jsonout_number(w, usd);
    else
        jsonout_null(w);
}

/*
 * What must fit on each GPU of layout c, the refined answer's one total: with an engine, the
 * weights' share, the activation peak, the runtime's overhead and the KV cache of batch x ctx
 * (what must fit in per_gpu.budget_gb; CUDA graphs fit outside it); without one, the seed's
 * 1.2x total spread over the GPUs the layout uses.
 */
static double per_gpu_total_gb(const struct plan *p, const struct pick_candidate *c)
{
    if (c->offloaded) /* the GPU share only: the experts in host RAM are the host's */
        return c->off.gpu_per_gpu / 1e9;
    if (c->has_fit) {
        const struct vllm_fit *f = &c->fit;
        return (f->weights + f->activation + f->non_torch + f->kv_needed) / 1e9;
    }
    return p->res.total_gb / ((double)c->gpus * c->nodes);
}

/* Where c's price is quoted (the request's region, the catalog's, or the snapshot row's). */
static const char *price_region(const struct plan *p, const struct pick_candidate *c)
{
    double usd = 0;
    const char *where = NULL;
    if (c->price_source == PRICE_NONE)
        return NULL;
    prices_lookup_at(c->sku, p->r->region, &usd, &where);
    return where;
}

/* One ranked layout by its size's name and its numbers (the size's specs are in GET /skus). */
static void write_candidate(struct jsonout *w, const struct plan *p, const struct pick_candidate *c)
{
    double total = per_gpu_total_gb(p, c);
    jsonout_begin_object(w);
    jsonout_key(w, "sku");
    jsonout_string(w, c->sku->sku);
    key_integer(w, "gpus_per_vm", c->sku->gpus_per_vm);
    key_integer(w, "gpus", c->gpus);
    if (c->layout.dp > 1 || c->layout.ep || c->layout.dcp > 1) { /* beyond TP/PP only */
        key_integer(w, "data_parallel", c->layout.dp);
        jsonout_key(w, "expert_parallel");
        jsonout_bool(w, c->layout.ep);
        key_integer(w, "decode_context_parallel", c->layout.dcp);
    }
    key_integer(w, "nodes", c->nodes);
    key_integer(w, "tensor_parallel", c->tp);
    key_integer(w, "pipeline_parallel", c->layout.pp);
    key_number(w, "per_gpu_total_gb", total);
    /* engine: KV pool left per GPU after batch x ctx; else VRAM per GPU left over. */
    key_number(w, "headroom_gb", c->has_fit ? c->headroom_gb : c->sku->vram_gb - total);
    /* c->price covers every node; price_per_hour is one VM's, cost_per_hour the deployment's. */
    key_price(w, "price_per_hour", c->price / c->nodes);
    key_price(w, "cost_per_hour", c->price);
    jsonout_key(w, "price_source");
    jsonout_string(w, prices_source_name(c->price_source));
    if (c->has_fit)
        key_number(w, "max_concurrency", c->fit.max_concurrency);
    if (p->r->offload !=
        OFFLOAD_NONE) { /* experts in host RAM asked for: say which layouts use it */
        jsonout_key(w, "offloaded");
        jsonout_bool(w, c->offloaded);
        if (c->offloaded) {
            key_number(w, "per_gpu_gb", c->off.gpu_per_gpu / 1e9);
            key_number(w, "host_gb", c->off.host_total / 1e9);
            double bound = offloadout_bound(p->r, c);
            jsonout_key(w, "tokens_per_s_bound");
            if (bound > 0)
                jsonout_number(w, bound);
            else
                jsonout_null(w);
        }
    }
    jsonout_end_object(w);
}

static void write_per_gpu(struct jsonout *w, const struct pick_candidate *c)
{
    const struct vllm_fit *f = &c->fit;
    jsonout_begin_object(w);
    key_number(w, "usable_gib", c->usable_gib);
    key_number(w, "budget_gb", f->budget / 1e9);
    key_number(w, "weights_gb", f->weights / 1e9);
    key_number(w, "activation_gb", f->activation / 1e9);
    key_number(w, "overhead_gb", f->non_torch / 1e9);
    key_number(w, "cuda_graphs_gb", f->cuda_graphs / 1e9);
    key_number(w, "kv_pool_gb", f->kv_pool / 1e9);
    key_number(w, "kv_needed_gb", f->kv_needed / 1e9);
    key_count(w, "kv_tokens", f->kv_tokens);
    if (f->imbalance > 0)
        key_number(w, "router_imbalance_gb", f->imbalance / 1e9);
    if (f->max_num_batched_tokens > 0) { /* vLLM: the scheduler it runs with on this GPU */
        key_count(w, "max_num_seqs", f->max_num_seqs);
        key_count(w, "max_num_batched_tokens", f->max_num_batched_tokens);
    }
    if (f->state_reserved > 0)
        key_number(w, "state_reserved_gb", f->state_reserved / 1e9);
    jsonout_key(w, "usable_measured");
    jsonout_bool(w, c->usable_measured);
    jsonout_key(w, "usable_source");
    jsonout_string(w, c->usable_source);
    jsonout_end_object(w);
}

/* SGLang's mem_fraction_static for c's GPU and layout: the request's, else SGLang's default. */
static double sglang_fraction(const struct plan *p, const struct pick_candidate *c,
                              struct sglang_defaults *d)
{
    /* SGLang's tp_size: with DP attention (EP over DP ranks) every GPU of the engine */
    int tp = c ? (c->layout.ep ? c->tp * c->layout.dp : c->tp) : 1;
    sglang_defaults(c ? c->usable_gib * 1024 : 80 * 1024, tp, c ? c->layout.pp : 1, d);
    return p->r->util_given ? p->r->util : d->mem_fraction_static;
}

/* What the layout of c assumed: sharding rules, DP's own sequences, router imbalance. */
static void layout_assumptions(struct plan *p, const struct pick_candidate *c)
{
    const struct shard_layout *l = &c->layout;
    if (p->r->counted)
        assume(p,
               "weights per GPU by vLLM's sharding: attention, dense and shared-expert weights "
               "split by tensor parallel %d (MLA's q_a/kv_a down-projections, norms and routers "
               "whole on every rank; K/V heads replicated when TP exceeds them), %s, embeddings "
               "on the first and the LM head on the last of %d pipeline stage%s; the largest "
               "stage counts",
               l->tp,
               l->ep ? "routed experts whole, split over EP = DP x TP ranks"
                     : "each routed expert's matrices split TP ways",
               l->pp, l->pp == 1 ? "" : "s");
    if (l->dp > 1)
        assume(p,
               "data parallel %d: attention and dense weights replicated on every DP rank; each "
               "rank caches only its own sequences (ceil(batch / %d) = %.0f)",
               l->dp, l->dp, ceil(p->req->in.batch / l->dp));
    if (l->ep)
        assume(p,
               "expert parallel over %d ranks: %.0f routed experts per MoE layer per GPU%s; the "
               "busiest rank gets %.3g x the mean routed tokens (%s), %.2f GB of fused-MoE "
               "workspace over vLLM's profiled peak (%.0f tokens per step)",
               shard_ep_size(l), c->shard.experts_per_rank,
               l->redundant > 0 ? " (with EPLB's redundant experts)" : "",
               layout_imbalance(&p->pin, c),
               p->r->router_imbalance > 0 ? "given"
                                          : "DeepSeek-R1 EP32 measurement, NVIDIA/TensorRT-LLM "
                                            "examples/wide_ep/ep_load_balancer/README.md",
               c->fit.imbalance / 1e9, VLLM_PROFILE_TOKENS);
    if (p->arch.attention == ARCH_ATTN_MLA && l->tp / l->dcp > 1)
        assume(p,
               "MLA: vLLM keeps the whole latent KV cache on every tensor-parallel rank (%dx the "
               "same bytes over TP %d%s); data parallel attention or decode context parallel "
               "avoid it",
               l->tp / l->dcp, l->tp, l->dcp > 1 ? ", after decode context parallel" : "");
}

/* vLLM's version, scheduler and the budget terms they set, for the chosen layout c (or none). */
static void vllm_assumptions(struct plan *p, const struct pick_candidate *c)
{
    bool m;
    const char *src;
    const struct vllm_knobs *k = &p->r->vllm;
    const struct vllm_version_row *v = vllm_version_row(k->version);
    double act = vllm_activation_gib(&p->arch, &m, &src);
    assume(p, "engine vllm %s%s: gpu_memory_utilization %.2f%s", vllm_version_name(k->version),
           p->r->vllm_version_given ? "" : " (the newest measured release)", p->r->util,
           p->r->util_given ? "" : " (vLLM's default)");
    if (c && c->has_fit)
        assume(p,
               "vllm scheduler: max_num_seqs %.0f%s, max_num_batched_tokens %.0f%s; the profile "
               "run's activation peak scales with the batched tokens",
               c->fit.max_num_seqs, k->max_num_seqs ? "" : " (the batch, as the argv sets it)",
               c->fit.max_num_batched_tokens,
               k->max_num_batched_tokens ? "" : " (vLLM's default for this GPU and ctx)");
    assume(p, "vllm activation peak %.2f GiB at %.0f batched tokens on v0.19 (%s%s)", act,
           VLLM_ACTIVATION_REF_TOKENS, m ? "" : "model_type not measured; ", src);
    if (k->version != VLLM_0_19)
        assume(p, "vllm %s: activation x %.2f of v0.19's (%s)", vllm_version_name(k->version),
               v->activation_scale, v->activation_source);
    assume(p, "vllm non-torch overhead %.2f GiB per GPU at tensor_parallel %d%s (%s)",
           c ? c->fit.non_torch / GIB : vllm_non_torch_gib_at(k->version, 1), c ? c->tp : 1,
           c && c->layout.ep ? ", NCCL sized for the expert-parallel group" : "",
           v->non_torch_source);
    if (k->enforce_eager)
        assume(p, "enforce_eager: no CUDA graphs are captured (no graph pool)");
    else
        assume(p,
               "CUDA graphs %.2f GiB at the 512-sequence capture, scaled to min(2 x max_num_seqs, "
               "512); they must fit outside the utilization share (%s)",
               v->cuda_graphs, v->graphs_source);
    if (c && c->fit.state_reserved > 0 && k->max_num_seqs > 0)
        assume(p,
               "hybrid state: vLLM keeps a state page for each of max_num_seqs %.0f sequences "
               "(%.2f GB per GPU); lower max_num_seqs to free it",
               c->fit.max_num_seqs, c->fit.state_reserved / 1e9);
}

static void engine_assumptions(struct plan *p, const struct pick_candidate *c)
{
    switch (p->r->engine) {
    case ENGINE_NONE:
        return;
    case ENGINE_SGLANG: {
        struct sglang_defaults d;
        double mfs = sglang_fraction(p, c, &d);
        assume(p,
               "engine sglang: mem_fraction_static %.3f%s (reserved %.0f MiB = 512 + 1.5 x "
               "chunked_prefill_size %d + 2 x cuda_graph_max_bs %d + 1024 x tp x pp / 8, at "
               "least 10 GiB above 60 GiB; %s)",
               mfs, p->r->util_given ? " (given as gpu_memory_utilization)" : " (SGLang's default)",
               d.reserved_mib, d.chunked_prefill_size, d.cuda_graph_max_bs, sglang_source());
        assume(p,
               "sglang: activations and CUDA graphs live in the reserved memory; CUDA context "
               "and NCCL (%.2f GiB per GPU, vLLM's measurement) come out of the static pool",
               c ? c->fit.non_torch / GIB : vllm_non_torch_gib(1));
        break;
    }
    case ENGINE_VLLM:
        vllm_assumptions(p, c);
        break;
    }
    if (c && !c->usable_measured)
        assume(p, "usable memory of %s not measured: %.2f GiB assumed (97%% of nameplate)",
               c->sku->gpu_model, c->usable_gib);
    if (c && c->nodes > 1 && c->layout.pp == c->nodes && c->layout.dp == 1)
        assume(p,
               "multi-node: tensor parallel %d inside each VM, pipeline parallel %d across VMs "
               "over InfiniBand (layers split evenly)",
               c->tp, c->nodes);
    if (c)
        layout_assumptions(p, c);
}

/* The inputs the answer used, defaults filled in (the seed-mode "input" echo, extended). */
static void write_input(struct jsonout *w, const struct plan *p)
{
    const struct estimate_request *q = p->req;
    jsonout_begin_object(w);
    key_number(w, "params_b", p->r->counted ? p->params.total / 1e9 : q->in.params_b);
    key_integer(w, "layers", (long long)q->in.layers);
    key_integer(w, "hidden", (long long)q->in.hidden);
    key_integer(w, "ctx", (long long)q->in.ctx);
    key_integer(w, "batch", (long long)q->in.batch);
    jsonout_key(w, "precision");
    jsonout_string(w, q->precision);
    key_number(w, "bytes_per_param", q->in.bytes);
    jsonout_key(w, "training");
    jsonout_bool(w, q->in.training);
    if (p->r->preset_name) {
        jsonout_key(w, "model");
        jsonout_string(w, p->r->preset_name);
    }
    jsonout_key(w, "kv_precision");
    jsonout_string(w, p->r->has_kv_precision  ? p->r->kv_precision
                      : p->kv_elem_bytes == 4 ? "fp32"
                      : p->kv_elem_bytes == 2 ? "16-bit"
                                              : q->precision);
    switch (p->r->engine) {
    case ENGINE_NONE:
        break;
    case ENGINE_VLLM: {
        const struct pick_candidate *c = p->solve_sku ? &p->solved : p->best;
        jsonout_key(w, "engine");
        jsonout_string(w, engine_name(p->r->engine));
        key_number(w, "gpu_memory_utilization", p->r->util);
        jsonout_key(w, "vllm_version");
        jsonout_string(w, vllm_version_name(p->r->vllm.version));
        if (c && c->has_fit) { /* the chosen layout's: vLLM's defaults depend on its GPU */
            key_count(w, "max_num_seqs", c->fit.max_num_seqs);
            key_count(w, "max_num_batched_tokens", c->fit.max_num_batched_tokens);
        }
        jsonout_key(w, "enforce_eager");
        jsonout_bool(w, p->r->vllm.enforce_eager);
        break;
    }
    case ENGINE_SGLANG: {
        struct sglang_defaults d;
        jsonout_key(w, "engine");
        jsonout_string(w, engine_name(p->r->engine));
        key_number(w, "mem_fraction_static",
                   sglang_fraction(p, p->solve_sku ? &p->solved : p->best, &d));
        break;
    }
    }
    jsonout_end_object(w);
}

/* solve: the one size asked for, at the largest tensor parallelism it allows (or the layout the
 * request fixed, on that one VM). */
static int solve(struct plan *p, const struct pick_in *pin, struct error_info *err)
{
    const struct catalog_sku *s = catalog_find(pin->cat, p->r->solve_sku);
    if (s == NULL)
        return error_set(err, 422, "unknown_sku", "sku",
                         "VM size \"%.64s\" is not in the catalog; GET /skus lists them",
                         p->r->solve_sku);
    const struct pick_layout *q = &pin->layout;
    int dp = q->dp ? q->dp : 1;
    int tp =
        q->tp ? q->tp : pick_max_tp(&p->arch, s->gpus_per_vm / dp > 0 ? s->gpus_per_vm / dp : 1);
    struct shard_layout l = {tp, 1, dp, q->dcp ? q->dcp : 1, q->ep == PICK_EP_ON, q->redundant};
    if (q->pp > 1 || shard_world(&l) > s->gpus_per_vm)
        return error_set(err, 422, "invalid_layout",
                         q->pp > 1 ? "pipeline_parallel" : "tensor_parallel",
                         "solve works on one VM: the layout needs %d GPUs, %.64s has %d",
                         shard_world(&l) * (q->pp > 1 ? q->pp : 1), s->sku, s->gpus_per_vm);
    pick_fit_layout(pin, s, &l, 1, &p->solved);
    p->solve_sku = s;
    engine_assumptions(p, &p->solved);
    if (p->r->layout_given)
        assume(p, "solve uses the layout the request fixed (%d of %d GPUs)", shard_world(&l),
               s->gpus_per_vm);
    else
        assume(p, "solve uses every GPU of the VM that tensor parallelism allows (%d of %d)", tp,
               s->gpus_per_vm);
    return 0;
}

static void write_solution(struct jsonout *w, const struct plan *p, const char *today)
{
    const struct pick_candidate *c = &p->solved;
    jsonout_key(w, "solution");
    jsonout_begin_object(w);
    jsonout_key(w, "solve");
    jsonout_string(w, refine_solve_name(p->r->solve));
    jsonout_key(w, "sku");
    jsonout_string(w, p->solve_sku->sku);
    key_integer(w, "tensor_parallel", c->tp);
    jsonout_key(w, "per_gpu");
    write_per_gpu(w, c);
    key_count(w, "max_ctx", c->fit.max_ctx);
    key_count(w, "max_batch", c->fit.max_batch);
    jsonout_key(w, "vm");
    catalog_sku_write(w, p->solve_sku, today);
    jsonout_key(w, "parallelism");
    layout_write(w, &p->pin, c);
    jsonout_end_object(w);
    key_integer(w, "tensor_parallel", c->tp);
    key_number(w, "per_gpu_total_gb", per_gpu_total_gb(p, c));
    key_count(w, "max_ctx", c->fit.max_ctx);
    key_number(w, "max_concurrency", c->fit.max_concurrency);
    jsonout_key(w, "per_gpu");
    write_per_gpu(w, c);
}

/* Ranks the sizes (pick) and notes what the ranking assumed or left out. */
static int choose(struct plan *p, const struct pick_in *pin)
{
    const struct refine *r = p->r;
    int rc = pick_run(pin, &p->picks);
    if (rc < 0)
        return rc;
    const struct pick_result *k = &p->picks;
    p->best = k->n ? &k->list[0] : NULL;
    if (p->best && p->best->price_source == PRICE_SNAPSHOT)
        assume(p, "prices: " PRICES_SNAPSHOT_LABEL "%s", r->region ? "" : ", eastus");
    double other = 0;
    const char *other_src = NULL;
    if (p->best && p->best->price_source == PRICE_SNAPSHOT &&
        prices_disputed(p->best->sku->sku, price_region(p, p->best), &other, &other_src))
        assume(p,
               "the snapshot's %.3f USD/h for %s may be stale: %s quotes %.3f USD/h; the ranking "
               "uses the snapshot's",
               p->best->price / p->best->nodes, p->best->sku->sku, other_src, other);
    if (k->unpriced && p->objective != CHOICE_OBJECTIVE_SEED)
        assume(p,
               "%zu fitting VM sizes have no known price (price_source \"none\", "
               "cost_per_hour null) and rank after the priced ones",
               k->unpriced);
    if (k->region_unknown)
        assume(p, "%zu VM sizes left out: nothing says whether they are offered in %s",
               k->region_unknown, r->region);
    if (k->unsupported)
        assume(p,
               "%zu VM sizes left out: vLLM cannot run %s weights on their GPUs (%s; source: %s)",
               k->unsupported, p->req->precision, vllm_format_rule(p->format)->why,
               vllm_format_rule(p->format)->source);
    if (k->multi_node)
        assume(p, "nothing fits one VM: candidates span several VMs of an InfiniBand size "
                  "(nodes > 1)");
    engine_assumptions(p, p->best);
    if (r->offload != OFFLOAD_NONE)
        offloadout_notes(&p->notes, r, p->best);
    return 0;
}

/* deploy: the launch argv of layout c for the request's engine (vLLM when none is given). */
static void write_deploy(struct jsonout *w, const struct plan *p, const struct pick_candidate *c)
{
    const struct refine *r = p->r;
    struct sglang_defaults d;
    struct deploy_in in = {
        .engine = r->engine,
        .model = r->hf_id ? r->hf_id
                 : r->hub ? r->hub->repo
                          : NULL, /* a Hub repo is its id */
        .tp = c->tp,
        .pp = c->layout.pp,
        .nodes = c->nodes,
        .max_model_len = (long long)p->req->in.ctx,
        /* vLLM's scheduler runs per DP rank: max_num_seqs is one rank's share of the batch */
        .max_num_seqs = r->vllm.max_num_seqs
                            ? r->vllm.max_num_seqs
                            : (long long)(c->layout.dp > 1 ? ceil(p->req->in.batch / c->layout.dp)
                                                           : p->req->in.batch),
        .max_num_batched_tokens = r->vllm.max_num_batched_tokens,
        .enforce_eager = r->vllm.enforce_eager,
        .memory_fraction = r->engine == ENGINE_SGLANG ? sglang_fraction(p, c, &d) : r->util,
        .format = p->format,
        .custom_format = r->has_bits_per_weight,
        .checkpoint_format = p->checkpoint_format,
        .kv_precision = r->has_kv_precision ? r->kv_precision : NULL,
        .dp = c->layout.dp,
        .ep = c->layout.ep,
        .dcp = c->layout.dcp,
        .redundant = c->layout.redundant,
    };
    struct deploy_argv a;
    deploy_build(&in, &a);
    jsonout_key(w, "deploy");
    jsonout_begin_object(w);
    jsonout_key(w, "engine");
    jsonout_string(w, deploy_engine_name(r->engine));
    jsonout_key(w, "argv");
    jsonout_begin_array(w);
    for (int i = 0; i < a.n; i++)
        jsonout_string(w, a.arg[i]);
    jsonout_end_array(w);
    struct manifests_in m = {
        .engine = r->engine,
        .argv = &a,
        .model = in.model,
        .instance_type = c->sku->sku,
        .amd = strcmp(c->sku->vendor, "AMD") == 0,
        .gpus = c->gpus, /* every GPU the layout uses on a VM (TP, or DP x TP with EP) */
        .nodes = c->nodes,
    };
    manifests_write(w, &m);
    jsonout_end_object(w);
}

/* The chosen deployment: the best one's size, counts, total, price, engine fit and launch, then
 * every ranked candidate in short. */
static void write_choice(struct jsonout *w, const struct plan *p, const char *today)
{
    const struct pick_candidate *best = p->best;
    jsonout_key(w, "objective");
    jsonout_string(w, choice_objective_name(p->objective));
    jsonout_key(w, "fits");
    jsonout_bool(w, best != NULL);
    jsonout_key(w, "sku");
    if (best) /* specs only: the price used is the answer's own price_per_hour below */
        catalog_sku_write_specs(w, best->sku, today);
    else
        jsonout_null(w);
    key_integer(w, "gpus", best ? best->gpus : 0);
    key_integer(w, "nodes", best ? best->nodes : 0);
    key_integer(w, "tensor_parallel", best ? best->tp : 0);
    key_integer(w, "pipeline_parallel", best ? best->layout.pp : 0);
    key_number(w, "per_gpu_total_gb", best ? per_gpu_total_gb(p, best) : p->alone_gb);
    /* pick's price already covers every node: cost_per_hour is the whole deployment's. */
    key_price(w, "price_per_hour", best ? best->price / best->nodes : 0);
    key_price(w, "cost_per_hour", best ? best->price : 0);
    jsonout_key(w, "price_source");
    jsonout_string(w, prices_source_name(best ? best->price_source : PRICE_NONE));
    jsonout_key(w, "price_region");
    jsonout_string(w, best ? price_region(p, best) : NULL);
    if (p->r->engine != ENGINE_NONE && best) {
        jsonout_key(w, "per_gpu");
        write_per_gpu(w, best);
        key_number(w, "max_concurrency", best->fit.max_concurrency);
        key_count(w, "max_ctx", best->fit.max_ctx);
        key_count(w, "kv_capacity_tokens", best->fit.kv_capacity);
        jsonout_key(w, "parallelism");
        layout_write(w, &p->pin, best);
    }
    if (best && best->offloaded)
        offloadout_deploy(w, p->r, best, &p->arch, &p->params, p->req->precision,
                          (long long)p->req->in.ctx, (long long)p->req->in.batch);
    else if (best)
        write_deploy(w, p, best);
    if (p->r->offload != OFFLOAD_NONE)
        offloadout_write(w, p->r, best);
    if (best == NULL) {
        char reason[300];
        snprintf(reason, sizeof(reason), "no VM size fits%s (%zu sizes filtered out of %zu); %s",
                 p->r->engine != ENGINE_NONE ? " the per-GPU budget" : " total_gb",
                 p->picks.filtered_out, p->picks.considered,
                 p->r->engine != ENGINE_NONE
                     ? "lower ctx/batch, use kv_precision fp8 or a smaller weight "
                       "format"
                     : "see candidates of a larger set of sizes");
        jsonout_key(w, "reason");
        jsonout_string(w, reason);
    }
    jsonout_key(w, "candidates");
    jsonout_begin_array(w);
    for (size_t i = 0; i < p->picks.n; i++)
        write_candidate(w, p, &p->picks.list[i]);
    jsonout_end_array(w);
}

/* Where a Hub repo's figures came from, and its tensor table when there is one. */
static void write_hub(struct jsonout *w, const struct refine_hub_model *hub)
{
    jsonout_key(w, "model");
    jsonout_string(w, hub->repo);
    jsonout_key(w, "source");
    jsonout_string(w, hub->tensors ? hub->source : "hf_config");
    jsonout_key(w, "checkpoint");
    jsonout_begin_object(w);
    jsonout_key(w, "repo");
    jsonout_string(w, hub->repo);
    jsonout_key(w, "revision");
    jsonout_string(w, hub->revision);
    jsonout_key(w, "resolved");
    jsonout_string(w, hub->source);
    jsonout_key(w, "shards");
    jsonout_integer(w, hub->shards);
    jsonout_key(w, "tensors");
    if (hub->tensors)
        st_summary_write(w, hub->tensors);
    else
        jsonout_null(w);
    jsonout_end_object(w);
}

/* The memory figures and the model as counted: the answer's first members. */
static void write_memory(struct jsonout *w, const struct plan *p)
{
    const struct estimate_result *e = &p->res;
    /* Whole-model figures; the one total is per_gpu_total_gb (the seed's totals are the seed
     * path's only). */
    key_number(w, "weights_active_gb", e->weights_active_gb);
    key_number(w, "weights_footprint_gb", e->weights_footprint_gb);
    key_number(w, "kv_gb", e->kv_gb);
    if (p->req->in.training)
        key_number(w, "optimizer_gb", e->optimizer_gb);
    key_number(w, "params_active_b", e->params_active_b);
    jsonout_key(w, "moe");
    jsonout_bool(w, e->is_moe);
    key_count(w, "kv_bytes_per_token", p->kv_per_token);
    if (p->seq_fixed > 0) /* hybrids' state pages, encoder-decoders' cross-attention K/V */
        key_count(w, "state_bytes_per_sequence", p->seq_fixed);
    if (p->encoder_len > 0)
        key_count(w, "encoder_len", p->encoder_len);
    key_count(w, "kv_element_bytes", p->kv_elem_bytes);
    if (p->r->preset_name) {
        jsonout_key(w, "model");
        jsonout_string(w, p->r->preset_name);
    }
    if (p->r->counted && p->arch.max_context > 0) { /* the longest ctx vLLM serves, and why */
        key_integer(w, "max_context", (long long)p->arch.max_context);
        jsonout_key(w, "max_context_rule");
        jsonout_string(w, p->arch.max_context_rule);
    }
    if (p->r->hub != NULL)
        write_hub(w, p->r->hub);
    if (p->has_quant && !(p->r->hub && p->r->hub->tensors)) {
        jsonout_key(w, "weights");
        quant_write(w, &p->quant, &p->qw, p->precision_source);
    }
    if (p->r->counted) {
        jsonout_key(w, "params");
        params_write(w, &p->params);
        key_number(w, "params_b", p->params.total / 1e9);
        if (arch_is_moe(&p->arch)) {
            /* As the request's field means it: the share of the expert parameters one token
             * uses (top-k / routed experts as counted), so the two echo each other. */
            key_number(w, "moe_active_ratio",
                       p->params.expert > 0
                           ? (p->params.active - p->params.shared) / p->params.expert
                           : 0);
            key_number(w, "moe_expert_fraction", p->params.expert / p->params.total);
        }
    }
    if (p->has_arch) {
        jsonout_key(w, "architecture");
        arch_write(w, &p->arch);
    }
}

static int write_answer(struct jsonout *w, const struct plan *p, const char *today)
{
    jsonout_begin_object(w);
    jsonout_key(w, "kind");
    jsonout_string(w, "refined");
    write_memory(w, p);
    if (p->solve_sku)
        write_solution(w, p, today);
    else
        write_choice(w, p, today);
    jsonout_key(w, "input");
    write_input(w, p);
    jsonout_key(w, "assumptions");
    int rc = notes_write(&p->notes, w);
    jsonout_end_object(w);
    if (rc == 0)
        rc = jsonout_status(w);
    /* Past the cap, or a non-finite number: the caller answers 500 either way. */
    return rc == 0 ? 0 : -ENOMEM;
}

/*
 * A ctx longer than the model serves is refused the way vLLM's ModelConfig refuses
 * --max-model-len (vllm/config/model.py _get_and_verify_max_len, same wording), for a model
 * known from a preset, config or Hub repo; explicit fields carry no length, training no engine.
 */
static int context_within_model(struct plan *p, struct error_info *err)
{
    const struct estimate_request *req = p->req;
    if (!p->r->counted || req->in.training || p->arch.max_context <= 0 ||
        req->in.ctx <= (double)p->arch.max_context)
        return 0;
    return error_set(err, 422, "context_too_long", req->ctx_from_alias ? "ctx_len" : "ctx",
                     "User-specified max_model_len (%.0f) is greater than the derived "
                     "max_model_len (%s in model's config.json): %s serves at most %lld tokens "
                     "per sequence; lower ctx to %lld or less",
                     req->in.ctx, p->arch.max_context_rule,
                     p->r->preset_name ? p->r->preset_name : "the model",
                     (long long)p->arch.max_context, (long long)p->arch.max_context);
}

/*
 * vLLM's knobs against ctx and batch: SchedulerConfig.verify_max_model_len's refusals
 * (vllm/config/scheduler.py, its wording), with max_num_seqs the given one or the batch (the
 * argv's); and a batch the given max_num_seqs could not run at once.
 */
static int knobs_within_request(const struct plan *p, struct error_info *err)
{
    const struct vllm_knobs *k = &p->r->vllm;
    double ctx = p->req->in.ctx, batch = p->req->in.batch;
    double seqs = k->max_num_seqs ? (double)k->max_num_seqs : batch;
    if (p->r->engine != ENGINE_VLLM)
        return 0;
    if (k->max_num_seqs && (double)k->max_num_seqs < batch)
        return error_set(err, 400, "conflicting_fields", "max_num_seqs",
                         "max_num_seqs (%lld) is below batch (%.0f): vLLM runs at most "
                         "max_num_seqs sequences at once; raise max_num_seqs or lower batch",
                         k->max_num_seqs, batch);
    if (k->max_num_batched_tokens == 0)
        return 0;
    double tokens = (double)k->max_num_batched_tokens;
    if (tokens < ctx && p->arch.encoder_layers > 0) /* no chunked prefill for encoder-decoders */
        return error_set(err, 400, "invalid_value", "max_num_batched_tokens",
                         "max_num_batched_tokens (%lld) is smaller than max_model_len (%.0f). "
                         "This effectively limits the maximum sequence length to "
                         "max_num_batched_tokens and makes vLLM reject longer sequences. Please "
                         "increase max_num_batched_tokens or decrease max_model_len.",
                         k->max_num_batched_tokens, ctx);
    if (tokens < seqs)
        return error_set(err, 400, "invalid_value", "max_num_batched_tokens",
                         "max_num_batched_tokens (%lld) must be greater than or equal to "
                         "max_num_seqs (%.0f).",
                         k->max_num_batched_tokens, seqs);
    return 0;
}

/* Everything before the VM choice: the architecture, weights, KV cache and their notes. */
static int size_model(struct plan *p, struct error_info *err)
{
    const struct estimate_request *req = p->req;
    int rc;
    if (p->r->engine != ENGINE_NONE && req->in.training)
        return error_set(err, 400, "conflicting_fields", "engine",
                         "engine \"vllm\" sizes inference serving; drop it for training estimates");
    p->has_arch = p->r->arch_source != ARCH_NONE;
    p->arch = p->r->arch;
    if (p->r->arch_source == ARCH_EXPLICIT && (rc = explicit_arch(p, err)) < 0)
        return rc;
    if (req->batch_defaulted)
        assume(p, "batch defaulted to 1");
    if (p->r->gguf)
        assume(p, "weights as GGUF %s: %.2f bits per weight for every tensor (%s)", p->r->gguf,
               p->r->bits_per_weight, gguf_find(p->r->gguf)->source);
    else if (p->r->has_bits_per_weight)
        assume(p, "weights at %.3g bits per weight for every tensor", p->r->bits_per_weight);
    weights(p);
    kv(p);
    if ((rc = context_within_model(p, err)) < 0)
        return rc;
    return knobs_within_request(p, err);
}

/* The weight format named by the request (bits_per_weight's "custom" and unknown names: fp16). */
static enum precision format_of(const char *name)
{
    for (int i = 0; i < PRECISION_COUNT; i++)
        if (strcmp(precision_name((enum precision)i), name) == 0)
            return (enum precision)i;
    return PRECISION_FP16;
}

/*
 * The layout fields the request gave, checked the way vLLM checks them (shard_check) once the
 * architecture is complete; tensor parallelism stays inside one VM (NVLink), so a degree above
 * every size's GPU count is refused rather than answered "nothing fits".
 */
static int check_layout(const struct plan *p, const struct catalog *cat, struct error_info *err)
{
    const struct refine *r = p->r;
    struct shard_layout l = {
        .tp = r->tensor_parallel,
        .pp = r->pipeline_parallel,
        .dp = r->data_parallel,
        .dcp = r->decode_context_parallel,
        .ep = r->expert_parallel,
        .redundant = r->num_redundant_experts,
    };
    int rc = shard_check(&p->arch, &l, err);
    if (rc < 0)
        return rc;
    int most = 1;
    for (size_t i = 0; i < catalog_count(cat); i++)
        if (catalog_at(cat, i)->gpus_per_vm > most)
            most = catalog_at(cat, i)->gpus_per_vm;
    if (r->tensor_parallel > most)
        return error_set(err, 422, "invalid_layout", "tensor_parallel",
                         "tensor parallel size %d exceeds the %d GPUs of the largest VM size: "
                         "tensor parallelism stays inside one node (NVLink); use "
                         "pipeline_parallel or data_parallel across nodes",
                         r->tensor_parallel, most);
    if (r->router_imbalance > 0 && !arch_is_moe(&p->arch))
        return error_set(err, 422, "invalid_layout", "router_imbalance",
                         "router_imbalance applies to MoE models (routed experts); this model has "
                         "none");
    if (r->decode_context_parallel > 1 && r->engine == ENGINE_SGLANG)
        return error_set(err, 422, "invalid_layout", "decode_context_parallel",
                         "decode_context_parallel is vLLM's --decode-context-parallel-size; "
                         "SGLang has no such option: use \"engine\": \"vllm\"");
    return 0;
}

/* What one GPU would need to hold the whole model (tensor_parallel 1, one VM): the total a
 * no-fit answer states, since there is no layout to divide it over. */
static double alone_gb(const struct plan *p, const struct pick_in *pin)
{
    struct vllm_fit_in fi = {
        .arch = pin->arch,
        .weight_bytes = pin->weight_bytes,
        .kv_bytes = pin->kv_bytes,
        .ctx = pin->ctx,
        .batch = pin->batch,
        .util = pin->util,
        .tp = 1,
        .pp = 1,
        .encoder_len = pin->encoder_len,
        .knobs = pin->knobs,
    };
    struct vllm_fit f;
    switch (pin->engine) {
    case ENGINE_NONE:
        return p->res.total_gb;
    case ENGINE_SGLANG:
        sglang_fit(&fi, pin->util_given, &f);
        break;
    case ENGINE_VLLM:
        vllm_fit(&fi, &f);
        break;
    }
    return (f.weights + f.activation + f.non_torch + f.kv_needed) / 1e9;
}

/* A region with no prices and no region data: "nothing fits" would be a guess, so refuse it. */
static int unknown_region(const struct catalog *cat, const char *region, struct error_info *err)
{
    char known[200];
    prices_known_regions(cat, known, sizeof(known));
    return error_set(err, 422, "unknown_region", "region",
                     "the service has no prices or region data for %.48s, so it cannot tell which "
                     "sizes are offered there; known regions: %s",
                     region, known[0] ? known : "none");
}

int plan_estimate(const struct catalog *cat, const char *today, const struct estimate_request *req,
                  struct jsonout *w, struct error_info *err)
{
    struct plan p;
    memset(&p, 0, sizeof(p));
    p.req = req;
    p.r = &req->refine;
    notes_init(&p.notes);
    p.objective = p.r->objective_given ? p.r->objective : CHOICE_OBJECTIVE_CHEAPEST;
    p.format = format_of(req->precision);
    int rc = size_model(&p, err);
    if (rc == 0 && p.r->region && !prices_region_known(cat, p.r->region))
        rc = unknown_region(cat, p.r->region, err);
    if (rc < 0)
        goto out;
    struct pick_in pin = {
        .cat = cat,
        .today = today,
        .total_gb = p.res.total_gb,
        .engine = p.r->engine,
        .util = p.r->util,
        .util_given = p.r->util_given,
        .arch = &p.arch,
        .weight_bytes = p.weight_bytes,
        .kv_bytes = p.kv_elem_bytes,
        .ctx = req->in.ctx,
        .batch = req->in.batch,
        .encoder_len = p.encoder_len,
        .format = p.format,
        .knobs = p.r->engine == ENGINE_VLLM ? &p.r->vllm : NULL,
    };
    if (p.r->offload != OFFLOAD_NONE) {
        offloadout_input(p.r, &p.arch, &p.params, req->in.bytes, p.res.kv_gb * 1e9, &p.offload);
        pin.offload = &p.offload;
        if ((rc = offloadout_check(&p.offload, err)) < 0)
            goto out;
    }
    refine_choice_prefs(p.r, &pin.prefs);
    pin.prefs.objective = p.objective;
    pin.params = p.r->counted ? &p.params : NULL;
    pin.layout = (struct pick_layout){
        .tp = p.r->tensor_parallel,
        .pp = p.r->pipeline_parallel,
        .dp = p.r->data_parallel,
        .dcp = p.r->decode_context_parallel,
        .ep = !p.r->expert_parallel_given ? PICK_EP_ANY
              : p.r->expert_parallel      ? PICK_EP_ON
                                          : PICK_EP_OFF,
        .redundant = p.r->num_redundant_experts,
        .imbalance = p.r->router_imbalance,
    };
    p.pin = pin;
    if (p.r->layout_given && (rc = check_layout(&p, cat, err)) < 0)
        goto out;
    if (p.r->solve != SOLVE_NONE) {
        rc = solve(&p, &pin, err);
    } else {
        if (p.r->engine == ENGINE_NONE &&
            (p.r->offload == OFFLOAD_NONE || p.r->offload == OFFLOAD_AUTO))
            assume(&p, "1.2x headroom on weights + KV cache + optimizer state (the seed's "
                       "rule); add \"engine\": \"vllm\" for a per-GPU fit");
        if (req->in.training)
            assume(&p, "training: optimizer state = 2.5 x footprint weights (the seed's rule)");
        rc = choose(&p, &pin);
        if (rc == 0 && p.best == NULL)
            p.alone_gb = alone_gb(&p, &pin);
    }
    if (rc == 0)
        rc = write_answer(w, &p, today);
out:
    pick_free(&p.picks);
    notes_free(&p.notes);
    return rc;
}
