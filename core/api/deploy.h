/* deploy.h - the launch command (argv) of the chosen layout for the serving engine. */
#ifndef VRAMFIT_DEPLOY_H
#define VRAMFIT_DEPLOY_H

#include <stdbool.h>

#include "memory/engine.h"
#include "model/precision.h"

#define DEPLOY_MAX_ARGS 40  /* the longest argv below has 34 words */
#define DEPLOY_MAX_ARG  160 /* a Hugging Face id is at most 96 characters; model names <= 128 */

struct deploy_in {
    enum engine engine;      /* ENGINE_NONE is served with vLLM (the default engine) */
    const char *model;       /* Hugging Face id or a placeholder; cut at the first space */
    int tp, pp;              /* tensor-parallel degree per VM, pipeline stages */
    int nodes;               /* VMs (0 reads as pp) */
    int dp;                  /* data-parallel ranks (0 or 1: none) */
    bool ep;                 /* experts over EP = DP x TP ranks */
    int dcp;                 /* decode context parallel (vLLM; 0 or 1: none) */
    int redundant;           /* EPLB redundant experts (with ep) */
    long long max_model_len; /* ctx */
    long long max_num_seqs;  /* the given max_num_seqs, else batch */
    double memory_fraction;  /* vLLM gpu_memory_utilization / SGLang mem_fraction_static */
    enum precision format;   /* weight format (quantization flag) */
    bool custom_format;      /* bits_per_weight given: no quantization flag */
    /* The checkpoint itself is stored in format (its config says so): vLLM and SGLang detect it
     * from quantization_config / hf_quant_config.json and take the dtype from torch_dtype, so
     * neither --quantization nor --dtype is written. */
    bool checkpoint_format;
    const char *kv_precision; /* "fp8" etc., or NULL for the activation dtype */

    /* vLLM's knobs the request set: their flags appear only then. */
    long long max_num_batched_tokens; /* --max-num-batched-tokens when > 0 */
    bool enforce_eager;               /* --enforce-eager */
};

struct deploy_argv {
    int n;
    char arg[DEPLOY_MAX_ARGS][DEPLOY_MAX_ARG];
};

/*
 * deploy_build - the argv that starts in->engine with this layout: `vllm serve MODEL
 * --tensor-parallel-size ... --pipeline-parallel-size ... --max-model-len ...
 * --gpu-memory-utilization ... --max-num-seqs ... [--max-num-batched-tokens ...]
 * [--enforce-eager] --kv-cache-dtype ... [--dtype ...]
 * [--quantization ...] [--data-parallel-size DP] [--enable-expert-parallel]
 * [--decode-context-parallel-size DCP] [--enable-eplb --eplb-config {"num_redundant_experts":N}]
 * [--distributed-executor-backend ray | --data-parallel-backend ray]` for vLLM (names as in vLLM's
 * vllm/engine/arg_utils.py; its --num-redundant-experts was deprecated for --eplb-config and
 * removed in v0.12), `python -m sglang.launch_server --model-path MODEL --tp-size ... --pp-size
 * ... --context-length ... --mem-fraction-static ... --max-running-requests ...
 * [--kv-cache-dtype fp8_e4m3] [--dtype ...] [--quantization ...] [--dp-size DP
 * [--enable-dp-attention]] [--ep-size EP] [--enable-eplb --ep-num-redundant-experts N]
 * [--nnodes N]` for SGLang (names as in sglang python/sglang/srt/server_args.py; with DP
 * attention its --tp-size counts every GPU of the engine, DP x TP). Fills *out. No errors (the
 * bounds above hold every argv built here; a longer model id is cut to DEPLOY_MAX_ARG - 1 bytes).
 */
void deploy_build(const struct deploy_in *in, struct deploy_argv *out);

/* An offloaded layout (experts in host RAM), served by llama.cpp or ktransformers. */
struct deploy_offload_in {
    const char *model;    /* Hugging Face id or a placeholder (a GGUF of it is what is loaded) */
    const char *gguf;     /* the GGUF quantization ("Q4_K_M"), or NULL */
    int gpus;             /* GPUs of the VM used (llama.cpp splits layers over them) */
    long long cpu_layers; /* --n-cpu-moe N: blocks 0..N-1 keep their experts in host RAM */
    long long moe_layers; /* all MoE layers: cpu_layers equal to it means --cpu-moe */
    long long ctx, batch;
    int threads; /* CPU threads for the experts: the VM's vCPUs */
};

/*
 * deploy_build_llamacpp - `llama-server -m NAME-QUANT.gguf --n-gpu-layers 999 --cpu-moe` (or
 * `--n-cpu-moe N`) `--ctx-size ... --parallel ... --threads ... [--split-mode layer
 * --tensor-split 1,1...]` (flags as llama.cpp's common/arg.cpp names them; --cpu-moe and
 * --n-cpu-moe from ggml-org/llama.cpp PR #15077). Fills *out. No errors.
 */
void deploy_build_llamacpp(const struct deploy_offload_in *in, struct deploy_argv *out);

/*
 * deploy_build_ktransformers - `python -m ktransformers.local_chat --model_path MODEL
 * --gguf_path <dir> --cpu_infer THREADS --max_new_tokens 1000` (kvcache-ai/ktransformers
 * doc/en/DeepseekR1_V3_tutorial.md): every MoE layer's experts on the CPU. Fills *out.
 */
void deploy_build_ktransformers(const struct deploy_offload_in *in, struct deploy_argv *out);

/* deploy_engine_name - the engine the argv starts ("vllm" for ENGINE_NONE). */
const char *deploy_engine_name(enum engine e);

#endif
