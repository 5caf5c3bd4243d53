/* check_operator_asks.c - issue 13's done-when table: operator asks whose default answer must be
 * a deployment that fits, runs the format, is a valid vLLM layout, is the cheapest known, and
 * whose deploy argv uses only vLLM's own argument names. */
#include "support/check_util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "azure/catalog.h"
#include "memory/vllm.h"
#include "model/precision.h"
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

static json_t *post(const char *body, long *status)
{
    char why[256];
    json_t *j = testhttp_post_json(srv.port, "/estimate", body, status, why, sizeof(why));
    ck_assert_msg(j != NULL, "reply is not JSON: %s", why);
    return j;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

/*
 * vLLM's argument names as vllm/engine/arg_utils.py declares them
 * (vllm-project/vllm @001999d2f360c2c5da23a916510c273b1a73d06c, EngineArgs.add_cli_args), plus
 * the positional model of `vllm serve`. Pinned here: an argv flag outside this list fails.
 */
static const char *const vllm_flags[] = {
    "--tensor-parallel-size",
    "--pipeline-parallel-size",
    "--max-model-len",
    "--gpu-memory-utilization",
    "--max-num-seqs",
    "--kv-cache-dtype",
    "--quantization",
    "--dtype",
    "--distributed-executor-backend",
    "--max-num-batched-tokens",
    "--enforce-eager",
    NULL,
};

/* The flags among them that take no value (ModelConfig.enforce_eager: a boolean action). */
static const char *const vllm_switches[] = {"--enforce-eager", NULL};

/* Values vLLM's choices accept for the flags that have choices (same file). */
static const char *const kv_dtypes[] = {"auto", "fp8", "fp8_e5m2", "fp8_e4m3", NULL};
static const char *const dtypes[] = {"auto",  "half",    "float16", "bfloat16",
                                     "float", "float32", NULL};

static bool listed(const char *const *names, const char *s)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return true;
    return false;
}

/* One operator ask: the request, its weight format and a label for failures. */
struct ask {
    const char *body;
    enum precision format;
};

static const struct ask asks[] = {
    {"{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"batch\":1,\"precision\":\"bf16\","
     "\"engine\":\"vllm\"}",
     PRECISION_BF16},
    {"{\"model\":\"llama-3.1-8b\",\"ctx\":32768,\"batch\":64,\"precision\":\"fp8\","
     "\"engine\":\"vllm\",\"region\":\"westus2\"}",
     PRECISION_FP8},
    {"{\"model\":\"gemma-2-9b\",\"ctx\":8192,\"batch\":16,\"precision\":\"bf16\","
     "\"engine\":\"vllm\",\"region\":\"eastus2\"}",
     PRECISION_BF16},
    {"{\"model\":\"gpt-oss-20b\",\"ctx\":65536,\"batch\":8,\"precision\":\"mxfp4\","
     "\"engine\":\"vllm\"}",
     PRECISION_MXFP4},
    {"{\"model\":\"qwen1.5-moe-a2.7b\",\"ctx\":8192,\"batch\":4,\"precision\":\"bf16\","
     "\"engine\":\"vllm\"}",
     PRECISION_BF16},
    {"{\"model\":\"qwen3-30b-a3b\",\"ctx\":32768,\"batch\":16,\"precision\":\"fp8\","
     "\"engine\":\"vllm\",\"region\":\"southcentralus\"}",
     PRECISION_FP8},
    {"{\"model\":\"mixtral-8x7b\",\"ctx\":32768,\"batch\":8,\"precision\":\"bf16\","
     "\"engine\":\"vllm\"}",
     PRECISION_BF16},
    {"{\"model\":\"llama-3-70b\",\"ctx\":8192,\"batch\":4,\"precision\":\"int4\","
     "\"engine\":\"vllm\"}",
     PRECISION_INT4},
    {"{\"model\":\"qwen2-72b\",\"ctx\":32768,\"batch\":32,\"precision\":\"bf16\","
     "\"engine\":\"vllm\",\"region\":\"eastus\"}",
     PRECISION_BF16},
    {"{\"model\":\"qwen2-57b-a14b\",\"ctx\":16384,\"batch\":8,\"precision\":\"int4\","
     "\"engine\":\"vllm\",\"region\":\"westus3\"}",
     PRECISION_INT4},
    {"{\"model\":\"mixtral-8x22b\",\"ctx\":65536,\"batch\":4,\"precision\":\"fp8\","
     "\"engine\":\"vllm\"}",
     PRECISION_FP8},
    {"{\"model\":\"dbrx\",\"ctx\":32768,\"batch\":8,\"precision\":\"bf16\",\"engine\":\"vllm\"}",
     PRECISION_BF16},
    {"{\"model\":\"deepseek-coder-v2\",\"ctx\":131072,\"batch\":1,\"precision\":\"fp8\","
     "\"engine\":\"vllm\"}",
     PRECISION_FP8},
    {"{\"model\":\"deepseek-r1\",\"ctx\":8192,\"batch\":1,\"precision\":\"fp8\","
     "\"engine\":\"vllm\"}",
     PRECISION_FP8},
    {"{\"model\":\"deepseek-v3\",\"ctx\":131072,\"batch\":4,\"precision\":\"fp8\","
     "\"engine\":\"vllm\",\"kv_precision\":\"fp8\"}",
     PRECISION_FP8},
    /* vLLM's knobs as an operator sets them: room for 64 sequences, 16K-token steps, no graphs */
    {"{\"model\":\"llama-3.1-70b\",\"ctx\":16384,\"batch\":32,\"precision\":\"fp8\","
     "\"engine\":\"vllm\",\"max_num_seqs\":64,\"max_num_batched_tokens\":16384,"
     "\"enforce_eager\":true}",
     PRECISION_FP8},
};

