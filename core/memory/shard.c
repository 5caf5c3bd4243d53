/* shard.c - the parameters and KV cache one GPU holds under a parallel layout, by vLLM's rules. */
#include "memory/shard.h"

#include <math.h>
#include <string.h>

static int deg(int d)
{
    return d < 1 ? 1 : d;
}

int shard_ep_size(const struct shard_layout *l)
{
    return l->ep ? deg(l->dp) * deg(l->tp) : 1;
}

int shard_world(const struct shard_layout *l)
{
    return deg(l->tp) * deg(l->pp) * deg(l->dp);
}

/*
 * Parameters of one attention layer that a TP rank does not hold a 1/tp slice of, and the degree
 * it divides them by instead. MLA (vLLM deepseek_v2.py DeepseekV2MLAAttention): q_a_proj,
 * kv_a_proj_with_mqa and their RMSNorms are ReplicatedLinear, so every rank holds them whole, and
 * so are the V3.2 indexer's projections. GQA (vLLM linear.py QKVParallelLinear): when tp exceeds
 * the K/V heads each rank holds one whole K/V head (num_kv_head_replicas = tp / kv_heads), so the
 * K/V projections divide by kv_heads, not tp.
 */
static double attn_unsplit(const struct arch *a, int tp, double *divisor)
{
    double h = (double)a->hidden;
    switch (a->attention) {
    case ARCH_ATTN_MLA: {
        *divisor = 1;
        double r = h * (double)(a->kv_lora_rank + a->qk_rope_head_dim) + (double)a->kv_lora_rank;
        if (a->q_lora_rank > 0)
            r += h * (double)a->q_lora_rank + (double)a->q_lora_rank;
        if (a->index_heads > 0) {
            double ih = (double)a->index_heads, id = (double)a->index_head_dim;
            r += (double)a->q_lora_rank * ih * id + h * id + 2 * id + h * ih;
        }
        return r;
    }
    case ARCH_ATTN_GQA:
        break;
    }
    if (a->kv_heads <= 0 || tp <= a->kv_heads) {
        *divisor = tp;
        return 0;
    }
    *divisor = (double)a->kv_heads;
    double kv = (double)a->kv_heads, hd = (double)a->head_dim;
    double vd = a->v_head_dim > 0 ? (double)a->v_head_dim : hd;
    double p = h * kv * (hd + vd);
    if (a->qkv_bias)
        p += kv * (hd + vd);
    return p;
}

/* vllm/distributed/utils.py get_pp_indices: layers // pp each, the remainder one each to the
 * stages before the last (partitions[-2], [-3], ...). First layer of stage s into *start. */
static int stage_layers(int64_t layers, int pp, int s, int64_t *start)
{
    int64_t base = layers / pp, rem = layers % pp;
    int64_t at = 0;
    for (int i = 0; i <= s; i++) {
        /* partitions[-k] for k in 2..rem+1 are i = pp-2 down to pp-1-rem */
        int64_t n = base + (i >= pp - 1 - rem && i <= pp - 2 ? 1 : 0);
        if (i == s) {
            *start = at;
            return (int)n;
        }
        at += n;
    }
    return 0;
}

/* MoE layers among [start, start + n). */
static double stage_moe_layers(const struct arch *a, int64_t start, int n)
{
    if (!arch_is_moe(a))
        return 0;
    if (a->moe_by_pattern) /* a pattern places them: spread evenly */
        return (double)a->moe_pattern_layers * n / (double)a->layers;
    double m = 0;
    for (int64_t i = start; i < start + n; i++)
        m += arch_layer_is_moe(a, i);
    return m;
}

/* Routed experts per MoE layer on the first (busiest) EP rank, or the slice of each without EP. */
static double experts_on_rank(const struct arch *a, const struct shard_layout *l)
{
    double e = (double)a->n_routed_experts;
    if (!l->ep)
        return e / deg(l->tp);
    double ep = shard_ep_size(l);
    return ceil((e + (l->redundant > 0 ? l->redundant : 0)) / ep);
}

/* The parameters of stage s on one GPU; *repl gets those every TP rank holds whole. */
static double stage_params(const struct arch *a, const struct params *p,
                           const struct shard_layout *l, int s, int *nl, double *repl)
{
    int tp = deg(l->tp), pp = deg(l->pp);
    int64_t start = 0;
    int n = stage_layers(a->layers, pp, s, &start);
    double share = (double)n / (double)a->layers;
    double moe = stage_moe_layers(a, start, n);
    double all_moe = stage_moe_layers(a, 0, (int)a->layers);
    double dense_total = (double)arch_mlp_layers(a) - all_moe;
    double dense = (double)n * arch_mlp_layers(a) / (double)a->layers - moe;

    double div = tp;
    double attn_layers = (double)arch_attn_layers(a);
    double unsplit = attn_layers > 0 ? attn_unsplit(a, tp, &div) : 0;
    double attn_per_layer = attn_layers > 0 ? p->attention / attn_layers : 0;
    double stage_attn = attn_layers * share;
    double attn = stage_attn * ((attn_per_layer - unsplit) / tp + unsplit / div);
    double r = stage_attn * (div == 1 ? unsplit : 0) + p->norms * share;

    double w = attn + (p->state_mixers + p->cross_attention) * share / tp + p->norms * share;
    if (dense_total > 0 && dense > 0)
        w += p->dense_mlp / dense_total * dense / tp;
    if (all_moe > 0 && moe > 0) {
        double e = (double)a->n_routed_experts;
        double per_expert = p->routed_experts / all_moe / e;
        w += moe * (per_expert * (l->ep ? experts_on_rank(a, l) : e / tp) +
                    p->shared_experts / all_moe / tp + p->routers / all_moe);
        r += p->routers / all_moe * moe;
    }
    if (s == 0) /* VocabParallelEmbedding and the vision tower: first stage, split by TP */
        w += (p->embedding + p->positions + p->vision) / tp;
    if (s == pp - 1) {
        /* ParallelLMHead on the last stage; tied to the embedding only when that is on it. */
        w += p->lm_head / tp;
        if (a->tied_embeddings && pp > 1)
            w += p->embedding / tp;
    }
    *nl = n;
    *repl = r;
    return w;
}

