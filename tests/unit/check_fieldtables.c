/* check_fieldtables.c - POST /estimate's field tables drive decoding: every row of the seed,
 * refine and training tables is accepted, typed and named in its errors, and the did-you-mean hint
 * searches the tables. */
#include "support/check_util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "api/refine.h"
#include "base/fields.h"
#include "api/request.h"
#include "api/training_request.h"
#include "config/presets.h"

static json_t *load(const char *json)
{
    json_t *j = json_loads(json, 0, NULL);
    ck_assert_msg(j != NULL, "bad test JSON %s", json);
    return j;
}

/*
 * The parallel sizes serving and training both have: the inference layout (with an engine) and
 * the training model (without one) read the same names, as vLLM and the training frameworks call
 * them. No other name may be in two rows.
 */
static bool shared_layout_name(const char *name)
{
    return strcmp(name, "tensor_parallel") == 0 || strcmp(name, "pipeline_parallel") == 0 ||
           strcmp(name, "data_parallel") == 0;
}

/* Each table's names are distinct, and distinct across the tables POST /estimate merges (but the
 * shared layout names, which have one type in both). */
START_TEST(every_row_is_accepted_once)
{
    const struct field_table t[] = {request_seed_field_table, refine_field_table,
                                    training_field_table};
    int shared = 0;
    for (size_t a = 0; a < 3; a++) {
        for (size_t i = 0; i < t[a].n; i++) {
            const char *name = t[a].rows[i].name;
            ck_assert_msg(request_field_accepted(name), "%s refused as unknown", name);
            for (size_t b = 0; b <= a; b++)
                for (size_t j = 0; j < (b == a ? i : t[b].n); j++) {
                    if (strcmp(name, t[b].rows[j].name) != 0)
                        continue;
                    ck_assert_msg(b != a && shared_layout_name(name), "%s is in two rows", name);
                    ck_assert_int_eq(t[a].rows[i].type, t[b].rows[j].type);
                    shared++;
                }
        }
    }
    ck_assert_int_eq(shared, 3);
}
END_TEST

/* A wrong type for any row is a 400 invalid_type naming that row: the row drives decoding. */
START_TEST(every_seed_row_is_decoded_by_its_type)
{
    ck_assert(presets_builtin() != NULL);
    for (size_t i = 0; i < request_seed_field_table.n; i++) {
        const char *name = request_seed_field_table.rows[i].name;
        json_t *body = load("{\"params_b\": 1, \"layers\": 2, \"hidden\": 64, \"ctx\": 16, "
                            "\"batch\": 1, \"precision\": \"bf16\"}");
        json_object_set_new(body, name, json_array());
        struct estimate_request r;
        struct error_info err;
        error_clear(&err);
        ck_assert_int_eq(request_decode_estimate(body, &r, &err), -EINVAL);
        ck_assert_msg(strcmp(err.code, "invalid_type") == 0 && strcmp(err.field, name) == 0,
                      "%s: %s %s %s", name, err.code, err.field, err.message);
        json_decref(body);
    }
}
END_TEST

START_TEST(every_refine_row_is_decoded_by_its_type)
{
    for (size_t i = 0; i < refine_field_table.n; i++) {
        const char *name = refine_field_table.rows[i].name;
        /* the shared layout names are the inference layout's only with an engine */
        json_t *body = shared_layout_name(name)
                           ? load("{\"model\": \"llama-3-8b\", \"engine\": \"vllm\"}")
                           : json_object();
        json_object_set_new(body, name, json_array());
        struct refine r;
        struct error_info err;
        error_clear(&err);
        ck_assert_int_eq(refine_decode(body, presets_builtin(), &r, &err), -EINVAL);
        ck_assert_msg(strcmp(err.code, "invalid_type") == 0 && strcmp(err.field, name) == 0,
                      "%s: %s %s %s", name, err.code, err.field, err.message);
        json_decref(body);
    }
}
END_TEST

START_TEST(every_training_row_is_decoded_by_its_type_in_both_places)
{
    for (size_t i = 0; i < training_field_table.n; i++) {
        const char *name = training_field_table.rows[i].name;
        for (int inside = 0; inside < 2; inside++) {
            json_t *body = load("{\"training\": {}}");
            json_object_set_new(inside ? json_object_get(body, "training") : body, name,
                                json_array());
            struct training_request r;
            struct error_info err;
            error_clear(&err);
            ck_assert_int_eq(training_request_decode(body, "bf16", 2, 1, 16, false, &r, &err),
                             -EINVAL);
            char want[80];
            snprintf(want, sizeof(want), "%s%s", inside ? "training." : "", name);
            ck_assert_msg(strcmp(err.code, "invalid_type") == 0 && strcmp(err.field, want) == 0,
                          "%s: %s %s %s", want, err.code, err.field, err.message);
            json_decref(body);
        }
    }
}
END_TEST

