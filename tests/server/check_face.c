/* check_face.c - the HTTP face: CORS, preflight, request ids, pretty JSON, gzip, metrics, OpenAPI.
 */
#include "support/check_util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <string.h>
#include <zlib.h>

#include "support/testsrv.h"

#define EST_BODY                                                                                   \
    "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}"

static struct testsrv srv;

static void start_with(const char *const *args)
{
    ck_assert_msg(testsrv_start(&srv, args) == 0, "server did not start");
}

static void start_default(void)
{
    static const char *const args[] = {"--today", "2026-11-23", "--no-prices", NULL};
    start_with(args);
}

static void stop(void)
{
    int st = -1;
    ck_assert_int_eq(testsrv_stop(&srv, 0, 10, &st), 0);
    ck_assert_int_eq(st, 0);
}

static void get(const char *path, const char *hdr, struct http_result *r)
{
    ck_assert_int_eq(testhttp(srv.port, "GET", path, NULL, NULL, 0, hdr, r), 0);
}

static void header(const struct http_result *r, const char *name, char *dst, size_t n)
{
    ck_assert_msg(http_result_header(r, name, dst, n) == 0, "no %s header in:\n%s", name,
                  r->headers);
}

static bool has_header(const struct http_result *r, const char *name)
{
    char v[8];
    return http_result_header(r, name, v, sizeof(v)) == 0;
}

START_TEST(cors_default_allows_any_origin_on_every_response_including_errors)
{
    start_default();
    const char *paths[] = {"/healthz", "/skus", "/nope", "/estimate"};
    long want[] = {200, 200, 404, 405};
    for (size_t i = 0; i < 4; i++) {
        struct http_result r;
        get(paths[i], "Origin: https://portal.example.com", &r);
        ck_assert_int_eq(r.status, want[i]);
        char v[128];
        header(&r, "Access-Control-Allow-Origin", v, sizeof(v));
        ck_assert_str_eq(v, "*");
        header(&r, "Access-Control-Expose-Headers", v, sizeof(v));
        ck_assert_ptr_nonnull(strstr(v, "X-Request-Id"));
        http_result_free(&r);
    }
    stop();
}
END_TEST

