/* check_fetchproto.c - the server <-> vramfit-fetch protocol: round trips and broken helpers. */
#include "support/check_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch/fetchproto.h"

static const struct fetch_request REQ = {.url = "https://example.test/c.json",
                                         .etag = "\"v1\"",
                                         .last_modified = "Mon, 23 Nov 2026 10:00:00 GMT",
                                         .max_bytes = 100,
                                         .connect_timeout_s = 5,
                                         .timeout_s = 30,
                                         .origin = NULL};

/* What the helper writes for (rc, resp, error), read back through a pipe. */
static char *helper_output(int rc, const struct fetch_response *resp, const char *error,
                           size_t *len)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(fetchproto_write_reply(p[1], rc, resp, error), 0);
    close(p[1]);
    char *b = malloc(65536);
    ck_assert_ptr_nonnull(b);
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], b + n, 65536 - n)) > 0)
        n += (size_t)r;
    close(p[0]);
    *len = n;
    return b;
}

START_TEST(request_line_round_trips_every_field)
{
    char *line = fetchproto_request_line(&REQ);
    ck_assert_ptr_nonnull(line);
    json_t *doc = NULL;
    struct fetch_request back;
    char err[256];
    ck_assert_int_eq(fetchproto_read_request(line, strlen(line), &doc, &back, err, sizeof(err)), 0);
    ck_assert_str_eq(back.url, REQ.url);
    ck_assert_str_eq(back.etag, REQ.etag);
    ck_assert_str_eq(back.last_modified, REQ.last_modified);
    ck_assert_uint_eq(back.max_bytes, 100);
    ck_assert_int_eq(back.connect_timeout_s, 5);
    ck_assert_int_eq(back.timeout_s, 30);
    json_decref(doc);
    free(line);
}
END_TEST

START_TEST(request_with_unknown_field_or_zero_limit_is_refused)
{
    json_t *doc = NULL;
    struct fetch_request back;
    char err[256];
    const char *extra = "{\"url\":\"u\",\"etag\":\"\",\"last_modified\":\"\",\"max_bytes\":1,"
                        "\"connect_timeout_s\":1,\"timeout_s\":1,\"insecure\":true}";
    ck_assert_int_eq(fetchproto_read_request(extra, strlen(extra), &doc, &back, err, sizeof(err)),
                     -1);
    const char *zero = "{\"url\":\"u\",\"etag\":\"\",\"last_modified\":\"\",\"max_bytes\":0,"
                       "\"connect_timeout_s\":1,\"timeout_s\":1}";
    ck_assert_int_eq(fetchproto_read_request(zero, strlen(zero), &doc, &back, err, sizeof(err)),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "non-positive"));
}
END_TEST

START_TEST(body_with_newlines_and_nul_bytes_comes_back_exactly)
{
    char body[] = "{\"a\":\n1}\0tail";
    struct fetch_response resp = {.status = 200, .body = body, .len = sizeof(body) - 1};
    strcpy(resp.etag, "\"e\\\"tag\"\n");
    size_t len;
    char *out = helper_output(0, &resp, NULL, &len);
    struct fetch_response got;
    char err[256];
    ck_assert_int_eq(fetchproto_parse_reply(out, len, &REQ, &got, err, sizeof(err)), 0);
    ck_assert_int_eq(got.status, 200);
    ck_assert_uint_eq(got.len, sizeof(body) - 1);
    ck_assert_mem_eq(got.body, body, sizeof(body) - 1);
    ck_assert_str_eq(got.etag, resp.etag);
    fetch_response_free(&got);
    free(out);
}
END_TEST

START_TEST(not_modified_has_no_body)
{
    struct fetch_response resp = {.status = 304};
    strcpy(resp.etag, "\"v1\"");
    size_t len;
    char *out = helper_output(0, &resp, NULL, &len);
    struct fetch_response got;
    char err[256];
    ck_assert_int_eq(fetchproto_parse_reply(out, len, &REQ, &got, err, sizeof(err)), 0);
    ck_assert_int_eq(got.status, 304);
    ck_assert_ptr_null(got.body);
    ck_assert_str_eq(got.etag, "\"v1\"");
    free(out);
}
END_TEST