START_TEST(unknown_fields_get_the_nearest_row_as_a_hint)
{
    static const struct {
        const char *body, *field, *message;
    } cases[] = {
        {"{\"kv_precison\": \"fp8\"}", "kv_precison",
         "kv_precison is not a known field (did you mean \"kv_precision\"?)"},
        {"{\"params\": 1}", "params", "params is not a known field (did you mean \"params_b\"?)"},
        {"{\"training\": {\"lora_rnk\": 8}}", "training.lora_rnk",
         "training.lora_rnk is not a known field (did you mean \"training.lora_rank\"?)"},
        {"{\"zzzzzzzz\": 1}", "zzzzzzzz", "zzzzzzzz is not a known field"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *body = load(cases[i].body);
        struct estimate_request r;
        struct error_info err;
        error_clear(&err);
        int rc;
        if (json_object_get(body, "training")) { /* the object is its own decoder's */
            struct training_request t;
            rc = training_request_decode(body, "bf16", 2, 1, 16, false, &t, &err);
        } else {
            rc = request_decode_estimate(body, &r, &err);
        }
        ck_assert_int_eq(rc, -EINVAL);
        ck_assert_str_eq(err.code, "unknown_field");
        ck_assert_str_eq(err.field, cases[i].field);
        ck_assert_str_eq(err.message, cases[i].message);
        json_decref(body);
    }
}
END_TEST

/* What people type that edit distance cannot map gets the field it means. */
START_TEST(common_wrong_names_get_the_field_they_mean)
{
    static const struct {
        const char *name, *field;
    } cases[] = {
        {"context", "ctx"},
        {"context_length", "ctx"},
        {"max_model_len", "ctx"},
        {"concurrency", "batch"},
        {"users", "batch"},
        {"kv_cache_dtype", "kv_precision"},
        {"mem_fraction_static", "gpu_memory_utilization"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[128], want[160];
        snprintf(body, sizeof(body), "{\"%s\": 1}", cases[i].name);
        snprintf(want, sizeof(want), "%s is not a known field (did you mean \"%s\"?)",
                 cases[i].name, cases[i].field);
        json_t *b = load(body);
        struct estimate_request r;
        struct error_info err;
        error_clear(&err);
        ck_assert_int_eq(request_decode_estimate(b, &r, &err), -EINVAL);
        ck_assert_int_eq(err.status, 400);
        ck_assert_str_eq(err.code, "unknown_field");
        ck_assert_str_eq(err.field, cases[i].name);
        ck_assert_str_eq(err.message, want);
        json_decref(b);
    }
}
END_TEST

/* An alias is never an accepted name and never names two fields (it would be ambiguous). */
START_TEST(aliases_are_unambiguous_and_never_accepted)
{
    const struct field_table t[] = {request_seed_field_table, refine_field_table,
                                    training_field_table};
    int n = 0;
    for (size_t a = 0; a < 3; a++)
        for (size_t i = 0; i < t[a].n; i++)
            for (const char *const *al = t[a].rows[i].aliases; al && *al; al++, n++) {
                ck_assert_msg(!request_field_accepted(*al), "alias %s is accepted", *al);
                for (size_t b = 0; b < 3; b++)
                    for (size_t j = 0; j < t[b].n; j++)
                        for (const char *const *o = t[b].rows[j].aliases; o && *o; o++)
                            ck_assert_msg(o == al || strcmp(*o, *al) != 0, "alias %s twice", *al);
            }
    ck_assert_int_ge(n, 9);
}
END_TEST

/* The one edit distance behind every "did you mean" (fields, families, presets, VM sizes). */
START_TEST(edit_distance_counts_edits_folds_case_on_request_and_caps_length)
{
    ck_assert_uint_eq(fields_edit_distance("kitten", "sitting", false), 3);
    ck_assert_uint_eq(fields_edit_distance("", "ctx", false), 3);
    ck_assert_uint_eq(fields_edit_distance("Vendor", "vendor", false), 1);
    ck_assert_uint_eq(fields_edit_distance("Vendor", "vendor", true), 0);
    char longer[FIELDS_DISTANCE_MAX + 2];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    ck_assert_uint_eq(fields_edit_distance(longer, "a", true), SIZE_MAX);
    longer[FIELDS_DISTANCE_MAX] = '\0'; /* exactly the cap: still measured */
    ck_assert_uint_eq(fields_edit_distance(longer, "a", true), FIELDS_DISTANCE_MAX - 1);
}
END_TEST

Suite *fieldtables_suite(void)
{
    Suite *s = suite_create("fieldtables");
    TCase *tc = tcase_create("fieldtables");
    tcase_add_test(tc, every_row_is_accepted_once);
    tcase_add_test(tc, every_seed_row_is_decoded_by_its_type);
    tcase_add_test(tc, every_refine_row_is_decoded_by_its_type);
    tcase_add_test(tc, every_training_row_is_decoded_by_its_type_in_both_places);
    tcase_add_test(tc, unknown_fields_get_the_nearest_row_as_a_hint);
    tcase_add_test(tc, common_wrong_names_get_the_field_they_mean);
    tcase_add_test(tc, aliases_are_unambiguous_and_never_accepted);
    tcase_add_test(tc, edit_distance_counts_edits_folds_case_on_request_and_caps_length);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(fieldtables_suite)
