/* embedded.c - compiles the default data files into the binary with the assembler's .incbin. */
#include "embedded.h"

/*
 * .incbin keeps the JSON byte-for-byte (no code generator, no xxd) and works with gcc and clang
 * on ELF. The path is relative to the directory make runs in (the repository root).
 */
__asm__(".section .rodata\n"
        ".balign 16\n"
        ".global vramfit_catalog_start\n"
        "vramfit_catalog_start:\n"
        ".incbin \"config/azure-gpu-skus.json\"\n"
        ".global vramfit_catalog_end\n"
        "vramfit_catalog_end:\n"
        ".balign 16\n"
        ".global vramfit_openapi_yaml_start\n"
        "vramfit_openapi_yaml_start:\n"
        ".incbin \"openapi.yaml\"\n"
        ".global vramfit_openapi_yaml_end\n"
        "vramfit_openapi_yaml_end:\n"
        ".balign 16\n"
        ".global vramfit_openapi_json_start\n"
        "vramfit_openapi_json_start:\n"
        ".incbin \"config/openapi.json\"\n"
        ".global vramfit_openapi_json_end\n"
        "vramfit_openapi_json_end:\n"
        ".previous\n");

extern const char vramfit_catalog_start[];
extern const char vramfit_catalog_end[];

const char *embedded_catalog(size_t *len)
{
    *len = (size_t)(vramfit_catalog_end - vramfit_catalog_start);
    return vramfit_catalog_start;
}

extern const char vramfit_openapi_yaml_start[];
extern const char vramfit_openapi_yaml_end[];
extern const char vramfit_openapi_json_start[];
extern const char vramfit_openapi_json_end[];

const char *embedded_openapi_yaml(size_t *len)
{
    *len = (size_t)(vramfit_openapi_yaml_end - vramfit_openapi_yaml_start);
    return vramfit_openapi_yaml_start;
}

const char *embedded_openapi_json(size_t *len)
{
    *len = (size_t)(vramfit_openapi_json_end - vramfit_openapi_json_start);
    return vramfit_openapi_json_start;
}
