/* prices.c - per-SKU price accessor: live catalog fields first, then the dated snapshot. */
#include "azure/prices.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include <stdio.h>
#include <strings.h>

/* Where each snapshot row comes from (../shared/data/azure-gpu-prices-NOTES.md describes them). */
#define SRC_V6  "SkyPilot catalogs/v6/azure/vms.csv @098741e70562f65d7af1cceb81e33b284f742604"
#define SRC_V5A "SkyPilot catalogs/v5/azure/vms.csv @3f5f697196c9278346b0271342031fff6b37036d"
#define SRC_V5B "SkyPilot catalogs/v5/azure/vms.csv @80b37e8803f5fc2a7962ae26657d5cd1b74012ed"
#define SRC_HF  "huggingface.co/datasets/datameaning/azure-gpu-vm-prices (fetched 2026-10-29)"

/*
 * Pay-as-you-go Linux USD per VM-hour for every (size, region) pair of the catalog that has a
 * price in data/azure-gpu-prices-skypilot-v6-us.csv (8 US regions) or, for pairs that file lacks,
 * azure-gpu-prices-extra.csv. Left out as the notes advise: empty prices (unknown, not zero),
 * 0.0 placeholders, _Promo rows and sizes the catalog does not list. Sorted by size, then region.
 */
