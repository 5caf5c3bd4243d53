/* check_retail.c - Retail Prices page filtering (every drop rule), paging links, merge into a
 * catalog. */
#include "support/check_util.h"

#include <errno.h>
#include <string.h>

#include "azure/catalog.h"
#include "azure/prices.h"
#include "azure/retail.h"
#include "support/testsrv.h"
#include "support/testcat.h"

static const char *const eastus_westus3[] = {"eastus", "westus3"};

static void add_file(struct retail *p, const char *name, char **next)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
    char *data = testfile_read(path, &len);
    ck_assert_ptr_nonnull(data);
    struct error_info err;
    error_clear(&err);
    ck_assert_msg(retail_add_page(p, data, len, next, &err) == 0, "%s: %s", name, err.message);
    free(data);
}

static struct retail *gpu_feed(void)
{
    struct retail *p = retail_new(eastus_westus3, 2);
    char *next = NULL;
    add_file(p, "prices-gpu-page1.json", &next);
    ck_assert_ptr_nonnull(next);
    ck_assert_ptr_nonnull(strstr(next, "$skip=100"));
    free(next);
    next = (char *)"sentinel";
    add_file(p, "prices-gpu-page2.json", &next);
    ck_assert_msg(next == NULL, "an empty NextPageLink ends the feed");
    return p;
}

START_TEST(real_reservation_sample_keeps_only_the_consumption_row)
{
    const char *const we[] = {"westeurope"};
    struct retail *p = retail_new(we, 1);
    char *next = (char *)"x";
    add_file(p, "prices-real-a-reservation.json", &next);
    ck_assert_ptr_null(next);
    ck_assert_uint_eq(retail_rows(p), 1);
    ck_assert_uint_eq(retail_get_stats(p)->not_consumption, 2);
    retail_free(p);
}
END_TEST

START_TEST(real_nonprimary_sample_drops_secondary_meters)
{
    const char *const e[] = {"eastus"};
    struct retail *p = retail_new(e, 1);
    char *next = NULL;
    add_file(p, "prices-real-2-nonprimary.json", &next);
    ck_assert_uint_eq(retail_rows(p), 2); /* E16_v3 and E32_v3 */
    ck_assert_uint_eq(retail_get_stats(p)->non_primary, 6);
    retail_free(p);
}
END_TEST

START_TEST(real_devtest_windows_excerpt_is_dropped_and_next_link_kept)
{
    const char *const we[] = {"westeurope"};
    struct retail *p = retail_new(we, 1);
    char *next = NULL;
    add_file(p, "prices-real-3-devtest-windows.json", &next);
    ck_assert_uint_eq(retail_rows(p), 0);
    ck_assert_uint_eq(retail_get_stats(p)->not_consumption, 1);
    ck_assert_ptr_nonnull(next);
    ck_assert(retail_same_origin("https://prices.azure.com/api/retail/prices", next));
    free(next);
    retail_free(p);
}
END_TEST

START_TEST(real_empty_page_has_no_rows_and_no_next_link)
{
    struct retail *p = retail_new(eastus_westus3, 2);
    char *next = (char *)"x";
    add_file(p, "prices-real-4-empty.json", &next);
    ck_assert_ptr_null(next);
    ck_assert_uint_eq(retail_rows(p), 0);
    retail_free(p);
}
END_TEST

START_TEST(gpu_feed_applies_every_drop_rule)
{
    struct retail *p = gpu_feed();
    const struct retail_stats *s = retail_get_stats(p);
    ck_assert_uint_eq(s->items, 22);
    ck_assert_uint_eq(s->windows, 2); /* " Windows" and the H100 " Srs Win" */
    ck_assert_uint_eq(s->spot, 1);
    ck_assert_uint_eq(s->low_priority, 1);
    ck_assert_uint_eq(s->not_consumption, 2); /* DevTest and a 1-year reservation */
    ck_assert_uint_eq(s->zero_price, 1);
    ck_assert_uint_eq(s->non_primary, 1);
    ck_assert_uint_eq(s->unit, 1);
    ck_assert_uint_eq(s->cloud_services, 1);
    ck_assert_uint_eq(s->other_region, 1);
    ck_assert_uint_eq(s->malformed, 1);
    ck_assert_uint_eq(s->usable, 10);
    ck_assert_uint_eq(retail_duplicates(p), 1);
    ck_assert_uint_eq(retail_rows(p), 9);
    retail_free(p);
}
END_TEST

