/* check_refresh.c - live refresh against a local upstream: changes arrive, failures never cost the
 * catalog. */
#include "support/check_util.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/fixture.h"
#include "support/testsrv.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

static const char *const ESTIMATE_70B =
    "{\"params_b\":70,\"layers\":80,\"hidden\":8192,\"ctx\":4096,\"precision\":\"fp16\"%s}";

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static json_t *get_json(int port, const char *path, long *status)
{
    struct http_result r;
    if (testhttp(port, "GET", path, NULL, NULL, 0, NULL, &r) < 0)
        return NULL;
    if (status)
        *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    http_result_free(&r);
    return j;
}

static json_t *post_estimate(int port, const char *extra, long *status)
{
    char body[512];
    snprintf(body, sizeof(body), ESTIMATE_70B, extra);
    struct http_result r;
    if (testhttp(port, "POST", "/estimate", "application/json", body, strlen(body), NULL, &r) < 0)
        return NULL;
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    http_result_free(&r);
    return j;
}

typedef bool (*skus_pred)(const json_t *skus, const void *arg);

/* Polls GET /skus?include_retired=true until pred holds; returns that body or NULL on timeout. */
static json_t *wait_skus(int port, skus_pred pred, const void *arg, double timeout_s)
{
    for (int i = 0; i < (int)(timeout_s * 20); i++) {
        long st = 0;
        json_t *j = get_json(port, "/skus?include_retired=true", &st);
        if (j && st == 200 && pred(j, arg))
            return j;
        json_decref(j);
        sleep_ms(50);
    }
    return NULL;
}

static bool has_error(const json_t *j, const void *arg)
{
    (void)arg;
    return json_is_object(json_object_get(j, "last_error"));
}

static bool no_error_and_fresh_prices(const json_t *j, const void *arg)
{
    (void)arg;
    const json_t *p = json_object_get(j, "prices");
    return json_is_null(json_object_get(j, "last_error")) && json_is_object(p) &&
           json_is_false(json_object_get(p, "stale"));
}

static bool count_is(const json_t *j, const void *arg)
{
    return json_integer_value(json_object_get(j, "count")) == *(const int *)arg;
}

static const char *error_message(const json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "last_error"), "message"));
}

static const json_t *find_sku(const json_t *skus, const char *name)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(skus, "skus"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "sku")), name) == 0)
            return s;
    }
    return NULL;
}

struct live {
    struct fixture *fx;
    struct testsrv srv;
    char cat_url[128], prices_url[128];
};

/* Fixture + server refreshing every second; returns once the URL catalog and prices are live. */
static void live_start(struct live *l, const char *interval, const char *extra1, const char *extra2)
{
    l->fx = fixture_start();
    ck_assert_ptr_nonnull(l->fx);
    fixture_url(l->fx, FIXTURE_CATALOG, l->cat_url, sizeof(l->cat_url));
    fixture_url(l->fx, FIXTURE_PRICES, l->prices_url, sizeof(l->prices_url));
    const char *args[] = {"--catalog-url",
                          l->cat_url,
                          "--prices-url",
                          l->prices_url,
                          "--region",
                          "eastus",
                          "--region",
                          "WestUS3",
                          "--refresh-interval",
                          interval,
                          "--fetch-timeout",
                          "1",
                          "--today",
                          "2026-01-15",
                          extra1,
                          extra2,
                          NULL};
    ck_assert_int_eq(testsrv_start(&l->srv, args), 0);
    json_t *j = wait_skus(l->srv.port, no_error_and_fresh_prices, NULL, 8);
    ck_assert_msg(j != NULL, "the first refresh never loaded the fixture");
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "url");
    json_decref(j);
}

static void live_stop(struct live *l)
{
    int st = -1;
    ck_assert_int_eq(testsrv_stop(&l->srv, SIGTERM, 10, &st), 0);
    ck_assert_int_eq(st, 0);
    fixture_stop(l->fx);
}

