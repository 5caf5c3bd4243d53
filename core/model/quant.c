/* quant.c - quantization_config / hf_quant_config.json into a format, and its exact weight bytes.
 */
#include "model/quant.h"

#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

static const char *const method_names[QUANT_METHOD_COUNT] = {
    [QUANT_NONE] = "none",
    [QUANT_FP8] = "fp8",
    [QUANT_FBGEMM_FP8] = "fbgemm_fp8",
    [QUANT_COMPRESSED_TENSORS] = "compressed-tensors",
    [QUANT_AWQ] = "awq",
    [QUANT_GPTQ] = "gptq",
    [QUANT_MXFP4] = "mxfp4",
    [QUANT_BITSANDBYTES] = "bitsandbytes",
    [QUANT_MODELOPT] = "modelopt",
};

static const char *const layout_names[QL_COUNT] = {
    [QL_DENSE] = "dense",
    [QL_FP8_TENSOR] = "fp8_tensor",
    [QL_FP8_BLOCK] = "fp8_block",
    [QL_FP8_CHANNEL] = "fp8_channel",
    [QL_INT8_CHANNEL] = "int8_channel",
    [QL_INT_GROUP_PACKED] = "int_group_packed",
    [QL_AWQ] = "awq",
    [QL_GPTQ] = "gptq",
    [QL_MXFP4] = "mxfp4",
    [QL_NVFP4] = "nvfp4",
    [QL_BNB_4BIT] = "bnb_4bit",
    [QL_BNB_8BIT] = "bnb_8bit",
};

static const char *const component_names[QC_COUNT] = {
    [QC_ATTENTION] = "attention",   [QC_DENSE_MLP] = "dense_mlp",
    [QC_EXPERTS] = "experts",       [QC_SHARED_EXPERTS] = "shared_experts",
    [QC_EMBEDDINGS] = "embeddings", [QC_HEAD] = "head",
    [QC_OTHER] = "other",           [QC_VISION] = "vision",
};

/* The switches make a new enum value fail the build here until its name row is added. */
const char *quant_method_name(enum quant_method m)
{
    switch (m) {
    case QUANT_NONE:
    case QUANT_FP8:
    case QUANT_FBGEMM_FP8:
    case QUANT_COMPRESSED_TENSORS:
    case QUANT_AWQ:
    case QUANT_GPTQ:
    case QUANT_MXFP4:
    case QUANT_BITSANDBYTES:
    case QUANT_MODELOPT:
        return method_names[m];
    }
    return "?";
}

const char *quant_layout_name(enum quant_layout l)
{
    switch (l) {
    case QL_DENSE:
    case QL_FP8_TENSOR:
    case QL_FP8_BLOCK:
    case QL_FP8_CHANNEL:
    case QL_INT8_CHANNEL:
    case QL_INT_GROUP_PACKED:
    case QL_AWQ:
    case QL_GPTQ:
    case QL_MXFP4:
    case QL_NVFP4:
    case QL_BNB_4BIT:
    case QL_BNB_8BIT:
        return layout_names[l];
    }
    return "?";
}

const char *quant_component_name(enum quant_component c)
{
    switch (c) {
    case QC_ATTENTION:
    case QC_DENSE_MLP:
    case QC_EXPERTS:
    case QC_SHARED_EXPERTS:
    case QC_EMBEDDINGS:
    case QC_HEAD:
    case QC_OTHER:
    case QC_VISION:
        return component_names[c];
    }
    return "?";
}

/* ---- matching module names against ignore lists ---- */