START_TEST(duplicate_rows_keep_the_lower_price_whatever_the_order)
{
    struct retail *p = retail_new(eastus_westus3, 2);
    ck_assert_int_eq(retail_add(p, "Standard_X", "eastus", 2.0), 0);
    ck_assert_int_eq(retail_add(p, "standard_x", "eastus", 1.5), 0);
    ck_assert_int_eq(retail_add(p, "Standard_X", "eastus", 3.0), 0);
    ck_assert_uint_eq(retail_rows(p), 1);
    ck_assert_uint_eq(retail_duplicates(p), 2);
    ck_assert_int_eq(retail_add(p, "Standard_X", "EastUS", 1.0), -EINVAL);
    ck_assert_int_eq(retail_add(p, "Standard_X", "eastus", 0), -EINVAL);
    retail_free(p);
}
END_TEST

START_TEST(garbage_and_wrong_shapes_are_refused)
{
    struct retail *p = retail_new(eastus_westus3, 2);
    struct error_info err;
    char *next = NULL;
    const char *bad[] = {"<html>502 Bad Gateway</html>", "[]", "{\"Items\": {}}",
                         "{\"Items\": [], \"NextPageLink\": 5}", "{\"Items\": [1,2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        error_clear(&err);
        ck_assert_int_eq(retail_add_page(p, bad[i], strlen(bad[i]), &next, &err), -EINVAL);
        ck_assert_str_eq(err.code, "invalid_prices");
        ck_assert_ptr_null(next);
    }
    retail_free(p);
}
END_TEST

START_TEST(merge_prices_sizes_by_region_and_counts_unknown_gpu_sizes)
{
    struct catalog *base = testcat_embedded();
    struct retail *p = gpu_feed();
    json_t *doc = NULL;
    struct retail_summary sum;
    struct error_info err;
    error_clear(&err);
    ck_assert_int_eq(retail_merge(catalog_document(base), p, "http://x/prices",
                                  "2026-01-01T00:00:00Z", false, &doc, &sum, &err),
                     0);
    ck_assert_uint_eq(sum.priced_skus, 5);
    /* NC999_Future_v9 and NC8ads_A10_v4 are GPU sizes the catalog lacks; D8_v4 is off-topic. */
    ck_assert_uint_eq(sum.unknown_skus, 2);
    ck_assert_ptr_nonnull(strstr(sum.unknown_sample, "Standard_NC999_Future_v9"));
    struct catalog *cat = NULL;
    ck_assert_msg(catalog_from_json(doc, "merged", &cat, &err) == 0, "%s", err.message);
    const struct catalog_sku *a100 = catalog_find(cat, "Standard_NC24ads_A100_v4");
    ck_assert(a100->has_price);
    ck_assert_rel(a100->price_per_hour, 3.673, 1e-12);
    ck_assert_str_eq(a100->price_region, "eastus");
    ck_assert_uint_eq(a100->nregions, 2);
    double w = 0;
    ck_assert(catalog_sku_price_in(a100, "westus3", &w));
    ck_assert_rel(w, 3.9, 1e-12);
    ck_assert(!catalog_sku_in_region(a100, "westeurope"));
    const struct catalog_sku *h100 = catalog_find(cat, "Standard_NC40ads_H100_v5");
    ck_assert_rel(h100->price_per_hour, 6.98, 1e-12);
    const struct catalog_sku *t4 = catalog_find(cat, "Standard_NC8as_T4_v3");
    ck_assert(!t4->has_price);
    ck_assert(isnan(t4->price_per_hour));
    /* Where live prices were loaded they decide alone: the dated snapshot prices NC8as_T4_v3 in
     * eastus, but the live feed (its only row is non-primary) does not, so it is not offered. */
    bool known = false;
    ck_assert(!prices_in_region(t4, "eastus", &known));
    ck_assert(known);
    ck_assert(prices_in_region(a100, "EastUS", &known));
    ck_assert(prices_in_region(catalog_find(base, "Standard_NC8as_T4_v3"), "eastus", &known));
    ck_assert_int_eq(prices_lookup(t4, "eastus", &w), PRICE_SNAPSHOT);
    ck_assert_int_eq(prices_lookup(a100, "westus3", &w), PRICE_CATALOG);
    ck_assert_rel(w, 3.9, 1e-12);
    ck_assert(catalog_has_prices_for(cat, "westus3"));
    ck_assert(!catalog_has_prices_for(cat, "westeurope"));

    struct catalog *sub = NULL;
    ck_assert_int_eq(catalog_subset_region(cat, "westus3", &sub), 0);
    ck_assert_uint_eq(catalog_count(sub), 1);
    ck_assert_str_eq(catalog_at(sub, 0)->sku, "Standard_NC24ads_A100_v4");
    catalog_unref(cat); /* the subset keeps its parent alive */
    ck_assert_rel(catalog_at(sub, 0)->price_per_hour, 3.673, 1e-12);
    catalog_unref(sub);

    /* The merged document round-trips (the cache file) and rebuilds the same prices. */
    char *text = json_dumps(doc, JSON_COMPACT);
    struct catalog *again = NULL;
    ck_assert_int_eq(catalog_load(text, strlen(text), "cache", &again, &err), 0);
    struct retail *back = NULL;
    ck_assert_int_eq(retail_from_catalog(again, &back), 0);
    ck_assert_uint_eq(retail_rows(back), 6);
    retail_free(back);
    catalog_unref(again);
    free(text);
    json_decref(doc);
    retail_free(p);
    catalog_unref(base);
}
END_TEST

