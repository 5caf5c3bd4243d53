/* check_knobs.c - POST /estimate over HTTP: vLLM's knobs, the model's context limit, whole hints.
 */
#include "support/check_util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "support/testsrv.h"

static struct testsrv srv;

static void start(void)
{
    const char *const args[] = {"--today", "2026-11-23", NULL};
    ck_assert_int_eq(testsrv_start(&srv, args), 0);
}

static void stop(void)
{
    int status;
    testsrv_stop(&srv, 0, 5, &status);
}

/* POSTs body and returns the parsed reply (caller decrefs); *status gets the HTTP status. */
static json_t *post(const char *body, long *status)
{
    char why[256];
    json_t *j = testhttp_post_json(srv.port, "/estimate", body, status, why, sizeof(why));
    ck_assert_msg(j != NULL, "reply is not JSON: %s", why);
    return j;
}

static const char *err_field(const json_t *r, const char *key)
{
    return json_string_value(json_object_get(json_object_get(r, "error"), key));
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

/* Whether the deploy argv holds flag (followed by value when value is not NULL). */
static bool argv_has(const json_t *r, const char *flag, const char *value)
{
    const json_t *argv = json_object_get(json_object_get(r, "deploy"), "argv");
    for (size_t i = 0; i < json_array_size(argv); i++) {
        if (strcmp(json_string_value(json_array_get(argv, i)), flag) != 0)
            continue;
        if (value == NULL)
            return true;
        const json_t *next = json_array_get(argv, i + 1);
        return next && strcmp(json_string_value(next), value) == 0;
    }
    return false;
}

#define LLAMA "\"model\":\"llama-3.1-8b\",\"precision\":\"bf16\",\"engine\":\"vllm\","

START_TEST(context_and_concurrency_get_ctx_and_batch)
{
    long st;
    json_t *r = post("{\"params_b\":7,\"precision\":\"fp16\",\"batch\":1,\"context\":4096}", &st);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(err_field(r, "code"), "unknown_field");
    ck_assert_str_eq(err_field(r, "message"),
                     "context is not a known field (did you mean \"ctx\"?)");
    json_decref(r);
    r = post("{\"params_b\":7,\"precision\":\"fp16\",\"ctx\":4096,\"concurrency\":8}", &st);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(err_field(r, "message"),
                     "concurrency is not a known field (did you mean \"batch\"?)");
    json_decref(r);
}
END_TEST

/* The unsupported-model hint went out cut at 320 bytes; over HTTP it arrives with its end. */
START_TEST(the_longest_unsupported_hint_arrives_whole_over_http)
{
    long st;
    json_t *r = post("{\"hf_config\":{\"model_type\":"
                     "\"granitemoehybridzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"},"
                     "\"ctx\":4096,\"precision\":\"bf16\"}",
                     &st);
    ck_assert_int_eq(st, 422);
    const char *m = err_field(r, "message");
    ck_assert_str_eq(err_field(r, "code"), "unsupported_model_type");
    size_t n = strlen(m), t = strlen("windowed_layers)");
    ck_assert_msg(n > t && strcmp(m + n - t, "windowed_layers)") == 0, "cut: %s", m);
    json_decref(r);
}
END_TEST

