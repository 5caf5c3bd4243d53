/* precision.c - the seed's BYTES table: bytes per parameter for each weight precision. */
#include "precision.h"

#include <errno.h>
#include <string.h>

static const struct {
    const char *name;
    double bytes;
} precisions[] = {
    {"fp32", 4.0}, {"fp16", 2.0}, {"bf16", 2.0}, {"int8", 1.0}, {"int4", 0.5},
};

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
    return "fp32, fp16, bf16, int8, int4";
}
