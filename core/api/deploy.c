/* deploy.c - builds the launch argv of a chosen layout for vLLM or SGLang. */
#include "api/deploy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void add(struct deploy_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends one argument (silently dropped past DEPLOY_MAX_ARGS: the table bounds what is added). */
static void add(struct deploy_argv *a, const char *fmt, ...)
{
    if (a->n >= DEPLOY_MAX_ARGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->arg[a->n++], DEPLOY_MAX_ARG, fmt, ap);
    va_end(ap);
}

static void add2(struct deploy_argv *a, const char *flag, const char *value)
{
    add(a, "%s", flag);
    add(a, "%s", value);
}

/* The model id up to its first space (a preset may annotate its id). */
static void add_model(struct deploy_argv *a, const char *model)
{
    const char *m = model ? model : "<hf-model-id>";
    size_t len = strcspn(m, " ");
    add(a, "%.*s", (int)(len < DEPLOY_MAX_ARG ? len : DEPLOY_MAX_ARG - 1), m);
}

/*
 * The quantization method name for a weight format, as vLLM's and SGLang's --quantization accept
 * it (NULL: no flag; the checkpoint's own quantization_config decides, or none is needed).
 */
static const char *quantization(enum precision f)
{
    switch (f) {
    case PRECISION_FP8:
        return "fp8"; /* online dynamic fp8 from a bf16/fp16 checkpoint */
    case PRECISION_INT4:
        return "awq"; /* a 4-bit AWQ checkpoint (vLLM upgrades to awq_marlin on 8.0+) */
    case PRECISION_MXFP4:
        return "mxfp4";
    case PRECISION_FP4:
    case PRECISION_NVFP4:
        return "modelopt_fp4";
    case PRECISION_FP32:
    case PRECISION_FP16:
    case PRECISION_BF16:
    case PRECISION_INT8: /* W8A8 int8 comes as a compressed-tensors checkpoint: detected */
        return NULL;
    }
    return NULL;
}

/* --dtype for the activations (NULL: the checkpoint's). AWQ runs in fp16 (vLLM's advice). */
static const char *dtype(enum precision f)
{
    switch (f) {
    case PRECISION_FP32:
        return "float32";
    case PRECISION_FP16:
    case PRECISION_INT4:
        return "float16";
    case PRECISION_BF16:
        return "bfloat16";
    case PRECISION_INT8:
    case PRECISION_FP8:
    case PRECISION_FP4:
    case PRECISION_NVFP4:
    case PRECISION_MXFP4:
        return NULL;
    }
    return NULL;
}

static void formats(const struct deploy_in *in, struct deploy_argv *a)
{
    if (in->custom_format || in->checkpoint_format)
        return;
    if (dtype(in->format))
        add2(a, "--dtype", dtype(in->format));
    if (quantization(in->format))
        add2(a, "--quantization", quantization(in->format));
}

/* The layout's degrees with 0 read as 1. */
static int one(int d)
{
    return d < 1 ? 1 : d;
}

static void vllm_layout(const struct deploy_in *in, struct deploy_argv *a)
{
    if (one(in->dp) > 1) {
        add(a, "--data-parallel-size");
        add(a, "%d", in->dp);
    }
    if (in->ep)
        add(a, "--enable-expert-parallel");
    if (one(in->dcp) > 1) {
        add(a, "--decode-context-parallel-size");
        add(a, "%d", in->dcp);
    }
    if (in->ep && in->redundant > 0) {
        add(a, "--enable-eplb");
        add(a, "--eplb-config");
        add(a, "{\"num_redundant_experts\":%d}", in->redundant);
    }
    int nodes = in->nodes > 0 ? in->nodes : in->pp;
    if (nodes > 1) { /* several VMs: vLLM's multi-node runs on a Ray cluster */
        if (one(in->pp) > 1)
            add2(a, "--distributed-executor-backend", "ray");
        else
            add2(a, "--data-parallel-backend", "ray");
    }
}

static void vllm(const struct deploy_in *in, struct deploy_argv *a)
{
    add(a, "vllm");
    add(a, "serve");
    add_model(a, in->model);
    add(a, "--tensor-parallel-size");
    add(a, "%d", in->tp);
    add(a, "--pipeline-parallel-size");
    add(a, "%d", in->pp);
    add(a, "--max-model-len");
    add(a, "%lld", in->max_model_len);
    add(a, "--gpu-memory-utilization");
    add(a, "%.2f", in->memory_fraction);
    add(a, "--max-num-seqs");
    add(a, "%lld", in->max_num_seqs);
    /* SchedulerConfig's --max-num-batched-tokens and ModelConfig's --enforce-eager (a store-true
     * style BooleanOptionalAction) in vllm/engine/arg_utils.py, only when the request set them. */
    if (in->max_num_batched_tokens > 0) {
        add(a, "--max-num-batched-tokens");
        add(a, "%lld", in->max_num_batched_tokens);
    }
    if (in->enforce_eager)
        add(a, "--enforce-eager");
    add2(a, "--kv-cache-dtype",
         in->kv_precision && strcmp(in->kv_precision, "fp8") == 0 ? "fp8" : "auto");
    formats(in, a);
    vllm_layout(in, a);
}

