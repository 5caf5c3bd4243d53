/* precision.c - the seed's BYTES table: bytes per parameter for each weight precision. */
#include "model/precision.h"

#include <errno.h>
#include <strings.h>
#include <string.h>

#include "base/fields.h"

struct precision_row {
    const char *name;
    double bytes;
};

static const struct precision_row precisions[PRECISION_COUNT] = {
    /* The seed's five, unchanged. */
    [PRECISION_FP32] = {"fp32", 4.0},
    [PRECISION_FP16] = {"fp16", 2.0},
    [PRECISION_BF16] = {"bf16", 2.0},
    [PRECISION_INT8] = {"int8", 1.0},
    [PRECISION_INT4] = {"int4", 0.5},
    /* Beyond the seed. fp8: 1 byte (per-tensor/channel scales are negligible). fp4: bare 4 bits.
     * nvfp4: 4 bits + one fp8 scale per 16 values = 4.5 bits. mxfp4 (OCP MX): 4 bits + one e8m0
     * scale per 32 values = 4.25 bits. */
    [PRECISION_FP8] = {"fp8", 1.0},
    [PRECISION_FP4] = {"fp4", 0.5},
    [PRECISION_NVFP4] = {"nvfp4", 4.5 / 8},
    [PRECISION_MXFP4] = {"mxfp4", 4.25 / 8},
};

static const struct precision_row kv_precisions[KV_PRECISION_COUNT] = {
    [KV_PRECISION_FP32] = {"fp32", 4.0}, [KV_PRECISION_FP16] = {"fp16", 2.0},
    [KV_PRECISION_BF16] = {"bf16", 2.0}, [KV_PRECISION_FP8] = {"fp8", 1.0},
    [KV_PRECISION_INT8] = {"int8", 1.0},
};

/* The switches make a new enum value fail the build here until its row is added. */
static const struct precision_row *row(enum precision p)
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
        return &precisions[p];
    }
    return NULL;
}

static const struct precision_row *kv_row(enum kv_precision p)
{
    switch (p) {
    case KV_PRECISION_FP32:
    case KV_PRECISION_FP16:
    case KV_PRECISION_BF16:
    case KV_PRECISION_FP8:
    case KV_PRECISION_INT8:
        return &kv_precisions[p];
    }
    return NULL;
}

const char *precision_name(enum precision p)
{
    const struct precision_row *r = row(p);
    return r ? r->name : "?";
}

const char *precision_kv_name(enum kv_precision p)
{
    const struct precision_row *r = kv_row(p);
    return r ? r->name : "?";
}

double precision_value_bytes(enum precision p)
{
    const struct precision_row *r = row(p);
    return r ? r->bytes : 0;
}

double precision_kv_value_bytes(enum kv_precision p)
{
    const struct precision_row *r = kv_row(p);
    return r ? r->bytes : 0;
}

static int find(const struct precision_row *rows, size_t n, const char *name, double *bytes)
{
    if (name == NULL)
        return -ENOENT;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].name, name) == 0) {
            *bytes = rows[i].bytes;
            return 0;
        }
    }
    return -ENOENT;
}

int precision_kv_bytes(const char *name, double *bytes)
{
    return find(kv_precisions, KV_PRECISION_COUNT, name, bytes);
}

int precision_bytes(const char *name, double *bytes)
{
    return find(precisions, PRECISION_COUNT, name, bytes);
}

/*
 * The lists are literals so error paths need no buffer; check_precision proves each equals its
 * table's names joined in enum order.
 */
const char *precision_kv_list(void)
{
    return "fp32, fp16, bf16, fp8, int8";
}

const char *precision_list(void)
{
    return "fp32, fp16, bf16, int8, int4, fp8, fp4, nvfp4, mxfp4";
}

/*
 * Spellings beyond the API names: torch dtype names (config.json torch_dtype, vLLM --dtype),
 * safetensors/torch fp8 names, and the W8A8/W4A16 scheme names of compressed-tensors.
 */
static const struct {
    const char *spelling;
    enum precision p;
} aliases[] = {
    {"float32", PRECISION_FP32},      {"float", PRECISION_FP32},   {"f32", PRECISION_FP32},
    {"float16", PRECISION_FP16},      {"half", PRECISION_FP16},    {"f16", PRECISION_FP16},
    {"bfloat16", PRECISION_BF16},     {"fp8_e4m3", PRECISION_FP8}, {"fp8-e4m3", PRECISION_FP8},
    {"float8_e4m3fn", PRECISION_FP8}, {"f8_e4m3", PRECISION_FP8},  {"e4m3", PRECISION_FP8},
    {"float8", PRECISION_FP8},        {"w8a8", PRECISION_INT8},    {"w4a16", PRECISION_INT4},
};

int precision_parse(const char *name, bool strict, enum precision *out)
{
    if (name == NULL)
        return -ENOENT;
    for (int i = 0; i < PRECISION_COUNT; i++)
        if (strict ? strcmp(precisions[i].name, name) == 0
                   : strcasecmp(precisions[i].name, name) == 0) {
            *out = (enum precision)i;
            return 0;
        }
    for (size_t i = 0; !strict && i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcasecmp(aliases[i].spelling, name) == 0) {
            *out = aliases[i].p;
            return 0;
        }
    return -ENOENT;
}

const char *precision_closest(const char *name)
{
    const char *known[PRECISION_COUNT + sizeof(aliases) / sizeof(aliases[0]) + 1];
    size_t n = 0;
    for (int i = 0; i < PRECISION_COUNT; i++)
        known[n++] = precisions[i].name;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        known[n++] = aliases[i].spelling;
    known[n] = NULL;
    return name ? fields_closest(name, known) : NULL;
}
