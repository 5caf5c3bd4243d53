/* pricing.h - the hourly price and cost of the seed path's chosen VM for POST /estimate. */
#ifndef VRAMFIT_PRICING_H
#define VRAMFIT_PRICING_H

#include <jansson.h>
#include <stdbool.h>

#include "azure/catalog.h"
#include "azure/prices.h"
#include "base/jsonout.h"

/* The chosen size's price and the note naming where it came from. */
struct pricing {
    bool known;
    double usd;         /* USD per VM-hour when known */
    const char *source; /* "catalog", "snapshot" or "none" (static) */
    const char *region; /* borrowed from the snapshot, or NULL */
    char note[400];     /* the assumptions note; empty when nothing was chosen */
};

/* pricing_of - fills *p for the chosen size s (NULL when nothing fits: unknown, no note). */
void pricing_of(const struct catalog_sku *s, struct pricing *p);

/*
 * pricing_write - writes the members "price_per_hour" (USD per VM-hour, Linux pay-as-you-go),
 * "price_source" ("catalog" for live prices merged by the refresher, "snapshot" for the dated
 * fallback, "none"), "price_region" and "cost_per_hour" (the one VM the seed's rule chooses),
 * null when unknown, into the object w is writing. Errors stick in w.
 */
void pricing_write(struct jsonout *w, const struct pricing *p);

#endif