static const struct {
    const char *sku;
    const char *region;
    double usd;
    const char *source;
} snapshot[] = {
    /* Reviewed: the dataset's rows for this size read linux_per_hour 6.38 (windows 12.268, 1-year
     * savings plan 5.3592, effective 2026-10-01), i.e. a retail price record; its "status
     * undocumented" and null accelerator count are about the dataset's own spec columns, not the
     * price. Microsoft documents the size (1 GPU; preview) - see the catalog entry's source. */
    {"Standard_NC128ds_xl_RTXPRO6000BSE_v6", "centralus", 6.38, SRC_HF},
    {"Standard_NC128ds_xl_RTXPRO6000BSE_v6", "eastus", 6.38, SRC_HF},
    {"Standard_NC12s_v3", "centralus", 6.916, SRC_V6},
    {"Standard_NC12s_v3", "eastus", 6.12, SRC_V6},
    {"Standard_NC12s_v3", "eastus2", 6.12, SRC_V6},
    {"Standard_NC12s_v3", "southcentralus", 6.732, SRC_V6},
    {"Standard_NC12s_v3", "westus", 7.956, SRC_V6},
    {"Standard_NC12s_v3", "westus2", 6.12, SRC_V6},
    {"Standard_NC12s_v3", "westus3", 6.12, SRC_V6},
    {"Standard_NC16as_T4_v3", "centralus", 1.36, SRC_V6},
    {"Standard_NC16as_T4_v3", "eastus", 1.204, SRC_V6},
    {"Standard_NC16as_T4_v3", "eastus2", 1.204, SRC_V6},
    {"Standard_NC16as_T4_v3", "northcentralus", 1.204, SRC_V6},
    {"Standard_NC16as_T4_v3", "southcentralus", 1.445, SRC_V6},
    {"Standard_NC16as_T4_v3", "westus", 1.445, SRC_V6},
    {"Standard_NC16as_T4_v3", "westus2", 1.204, SRC_V6},
    {"Standard_NC16as_T4_v3", "westus3", 1.204, SRC_V6},
    {"Standard_NC24ads_A100_v4", "centralus", 4.15, SRC_V6},
    {"Standard_NC24ads_A100_v4", "eastus", 3.673, SRC_V6},
    {"Standard_NC24ads_A100_v4", "eastus2", 3.673, SRC_V6},
    {"Standard_NC24ads_A100_v4", "southcentralus", 4.408, SRC_V6},
    {"Standard_NC24ads_A100_v4", "westus", 4.775, SRC_V6},
    {"Standard_NC24ads_A100_v4", "westus2", 3.673, SRC_V6},
    {"Standard_NC24ads_A100_v4", "westus3", 3.673, SRC_V6},
    {"Standard_NC24rs_v3", "centralus", 15.214, SRC_V6},
    {"Standard_NC24rs_v3", "eastus", 13.46, SRC_V6},
    {"Standard_NC24rs_v3", "eastus2", 13.464, SRC_V6},
    {"Standard_NC24rs_v3", "southcentralus", 14.8104, SRC_V6},
    {"Standard_NC24rs_v3", "westus", 17.503, SRC_V6},
    {"Standard_NC24rs_v3", "westus2", 13.46, SRC_V6},
    {"Standard_NC24rs_v3", "westus3", 13.46, SRC_V6},
    {"Standard_NC24s_v3", "centralus", 13.831, SRC_V6},
    {"Standard_NC24s_v3", "eastus", 12.24, SRC_V6},
    {"Standard_NC24s_v3", "eastus2", 12.24, SRC_V6},
    {"Standard_NC24s_v3", "southcentralus", 13.464, SRC_V6},
    {"Standard_NC24s_v3", "westus", 15.912, SRC_V6},
    {"Standard_NC24s_v3", "westus2", 12.24, SRC_V6},
    {"Standard_NC24s_v3", "westus3", 12.24, SRC_V6},
    {"Standard_NC40ads_H100_v5", "eastus", 6.98, SRC_V6},
    {"Standard_NC40ads_H100_v5", "eastus2", 6.98, SRC_V6},
    {"Standard_NC40ads_H100_v5", "southcentralus", 8.38, SRC_V6},
    {"Standard_NC40ads_H100_v5", "westus3", 6.98, SRC_V6},
    {"Standard_NC48ads_A100_v4", "centralus", 8.301, SRC_V6},
    {"Standard_NC48ads_A100_v4", "eastus", 7.346, SRC_V6},
    {"Standard_NC48ads_A100_v4", "eastus2", 7.346, SRC_V6},
    {"Standard_NC48ads_A100_v4", "southcentralus", 8.815, SRC_V6},
    {"Standard_NC48ads_A100_v4", "westus", 9.55, SRC_V6},
    {"Standard_NC48ads_A100_v4", "westus2", 7.346, SRC_V6},
    {"Standard_NC48ads_A100_v4", "westus3", 7.346, SRC_V6},
    {"Standard_NC4as_T4_v3", "centralus", 0.594, SRC_V6},
    {"Standard_NC4as_T4_v3", "eastus", 0.526, SRC_V6},
    {"Standard_NC4as_T4_v3", "eastus2", 0.526, SRC_V6},
    {"Standard_NC4as_T4_v3", "northcentralus", 0.526, SRC_V6},
    {"Standard_NC4as_T4_v3", "southcentralus", 0.631, SRC_V6},
    {"Standard_NC4as_T4_v3", "westus", 0.631, SRC_V6},
    {"Standard_NC4as_T4_v3", "westus2", 0.526, SRC_V6},
    {"Standard_NC4as_T4_v3", "westus3", 0.526, SRC_V6},
    {"Standard_NC64as_T4_v3", "centralus", 4.907, SRC_V6},
    {"Standard_NC64as_T4_v3", "eastus", 4.352, SRC_V6},
    {"Standard_NC64as_T4_v3", "eastus2", 4.352, SRC_V6},
    {"Standard_NC64as_T4_v3", "northcentralus", 4.352, SRC_V6},
    {"Standard_NC64as_T4_v3", "southcentralus", 5.222, SRC_V6},
    {"Standard_NC64as_T4_v3", "westus", 5.222, SRC_V6},
    {"Standard_NC64as_T4_v3", "westus2", 4.352, SRC_V6},
    {"Standard_NC64as_T4_v3", "westus3", 4.352, SRC_V6},
    {"Standard_NC6s_v3", "centralus", 3.458, SRC_V6},
    {"Standard_NC6s_v3", "eastus", 3.06, SRC_V6},
    {"Standard_NC6s_v3", "eastus2", 3.06, SRC_V6},
    {"Standard_NC6s_v3", "southcentralus", 3.366, SRC_V6},
    {"Standard_NC6s_v3", "westus", 3.978, SRC_V6},
    {"Standard_NC6s_v3", "westus2", 3.06, SRC_V6},
    {"Standard_NC6s_v3", "westus3", 3.06, SRC_V6},
    {"Standard_NC80adis_H100_v5", "eastus", 13.96, SRC_V6},
    {"Standard_NC80adis_H100_v5", "eastus2", 13.96, SRC_V6},
    {"Standard_NC80adis_H100_v5", "southcentralus", 16.76, SRC_V6},
    {"Standard_NC80adis_H100_v5", "westus3", 13.96, SRC_V6},
    {"Standard_NC8as_T4_v3", "centralus", 0.849, SRC_V6},
    {"Standard_NC8as_T4_v3", "eastus", 0.752, SRC_V6},
    {"Standard_NC8as_T4_v3", "eastus2", 0.752, SRC_V6},
    {"Standard_NC8as_T4_v3", "northcentralus", 0.752, SRC_V6},
    {"Standard_NC8as_T4_v3", "southcentralus", 0.902, SRC_V6},
    {"Standard_NC8as_T4_v3", "westus", 0.902, SRC_V6},
    {"Standard_NC8as_T4_v3", "westus2", 0.752, SRC_V6},
    {"Standard_NC8as_T4_v3", "westus3", 0.752, SRC_V6},
    {"Standard_NC96ads_A100_v4", "centralus", 16.602, SRC_V6},
    {"Standard_NC96ads_A100_v4", "eastus", 14.692, SRC_V6},
    {"Standard_NC96ads_A100_v4", "eastus2", 14.692, SRC_V6},
    {"Standard_NC96ads_A100_v4", "southcentralus", 17.63, SRC_V6},
    {"Standard_NC96ads_A100_v4", "westus", 19.1, SRC_V6},
    {"Standard_NC96ads_A100_v4", "westus2", 14.692, SRC_V6},
    {"Standard_NC96ads_A100_v4", "westus3", 14.692, SRC_V6},
    {"Standard_NCC40ads_H100_v5", "eastus2", 6.98, SRC_V6},
    {"Standard_ND40rs_v2", "eastus", 22.032, SRC_V6},
    {"Standard_ND40rs_v2", "southcentralus", 26.438, SRC_V6},
    {"Standard_ND40rs_v2", "westus2", 22.032, SRC_V6},
    {"Standard_ND96amsr_A100_v4", "eastus", 32.77, SRC_V6},
    {"Standard_ND96amsr_A100_v4", "eastus2", 32.77, SRC_V6},
    {"Standard_ND96amsr_A100_v4", "southcentralus", 39.324, SRC_V6},
    {"Standard_ND96amsr_A100_v4", "westus2", 32.77, SRC_V5B},
    {"Standard_ND96asr_v4", "eastus", 27.197, SRC_V6},
    {"Standard_ND96asr_v4", "southcentralus", 32.63, SRC_V6},
    {"Standard_ND96asr_v4", "westus2", 27.197, SRC_V6},
    {"Standard_ND96isr_H100_v5", "eastus", 98.32, SRC_V6},
    {"Standard_ND96isr_H100_v5", "eastus2", 98.32, SRC_V6},
    {"Standard_ND96isr_H100_v5", "northcentralus", 117.984, SRC_V5B},
    {"Standard_ND96isr_H100_v5", "westus", 127.816, SRC_V6},
    {"Standard_NG16ads_V620_v1", "eastus2", 1.815, SRC_V6},
    {"Standard_NG16ads_V620_v1", "westus3", 1.815, SRC_V5B},
    {"Standard_NG32ads_V620_v1", "eastus2", 3.63, SRC_V6},
    {"Standard_NG32ads_V620_v1", "westus3", 3.63, SRC_V5B},
    {"Standard_NG8ads_V620_v1", "eastus2", 0.908, SRC_V6},
    {"Standard_NG8ads_V620_v1", "westus3", 0.908, SRC_V5B},
    {"Standard_NV12ads_A10_v5", "eastus", 0.908, SRC_V5A},
    {"Standard_NV12ads_A10_v5", "eastus2", 0.908, SRC_V5A},
    {"Standard_NV12ads_A10_v5", "northcentralus", 1.09, SRC_V5A},
    {"Standard_NV12ads_A10_v5", "southcentralus", 1.09, SRC_V5A},
    {"Standard_NV12ads_A10_v5", "westus", 1.18, SRC_V5A},
    {"Standard_NV12ads_A10_v5", "westus2", 0.908, SRC_V5A},
    {"Standard_NV12ads_A10_v5", "westus3", 0.908, SRC_V5A},
    {"Standard_NV12s_v3", "eastus", 1.14, SRC_V6},
    {"Standard_NV12s_v3", "eastus2", 1.14, SRC_V6},
    {"Standard_NV12s_v3", "southcentralus", 1.368, SRC_V6},
    {"Standard_NV12s_v3", "westus", 1.14, SRC_V6},
    {"Standard_NV12s_v3", "westus2", 1.14, SRC_V6},
    {"Standard_NV16as_v4", "eastus", 0.932, SRC_V6},
    {"Standard_NV16as_v4", "eastus2", 0.932, SRC_V6},
    {"Standard_NV16as_v4", "northcentralus", 1.118, SRC_V6},
    {"Standard_NV16as_v4", "southcentralus", 1.118, SRC_V6},
    {"Standard_NV16as_v4", "westus2", 0.932, SRC_V6},
    {"Standard_NV16as_v4", "westus3", 0.932, SRC_V6},
    {"Standard_NV18ads_A10_v5", "eastus", 1.6, SRC_V5A},
    {"Standard_NV18ads_A10_v5", "eastus2", 1.6, SRC_V5A},
    {"Standard_NV18ads_A10_v5", "northcentralus", 1.92, SRC_V5A},
    {"Standard_NV18ads_A10_v5", "southcentralus", 1.92, SRC_V5A},
    {"Standard_NV18ads_A10_v5", "westus", 2.08, SRC_V5A},
    {"Standard_NV18ads_A10_v5", "westus2", 1.6, SRC_V5A},
    {"Standard_NV18ads_A10_v5", "westus3", 1.6, SRC_V5A},
    {"Standard_NV24s_v3", "eastus", 2.28, SRC_V6},
    {"Standard_NV24s_v3", "eastus2", 2.28, SRC_V6},
    {"Standard_NV24s_v3", "southcentralus", 2.736, SRC_V6},
    {"Standard_NV24s_v3", "westus", 2.28, SRC_V6},
    {"Standard_NV24s_v3", "westus2", 2.28, SRC_V6},
    {"Standard_NV32as_v4", "eastus", 1.864, SRC_V6},
    {"Standard_NV32as_v4", "eastus2", 1.864, SRC_V6},
    {"Standard_NV32as_v4", "northcentralus", 2.237, SRC_V6},
    {"Standard_NV32as_v4", "southcentralus", 2.237, SRC_V6},
    {"Standard_NV32as_v4", "westus2", 1.864, SRC_V6},
    {"Standard_NV32as_v4", "westus3", 1.864, SRC_V6},
    {"Standard_NV36adms_A10_v5", "eastus", 4.52, SRC_V6},
    {"Standard_NV36adms_A10_v5", "eastus2", 4.52, SRC_V6},
    {"Standard_NV36adms_A10_v5", "northcentralus", 5.424, SRC_V6},
    {"Standard_NV36adms_A10_v5", "southcentralus", 5.424, SRC_V6},
    {"Standard_NV36adms_A10_v5", "westus", 5.876, SRC_V6},
    {"Standard_NV36adms_A10_v5", "westus2", 4.52, SRC_V6},
    {"Standard_NV36adms_A10_v5", "westus3", 4.52, SRC_V6},
    {"Standard_NV36ads_A10_v5", "eastus", 3.2, SRC_V6},
    {"Standard_NV36ads_A10_v5", "eastus2", 3.2, SRC_V6},
    {"Standard_NV36ads_A10_v5", "northcentralus", 3.84, SRC_V6},
    {"Standard_NV36ads_A10_v5", "southcentralus", 3.84, SRC_V6},
    {"Standard_NV36ads_A10_v5", "westus", 4.16, SRC_V6},
    {"Standard_NV36ads_A10_v5", "westus2", 3.2, SRC_V6},
    {"Standard_NV36ads_A10_v5", "westus3", 3.2, SRC_V6},
    {"Standard_NV48s_v3", "eastus", 4.56, SRC_V6},
    {"Standard_NV48s_v3", "eastus2", 4.56, SRC_V6},
    {"Standard_NV48s_v3", "southcentralus", 5.472, SRC_V6},
    {"Standard_NV48s_v3", "westus", 4.56, SRC_V6},
    {"Standard_NV48s_v3", "westus2", 4.56, SRC_V6},
    {"Standard_NV4as_v4", "eastus", 0.233, SRC_V6},
    {"Standard_NV4as_v4", "eastus2", 0.233, SRC_V6},
    {"Standard_NV4as_v4", "northcentralus", 0.28, SRC_V6},
    {"Standard_NV4as_v4", "southcentralus", 0.28, SRC_V6},
    {"Standard_NV4as_v4", "westus2", 0.233, SRC_V6},
    {"Standard_NV4as_v4", "westus3", 0.233, SRC_V6},
    {"Standard_NV6ads_A10_v5", "eastus", 0.454, SRC_V5A},
    {"Standard_NV6ads_A10_v5", "eastus2", 0.454, SRC_V5A},
    {"Standard_NV6ads_A10_v5", "northcentralus", 0.545, SRC_V5A},
    {"Standard_NV6ads_A10_v5", "southcentralus", 0.545, SRC_V5A},
    {"Standard_NV6ads_A10_v5", "westus", 0.59, SRC_V5A},
    {"Standard_NV6ads_A10_v5", "westus2", 0.454, SRC_V5A},
    {"Standard_NV6ads_A10_v5", "westus3", 0.454, SRC_V5A},
    {"Standard_NV72ads_A10_v5", "eastus", 6.52, SRC_V6},
    {"Standard_NV72ads_A10_v5", "eastus2", 6.52, SRC_V6},
    {"Standard_NV72ads_A10_v5", "northcentralus", 7.824, SRC_V6},
    {"Standard_NV72ads_A10_v5", "southcentralus", 7.824, SRC_V6},
    {"Standard_NV72ads_A10_v5", "westus", 8.476, SRC_V6},
    {"Standard_NV72ads_A10_v5", "westus2", 6.52, SRC_V6},
    {"Standard_NV72ads_A10_v5", "westus3", 6.52, SRC_V6},
    {"Standard_NV8as_v4", "eastus", 0.466, SRC_V6},
    {"Standard_NV8as_v4", "eastus2", 0.466, SRC_V6},
    {"Standard_NV8as_v4", "northcentralus", 0.559, SRC_V6},
    {"Standard_NV8as_v4", "southcentralus", 0.559, SRC_V6},
    {"Standard_NV8as_v4", "westus2", 0.466, SRC_V6},
    {"Standard_NV8as_v4", "westus3", 0.466, SRC_V6},
};

