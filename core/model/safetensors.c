/* safetensors.c - safetensors headers and index files into a tensor table summary (no I/O here). */
#include "model/safetensors.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names and widths in bits (safetensors/src/tensor.rs, `Dtype` and `Dtype::bitsize`). */
static const struct {
    const char *name;
    unsigned bits;
} dtypes[ST_DTYPE_COUNT] = {
    [ST_BOOL] = {"BOOL", 8},       [ST_F4] = {"F4", 4},           [ST_F6_E2M3] = {"F6_E2M3", 6},
    [ST_F6_E3M2] = {"F6_E3M2", 6}, [ST_U8] = {"U8", 8},           [ST_I8] = {"I8", 8},
    [ST_F8_E5M2] = {"F8_E5M2", 8}, [ST_F8_E4M3] = {"F8_E4M3", 8}, [ST_F8_E8M0] = {"F8_E8M0", 8},
    [ST_I16] = {"I16", 16},        [ST_U16] = {"U16", 16},        [ST_F16] = {"F16", 16},
    [ST_BF16] = {"BF16", 16},      [ST_I32] = {"I32", 32},        [ST_U32] = {"U32", 32},
    [ST_F32] = {"F32", 32},        [ST_F64] = {"F64", 64},        [ST_I64] = {"I64", 64},
    [ST_U64] = {"U64", 64},
};

static const char *const part_names[ST_PART_COUNT] = {
    [ST_PART_EXPERTS] = "experts", [ST_PART_SHARED] = "shared", [ST_PART_EMBEDDINGS] = "embeddings",
    [ST_PART_HEAD] = "head",       [ST_PART_VISION] = "vision", [ST_PART_MTP] = "mtp",
};

const char *st_dtype_name(enum st_dtype d)
{
    switch (d) {
    case ST_BOOL:
    case ST_F4:
    case ST_F6_E2M3:
    case ST_F6_E3M2:
    case ST_U8:
    case ST_I8:
    case ST_F8_E5M2:
    case ST_F8_E4M3:
    case ST_F8_E8M0:
    case ST_I16:
    case ST_U16:
    case ST_F16:
    case ST_BF16:
    case ST_I32:
    case ST_U32:
    case ST_F32:
    case ST_F64:
    case ST_I64:
    case ST_U64:
        return dtypes[d].name;
    }
    return "?";
}

const char *st_part_name(enum st_part p)
{
    switch (p) {
    case ST_PART_EXPERTS:
    case ST_PART_SHARED:
    case ST_PART_EMBEDDINGS:
    case ST_PART_HEAD:
    case ST_PART_VISION:
    case ST_PART_MTP:
        return part_names[p];
    }
    return "?";
}

int st_header_length(const unsigned char first8[8], uint64_t max, uint64_t *len,
                     struct error_info *err)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | first8[i];
    if (max == 0 || max > ST_MAX_HEADER_BYTES)
        max = ST_MAX_HEADER_BYTES;
    if (n < 2)
        return error_set(err, 422, "invalid_checkpoint", NULL,
                         "safetensors header length %llu is too small for a JSON object",
                         (unsigned long long)n);
    if (n > max)
        return error_set(err, 422, "invalid_checkpoint", NULL,
                         "safetensors header length %llu is over the %llu-byte limit",
                         (unsigned long long)n, (unsigned long long)max);
    *len = n;
    return 0;
}

/* True when one dot-separated segment of name equals seg. */
static bool has_segment(const char *name, const char *seg)
{
    size_t n = strlen(seg);
    for (const char *p = name; (p = strstr(p, seg)) != NULL; p++) {
        bool start = p == name || p[-1] == '.';
        bool end = p[n] == '\0' || p[n] == '.';
        if (start && end)
            return true;
    }
    return false;
}

