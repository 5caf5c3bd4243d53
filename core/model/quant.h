/* quant.h - a checkpoint's weight format from its config, and the exact bytes its tensors take. */
#ifndef VRAMFIT_QUANT_H
#define VRAMFIT_QUANT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonout.h"
#include "model/arch.h"
#include "model/params.h"
#include "model/precision.h"
#include "model/safetensors.h"

/*
 * The quantization methods a config can declare (quantization_config.quant_method, or NVIDIA
 * ModelOpt's hf_quant_config.json). Names: "none", "fp8", "fbgemm_fp8", "compressed-tensors",
 * "awq", "gptq", "mxfp4", "bitsandbytes", "modelopt".
 */
enum quant_method {
    QUANT_NONE = 0,
    QUANT_FP8,
    QUANT_FBGEMM_FP8,
    QUANT_COMPRESSED_TENSORS,
    QUANT_AWQ,
    QUANT_GPTQ,
    QUANT_MXFP4,
    QUANT_BITSANDBYTES,
    QUANT_MODELOPT,
};
#define QUANT_METHOD_COUNT (QUANT_MODELOPT + 1)

/*
 * How one quantized Linear (out x in) is stored; the tensors of each layout are listed in quant.c
 * with the code that writes them. Names: "dense", "fp8_tensor", "fp8_block", "fp8_channel",
 * "int8_channel", "int_group_packed", "awq", "gptq", "mxfp4", "nvfp4", "bnb_4bit", "bnb_8bit".
 */
enum quant_layout {
    QL_DENSE = 0,
    QL_FP8_TENSOR,
    QL_FP8_BLOCK,
    QL_FP8_CHANNEL,
    QL_INT8_CHANNEL,
    QL_INT_GROUP_PACKED,
    QL_AWQ,
    QL_GPTQ,
    QL_MXFP4,
    QL_NVFP4,
    QL_BNB_4BIT,
    QL_BNB_8BIT,
};
#define QL_COUNT (QL_BNB_8BIT + 1)

/* At most this many module patterns are kept from an ignore list (Qwen3-235B-A22B-FP8 has 283). */
#define QUANT_MAX_IGNORE 4096
/* Of them, at most this many globs or "re:" expressions (real lists have a handful): each is tried
 * against every linear of the model, so a user's config must not bring thousands. */
#define QUANT_MAX_PATTERNS 64

/* A checkpoint's weight format. `ignore` is borrowed from the config it was read from. */
struct quant {
    enum quant_method method;
    enum quant_layout layout;
    enum precision format;     /* the closest enum precision (GPU rules, deploy, the answer) */
    enum st_dtype dense;       /* dtype of every tensor left unquantized (torch_dtype; bf16) */
    enum st_dtype scale_dtype; /* dtype of per-channel/group scales where the format lets it vary */
    bool dtype_declared;       /* the config states torch_dtype/dtype or a quantization */
    int bits;                  /* weight bits of the quantized linears (4 or 8) */
    int64_t group;             /* group size along the input dimension (awq, gptq, w4a16) */
    int64_t block_out, block_in; /* fp8 weight_block_size */
    bool input_scale;            /* a static activation scale per linear (one F32) */
    bool zero_points;            /* asymmetric int groups (compressed-tensors) */
    bool double_quant;           /* bitsandbytes bnb_4bit_use_double_quant */
    bool experts_only;           /* only the routed experts are quantized (mxfp4) */
    bool kv_scales;              /* k_scale and v_scale (F32) per attention (ModelOpt kv FP8) */
    bool head_quantized;         /* the method may quantize lm_head when not ignored */
    bool runtime;                /* chosen at launch (vLLM --quantization), not by the checkpoint */
    bool downcast;               /* a float32 checkpoint, served in 16 bits (vLLM --dtype auto) */
    const json_t *ignore;        /* module patterns kept 16-bit (array of strings) or NULL */
    char desc[64];               /* e.g. "fp8 block 128x128", "awq 4-bit group 128" */
    /* A quant_method vramfit does not lay out ("gguf", "hqq", ...): method stays QUANT_NONE,
     * dtype_declared false (precision decides), and the answer says so. "" otherwise. */
    char unknown[48];
};