#define SNAPSHOT_ROWS (sizeof(snapshot) / sizeof(snapshot[0]))

/*
 * Snapshot prices a newer, dated source contradicts (../shared/data/azure-gpu-prices-NOTES.md,
 * "Possibly stale prices"). The multi-GPU NC sizes are priced per GPU like their one-GPU sizes in
 * SkyPilot v6 (undated), while datareceipts (2026-11-09; its one-GPU NC and ND H100 prices agree
 * with SkyPilot's) quotes about 30 % more. Neither can be checked offline, and datareceipts gives
 * eastus only, so the snapshot keeps SkyPilot's price (one vintage for every region) and an answer
 * that uses one of these says so, with the other figure and its source. Nothing is averaged.
 */
#define SRC_DR "datareceipts/data-receipts 109-gpu-pricing/hyperscalers.json (retrieved 2026-11-09)"
static const struct {
    const char *sku;
    const char *region;
    double usd;
    const char *source;
} disputed[] = {
    {"Standard_NC48ads_A100_v4", "eastus", 9.554, SRC_DR},
    {"Standard_NC80adis_H100_v5", "eastus", 17.64, SRC_DR},
    {"Standard_NC96ads_A100_v4", "eastus", 19.108, SRC_DR},
};

bool prices_disputed(const char *sku, const char *region, double *other_usd, const char **source)
{
    for (size_t i = 0; sku && region && i < sizeof(disputed) / sizeof(disputed[0]); i++)
        if (strcmp(disputed[i].sku, sku) == 0 && strcasecmp(disputed[i].region, region) == 0) {
            *other_usd = disputed[i].usd;
            *source = disputed[i].source;
            return true;
        }
    return false;
}