/* The decoder layer index after a "layers." segment (-1 when there is none). */
static long long layer_index(const char *name)
{
    for (const char *p = name; (p = strstr(p, "layers.")) != NULL; p++) {
        if (p != name && p[-1] != '.')
            continue;
        const char *d = p + strlen("layers.");
        if (*d < '0' || *d > '9')
            continue;
        long long v = 0;
        while (*d >= '0' && *d <= '9' && v < 1000000)
            v = v * 10 + (*d++ - '0');
        return v;
    }
    return -1;
}

/*
 * The patterns, in the order they are tried (the first match wins), with the families whose
 * checkpoints use them:
 * - vision: a segment "vision_tower" (LLaVA, Gemma 3, Mistral 3), "vision_model" (Llama 4,
 *   Mllama, Idefics), "visual" (Qwen2-VL, Qwen2.5-VL), "multi_modal_projector" (LLaVA, Gemma 3,
 *   Llama 4), "mm_projector" (LLaVA-1.5), "audio_tower" (Qwen2-Audio). First, because encoders
 *   have their own "layers.N" beyond the decoder's count.
 * - mtp: a segment "mtp" (Qwen3-Next "mtp.layers.0"), "mtp_layers" (MiMo), "mtp_block",
 *   "mtp_emb_norm", "mtp_hidden_norm", "mtp_linear_proj" (ERNIE-4.5 "model.mtp_block.0", which
 *   mlx-lm's ernie4_5_moe.py and llama.cpp's converter drop), or a decoder layer
 *   index >= num_hidden_layers (DeepSeek-V3 "model.layers.61", GLM-4.5 "model.layers.92"; their
 *   MTP layers hold their own embed_tokens and shared_head copies, hence before head/embeddings).
 * - head: a segment "lm_head" (most), "embed_out" (GPT-NeoX, Pythia), or "output.weight"
 *   (Meta's original Llama layout).
 * - embeddings: a segment "embed_tokens" (Llama, Qwen, Mistral, DeepSeek, gpt-oss), "wte"/"wpe"
 *   (GPT-2), "word_embeddings" (Falcon, BLOOM), "tok_embeddings" (Meta's Llama layout),
 *   "embeddings" (Nemotron-H "backbone.embeddings").
 * - experts: a segment "experts" (Mixtral "block_sparse_moe.experts.N", Qwen2/3-MoE and
 *   DeepSeek "mlp.experts.N", gpt-oss "mlp.experts.gate_up_proj_blocks", Llama 4
 *   "feed_forward.experts", DBRX "ffn.experts"); "shared_experts" (DeepSeek) and "shared_expert"
 *   (Qwen2-MoE, Llama 4) are other segments and stay shared. Quantization scales and zeros
 *   ("weight_scale_inv", "_scales", "qzeros") share their tensor's name, hence its part.
 * - shared: everything else (attention, norms, dense MLPs, routers, shared experts).
 */
enum st_part st_classify(const char *name, long long num_layers)
{
    static const char *const vision[] = {"vision_tower",          "vision_model", "visual",
                                         "multi_modal_projector", "mm_projector", "audio_tower"};
    for (size_t i = 0; i < sizeof(vision) / sizeof(vision[0]); i++)
        if (has_segment(name, vision[i]))
            return ST_PART_VISION;
    long long layer = layer_index(name);
    static const char *const mtp[] = {"mtp",          "mtp_layers",      "mtp_block",
                                      "mtp_emb_norm", "mtp_hidden_norm", "mtp_linear_proj"};
    for (size_t i = 0; i < sizeof(mtp) / sizeof(mtp[0]); i++)
        if (has_segment(name, mtp[i]))
            return ST_PART_MTP;
    if (num_layers > 0 && layer >= num_layers)
        return ST_PART_MTP;
    if (has_segment(name, "lm_head") || has_segment(name, "embed_out") ||
        strcmp(name, "output.weight") == 0)
        return ST_PART_HEAD;
    static const char *const embed[] = {"embed_tokens",   "wte",       "wpe", "word_embeddings",
                                        "tok_embeddings", "embeddings"};
    for (size_t i = 0; i < sizeof(embed) / sizeof(embed[0]); i++)
        if (has_segment(name, embed[i]))
            return ST_PART_EMBEDDINGS;
    if (has_segment(name, "experts"))
        return ST_PART_EXPERTS;
    return ST_PART_SHARED;
}

