/* check_quant.c - config-only weight bytes: published vLLM loads, and headers to the byte. */
#include "support/check_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "memory/vllm.h"
#include "model/arch.h"
#include "model/params.h"
#include "model/quant.h"
#include "model/safetensors.h"
#include "support/fakehub.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

/* The list of entries of a fixture file (a bare list, or its "models"/"configs" member). */
static const json_t *entries(const json_t *doc)
{
    if (json_is_array(doc))
        return doc;
    const json_t *l = json_object_get(doc, "models");
    return l ? l : json_object_get(doc, "configs");
}

static json_t *load(const char *file)
{
    char path[512];
    json_error_t je;
    snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, file);
    json_t *doc = json_load_file(path, 0, &je);
    ck_assert_msg(doc != NULL, "%s: %s", path, je.text);
    return doc;
}

static const json_t *find(const json_t *doc, const char *name)
{
    size_t i;
    const json_t *m;
    json_array_foreach(entries(doc), i, m) if (strcmp(json_string_value(json_object_get(m, "name")),
                                                      name) == 0) return m;
    ck_abort_msg("no entry %s", name);
    return NULL;
}

/*
 * A fixture's config.json (a new reference) and its hf_quant_config.json content (a new reference
 * or NULL): {"file"} is a config file, {"file", "entry"} an entry of a fixture list; a
 * quant-configs.json entry with "base" is that base config with its own quantization block.
 */
static json_t *fixture_config(const char *file, const char *entry, json_t **hf_quant)
{
    json_t *doc = load(file);
    *hf_quant = NULL;
    if (entry == NULL)
        return doc;
    const json_t *m = find(doc, entry);
    json_t *cfg;
    const json_t *base = json_object_get(m, "base");
    if (base) {
        cfg = fixture_config(json_string_value(json_object_get(base, "file")),
                             json_string_value(json_object_get(base, "entry")), hf_quant);
        json_object_set(cfg, "quantization_config", json_object_get(m, "quantization_config"));
    } else {
        cfg = json_deep_copy(json_object_get(m, "config"));
        if (json_object_get(m, "hf_quant_config"))
            *hf_quant = json_deep_copy(json_object_get(m, "hf_quant_config"));
    }
    json_decref(doc);
    return cfg;
}

/* Decodes cfg and its format; fills *a, *p, *q (q borrows from cfg/hfq: keep them alive). */
static void decode(const json_t *cfg, const json_t *hfq, struct arch *a, struct params *p,
                   struct quant *q)
{
    struct error_info err;
    ck_assert_msg(arch_from_hf_config(cfg, "hf_config", a, &err) == 0, "%s", err.message);
    params_count(a, p);
    ck_assert_msg(quant_from_config(cfg, hfq, "hf_config", q, &err) == 0, "%s", err.message);
}

START_TEST(published_vllm_weight_loads_are_matched_within_two_percent)
{
    json_t *doc = load("vllm-measured.json");
    const json_t *runs = json_object_get(doc, "weights_runs"), *run;
    size_t i;
    ck_assert_int_ge(json_array_size(runs), 5);
    json_array_foreach(runs, i, run)
    {
        const json_t *c = json_object_get(run, "config");
        ck_assert_msg(json_string_length(json_object_get(run, "source")) > 20, "row %zu source", i);
        json_t *hfq;
        json_t *cfg = fixture_config(json_string_value(json_object_get(c, "file")),
                                     json_string_value(json_object_get(c, "entry")), &hfq);
        struct arch a;
        struct params p;
        struct quant q;
        struct quant_weights w;
        decode(cfg, hfq, &a, &p, &q);
        const char *prec = json_string_value(json_object_get(run, "precision"));
        if (prec) {
            double bytes;
            ck_assert_int_eq(precision_bytes(prec, &bytes), 0);
            for (int f = 0; f < PRECISION_COUNT; f++)
                if (strcmp(precision_name((enum precision)f), prec) == 0)
                    ck_assert_int_eq(quant_runtime((enum precision)f, q.dense, &q), 0);
        }
        quant_weights(&a, &p, &q, &w);
        double tp = (double)json_integer_value(json_object_get(run, "tp"));
        double got = (double)w.vllm_bytes / tp / GIB;
        double want = json_number_value(json_object_get(run, "weights_gib"));
        ck_assert_msg(fabs(got - want) / want <= 0.02, "%s: %.3f GiB per GPU, published %.2f",
                      json_string_value(json_object_get(run, "name")), got, want);
        json_decref(cfg);
        json_decref(hfq);
    }
    json_decref(doc);
}
END_TEST

