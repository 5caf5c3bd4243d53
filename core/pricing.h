/* pricing.h - the hourly price and cost of the seed path's chosen VM for POST /estimate. */
#ifndef VRAMFIT_PRICING_H
#define VRAMFIT_PRICING_H

#include <jansson.h>

#include "catalog.h"

/*
 * pricing_annotate - adds "price_per_hour" (USD per VM-hour, Linux pay-as-you-go), "price_source"
 * ("catalog" for live prices merged by the refresher, "snapshot" for the dated fallback, "none"),
 * "price_region" and "cost_per_hour" (the one VM the seed's rule chooses) to resp for the chosen
 * size s (NULL when nothing fits: all null). Appends a note to assumptions (borrowed; may be NULL)
 * naming the source. Returns 0 or -ENOMEM.
 */
int pricing_annotate(json_t *resp, const struct catalog_sku *s, json_t *assumptions);

#endif
