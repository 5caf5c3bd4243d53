/* check_jsonout.c - shortest round-trip reals, and output that jansson reads back identically. */
#include "support/check_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/jsonout.h"

static void expect_real(double d, const char *text)
{
    char out[40];
    ck_assert_int_gt(jsonout_real(out, sizeof(out), d), 0);
    ck_assert_str_eq(out, text);
    ck_assert(strtod(out, NULL) == d);
}

START_TEST(reals_use_the_fewest_digits_that_round_trip)
{
    expect_real(198.65, "198.65");
    expect_real(99.325, "99.325");
    expect_real(0.1, "0.1");
    expect_real(1370.0, "1370.0");
    expect_real(0.1 + 0.2, "0.30000000000000004");
    expect_real(1e-9, "1e-09");
    expect_real(2.0 / 3.0, "0.6666666666666666");
    expect_real(1e300, "1e+300");
    expect_real(-2.5, "-2.5");
    expect_real(5e-324, "4.94065645841247e-324");
    expect_real(7.163871232, "7.163871232");
    char out[40];
    ck_assert_int_eq(jsonout_real(out, sizeof(out), NAN), -1);
    ck_assert_int_eq(jsonout_real(out, sizeof(out), INFINITY), -1);
}
END_TEST

START_TEST(compact_output_matches_jansson_except_for_real_digits)
{
    const char *text = "{\"a\":1,\"b\":[true,false,null,\"x\\\"y\\\\z\\n\\u0001\\u00e9\"],"
                       "\"c\":{\"d\":-7,\"e\":[]},\"f\":{},\"g\":\"\\/\"}";
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    char *ours = jsonout_dumps(j, 0, NULL);
    char *theirs = json_dumps(j, JSON_COMPACT);
    ck_assert_str_eq(ours, theirs);
    free(ours);
    free(theirs);
    json_decref(j);
}
END_TEST

START_TEST(indented_output_matches_jansson_layout)
{
    json_t *j = json_loads("{\"a\":[1,{\"b\":null}],\"c\":{},\"d\":[]}", 0, NULL);
    char *ours = jsonout_dumps(j, 2, NULL);
    char *theirs = json_dumps(j, JSON_INDENT(2));
    ck_assert_str_eq(ours, theirs);
    free(ours);
    free(theirs);
    json_decref(j);
}
END_TEST

START_TEST(random_documents_read_back_equal)
{
    unsigned int seed = 12345;
    for (int n = 0; n < 2000; n++) {
        json_t *obj = json_object();
        for (int k = 0; k < 8; k++) {
            char key[16];
            snprintf(key, sizeof(key), "k%d", k);
            seed = seed * 1103515245u + 12345u;
            double d = (double)seed / 7919.0 * ((seed & 1) ? 1e-7 : 1e5);
            json_object_set_new(obj, key, json_real(d));
        }
        json_object_set_new(obj, "i", json_integer((json_int_t)seed - 2000000000));
        size_t len = 0;
        char *text = jsonout_dumps(obj, n % 3, &len);
        ck_assert_uint_eq(len, strlen(text));
        json_t *back = json_loads(text, 0, NULL);
        ck_assert_msg(json_equal(obj, back), "%s", text);
        json_decref(back);
        free(text);
        json_decref(obj);
    }
}
END_TEST

/* The printf-free paths (<= 15 digits, and 16/17 digits via extended precision) must print
 * exactly what the definition says: the first of %.15g, %.16g, %.17g that reads back. Checked
 * against that definition on values shaped like the estimator's (products and sums of short
 * decimals, which carry 16-17 digit noise), short decimals, and random bit patterns. */
static int reference_real(char *dst, size_t n, double d)
{
    int len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(dst, n, "%.*g", prec, d);
        if (strtod(dst, NULL) == d)
            break;
    }
    if (strpbrk(dst, ".eE") == NULL) {
        memcpy(dst + len, ".0", 3);
        len += 2;
    }
    return len;
}