/* Found by fuzz_prices (tests/fuzz/regress/prices/): a price the catalog would refuse (over
 * CATALOG_MAX_PRICE_PER_HOUR) is a malformed row, so the merged catalog stays valid. */
START_TEST(absurd_price_is_malformed_and_the_merge_stays_valid)
{
    struct retail *p = retail_new(eastus_westus3, 2);
    ck_assert_int_eq(retail_add(p, "Standard_X", "eastus", 2e6), -EINVAL);
    char path[512];
    size_t len;
    snprintf(path, sizeof(path), "%s/../fuzz/regress/prices/price-9e61-refused-by-catalog.json",
             TEST_DATA_DIR);
    char *data = testfile_read(path, &len);
    ck_assert_ptr_nonnull(data);
    struct error_info err;
    error_clear(&err);
    char *next = NULL;
    ck_assert_int_eq(retail_add_page(p, data, len, &next, &err), 0);
    free(data);
    /* the 9e61 row, a row without skuName and one with an empty armSkuName */
    ck_assert_uint_eq(retail_get_stats(p)->malformed, 3);
    struct catalog *base = testcat_embedded();
    json_t *doc = NULL;
    struct retail_summary sum;
    ck_assert_int_eq(retail_merge(catalog_document(base), p, "fuzz", "2026-11-23T00:00:00Z", false,
                                  &doc, &sum, &err),
                     0);
    struct catalog *cat = NULL;
    ck_assert_msg(catalog_from_json(doc, "merged", &cat, &err) == 0, "%s", err.message);
    ck_assert(!catalog_find(cat, "Standard_ND96isr_H100_v5")->has_price);
    catalog_unref(cat);
    json_decref(doc);
    catalog_unref(base);
    retail_free(p);
}
END_TEST

START_TEST(merge_without_prices_strips_stale_price_fields)
{
    struct catalog *base = testcat_embedded();
    struct retail *p = gpu_feed();
    json_t *priced = NULL, *plain = NULL;
    ck_assert_int_eq(retail_merge(catalog_document(base), p, "u", "t", false, &priced, NULL, NULL),
                     0);
    ck_assert_int_eq(retail_merge(priced, NULL, NULL, NULL, false, &plain, NULL, NULL), 0);
    ck_assert_ptr_null(json_object_get(plain, "prices"));
    struct catalog *cat = NULL;
    ck_assert_int_eq(catalog_from_json(plain, "plain", &cat, NULL), 0);
    ck_assert(!catalog_find(cat, "Standard_NC24ads_A100_v4")->has_price);
    ck_assert_int_eq(retail_from_catalog(cat, &p), -ENOENT);
    catalog_unref(cat);
    json_decref(priced);
    json_decref(plain);
    retail_free(p);
    catalog_unref(base);
}
END_TEST

START_TEST(catalog_price_fields_are_validated_strictly)
{
    const char *bad[] = {
        "\"price_per_hour\": -1, \"price_region\": \"eastus\", \"regions\": [\"eastus\"]",
        "\"price_per_hour\": \"3.1\"",
        "\"price_per_hour\": 3.1, \"regions\": [\"eastus\"], \"region_prices\": {\"eastus\": 3.1}",
        ("\"price_per_hour\": 3.1, \"price_region\": \"westus\", \"regions\": [\"eastus\"], "
         "\"region_prices\": {\"eastus\": 3.1}"),
        "\"regions\": [\"East US\"]",
        "\"regions\": [\"eastus\", \"eastus\"]",
        "\"regions\": \"eastus\"",
        "\"region_prices\": {\"eastus\": 1}",
        "\"regions\": [\"eastus\"], \"region_prices\": {\"eastus\": 0}",
        "\"price_region\": \"eastus\"",
        "\"prices_per_hour\": 1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[2048];
        snprintf(doc, sizeof(doc),
                 "{\"skus\": [{\"sku\": \"S\", \"vendor\": \"V\", \"series\": \"s\", "
                 "\"gpu_model\": \"g\", \"gpus_per_vm\": 1, \"vram_gb\": 16, \"vcpus\": 4, "
                 "\"memory_gib\": 28, \"partial\": false, \"docs_url\": \"u\", %s}]}",
                 bad[i]);
        struct catalog *cat = NULL;
        struct error_info err;
        error_clear(&err);
        ck_assert_msg(catalog_load(doc, strlen(doc), "t", &cat, &err) == -EINVAL, "accepted: %s",
                      bad[i]);
        ck_assert_str_eq(err.code, "invalid_catalog");
    }
    const char *bad_doc = "{\"prices\": {\"regions\": \"eastus\"}, \"skus\": []}";
    struct catalog *cat = NULL;
    ck_assert_int_eq(catalog_load(bad_doc, strlen(bad_doc), "t", &cat, NULL), -EINVAL);
}
END_TEST

