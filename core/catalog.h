/* catalog.h - immutable, reference-counted snapshot of the Azure GPU VM catalog. */
#ifndef VRAMFIT_CATALOG_H
#define VRAMFIT_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Hard caps on what a catalog document may hold (it can come from an operator's URL). */
#define CATALOG_MAX_SKUS   4096
#define CATALOG_MAX_STRING 2048

/*
 * One VM size. Strings are borrowed from the snapshot and live as long as it does.
 * Optional strings are NULL when absent.
 */
struct catalog_sku {
    const char *sku;
    const char *vendor;
    const char *series;
    const char *gpu_model;
    const char *docs_url;
    const char *retires_on;   /* "YYYY-MM-DD" or NULL */
    const char *interconnect; /* NULL when the docs state none */
    const char *cpu_arch;     /* NULL when unknown */
    int gpus_per_vm;          /* >= 1; 1 for partial sizes */
    double vram_gb;           /* per GPU; for partial sizes, what the VM sees */
    int vcpus;
    double memory_gib;
    bool partial;
    double gpu_fraction; /* 1 for whole GPUs */
    bool infiniband;
    const json_t *json; /* the entry as it was loaded (borrowed) */
};

struct catalog;

/*
 * catalog_load - parses and validates a catalog document (vramfit.catalog/v1) from len bytes.
 * source is a label kept with the snapshot ("embedded", "file:/path"), copied.
 * On success returns 0 and *out holds a snapshot with one reference (release with catalog_unref).
 * On failure returns -EINVAL (err names the entry and field and the rule) or -ENOMEM; *out is
 * untouched.
 */
int catalog_load(const char *data, size_t len, const char *source, struct catalog **out,
                 struct error_info *err);

/*
 * catalog_from_json - as catalog_load, from an already parsed document. Takes its own reference
 * to doc (the caller keeps theirs). Never mutate doc afterwards: the snapshot is shared.
 */
int catalog_from_json(json_t *doc, const char *source, struct catalog **out,
                      struct error_info *err);

/* catalog_ref - takes one more reference; returns cat. Thread-safe. Accepts NULL. */
struct catalog *catalog_ref(struct catalog *cat);

/* catalog_unref - drops one reference; the last one frees the snapshot. Accepts NULL. */
void catalog_unref(struct catalog *cat);

/* catalog_count - number of sizes. */
size_t catalog_count(const struct catalog *cat);

/*
 * catalog_at - the i-th size in choice order: vram_gb ascending, then fewer gpus_per_vm, then
 * sku name (byte order). Borrowed pointer, valid while the caller holds a reference.
 */
const struct catalog_sku *catalog_at(const struct catalog *cat, size_t i);

/* catalog_find - the size named sku (exact match), or NULL. Borrowed. */
const struct catalog_sku *catalog_find(const struct catalog *cat, const char *sku);

/* catalog_source - the label given at load ("embedded", "file:PATH", ...). Borrowed. */
const char *catalog_source(const struct catalog *cat);

/* catalog_document - the validated document the snapshot was built from. Borrowed; read-only. */
const json_t *catalog_document(const struct catalog *cat);

/* catalog_sku_retired - true when the size retires on or before today ("YYYY-MM-DD"). */
bool catalog_sku_retired(const struct catalog_sku *s, const char *today);

/*
 * catalog_sku_json - a new JSON object describing s for API output (its public fields plus
 * "retired" for today). Caller owns the reference. NULL on allocation failure.
 */
json_t *catalog_sku_json(const struct catalog_sku *s, const char *today);

/* catalog_valid_date - true for a real calendar date written "YYYY-MM-DD". */
bool catalog_valid_date(const char *s);

#endif
