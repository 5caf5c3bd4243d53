/* pick.c - the inference need: engine fit per tensor-parallel degree and nodes, or the seed rule.
 */
#include "choice/pick.h"

#include "memory/sglang.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int pick_max_tp(const struct arch *a, int gpus)
{
    int best = 1;
    for (int tp = 1; tp <= gpus; tp *= 2)
        if (vllm_tp_valid(a, tp))
            best = tp;
    return best;
}

void pick_fit_sku(const struct pick_in *in, const struct catalog_sku *s, int tp, int pp,
                  struct pick_candidate *c)
{
    memset(c, 0, sizeof(*c));
    c->sku = s;
    c->tp = tp;
    c->gpus = tp;
    c->nodes = pp;
    c->rented = s->gpus_per_vm * pp;
    c->usable_gib = vllm_usable_gib(s->gpu_model, s->vram_gb, s->partial, &c->usable_measured,
                                    &c->usable_source);
    struct vllm_fit_in fi = {
        .arch = in->arch,
        .weight_bytes = in->weight_bytes,
        .kv_bytes = in->kv_bytes,
        .ctx = in->ctx,
        .batch = in->batch,
        .util = in->util,
        .tp = tp,
        .pp = pp,
        .usable_gib = c->usable_gib,
        .encoder_len = in->encoder_len,
    };
    switch (in->engine) {
    case ENGINE_SGLANG:
        sglang_fit(&fi, in->util_given, &c->fit);
        break;
    case ENGINE_NONE: /* callers only fit an engine; vLLM's rule is the nearest */
    case ENGINE_VLLM:
        vllm_fit(&fi, &c->fit);
        break;
    }
    c->has_fit = true;
    c->headroom_gb = (c->fit.kv_pool - c->fit.kv_needed) / 1e9;
}

/*
 * The fitting layouts the ranking computed, kept so the answer's view of each ranked candidate
 * reuses them instead of running the engine fit again (it is the same pure function of the same
 * size and layout). Bounded: when full, the rest are recomputed.
 */
struct fit_cache {
    struct pick_candidate *fits;
    size_t n, cap;
};

/* What the chooser hands back to fit: the request and the cache (filled from one thread). */
struct pick_ctx {
    const struct pick_in *in;
    struct fit_cache *cache;
};

static bool power_of_two(int n)
{
    return n > 0 && (n & (n - 1)) == 0;
}

/* The engine's layouts: a valid TP degree on one VM; the largest valid one on 2..layers VMs. */
static bool fit_engine(const struct pick_ctx *x, const struct catalog_sku *s, int gpus, int nodes,
                       struct choice_fit *out)
{
    const struct pick_in *in = x->in;
    if (nodes == 1 && (!power_of_two(gpus) || !vllm_tp_valid(in->arch, gpus)))
        return false;
    if (nodes > 1 && (gpus != pick_max_tp(in->arch, s->gpus_per_vm) || nodes > in->arch->layers))
        return false;
    struct pick_candidate c;
    pick_fit_sku(in, s, gpus, nodes, &c);
    if (c.fit.fits && x->cache->n < x->cache->cap)
        x->cache->fits[x->cache->n++] = c;
    out->ranks = gpus * nodes;
    out->gpu_fits = c.fit.fits;
    out->headroom_gb = c.headroom_gb;
    return true;
}

bool pick_offload_layout(const struct pick_in *in, const struct catalog_sku *s, int gpus,
                         struct offload_plan *out)
{
    if (in->offload == NULL)
        return false;
    struct offload_in oi = *in->offload;
    if (oi.mode == OFFLOAD_AUTO) {
        if (ceil(in->total_gb / s->vram_gb) <= s->gpus_per_vm)
            return false; /* the all-GPU layout fits this size: no reason to offload */
        oi.mode = OFFLOAD_CPU_EXPERTS;
    }
    oi.gpus = gpus;
    struct error_info err;
    return offload_plan(&oi, out, &err) == 0;
}

/* Experts in host RAM on one VM: the GPU share split over gpus, the host share on the VM. */
static bool fit_offload(const struct pick_in *in, const struct catalog_sku *s, int gpus,
                        struct choice_fit *out)
{
    struct offload_plan o;
    bool measured;
    const char *src;
    if (!pick_offload_layout(in, s, gpus, &o))
        return false;
    double usable =
        vllm_usable_gib(s->gpu_model, s->vram_gb, s->partial, &measured, &src) * 1073741824.0;
    out->ranks = gpus;
    out->gpu_fits = o.gpu_per_gpu <= usable;
    out->host_bytes = o.host_total;
    out->headroom_gb = (usable - o.gpu_per_gpu) * gpus / 1e9;
    return true;
}

