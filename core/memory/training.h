/* training.h - memory model for training and fine-tuning: model states, activations, sharding. */
#ifndef VRAMFIT_TRAINING_H
#define VRAMFIT_TRAINING_H

#include <stdbool.h>
#include <stddef.h>

#include "model/arch.h"

/*
 * The architecture figures the training formulas need, independent of how the model was
 * described (preset, hf_config, explicit fields): fill it with training_model_from_arch() or by
 * hand in tests. Counts are plain numbers of parameters (not billions).
 */
struct training_model {
    double params;         /* every parameter, all experts included */
    double embed_params;   /* input embedding, vocab x hidden */
    double lm_head_params; /* untied output projection (0 when tied to the embedding) */
    int layers;
    int hidden;
    int heads;    /* query heads */
    int kv_heads; /* key/value heads (GQA/MQA); equals heads for MHA */
    int head_dim;
    int ffn;        /* intermediate size of the dense MLP layers */
    bool gated_mlp; /* SwiGLU/GeGLU: gate, up and down projections */
    int vocab;
    /* Mixture of experts: moe_layers of the layers route each token to experts_per_token of the
     * experts (each with intermediate size expert_ffn); shared_ffn is the summed intermediate size
     * of always-on shared experts in those layers (0 when none). moe_layers == 0: dense. */
    int moe_layers;
    int experts;
    int experts_per_token;
    int expert_ffn;
    int shared_ffn;
};

/*
 * training_model_from_arch - fills *out from an architecture and its total parameter count (from
 * the parameter counter, or the request's params_b). head_dim 0 falls back to hidden/heads; MLA
 * attention is treated as MHA of the same per-head widths (activations, LoRA shapes). No errors.
 */
void training_model_from_arch(const struct arch *a, double params, struct training_model *out);

/*
 * Closed sets with one name table each (training.c); *_COUNT is the table size, updated with the
 * enum (the name functions' switches fail the build until a new value is named).
 */
enum training_method { TRAINING_FULL, TRAINING_LORA, TRAINING_QLORA };
#define TRAINING_METHOD_COUNT (TRAINING_QLORA + 1)
enum training_optimizer {
    TRAINING_ADAMW,
    TRAINING_ADAMW_8BIT,
    TRAINING_SGD_MOMENTUM,
    TRAINING_ADAFACTOR
};
#define TRAINING_OPTIMIZER_COUNT (TRAINING_ADAFACTOR + 1)
enum training_recompute {
    TRAINING_RECOMPUTE_NONE,
    TRAINING_RECOMPUTE_SELECTIVE,
    TRAINING_RECOMPUTE_FULL
};
#define TRAINING_RECOMPUTE_COUNT (TRAINING_RECOMPUTE_FULL + 1)

/*
 * Pipeline schedules (Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU
 * Clusters Using Megatron-LM", section 2.2): GPipe runs every micro-batch forward before any
 * backward; 1F1B (PipeDream-Flush) keeps at most pipeline_parallel micro-batches in flight on the
 * first stage; interleaved 1F1B splits each stage into virtual stages.
 */
enum training_pp_schedule { TRAINING_PP_1F1B, TRAINING_PP_INTERLEAVED, TRAINING_PP_GPIPE };
#define TRAINING_PP_SCHEDULE_COUNT (TRAINING_PP_GPIPE + 1)

/* DeepSpeed overlap_comm: AUTO is DeepSpeed's default (on for stage 3, off below, config.py). */
enum training_overlap { TRAINING_OVERLAP_AUTO, TRAINING_OVERLAP_ON, TRAINING_OVERLAP_OFF };

/* Who shards the model states across data-parallel ranks (zero_stage says how far). */
enum training_sharding {
    TRAINING_SHARD_DEEPSPEED, /* DeepSpeed ZeRO: bucketed reduce/allgather, stage-3 live params */
    TRAINING_SHARD_FSDP,      /* PyTorch FSDP FULL_SHARD: one transformer block per unit */
    TRAINING_SHARD_MEGATRON   /* Megatron --use-distributed-optimizer (ZeRO-1, grad buffer) */
};
#define TRAINING_SHARDING_COUNT (TRAINING_SHARD_MEGATRON + 1)

/* LoRA target projections (bit mask). TRAINING_LORA_DEFAULT: every attention and MLP projection. */
enum {
    TRAINING_LORA_Q = 1 << 0,
    TRAINING_LORA_K = 1 << 1,
    TRAINING_LORA_V = 1 << 2,
    TRAINING_LORA_O = 1 << 3,
    TRAINING_LORA_GATE = 1 << 4,
    TRAINING_LORA_UP = 1 << 5,
    TRAINING_LORA_DOWN = 1 << 6,
    TRAINING_LORA_DEFAULT = (1 << 7) - 1,
};

