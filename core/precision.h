/* precision.h - weight precisions the estimator knows, and their bytes per parameter. */
#ifndef VRAMFIT_PRECISION_H
#define VRAMFIT_PRECISION_H

#include <stddef.h>

/*
 * precision_bytes - bytes per parameter for a precision name (case-sensitive, as the seed:
 * "fp32", "fp16", "bf16", "int8", "int4"). Returns 0 and sets *bytes, or -ENOENT.
 */
int precision_bytes(const char *name, double *bytes);

/* precision_list - the accepted names joined by ", " (static storage, for error messages). */
const char *precision_list(void);

#endif
