/* vllm.c - vLLM's memory budget per GPU, with every constant taken from a published measurement. */
#include "memory/vllm.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memory/shard.h"
#include "model/kv.h"
#include "model/precision.h"

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
/* The rows every fit reads, by position: found by name they cost 30 string compares per layout. */
enum fixed_row { ROW_NON_TORCH_TP1, ROW_NON_TORCH_TP2, ROW_NON_TORCH_TP4, ROW_CUDA_GRAPHS };
static const struct vllm_constant activation[] = {
    [ROW_NON_TORCH_TP1] = {"non_torch_tp1", 0.27,
                           REPORT " (non-torch, TP=1 observed mean 0.27 GiB)"},
    [ROW_NON_TORCH_TP2] = {"non_torch_tp2", 2.08,
                           REPORT " (non-torch, TP=2 observed mean 2.08 GiB: NCCL buffers)"},
    [ROW_NON_TORCH_TP4] = {"non_torch_tp4", 2.17,
                           REPORT " (non-torch, TP=4 observed mean 2.17 GiB)"},
    [ROW_CUDA_GRAPHS] = {"cuda_graphs", 1.04,
                         REPORT " (CUDA graph pool 0.51-1.85 GiB, mean 1.04; allocated after the "
                                "KV cache is sized)"},
    /* by model_type, then the dense/MoE fallbacks */
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

/*
 * GPUs of the catalog, matched as a substring of gpu_model, first match wins: CUDA compute
 * capability (NVIDIA, developer.nvidia.com/cuda-gpus) or the ROCm family (AMD). ROCm: vLLM's
 * requirements (docs.vllm.ai getting_started/installation/gpu, ROCm tab) list MI200 (gfx90a),
 * MI300 (gfx942), MI350 (gfx950) and Radeon RX 7900/9000 (RDNA3/4); MI25 (gfx900) and the V620
 * (RDNA2, gfx1030) are not among them.
 */
enum gpu_family { GPU_CUDA, GPU_ROCM_CDNA3, GPU_ROCM_RDNA3, GPU_ROCM_UNSUPPORTED };
static const struct {
    const char *match;
    enum gpu_family family;
    double cc; /* CUDA compute capability (0 for AMD) */
} gpus[] = {
    {"K80", GPU_CUDA, 3.7},
    {"M60", GPU_CUDA, 5.2},
    {"V100", GPU_CUDA, 7.0},
    {"T4", GPU_CUDA, 7.5},
    {"A100", GPU_CUDA, 8.0},
    {"A10 ", GPU_CUDA, 8.6},
    {"H100", GPU_CUDA, 9.0},
    {"H200", GPU_CUDA, 9.0},
    {"GB200", GPU_CUDA, 10.0},
    {"GB300", GPU_CUDA, 10.3},
    {"RTX PRO 6000", GPU_CUDA, 12.0},
    {"MI300X", GPU_ROCM_CDNA3, 0},
    {"V710", GPU_ROCM_RDNA3, 0},
    {"MI25", GPU_ROCM_UNSUPPORTED, 0},
    {"V620", GPU_ROCM_UNSUPPORTED, 0},
};

#define QUANT_TABLE "docs.vllm.ai features/quantization, 'Supported Hardware' table (v0.15.1)"

/*
 * The kernels vLLM has for each weight format: least CUDA compute capability, and whether the
 * ROCm families run it. One row per enum precision (designated initializers).
 */
static const struct vllm_format_rule rules[PRECISION_COUNT] = {
    [PRECISION_FP32] = {7.0, true, true, "fp32 runs wherever vLLM runs (CUDA 7.0+, ROCm)",
                        "docs.vllm.ai getting_started/installation/gpu (compute capability 7.0+)"},
    [PRECISION_FP16] = {7.0, true, true, "fp16 runs wherever vLLM runs (CUDA 7.0+, ROCm)",
                        "docs.vllm.ai getting_started/installation/gpu (compute capability 7.0+)"},
    [PRECISION_BF16] = {8.0, true, true, "bf16 needs compute capability 8.0+ (T4/V100 run fp16)",
                        "bf16 tensor cores: NVIDIA Ampere+ (developer.nvidia.com/cuda-gpus)"},
    [PRECISION_INT8] = {7.5, false, false, "INT8 W8A8 needs compute capability 7.5+ (not ROCm)",
                        QUANT_TABLE " row INT8 (W8A8)"},
    [PRECISION_INT4] = {7.5, false, false,
                        "4-bit AWQ kernels need compute capability 7.5+, Marlin 8.0+ (not ROCm)",
                        QUANT_TABLE " rows AWQ and Marlin"},
    [PRECISION_FP8] = {8.0, true, false,
                       "fp8 needs compute capability 8.9+ (W8A8) or 8.0+ (Marlin weight-only), "
                       "or MI300 on ROCm",
                       QUANT_TABLE " rows FP8 (W8A8) and Marlin (GPTQ/AWQ/FP8)"},
    [PRECISION_FP4] = {10.0, false, false, "fp4 needs FP4 tensor cores (compute capability 10.0+)",
                       "NVIDIA Blackwell FP4 tensor cores (vLLM NVFP4 kernels, SM100+)"},
    [PRECISION_NVFP4] = {10.0, false, false,
                         "NVFP4 needs FP4 tensor cores (compute capability 10.0+)",
                         "NVIDIA Blackwell FP4 tensor cores (vLLM NVFP4 kernels, SM100+)"},
    [PRECISION_MXFP4] = {8.0, true, false,
                         "MXFP4 needs compute capability 8.0+ (Marlin MXFP4 on Ampere) or MI300",
                         "vllm-project/recipes OpenAI/GPT-OSS.md (H100/H200/B200, MI300x; A100 via "
                         "Marlin MXFP4 MoE)"},
};

const struct vllm_format_rule *vllm_format_rule(enum precision p)
{
    switch (p) {
    case PRECISION_FP32:
    case PRECISION_FP16:
    case PRECISION_BF16:
    case PRECISION_INT8:
    case PRECISION_INT4:
    case PRECISION_FP8:
    case PRECISION_FP4:
    case PRECISION_NVFP4:
    case PRECISION_MXFP4:
        return &rules[p];
    }
    return &rules[PRECISION_FP16];
}

bool vllm_gpu_supported(const char *gpu_model, enum precision format, const char **why)
{
    if (gpu_model == NULL)
        return true;
    const struct vllm_format_rule *r = vllm_format_rule(format);
    for (size_t i = 0; i < sizeof(gpus) / sizeof(gpus[0]); i++) {
        if (strstr(gpu_model, gpus[i].match) == NULL)
            continue;
        bool ok = false;
        const char *reason = r->why;
        switch (gpus[i].family) {
        case GPU_CUDA:
            ok = gpus[i].cc >= 7.0 && gpus[i].cc >= r->min_cc;
            if (gpus[i].cc < 7.0)
                reason = "vLLM needs CUDA compute capability 7.0+ or a supported ROCm GPU";
            break;
        case GPU_ROCM_CDNA3:
            ok = r->rocm_cdna3;
            break;
        case GPU_ROCM_RDNA3:
            ok = r->rocm_rdna3;
            break;
        case GPU_ROCM_UNSUPPORTED:
            reason = "vLLM's ROCm build targets CDNA (MI200/MI300) and RDNA3/4; this GPU is "
                     "older (MI25 gfx900, V620 RDNA2 gfx1030)";
            break;
        }
        if (!ok && why)
            *why = reason;
        return ok;
    }
    return true; /* not in the table: let it through (the caller notes unmeasured GPUs) */
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

/*
 * The releases. 0.19 is the report's table above; the others are the Qwen3-14B version sweep of
 * the same team (H100-80GB, TP1, max_model_len 8192, utilization 0.95, `vllm serve`) and the
 * earlier runs it matches. A figure a release was not measured for is its nearest measured
 * neighbour's, and its source says so.
 */
#define SWEEP "jgchn/llm-d-planner accuracy/results/version-sweep/run_matrix.md (commit a95e9f62)"
#define EMPIRICAL                                                                                  \
    "llm-d/llm-d-benchmark config_explorer/empirical-vllm-memory-results.md (H100, the runs the "  \
    "v0.16 sweep matches: Qwen3 5.56-5.64 GiB activation)"
#define OLD_ACTIVATION                                                                             \
    SWEEP                                                                                          \
    " (Qwen3-14B activation 5.64 GiB at v0.15.0 and v0.16.0, 2.21 at v0.19: x2.55; " EMPIRICAL     \
    " has the same ratio for Llama-3.1-8B 4.76/1.89 and gpt-oss-20b 7.38/2.87)"
#define OLD_NON_TORCH                                                                              \
    SWEEP " (non-torch 0.13 GiB at TP1); " EMPIRICAL " (0.55 GiB at TP2, Llama-3.3-70B-FP8; no "   \
          "TP4 run: the TP2 figure)"
#define OLD_GRAPHS                                                                                 \
    EMPIRICAL " (CUDA graph pool 0.10, 0.39 and 1.03 GiB where positive: mean 0.51; the "          \
              "negative readings are memory freed during capture, not a pool)"
#define NEW_ACTIVATION                                                                             \
    SWEEP " (Qwen3-14B activation 2.23 GiB at v0.17.0 and v0.18.0 vs 2.21 at v0.19)"
#define NEW_GRAPHS REPORT " (0.51-1.85 GiB, mean 1.04; not measured at v0.17/v0.18: v0.19's)"

const char *const vllm_version_names[VLLM_VERSION_COUNT] = {
    [VLLM_0_15] = "0.15", [VLLM_0_16] = "0.16", [VLLM_0_17] = "0.17",
    [VLLM_0_18] = "0.18", [VLLM_0_19] = "0.19",
};

static const struct vllm_version_row versions[VLLM_VERSION_COUNT] = {
    [VLLM_0_15] = {2.55, 0.13, 0.55, 0.55, 0.51, OLD_ACTIVATION, OLD_NON_TORCH, OLD_GRAPHS},
    [VLLM_0_16] = {2.55, 0.13, 0.55, 0.55, 0.51, OLD_ACTIVATION, OLD_NON_TORCH, OLD_GRAPHS},
    [VLLM_0_17] = {1.01, 0.13, 0.55, 0.55, 1.04, NEW_ACTIVATION,
                   SWEEP " (non-torch 0.13 GiB at TP1, as v0.16; no TP>=2 run at v0.17: "
                         "v0.16's 0.55 GiB)",
                   NEW_GRAPHS},
    [VLLM_0_18] = {1.01, 0.25, 2.08, 2.17, 1.04, NEW_ACTIVATION,
                   SWEEP " (non-torch 0.25 GiB at TP1, risen as at v0.19; no TP>=2 run at v0.18: "
                         "v0.19's 2.08/2.17 GiB)",
                   NEW_GRAPHS},
    [VLLM_0_19] = {1.0, 0.27, 2.08, 2.17, 1.04, REPORT " (the activation table above)",
                   REPORT " (non-torch 0.27 / 2.08 / 2.17 GiB at TP 1 / 2 / 4)",
                   REPORT " (CUDA graph pool 0.51-1.85 GiB, mean 1.04)"},
};

const char *vllm_version_name(enum vllm_version v)
{
    switch (v) {
    case VLLM_0_15:
    case VLLM_0_16:
    case VLLM_0_17:
    case VLLM_0_18:
    case VLLM_0_19:
        return vllm_version_names[v];
    }
    return "?";
}

const struct vllm_version_row *vllm_version_row(enum vllm_version v)
{
    switch (v) {
    case VLLM_0_15:
    case VLLM_0_16:
    case VLLM_0_17:
    case VLLM_0_18:
    case VLLM_0_19:
        return &versions[v];
    }
    return &versions[VLLM_VERSION_DEFAULT];
}

int vllm_version_parse(const char *s, enum vllm_version *out)
{
    if (s == NULL)
        return -ENOENT;
    for (int i = 0; i < VLLM_VERSION_COUNT; i++) {
        size_t n = strlen(vllm_version_names[i]);
        if (strncmp(s, vllm_version_names[i], n) != 0)
            continue;
        const char *rest = s + n;
        if (*rest == '.' && rest[1] != '\0' && strspn(rest + 1, "0123456789") == strlen(rest + 1))
            rest += strlen(rest);
        if (*rest == '\0') {
            *out = (enum vllm_version)i;
            return 0;
        }
    }
    return -ENOENT;
}

double vllm_non_torch_gib_at(enum vllm_version v, int tp)
{
    const struct vllm_version_row *r = vllm_version_row(v);
    return tp <= 1 ? r->non_torch_tp1 : tp == 2 ? r->non_torch_tp2 : r->non_torch_tp4;
}

double vllm_non_torch_gib(int tp)
{
    return vllm_non_torch_gib_at(VLLM_VERSION_DEFAULT, tp);
}

double vllm_cuda_graph_gib(void)
{
    return vllm_version_row(VLLM_VERSION_DEFAULT)->cuda_graphs;
}

void vllm_scheduler(const struct vllm_knobs *k, const char *gpu_model, double gpu_gib, double ctx,
                    double batch, bool chunked_prefill, double *seqs, double *tokens)
{
    double s = k && k->max_num_seqs > 0 ? (double)k->max_num_seqs : batch;
    double t;
    if (k && k->max_num_batched_tokens > 0) {
        t = (double)k->max_num_batched_tokens;
    } else {
        /* get_batch_defaults: "For GPUs like H100 and MI300x" (>= 70 GiB), not A100 (PR #17885) */
        bool big = gpu_gib >= 70 && (gpu_model == NULL || strstr(gpu_model, "A100") == NULL);
        t = big ? 8192 : 2048;
        if (!chunked_prefill && ctx > t)
            t = ctx;
        if (s * ctx < t)
            t = s * ctx;
    }
    *seqs = s < 1 ? 1 : s;
    *tokens = t < 1 ? 1 : t;
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

void vllm_fit_kv(const struct vllm_fit_in *in, struct vllm_fit *f)
{
    const struct arch *a = in->arch;
    int tp = in->tp < 1 ? 1 : in->tp, pp = in->pp < 1 ? 1 : in->pp;
    int dp = in->dp < 1 ? 1 : in->dp, htp, dcp;
    struct shard_layout l = {.tp = tp, .pp = pp, .dp = dp, .dcp = in->dcp};
    shard_kv_split(&l, &htp, &dcp);
    /*
     * Hybrid models: vLLM gives every running sequence one MambaSpec page per state layer, so the
     * state scales with concurrency (max_num_seqs), not with context; encoder-decoder models hold
     * the cross-attention K/V of the encoder length the same way.
     */
    f->seq_fixed = kv_fixed_seq_bytes(a, in->kv_bytes, tp, pp, in->encoder_len);
    double seq = kv_seq_bytes(a, in->kv_bytes, htp, pp, in->ctx) / dcp + f->seq_fixed;
    double per_token = kv_seq_bytes(a, in->kv_bytes, htp, pp, 1) / dcp;
    double rank_batch = dp > 1 ? ceil(in->batch / dp) : in->batch; /* each DP rank's own */
    f->kv_needed = rank_batch * seq;
    if (f->kv_pool > 0) {
        f->kv_tokens = per_token > 0 ? floor(f->kv_pool / per_token) : 0;
        f->kv_capacity = f->kv_tokens * dp;
        f->max_concurrency = seq > 0 ? dp * (f->kv_pool / seq) : 0;
        f->max_batch = seq > 0 ? dp * floor(f->kv_pool / seq) : 0;
        /* vLLM runs at most max_num_seqs sequences at once per DP rank, whatever the pool holds. */
        if (in->knobs && in->knobs->max_num_seqs > 0 &&
            f->max_batch > dp * (double)in->knobs->max_num_seqs)
            f->max_batch = dp * (double)in->knobs->max_num_seqs;
        double cap = a->max_context > 0 ? (double)a->max_context : 16777216.0;
        /* kv_max_ctx sizes an unsplit sequence: give it the pool of dcp ranks */
        f->max_ctx = kv_max_ctx(a, in->kv_bytes, htp, pp,
                                (f->kv_pool / rank_batch - f->seq_fixed) * dcp, cap);
    }
}

void vllm_fit(const struct vllm_fit_in *in, struct vllm_fit *out)
{
    struct vllm_fit f;
    memset(&f, 0, sizeof(f));
    const struct arch *a = in->arch;
    int tp = in->tp < 1 ? 1 : in->tp, pp = in->pp < 1 ? 1 : in->pp;
    bool m;
    const char *src;
    const struct vllm_knobs dflt = {.version = VLLM_VERSION_DEFAULT};
    const struct vllm_knobs *k = in->knobs ? in->knobs : &dflt;
    const struct vllm_version_row *v = vllm_version_row(k->version);
    /* Encoder-decoder models run without chunked prefill (SchedulerConfig.__post_init__). Each DP
     * rank runs its own scheduler over its own share of the batch. */
    double rank_batch = in->dp > 1 ? ceil(in->batch / in->dp) : in->batch;
    vllm_scheduler(k, in->gpu_model, in->usable_gib, in->ctx, rank_batch, a->encoder_layers == 0,
                   &f.max_num_seqs, &f.max_num_batched_tokens);
    f.budget = in->usable_gib * GIB * in->util;
    f.weights = in->weights_gpu > 0 ? in->weights_gpu : in->weight_bytes / ((double)tp * pp);
    f.imbalance = in->imbalance_bytes;
    /* The profile run is one dummy batch of max_num_batched_tokens: the peak scales with it. */
    f.activation = vllm_activation_gib(a, &m, &src) * v->activation_scale *
                       (f.max_num_batched_tokens / VLLM_ACTIVATION_REF_TOKENS) * GIB +
                   f.imbalance;
    f.non_torch =
        vllm_non_torch_gib_at(k->version, in->comm_ranks > tp ? in->comm_ranks : tp) * GIB;
    /*
     * CUDA graphs: captured for batches up to min(2 x max_num_seqs, 512, max_num_batched_tokens)
     * (vllm/config/vllm.py _set_cudagraph_sizes), largest first so the smaller ones reuse its
     * pool: the pool scales with the largest. enforce_eager captures none.
     */
    double capture =
        fmin(fmin(2 * f.max_num_seqs, VLLM_GRAPHS_REF_CAPTURE), f.max_num_batched_tokens);
    f.cuda_graphs =
        k->enforce_eager ? 0 : v->cuda_graphs * (capture / VLLM_GRAPHS_REF_CAPTURE) * GIB;
    f.kv_pool = f.budget - f.weights - f.activation - f.non_torch;
    vllm_fit_kv(in, &f);
    /* Hybrids: a state page for every sequence vLLM may run (max_num_seqs), whatever the batch. */
    f.state_reserved = f.max_num_seqs * kv_fixed_seq_bytes(a, in->kv_bytes, tp, pp, 0);
    bool graphs_fit = in->usable_gib * GIB * (1 - in->util) >= f.cuda_graphs;
    /* vLLM refuses to start when its (default) batched tokens are fewer than max_num_seqs
     * (SchedulerConfig.verify_max_model_len). */
    bool scheduler_ok = f.max_num_batched_tokens >= f.max_num_seqs;
    f.fits = f.kv_pool > 0 && f.kv_needed <= f.kv_pool && f.state_reserved <= f.kv_pool &&
             graphs_fit && scheduler_ok;
    *out = f;
}
