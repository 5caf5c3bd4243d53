/* sglang.h - per-GPU memory fit the way SGLang sizes its static pool (mem_fraction_static). */
#ifndef VRAMFIT_SGLANG_H
#define VRAMFIT_SGLANG_H

#include "memory/vllm.h"

/* What SGLang's default rule chose for one GPU (sizes in MiB, as server_args.py counts them). */
struct sglang_defaults {
    int chunked_prefill_size; /* tokens, by GPU memory bucket */
    int cuda_graph_max_bs;    /* by GPU memory bucket and TP */
    double reserved_mib;      /* memory kept out of the static pool */
    double mem_fraction_static;
};

/*
 * sglang_defaults - SGLang's default chunked_prefill_size, cuda_graph_max_bs, reserved memory and
 * mem_fraction_static for one GPU of gpu_mib MiB at tensor-parallel tp and pipeline pp
 * (server_args.py::_handle_gpu_memory_settings, no DP attention, no speculative decoding). Fills
 * *out. No errors.
 */
void sglang_defaults(double gpu_mib, int tp, int pp, struct sglang_defaults *out);

/*
 * sglang_fit - the per-GPU fit under SGLang: the static pool is usable x mem_fraction_static
 * (in->util when given by the caller, else sglang_defaults'); it holds the weights share and the KV
 * pool; CUDA context and NCCL (vllm_non_torch_gib) come out of it too because SGLang measures the
 * free memory after loading. Activations and CUDA graphs live in the reserved rest. Fills *out in
 * the shape of struct vllm_fit (activation and cuda_graphs 0). Never fails.
 */
void sglang_fit(const struct vllm_fit_in *in, bool util_given, struct vllm_fit *out);

/* sglang_source - where the rule above comes from (static storage). */
const char *sglang_source(void);

#endif
