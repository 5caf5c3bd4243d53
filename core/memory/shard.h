/* shard.h - how a parallel layout (TP, PP, DP, EP, DCP) splits weights and KV cache over GPUs. */
#ifndef VRAMFIT_SHARD_H
#define VRAMFIT_SHARD_H

#include <stdbool.h>

#include "base/error.h"
#include "model/arch.h"
#include "model/params.h"

/*
 * One serving layout, in vLLM's terms (vllm/config/parallel.py ParallelConfig):
 *   tp  tensor_parallel_size: attention, dense MLPs, shared experts, embeddings and (without EP)
 *       every routed expert's matrices are split tp ways;
 *   pp  pipeline_parallel_size: layers split into stages by vllm/distributed/utils.py
 *       get_pp_indices (the remainder goes to the stages before the last); embeddings on the
 *       first stage, the LM head on the last;
 *   dp  data_parallel_size: dp copies of the attention/dense part, each with its own KV cache of
 *       its own sequences (the batch is split dp ways);
 *   ep  enable_expert_parallel: routed experts split over EP = dp x tp ranks, whole experts per
 *       rank (vLLM's FusedMoEParallelConfig: the MoE TP size becomes 1), E / EP per MoE layer,
 *       the remainder on the first ranks (determine_expert_map), plus redundant / EP EPLB copies;
 *   dcp decode_context_parallel_size: reuses dcp of the tp ranks to split each sequence's KV
 *       cache by tokens (tp % dcp == 0).
 * A zeroed degree reads as 1.
 */
struct shard_layout {
    int tp, pp, dp, dcp;
    bool ep;
    int redundant; /* EPLB num_redundant_experts (ep only) */
};

/*
 * Router imbalance, the busiest EP rank's routed tokens over the mean (max / mean), as measured on
 * DeepSeek-R1 with 32-way EP: imbalance ratio (max - mean) / mean averaged over layers 1.564
 * without EPLB and 0.115 with EPLB's 32 redundant experts (36-way EP). Source:
 * NVIDIA/TensorRT-LLM examples/wide_ep/ep_load_balancer/README.md (commit
 * 2a595f8157669fce7999f2098fbe32d8263981f0), "Load statistics" before and after EPLB.
 */
#define SHARD_IMBALANCE_NO_EPLB 2.564
#define SHARD_IMBALANCE_EPLB    1.115

/* shard_ep_size - the expert-parallel group: dp x tp with ep, else 1. */
int shard_ep_size(const struct shard_layout *l);

/* shard_world - GPUs the layout uses: tp x pp x dp. */
int shard_world(const struct shard_layout *l);

/* The busiest GPU's share of the weights (the largest pipeline stage, the first EP rank). */
struct shard_weights {
    double params;           /* parameters held by that GPU */
    double fraction;         /* params / the model's total */
    double replicated;       /* of params, those every TP rank holds whole (see shard.c) */
    double experts_per_rank; /* routed experts per MoE layer on that GPU (whole or sliced) */
    int stage;               /* the pipeline stage it belongs to (0-based) */
    int stage_layers;        /* decoder layers of that stage */
};

/*
 * shard_weights - the parameters one GPU holds under layout l, by the rules above, for a validated
 * architecture a and its counts p (params_count). Pure; no errors (degrees < 1 read as 1).
 */
void shard_weights(const struct arch *a, const struct params *p, const struct shard_layout *l,
                   struct shard_weights *out);

/*
 * shard_kv_split - the two degrees the KV cache of one sequence is divided by on one GPU:
 * *heads_tp, the tensor-parallel degree its K/V heads are split over (tp / dcp: DCP reuses TP
 * ranks, so heads are split over tp / dcp ranks and replicated beyond the KV head count as
 * kv_layer_bytes_per_token does; MLA's latent is replicated whatever the degree) and *tokens, the
 * degree its tokens are split over (dcp). Bytes per GPU = kv_seq_bytes(a, b, heads_tp, pp, ctx) /
 * tokens.
 */
void shard_kv_split(const struct shard_layout *l, int *heads_tp, int *tokens);

/*
 * shard_moe_imbalance_bytes - extra activation bytes on the busiest EP rank when the router sends
 * it `imbalance` times the mean load (max / mean), over what vLLM's profiled peak (a TP=1 run of
 * `tokens` tokens, every token-expert pair local) already holds: the fused-MoE workspace
 * (vllm/model_executor/layers/fused_moe/fused_moe.py: intermediate_cache1 of 2N, cache2 of N and
 * cache3 of hidden per token-expert pair, N the expert width, act_bytes each) for
 * imbalance x tokens x top_k / tp pairs (each of the dp ranks sends its tokens, each of the
 * dp x tp ranks holds 1/EP of the experts), less the profiled tokens x top_k pairs. 0 without ep,
 * for dense models, or when the busiest rank holds no more than the profile did.
 */
double shard_moe_imbalance_bytes(const struct arch *a, const struct shard_layout *l,
                                 double imbalance, double tokens, double act_bytes);

/*
 * shard_check - whether vLLM accepts layout l for a, with vLLM's own wording where it has one
 * (vllm/config/model.py verify_with_parallel_config, vllm/config/parallel.py
 * _validate_parallel_config, QKVParallelLinear's KV-head rule): attention heads divisible by tp;
 * GQA K/V heads divisible by tp or tp by them (replication); at least one layer per pipeline
 * stage; tp divisible by dcp; ep needs routed experts; redundant experts need ep and an EP group
 * of 2+ ranks. Errors: -EINVAL with a 422 "invalid_layout" naming the request field
 * (tensor_parallel, pipeline_parallel, decode_context_parallel, expert_parallel,
 * num_redundant_experts). Does not allocate.
 */
int shard_check(const struct arch *a, const struct shard_layout *l, struct error_info *err);

#endif
