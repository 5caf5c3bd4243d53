/* pricing.c - what the seed path's chosen VM costs per hour, and where that price came from. */
#include "pricing.h"

#include <errno.h>
#include <stdio.h>

#include "prices.h"

int pricing_annotate(json_t *resp, const struct catalog_sku *s, json_t *assumptions)
{
    double usd = 0;
    enum price_source src = s ? prices_lookup(s, NULL, &usd) : PRICE_NONE;
    bool known = src != PRICE_NONE;
    const char *where = src == PRICE_CATALOG ? s->price_region : NULL;
    int rc = 0;
    rc |= json_object_set_new(resp, "price_per_hour", known ? json_real(usd) : json_null());
    rc |= json_object_set_new(resp, "price_source",
                              json_string(src == PRICE_CATALOG    ? "catalog"
                                          : src == PRICE_SNAPSHOT ? "snapshot"
                                                                  : "none"));
    rc |= json_object_set_new(resp, "price_region", where ? json_string(where) : json_null());
    rc |= json_object_set_new(resp, "cost_per_hour", known ? json_real(usd) : json_null());
    if (rc != 0)
        return -ENOMEM;
    if (assumptions == NULL || s == NULL)
        return 0;
    char note[400];
    if (src == PRICE_CATALOG)
        snprintf(note, sizeof(note),
                 "price: Azure Retail Prices, Linux pay-as-you-go%s%s, USD per VM-hour; "
                 "cost_per_hour is for the one VM chosen",
                 where ? " in " : "", where ? where : "");
    else if (src == PRICE_SNAPSHOT)
        snprintf(note, sizeof(note), "prices: %s, eastus", PRICES_SNAPSHOT_LABEL);
    else
        snprintf(note, sizeof(note), "no price is known for %s", s->sku);
    return json_array_append_new(assumptions, json_string(note)) < 0 ? -ENOMEM : 0;
}