bool prices_disputed_well_formed(void)
{
    for (size_t i = 0; i < sizeof(disputed) / sizeof(disputed[0]); i++) {
        size_t k, end = 0, first = 0;
        for (k = 0; k < SNAPSHOT_ROWS && end == 0; k++)
            if (strcmp(snapshot[k].sku, disputed[i].sku) == 0 &&
                strcmp(snapshot[k].region, disputed[i].region) == 0)
                end = k + 1, first = k;
        /* A dispute names a snapshot row, a different positive price and its source. */
        if (end == 0 || !(disputed[i].usd > 0) || disputed[i].usd == snapshot[first].usd ||
            disputed[i].source == NULL || disputed[i].source[0] == '\0')
            return false;
    }
    return true;
}

bool prices_snapshot_well_formed(void)
{
    for (size_t i = 0; i < SNAPSHOT_ROWS; i++) {
        /* A price taken from the world names where it came from; an unknown one is absent. */
        if (snapshot[i].source == NULL || snapshot[i].source[0] == '\0' || !(snapshot[i].usd > 0))
            return false;
        if (i > 0 && strcmp(snapshot[i - 1].sku, snapshot[i].sku) > 0)
            return false;
    }
    return true;
}

/* The snapshot rows of sku, [*first, return): a binary search, since every ranking looks sizes up
 * once per candidate and a linear scan of the whole table per lookup dominated the profile. The
 * rows of one size are contiguous and keep their table order (the unit tests check the sort). */
