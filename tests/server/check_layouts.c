/*
 * check_layouts.c - POST /estimate with layout fields (tensor/pipeline/data/expert parallel,
 * decode context parallel, redundant experts) over HTTP: the KV capacity each layout gives, the
 * "parallelism" block, the launch argv, vLLM's refusals, and the chooser's EP + DP layouts.
 */
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

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

/* The checkpoint's bytes per parameter (weights.bytes / params.total): per-GPU weights are the
 * GPU's share of the parameters at this width. */
static double checkpoint_bytes_per_param(const json_t *r)
{
    return num(json_object_get(r, "weights"), "bytes") / num(json_object_get(r, "params"), "total");
}

/* The argv joined by spaces into buf. */
static const char *argv_of(const json_t *r, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(json_object_get(r, "deploy"), "argv"), i, a)
    {
        strncat(buf, json_string_value(a), cap - strlen(buf) - 2);
        strcat(buf, " ");
    }
    return buf;
}

#define R1_H200                                                                                    \
    "{\"model\":\"deepseek-r1\",\"precision\":\"fp8\",\"ctx\":8192,"                               \
    "\"batch\":64,"                                                                                \
    "\"engine\":\"vllm\",\"skus\":[\"Standard_ND96isr_H200_v5\"]"

/* DeepSeek-R1 on one 8 x H200 VM: TP 8 caches the latent 8 times; DP 8 once; DCP 8 splits it. */
START_TEST(deepseek_r1_layouts_show_their_kv_capacity)
{
    long st;
    json_t *tp = post(R1_H200 ",\"tensor_parallel\":8}", &st);
    ck_assert_int_eq(st, 200);
    json_t *dp = post(R1_H200 ",\"tensor_parallel\":1,\"data_parallel\":8,"
                              "\"expert_parallel\":true}",
                      &st);
    ck_assert_int_eq(st, 200);
    json_t *dcp = post(R1_H200 ",\"tensor_parallel\":8,\"decode_context_parallel\":8}", &st);
    ck_assert_int_eq(st, 200);
    /* weights per GPU: the hand calculation of docs/estimation.md (the GPU's share of the
     * parameters at 1 byte each), at the checkpoint's bytes per parameter (fp8 linears with F32
     * 128x128 block scales, bf16 embeddings, head and norms: weights.bytes / params.total) */
    double scale = checkpoint_bytes_per_param(tp);
    ck_assert(scale > 1.0 && scale < 1.01);
    ck_assert_rel(num(json_object_get(tp, "per_gpu"), "weights_gb"), 84.78035712 * scale, 1e-9);
    ck_assert_rel(num(json_object_get(dp, "per_gpu"), "weights_gb"), 98.856244736 * scale, 1e-9);
    double ktp = num(tp, "kv_capacity_tokens"), kdp = num(dp, "kv_capacity_tokens");
    double kdcp = num(dcp, "kv_capacity_tokens");
    ck_assert(kdp > 4 * ktp);
    ck_assert(kdcp > 7 * ktp);
    const json_t *p = json_object_get(dp, "parallelism");
    ck_assert_int_eq(num(p, "data_parallel"), 8);
    ck_assert_int_eq(num(p, "expert_parallel_size"), 8);
    ck_assert_int_eq(num(p, "experts_per_gpu"), 32);
    ck_assert(json_is_true(json_object_get(p, "expert_parallel")));
    ck_assert_int_eq(num(json_object_get(p, "kv_cache"), "sequences_per_dp_rank"), 8);
    ck_assert_rel(num(p, "router_imbalance"), 2.564, 1e-12);
    ck_assert(strstr(json_string_value(json_object_get(p, "router_imbalance_source")),
                     "NVIDIA/TensorRT-LLM examples/wide_ep/ep_load_balancer/README.md") != NULL);
    ck_assert(json_array_size(json_object_get(p, "alternatives")) >= 4);
    ck_assert_int_eq(num(json_object_get(json_object_get(tp, "parallelism"), "kv_cache"),
                         "replicas_per_tp_group"),
                     8);
    char buf[1024];
    ck_assert_msg(strstr(argv_of(dp, buf, sizeof(buf)),
                         "--tensor-parallel-size 1 --pipeline-parallel-size 1 ") != NULL,
                  "%s", buf);
    ck_assert_msg(strstr(buf, "--max-num-seqs 8 ") != NULL, "%s", buf); /* per DP rank */
    ck_assert_msg(strstr(buf, "--data-parallel-size 8 --enable-expert-parallel ") != NULL, "%s",
                  buf);
    ck_assert_msg(strstr(argv_of(dcp, buf, sizeof(buf)), "--decode-context-parallel-size 8 ") !=
                      NULL,
                  "%s", buf);
    json_decref(tp);
    json_decref(dp);
    json_decref(dcp);
}
END_TEST

