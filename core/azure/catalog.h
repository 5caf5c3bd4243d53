/* catalog.h - immutable, reference-counted snapshot of the Azure GPU VM catalog. */
#ifndef VRAMFIT_CATALOG_H
#define VRAMFIT_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "base/jsonout.h"

/* Hard caps on what a catalog document may hold (it can come from an operator's URL). */
#define CATALOG_MAX_SKUS       4096
#define CATALOG_MAX_STRING     2048
#define CATALOG_MAX_REGIONS    128
#define CATALOG_MAX_REGION_LEN 48
/* No VM costs a million dollars an hour: a price above this is a broken feed, not a price. */
#define CATALOG_MAX_PRICE_PER_HOUR 1e6

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
    /*
     * Links the experts of an offloaded MoE cross (optional; 0 / NULL when the catalog does not
     * say): the PCIe generation between one GPU and the host, its bandwidth per direction in GB/s
     * (x16 lanes), and the peak bandwidth of the host memory the VM's processors read (GB/s);
     * link_source cites both. Not written into the size's API object (the seed's answer keeps its
     * bytes); the offload answer reports them.
     */
    int pcie_gen;
    double pcie_gbps;
    double host_memory_gbs;
    const char *link_source;
    const json_t *json; /* the entry as it was loaded (borrowed) */

    /*
     * Azure Retail Prices merged in by the refresher (absent from a specs-only catalog).
     * Linux pay-as-you-go USD per VM-hour. price_per_hour is the price in price_region, the
     * first configured region (--region order) that offers the size; NAN when unknown.
     */
    bool has_price;
    double price_per_hour;
    const char *price_region;    /* NULL when !has_price */
    const char *const *regions;  /* lower-case regions offering the size (priced there) */
    const double *region_prices; /* parallel to regions: USD per VM-hour */
    size_t nregions;
    /* The regions prices were loaded for (the catalog's prices.regions): there, "not in regions"
     * means "not offered". Empty for a specs-only catalog. */
    const char *const *priced_regions;
    size_t npriced_regions;

    /* The entry as API output (catalog_sku_write), serialized once when the snapshot is built:
     * [0] with "retired": false, [1] with true. NULL when the entry was not built by
     * catalog_from_json (then it is written field by field). */
    const char *api_text[2];
    size_t api_text_len[2];
    /* The same, indented by CATALOG_PRETTY_INDENT at depth 0 (?pretty answers splice it). */
    const char *api_pretty[2];
    size_t api_pretty_len[2];
};

/* The indentation api_pretty is written with: the HTTP layer's ?pretty. */
#define CATALOG_PRETTY_INDENT 2

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

/* Bytes of a "YYYY-MM-DD" date with its NUL. */
#define CATALOG_DATE_SIZE 11

/*
 * catalog_today - the date retirement is judged on, "YYYY-MM-DD", into out: fixed when it is a
 * non-empty string (--today: reproducible answers and tests), else the current UTC date. Never
 * fails.
 */
void catalog_today(const char *fixed, char out[CATALOG_DATE_SIZE]);

/* catalog_sku_retired - true when the size retires on or before today ("YYYY-MM-DD"). */
bool catalog_sku_retired(const struct catalog_sku *s, const char *today);

/*
 * catalog_sku_json - a new JSON object describing s for API output (its public fields plus
 * "retired" for today): catalog_sku_write's text read back. Caller owns the reference. NULL on
 * allocation failure.
 */
json_t *catalog_sku_json(const struct catalog_sku *s, const char *today);

/*
 * catalog_sku_write - writes that object as one value into w: the snapshot's pre-serialized text
 * when w is compact or indented by CATALOG_PRETTY_INDENT, else field by field. Errors stick in w.
 */
void catalog_sku_write(struct jsonout *w, const struct catalog_sku *s, const char *today);

/*
 * catalog_sku_write_specs - that object without its price members (price_per_hour, price_region,
 * regions, region_prices), field by field: for answers that state the price they used beside it,
 * so the size never shows a second, different price. Errors stick in w.
 */
void catalog_sku_write_specs(struct jsonout *w, const struct catalog_sku *s, const char *today);

/* catalog_sku_in_region - true when s is offered (priced) in region (lower case). */
bool catalog_sku_in_region(const struct catalog_sku *s, const char *region);

/* catalog_sku_region_loaded - true when prices were loaded for region, so that
 * catalog_sku_in_region(s, region) is authoritative. */
bool catalog_sku_region_loaded(const struct catalog_sku *s, const char *region);

/* catalog_sku_price_in - true and *price set when s has a price in region. */
bool catalog_sku_price_in(const struct catalog_sku *s, const char *region, double *price);

/*
 * catalog_prices - the document's "prices" block (where prices came from, when, for which
 * regions, how many sizes were priced), or NULL for a specs-only catalog. Borrowed; read-only.
 */
const json_t *catalog_prices(const struct catalog *cat);

/* catalog_has_prices_for - true when prices were loaded for region (so "offered" is known). */
bool catalog_has_prices_for(const struct catalog *cat, const char *region);

/*
 * catalog_subset_region - a new snapshot holding only the sizes offered in region (same order),
 * sharing cat's document (it keeps a reference to cat). The subset may be empty. Release with
 * catalog_unref. Returns 0 or -ENOMEM.
 */
int catalog_subset_region(const struct catalog *cat, const char *region, struct catalog **out);

/* catalog_valid_region - true for an Azure region name: 1..48 of [a-z0-9]. */
bool catalog_valid_region(const char *s);

/* catalog_valid_date - true for a real calendar date written "YYYY-MM-DD". */
bool catalog_valid_date(const char *s);

#endif
