/* kv.c - KV-cache sizes per token and per sequence, the way vLLM's KV cache specs lay them out. */
#include "model/kv.h"

#include <math.h>

/*
 * DeepSeek-V3.2's indexer key cache per token per layer, whatever the KV dtype: an fp8 key of
 * index_head_dim plus one fp32 scale per 128 elements (vLLM deepseek_v2.py, Indexer:
 * DeepseekV32IndexerCache(head_dim = head_dim + head_dim // quant_block_size * 4, uint8),
 * quant_block_size 128): 132 bytes for V3.2's 128-wide key.
 */
static double indexer_bytes(const struct arch *a)
{
    if (a->index_heads <= 0)
        return 0;
    return (double)a->index_head_dim + (double)(a->index_head_dim / 128) * 4;
}

double kv_layer_bytes_per_token(const struct arch *a, double kv_bytes, int tp)
{
    if (tp < 1)
        tp = 1;
    switch (a->attention) {
    case ARCH_ATTN_MLA: /* one compressed latent plus the shared RoPE key, for all heads */
        return (double)(a->kv_lora_rank + a->qk_rope_head_dim) * kv_bytes + indexer_bytes(a);
    case ARCH_ATTN_GQA:
        break;
    }
    double heads = (double)a->kv_heads / tp;
    if (heads < 1)
        heads = 1;
    else
        heads = ceil(heads);
    double k = (double)a->head_dim;
    double v = a->v_head_dim > 0 ? (double)a->v_head_dim : k;
    return heads * (k + v) * kv_bytes;
}

double kv_bytes_per_token(const struct arch *a, double kv_bytes, int tp)
{
    if (a->kv_groups == 0) /* with cross-layer attention only the K/V-owning layers cache */
        return (double)arch_kv_layers(a) * kv_layer_bytes_per_token(a, kv_bytes, tp);
    /* nemotron-nas: each attention layer has its own K/V heads (vLLM builds one Attention per
     * layer with num_attention_heads // n_heads_in_group heads, split over TP like any GQA). */
    struct arch g = *a;
    double sum = 0;
    for (int i = 0; i < a->kv_groups; i++) {
        g.kv_heads = a->kv_group[i].kv_heads;
        sum += (double)a->kv_group[i].layers * kv_layer_bytes_per_token(&g, kv_bytes, tp);
    }
    return sum;
}

/* vllm.distributed.divide: the dims vLLM shards over TP ranks (they divide exactly). */
static double shard(int64_t n, int tp)
{
    return (double)(n / tp);
}

/*
 * MambaStateShapeCalculator.extra_groups_for_head_shards: groups are replicated so every rank
 * holds the groups its heads need.
 */
static int64_t extra_groups(int64_t groups, int tp)
{
    return groups % tp == 0 ? 0 : tp - groups;
}

double kv_state_layer_bytes(const struct arch *a, int tp)
{
    if (tp < 1)
        tp = 1;
    double km1 = (double)(a->ssm.conv_kernel - 1); /* conv state keeps kernel - 1 inputs */
    double cb = a->state_conv_bytes, sb = a->state_ssm_bytes;
    switch (a->state) {
    case ARCH_STATE_NONE:
        return 0;
    case ARCH_STATE_MAMBA1: /* mamba1_state_shape: (inner/tp, k-1) + (inner/tp, d_state) */
        return shard(a->ssm.inner, tp) * (km1 * cb + (double)a->ssm.d_state * sb);
    case ARCH_STATE_MAMBA2: { /* mamba2_state_shape */
        int64_t g = a->ssm.groups + extra_groups(a->ssm.groups, tp);
        int64_t conv = a->ssm.inner + 2 * g * a->ssm.d_state;
        return shard(conv, tp) * km1 * cb +
               shard(a->ssm.heads, tp) * (double)a->ssm.head_dim * (double)a->ssm.d_state * sb;
    }
    case ARCH_STATE_GDN: { /* gated_delta_net_state_shape */
        int64_t conv = 2 * a->ssm.k_heads * a->ssm.k_head_dim + a->ssm.heads * a->ssm.head_dim;
        return shard(conv, tp) * km1 * cb +
               shard(a->ssm.heads, tp) * (double)a->ssm.head_dim * (double)a->ssm.k_head_dim * sb;
    }
    case ARCH_STATE_LIGHTNING: /* linear_attention_state_shape: (heads / tp, head_dim, head_dim) */
        return shard(a->ssm.heads, tp) * (double)a->ssm.head_dim * (double)a->ssm.head_dim * sb;
    }
    return 0;
}

double kv_fixed_seq_bytes(const struct arch *a, double kv_bytes, int tp, int pp, double encoder_len)
{
    if (pp < 1)
        pp = 1;
    double share = ceil((double)a->layers / pp) / (double)a->layers;
    double state = (double)a->state_layers * kv_state_layer_bytes(a, tp);
    double cross = a->encoder_layers > 0
                       ? (double)a->layers * kv_layer_bytes_per_token(a, kv_bytes, tp) * encoder_len
                       : 0;
    return share * (state + cross);
}

double kv_seq_bytes(const struct arch *a, double kv_bytes, int tp, int pp, double ctx)
{
    if (pp < 1)
        pp = 1;
    double attn = (double)arch_kv_layers(a); /* cross-layer attention: the owning layers only */
    /* Per caching layer on average: the same as kv_layer_bytes_per_token unless the layers'
     * K/V heads differ (nemotron-nas, which has no windows). */
    double per = attn > 0 ? kv_bytes_per_token(a, kv_bytes, tp) / attn : 0;
    double windowed = (double)a->windowed_layers;
    double chunked = (double)a->chunked_layers;
    double full = attn - windowed - chunked;
    double wtok =
        a->sliding_window > 0 && ctx > (double)a->sliding_window ? (double)a->sliding_window : ctx;
    /* A chunked layer (llama4) attends within its chunk: at most attention_chunk tokens. */
    double ctok = a->attention_chunk > 0 && ctx > (double)a->attention_chunk
                      ? (double)a->attention_chunk
                      : ctx;
    /* Stages get ceil(layers / pp) layers at most; scale every kind alike. */
    double share = ceil((double)a->layers / pp) / (double)a->layers;
    return share * per * (full * ctx + windowed * wtok + chunked * ctok);
}

double kv_max_ctx(const struct arch *a, double kv_bytes, int tp, int pp, double budget, double cap)
{
    if (budget <= 0 || kv_seq_bytes(a, kv_bytes, tp, pp, 1) > budget)
        return 0;
    if (kv_seq_bytes(a, kv_bytes, tp, pp, cap) <= budget)
        return cap;
    double lo = 1, hi = cap; /* kv_seq_bytes is monotonic in ctx */
    while (hi - lo > 1) {
        double mid = floor((lo + hi) / 2);
        if (kv_seq_bytes(a, kv_bytes, tp, pp, mid) <= budget)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}
