/* retail.c - filters Azure Retail Prices pages down to Linux on-demand hourly rows and merges them.
 */
#include "azure/retail.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/fields.h"

#define MAX_SKU_NAME 128

struct row {
    char *sku;    /* as the feed spells it */
    char *region; /* lower case */
    double price;
};

struct retail {
    char **regions;
    size_t nregions;
    struct row *rows;
    size_t n, cap;
    size_t *table; /* open addressing: index + 1 into rows, 0 = empty */
    size_t tcap;   /* power of two */
    size_t duplicates;
    struct retail_stats stats;
};

static uint64_t row_hash(const char *sku, const char *region)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *c = sku; *c; c++)
        h = (h ^ (unsigned char)tolower((unsigned char)*c)) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *c = region; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    return h;
}

static bool region_wanted(const struct retail *p, const char *region)
{
    if (p->nregions == 0)
        return true;
    for (size_t i = 0; i < p->nregions; i++)
        if (strcmp(p->regions[i], region) == 0)
            return true;
    return false;
}

struct retail *retail_new(const char *const *regions, size_t nregions)
{
    struct retail *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->regions = calloc(nregions ? nregions : 1, sizeof(*p->regions));
    if (p->regions == NULL) {
        free(p);
        return NULL;
    }
    for (size_t i = 0; i < nregions; i++) {
        p->regions[i] = strdup(regions[i]);
        if (p->regions[i] == NULL) {
            p->nregions = i;
            retail_free(p);
            return NULL;
        }
    }
    p->nregions = nregions;
    return p;
}

void retail_free(struct retail *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nregions; i++)
        free(p->regions[i]);
    for (size_t i = 0; i < p->n; i++) {
        free(p->rows[i].sku);
        free(p->rows[i].region);
    }
    free(p->regions);
    free(p->rows);
    free(p->table);
    free(p);
}

static int table_grow(struct retail *p)
{
    size_t ncap = p->tcap ? p->tcap * 2 : 1024;
    size_t *nt = calloc(ncap, sizeof(*nt));
    if (nt == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < p->n; i++) {
        size_t h = (size_t)row_hash(p->rows[i].sku, p->rows[i].region) & (ncap - 1);
        while (nt[h] != 0)
            h = (h + 1) & (ncap - 1);
        nt[h] = i + 1;
    }
    free(p->table);
    p->table = nt;
    p->tcap = ncap;
    return 0;
}

/* The row for (sku, region), or NULL. */
static struct row *row_find(const struct retail *p, const char *sku, const char *region)
{
    if (p->tcap == 0)
        return NULL;
    size_t h = (size_t)row_hash(sku, region) & (p->tcap - 1);
    while (p->table[h] != 0) {
        struct row *r = &p->rows[p->table[h] - 1];
        if (strcasecmp(r->sku, sku) == 0 && strcmp(r->region, region) == 0)
            return r;
        h = (h + 1) & (p->tcap - 1);
    }
    return NULL;
}

int retail_add(struct retail *p, const char *sku, const char *region, double price)
{
    if (sku == NULL || sku[0] == '\0' || strlen(sku) > MAX_SKU_NAME ||
        !catalog_valid_region(region) || !isfinite(price) || price <= 0 ||
        price > CATALOG_MAX_PRICE_PER_HOUR)
        return -EINVAL;
    struct row *r = row_find(p, sku, region);
    if (r != NULL) {
        p->duplicates++;
        if (price < r->price)
            r->price = price;
        return 0;
    }
    if (p->n >= RETAIL_MAX_ROWS)
        return -E2BIG;
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 256;
        struct row *nr = realloc(p->rows, ncap * sizeof(*nr));
        if (nr == NULL)
            return -ENOMEM;
        p->rows = nr;
        p->cap = ncap;
    }
    if ((p->n + 1) * 2 > p->tcap && table_grow(p) < 0)
        return -ENOMEM;
    struct row nrow = {strdup(sku), strdup(region), price};
    if (nrow.sku == NULL || nrow.region == NULL) {
        free(nrow.sku);
        free(nrow.region);
        return -ENOMEM;
    }
    p->rows[p->n] = nrow;
    size_t h = (size_t)row_hash(sku, region) & (p->tcap - 1);
    while (p->table[h] != 0)
        h = (h + 1) & (p->tcap - 1);
    p->table[h] = ++p->n;
    return 0;
}

