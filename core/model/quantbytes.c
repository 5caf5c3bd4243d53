/* quantbytes.c - the exact bytes of an architecture's tensors in a quant format, per component. */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "model/quant.h"

/* Bytes per element of the dtypes used here (safetensors widths). */
static double width(enum st_dtype d)
{
    switch (d) {
    case ST_F4:
        return 0.5;
    case ST_F6_E2M3:
    case ST_F6_E3M2:
        return 0.75;
    case ST_BOOL:
    case ST_U8:
    case ST_I8:
    case ST_F8_E5M2:
    case ST_F8_E4M3:
    case ST_F8_E8M0:
        return 1;
    case ST_I16:
    case ST_U16:
    case ST_F16:
    case ST_BF16:
        return 2;
    case ST_I32:
    case ST_U32:
    case ST_F32:
        return 4;
    case ST_F64:
    case ST_I64:
    case ST_U64:
        return 8;
    }
    return 2;
}

static double up(double a, double b)
{
    return ceil(a / b);
}

/* Adds n elements of dtype d to the per-dtype bytes; returns their bytes. */
static double put(double *dt, enum st_dtype d, double n)
{
    double b = ceil(n * width(d));
    dt[d] += b;
    return b;
}

/*
 * One linear layer (out x in) in layout q->layout, the tensors its checkpoint stores:
 * - fp8_tensor: weight F8_E4M3 [out, in], weight_scale [1] (+ input_scale F32 [1] when static)
 * - fp8_block: weight F8_E4M3, weight_scale_inv [ceil(out/bo), ceil(in/bi)] (transformers
 *   FP8Linear, vLLM Fp8LinearMethod block_quant)
 * - fp8_channel / int8_channel: weight F8_E4M3 / I8, weight_scale [out, 1] (per tensor: [1])
 * - int_group_packed (compressed-tensors pack-quantized): weight_packed I32 [out, in*bits/32],
 *   weight_scale [out, in/g], weight_shape I64 [2], zero_point I32 [out*bits/32, in/g] if asym
 * - awq (AutoAWQ gemm): qweight I32 [in, out*bits/32], qzeros I32 [in/g, out*bits/32], scales
 *   F16 [in/g, out]
 * - gptq (AutoGPTQ): qweight I32 [in*bits/32, out], qzeros I32 [in/g, out*bits/32], scales F16
 *   [in/g, out], g_idx I32 [in]
 * - mxfp4 (gpt-oss): *_blocks U8 [out, in/32, 16], *_scales U8 [out, in/32] (e8m0)
 * - nvfp4 (ModelOpt, compressed-tensors): weight U8 [out, in/2], weight_scale F8_E4M3
 *   [out, in/16], weight_scale_2 / global scale F32 [1], input_scale F32 [1]
 * - bnb_4bit: weight U8 [out*in/2, 1], absmax per 64 values (F32; double quant: U8 plus
 *   nested_absmax F32 per 256 blocks and a 256-entry F32 nested_quant_map), quant_map F32 [16]
 *   (the quant_state JSON blob is not counted: its length is not in the config)
 * - bnb_8bit: weight I8 [out, in], SCB F32 [out]
 */