START_TEST(fixture_catalog_and_prices_reach_skus_and_estimate)
{
    struct live l;
    live_start(&l, "1", NULL, NULL);
    json_t *skus = get_json(l.srv.port, "/skus?include_retired=true", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(skus, "count")), 5);
    const json_t *a100 = find_sku(skus, "Standard_NC24ads_A100_v4");
    ck_assert_rel(json_real_value(json_object_get(a100, "price_per_hour")), 3.673, 1e-12);
    ck_assert_str_eq(json_string_value(json_object_get(a100, "price_region")), "eastus");
    const json_t *prices = json_object_get(skus, "prices");
    ck_assert_int_eq(json_integer_value(json_object_get(prices, "priced_skus")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(prices, "unknown_skus")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(prices, "regions"), 1)),
                     "westus3");
    ck_assert(json_is_integer(json_object_get(skus, "age_seconds")));
    ck_assert(json_is_string(json_object_get(skus, "next_refresh_at")));
    ck_assert(json_is_string(json_object_get(skus, "etag")));
    json_decref(skus);

    char filter[1024];
    fixture_last_filter(l.fx, filter, sizeof(filter));
    ck_assert_str_eq(filter, "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and "
                             "(armRegionName eq 'eastus' or armRegionName eq 'westus3')");

    /* Only NC24ads_A100_v4 is offered in westus3: it is the only candidate there, at the
     * westus3 price; the 70B model fits nothing there. */
    long st = 0;
    json_t *est = post_estimate(l.srv.port, ",\"region\":\"westus3\"", &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_false(json_object_get(est, "fits")));
    json_decref(est);
    struct http_result r;
    const char *small = "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,"
                        "\"precision\":\"fp16\",\"region\":\"westus3\"}";
    ck_assert_int_eq(testhttp(l.srv.port, "POST", "/estimate", "application/json", small,
                              strlen(small), NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    est = json_loads(r.body, 0, NULL);
    http_result_free(&r);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(est, "sku"), "sku")),
                     "Standard_NC24ads_A100_v4");
    ck_assert_rel(json_real_value(json_object_get(est, "price_per_hour")), 3.9, 1e-12);
    ck_assert_rel(json_real_value(json_object_get(est, "cost_per_hour")), 3.9, 1e-12);
    json_decref(est);
    /* A region makes the request refined: the cheapest size that holds it at its live Linux
     * price (13.96, not the Windows row's 20.0). */
    est = post_estimate(l.srv.port, ",\"region\":\"eastus\"", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(est, "sku"), "sku")),
                     "Standard_NC80adis_H100_v5");
    ck_assert_rel(json_real_value(json_object_get(est, "cost_per_hour")), 13.96, 1e-12);
    json_decref(est);
    /* Without a region (the seed path) the live price in the first region is quoted. */
    est = post_estimate(l.srv.port, "", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(est, "price_source")), "catalog");
    ck_assert_str_eq(json_string_value(json_object_get(est, "price_region")), "eastus");
    ck_assert_rel(json_real_value(json_object_get(est, "cost_per_hour")), 98.32, 1e-12);
    json_decref(est);
    live_stop(&l);
}
END_TEST

/* Every failure mode, on each upstream: snapshot kept, last_error set, recovery afterwards. */
static const struct {
    enum fixture_path path;
    enum fixture_mode mode;
    const char *expect; /* in last_error */
} failures[] = {
    {FIXTURE_CATALOG, FIXTURE_500, "HTTP 500"},
    {FIXTURE_CATALOG, FIXTURE_HANG, "imeout"},
    {FIXTURE_CATALOG, FIXTURE_GARBAGE, "not valid JSON"},
    {FIXTURE_CATALOG, FIXTURE_TRUNCATE, "artial"},
    {FIXTURE_CATALOG, FIXTURE_OVERSIZE, "larger than"},
    {FIXTURE_CATALOG, FIXTURE_EMPTY, "refused"},
    {FIXTURE_PRICES, FIXTURE_500, "HTTP 500"},
    {FIXTURE_PRICES, FIXTURE_HANG, "imeout"},
    {FIXTURE_PRICES, FIXTURE_GARBAGE, "not valid JSON"},
    {FIXTURE_PRICES, FIXTURE_TRUNCATE, "artial"},
    {FIXTURE_PRICES, FIXTURE_OVERSIZE, "larger than"},
    {FIXTURE_PRICES, FIXTURE_EMPTY, "no usable"},
    /* Nothing was asked conditionally (the feed has two pages), so nothing can be "unchanged". */
    {FIXTURE_PRICES, FIXTURE_NOT_MODIFIED, "304 Not Modified to an unconditional request"},
    {FIXTURE_PRICES, FIXTURE_NOT_MODIFIED_PAGE2, "304 Not Modified to a request for a later page"},
    {FIXTURE_PRICES, FIXTURE_REDIRECT_AWAY, "outside the feed's origin"},
    {FIXTURE_PRICES, FIXTURE_PAGE_CYCLE, "repeats an earlier page (a cycle)"},
    {FIXTURE_CATALOG, FIXTURE_ALL_RETIRED, "all 5 sizes have retired"},
};