static int dtype_of(const char *s, enum st_dtype *out)
{
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (strcmp(s, dtypes[i].name) == 0) {
            *out = (enum st_dtype)i;
            return 0;
        }
    return -1;
}

/* Largest element count or offset accepted: exact in a double, far above any checkpoint. */
#define ST_MAX_COUNT (1ull << 53)

/* One entry {"dtype", "shape", "data_offsets"} into *d, *elements and *bytes; 0 or -1 with why. */
static int tensor_entry(const json_t *t, enum st_dtype *d, uint64_t *elements, uint64_t *bytes,
                        const char **why)
{
    const json_t *dt = json_object_get(t, "dtype"), *shape = json_object_get(t, "shape"),
                 *off = json_object_get(t, "data_offsets");
    *why = "is not {dtype, shape, data_offsets}";
    if (!json_is_object(t) || json_object_size(t) != 3 || !json_is_string(dt) ||
        !json_is_array(shape) || !json_is_array(off) || json_array_size(off) != 2)
        return -1;
    *why = "has an unknown dtype";
    if (dtype_of(json_string_value(dt), d) < 0)
        return -1;
    uint64_t n = 1;
    size_t i;
    const json_t *v;
    *why = "has a shape that is not a list of integers >= 0 (or is too large)";
    if (json_array_size(shape) > 16)
        return -1;
    json_array_foreach(shape, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            (uint64_t)json_integer_value(v) > ST_MAX_COUNT)
            return -1;
        uint64_t dim = (uint64_t)json_integer_value(v);
        if (dim != 0 && n > ST_MAX_COUNT / dim)
            return -1;
        n *= dim;
    }
    const json_t *b = json_array_get(off, 0), *e = json_array_get(off, 1);
    *why = "has data_offsets that are not [begin, end] with 0 <= begin <= end";
    if (!json_is_integer(b) || !json_is_integer(e) || json_integer_value(b) < 0 ||
        json_integer_value(e) < json_integer_value(b) ||
        (uint64_t)json_integer_value(e) > ST_MAX_COUNT)
        return -1;
    uint64_t len = (uint64_t)(json_integer_value(e) - json_integer_value(b));
    *why = "has data_offsets whose length is not its shape at its dtype's width";
    if (len != (n * dtypes[*d].bits + 7) / 8)
        return -1;
    *elements = n;
    *bytes = len;
    return 0;
}

int st_header_add(const char *text, size_t len, long long num_layers, struct st_summary *acc,
                  struct error_info *err)
{
    json_error_t jerr;
    if (len > ST_MAX_HEADER_BYTES)
        return error_set(err, 422, "invalid_checkpoint", NULL,
                         "safetensors header of %zu bytes is over the %llu-byte limit", len,
                         ST_MAX_HEADER_BYTES);
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return error_set(err, 422, "invalid_checkpoint", NULL,
                         "safetensors header is not valid JSON: %s (column %d)", jerr.text,
                         jerr.column);
    struct st_summary add;
    int rc = 0;
    memset(&add, 0, sizeof(add));
    if (!json_is_object(doc)) {
        rc = error_set(err, 422, "invalid_checkpoint", NULL,
                       "safetensors header is not a JSON object");
        goto out;
    }
    const char *name;
    const json_t *t;
    json_object_foreach(doc, name, t)
    {
        if (strcmp(name, "__metadata__") == 0) {
            if (!json_is_object(t))
                rc = error_set(err, 422, "invalid_checkpoint", NULL,
                               "safetensors __metadata__ is not an object");
            if (rc < 0)
                goto out;
            continue;
        }
        enum st_dtype d;
        uint64_t elements, bytes;
        const char *why;
        if (tensor_entry(t, &d, &elements, &bytes, &why) < 0) {
            rc = error_set(err, 422, "invalid_checkpoint", NULL, "tensor \"%.80s\" %s", name, why);
            goto out;
        }
        if (acc->tensors + add.tensors >= ST_MAX_TENSORS) {
            rc = error_set(err, 422, "invalid_checkpoint", NULL,
                           "the checkpoint has more than %u tensors", ST_MAX_TENSORS);
            goto out;
        }
        enum st_part p = st_classify(name, num_layers);
        add.tensors++;
        add.bytes += bytes;
        add.part_bytes[p] += bytes;
        add.part_elements[p] += elements;
        add.dtype_bytes[d] += bytes;
    }
    acc->tensors += add.tensors;
    acc->bytes += add.bytes;
    for (int i = 0; i < ST_PART_COUNT; i++) {
        acc->part_bytes[i] += add.part_bytes[i];
        acc->part_elements[i] += add.part_elements[i];
    }
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        acc->dtype_bytes[i] += add.dtype_bytes[i];
out:
    json_decref(doc);
    return rc;
}

