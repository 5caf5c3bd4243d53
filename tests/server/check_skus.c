/* check_skus.c - GET /skus filters, strict query validation, provenance and ETag/304 over HTTP. */
#include "support/check_util.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "support/fixture.h"
#include "support/testsrv.h"

static struct testsrv srv;

static void start(void)
{
    const char *args[] = {"--today", "2026-11-23", NULL};
    ck_assert_int_eq(testsrv_start(&srv, args), 0);
}

static void stop(void)
{
    testsrv_stop(&srv, 0, 10, NULL);
}

static json_t *get(const char *path, long expect, const char *header, struct http_result *keep)
{
    struct http_result r;
    ck_assert_int_eq(testhttp(srv.port, "GET", path, NULL, NULL, 0, header, &r), 0);
    ck_assert_msg(r.status == expect, "%s: status %ld, expected %ld: %s", path, r.status, expect,
                  r.body);
    json_t *j = r.len ? json_loads(r.body, 0, NULL) : NULL;
    if (keep)
        *keep = r;
    else
        http_result_free(&r);
    return j;
}

static size_t count(const json_t *j)
{
    return (size_t)json_integer_value(json_object_get(j, "count"));
}

START_TEST(retired_sizes_are_hidden_unless_asked_for)
{
    json_t *all = get("/skus?include_retired=true", 200, NULL, NULL);
    json_t *live = get("/skus", 200, NULL, NULL);
    json_t *live2 = get("/skus?include_retired=false", 200, NULL, NULL);
    ck_assert_uint_eq(count(all), 51);
    ck_assert_uint_eq(json_integer_value(json_object_get(all, "retired")), 11);
    ck_assert_uint_eq(count(live), 40);
    ck_assert_uint_eq(count(live2), 40);
    ck_assert_uint_eq(json_integer_value(json_object_get(live, "total")), 51);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(live, "skus"), i, s)
    {
        ck_assert(json_is_false(json_object_get(s, "retired")));
    }
    json_decref(all);
    json_decref(live);
    json_decref(live2);
}
END_TEST

START_TEST(vendor_model_and_vram_filters_combine)
{
    json_t *amd = get("/skus?vendor=amd&include_retired=true", 200, NULL, NULL);
    ck_assert_uint_gt(count(amd), 0);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(amd, "skus"), i, s)
    {
        ck_assert_str_eq(json_string_value(json_object_get(s, "vendor")), "AMD");
    }
    json_t *h100 = get("/skus?gpu_model=h100&min_vram_gb=80", 200, NULL, NULL);
    ck_assert_uint_gt(count(h100), 0);
    json_array_foreach(json_object_get(h100, "skus"), i, s)
    {
        ck_assert(strstr(json_string_value(json_object_get(s, "gpu_model")), "H100"));
        ck_assert(json_real_value(json_object_get(s, "vram_gb")) >= 80);
    }
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(h100, "filters"), "gpu_model")), "h100");
    json_t *none = get("/skus?min_vram_gb=100000", 200, NULL, NULL);
    ck_assert_uint_eq(count(none), 0);
    json_decref(amd);
    json_decref(h100);
    json_decref(none);
}
END_TEST

static const struct {
    const char *query;
    const char *code;
    const char *field;
} bad_queries[] = {
    {"/skus?vendr=AMD", "unknown_parameter", "vendr"},
    {"/skus?min_vram_gb=abc", "invalid_parameter", "min_vram_gb"},
    {"/skus?min_vram_gb=-1", "invalid_parameter", "min_vram_gb"},
    {"/skus?min_vram_gb=1e999", "invalid_parameter", "min_vram_gb"},
    {"/skus?include_retired=yes", "invalid_parameter", "include_retired"},
    {"/skus?include_retired", "invalid_parameter", "include_retired"},
    {"/skus?region=East%20US", "invalid_parameter", "region"},
    {"/skus?vendor=Intel", "invalid_parameter", "vendor"},
    {"/skus?vendor=AMD&vendor=NVIDIA", "duplicate_parameter", "vendor"},
    {"/skus?region=eastus", "region_not_loaded", "region"},
};

