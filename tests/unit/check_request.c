/* check_request.c - strict validation of POST /estimate bodies: a table of bad bodies and their
 * errors. */
#include "support/check_util.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "model/arch.h"
#include "api/request.h"

#define OK_BASE "\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\""

/* Each bad body: the status and field the error must carry and a phrase of the rule. */
static const struct {
    const char *body;
    int status;
    const char *code;
    const char *field;
    const char *needle;
} bad[] = {
    {"", 400, "malformed_json", "", "empty"},
    {"{\"params_b\":7,", 400, "malformed_json", "", "line 1"},
    {"{\"params_b\":7}\n{}", 400, "malformed_json", "", "end of file expected"},
    {"[1,2,3]", 400, "invalid_body", "", "JSON object"},
    {"\"text\"", 400, "malformed_json", "", "line"},
    {"{\"params_b\":1e400," OK_BASE "}", 400, "malformed_json", "", "overflow"},
    {"{" OK_BASE ",\"params_b\":8}", 400, "malformed_json", "", "duplicate"},
    {"{" OK_BASE ",\"ctx_length\":4096}", 400, "unknown_field", "ctx_length",
     "did you mean \"ctx_len\""},
    {"{" OK_BASE ",\"moe_ratio\":0.25}", 400, "unknown_field", "moe_ratio", "not a known field"},
    {"{" OK_BASE ",\"Batch\":2}", 400, "unknown_field", "Batch", "did you mean \"batch\""},
    {"{\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400, "missing_field",
     "params_b", "required"},
    {"{\"params_b\":7,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400, "missing_field",
     "layers", "required"},
    {"{\"params_b\":7,\"layers\":32,\"ctx\":4096,\"precision\":\"fp16\"}", 400, "missing_field",
     "hidden", "required"},
    {"{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"precision\":\"fp16\"}", 400, "missing_field",
     "ctx", "ctx_len"},
    {"{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096}", 400, "missing_field",
     "precision", "fp32"},
    {"{\"params_b\":\"7\",\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400,
     "invalid_type", "params_b", "must be a number > 0"},
    {"{\"params_b\":0,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400,
     "out_of_range", "params_b", "> 0"},
    {"{\"params_b\":-0.0,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400,
     "out_of_range", "params_b", "> 0"},
    {"{\"params_b\":100001,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400,
     "out_of_range", "params_b", "<= 100000"},
    {"{\"params_b\":7,\"layers\":32.5,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400,
     "invalid_type", "layers", "not a fraction"},
    {"{\"params_b\":7,\"layers\":0,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400,
     "out_of_range", "layers", "between 1 and 10000"},
    {"{\"params_b\":7,\"layers\":true,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 400,
     "invalid_type", "layers", "not a boolean"},
    {"{\"params_b\":7,\"layers\":32,\"hidden\":null,\"ctx\":4096,\"precision\":\"fp16\"}", 400,
     "invalid_type", "hidden", "not null"},
    {"{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":99999999999,\"precision\":\"fp16\"}",
     400, "out_of_range", "ctx", "between 1 and 16777216"},
    {"{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"ctx_len\":4096,\"precision\":"
     "\"fp16\"}",
     400, "conflicting_fields", "ctx_len", "not both"},
    {"{" OK_BASE ",\"batch\":0}", 400, "out_of_range", "batch", "between 1 and 1048576"},
    {"{" OK_BASE ",\"batch\":[1]}", 400, "invalid_type", "batch", "not an array"},
    {"{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp64\"}", 400,
     "invalid_value", "precision", "fp32, fp16, bf16, int8, int4"},
    {"{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"FP16\"}", 400,
     "invalid_value", "precision", "not known"},
    {"{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":16}", 400,
     "invalid_type", "precision", "one of"},
    {"{" OK_BASE ",\"training\":\"yes\"}", 400, "invalid_type", "training", "true or false"},
    {"{" OK_BASE ",\"training\":1}", 400, "invalid_type", "training", "true or false"},
    {"{" OK_BASE ",\"moe_active_ratio\":1.5}", 400, "out_of_range", "moe_active_ratio",
     ">= 0 and <= 1"},
    {"{" OK_BASE ",\"moe_active_ratio\":-0.1}", 400, "out_of_range", "moe_active_ratio", ">= 0"},
    {"{" OK_BASE ",\"moe_active_ratio\":0.2,\"moe_expert_fraction\":2}", 400, "out_of_range",
     "moe_expert_fraction", "<= 1"},
};

START_TEST(bad_bodies_get_the_expected_status_field_and_rule)
{
    struct error_info err;
    json_t *body = NULL, *out = NULL;
    error_clear(&err);
    int rc = api_parse_body(bad[_i].body, strlen(bad[_i].body), &body, &err);
    if (rc == 0) {
        struct estimate_request req;
        rc = request_decode_estimate(body, &req, &err);
        json_decref(body);
    }
    (void)out;
    ck_assert_msg(rc < 0, "case %d accepted: %s", _i, bad[_i].body);
    ck_assert_int_eq(err.status, bad[_i].status);
    ck_assert_str_eq(err.code, bad[_i].code);
    ck_assert_str_eq(err.field, bad[_i].field);
    ck_assert_msg(strstr(err.message, bad[_i].needle) != NULL, "case %d: \"%s\" lacks \"%s\"", _i,
                  err.message, bad[_i].needle);
}
END_TEST