static double linear_bytes(const struct quant *q, enum quant_layout l, double out, double in,
                           double *dt)
{
    double g = q->group > 0 ? (double)q->group : in, w = out * in, b = 0;
    double pack = 32.0 / (q->bits > 0 ? q->bits : 4);
    switch (l) {
    case QL_DENSE:
        return put(dt, q->dense, w);
    case QL_FP8_TENSOR:
        b = put(dt, ST_F8_E4M3, w) + put(dt, q->scale_dtype, 1);
        break;
    case QL_FP8_BLOCK:
        b = put(dt, ST_F8_E4M3, w) +
            put(dt, q->scale_dtype, up(out, (double)q->block_out) * up(in, (double)q->block_in));
        break;
    case QL_FP8_CHANNEL:
        b = put(dt, ST_F8_E4M3, w) + put(dt, q->scale_dtype, out);
        break;
    case QL_INT8_CHANNEL:
        b = put(dt, ST_I8, w) + put(dt, q->scale_dtype, out);
        break;
    case QL_INT_GROUP_PACKED:
        b = put(dt, ST_I32, out * up(in, pack)) + put(dt, q->scale_dtype, out * up(in, g)) +
            put(dt, ST_I64, 2);
        if (q->zero_points)
            b += put(dt, ST_I32, up(out, pack) * up(in, g));
        return b;
    case QL_AWQ:
        return put(dt, ST_I32, in * up(out, pack)) + put(dt, ST_I32, up(in, g) * up(out, pack)) +
               put(dt, ST_F16, up(in, g) * out);
    case QL_GPTQ:
        return put(dt, ST_I32, up(in, pack) * out) + put(dt, ST_I32, up(in, g) * up(out, pack)) +
               put(dt, ST_F16, up(in, g) * out) + put(dt, ST_I32, in);
    case QL_MXFP4:
        return put(dt, ST_U8, out * up(in, 32) * 16) + put(dt, ST_U8, out * up(in, 32));
    case QL_NVFP4:
        b = put(dt, ST_U8, out * up(in, 2)) + put(dt, ST_F8_E4M3, out * up(in, 16)) +
            put(dt, ST_F32, 1);
        break;
    case QL_BNB_4BIT: {
        double blocks = up(w, 64);
        b = put(dt, ST_U8, up(w, 2)) + put(dt, ST_F32, 16);
        if (q->double_quant)
            return b + put(dt, ST_U8, blocks) + put(dt, ST_F32, up(blocks, 256)) +
                   put(dt, ST_F32, 256);
        return b + put(dt, ST_F32, blocks);
    }
    case QL_BNB_8BIT:
        return put(dt, ST_I8, w) + put(dt, ST_F32, out);
    }
    if (q->input_scale)
        b += put(dt, ST_F32, 1);
    return b;
}

/* The walk over one model's linear layers. */
struct walk {
    const struct quant *q;
    struct quant_weights *out;
    double lin_params[QC_COUNT]; /* weight elements of the linears enumerated per component */
    /* The ignore list split for speed: plain names as a set (a name is ignored when one of its
     * dot-prefixes or dot-suffixes is in it: quant_matches' plain rule), the globs and
     * regular expressions as a list. NULL when there is no list (or no memory: slow path). */
    json_t *plain, *other;
    regex_t rx[QUANT_MAX_PATTERNS]; /* the re: patterns, compiled once (quant_matches' rule) */
    int nrx;
    double pad_experts; /* mxfp4: expert linears (and gate_up biases' growth) as vLLM pads them */
    double mx_stored;   /* mxfp4: the same linears as the checkpoint stores them */
};

static enum st_part part_of(enum quant_component c)
{
    switch (c) {
    case QC_EXPERTS:
        return ST_PART_EXPERTS;
    case QC_EMBEDDINGS:
        return ST_PART_EMBEDDINGS;
    case QC_HEAD:
        return ST_PART_HEAD;
    case QC_VISION:
        return ST_PART_VISION;
    case QC_ATTENTION:
    case QC_DENSE_MLP:
    case QC_SHARED_EXPERTS:
    case QC_OTHER:
        break;
    }
    return ST_PART_SHARED;
}

/* Adds bytes of component c (per-dtype bytes in dt) to the totals. */
static void account(struct walk *k, enum quant_component c, const double *dt)
{
    struct quant_weights *o = k->out;
    for (int d = 0; d < ST_DTYPE_COUNT; d++) {
        if (dt[d] == 0)
            continue;
        o->sum.dtype_bytes[d] += (uint64_t)dt[d];
        o->sum.part_bytes[part_of(c)] += (uint64_t)dt[d];
        o->sum.bytes += (uint64_t)dt[d];
        o->bytes[c] += dt[d];
    }
}

/* Splits q->ignore into k->plain / k->other; on allocation failure leaves both NULL. */
static void index_ignore(struct walk *k)
{
    size_t i;
    const json_t *v;
    if (k->q->ignore == NULL || (k->plain = json_object()) == NULL)
        return;
    if ((k->other = json_array()) == NULL) {
        json_decref(k->plain);
        k->plain = NULL;
        return;
    }
    json_array_foreach(k->q->ignore, i, v)
    {
        const char *p = json_string_value(v);
        if (p == NULL)
            continue;
        char anchored[512];
        int rc = 0;
        if (strncmp(p, "re:", 3) == 0) {
            /* As Python's re.match reads it: anchored at the start only. A pattern that does not
             * compile (or is too long) matches nothing, as in quant_matches. */
            if (k->nrx < QUANT_MAX_PATTERNS &&
                snprintf(anchored, sizeof(anchored), "^(%s)", p + 3) < (int)sizeof(anchored) &&
                regcomp(&k->rx[k->nrx], anchored, REG_EXTENDED | REG_NOSUB) == 0)
                k->nrx++;
        } else {
            rc = strpbrk(p, "*?[") ? json_array_append_new(k->other, json_string(p))
                                   : json_object_set_new(k->plain, p, json_true());
        }
        if (rc < 0) {
            json_decref(k->plain);
            json_decref(k->other);
            k->plain = k->other = NULL;
            return;
        }
    }
}