START_TEST(upstream_failure_keeps_the_snapshot_reports_and_recovers)
{
    struct live l;
    live_start(&l, "1", NULL, NULL);
    json_t *before = get_json(l.srv.port, "/skus?include_retired=true", NULL);
    fixture_set_mode(l.fx, failures[_i].path, failures[_i].mode);
    json_t *during = wait_skus(l.srv.port, has_error, NULL, 10);
    ck_assert_msg(during != NULL, "failure %d never reported", _i);
    const char *msg = error_message(during);
    ck_assert_msg(strstr(msg, failures[_i].expect) != NULL, "last_error \"%s\" lacks \"%s\"", msg,
                  failures[_i].expect);
    /* What is served is unchanged: same sizes, same prices (marked stale for a price failure). */
    ck_assert(json_equal(json_object_get(before, "skus"), json_object_get(during, "skus")));
    if (failures[_i].path == FIXTURE_PRICES)
        ck_assert(json_is_true(json_object_get(json_object_get(during, "prices"), "stale")));
    long st = 0;
    json_t *ready = get_json(l.srv.port, "/readyz", &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_object(json_object_get(json_object_get(ready, "catalog"), "last_error")));
    json_decref(ready);
    json_t *est = post_estimate(l.srv.port, "", &st);
    ck_assert_int_eq(st, 200);
    json_decref(est);

    fixture_set_mode(l.fx, failures[_i].path, FIXTURE_OK);
    json_t *after = wait_skus(l.srv.port, no_error_and_fresh_prices, NULL, 10);
    ck_assert_msg(after != NULL, "failure %d: never recovered", _i);
    ck_assert(json_equal(json_object_get(before, "skus"), json_object_get(after, "skus")));
    json_decref(before);
    json_decref(during);
    json_decref(after);
    live_stop(&l);
}
END_TEST

/* The upstream GETs run in vramfit-fetch: the server itself never maps libcurl or a TLS library,
 * which is what keeps its idle RSS near 6 MB instead of 12 (make bench). */
START_TEST(server_refreshes_without_mapping_libcurl_or_tls)
{
    struct live l;
    live_start(&l, "1", NULL, NULL); /* returns once a refresh through the helper succeeded */
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)l.srv.pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int libs = 0;
    while (fgets(line, sizeof(line), f)) {
        ck_assert_msg(strstr(line, "libcurl") == NULL && strstr(line, "libssl") == NULL &&
                          strstr(line, "libcrypto") == NULL,
                      "the server maps %s", line);
        libs += strstr(line, "libmicrohttpd") != NULL;
    }
    fclose(f);
    ck_assert_int_gt(libs, 0); /* the check reads the right process */
    live_stop(&l);
}
END_TEST

static void copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ck_assert(in >= 0 && out >= 0);
    char b[65536];
    ssize_t n;
    while ((n = read(in, b, sizeof(b))) > 0)
        ck_assert_int_eq(write(out, b, (size_t)n), n);
    close(in);
    close(out);
}