/* Names of the enums above (static storage; "?" for a value outside the enum). */
const char *quant_method_name(enum quant_method m);
const char *quant_layout_name(enum quant_layout l);

/*
 * quant_from_config - the weight format a Hugging Face config declares: config.quantization_config
 * (or text_config.quantization_config), else hf_quant (the content of NVIDIA ModelOpt's
 * hf_quant_config.json, {"quantization": {"quant_algo", "exclude_modules", ...}}; may be NULL).
 * Neither: method QUANT_NONE and the layout dense at torch_dtype/dtype (bf16 when absent,
 * dtype_declared false). A quant_method it does not lay out is not an error: q->unknown names
 * it and dtype_declared is false. field_prefix names the object in errors. Errors: -EINVAL with
 * a 422 naming the field for a malformed block (quant_method not a string; bits, group, block
 * size or ignore list out of shape). Nothing is allocated; *out borrows from cfg/hf_quant.
 */
int quant_from_config(const json_t *cfg, const json_t *hf_quant, const char *field_prefix,
                      struct quant *out, struct error_info *err);

/*
 * quant_runtime - the format vLLM gives a 16-bit checkpoint when the request asks for precision p
 * at launch: fp8 is vLLM's online dynamic fp8 (every Linear but lm_head to fp8 with a per-tensor
 * scale); fp32/fp16/bf16 are dense. Returns 0 and fills *out, or -ENOENT when vLLM has no online
 * method for p (the caller then counts parameters x bytes).
 */
int quant_runtime(enum precision p, enum st_dtype dense, struct quant *out);

/* Parts of the parameter count the weights are reported by. Names: "attention", "dense_mlp",
 * "experts", "shared_experts", "embeddings", "head", "other" (norms, routers, biases, mixers),
 * "vision". */
enum quant_component {
    QC_ATTENTION = 0,
    QC_DENSE_MLP,
    QC_EXPERTS,
    QC_SHARED_EXPERTS,
    QC_EMBEDDINGS,
    QC_HEAD,
    QC_OTHER,
    QC_VISION,
};
#define QC_COUNT (QC_VISION + 1)
const char *quant_component_name(enum quant_component c);

/* The weights of an architecture in a format: exact bytes, split like a tensor table. */
struct quant_weights {
    struct st_summary sum; /* bytes by part and dtype (tensors is 0: the config does not list) */
    double params[QC_COUNT];
    double bytes[QC_COUNT];
    uint64_t excluded_params; /* quantizable linear weights the ignore list keeps 16-bit */
    uint64_t excluded_bytes;
    uint64_t vllm_bytes; /* what vLLM allocates for them at tp 1 (mxfp4 expert padding) */
};

/*
 * quant_weights - the bytes of every weight of a (counted as p) stored as q. Linear layers are
 * enumerated per layer with the module names Hugging Face checkpoints use ("model.layers.N.
 * self_attn.q_proj", "...mlp.experts", "lm_head") so ignore lists apply as vLLM applies them;
 * everything that is not a quantizable linear (norms, biases, routers, sinks, state mixers,
 * vision towers, embeddings) takes q->dense. Never fails.
 */
void quant_weights(const struct arch *a, const struct params *p, const struct quant *q,
                   struct quant_weights *out);

/*
 * quant_matches - true when module name is covered by one pattern of the ignore list: equal, a
 * dot-separated prefix or suffix of it, a glob ("model.layers.*.self_attn"), or a regular
 * expression after "re:" (compressed-tensors' "re:.*lm_head"), as vLLM's is_layer_skipped and
 * compressed-tensors' matchers read them.
 */
bool quant_matches(const json_t *ignore, const char *name);

/*
 * quant_write - {"format", "precision_source", "method", "layout", "description", "dense_dtype",
 * "bytes", "vllm_bytes" (when it differs), "excluded_params", "by_part", "by_dtype",
 * "components": {name: {"params", "bytes", "bits_per_param"}}} into w. source says where the
 * format came from ("checkpoint", "request", "request_runtime").
 */
void quant_write(struct jsonout *w, const struct quant *q, const struct quant_weights *qw,
                 const char *source);

#endif