size_t retail_rows(const struct retail *p)
{
    return p->n;
}

size_t retail_duplicates(const struct retail *p)
{
    return p->duplicates;
}

const struct retail_stats *retail_get_stats(const struct retail *p)
{
    return &p->stats;
}

static const char *str_field(const json_t *item, const char *key)
{
    const json_t *v = json_object_get(item, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Classifies one item: returns the counter to bump, or NULL when the row is usable. */
static size_t *classify(struct retail *p, const json_t *item, const char **sku, char *region,
                        double *price)
{
    struct retail_stats *st = &p->stats;
    if (!json_is_object(item))
        return &st->malformed;
    const char *arm = str_field(item, "armSkuName");
    const char *reg = str_field(item, "armRegionName");
    const char *type = str_field(item, "type");
    const char *product = str_field(item, "productName");
    const char *skuname = str_field(item, "skuName");
    const char *meter = str_field(item, "meterName");
    const char *unit = str_field(item, "unitOfMeasure");
    const char *service = str_field(item, "serviceName");
    const char *currency = str_field(item, "currencyCode");
    const json_t *retail = json_object_get(item, "retailPrice");
    if (!json_is_number(retail))
        retail = json_object_get(item, "unitPrice");
    const json_t *primary = json_object_get(item, "isPrimaryMeterRegion");
    if (arm == NULL || arm[0] == '\0' || strlen(arm) > MAX_SKU_NAME || reg == NULL ||
        strlen(reg) > CATALOG_MAX_REGION_LEN || type == NULL || product == NULL ||
        skuname == NULL || unit == NULL || !json_is_number(retail) ||
        (primary != NULL && !json_is_boolean(primary)))
        return &st->malformed;
    if (service != NULL && strcmp(service, "Virtual Machines") != 0)
        return &st->not_vm;
    if (currency != NULL && strcmp(currency, "USD") != 0)
        return &st->currency;
    /* Reservation prices are whole-term totals despite "1 Hour": never mix them in. */
    if (strcmp(type, "Consumption") != 0 || json_object_get(item, "reservationTerm") != NULL)
        return &st->not_consumption;
    /* " Win" also catches the H100 "Srs Win" products that a " Windows" suffix test misses. */
    if (strstr(product, " Win") != NULL)
        return &st->windows;
    if (strstr(product, " Cloud Services") != NULL || strstr(product, " CloudServices") != NULL)
        return &st->cloud_services;
    if (strstr(skuname, " Spot") != NULL || (meter && strstr(meter, " Spot") != NULL))
        return &st->spot;
    if (strstr(skuname, "Low Priority") != NULL || (meter && ends_with(meter, "Low Priority")))
        return &st->low_priority;
    double d = json_number_value(retail);
    if (!isfinite(d) || d <= 0)
        return &st->zero_price;
    /* Found by fuzz_prices: a row the merged catalog's validation would refuse must not get in. */
    if (d > CATALOG_MAX_PRICE_PER_HOUR)
        return &st->malformed;
    if (json_is_false(primary))
        return &st->non_primary;
    if (strcmp(unit, "1 Hour") != 0)
        return &st->unit;
    size_t i = 0;
    for (; reg[i]; i++)
        region[i] = (char)tolower((unsigned char)reg[i]);
    region[i] = '\0';
    if (!catalog_valid_region(region))
        return &st->malformed;
    if (!region_wanted(p, region))
        return &st->other_region;
    *sku = arm;
    *price = d;
    return NULL;
}

int retail_add_page(struct retail *p, const char *data, size_t len, char **next_link,
                    struct error_info *err)
{
    json_error_t jerr;
    int rc = 0;
    char *link = NULL;
    json_t *doc = json_loadb(data, len, 0, &jerr);
    if (doc == NULL)
        return error_set(err, 502, "invalid_prices", "",
                         "price page is not valid JSON: %s at line %d, column %d", jerr.text,
                         jerr.line, jerr.column);
    const json_t *items = json_object_get(doc, "Items");
    const json_t *next = json_object_get(doc, "NextPageLink");
    if (!json_is_object(doc) || !json_is_array(items)) {
        rc = error_set(err, 502, "invalid_prices", "Items",
                       "price page is not a Retail Prices response (no \"Items\" array)");
        goto out;
    }
    if (next != NULL && !json_is_null(next) && !json_is_string(next)) {
        rc = error_set(err, 502, "invalid_prices", "NextPageLink",
                       "price page NextPageLink must be a string or null");
        goto out;
    }
    if (json_array_size(items) > RETAIL_MAX_ITEMS_PER_PAGE) {
        rc = error_set(err, 502, "invalid_prices", "Items",
                       "price page holds %zu items; the limit is %d", json_array_size(items),
                       RETAIL_MAX_ITEMS_PER_PAGE);
        goto out;
    }
    if (json_is_string(next) && json_string_length(next) > 0) {
        if (json_string_length(next) > RETAIL_MAX_LINK) {
            rc = error_set(err, 502, "invalid_prices", "NextPageLink",
                           "price page NextPageLink is longer than %d bytes", RETAIL_MAX_LINK);
            goto out;
        }
        link = strdup(json_string_value(next));
        if (link == NULL) {
            rc = -ENOMEM;
            goto out;
        }
    }
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item)
    {
        const char *sku = NULL;
        char region[CATALOG_MAX_REGION_LEN + 1];
        double price = 0;
        p->stats.items++;
        size_t *drop = classify(p, item, &sku, region, &price);
        if (drop != NULL) {
            (*drop)++;
            continue;
        }
        rc = retail_add(p, sku, region, price);
        if (rc == -EINVAL) {
            p->stats.malformed++;
            rc = 0;
            continue;
        }
        if (rc == -E2BIG) {
            rc = error_set(err, 502, "invalid_prices", "Items",
                           "the price feed holds more than %d usable rows", RETAIL_MAX_ROWS);
            goto out;
        }
        if (rc < 0)
            goto out;
        p->stats.usable++;
    }
    *next_link = link;
    link = NULL;
out:
    free(link);
    json_decref(doc);
    return rc;
}

int retail_from_catalog(const struct catalog *cat, struct retail **out)
{
    const json_t *info = catalog_prices(cat);
    const json_t *regions = info ? json_object_get(info, "regions") : NULL;
    if (!json_is_array(regions))
        return -ENOENT;
    size_t nr = json_array_size(regions);
    const char *names[CATALOG_MAX_REGIONS];
    for (size_t i = 0; i < nr && i < CATALOG_MAX_REGIONS; i++)
        names[i] = json_string_value(json_array_get(regions, i));
    struct retail *p = retail_new(names, nr < CATALOG_MAX_REGIONS ? nr : CATALOG_MAX_REGIONS);
    if (p == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < catalog_count(cat); i++) {
        const struct catalog_sku *s = catalog_at(cat, i);
        for (size_t r = 0; r < s->nregions; r++) {
            if (!isfinite(s->region_prices[r]))
                continue;
            int rc = retail_add(p, s->sku, s->regions[r], s->region_prices[r]);
            if (rc < 0 && rc != -EINVAL) {
                retail_free(p);
                return rc;
            }
        }
    }
    *out = p;
    return 0;
}

/* Entry keys the merge owns: stripped from the spec document before prices are written. */
static const char *const price_keys[] = {"price_per_hour", "price_region", "regions",
                                         "region_prices"};

static int merge_entry(json_t *entry, const struct retail *p, bool *priced)
{
    for (size_t k = 0; k < sizeof(price_keys) / sizeof(price_keys[0]); k++)
        json_object_del(entry, price_keys[k]);
    *priced = false;
    const char *sku = str_field(entry, "sku");
    if (p == NULL || sku == NULL)
        return 0;
    json_t *regions = json_array(), *rprices = json_object();
    const struct row *first = NULL;
    int rc = 0;
    if (regions == NULL || rprices == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < p->nregions; i++) {
        const struct row *r = row_find(p, sku, p->regions[i]);
        if (r == NULL)
            continue;
        if (first == NULL)
            first = r;
        if (json_array_append_new(regions, json_string(r->region)) < 0 ||
            json_object_set_new(rprices, r->region, json_real(r->price)) < 0) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (json_object_set_new(entry, "price_per_hour",
                            first ? json_real(first->price) : json_null()) < 0 ||
        json_object_set_new(entry, "price_region",
                            first ? json_string(first->region) : json_null()) < 0 ||
        json_object_set(entry, "regions", regions) < 0 ||
        json_object_set(entry, "region_prices", rprices) < 0) {
        rc = -ENOMEM;
        goto out;
    }
    *priced = first != NULL;
out:
    json_decref(regions);
    json_decref(rprices);
    return rc;
}

static json_t *dropped_json(const struct retail_stats *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "malformed",
                     (json_int_t)s->malformed, "not_vm", (json_int_t)s->not_vm, "currency",
                     (json_int_t)s->currency, "not_consumption", (json_int_t)s->not_consumption,
                     "windows", (json_int_t)s->windows, "cloud_services",
                     (json_int_t)s->cloud_services, "spot", (json_int_t)s->spot, "low_priority",
                     (json_int_t)s->low_priority, "zero_price", (json_int_t)s->zero_price,
                     "non_primary", (json_int_t)s->non_primary, "unit", (json_int_t)s->unit,
                     "other_region", (json_int_t)s->other_region);
}

/* Whether the catalog (its skus array) names sku, case-insensitively. */
static bool doc_has_sku(const json_t *skus, const char *sku)
{
    size_t i;
    const json_t *e;
    json_array_foreach(skus, i, e)
    {
        const char *name = str_field(e, "sku");
        if (name && strcasecmp(name, sku) == 0)
            return true;
    }
    return false;
}

/*
 * A copy of spec_doc that merge_entry may change: the top object, the skus array and each entry
 * object are new, every other value is shared with spec_doc (jansson counts references
 * atomically, and neither document is changed once published). A deep copy doubled the tree of
 * the largest legal catalog (tens of MB) on every refresh. NULL on allocation failure.
 */
static json_t *copy_for_merge(const json_t *spec_doc)
{
    json_t *doc = json_copy(fields_mutable(spec_doc));
    const json_t *skus = json_object_get(spec_doc, "skus");
    if (doc == NULL || !json_is_array(skus))
        return doc;
    json_t *copy = json_array();
    size_t i;
    const json_t *e;
    json_array_foreach(skus, i, e)
    {
        json_t *c =
            json_is_object(e) ? json_copy(fields_mutable(e)) : json_incref(fields_mutable(e));
        if (json_array_append_new(copy, c) < 0)
            break;
    }
    if (copy == NULL || json_array_size(copy) != json_array_size(skus) ||
        json_object_set_new(doc, "skus", copy) < 0) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

int retail_merge(const json_t *spec_doc, const struct retail *p, const char *source,
                 const char *fetched_at, bool stale, json_t **out, struct retail_summary *sum,
                 struct error_info *err)
{
    struct retail_summary s;
    memset(&s, 0, sizeof(s));
    int rc = 0;
    json_t *doc = copy_for_merge(spec_doc);
    if (doc == NULL)
        return -ENOMEM;
    json_t *skus = json_object_get(doc, "skus");
    if (!json_is_array(skus)) {
        rc = error_set(err, 400, "invalid_catalog", "skus", "catalog must have a \"skus\" array");
        goto out;
    }
    size_t i;
    json_t *e;
    json_array_foreach(skus, i, e)
    {
        bool priced = false;
        if (json_is_object(e) && (rc = merge_entry(e, p, &priced)) < 0)
            goto out;
        s.priced_skus += priced;
    }
    if (p == NULL) {
        json_object_del(doc, "prices");
        goto done;
    }
    /* GPU families are Standard_N*: other VM sizes in the feed are not "unknown", just off-topic.
     */
    struct buf sample;
    buf_init(&sample, sizeof(s.unknown_sample) - 1);
    json_t *unknown = json_array();
    if (unknown == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t r = 0; r < p->n; r++) {
        const char *name = p->rows[r].sku;
        if (strncasecmp(name, "Standard_N", 10) != 0 || doc_has_sku(skus, name))
            continue;
        bool seen = false;
        for (size_t q = 0; q < r && !seen; q++)
            seen = strcasecmp(p->rows[q].sku, name) == 0;
        if (seen)
            continue;
        s.unknown_skus++;
        if (json_array_size(unknown) < 20)
            json_array_append_new(unknown, json_string(name));
        /* The sample is only for the log: once full, later names are left out. */
        (void)buf_printf(&sample, "%s%s", sample.len ? "," : "", name);
    }
    snprintf(s.unknown_sample, sizeof(s.unknown_sample), "%s", sample.data ? sample.data : "");
    buf_free(&sample);
    json_t *regions = json_array();
    for (size_t r = 0; regions && r < p->nregions; r++)
        json_array_append_new(regions, json_string(p->regions[r]));
    json_t *info = json_pack("{s:s, s:s, s:o, s:I, s:I, s:o, s:I, s:I, s:o, s:b}", "source",
                             source ? source : "", "fetched_at", fetched_at ? fetched_at : "",
                             "regions", regions, "priced_skus", (json_int_t)s.priced_skus,
                             "unknown_skus", (json_int_t)s.unknown_skus, "unknown_sample", unknown,
                             "rows", (json_int_t)p->n, "duplicates", (json_int_t)p->duplicates,
                             "dropped", dropped_json(&p->stats), "stale", stale);
    if (info == NULL || json_object_set_new(doc, "prices", info) < 0) {
        rc = -ENOMEM;
        goto out;
    }
done:
    *out = doc;
    doc = NULL;
    if (sum)
        *sum = s;
out:
    json_decref(doc);
    return rc;
}

static int put_encoded(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        int rc;
        if (isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~')
            rc = buf_append(b, c, 1);
        else
            rc = buf_printf(b, "%%%c%c", hex[*c >> 4], hex[*c & 15]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

char *retail_query_url(const char *base, const char *const *regions, size_t nregions)
{
    if (strncasecmp(base, "file://", 7) == 0)
        return strdup(base);
    struct buf f, u;
    buf_init(&f, 64 * 1024);
    buf_init(&u, 256 * 1024);
    int rc = buf_printf(&f, "serviceName eq 'Virtual Machines' and priceType eq 'Consumption'");
    for (size_t i = 0; rc == 0 && i < nregions; i++)
        rc = buf_printf(&f, "%sarmRegionName eq '%s'%s", i == 0 ? " and (" : " or ", regions[i],
                        i + 1 == nregions ? ")" : "");
    if (rc == 0)
        rc = buf_printf(&u, "%s%capi-version=%s&meterRegion=%%27primary%%27&$filter=", base,
                        strchr(base, '?') ? '&' : '?', RETAIL_API_VERSION);
    if (rc == 0)
        rc = put_encoded(&u, f.data);
    buf_free(&f);
    if (rc < 0) {
        buf_free(&u);
        return NULL;
    }
    size_t len;
    return buf_detach(&u, &len);
}

/* Splits "scheme://host[:port]/..." into lower-case scheme, host and a numeric port. */
static bool parse_origin(const char *url, char *scheme, size_t ns, char *host, size_t nh,
                         long *port)
{
    const char *sep = strstr(url, "://");
    if (sep == NULL || (size_t)(sep - url) >= ns)
        return false;
    size_t i;
    for (i = 0; url + i < sep; i++)
        scheme[i] = (char)tolower((unsigned char)url[i]);
    scheme[i] = '\0';
    const char *h = sep + 3;
    /* An IPv6 literal ("[::1]") holds colons: the host runs to its closing bracket. */
    const char *close = h[0] == '[' ? strchr(h, ']') : NULL;
    size_t hl = close ? (size_t)(close - h) + 1 : strcspn(h, ":/?#");
    if (hl == 0 || hl >= nh || memchr(h, '@', strcspn(h, "/?#")) != NULL)
        return false;
    for (i = 0; i < hl; i++)
        host[i] = (char)tolower((unsigned char)h[i]);
    host[hl] = '\0';
    *port = strcmp(scheme, "https") == 0 ? 443 : strcmp(scheme, "http") == 0 ? 80 : -1;
    if (h[hl] == ':') {
        char *end = NULL;
        long v = strtol(h + hl + 1, &end, 10);
        if (end == h + hl + 1 || v <= 0 || v > 65535 || (*end && !strchr("/?#", *end)))
            return false;
        *port = v;
    }
    return true;
}

bool retail_same_origin(const char *a, const char *b)
{
    char sa[16], sb[16], ha[256], hb[256];
    long pa, pb;
    if (!parse_origin(a, sa, sizeof(sa), ha, sizeof(ha), &pa) ||
        !parse_origin(b, sb, sizeof(sb), hb, sizeof(hb), &pb))
        return false;
    return strcmp(sa, sb) == 0 && strcmp(ha, hb) == 0 && pa == pb && pa > 0;
}
