/* choice.c - the one VM chooser: filter, capability, first layout that fits, price, one ranking.
 */
#include "choice/choice.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "memory/vllm.h"

const char *const choice_objective_names[CHOICE_OBJECTIVE_COUNT + 1] = {
    [CHOICE_OBJECTIVE_SEED] = "seed",
    [CHOICE_OBJECTIVE_CHEAPEST] = "cheapest",
    [CHOICE_OBJECTIVE_FEWEST_GPUS] = "fewest_gpus",
    [CHOICE_OBJECTIVE_COUNT] = NULL,
};

const char *choice_objective_name(enum choice_objective o)
{
    return choice_objective_names[o];
}

/* The vendors the catalog lists (config/azure-gpu-skus.json). */
static const char *const vendors[] = {"NVIDIA", "AMD", NULL};

int choice_filter_check(const char *region, const char *vendor, const char *code,
                        struct error_info *err)
{
    if (vendor) {
        if (strlen(vendor) > CHOICE_MAX_VENDOR_LEN)
            return error_set(err, 400, code, "vendor", "vendor \"%.40s...\" is too long", vendor);
        size_t i = 0;
        while (vendors[i] && strcasecmp(vendors[i], vendor) != 0)
            i++;
        if (vendors[i] == NULL)
            return error_set(err, 400, code, "vendor",
                             "vendor \"%.32s\" is not known; use NVIDIA or AMD", vendor);
    }
    if (region) {
        size_t len = strlen(region);
        if (len > CATALOG_MAX_REGION_LEN)
            return error_set(err, 400, code, "region", "region \"%.48s...\" is too long", region);
        char lower[CATALOG_MAX_REGION_LEN + 1];
        for (size_t c = 0; c <= len; c++)
            lower[c] = (char)tolower((unsigned char)region[c]);
        if (!catalog_valid_region(lower))
            return error_set(err, 400, code, "region",
                             "region \"%.48s\" is not an Azure region name (letters and digits, "
                             "e.g. eastus)",
                             region);
    }
    return 0;
}

bool choice_allowed(const struct choice_filter *f, const struct catalog_sku *s,
                    bool *region_unknown)
{
    if (region_unknown)
        *region_unknown = false;
    if (f == NULL)
        return true;
    if (f->vendor && (s->vendor == NULL || strcasecmp(f->vendor, s->vendor) != 0))
        return false;
    if (f->exclude_partial && s->partial)
        return false;
    if (f->n_skus > 0) {
        bool listed = false;
        for (int i = 0; i < f->n_skus && !listed; i++)
            listed = strcasecmp(f->skus[i], s->sku) == 0;
        if (!listed)
            return false;
    }
    if (f->region) {
        bool known;
        if (!prices_in_region(s, f->region, &known)) {
            if (region_unknown)
                *region_unknown = !known;
            return false;
        }
    }
    return true;
}

bool choice_gpu_supported(const struct catalog_sku *s, const struct choice_caps *caps,
                          const char **why)
{
    /* GPUs with bf16 tensor cores: NVIDIA Ampere (A10, A100), Hopper (H100, H200), Blackwell
     * (GB200, GB300, RTX PRO 6000) and AMD CDNA3 (MI300X), as the catalog names them ("A10 " with
     * its space: the name is a prefix of others). */
    static const char *const modern[] = {"A10 ",  "A100",  "H100",         "H200",
                                         "GB200", "GB300", "RTX PRO 6000", "MI300X"};
    const char *model = s->gpu_model ? s->gpu_model : "";
    const char *reason = NULL;
    if (caps->whole_gpus && (s->partial || s->gpu_fraction < 1)) {
        reason = "partial (vGPU) sizes cannot run collective training";
    } else if (caps->vllm) {
        /* vLLM's table knows which ROCm targets it builds for (and lets unknown GPUs through). */
        if (!vllm_gpu_supported(s->gpu_model, caps->format, &reason))
            reason = reason ? reason : "vLLM does not run on this GPU";
        else
            reason = NULL;
    } else if (caps->bf16 || caps->flash_attention) {
        reason = caps->bf16 ? "no bf16 tensor cores (pre-Ampere GPU)"
                            : "flash attention needs an Ampere or newer GPU";
        for (size_t i = 0; i < sizeof(modern) / sizeof(modern[0]) && reason; i++)
            if (strstr(model, modern[i]))
                reason = NULL;
    }
    if (reason && why)
        *why = reason;
    return reason == NULL;
}

