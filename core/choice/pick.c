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

static bool power_of_two(int n)
{
    return n > 0 && (n & (n - 1)) == 0;
}

/* The engine's layouts: a valid TP degree on one VM; the largest valid one on 2..layers VMs. */
static bool fit_engine(const struct pick_in *in, const struct catalog_sku *s, int gpus, int nodes,
                       struct choice_fit *out)
{
    if (nodes == 1 && (!power_of_two(gpus) || !vllm_tp_valid(in->arch, gpus)))
        return false;
    if (nodes > 1 && (gpus != pick_max_tp(in->arch, s->gpus_per_vm) || nodes > in->arch->layers))
        return false;
    struct pick_candidate c;
    pick_fit_sku(in, s, gpus, nodes, &c);
    out->ranks = gpus * nodes;
    out->gpu_fits = c.fit.fits;
    out->headroom_gb = c.headroom_gb;
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
    const struct pick_in *in = ctx;
    if (nodes > 1 && s->gpus_per_vm < 2)
        return false;
    switch (in->engine) {
    case ENGINE_NONE:
        return fit_seed(in, s, gpus, nodes, out);
    case ENGINE_VLLM:
    case ENGINE_SGLANG:
        break;
    }
    return fit_engine(in, s, gpus, nodes, out);
}

/* The answer's view of one ranked candidate (the engine fit recomputed for its layout). */
static void candidate(const struct pick_in *in, const struct choice_candidate *k,
                      struct pick_candidate *c)
{
    switch (in->engine) {
    case ENGINE_VLLM:
    case ENGINE_SGLANG:
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
        break;
    }
    c->price = k->price;
    c->price_source = k->price_source;
    c->order = k->order;
}

int pick_run(const struct pick_in *in, struct pick_result *out)
{
    struct choice_need need = {
        .fit = fit,
        .ctx = in,
        .caps = {.vllm = true, .format = in->format},
        .prefs = in->prefs,
        .multi_node_beside = in->prefs.objective != CHOICE_OBJECTIVE_SEED,
    };
    /* The one-VM pass and the multi-node pass beside it decide each size once between them. */
    struct choice_memo memo;
    int rc = choice_memo_init(&memo, in->cat);
    if (rc < 0)
        return rc;
    need.memo = &memo;
    struct choice_result ch;
    rc = choice_rank(in->cat, in->today, &need, &ch);
    choice_memo_free(&memo);
    if (rc < 0)
        return rc;
    struct pick_result res = {
        .list = calloc(ch.n ? ch.n : 1, sizeof(*res.list)),
        .n = ch.n,
        .multi_node = ch.multi_node,
        .filtered_out = ch.filtered_out,
        .region_unknown = ch.region_unknown,
        .unpriced = ch.unpriced,
        .unsupported = ch.unsupported,
        .considered = ch.considered,
    };
    if (res.list == NULL) {
        choice_result_free(&ch);
        return -ENOMEM;
    }
    for (size_t i = 0; i < ch.n; i++)
        candidate(in, &ch.list[i], &res.list[i]);
    choice_result_free(&ch);
    *out = res;
    return 0;
}

void pick_free(struct pick_result *r)
{
    free(r->list);
    r->list = NULL;
    r->n = 0;
}