/* A regular expression as Python's re.match reads it: anchored at the start only. */
static bool regex_matches(const char *re, const char *name)
{
    char anchored[512];
    regex_t rx;
    if (snprintf(anchored, sizeof(anchored), "^(%s)", re) >= (int)sizeof(anchored))
        return false;
    if (regcomp(&rx, anchored, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec(&rx, name, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

/* name, or a dot-separated prefix of it, matches the glob g. */
static bool glob_matches(const char *g, const char *name)
{
    char prefix[256];
    size_t n = strlen(name);
    if (n >= sizeof(prefix))
        return false;
    for (size_t i = 1; i <= n; i++) {
        if (i < n && name[i] != '.')
            continue;
        memcpy(prefix, name, i);
        prefix[i] = '\0';
        if (fnmatch(g, prefix, 0) == 0)
            return true;
    }
    return false;
}

static bool plain_matches(const char *p, const char *name)
{
    size_t pn = strlen(p), n = strlen(name);
    if (pn == 0 || pn > n)
        return false;
    if (strncmp(name, p, pn) == 0 && (name[pn] == '\0' || name[pn] == '.'))
        return true;
    return strcmp(name + n - pn, p) == 0 && name[n - pn - 1] == '.';
}

bool quant_matches(const json_t *ignore, const char *name)
{
    size_t i;
    const json_t *v;
    json_array_foreach(ignore, i, v)
    {
        const char *p = json_string_value(v);
        if (p == NULL)
            continue;
        if (strncmp(p, "re:", 3) == 0 ? regex_matches(p + 3, name)
            : strpbrk(p, "*?[")       ? glob_matches(p, name)
                                      : plain_matches(p, name))
            return true;
    }
    return false;
}

/* ---- decoding ---- */

static enum st_dtype dtype_of_torch(const char *s, bool *known)
{
    *known = s != NULL;
    if (s && (strcmp(s, "float16") == 0 || strcmp(s, "half") == 0))
        return ST_F16;
    if (s && (strcmp(s, "float32") == 0 || strcmp(s, "float") == 0))
        return ST_F32;
    return ST_BF16;
}

static int bad(struct error_info *err, const char *prefix, const char *key, const char *rule)
{
    char field[128];
    snprintf(field, sizeof(field), "%s.%s", prefix, key);
    return error_set(err, 422, "invalid_quantization", field, "%s %s", field, rule);
}

/* An integer member in [lo, hi], or dflt when absent. */
static int int_member(const json_t *o, const char *key, long long lo, long long hi, long long dflt,
                      long long *v)
{
    const json_t *x = json_object_get(o, key);
    if (x == NULL || json_is_null(x)) {
        *v = dflt;
        return 0;
    }
    if (!json_is_integer(x) || json_integer_value(x) < lo || json_integer_value(x) > hi)
        return -1;
    *v = json_integer_value(x);
    return 0;
}

static int ignore_list(const json_t *qc, const char *key, const char *prefix, struct quant *q,
                       struct error_info *err)
{
    const json_t *l = json_object_get(qc, key);
    size_t i;
    const json_t *v;
    if (l == NULL || json_is_null(l))
        return 0;
    if (!json_is_array(l) || json_array_size(l) > QUANT_MAX_IGNORE)
        return bad(err, prefix, key, "must be a list of module names (at most 4096)");
    size_t patterns = 0;
    json_array_foreach(l, i, v)
    {
        const char *p = json_string_value(v);
        if (p == NULL || strlen(p) > 200)
            return bad(err, prefix, key, "must hold module names (strings of at most 200 bytes)");
        bool re = strncmp(p, "re:", 3) == 0;
        patterns += re || strpbrk(p, "*?[") != NULL;
        /* Back-references make matching exponential; no ignore list needs them. */
        for (const char *b = strchr(p, '\\'); re && b; b = strchr(b + 1, '\\'))
            if (b[1] >= '1' && b[1] <= '9')
                return bad(err, prefix, key, "holds a re: pattern with a back-reference");
    }
    if (patterns > QUANT_MAX_PATTERNS)
        return bad(err, prefix, key, "holds more than 64 glob or re: patterns");
    q->ignore = l;
    return 0;
}

static int decode_fp8(const json_t *qc, const char *prefix, struct quant *q, struct error_info *err)
{
    const json_t *blk = json_object_get(qc, "weight_block_size");
    q->format = PRECISION_FP8;
    q->bits = 8;
    q->head_quantized = true;
    q->scale_dtype = ST_F32; /* Fp8LinearMethod: weight_scale(_inv) float32 */
    const char *act = json_string_value(json_object_get(qc, "activation_scheme"));
    q->input_scale = act && strcmp(act, "static") == 0;
    if (blk && !json_is_null(blk)) {
        const json_t *o = json_array_get(blk, 0), *i = json_array_get(blk, 1);
        if (!json_is_array(blk) || json_array_size(blk) != 2 || !json_is_integer(o) ||
            !json_is_integer(i) || json_integer_value(o) < 1 || json_integer_value(i) < 1 ||
            json_integer_value(o) > 65536 || json_integer_value(i) > 65536)
            return bad(err, prefix, "weight_block_size", "must be [out, in] block sizes >= 1");
        q->layout = QL_FP8_BLOCK;
        q->block_out = json_integer_value(o);
        q->block_in = json_integer_value(i);
        snprintf(q->desc, sizeof(q->desc), "fp8 block %lldx%lld", (long long)q->block_out,
                 (long long)q->block_in);
    } else {
        q->layout = QL_FP8_TENSOR;
        snprintf(q->desc, sizeof(q->desc), "fp8 per-tensor");
    }
    if (ignore_list(qc, "modules_to_not_convert", prefix, q, err) < 0)
        return -EINVAL;
    return q->ignore ? 0 : ignore_list(qc, "ignored_layers", prefix, q, err);
}

/* compressed-tensors: the first config group's weights decide the layout. */
static int decode_ct(const json_t *qc, const char *prefix, struct quant *q, struct error_info *err)
{
    const json_t *groups = json_object_get(qc, "config_groups");
    const char *k;
    const json_t *g = NULL, *it;
    json_object_foreach((json_t *)(uintptr_t)groups, k, it)
    {
        g = it;
        break;
    }
    const json_t *wt = json_object_get(g, "weights"), *in = json_object_get(g, "input_activations");
    long long bits, gs;
    if (!json_is_object(wt) || int_member(wt, "num_bits", 2, 8, 8, &bits) < 0 ||
        int_member(wt, "group_size", 1, 1 << 20, 0, &gs) < 0)
        return bad(err, prefix, "config_groups",
                   "must hold a group with weights {num_bits 2..8, group_size}");
    const char *type = json_string_value(json_object_get(wt, "type"));
    const char *strategy = json_string_value(json_object_get(wt, "strategy"));
    const char *fmt = json_string_value(json_object_get(qc, "format"));
    bool flt = type && strcmp(type, "float") == 0;
    q->bits = (int)bits;
    q->group = gs;
    q->scale_dtype = q->dense;
    q->head_quantized = true;
    q->input_scale = json_is_object(in) && json_is_false(json_object_get(in, "dynamic"));
    q->zero_points = json_is_false(json_object_get(wt, "symmetric"));
    if (flt && bits == 4 && fmt && strstr(fmt, "nvfp4")) {
        q->layout = QL_NVFP4;
        q->format = PRECISION_NVFP4;
    } else if (flt && bits == 8) {
        q->layout = strategy && strcmp(strategy, "tensor") == 0  ? QL_FP8_TENSOR
                    : strategy && strcmp(strategy, "block") == 0 ? QL_FP8_BLOCK
                                                                 : QL_FP8_CHANNEL;
        q->format = PRECISION_FP8;
        const json_t *bs = json_object_get(wt, "block_structure");
        q->block_out = json_integer_value(json_array_get(bs, 0));
        q->block_in = json_integer_value(json_array_get(bs, 1));
        if (q->layout == QL_FP8_BLOCK && (q->block_out < 1 || q->block_in < 1))
            return bad(err, prefix, "config_groups", "block strategy needs block_structure");
    } else if (!flt && bits == 8 && !(fmt && strstr(fmt, "pack"))) {
        q->layout = QL_INT8_CHANNEL;
        q->format = PRECISION_INT8;
    } else if (!flt) {
        q->layout = QL_INT_GROUP_PACKED;
        q->format = bits == 8 ? PRECISION_INT8 : PRECISION_INT4;
    } else {
        return bad(err, prefix, "config_groups", "is a float format other than fp8 or nvfp4");
    }
    snprintf(q->desc, sizeof(q->desc), "compressed-tensors %s %lld-bit %s", flt ? "float" : "int",
             bits, strategy ? strategy : "");
    return ignore_list(qc, "ignore", prefix, q, err);
}

/* awq and gptq: 4-bit (or 2/3/8) groups with fp16 scales and packed zeros. */
static int decode_awq_gptq(const json_t *qc, const char *prefix, struct quant *q,
                           struct error_info *err)
{
    long long bits, gs;
    bool awq = q->method == QUANT_AWQ;
    if (int_member(qc, awq && json_object_get(qc, "w_bit") ? "w_bit" : "bits", 2, 8, 4, &bits) <
            0 ||
        int_member(qc, awq && json_object_get(qc, "q_group_size") ? "q_group_size" : "group_size",
                   -1, 1 << 20, 128, &gs) < 0 ||
        gs == 0)
        return bad(err, prefix, "bits", "and group_size must be integers (bits 2..8)");
    q->layout = awq ? QL_AWQ : QL_GPTQ;
    q->bits = (int)bits;
    q->group = gs;
    q->format = bits == 8 ? PRECISION_INT8 : PRECISION_INT4;
    snprintf(q->desc, sizeof(q->desc), "%s %lld-bit group %lld", awq ? "awq" : "gptq", bits, gs);
    return ignore_list(qc, "modules_to_not_convert", prefix, q, err);
}

static int decode_bnb(const json_t *qc, const char *prefix, struct quant *q, struct error_info *err)
{
    bool four = json_is_true(json_object_get(qc, "load_in_4bit"));
    if (!four && !json_is_true(json_object_get(qc, "load_in_8bit")))
        return bad(err, prefix, "load_in_4bit", "or load_in_8bit must be true");
    q->layout = four ? QL_BNB_4BIT : QL_BNB_8BIT;
    q->bits = four ? 4 : 8;
    /* NF4/FP4 here are bitsandbytes' weight-only codes (dequantized per block), not FP4 tensor
     * cores: the 4-bit weight-only GPU rule applies. */
    q->format = four ? PRECISION_INT4 : PRECISION_INT8;
    q->double_quant = four && json_is_true(json_object_get(qc, "bnb_4bit_use_double_quant"));
    const char *t = json_string_value(json_object_get(qc, "bnb_4bit_quant_type"));
    snprintf(q->desc, sizeof(q->desc), "bitsandbytes %s%s", four ? (t ? t : "fp4") : "int8",
             q->double_quant ? " double-quant" : "");
    return ignore_list(qc, "llm_int8_skip_modules", prefix, q, err);
}

/* ModelOpt: {"quant_algo": "FP8"|"NVFP4", "exclude_modules": [...]} (config.json's
 * quantization_config or hf_quant_config.json's "quantization"). */
static int decode_modelopt(const json_t *qc, const char *prefix, struct quant *q,
                           struct error_info *err)
{
    const char *algo = json_string_value(json_object_get(qc, "quant_algo"));
    q->head_quantized = true;
    q->input_scale = true;
    q->scale_dtype = ST_F32;
    if (algo && strcmp(algo, "FP8") == 0) {
        q->layout = QL_FP8_TENSOR;
        q->format = PRECISION_FP8;
        q->bits = 8;
    } else if (algo && strcmp(algo, "NVFP4") == 0) {
        q->layout = QL_NVFP4;
        q->format = PRECISION_NVFP4;
        q->bits = 4;
    } else {
        return bad(err, prefix, "quant_algo", "must be \"FP8\" or \"NVFP4\"");
    }
    q->kv_scales = json_is_string(json_object_get(qc, "kv_cache_quant_algo"));
    snprintf(q->desc, sizeof(q->desc), "modelopt %s", algo);
    if (ignore_list(qc, "exclude_modules", prefix, q, err) < 0)
        return -EINVAL;
    return q->ignore ? 0 : ignore_list(qc, "ignore", prefix, q, err);
}

static int decode_method(const json_t *qc, const char *prefix, struct quant *q,
                         struct error_info *err)
{
    const char *m = json_string_value(json_object_get(qc, "quant_method"));
    if (m == NULL && json_object_get(qc, "quant_algo"))
        m = "modelopt";
    for (int i = 1; m && i < QUANT_METHOD_COUNT; i++)
        if (strcmp(m, method_names[i]) == 0)
            q->method = (enum quant_method)i;
    if (m && strcmp(m, "compressed_tensors") == 0)
        q->method = QUANT_COMPRESSED_TENSORS;
    switch (q->method) {
    case QUANT_NONE:
        /* A real method vramfit does not lay out (gguf, hqq, quark, torchao, auto-round, ...):
         * not bad input, but its bytes are unknown, so precision (or bits_per_weight) decides. */
        if (m == NULL)
            return bad(err, prefix, "quant_method", "must be a string naming the method");
        snprintf(q->unknown, sizeof(q->unknown), "%.47s", m);
        return 0;
    case QUANT_FP8:
        return decode_fp8(qc, prefix, q, err);
    case QUANT_FBGEMM_FP8: /* FBGEMMFp8Config: per-output-channel float32 weight_scale */
        q->layout = QL_FP8_CHANNEL;
        q->format = PRECISION_FP8;
        q->bits = 8;
        q->scale_dtype = ST_F32;
        q->head_quantized = true;
        snprintf(q->desc, sizeof(q->desc), "fbgemm fp8 per-channel");
        return ignore_list(qc, "modules_to_not_convert", prefix, q, err);
    case QUANT_COMPRESSED_TENSORS:
        return decode_ct(qc, prefix, q, err);
    case QUANT_AWQ:
    case QUANT_GPTQ:
        return decode_awq_gptq(qc, prefix, q, err);
    case QUANT_MXFP4: /* gpt-oss: the routed experts only, 4-bit e2m1 + an e8m0 scale per 32 */
        q->layout = QL_MXFP4;
        q->format = PRECISION_MXFP4;
        q->bits = 4;
        q->experts_only = true;
        snprintf(q->desc, sizeof(q->desc), "mxfp4 experts");
        return ignore_list(qc, "modules_to_not_convert", prefix, q, err);
    case QUANT_BITSANDBYTES:
        return decode_bnb(qc, prefix, q, err);
    case QUANT_MODELOPT:
        return decode_modelopt(qc, prefix, q, err);
    }
    return -EINVAL;
}

int quant_from_config(const json_t *cfg, const json_t *hf_quant, const char *field_prefix,
                      struct quant *out, struct error_info *err)
{
    struct quant q;
    memset(&q, 0, sizeof(q));
    const json_t *text = json_object_get(cfg, "text_config");
    const char *dt = json_string_value(json_object_get(cfg, "torch_dtype"));
    if (dt == NULL)
        dt = json_string_value(json_object_get(cfg, "dtype"));
    if (dt == NULL)
        dt = json_string_value(json_object_get(text, "torch_dtype"));
    q.dense = dtype_of_torch(dt, &q.dtype_declared);
    q.scale_dtype = q.dense;
    q.format = q.dense == ST_F32   ? PRECISION_FP32
               : q.dense == ST_F16 ? PRECISION_FP16
                                   : PRECISION_BF16;
    snprintf(q.desc, sizeof(q.desc), "%s", precision_name(q.format));
    const json_t *qc = json_object_get(cfg, "quantization_config");
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "%s.quantization_config", field_prefix);
    if (qc == NULL)
        qc = json_object_get(text, "quantization_config");
    if (qc == NULL && hf_quant != NULL) {
        qc = json_object_get(hf_quant, "quantization");
        if (qc == NULL)
            qc = hf_quant;
        snprintf(prefix, sizeof(prefix), "hf_quant_config");
    }
    if (qc != NULL) {
        if (!json_is_object(qc))
            return bad(err, prefix, "quant_method", "is missing: the block is not an object");
        int rc = decode_method(qc, prefix, &q, err);
        if (rc < 0)
            return rc;
        q.dtype_declared = q.unknown[0] == '\0';
    } else if (q.dense == ST_F32) {
        /* vLLM's --dtype auto serves a float32 checkpoint in 16 bits (its log: "Downcasting
         * torch.float32 to torch.float16", or bfloat16; vllm config _get_and_verify_dtype):
         * float16 here, which every GPU vLLM supports. */
        q.dense = q.scale_dtype = ST_F16;
        q.format = PRECISION_FP16;
        q.downcast = true;
        snprintf(q.desc, sizeof(q.desc), "fp16 (a float32 checkpoint, downcast)");
    }
    *out = q;
    return 0;
}

int quant_runtime(enum precision p, enum st_dtype dense, struct quant *out)
{
    struct quant q;
    memset(&q, 0, sizeof(q));
    q.runtime = true;
    q.format = p;
    q.dense = dense;
    q.dtype_declared = true;
    switch (p) {
    case PRECISION_FP32:
    case PRECISION_FP16:
    case PRECISION_BF16:
        q.dense = p == PRECISION_FP32 ? ST_F32 : p == PRECISION_FP16 ? ST_F16 : ST_BF16;
        q.layout = QL_DENSE;
        break;
    case PRECISION_FP8:
        /* vLLM Fp8Config(activation_scheme="dynamic") on a 16-bit checkpoint: each LinearBase
         * gets an fp8 weight and one float32 scale; ParallelLMHead and the embedding stay. */
        q.layout = QL_FP8_TENSOR;
        q.method = QUANT_FP8;
        q.bits = 8;
        q.scale_dtype = ST_F32;
        break;
    case PRECISION_INT8:
    case PRECISION_INT4:
    case PRECISION_FP4:
    case PRECISION_NVFP4:
    case PRECISION_MXFP4:
        return -ENOENT;
    }
    snprintf(q.desc, sizeof(q.desc), "%s (runtime)", precision_name(p));
    *out = q;
    return 0;
}