/* quant_matches(q->ignore, name), through the index: a few set lookups instead of a pass over
 * every pattern (Qwen3-235B-A22B-FP8 lists 283) for every linear. */
static bool ignored_name(const struct walk *k, const char *name)
{
    if (k->plain == NULL)
        return quant_matches(k->q->ignore, name);
    char buf[256];
    size_t n = strlen(name);
    if (n >= sizeof(buf))
        return quant_matches(k->q->ignore, name);
    for (size_t i = 1; i <= n; i++) { /* dot-prefixes, the whole name included */
        if (i < n && name[i] != '.')
            continue;
        memcpy(buf, name, i);
        buf[i] = '\0';
        if (json_object_get(k->plain, buf))
            return true;
    }
    for (const char *d = strchr(name, '.'); d; d = strchr(d + 1, '.')) /* dot-suffixes */
        if (json_object_get(k->plain, d + 1))
            return true;
    for (int i = 0; i < k->nrx; i++)
        if (regexec(&k->rx[i], name, 0, NULL, 0) == 0)
            return true;
    return json_array_size(k->other) > 0 && quant_matches(k->other, name);
}

/* count copies of linear name (out x in) of component c. */
static void linear(struct walk *k, const char *name, double out, double in, double count,
                   enum quant_component c)
{
    const struct quant *q = k->q;
    double dt[ST_DTYPE_COUNT] = {0};
    bool eligible = q->layout != QL_DENSE && (!q->experts_only || c == QC_EXPERTS) &&
                    (c != QC_HEAD || q->head_quantized);
    bool ignored = eligible && q->ignore && ignored_name(k, name);
    enum quant_layout l = eligible && !ignored ? q->layout : QL_DENSE;
    double one = linear_bytes(q, l, out, in, dt);
    for (int d = 0; d < ST_DTYPE_COUNT; d++)
        dt[d] *= count;
    account(k, c, dt);
    k->lin_params[c] += out * in * count;
    if (ignored) {
        k->out->excluded_params += (uint64_t)(out * in * count);
        k->out->excluded_bytes += (uint64_t)(one * count);
    }
    if (l == QL_MXFP4 && c == QC_EXPERTS) {
        /*
         * vLLM's Mxfp4MoEMethod.create_weights rounds the expert intermediate size (per TP
         * partition) up before allocating: to 256 on the paths that served the published
         * gpt-oss runs (vllm-project/vllm vllm/model_executor/layers/quantization/mxfp4.py,
         * round_up(intermediate_size_per_partition, 256)). The fused gate_up has out = 2I, the
         * down projection in = I; the hidden side is kept.
         */
        double pd[ST_DTYPE_COUNT] = {0};
        k->mx_stored += one * count;
        bool gate_up = out > in;
        double i = gate_up ? out / 2 : in, ip = up(i, 256) * 256;
        k->pad_experts += count * (gate_up ? linear_bytes(q, l, 2 * ip, in, pd)
                                           : linear_bytes(q, l, out, ip, pd));
        k->pad_experts += count * (gate_up ? 2 * (ip - i) : 0) * width(q->dense);
    }
}

/* Names of the modules that differ between families (the checkpoint's own names). */
static const char *mlp_name(const struct arch *a)
{
    if (strcmp(a->model_type, "mixtral") == 0)
        return "block_sparse_moe";
    if (strcmp(a->model_type, "dbrx") == 0)
        return "ffn";
    if (strncmp(a->model_type, "llama4", 6) == 0)
        return "feed_forward";
    return "mlp";
}

