/* pick.c - ranks the VM sizes that fit: seed order, cheapest or fewest GPUs; multi-node fallback.
 */
#include "choice/pick.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool pick_sku_allowed(const struct refine *r, const struct catalog_sku *s, bool *region_unknown)
{
    if (region_unknown)
        *region_unknown = false;
    if (r == NULL)
        return true;
    if (r->vendor && (s->vendor == NULL || strcasecmp(r->vendor, s->vendor) != 0))
        return false;
    if (r->exclude_partial && s->partial)
        return false;
    if (r->n_skus > 0) {
        bool listed = false;
        for (int i = 0; i < r->n_skus && !listed; i++)
            listed = strcasecmp(r->skus[i], s->sku) == 0;
        if (!listed)
            return false;
    }
    if (r->region) {
        bool known;
        if (!prices_in_region(s, r->region, &known)) {
            if (region_unknown)
                *region_unknown = !known;
            return false;
        }
    }
    return true;
}

/* pick_sku_allowed, counting what the filters removed for the response. */
static bool allowed(const struct pick_in *in, const struct catalog_sku *s, struct pick_result *res)
{
    bool region_unknown;
    if (pick_sku_allowed(in->r, s, &region_unknown))
        return true;
    if (region_unknown)
        res->region_unknown++;
    res->filtered_out++;
    return false;
}

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
    c->usable_gib = vllm_usable_gib(s->gpu_model, s->vram_gb, s->partial, &c->usable_measured,
                                    &c->usable_source);
    struct vllm_fit_in fi = {
        .arch = in->arch,
        .weight_bytes = in->weight_bytes,
        .kv_bytes = in->kv_bytes,
        .ctx = in->ctx,
        .batch = in->batch,
        .util = in->r->util,
        .tp = tp,
        .pp = pp,
        .usable_gib = c->usable_gib,
    };
    vllm_fit(&fi, &c->fit);
    c->has_fit = true;
    c->headroom_gb = (c->fit.kv_pool - c->fit.kv_needed) / 1e9;
}

static void price(const struct pick_in *in, struct pick_candidate *c)
{
    double usd = 0;
    c->price_source = prices_lookup(c->sku, in->r->region, &usd);
    c->price = usd * c->nodes;
}

static bool fit_single(const struct pick_in *in, const struct catalog_sku *s,
                       struct pick_candidate *c)
{
    if (in->r->engine_vllm) {
        for (int tp = 1; tp <= s->gpus_per_vm; tp *= 2) {
            if (!vllm_tp_valid(in->arch, tp))
                continue;
            pick_fit_sku(in, s, tp, 1, c);
            if (c->fit.fits)
                return true;
        }
        return false;
    }
    double gpus = ceil(in->total_gb / s->vram_gb);
    if (gpus > s->gpus_per_vm)
        return false;
    memset(c, 0, sizeof(*c));
    c->sku = s;
    c->gpus = (int)gpus;
    c->tp = (int)gpus;
    c->nodes = 1;
    c->headroom_gb = gpus * s->vram_gb - in->total_gb;
    return true;
}

static bool fit_multi(const struct pick_in *in, const struct catalog_sku *s,
                      struct pick_candidate *c)
{
    if (!s->infiniband || s->gpus_per_vm < 2)
        return false;
    if (in->r->engine_vllm) {
        int tp = pick_max_tp(in->arch, s->gpus_per_vm);
        for (int nodes = 2; nodes <= REFINE_MAX_NODES && nodes <= in->arch->layers; nodes++) {
            pick_fit_sku(in, s, tp, nodes, c);
            if (c->fit.fits)
                return true;
        }
        return false;
    }
    double nodes = ceil(in->total_gb / (s->vram_gb * s->gpus_per_vm));
    if (nodes > REFINE_MAX_NODES)
        return false;
    memset(c, 0, sizeof(*c));
    c->sku = s;
    c->gpus = s->gpus_per_vm;
    c->tp = s->gpus_per_vm;
    c->nodes = (int)nodes;
    c->headroom_gb = nodes * s->gpus_per_vm * s->vram_gb - in->total_gb;
    return true;
}

static int compare(const struct pick_candidate *a, const struct pick_candidate *b,
                   enum refine_objective objective)
{
    switch (objective) {
    case OBJECTIVE_CHEAPEST:
        if ((a->price > 0) != (b->price > 0))
            return a->price > 0 ? -1 : 1; /* unpriced last */
        if (a->price != b->price)
            return a->price < b->price ? -1 : 1;
        break;
    case OBJECTIVE_FEWEST_GPUS: {
        int ga = a->gpus * a->nodes, gb = b->gpus * b->nodes;
        if (ga != gb)
            return ga < gb ? -1 : 1;
        break;
    }
    case OBJECTIVE_SEED:
        if (a->nodes != b->nodes)
            return a->nodes < b->nodes ? -1 : 1;
        break;
    }
    return a->order < b->order ? -1 : a->order > b->order;
}

int pick_run(const struct pick_in *in, struct pick_result *out)
{
    struct pick_result res;
    memset(&res, 0, sizeof(res));
    size_t n = catalog_count(in->cat);
    res.list = calloc(n ? n : 1, sizeof(*res.list));
    if (res.list == NULL)
        return -ENOMEM;
    for (int pass = 0; pass < 2 && res.n == 0; pass++) {
        res.filtered_out = res.region_unknown = res.considered = res.unsupported = 0;
        for (size_t i = 0; i < n; i++) {
            const struct catalog_sku *s = catalog_at(in->cat, i);
            if (catalog_sku_retired(s, in->today))
                continue;
            res.considered++;
            if (!allowed(in, s, &res))
                continue;
            const char *why;
            if (in->r->engine_vllm && !vllm_gpu_supported(s->gpu_model, in->bf16, &why)) {
                res.unsupported++;
                continue;
            }
            struct pick_candidate c;
            bool ok = pass == 0 ? fit_single(in, s, &c) : fit_multi(in, s, &c);
            if (!ok)
                continue;
            c.order = i;
            price(in, &c);
            res.list[res.n++] = c;
        }
        res.multi_node = pass == 1;
    }
    if (res.n == 0)
        res.multi_node = false;
    for (size_t i = 0; i < res.n; i++)
        if (res.list[i].price <= 0)
            res.unpriced++;
    /* qsort has no context argument (and qsort_r is not C17); the list is short (one entry per
     * size), so a stable insertion sort with the objective passed explicitly does. */
    for (size_t i = 1; i < res.n; i++) {
        struct pick_candidate key = res.list[i];
        size_t j = i;
        while (j > 0 && compare(&res.list[j - 1], &key, in->r->objective) > 0) {
            res.list[j] = res.list[j - 1];
            j--;
        }
        res.list[j] = key;
    }
    *out = res;
    return 0;
}

void pick_free(struct pick_result *r)
{
    free(r->list);
    r->list = NULL;
    r->n = 0;
}
