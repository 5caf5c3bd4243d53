/* precision.h - weight and KV-cache precisions the estimator knows, and their bytes per element. */
#ifndef VRAMFIT_PRECISION_H
#define VRAMFIT_PRECISION_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Weight precisions: the seed's five, then the formats beyond the seed. One table (precision.c)
 * holds each value's name and bytes per parameter; PRECISION_COUNT is its size, updated with the
 * enum (precision_name's switch fails the build until a new value has a row).
 */
enum precision {
    PRECISION_FP32,
    PRECISION_FP16,
    PRECISION_BF16,
    PRECISION_INT8,
    PRECISION_INT4,
    PRECISION_FP8,
    PRECISION_FP4,
    PRECISION_NVFP4,
    PRECISION_MXFP4,
};
#define PRECISION_COUNT (PRECISION_MXFP4 + 1)

/* KV-cache element formats (vLLM's kv_cache_dtype choices we model); same conventions. */
enum kv_precision {
    KV_PRECISION_FP32,
    KV_PRECISION_FP16,
    KV_PRECISION_BF16,
    KV_PRECISION_FP8,
    KV_PRECISION_INT8,
};
#define KV_PRECISION_COUNT (KV_PRECISION_INT8 + 1)

/* The API names ("fp32", ...): static storage; "?" only for a value outside the enum. */
const char *precision_name(enum precision p);
const char *precision_kv_name(enum kv_precision p);

/* Bytes per parameter / per cached K or V element of a value of the enum (0 outside it). */
double precision_value_bytes(enum precision p);
double precision_kv_value_bytes(enum kv_precision p);

/*
 * precision_bytes - bytes per parameter for a precision name (case-sensitive, as the seed:
 * "fp32", "fp16", "bf16", "int8", "int4"; beyond the seed "fp8", "fp4", "nvfp4", "mxfp4"). Returns
 * 0 and sets *bytes, or -ENOENT.
 */
int precision_bytes(const char *name, double *bytes);

/*
 * precision_kv_bytes - bytes per cached K/V element for a kv_precision name ("fp32", "fp16",
 * "bf16", "fp8", "int8"). Returns 0 and sets *bytes, or -ENOENT.
 */
int precision_kv_bytes(const char *name, double *bytes);

/*
 * precision_parse - the weight precision a name denotes. strict: only the API names, case-sensitive
 * (the seed's rule). Otherwise also the spellings people type, ASCII case ignored: "bfloat16",
 * "float16"/"half", "float32"/"float", "fp8_e4m3"/"float8_e4m3fn"/"e4m3"/"float8", "w8a8",
 * "w4a16" (precision.c lists them). 0 and *out, or -ENOENT.
 */
int precision_parse(const char *name, bool strict, enum precision *out);

/* precision_closest - the API name or spelling nearest to name (did-you-mean), or NULL. */
const char *precision_closest(const char *name);

/* precision_kv_list - the accepted kv_precision names (static storage). */
const char *precision_kv_list(void);

/* precision_list - the accepted names joined by ", " (static storage, for error messages). */
const char *precision_list(void);

#endif