/* EPLB's redundant experts: memory per rank and vLLM's current flags (--eplb-config). */
START_TEST(redundant_experts_cost_memory_and_print_eplb_flags)
{
    long st;
    json_t *r = post(R1_H200 ",\"tensor_parallel\":1,\"data_parallel\":8,\"expert_parallel\":true,"
                             "\"num_redundant_experts\":32}",
                     &st);
    ck_assert_int_eq(st, 200);
    const json_t *p = json_object_get(r, "parallelism");
    ck_assert_int_eq(num(p, "experts_per_gpu"), 36);
    ck_assert_rel(num(p, "router_imbalance"), 1.115, 1e-12);
    ck_assert_rel(num(json_object_get(r, "per_gpu"), "weights_gb"),
                  (98.856244736 + 4 * 44040192.0 * 58 / 1e9) * checkpoint_bytes_per_param(r), 1e-9);
    char buf[1024];
    ck_assert_msg(strstr(argv_of(r, buf, sizeof(buf)),
                         "--enable-eplb --eplb-config {\"num_redundant_experts\":32}") != NULL,
                  "%s", buf);
    json_decref(r);
}
END_TEST

/* SGLang: DP attention counts every GPU in --tp-size. */
START_TEST(sglang_argv_has_dp_attention_and_ep_size)
{
    long st;
    json_t *r = post("{\"model\":\"deepseek-r1\",\"precision\":\"fp8\",\"ctx\":8192,\"batch\":64,"
                     "\"engine\":\"sglang\",\"skus\":[\"Standard_ND96isr_H200_v5\"],"
                     "\"tensor_parallel\":1,\"data_parallel\":8,\"expert_parallel\":true}",
                     &st);
    ck_assert_int_eq(st, 200);
    char buf[1024];
    ck_assert_msg(
        strstr(argv_of(r, buf, sizeof(buf)),
               "--tp-size 8 --pp-size 1 --dp-size 8 --enable-dp-attention --ep-size 8 ") != NULL,
        "%s", buf);
    json_decref(r);
}
END_TEST

static void refused(const char *body, long status, const char *field, const char *needle)
{
    long st;
    json_t *r = post(body, &st);
    const json_t *e = json_object_get(r, "error");
    ck_assert_msg(st == status, "%ld: %s", st, json_string_value(json_object_get(e, "message")));
    ck_assert_str_eq(json_string_value(json_object_get(e, "field")), field);
    ck_assert_msg(strstr(json_string_value(json_object_get(e, "message")), needle) != NULL, "%s",
                  json_string_value(json_object_get(e, "message")));
    json_decref(r);
}