/* The answer's chosen layout is a deployment vLLM would start. */
static void valid_for_vllm(const json_t *r, const char *body)
{
    const json_t *vm = json_object_get(r, "sku");
    const json_t *a = json_object_get(r, "architecture");
    int tp = (int)num(r, "tensor_parallel"), nodes = (int)num(r, "nodes");
    ck_assert_msg(tp >= 1 && (tp & (tp - 1)) == 0, "%s: tp %d", body, tp);
    ck_assert_msg(tp <= (int)num(vm, "gpus_per_vm"), "%s: tp beyond one VM", body);
    ck_assert_msg((long long)num(a, "attention_heads") % tp == 0, "%s: heads %% tp", body);
    ck_assert_msg(nodes <= (int)num(a, "layers"), "%s: more stages than layers", body);
}

/* deploy.argv: `vllm serve MODEL` then flag/value pairs from vLLM's own names. */
static void argv_uses_vllm_names(const json_t *r, const char *body)
{
    const json_t *d = json_object_get(r, "deploy");
    const json_t *argv = json_object_get(d, "argv");
    ck_assert_msg(json_array_size(argv) >= 3, "%s: no argv", body);
    ck_assert_str_eq(json_string_value(json_array_get(argv, 0)), "vllm");
    ck_assert_str_eq(json_string_value(json_array_get(argv, 1)), "serve");
    int tp = 0;
    for (size_t i = 3; i < json_array_size(argv); i += 2) {
        const char *flag = json_string_value(json_array_get(argv, i));
        ck_assert_msg(listed(vllm_flags, flag), "%s: %s is not a vLLM argument", body, flag);
        if (listed(vllm_switches, flag)) {
            i--; /* no value follows */
            continue;
        }
        const char *value = json_string_value(json_array_get(argv, i + 1));
        ck_assert_msg(value != NULL, "%s: %s has no value", body, flag);
        ck_assert_msg(strncmp(value, "--", 2) != 0, "%s: %s has no value", body, flag);
        if (strcmp(flag, "--kv-cache-dtype") == 0)
            ck_assert_msg(listed(kv_dtypes, value), "%s: kv dtype %s", body, value);
        if (strcmp(flag, "--dtype") == 0)
            ck_assert_msg(listed(dtypes, value), "%s: dtype %s", body, value);
        if (strcmp(flag, "--tensor-parallel-size") == 0)
            tp = atoi(value);
    }
    ck_assert_int_eq(tp, (int)num(r, "tensor_parallel"));
}

/* No candidate the service knows that fits costs less (unpriced ones only after priced ones). */
static void cheapest_known(const json_t *r, const char *body)
{
    const json_t *best = json_object_get(r, "cost_per_hour");
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(r, "candidates"), i, c)
    {
        const json_t *cost = json_object_get(c, "cost_per_hour");
        if (!json_is_number(cost))
            continue;
        ck_assert_msg(json_is_number(best), "%s: unpriced pick beside a priced candidate", body);
        ck_assert_msg(json_number_value(best) <= json_number_value(cost), "%s: %s is cheaper", body,
                      json_string_value(json_object_get(c, "sku")));
    }
}

START_TEST(default_answer_is_the_deployment_an_operator_would_choose)
{
    const struct ask *k = &asks[_i];
    long st;
    json_t *r = post(k->body, &st);
    ck_assert_msg(st == 200, "%s: status %ld", k->body, st);
    ck_assert_msg(json_is_true(json_object_get(r, "fits")), "%s: does not fit", k->body);
    /* fits by the estimator's own per-GPU budget */
    const json_t *g = json_object_get(r, "per_gpu");
    ck_assert_msg(num(g, "kv_pool_gb") >= num(g, "kv_needed_gb"), "%s: KV short", k->body);
    /* only GPUs that can run the format */
    const char *gpu = json_string_value(json_object_get(json_object_get(r, "sku"), "gpu_model"));
    ck_assert_msg(vllm_gpu_supported(gpu, k->format, NULL), "%s: %s cannot run it", k->body, gpu);
    valid_for_vllm(r, k->body);
    cheapest_known(r, k->body);
    argv_uses_vllm_names(r, k->body);
    json_decref(r);
}
END_TEST

Suite *operator_asks_suite(void)
{
    Suite *s = suite_create("operator asks");
    TCase *tc = tcase_create("issue 13 done-when");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, start, stop);
    tcase_add_loop_test(tc, default_answer_is_the_deployment_an_operator_would_choose, 0,
                        (int)(sizeof(asks) / sizeof(asks[0])));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(operator_asks_suite)
