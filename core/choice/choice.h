/* choice.h - the one VM chooser: filters, GPU capabilities, rank layouts, price and ranking. */
#ifndef VRAMFIT_CHOICE_H
#define VRAMFIT_CHOICE_H

#include <stdbool.h>
#include <stddef.h>

#include "azure/catalog.h"
#include "azure/prices.h"
#include "base/error.h"
#include "model/precision.h"

/* Most VMs a multi-node (InfiniBand) proposal may span: a bound on the search, not a platform
 * limit (our choice; ND-series clusters are quoted in tens of VMs). */
#define CHOICE_MAX_NODES 64

/* Longest vendor filter accepted (the /skus query buffer holds 63 characters and a NUL). */
#define CHOICE_MAX_VENDOR_LEN 63

/*
 * How the candidates are ranked, one rule for every caller (inference and training). GPUs are
 * counted as rented (gpus_per_vm x nodes), not as used: an 8-GPU VM costs 8 GPUs even when the
 * layout uses 2. "Price order" is: priced before unpriced, then lower price for all nodes.
 *   seed:        fewer nodes, then catalog order (the seed's rule, kept exactly);
 *   cheapest:    price order, then fewer nodes, then fewer rented GPUs, then catalog order;
 *   fewest_gpus: fewer rented GPUs, then price order, then fewer nodes, then catalog order.
 * Catalog order (vram_gb, gpus_per_vm, sku ascending) is a total order, so the ranking never
 * depends on the sort.
 */
enum choice_objective {
    CHOICE_OBJECTIVE_SEED = 0,
    CHOICE_OBJECTIVE_CHEAPEST,
    CHOICE_OBJECTIVE_FEWEST_GPUS,
};
#define CHOICE_OBJECTIVE_COUNT 3

/* The objectives' request names, indexed by enum choice_objective, NULL-terminated (decoders list
 * them in their errors). */
extern const char *const choice_objective_names[CHOICE_OBJECTIVE_COUNT + 1];

/* choice_objective_name - the request name of o (static storage). */
const char *choice_objective_name(enum choice_objective o);

/* Which sizes may be proposed. Strings are borrowed; NULL / 0 means no restriction. */
struct choice_filter {
    const char *vendor;      /* case-insensitive exact match on the catalog's vendor */
    bool exclude_partial;    /* drop vGPU slices */
    const char *const *skus; /* allow-list of n_skus size names (case-insensitive) */
    int n_skus;
    const char *region; /* offered there (catalog regions, live or snapshot prices) */
};

/* What the request asks of the choice besides memory. */
struct choice_prefs {
    struct choice_filter filter;
    enum choice_objective objective;
};

/*
 * choice_filter_check - the one validator of the region and vendor filters, for POST /estimate
 * and GET /skus. vendor (NULL = not given) must be NVIDIA or AMD, any case, at most
 * CHOICE_MAX_VENDOR_LEN characters; region (NULL = not given) must be an Azure region name
 * (catalog_valid_region after lowercasing, at most CATALOG_MAX_REGION_LEN). The vendor is checked
 * first. Errors: -EINVAL with a 400 in err whose code is `code` (each surface has its own:
 * "invalid_value" for body fields, "invalid_parameter" for query parameters) and whose field is
 * "vendor" or "region". Does not allocate.
 */
int choice_filter_check(const char *region, const char *vendor, const char *code,
                        struct error_info *err);

/*
 * choice_allowed - whether size s passes filter f (f NULL allows everything). *region_unknown (if
 * not NULL) tells whether a region refusal came from having no region data for s rather than s
 * not being offered there.
 */
bool choice_allowed(const struct choice_filter *f, const struct catalog_sku *s,
                    bool *region_unknown);

/* What the job needs of a GPU. */
struct choice_caps {
    bool whole_gpus;       /* no vGPU slices (collectives need NCCL peer access) */
    bool bf16;             /* bf16 compute */
    bool flash_attention;  /* FlashAttention kernels */
    bool vllm;             /* served by an engine (vLLM's GPU and format table decides) */
    enum precision format; /* with vllm: the weight format whose kernels the GPU must have */
};

/*
 * choice_gpu_supported - whether s has what caps asks: whole GPUs when whole_gpus; for an engine
 * need vllm_gpu_supported(gpu_model, caps->format) (CUDA compute capability 7.0+ or a ROCm target
 * vLLM builds for, then the format's kernels: bf16 8.0+, AWQ 7.5+, fp8 8.0+ or MI300...); otherwise
 * bf16 or flash attention need bf16 tensor cores (NVIDIA Ampere or newer, AMD MI300), recognised
 * from the catalog's gpu_model. *why (if not NULL) gets a reason (static).
 */
