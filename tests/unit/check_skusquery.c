/* check_skusquery.c - GET /skus query decoding is driven by one parameter table: names, bounds, the
 * did-you-mean hint, the cap and the filters echo all come from it, with the errors unchanged. */
#include "support/check_util.h"

#include <stdio.h>
#include <string.h>

#include "api/skusquery.h"
#include "support/testcat.h"

/* Parses one name=value pair; returns the rc and fills q / err. */
static int parse1(const char *name, const char *value, struct skus_query *q, struct error_info *err)
{
    struct skus_param p = {name, value};
    error_clear(err);
    return skus_query_parse(&p, 1, q, err);
}

START_TEST(every_table_row_is_decoded_and_echoed_without_other_edits)
{
    size_t n = skus_query_param_count();
    ck_assert_uint_ge(n, 5);
    ck_assert_ptr_null(skus_query_param_name(n));
    for (size_t i = 0; i < n; i++) {
        const char *name = skus_query_param_name(i);
        ck_assert_ptr_nonnull(name);
        struct skus_query q;
        struct error_info err;
        /* Every kind accepts one of these: "1" (region, text, number), "true" (bool) or "AMD"
         * (vendor); a refusal on the way names the parameter. */
        static const char *const samples[] = {"1", "true", "AMD"};
        int rc = -1;
        for (size_t k = 0; k < 3 && rc < 0; k++) {
            rc = parse1(name, samples[k], &q, &err);
            if (rc < 0) {
                ck_assert_str_eq(err.code, "invalid_parameter");
                ck_assert_str_eq(err.field, name);
            }
        }
        ck_assert_msg(rc == 0, "%s: %s", name, err.message);
    }
}
END_TEST

START_TEST(filters_echo_names_every_parameter_in_table_order)
{
    struct skus_query q;
    struct error_info err;
    error_clear(&err);
    struct skus_param ps[] = {{"vendor", "AMD"}, {"min_vram_gb", "80"}};
    ck_assert_int_eq(skus_query_parse(ps, 2, &q, &err), 0);
    struct catalog *cat = testcat_embedded();
    ck_assert_ptr_nonnull(cat);
    json_t *out = NULL;
    ck_assert_int_eq(skus_query_list(cat, "2026-01-01", &q, &out, &err), 0);
    char *filters = json_dumps(json_object_get(out, "filters"), JSON_COMPACT);
    ck_assert_str_eq(filters, "{\"region\":null,\"vendor\":\"AMD\",\"gpu_model\":null,"
                              "\"min_vram_gb\":80.0,\"include_retired\":false}");
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(out, "filters"), key, v)
    {
        (void)v;
        ck_assert_str_eq(key, skus_query_param_name(i++));
    }
    ck_assert_uint_eq(i, skus_query_param_count());
    free(filters);
    json_decref(out);
    catalog_unref(cat);
}
END_TEST

START_TEST(an_unknown_parameter_gets_the_hint_and_the_accepted_list_from_the_table)
{
    struct skus_query q;
    struct error_info err;
    ck_assert_int_lt(parse1("vendr", "AMD", &q, &err), 0);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "unknown_parameter");
    ck_assert_str_eq(err.field, "vendr");
    ck_assert_str_eq(err.message,
                     "unknown query parameter \"vendr\" (did you mean \"vendor\"?); /skus accepts "
                     "region, vendor, gpu_model, min_vram_gb, include_retired");
    ck_assert_int_lt(parse1("xyzzy", "1", &q, &err), 0);
    ck_assert_str_eq(err.message,
                     "unknown query parameter \"xyzzy\"; /skus accepts region, vendor, "
                     "gpu_model, min_vram_gb, include_retired");
}
END_TEST

