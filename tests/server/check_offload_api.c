/* check_offload_api.c - POST /estimate with MoE experts in host RAM, end to end over HTTP. */
#include "support/check_util.h"

#include <jansson.h>
#include <stdbool.h>
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

static const json_t *at(const json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    const json_t *v = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        v = json_object_get(v, k);
    ck_assert_msg(v != NULL, "no %s", path);
    return v;
}

static double num(const json_t *o, const char *path)
{
    const json_t *v = at(o, path);
    ck_assert_msg(json_is_number(v), "%s is not a number", path);
    return json_number_value(v);
}

static bool argv_has(const json_t *argv, const char *a, const char *b)
{
    for (size_t i = 0; i + (b ? 1 : 0) < json_array_size(argv); i++)
        if (strcmp(json_string_value(json_array_get(argv, i)), a) == 0 &&
            (b == NULL || strcmp(json_string_value(json_array_get(argv, i + 1)), b) == 0))
            return true;
    return false;
}

static void refused(const char *body, long want, const char *field)
{
    long st;
    json_t *j = post(body, &st);
    ck_assert_msg(st == want, "%s: status %ld", body, st);
    ck_assert_str_eq(json_string_value(at(j, "error.field")), field);
    json_decref(j);
}

/* The done-when of issue 14: DeepSeek-R1 on the cheapest single VM is an offloaded layout with
 * its host memory and a tokens/s bound, flagged as slower. */