/* The seed rule: total_gb over whole GPUs of one VM, else over every GPU of the fewest VMs. */
static bool fit_seed(const struct pick_in *in, const struct catalog_sku *s, int gpus, int nodes,
                     struct choice_fit *out)
{
    double need = nodes == 1 ? ceil(in->total_gb / s->vram_gb)
                             : ceil(in->total_gb / (s->vram_gb * s->gpus_per_vm));
    if (nodes == 1 ? need != gpus : (need != nodes || gpus != s->gpus_per_vm))
        return false;
    out->ranks = gpus * nodes;
    out->gpu_fits = true;
    out->headroom_gb = (double)gpus * nodes * s->vram_gb - in->total_gb;
    return true;
}

static bool fit(const void *ctx, const struct catalog_sku *s, int gpus, int nodes,
                struct choice_fit *out)
{
    const struct pick_ctx *x = ctx;
    if (nodes > 1 && s->gpus_per_vm < 2)
        return false;
    switch (x->in->engine) {
    case ENGINE_NONE:
        if (x->in->offload != NULL && x->in->offload->mode != OFFLOAD_AUTO)
            return nodes == 1 && fit_offload(x->in, s, gpus, out);
        if (x->in->offload != NULL && nodes == 1 &&
            ceil(x->in->total_gb / s->vram_gb) > s->gpus_per_vm)
            return fit_offload(x->in, s, gpus, out);
        return fit_seed(x->in, s, gpus, nodes, out);
    case ENGINE_VLLM:
    case ENGINE_SGLANG:
        break;
    }
    return fit_engine(x, s, gpus, nodes, out);
}

/* The answer's view of one ranked candidate (the engine fit recomputed for its layout). */
static void candidate(const struct pick_in *in, const struct fit_cache *cache,
                      const struct choice_candidate *k, struct pick_candidate *c)
{
    size_t i = 0;
    switch (in->engine) {
    case ENGINE_VLLM:
    case ENGINE_SGLANG:
        while (i < cache->n && (cache->fits[i].sku != k->sku || cache->fits[i].gpus != k->gpus ||
                                cache->fits[i].nodes != k->nodes))
            i++;
        if (i < cache->n)
            *c = cache->fits[i];
        else
            pick_fit_sku(in, k->sku, k->gpus, k->nodes, c);
        break;
    case ENGINE_NONE:
        memset(c, 0, sizeof(*c));
        c->sku = k->sku;
        c->gpus = k->gpus;
        c->tp = k->gpus;
        c->nodes = k->nodes;
        c->rented = k->rented;
        c->headroom_gb = k->headroom_gb;
        if (k->nodes == 1)
            c->offloaded = pick_offload_layout(in, k->sku, k->gpus, &c->off);
        break;
    }
    c->price = k->price;
    c->price_source = k->price_source;
    c->order = k->order;
}

/* offload cpu_experts or on_demand (auto also ranks all-GPU layouts, served by vLLM). */
static bool offload_explicit(const struct pick_in *in)
{
    return in->offload != NULL && in->offload->mode != OFFLOAD_AUTO;
}

int pick_run(const struct pick_in *in, struct pick_result *out)
{
    /* One fitting layout per size and pass is the rule (more only when host RAM refuses one). */
    size_t cap = 2 * catalog_count(in->cat);
    struct fit_cache cache = {.fits = malloc((cap ? cap : 1) * sizeof(*cache.fits)), .cap = cap};
    struct pick_ctx x = {in, &cache};
    struct choice_need need = {
        .fit = fit,
        .ctx = &x,
        /* An explicitly offloaded layout is served by llama.cpp (CUDA, ROCm, Vulkan), not vLLM:
         * vLLM's GPU and format table does not apply to it. */
        .caps = {.vllm = !offload_explicit(in), .format = in->format},
        .prefs = in->prefs,
        .multi_node_beside = in->prefs.objective != CHOICE_OBJECTIVE_SEED,
    };
    /* The one-VM pass and the multi-node pass beside it decide each size once between them. */
    struct choice_memo memo = {0};
    struct choice_result ch = {0};
    struct pick_result res = {0};
    int rc = -ENOMEM;
    if (cache.fits == NULL || choice_memo_init(&memo, in->cat) < 0)
        goto out;
    need.memo = &memo;
    if ((rc = choice_rank(in->cat, in->today, &need, &ch)) < 0)
        goto out;
    res = (struct pick_result){
        .list = calloc(ch.n ? ch.n : 1, sizeof(*res.list)),
        .n = ch.n,
        .multi_node = ch.multi_node,
        .filtered_out = ch.filtered_out,
        .region_unknown = ch.region_unknown,
        .unpriced = ch.unpriced,
        .unsupported = ch.unsupported,
        .considered = ch.considered,
    };
    rc = res.list ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < ch.n; i++)
        candidate(in, &cache, &ch.list[i], &res.list[i]);
    if (rc == 0)
        *out = res;
out:
    choice_result_free(&ch);
    choice_memo_free(&memo);
    free(cache.fits);
    return rc;
}

void pick_free(struct pick_result *r)
{
    free(r->list);
    r->list = NULL;
    r->n = 0;
}
