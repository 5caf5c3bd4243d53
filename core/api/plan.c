/* plan.c - assembles the refined estimate: counts, KV, per-GPU fit, ranked VMs and assumptions. */
#include "api/plan.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memory/estimate.h"
#include "model/kv.h"
#include "model/params.h"
#include "choice/pick.h"
#include "model/precision.h"
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
    json_t *assumptions;
};

static void assume(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void assume(struct plan *p, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    json_array_append_new(p->assumptions, json_string(buf));
}

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

static void weights(struct plan *p)
{
    const struct estimate_request *q = p->req;
    double bytes = q->in.bytes;
    if (p->r->counted) {
        params_count(&p->arch, &p->params);
        struct estimate_result *e = &p->res;
        memset(e, 0, sizeof(*e));
        e->is_moe = arch_is_moe(&p->arch);
        e->params_active_b = p->params.active / 1e9;
        e->weights_footprint_gb = p->params.total * bytes / 1e9;
        e->weights_active_gb = p->params.active * bytes / 1e9;
        e->weights_gb = e->weights_active_gb;
        e->expert_fraction = p->params.expert / p->params.total;
        p->weight_bytes = p->params.total * bytes;
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
        e->kv_gb = kv_seq_bytes(&p->arch, p->kv_elem_bytes, 1, 1, q->in.ctx) * q->in.batch / 1e9;
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

static json_t *candidate_json(const struct pick_candidate *c, const char *today)
{
    json_t *o = json_pack("{s:s, s:o, s:i, s:i, s:i, s:f}", "sku", c->sku->sku, "vm",
                          catalog_sku_json(c->sku, today), "gpus", c->gpus, "tensor_parallel",
                          c->tp, "nodes", c->nodes, "headroom_gb", c->headroom_gb);
    if (o == NULL)
        return NULL;
    /* c->price covers every node; price_per_hour is one VM's, cost_per_hour the deployment's. */
    json_object_set_new(o, "price_per_hour",
                        c->price > 0 ? json_real(c->price / c->nodes) : json_null());
    json_object_set_new(o, "cost_per_hour", c->price > 0 ? json_real(c->price) : json_null());
    json_object_set_new(o, "price_source", json_string(prices_source_name(c->price_source)));
    if (c->has_fit) {
        json_object_set_new(o, "kv_pool_gb", json_real(c->fit.kv_pool / 1e9));
        json_object_set_new(o, "max_concurrency", json_real(c->fit.max_concurrency));
    }
    return o;
}

static json_t *per_gpu_json(const struct pick_candidate *c)
{
    const struct vllm_fit *f = &c->fit;
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:s}", "usable_gib",
                     c->usable_gib, "budget_gb", f->budget / 1e9, "weights_gb", f->weights / 1e9,
                     "activation_gb", f->activation / 1e9, "overhead_gb", f->non_torch / 1e9,
                     "cuda_graphs_gb", f->cuda_graphs / 1e9, "kv_pool_gb", f->kv_pool / 1e9,
                     "kv_needed_gb", f->kv_needed / 1e9, "kv_tokens", f->kv_tokens,
                     "usable_measured", c->usable_measured, "usable_source", c->usable_source);
}

static void engine_assumptions(struct plan *p, const struct pick_candidate *c)
{
    bool m;
    const char *src;
    double act = vllm_activation_gib(&p->arch, &m, &src);
    assume(p, "engine vllm: gpu_memory_utilization %.2f%s", p->r->util,
           p->r->util_given ? "" : " (vLLM's default)");
    assume(p, "vllm activation peak %.2f GiB (%s%s)", act, m ? "" : "model_type not measured; ",
           src);
    assume(p,
           "vllm non-torch overhead %.2f GiB per GPU at tensor_parallel %d; CUDA graphs "
           "%.2f GiB must fit outside the utilization share",
           vllm_non_torch_gib(c ? c->tp : 1), c ? c->tp : 1, vllm_cuda_graph_gib());
    if (c && !c->usable_measured)
        assume(p, "usable memory of %s not measured: %.2f GiB assumed (97%% of nameplate)",
               c->sku->gpu_model, c->usable_gib);
    if (c && c->nodes > 1)
        assume(p,
               "multi-node: tensor parallel %d inside each VM, pipeline parallel %d across VMs "
               "over InfiniBand (layers split evenly)",
               c->tp, c->nodes);
}

/* The inputs the answer used, defaults filled in (the seed-mode "input" echo, extended). */
static json_t *input_json(const struct plan *p)
{
    const struct estimate_request *q = p->req;
    json_t *in = json_pack("{s:f, s:f, s:f, s:I, s:I, s:s, s:f, s:b}", "params_b",
                           p->r->counted ? p->params.total / 1e9 : q->in.params_b, "layers",
                           q->in.layers, "hidden", q->in.hidden, "ctx", (json_int_t)q->in.ctx,
                           "batch", (json_int_t)q->in.batch, "precision", q->precision,
                           "bytes_per_param", q->in.bytes, "training", q->in.training);
    if (in == NULL)
        return NULL;
    if (p->r->preset_name)
        json_object_set_new(in, "model", json_string(p->r->preset_name));
    json_object_set_new(in, "kv_precision",
                        json_string(p->r->has_kv_precision  ? p->r->kv_precision
                                    : p->kv_elem_bytes == 4 ? "fp32"
                                    : p->kv_elem_bytes == 2 ? "16-bit"
                                                            : q->precision));
    if (p->r->engine_vllm) {
        json_object_set_new(in, "engine", json_string("vllm"));
        json_object_set_new(in, "gpu_memory_utilization", json_real(p->r->util));
    }
    return in;
}

static int solve(struct plan *p, const struct catalog *cat, const char *today,
                 const struct pick_in *pin, json_t *resp, struct error_info *err)
{
    const struct catalog_sku *s = catalog_find(cat, p->r->solve_sku);
    if (s == NULL)
        return error_set(err, 422, "unknown_sku", "sku",
                         "VM size \"%.64s\" is not in the catalog; GET /skus lists them",
                         p->r->solve_sku);
    int tp = pick_max_tp(&p->arch, s->gpus_per_vm);
    struct pick_candidate c;
    pick_fit_sku(pin, s, tp, 1, &c);
    engine_assumptions(p, &c);
    assume(p, "solve uses every GPU of the VM that tensor parallelism allows (%d of %d)", tp,
           s->gpus_per_vm);
    json_t *sol =
        json_pack("{s:s, s:s, s:i, s:o, s:f, s:f}", "solve", refine_solve_name(p->r->solve), "sku",
                  s->sku, "tensor_parallel", tp, "per_gpu", per_gpu_json(&c), "max_ctx",
                  c.fit.max_ctx, "max_batch", c.fit.max_batch);
    if (sol == NULL)
        return -ENOMEM;
    json_object_set_new(sol, "vm", catalog_sku_json(s, today));
    json_object_set_new(resp, "solution", sol);
    json_object_set_new(resp, "tensor_parallel", json_integer(tp));
    json_object_set_new(resp, "max_ctx", json_real(c.fit.max_ctx));
    json_object_set_new(resp, "max_concurrency", json_real(c.fit.max_concurrency));
    json_object_set_new(resp, "per_gpu", per_gpu_json(&c));
    return 0;
}

int plan_estimate(const struct catalog *cat, const char *today, const struct estimate_request *req,
                  json_t **out, struct error_info *err)
{
    struct plan p;
    memset(&p, 0, sizeof(p));
    p.req = req;
    p.r = &req->refine;
    json_t *resp = NULL;
    struct pick_result picks = {0};
    int rc = 0;
    p.assumptions = json_array();
    if (p.assumptions == NULL)
        return -ENOMEM;

    if (p.r->engine_vllm && req->in.training) {
        rc = error_set(err, 400, "conflicting_fields", "engine",
                       "engine \"vllm\" sizes inference serving; drop it for training estimates");
        goto out;
    }
    p.has_arch = p.r->arch_source != ARCH_NONE;
    p.arch = p.r->arch;
    if (p.r->arch_source == ARCH_EXPLICIT && (rc = explicit_arch(&p, err)) < 0)
        goto out;
    if (req->batch_defaulted)
        assume(&p, "batch defaulted to 1");
    if (p.r->has_bits_per_weight)
        assume(&p, "weights at %.3g bits per weight for every tensor", p.r->bits_per_weight);
    weights(&p);
    kv(&p);

    struct pick_in pin = {
        .cat = cat,
        .today = today,
        .total_gb = p.res.total_gb,
        .engine_vllm = p.r->engine_vllm,
        .util = p.r->util,
        .arch = &p.arch,
        .weight_bytes = p.weight_bytes,
        .kv_bytes = p.kv_elem_bytes,
        .ctx = req->in.ctx,
        .batch = req->in.batch,
        .bf16 = strcmp(req->precision, "bf16") == 0,
    };
    refine_choice_prefs(p.r, &pin.prefs);
    if (p.has_arch && p.arch.max_context > 0 && req->in.ctx > (double)p.arch.max_context)
        assume(&p,
               "ctx %.0f is beyond the model's max_position_embeddings %lld: vLLM refuses it "
               "unless RoPE scaling is configured",
               req->in.ctx, (long long)p.arch.max_context);

    resp = json_pack(
        "{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:f, s:f}", "weights_gb",
        p.res.weights_gb, "kv_gb", p.res.kv_gb, "total_gb", p.res.total_gb, "weights_active_gb",
        p.res.weights_active_gb, "weights_footprint_gb", p.res.weights_footprint_gb,
        "total_active_gb", p.res.total_active_gb, "total_footprint_gb", p.res.total_footprint_gb,
        "optimizer_gb", p.res.optimizer_gb, "params_active_b", p.res.params_active_b, "moe",
        p.res.is_moe, "kv_bytes_per_token", p.kv_per_token, "kv_element_bytes", p.kv_elem_bytes);
    if (resp == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    if (p.r->preset_name)
        json_object_set_new(resp, "model", json_string(p.r->preset_name));
    if (p.r->counted) {
        json_object_set_new(resp, "params", params_to_json(&p.params));
        json_object_set_new(resp, "params_b", json_real(p.params.total / 1e9));
        if (arch_is_moe(&p.arch)) {
            json_object_set_new(resp, "moe_active_ratio",
                                json_real(p.params.active / p.params.total));
            json_object_set_new(resp, "moe_expert_fraction",
                                json_real(p.params.expert / p.params.total));
        }
    }
    if (p.has_arch)
        json_object_set_new(resp, "architecture", arch_to_json(&p.arch));

    if (p.r->solve != SOLVE_NONE) {
        if ((rc = solve(&p, cat, today, &pin, resp, err)) < 0)
            goto out;
        goto finish;
    }

    if (!p.r->engine_vllm)
        assume(&p, "1.2x headroom on weights + KV cache + optimizer state (the seed's rule); add "
                   "\"engine\": \"vllm\" for a per-GPU fit");
    if (req->in.training)
        assume(&p, "training: optimizer state = 2.5 x footprint weights (the seed's rule)");
    if ((rc = pick_run(&pin, &picks)) < 0)
        goto out;
    if (p.r->objective == CHOICE_OBJECTIVE_CHEAPEST && picks.n > 0 && picks.unpriced == picks.n) {
        rc = error_set(err, 422, "no_prices", "objective",
                       "objective \"cheapest\" needs prices, but none of the %zu fitting VM sizes "
                       "has one%s%s; use objective \"seed\" or \"fewest_gpus\"",
                       picks.n, p.r->region ? " in region " : "", p.r->region ? p.r->region : "");
        goto out;
    }
    const struct pick_candidate *best = picks.n ? &picks.list[0] : NULL;
    json_t *cands = json_array();
    for (size_t i = 0; i < picks.n; i++)
        json_array_append_new(cands, candidate_json(&picks.list[i], today));
    json_object_set_new(resp, "candidates", cands);
    json_object_set_new(resp, "objective", json_string(choice_objective_name(p.r->objective)));
    json_object_set_new(resp, "fits", json_boolean(best != NULL));
    json_object_set_new(resp, "sku", best ? catalog_sku_json(best->sku, today) : json_null());
    json_object_set_new(resp, "gpus", json_integer(best ? best->gpus : 0));
    json_object_set_new(resp, "nodes", json_integer(best ? best->nodes : 0));
    json_object_set_new(resp, "tensor_parallel", json_integer(best ? best->tp : 0));
    json_object_set_new(resp, "price_per_hour",
                        best && best->price > 0 ? json_real(best->price / best->nodes)
                                                : json_null());
    /* pick's price already covers every node: the hourly cost of the whole deployment. */
    json_object_set_new(resp, "cost_per_hour",
                        best && best->price > 0 ? json_real(best->price) : json_null());
    if (best && best->price_source == PRICE_SNAPSHOT)
        assume(&p, "prices: " PRICES_SNAPSHOT_LABEL "%s", p.r->region ? "" : ", eastus");
    if (picks.unpriced && p.r->objective == CHOICE_OBJECTIVE_CHEAPEST)
        assume(&p, "%zu fitting VM sizes have no known price and are ranked last", picks.unpriced);
    if (picks.region_unknown)
        assume(&p, "%zu VM sizes left out: nothing says whether they are offered in %s",
               picks.region_unknown, p.r->region);
    if (picks.unsupported)
        assume(&p,
               "%zu VM sizes left out: vLLM cannot run this precision on their GPUs (bf16 "
               "needs compute capability 8.0+, vLLM needs 7.0+)",
               picks.unsupported);
    if (picks.multi_node)
        assume(&p, "nothing fits one VM: candidates span several VMs of an InfiniBand size "
                   "(nodes > 1)");
    if (p.r->engine_vllm) {
        engine_assumptions(&p, best);
        if (best) {
            json_object_set_new(resp, "per_gpu", per_gpu_json(best));
            json_object_set_new(resp, "max_concurrency", json_real(best->fit.max_concurrency));
            json_object_set_new(resp, "max_ctx", json_real(best->fit.max_ctx));
            /* What the chosen GPUs hold besides the pre-allocated pool. */
            double used = (best->fit.weights + best->fit.activation + best->fit.non_torch +
                           best->fit.kv_needed) *
                          best->tp * best->nodes;
            json_object_set_new(resp, "engine_total_gb", json_real(used / 1e9));
        }
    }
    if (best == NULL) {
        char reason[300];
        snprintf(reason, sizeof(reason), "no VM size fits%s (%zu sizes filtered out of %zu); %s",
                 p.r->engine_vllm ? " the per-GPU budget" : " total_gb", picks.filtered_out,
                 picks.considered,
                 p.r->engine_vllm ? "lower ctx/batch, use kv_precision fp8 or a smaller weight "
                                    "format"
                                  : "see candidates of a larger set of sizes");
        json_object_set_new(resp, "reason", json_string(reason));
    }

finish:
    json_object_set_new(resp, "input", input_json(&p));
    json_object_set(resp, "assumptions", p.assumptions);
    *out = resp;
    resp = NULL;
out:
    pick_free(&picks);
    json_decref(resp);
    json_decref(p.assumptions);
    return rc;
}
