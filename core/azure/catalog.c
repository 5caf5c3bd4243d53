/* catalog.c - parses, validates and shares the GPU VM catalog as an immutable snapshot. */
#include "azure/catalog.h"

#include "base/fields.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct catalog {
    atomic_uint refs;
    json_t *doc;
    struct catalog_sku *skus; /* choice order */
    size_t n;
    char *source;
    struct catalog *parent;      /* a region subset borrows its entries from the parent */
    const char **priced_regions; /* borrowed from doc's prices.regions */
};

static int build_api_texts(struct catalog_sku *skus, size_t n);

/* Keys an entry may carry. Anything else is refused so a typo ("vram_gb_per_gpu") is caught. */
static const char *const entry_keys[] = {
    "sku",           "vendor",   "series",         "gpu_model",       "gpus_per_vm",
    "vram_gb",       "vcpus",    "memory_gib",     "partial",         "gpu_fraction",
    "retires_on",    "docs_url", "interconnect",   "infiniband",      "cpu_arch",
    "source",        "note",     "price_per_hour", "price_region",    "regions",
    "region_prices", "pcie_gen", "pcie_gbps",      "host_memory_gbs", "link_source",
};
static const char *const doc_keys[] = {"schema", "description", "skus", "prices"};
static const char *const prices_keys[] = {
    "source",         "fetched_at", "regions", "priced_skus", "unknown_skus",
    "unknown_sample", "rows",       "dropped", "duplicates",  "stale",
};

static bool key_allowed(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    return false;
}

bool catalog_valid_region(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > CATALOG_MAX_REGION_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

bool catalog_valid_date(const char *s)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || m < 1 || m > 12 || d < 1)
        return false;
    int max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

/* Helpers that name the entry and field in the error, e.g. skus[3] (Standard_X).vram_gb. */
struct entry_ctx {
    size_t index;
    const char *name;
    struct error_info *err;
};

static int entry_error(const struct entry_ctx *c, const char *field, const char *rule)
{
    char path[96];
    snprintf(path, sizeof(path), "skus[%zu].%s", c->index, field);
    return error_set(c->err, 400, "invalid_catalog", path, "catalog entry skus[%zu]%s%s%s: %s %s",
                     c->index, c->name ? " (" : "", c->name ? c->name : "", c->name ? ")" : "",
                     field, rule);
}

static int get_string(const struct entry_ctx *c, const json_t *e, const char *key, bool required,
                      const char **out)
{
    const json_t *v = json_object_get(e, key);
    if (v == NULL || json_is_null(v)) {
        if (required)
            return entry_error(c, key, "is required and must be a non-empty string");
        *out = NULL;
        return 0;
    }
    if (!json_is_string(v))
        return entry_error(c, key,
                           required ? "must be a non-empty string" : "must be a string or null");
    size_t len = json_string_length(v);
    if (len == 0)
        return entry_error(c, key, "must not be empty");
    if (len > CATALOG_MAX_STRING)
        return entry_error(c, key, "is longer than 2048 characters");
    *out = json_string_value(v);
    return 0;
}

static int get_number(const struct entry_ctx *c, const json_t *e, const char *key, double *out)
{
    const json_t *v = json_object_get(e, key);
    if (v == NULL)
        return entry_error(c, key, "is required and must be a number");
    if (!json_is_number(v))
        return entry_error(c, key, "must be a number");
    double d = json_number_value(v);
    if (!isfinite(d))
        return entry_error(c, key, "must be finite");
    *out = d;
    return 0;
}

static int get_int(const struct entry_ctx *c, const json_t *e, const char *key, int min, int *out)
{
    double d;
    int rc = get_number(c, e, key, &d);
    if (rc < 0)
        return rc;
    if (d != floor(d) || d < min || d > 1000000) {
        char rule[64];
        snprintf(rule, sizeof(rule), "must be an integer >= %d", min);
        return entry_error(c, key, rule);
    }
    *out = (int)d;
    return 0;
}

