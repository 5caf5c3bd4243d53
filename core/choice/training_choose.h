/* training_choose.h - picks the VM, GPU count and nodes for a training job over a catalog. */
#ifndef VRAMFIT_TRAINING_CHOOSE_H
#define VRAMFIT_TRAINING_CHOOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "azure/catalog.h"
#include "azure/prices.h"
#include "choice/choice.h"
#include "memory/training.h"

/* Most nodes a multi-node (InfiniBand) proposal may use. */
#define TRAINING_MAX_NODES CHOICE_MAX_NODES

/*
 * training_gpu_supported - whether a size can run the job: whole GPUs only (vGPU slices have no
 * NCCL peer access), and bf16 compute or flash attention need bf16 tensor cores (NVIDIA Ampere or
 * newer, AMD MI300). Recognised from the catalog's gpu_model (choice_gpu_supported with the
 * training's caps). why (if not NULL) gets a reason.
 */
bool training_gpu_supported(const struct catalog_sku *s, const struct training_config *c,
                            const char **why);

/* One size that holds the job, with the fewest ranks (or nodes) it needs. */
struct training_candidate {
    const struct catalog_sku *sku; /* borrowed from the catalog */
    int gpus; /* ranks = data_parallel x tensor x pipeline x context parallel */
    int nodes;
    int data_parallel;
    struct training_result res;
    double price; /* USD/hour for all nodes; 0 when unknown */
    enum price_source price_source;
    size_t order; /* catalog position (stable tie-break) */
};

struct training_choice {
    struct training_candidate *list; /* ranked by the objective; malloc'd (training_choice_free) */
    size_t n;
    bool multi_node;              /* nothing fits one VM: the list holds multi-node proposals */
    struct training_result asked; /* the layout as asked (automatic ranks: one rank group) */
    bool host_short;              /* some size held the GPUs' share but not the host RAM */
    size_t considered;            /* sizes not retired */
    size_t filtered_out;          /* removed by vendor/partial/skus/region filters */
    size_t unsupported;           /* skipped by training_gpu_supported */
};

/*
 * training_choose - every size that holds the job, ranked by p->objective through choice_rank (p
 * may be NULL: seed order, no filters). A size holds the job when the per-GPU total fits its GPUs
 * (total <= vram_gb x 1e9, the seed's comparison) and its host RAM (memory_gib) holds any offloaded
 * states. With data_parallel_auto and a ZeRO stage >= 1 the ranks grow from one rank group up to
 * the VM's GPUs (smaller shards); otherwise data_parallel is as given (and may span nodes). When no
 * single VM holds it, the fewest nodes of each InfiniBand size (up to TRAINING_MAX_NODES) are
 * listed. Ties follow the one rule of enum choice_objective (gpus here = ranks over all nodes).
 * Retired sizes are skipped. memo (may be NULL; see struct choice_memo) is shared by the calls of
 * one answer so that each size's eligibility and price are decided once.
 * Returns 0 and fills *out (free with training_choice_free), or -ENOMEM.
 */
int training_choose(const struct catalog *cat, const char *today, const struct choice_prefs *p,
                    struct choice_memo *memo, const struct training_model *m,
                    const struct training_config *c, bool data_parallel_auto,
                    struct training_choice *out);

/* training_choice_free - frees ch's list (ch may be zeroed or NULL). */
void training_choice_free(struct training_choice *ch);

#endif
