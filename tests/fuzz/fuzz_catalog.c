/* fuzz_catalog.c - libFuzzer target: catalog documents through the parser/validator and its users.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/skusquery.h"
#include "azure/catalog.h"
#include "choice/choose.h"
#include "base/jsonout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_catalog: %s:%d: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The documented choice order: vram_gb ascending, then fewer GPUs, then sku name. */
static int order(const struct catalog_sku *a, const struct catalog_sku *b)
{
    if (a->vram_gb != b->vram_gb)
        return a->vram_gb < b->vram_gb ? -1 : 1;
    if (a->gpus_per_vm != b->gpus_per_vm)
        return a->gpus_per_vm < b->gpus_per_vm ? -1 : 1;
    return strcmp(a->sku, b->sku);
}

static void exercise(const struct catalog *cat)
{
    static const char *const today = "2026-11-23";
    size_t n = catalog_count(cat);
    FUZZ_ASSERT(n >= 1 && n <= CATALOG_MAX_SKUS);
    for (size_t i = 0; i < n; i++) {
        const struct catalog_sku *s = catalog_at(cat, i);
        FUZZ_ASSERT(s != NULL && s->sku != NULL && s->gpus_per_vm >= 1 && s->vram_gb > 0);
        FUZZ_ASSERT(catalog_find(cat, s->sku) == s);
        if (i > 0)
            FUZZ_ASSERT(order(catalog_at(cat, i - 1), s) < 0); /* sorted, names unique */
        json_t *j = catalog_sku_json(s, today);
        FUZZ_ASSERT(j != NULL);
        json_decref(j);
    }
    /* GET /skus as the server builds it: the default query (no parameters) over every size. */
    struct skus_query q;
    struct error_info err;
    json_t *skus = NULL;
    FUZZ_ASSERT(skus_query_parse(NULL, 0, &q, &err) == 0);
    FUZZ_ASSERT(skus_query_list(cat, today, &q, &skus, &err) == 0 && skus != NULL);
    char *text = jsonout_dumps(skus, 0, NULL);
    FUZZ_ASSERT(text != NULL);
    free(text);
    json_decref(skus);
    static const double needs[] = {0.5, 15, 80, 700, 1e6};
    for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
        struct choice ch;
        choose_seed(cat, needs[i], today, &ch);
        if (ch.sku != NULL) /* relative slack: ceil() of a rounded quotient */
            FUZZ_ASSERT(ch.gpus >= 1 && ch.gpus <= ch.sku->gpus_per_vm &&
                        ch.sku->vram_gb * ch.gpus >= needs[i] * (1 - 1e-12));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct catalog *cat = NULL;
    struct error_info err;
    error_clear(&err);
    if (catalog_load((const char *)data, size, "fuzz", &cat, &err) < 0) {
        FUZZ_ASSERT(err.status >= 400 && err.status < 500);
        FUZZ_ASSERT(err.code[0] != '\0' && err.message[0] != '\0');
        FUZZ_ASSERT(cat == NULL);
        return 0;
    }
    exercise(cat);
    struct catalog *again = catalog_ref(cat);
    catalog_unref(cat);
    catalog_unref(again);
    return 0;
}
