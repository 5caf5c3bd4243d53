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
    return (double)a->layers * kv_layer_bytes_per_token(a, kv_bytes, tp);
}

double kv_seq_bytes(const struct arch *a, double kv_bytes, int tp, int pp, double ctx)
{
    if (pp < 1)
        pp = 1;
    double per = kv_layer_bytes_per_token(a, kv_bytes, tp);
    double windowed = (double)a->windowed_layers;
    double chunked = (double)a->chunked_layers;
    double full = (double)a->layers - windowed - chunked;
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