START_TEST(preflight_is_204_with_methods_headers_and_max_age)
{
    start_default();
    struct http_result r;
    ck_assert_int_eq(testhttp(srv.port, "OPTIONS", "/estimate", NULL, NULL, 0,
                              "Origin: https://portal.example.com", &r),
                     0);
    ck_assert_int_eq(r.status, 204);
    ck_assert_uint_eq(r.len, 0);
    char v[160];
    header(&r, "Access-Control-Allow-Methods", v, sizeof(v));
    ck_assert_str_eq(v, "POST, OPTIONS");
    header(&r, "Access-Control-Allow-Headers", v, sizeof(v));
    ck_assert_ptr_nonnull(strstr(v, "Content-Type"));
    ck_assert_ptr_nonnull(strstr(v, "X-Request-Id"));
    header(&r, "Access-Control-Max-Age", v, sizeof(v));
    ck_assert_str_eq(v, "600");
    header(&r, "Allow", v, sizeof(v));
    ck_assert_str_eq(v, "POST, OPTIONS");
    header(&r, "Access-Control-Allow-Origin", v, sizeof(v));
    ck_assert_str_eq(v, "*");
    http_result_free(&r);

    ck_assert_int_eq(testhttp(srv.port, "OPTIONS", "/skus", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 204);
    header(&r, "Access-Control-Allow-Methods", v, sizeof(v));
    ck_assert_str_eq(v, "GET, HEAD, OPTIONS");
    http_result_free(&r);

    ck_assert_int_eq(testhttp(srv.port, "OPTIONS", "/nope", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 404);
    http_result_free(&r);
    stop();
}
END_TEST

START_TEST(cors_origin_list_echoes_only_listed_origins)
{
    static const char *const args[] = {"--cors-origins",
                                       "https://portal.example.com, http://localhost:3000", NULL};
    start_with(args);
    struct http_result r;
    char v[128];
    get("/healthz", "Origin: http://localhost:3000", &r);
    header(&r, "Access-Control-Allow-Origin", v, sizeof(v));
    ck_assert_str_eq(v, "http://localhost:3000");
    header(&r, "Vary", v, sizeof(v));
    ck_assert_ptr_nonnull(strstr(v, "Origin"));
    http_result_free(&r);

    get("/healthz", "Origin: https://evil.example.net", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(!has_header(&r, "Access-Control-Allow-Origin"));
    http_result_free(&r);

    ck_assert_int_eq(testhttp(srv.port, "OPTIONS", "/estimate", NULL, NULL, 0,
                              "Origin: https://evil.example.net", &r),
                     0);
    ck_assert_int_eq(r.status, 204);
    ck_assert(!has_header(&r, "Access-Control-Allow-Origin"));
    http_result_free(&r);
    stop();
}
END_TEST

START_TEST(cors_can_be_turned_off)
{
    static const char *const args[] = {"--cors-origins", "", NULL};
    start_with(args);
    struct http_result r;
    get("/healthz", "Origin: http://localhost:3000", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(!has_header(&r, "Access-Control-Allow-Origin"));
    http_result_free(&r);
    stop();
}
END_TEST

START_TEST(request_id_is_echoed_generated_or_replaced_and_logged)
{
    start_default();
    struct http_result r;
    char v[200];
    get("/healthz", "X-Request-Id: trace-42.abc", &r);
    header(&r, "X-Request-Id", v, sizeof(v));
    ck_assert_str_eq(v, "trace-42.abc");
    http_result_free(&r);

    char first[40];
    get("/healthz", NULL, &r);
    header(&r, "X-Request-Id", first, sizeof(first));
    ck_assert_uint_eq(strlen(first), 16);
    http_result_free(&r);
    get("/healthz", NULL, &r);
    header(&r, "X-Request-Id", v, sizeof(v));
    ck_assert_str_ne(v, first);
    http_result_free(&r);

    /* A header that could smuggle JSON or newlines into logs is replaced, not echoed. */
    get("/healthz", "X-Request-Id: a\"b{c}", &r);
    header(&r, "X-Request-Id", v, sizeof(v));
    ck_assert_uint_eq(strlen(v), 16);
    http_result_free(&r);

    /* Request lines are flushed within 100 ms (and logged after the response went out): poll. */
    char *log = NULL;
    for (int i = 0; i < 200; i++) {
        free(log);
        log = testsrv_log(&srv);
        if (log && strstr(log, "\"remote\":\"127.0.0.1\"") &&
            strstr(log, "\"request_id\":\"trace-42.abc\""))
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    ck_assert_ptr_nonnull(strstr(log, "\"request_id\":\"trace-42.abc\",\"method\":\"GET\","
                                      "\"route\":\"/healthz\""));
    ck_assert_ptr_nonnull(strstr(log, "\"duration_ms\":"));
    ck_assert_ptr_nonnull(strstr(log, "\"remote\":\"127.0.0.1\""));
    free(log);
    stop();
}
END_TEST

START_TEST(pretty_indents_for_humans_and_compact_for_machines)
{
    start_default();
    struct http_result r;
    get("/healthz", NULL, &r);
    ck_assert_str_eq(r.body, "{\"status\":\"ok\"}\n");
    http_result_free(&r);
    get("/healthz?pretty=1", NULL, &r);
    ck_assert_str_eq(r.body, "{\n  \"status\": \"ok\"\n}\n");
    http_result_free(&r);
    get("/healthz", "User-Agent: curl/7.88.1", &r);
    ck_assert_str_eq(r.body, "{\n  \"status\": \"ok\"\n}\n");
    http_result_free(&r);
    get("/healthz?pretty=0", "User-Agent: curl/7.88.1", &r);
    ck_assert_str_eq(r.body, "{\"status\":\"ok\"}\n");
    http_result_free(&r);
    get("/healthz?pretty=yes", NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(r.body, "\"field\":\"pretty\""));
    ck_assert_ptr_nonnull(strstr(r.body, "invalid_query"));
    http_result_free(&r);
    stop();
}
END_TEST

static char *gunzip(const char *in, size_t len, size_t *out_len)
{
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    inflateEnd(&zs);
    return out;
}

START_TEST(gzip_large_bodies_when_accepted_only)
{
    start_default();
    struct http_result plain, z;
    get("/skus", NULL, &plain);
    ck_assert(!has_header(&plain, "Content-Encoding"));
    get("/skus", "Accept-Encoding: gzip, deflate", &z);
    char v[64];
    header(&z, "Content-Encoding", v, sizeof(v));
    ck_assert_str_eq(v, "gzip");
    header(&z, "Vary", v, sizeof(v));
    ck_assert_ptr_nonnull(strstr(v, "Accept-Encoding"));
    ck_assert_uint_lt(z.len * 5, plain.len);
    size_t n;
    char *unz = gunzip(z.body, z.len, &n);
    ck_assert_uint_eq(n, plain.len);
    ck_assert(memcmp(unz, plain.body, n) == 0);
    free(unz);
    http_result_free(&plain);
    http_result_free(&z);

    get("/skus", "Accept-Encoding: gzip;q=0, br", &z);
    ck_assert(!has_header(&z, "Content-Encoding"));
    http_result_free(&z);
    get("/healthz", "Accept-Encoding: gzip", &z); /* small: not worth it */
    ck_assert(!has_header(&z, "Content-Encoding"));
    http_result_free(&z);
    stop();
}
END_TEST

/* The value of the first sample line starting with prefix, or -1. */
static double sample(const char *text, const char *prefix)
{
    for (const char *p = text; p && *p;) {
        if (strncmp(p, prefix, strlen(prefix)) == 0)
            return strtod(p + strlen(prefix), NULL);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

START_TEST(metrics_count_requests_by_route_method_status_and_pass_promtool)
{
    start_default();
    struct http_result r;
    for (int i = 0; i < 3; i++) {
        get("/healthz", NULL, &r);
        http_result_free(&r);
    }
    ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate", "application/json", EST_BODY,
                              strlen(EST_BODY), NULL, &r),
                     0);
    http_result_free(&r);
    get("/estimate", NULL, &r);
    http_result_free(&r);
    get("/definitely/not/here", NULL, &r);
    http_result_free(&r);

    /* A request is counted when libmicrohttpd reports it complete, which may be just after its
     * client has the answer (and, on a slow machine or under memcheck, after the next request on
     * another worker has started): scrape until the last one shows, for up to 10 s. */
    for (int tries = 0;; tries++) {
        get("/metrics", NULL, &r);
        ck_assert_int_eq(r.status, 200);
        if ((sample(r.body, "vramfit_http_requests_total{route=\"unmatched\",method=\"GET\","
                            "status=\"404\"} ") == 1 &&
             sample(r.body, "vramfit_http_requests_in_flight ") == 1) ||
            tries == 100)
            break;
        http_result_free(&r);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char v[128];
    header(&r, "Content-Type", v, sizeof(v));
    ck_assert_str_eq(v, "text/plain; version=0.0.4; charset=utf-8");
    const char *m = r.body;
    ck_assert_double_eq(
        sample(m, "vramfit_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} "),
        3);
    ck_assert_double_eq(
        sample(m,
               "vramfit_http_requests_total{route=\"/estimate\",method=\"POST\",status=\"200\"} "),
        1);
    ck_assert_double_eq(
        sample(m,
               "vramfit_http_requests_total{route=\"/estimate\",method=\"GET\",status=\"405\"} "),
        1);
    ck_assert_double_eq(
        sample(m,
               "vramfit_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} "),
        1);
    ck_assert_double_eq(
        sample(m, "vramfit_http_request_duration_seconds_count{route=\"/healthz\"} "), 3);
    ck_assert_double_eq(
        sample(m, "vramfit_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} "),
        3);
    ck_assert_double_eq(sample(m, "vramfit_http_requests_in_flight "), 1); /* this scrape */
    ck_assert_double_eq(sample(m, "vramfit_catalog_skus "), 51);
    ck_assert(sample(m, "vramfit_catalog_age_seconds ") >= 0);
    ck_assert(sample(m, "process_resident_memory_bytes ") > 1e6);
    ck_assert(sample(m, "process_open_fds ") >= 3);
    ck_assert(sample(m, "process_start_time_seconds ") > 1.7e9);
    ck_assert_ptr_nonnull(strstr(m, "vramfit_build_info{version=\"" VRAMFIT_VERSION "\""));

    char path[128];
    snprintf(path, sizeof(path), "/tmp/vramfit-metrics-%d.txt", (int)getpid());
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(r.body, 1, r.len, f);
    fclose(f);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char out[4096] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    unlink(path);
    ck_assert_msg(st == 0 && n == 0, "promtool check metrics (status %d): %s", st, out);
    http_result_free(&r);
    stop();
}
END_TEST

/* The refresher reports each attempt by source: a good price file counts as a success (with its
 * timestamp), a catalog URL that cannot be read as a failure. */
START_TEST(metrics_count_refresh_attempts_and_failures_by_source)
{
    static const char *const args[] = {"--prices-url",
                                       "file://" TEST_DATA_DIR "/prices-gpu-onepage.json",
                                       "--catalog-url",
                                       "file:///nonexistent/vramfit-catalog.json",
                                       "--refresh-interval",
                                       "3600",
                                       NULL};
    start_with(args);
    char *m = NULL;
    for (int i = 0; i < 300; i++) {
        struct http_result r;
        get("/metrics", NULL, &r);
        free(m);
        m = strdup(r.body);
        http_result_free(&r);
        if (sample(m, "vramfit_catalog_refresh_attempts_total{source=\"prices\"} ") >= 1 &&
            sample(m, "vramfit_catalog_refresh_attempts_total{source=\"catalog\"} ") >= 1)
            break;
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    ck_assert_double_ge(sample(m, "vramfit_catalog_refresh_attempts_total{source=\"prices\"} "), 1);
    ck_assert_double_eq(sample(m, "vramfit_catalog_refresh_failures_total{source=\"prices\"} "), 0);
    ck_assert(sample(m, "vramfit_catalog_last_success_timestamp_seconds{source=\"prices\"} ") >
              1.7e9);
    ck_assert_double_ge(sample(m, "vramfit_catalog_refresh_failures_total{source=\"catalog\"} "),
                        1);
    ck_assert_double_eq(
        sample(m, "vramfit_catalog_last_success_timestamp_seconds{source=\"catalog\"} "), 0);
    free(m);
    stop();
}
END_TEST

START_TEST(openapi_is_served_as_yaml_and_json)
{
    start_default();
    struct http_result r;
    get("/openapi.yaml", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    size_t len;
    char *file = testfile_read(TEST_DATA_DIR "/../../openapi.yaml", &len);
    ck_assert_ptr_nonnull(file);
    ck_assert_uint_eq(r.len, len);
    ck_assert(memcmp(r.body, file, len) == 0);
    free(file);
    char v[64];
    header(&r, "Content-Type", v, sizeof(v));
    ck_assert_str_eq(v, "application/yaml");
    http_result_free(&r);

    get("/openapi.json", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    json_error_t jerr;
    json_t *doc = json_loadb(r.body, r.len, 0, &jerr);
    ck_assert_msg(doc != NULL, "openapi.json: %s", jerr.text);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    ck_assert_ptr_nonnull(json_object_get(json_object_get(doc, "paths"), "/estimate"));
    json_decref(doc);
    http_result_free(&r);

    ck_assert_int_eq(testhttp(srv.port, "HEAD", "/openapi.json", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
    stop();
}
END_TEST

/* JSON equality where numbers compare by value: the spec's 14.0 reaches us as the integer 14. */
static bool same_json(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a)) {
        const char *k;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_foreach(a, k, v) if (!same_json(v, json_object_get(b, k))) return false;
        return true;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!same_json(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    return json_equal(a, b);
}

/* "examples that are real outputs": each named /estimate request example of openapi.yaml, posted
 * to the server, must answer exactly the response example of the same name (--today fixed). */
START_TEST(openapi_estimate_examples_are_real_outputs)
{
    start_default();
    json_error_t jerr;
    json_t *spec = json_load_file(TEST_DATA_DIR "/../../config/openapi.json", 0, &jerr);
    ck_assert_msg(spec != NULL, "config/openapi.json: %s", jerr.text);
    json_t *post =
        json_object_get(json_object_get(json_object_get(spec, "paths"), "/estimate"), "post");
    json_t *reqs = json_object_get(
        json_object_get(json_object_get(json_object_get(post, "requestBody"), "content"),
                        "application/json"),
        "examples");
    json_t *resps = json_object_get(
        json_object_get(
            json_object_get(json_object_get(json_object_get(post, "responses"), "200"), "content"),
            "application/json"),
        "examples");
    ck_assert_int_ge(json_object_size(reqs), 2);
    const char *name;
    json_t *ex;
    json_object_foreach(reqs, name, ex)
    {
        json_t *want = json_object_get(json_object_get(resps, name), "value");
        ck_assert_msg(want != NULL, "no 200 response example named %s", name);
        char *body = json_dumps(json_object_get(ex, "value"), JSON_COMPACT);
        struct http_result r;
        ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate", "application/json", body,
                                  strlen(body), NULL, &r),
                         0);
        ck_assert_int_eq(r.status, 200);
        json_t *got = json_loadb(r.body, r.len, 0, &jerr);
        ck_assert_ptr_nonnull(got);
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
        ck_assert_msg(same_json(got, want), "example %s:\n got  %s\n spec %s", name, g, w);
        free(g);
        free(w);
        free(body);
        json_decref(got);
        http_result_free(&r);
    }
    json_decref(spec);
    stop();
}
END_TEST

START_TEST(every_route_answers_once_for_the_contract_check)
{
    /* Exercises the routes and error statuses the other suites don't, so the contract check
     * (make test) sees each operation of openapi.yaml at least once. */
    start_default();
    struct http_result r;
    const char *gets[] = {"/readyz", "/readyz?pretty=1", "/skus?pretty=0", "/metrics?pretty=1",
                          "/openapi.yaml?pretty=1"};
    for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
        get(gets[i], NULL, &r);
        ck_assert_int_eq(r.status, 200);
        http_result_free(&r);
    }
    const char *opts[] = {"/healthz",
                          "/readyz",
                          "/metrics",
                          "/openapi.yaml",
                          "/openapi.json",
                          "/models",
                          "/models/mixtral-8x7b"};
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        ck_assert_int_eq(testhttp(srv.port, "OPTIONS", opts[i], NULL, NULL, 0,
                                  "Origin: http://localhost:3000", &r),
                         0);
        ck_assert_int_eq(r.status, 204);
        http_result_free(&r);
    }
    ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate", "text/plain", "x", 1, NULL, &r), 0);
    ck_assert_int_eq(r.status, 415);
    http_result_free(&r);
    ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate", "application/json", "{\"params_b\":7}",
                              14, NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 400);
    http_result_free(&r);
    ck_assert_int_eq(testhttp(srv.port, "POST", "/skus", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 405);
    char v[64];
    header(&r, "Allow", v, sizeof(v));
    ck_assert_str_eq(v, "GET, HEAD, OPTIONS");
    http_result_free(&r);
    stop();
}
END_TEST

START_TEST(log_level_warn_silences_request_lines)
{
    static const char *const args[] = {"--log-level", "warn", NULL};
    start_with(args);
    struct http_result r;
    get("/healthz", NULL, &r);
    http_result_free(&r);
    /* Request lines are flushed within 100 ms: read after 500 ms, or an absence proves nothing. */
    nanosleep(&(struct timespec){0, 500 * 1000 * 1000}, NULL);
    char *log = testsrv_log(&srv);
    ck_assert_ptr_nonnull(strstr(log, "\"event\":\"listening\"")); /* the right log */
    ck_assert_ptr_null(strstr(log, "\"event\":\"request\""));
    free(log);
    stop();
}
END_TEST

static Suite *face_suite(void)
{
    Suite *s = suite_create("face");
    TCase *tc = tcase_create("face");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, cors_default_allows_any_origin_on_every_response_including_errors);
    tcase_add_test(tc, preflight_is_204_with_methods_headers_and_max_age);
    tcase_add_test(tc, cors_origin_list_echoes_only_listed_origins);
    tcase_add_test(tc, cors_can_be_turned_off);
    tcase_add_test(tc, request_id_is_echoed_generated_or_replaced_and_logged);
    tcase_add_test(tc, pretty_indents_for_humans_and_compact_for_machines);
    tcase_add_test(tc, gzip_large_bodies_when_accepted_only);
    tcase_add_test(tc, metrics_count_requests_by_route_method_status_and_pass_promtool);
    tcase_add_test(tc, metrics_count_refresh_attempts_and_failures_by_source);
    tcase_add_test(tc, openapi_is_served_as_yaml_and_json);
    tcase_add_test(tc, openapi_estimate_examples_are_real_outputs);
    tcase_add_test(tc, every_route_answers_once_for_the_contract_check);
    tcase_add_test(tc, log_level_warn_silences_request_lines);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(face_suite)
