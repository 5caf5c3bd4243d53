/* vllm.h - per-GPU memory fit the way vLLM allocates it: weights, activations, overhead, KV pool.
 */
#ifndef VRAMFIT_VLLM_H
#define VRAMFIT_VLLM_H

#include <stdbool.h>

#include "model/arch.h"
#include "model/precision.h"

/*
 * vLLM's default gpu_memory_utilization, the share of each GPU it may use when the request names
 * none: CacheConfig.gpu_memory_utilization in vllm/config/cache.py (EngineArgs in
 * vllm/engine/arg_utils.py takes its default from there): 0.9 since vLLM issue #1018 (2023) and
 * in docs.vllm.ai/en/v0.6.4/models/engine_args.html. vLLM main (2026) defaults to 0.92; this stays
 * 0.90 until the answers are re-recorded for that deliberately.
 */
#define VLLM_DEFAULT_UTILIZATION 0.90
#define GIB                      (1024.0 * 1024.0 * 1024.0)

/*
 * Tokens per step of vLLM's profiling run under `vllm serve` on a >= 70 GiB GPU, the run the
 * activation figures below were measured with: EngineArgs.get_batch_defaults in
 * vllm/engine/arg_utils.py, max_num_batched_tokens for UsageContext.OPENAI_API_SERVER: 8192 on
 * GPUs of >= 70 GiB other than A100 (H100, H200, MI300X), 2048 otherwise. The MoE workspace of
 * that run is what router imbalance adds to (memory/shard.h).
 */
#define VLLM_PROFILE_TOKENS 8192.0

/* A measured constant with where it was measured. */
struct vllm_constant {
    const char *key;
    double gib;
    const char *source;
};

/*
 * vllm_usable_gib - memory the CUDA runtime reports for one GPU of this model (catalog gpu_model
 * text, vram_gb as fallback). *measured is false when the GPU is not in the measured table and the
 * figure is 97% of the nameplate; *source cites the measurement (static storage).
 */
double vllm_usable_gib(const char *gpu_model, double vram_gb, bool partial, bool *measured,
                       const char **source);

/* What vLLM needs of a GPU to run one weight format (one row per enum precision). */
struct vllm_format_rule {
    double min_cc;   /* least CUDA compute capability */
    bool rocm_cdna3; /* runs on MI300 (gfx942) */
    bool rocm_rdna3; /* runs on RDNA3 Radeon (gfx110x) */
    const char *why; /* the refusal, in words */
    const char *source;
};

/* vllm_format_rule - the row of format (static storage; fp16's for a value outside the enum). */
const struct vllm_format_rule *vllm_format_rule(enum precision format);

/*
 * vllm_gpu_supported - whether vLLM runs weights of this format on this GPU model (catalog
 * gpu_model text): vLLM itself needs CUDA compute capability >= 7.0 (no K80/M60) or a ROCm target
 * it builds for (no MI25, no RDNA2 V620); then the format's kernels (vllm_format_rule). GPUs not in
 * the table pass. *why (if not NULL) explains a refusal (static).
 */
bool vllm_gpu_supported(const char *gpu_model, enum precision format, const char **why);

/* vllm_activation_gib - peak activation of vLLM's profiling run for this model_type (measured). */
double vllm_activation_gib(const struct arch *a, bool *measured, const char **source);

/* vllm_non_torch_gib - CUDA context, cuBLAS workspaces and NCCL buffers per GPU for TP degree tp.
 */
double vllm_non_torch_gib(int tp);

/* vllm_cuda_graph_gib - CUDA-graph pool (allocated after the KV cache is sized). */
double vllm_cuda_graph_gib(void);

/* vllm_constants - the table of every constant above, NULL-key terminated (for docs / API). */
const struct vllm_constant *vllm_constants(void);

struct vllm_fit_in {
    const struct arch *arch;
    double weight_bytes; /* whole model at its weight format */
    double kv_bytes;     /* per cached element */
    double ctx;
    double batch;
    double util; /* gpu_memory_utilization in (0, 1] */
    int tp, pp;  /* tensor-parallel and pipeline (= nodes) degrees, >= 1 */
    double usable_gib;
    double encoder_len; /* encoder-decoder: encoder tokens per sequence (cross-attention K/V) */
    /* Layouts beyond TP x PP (memory/shard.h); zero reads as TP x PP with uniform weights. */
    double weights_gpu;     /* the busiest GPU's weight bytes (shard_weights); 0: / (tp x pp) */
    int dp;                 /* data-parallel ranks, each caching its own ceil(batch / dp) */
    int dcp;                /* decode context parallel: each sequence's KV split dcp ways */
    double imbalance_bytes; /* busiest EP rank's extra MoE workspace (router imbalance) */
    int comm_ranks; /* largest NCCL group a GPU joins (EP: dp x tp); 0 = tp (non-torch size) */
};

/* All sizes per GPU in bytes. */
struct vllm_fit {
    double budget;     /* usable x util */
    double weights;    /* weight_bytes / (tp x pp) */
    double activation; /* profiling-run peak */
    double non_torch;
    double cuda_graphs;     /* must fit in usable x (1 - util), not taken from the pool */
    double kv_pool;         /* budget - weights - activation - non_torch (may be < 0) */
    double imbalance;       /* of activation: the busiest EP rank's extra (router imbalance) */
    double kv_needed;       /* ceil(batch / dp) sequences of ctx tokens (one DP rank's) */
    double seq_fixed;       /* per sequence whatever its length: state pages + cross-attn K/V */
    double kv_tokens;       /* pool / bytes per token (full-attention layers), one DP rank */
    double kv_capacity;     /* kv_tokens x dp: tokens the whole deployment caches */
    double max_concurrency; /* dp x pool / one sequence of ctx tokens */
    double max_ctx;         /* longest context for `batch` sequences */
    double max_batch;       /* dp x floor(pool / one sequence) */
    bool fits;
};

/* vllm_fit - computes the per-GPU budget for in. Never fails. */
void vllm_fit(const struct vllm_fit_in *in, struct vllm_fit *out);

/*
 * vllm_fit_kv - fills f's KV figures (kv_needed, kv_tokens, kv_capacity, max_concurrency,
 * max_batch, max_ctx) from f->kv_pool, for any engine whose pool is a byte count per GPU: the
 * layout's dp ranks each cache ceil(batch / dp) sequences, dcp splits each sequence's KV by
 * tokens over dcp of the tp ranks (shard_kv_split). Never fails.
 */
void vllm_fit_kv(const struct vllm_fit_in *in, struct vllm_fit *f);

/*
 * vllm_tp_valid - tp is a power of two dividing the attention heads and the vocabulary, and either
 * dividing the KV heads or a multiple of them (vLLM replicates KV heads when tp > kv_heads).
 */
bool vllm_tp_valid(const struct arch *a, int tp);

#endif