START_TEST(deepseek_r1_cheapest_single_vm_is_offloaded_with_host_memory_and_a_bound)
{
    long st;
    json_t *j = post("{\"model\":\"deepseek-r1\",\"gguf\":\"Q4_K_M\",\"ctx\":4096,"
                     "\"offload\":\"auto\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_true(at(j, "fits")));
    ck_assert_int_eq((int)num(j, "nodes"), 1);
    ck_assert(json_is_true(at(j, "offload.offloaded")));
    ck_assert(json_is_true(at(j, "offload.slower")));
    ck_assert_str_eq(json_string_value(at(j, "offload.layout")), "cpu_experts");
    /* Host RAM holds the 58 MoE layers' experts and fits the VM; the GPU share fits its GPU. */
    ck_assert_int_eq((int)num(j, "offload.experts.host_layers"), 58);
    ck_assert(num(j, "offload.host.total_gib") <= num(j, "offload.host.vm_memory_gib"));
    ck_assert(num(j, "offload.host.experts_gb") > 350);
    ck_assert(num(j, "offload.gpu.per_gpu_gb") <= num(j, "offload.gpu.gpu_vram_gb"));
    double bound = num(j, "offload.speed.tokens_per_s_bound");
    ck_assert(bound > 0);
    ck_assert_rel(bound,
                  num(j, "offload.speed.bandwidth_gbs") * 1e9 /
                      num(j, "offload.speed.bytes_per_token"),
                  1e-9);
    ck_assert_ptr_nonnull(
        strstr(json_string_value(at(j, "offload.speed.statement")), "is bounded by"));
    /* The cheapest: no candidate costs less, and every offloaded one says so. */
    double cost = num(j, "cost_per_hour");
    size_t i;
    const json_t *c;
    json_array_foreach(at(j, "candidates"), i, c)
    {
        ck_assert(json_is_boolean(json_object_get(c, "offloaded")));
        const json_t *cc = json_object_get(c, "cost_per_hour");
        if (json_is_number(cc))
            ck_assert(json_number_value(cc) >= cost);
    }
    ck_assert_str_eq(json_string_value(at(j, "deploy.engine")), "llama.cpp");
    ck_assert(argv_has(at(j, "deploy.argv"), "--cpu-moe", NULL));
    ck_assert(argv_has(at(j, "deploy.argv"), "-m", "DeepSeek-R1-Q4_K_M.gguf"));
    ck_assert(json_is_array(at(j, "deploy.ktransformers_argv")));
    /* ktransformers' own budget beside llama.cpp's: R1 has V3's layout, 14.6 GB at 4K (the
     * 14 GB it publishes; check_offload has the parts), more than llama.cpp's GPU share. */
    ck_assert_rel(num(j, "deploy.ktransformers_gpu.total_gb"), 14.61, 0.005);
    ck_assert(num(j, "deploy.ktransformers_gpu.total_gb") > num(j, "offload.gpu.total_gb"));
    ck_assert_ptr_nonnull(
        strstr(json_string_value(at(j, "deploy.ktransformers_gpu.source")), "65d73ea"));
    json_decref(j);

    /* A GQA MoE model gets ktransformers' argv but no budget (the rule file read is DeepSeek's). */
    j = post("{\"model\":\"mixtral-8x7b\",\"gguf\":\"Q4_K_M\",\"ctx\":4096,"
             "\"offload\":\"cpu_experts\"}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_is_true(at(j, "offload.offloaded")));
    ck_assert(json_is_array(at(j, "deploy.ktransformers_argv")));
    ck_assert_ptr_null(json_object_get(at(j, "deploy"), "ktransformers_gpu"));
    json_decref(j);

    /* Without offload the same request keeps its all-GPU answer (no offload member). */
    j = post("{\"model\":\"deepseek-r1\",\"gguf\":\"Q4_K_M\",\"ctx\":4096}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_ptr_null(json_object_get(j, "offload"));
    ck_assert(num(j, "cost_per_hour") > cost);
    json_decref(j);
}
END_TEST

/* --n-cpu-moe counts blocks: DeepSeek's 3 dense blocks come first, so 20 MoE layers = 23. */
START_TEST(n_cpu_moe_argv_counts_blocks_and_the_rest_of_the_experts_stay_on_gpu)
{
    long st;
    json_t *j = post("{\"model\":\"deepseek-r1\",\"gguf\":\"Q4_K_M\",\"ctx\":4096,"
                     "\"offload\":\"cpu_experts\",\"offload_layers\":20}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq((int)num(j, "offload.experts.host_layers"), 20);
    ck_assert(num(j, "offload.gpu.experts_gb") > 100);
    ck_assert(argv_has(at(j, "deploy.argv"), "--n-cpu-moe", "23"));
    json_decref(j);
}
END_TEST

/* The seed's Prophet budget: Switch-XXL with 16 of 128 experts resident, fetched over PCIe. */
START_TEST(on_demand_switch_xxl_keeps_16_of_128_experts_and_bounds_by_pcie)
{
    long st;
    json_t *j = post("{\"model\":\"switch-xxl-128\",\"precision\":\"fp16\",\"ctx\":512,"
                     "\"offload\":\"on_demand\",\"resident_experts_per_layer\":16}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert_rel(num(j, "offload.gpu.experts_gb"), 96.6, 0.01);
    ck_assert_rel(num(j, "offload.speed.hit_rate"), 0.125, 1e-9);
    ck_assert_str_eq(json_string_value(at(j, "offload.speed.link")), "pcie");
    ck_assert(json_is_null(at(j, "deploy.argv")));
    json_decref(j);
    j = post("{\"model\":\"switch-xxl-128\",\"precision\":\"fp16\",\"ctx\":512,"
             "\"offload\":\"on_demand\",\"resident_experts_per_layer\":16,"
             "\"expert_hit_rate\":0.9}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert_rel(num(j, "offload.speed.hit_rate"), 0.9, 1e-12);
    ck_assert_str_eq(json_string_value(at(j, "offload.speed.hit_rate_source")), "given");
    json_decref(j);
}
END_TEST

START_TEST(offload_is_refused_where_it_means_nothing)
{
    /* Dense model, the seed's path, an engine, training, a bad layout, typos. */
    refused("{\"model\":\"llama-3-8b\",\"precision\":\"fp16\",\"ctx\":4096,\"offload\":\"cpu_"
            "experts\"}",
            422, "offload");
    refused("{\"params_b\":47,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\","
            "\"moe_active_ratio\":0.3,\"offload\":\"cpu_experts\"}",
            422, "model");
    refused("{\"model\":\"mixtral-8x7b\",\"precision\":\"fp16\",\"ctx\":4096,\"engine\":\"vllm\","
            "\"offload\":\"cpu_experts\"}",
            400, "engine");
    refused("{\"model\":\"mixtral-8x7b\",\"precision\":\"fp16\",\"ctx\":4096,\"training\":true,"
            "\"offload\":\"cpu_experts\"}",
            400, "offload");
    refused("{\"model\":\"mixtral-8x7b\",\"precision\":\"fp16\",\"ctx\":4096,"
            "\"offload\":\"on_demand\"}",
            400, "resident_experts_per_layer");
    refused("{\"model\":\"mixtral-8x7b\",\"precision\":\"fp16\",\"ctx\":4096,"
            "\"offload\":\"on_demand\",\"resident_experts_per_layer\":8}",
            422, "resident_experts_per_layer");
    refused("{\"model\":\"mixtral-8x7b\",\"precision\":\"fp16\",\"ctx\":4096,"
            "\"offload\":\"cpu_experts\",\"offload_layers\":33}",
            422, "offload_layers");
    refused("{\"model\":\"mixtral-8x7b\",\"precision\":\"fp16\",\"ctx\":4096,"
            "\"offload_layers\":3}",
            400, "offload_layers");
    refused("{\"model\":\"mixtral-8x7b\",\"precision\":\"fp16\",\"ctx\":4096,"
            "\"offload\":\"cpu_exprets\"}",
            400, "offload");
    refused("{\"model\":\"mixtral-8x7b\",\"precision\":\"fp16\",\"ctx\":4096,\"ofload\":\"auto\"}",
            400, "ofload");
    refused("{\"model\":\"mixtral-8x7b\",\"gguf\":\"Q4_K_M\",\"precision\":\"fp16\",\"ctx\":4096}",
            400, "gguf");
    refused("{\"model\":\"mixtral-8x7b\",\"gguf\":\"Q4_K_X\",\"ctx\":4096}", 400, "gguf");
}
END_TEST

Suite *offload_api_suite(void)
{
    Suite *s = suite_create("offload_api");
    TCase *tc = tcase_create("offload_api");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, start, stop);
    tcase_add_test(tc, deepseek_r1_cheapest_single_vm_is_offloaded_with_host_memory_and_a_bound);
    tcase_add_test(tc, n_cpu_moe_argv_counts_blocks_and_the_rest_of_the_experts_stay_on_gpu);
    tcase_add_test(tc, on_demand_switch_xxl_keeps_16_of_128_experts_and_bounds_by_pcie);
    tcase_add_test(tc, offload_is_refused_where_it_means_nothing);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(offload_api_suite)