void shard_weights(const struct arch *a, const struct params *p, const struct shard_layout *l,
                   struct shard_weights *out)
{
    struct shard_weights best;
    memset(&best, 0, sizeof(best));
    int pp = deg(l->pp);
    if (pp > a->layers && a->layers > 0)
        pp = (int)a->layers;
    struct shard_layout lay = *l;
    lay.pp = pp;
    for (int s = 0; s < pp && a->layers > 0; s++) {
        int n;
        double repl;
        double w = stage_params(a, p, &lay, s, &n, &repl);
        if (s == 0 || w > best.params) {
            best.params = w;
            best.replicated = repl;
            best.stage = s;
            best.stage_layers = n;
        }
    }
    best.fraction = p->total > 0 ? best.params / p->total : 0;
    /* whole experts with EP; without it every expert, each sliced TP ways */
    best.experts_per_rank = !arch_is_moe(a) ? 0
                            : l->ep         ? experts_on_rank(a, l)
                                            : (double)a->n_routed_experts;
    *out = best;
}

void shard_kv_split(const struct shard_layout *l, int *heads_tp, int *tokens)
{
    int tp = deg(l->tp), dcp = deg(l->dcp);
    if (dcp > tp || tp % dcp != 0)
        dcp = 1; /* shard_check refuses it; never divide by a degree vLLM would not run */
    *heads_tp = tp / dcp;
    *tokens = dcp;
}

double shard_moe_imbalance_bytes(const struct arch *a, const struct shard_layout *l,
                                 double imbalance, double tokens, double act_bytes)
{
    if (!l->ep || !arch_is_moe(a) || imbalance <= 0)
        return 0;
    double n = (double)a->moe_intermediate, h = (double)a->hidden;
    double per_pair = (3 * n + h) * act_bytes;
    double profiled = tokens * (double)a->experts_per_token;
    double busiest = imbalance * profiled / deg(l->tp);
    return busiest > profiled ? (busiest - profiled) * per_pair : 0;
}

int shard_check(const struct arch *a, const struct shard_layout *l, struct error_info *err)
{
    int tp = deg(l->tp), pp = deg(l->pp), dp = deg(l->dp), dcp = deg(l->dcp);
    if (a->heads > 0 && a->heads % tp != 0)
        return error_set(err, 422, "invalid_layout", "tensor_parallel",
                         "Total number of attention heads (%lld) must be divisible by tensor "
                         "parallel size (%d).",
                         (long long)a->heads, tp);
    if (arch_kv_per_head(a->attention) && a->kv_heads > 0 && a->kv_heads % tp != 0 &&
        tp % a->kv_heads != 0)
        return error_set(err, 422, "invalid_layout", "tensor_parallel",
                         "Number of KV heads (%lld) must be divisible by tensor parallel size "
                         "(%d), or tensor parallel size by it (vLLM then replicates the KV heads: "
                         "QKVParallelLinear)",
                         (long long)a->kv_heads, tp);
    if (pp > a->layers)
        return error_set(err, 422, "invalid_layout", "pipeline_parallel",
                         "pipeline parallel size (%d) exceeds the model's %lld layers: every "
                         "stage needs at least one layer (vLLM get_pp_indices)",
                         pp, (long long)a->layers);
    if (tp % dcp != 0)
        return error_set(err, 422, "invalid_layout", "decode_context_parallel",
                         "tp_size=%d must be divisible by dcp_size=%d.", tp, dcp);
    if (l->ep && !arch_is_moe(a))
        return error_set(err, 422, "invalid_layout", "expert_parallel",
                         "Number of experts in the model must be greater than 0 when expert "
                         "parallelism is enabled.");
    if (l->redundant > 0 && !l->ep)
        return error_set(err, 422, "invalid_layout", "num_redundant_experts",
                         "enable_expert_parallel must be True to use EPLB (num_redundant_experts "
                         "needs \"expert_parallel\": true).");
    if (l->redundant > 0 && tp * dp <= 1)
        return error_set(err, 422, "invalid_layout", "num_redundant_experts",
                         "EPLB requires tensor, prefill-context, or data parallelism, but got "
                         "TP=%d, PCP=1, DP=%d.",
                         tp, dp);
    return 0;
}