static void free_entry_prices(struct catalog_sku *s)
{
    for (int r = 0; r < 2; r++) {
        free((void *)(uintptr_t)s->api_text[r]);
        free((void *)(uintptr_t)s->api_pretty[r]);
        s->api_text[r] = NULL;
        s->api_pretty[r] = NULL;
    }
    free((void *)(uintptr_t)s->regions);
    free((void *)(uintptr_t)s->region_prices);
    s->regions = NULL;
    s->region_prices = NULL;
}

/* price_per_hour, price_region, regions and region_prices: all optional, checked together. */
static int parse_entry_prices(const struct entry_ctx *c, const json_t *e, struct catalog_sku *s)
{
    const json_t *regions = json_object_get(e, "regions");
    const json_t *rprices = json_object_get(e, "region_prices");
    const json_t *price = json_object_get(e, "price_per_hour");
    const char **names = NULL;
    double *vals = NULL;
    int rc = 0;

    s->price_per_hour = NAN;
    if (regions != NULL && !json_is_null(regions)) {
        if (!json_is_array(regions) || json_array_size(regions) > CATALOG_MAX_REGIONS)
            return entry_error(c, "regions", "must be an array of at most 128 region names");
        size_t n = json_array_size(regions);
        names = calloc(n ? n : 1, sizeof(*names));
        vals = calloc(n ? n : 1, sizeof(*vals));
        if (names == NULL || vals == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            const char *r = json_string_value(json_array_get(regions, i));
            if (!catalog_valid_region(r)) {
                rc = entry_error(c, "regions", "must hold lower-case region names ([a-z0-9]+)");
                goto out;
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(names[j], r) == 0) {
                    rc = entry_error(c, "regions", "must not repeat a region");
                    goto out;
                }
            names[i] = r;
            vals[i] = NAN;
        }
        s->nregions = n;
    }
    if (rprices != NULL && !json_is_null(rprices)) {
        if (!json_is_object(rprices)) {
            rc = entry_error(c, "region_prices", "must be an object {region: USD per hour}");
            goto out;
        }
        const char *key;
        const json_t *val;
        json_object_foreach(fields_mutable(rprices), key, val)
        {
            size_t i = 0;
            while (i < s->nregions && strcmp(names[i], key) != 0)
                i++;
            if (i == s->nregions) {
                rc = entry_error(c, "region_prices", "names a region missing from \"regions\"");
                goto out;
            }
            double d = json_number_value(val);
            if (!json_is_number(val) || !isfinite(d) || d <= 0 || d > CATALOG_MAX_PRICE_PER_HOUR) {
                rc = entry_error(c, "region_prices",
                                 "values must be positive USD per hour, at most 1000000");
                goto out;
            }
            vals[i] = d;
        }
    }
    if (price != NULL && !json_is_null(price)) {
        double d = json_number_value(price);
        if (!json_is_number(price) || !isfinite(d) || d <= 0 || d > CATALOG_MAX_PRICE_PER_HOUR) {
            rc = entry_error(c, "price_per_hour",
                             "must be a positive number (USD per hour, at most 1000000) or null");
            goto out;
        }
        const char *pr = NULL;
        if ((rc = get_string(c, e, "price_region", true, &pr)) < 0)
            goto out;
        size_t i = 0;
        while (i < s->nregions && strcmp(names[i], pr) != 0)
            i++;
        if (i == s->nregions || !(vals[i] == d)) {
            rc = entry_error(c, "price_region",
                             "must be one of \"regions\" with the same price in \"region_prices\"");
            goto out;
        }
        s->has_price = true;
        s->price_per_hour = d;
        s->price_region = names[i];
    } else {
        const json_t *pr = json_object_get(e, "price_region");
        if (pr != NULL && !json_is_null(pr)) {
            rc = entry_error(c, "price_region", "must be null when price_per_hour is null");
            goto out;
        }
    }
    s->regions = names;
    s->region_prices = vals;
    names = NULL;
    vals = NULL;
out:
    free(names);
    free(vals);
    if (rc < 0)
        s->nregions = 0;
    return rc;
}

