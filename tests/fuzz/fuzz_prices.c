/* fuzz_prices.c - libFuzzer target: Azure Retail Prices pages through the parser and the merge. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#include "azure/catalog.h"
#include "config/embedded.h"
#include "azure/retail.h"

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_prices: %s:%d: %s\n", __FILE__, __LINE__, #cond);                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static json_t *spec; /* the embedded catalog document every feed is merged into */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    size_t len;
    const char *doc = embedded_catalog(&len);
    json_error_t jerr;
    spec = json_loadb(doc, len, 0, &jerr);
    if (spec == NULL)
        abort();
    /* The seeds' sizes plus a few others: merging the whole catalog per input ran at 35 exec/s. */
    json_t *all = json_object_get(spec, "skus"), *keep = json_array();
    for (size_t i = 0; i < json_array_size(all); i++) {
        const char *name = json_string_value(json_object_get(json_array_get(all, i), "sku"));
        if (i % 8 == 0 || (name && (strstr(name, "A100") || strstr(name, "H100"))))
            json_array_append(keep, json_array_get(all, i));
    }
    json_object_set_new(spec, "skus", keep);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const regions[] = {"eastus", "westeurope"};
    if (spec == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    struct retail *p = retail_new(regions, 2);
    FUZZ_ASSERT(p != NULL);
    struct error_info err;
    error_clear(&err);
    char *next = NULL;
    int rc = retail_add_page(p, (const char *)data, size, &next, &err);
    if (rc < 0) {
        FUZZ_ASSERT(rc == -EINVAL || rc == -ENOMEM);
        FUZZ_ASSERT(err.message[0] != '\0');
        FUZZ_ASSERT(next == NULL);
    } else {
        if (next != NULL) {
            FUZZ_ASSERT(strlen(next) <= RETAIL_MAX_LINK);
            (void)retail_same_origin(next, "https://prices.azure.com/api/retail/prices");
            free(next);
            next = NULL;
        }
        /* The same page again: every row is now a duplicate and the lower price must win. */
        size_t rows = retail_rows(p);
        if (retail_add_page(p, (const char *)data, size, &next, &err) == 0)
            FUZZ_ASSERT(retail_rows(p) == rows);
        free(next);
    }
    /* Whatever the feed held, the merged document must still be a valid catalog. */
    json_t *merged = NULL;
    struct retail_summary sum;
    error_clear(&err);
    if (retail_merge(spec, p, "fuzz", "2026-11-23T00:00:00Z", false, &merged, &sum, &err) == 0) {
        struct catalog *cat = NULL;
        int crc = catalog_from_json(merged, "fuzz", &cat, &err);
        if (crc != 0)
            fprintf(stderr, "fuzz_prices: merged catalog refused: %s\n", err.message);
        FUZZ_ASSERT(crc == 0);
        catalog_unref(cat);
        json_decref(merged);
    }
    retail_free(p);
    return 0;
}
