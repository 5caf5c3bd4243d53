/* embedded.c - compiles the default data files into the binary with the assembler's .incbin. */
#include "config/embedded.h"

#include <stdint.h>

/*
 * .incbin keeps each file byte-for-byte (no code generator, no xxd) and works with gcc and clang
 * on ELF. Paths are relative to the directory make runs in (the repository root). The assembler
 * also records each size, so C never subtracts pointers to different objects.
 */
#define EMBED(name, path)                                                                          \
    __asm__(".section .rodata\n"                                                                   \
            ".balign 16\n"                                                                         \
            ".global vramfit_" name "_start\n"                                                     \
            "vramfit_" name "_start:\n"                                                            \
            ".incbin \"" path "\"\n"                                                               \
            "vramfit_" name "_end:\n"                                                              \
            ".balign 8\n"                                                                          \
            ".global vramfit_" name "_size\n"                                                      \
            "vramfit_" name "_size:\n"                                                             \
            ".quad vramfit_" name "_end - vramfit_" name "_start\n"                                \
            ".previous\n")

EMBED("catalog", "config/azure-gpu-skus.json");
EMBED("openapi_yaml", "openapi.yaml");
EMBED("openapi_json", "config/openapi.json");

extern const char vramfit_catalog_start[];
extern const uint64_t vramfit_catalog_size;

const char *embedded_catalog(size_t *len)
{
    *len = (size_t)vramfit_catalog_size;
    return vramfit_catalog_start;
}

extern const char vramfit_openapi_yaml_start[];
extern const uint64_t vramfit_openapi_yaml_size;
extern const char vramfit_openapi_json_start[];
extern const uint64_t vramfit_openapi_json_size;

const char *embedded_openapi_yaml(size_t *len)
{
    *len = (size_t)vramfit_openapi_yaml_size;
    return vramfit_openapi_yaml_start;
}

const char *embedded_openapi_json(size_t *len)
{
    *len = (size_t)vramfit_openapi_json_size;
    return vramfit_openapi_json_start;
}

EMBED("models", "config/models.json");

extern const char vramfit_models_start[];
extern const uint64_t vramfit_models_size;

const char *embedded_models(size_t *len)
{
    *len = (size_t)vramfit_models_size;
    return vramfit_models_start;
}
