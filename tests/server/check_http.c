/* check_http.c - integration: the real binary on an ephemeral port, every route and error status.
 */
#include "support/check_util.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "support/testsrv.h"

#define SEED_BODY                                                                                  \
    "{\"params_b\":685,\"layers\":61,\"hidden\":7168,\"ctx\":4096,\"precision\":\"fp16\","         \
    "\"moe_active_ratio\":0.05}"
#define DENSE_BODY                                                                                 \
    "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}"

static struct testsrv srv;

static void start_default(void)
{
    const char *args[] = {"--today", "2026-11-23", NULL};
    ck_assert_int_eq(testsrv_start(&srv, args), 0);
}

static void stop_default(void)
{
    int status = -1;
    testsrv_stop(&srv, SIGTERM, 15, &status);
}

static json_t *post_json(const char *body, long expect_status)
{
    struct http_result r;
    ck_assert_int_eq(
        testhttp(srv.port, "POST", "/estimate", "application/json", body, strlen(body), NULL, &r),
        0);
    ck_assert_msg(r.status == expect_status, "status %ld, body %s", r.status, r.body);
    json_error_t jerr;
    json_t *j = json_loads(r.body, 0, &jerr);
    ck_assert_msg(j != NULL, "not JSON: %s", r.body);
    char ct[128];
    ck_assert_int_eq(http_result_header(&r, "Content-Type", ct, sizeof(ct)), 0);
    ck_assert_str_eq(ct, "application/json");
    http_result_free(&r);
    return j;
}

static void assert_error(json_t *j, const char *code, const char *field)
{
    json_t *e = json_object_get(j, "error");
    ck_assert_msg(json_is_object(e), "no error object");
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
    ck_assert(json_string_length(json_object_get(e, "message")) > 10);
    if (field)
        ck_assert_str_eq(json_string_value(json_object_get(e, "field")), field);
    else
        ck_assert_ptr_null(json_object_get(e, "field"));
}

static double num(json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    ck_assert_msg(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

START_TEST(estimate_returns_the_seed_worked_example)
{
    json_t *j = post_json(SEED_BODY, 200);
    ck_assert_rel(num(j, "params_active_b"), 99.325, 1e-12);
    ck_assert_rel(num(j, "weights_active_gb"), 198.65, 1e-12);
    ck_assert_rel(num(j, "weights_gb"), 198.65, 1e-12);
    ck_assert_rel(num(j, "weights_footprint_gb"), 1370, 1e-12);
    ck_assert_rel(num(j, "kv_gb"), 7.163871232, 1e-12);
    ck_assert_rel(num(j, "total_gb"), 1.2 * (1370 + 7.163871232), 1e-12);
    ck_assert_rel(num(j, "total_footprint_gb"), 1.2 * (1370 + 7.163871232), 1e-12);
    ck_assert_rel(num(j, "total_active_gb"), 1.2 * (198.65 + 7.163871232), 1e-12);
    /* No single VM holds 1.65 TB: the answer says so and how much the largest VM has. */
    ck_assert(json_is_null(json_object_get(j, "sku")));
    ck_assert_int_eq((int)num(j, "gpus"), 0);
    ck_assert(json_is_false(json_object_get(j, "fits")));
    const char *reason = json_string_value(json_object_get(j, "reason"));
    ck_assert_ptr_nonnull(reason);
    ck_assert_msg(strstr(reason, "1652.6 GB") && strstr(reason, "Standard_ND96isr_MI300X_v5") &&
                      strstr(reason, "1536 GB"),
                  "%s", reason);
    json_t *as = json_object_get(j, "assumptions");
    ck_assert(json_array_size(as) >= 2);
    json_decref(j);
}
END_TEST

START_TEST(estimate_picks_a_vm_and_echoes_the_chosen_entry)
{
    json_t *j = post_json(DENSE_BODY, 200);
    ck_assert(json_is_true(json_object_get(j, "fits")));
    ck_assert_int_eq((int)num(j, "gpus"), 2);
    json_t *sku = json_object_get(j, "sku");
    ck_assert_str_eq(json_string_value(json_object_get(sku, "sku")), "Standard_NC64as_T4_v3");
    ck_assert_int_eq((int)num(sku, "gpus_per_vm"), 4);
    ck_assert(num(sku, "vram_gb") == 16);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(sku, "docs_url")));
    ck_assert(json_is_false(json_object_get(sku, "retired")));
    ck_assert_ptr_null(json_object_get(j, "reason"));
    json_t *in = json_object_get(j, "input");
    ck_assert_int_eq((int)num(in, "batch"), 1);
    json_decref(j);
}
END_TEST

