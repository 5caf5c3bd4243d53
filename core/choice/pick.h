/* pick.h - VM choice for inference: the job's memory per layout, handed to the one chooser. */
#ifndef VRAMFIT_PICK_H
#define VRAMFIT_PICK_H

#include <stdbool.h>
#include <stddef.h>

#include "model/arch.h"
#include "azure/catalog.h"
#include "azure/prices.h"
#include "choice/choice.h"
#include "memory/engine.h"
#include "memory/shard.h"
#include "memory/offload.h"
#include "memory/vllm.h"
#include "model/params.h"

/*
 * The layout the request fixed (each 0 / PICK_EP_ANY = the chooser's to pick). Defaults of the
 * search: tensor parallel inside one VM (a power of two vllm_tp_valid allows), pipeline stages
 * across VMs, and, for MoE models only when that TP/PP layout does not fit the GPUs, expert
 * parallel + data parallel layouts (EP = DP x TP) on the same GPUs.
 */
enum pick_ep { PICK_EP_ANY = 0, PICK_EP_OFF, PICK_EP_ON };
struct pick_layout {
    int tp, pp, dp, dcp;
    enum pick_ep ep;
    int redundant;    /* EPLB redundant experts (with ep) */
    double imbalance; /* router max / mean load on the busiest EP rank (> 0) */
    double tokens;    /* tokens per step of the profiling run (the MoE workspace it held) */
};

struct pick_in {
    const struct catalog *cat;
    const char *today;
    struct choice_prefs prefs; /* objective and filters */
    double total_gb;           /* ENGINE_NONE: the memory to spread over whole GPUs (seed rule) */
    enum engine engine;        /* otherwise the per-GPU fit the way that engine allocates */
    double util;               /* gpu_memory_utilization (SGLang: mem_fraction_static) */
    bool util_given;           /* SGLang: util overrides its default mem_fraction_static */
    /* engine: */
    const struct arch *arch;
    double weight_bytes;
    double kv_bytes;
    double ctx, batch;
    double encoder_len;    /* encoder-decoder: cross-attention K/V length per sequence */
    enum precision format; /* weight format: the GPU needs vLLM kernels for it (every objective) */
    const struct params
        *params;               /* counted parameters: exact sharding (NULL: weights / (tp x pp)) */
    struct pick_layout layout; /* what the request fixed */
    const struct vllm_knobs *knobs; /* vLLM's version and scheduler knobs; NULL: the defaults */
    /* Experts in host RAM (ENGINE_NONE only); NULL for none. offload->mode OFFLOAD_AUTO: a size
     * that holds total_gb on its GPUs keeps the all-GPU layout, any other one is tried with
     * every MoE layer's experts in host RAM (cpu_experts). gpus in it is set per layout. */
    const struct offload_in *offload;
};

struct pick_candidate {
    const struct catalog_sku *sku; /* borrowed from the catalog */
    int gpus;                      /* GPUs used per VM */
    int tp;                        /* tensor-parallel degree (== layout.tp) */
    struct shard_layout layout;    /* engine: the layout (tp, pp = nodes or 1, dp, ep, dcp) */
    struct shard_weights shard;    /* engine with counted parameters: the busiest GPU's share */
    int rented;                    /* GPUs rented: gpus_per_vm x nodes */
    int nodes;                     /* VMs (pipeline stages over InfiniBand when > 1) */
    double price;                  /* USD/hour for all nodes; 0 when unknown */
    enum price_source price_source;
    double headroom_gb; /* engine: KV pool left per GPU after batch x ctx; else spare VRAM */
    bool has_fit;
    struct vllm_fit fit;
    double usable_gib;
    bool usable_measured;
    const char *usable_source;
    size_t order;            /* position in catalog order (stable tie-break) */
    bool offloaded;          /* experts in host RAM: off holds the layout */
    struct offload_plan off; /* when offloaded */
};

struct pick_result {
    struct pick_candidate *list; /* ranked by the objective; malloc'd, free with pick_free */
    size_t n;
    bool multi_node;       /* nothing fits one VM: the list holds multi-node proposals */
    size_t filtered_out;   /* sizes removed by vendor/partial/skus/region filters */
    size_t region_unknown; /* sizes removed because nothing says whether they are in region */
    size_t unpriced;       /* fitting candidates without a price */
    size_t unsupported;    /* sizes the engine cannot run on (GPU generation / dtype) */
    size_t considered;     /* sizes not retired */
};

/*
 * pick_run - every fitting VM (or, when none fits, multi-node InfiniBand proposals) ranked by
 * in->prefs.objective, through choice_rank. Layouts: with the engine, tensor-parallel degrees
 * (powers of two vllm_tp_valid allows) on one VM, else the largest valid degree on 2..layers VMs
 * (pipeline stages); without it, ceil(total_gb / vram_gb) whole GPUs on one VM, else every GPU of
 * ceil(total_gb / VM VRAM) VMs. Multi-node needs an InfiniBand size with 2+ GPUs. With the engine
 * every size's GPU must have vLLM kernels for in->format (vllm_gpu_supported), with or without an
 * engine: this is the refined path, where the answer is a deployment. Returns 0 and fills *out
 * (free with pick_free), or -ENOMEM.
 */
int pick_run(const struct pick_in *in, struct pick_result *out);

/*
 * pick_fit_sku - the engine fit of one size at tensor-parallel tp and pp nodes (solve and
 * calibration use this). Fills *c. No errors.
 */
void pick_fit_sku(const struct pick_in *in, const struct catalog_sku *s, int tp, int pp,
                  struct pick_candidate *c);

/*
 * pick_fit_layout - the engine fit of one size under layout l spread over nodes VMs (l's GPUs
 * divided evenly between them). Fills *c. No errors.
 */
void pick_fit_layout(const struct pick_in *in, const struct catalog_sku *s,
                     const struct shard_layout *l, int nodes, struct pick_candidate *c);

/*
 * pick_layouts - the layouts the chooser weighs for gpus GPUs on each of nodes VMs of s, in the
 * order they are preferred (today's TP/PP layout first), filtered by in->layout. At most cap are
 * written to out; returns how many.
 */
int pick_layouts(const struct pick_in *in, const struct catalog_sku *s, int gpus, int nodes,
                 struct shard_layout *out, int cap);

/* pick_max_tp - the largest valid tensor-parallel degree <= gpus (>= 1). */
int pick_max_tp(const struct arch *a, int gpus);

/*
 * pick_offload_layout - whether size s with gpus GPUs (one VM) takes an offloaded layout of
 * in->offload, and that layout's plan in *out. False when in->offload is NULL, for "auto" on a
 * size whose GPUs hold total_gb, or when the plan cannot be made. No errors.
 */
bool pick_offload_layout(const struct pick_in *in, const struct catalog_sku *s, int gpus,
                         struct offload_plan *out);

/* pick_free - frees r's list. */
void pick_free(struct pick_result *r);

#endif
