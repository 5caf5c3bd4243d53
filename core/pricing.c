/* pricing.c - which sizes a region offers and what the chosen one costs per hour. */
#include "pricing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int pricing_view(const struct catalog *cat, const char *region, json_t *assumptions,
                 struct catalog **out)
{
    union {
        const struct catalog *c;
        struct catalog *m;
    } u = {cat};
    if (region == NULL || region[0] == '\0') {
        *out = catalog_ref(u.m);
        return 0;
    }
    if (catalog_has_prices_for(cat, region))
        return catalog_subset_region(cat, region, out);
    if (assumptions != NULL) {
        const json_t *p = catalog_prices(cat);
        char *loaded = p ? json_dumps(json_object_get(p, "regions"), JSON_COMPACT) : NULL;
        char note[320];
        snprintf(note, sizeof(note),
                 "region %s: prices are not loaded for it (loaded: %s), so every size stayed a "
                 "candidate and no price is given",
                 region, loaded ? loaded : "none");
        free(loaded);
        if (json_array_append_new(assumptions, json_string(note)) < 0)
            return -ENOMEM;
    }
    *out = catalog_ref(u.m);
    return 0;
}

int pricing_annotate(json_t *resp, const struct catalog_sku *s, const char *region,
                     json_t *assumptions)
{
    double price = 0;
    const char *where = NULL;
    bool known = false;
    if (s != NULL && region && region[0]) {
        known = catalog_sku_price_in(s, region, &price);
        where = region;
    } else if (s != NULL && s->has_price) {
        known = true;
        price = s->price_per_hour;
        where = s->price_region;
    }
    int rc = 0;
    rc |= json_object_set_new(resp, "region",
                              region && region[0] ? json_string(region) : json_null());
    rc |= json_object_set_new(resp, "price_per_hour", known ? json_real(price) : json_null());
    rc |= json_object_set_new(resp, "price_region", known ? json_string(where) : json_null());
    rc |= json_object_set_new(resp, "cost_per_hour", known ? json_real(price) : json_null());
    if (rc != 0)
        return -ENOMEM;
    if (assumptions == NULL)
        return 0;
    char note[320];
    if (known)
        snprintf(note, sizeof(note),
                 "price: Azure Retail Prices, Linux pay-as-you-go in %s, USD per VM-hour; "
                 "cost_per_hour is for the one VM chosen",
                 where);
    else if (s != NULL)
        snprintf(note, sizeof(note),
                 "no price is known for %s%s%s (prices off, not fetched yet, or "
                 "Azure lists none)",
                 s->sku, region && region[0] ? " in " : "", region && region[0] ? region : "");
    else
        return 0;
    return json_array_append_new(assumptions, json_string(note)) < 0 ? -ENOMEM : 0;
}