static void attention_linears(struct walk *k, const struct arch *a, const char *pfx)
{
    char n[256];
    double h = (double)a->hidden, nh = (double)a->heads;
#define LIN(suffix, o, i)                                                                          \
    do {                                                                                           \
        snprintf(n, sizeof(n), "%s.self_attn.%s", pfx, suffix);                                    \
        linear(k, n, o, i, 1, QC_ATTENTION);                                                       \
    } while (0)
    switch (a->attention) {
    case ARCH_ATTN_MLA: {
        double qk = (double)(a->qk_nope_head_dim + a->qk_rope_head_dim);
        if (a->q_lora_rank > 0) {
            LIN("q_a_proj", (double)a->q_lora_rank, h);
            LIN("q_b_proj", nh * qk, (double)a->q_lora_rank);
        } else {
            LIN("q_proj", nh * qk, h);
        }
        LIN("kv_a_proj_with_mqa", (double)(a->kv_lora_rank + a->qk_rope_head_dim), h);
        LIN("kv_b_proj", nh * (double)(a->qk_nope_head_dim + a->v_head_dim),
            (double)a->kv_lora_rank);
        LIN("o_proj", h, nh * (double)a->v_head_dim);
        return;
    }
    case ARCH_ATTN_GQA:
        break;
    }
    double hd = (double)a->head_dim, kv = (double)a->kv_heads;
    double vd = a->v_head_dim > 0 ? (double)a->v_head_dim : hd;
    LIN("q_proj", nh * hd * (a->attn_output_gate ? 2 : 1), h);
    LIN("k_proj", kv * hd, h);
    LIN("v_proj", kv * vd, h);
    LIN("o_proj", h, nh * vd);
#undef LIN
}

/* One MLP block of width w under module prefix m, count copies, as component c. */
static void mlp_linears(struct walk *k, const struct arch *a, const char *m, double w, double count,
                        enum quant_component c)
{
    char n[256];
    double h = (double)a->hidden;
    if (strcmp(a->model_type, "gpt_oss") == 0 && c == QC_EXPERTS) {
        snprintf(n, sizeof(n), "%s.gate_up_proj", m); /* fused, out = 2 x intermediate */
        linear(k, n, 2 * w, h, count, c);
        snprintf(n, sizeof(n), "%s.down_proj", m);
        linear(k, n, h, w, count, c);
        return;
    }
    if (arch_mlp_matrices(a) == 3) {
        snprintf(n, sizeof(n), "%s.gate_proj", m);
        linear(k, n, w, h, count, c);
    }
    snprintf(n, sizeof(n), "%s.up_proj", m);
    linear(k, n, w, h, count, c);
    snprintf(n, sizeof(n), "%s.down_proj", m);
    linear(k, n, h, w, count, c);
}

static void layer_linears(struct walk *k, const struct arch *a, int64_t i)
{
    char pfx[64], m[128];
    snprintf(pfx, sizeof(pfx), "model.layers.%lld", (long long)i);
    if (i < arch_attn_layers(a))
        attention_linears(k, a, pfx);
    if (i >= arch_mlp_layers(a))
        return;
    bool moe =
        arch_is_moe(a) && (a->moe_by_pattern ? i < a->moe_pattern_layers : arch_layer_is_moe(a, i));
    if (!moe) {
        snprintf(m, sizeof(m), "%s.%s", pfx, mlp_name(a));
        mlp_linears(k, a, m, (double)a->intermediate, 1, QC_DENSE_MLP);
        return;
    }
    snprintf(m, sizeof(m), "%s.%s.experts", pfx, mlp_name(a));
    mlp_linears(k, a, m, (double)a->moe_intermediate, (double)a->n_routed_experts, QC_EXPERTS);
    if (a->n_shared_experts > 0) {
        snprintf(m, sizeof(m), "%s.%s.shared_expert%s", pfx, mlp_name(a),
                 a->n_shared_experts > 1 || strncmp(a->model_type, "deepseek", 8) == 0 ? "s" : "");
        mlp_linears(k, a, m, (double)a->shared_intermediate, (double)a->n_shared_experts,
                    QC_SHARED_EXPERTS);
    }
}

/* What each component holds in parameters (params.c's split). */
static void component_params(const struct params *p, double *c)
{
    c[QC_ATTENTION] = p->attention;
    c[QC_DENSE_MLP] = p->dense_mlp;
    c[QC_EXPERTS] = p->routed_experts;
    c[QC_SHARED_EXPERTS] = p->shared_experts;
    c[QC_EMBEDDINGS] = p->embedding + p->positions;
    c[QC_HEAD] = p->lm_head;
    c[QC_OTHER] = p->routers + p->norms + p->state_mixers + p->cross_attention;
    c[QC_VISION] = p->vision;
}

