/* check_metrics.c - the metrics registry: counters, histogram buckets, refresh hooks, escaping. */
#include "support/check_util.h"

#include <stdio.h>
#include <string.h>

#include "runtime/metrics.h"

static char *render(void)
{
    char *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(metrics_render(NULL, &text, &len), 0);
    ck_assert_uint_eq(strlen(text), len);
    return text;
}

START_TEST(histogram_buckets_are_cumulative_and_sum_matches)
{
    metrics_init();
    const double obs[] = {0.0001, 0.0007, 0.003, 0.2, 9.0};
    for (size_t i = 0; i < 5; i++) {
        metrics_request_begin();
        metrics_request_end("/hist", "POST", 200, obs[i]);
    }
    char *t = render();
    ck_assert_ptr_nonnull(strstr(
        t, "vramfit_http_request_duration_seconds_bucket{route=\"/hist\",le=\"0.0005\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(
        t, "vramfit_http_request_duration_seconds_bucket{route=\"/hist\",le=\"0.001\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(
        t, "vramfit_http_request_duration_seconds_bucket{route=\"/hist\",le=\"0.005\"} 3\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "vramfit_http_request_duration_seconds_bucket{route=\"/hist\",le=\"2.5\"} 4\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "vramfit_http_request_duration_seconds_bucket{route=\"/hist\",le=\"+Inf\"} 5\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "vramfit_http_request_duration_seconds_count{route=\"/hist\"} 5\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "vramfit_http_request_duration_seconds_sum{route=\"/hist\"} 9.2038\n"));
    ck_assert_ptr_nonnull(strstr(t, "vramfit_http_requests_in_flight 0\n"));
    free(t);
}
END_TEST

START_TEST(methods_fold_into_a_fixed_set_and_statuses_stay_separate)
{
    metrics_init();
    const char *m[] = {"GET", "BREW", "PROPFIND", "GET"};
    const int st[] = {200, 405, 405, 404};
    for (size_t i = 0; i < 4; i++) {
        metrics_request_begin();
        metrics_request_end("/fold", m[i], st[i], 0.001);
    }
    char *t = render();
    ck_assert_ptr_nonnull(strstr(
        t, "vramfit_http_requests_total{route=\"/fold\",method=\"other\",status=\"405\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(
        t, "vramfit_http_requests_total{route=\"/fold\",method=\"GET\",status=\"200\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(
        t, "vramfit_http_requests_total{route=\"/fold\",method=\"GET\",status=\"404\"} 1\n"));
    free(t);
}
END_TEST

START_TEST(refresh_hook_counts_attempts_failures_and_last_success)
{
    metrics_init();
    metrics_refresh_attempt("prices", false);
    metrics_refresh_attempt("prices", true);
    metrics_refresh_attempt("prices", false);
    metrics_refresh_attempt("url", false);
    char *t = render();
    ck_assert_ptr_nonnull(
        strstr(t, "vramfit_catalog_refresh_attempts_total{source=\"prices\"} 3\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "vramfit_catalog_refresh_failures_total{source=\"prices\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(t, "vramfit_catalog_refresh_failures_total{source=\"url\"} 1\n"));
    ck_assert_ptr_nonnull(
        strstr(t, "vramfit_catalog_last_success_timestamp_seconds{source=\"url\"} 0.000\n"));
    const char *p = strstr(t, "vramfit_catalog_last_success_timestamp_seconds{source=\"prices\"} ");
    ck_assert_ptr_nonnull(p);
    ck_assert(strtod(strchr(p, '}') + 2, NULL) > 1.7e9);
    free(t);
}
END_TEST

START_TEST(label_values_are_escaped)
{
    metrics_init();
    metrics_refresh_attempt("we\"ird\\so\nurce", true);
    metrics_request_begin();
    metrics_request_end("/a\"b", "GET", 200, 0.001);
    char *t = render();
    ck_assert_ptr_nonnull(strstr(t, "{source=\"we\\\"ird\\\\so\\nurce\"}"));
    ck_assert_ptr_nonnull(strstr(t, "{route=\"/a\\\"b\",method=\"GET\",status=\"200\"}"));
    free(t);
}
END_TEST

START_TEST(every_family_has_help_and_type_once)
{
    metrics_init();
    char *t = render();
    const char *fams[] = {
        "vramfit_http_requests_total",     "vramfit_http_request_duration_seconds",
        "vramfit_http_requests_in_flight", "vramfit_build_info",
        "process_resident_memory_bytes",   "process_open_fds",
        "process_start_time_seconds"};
    for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
        char needle[128];
        snprintf(needle, sizeof(needle), "# TYPE %s ", fams[i]);
        const char *p = strstr(t, needle);
        ck_assert_msg(p != NULL, "no TYPE for %s", fams[i]);
        ck_assert_msg(strstr(p + 1, needle) == NULL, "two TYPE lines for %s", fams[i]);
    }
    free(t);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, histogram_buckets_are_cumulative_and_sum_matches);
    tcase_add_test(tc, methods_fold_into_a_fixed_set_and_statuses_stay_separate);
    tcase_add_test(tc, refresh_hook_counts_attempts_failures_and_last_success);
    tcase_add_test(tc, label_values_are_escaped);
    tcase_add_test(tc, every_family_has_help_and_type_once);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(metrics_suite)