/* A server installed without its helper keeps serving and says why refreshes fail. */
START_TEST(a_missing_fetch_helper_is_a_refresh_error_not_an_outage)
{
    /* Under make valgrind the harness runs a wrapper script that execs VALGRIND_REAL_BIN. */
    const char *var = getenv("VALGRIND_REAL_BIN") ? "VALGRIND_REAL_BIN" : "VRAMFIT_BIN";
    const char *real = getenv(var) ? getenv(var) : VRAMFIT_BIN_DEFAULT;
    char *saved = strdup(real);
    char dir[] = "/tmp/vramfit-nohelper-XXXXXX", bin[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(bin, sizeof(bin), "%s/vramfit", dir);
    copy_file(saved, bin);
    setenv(var, bin, 1);

    struct fixture *fx = fixture_start();
    ck_assert_ptr_nonnull(fx);
    char cat_url[128];
    fixture_url(fx, FIXTURE_CATALOG, cat_url, sizeof(cat_url));
    const char *args[] = {"--catalog-url", cat_url, "--no-prices", "--refresh-interval", "1", NULL};
    struct testsrv srv;
    int started = testsrv_start(&srv, args);
    setenv(var, saved, 1); /* CK_FORK=no under valgrind: later tests share this environment */
    ck_assert_int_eq(started, 0);
    json_t *j = wait_skus(srv.port, has_error, NULL, 8);
    ck_assert_msg(j != NULL, "no refresh error reported");
    ck_assert_msg(strstr(error_message(j), "cannot run the fetch helper") != NULL &&
                      strstr(error_message(j), dir) != NULL,
                  "last_error: %s", error_message(j));
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "embedded");
    json_decref(j);
    long st = 0;
    json_decref(post_estimate(srv.port, "", &st));
    ck_assert_int_eq(st, 200);
    int exit_status = -1;
    ck_assert_int_eq(testsrv_stop(&srv, SIGTERM, 10, &exit_status), 0);
    ck_assert_int_eq(exit_status, 0);
    fixture_stop(fx);
    unlink(bin);
    rmdir(dir);
    free(saved);
}
END_TEST

START_TEST(unchanged_catalog_costs_a_304_and_a_new_etag_changes_skus)
{
    struct live l;
    live_start(&l, "1", NULL, NULL);
    for (int i = 0; i < 60 && fixture_not_modified(l.fx, FIXTURE_CATALOG) == 0; i++)
        sleep_ms(100);
    ck_assert_uint_ge(fixture_not_modified(l.fx, FIXTURE_CATALOG), 1);
    fixture_set_catalog(l.fx, "catalog-url-b.json", "b");
    int six = 6;
    json_t *j = wait_skus(l.srv.port, count_is, &six, 8);
    ck_assert_ptr_nonnull(j);
    ck_assert_ptr_nonnull(find_sku(j, "Standard_NC999_Future_v9"));
    /* The new size is priced by the feed (it was "unknown" before). */
    ck_assert_rel(
        json_real_value(json_object_get(find_sku(j, "Standard_NC999_Future_v9"), "price_per_hour")),
        1.23, 1e-12);
    json_decref(j);
    live_stop(&l);
}
END_TEST

START_TEST(sighup_refreshes_at_once)
{
    struct live l;
    live_start(&l, "3600", NULL, NULL);
    fixture_set_catalog(l.fx, "catalog-url-b.json", "b");
    sleep_ms(300);
    json_t *j = get_json(l.srv.port, "/skus", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 5); /* not yet */
    json_decref(j);
    kill(l.srv.pid, SIGHUP);
    int six = 6;
    j = wait_skus(l.srv.port, count_is, &six, 5);
    ck_assert_msg(j != NULL, "SIGHUP did not refresh");
    json_decref(j);
    live_stop(&l);
}
END_TEST

START_TEST(cache_file_serves_last_prices_after_a_restart_without_network)
{
    char cache[128];
    snprintf(cache, sizeof(cache), "/tmp/vramfit-cache-%d.json", (int)getpid());
    unlink(cache);
    struct live l;
    live_start(&l, "1", "--cache-file", cache);
    sleep_ms(200);
    live_stop(&l); /* the fixture is gone now: its port refuses connections */

    struct testsrv s;
    const char *args[] = {"--catalog-url",
                          l.cat_url,
                          "--prices-url",
                          l.prices_url,
                          "--cache-file",
                          cache,
                          "--refresh-interval",
                          "1",
                          NULL};
    ck_assert_int_eq(testsrv_start(&s, args), 0);
    json_t *j = get_json(s.port, "/skus?include_retired=true", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "cache");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 5);
    ck_assert_rel(
        json_real_value(json_object_get(find_sku(j, "Standard_NC24ads_A100_v4"), "price_per_hour")),
        3.673, 1e-12);
    json_decref(j);
    j = wait_skus(s.port, has_error, NULL, 8);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "count")), 5);
    json_decref(j);
    testsrv_stop(&s, SIGTERM, 10, NULL);

    /* A corrupt cache is ignored (logged), never fatal. */
    FILE *f = fopen(cache, "w");
    fputs("{\"skus\": [", f);
    fclose(f);
    const char *args2[] = {"--cache-file", cache, NULL};
    ck_assert_int_eq(testsrv_start(&s, args2), 0);
    j = get_json(s.port, "/skus?include_retired=true", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "embedded");
    json_decref(j);
    char *log = testsrv_log(&s);
    ck_assert_ptr_nonnull(strstr(log, "cache_ignored"));
    free(log);
    testsrv_stop(&s, SIGTERM, 10, NULL);
    unlink(cache);
}
END_TEST