/* Price order: priced before unpriced, then the lower price (0 when equal or both unpriced). */
static int price_cmp(const struct choice_candidate *a, const struct choice_candidate *b)
{
    bool pa = a->price_source != PRICE_NONE, pb = b->price_source != PRICE_NONE;
    if (pa != pb)
        return pa ? -1 : 1;
    if (pa && a->price != b->price)
        return a->price < b->price ? -1 : 1;
    return 0;
}

static int int_cmp(int a, int b)
{
    return a < b ? -1 : (a > b);
}

/* Negative when a ranks before b under o: the rule documented at enum choice_objective. */
static int rank_cmp(enum choice_objective o, const struct choice_candidate *a,
                    const struct choice_candidate *b)
{
    int c = 0;
    switch (o) {
    case CHOICE_OBJECTIVE_CHEAPEST:
        if ((c = price_cmp(a, b)) == 0 && (c = int_cmp(a->nodes, b->nodes)) == 0)
            c = int_cmp(a->rented, b->rented);
        break;
    case CHOICE_OBJECTIVE_FEWEST_GPUS:
        if ((c = int_cmp(a->rented, b->rented)) == 0 && (c = price_cmp(a, b)) == 0)
            c = int_cmp(a->nodes, b->nodes);
        break;
    case CHOICE_OBJECTIVE_SEED:
        c = int_cmp(a->nodes, b->nodes);
        break;
    }
    if (c != 0)
        return c;
    return a->order < b->order ? -1 : (a->order > b->order);
}

/* The first layout of s on nodes VMs that fits (GPUs ascending); false when none does. */
static bool first_fit(const struct choice_need *need, const struct catalog_sku *s, int nodes,
                      struct choice_candidate *c, bool *host_short)
{
    const double host_gib = 1073741824.0; /* memory_gib is in GiB */
    for (int gpus = 1; gpus <= s->gpus_per_vm; gpus++) {
        struct choice_fit f;
        memset(&f, 0, sizeof(f));
        if (!need->fit(need->ctx, s, gpus, nodes, &f) || !f.gpu_fits)
            continue;
        if (f.host_bytes > s->memory_gib * host_gib) {
            *host_short = true;
            continue;
        }
        memset(c, 0, sizeof(*c));
        c->sku = s;
        c->gpus = gpus;
        c->nodes = nodes;
        c->ranks = f.ranks;
        c->rented = s->gpus_per_vm * nodes;
        c->headroom_gb = f.headroom_gb;
        return true;
    }
    return false;
}

/* What the filter and the capabilities say about one size. */
enum verdict {
    VERDICT_UNKNOWN = 0, /* not decided yet (a zeroed memo row) */
    VERDICT_ELIGIBLE,
    VERDICT_FILTERED,
    VERDICT_FILTERED_REGION_UNKNOWN, /* filtered for want of region data */
    VERDICT_UNSUPPORTED,
};

struct choice_memo_row {
    enum verdict verdict;
    bool priced; /* source and usd are set */
    enum price_source source;
    double usd;
};

int choice_memo_init(struct choice_memo *m, const struct catalog *cat)
{
    memset(m, 0, sizeof(*m));
    size_t n = catalog_count(cat);
    m->rows = calloc(n ? n : 1, sizeof(*m->rows));
    if (m->rows == NULL)
        return -ENOMEM;
    m->cat = cat;
    m->n = n;
    return 0;
}

void choice_memo_free(struct choice_memo *m)
{
    if (m == NULL)
        return;
    free(m->rows);
    m->rows = NULL;
    m->n = 0;
}

static bool same_filter(const struct choice_filter *a, const struct choice_filter *b)
{
    return a->vendor == b->vendor && a->exclude_partial == b->exclude_partial &&
           a->skus == b->skus && a->n_skus == b->n_skus && a->region == b->region;
}

static bool same_caps(const struct choice_caps *a, const struct choice_caps *b)
{
    return a->whole_gpus == b->whole_gpus && a->bf16 == b->bf16 &&
           a->flash_attention == b->flash_attention && a->vllm == b->vllm && a->format == b->format;
}

/* The memo rows for this ranking, or NULL when there is no memo or it was keyed for another
 * catalog, filter or capabilities. */
static struct choice_memo_row *memo_rows(const struct catalog *cat, const struct choice_need *need)
{
    struct choice_memo *m = need->memo;
    if (m == NULL || m->cat != cat || m->n != catalog_count(cat))
        return NULL;
    if (!m->keyed) {
        m->keyed = true;
        m->filter = need->prefs.filter;
        m->caps = need->caps;
    }
    if (!same_filter(&m->filter, &need->prefs.filter) || !same_caps(&m->caps, &need->caps))
        return NULL;
    return m->rows;
}