START_TEST(a_context_beyond_the_model_is_refused_the_way_vllm_does)
{
    long st;
    json_t *r = post("{" LLAMA "\"ctx\":200000,\"batch\":1}", &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(err_field(r, "code"), "context_too_long");
    ck_assert_str_eq(err_field(r, "field"), "ctx");
    ck_assert(strstr(err_field(r, "message"),
                     "User-specified max_model_len (200000) is greater than the derived "
                     "max_model_len (max_position_embeddings=131072"));
    json_decref(r);
    /* yarn: DeepSeek-V3 serves 4096 x 40 = 163840 */
    r = post("{\"model\":\"deepseek-v3\",\"precision\":\"fp8\",\"ctx\":163841}", &st);
    ck_assert_int_eq(st, 422);
    ck_assert(strstr(err_field(r, "message"), "original_max_position_embeddings=4096 x yarn"));
    json_decref(r);
    /* at the limit it is answered, and the answer states the limit */
    r = post("{" LLAMA "\"ctx\":131072,\"batch\":1}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq((long)num(r, "max_context"), 131072);
    json_decref(r);
    /* the seed path is unchanged: no model, no limit */
    r = post("{\"params_b\":8,\"layers\":32,\"hidden\":4096,\"precision\":\"bf16\",\"ctx\":200000,"
             "\"batch\":1}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert_ptr_null(json_object_get(r, "max_context"));
    json_decref(r);
}
END_TEST

START_TEST(knobs_reach_the_budget_the_echo_and_the_argv)
{
    long st;
    const char *sku = "\"skus\":[\"Standard_NC40ads_H100_v5\"],";
    char body[512];
    snprintf(body, sizeof(body), "{" LLAMA "%s\"ctx\":8192,\"batch\":4,\"max_num_seqs\":256}", sku);
    json_t *base = post(body, &st);
    ck_assert_int_eq(st, 200);
    snprintf(body, sizeof(body),
             "{" LLAMA "%s\"ctx\":8192,\"batch\":4,\"max_num_seqs\":256,"
             "\"max_num_batched_tokens\":4096,\"enforce_eager\":true,\"vllm_version\":\"0.19.1\"}",
             sku);
    json_t *r = post(body, &st);
    ck_assert_int_eq(st, 200);
    const json_t *in = json_object_get(r, "input");
    ck_assert_str_eq(json_string_value(json_object_get(in, "vllm_version")), "0.19");
    ck_assert_int_eq((long)num(in, "max_num_seqs"), 256);
    ck_assert_int_eq((long)num(in, "max_num_batched_tokens"), 4096);
    ck_assert(json_is_true(json_object_get(in, "enforce_eager")));
    ck_assert(argv_has(r, "--max-num-seqs", "256"));
    ck_assert(argv_has(r, "--max-num-batched-tokens", "4096"));
    ck_assert(argv_has(r, "--enforce-eager", NULL));
    ck_assert(!argv_has(base, "--max-num-batched-tokens", NULL));
    ck_assert(!argv_has(base, "--enforce-eager", NULL));
    /* half the batched tokens: half the activation peak; eager: no graph pool */
    const json_t *g = json_object_get(r, "per_gpu"), *g0 = json_object_get(base, "per_gpu");
    ck_assert_msg(g && g0, "per_gpu missing");
    ck_assert_rel(num(g, "activation_gb"), num(g0, "activation_gb") / 2, 1e-9);
    ck_assert_rel(num(g, "cuda_graphs_gb"), 0, 0);
    ck_assert(num(g, "kv_pool_gb") > num(g0, "kv_pool_gb"));
    json_decref(r);
    /* vLLM 0.16's profile peak was 2.55 x v0.19's */
    snprintf(body, sizeof(body),
             "{" LLAMA "%s\"ctx\":8192,\"batch\":4,\"max_num_seqs\":256,\"vllm_version\":\"0.16\"}",
             sku);
    r = post(body, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_rel(num(json_object_get(r, "per_gpu"), "activation_gb"),
                  num(g0, "activation_gb") * 2.55, 1e-9);
    json_decref(r);
    json_decref(base);
}
END_TEST

START_TEST(knobs_are_validated_the_way_vllm_validates_them)
{
    static const struct {
        const char *body;
        long status;
        const char *field, *message;
    } cases[] = {
        {"{" LLAMA "\"ctx\":8192,\"vllm_version\":\"0.20\"}", 400, "vllm_version",
         "use one of: 0.15, 0.16, 0.17, 0.18, 0.19"},
        {"{" LLAMA "\"ctx\":8192,\"max_num_seqs\":0}", 400, "max_num_seqs", NULL},
        {"{" LLAMA "\"ctx\":8192,\"batch\":8,\"max_num_batched_tokens\":4}", 400,
         "max_num_batched_tokens",
         "max_num_batched_tokens (4) must be greater than or equal to max_num_seqs (8)."},
        {"{" LLAMA "\"ctx\":8192,\"batch\":8,\"max_num_seqs\":4}", 400, "max_num_seqs",
         "max_num_seqs (4) is below batch (8)"},
        {"{\"model\":\"llama-3.1-8b\",\"precision\":\"bf16\",\"ctx\":8192,\"enforce_eager\":true}",
         400, "engine", "enforce_eager is a vLLM setting"},
        {"{\"model\":\"llama-3.1-8b\",\"precision\":\"bf16\",\"ctx\":8192,\"engine\":\"sglang\","
         "\"max_num_seqs\":8}",
         400, "max_num_seqs", "engine is \"sglang\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long st;
        json_t *r = post(cases[i].body, &st);
        ck_assert_int_eq(st, cases[i].status);
        ck_assert_str_eq(err_field(r, "field"), cases[i].field);
        if (cases[i].message)
            ck_assert_msg(strstr(err_field(r, "message"), cases[i].message), "%s: %s",
                          cases[i].body, err_field(r, "message"));
        json_decref(r);
    }
}
END_TEST

Suite *knobs_suite(void)
{
    Suite *s = suite_create("knobs");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, start, stop);
    tcase_add_test(tc, context_and_concurrency_get_ctx_and_batch);
    tcase_add_test(tc, the_longest_unsupported_hint_arrives_whole_over_http);
    tcase_add_test(tc, a_context_beyond_the_model_is_refused_the_way_vllm_does);
    tcase_add_test(tc, knobs_reach_the_budget_the_echo_and_the_argv);
    tcase_add_test(tc, knobs_are_validated_the_way_vllm_validates_them);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(knobs_suite)