START_TEST(fast_real_paths_print_exactly_the_reference_digits)
{
    unsigned long long x = 88172645463325252ULL;
    static const double edge[] = {0.0,
                                  -0.0,
                                  1e-4,
                                  9.999999999999999e-5,
                                  1e15,
                                  999999999999999.0,
                                  1e15 - 0.125,
                                  123456789012345.6,
                                  0.5,
                                  46.7 * 0.28 * 2.2,
                                  1.2 * (198.65 + 7.163871232)};
    char ours[48], ref[48];
    for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++) {
        jsonout_real(ours, sizeof(ours), edge[i]);
        reference_real(ref, sizeof(ref), edge[i]);
        ck_assert_msg(strcmp(ours, ref) == 0, "%.17g: %s, expected %s", edge[i], ours, ref);
    }
    for (int i = 0; i < 150000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        switch (i % 5) {
        case 0:
            memcpy(&d, &x, sizeof(d));
            if (!isfinite(d))
                continue;
            break;
        case 1:
            d = (double)(x % 100000000) / pow(10, (double)((x >> 40) % 12));
            break;
        case 2:
            d = ((double)(x % 10000) / 100.0) * ((double)((x >> 20) % 1000) / 100.0);
            break;
        case 3:
            d = ((double)(x % 1000) / 10.0) * 1.2 * ((double)((x >> 30) % 100) / 100.0 + 0.1);
            break;
        default:
            d = ((double)(x >> 11) / 9007199254740992.0) * pow(10, (double)((x >> 3) % 20) - 6);
        }
        if (x & 1)
            d = -d;
        jsonout_real(ours, sizeof(ours), d);
        reference_real(ref, sizeof(ref), d);
        ck_assert_msg(strcmp(ours, ref) == 0, "%.17g: %s, expected %s", d, ours, ref);
    }
}
END_TEST

/* The writer's own calls give exactly what jansson prints for the same document, both layouts. */
static char *write_sample(int indent)
{
    struct buf b;
    struct jsonout w;
    buf_init(&b, 4096);
    jsonout_init(&w, &b, indent);
    jsonout_begin_object(&w);
    jsonout_key(&w, "a");
    jsonout_begin_array(&w);
    jsonout_integer(&w, 1);
    jsonout_begin_object(&w);
    jsonout_key(&w, "b");
    jsonout_null(&w);
    jsonout_end_object(&w);
    jsonout_integer(&w, -9223372036854775807LL - 1);
    jsonout_end_array(&w);
    jsonout_key(&w, "c");
    jsonout_begin_object(&w);
    jsonout_end_object(&w);
    jsonout_key(&w, "d");
    jsonout_begin_array(&w);
    jsonout_end_array(&w);
    jsonout_key(&w, "e\"\n");
    jsonout_string(&w, "x\\y\x01\xc3\xa9");
    jsonout_key(&w, "f");
    jsonout_bool(&w, true);
    jsonout_key(&w, "g");
    jsonout_bool(&w, false);
    jsonout_key(&w, "h");
    jsonout_string(&w, NULL);
    jsonout_key(&w, "i");
    jsonout_begin_array(&w);
    jsonout_begin_array(&w);
    jsonout_end_array(&w);
    jsonout_string_len(&w, "ab", 1);
    jsonout_end_array(&w);
    jsonout_end_object(&w);
    ck_assert_int_eq(jsonout_status(&w), 0);
    return buf_detach(&b, NULL);
}

START_TEST(writer_calls_match_jansson_compact_and_indented)
{
    const char *text = "{\"a\":[1,{\"b\":null},-9223372036854775808],\"c\":{},\"d\":[],"
                       "\"e\\\"\\n\":\"x\\\\y\\u0001\xc3\xa9\",\"f\":true,\"g\":false,\"h\":null,"
                       "\"i\":[[],\"a\"]}";
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    for (int indent = 0; indent <= 4; indent += 2) {
        char *ours = write_sample(indent);
        char *theirs = json_dumps(j, indent ? JSON_INDENT(indent) : JSON_COMPACT);
        ck_assert_str_eq(ours, theirs);
        free(ours);
        free(theirs);
    }
    json_decref(j);
}
END_TEST

START_TEST(raw_text_is_spliced_as_one_value)
{
    struct buf b;
    struct jsonout w;
    buf_init(&b, 4096);
    jsonout_init(&w, &b, 0);
    jsonout_begin_array(&w);
    jsonout_number(&w, 198.65);
    jsonout_raw(&w, "{\"k\":[1,2]}", 11);
    jsonout_raw(&w, "null", 4);
    jsonout_end_array(&w);
    ck_assert_int_eq(jsonout_status(&w), 0);
    ck_assert_str_eq(b.data, "[198.65,{\"k\":[1,2]},null]");
    buf_free(&b);
}
END_TEST

/* Indented text written at depth 0 and spliced deeper reads as if written there. */
START_TEST(indented_raw_text_moves_to_the_depth_it_is_spliced_at)
{
    json_error_t jerr;
    json_t *inner = json_loads("{\"k\":[1,{\"x\":\"a\\nb\"}],\"e\":{}}", 0, &jerr);
    json_t *outer = json_pack("{s:[i,{s:O}]}", "top", 1, "at", inner);
    for (int indent = 1; indent <= 4; indent++) {
        char *text = jsonout_dumps(inner, indent, NULL);
        struct buf b;
        struct jsonout w;
        buf_init(&b, 4096);
        jsonout_init(&w, &b, indent);
        jsonout_begin_object(&w);
        jsonout_key(&w, "top");
        jsonout_begin_array(&w);
        jsonout_integer(&w, 1);
        jsonout_begin_object(&w);
        jsonout_key(&w, "at");
        jsonout_raw(&w, text, strlen(text));
        jsonout_end_object(&w);
        jsonout_end_array(&w);
        jsonout_end_object(&w);
        ck_assert_int_eq(jsonout_status(&w), 0);
        char *want = jsonout_dumps(outer, indent, NULL);
        ck_assert_str_eq(b.data, want);
        free(want);
        free(text);
        buf_free(&b);
    }
    json_decref(outer);
    json_decref(inner);
}
END_TEST