static size_t snapshot_rows(const char *sku, size_t *first)
{
    size_t lo = 0, hi = SNAPSHOT_ROWS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(snapshot[mid].sku, sku) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = lo;
    while (hi < SNAPSHOT_ROWS && strcmp(snapshot[hi].sku, sku) == 0)
        hi++;
    return hi;
}

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

enum price_source prices_lookup_at(const struct catalog_sku *s, const char *region, double *usd,
                                   const char **where)
{
    const char *at = region;
    enum price_source src = PRICE_NONE;
    /* Live prices merged by the refresher: per-region prices when a region is asked for. */
    if (region != NULL && s->nregions > 0) {
        char lower[CATALOG_MAX_REGION_LEN + 1];
        size_t i = 0;
        for (; i < CATALOG_MAX_REGION_LEN && region[i]; i++)
            lower[i] = (char)tolower((unsigned char)region[i]);
        lower[i] = '\0';
        if (catalog_sku_price_in(s, lower, usd)) {
            src = PRICE_CATALOG;
            goto out;
        }
    }
    const json_t *p = s->json ? json_object_get(s->json, "price_per_hour") : NULL;
    bool listed = true;
    if (json_is_number(p) && json_number_value(p) > 0 &&
        (region == NULL || !catalog_regions(s, region, &listed) || listed)) {
        *usd = json_number_value(p);
        at = region ? region : s->price_region;
        src = PRICE_CATALOG;
        goto out;
    }
    double any = 0;
    const char *any_at = NULL;
    size_t i, end = snapshot_rows(s->sku, &i);
    for (; i < end; i++) {
        if (region ? strcasecmp(snapshot[i].region, region) == 0
                   : strcmp(snapshot[i].region, "eastus") == 0) {
            *usd = snapshot[i].usd;
            at = snapshot[i].region;
            src = PRICE_SNAPSHOT;
            goto out;
        }
        if (any == 0) {
            any = snapshot[i].usd;
            any_at = snapshot[i].region;
        }
    }
    if (region == NULL && any > 0) {
        *usd = any;
        at = any_at;
        src = PRICE_SNAPSHOT;
    }
out:
    if (where != NULL)
        *where = src == PRICE_NONE ? NULL : at;
    return src;
}