/* The optional link fields: each absent or null, or a positive number (the generation 1..7). */
static int parse_links(const struct entry_ctx *c, const json_t *e, struct catalog_sku *s)
{
    static const struct {
        const char *key;
        double max;
    } nums[] = {{"pcie_gen", 7}, {"pcie_gbps", 1e4}, {"host_memory_gbs", 1e5}};
    double vals[3] = {0, 0, 0};
    int rc;
    for (size_t i = 0; i < 3; i++) {
        const json_t *v = json_object_get(e, nums[i].key);
        if (v == NULL || json_is_null(v))
            continue;
        if (!json_is_number(v) || !(json_number_value(v) > 0) || json_number_value(v) > nums[i].max)
            return entry_error(c, nums[i].key, "must be a positive number (or null)");
        vals[i] = json_number_value(v);
    }
    if (vals[0] != (int)vals[0])
        return entry_error(c, "pcie_gen", "must be an integer generation (3, 4, 5, ...)");
    if ((rc = get_string(c, e, "link_source", false, &s->link_source)) < 0)
        return rc;
    if ((vals[0] > 0 || vals[1] > 0 || vals[2] > 0) && s->link_source == NULL)
        return entry_error(c, "link_source", "is required with pcie_gen/pcie_gbps/host_memory_gbs");
    s->pcie_gen = (int)vals[0];
    s->pcie_gbps = vals[1];
    s->host_memory_gbs = vals[2];
    return 0;
}

static int parse_entry(const json_t *e, size_t index, struct catalog_sku *s, struct error_info *err)
{
    struct entry_ctx c = {index, NULL, err};
    int rc;
    if (!json_is_object(e))
        return error_set(err, 400, "invalid_catalog", "skus",
                         "catalog entry skus[%zu] must be an object", index);
    const json_t *name = json_object_get(e, "sku");
    if (json_is_string(name) && json_string_length(name) <= 128)
        c.name = json_string_value(name);

    const char *key;
    const json_t *val;
    json_object_foreach(fields_mutable(e), key, val)
    {
        (void)val;
        if (!key_allowed(key, entry_keys, sizeof(entry_keys) / sizeof(entry_keys[0])))
            return entry_error(&c, key, "is not a known catalog field");
    }

    memset(s, 0, sizeof(*s));
    if ((rc = get_string(&c, e, "sku", true, &s->sku)) < 0 ||
        (rc = get_string(&c, e, "vendor", true, &s->vendor)) < 0 ||
        (rc = get_string(&c, e, "series", true, &s->series)) < 0 ||
        (rc = get_string(&c, e, "gpu_model", true, &s->gpu_model)) < 0 ||
        (rc = get_string(&c, e, "docs_url", true, &s->docs_url)) < 0 ||
        (rc = get_string(&c, e, "retires_on", false, &s->retires_on)) < 0 ||
        (rc = get_string(&c, e, "interconnect", false, &s->interconnect)) < 0 ||
        (rc = get_string(&c, e, "cpu_arch", false, &s->cpu_arch)) < 0)
        return rc;
    if (s->retires_on && !catalog_valid_date(s->retires_on))
        return entry_error(&c, "retires_on", "must be an ISO date (YYYY-MM-DD) or null");

    if ((rc = get_int(&c, e, "gpus_per_vm", 1, &s->gpus_per_vm)) < 0 ||
        (rc = get_int(&c, e, "vcpus", 1, &s->vcpus)) < 0)
        return rc;
    if ((rc = get_number(&c, e, "vram_gb", &s->vram_gb)) < 0)
        return rc;
    if (s->vram_gb <= 0 || s->vram_gb > 1e6)
        return entry_error(&c, "vram_gb", "must be a positive finite number of GB per GPU");
    if ((rc = get_number(&c, e, "memory_gib", &s->memory_gib)) < 0)
        return rc;
    if (s->memory_gib <= 0)
        return entry_error(&c, "memory_gib", "must be a positive number");

    const json_t *partial = json_object_get(e, "partial");
    if (!json_is_boolean(partial))
        return entry_error(&c, "partial", "is required and must be true or false");
    s->partial = json_is_true(partial);

    const json_t *frac = json_object_get(e, "gpu_fraction");
    s->gpu_fraction = 1.0;
    if (frac != NULL && !json_is_null(frac)) {
        if (!json_is_number(frac) || !(json_number_value(frac) > 0 && json_number_value(frac) <= 1))
            return entry_error(&c, "gpu_fraction", "must be a number in (0, 1]");
        s->gpu_fraction = json_number_value(frac);
    }
    if (s->partial && s->gpus_per_vm != 1)
        return entry_error(&c, "gpus_per_vm", "must be 1 for a partial (fractional GPU) size");
    if (s->partial && s->gpu_fraction >= 1.0)
        return entry_error(&c, "gpu_fraction", "must be below 1 for a partial size");

    const json_t *ib = json_object_get(e, "infiniband");
    if (ib != NULL && !json_is_boolean(ib))
        return entry_error(&c, "infiniband", "must be true or false");
    s->infiniband = json_is_true(ib);
    if ((rc = parse_links(&c, e, s)) < 0)
        return rc;
    s->json = e;
    return parse_entry_prices(&c, e, s);
}