START_TEST(the_first_error_sticks_and_later_calls_do_nothing)
{
    struct buf b;
    struct jsonout w;
    buf_init(&b, 8);
    jsonout_init(&w, &b, 0);
    jsonout_begin_array(&w);
    jsonout_string(&w, "0123456789");
    ck_assert_int_eq(jsonout_status(&w), -E2BIG);
    jsonout_integer(&w, 1);
    jsonout_end_array(&w);
    ck_assert_int_eq(jsonout_status(&w), -E2BIG);
    ck_assert_uint_le(b.len, 8); /* a partial document, never past the cap */
    buf_free(&b);

    buf_init(&b, 64);
    jsonout_init(&w, &b, 0);
    jsonout_begin_array(&w);
    jsonout_number(&w, NAN);
    ck_assert_int_eq(jsonout_status(&w), -EDOM);
    buf_free(&b);

    buf_init(&b, 64);
    jsonout_init(&w, &b, 0);
    jsonout_end_object(&w);
    ck_assert_int_eq(jsonout_status(&w), -EINVAL);
    buf_free(&b);
}
END_TEST

/* Pretty /skus re-indents the cached compact text (no parse tree): the bytes must be what writing
 * the document indented gives, for every shape (empty containers, keys and strings holding
 * brackets, colons, commas and escapes, nesting, numbers). */
START_TEST(reindented_text_equals_the_indented_document)
{
    const char *docs[] = {
        "{}",
        "[]",
        "{\"a\":[],\"b\":{},\"c\":[{}],\"d\":[[1,2],[3.5e-07,-4]]}",
        "{\"k:{[,\\\"\":\"v\\\\\\\"]}:,\",\"u\":\"caf\\u00e9 \\u001f\\n\",\"n\":null,\"t\":true}",
        "[1,\"x\",false,{\"deep\":{\"deeper\":[null,{\"x\":1.25}]}}]",
        "\"just a string\"",
        "42",
    };
    for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
        json_t *j = json_loads(docs[d], JSON_DECODE_ANY, NULL);
        ck_assert_msg(j != NULL, "doc %zu", d);
        size_t clen = 0;
        char *compact = jsonout_dumps(j, 0, &clen);
        for (int indent = 1; indent <= 4; indent++) {
            char *want = jsonout_dumps(j, indent, NULL);
            size_t glen = 0;
            char *got = jsonout_reindent(compact, clen, indent, &glen);
            ck_assert_ptr_nonnull(got);
            ck_assert_str_eq(got, want);
            ck_assert_uint_eq(glen, strlen(want));
            free(got);
            free(want);
        }
        char *same = jsonout_reindent(compact, clen, 0, NULL);
        ck_assert_str_eq(same, compact);
        free(same);
        free(compact);
        json_decref(j);
    }
    /* A body with its trailing newline (as the /skus cache keeps it) re-indents the same. */
    char *got = jsonout_reindent("{\"a\":[1]}\n", 10, 2, NULL);
    ck_assert_str_eq(got, "{\n  \"a\": [\n    1\n  ]\n}");
    free(got);
}
END_TEST

START_TEST(reindenting_malformed_text_fails)
{
    const char *bad[] = {"{\"a\":1", "[1]]", "[\"open", "}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(jsonout_reindent(bad[i], strlen(bad[i]), 2, NULL) == NULL,
                      "\"%s\" was accepted", bad[i]);
}
END_TEST

static Suite *jsonout_suite(void)
{
    Suite *s = suite_create("jsonout");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, reals_use_the_fewest_digits_that_round_trip);
    tcase_add_test(tc, compact_output_matches_jansson_except_for_real_digits);
    tcase_add_test(tc, indented_output_matches_jansson_layout);
    tcase_add_test(tc, random_documents_read_back_equal);
    tcase_add_test(tc, fast_real_paths_print_exactly_the_reference_digits);
    tcase_add_test(tc, writer_calls_match_jansson_compact_and_indented);
    tcase_add_test(tc, raw_text_is_spliced_as_one_value);
    tcase_add_test(tc, indented_raw_text_moves_to_the_depth_it_is_spliced_at);
    tcase_add_test(tc, the_first_error_sticks_and_later_calls_do_nothing);
    tcase_add_test(tc, reindented_text_equals_the_indented_document);
    tcase_add_test(tc, reindenting_malformed_text_fails);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(jsonout_suite)