START_TEST(query_url_filters_vm_consumption_in_the_regions)
{
    char *u = retail_query_url("https://prices.azure.com/api/retail/prices", eastus_westus3, 2);
    ck_assert_str_eq(u, "https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview"
                        "&meterRegion=%27primary%27&$filter=serviceName%20eq%20%27Virtual%"
                        "20Machines%27%20and%20priceType%20eq%20%27Consumption%27%20and%20%"
                        "28armRegionName%20eq%20%27eastus%27%20or%20armRegionName%20eq%20%"
                        "27westus3%27%29");
    free(u);
    u = retail_query_url("file:///srv/prices.json", eastus_westus3, 2);
    ck_assert_str_eq(u, "file:///srv/prices.json");
    free(u);
}
END_TEST

START_TEST(next_links_must_stay_on_the_same_origin)
{
    ck_assert(retail_same_origin("https://prices.azure.com/api/retail/prices",
                                 "https://prices.azure.com:443/api/retail/prices?$skip=100"));
    ck_assert(retail_same_origin("http://127.0.0.1:8123/prices", "http://127.0.0.1:8123/x"));
    ck_assert(!retail_same_origin("http://127.0.0.1:8123/prices", "http://127.0.0.1:8124/x"));
    ck_assert(!retail_same_origin("https://prices.azure.com/a", "http://prices.azure.com/a"));
    ck_assert(!retail_same_origin("https://prices.azure.com/a", "https://evil.example/a"));
    ck_assert(!retail_same_origin("https://prices.azure.com/a", "https://u@evil.example/a"));
    ck_assert(!retail_same_origin("https://prices.azure.com/a", "file:///etc/passwd"));
}
END_TEST

/* Issue 16: an IPv6-literal feed URL refused every NextPageLink (the host ran to the first ':'). */
START_TEST(an_ipv6_literal_feed_keeps_its_next_links)
{
    ck_assert(retail_same_origin("http://[::1]:8123/prices", "http://[::1]:8123/prices?$skip=100"));
    ck_assert(retail_same_origin("http://[::1]/prices", "http://[::1]:80/x"));
    ck_assert(!retail_same_origin("http://[::1]:8123/prices", "http://[::1]:8124/prices"));
    ck_assert(!retail_same_origin("http://[::1]:8123/prices", "http://[::2]:8123/prices"));
}
END_TEST

static Suite *retail_suite(void)
{
    Suite *s = suite_create("retail");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, real_reservation_sample_keeps_only_the_consumption_row);
    tcase_add_test(tc, real_nonprimary_sample_drops_secondary_meters);
    tcase_add_test(tc, real_devtest_windows_excerpt_is_dropped_and_next_link_kept);
    tcase_add_test(tc, real_empty_page_has_no_rows_and_no_next_link);
    tcase_add_test(tc, gpu_feed_applies_every_drop_rule);
    tcase_add_test(tc, duplicate_rows_keep_the_lower_price_whatever_the_order);
    tcase_add_test(tc, garbage_and_wrong_shapes_are_refused);
    tcase_add_test(tc, absurd_price_is_malformed_and_the_merge_stays_valid);
    tcase_add_test(tc, merge_prices_sizes_by_region_and_counts_unknown_gpu_sizes);
    tcase_add_test(tc, merge_without_prices_strips_stale_price_fields);
    tcase_add_test(tc, catalog_price_fields_are_validated_strictly);
    tcase_add_test(tc, query_url_filters_vm_consumption_in_the_regions);
    tcase_add_test(tc, next_links_must_stay_on_the_same_origin);
    tcase_add_test(tc, an_ipv6_literal_feed_keeps_its_next_links);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(retail_suite)
