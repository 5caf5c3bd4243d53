/* precision.h - weight precisions the estimator knows, and their bytes per parameter. */
#ifndef VRAMFIT_PRECISION_H
#define VRAMFIT_PRECISION_H

#include <stddef.h>

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

/* precision_kv_list - the accepted kv_precision names (static storage). */
const char *precision_kv_list(void);

/* precision_list - the accepted names joined by ", " (static storage, for error messages). */
const char *precision_list(void);

#endif