static int check_prices_block(const json_t *doc, struct error_info *err)
{
    const json_t *p = json_object_get(doc, "prices");
    if (p == NULL || json_is_null(p))
        return 0;
    if (!json_is_object(p))
        return error_set(err, 400, "invalid_catalog", "prices",
                         "catalog \"prices\" must be an object or null");
    const char *key;
    const json_t *val;
    json_object_foreach(fields_mutable(p), key, val)
    {
        (void)val;
        if (!key_allowed(key, prices_keys, sizeof(prices_keys) / sizeof(prices_keys[0])))
            return error_set(err, 400, "invalid_catalog", "prices",
                             "catalog prices field \"%.64s\" is not known", key);
    }
    const json_t *regions = json_object_get(p, "regions");
    if (!json_is_array(regions) || json_array_size(regions) > CATALOG_MAX_REGIONS)
        return error_set(err, 400, "invalid_catalog", "prices.regions",
                         "catalog prices.regions must be an array of region names");
    for (size_t i = 0; i < json_array_size(regions); i++)
        if (!catalog_valid_region(json_string_value(json_array_get(regions, i))))
            return error_set(err, 400, "invalid_catalog", "prices.regions",
                             "catalog prices.regions[%zu] is not a lower-case region name", i);
    return 0;
}

static int sku_order(const void *pa, const void *pb)
{
    const struct catalog_sku *a = pa, *b = pb;
    if (a->vram_gb != b->vram_gb)
        return a->vram_gb < b->vram_gb ? -1 : 1;
    if (a->gpus_per_vm != b->gpus_per_vm)
        return a->gpus_per_vm < b->gpus_per_vm ? -1 : 1;
    return strcmp(a->sku, b->sku);
}