START_TEST(shutdown_does_not_wait_for_a_hung_upstream)
{
    struct fixture *fx = fixture_start();
    fixture_set_mode(fx, FIXTURE_CATALOG, FIXTURE_HANG);
    char url[128];
    fixture_url(fx, FIXTURE_CATALOG, url, sizeof(url));
    struct testsrv s;
    const char *args[] = {"--catalog-url", url, "--fetch-timeout", "60", NULL};
    ck_assert_int_eq(testsrv_start(&s, args), 0);
    sleep_ms(300); /* the refresher is now inside the hung transfer */
    long st = 0;
    json_t *j = get_json(s.port, "/skus", &st); /* readers never wait on the refresh */
    ck_assert_int_eq(st, 200);
    json_decref(j);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int code = -1;
    ck_assert_int_eq(testsrv_stop(&s, SIGTERM, 5, &code), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_eq(code, 0);
    ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 4);
    fixture_stop(fx);
}
END_TEST

/* RFC 9110 allows bytes 0x80-0xFF (obs-text) in field values: the validators are carried byte for
 * byte, so the next request is conditional and answered 304. */
START_TEST(obs_text_validators_are_carried_and_sent_back)
{
    struct fixture *fx = fixture_start();
    ck_assert_ptr_nonnull(fx);
    fixture_set_mode(fx, FIXTURE_CATALOG, FIXTURE_OBS_TEXT);
    char url[128];
    fixture_url(fx, FIXTURE_CATALOG, url, sizeof(url));
    const char *args[] = {"--catalog-url", url, "--no-prices", "--refresh-interval", "1", NULL};
    struct testsrv s;
    ck_assert_int_eq(testsrv_start(&s, args), 0);
    for (int i = 0; i < 80 && fixture_not_modified(fx, FIXTURE_CATALOG) == 0; i++)
        sleep_ms(100);
    ck_assert_uint_ge(fixture_not_modified(fx, FIXTURE_CATALOG), 1);
    json_t *j = get_json(s.port, "/skus", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "url");
    ck_assert(json_is_null(json_object_get(j, "last_error")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "etag")), "\"caf\u00e9-\u00ff\"");
    json_decref(j);
    ck_assert_int_eq(testsrv_stop(&s, SIGTERM, 10, NULL), 0);
    fixture_stop(fx);
}
END_TEST

/* A 304 is "unchanged" only for a conditional request about something held. */
START_TEST(catalog_304_to_an_unconditional_first_fetch_is_an_error)
{
    struct fixture *fx = fixture_start();
    ck_assert_ptr_nonnull(fx);
    fixture_set_mode(fx, FIXTURE_CATALOG, FIXTURE_NOT_MODIFIED);
    char url[128];
    fixture_url(fx, FIXTURE_CATALOG, url, sizeof(url));
    const char *args[] = {"--catalog-url", url, "--no-prices", "--refresh-interval", "1", NULL};
    struct testsrv s;
    ck_assert_int_eq(testsrv_start(&s, args), 0);
    json_t *j = wait_skus(s.port, has_error, NULL, 8);
    ck_assert_msg(j != NULL, "a 304 to an unconditional request counted as success");
    ck_assert_ptr_nonnull(strstr(error_message(j), "304 Not Modified"));
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "embedded");
    json_decref(j);
    ck_assert_int_eq(testsrv_stop(&s, SIGTERM, 10, NULL), 0);
    fixture_stop(fx);
}
END_TEST

static bool fresh_after(const json_t *j, const void *arg)
{
    const char *at = json_string_value(json_object_get(json_object_get(j, "prices"), "fetched_at"));
    return no_error_and_fresh_prices(j, NULL) && at && strcmp(at, (const char *)arg) > 0;
}