START_TEST(bad_query_parameters_are_named_in_a_400)
{
    json_t *j = get(bad_queries[_i].query, 400, NULL, NULL);
    json_t *e = json_object_get(j, "error");
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), bad_queries[_i].code);
    ck_assert_str_eq(json_string_value(json_object_get(e, "field")), bad_queries[_i].field);
    json_decref(j);
}
END_TEST

START_TEST(provenance_of_the_embedded_catalog)
{
    json_t *j = get("/skus", 200, NULL, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "embedded");
    ck_assert(json_is_null(json_object_get(j, "fetched_at")));
    ck_assert(json_is_null(json_object_get(j, "age_seconds")));
    ck_assert(json_is_null(json_object_get(j, "prices")));
    ck_assert(json_is_null(json_object_get(j, "last_error")));
    ck_assert(json_is_null(json_object_get(j, "next_refresh_at"))); /* nothing to refresh */
    json_decref(j);
    j = get("/readyz", 200, NULL, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "catalog"), "source")),
                     "embedded");
    json_decref(j);
}
END_TEST

START_TEST(etag_answers_304_to_if_none_match)
{
    struct http_result r;
    json_t *j = get("/skus", 200, NULL, &r);
    char etag[64], hdr[128];
    ck_assert_int_eq(http_result_header(&r, "ETag", etag, sizeof(etag)), 0);
    ck_assert(strncmp(etag, "W/\"", 3) == 0);
    http_result_free(&r);
    json_decref(j);
    snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
    j = get("/skus", 304, hdr, &r);
    ck_assert_ptr_null(j);
    ck_assert_uint_eq(r.len, 0);
    char again[64];
    ck_assert_int_eq(http_result_header(&r, "ETag", again, sizeof(again)), 0);
    ck_assert_str_eq(again, etag);
    http_result_free(&r);
    /* A list, a strong form of the same tag and "*" match too; another filter does not. */
    snprintf(hdr, sizeof(hdr), "If-None-Match: \"nope\", %s", etag + 2);
    json_decref(get("/skus", 304, hdr, NULL));
    json_decref(get("/skus", 304, "If-None-Match: *", NULL));
    snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag);
    json_decref(get("/skus?include_retired=true", 200, hdr, NULL));
    json_decref(get("/skus", 200, "If-None-Match: W/\"0000000000000000\"", NULL));
}
END_TEST

START_TEST(region_filter_lists_what_the_feed_offers_there)
{
    struct fixture *fx = fixture_start();
    char purl[128];
    fixture_url(fx, FIXTURE_PRICES, purl, sizeof(purl));
    struct testsrv s;
    const char *args[] = {"--prices-url", purl, "--region", "eastus,westus3", NULL};
    ck_assert_int_eq(testsrv_start(&s, args), 0);
    json_t *j = NULL;
    for (int i = 0; i < 100; i++) {
        struct http_result r;
        ck_assert_int_eq(testhttp(s.port, "GET", "/skus?region=WestUS3", NULL, NULL, 0, NULL, &r),
                         0);
        if (r.status == 200)
            j = json_loads(r.body, 0, NULL);
        http_result_free(&r);
        if (j)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_ptr_nonnull(j);
    ck_assert_uint_eq(count(j), 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "skus"), 0), "sku")),
        "Standard_NC24ads_A100_v4");
    json_decref(j);
    testsrv_stop(&s, 0, 10, NULL);
    fixture_stop(fx);
}
END_TEST

static Suite *skus_suite(void)
{
    Suite *s = suite_create("skus");
    TCase *tc = tcase_create("query");
    tcase_add_unchecked_fixture(tc, start, stop);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, retired_sizes_are_hidden_unless_asked_for);
    tcase_add_test(tc, vendor_model_and_vram_filters_combine);
    tcase_add_loop_test(tc, bad_query_parameters_are_named_in_a_400, 0,
                        (int)(sizeof(bad_queries) / sizeof(bad_queries[0])));
    tcase_add_test(tc, provenance_of_the_embedded_catalog);
    tcase_add_test(tc, etag_answers_304_to_if_none_match);
    tcase_add_test(tc, region_filter_lists_what_the_feed_offers_there);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(skus_suite)
