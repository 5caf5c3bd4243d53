/* precision.c - the seed's BYTES table: bytes per parameter for each weight precision. */
#include "model/precision.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *name;
    double bytes;
} precisions[] = {
    /* The seed's five, unchanged. */
    {"fp32", 4.0},
    {"fp16", 2.0},
    {"bf16", 2.0},
    {"int8", 1.0},
    {"int4", 0.5},
    /* Beyond the seed. fp8: 1 byte (per-tensor/channel scales are negligible). fp4: bare 4 bits.
     * nvfp4: 4 bits + one fp8 scale per 16 values = 4.5 bits. mxfp4 (OCP MX): 4 bits + one e8m0
     * scale per 32 values = 4.25 bits. */
    {"fp8", 1.0},
    {"fp4", 0.5},
    {"nvfp4", 4.5 / 8},
    {"mxfp4", 4.25 / 8},
};

static const struct {
    const char *name;
    double bytes;
} kv_precisions[] = {
    {"fp32", 4.0}, {"fp16", 2.0}, {"bf16", 2.0}, {"fp8", 1.0}, {"int8", 1.0},
};

int precision_kv_bytes(const char *name, double *bytes)
{
    if (name == NULL)
        return -ENOENT;
    for (size_t i = 0; i < sizeof(kv_precisions) / sizeof(kv_precisions[0]); i++) {
        if (strcmp(kv_precisions[i].name, name) == 0) {
            *bytes = kv_precisions[i].bytes;
            return 0;
        }
    }
    return -ENOENT;
}

const char *precision_kv_list(void)
{
    return "fp32, fp16, bf16, fp8, int8";
}

int precision_bytes(const char *name, double *bytes)
{
    if (name == NULL)
        return -ENOENT;
    for (size_t i = 0; i < sizeof(precisions) / sizeof(precisions[0]); i++) {
        if (strcmp(precisions[i].name, name) == 0) {
            *bytes = precisions[i].bytes;
            return 0;
        }
    }
    return -ENOENT;
}

const char *precision_list(void)
{
    return "fp32, fp16, bf16, int8, int4, fp8, fp4, nvfp4, mxfp4";
}