int catalog_from_json(json_t *doc, const char *source, struct catalog **out, struct error_info *err)
{
    struct catalog *cat = NULL;
    int rc = 0;
    if (!json_is_object(doc))
        return error_set(err, 400, "invalid_catalog", "",
                         "catalog must be a JSON object with a \"skus\" array");
    const char *key;
    json_t *val;
    json_object_foreach(doc, key, val)
    {
        (void)val;
        if (!key_allowed(key, doc_keys, sizeof(doc_keys) / sizeof(doc_keys[0])))
            return error_set(
                err, 400, "invalid_catalog", key,
                "catalog field \"%.64s\" is not known (allowed: schema, description, skus)", key);
    }
    const json_t *schema = json_object_get(doc, "schema");
    if (schema != NULL &&
        !(json_is_string(schema) && strcmp(json_string_value(schema), "vramfit.catalog/v1") == 0))
        return error_set(err, 400, "invalid_catalog", "schema",
                         "catalog schema must be \"vramfit.catalog/v1\"");
    if ((rc = check_prices_block(doc, err)) < 0)
        return rc;
    const json_t *skus = json_object_get(doc, "skus");
    if (!json_is_array(skus))
        return error_set(err, 400, "invalid_catalog", "skus", "catalog must have a \"skus\" array");
    size_t n = json_array_size(skus);
    if (n == 0)
        return error_set(err, 400, "invalid_catalog", "skus", "catalog \"skus\" must not be empty");
    if (n > CATALOG_MAX_SKUS)
        return error_set(err, 400, "invalid_catalog", "skus",
                         "catalog \"skus\" holds %zu entries; the limit is %d", n,
                         CATALOG_MAX_SKUS);

    cat = calloc(1, sizeof(*cat));
    if (cat == NULL)
        return -ENOMEM;
    cat->skus = calloc(n, sizeof(*cat->skus));
    cat->source = strdup(source ? source : "unknown");
    if (cat->skus == NULL || cat->source == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rc = parse_entry(json_array_get(skus, i), i, &cat->skus[i], err);
        if (rc < 0)
            goto out;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cat->skus[j].sku, cat->skus[i].sku) == 0) {
                char path[48];
                snprintf(path, sizeof(path), "skus[%zu].sku", i);
                rc = error_set(
                    err, 400, "invalid_catalog", path,
                    "catalog entry skus[%zu]: sku \"%.128s\" repeats skus[%zu]; sku must be unique",
                    i, cat->skus[i].sku, j);
                goto out;
            }
        }
    }
    const json_t *loaded = json_object_get(json_object_get(doc, "prices"), "regions");
    size_t nloaded = json_array_size(loaded);
    if (nloaded > 0) {
        cat->priced_regions = calloc(nloaded, sizeof(*cat->priced_regions));
        if (cat->priced_regions == NULL) {
            rc = -ENOMEM;
            goto out;
        }
        for (size_t r = 0; r < nloaded; r++)
            cat->priced_regions[r] = json_string_value(json_array_get(loaded, r));
        for (size_t i = 0; i < n; i++) {
            cat->skus[i].priced_regions = cat->priced_regions;
            cat->skus[i].npriced_regions = nloaded;
        }
    }
    qsort(cat->skus, n, sizeof(*cat->skus), sku_order);
    if ((rc = build_api_texts(cat->skus, n)) < 0)
        goto out;
    cat->n = n;
    cat->doc = json_incref(doc);
    atomic_init(&cat->refs, 1);
    *out = cat;
    cat = NULL;
out:
    if (cat) {
        for (size_t i = 0; cat->skus && i < n; i++)
            free_entry_prices(&cat->skus[i]);
        free(cat->skus);
        free(cat->source);
        free(cat->priced_regions);
        free(cat);
    }
    return rc;
}

int catalog_load(const char *data, size_t len, const char *source, struct catalog **out,
                 struct error_info *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return error_set(err, 400, "malformed_catalog", "",
                         "catalog is not valid JSON: %s at line %d, column %d", jerr.text,
                         jerr.line, jerr.column);
    int rc = catalog_from_json(doc, source, out, err);
    json_decref(doc);
    return rc;
}

struct catalog *catalog_ref(struct catalog *cat)
{
    if (cat)
        atomic_fetch_add_explicit(&cat->refs, 1, memory_order_relaxed);
    return cat;
}

