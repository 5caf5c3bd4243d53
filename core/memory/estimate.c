/* estimate.c - the seed's estimate(): a transcription that keeps its exact operation order. */
#include "memory/estimate.h"

#include <string.h>

void estimate_seed(const struct estimate_input *in, struct estimate_result *out)
{
    memset(out, 0, sizeof(*out));
    const double bytes = in->bytes;
    const bool is_moe = in->moe_active_ratio > 0;
    const double f_exp =
        is_moe ? (in->has_expert_fraction ? in->moe_expert_fraction : ESTIMATE_SEED_EXPERT_FRACTION)
               : 0.0;
    const double r_act = is_moe ? in->moe_active_ratio : 0.0;

    const double p_total = in->params_b;
    const double p_experts = p_total * f_exp;
    const double p_shared = p_total - p_experts;
    const double p_active = is_moe ? (p_shared + r_act * p_experts) : p_total;

    /* Written exactly as the seed does (multiply by 1e9 then divide) to keep its rounding. */
    const double w_active = (p_active * 1e9 * bytes) / 1e9;
    const double w_footprint = (p_total * 1e9 * bytes) / 1e9;
    const double kv = (2 * in->layers * in->ctx * in->hidden * bytes * in->batch) / 1e9;
    const double opt = in->training ? ESTIMATE_SEED_OPTIMIZER_FACTOR * w_footprint : 0;

    out->weights_gb = w_active;
    out->kv_gb = kv;
    out->optimizer_gb = opt;
    out->weights_active_gb = w_active;
    out->weights_footprint_gb = w_footprint;
    out->total_active_gb = ESTIMATE_SEED_HEADROOM * (w_active + kv + opt);
    out->total_footprint_gb = ESTIMATE_SEED_HEADROOM * (w_footprint + kv + opt);
    out->total_gb = out->total_footprint_gb;
    out->params_active_b = p_active;
    out->is_moe = is_moe;
    out->expert_fraction = f_exp;
}