static enum verdict decide(const struct choice_need *need, const struct catalog_sku *s)
{
    bool region_unknown;
    if (!choice_allowed(&need->prefs.filter, s, &region_unknown))
        return region_unknown ? VERDICT_FILTERED_REGION_UNKNOWN : VERDICT_FILTERED;
    if (!choice_gpu_supported(s, &need->caps, NULL))
        return VERDICT_UNSUPPORTED;
    return VERDICT_ELIGIBLE;
}

/* Whether s may be proposed at all; counts the refusals on the first pass only. row (may be
 * NULL) keeps the verdict for the next ranking of the same answer. */
static bool eligible(const struct choice_need *need, const struct catalog_sku *s,
                     struct choice_memo_row *row, bool count, struct choice_result *res)
{
    enum verdict v = row ? row->verdict : VERDICT_UNKNOWN;
    if (v == VERDICT_UNKNOWN)
        v = decide(need, s);
    if (row)
        row->verdict = v;
    switch (v) {
    case VERDICT_ELIGIBLE:
        return true;
    case VERDICT_FILTERED:
    case VERDICT_FILTERED_REGION_UNKNOWN:
        if (count) {
            res->filtered_out++;
            res->region_unknown += v == VERDICT_FILTERED_REGION_UNKNOWN;
        }
        return false;
    case VERDICT_UNSUPPORTED:
        res->unsupported += count;
        return false;
    case VERDICT_UNKNOWN:
        break;
    }
    return false;
}

/* The price of s for all nodes, looked up once per memo row. */
static void price(const struct choice_need *need, const struct catalog_sku *s,
                  struct choice_memo_row *row, struct choice_candidate *c)
{
    double usd = 0;
    enum price_source src;
    if (row && row->priced) {
        src = row->source;
        usd = row->usd;
    } else {
        src = prices_lookup(s, need->prefs.filter.region, &usd);
        if (row)
            *row = (struct choice_memo_row){row->verdict, true, src, usd};
    }
    c->price_source = src;
    c->price = src == PRICE_NONE ? 0 : usd * c->nodes;
}

/* Whether s already holds the need on one VM (its multi-node layouts would only cost more). */
static bool placed(const struct choice_result *res, const struct catalog_sku *s)
{
    for (size_t i = 0; i < res->n; i++)
        if (res->list[i].sku == s)
            return true;
    return false;
}

/* One pass over the catalog: one VM (multi false) or several InfiniBand VMs (multi true). */
static void pass(const struct catalog *cat, const char *today, const struct choice_need *need,
                 bool multi, struct choice_result *res)
{
    size_t n = catalog_count(cat);
    struct choice_memo_row *rows = memo_rows(cat, need);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_sku *s = catalog_at(cat, i);
        if (catalog_sku_retired(s, today))
            continue;
        res->considered += !multi;
        struct choice_memo_row *row = rows ? &rows[i] : NULL;
        if (!eligible(need, s, row, !multi, res) || (multi && !s->infiniband) ||
            (multi && placed(res, s)))
            continue;
        struct choice_candidate c;
        bool found = false;
        for (int nodes = multi ? 2 : 1; nodes <= (multi ? CHOICE_MAX_NODES : 1) && !found; nodes++)
            found = first_fit(need, s, nodes, &c, &res->host_short);
        if (!found)
            continue;
        c.order = i;
        price(need, s, row, &c);
        res->unpriced += c.price_source == PRICE_NONE;
        res->list[res->n++] = c;
    }
}

int choice_rank(const struct catalog *cat, const char *today, const struct choice_need *need,
                struct choice_result *out)
{
    struct choice_result res;
    memset(&res, 0, sizeof(res));
    size_t n = catalog_count(cat);
    res.list = calloc(n ? n : 1, sizeof(*res.list));
    if (res.list == NULL)
        return -ENOMEM;
    pass(cat, today, need, false, &res);
    if (res.n == 0) {
        pass(cat, today, need, true, &res);
        res.multi_node = res.n > 0;
    } else if (need->multi_node_beside) {
        pass(cat, today, need, true, &res);
    }
    /* qsort has no context argument (and qsort_r is not C17); the list holds one entry per size,
     * so a stable insertion sort with the objective passed explicitly does. */
    for (size_t i = 1; i < res.n; i++) {
        struct choice_candidate key = res.list[i];
        size_t j = i;
        for (; j > 0 && rank_cmp(need->prefs.objective, &key, &res.list[j - 1]) < 0; j--)
            res.list[j] = res.list[j - 1];
        res.list[j] = key;
    }
    *out = res;
    return 0;
}

void choice_result_free(struct choice_result *r)
{
    if (r == NULL)
        return;
    free(r->list);
    r->list = NULL;
    r->n = 0;
}