START_TEST(a_name_outside_the_table_never_sets_include_retired)
{
    /* The old decoder's final else set include_retired for any other name in its known list. */
    struct skus_query q;
    struct error_info err;
    ck_assert_int_lt(parse1("interconnect", "true", &q, &err), 0);
    ck_assert_str_eq(err.code, "unknown_parameter");
    ck_assert_int_eq(parse1("include_retired", "true", &q, &err), 0);
    ck_assert(q.include_retired);
}
END_TEST

START_TEST(error_messages_per_kind_are_unchanged)
{
    static const struct {
        const char *name, *value, *message;
    } cases[] = {
        {"min_vram_gb", "abc",
         "min_vram_gb must be a number of GB from 0 to 1000000 (got \"abc\")"},
        {"min_vram_gb", "-1", "min_vram_gb must be a number of GB from 0 to 1000000 (got \"-1\")"},
        {"min_vram_gb", "1e999",
         "min_vram_gb must be a number of GB from 0 to 1000000 (got \"1e999\")"},
        {"min_vram_gb", "1e308",
         "min_vram_gb must be a number of GB from 0 to 1000000 (got \"1e308\")"},
        {"include_retired", "yes", "include_retired must be true or false (got \"yes\")"},
        {"include_retired", "", "query parameter include_retired needs a value"},
        {"region", "East US",
         "region \"East US\" is not an Azure region name (letters and digits, e.g. eastus)"},
        {"region", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnop",
         "region \"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv...\" is too long"},
        {"vendor", "0123456789012345678901234567890123456789012345678901234567890123",
         "vendor \"0123456789012345678901234567890123456789...\" is too long"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct skus_query q;
        struct error_info err;
        ck_assert_int_lt(parse1(cases[i].name, cases[i].value, &q, &err), 0);
        ck_assert_int_eq(err.status, 400);
        ck_assert_str_eq(err.code, "invalid_parameter");
        ck_assert_str_eq(err.field, cases[i].name);
        ck_assert_str_eq(err.message, cases[i].message);
    }
}
END_TEST

START_TEST(duplicates_and_more_than_the_cap_are_refused)
{
    struct skus_query q;
    struct error_info err;
    error_clear(&err);
    struct skus_param dup[] = {{"vendor", "AMD"}, {"vendor", "NVIDIA"}};
    ck_assert_int_lt(skus_query_parse(dup, 2, &q, &err), 0);
    ck_assert_str_eq(err.code, "duplicate_parameter");
    ck_assert_str_eq(err.message, "query parameter vendor is given more than once");

    struct skus_param many[SKUSQUERY_MAX_PARAMS + 1];
    for (size_t i = 0; i <= SKUSQUERY_MAX_PARAMS; i++)
        many[i] = (struct skus_param){"vendor", "AMD"};
    error_clear(&err);
    ck_assert_int_lt(skus_query_parse(many, SKUSQUERY_MAX_PARAMS + 1, &q, &err), 0);
    ck_assert_str_eq(err.code, "invalid_parameter");
    char want[64];
    snprintf(want, sizeof(want), "at most %d query parameters", SKUSQUERY_MAX_PARAMS);
    ck_assert_str_eq(err.message, want);
    struct error_info direct;
    error_clear(&direct);
    ck_assert_int_lt(skus_query_too_many(&direct), 0);
    ck_assert_str_eq(direct.message, want);
}
END_TEST

Suite *skusquery_suite(void)
{
    Suite *s = suite_create("skusquery");
    TCase *tc = tcase_create("skusquery");
    tcase_add_test(tc, every_table_row_is_decoded_and_echoed_without_other_edits);
    tcase_add_test(tc, filters_echo_names_every_parameter_in_table_order);
    tcase_add_test(tc, an_unknown_parameter_gets_the_hint_and_the_accepted_list_from_the_table);
    tcase_add_test(tc, a_name_outside_the_table_never_sets_include_retired);
    tcase_add_test(tc, error_messages_per_kind_are_unchanged);
    tcase_add_test(tc, duplicates_and_more_than_the_cap_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(skusquery_suite)
