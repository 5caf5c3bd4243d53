/* check_error.c - the error record: messages stay valid UTF-8 whatever they quote or cut. */
#include "support/check_util.h"

#include <jansson.h>
#include <string.h>

#include "api/api.h"
#include "base/error.h"
#include "base/jsonout.h"

/* The error body must always be buildable: jansson refuses strings that are not UTF-8. */
static void assert_serializes(const struct error_info *err)
{
    json_t *j = api_error_json(err);
    ck_assert_msg(j != NULL, "error body not buildable for message \"%s\"", err->message);
    char *text = jsonout_dumps(j, 0, NULL);
    ck_assert_ptr_nonnull(text);
    free(text);
    json_decref(j);
}

START_TEST(fix_utf8_keeps_valid_text_and_replaces_each_bad_byte)
{
    char ok[] = "plain ASCII, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80";
    char copy[sizeof(ok)];
    memcpy(copy, ok, sizeof(ok));
    error_fix_utf8(copy);
    ck_assert_str_eq(copy, ok);

    char stray[] = "a\xff"
                   "b\xfe";
    error_fix_utf8(stray);
    ck_assert_str_eq(stray, "a?b?");
    char overlong[] = "\xc0\xaf|\xe0\x80\xaf";
    error_fix_utf8(overlong);
    ck_assert_str_eq(overlong, "??|???");
    char surrogate[] = "\xed\xa0\x80";
    error_fix_utf8(surrogate);
    ck_assert_str_eq(surrogate, "???");
    char cut[] = "euro \xe2\x82"; /* a 3-byte character cut after 2 bytes */
    error_fix_utf8(cut);
    ck_assert_str_eq(cut, "euro ??");
    char big[] = "\xf4\x90\x80\x80"; /* above U+10FFFF */
    error_fix_utf8(big);
    ck_assert_str_eq(big, "????");
}
END_TEST

/* Truncation to the message's fixed size must not leave half a character behind. */
START_TEST(error_set_truncating_inside_a_character_stays_valid)
{
    struct error_info err;
    char field[400];
    size_t o = 0;
    while (o + 2 < sizeof(field)) {
        field[o++] = '\xc3';
        field[o++] = '\xa9';
    }
    field[o] = '\0';
    for (int shift = 0; shift < 4; shift++) {
        error_set(&err, 400, "unknown_field", field + 0, "%.*s%s", shift, "xxxx", field);
        ck_assert_int_eq(err.status, 400);
        assert_serializes(&err);
    }
}
END_TEST

/* Found by fuzz_estimate: jansson's error text quotes the broken input, here a \u escape followed
 * by invalid UTF-8, so the 400 body could not be built and the server answered 500 instead. */
START_TEST(malformed_json_quoting_invalid_utf8_still_gets_a_400_body)
{
    static const char body[] = "{\"\\u000\xc8\x8f\x9e\x86"
                               "ers\":a";
    struct error_info err;
    json_t *doc = NULL;
    error_clear(&err);
    ck_assert_int_lt(api_parse_body(body, sizeof(body) - 1, &doc, &err), 0);
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "malformed_json");
    assert_serializes(&err);
}
END_TEST

static Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("utf8");
    tcase_add_test(tc, fix_utf8_keeps_valid_text_and_replaces_each_bad_byte);
    tcase_add_test(tc, error_set_truncating_inside_a_character_stays_valid);
    tcase_add_test(tc, malformed_json_quoting_invalid_utf8_still_gets_a_400_body);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(error_suite)
