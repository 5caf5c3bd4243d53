/* check_prices.c - the per-SKU price accessor: catalog price first, dated snapshot as fallback. */
#include "support/check_util.h"

#include <jansson.h>
#include <string.h>

#include "azure/prices.h"

static struct catalog_sku sku_with(const char *name, json_t *entry)
{
    struct catalog_sku s;
    memset(&s, 0, sizeof(s));
    s.sku = name;
    s.json = entry;
    return s;
}

START_TEST(disputed_snapshot_prices_name_the_other_price_and_its_source)
{
    double usd = 0;
    const char *src = NULL;
    ck_assert(prices_disputed_well_formed());
    ck_assert(prices_disputed("Standard_NC48ads_A100_v4", "EastUS", &usd, &src));
    ck_assert(usd == 9.554);
    ck_assert(strstr(src, "2026-11-09") != NULL);
    /* other regions and the one-GPU size, which both sources price alike, are not disputed */
    ck_assert(!prices_disputed("Standard_NC48ads_A100_v4", "westus2", &usd, &src));
    ck_assert(!prices_disputed("Standard_NC24ads_A100_v4", "eastus", &usd, &src));
}
END_TEST

START_TEST(snapshot_price_is_the_fallback_and_prefers_eastus)
{
    json_t *e = json_object();
    struct catalog_sku s = sku_with("Standard_NC48ads_A100_v4", e);
    double usd = 0;
    ck_assert_int_eq(prices_lookup(&s, NULL, &usd), PRICE_SNAPSHOT);
    ck_assert_rel(usd, 7.346, 0);
    json_decref(e);
}
END_TEST

START_TEST(catalog_price_per_hour_wins_over_the_snapshot)
{
    json_t *e = json_pack("{s:f}", "price_per_hour", 5.5);
    struct catalog_sku s = sku_with("Standard_NC48ads_A100_v4", e);
    double usd = 0;
    ck_assert_int_eq(prices_lookup(&s, NULL, &usd), PRICE_CATALOG);
    ck_assert_rel(usd, 5.5, 0);
    json_decref(e);
}
END_TEST

START_TEST(catalog_regions_decide_availability)
{
    json_t *e =
        json_pack("{s:f, s:[s, s]}", "price_per_hour", 5.5, "regions", "westeurope", "eastus");
    struct catalog_sku s = sku_with("Standard_Unknown_Size", e);
    bool known;
    ck_assert(prices_in_region(&s, "westeurope", &known));
    ck_assert(known);
    ck_assert(!prices_in_region(&s, "japaneast", &known));
    ck_assert(known);
    double usd = 0;
    ck_assert_int_eq(prices_lookup(&s, "japaneast", &usd), PRICE_NONE);
    ck_assert_int_eq(prices_lookup(&s, "WestEurope", &usd), PRICE_CATALOG);
    json_decref(e);
}
END_TEST

START_TEST(snapshot_regions_and_unknown_sizes)
{
    json_t *e = json_object();
    struct catalog_sku s = sku_with("Standard_NCC40ads_H100_v5", e);
    bool known;
    ck_assert(prices_in_region(&s, "eastus2", &known));
    ck_assert(!prices_in_region(&s, "eastus", &known));
    ck_assert(known);
    double usd = 0;
    /* not priced in eastus, but the snapshot has one region: used when no region is asked */
    ck_assert_int_eq(prices_lookup(&s, NULL, &usd), PRICE_SNAPSHOT);
    ck_assert_rel(usd, 6.98, 0);
    struct catalog_sku u = sku_with("Standard_ND96isr_H200_v5", e);
    ck_assert_int_eq(prices_lookup(&u, NULL, &usd), PRICE_NONE);
    ck_assert(!prices_in_region(&u, "eastus", &known));
    ck_assert(!known);
    json_decref(e);
}
END_TEST

/* The lookups binary-search the snapshot: it must stay sorted, and its ends must be reachable. */
START_TEST(snapshot_is_sorted_and_its_first_and_last_sizes_are_found)
{
    ck_assert(prices_snapshot_well_formed());
    json_t *e = json_object();
    struct catalog_sku first = sku_with("Standard_NC128ds_xl_RTXPRO6000BSE_v6", e);
    struct catalog_sku last = sku_with("Standard_NV8as_v4", e);
    double usd = 0;
    ck_assert_int_eq(prices_lookup(&first, "CentralUS", &usd), PRICE_SNAPSHOT);
    ck_assert_rel(usd, 6.38, 0);
    ck_assert_int_eq(prices_lookup(&last, "westus3", &usd), PRICE_SNAPSHOT);
    ck_assert_rel(usd, 0.466, 0);
    bool known = false;
    ck_assert(prices_in_region(&last, "northcentralus", &known) && known);
    ck_assert(!prices_in_region(&last, "westus", &known) && known);
    json_decref(e);
}
END_TEST

Suite *prices_suite(void)
{
    Suite *s = suite_create("prices");
    TCase *tc = tcase_create("lookup");
    tcase_add_test(tc, snapshot_price_is_the_fallback_and_prefers_eastus);
    tcase_add_test(tc, disputed_snapshot_prices_name_the_other_price_and_its_source);
    tcase_add_test(tc, catalog_price_per_hour_wins_over_the_snapshot);
    tcase_add_test(tc, catalog_regions_decide_availability);
    tcase_add_test(tc, snapshot_regions_and_unknown_sizes);
    tcase_add_test(tc, snapshot_is_sorted_and_its_first_and_last_sizes_are_found);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(prices_suite)
