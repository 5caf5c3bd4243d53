/* check_jsonfix.c - Python's Infinity / -Infinity / NaN read as null, only where they are asked. */
#include "support/check_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/jsonfix.h"

/* The rewritten text (or the input when nothing was replaced) and the count, in one call. */
static int fix(const char *in, const char *key, char *dst, size_t n)
{
    char *out = NULL;
    size_t len = 0;
    int rc = jsonfix_nonfinite(in, strlen(in), key, &out, &len);
    ck_assert_int_ge(rc, 0);
    ck_assert_msg(rc > 0 ? out != NULL && strlen(out) == len : out == NULL, "out/len/rc disagree");
    snprintf(dst, n, "%s", rc > 0 ? out : in);
    free(out);
    return rc;
}

START_TEST(bare_tokens_become_null_everywhere_without_a_key)
{
    char o[256];
    ck_assert_int_eq(fix("{\"a\":[0.0, Infinity],\"b\":-Infinity,\"c\":NaN}", NULL, o, sizeof(o)),
                     3);
    ck_assert_str_eq(o, "{\"a\":[0.0, null],\"b\":null,\"c\":null}");
}
END_TEST

START_TEST(strings_and_longer_words_are_left_alone)
{
    char o[256];
    const char *in = "{\"a\":\"Infinity\",\"NaN\":\"x \\\" NaN\",\"b\":[NaNa, Infinityx, xNaN]}";
    ck_assert_int_eq(fix(in, NULL, o, sizeof(o)), 0);
    ck_assert_str_eq(o, in);
}
END_TEST

START_TEST(with_a_key_only_that_top_level_value_is_rewritten)
{
    char o[512];
    /* hf_config's nested Infinity goes; the one in another field and a nested "hf_config" key
     * inside some other object stay (that body remains malformed JSON, as it should). */
    const char *in = "{\"ctx\":Infinity,\"x\":{\"hf_config\":NaN},"
                     "\"hf_config\":{\"time_step_limit\":[0.0,Infinity],\"n\":{\"k\":-Infinity}},"
                     "\"batch\":NaN}";
    ck_assert_int_eq(fix(in, "hf_config", o, sizeof(o)), 2);
    ck_assert_str_eq(o, "{\"ctx\":Infinity,\"x\":{\"hf_config\":NaN},"
                        "\"hf_config\":{\"time_step_limit\":[0.0,null],\"n\":{\"k\":null}},"
                        "\"batch\":NaN}");
}
END_TEST

START_TEST(a_key_that_is_only_a_prefix_does_not_match)
{
    char o[256];
    ck_assert_int_eq(
        fix("{\"hf_config_x\":[Infinity],\"hf_confi\":[NaN]}", "hf_config", o, sizeof(o)), 0);
}
END_TEST

START_TEST(every_nan_may_grow_the_text_by_one_byte)
{
    /* The worst case for the output size: nothing but NaN tokens. */
    char in[4 * 1000 + 3], o[5 * 1000 + 8];
    size_t n = 0;
    in[n++] = '[';
    for (int i = 0; i < 1000; i++) {
        memcpy(in + n, i ? ",NaN" : "NaN", i ? 4 : 3);
        n += i ? 4 : 3;
    }
    in[n++] = ']';
    in[n] = '\0';
    ck_assert_int_eq(fix(in, NULL, o, sizeof(o)), 1000);
    ck_assert_uint_eq(strlen(o), n + 1000);
    ck_assert(strncmp(o, "[null,null,", 11) == 0);
}
END_TEST

START_TEST(input_over_the_cap_is_refused)
{
    char *out = (char *)"untouched";
    size_t len = 7;
    ck_assert_int_eq(jsonfix_nonfinite("[]", (size_t)JSONFIX_MAX_INPUT + 1, NULL, &out, &len),
                     -E2BIG);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(len, 0);
}
END_TEST

Suite *jsonfix_suite(void)
{
    Suite *s = suite_create("jsonfix");
    TCase *tc = tcase_create("jsonfix");
    tcase_add_test(tc, bare_tokens_become_null_everywhere_without_a_key);
    tcase_add_test(tc, strings_and_longer_words_are_left_alone);
    tcase_add_test(tc, with_a_key_only_that_top_level_value_is_rewritten);
    tcase_add_test(tc, a_key_that_is_only_a_prefix_does_not_match);
    tcase_add_test(tc, every_nan_may_grow_the_text_by_one_byte);
    tcase_add_test(tc, input_over_the_cap_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(jsonfix_suite)
