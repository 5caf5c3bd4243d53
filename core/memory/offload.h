/* offload.h - MoE experts in host RAM: GPU and host memory, and the bytes each token moves. */
#ifndef VRAMFIT_OFFLOAD_H
#define VRAMFIT_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "model/arch.h"
#include "model/params.h"

/*
 * Where the routed experts live. Names: "none", "cpu_experts", "on_demand", "auto".
 *   cpu_experts: experts computed where they live (llama.cpp --n-cpu-moe N / -ot exps=CPU,
 *                ktransformers): the GPU holds attention, shared experts, dense layers,
 *                embeddings, KV and buffers; N MoE layers' routed experts (default all) sit in
 *                host RAM and the CPU reads them from host memory for every token.
 *   on_demand:   experts fetched when routed (expert buffering / prediction; the seed's
 *                "Prophet" budget): the GPU keeps k of E experts per MoE layer plus a transfer
 *                buffer; a routed expert that is not resident crosses PCIe.
 *   auto:        the chooser ranks the all-on-GPU layouts and the cpu_experts ones together.
 */
enum offload_mode { OFFLOAD_NONE = 0, OFFLOAD_CPU_EXPERTS, OFFLOAD_ON_DEMAND, OFFLOAD_AUTO };
#define OFFLOAD_MODE_COUNT (OFFLOAD_AUTO + 1)

/* The names, indexed by the enum, NULL-terminated (decoders list them in errors). */
extern const char *const offload_mode_names[OFFLOAD_MODE_COUNT + 1];

/* offload_mode_name - the request name of m (static storage; "?" outside the enum). */
const char *offload_mode_name(enum offload_mode m);

/*
 * Host RAM held back from the experts: the operating system and the engine process. 4 GiB is
 * Ubuntu's stated system memory for 20.04 LTS (the images Azure's GPU VMs run;
 * https://help.ubuntu.com/community/Installation/SystemRequirements, "4 GiB"), which also covers
 * the engine's own host buffers (llama.cpp's CUDA_Host compute buffer is tens of MiB).
 */
#define OFFLOAD_HOST_RESERVE_GIB 4.0

/*
 * Tokens in one micro-batch: llama.cpp's default n_ubatch (ggml-org/llama.cpp common/common.h,
 * `int32_t n_ubatch = 512`). Its GPU compute buffer is reserved for a worst-case micro-batch and
 * is led by the f32 logits of every token of it: n_ubatch x vocab x 4 bytes.
 */
#define OFFLOAD_UBATCH 512

struct offload_in {
    enum offload_mode mode; /* OFFLOAD_CPU_EXPERTS or OFFLOAD_ON_DEMAND */
    const struct arch *arch;
    const struct params *params;
    double expert_bits; /* bits per weight of the routed experts */
    double other_bits;  /* bits per weight of everything else */
    int64_t cpu_layers; /* cpu_experts: MoE layers whose experts are in host RAM; 0 = all */
    int64_t resident;   /* on_demand: experts per MoE layer kept on the GPU, 1..E-1 */
    double hit_rate;    /* on_demand: share of routed experts found resident; < 0 = resident/E */
    double kv_bytes;    /* KV cache and per-sequence state of every sequence */
    int gpus;           /* GPUs the GPU share is spread over (>= 1) */
};

struct offload_plan {
    int64_t moe_layers;  /* decoder and encoder layers with routed experts */
    int64_t experts;     /* E: routed experts per MoE layer */
    int64_t top_k;       /* routed experts per token per MoE layer */
    int64_t host_layers; /* MoE layers with experts in host RAM */
    int64_t resident;    /* experts per MoE layer on the GPU (on_demand) */
    double expert_bytes; /* one routed expert of one layer */
    double gpu_weights;  /* everything but the offloaded experts (all GPUs) */
    double gpu_experts;  /* of gpu_weights: routed experts kept on the GPU */
    double kv;
    double compute_buffer;  /* OFFLOAD_UBATCH x vocab x 4 bytes */
    double transfer_buffer; /* on_demand: two layers' top-k experts (one in use, one arriving) */
    double gpu_total;       /* weights + KV + buffers, all GPUs */
    double gpu_per_gpu;     /* gpu_total / gpus (layers split evenly, llama.cpp -sm layer) */
    double host_experts;    /* routed experts in host RAM */
    double host_pinned;     /* on_demand: the pinned staging buffer the copies start from */
    double host_reserve;    /* OFFLOAD_HOST_RESERVE_GIB */
    double host_total;
    double hit_rate;
    bool hit_rate_defaulted;
    double bytes_per_token; /* read from host memory (cpu_experts) or over PCIe (on_demand) */
};

/*
 * offload_plan - the memory of in's layout and the bytes one generated token (one sequence)
 * moves from host memory. Errors: -EINVAL with a 422 in err for a dense model ("offload"), a
 * cpu_layers above the MoE layer count ("offload_layers") or a resident count outside 1..E-1
 * ("resident_experts_per_layer"). Does not allocate.
 */
int offload_plan(const struct offload_in *in, struct offload_plan *out, struct error_info *err);

/*
 * offload_tokens_bound - the generated tokens per second the link allows: bandwidth_gbs (GB/s)
 * / bytes_per_token. 0 when the bandwidth is unknown (<= 0) or nothing crosses (then the link
 * sets no bound). A bound, never a promise: compute, the GPU's own reads and latency only lower it.
 */
double offload_tokens_bound(const struct offload_plan *p, double bandwidth_gbs);

#endif