static bool shard_name_ok(const char *s)
{
    size_t n = strlen(s), ext = strlen(".safetensors");
    if (n <= ext || n > ST_MAX_SHARD_NAME || strcmp(s + n - ext, ".safetensors") != 0 ||
        s[0] == '.')
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

void st_index_free(struct st_index *ix)
{
    for (size_t i = 0; ix->shards && i < ix->nshards; i++)
        free(ix->shards[i]);
    free(ix->shards);
    memset(ix, 0, sizeof(*ix));
}

/* Adds each distinct shard of weight_map to ix; 0, -EINVAL with err, or -ENOMEM. */
static int collect_shards(const json_t *map, struct st_index *ix, struct error_info *err)
{
    json_t *seen = json_object();
    const char *tensor;
    const json_t *v;
    int rc = seen ? 0 : -ENOMEM;
    if (json_object_size(map) > ST_MAX_TENSORS)
        rc = error_set(err, 422, "invalid_checkpoint", NULL,
                       "the index's weight_map has more than %u tensors", ST_MAX_TENSORS);
    json_object_foreach((json_t *)(uintptr_t)map, tensor, v)
    {
        if (rc < 0)
            break;
        const char *file = json_string_value(v);
        if (file == NULL || !shard_name_ok(file)) {
            rc = error_set(err, 422, "invalid_checkpoint", NULL,
                           "the index maps \"%.60s\" to a shard that is not a plain "
                           "*.safetensors file name",
                           tensor);
            break;
        }
        if (json_object_get(seen, file) != NULL)
            continue;
        if (ix->nshards == ST_MAX_SHARDS) {
            rc = error_set(err, 422, "invalid_checkpoint", NULL,
                           "the index lists more than %u shards", ST_MAX_SHARDS);
            break;
        }
        char *copy = strdup(file);
        if (copy == NULL || json_object_set_new(seen, file, json_true()) < 0) {
            free(copy);
            rc = -ENOMEM;
            break;
        }
        ix->shards[ix->nshards++] = copy;
    }
    json_decref(seen);
    return rc;
}

int st_index_parse(const char *text, size_t len, struct st_index *out, struct error_info *err)
{
    json_error_t jerr;
    struct st_index ix = {0};
    int rc;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return error_set(err, 422, "invalid_checkpoint", NULL,
                         "model.safetensors.index.json is not valid JSON: %s", jerr.text);
    const json_t *map = json_object_get(doc, "weight_map");
    const json_t *total = json_object_get(json_object_get(doc, "metadata"), "total_size");
    if (!json_is_object(map) || json_object_size(map) == 0) {
        rc = error_set(err, 422, "invalid_checkpoint", NULL,
                       "model.safetensors.index.json has no weight_map object");
        goto out;
    }
    if (total != NULL && (!json_is_number(total) || json_number_value(total) < 0 ||
                          json_number_value(total) > (double)ST_MAX_COUNT)) {
        rc = error_set(err, 422, "invalid_checkpoint", NULL,
                       "model.safetensors.index.json's metadata.total_size is not a byte count");
        goto out;
    }
    ix.total_size = total ? (uint64_t)json_number_value(total) : 0;
    ix.shards = calloc(ST_MAX_SHARDS, sizeof(*ix.shards));
    rc = ix.shards ? collect_shards(map, &ix, err) : -ENOMEM;
out:
    json_decref(doc);
    if (rc < 0)
        st_index_free(&ix);
    else
        *out = ix;
    return rc;
}

uint64_t st_loaded_bytes(const struct st_summary *s)
{
    return s->bytes - s->part_bytes[ST_PART_MTP];
}

void st_summary_write(struct jsonout *w, const struct st_summary *s)
{
    jsonout_begin_object(w);
    jsonout_key(w, "bytes");
    jsonout_integer(w, (long long)s->bytes);
    jsonout_key(w, "tensors");
    jsonout_integer(w, (long long)s->tensors);
    jsonout_key(w, "by_part");
    jsonout_begin_object(w);
    for (int i = 0; i < ST_PART_COUNT; i++) {
        jsonout_key(w, st_part_name((enum st_part)i));
        jsonout_integer(w, (long long)s->part_bytes[i]);
    }
    jsonout_end_object(w);
    jsonout_key(w, "by_dtype");
    jsonout_begin_object(w);
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (s->dtype_bytes[i]) {
            jsonout_key(w, st_dtype_name((enum st_dtype)i));
            jsonout_integer(w, (long long)s->dtype_bytes[i]);
        }
    jsonout_end_object(w);
    jsonout_end_object(w);
}

json_t *st_summary_to_json(const struct st_summary *s)
{
    json_t *parts = json_object(), *elems = json_object(), *dt = json_object();
    for (int i = 0; parts && elems && i < ST_PART_COUNT; i++) {
        json_object_set_new(parts, part_names[i], json_integer((json_int_t)s->part_bytes[i]));
        json_object_set_new(elems, part_names[i], json_integer((json_int_t)s->part_elements[i]));
    }
    for (int i = 0; dt && i < ST_DTYPE_COUNT; i++)
        if (s->dtype_bytes[i])
            json_object_set_new(dt, dtypes[i].name, json_integer((json_int_t)s->dtype_bytes[i]));
    if (!parts || !elems || !dt) {
        json_decref(parts);
        json_decref(elems);
        json_decref(dt);
        return NULL;
    }
    return json_pack("{s:I, s:I, s:o, s:o, s:o}", "bytes", (json_int_t)s->bytes, "tensors",
                     (json_int_t)s->tensors, "by_part", parts, "elements_by_part", elems,
                     "by_dtype", dt);
}

/* A count member of j: 0 and *v, or -1 when absent, not an integer or negative. */
static int count_of(const json_t *j, const char *key, uint64_t *v)
{
    const json_t *x = json_object_get(j, key);
    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return -1;
    *v = (uint64_t)json_integer_value(x);
    return 0;
}

int st_summary_from_json(const json_t *j, struct st_summary *out)
{
    struct st_summary s;
    memset(&s, 0, sizeof(s));
    const json_t *parts = json_object_get(j, "by_part"),
                 *elems = json_object_get(j, "elements_by_part"),
                 *dt = json_object_get(j, "by_dtype");
    if (count_of(j, "bytes", &s.bytes) < 0 || count_of(j, "tensors", &s.tensors) < 0 ||
        !json_is_object(dt))
        return -EINVAL;
    for (int i = 0; i < ST_PART_COUNT; i++)
        if (count_of(parts, part_names[i], &s.part_bytes[i]) < 0 ||
            count_of(elems, part_names[i], &s.part_elements[i]) < 0)
            return -EINVAL;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)dt, k, v)
    {
        enum st_dtype d;
        if (dtype_of(k, &d) < 0 || count_of(dt, k, &s.dtype_bytes[d]) < 0)
            return -EINVAL;
    }
    *out = s;
    return 0;
}
