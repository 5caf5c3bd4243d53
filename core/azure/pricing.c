/* pricing.c - what the seed path's chosen VM costs per hour, and where that price came from. */
#include "azure/pricing.h"

#include <stdio.h>

#include "azure/prices.h"

const char *pricing_source_name(enum price_source src)
{
    switch (src) {
    case PRICE_CATALOG:
        return "catalog";
    case PRICE_SNAPSHOT:
        return "snapshot";
    case PRICE_NONE:
        return "none";
    }
    return "none";
}

void pricing_of(const struct catalog_sku *s, struct pricing *p)
{
    double usd = 0;
    enum price_source src = s ? prices_lookup(s, NULL, &usd) : PRICE_NONE;
    p->known = src != PRICE_NONE;
    p->usd = usd;
    p->source = pricing_source_name(src);
    p->region = src == PRICE_CATALOG ? s->price_region : NULL;
    p->note[0] = '\0';
    if (s == NULL)
        return;
    if (src == PRICE_CATALOG)
        snprintf(p->note, sizeof(p->note),
                 "price: Azure Retail Prices, Linux pay-as-you-go%s%s, USD per VM-hour; "
                 "cost_per_hour is for the one VM chosen",
                 p->region ? " in " : "", p->region ? p->region : "");
    else if (src == PRICE_SNAPSHOT)
        snprintf(p->note, sizeof(p->note), "prices: %s, eastus", PRICES_SNAPSHOT_LABEL);
    else
        snprintf(p->note, sizeof(p->note), "no price is known for %s", s->sku);
}

void pricing_write(struct jsonout *w, const struct pricing *p)
{
    jsonout_key(w, "price_per_hour");
    if (p->known)
        jsonout_number(w, p->usd);
    else
        jsonout_null(w);
    jsonout_key(w, "price_source");
    jsonout_string(w, p->source);
    jsonout_key(w, "price_region");
    jsonout_string(w, p->region);
    jsonout_key(w, "cost_per_hour");
    if (p->known)
        jsonout_number(w, p->usd);
    else
        jsonout_null(w);
}
