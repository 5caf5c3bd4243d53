/* vllm.c - vLLM's memory budget per GPU, with every constant taken from a published measurement. */
#include "memory/vllm.h"

#include <math.h>
#include <string.h>

#include "model/kv.h"

#define REPORT "llm-d-incubation/llm-d-planner docs/accuracy/vllm-v0.19.0-accuracy-report.md"

/*
 * Usable memory per GPU model as the CUDA runtime reports it (what vLLM multiplies by
 * gpu_memory_utilization), matched as a substring of the catalog's gpu_model, first match wins.
 */
static const struct {
    const char *match;
    double gib;
    const char *source;
} usable[] = {
    {"H100 80GB", 79.19, REPORT " (H100-80GB 'physical 79.19 GiB')"},
    {"A100 80GB", 79.35,
     "torch OOM message 'total capacty of 79.35 GiB' on A100 80GB "
     "(github.com/OSU-NLP-Group/TableLlama/issues/10)"},
    {"A100 40GB", 39.50,
     "torch OOM message 'total capacity of 39.50 GiB' on A100 40GB "
     "(github.com/TianheWu/CoSeR/issues/10)"},
    {"A10 24GB", 22.30,
     "vLLM logs quoted in the estimator survey, section 19 (A10/A10G 22.30 GiB)"},
    {"T4", 14.56,
     "torch OOM message 'total capacity of 14.56 GiB' on Tesla T4 "
     "(github.com/Zheng-Chong/CatVTON/issues/133)"},
};

/* Fallback share of the nameplate (read as GiB) for GPUs without a measurement. */
#define UNMEASURED_SHARE 0.97

/*
 * Peak activation of vLLM's profiling run (v0.19.0, H100, default max_num_batched_tokens), by
 * model_type, from the report's "Observed v0.19.0 range" (upper end). Unlisted dense/MoE types use
 * the largest dense/MoE figure observed.
 */
static const struct vllm_constant activation[] = {
    {"llama", 1.97, REPORT " (Llama 0.77-1.97 GiB)"},
    {"mistral", 1.97, REPORT " (Llama family figure)"},
    {"mixtral", 1.21, REPORT " (Mixtral 1.21 GiB)"},
    {"qwen2", 2.29, REPORT " (Qwen2 2.21-2.29 GiB)"},
    {"qwen2_moe", 2.47, REPORT " (Qwen2Moe 2.47 GiB)"},
    {"qwen3", 2.21, REPORT " (Qwen3 2.21 GiB)"},
    {"qwen3_moe", 2.68, REPORT " (Qwen3Moe 2.68 GiB)"},
    {"deepseek_v2", 1.93, REPORT " (DeepseekV2 1.93 GiB)"},
    {"deepseek_v3", 1.93, REPORT " (DeepseekV2 figure, same MLA/MoE code path)"},
    {"phi3", 1.52, REPORT " (Phi3 1.52 GiB)"},
    {"gpt_oss", 2.87, REPORT " (GptOss 2.87 GiB)"},
    {"dense", 2.29, REPORT " (largest dense figure observed: Qwen2 2.29 GiB)"},
    {"moe", 2.87, REPORT " (largest MoE figure observed: GptOss 2.87 GiB)"},
    {"non_torch_tp1", 0.27, REPORT " (non-torch, TP=1 observed mean 0.27 GiB)"},
    {"non_torch_tp2", 2.08, REPORT " (non-torch, TP=2 observed mean 2.08 GiB: NCCL buffers)"},
    {"non_torch_tp4", 2.17, REPORT " (non-torch, TP=4 observed mean 2.17 GiB)"},
    {"cuda_graphs", 1.04,
     REPORT " (CUDA graph pool 0.51-1.85 GiB, mean 1.04; allocated after the KV cache is sized)"},
    {NULL, 0, NULL},
};

const struct vllm_constant *vllm_constants(void)
{
    return activation;
}