START_TEST(ctx_len_alias_gives_the_same_answer_as_ctx)
{
    json_t *a = post_json(DENSE_BODY, 200);
    json_t *b = post_json("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx_len\":4096,"
                          "\"precision\":\"fp16\"}",
                          200);
    ck_assert(num(a, "total_gb") == num(b, "total_gb"));
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(invalid_fields_get_400_naming_the_field)
{
    json_t *j = post_json("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx_length\":4096,"
                          "\"precision\":\"fp16\"}",
                          400);
    assert_error(j, "unknown_field", "ctx_length");
    json_decref(j);
    j = post_json("{\"params_b\":7,\"layers\":32.5,\"hidden\":4096,\"ctx\":4096,\"precision\":"
                  "\"fp16\"}",
                  400);
    assert_error(j, "invalid_type", "layers");
    json_decref(j);
    j = post_json("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":"
                  "\"fp12\"}",
                  400);
    assert_error(j, "invalid_value", "precision");
    ck_assert(strstr(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                     "fp32, fp16, bf16, int8, int4"));
    json_decref(j);
}
END_TEST

START_TEST(malformed_json_gets_400_with_line_and_column)
{
    json_t *j = post_json("{\n\"params_b\": 7,\n\"layers\": }", 400);
    assert_error(j, "malformed_json", NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    ck_assert_msg(strstr(msg, "line 3") && strstr(msg, "column"), "%s", msg);
    json_decref(j);
    j = post_json("[]", 400);
    assert_error(j, "invalid_body", NULL);
    json_decref(j);
}
END_TEST

START_TEST(wrong_content_type_gets_415_and_json_with_charset_is_fine)
{
    struct http_result r;
    ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate", "application/x-www-form-urlencoded",
                              DENSE_BODY, strlen(DENSE_BODY), NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 415);
    ck_assert(strstr(r.body, "unsupported_media_type") && strstr(r.body, "application/json"));
    http_result_free(&r);
    ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate", "Application/JSON; charset=utf-8",
                              DENSE_BODY, strlen(DENSE_BODY), NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
}
END_TEST

START_TEST(wrong_method_gets_405_with_allow)
{
    struct http_result r;
    char allow[64];
    ck_assert_int_eq(testhttp(srv.port, "GET", "/estimate", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_int_eq(http_result_header(&r, "Allow", allow, sizeof(allow)), 0);
    ck_assert_str_eq(allow, "POST, OPTIONS");
    ck_assert(strstr(r.body, "method_not_allowed"));
    http_result_free(&r);
    ck_assert_int_eq(testhttp(srv.port, "DELETE", "/skus", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_int_eq(http_result_header(&r, "Allow", allow, sizeof(allow)), 0);
    ck_assert_str_eq(allow, "GET, HEAD, OPTIONS");
    http_result_free(&r);
}
END_TEST

START_TEST(unknown_path_gets_404_json)
{
    struct http_result r;
    ck_assert_int_eq(testhttp(srv.port, "GET", "/nope?x=1", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 404);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_error(j, "not_found", NULL);
    json_decref(j);
    http_result_free(&r);
}
END_TEST

static char *big_body(size_t n)
{
    char *b = malloc(n + 1);
    ck_assert_ptr_nonnull(b);
    memset(b, ' ', n);
    memcpy(b, DENSE_BODY, strlen(DENSE_BODY)); /* valid JSON padded with whitespace */
    b[n] = '\0';
    return b;
}

START_TEST(body_over_64k_gets_413_and_exactly_64k_is_accepted)
{
    struct http_result r;
    char *b = big_body(64 * 1024);
    ck_assert_int_eq(
        testhttp(srv.port, "POST", "/estimate", "application/json", b, 64 * 1024, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
    free(b);
    b = big_body(64 * 1024 + 1);
    ck_assert_int_eq(
        testhttp(srv.port, "POST", "/estimate", "application/json", b, 64 * 1024 + 1, NULL, &r), 0);
    ck_assert_int_eq(r.status, 413);
    ck_assert(strstr(r.body, "body_too_large"));
    http_result_free(&r);
    free(b);
}
END_TEST

START_TEST(one_mebibyte_body_gets_413)
{
    struct http_result r;
    char *b = big_body(1024 * 1024);
    ck_assert_int_eq(
        testhttp(srv.port, "POST", "/estimate", "application/json", b, 1024 * 1024, NULL, &r), 0);
    ck_assert_int_eq(r.status, 413);
    http_result_free(&r);
    free(b);
    /* The server is still there. */
    ck_assert_int_eq(testhttp(srv.port, "GET", "/healthz", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    http_result_free(&r);
}
END_TEST

START_TEST(chunked_body_over_the_limit_gets_413)
{
    int fd = testraw_connect(srv.port);
    ck_assert_int_ge(fd, 0);
    const char *head = "POST /estimate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(testraw_send(fd, head, strlen(head)), 0);
    char chunk[8192 + 16];
    memset(chunk, ' ', sizeof(chunk));
    int hl = snprintf(chunk, sizeof(chunk), "2000\r\n");
    chunk[hl] = ' ';
    memcpy(chunk + hl + 8192, "\r\n", 2);
    for (int i = 0; i < 12; i++) /* 96 KiB in 8 KiB chunks */
        ck_assert_int_eq(testraw_send(fd, chunk, (size_t)hl + 8192 + 2), 0);
    ck_assert_int_eq(testraw_send(fd, "0\r\n\r\n", 5), 0);
    char resp[4096];
    testraw_recv(fd, resp, sizeof(resp), 3000);
    close(fd);
    ck_assert_int_eq(testraw_status(resp), 413);
}
END_TEST

START_TEST(chunked_body_under_the_limit_is_served)
{
    int fd = testraw_connect(srv.port);
    ck_assert_int_ge(fd, 0);
    char req[1024];
    int n =
        snprintf(req, sizeof(req),
                 "POST /estimate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
                 strlen(DENSE_BODY), DENSE_BODY);
    ck_assert_int_eq(testraw_send(fd, req, (size_t)n), 0);
    char resp[8192];
    testraw_recv(fd, resp, sizeof(resp), 3000);
    close(fd);
    ck_assert_int_eq(testraw_status(resp), 200);
    ck_assert(strstr(resp, "Standard_NC64as_T4_v3"));
}
END_TEST

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(slow_body_in_pieces_is_served)
{
    int fd = testraw_connect(srv.port);
    ck_assert_int_ge(fd, 0);
    char head[256];
    size_t blen = strlen(DENSE_BODY);
    int n = snprintf(head, sizeof(head),
                     "POST /estimate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     blen);
    ck_assert_int_eq(testraw_send(fd, head, (size_t)n), 0);
    for (size_t off = 0; off < blen; off += 10) {
        size_t k = blen - off < 10 ? blen - off : 10;
        ck_assert_int_eq(testraw_send(fd, &DENSE_BODY[off], k), 0);
        sleep_ms(30);
    }
    char resp[8192];
    testraw_recv(fd, resp, sizeof(resp), 3000);
    close(fd);
    ck_assert_int_eq(testraw_status(resp), 200);
}
END_TEST

START_TEST(abandoned_partial_body_does_not_hurt_the_server)
{
    for (int i = 0; i < 20; i++) {
        int fd = testraw_connect(srv.port);
        ck_assert_int_ge(fd, 0);
        const char *req = "POST /estimate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: 500\r\n\r\n{\"params_b\": 7, \"lay";
        ck_assert_int_eq(testraw_send(fd, req, strlen(req)), 0);
        /* Most hang up at once (libmicrohttpd may then drop the connection before any handler
         * runs); the first few wait until the request is surely being read, then hang up. */
        if (i < 3)
            sleep_ms(300);
        close(fd);
    }
    json_t *j = post_json(DENSE_BODY, 200);
    json_decref(j);
    /* The worker thread may log the aborts a little after our request: poll. */
    bool seen = false;
    for (int i = 0; i < 200 && !seen; i++) {
        char *log = testsrv_log(&srv);
        seen = log && strstr(log, "\"outcome\":\"client_abort\"") != NULL;
        free(log);
        if (!seen)
            sleep_ms(10);
    }
    ck_assert_msg(seen, "aborts not logged");
}
END_TEST

START_TEST(skus_lists_every_size_in_choice_order_with_retirement)
{
    struct http_result r;
    ck_assert_int_eq(
        testhttp(srv.port, "GET", "/skus?include_retired=true", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq((int)num(j, "count"), 51);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "embedded");
    ck_assert_str_eq(json_string_value(json_object_get(j, "today")), "2026-11-23");
    json_t *skus = json_object_get(j, "skus");
    ck_assert_uint_eq(json_array_size(skus), 51);
    double prev = 0;
    int retired = 0;
    for (size_t i = 0; i < json_array_size(skus); i++) {
        json_t *s = json_array_get(skus, i);
        ck_assert(num(s, "vram_gb") >= prev);
        prev = num(s, "vram_gb");
        if (json_is_true(json_object_get(s, "retired")))
            retired++;
    }
    /* NCv3 (4 sizes, 2025-09-30), NVv4 (4) and NVv3 (3) (2026-09-30). */
    ck_assert_int_eq(retired, 11);
    ck_assert_int_eq((int)num(j, "retired"), 11);
    json_decref(j);
    http_result_free(&r);
}
END_TEST

START_TEST(health_and_readiness_answer_json)
{
    struct http_result r;
    ck_assert_int_eq(testhttp(srv.port, "GET", "/healthz", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"status\":\"ok\"}\n");
    http_result_free(&r);
    ck_assert_int_eq(testhttp(srv.port, "GET", "/readyz", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert(strstr(r.body, "\"status\":\"ready\""));
    http_result_free(&r);
    ck_assert_int_eq(testhttp(srv.port, "HEAD", "/healthz", NULL, NULL, 0, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.len, 0);
    http_result_free(&r);
}
END_TEST

struct hammer {
    int port;
    int ok;
    int n;
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < h->n; i++) {
        struct http_result r;
        const char *body = (i % 2) ? SEED_BODY : DENSE_BODY;
        if (i % 5 == 4) {
            if (testhttp(h->port, "GET", "/skus?include_retired=true", NULL, NULL, 0, NULL, &r) ==
                    0 &&
                r.status == 200 && strstr(r.body, "\"count\":51"))
                h->ok++;
        } else if (testhttp(h->port, "POST", "/estimate", "application/json", body, strlen(body),
                            NULL, &r) == 0 &&
                   r.status == 200 &&
                   strstr(r.body, (i % 2) ? "\"fits\":false" : "Standard_NC64as_T4_v3")) {
            h->ok++;
        }
        http_result_free(&r);
    }
    return NULL;
}

START_TEST(many_concurrent_requests_all_succeed)
{
    enum { THREADS = 8, PER = 60 };
    pthread_t t[THREADS];
    struct hammer h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (struct hammer){srv.port, 0, PER};
        ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_thread, &h[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += h[i].ok;
    }
    ck_assert_int_eq(ok, THREADS * PER);
}
END_TEST

START_TEST(pipelined_requests_on_one_connection_are_all_answered)
{
    int fd = testraw_connect(srv.port);
    ck_assert_int_ge(fd, 0);
    const char *reqs = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(testraw_send(fd, reqs, strlen(reqs)), 0);
    char resp[8192];
    testraw_recv(fd, resp, sizeof(resp), 3000);
    close(fd);
    int count = 0;
    for (const char *p = resp; (p = strstr(p, "HTTP/1.1 200")) != NULL; p++)
        count++;
    ck_assert_int_eq(count, 3);
}
END_TEST

/* SIGTERM while a request is in flight: it completes, then the process exits 0. */
START_TEST(sigterm_lets_in_flight_requests_finish_and_exits_zero)
{
    int fd = testraw_connect(srv.port);
    ck_assert_int_ge(fd, 0);
    char head[256];
    size_t blen = strlen(DENSE_BODY);
    int n = snprintf(head, sizeof(head),
                     "POST /estimate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     blen);
    ck_assert_int_eq(testraw_send(fd, head, (size_t)n), 0);
    ck_assert_int_eq(testraw_send(fd, DENSE_BODY, 20), 0);
    sleep_ms(100);
    kill(srv.pid, SIGTERM);
    sleep_ms(200);
    /* New connections are refused once the listener is quiesced. */
    ck_assert_int_lt(testraw_connect(srv.port), 0);
    ck_assert_int_eq(testraw_send(fd, &DENSE_BODY[20], blen - 20), 0);
    char resp[8192];
    testraw_recv(fd, resp, sizeof(resp), 3000);
    close(fd);
    ck_assert_int_eq(testraw_status(resp), 200);
    ck_assert_msg(strstr(resp, "Connection: close") != NULL, "%s", resp);
    int status = -1;
    ck_assert_int_eq(testsrv_stop(&srv, SIGTERM, 10, &status), 0);
    ck_assert_int_eq(status, 0);
}
END_TEST

static Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("routes");
    tcase_add_checked_fixture(tc, start_default, stop_default);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, estimate_returns_the_seed_worked_example);
    tcase_add_test(tc, estimate_picks_a_vm_and_echoes_the_chosen_entry);
    tcase_add_test(tc, ctx_len_alias_gives_the_same_answer_as_ctx);
    tcase_add_test(tc, invalid_fields_get_400_naming_the_field);
    tcase_add_test(tc, malformed_json_gets_400_with_line_and_column);
    tcase_add_test(tc, wrong_content_type_gets_415_and_json_with_charset_is_fine);
    tcase_add_test(tc, wrong_method_gets_405_with_allow);
    tcase_add_test(tc, unknown_path_gets_404_json);
    tcase_add_test(tc, body_over_64k_gets_413_and_exactly_64k_is_accepted);
    tcase_add_test(tc, one_mebibyte_body_gets_413);
    tcase_add_test(tc, chunked_body_over_the_limit_gets_413);
    tcase_add_test(tc, chunked_body_under_the_limit_is_served);
    tcase_add_test(tc, slow_body_in_pieces_is_served);
    tcase_add_test(tc, abandoned_partial_body_does_not_hurt_the_server);
    tcase_add_test(tc, skus_lists_every_size_in_choice_order_with_retirement);
    tcase_add_test(tc, health_and_readiness_answer_json);
    tcase_add_test(tc, many_concurrent_requests_all_succeed);
    tcase_add_test(tc, pipelined_requests_on_one_connection_are_all_answered);
    tcase_add_test(tc, sigterm_lets_in_flight_requests_finish_and_exits_zero);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(http_suite)