START_TEST(bad_layouts_are_refused_naming_the_field)
{
    refused("{\"model\":\"llama-3-8b\",\"ctx\":8192,\"precision\":\"bf16\",\"engine\":\"vllm\","
            "\"tensor_parallel\":3}",
            422, "tensor_parallel",
            "Total number of attention heads (32) must be divisible by tensor parallel size (3).");
    refused("{\"model\":\"llama-3-8b\",\"ctx\":8192,\"precision\":\"bf16\",\"engine\":\"vllm\","
            "\"expert_parallel\":true}",
            422, "expert_parallel", "Number of experts in the model must be greater than 0");
    refused("{\"model\":\"deepseek-r1\",\"ctx\":8192,\"precision\":\"bf16\",\"engine\":\"vllm\","
            "\"num_redundant_experts\":8}",
            400, "num_redundant_experts", "enable_expert_parallel must be True to use EPLB");
    refused("{\"model\":\"deepseek-r1\",\"ctx\":8192,\"precision\":\"bf16\",\"engine\":\"vllm\","
            "\"tensor_parallel\":4,"
            "\"decode_context_parallel\":8}",
            422, "decode_context_parallel", "tp_size=4 must be divisible by dcp_size=8.");
    refused("{\"model\":\"deepseek-r1\",\"ctx\":8192,\"precision\":\"bf16\",\"engine\":\"vllm\","
            "\"tensor_parallel\":16}",
            422, "tensor_parallel", "stays inside one node");
    refused(
        "{\"model\":\"deepseek-r1\",\"ctx\":8192,\"precision\":\"bf16\",\"expert_parallel\":true}",
        400, "engine", "add \"engine\"");
    refused("{\"model\":\"llama-3-8b\",\"ctx\":8192,\"precision\":\"bf16\",\"engine\":\"vllm\","
            "\"tensr_parallel\":2}",
            400, "tensr_parallel", "did you mean \"tensor_parallel\"");
}
END_TEST

/*
 * The default chooser weighs EP + DP layouts for MoE models: at 64 x 32K, TP 8 would hold 64
 * copies-per-rank of DeepSeek-R1's latent on every GPU and fits nowhere one VM holds it; EP over
 * two ND A100 v4 VMs (16 DP ranks, 4 sequences each) is the cheapest fit.
 */
START_TEST(default_chooser_takes_an_ep_layout_when_tp_does_not_fit)
{
    long st;
    json_t *r = post("{\"model\":\"deepseek-r1\",\"precision\":\"fp8\",\"ctx\":32768,\"batch\":64,"
                     "\"engine\":\"vllm\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    const json_t *p = json_object_get(r, "parallelism");
    ck_assert(json_is_true(json_object_get(p, "expert_parallel")));
    ck_assert_int_eq(json_array_size(json_object_get(p, "fixed_by_request")), 0);
    ck_assert_int_eq(num(p, "gpus"), num(r, "gpus") * num(r, "nodes"));
    json_decref(r);
    /* the same request fixing TP and PP gets exactly that layout */
    r = post("{\"model\":\"deepseek-r1\",\"precision\":\"fp8\",\"ctx\":8192,"
             "\"batch\":8,"
             "\"engine\":\"vllm\",\"tensor_parallel\":8,\"pipeline_parallel\":2}",
             &st);
    ck_assert_int_eq(st, 200);
    p = json_object_get(r, "parallelism");
    ck_assert_int_eq(num(p, "tensor_parallel"), 8);
    ck_assert_int_eq(num(p, "pipeline_parallel"), 2);
    ck_assert_int_eq(num(r, "nodes"), 2);
    json_decref(r);
}
END_TEST

/* Without an engine the shared names are still the training model's (compatibility). */
START_TEST(training_keeps_its_parallel_fields)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3-8b\",\"tensor_parallel\":2,\"ctx\":2048,\"batch\":4,"
                     "\"precision\":\"bf16\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r, "mode")), "training");
    json_decref(r);
}
END_TEST

Suite *layouts_suite(void)
{
    Suite *s = suite_create("layouts");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, start, stop);
    tcase_add_test(tc, deepseek_r1_layouts_show_their_kv_capacity);
    tcase_add_test(tc, redundant_experts_cost_memory_and_print_eplb_flags);
    tcase_add_test(tc, sglang_argv_has_dp_attention_and_ep_size);
    tcase_add_test(tc, bad_layouts_are_refused_naming_the_field);
    tcase_add_test(tc, default_chooser_takes_an_ep_layout_when_tp_does_not_fit);
    tcase_add_test(tc, training_keeps_its_parallel_fields);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(layouts_suite)
