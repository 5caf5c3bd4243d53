/* sglang.c - SGLang's default mem_fraction_static and its static pool, each constant sourced. */
#include "memory/sglang.h"

#include <math.h>
#include <string.h>

/*
 * Every number below is from sgl-project/sglang python/sglang/srt/server_args.py,
 * ServerArgs._handle_gpu_memory_settings (heuristics of PR #10975, "General heuristics for
 * --mem-fraction-static"); gpu_mem there is the device's total memory in MiB.
 */
#define SOURCE                                                                                     \
    "sgl-project/sglang python/sglang/srt/server_args.py _handle_gpu_memory_settings (PR #10975)"

/* Buckets by GPU memory: below limit_mib, chunked prefill and CUDA-graph batch (TP < 4 / TP >= 4).
 * SGLang's smallest CUDA bucket is "< 35 GiB (A10, 4090, 5090)"; smaller GPUs fall in it too. */
static const struct {
    double limit_mib;
    int chunked_prefill;
    int graph_bs_small_tp, graph_bs_large_tp;
} buckets[] = {
    {35 * 1024, 2048, 24, 80},    /* A10, 4090, 5090 */
    {60 * 1024, 4096, 32, 160},   /* A100 40GB, L40 */
    {90 * 1024, 8192, 256, 512},  /* H100, A100 80GB */
    {160 * 1024, 8192, 256, 512}, /* H20, H200 */
    {INFINITY, 16384, 512, 512},  /* B200, MI300 */
};

#define RESERVED_BASE_MIB     512.0 /* "Constant meta data (e.g., from attention backend)" */
#define RESERVED_PER_PREFILL  1.5   /* MiB per chunked-prefill token (min 2048 tokens) */
#define RESERVED_MIN_PREFILL  2048
#define RESERVED_PER_GRAPH_BS 2.0           /* MiB per CUDA-graph batch slot */
#define RESERVED_PER_8_RANKS  1024.0        /* MiB per 8 ranks of TP x PP */
#define RESERVED_FLOOR_MIB    (10 * 1024.0) /* on GPUs above 60 GiB */
#define RESERVED_FLOOR_ABOVE  (60 * 1024.0)

const char *sglang_source(void)
{
    return SOURCE;
}

void sglang_defaults(double gpu_mib, int tp, int pp, struct sglang_defaults *out)
{
    size_t i = 0;
    while (gpu_mib >= buckets[i].limit_mib)
        i++;
    struct sglang_defaults d;
    memset(&d, 0, sizeof(d));
    d.chunked_prefill_size = buckets[i].chunked_prefill;
    d.cuda_graph_max_bs = tp < 4 ? buckets[i].graph_bs_small_tp : buckets[i].graph_bs_large_tp;
    double prefill = d.chunked_prefill_size > RESERVED_MIN_PREFILL ? d.chunked_prefill_size
                                                                   : RESERVED_MIN_PREFILL;
    d.reserved_mib = RESERVED_BASE_MIB + prefill * RESERVED_PER_PREFILL +
                     d.cuda_graph_max_bs * RESERVED_PER_GRAPH_BS +
                     (double)tp * pp / 8 * RESERVED_PER_8_RANKS;
    if (gpu_mib > RESERVED_FLOOR_ABOVE && d.reserved_mib < RESERVED_FLOOR_MIB)
        d.reserved_mib = RESERVED_FLOOR_MIB;
    /* round(..., 3) as SGLang does */
    d.mem_fraction_static = round((gpu_mib - d.reserved_mib) / gpu_mib * 1000) / 1000;
    *out = d;
}

void sglang_fit(const struct vllm_fit_in *in, bool util_given, struct vllm_fit *out)
{
    struct vllm_fit f;
    memset(&f, 0, sizeof(f));
    int tp = in->tp < 1 ? 1 : in->tp, pp = in->pp < 1 ? 1 : in->pp;
    double mfs = in->util;
    if (!util_given) {
        struct sglang_defaults d;
        /* with DP attention SGLang's --tp-size is the whole EP group (comm_ranks) */
        sglang_defaults(in->usable_gib * 1024, in->comm_ranks > tp ? in->comm_ranks : tp, pp, &d);
        mfs = d.mem_fraction_static;
    }
    f.budget = in->usable_gib * GIB * mfs;
    f.weights = in->weights_gpu > 0 ? in->weights_gpu : in->weight_bytes / ((double)tp * pp);
    f.non_torch = vllm_non_torch_gib(in->comm_ranks > tp ? in->comm_ranks : tp) * GIB;
    /* The busiest EP rank's extra MoE workspace is allocated at run time, beyond the reserve. */
    f.imbalance = in->imbalance_bytes;
    f.kv_pool = f.budget - f.weights - f.non_torch - f.imbalance;
    vllm_fit_kv(in, &f);
    f.fits = f.kv_pool > 0 && f.kv_needed <= f.kv_pool;
    *out = f;
}