void catalog_unref(struct catalog *cat)
{
    if (cat == NULL)
        return;
    /* acq_rel: the last owner must see every other owner's reads finished before freeing. */
    if (atomic_fetch_sub_explicit(&cat->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (cat->parent == NULL)
        for (size_t i = 0; i < cat->n; i++)
            free_entry_prices(&cat->skus[i]);
    if (cat->parent == NULL) {
        json_decref(cat->doc);
        free(cat->priced_regions);
    }
    catalog_unref(cat->parent);
    free(cat->skus);
    free(cat->source);
    free(cat);
}

size_t catalog_count(const struct catalog *cat)
{
    return cat->n;
}

const struct catalog_sku *catalog_at(const struct catalog *cat, size_t i)
{
    return i < cat->n ? &cat->skus[i] : NULL;
}

const struct catalog_sku *catalog_find(const struct catalog *cat, const char *sku)
{
    for (size_t i = 0; i < cat->n; i++)
        if (strcmp(cat->skus[i].sku, sku) == 0)
            return &cat->skus[i];
    return NULL;
}

const char *catalog_source(const struct catalog *cat)
{
    return cat->source;
}

const json_t *catalog_document(const struct catalog *cat)
{
    return cat->doc;
}

void catalog_today(const char *fixed, char out[CATALOG_DATE_SIZE])
{
    if (fixed != NULL && fixed[0]) {
        snprintf(out, CATALOG_DATE_SIZE, "%s", fixed);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, CATALOG_DATE_SIZE, "%Y-%m-%d", &tm);
}

bool catalog_sku_retired(const struct catalog_sku *s, const char *today)
{
    return s->retires_on != NULL && today != NULL && strcmp(s->retires_on, today) <= 0;
}

bool catalog_sku_in_region(const struct catalog_sku *s, const char *region)
{
    for (size_t i = 0; region && i < s->nregions; i++)
        if (strcmp(s->regions[i], region) == 0)
            return true;
    return false;
}

bool catalog_sku_region_loaded(const struct catalog_sku *s, const char *region)
{
    for (size_t i = 0; region && i < s->npriced_regions; i++)
        if (strcmp(s->priced_regions[i], region) == 0)
            return true;
    return false;
}

bool catalog_sku_price_in(const struct catalog_sku *s, const char *region, double *price)
{
    for (size_t i = 0; region && i < s->nregions; i++)
        if (strcmp(s->regions[i], region) == 0 && isfinite(s->region_prices[i])) {
            *price = s->region_prices[i];
            return true;
        }
    return false;
}

const json_t *catalog_prices(const struct catalog *cat)
{
    const json_t *p = json_object_get(cat->doc, "prices");
    return json_is_object(p) ? p : NULL;
}

bool catalog_has_prices_for(const struct catalog *cat, const char *region)
{
    const json_t *p = catalog_prices(cat);
    const json_t *regions = p ? json_object_get(p, "regions") : NULL;
    for (size_t i = 0; region && i < json_array_size(regions); i++)
        if (strcmp(json_string_value(json_array_get(regions, i)), region) == 0)
            return true;
    return false;
}

int catalog_subset_region(const struct catalog *cat, const char *region, struct catalog **out)
{
    /* Only the (atomic) reference count of the parent changes: the snapshot stays immutable. */
    union {
        const struct catalog *c;
        struct catalog *m;
    } parent = {cat};
    struct catalog *sub = calloc(1, sizeof(*sub));
    if (sub == NULL)
        return -ENOMEM;
    sub->skus = calloc(cat->n ? cat->n : 1, sizeof(*sub->skus));
    sub->source = strdup(cat->source);
    if (sub->skus == NULL || sub->source == NULL) {
        free(sub->skus);
        free(sub->source);
        free(sub);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cat->n; i++)
        if (catalog_sku_in_region(&cat->skus[i], region))
            sub->skus[sub->n++] = cat->skus[i];
    /* No json_incref: the parent reference keeps the document alive, and jansson's decref reads
     * the count non-atomically, so shared documents' counts are never touched across threads. */
    sub->doc = cat->doc;
    sub->parent = catalog_ref(parent.m);
    atomic_init(&sub->refs, 1);
    *out = sub;
    return 0;
}

/* How an API field is read from the entry (the one list of fields, below, says which). */
enum field_kind {
    FK_STRING,        /* const char *, never NULL */
    FK_OPT_STRING,    /* const char *, null when NULL */
    FK_INT,           /* int */
    FK_REAL,          /* double */
    FK_BOOL,          /* bool */
    FK_RETIRED,       /* catalog_sku_retired for the day asked about */
    FK_PRICE,         /* price_per_hour, null unless has_price */
    FK_REGIONS,       /* [region, ...] */
    FK_REGION_PRICES, /* {region: price} for the regions with a price */
};

/* The one list of an entry's API fields, in output order: the text (catalog_sku_write) and the
 * tree (catalog_sku_json) are both made from it. The price members come last, from
 * price_per_hour on (catalog_sku_write_specs stops there). */
static const struct {
    const char *key;
    enum field_kind kind;
    size_t off;
} api_fields[] = {
    {"sku", FK_STRING, offsetof(struct catalog_sku, sku)},
    {"vendor", FK_STRING, offsetof(struct catalog_sku, vendor)},
    {"series", FK_STRING, offsetof(struct catalog_sku, series)},
    {"gpu_model", FK_STRING, offsetof(struct catalog_sku, gpu_model)},
    {"gpus_per_vm", FK_INT, offsetof(struct catalog_sku, gpus_per_vm)},
    {"vram_gb", FK_REAL, offsetof(struct catalog_sku, vram_gb)},
    {"vcpus", FK_INT, offsetof(struct catalog_sku, vcpus)},
    {"memory_gib", FK_REAL, offsetof(struct catalog_sku, memory_gib)},
    {"partial", FK_BOOL, offsetof(struct catalog_sku, partial)},
    {"gpu_fraction", FK_REAL, offsetof(struct catalog_sku, gpu_fraction)},
    {"retires_on", FK_OPT_STRING, offsetof(struct catalog_sku, retires_on)},
    {"retired", FK_RETIRED, 0},
    {"docs_url", FK_STRING, offsetof(struct catalog_sku, docs_url)},
    {"interconnect", FK_OPT_STRING, offsetof(struct catalog_sku, interconnect)},
    {"infiniband", FK_BOOL, offsetof(struct catalog_sku, infiniband)},
    {"cpu_arch", FK_OPT_STRING, offsetof(struct catalog_sku, cpu_arch)},
    {"price_per_hour", FK_PRICE, 0},
    {"price_region", FK_OPT_STRING, offsetof(struct catalog_sku, price_region)},
    {"regions", FK_REGIONS, 0},
    {"region_prices", FK_REGION_PRICES, 0},
};

#define NAPI_FIELDS (sizeof(api_fields) / sizeof(api_fields[0]))

static const char *field_string(const struct catalog_sku *s, size_t i)
{
    const char *p;
    memcpy(&p, (const char *)s + api_fields[i].off, sizeof(p));
    return p;
}

static int field_int(const struct catalog_sku *s, size_t i)
{
    int v;
    memcpy(&v, (const char *)s + api_fields[i].off, sizeof(v));
    return v;
}

static double field_real(const struct catalog_sku *s, size_t i)
{
    double v;
    memcpy(&v, (const char *)s + api_fields[i].off, sizeof(v));
    return v;
}

static bool field_bool(const struct catalog_sku *s, size_t i)
{
    bool v;
    memcpy(&v, (const char *)s + api_fields[i].off, sizeof(v));
    return v;
}

/* The fields of s (with prices: all of them; without: those before price_per_hour). */
static void write_fields(struct jsonout *w, const struct catalog_sku *s, bool retired, bool prices)
{
    jsonout_begin_object(w);
    for (size_t i = 0; i < NAPI_FIELDS; i++) {
        if (!prices && api_fields[i].kind == FK_PRICE)
            break;
        jsonout_key(w, api_fields[i].key);
        switch (api_fields[i].kind) {
        case FK_STRING:
        case FK_OPT_STRING:
            jsonout_string(w, field_string(s, i)); /* NULL writes null */
            break;
        case FK_INT:
            jsonout_integer(w, field_int(s, i));
            break;
        case FK_REAL:
            jsonout_number(w, field_real(s, i));
            break;
        case FK_BOOL:
            jsonout_bool(w, field_bool(s, i));
            break;
        case FK_RETIRED:
            jsonout_bool(w, retired);
            break;
        case FK_PRICE:
            if (s->has_price)
                jsonout_number(w, s->price_per_hour);
            else
                jsonout_null(w);
            break;
        case FK_REGIONS:
            jsonout_begin_array(w);
            for (size_t r = 0; r < s->nregions; r++)
                jsonout_string(w, s->regions[r]);
            jsonout_end_array(w);
            break;
        case FK_REGION_PRICES:
            jsonout_begin_object(w);
            for (size_t r = 0; r < s->nregions; r++)
                if (isfinite(s->region_prices[r])) {
                    jsonout_key(w, s->regions[r]);
                    jsonout_number(w, s->region_prices[r]);
                }
            jsonout_end_object(w);
            break;
        }
    }
    jsonout_end_object(w);
}

void catalog_sku_write(struct jsonout *w, const struct catalog_sku *s, const char *today)
{
    int r = catalog_sku_retired(s, today) ? 1 : 0;
    if (w->indent == 0 && s->api_text[r] != NULL)
        jsonout_raw(w, s->api_text[r], s->api_text_len[r]);
    else if (w->indent == CATALOG_PRETTY_INDENT && s->api_pretty[r] != NULL)
        jsonout_raw(w, s->api_pretty[r], s->api_pretty_len[r]);
    else
        write_fields(w, s, r == 1, true);
}

void catalog_sku_write_specs(struct jsonout *w, const struct catalog_sku *s, const char *today)
{
    write_fields(w, s, catalog_sku_retired(s, today), false);
}

static json_t *field_value(const struct catalog_sku *s, size_t i, bool retired)
{
    switch (api_fields[i].kind) {
    case FK_STRING:
    case FK_OPT_STRING: {
        const char *v = field_string(s, i);
        return v ? json_string(v) : json_null();
    }
    case FK_INT:
        return json_integer(field_int(s, i));
    case FK_REAL:
        return json_real(field_real(s, i));
    case FK_BOOL:
        return json_boolean(field_bool(s, i));
    case FK_RETIRED:
        return json_boolean(retired);
    case FK_PRICE:
        return s->has_price ? json_real(s->price_per_hour) : json_null();
    case FK_REGIONS: {
        json_t *a = json_array();
        for (size_t r = 0; a && r < s->nregions; r++)
            if (json_array_append_new(a, json_string(s->regions[r])) < 0) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    case FK_REGION_PRICES: {
        json_t *o = json_object();
        for (size_t r = 0; o && r < s->nregions; r++)
            if (isfinite(s->region_prices[r]) &&
                json_object_set_new(o, s->regions[r], json_real(s->region_prices[r])) < 0) {
                json_decref(o);
                return NULL;
            }
        return o;
    }
    }
    return NULL;
}

json_t *catalog_sku_json(const struct catalog_sku *s, const char *today)
{
    bool retired = catalog_sku_retired(s, today);
    json_t *j = json_object();
    for (size_t i = 0; j && i < NAPI_FIELDS; i++)
        if (json_object_set_new_nocheck(j, api_fields[i].key, field_value(s, i, retired)) < 0) {
            json_decref(j);
            return NULL;
        }
    return j;
}

/* One entry's API text at an indentation; NULL on failure. */
static const char *api_text_of(const struct catalog_sku *s, bool retired, int indent, size_t *len)
{
    struct buf b;
    struct jsonout w;
    buf_init(&b, JSONOUT_MAX);
    jsonout_init(&w, &b, indent);
    write_fields(&w, s, retired, true);
    if (jsonout_status(&w) != 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, len);
}

/* Serializes every entry's API text, retired false and true, compact and indented (see struct
 * catalog_sku). */
static int build_api_texts(struct catalog_sku *skus, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < 2; r++) {
            struct catalog_sku *s = &skus[i];
            s->api_text[r] = api_text_of(s, r == 1, 0, &s->api_text_len[r]);
            s->api_pretty[r] = api_text_of(s, r == 1, CATALOG_PRETTY_INDENT, &s->api_pretty_len[r]);
            if (s->api_text[r] == NULL || s->api_pretty[r] == NULL)
                return -ENOMEM;
        }
    return 0;
}