/* A redirect within the feed's origin is followed (page 2 moves to /prices-moved). */
START_TEST(price_redirect_within_the_origin_is_followed)
{
    struct live l;
    live_start(&l, "1", NULL, NULL);
    json_t *before = get_json(l.srv.port, "/skus?include_retired=true", NULL);
    char at[64];
    snprintf(at, sizeof(at), "%s",
             json_string_value(json_object_get(json_object_get(before, "prices"), "fetched_at")));
    fixture_set_mode(l.fx, FIXTURE_PRICES, FIXTURE_REDIRECT_HOME);
    json_t *after = wait_skus(l.srv.port, fresh_after, at, 10);
    ck_assert_msg(after != NULL, "no fresh prices through a same-origin redirect");
    ck_assert(json_equal(json_object_get(before, "skus"), json_object_get(after, "skus")));
    json_decref(before);
    json_decref(after);
    live_stop(&l);
}
END_TEST

/* What can sit where the cache file should be: each is ignored (logged), never a hang or crash. */
enum cache_oddity { CACHE_SOCKET, CACHE_FIFO, CACHE_SYMLINK, CACHE_DIRECTORY };

static void plant_cache_oddity(enum cache_oddity k, const char *path, const char *valid_cache)
{
    switch (k) {
    case CACHE_SOCKET: {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        close(fd); /* the socket file stays */
        break;
    }
    case CACHE_FIFO:
        ck_assert_int_eq(mkfifo(path, 0600), 0);
        break;
    case CACHE_SYMLINK:
        ck_assert_int_eq(symlink(valid_cache, path), 0);
        break;
    case CACHE_DIRECTORY:
        ck_assert_int_eq(mkdir(path, 0700), 0);
        break;
    }
}

START_TEST(special_or_symlinked_cache_file_is_ignored_and_start_up_goes_on)
{
    char dir[] = "/tmp/vramfit-oddcache-XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/cache.json", dir);
    /* A catalog the server would load as a cache (the Makefile's TEST_DATA_DIR is absolute); a
     * symlink to it is still refused. */
    const char *valid = TEST_DATA_DIR "/catalog-url-a.json";
    plant_cache_oddity((enum cache_oddity)_i, path, valid);

    const char *args[] = {"--cache-file", path, NULL};
    struct testsrv s;
    ck_assert_msg(testsrv_start(&s, args) == 0, "start-up failed or hung (oddity %d)", _i);
    json_t *j = get_json(s.port, "/skus", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "embedded");
    json_decref(j);
    char *log = testsrv_log(&s);
    ck_assert_msg(strstr(log, "cache_ignored") != NULL, "no cache_ignored in %s", log);
    free(log);
    int st = -1;
    ck_assert_int_eq(testsrv_stop(&s, SIGTERM, 5, &st), 0);
    ck_assert_int_eq(st, 0);
    if (_i == CACHE_DIRECTORY)
        rmdir(path);
    else
        unlink(path);
    rmdir(dir);
}
END_TEST

/* The writer's temporary name used to be "<cache>.tmp.<pid>": a symlink planted there made the
 * server write through it (here into victim) and leave the cache as that symlink. */
START_TEST(cache_writer_does_not_follow_a_symlink_at_its_old_temporary_name)
{
    char dir[] = "/tmp/vramfit-cachelink-XXXXXX", cache[128], victim[128], planted[160];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cache, sizeof(cache), "%s/cache.json", dir);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    FILE *f = fopen(victim, "w");
    ck_assert_ptr_nonnull(f);
    fputs("untouched", f);
    fclose(f);
    struct fixture *fx = fixture_start();
    ck_assert_ptr_nonnull(fx);
    fixture_set_mode(fx, FIXTURE_CATALOG, FIXTURE_500); /* nothing is written until it is OK */
    char url[128];
    fixture_url(fx, FIXTURE_CATALOG, url, sizeof(url));
    const char *args[] = {"--catalog-url",      url, "--no-prices", "--cache-file", cache,
                          "--refresh-interval", "1", NULL};
    struct testsrv s;
    ck_assert_int_eq(testsrv_start(&s, args), 0);
    snprintf(planted, sizeof(planted), "%s.tmp.%ld", cache, (long)s.pid);
    ck_assert_int_eq(symlink(victim, planted), 0);
    fixture_set_mode(fx, FIXTURE_CATALOG, FIXTURE_OK);
    struct stat sb;
    for (int i = 0; i < 100 && lstat(cache, &sb) != 0; i++)
        sleep_ms(100);
    ck_assert_int_eq(lstat(cache, &sb), 0);
    ck_assert_msg(S_ISREG(sb.st_mode), "the cache is not a regular file");
    char *text = testfile_read(victim, NULL);
    ck_assert_str_eq(text, "untouched");
    free(text);
    text = testfile_read(cache, NULL);
    json_t *doc = json_loads(text, 0, NULL);
    ck_assert_msg(json_is_array(json_object_get(doc, "skus")), "the cache holds no catalog");
    json_decref(doc);
    free(text);
    ck_assert_int_eq(testsrv_stop(&s, SIGTERM, 10, NULL), 0);
    fixture_stop(fx);
    unlink(planted);
    unlink(victim);
    unlink(cache);
    rmdir(dir);
}
END_TEST