/*
 * SGLang's layout flags. With DP attention (--enable-dp-attention) --tp-size is every GPU of the
 * engine and --dp-size splits the attention into that many groups; without it --dp-size runs
 * whole replicas of --tp-size GPUs each.
 */
static void sglang_layout(const struct deploy_in *in, struct deploy_argv *a)
{
    int tp = one(in->tp), dp = one(in->dp);
    bool dp_attention = in->ep && dp > 1;
    add(a, "--tp-size");
    add(a, "%d", dp_attention ? tp * dp : tp);
    add(a, "--pp-size");
    add(a, "%d", one(in->pp));
    if (dp > 1) {
        add(a, "--dp-size");
        add(a, "%d", dp);
        if (dp_attention)
            add(a, "--enable-dp-attention");
    }
    if (in->ep) {
        add(a, "--ep-size");
        add(a, "%d", tp * dp);
    }
    if (in->ep && in->redundant > 0) {
        add(a, "--enable-eplb");
        add(a, "--ep-num-redundant-experts");
        add(a, "%d", in->redundant);
    }
}

static void sglang(const struct deploy_in *in, struct deploy_argv *a)
{
    add(a, "python");
    add(a, "-m");
    add(a, "sglang.launch_server");
    add(a, "--model-path");
    add_model(a, in->model);
    sglang_layout(in, a);
    add(a, "--context-length");
    add(a, "%lld", in->max_model_len);
    add(a, "--mem-fraction-static");
    add(a, "%.3f", in->memory_fraction);
    add(a, "--max-running-requests");
    add(a, "%lld", in->max_num_seqs);
    if (in->kv_precision && strcmp(in->kv_precision, "fp8") == 0)
        add2(a, "--kv-cache-dtype", "fp8_e4m3");
    formats(in, a);
    int nodes = in->nodes > 0 ? in->nodes : in->pp;
    if (nodes > 1) {
        add(a, "--nnodes");
        add(a, "%d", nodes);
    }
}

const char *deploy_engine_name(enum engine e)
{
    switch (e) {
    case ENGINE_NONE:
        return engine_name(ENGINE_VLLM);
    case ENGINE_VLLM:
    case ENGINE_SGLANG:
        break;
    }
    return engine_name(e);
}

void deploy_build(const struct deploy_in *in, struct deploy_argv *out)
{
    memset(out, 0, sizeof(*out));
    switch (in->engine) {
    case ENGINE_NONE:
    case ENGINE_VLLM:
        vllm(in, out);
        break;
    case ENGINE_SGLANG:
        sglang(in, out);
        break;
    }
}

void deploy_build_llamacpp(const struct deploy_offload_in *in, struct deploy_argv *out)
{
    struct deploy_argv *a = out;
    memset(a, 0, sizeof(*a));
    add(a, "llama-server");
    add(a, "-m");
    /* A GGUF file of the model at that quantization (llama.cpp's convert_hf_to_gguf.py and
     * llama-quantize make one from the Hugging Face checkpoint; published GGUF repositories use
     * the same MODEL-QUANT.gguf names). The id's last segment up to its first space. */
    const char *m = in->model ? in->model : "model";
    const char *slash = strrchr(m, '/');
    m = slash ? slash + 1 : m;
    size_t len = strcspn(m, " ");
    add(a, "%.*s-%s.gguf", (int)(len < 96 ? len : 96), m, in->gguf ? in->gguf : "F16");
    add2(a, "--n-gpu-layers", "999");
    if (in->cpu_layers >= in->moe_layers) {
        add(a, "--cpu-moe");
    } else {
        add(a, "--n-cpu-moe");
        add(a, "%lld", in->cpu_layers);
    }
    add(a, "--ctx-size");
    add(a, "%lld", in->ctx);
    add(a, "--parallel");
    add(a, "%lld", in->batch);
    add(a, "--threads");
    add(a, "%d", in->threads);
    if (in->gpus > 1) {
        add2(a, "--split-mode", "layer");
        add(a, "--tensor-split");
        char split[DEPLOY_MAX_ARG] = "1";
        for (int i = 1; i < in->gpus && strlen(split) + 3 < sizeof(split); i++)
            strcat(split, ",1");
        add(a, "%s", split);
    }
}

void deploy_build_ktransformers(const struct deploy_offload_in *in, struct deploy_argv *out)
{
    struct deploy_argv *a = out;
    memset(a, 0, sizeof(*a));
    add(a, "python");
    add2(a, "-m", "ktransformers.local_chat");
    add(a, "--model_path");
    add_model(a, in->model);
    add2(a, "--gguf_path", "<dir of the GGUF files>");
    add(a, "--cpu_infer");
    add(a, "%d", in->threads);
    add2(a, "--max_new_tokens", "1000");
}