/* The tensor table of a fake Hub repo (headers from the real tensor names and shapes). */
static void fake_repo(const char *repo, int shards, long long layers, struct st_summary *s)
{
    struct error_info err;
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < shards; i++) {
        size_t len;
        uint64_t n;
        char *d = fakehub_shard(repo, i, &len);
        ck_assert_int_eq(st_header_length((const unsigned char *)d, 0, &n, &err), 0);
        ck_assert_msg(st_header_add(d + 8, (size_t)n, layers, s, &err) == 0, "%s", err.message);
        free(d);
    }
}

/* The config-only bytes equal the header's, part by part and dtype by dtype. */
static void assert_same(const struct quant_weights *w, const struct st_summary *s)
{
    for (int i = 0; i < ST_PART_COUNT; i++)
        ck_assert_msg(w->sum.part_bytes[i] == s->part_bytes[i], "part %s: %llu vs header %llu",
                      st_part_name((enum st_part)i), (unsigned long long)w->sum.part_bytes[i],
                      (unsigned long long)s->part_bytes[i]);
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        ck_assert_msg(w->sum.dtype_bytes[i] == s->dtype_bytes[i], "dtype %s: %llu vs header %llu",
                      st_dtype_name((enum st_dtype)i), (unsigned long long)w->sum.dtype_bytes[i],
                      (unsigned long long)s->dtype_bytes[i]);
    ck_assert_uint_eq(w->sum.bytes, s->bytes);
}

START_TEST(mxfp4_gpt_oss_from_config_equals_its_headers_to_the_byte)
{
    static const struct {
        const char *file, *repo;
        int shards;
        long long layers;
    } cases[] = {
        {"hub/openai--gpt-oss-20b.config.json", "acme/gated", 1, 24},
        {"hub/openai--gpt-oss-120b.config.json", "hub-mirror/gpt-oss-120b", 2, 36},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *hfq, *cfg = fixture_config(cases[i].file, NULL, &hfq);
        struct arch a;
        struct params p;
        struct quant q;
        struct quant_weights w;
        struct st_summary s;
        decode(cfg, hfq, &a, &p, &q);
        ck_assert_int_eq(q.method, QUANT_MXFP4);
        ck_assert_int_eq(q.format, PRECISION_MXFP4);
        quant_weights(&a, &p, &q, &w);
        fake_repo(cases[i].repo, cases[i].shards, cases[i].layers, &s);
        assert_same(&w, &s);
        /* Experts cost 4.25 bits plus their bf16 biases; attention, embeddings, head bf16. */
        ck_assert_rel(w.bytes[QC_EMBEDDINGS] * 8 / w.params[QC_EMBEDDINGS], 16, 1e-12);
        ck_assert_rel(w.bytes[QC_ATTENTION] * 8 / w.params[QC_ATTENTION], 16, 1e-12);
        ck_assert(w.bytes[QC_EXPERTS] * 8 / w.params[QC_EXPERTS] < 4.3);
        json_decref(cfg);
    }
}
END_TEST

START_TEST(fp8_block_qwen3_from_config_equals_its_headers_to_the_byte)
{
    json_t *hfq, *cfg = fixture_config("hub/Qwen--Qwen3-235B-A22B-FP8.config.json", NULL, &hfq);
    struct arch a;
    struct params p;
    struct quant q;
    struct quant_weights w;
    struct st_summary s;
    decode(cfg, hfq, &a, &p, &q);
    ck_assert_int_eq(q.layout, QL_FP8_BLOCK);
    ck_assert_int_eq(q.block_out, 128);
    quant_weights(&a, &p, &q, &w);
    fake_repo("hub-mirror/Qwen3-235B-A22B-FP8", 6, 94, &s);
    assert_same(&w, &s);
    /* lm_head is in modules_to_not_convert: 16 bits; every expert linear 8 + its block scale. */
    ck_assert_rel(w.bytes[QC_HEAD] * 8 / w.params[QC_HEAD], 16, 1e-12);
    ck_assert_uint_eq(w.excluded_params, 151936ull * 4096);
    json_decref(cfg);
}
END_TEST

/* ---- headers built here, with the tensor names and dtypes each format's checkpoints use ---- */