void quant_weights(const struct arch *a, const struct params *p, const struct quant *q,
                   struct quant_weights *out)
{
    struct walk k;
    memset(&k, 0, sizeof(k));
    memset(out, 0, sizeof(*out));
    k.q = q;
    k.out = out;
    index_ignore(&k);
    for (int64_t i = 0; i < a->layers; i++)
        layer_linears(&k, a, i);
    if (!a->tied_embeddings && a->vocab > 0)
        linear(&k, "lm_head", (double)a->vocab, (double)a->hidden, 1, QC_HEAD);
    json_decref(k.plain);
    json_decref(k.other);
    for (int i = 0; i < k.nrx; i++)
        regfree(&k.rx[i]);
    component_params(p, out->params);
    /* Everything the linears do not cover (biases, norms, routers, sinks, embeddings, vision,
     * state mixers, encoder stacks) is stored at the checkpoint's dtype. */
    for (int c = 0; c < QC_COUNT; c++) {
        double dt[ST_DTYPE_COUNT] = {0}, rest = out->params[c] - k.lin_params[c];
        if (rest > 0) {
            put(dt, q->dense, rest);
            account(&k, (enum quant_component)c, dt);
        }
        out->sum.part_elements[part_of((enum quant_component)c)] += (uint64_t)out->params[c];
    }
    if (q->kv_scales) {
        /* ModelOpt checkpoints with an FP8 KV cache carry k_scale and v_scale (F32 scalars) in
         * every attention. */
        double dt[ST_DTYPE_COUNT] = {0};
        put(dt, ST_F32, 2 * (double)arch_attn_layers(a));
        account(&k, QC_ATTENTION, dt);
    }
    /* vLLM's allocation: the mxfp4 expert linears at their padded size instead of stored. */
    out->vllm_bytes = (uint64_t)((double)out->sum.bytes - k.mx_stored + k.pad_experts);
}

void quant_write(struct jsonout *w, const struct quant *q, const struct quant_weights *qw,
                 const char *source)
{
    jsonout_begin_object(w);
    jsonout_key(w, "format");
    jsonout_string(w, precision_name(q->format));
    jsonout_key(w, "precision_source");
    jsonout_string(w, source);
    jsonout_key(w, "method");
    jsonout_string(w, quant_method_name(q->method));
    jsonout_key(w, "layout");
    jsonout_string(w, quant_layout_name(q->layout));
    jsonout_key(w, "description");
    jsonout_string(w, q->desc);
    jsonout_key(w, "dense_dtype");
    jsonout_string(w, st_dtype_name(q->dense));
    jsonout_key(w, "bytes");
    jsonout_integer(w, (long long)qw->sum.bytes);
    if (qw->vllm_bytes != qw->sum.bytes) {
        jsonout_key(w, "vllm_bytes");
        jsonout_integer(w, (long long)qw->vllm_bytes);
    }
    jsonout_key(w, "excluded_params");
    jsonout_integer(w, (long long)qw->excluded_params);
    jsonout_key(w, "by_part");
    jsonout_begin_object(w);
    for (int i = 0; i < ST_PART_COUNT; i++) {
        jsonout_key(w, st_part_name((enum st_part)i));
        jsonout_integer(w, (long long)qw->sum.part_bytes[i]);
    }
    jsonout_end_object(w);
    jsonout_key(w, "by_dtype");
    jsonout_begin_object(w);
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (qw->sum.dtype_bytes[i]) {
            jsonout_key(w, st_dtype_name((enum st_dtype)i));
            jsonout_integer(w, (long long)qw->sum.dtype_bytes[i]);
        }
    jsonout_end_object(w);
    jsonout_key(w, "components");
    jsonout_begin_object(w);
    for (int c = 0; c < QC_COUNT; c++) {
        if (qw->params[c] <= 0)
            continue;
        jsonout_key(w, quant_component_name((enum quant_component)c));
        jsonout_begin_object(w);
        jsonout_key(w, "params");
        jsonout_whole(w, qw->params[c]);
        jsonout_key(w, "bytes");
        jsonout_whole(w, qw->bytes[c]);
        jsonout_key(w, "bits_per_param");
        jsonout_number(w, qw->bytes[c] * 8 / qw->params[c]);
        jsonout_end_object(w);
    }
    jsonout_end_object(w);
    jsonout_end_object(w);
}