/* How the job runs. training_config_default() gives the documented defaults. */
struct training_config {
    enum training_method method;
    int lora_rank;         /* LoRA/QLoRA r */
    unsigned lora_targets; /* TRAINING_LORA_* mask */
    double weight_bytes;   /* compute copy of trained weights, or the frozen base for LoRA */
    double compute_bytes;  /* activations and LoRA adapters: 2 for bf16/fp16, 4 for fp32 */
    bool bf16;             /* compute in bfloat16 (needs an Ampere/Hopper/Blackwell or MI300 GPU) */
    enum training_optimizer optimizer;
    bool master_weights; /* fp32 master copy of trained weights (mixed precision) */
    double grad_bytes;   /* gradient precision */
    int micro_batch;
    int seq_len;
    enum training_recompute recompute;
    bool flash_attention;
    bool dropout;      /* store dropout masks (Korthikanti's GPT); off for Llama-style fine-tunes */
    bool chunked_loss; /* fused/chunked cross-entropy: the full b x s x V logits never exist */
    int data_parallel; /* ranks the ZeRO/FSDP partition is spread over */
    int zero_stage;    /* 0..3 */
    /* FSDP, one unit per transformer block: FULL_SHARD (stage 3) unless zero_stage is 2, which is
     * SHARD_GRAD_OP / FSDP2 reshard_after_forward=False (training_zero_stage) */
    bool fsdp;
    int tensor_parallel;
    bool offload_optimizer;
    bool offload_params;
    /* Parallelism beyond data and tensor (training_config_default: 1, 1F1B, sequence parallel on).
     * sequence_parallel: Megatron sequence parallelism with tensor_parallel > 1 (Korthikanti et al.
     * 2022, section 4.2.2): off, the norms, dropouts and the inputs of the first linear layers stay
     * replicated on every tensor-parallel rank. context_parallel: ranks splitting one sequence
     * (DeepSpeed Ulysses, ring attention); the model states shard over data_parallel x
     * context_parallel, as DeepSpeed, Megatron and torchtitan all do. */
    bool sequence_parallel;
    int pipeline_parallel;
    enum training_pp_schedule pp_schedule;
    int pp_virtual_stages; /* interleaved: model chunks per rank (>= 2) */
    int pp_microbatches;   /* micro-batches per step per pipeline; 0 = pipeline_parallel */
    int context_parallel;
    /* Sharding implementation and its buffers (elements, DeepSpeed's config names and defaults,
     * deepspeed/runtime/zero/config.py): reduce_bucket_size 5e8, allgather_bucket_size 5e8,
     * stage3_max_live_parameters 1e9, stage3_prefetch_bucket_size 5e7, contiguous_gradients true,
     * sub_group_size 1e9 (stage 3 steps the optimizer one sub-group of the partition at a time).
     * FSDP: limit_all_gathers true (at most two blocks' all-gathers in flight). */
    enum training_sharding sharding;
    double reduce_bucket_size;
    double allgather_bucket_size;
    double max_live_parameters;
    double prefetch_bucket_size;
    double sub_group_size;
    bool contiguous_gradients;
    enum training_overlap overlap_comm;
    bool limit_all_gathers;
    /* Cross-entropy in fp32 (default: transformers >= 4.45 ForCausalLMLoss, torchtitan, Megatron,
     * and any 16-bit model trained under autocast, which runs log_softmax in fp32); false: a
     * 16-bit loss (litgpt's bf16-true chunked cross-entropy). */
    bool loss_fp32;
};

/* Default DeepSpeed buffer sizes (elements), deepspeed/runtime/zero/config.py. */
#define TRAINING_DS_REDUCE_BUCKET    5e8
#define TRAINING_DS_ALLGATHER_BUCKET 5e8
#define TRAINING_DS_MAX_LIVE_PARAMS  1e9
#define TRAINING_DS_PREFETCH_BUCKET  5e7
#define TRAINING_DS_SUB_GROUP        1e9

/* Per-GPU (and per-node host) bytes, plus the figures behind them. */
struct training_result {
    double trainable_params; /* whole model, before any sharding */
    double frozen_params;
    double weights;     /* bytes per GPU: weights (shard + gathered/dequantised buffers) */
    double grads;       /* bytes per GPU */
    double optimizer;   /* bytes per GPU: master copy + optimizer states */
    double activations; /* bytes per GPU: saved activations + loss logits */
    double buffers;     /* bytes per GPU: sharding buffers live during backward (buckets, live
                         * stage-3 parameters beyond gather_buffer, prefetch) */
    double step_buffer; /* bytes per GPU alive only during the optimizer step (fp32 gradient
                         * partition, allgather bucket); the peak is the larger phase */
    double overhead;    /* bytes per GPU: CUDA context, NCCL, allocator fragmentation */
    double total;
    double allocated; /* what torch.cuda.max_memory_allocated() would report: the peak tensors */
    double reserved;  /* allocated + fragmentation: torch.cuda.max_memory_reserved() */
    double host_per_node; /* bytes of host RAM per node for offloaded states (0 if none) */
    /* details */
    double gather_buffer;     /* ZeRO-3/FSDP gathered layer(s), inside weights */
    double dequant_buffer;    /* QLoRA bf16 dequantised weight, inside weights */
    double logits;            /* inside activations: the loss's peak over the logits */
    double activations_layer; /* one layer, no recompute, after TP division */
    double states_per_param;  /* model-state bytes per trainable parameter, unsharded */
    double stage_fraction;    /* share of the parameters on the peak pipeline stage (1: no PP) */
    double inflight_microbatches; /* layers' worth of micro-batches the peak stage holds, in
                                   * units of one micro-batch over its layers */
    double tokens_per_gpu;        /* micro_batch x seq_len / context_parallel */
    double base_bits_per_weight;  /* frozen base storage (LoRA/QLoRA); 0 for full */
};

