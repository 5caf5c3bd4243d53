/* check_jsonout.c - shortest round-trip reals, and output that jansson reads back identically. */
#include "check_util.h"

#include <string.h>

#include "jsonout.h"

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

static Suite *jsonout_suite(void)
{
    Suite *s = suite_create("jsonout");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, reals_use_the_fewest_digits_that_round_trip);
    tcase_add_test(tc, compact_output_matches_jansson_except_for_real_digits);
    tcase_add_test(tc, indented_output_matches_jansson_layout);
    tcase_add_test(tc, random_documents_read_back_equal);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(jsonout_suite)