static const struct vllm_constant *constant(const char *key)
{
    for (const struct vllm_constant *c = activation; c->key; c++)
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

double vllm_usable_gib(const char *gpu_model, double vram_gb, bool partial, bool *measured,
                       const char **source)
{
    if (!partial && gpu_model) {
        for (size_t i = 0; i < sizeof(usable) / sizeof(usable[0]); i++) {
            if (strstr(gpu_model, usable[i].match)) {
                *measured = true;
                *source = usable[i].source;
                return usable[i].gib;
            }
        }
    }
    *measured = false;
    *source = "not measured: 97% of the nameplate";
    return vram_gb * UNMEASURED_SHARE;
}

bool vllm_gpu_supported(const char *gpu_model, bool bf16, const char **why)
{
    if (gpu_model == NULL)
        return true;
    if (strstr(gpu_model, "M60") || strstr(gpu_model, "MI25")) {
        *why = "vLLM needs CUDA compute capability 7.0+ or a supported ROCm GPU";
        return false;
    }
    if (strstr(gpu_model, "V620")) {
        *why =
            "vLLM's ROCm build targets CDNA (MI200/MI300) and RDNA3; the V620 is RDNA2 (gfx1030)";
        return false;
    }
    if (bf16 && (strstr(gpu_model, "T4") || strstr(gpu_model, "V100"))) {
        *why = "bf16 needs compute capability 8.0+ (T4/V100 run fp16)";
        return false;
    }
    return true;
}

double vllm_activation_gib(const struct arch *a, bool *measured, const char **source)
{
    const struct vllm_constant *c = constant(a->model_type);
    *measured = c != NULL;
    if (c == NULL)
        c = constant(arch_is_moe(a) ? "moe" : "dense");
    *source = c->source;
    return c->gib;
}

double vllm_non_torch_gib(int tp)
{
    return constant(tp <= 1 ? "non_torch_tp1" : tp == 2 ? "non_torch_tp2" : "non_torch_tp4")->gib;
}

double vllm_cuda_graph_gib(void)
{
    return constant("cuda_graphs")->gib;
}

bool vllm_tp_valid(const struct arch *a, int tp)
{
    if (tp < 1 || (tp & (tp - 1)) != 0)
        return false;
    if (a->heads % tp != 0 || (a->vocab > 0 && a->vocab % tp != 0))
        return false;
    switch (a->attention) {
    case ARCH_ATTN_MLA: /* the latent is replicated on every rank, not split by heads */
        return true;
    case ARCH_ATTN_GQA:
        break;
    }
    return a->kv_heads % tp == 0 || tp % a->kv_heads == 0;
}

void vllm_fit(const struct vllm_fit_in *in, struct vllm_fit *out)
{
    struct vllm_fit f;
    memset(&f, 0, sizeof(f));
    const struct arch *a = in->arch;
    int tp = in->tp < 1 ? 1 : in->tp, pp = in->pp < 1 ? 1 : in->pp;
    bool m;
    const char *src;
    f.budget = in->usable_gib * GIB * in->util;
    f.weights = in->weight_bytes / ((double)tp * pp);
    f.activation = vllm_activation_gib(a, &m, &src) * GIB;
    f.non_torch = vllm_non_torch_gib(tp) * GIB;
    f.cuda_graphs = vllm_cuda_graph_gib() * GIB;
    f.kv_pool = f.budget - f.weights - f.activation - f.non_torch;
    /*
     * Hybrid models: vLLM gives every running sequence one MambaSpec page per state layer, so the
     * state scales with concurrency (max_num_seqs), not with context; encoder-decoder models hold
     * the cross-attention K/V of the encoder length the same way.
     */
    f.seq_fixed = kv_fixed_seq_bytes(a, in->kv_bytes, tp, pp, in->encoder_len);
    double seq = kv_seq_bytes(a, in->kv_bytes, tp, pp, in->ctx) + f.seq_fixed;
    double per_token = kv_seq_bytes(a, in->kv_bytes, tp, pp, 1);
    f.kv_needed = in->batch * seq;
    if (f.kv_pool > 0) {
        f.kv_tokens = per_token > 0 ? floor(f.kv_pool / per_token) : 0;
        f.max_concurrency = seq > 0 ? f.kv_pool / seq : 0;
        f.max_batch = floor(f.max_concurrency);
        double cap = a->max_context > 0 ? (double)a->max_context : 16777216.0;
        f.max_ctx = kv_max_ctx(a, in->kv_bytes, tp, pp, f.kv_pool / in->batch - f.seq_fixed, cap);
    }
    bool graphs_fit = in->usable_gib * GIB * (1 - in->util) >= f.cuda_graphs;
    f.fits = f.kv_pool > 0 && f.kv_needed <= f.kv_pool && graphs_fit;
    *out = f;
}