struct hdr {
    char *s;
    size_t len, cap;
    uint64_t off;
};

static void hput(struct hdr *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hput(struct hdr *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (h->len + (size_t)n + 1 > h->cap) {
        h->cap = (h->len + (size_t)n + 1) * 2;
        h->s = realloc(h->s, h->cap);
    }
    va_start(ap, fmt);
    vsnprintf(h->s + h->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    h->len += (size_t)n;
}

/* One tensor: name, dtype and its bits per element, up to 3 dimensions (0 = absent). */
static void tensor(struct hdr *h, const char *name, const char *dtype, unsigned bits, uint64_t d0,
                   uint64_t d1, uint64_t d2)
{
    uint64_t n = d0 * (d1 ? d1 : 1) * (d2 ? d2 : 1);
    uint64_t bytes = (n * bits + 7) / 8;
    hput(h, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%llu", name, dtype, (unsigned long long)d0);
    if (d1)
        hput(h, ",%llu", (unsigned long long)d1);
    if (d2)
        hput(h, ",%llu", (unsigned long long)d2);
    hput(h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)h->off,
         (unsigned long long)(h->off + bytes));
    h->off += bytes;
}

/* How the test model's linears are written. */
enum fmt {
    F_AWQ,
    F_MODELOPT_FP8,
    F_MODELOPT_NVFP4,
    F_FBGEMM,
    F_GPTQ,
    F_CT_W4A16,
    F_CT_FP8_CHANNEL,
    F_BNB_NF4_DQ,
};

/* bitsandbytes' per-linear quant_state JSON blob: its length is not in any config. */
#define BNB_STATE_BYTES 300

/* One linear module (out x in) in format f, named base; dense keeps it BF16/F16 (ignored). */
static void hlinear(struct hdr *h, enum fmt f, const char *base, uint64_t out, uint64_t in,
                    bool dense, const char *dense_dtype)
{
    char n[256];
#define T(suffix, dt, bits, a, b)                                                                  \
    do {                                                                                           \
        snprintf(n, sizeof(n), "%s.%s", base, suffix);                                             \
        tensor(h, n, dt, bits, a, b, 0);                                                           \
    } while (0)
    if (dense) {
        T("weight", dense_dtype, 16, out, in);
        return;
    }
    switch (f) {
    case F_AWQ: /* AutoAWQ WQLinear_GEMM: qweight [in, out/8], qzeros [in/128, out/8], scales */
        T("qweight", "I32", 32, in, out / 8);
        T("qzeros", "I32", 32, in / 128, out / 8);
        T("scales", "F16", 16, in / 128, out);
        break;
    case F_MODELOPT_FP8: /* ModelOpt FP8: fp8 weight, F32 scalar weight and input scales */
        T("weight", "F8_E4M3", 8, out, in);
        T("weight_scale", "F32", 32, 1, 0);
        T("input_scale", "F32", 32, 1, 0);
        break;
    case F_MODELOPT_NVFP4: /* packed e2m1 pairs, fp8 scale per 16, F32 weight_scale_2 */
        T("weight", "U8", 8, out, in / 2);
        T("weight_scale", "F8_E4M3", 8, out, in / 16);
        T("weight_scale_2", "F32", 32, 1, 0);
        T("input_scale", "F32", 32, 1, 0);
        break;
    case F_FBGEMM: /* FbgemmFp8Linear: fp8 weight, F32 weight_scale [out, 1] */
        T("weight", "F8_E4M3", 8, out, in);
        T("weight_scale", "F32", 32, out, 1);
        break;
    case F_GPTQ: /* AutoGPTQ QuantLinear: qweight [in/8, out], qzeros, scales, g_idx */
        T("qweight", "I32", 32, in / 8, out);
        T("qzeros", "I32", 32, in / 128, out / 8);
        T("scales", "F16", 16, in / 128, out);
        T("g_idx", "I32", 32, in, 0);
        break;
    case F_CT_W4A16: /* compressed-tensors pack-quantized, symmetric group 128 */
        T("weight_packed", "I32", 32, out, in / 8);
        T("weight_scale", "BF16", 16, out, in / 128);
        T("weight_shape", "I64", 64, 2, 0);
        break;
    case F_CT_FP8_CHANNEL: /* compressed-tensors float-quantized, channel strategy */
        T("weight", "F8_E4M3", 8, out, in);
        T("weight_scale", "BF16", 16, out, 1);
        break;
    case F_BNB_NF4_DQ: /* bitsandbytes Params4bit, nf4 with double quant */
        T("weight", "U8", 8, out * in / 2, 1);
        T("weight.absmax", "U8", 8, out * in / 64, 0);
        T("weight.nested_absmax", "F32", 32, (out * in / 64 + 255) / 256, 0);
        T("weight.nested_quant_map", "F32", 32, 256, 0);
        T("weight.quant_map", "F32", 32, 16, 0);
        T("weight.quant_state.bitsandbytes__nf4", "U8", 8, BNB_STATE_BYTES, 0);
        break;
    }
#undef T
}

/* A Llama-family checkpoint (GQA, gated MLP, RMSNorm, untied head) written in format f. */
struct shape {
    uint64_t layers, hidden, inter, heads, kv, head_dim, vocab;
    const char *dtype;
};

static bool ignored(const json_t *ignore, const char *name)
{
    return ignore && quant_matches(ignore, name);
}

static void llama_header(struct hdr *h, const struct shape *m, enum fmt f, const json_t *ignore,
                         bool kv_scales)
{
    char n[256], b[200];
    uint64_t hd = m->hidden, q = m->heads * m->head_dim, kv = m->kv * m->head_dim;
    hput(h, "{\"__metadata__\":{\"format\":\"pt\"}");
    tensor(h, "model.embed_tokens.weight", m->dtype, 16, m->vocab, hd, 0);
    for (uint64_t l = 0; l < m->layers; l++) {
        static const char *const attn[] = {"q_proj", "k_proj", "v_proj", "o_proj"};
        uint64_t ao[] = {q, kv, kv, hd}, ai[] = {hd, hd, hd, q};
        for (int i = 0; i < 4; i++) {
            snprintf(b, sizeof(b), "model.layers.%llu.self_attn.%s", (unsigned long long)l,
                     attn[i]);
            hlinear(h, f, b, ao[i], ai[i], ignored(ignore, b), m->dtype);
        }
        if (kv_scales) {
            snprintf(n, sizeof(n), "model.layers.%llu.self_attn.k_proj.k_scale",
                     (unsigned long long)l);
            tensor(h, n, "F32", 32, 1, 0, 0);
            snprintf(n, sizeof(n), "model.layers.%llu.self_attn.v_proj.v_scale",
                     (unsigned long long)l);
            tensor(h, n, "F32", 32, 1, 0, 0);
        }
        static const char *const mlp[] = {"gate_proj", "up_proj", "down_proj"};
        uint64_t mo[] = {m->inter, m->inter, hd}, mi[] = {hd, hd, m->inter};
        for (int i = 0; i < 3; i++) {
            snprintf(b, sizeof(b), "model.layers.%llu.mlp.%s", (unsigned long long)l, mlp[i]);
            hlinear(h, f, b, mo[i], mi[i], ignored(ignore, b), m->dtype);
        }
        snprintf(n, sizeof(n), "model.layers.%llu.input_layernorm.weight", (unsigned long long)l);
        tensor(h, n, m->dtype, 16, hd, 0, 0);
        snprintf(n, sizeof(n), "model.layers.%llu.post_attention_layernorm.weight",
                 (unsigned long long)l);
        tensor(h, n, m->dtype, 16, hd, 0, 0);
    }
    tensor(h, "model.norm.weight", m->dtype, 16, hd, 0, 0);
    tensor(h, "lm_head.weight", m->dtype, 16, m->vocab, hd, 0); /* kept 16-bit by every format */
    hput(h, "}");
}

static void header_summary(struct hdr *h, long long layers, struct st_summary *s)
{
    struct error_info err;
    memset(s, 0, sizeof(*s));
    ck_assert_msg(st_header_add(h->s, h->len, layers, s, &err) == 0, "%s", err.message);
    free(h->s);
}

START_TEST(llama_family_formats_from_config_equal_their_headers_to_the_byte)
{
    static const struct {
        const char *entry;
        enum fmt f;
        struct shape m;
    } cases[] = {
        /* Mistral-7B-v0.1's shape (zephyr-7b-alpha), AWQ GEMM leaves F16 around the linears. */
        {"zephyr-7B-alpha-AWQ", F_AWQ, {32, 4096, 14336, 32, 8, 128, 32000, "BF16"}},
        {"Llama-3.1-70B-Instruct-FP8 (NVIDIA ModelOpt)",
         F_MODELOPT_FP8,
         {80, 8192, 28672, 64, 8, 128, 128256, "BF16"}},
        {"Llama-3.1-405B-FP8 (Meta, fbgemm_fp8)",
         F_FBGEMM,
         {126, 16384, 53248, 128, 8, 128, 128256, "BF16"}},
    };
    json_t *doc = load("quant-configs.json");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *hfq, *cfg = fixture_config("quant-configs.json", cases[i].entry, &hfq);
        struct arch a;
        struct params p;
        struct quant q;
        struct quant_weights w;
        struct st_summary s;
        struct hdr h = {0};
        decode(cfg, hfq, &a, &p, &q);
        quant_weights(&a, &p, &q, &w);
        llama_header(&h, &cases[i].m, cases[i].f, q.ignore, q.kv_scales);
        header_summary(&h, (long long)cases[i].m.layers, &s);
        assert_same(&w, &s);
        json_decref(cfg);
        json_decref(hfq);
    }
    json_decref(doc);
}
END_TEST

/*
 * The layouts no fixture config exercises, on Llama-3.1-8B's real architecture with the minimal
 * quantization block each method reads; bitsandbytes' quant_state blobs are the one thing a
 * config cannot know (7 linears x 32 layers of them, pinned).
 */
START_TEST(gptq_w4a16_fp8_channel_and_nf4_layouts_equal_their_headers)
{
    static const struct {
        const char *block;
        enum fmt f;
        uint64_t unknowable;
    } cases[] = {
        {"{\"quant_method\":\"gptq\",\"bits\":4,\"group_size\":128,\"desc_act\":true}", F_GPTQ, 0},
        {"{\"quant_method\":\"compressed-tensors\",\"format\":\"pack-quantized\","
         "\"config_groups\":{\"group_0\":{\"targets\":[\"Linear\"],\"weights\":{\"num_bits\":4,"
         "\"type\":\"int\",\"symmetric\":true,\"strategy\":\"group\",\"group_size\":128}}},"
         "\"ignore\":[\"lm_head\"]}",
         F_CT_W4A16, 0},
        {"{\"quant_method\":\"compressed-tensors\",\"format\":\"float-quantized\","
         "\"config_groups\":{\"group_0\":{\"targets\":[\"Linear\"],\"weights\":{\"num_bits\":8,"
         "\"type\":\"float\",\"symmetric\":true,\"strategy\":\"channel\"},\"input_activations\":"
         "{\"num_bits\":8,\"type\":\"float\",\"dynamic\":true,\"strategy\":\"token\"}}},"
         "\"ignore\":[\"lm_head\"]}",
         F_CT_FP8_CHANNEL, 0},
        {"{\"quant_method\":\"bitsandbytes\",\"load_in_4bit\":true,\"bnb_4bit_quant_type\":"
         "\"nf4\",\"bnb_4bit_use_double_quant\":true}",
         F_BNB_NF4_DQ, 32 * 7 * BNB_STATE_BYTES},
    };
    const struct shape m = {32, 4096, 14336, 32, 8, 128, 128256, "BF16"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *hfq, *cfg = fixture_config("model-configs.json", "Llama-3.1-8B", &hfq);
        json_object_set_new(cfg, "quantization_config", json_loads(cases[i].block, 0, NULL));
        struct arch a;
        struct params p;
        struct quant q;
        struct quant_weights w;
        struct st_summary s;
        struct hdr h = {0};
        decode(cfg, hfq, &a, &p, &q);
        quant_weights(&a, &p, &q, &w);
        llama_header(&h, &m, cases[i].f, q.ignore, false);
        header_summary(&h, 32, &s);
        ck_assert_msg(s.bytes == w.sum.bytes + cases[i].unknowable, "%s: header %llu, config %llu",
                      quant_layout_name(q.layout), (unsigned long long)s.bytes,
                      (unsigned long long)w.sum.bytes);
        if (cases[i].unknowable == 0)
            assert_same(&w, &s);
        json_decref(cfg);
    }
}
END_TEST

/*
 * NVIDIA's Qwen3-235B-A22B-NVFP4 as ModelOpt writes it: every attention and expert linear NVFP4
 * (with k/v scales for its FP8 KV cache), the routers (mlp.gate, in exclude_modules), norms,
 * embeddings and lm_head BF16. Shapes from its config.
 */
START_TEST(modelopt_nvfp4_moe_from_config_equals_its_headers_to_the_byte)
{
    json_t *hfq, *cfg = fixture_config("quant-configs.json",
                                       "Qwen3-235B-A22B-NVFP4 (NVIDIA ModelOpt)", &hfq);
    struct arch a;
    struct params p;
    struct quant q;
    struct quant_weights w;
    struct st_summary s;
    struct hdr h = {0};
    char n[256];
    decode(cfg, hfq, &a, &p, &q);
    ck_assert_int_eq(q.layout, QL_NVFP4);
    ck_assert(q.kv_scales);
    quant_weights(&a, &p, &q, &w);
    uint64_t hd = (uint64_t)a.hidden, qd = (uint64_t)(a.heads * a.head_dim),
             kv = (uint64_t)(a.kv_heads * a.head_dim), e = (uint64_t)a.n_routed_experts,
             mi = (uint64_t)a.moe_intermediate, v = (uint64_t)a.vocab;
    hput(&h, "{\"__metadata__\":{\"format\":\"pt\"}");
    tensor(&h, "model.embed_tokens.weight", "BF16", 16, v, hd, 0);
    for (uint64_t l = 0; l < (uint64_t)a.layers; l++) {
        static const char *const attn[] = {"q_proj", "k_proj", "v_proj", "o_proj"};
        uint64_t ao[] = {qd, kv, kv, hd}, ai[] = {hd, hd, hd, qd};
        for (int i = 0; i < 4; i++) {
            snprintf(n, sizeof(n), "model.layers.%llu.self_attn.%s", (unsigned long long)l,
                     attn[i]);
            hlinear(&h, F_MODELOPT_NVFP4, n, ao[i], ai[i], false, "BF16");
        }
        snprintf(n, sizeof(n), "model.layers.%llu.self_attn.k_proj.k_scale", (unsigned long long)l);
        tensor(&h, n, "F32", 32, 1, 0, 0);
        snprintf(n, sizeof(n), "model.layers.%llu.self_attn.v_proj.v_scale", (unsigned long long)l);
        tensor(&h, n, "F32", 32, 1, 0, 0);
        static const char *const norms[] = {"input_layernorm", "post_attention_layernorm",
                                            "self_attn.q_norm", "self_attn.k_norm"};
        for (int i = 0; i < 4; i++) {
            snprintf(n, sizeof(n), "model.layers.%llu.%s.weight", (unsigned long long)l, norms[i]);
            tensor(&h, n, "BF16", 16, i < 2 ? hd : (uint64_t)a.head_dim, 0, 0);
        }
        snprintf(n, sizeof(n), "model.layers.%llu.mlp.gate.weight", (unsigned long long)l);
        tensor(&h, n, "BF16", 16, e, hd, 0);
        for (uint64_t x = 0; x < e; x++) {
            static const char *const mlp[] = {"gate_proj", "up_proj", "down_proj"};
            uint64_t mo[] = {mi, mi, hd}, mn[] = {hd, hd, mi};
            for (int i = 0; i < 3; i++) {
                snprintf(n, sizeof(n), "model.layers.%llu.mlp.experts.%llu.%s",
                         (unsigned long long)l, (unsigned long long)x, mlp[i]);
                hlinear(&h, F_MODELOPT_NVFP4, n, mo[i], mn[i], false, "BF16");
            }
        }
    }
    tensor(&h, "model.norm.weight", "BF16", 16, hd, 0, 0);
    tensor(&h, "lm_head.weight", "BF16", 16, v, hd, 0);
    hput(&h, "}");
    header_summary(&h, a.layers, &s);
    assert_same(&w, &s);
    /* Experts: 4 bits + an 8-bit scale per 16 values = 4.5 bits (+ two F32 per linear). */
    ck_assert(w.bytes[QC_EXPERTS] * 8 / w.params[QC_EXPERTS] < 4.51);
    json_decref(cfg);
    json_decref(hfq);
}
END_TEST

/* Each declared format lands on the vLLM kernel rule of its format (core/memory/vllm.c). */
START_TEST(declared_formats_map_to_their_gpu_rules)
{
    static const struct {
        const char *file, *entry;
        enum precision format;
        bool t4, a100;
    } cases[] = {
        {"hub/openai--gpt-oss-120b.config.json", NULL, PRECISION_MXFP4, false, true},
        {"hub/Qwen--Qwen3-235B-A22B-FP8.config.json", NULL, PRECISION_FP8, false, true},
        {"quant-configs.json", "zephyr-7B-alpha-AWQ", PRECISION_INT4, true, true},
        {"quant-configs.json", "Llama-3.1-405B-FP8 (Meta, fbgemm_fp8)", PRECISION_FP8, false, true},
        {"quant-configs.json", "Qwen3-235B-A22B-NVFP4 (NVIDIA ModelOpt)", PRECISION_NVFP4, false,
         false},
        {"model-configs.json", "Llama-3.1-8B", PRECISION_BF16, false, true},
        {"model-configs.json", "Llama-2-7b", PRECISION_FP16, true, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *hfq, *cfg = fixture_config(cases[i].file, cases[i].entry, &hfq);
        struct quant q;
        ck_assert_int_eq(quant_from_config(cfg, hfq, "hf_config", &q, NULL), 0);
        ck_assert_msg(q.format == cases[i].format, "%s: %s", cases[i].file,
                      precision_name(q.format));
        ck_assert(q.dtype_declared);
        ck_assert(vllm_gpu_supported("NVIDIA Tesla T4 16GB", q.format, NULL) == cases[i].t4);
        ck_assert(vllm_gpu_supported("NVIDIA A100 80GB PCIe", q.format, NULL) == cases[i].a100);
        json_decref(cfg);
        json_decref(hfq);
    }
}
END_TEST

START_TEST(every_quantized_fixture_names_its_sources)
{
    json_t *doc = load("quant-configs.json");
    size_t i;
    const json_t *m;
    json_array_foreach(entries(doc), i, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        bool inline_cfg = json_object_get(m, "config") != NULL;
        const char *src = json_string_value(
            json_object_get(m, inline_cfg ? "source" : "quantization_config_source"));
        ck_assert_msg(src && strlen(src) > 20, "%s has no source", name);
        ck_assert_msg(inline_cfg || json_is_object(json_object_get(m, "base")), "%s", name);
    }
    json_decref(doc);
}
END_TEST

START_TEST(ignore_lists_match_as_vllm_and_compressed_tensors_read_them)
{
    json_t *l = json_pack("[s,s,s,s]", "model.layers.*.self_attn", "lm_head", "re:.*mlp\\.gate$",
                          "model.layers.0");
    ck_assert(quant_matches(l, "model.layers.7.self_attn.q_proj"));
    ck_assert(quant_matches(l, "lm_head"));
    ck_assert(quant_matches(l, "model.layers.3.mlp.gate"));
    ck_assert(!quant_matches(l, "model.layers.3.mlp.gate_proj"));
    ck_assert(quant_matches(l, "model.layers.0.mlp.down_proj"));
    ck_assert(!quant_matches(l, "model.layers.10.mlp.down_proj"));
    ck_assert(!quant_matches(l, "model.layers.1.mlp.experts"));
    json_decref(l);
}
END_TEST

START_TEST(unknown_quant_methods_and_bad_blocks_are_refused_naming_the_field)
{
    static const char *const bad[] = {
        "{\"quantization_config\": {\"quant_method\": 7}}",
        "{\"quantization_config\": {\"quant_method\": \"fp8\", \"weight_block_size\": [0, 128]}}",
        "{\"quantization_config\": {\"quant_method\": \"fp8\", \"modules_to_not_convert\": 3}}",
        "{\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 99}}",
        "{\"quantization_config\": {\"quant_method\": \"bitsandbytes\"}}",
        "{\"quantization_config\": {\"quant_method\": \"fp8\", \"ignored_layers\": "
        "[\"re:(a*)\\\\1\"]}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *cfg = json_loads(bad[i], 0, NULL);
        struct quant q;
        struct error_info err;
        ck_assert_int_eq(quant_from_config(cfg, NULL, "hf_config", &q, &err), -EINVAL);
        ck_assert_int_eq(err.status, 422);
        ck_assert_msg(strncmp(err.field, "hf_config.quantization_config.", 30) == 0, "%s",
                      err.field);
        json_decref(cfg);
    }
}
END_TEST

START_TEST(a_method_vramfit_does_not_lay_out_leaves_the_precision_to_the_request)
{
    json_t *cfg = json_loads("{\"torch_dtype\": \"bfloat16\", \"quantization_config\": "
                             "{\"quant_method\": \"hqq\", \"nbits\": 4}}",
                             0, NULL);
    struct quant q;
    ck_assert_int_eq(quant_from_config(cfg, NULL, "hf_config", &q, NULL), 0);
    ck_assert_int_eq(q.method, QUANT_NONE);
    ck_assert_str_eq(q.unknown, "hqq");
    ck_assert(!q.dtype_declared);
    json_decref(cfg);
}
END_TEST

/* re: patterns apply in the count as in quant_matches; more than 64 globs are refused. */
START_TEST(regular_expressions_in_an_ignore_list_keep_their_linears_16_bit)
{
    json_t *hfq, *cfg = fixture_config("model-configs.json", "Llama-3.1-8B", &hfq);
    json_object_set_new(cfg, "quantization_config",
                        json_pack("{s:s, s:[s]}", "quant_method", "fp8", "ignored_layers",
                                  "re:.*self_attn\\.(q|k)_proj$"));
    struct arch a;
    struct params p;
    struct quant q;
    struct quant_weights w;
    decode(cfg, hfq, &a, &p, &q);
    quant_weights(&a, &p, &q, &w);
    /* q_proj 4096 x 4096 and k_proj 1024 x 4096 in each of the 32 layers. */
    ck_assert_uint_eq(w.excluded_params, 32ull * (4096 * 4096 + 1024 * 4096));
    json_t *many = json_array();
    for (int i = 0; i < 65; i++)
        json_array_append_new(many, json_sprintf("model.layers.%d.*", i));
    json_object_set_new(json_object_get(cfg, "quantization_config"), "ignored_layers", many);
    struct error_info err;
    ck_assert_int_eq(quant_from_config(cfg, NULL, "hf_config", &q, &err), -EINVAL);
    ck_assert_str_eq(err.field, "hf_config.quantization_config.ignored_layers");
    json_decref(cfg);
}
END_TEST

START_TEST(a_config_without_quantization_takes_its_torch_dtype)
{
    json_t *cfg = json_pack("{s:s}", "torch_dtype", "float32");
    struct quant q32;
    ck_assert_int_eq(quant_from_config(cfg, NULL, "hf_config", &q32, NULL), 0);
    ck_assert_int_eq(q32.format, PRECISION_FP16); /* vLLM's --dtype auto downcast */
    ck_assert(q32.downcast);
    json_object_set_new(cfg, "torch_dtype", json_string("float16"));
    struct quant q;
    ck_assert_int_eq(quant_from_config(cfg, NULL, "hf_config", &q, NULL), 0);
    ck_assert_int_eq(q.method, QUANT_NONE);
    ck_assert_int_eq(q.format, PRECISION_FP16);
    ck_assert(q.dtype_declared);
    json_object_clear(cfg);
    ck_assert_int_eq(quant_from_config(cfg, NULL, "hf_config", &q, NULL), 0);
    ck_assert_int_eq(q.format, PRECISION_BF16);
    ck_assert(!q.dtype_declared);
    json_decref(cfg);
}
END_TEST

static Suite *quant_suite(void)
{
    Suite *s = suite_create("quant");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, published_vllm_weight_loads_are_matched_within_two_percent);
    tcase_add_test(tc, mxfp4_gpt_oss_from_config_equals_its_headers_to_the_byte);
    tcase_add_test(tc, fp8_block_qwen3_from_config_equals_its_headers_to_the_byte);
    tcase_add_test(tc, llama_family_formats_from_config_equal_their_headers_to_the_byte);
    tcase_add_test(tc, gptq_w4a16_fp8_channel_and_nf4_layouts_equal_their_headers);
    tcase_add_test(tc, modelopt_nvfp4_moe_from_config_equals_its_headers_to_the_byte);
    tcase_add_test(tc, declared_formats_map_to_their_gpu_rules);
    tcase_add_test(tc, every_quantized_fixture_names_its_sources);
    tcase_add_test(tc, ignore_lists_match_as_vllm_and_compressed_tensors_read_them);
    tcase_add_test(tc, unknown_quant_methods_and_bad_blocks_are_refused_naming_the_field);
    tcase_add_test(tc, a_config_without_quantization_takes_its_torch_dtype);
    tcase_add_test(tc, regular_expressions_in_an_ignore_list_keep_their_linears_16_bit);
    tcase_add_test(tc, a_method_vramfit_does_not_lay_out_leaves_the_precision_to_the_request);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(quant_suite)