START_TEST(helper_error_is_passed_on_verbatim)
{
    size_t len;
    char *out = helper_output(-1, NULL, "Timeout was reached fetching https://example.test/", &len);
    struct fetch_response got;
    char err[256];
    ck_assert_int_eq(fetchproto_parse_reply(out, len, &REQ, &got, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "Timeout was reached fetching https://example.test/");
    free(out);
}
END_TEST

/* A helper that died mid-body, lied about the length, said nothing, or sent more than allowed. */
START_TEST(truncated_garbled_or_oversized_answers_are_errors)
{
    char body[64];
    memset(body, 'x', sizeof(body));
    struct fetch_response resp = {.status = 200, .body = body, .len = sizeof(body)};
    size_t len;
    char *out = helper_output(0, &resp, NULL, &len);
    struct fetch_response got;
    char err[256];
    ck_assert_int_eq(fetchproto_parse_reply(out, len - 1, &REQ, &got, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "inconsistent"));
    ck_assert_int_eq(fetchproto_parse_reply(out, 0, &REQ, &got, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "no answer"));
    ck_assert_int_eq(fetchproto_parse_reply("{\"ok\":tru\n", 10, &REQ, &got, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "garbled"));
    struct fetch_request small = REQ;
    small.max_bytes = sizeof(body) - 1;
    ck_assert_int_eq(fetchproto_parse_reply(out, len, &small, &got, err, sizeof(err)), -1);
    ck_assert_int_eq(fetchproto_parse_reply(out, len, &REQ, &got, err, sizeof(err)), 0);
    fetch_response_free(&got);
    free(out);
}
END_TEST

/* RFC 9110 field values may hold obs-text (0x80-0xFF), which is not UTF-8: the helper used to
 * fail to write its answer (exit 1) and every refresh failed. The bytes now travel as ISO 8859-1
 * text and come back byte for byte when sent as validators. */
START_TEST(obs_text_validators_survive_the_reply_and_return_as_the_same_bytes)
{
    struct fetch_response resp = {.status = 200, .body = (char[]){"{}"}, .len = 2};
    strcpy(resp.etag, "\"caf\xe9-\xff\"");
    strcpy(resp.last_modified, "Thu, 01 Jan 2026 00:00:00 GMT \xa0");
    size_t len;
    char *out = helper_output(0, &resp, NULL, &len);
    struct fetch_response got;
    char err[256], bytes[256];
    ck_assert_int_eq(fetchproto_parse_reply(out, len, &REQ, &got, err, sizeof(err)), 0);
    ck_assert_str_eq(got.etag, "\"caf\u00e9-\u00ff\"");
    ck_assert_int_eq(fetchproto_header_bytes(got.etag, bytes, sizeof(bytes)), 0);
    ck_assert_str_eq(bytes, resp.etag);
    ck_assert_int_eq(fetchproto_header_bytes(got.last_modified, bytes, sizeof(bytes)), 0);
    ck_assert_str_eq(bytes, resp.last_modified);
    fetch_response_free(&got);
    free(out);
}
END_TEST

START_TEST(header_text_that_no_header_byte_makes_is_refused)
{
    char bytes[8];
    ck_assert_int_eq(fetchproto_header_bytes("\u20ac", bytes, sizeof(bytes)), -EINVAL);
    ck_assert_int_eq(fetchproto_header_bytes("\xc3", bytes, sizeof(bytes)), -EINVAL);
    ck_assert_int_eq(fetchproto_header_bytes("12345678", bytes, sizeof(bytes)), -E2BIG);
    char text[8];
    fetchproto_header_text("\xe9\xe9\xe9\xe9", text, sizeof(text)); /* 8 bytes + NUL: no room */
    ck_assert_str_eq(text, "");
    fetchproto_header_text("\xe9\xe9\xe9", text, sizeof(text));
    ck_assert_str_eq(text, "\u00e9\u00e9\u00e9");
}
END_TEST

START_TEST(error_text_that_is_not_utf8_is_still_reported)
{
    size_t len;
    char *out = helper_output(-1, NULL, "Weird server reply (\xff\xfe) fetching x", &len);
    struct fetch_response got;
    char err[256];
    ck_assert_int_eq(fetchproto_parse_reply(out, len, &REQ, &got, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "Weird server reply (\?\?) fetching x");
    free(out);
}
END_TEST

START_TEST(request_line_carries_the_redirect_origin_and_may_omit_it)
{
    struct fetch_request req = REQ;
    req.origin = "https://prices.example.test/api";
    char *line = fetchproto_request_line(&req);
    json_t *doc = NULL;
    struct fetch_request back;
    char err[256];
    ck_assert_int_eq(fetchproto_read_request(line, strlen(line), &doc, &back, err, sizeof(err)), 0);
    ck_assert_str_eq(back.origin, req.origin);
    json_decref(doc);
    free(line);
    const char *old = "{\"url\":\"u\",\"etag\":\"\",\"last_modified\":\"\",\"max_bytes\":1,"
                      "\"connect_timeout_s\":1,\"timeout_s\":1}";
    ck_assert_int_eq(fetchproto_read_request(old, strlen(old), &doc, &back, err, sizeof(err)), 0);
    ck_assert_ptr_null(back.origin);
    json_decref(doc);
}
END_TEST

static Suite *fetchproto_suite(void)
{
    Suite *s = suite_create("fetchproto");
    TCase *tc = tcase_create("proto");
    tcase_add_test(tc, request_line_round_trips_every_field);
    tcase_add_test(tc, request_with_unknown_field_or_zero_limit_is_refused);
    tcase_add_test(tc, body_with_newlines_and_nul_bytes_comes_back_exactly);
    tcase_add_test(tc, not_modified_has_no_body);
    tcase_add_test(tc, helper_error_is_passed_on_verbatim);
    tcase_add_test(tc, truncated_garbled_or_oversized_answers_are_errors);
    tcase_add_test(tc, obs_text_validators_survive_the_reply_and_return_as_the_same_bytes);
    tcase_add_test(tc, header_text_that_no_header_byte_makes_is_refused);
    tcase_add_test(tc, error_text_that_is_not_utf8_is_still_reported);
    tcase_add_test(tc, request_line_carries_the_redirect_origin_and_may_omit_it);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(fetchproto_suite)
