/* prices.c - per-SKU price accessor: live catalog fields first, then the dated snapshot. */
#include "azure/prices.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

/* Rows with a price from data/azure-gpu-prices-skypilot-catalog-v6-extract.csv (SkyPilot v6). */
static const struct {
    const char *sku;
    const char *region;
    double usd;
} snapshot[] = {
    {"Standard_NC12s_v3", "eastus", 6.12},          {"Standard_NC16ads_A10_v4", "westus3", 2.2},
    {"Standard_NC16as_T4_v3", "eastus", 1.204},     {"Standard_NC24ads_A100_v4", "eastus", 3.673},
    {"Standard_NC24rs_v3", "eastus", 13.46},        {"Standard_NC24s_v3", "eastus", 12.24},
    {"Standard_NC32ads_A10_v4", "westus3", 4.4},    {"Standard_NC40ads_H100_v5", "eastus", 6.98},
    {"Standard_NC48ads_A100_v4", "eastus", 7.346},  {"Standard_NC4as_T4_v3", "eastus", 0.526},
    {"Standard_NC64as_T4_v3", "eastus", 4.352},     {"Standard_NC6s_v3", "eastus", 3.06},
    {"Standard_NC80adis_H100_v5", "eastus", 13.96}, {"Standard_NC8ads_A10_v4", "westus3", 1.1},
    {"Standard_NC8as_T4_v3", "eastus", 0.752},      {"Standard_NC96ads_A100_v4", "eastus", 14.692},
    {"Standard_NCC40ads_H100_v5", "eastus2", 6.98}, {"Standard_ND40rs_v2", "eastus", 22.032},
    {"Standard_ND96amsr_A100_v4", "eastus", 32.77}, {"Standard_ND96asr_v4", "eastus", 27.197},
    {"Standard_ND96isr_H100_v5", "eastus", 98.32},  {"Standard_NG16ads_V620_v1", "eastus2", 1.815},
    {"Standard_NG32ads_V620_v1", "eastus2", 3.63},  {"Standard_NG8ads_V620_v1", "eastus2", 0.908},
    {"Standard_NV12s_v3", "eastus", 1.14},          {"Standard_NV16as_v4", "eastus", 0.932},
    {"Standard_NV24s_v3", "eastus", 2.28},          {"Standard_NV32as_v4", "eastus", 1.864},
    {"Standard_NV36adms_A10_v5", "eastus", 4.52},   {"Standard_NV36ads_A10_v5", "eastus", 3.2},
    {"Standard_NV48s_v3", "eastus", 4.56},          {"Standard_NV4as_v4", "eastus", 0.233},
    {"Standard_NV72ads_A10_v5", "eastus", 6.52},    {"Standard_NV8as_v4", "eastus", 0.466},
};

static bool catalog_regions(const struct catalog_sku *s, const char *region, bool *listed)
{
    const json_t *regions = s->json ? json_object_get(s->json, "regions") : NULL;
    if (!json_is_array(regions))
        return false;
    size_t i;
    const json_t *r;
    *listed = false;
    json_array_foreach(regions, i, r)
    {
        if (json_is_string(r) && strcasecmp(json_string_value(r), region) == 0)
            *listed = true;
    }
    return true;
}

enum price_source prices_lookup(const struct catalog_sku *s, const char *region, double *usd)
{
    /* Live prices merged by the refresher: per-region prices when a region is asked for. */
    if (region != NULL && s->nregions > 0) {
        char lower[CATALOG_MAX_REGION_LEN + 1];
        size_t i = 0;
        for (; i < CATALOG_MAX_REGION_LEN && region[i]; i++)
            lower[i] = (char)tolower((unsigned char)region[i]);
        lower[i] = '\0';
        if (catalog_sku_price_in(s, lower, usd))
            return PRICE_CATALOG;
    }
    const json_t *p = s->json ? json_object_get(s->json, "price_per_hour") : NULL;
    bool listed = true;
    if (json_is_number(p) && json_number_value(p) > 0 &&
        (region == NULL || !catalog_regions(s, region, &listed) || listed)) {
        *usd = json_number_value(p);
        return PRICE_CATALOG;
    }
    double any = 0;
    for (size_t i = 0; i < sizeof(snapshot) / sizeof(snapshot[0]); i++) {
        if (strcmp(snapshot[i].sku, s->sku) != 0)
            continue;
        if (region ? strcasecmp(snapshot[i].region, region) == 0
                   : strcmp(snapshot[i].region, "eastus") == 0) {
            *usd = snapshot[i].usd;
            return PRICE_SNAPSHOT;
        }
        if (any == 0)
            any = snapshot[i].usd;
    }
    if (region == NULL && any > 0) {
        *usd = any;
        return PRICE_SNAPSHOT;
    }
    return PRICE_NONE;
}

bool prices_in_region(const struct catalog_sku *s, const char *region, bool *known)
{
    /* Live prices loaded for this region decide alone: no price there means not offered. */
    char lower[CATALOG_MAX_REGION_LEN + 1];
    size_t n = 0;
    for (; n < CATALOG_MAX_REGION_LEN && region[n]; n++)
        lower[n] = (char)tolower((unsigned char)region[n]);
    lower[n] = '\0';
    if (catalog_sku_region_loaded(s, lower)) {
        *known = true;
        return catalog_sku_in_region(s, lower);
    }
    bool listed = false;
    *known = false;
    if (catalog_regions(s, region, &listed)) {
        *known = true;
        if (listed)
            return true;
    }
    for (size_t i = 0; i < sizeof(snapshot) / sizeof(snapshot[0]); i++) {
        if (strcmp(snapshot[i].sku, s->sku) == 0) {
            *known = true;
            if (strcasecmp(snapshot[i].region, region) == 0)
                return true;
        }
    }
    return false;
}

static const char *const source_names[PRICE_SOURCE_COUNT] = {
    [PRICE_NONE] = "none",
    [PRICE_CATALOG] = "catalog",
    [PRICE_SNAPSHOT] = "snapshot",
};

/* The switch makes a new source fail the build here until its name row is added. */
const char *prices_source_name(enum price_source s)
{
    switch (s) {
    case PRICE_NONE:
    case PRICE_CATALOG:
    case PRICE_SNAPSHOT:
        return source_names[s];
    }
    return "?";
}
