/* retail.h - Azure Retail Prices pages in, Linux pay-as-you-go hourly prices merged into a catalog.
 */
#ifndef VRAMFIT_RETAIL_H
#define VRAMFIT_RETAIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "azure/catalog.h"
#include "base/error.h"

/* Caps: a hostile or broken feed cannot grow these without bound. */
#define RETAIL_MAX_ITEMS_PER_PAGE 100000
#define RETAIL_MAX_ROWS           500000
#define RETAIL_MAX_LINK           4096
#define RETAIL_API_VERSION        "2023-01-01-preview"

/* Why items were not used; every item of a page lands in exactly one counter. */
struct retail_stats {
    size_t items;           /* items seen on every page */
    size_t usable;          /* rows kept (before de-duplication) */
    size_t malformed;       /* missing or mistyped fields */
    size_t not_vm;          /* serviceName other than "Virtual Machines" */
    size_t currency;        /* currencyCode other than USD */
    size_t not_consumption; /* Reservation, DevTestConsumption, any other type */
    size_t windows;         /* productName with " Win"/" Windows" */
    size_t cloud_services;  /* classic Cloud Services meters */
    size_t spot;            /* Spot meters (still type Consumption) */
    size_t low_priority;    /* Low Priority meters (still type Consumption) */
    size_t zero_price;      /* price <= 0: placeholder meters */
    size_t non_primary;     /* isPrimaryMeterRegion false */
    size_t unit;            /* unitOfMeasure other than "1 Hour" */
    size_t other_region;    /* a region that was not asked for */
};

struct retail;

/*
 * retail_new - an empty accumulator for the given regions (lower case; copied). Items for other
 * regions are dropped. NULL on allocation failure.
 */
struct retail *retail_new(const char *const *regions, size_t nregions);

/* retail_free - frees p. Accepts NULL. */
void retail_free(struct retail *p);

/*
 * retail_add_page - parses one Retail Prices API page (JSON) and keeps the usable rows, applying
 * every drop rule counted in struct retail_stats. On success returns 0 and *next_link is the
 * page's NextPageLink (malloc'd; NULL when null, empty or absent: the last page). On failure
 * returns -EINVAL (not JSON, not the page shape, too many items: err says which; p keeps the rows
 * of earlier pages) or -ENOMEM; *next_link is untouched.
 */
int retail_add_page(struct retail *p, const char *data, size_t len, char **next_link,
                    struct error_info *err);

/*
 * retail_add - records one usable row (sku case preserved, region lower case). When the same
 * size and region appear twice the lower price wins (and is counted as a duplicate), never the
 * last one. Returns 0, -EINVAL (bad region/sku/price) or -ENOMEM / -E2BIG (row cap).
 */
int retail_add(struct retail *p, const char *sku, const char *region, double price);

/* retail_rows - distinct (size, region) rows held. */
size_t retail_rows(const struct retail *p);

/* retail_duplicates - rows that repeated an already seen (size, region). */
size_t retail_duplicates(const struct retail *p);

/* retail_get_stats - the drop counters so far. Borrowed. */
const struct retail_stats *retail_get_stats(const struct retail *p);

/*
 * retail_from_catalog - rebuilds an accumulator from the region_prices of a merged catalog (a
 * cache file), for the regions of its prices block. Returns 0 and *out (caller frees), -ENOENT
 * when cat holds no prices, or -ENOMEM.
 */
int retail_from_catalog(const struct catalog *cat, struct retail **out);

/* What retail_merge reports besides the new document. */
struct retail_summary {
    size_t priced_skus; /* catalog sizes that got a price in at least one region */
    size_t
        unknown_skus; /* GPU sizes (Standard_N*) priced in the feed but missing from the catalog */
    char unknown_sample[512]; /* a comma-separated sample of those names, for the log */
};

/*
 * retail_merge - a new catalog document: a deep copy of spec_doc (a vramfit.catalog/v1 document;
 * any price fields it carries are replaced) where each size gets price_per_hour, price_region,
 * regions and region_prices from p, plus a "prices" block {source, fetched_at, regions,
 * priced_skus, unknown_skus, unknown_sample, rows, duplicates, dropped, stale}. With p NULL the
 * copy carries no prices at all. Size names match case-insensitively. price_region is the first
 * of p's regions (in the order given to retail_new) that offers the size.
 * Returns 0 and *out (new reference) and fills *sum, or -EINVAL (spec_doc has no "skus" array)
 * or -ENOMEM.
 */
int retail_merge(const json_t *spec_doc, const struct retail *p, const char *source,
                 const char *fetched_at, bool stale, json_t **out, struct retail_summary *sum,
                 struct error_info *err);

/*
 * retail_query_url - the first-page URL for base: api-version, meterRegion='primary' and a
 * percent-encoded $filter on serviceName 'Virtual Machines', priceType 'Consumption' and the
 * regions. A file:// base is returned unchanged (a local snapshot takes no query). malloc'd;
 * NULL on allocation failure.
 */
char *retail_query_url(const char *base, const char *const *regions, size_t nregions);

/*
 * retail_same_origin - true when a and b share scheme, host and port (default ports filled in:
 * the feed's NextPageLink carries ":443"). A NextPageLink elsewhere is refused: the feed must not
 * steer the refresher to another host.
 */
bool retail_same_origin(const char *a, const char *b);

#endif
