/* pick.c - the inference need: engine fit per tensor-parallel degree and nodes, or the seed rule.
 */
#include "choice/pick.h"

#include "memory/sglang.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool power_of_two(int n)
{
    return n > 0 && (n & (n - 1)) == 0;
}

int pick_max_tp(const struct arch *a, int gpus)
{
    int best = 1;
    for (int tp = 1; tp <= gpus; tp *= 2)
        if (vllm_tp_valid(a, tp))
            best = tp;
    return best;
}

/* The router imbalance of l: the request's, else the published measurement (shard.h). */
static double imbalance(const struct pick_in *in, const struct shard_layout *l)
{
    if (in->layout.imbalance > 0)
        return in->layout.imbalance;
    return l->redundant > 0 ? SHARD_IMBALANCE_EPLB : SHARD_IMBALANCE_NO_EPLB;
}

void pick_fit_layout(const struct pick_in *in, const struct catalog_sku *s,
                     const struct shard_layout *l, int nodes, struct pick_candidate *c)
{
    memset(c, 0, sizeof(*c));
    struct shard_layout lay = *l;
    lay.tp = lay.tp < 1 ? 1 : lay.tp;
    lay.pp = lay.pp < 1 ? 1 : lay.pp;
    lay.dp = lay.dp < 1 ? 1 : lay.dp;
    lay.dcp = lay.dcp < 1 ? 1 : lay.dcp;
    nodes = nodes < 1 ? 1 : nodes;
    c->sku = s;
    c->layout = lay;
    c->tp = lay.tp;
    c->gpus = shard_world(&lay) / nodes;
    c->nodes = nodes;
    c->rented = s->gpus_per_vm * nodes;
    c->usable_gib = vllm_usable_gib(s->gpu_model, s->vram_gb, s->partial, &c->usable_measured,
                                    &c->usable_source);
    double weights_gpu = 0;
    if (in->params && in->params->total > 0) {
        shard_weights(in->arch, in->params, &lay, &c->shard);
        weights_gpu = in->weight_bytes * c->shard.fraction;
    }
    double act_bytes = in->format == PRECISION_FP32 ? 4 : 2;
    struct vllm_fit_in fi = {
        .arch = in->arch,
        .weight_bytes = in->weight_bytes,
        .kv_bytes = in->kv_bytes,
        .ctx = in->ctx,
        .batch = in->batch,
        .util = in->util,
        .tp = lay.tp,
        .pp = lay.pp,
        .usable_gib = c->usable_gib,
        .encoder_len = in->encoder_len,
        .weights_gpu = weights_gpu,
        .dp = lay.dp,
        .dcp = lay.dcp,
        /* the EP group's all-to-all buffers are NCCL buffers like TP's: size them by its ranks */
        .comm_ranks = lay.ep ? lay.tp * lay.dp : lay.tp,
        .imbalance_bytes = shard_moe_imbalance_bytes(in->arch, &lay, imbalance(in, &lay),
                                                     VLLM_PROFILE_TOKENS, act_bytes),
        .gpu_model = s->gpu_model,
        .knobs = in->knobs,
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

void pick_fit_sku(const struct pick_in *in, const struct catalog_sku *s, int tp, int pp,
                  struct pick_candidate *c)
{
    struct shard_layout l = {.tp = tp, .pp = pp, .dp = 1, .dcp = 1};
    pick_fit_layout(in, s, &l, pp, c);
}

/*
 * The fitting layouts the ranking computed, kept so the answer's view of each ranked candidate
 * reuses them instead of running the engine fit again (it is the same pure function of the same
 * size and layout). Bounded: when full, the rest are recomputed. Keyed by (size, GPUs per VM,
 * nodes): the cache lives for one pick_run, whose request fields (the layout the request fixed,
 * router imbalance, batch, ctx, formats) are constant, and choose_layout keeps one layout per
 * key, so the key names the whole fit.
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

/* Most layouts weighed for one size and GPU count (4 TP degrees x 2 PP x EP on/off). */
#define PICK_MAX_LAYOUTS 32

static void push(struct shard_layout *out, int cap, int *n, struct shard_layout l)
{
    if (*n < cap)
        out[(*n)++] = l;
}

/* Whether the request fixed any part of the layout. */
static bool layout_fixed(const struct pick_layout *q)
{
    return q->tp || q->pp || q->dp || q->dcp || q->ep != PICK_EP_ANY || q->redundant;
}

/* The request's layouts with tensor-parallel degree tp on gpus x nodes GPUs. */
static void fixed_layouts(const struct pick_in *in, const struct catalog_sku *s, int gpus,
                          int nodes, int tp, struct shard_layout *out, int cap, int *n)
{
    const struct pick_layout *q = &in->layout;
    int world = gpus * nodes;
    int pps[2] = {q->pp ? q->pp : nodes, q->pp || nodes == 1 ? 0 : 1};
    bool moe = arch_is_moe(in->arch);
    for (int k = 0; k < 2 && pps[k] > 0; k++) {
        int pp = pps[k];
        if (world % (tp * pp) != 0)
            continue;
        int dp = world / (tp * pp);
        if ((q->dp && dp != q->dp) || pp > in->arch->layers)
            continue;
        /* several VMs: whole VMs, except today's TP-inside / PP-across layout */
        if (nodes > 1 && gpus != s->gpus_per_vm && !(dp == 1 && pp == nodes))
            continue;
        for (int e = 0; e < 2; e++) {
            bool ep = e == 1;
            if ((ep && (!moe || q->ep == PICK_EP_OFF)) || (!ep && q->ep == PICK_EP_ON) ||
                (!ep && q->redundant))
                continue;
            int dcp = q->dcp ? q->dcp : 1;
            if (tp % dcp != 0)
                continue;
            struct shard_layout l = {tp, pp, dp, dcp, ep, ep ? q->redundant : 0};
            push(out, cap, n, l);
        }
    }
}

int pick_layouts(const struct pick_in *in, const struct catalog_sku *s, int gpus, int nodes,
                 struct shard_layout *out, int cap)
{
    const struct arch *a = in->arch;
    int n = 0, world = gpus * nodes;
    if (!layout_fixed(&in->layout)) {
        /* today's layout: TP on one VM, or the largest valid TP per VM and PP across them */
        if (nodes == 1 && power_of_two(gpus) && vllm_tp_valid(a, gpus))
            push(out, cap, &n, (struct shard_layout){gpus, 1, 1, 1, false, 0});
        if (nodes > 1 && gpus == pick_max_tp(a, s->gpus_per_vm) && nodes <= a->layers)
            push(out, cap, &n, (struct shard_layout){gpus, nodes, 1, 1, false, 0});
        /* MoE: experts over EP = DP x TP ranks, attention data-parallel (whole VMs) */
        if (arch_is_moe(a) && power_of_two(world) && (nodes == 1 || gpus == s->gpus_per_vm))
            for (int tp = gpus; tp >= 1; tp /= 2)
                if (power_of_two(tp) && gpus % tp == 0 && vllm_tp_valid(a, tp) && world / tp > 1)
                    push(out, cap, &n, (struct shard_layout){tp, 1, world / tp, 1, true, 0});
        return n;
    }
    const struct pick_layout *q = &in->layout;
    for (int tp = q->tp ? q->tp : gpus; tp >= 1; tp = q->tp ? 0 : tp / 2) {
        if (tp > gpus || gpus % tp != 0)
            continue;
        if (!q->tp && (!power_of_two(tp) || !vllm_tp_valid(a, tp)))
            continue;
        fixed_layouts(in, s, gpus, nodes, tp, out, cap, &n);
    }
    return n;
}

/* Which of two fitting layouts to keep: more KV capacity (sequences) wins, the earlier on ties. */
static bool better(const struct pick_candidate *c, const struct pick_candidate *best)
{
    return c->fit.max_concurrency > best->fit.max_concurrency;
}

/*
 * The engine's layout on gpus x nodes GPUs of s into *best. Without fields fixing it: today's
 * TP/PP layout when it fits, else the EP + DP layout with the most KV capacity. With them: the
 * fitting layout the fields allow with the most KV capacity. Returns -1 when there is no layout
 * to try, 1 when one fits, 0 when none does (*best: the preferred layout's fit).
 */
static int choose_layout(const struct pick_in *in, const struct catalog_sku *s, int gpus, int nodes,
                         struct pick_candidate *best)
{
    struct shard_layout ls[PICK_MAX_LAYOUTS];
    int n = pick_layouts(in, s, gpus, nodes, ls, PICK_MAX_LAYOUTS);
    if (n == 0)
        return -1;
    bool fixed = layout_fixed(&in->layout), found = false;
    struct pick_candidate c;
    for (int i = 0; i < n; i++) {
        pick_fit_layout(in, s, &ls[i], nodes, &c);
        if (i == 0)
            *best = c; /* nothing fits yet: report the preferred layout's headroom */
        if (!c.fit.fits)
            continue;
        if (!found || better(&c, best))
            *best = c;
        found = true;
        if (!fixed && !ls[i].ep)
            break; /* today's layout fits: keep it */
    }
    return found;
}

static bool fit_engine(const struct pick_ctx *x, const struct catalog_sku *s, int gpus, int nodes,
                       struct choice_fit *out)
{
    struct pick_candidate best;
    int found = choose_layout(x->in, s, gpus, nodes, &best);
    if (found < 0)
        return false;
    if (found && x->cache->n < x->cache->cap)
        x->cache->fits[x->cache->n++] = best;
    out->ranks = gpus * nodes;
    out->gpu_fits = found == 1;
    out->headroom_gb = best.headroom_gb;
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
            (void)choose_layout(in, k->sku, k->gpus, k->nodes, c);
        break;
    case ENGINE_NONE:
        memset(c, 0, sizeof(*c));
        c->sku = k->sku;
        c->gpus = k->gpus;
        c->tp = k->gpus;
        c->nodes = k->nodes;
        /* the seed rule's layout: every GPU used on each VM in TP, the VMs as pipeline stages */
        c->layout = (struct shard_layout){k->gpus, k->nodes, 1, 1, false, 0};
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
