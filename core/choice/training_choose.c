/* training_choose.c - the VM choice for training: per-GPU fit, host RAM, ranks, nodes, objective.
 */
#include "choice/training_choose.h"

#include "choice/pick.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool training_gpu_supported(const struct catalog_sku *s, const struct training_config *c,
                            const char **why)
{
    static const char *const modern[] = {"A10 ",  "A100",  "H100",         "H200",
                                         "GB200", "GB300", "RTX PRO 6000", "MI300X"};
    const char *model = s->gpu_model ? s->gpu_model : "";
    if (s->partial || s->gpu_fraction < 1) {
        if (why)
            *why = "partial (vGPU) sizes cannot run collective training";
        return false;
    }
    if (!c->bf16 && !c->flash_attention)
        return true;
    for (size_t i = 0; i < sizeof(modern) / sizeof(modern[0]); i++)
        if (strstr(model, modern[i]))
            return true;
    if (why)
        *why = c->bf16 ? "no bf16 tensor cores (pre-Ampere GPU)"
                       : "flash attention needs an Ampere or newer GPU";
    return false;
}

/* One layout: dp ranks x tp on nodes of s; true when GPUs and host RAM hold it. */
static bool try_layout(const struct catalog_sku *s, const struct training_model *m,
                       const struct training_config *c, int dp, struct training_result *res,
                       bool *host_short)
{
    struct training_config k = *c;
    k.data_parallel = dp;
    const int world = dp * c->tensor_parallel;
    const int per_node = world < s->gpus_per_vm ? world : s->gpus_per_vm;
    training_estimate(m, &k, per_node, res);
    if (res->total > s->vram_gb * 1e9)
        return false;
    if (res->host_per_node > s->memory_gib * GIB) {
        *host_short = true;
        return false;
    }
    return true;
}

static void keep(struct training_choice *out, const struct catalog_sku *s, size_t order, int dp,
                 int tp, int nodes, const struct training_result *res, const struct refine *r)
{
    struct training_candidate *c = &out->list[out->n++];
    memset(c, 0, sizeof(*c));
    c->sku = s;
    c->gpus = dp * tp;
    c->nodes = nodes;
    c->data_parallel = dp;
    c->res = *res;
    c->order = order;
    double usd = 0;
    c->price_source = prices_lookup(s, r ? r->region : NULL, &usd);
    c->price = c->price_source == PRICE_NONE ? 0 : usd * nodes;
}

/* Negative when a ranks before b under objective (no globals: requests run concurrently). */
static int rank_cmp(enum refine_objective objective, const struct training_candidate *a,
                    const struct training_candidate *b)
{
    if (objective == OBJECTIVE_CHEAPEST) {
        bool pa_ok = a->price_source != PRICE_NONE, pb_ok = b->price_source != PRICE_NONE;
        if (pa_ok != pb_ok)
            return pa_ok ? -1 : 1;
        if (pa_ok && a->price != b->price)
            return a->price < b->price ? -1 : 1;
    } else if (objective == OBJECTIVE_FEWEST_GPUS && a->gpus != b->gpus) {
        return a->gpus < b->gpus ? -1 : 1;
    }
    if (a->nodes != b->nodes)
        return a->nodes < b->nodes ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order);
}

int training_choose(const struct catalog *cat, const char *today, const struct refine *r,
                    const struct training_model *m, const struct training_config *c,
                    bool data_parallel_auto, struct training_choice *out)
{
    memset(out, 0, sizeof(*out));
    const int tp = c->tensor_parallel > 0 ? c->tensor_parallel : 1;
    const int stage = c->fsdp ? 3 : c->zero_stage;
    const bool grow = data_parallel_auto && stage >= 1;
    const int dp_fixed = data_parallel_auto ? 1 : c->data_parallel;
    const size_t n = catalog_count(cat);
    out->list = calloc(n > 0 ? n : 1, sizeof(*out->list));
    if (out->list == NULL)
        return -ENOMEM;

    {
        struct training_config k = *c;
        k.data_parallel = dp_fixed;
        training_estimate(m, &k, dp_fixed * tp, &out->asked);
    }

    /* One VM: the fewest ranks that fit, per size. */
    for (size_t i = 0; i < n; i++) {
        const struct catalog_sku *s = catalog_at(cat, i);
        if (catalog_sku_retired(s, today))
            continue;
        out->considered++;
        if (!pick_sku_allowed(r, s, NULL)) {
            out->filtered_out++;
            continue;
        }
        if (!training_gpu_supported(s, c, NULL)) {
            out->unsupported++;
            continue;
        }
        int hi = grow ? s->gpus_per_vm / tp : dp_fixed;
        for (int dp = dp_fixed; dp <= hi && dp * tp <= s->gpus_per_vm; dp++) {
            struct training_result res;
            if (try_layout(s, m, c, dp, &res, &out->host_short)) {
                keep(out, s, i, dp, tp, 1, &res, r);
                break;
            }
        }
    }

    /* Several nodes of an InfiniBand size, the fewest that fit, per size. */
    if (out->n == 0) {
        out->multi_node = true;
        for (size_t i = 0; i < n; i++) {
            const struct catalog_sku *s = catalog_at(cat, i);
            if (catalog_sku_retired(s, today) || !pick_sku_allowed(r, s, NULL) || !s->infiniband ||
                !training_gpu_supported(s, c, NULL))
                continue;
            for (int nodes = 2; nodes <= TRAINING_MAX_NODES; nodes++) {
                int world = nodes * s->gpus_per_vm, dp;
                if (grow) {
                    if (world % tp != 0)
                        continue;
                    dp = world / tp;
                } else {
                    if ((dp_fixed * tp + s->gpus_per_vm - 1) / s->gpus_per_vm != nodes)
                        continue;
                    dp = dp_fixed;
                }
                struct training_result res;
                if (try_layout(s, m, c, dp, &res, &out->host_short)) {
                    keep(out, s, i, dp, tp, nodes, &res, r);
                    break;
                }
            }
        }
    }
    /* Insertion sort: stable, and catalogs hold tens of sizes. */
    const enum refine_objective obj = r ? r->objective : OBJECTIVE_SEED;
    for (size_t i = 1; i < out->n; i++) {
        struct training_candidate t = out->list[i];
        size_t j = i;
        for (; j > 0 && rank_cmp(obj, &t, &out->list[j - 1]) < 0; j--)
            out->list[j] = out->list[j - 1];
        out->list[j] = t;
    }
    return 0;
}

void training_choice_free(struct training_choice *ch)
{
    if (ch == NULL)
        return;
    free(ch->list);
    ch->list = NULL;
    ch->n = 0;
}
