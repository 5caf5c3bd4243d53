/* training_choose.c - the training need: per-rank memory of a data-parallel/ZeRO layout, host RAM.
 */
#include "choice/training_choose.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool training_gpu_supported(const struct catalog_sku *s, const struct training_config *c,
                            const char **why)
{
    const struct choice_caps caps = {
        .whole_gpus = true,
        .bf16 = c->bf16,
        .flash_attention = c->flash_attention,
    };
    return choice_gpu_supported(s, &caps, why);
}

/*
 * Estimates already made for this ranking. training_estimate sees the layout only through the
 * data-parallel degree and the ranks per node, and the chooser asks for the same few pairs on
 * size after size (and once more for each candidate it lists), so a handful of rows serve them
 * all; past ESTIMATE_MEMO distinct pairs the rest are computed each time.
 */
#define ESTIMATE_MEMO 32
struct estimate_memo {
    size_t n;
    struct {
        int dp, per_node;
        struct training_result res;
    } row[ESTIMATE_MEMO];
};

/* The job and how its ranks may grow. */
struct job {
    const struct training_model *m;
    const struct training_config *c;
    int replica;  /* GPUs per data-parallel replica: tensor x pipeline x context parallel */
    int dp_fixed; /* data_parallel as asked (1 when automatic) */
    bool grow;    /* automatic data_parallel with ZeRO >= 1: more ranks, smaller shards */
    struct estimate_memo *memo;
};

/* The per-rank estimate for dp replicas (x replica GPUs) on nodes of s: ranks fill a VM before the
 * next. */
static void estimate(const struct job *j, const struct catalog_sku *s, int dp,
                     struct training_result *res)
{
    const int world = dp * j->replica;
    const int per_node = world < s->gpus_per_vm ? world : s->gpus_per_vm;
    struct estimate_memo *memo = j->memo;
    for (size_t i = 0; i < memo->n; i++) {
        if (memo->row[i].dp == dp && memo->row[i].per_node == per_node) {
            *res = memo->row[i].res;
            return;
        }
    }
    struct training_config k = *j->c;
    k.data_parallel = dp;
    training_estimate(j->m, &k, per_node, res);
    if (memo->n < ESTIMATE_MEMO) {
        memo->row[memo->n].dp = dp;
        memo->row[memo->n].per_node = per_node;
        memo->row[memo->n].res = *res;
        memo->n++;
    }
}

/*
 * The data-parallel degree of gpus per VM on nodes VMs, or 0 when the job does not use that
 * layout. One VM: dp x replica GPUs, dp from the asked count up to the VM (growing) or exactly as
 * asked. Several: every GPU of each VM when growing; as asked on the fewest VMs that hold it
 * otherwise.
 */
static int data_parallel(const struct job *j, const struct catalog_sku *s, int gpus, int nodes)
{
    if (nodes == 1) {
        int dp = gpus % j->replica == 0 ? gpus / j->replica : 0;
        return dp >= j->dp_fixed && (j->grow || dp == j->dp_fixed) ? dp : 0;
    }
    if (gpus != s->gpus_per_vm)
        return 0;
    if (j->grow)
        return (nodes * gpus) % j->replica == 0 ? nodes * gpus / j->replica : 0;
    return (j->dp_fixed * j->replica + gpus - 1) / gpus == nodes ? j->dp_fixed : 0;
}

static bool fit(const void *ctx, const struct catalog_sku *s, int gpus, int nodes,
                struct choice_fit *out)
{
    const struct job *j = ctx;
    int dp = data_parallel(j, s, gpus, nodes);
    if (dp == 0)
        return false;
    struct training_result res;
    estimate(j, s, dp, &res);
    out->ranks = dp * j->replica;
    /* The seed's comparison: the per-GPU total against the nameplate vram_gb in GB. */
    out->gpu_fits = res.total <= s->vram_gb * 1e9;
    out->host_bytes = res.host_per_node;
    out->headroom_gb = s->vram_gb - res.total / 1e9;
    return true;
}

int training_choose(const struct catalog *cat, const char *today, const struct choice_prefs *p,
                    struct choice_memo *memo, const struct training_model *m,
                    const struct training_config *c, bool data_parallel_auto,
                    struct training_choice *out)
{
    memset(out, 0, sizeof(*out));
    struct estimate_memo estimates;
    estimates.n = 0;
    const int stage = training_zero_stage(c);
    const struct job j = {
        .m = m,
        .c = c,
        .replica = training_model_parallel(c),
        .dp_fixed = data_parallel_auto ? 1 : c->data_parallel,
        .grow = data_parallel_auto && stage >= 1,
        .memo = &estimates,
    };
    struct choice_need need = {
        .fit = fit,
        .ctx = &j,
        .caps = {.whole_gpus = true, .bf16 = c->bf16, .flash_attention = c->flash_attention},
        .memo = memo,
    };
    if (p)
        need.prefs = *p;
    {
        struct training_config k = *c;
        k.data_parallel = j.dp_fixed;
        training_estimate(m, &k, j.dp_fixed * j.replica, &out->asked);
    }
    struct choice_result ch;
    int rc = choice_rank(cat, today, &need, &ch);
    if (rc < 0)
        return rc;
    out->list = calloc(ch.n ? ch.n : 1, sizeof(*out->list));
    if (out->list == NULL) {
        choice_result_free(&ch);
        return -ENOMEM;
    }
    for (size_t i = 0; i < ch.n; i++) {
        const struct choice_candidate *k = &ch.list[i];
        struct training_candidate *t = &out->list[i];
        t->sku = k->sku;
        t->gpus = k->ranks;
        t->nodes = k->nodes;
        t->data_parallel = k->ranks / j.replica;
        estimate(&j, k->sku, t->data_parallel, &t->res);
        t->price = k->price;
        t->price_source = k->price_source;
        t->order = k->order;
    }
    out->n = ch.n;
    out->multi_node = ch.multi_node;
    out->host_short = ch.host_short;
    out->considered = ch.considered;
    out->filtered_out = ch.filtered_out;
    out->unsupported = ch.unsupported;
    choice_result_free(&ch);
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
