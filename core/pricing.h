/* pricing.h - region candidates and hourly cost for POST /estimate (prices from the catalog). */
#ifndef VRAMFIT_PRICING_H
#define VRAMFIT_PRICING_H

#include <jansson.h>

#include "catalog.h"

/*
 * pricing_view - the catalog /estimate should choose from for region (NULL or "" = no region):
 * when prices are loaded for region, a subset holding only the sizes offered there; otherwise a
 * new reference to cat, with a note appended to assumptions (borrowed; may be NULL) saying why
 * every size stayed a candidate. Release *out with catalog_unref. Returns 0 or -ENOMEM.
 */
int pricing_view(const struct catalog *cat, const char *region, json_t *assumptions,
                 struct catalog **out);

/*
 * pricing_annotate - adds "region", "price_per_hour", "price_region" and "cost_per_hour" (USD,
 * Linux pay-as-you-go, one VM: the seed's choice is one VM) to resp for the chosen size s (NULL
 * when nothing fits). Unknown prices are null, with a note in assumptions. Returns 0 or -ENOMEM.
 */
int pricing_annotate(json_t *resp, const struct catalog_sku *s, const char *region,
                     json_t *assumptions);

#endif
