/* offload.c - MoE experts in host RAM: the GPU's share, the host's share, bytes per token. */
#include "memory/offload.h"

#include <errno.h>

const char *const offload_mode_names[OFFLOAD_MODE_COUNT + 1] = {
    [OFFLOAD_NONE] = "none",           [OFFLOAD_CPU_EXPERTS] = "cpu_experts",
    [OFFLOAD_ON_DEMAND] = "on_demand", [OFFLOAD_AUTO] = "auto",
    [OFFLOAD_MODE_COUNT] = NULL,
};

const char *offload_mode_name(enum offload_mode m)
{
    switch (m) {
    case OFFLOAD_NONE:
    case OFFLOAD_CPU_EXPERTS:
    case OFFLOAD_ON_DEMAND:
    case OFFLOAD_AUTO:
        return offload_mode_names[m];
    }
    return "?";
}

/* The layers with routed experts, decoder and encoder (Switch Transformers has both). */
static int64_t moe_layers(const struct arch *a)
{
    return arch_moe_layers(a) + a->encoder_moe_layers;
}

/* Where the experts go: how many layers live in host RAM, and how many experts stay resident. */
static int place(const struct offload_in *in, struct offload_plan *o, struct error_info *err)
{
    switch (in->mode) {
    case OFFLOAD_CPU_EXPERTS:
        if (in->cpu_layers > o->moe_layers)
            return error_set(err, 422, "invalid_value", "offload_layers",
                             "offload_layers %lld is more than the model's %lld MoE layers",
                             (long long)in->cpu_layers, (long long)o->moe_layers);
        o->host_layers = in->cpu_layers > 0 ? in->cpu_layers : o->moe_layers;
        o->resident = 0;
        return 0;
    case OFFLOAD_ON_DEMAND:
        if (in->resident < 1 || in->resident >= o->experts)
            return error_set(err, 422, "invalid_value", "resident_experts_per_layer",
                             "resident_experts_per_layer must be 1..%lld (the model has %lld "
                             "routed experts per layer)",
                             (long long)(o->experts - 1), (long long)o->experts);
        o->host_layers = o->moe_layers;
        o->resident = in->resident;
        return 0;
    case OFFLOAD_NONE:
    case OFFLOAD_AUTO:
        break;
    }
    return error_set(err, 422, "invalid_value", "offload",
                     "offload needs a layout: cpu_experts or on_demand");
}

/* Bytes one generated token reads from host memory (cpu_experts) or moves over PCIe. */
static void traffic(const struct offload_in *in, struct offload_plan *o)
{
    double per_layer = (double)o->top_k * o->expert_bytes;
    if (in->mode == OFFLOAD_CPU_EXPERTS) {
        o->bytes_per_token = per_layer * (double)o->host_layers;
        return;
    }
    o->hit_rate_defaulted = in->hit_rate < 0;
    /* Default: the hit rate of a fixed resident set under uniform routing (k of E). */
    o->hit_rate = o->hit_rate_defaulted ? (double)o->resident / (double)o->experts : in->hit_rate;
    o->bytes_per_token = (1 - o->hit_rate) * per_layer * (double)o->moe_layers;
}

int offload_plan(const struct offload_in *in, struct offload_plan *out, struct error_info *err)
{
    const struct arch *a = in->arch;
    const struct params *p = in->params;
    struct offload_plan o = {0};
    if (!arch_is_moe(a) || p->routed_experts <= 0)
        return error_set(err, 422, "invalid_field", "offload",
                         "offload moves routed experts to host RAM; this model is dense");
    o.moe_layers = moe_layers(a);
    o.experts = a->n_routed_experts;
    o.top_k = a->experts_per_token > 0 ? a->experts_per_token : 1;
    if (o.moe_layers <= 0)
        return error_set(err, 422, "invalid_field", "offload", "the model has no MoE layer");
    int rc = place(in, &o, err);
    if (rc < 0)
        return rc;
    double eb = in->expert_bits / 8, ob = in->other_bits / 8;
    o.expert_bytes = p->routed_experts * eb / (double)(o.moe_layers * o.experts);
    double layer_experts = o.expert_bytes * (double)o.experts;
    if (in->mode == OFFLOAD_CPU_EXPERTS) {
        o.host_experts = layer_experts * (double)o.host_layers;
        o.gpu_experts = layer_experts * (double)(o.moe_layers - o.host_layers);
    } else {
        o.gpu_experts = o.expert_bytes * (double)(o.resident * o.moe_layers);
        o.host_experts = o.expert_bytes * (double)((o.experts - o.resident) * o.moe_layers);
        o.transfer_buffer = 2.0 * (double)o.top_k * o.expert_bytes;
        o.host_pinned = o.transfer_buffer;
    }
    o.gpu_weights = (p->total - p->routed_experts) * ob + o.gpu_experts;
    o.kv = in->kv_bytes;
    o.compute_buffer = (double)OFFLOAD_UBATCH * (double)a->vocab * 4.0;
    o.gpu_total = o.gpu_weights + o.kv + o.compute_buffer + o.transfer_buffer;
    o.gpu_per_gpu = o.gpu_total / (in->gpus > 0 ? in->gpus : 1);
    o.host_reserve = OFFLOAD_HOST_RESERVE_GIB * 1073741824.0;
    o.host_total = o.host_experts + o.host_pinned + o.host_reserve;
    traffic(in, &o);
    *out = o;
    return 0;
}

double offload_tokens_bound(const struct offload_plan *p, double bandwidth_gbs)
{
    if (bandwidth_gbs <= 0 || p->bytes_per_token <= 0)
        return 0;
    return bandwidth_gbs * 1e9 / p->bytes_per_token;
}
