/* layout.c - writes the chosen parallel layout, its KV capacity and the alternatives beside it. */
#include "api/layout.h"

#include <math.h>
#include <string.h>

#include "memory/shard.h"

double layout_imbalance(const struct pick_in *pin, const struct pick_candidate *c)
{
    if (!c->layout.ep)
        return 0;
    if (pin->layout.imbalance > 0)
        return pin->layout.imbalance;
    return c->layout.redundant > 0 ? SHARD_IMBALANCE_EPLB : SHARD_IMBALANCE_NO_EPLB;
}

static void key_int(struct jsonout *w, const char *k, long long v)
{
    jsonout_key(w, k);
    jsonout_integer(w, v);
}

static void key_num(struct jsonout *w, const char *k, double v)
{
    jsonout_key(w, k);
    jsonout_number(w, v);
}

static void key_whole(struct jsonout *w, const char *k, double v)
{
    jsonout_key(w, k);
    jsonout_whole(w, v);
}

/* The degrees of l. */
static void degrees(struct jsonout *w, const struct shard_layout *l)
{
    key_int(w, "tensor_parallel", l->tp);
    key_int(w, "pipeline_parallel", l->pp);
    key_int(w, "data_parallel", l->dp);
    jsonout_key(w, "expert_parallel");
    jsonout_bool(w, l->ep);
    key_int(w, "decode_context_parallel", l->dcp);
}

/* One alternative: degrees, the busiest GPU's weights and pool, the deployment's KV capacity. */
static void alternative(struct jsonout *w, const struct pick_candidate *c)
{
    jsonout_begin_object(w);
    degrees(w, &c->layout);
    key_num(w, "weights_gb", c->fit.weights / 1e9);
    key_num(w, "kv_pool_gb", c->fit.kv_pool / 1e9);
    key_whole(w, "kv_capacity_tokens", c->fit.kv_capacity);
    key_num(w, "max_concurrency", c->fit.max_concurrency);
    jsonout_key(w, "fits");
    jsonout_bool(w, c->fit.fits);
    jsonout_end_object(w);
}

static bool same(const struct shard_layout *a, const struct shard_layout *b)
{
    return a->tp == b->tp && a->pp == b->pp && a->dp == b->dp && a->ep == b->ep &&
           a->dcp == b->dcp && a->redundant == b->redundant;
}

/* The layouts the default search weighs on c's GPUs, plus TP + DCP for MLA; c's own first. */
static void alternatives(struct jsonout *w, const struct pick_in *pin,
                         const struct pick_candidate *c)
{
    struct pick_in open = *pin;
    memset(&open.layout, 0, sizeof(open.layout));
    open.layout.imbalance = pin->layout.imbalance;
    struct shard_layout ls[17];
    int n = pick_layouts(&open, c->sku, c->gpus, c->nodes, ls, 16);
    if (pin->arch->attention == ARCH_ATTN_MLA && c->layout.pp == 1 && c->gpus * c->nodes > 1) {
        int tp = c->gpus;
        ls[n++] = (struct shard_layout){tp, 1, c->gpus * c->nodes / tp, tp, false, 0};
    }
    jsonout_key(w, "alternatives");
    jsonout_begin_array(w);
    alternative(w, c);
    for (int i = 0; i < n; i++) {
        if (same(&ls[i], &c->layout))
            continue;
        struct pick_candidate k;
        pick_fit_layout(pin, c->sku, &ls[i], c->nodes, &k);
        alternative(w, &k);
    }
    jsonout_end_array(w);
}

/* Which fields of the layout the request fixed (the rest were the chooser's). */
static void fixed_by_request(struct jsonout *w, const struct pick_layout *q)
{
    jsonout_key(w, "fixed_by_request");
    jsonout_begin_array(w);
    if (q->tp)
        jsonout_string(w, "tensor_parallel");
    if (q->pp)
        jsonout_string(w, "pipeline_parallel");
    if (q->dp)
        jsonout_string(w, "data_parallel");
    if (q->ep != PICK_EP_ANY)
        jsonout_string(w, "expert_parallel");
    if (q->dcp)
        jsonout_string(w, "decode_context_parallel");
    if (q->redundant)
        jsonout_string(w, "num_redundant_experts");
    jsonout_end_array(w);
}

/* How one sequence's KV cache is laid out over the GPUs. */
static void kv_split(struct jsonout *w, const struct pick_in *pin, const struct pick_candidate *c)
{
    int htp, dcp;
    shard_kv_split(&c->layout, &htp, &dcp);
    const struct arch *a = pin->arch;
    double copies = 1; /* how many GPUs of a TP group hold the same KV bytes */
    switch (a->attention) {
    case ARCH_ATTN_MLA: /* vLLM gives MLA one KV head per GPU whatever the TP size */
        copies = htp;
        break;
    case ARCH_ATTN_GQA:
        copies = a->kv_heads > 0 && htp > a->kv_heads ? (double)htp / (double)a->kv_heads : 1;
        break;
    }
    jsonout_key(w, "kv_cache");
    jsonout_begin_object(w);
    key_int(w, "heads_split_over", htp);
    key_num(w, "replicas_per_tp_group", copies);
    key_int(w, "tokens_split_over", dcp);
    double dp = c->layout.dp;
    key_whole(w, "sequences_per_dp_rank", dp > 1 ? ceil(pin->batch / dp) : pin->batch);
    jsonout_end_object(w);
}

void layout_write(struct jsonout *w, const struct pick_in *pin, const struct pick_candidate *c)
{
    const struct shard_layout *l = &c->layout;
    jsonout_begin_object(w);
    degrees(w, l);
    key_int(w, "expert_parallel_size", shard_ep_size(l));
    key_int(w, "num_redundant_experts", l->redundant);
    key_int(w, "gpus", shard_world(l));
    key_int(w, "nodes", c->nodes);
    fixed_by_request(w, &pin->layout);
    if (arch_is_moe(pin->arch))
        key_num(w, "experts_per_gpu", c->shard.experts_per_rank);
    key_num(w, "weights_per_gpu_gb", c->fit.weights / 1e9);
    if (c->shard.params > 0) {
        key_num(w, "replicated_per_gpu_gb",
                pin->weight_bytes * c->shard.replicated / pin->params->total / 1e9);
        key_int(w, "stage_layers", c->shard.stage_layers);
    }
    kv_split(w, pin, c);
    key_whole(w, "kv_capacity_tokens", c->fit.kv_capacity);
    if (l->ep) {
        key_num(w, "router_imbalance", layout_imbalance(pin, c));
        jsonout_key(w, "router_imbalance_source");
        jsonout_string(w, pin->layout.imbalance > 0 ? "request"
                                                    : "NVIDIA/TensorRT-LLM "
                                                      "examples/wide_ep/ep_load_balancer/"
                                                      "README.md (DeepSeek-R1, EP32; max / mean "
                                                      "2.564 without EPLB, 1.115 with it)");
    }
    alternatives(w, pin, c);
    jsonout_end_object(w);
}
