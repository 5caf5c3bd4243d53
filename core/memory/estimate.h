/* estimate.h - the seed's memory model: weights (active and footprint), KV cache, optimizer, 1.2x.
 */
#ifndef VRAMFIT_ESTIMATE_H
#define VRAMFIT_ESTIMATE_H

#include <stdbool.h>

/* The seed's EstimateInput. Units: params in billions, GB = 1e9 bytes. */
struct estimate_input {
    double params_b;          /* total parameters, billions (> 0) */
    double layers;            /* transformer layers */
    double hidden;            /* hidden size */
    double ctx;               /* context length, tokens */
    double batch;             /* concurrent sequences */
    double bytes;             /* bytes per parameter (precision_bytes) */
    bool training;            /* adds the seed's optimizer term, 2.5 x footprint weights */
    double moe_active_ratio;  /* <= 0 means dense */
    bool has_expert_fraction; /* moe_expert_fraction given; else 0.90 for MoE */
    double moe_expert_fraction;
};

/* The seed's estimate() output, plus the active parameter count it computes on the way. */
struct estimate_result {
    double weights_gb; /* active weights (total for dense) */
    double kv_gb;
    double optimizer_gb;
    double total_gb; /* what VM sizing uses: total_footprint_gb */
    double weights_active_gb;
    double weights_footprint_gb;
    double total_active_gb;
    double total_footprint_gb;
    double params_active_b;
    bool is_moe;
    double expert_fraction; /* the f_exp actually used (0 for dense) */
};

/* The seed's 1.2x headroom for fragmentation, buffers and kernels. */
#define ESTIMATE_SEED_HEADROOM 1.2
/* The seed's optimizer-state multiplier on footprint weights when training. */
#define ESTIMATE_SEED_OPTIMIZER_FACTOR 2.5
/* The seed's default share of parameters that live in experts when only the ratio is given. */
#define ESTIMATE_SEED_EXPERT_FRACTION 0.90

/*
 * estimate_seed - computes the seed's numbers with the seed's operation order, so results match
 * its TypeScript bit for bit where IEEE-754 allows. Inputs must already be validated. No errors.
 */
void estimate_seed(const struct estimate_input *in, struct estimate_result *out);

#endif