static struct estimate_request decode_ok(const char *text)
{
    struct error_info err;
    json_t *body = NULL;
    ck_assert_int_eq(api_parse_body(text, strlen(text), &body, &err), 0);
    struct estimate_request req;
    int rc = request_decode_estimate(body, &req, &err);
    ck_assert_msg(rc == 0, "%s: %s", text, err.message);
    json_decref(body);
    return req;
}

START_TEST(defaults_and_aliases_are_applied_and_reported)
{
    struct estimate_request r = decode_ok("{" OK_BASE "}");
    ck_assert(r.in.batch == 1);
    ck_assert(r.batch_defaulted);
    ck_assert(!r.in.training);
    ck_assert(r.in.bytes == 2);
    ck_assert_str_eq(r.precision, "fp16");

    r = decode_ok("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx_len\":2048,\"batch\":3,"
                  "\"precision\":\"int4\",\"training\":true}");
    ck_assert(r.in.ctx == 2048);
    ck_assert(r.ctx_from_alias);
    ck_assert(r.in.batch == 3);
    ck_assert(!r.batch_defaulted);
    ck_assert(r.in.training);
    ck_assert(r.in.bytes == 0.5);
}
END_TEST

START_TEST(integral_reals_are_accepted_in_integer_fields)
{
    struct estimate_request r = decode_ok("{\"params_b\":7,\"layers\":32.0,\"hidden\":4096e0,"
                                          "\"ctx\":4096,\"precision\":\"fp16\"}");
    ck_assert(r.in.layers == 32);
    ck_assert(r.in.hidden == 4096);
}
END_TEST

START_TEST(expert_fraction_without_ratio_is_kept_but_marked_ignored)
{
    struct estimate_request r = decode_ok("{" OK_BASE ",\"moe_expert_fraction\":0.5}");
    ck_assert(r.expert_fraction_ignored);
    r = decode_ok("{" OK_BASE ",\"moe_active_ratio\":0.25,\"moe_expert_fraction\":0.5}");
    ck_assert(!r.expert_fraction_ignored);
    ck_assert(r.in.has_expert_fraction);
    ck_assert(r.in.moe_expert_fraction == 0.5);
}
END_TEST

START_TEST(upper_bounds_are_inclusive)
{
    struct estimate_request r =
        decode_ok("{\"params_b\":100000,\"layers\":10000,\"hidden\":1048576,\"ctx\":16777216,"
                  "\"batch\":1048576,\"precision\":\"fp32\",\"moe_active_ratio\":1,"
                  "\"moe_expert_fraction\":1}");
    ck_assert(r.in.params_b == REQUEST_MAX_PARAMS_B);
    ck_assert(r.in.ctx == REQUEST_MAX_CTX);
}
END_TEST

/*
 * A real config.json pasted as hf_config: nvidia/Nemotron-H-56B-Base-8K's holds Python's bare
 * Infinity (time_step_limit), which JSON refuses. In hf_config it reads as null and the config
 * decodes; the same token in a request field is still a malformed body.
 */
START_TEST(a_pasted_config_with_infinity_is_read_inside_hf_config_only)
{
    json_error_t je;
    json_t *doc = json_load_file(TEST_DATA_DIR "/model-configs-stacks.json", 0, &je);
    ck_assert_msg(doc != NULL, "%s", je.text);
    const char *cfg = NULL;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "models"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), "Nemotron-H-56B-Base-8K") == 0)
            cfg = json_string_value(json_object_get(m, "config_text"));
    }
    ck_assert(cfg != NULL && strstr(cfg, "Infinity") != NULL);
    char text[4096];
    snprintf(text, sizeof(text), "{\"ctx\":4096,\"precision\":\"bf16\",\"hf_config\":%s}", cfg);
    struct error_info err;
    error_clear(&err);
    json_t *body = NULL;
    ck_assert_msg(api_parse_body(text, strlen(text), &body, &err) == 0, "%s", err.message);
    const json_t *hf = json_object_get(body, "hf_config");
    ck_assert(json_is_null(json_array_get(json_object_get(hf, "time_step_limit"), 1)));
    struct arch a;
    ck_assert_msg(arch_from_hf_config(hf, "hf_config", &a, &err) == 0, "%s", err.message);
    ck_assert_int_eq(a.layers, 118);
    json_decref(body);

    snprintf(text, sizeof(text), "{\"ctx\":Infinity,\"precision\":\"bf16\",\"hf_config\":%s}", cfg);
    ck_assert_int_lt(api_parse_body(text, strlen(text), &body, &err), 0);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, "malformed_json");
    json_decref(doc);
}
END_TEST

static Suite *request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("bad bodies");
    tcase_add_loop_test(tc, bad_bodies_get_the_expected_status_field_and_rule, 0,
                        (int)(sizeof(bad) / sizeof(bad[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("accepted bodies");
    tcase_add_test(tc, defaults_and_aliases_are_applied_and_reported);
    tcase_add_test(tc, integral_reals_are_accepted_in_integer_fields);
    tcase_add_test(tc, expert_fraction_without_ratio_is_kept_but_marked_ignored);
    tcase_add_test(tc, upper_bounds_are_inclusive);
    tcase_add_test(tc, a_pasted_config_with_infinity_is_read_inside_hf_config_only);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(request_suite)