/* Bits per weight of a QLoRA NF4 base with double quantisation (QLoRA paper, section 3). */
#define TRAINING_NF4_BITS (4.0 + 8.0 / 64.0 + 32.0 / (64.0 * 256.0))
/* CUDA context + cuBLAS/cuDNN workspaces per GPU (bytes); see training.c for sources. */
#define TRAINING_CUDA_CONTEXT (0.5 * 1073741824.0)
/* NCCL communicator buffers per GPU when any collective runs (bytes). */
#define TRAINING_NCCL (0.5 * 1073741824.0)
/* Allocator fragmentation margin on the tensors PyTorch allocates. */
#define TRAINING_FRAGMENTATION 0.05
/* DeepSpeed's additional_buffer_factor on host (CPU) memory for offloaded states. */
#define TRAINING_HOST_BUFFER_FACTOR 1.5

/* training_config_default - the refined model's defaults: full fine-tune, AdamW with an fp32 master
 * copy, bf16 weights and gradients, no recompute, flash attention, one GPU, ZeRO stage 0,
 * LoRA r=16 on every projection, DeepSpeed buffer defaults, no pipeline or context parallelism.
 * micro_batch and seq_len are 1 and must be set by the caller. */
void training_config_default(struct training_config *c);

/*
 * training_config_check - the layout rules: tensor_parallel divides the attention heads and the KV
 * heads (or is a multiple of them), pipeline_parallel x pp_virtual_stages divides the layers,
 * context_parallel divides seq_len (and, for Ulysses all-to-all, the heads left per tensor rank),
 * interleaving needs pp_virtual_stages >= 2 and pipeline_parallel >= 2. Returns 0, or -EINVAL with
 * *field (a static config name) and rule (a sentence, NUL-terminated, at most rule_len bytes).
 */
int training_config_check(const struct training_model *m, const struct training_config *c,
                          const char **field, char *rule, size_t rule_len);

/* training_zero_stage - the ZeRO stage a layout amounts to: zero_stage, except that fsdp is stage 3
 * (FULL_SHARD) unless zero_stage is 2 (SHARD_GRAD_OP). No errors. */
int training_zero_stage(const struct training_config *c);

/* training_model_parallel - GPUs per data-parallel replica: tensor x pipeline x context. */
int training_model_parallel(const struct training_config *c);

/*
 * training_trainable_params - parameters that get gradients: all for full fine-tuning; for LoRA
 * and QLoRA r x (d_in + d_out) per adapted matrix (every expert's matrices in MoE layers).
 */
double training_trainable_params(const struct training_model *m, const struct training_config *c);

/* training_largest_matrix - parameters of the largest single weight matrix in a block. */
double training_largest_matrix(const struct training_model *m);

/* training_block_params - parameters of one transformer block (the MoE kind if any). */
double training_block_params(const struct training_model *m);

/*
 * training_layer_activations - bytes one layer saves for backward with no recompute, before
 * tensor-parallel division (moe selects the MoE-layer variant). For GPT-3-style layers (MHA,
 * 4h non-gated MLP, dropout, no flash attention, 2-byte activations) this is exactly
 * Korthikanti et al.'s s*b*h*(34 + 5*a*s/h).
 */
double training_layer_activations(const struct training_model *m, const struct training_config *c,
                                  bool moe);

/*
 * training_estimate - per-GPU memory of one training rank and host memory per node.
 * gpus_per_node is how many ranks share a node's host RAM (for offloading). m and c must be
 * validated (positive sizes, tp dividing heads, ...). Always fills *out; no errors.
 */
void training_estimate(const struct training_model *m, const struct training_config *c,
                       int gpus_per_node, struct training_result *out);

/* Names used by requests and responses (static strings). */
const char *training_method_name(enum training_method m);
const char *training_optimizer_name(enum training_optimizer o);
const char *training_recompute_name(enum training_recompute r);
const char *training_pp_schedule_name(enum training_pp_schedule s);
const char *training_sharding_name(enum training_sharding s);

/* Parsers: 0 and *out on success, -ENOENT for an unknown name. */
int training_method_parse(const char *s, enum training_method *out);
int training_optimizer_parse(const char *s, enum training_optimizer *out);
int training_recompute_parse(const char *s, enum training_recompute *out);
int training_pp_schedule_parse(const char *s, enum training_pp_schedule *out);
int training_sharding_parse(const char *s, enum training_sharding *out);
/* training_lora_target_parse - "q_proj" ... "down_proj" to a TRAINING_LORA_* bit. */
int training_lora_target_parse(const char *s, unsigned *bit);

#endif
