/* prices.h - the hourly price of a VM size: the catalog's own price, else a dated snapshot. */
#ifndef VRAMFIT_PRICES_H
#define VRAMFIT_PRICES_H

#include <stdbool.h>
#include <stddef.h>

#include "azure/catalog.h"

/* Where a price came from. */
enum price_source { PRICE_NONE = 0, PRICE_CATALOG, PRICE_SNAPSHOT };
#define PRICE_SOURCE_COUNT (PRICE_SNAPSHOT + 1) /* name table size; update with the enum */

/* prices_source_name - "none", "catalog", "snapshot" (static storage; "?" outside the enum). */
const char *prices_source_name(enum price_source s);

/* The snapshot's label for assumptions and docs (static storage). */
#define PRICES_SNAPSHOT_LABEL                                                                      \
    "SkyPilot Azure catalog v6 snapshot (pay-as-you-go Linux USD/hour; "                           \
    "data/azure-gpu-prices-skypilot-catalog-v6-extract.csv), not live prices"

/*
 * prices_lookup - USD per VM-hour for s in region (NULL = any; the snapshot then prefers eastus).
 * The catalog entry's own "price_per_hour" (number, USD) wins; its "regions" array (when present)
 * decides region availability. Otherwise the compiled-in snapshot is used. Returns the source and
 * sets *usd, or PRICE_NONE when no price is known (for that region).
 */
enum price_source prices_lookup(const struct catalog_sku *s, const char *region, double *usd);

/*
 * prices_lookup_at - prices_lookup, and *where (if not NULL) gets the region the price is quoted
 * for: region as given, the catalog's price_region for its own price without one (may be NULL),
 * or the snapshot row's region; NULL with PRICE_NONE. Borrowed from s, region or the snapshot.
 */
enum price_source prices_lookup_at(const struct catalog_sku *s, const char *region, double *usd,
                                   const char **where);

/*
 * prices_in_region - true when s is offered in region: listed in the entry's "regions", or priced
 * there in the snapshot. *known is false when neither source says anything about s.
 */
bool prices_in_region(const struct catalog_sku *s, const char *region, bool *known);

/*
 * prices_region_known - true when the service knows anything about region (any case): prices were
 * loaded for it, the snapshot prices some size there, or a catalog entry's "regions" lists it.
 * Where it is false, "not offered there" cannot be told from "no data", so callers refuse the
 * region instead of answering that nothing fits.
 */
bool prices_region_known(const struct catalog *cat, const char *region);

/*
 * prices_known_regions - the regions prices_region_known accepts (loaded ones first, then the
 * snapshot's), ", "-separated into out (size bytes, NUL-terminated, cut at a whole name when
 * full). No errors.
 */
void prices_known_regions(const struct catalog *cat, char *out, size_t size);

/*
 * prices_disputed - true when the snapshot's price of sku in region is contradicted by a newer
 * dated source: *other_usd gets that source's price and *source names it (static). The snapshot's
 * price is still the one used; answers say so. No errors.
 */
bool prices_disputed(const char *sku, const char *region, double *other_usd, const char **source);

/* prices_disputed_well_formed - every dispute names a snapshot row, another positive price and a
 * source; for the unit tests. */
bool prices_disputed_well_formed(void);

/* prices_snapshot_well_formed - true when every compiled-in snapshot row has a positive price and
 * its source, and the rows are sorted by size name (byte order) as the binary search needs; for
 * the unit tests. No errors. */
bool prices_snapshot_well_formed(void);

#endif