enum price_source prices_lookup(const struct catalog_sku *s, const char *region, double *usd)
{
    return prices_lookup_at(s, region, usd, NULL);
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
    size_t i, end = snapshot_rows(s->sku, &i);
    for (; i < end; i++) {
        *known = true;
        if (strcasecmp(snapshot[i].region, region) == 0)
            return true;
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

/* Whether some catalog entry's own "regions" array lists region. */
static bool listed_anywhere(const struct catalog *cat, const char *region)
{
    for (size_t i = 0; i < catalog_count(cat); i++) {
        bool listed = false;
        if (catalog_regions(catalog_at(cat, i), region, &listed) && listed)
            return true;
    }
    return false;
}

bool prices_region_known(const struct catalog *cat, const char *region)
{
    char lower[CATALOG_MAX_REGION_LEN + 1];
    size_t n = 0;
    for (; n < CATALOG_MAX_REGION_LEN && region[n]; n++)
        lower[n] = (char)tolower((unsigned char)region[n]);
    lower[n] = '\0';
    if (catalog_has_prices_for(cat, lower))
        return true;
    for (size_t i = 0; i < SNAPSHOT_ROWS; i++)
        if (strcmp(snapshot[i].region, lower) == 0)
            return true;
    return listed_anywhere(cat, lower);
}

/* Appends name to out (", "-separated) unless already there; false when out is full. */
static bool add_region(char *out, size_t size, const char *name)
{
    size_t len = strlen(out), nlen = strlen(name);
    const char *p = out;
    while ((p = strstr(p, name)) != NULL) {
        bool start = p == out || p[-1] == ' ', end = p[nlen] == ',' || p[nlen] == '\0';
        if (start && end)
            return true;
        p += nlen;
    }
    if (len + nlen + 3 > size)
        return false;
    snprintf(out + len, size - len, "%s%s", len ? ", " : "", name);
    return true;
}

void prices_known_regions(const struct catalog *cat, char *out, size_t size)
{
    if (size == 0)
        return;
    out[0] = '\0';
    const json_t *p = catalog_prices(cat);
    const json_t *loaded = p ? json_object_get(p, "regions") : NULL;
    size_t i;
    const json_t *r;
    json_array_foreach(loaded, i, r)
    {
        if (json_is_string(r) && !add_region(out, size, json_string_value(r)))
            return;
    }
    for (i = 0; i < SNAPSHOT_ROWS; i++)
        if (!add_region(out, size, snapshot[i].region))
            return;
}