/* Several threads hammer /skus and /estimate while the upstream flips between two catalogs. */
struct hammer {
    int port;
    atomic_int bad;
    atomic_int done;
    atomic_bool stop;
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    while (!atomic_load(&h->stop)) {
        long st = 0;
        json_t *j = get_json(h->port, "/skus?include_retired=true", &st);
        json_int_t n = j ? json_integer_value(json_object_get(j, "count")) : -1;
        if (st != 200 || (n != 5 && n != 6) ||
            json_array_size(json_object_get(j, "skus")) != (size_t)n)
            atomic_fetch_add(&h->bad, 1);
        json_decref(j);
        j = post_estimate(h->port, ",\"region\":\"eastus\"", &st);
        if (st != 200 || j == NULL || !json_is_object(json_object_get(j, "sku")))
            atomic_fetch_add(&h->bad, 1);
        json_decref(j);
        atomic_fetch_add(&h->done, 2);
    }
    return NULL;
}

START_TEST(hammer_reads_during_refreshes_see_whole_snapshots)
{
    struct live l;
    live_start(&l, "1", NULL, NULL);
    struct hammer h = {.port = l.srv.port};
    atomic_init(&h.bad, 0);
    atomic_init(&h.done, 0);
    atomic_init(&h.stop, false);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer_thread, &h);
    for (int i = 0; i < 30; i++) { /* ~3 s of flips and forced refreshes */
        fixture_set_catalog(l.fx, i % 2 ? "catalog-url-a.json" : "catalog-url-b.json",
                            i % 2 ? "a" : "b");
        kill(l.srv.pid, SIGHUP);
        sleep_ms(100);
    }
    atomic_store(&h.stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(atomic_load(&h.bad), 0);
    ck_assert_int_gt(atomic_load(&h.done), 100);
    char *log = testsrv_log(&l.srv);
    ck_assert_ptr_nonnull(strstr(log, "catalog_refreshed"));
    free(log);
    live_stop(&l);
}
END_TEST

static Suite *refresh_suite(void)
{
    Suite *s = suite_create("refresh");
    TCase *tc = tcase_create("live");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fixture_catalog_and_prices_reach_skus_and_estimate);
    tcase_add_loop_test(tc, upstream_failure_keeps_the_snapshot_reports_and_recovers, 0,
                        (int)(sizeof(failures) / sizeof(failures[0])));
    tcase_add_test(tc, unchanged_catalog_costs_a_304_and_a_new_etag_changes_skus);
    tcase_add_test(tc, server_refreshes_without_mapping_libcurl_or_tls);
    tcase_add_test(tc, a_missing_fetch_helper_is_a_refresh_error_not_an_outage);
    tcase_add_test(tc, sighup_refreshes_at_once);
    tcase_add_test(tc, cache_file_serves_last_prices_after_a_restart_without_network);
    tcase_add_test(tc, shutdown_does_not_wait_for_a_hung_upstream);
    tcase_add_test(tc, obs_text_validators_are_carried_and_sent_back);
    tcase_add_test(tc, catalog_304_to_an_unconditional_first_fetch_is_an_error);
    tcase_add_test(tc, price_redirect_within_the_origin_is_followed);
    tcase_add_loop_test(tc, special_or_symlinked_cache_file_is_ignored_and_start_up_goes_on,
                        CACHE_SOCKET, CACHE_DIRECTORY + 1);
    tcase_add_test(tc, cache_writer_does_not_follow_a_symlink_at_its_old_temporary_name);
    tcase_add_test(tc, hammer_reads_during_refreshes_see_whole_snapshots);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(refresh_suite)
