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

/*
 * The vLLM releases whose memory constants were measured. Names: "0.15" ... "0.19"; a request may
 * add a patch number ("0.19.1" is 0.19: patch releases fix bugs, the profile stays). The default
 * is the newest.
 */
enum vllm_version { VLLM_0_15, VLLM_0_16, VLLM_0_17, VLLM_0_18, VLLM_0_19 };
#define VLLM_VERSION_COUNT   (VLLM_0_19 + 1)
#define VLLM_VERSION_DEFAULT VLLM_0_19
extern const char *const vllm_version_names[VLLM_VERSION_COUNT];

/* vllm_version_name - the name of v (static storage; "?" outside the enum). */
const char *vllm_version_name(enum vllm_version v);

/*
 * vllm_version_parse - the version named by s ("0.19" or "0.19.N"). 0 and *out, or -ENOENT.
 * No allocation.
 */
int vllm_version_parse(const char *s, enum vllm_version *out);

/* What differs between releases, each figure with its source (one row per version). */
struct vllm_version_row {
    double activation_scale; /* x the v0.19 activation table (the profile run's peak) */
    double non_torch_tp1, non_torch_tp2, non_torch_tp4; /* GiB per GPU */
    double cuda_graphs;                                 /* GiB at the 512-sequence capture */
    const char *activation_source, *non_torch_source, *graphs_source;
};

/* vllm_version_row - v's row (static storage; the default's for a value outside the enum). */
const struct vllm_version_row *vllm_version_row(enum vllm_version v);

/*
 * The scheduler knobs of a vLLM deployment as the request gives them; 0 / false = vLLM's default.
 * vllm_fit resolves the defaults the way vLLM's EngineArgs does (vllm_scheduler).
 */
struct vllm_knobs {
    enum vllm_version version;
    long long max_num_seqs;           /* 0: the batch (the deploy argv's --max-num-seqs) */
    long long max_num_batched_tokens; /* 0: vLLM's default for the GPU (vllm_scheduler) */
    bool enforce_eager;               /* no CUDA graphs */
};

/*
 * vllm_scheduler - the max_num_seqs and max_num_batched_tokens vLLM runs with (EngineArgs.
 * _set_default_max_num_seqs_and_batched_tokens_args and get_batch_defaults, vllm/engine/
 * arg_utils.py, `vllm serve` usage context): seqs is the given one, else batch (the deploy argv
 * passes --max-num-seqs batch); tokens the given one, else 8192 on a GPU of >= 70 GiB that is not
 * an A100 and 2048 on others, raised to ctx without chunked prefill (encoder-decoder models),
 * then at most seqs x ctx. k may be NULL (every default). No errors.
 */
void vllm_scheduler(const struct vllm_knobs *k, const char *gpu_model, double gpu_gib, double ctx,
                    double batch, bool chunked_prefill, double *seqs, double *tokens);

/*
 * The batch of tokens the activation table was measured at: vLLM v0.19 on H100-80GB through
 * `vllm serve` at max_model_len 8192, whose default max_num_batched_tokens is 8192 (arg_utils.py
 * get_batch_defaults: >= 70 GiB and not an A100). The activation scales with the profile run's
 * tokens from there.
 */
#define VLLM_ACTIVATION_REF_TOKENS 8192.0
/* The largest CUDA-graph capture the graph pool was measured at: min(2 x max_num_seqs, 512). */
#define VLLM_GRAPHS_REF_CAPTURE 512.0

/*
 * vllm_activation_gib - peak activation of vLLM's profiling run for this model_type, measured at
 * v0.19 and VLLM_ACTIVATION_REF_TOKENS (scale it with vllm_fit's rule).
 */
double vllm_activation_gib(const struct arch *a, bool *measured, const char **source);

/* vllm_non_torch_gib - CUDA context, cuBLAS workspaces and NCCL buffers per GPU for TP degree tp
 * at the default version; vllm_non_torch_gib_at at version v. */
double vllm_non_torch_gib(int tp);
double vllm_non_torch_gib_at(enum vllm_version v, int tp);

/* vllm_cuda_graph_gib - CUDA-graph pool at the default version and the full 512 capture. */
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
    double encoder_len;    /* encoder-decoder: encoder tokens per sequence (cross-attention K/V) */
    const char *gpu_model; /* catalog text: vLLM's defaults depend on it; may be NULL */
    const struct vllm_knobs *knobs; /* NULL: every default */
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
    double max_num_seqs;    /* what vLLM runs with (vllm_scheduler) */
    double max_num_batched_tokens;
    double state_reserved; /* hybrids: max_num_seqs sequences' state pages the pool must hold */
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