bool choice_gpu_supported(const struct catalog_sku *s, const struct choice_caps *caps,
                          const char **why);

/* What one layout of the job takes on one size (filled by the need's fit callback). */
struct choice_fit {
    int ranks;          /* GPUs used over all nodes (<= gpus x nodes) */
    bool gpu_fits;      /* the per-GPU requirement fits one GPU of the size */
    double host_bytes;  /* host RAM needed per node (0: nothing beyond what the VM has) */
    double headroom_gb; /* spare memory, in the caller's terms (reported, not ranked) */
};

/*
 * The job's memory as a function of its layout: gpus used on each of nodes VMs of s. Returns
 * false when that is not a layout the job can use (a tensor-parallel degree the heads do not
 * divide, a rank count its data-parallel rule does not allow); otherwise fills *out and returns
 * true. Must not keep pointers; called from one thread.
 */
typedef bool (*choice_fit_fn)(const void *ctx, const struct catalog_sku *s, int gpus, int nodes,
                              struct choice_fit *out);

/*
 * What choice_rank decides about each size apart from the job's memory: whether the filter and
 * the GPU capabilities admit it, and its price. One answer ranks the catalog several times (the
 * training answer and its suggestions) with the same filter and capabilities; sharing a memo
 * decides each size once per answer instead of once per ranking. A memo belongs to one catalog
 * and to the first filter and caps it is used with; choice_rank bypasses it for any other (the
 * answer is then the same, only not cheaper). Not thread-safe: one answer, one thread.
 */
struct choice_memo_row;
struct choice_memo {
    const struct catalog *cat;
    struct choice_memo_row *rows; /* catalog_count(cat) rows, malloc'd */
    size_t n;
    bool keyed; /* filter and caps below are set by the first choice_rank */
    struct choice_filter filter;
    struct choice_caps caps;
};

/* choice_memo_init - an empty memo for cat (borrowed; must outlive the memo). 0 or -ENOMEM. */
int choice_memo_init(struct choice_memo *m, const struct catalog *cat);

/* choice_memo_free - frees m's rows (m may be zeroed). */
void choice_memo_free(struct choice_memo *m);

/* A plain description of what to place. */
struct choice_need {
    choice_fit_fn fit;
    const void *ctx; /* passed to fit */
    struct choice_caps caps;
    struct choice_prefs prefs;
    struct choice_memo *memo; /* NULL: decide every size afresh */
    /* Try multi-node layouts of the sizes that do not fit one VM even when some size does, and
     * rank them together (a priced two-node layout can beat an unpriced or dearer single VM). */
    bool multi_node_beside;
};

/* One size that holds the job, with the first layout that fits it. */
struct choice_candidate {
    const struct catalog_sku *sku; /* borrowed from the catalog */
    int gpus;                      /* GPUs used per VM */
    int nodes;                     /* VMs */
    int ranks;                     /* GPUs used over all VMs */
    int rented;                    /* GPUs rented: gpus_per_vm x nodes */
    double price;                  /* USD/hour for all nodes; 0 when unknown */
    enum price_source price_source;
    double headroom_gb; /* from the fit callback */
    size_t order;       /* catalog position (the last tie-break) */
};

struct choice_result {
    struct choice_candidate *list; /* ranked; malloc'd, free with choice_result_free */
    size_t n;
    bool multi_node;       /* nothing fits one VM: the list holds multi-node proposals */
    size_t considered;     /* sizes not retired */
    size_t filtered_out;   /* removed by the filter */
    size_t region_unknown; /* of those, removed because nothing says whether s is in region */
    size_t unsupported;    /* refused by choice_gpu_supported */
    size_t unpriced;       /* candidates without a price */
    bool host_short;       /* some layout held the GPUs' share but not the host RAM */
};

/*
 * choice_rank - every size of cat (not retired on today, allowed by the filter, with the GPU
 * capabilities) that holds the need, ranked by the objective (see enum choice_objective). Per
 * size, the layouts are tried on one VM with 1..gpus_per_vm GPUs; the first that fits (GPU share
 * and host RAM <= memory_gib) is kept. When no size fits one VM (or, with multi_node_beside, for
 * every size that does not), InfiniBand sizes are tried on 2..CHOICE_MAX_NODES VMs (nodes
 * ascending, then GPUs per VM ascending), first fit kept. Price:
 * prices_lookup in the filter's region, times the nodes.
 * Returns 0 and fills *out (free with choice_result_free; borrowed sku pointers live as long as
 * the caller's reference to cat), or -ENOMEM.
 */
int choice_rank(const struct catalog *cat, const char *today, const struct choice_need *need,
                struct choice_result *out);

/* choice_result_free - frees r's list (r may be zeroed or NULL). */
void choice_result_free(struct choice_result *r);

#endif
