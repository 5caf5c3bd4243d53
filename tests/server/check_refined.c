/* check_refined.c - POST /estimate beyond the seed, end to end over HTTP (presets, vLLM, choice).
 */
#include "support/check_util.h"

#include "model/models.h"

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

static json_t *get(const char *path, long *status)
{
    struct http_result r;
    ck_assert_int_eq(testhttp(srv.port, "GET", path, NULL, NULL, 0, NULL, &r), 0);
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    http_result_free(&r);
    ck_assert(j != NULL);
    return j;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

static const char *str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

static bool assumes(const json_t *resp, const char *needle)
{
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(resp, "assumptions"), i, a)
    {
        if (strstr(json_string_value(a), needle))
            return true;
    }
    return false;
}

START_TEST(mixtral_bf16_32k_cheapest_is_two_a100_80gb)
{
    long st;
    json_t *r = post("{\"model\":\"mixtral-8x7b\",\"ctx\":32768,\"precision\":\"bf16\","
                     "\"engine\":\"vllm\",\"objective\":\"cheapest\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    /* 46.7B x 2 bytes = 93.4 GB of weights: two 80 GB GPUs with TP=2 is the classic deployment;
     * NC48ads_A100_v4 ($7.346/h eastus snapshot) is cheaper than 2 x H100 NVL ($13.96/h). */
    ck_assert_str_eq(str(json_object_get(r, "sku"), "sku"), "Standard_NC48ads_A100_v4");
    ck_assert_int_eq((int)num(r, "gpus"), 2);
    ck_assert_int_eq((int)num(r, "tensor_parallel"), 2);
    ck_assert_int_eq((int)num(r, "nodes"), 1);
    ck_assert_rel(num(r, "price_per_hour"), 7.346, 1e-12);
    ck_assert_rel(num(r, "kv_bytes_per_token"), 131072, 0);
    ck_assert_rel(num(json_object_get(r, "params"), "total_b"), 46.702792704, 1e-12);
    const json_t *g = json_object_get(r, "per_gpu");
    /* half of 93.4 GB, plus half again of what vLLM keeps whole on both ranks: the norms
     * (32 x 2 x 4096 + 4096) and the routers (32 x 8 x 4096), (266,240 + 1,048,576) / 2 x 2 B */
    ck_assert_rel(num(g, "weights_gb"), 46.702792704 + 1314816 / 1e9, 1e-12);
    ck_assert_rel(num(g, "kv_needed_gb"), 32768.0 * 65536 / 1e9, 1e-12);
    ck_assert(num(g, "kv_pool_gb") > 20 && num(g, "kv_pool_gb") < 30);
    ck_assert(num(r, "max_concurrency") > 10);
    ck_assert_rel(num(r, "max_ctx"), 32768, 0); /* capped by max_position_embeddings */
    ck_assert(assumes(r, "kv_precision defaulted to 16-bit"));
    ck_assert(assumes(r, "SkyPilot"));
    /* One price, named with its source and region: the size's object carries none of its own. */
    ck_assert_str_eq(str(r, "kind"), "refined");
    ck_assert_str_eq(str(r, "price_source"), "snapshot");
    ck_assert_str_eq(str(r, "price_region"), "eastus");
    ck_assert(json_object_get(json_object_get(r, "sku"), "price_per_hour") == NULL);
    /* The one total: what must fit per GPU, inside the budget; no seed totals beside it. */
    ck_assert_rel(num(r, "per_gpu_total_gb"),
                  num(g, "weights_gb") + num(g, "activation_gb") + num(g, "overhead_gb") +
                      num(g, "kv_needed_gb"),
                  1e-12);
    ck_assert(num(r, "per_gpu_total_gb") <= num(g, "budget_gb"));
    ck_assert(json_object_get(r, "total_gb") == NULL);
    ck_assert(json_object_get(r, "total_footprint_gb") == NULL);
    ck_assert(json_object_get(r, "weights_gb") == NULL);
    /* moe_active_ratio means what the request's field means: 2 of 8 experts */
    ck_assert_rel(num(r, "moe_active_ratio"), 0.25, 1e-12);
    ck_assert(json_array_size(json_object_get(r, "candidates")) >= 5);
    /* the ranking is by price */
    const json_t *c = json_object_get(r, "candidates");
    double prev = 0;
    for (size_t i = 0; i < json_array_size(c); i++) {
        const json_t *p = json_object_get(json_array_get(c, i), "price_per_hour");
        if (!json_is_number(p))
            break;
        ck_assert(json_number_value(p) >= prev);
        prev = json_number_value(p);
    }
    json_decref(r);
}
END_TEST

START_TEST(seed_only_request_gets_no_refinement_fields)
{
    long st;
    json_t *r = post("{\"params_b\":46.7,\"layers\":32,\"hidden\":4096,\"ctx\":32768,"
                     "\"precision\":\"bf16\",\"moe_active_ratio\":0.28}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert(json_object_get(r, "candidates") == NULL);
    ck_assert(json_object_get(r, "kv_bytes_per_token") == NULL);
    ck_assert(json_object_get(r, "kind") == NULL); /* the seed's bytes are the contract */
    /* the seed's KV: 2 x 32 x 32768 x 4096 x 2 */
    ck_assert_rel(num(r, "kv_gb"), 17.179869184, 1e-12);
    ck_assert_rel(num(r, "total_gb"), 1.2 * (93.4 + 17.179869184), 1e-12);
    json_decref(r);
}
END_TEST

START_TEST(explicit_gqa_fields_fix_the_kv_cache_and_keep_it_16_bit_for_int4)
{
    long st;
    json_t *r = post("{\"params_b\":8,\"layers\":32,\"hidden\":4096,\"ctx\":8192,"
                     "\"precision\":\"int4\",\"attention_heads\":32,\"kv_heads\":8}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert_rel(num(r, "weights_active_gb"), 4, 1e-12);
    ck_assert_rel(num(r, "kv_bytes_per_token"), 131072, 0);
    ck_assert_rel(num(r, "kv_gb"), 131072.0 * 8192 / 1e9, 1e-12);
    ck_assert(assumes(r, "head_dim defaulted"));
    ck_assert(assumes(r, "1.2x headroom"));
    json_decref(r);
}
END_TEST

/* True when the deploy argv holds arg. */
static bool argv_has(const json_t *r, const char *arg)
{
    const json_t *a = json_object_get(json_object_get(r, "deploy"), "argv"), *v;
    size_t i;
    json_array_foreach(a, i, v) if (strcmp(json_string_value(v), arg) == 0) return true;
    return false;
}

START_TEST(a_model_that_states_its_format_needs_no_precision)
{
    long st;
    json_t *r = post("{\"model\":\"gpt-oss-120b\",\"ctx\":8192,\"engine\":\"vllm\"}", &st);
    ck_assert_int_eq(st, 200);
    const json_t *w = json_object_get(r, "weights");
    ck_assert_str_eq(str(json_object_get(r, "input"), "precision"), "mxfp4");
    ck_assert_str_eq(str(w, "precision_source"), "checkpoint");
    ck_assert_str_eq(str(w, "method"), "mxfp4");
    /* Experts at 4.25 bits, attention / embeddings / head at 16: 65.25 GB, not 116.8B x 0.53. */
    ck_assert_rel(num(r, "weights_footprint_gb"), 65.248815744, 1e-12);
    ck_assert_rel(
        num(json_object_get(json_object_get(w, "components"), "attention"), "bits_per_param"), 16,
        0);
    /* vLLM detects the checkpoint's quantization: no --quantization, no --dtype. */
    ck_assert(!argv_has(r, "--quantization"));
    ck_assert(!argv_has(r, "--dtype"));
    ck_assert(assumes(r, "cannot run mxfp4 weights"));
    json_decref(r);
    /* A config without torch_dtype or quantization (gpt2) still needs one. */
    r = post("{\"model\":\"gpt2\",\"ctx\":512}", &st);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(str(json_object_get(r, "error"), "field"), "precision");
    json_decref(r);
}
END_TEST

START_TEST(precision_spellings_map_to_the_api_names_and_typos_get_a_hint)
{
    static const struct {
        const char *given, *canonical;
    } cases[] = {{"BF16", "bf16"},         {"bfloat16", "bf16"}, {"float16", "fp16"},
                 {"FP8", "fp8"},           {"fp8_e4m3", "fp8"},  {"half", "fp16"},
                 {"float8_e4m3fn", "fp8"}, {"MXFP4", "mxfp4"}};
    long st;
    char body[200];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(body, sizeof(body),
                 "{\"model\":\"llama-3.1-8b\",\"ctx\":4096,\"precision\":\"%s\"}", cases[i].given);
        json_t *r = post(body, &st);
        ck_assert_msg(st == 200, "%s: %ld", cases[i].given, st);
        ck_assert_str_eq(str(json_object_get(r, "input"), "precision"), cases[i].canonical);
        json_decref(r);
    }
    json_t *r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":4096,\"precision\":\"bf61\"}", &st);
    ck_assert_int_eq(st, 400);
    ck_assert(strstr(str(json_object_get(r, "error"), "message"), "did you mean \"bf16\"") != NULL);
    json_decref(r);
    /* The seed's requests keep the seed's exact names. */
    r = post("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"BF16\"}",
             &st);
    ck_assert_int_eq(st, 400);
    json_decref(r);
}
END_TEST

START_TEST(a_runtime_format_is_a_launch_flag_and_a_checkpoint_format_is_not)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3.3-70b\",\"ctx\":8192,\"precision\":\"fp8\"}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(json_object_get(r, "weights"), "precision_source"), "request_runtime");
    ck_assert(argv_has(r, "--quantization"));
    ck_assert(assumes(r, "launch-time choice"));
    json_decref(r);
    /* NVIDIA's ModelOpt checkpoint declares FP8 only in hf_quant_config.json (sent here). */
    r = post("{\"model\":\"llama-3.1-70b-instruct-fp8\",\"ctx\":8192,\"hf_quant_config\":"
             "{\"producer\":{\"name\":\"modelopt\",\"version\":\"0.23.0\"},\"quantization\":"
             "{\"quant_algo\":\"FP8\",\"kv_cache_quant_algo\":\"FP8\",\"exclude_modules\":"
             "[\"lm_head\"]}}}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(json_object_get(r, "input"), "precision"), "fp8");
    ck_assert_str_eq(str(json_object_get(r, "weights"), "method"), "modelopt");
    ck_assert(!argv_has(r, "--quantization"));
    json_decref(r);
    r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":4096,\"hf_quant_config\":{\"quantization\":"
             "{\"quant_algo\":\"INT3\"}}}",
             &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(str(json_object_get(r, "error"), "field"), "hf_quant_config.quant_algo");
    json_decref(r);
}
END_TEST

START_TEST(kv_precision_fp8_halves_the_cache)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"fp8\","
                     "\"kv_precision\":\"fp8\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert_rel(num(r, "kv_bytes_per_token"), 65536, 0);
    /* precision fp8 on the bf16 checkpoint is vLLM's launch-time fp8: every linear at one byte
     * plus one F32 scale (7 per layer), the embedding, lm_head (128256 x 4096 each) and the
     * norms stay bf16. */
    double linears = 8030261248.0 - 2 * 525336576.0 - 266240;
    ck_assert_rel(num(r, "weights_footprint_gb"),
                  (linears + 2 * 2 * 525336576.0 + 2 * 266240 + 32 * 7 * 4) / 1e9, 1e-12);
    json_decref(r);
}
END_TEST

START_TEST(bits_per_weight_sizes_gguf_formats)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":4096,\"bits_per_weight\":4.85}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_rel(num(r, "weights_footprint_gb"), 8.030261248 * 4.85 / 8, 1e-12);
    json_decref(r);
    r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":4096,\"bits_per_weight\":4.85,"
             "\"precision\":\"int4\"}",
             &st);
    ck_assert_int_eq(st, 400);
    json_decref(r);
}
END_TEST

START_TEST(model_with_params_b_is_a_conflict)
{
    long st;
    json_t *r = post("{\"model\":\"mixtral-8x7b\",\"params_b\":46.7,\"ctx\":4096,"
                     "\"precision\":\"bf16\"}",
                     &st);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(str(json_object_get(r, "error"), "field"), "params_b");
    json_decref(r);
}
END_TEST

START_TEST(unknown_model_and_unknown_config_are_422)
{
    long st;
    json_t *r = post("{\"model\":\"llama-9\",\"ctx\":4096,\"precision\":\"bf16\"}", &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(str(json_object_get(r, "error"), "code"), "unknown_model");
    ck_assert_str_eq(str(json_object_get(r, "error"), "field"), "model");
    json_decref(r);
    /* A near miss names the preset it probably meant. */
    r = post("{\"model\":\"Mixtral-8x7\",\"ctx\":4096,\"precision\":\"bf16\"}", &st);
    ck_assert_int_eq(st, 422);
    ck_assert_ptr_nonnull(
        strstr(str(json_object_get(r, "error"), "message"), "did you mean \"mixtral-8x7b\"?"));
    json_decref(r);
    r = post("{\"hf_config\":{\"model_type\":\"rwkv\"},\"ctx\":4096,\"precision\":\"bf16\"}", &st);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(str(json_object_get(r, "error"), "field"), "hf_config.model_type");
    json_decref(r);
    r = post("{\"model\":\"gpt2\",\"ctx\":4096,\"precision\":\"bf16\",\"engine\":\"tgi\"}", &st);
    ck_assert_int_eq(st, 400);
    json_decref(r);
}
END_TEST

START_TEST(hf_config_counts_parameters)
{
    long st;
    json_t *r = post("{\"hf_config\":{\"model_type\":\"llama\",\"num_hidden_layers\":32,"
                     "\"hidden_size\":4096,\"num_attention_heads\":32,\"num_key_value_heads\":8,"
                     "\"intermediate_size\":14336,\"vocab_size\":128256},\"ctx\":8192,"
                     "\"precision\":\"bf16\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert_rel(num(r, "params_b"), 8.030261248, 1e-12);
    json_decref(r);
}
END_TEST

/* A real config of tests/data/model-configs-decoders.json sent as hf_config; model_type removed
 * when drop_type (Kimi-K2's file then dispatches on architectures: DeepseekV3ForCausalLM). */
static json_t *post_decoder_config(const char *name, bool drop_type, long *st)
{
    json_error_t je;
    json_t *all = json_load_file(TEST_DATA_DIR "/model-configs-decoders.json", 0, &je);
    ck_assert_msg(all != NULL, "%s", je.text);
    json_t *cfg = NULL;
    size_t i;
    json_t *m;
    json_array_foreach(all, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) != 0)
            continue;
        cfg = json_object_get(m, "config");
        if (!json_is_object(cfg))
            cfg = json_object_get(m, "partial_config");
        cfg = json_deep_copy(cfg);
    }
    json_decref(all);
    ck_assert_msg(cfg != NULL, "%s missing", name);
    if (drop_type)
        json_object_del(cfg, "model_type");
    json_t *body = json_pack("{s:o, s:i, s:s}", "hf_config", cfg, "ctx", 8192, "precision", "bf16");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_t *r = post(text, st);
    free(text);
    return r;
}

START_TEST(hf_config_without_model_type_and_nested_configs_are_estimated)
{
    long st;
    json_t *r = post_decoder_config("Kimi-K2-Instruct", true, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_msg(fabs(num(r, "params_b") - 1026.4) < 0.1, "%g", num(r, "params_b"));
    ck_assert_rel(num(r, "kv_bytes_per_token"), 70272, 0); /* MLA: 61 x 576 x 2 */
    json_decref(r);
    r = post_decoder_config("Mistral-Small-3.1-24B-Instruct-2503 (excerpt)", false, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_msg(fabs(num(r, "params_b") - 24.0) / 24.0 < 0.01, "%g", num(r, "params_b"));
    ck_assert_rel(num(r, "kv_bytes_per_token"), 163840, 0); /* 40 x 8 x 128 x 2 x 2 */
    json_decref(r);
    r = post_decoder_config("gemma-3-4b-it (mlx-community bf16 copy)", false, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_msg(fabs(num(r, "params_b") - 4.3) / 4.3 < 0.01, "%g", num(r, "params_b"));
    json_decref(r);
}
END_TEST

START_TEST(deepseek_v3_bf16_needs_several_infiniband_nodes)
{
    long st;
    json_t *r = post("{\"model\":\"deepseek-v3\",\"ctx\":32768,\"precision\":\"bf16\","
                     "\"engine\":\"vllm\",\"objective\":\"fewest_gpus\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    /* 1342 GB of bf16 weights: more than any single VM (8 x 192 GB MI300X = 1536 GB nameplate,
     * but 8 x 186 GiB x 0.9 after the budget) - so a multi-node proposal or the largest VM. */
    ck_assert(json_object_get(r, "fits") == json_true());
    ck_assert_rel(num(r, "kv_bytes_per_token"), 70272, 0);
    json_t *sku = json_object_get(r, "sku");
    ck_assert(json_is_true(json_object_get(sku, "infiniband")));
    json_decref(r);
}
END_TEST

START_TEST(nothing_fits_one_vm_proposes_nodes)
{
    long st;
    /* fp32 DeepSeek-V3: 2.7 TB of weights, no single VM holds it */
    json_t *r = post("{\"model\":\"deepseek-v3\",\"ctx\":4096,\"precision\":\"fp32\","
                     "\"engine\":\"vllm\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    ck_assert(num(r, "nodes") > 1);
    ck_assert(assumes(r, "nothing fits one VM"));
    json_decref(r);
}
END_TEST

START_TEST(multi_node_price_is_per_vm_and_cost_covers_every_node)
{
    long st;
    json_t *r = post("{\"model\":\"deepseek-v3\",\"ctx\":4096,\"precision\":\"fp32\","
                     "\"engine\":\"vllm\",\"objective\":\"cheapest\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    int nodes = (int)num(r, "nodes");
    ck_assert_int_gt(nodes, 1);
    ck_assert_rel(num(r, "cost_per_hour"), num(r, "price_per_hour") * nodes, 1e-12);
    json_t *first = json_array_get(json_object_get(r, "candidates"), 0);
    ck_assert_rel(num(first, "price_per_hour"), num(r, "price_per_hour"), 1e-12);
    ck_assert_rel(num(first, "cost_per_hour"), num(r, "cost_per_hour"), 1e-12);
    json_decref(r);
}
END_TEST

START_TEST(without_an_engine_nodes_split_total_gb_over_infiniband_vms)
{
    long st;
    /* 3000B fp16 = 6000 GB x 1.2: no single VM (largest: 4 x 288 GB GB300, 8 x 192 GB MI300X) */
    json_t *r = post("{\"params_b\":3000,\"layers\":120,\"hidden\":16384,\"ctx\":4096,"
                     "\"precision\":\"fp16\",\"objective\":\"fewest_gpus\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    /* the seed's 1.2 x (weights + KV): 1.2 x (6000 + 2 x 120 x 4096 x 16384 x 2 / 1e9) */
    double total = 1.2 * (6000 + 2.0 * 120 * 4096 * 16384 * 2 / 1e9);
    int nodes = (int)num(r, "nodes"), gpus = (int)num(r, "gpus");
    const json_t *sku = json_object_get(r, "sku");
    ck_assert(json_is_true(json_object_get(sku, "infiniband")));
    ck_assert_int_gt(nodes, 1);
    ck_assert_rel(num(r, "per_gpu_total_gb"), total / (nodes * gpus), 1e-12);
    /* the fewest nodes that hold total_gb, and one node fewer would not */
    double per_node = gpus * num(sku, "vram_gb");
    ck_assert(nodes * per_node >= total);
    ck_assert((nodes - 1) * per_node < total);
    /* several VMs: a LeaderWorkerSet of one group of nodes pods, no KAITO Workspace */
    const json_t *lws = json_object_get(json_object_get(r, "deploy"), "leaderworkerset");
    ck_assert_str_eq(str(lws, "kind"), "LeaderWorkerSet");
    ck_assert_int_eq(
        (int)num(json_object_get(json_object_get(lws, "spec"), "leaderWorkerTemplate"), "size"),
        nodes);
    ck_assert(json_object_get(json_object_get(r, "deploy"), "kaito") == NULL);
    ck_assert(assumes(r, "nothing fits one VM"));
    json_decref(r);
}
END_TEST

START_TEST(solve_max_ctx_for_a_given_sku)
{
    long st;
    json_t *r =
        post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"batch\":16,\"precision\":\"bf16\","
             "\"engine\":\"vllm\",\"solve\":\"max_ctx\",\"sku\":\"Standard_NC24ads_A100_v4\"}",
             &st);
    ck_assert_int_eq(st, 200);
    const json_t *s = json_object_get(r, "solution");
    ck_assert_int_eq((int)num(s, "tensor_parallel"), 1);
    /* pool = 79.35 GiB x 0.9 - 14.96 GiB weights - 1.97 x 2048/8192 - 0.27 = 55.70 GiB; /16 /
     * 131072 B. An A100 runs vLLM's default 2048 batched tokens (arg_utils.py get_batch_defaults),
     * a quarter of the 8192 the activation was measured at. */
    double pool =
        79.35 * 0.9 * 1073741824.0 - 8030261248.0 * 2 - (1.97 * 2048 / 8192 + 0.27) * 1073741824.0;
    ck_assert_rel(num(s, "max_ctx"), floor(pool / 16 / 131072), 1e-9);
    ck_assert(num(s, "max_ctx") <= 131072); /* Llama-3.1 max_position_embeddings */
    json_decref(r);
    r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\",\"engine\":\"vllm\","
             "\"solve\":\"max_ctx\"}",
             &st);
    ck_assert_int_eq(st, 400);
    json_decref(r);
}
END_TEST

START_TEST(filters_restrict_the_candidates)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\","
                     "\"engine\":\"vllm\",\"vendor\":\"AMD\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    const json_t *c = json_object_get(r, "candidates");
    ck_assert(json_array_size(c) > 0);
    /* candidates name their size; its vendor is in GET /skus */
    json_t *amd = get("/skus?vendor=AMD", &st);
    ck_assert_int_eq(st, 200);
    for (size_t i = 0; i < json_array_size(c); i++) {
        const char *name = str(json_array_get(c, i), "sku");
        bool found = false;
        for (size_t k = 0; k < json_array_size(json_object_get(amd, "skus")); k++)
            found |= strcmp(str(json_array_get(json_object_get(amd, "skus"), k), "sku"), name) == 0;
        ck_assert_msg(found, "%s is not an AMD size", name);
    }
    json_decref(amd);
    json_decref(r);
    r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\","
             "\"skus\":[\"Standard_NC40ads_H100_v5\"]}",
             &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r, "candidates")), 1);
    json_decref(r);
}
END_TEST

START_TEST(explicit_seed_objective_matches_the_seed_answer)
{
    long st;
    const char *seed = "{\"params_b\":70,\"layers\":80,\"hidden\":8192,\"ctx\":8192,"
                       "\"precision\":\"fp16\"";
    char a[256], b[256];
    snprintf(a, sizeof(a), "%s}", seed);
    snprintf(b, sizeof(b), "%s,\"objective\":\"seed\"}", seed);
    json_t *ra = post(a, &st), *rb = post(b, &st);
    ck_assert_int_eq(st, 200);
    /* the refined answer's one total is per GPU: the seed's total over the GPUs chosen */
    ck_assert_rel(num(rb, "per_gpu_total_gb") * num(rb, "gpus"), num(ra, "total_gb"), 1e-12);
    ck_assert_int_eq((int)num(rb, "gpus"), (int)num(ra, "gpus"));
    ck_assert_str_eq(str(json_object_get(rb, "sku"), "sku"),
                     str(json_object_get(ra, "sku"), "sku"));
    ck_assert(json_array_size(json_object_get(rb, "candidates")) >= 1);
    json_decref(ra);
    json_decref(rb);
}
END_TEST

START_TEST(fewest_gpus_ranks_by_rented_gpus)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3-70b\",\"ctx\":8192,\"precision\":\"fp8\","
                     "\"engine\":\"vllm\",\"objective\":\"fewest_gpus\"}",
                     &st);
    ck_assert_int_eq(st, 200);
    /* 70.6 GB of fp8 weights: one A100 80GB still holds it with a 3.7 GB KV pool (79.35 GiB x 0.9
     * - 70.55 GB - 2.12 - 0.29), enough for one 8K sequence (2.68 GB). */
    ck_assert_int_eq((int)num(r, "gpus"), 1);
    const json_t *g = json_object_get(r, "per_gpu");
    ck_assert(num(g, "kv_pool_gb") >= num(g, "kv_needed_gb"));
    ck_assert_rel(num(g, "kv_needed_gb"), 327680.0 * 8192 / 1e9, 1e-12);
    /* ranked by GPUs rented (gpus_per_vm x nodes), fewest first: an 8-GPU VM counts 8 */
    const json_t *c = json_object_get(r, "candidates");
    int prev = 0;
    for (size_t i = 0; i < json_array_size(c); i++) {
        const json_t *e = json_array_get(c, i);
        int n = (int)num(e, "gpus_per_vm") * (int)num(e, "nodes");
        ck_assert_int_ge(n, prev);
        prev = n;
    }
    ck_assert_int_gt(prev, 1);
    json_decref(r);
}
END_TEST

START_TEST(cheapest_ranks_priced_multi_node_before_unpriced_single_vms)
{
    long st;
    json_t *r = post("{\"model\":\"deepseek-r1\",\"ctx\":8192,\"precision\":\"fp8\","
                     "\"engine\":\"vllm\",\"objective\":\"cheapest\"}",
                     &st);
    /* The single VMs that hold it (H200, MI300X, GB200/GB300) have no price: they stay candidates,
     * ranked after the priced two-node ND A100 80GB layout (Marlin fp8 runs on 8.0+). */
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(json_object_get(r, "sku"), "sku"), "Standard_ND96amsr_A100_v4");
    ck_assert_int_eq((int)num(r, "nodes"), 2);
    ck_assert_rel(num(r, "cost_per_hour"), 2 * 32.77, 1e-12);
    const json_t *c = json_object_get(r, "candidates");
    const json_t *last = json_array_get(c, json_array_size(c) - 1);
    ck_assert_str_eq(str(last, "price_source"), "none");
    ck_assert(json_is_null(json_object_get(last, "cost_per_hour")));
    json_decref(r);
    r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\","
             "\"engine\":\"vllm\",\"objective\":\"cheapest\",\"region\":\"eastus2\"}",
             &st);
    ck_assert_int_eq(st, 200);
    /* eastus2 prices from the SkyPilot v6 rows: the A10 at $3.20/h */
    ck_assert_str_eq(str(json_object_get(r, "sku"), "sku"), "Standard_NV36ads_A10_v5");
    ck_assert_rel(num(r, "price_per_hour"), 3.2, 1e-12);
    json_decref(r);
}
END_TEST

START_TEST(a_region_the_service_knows_nothing_about_is_422_listing_known_regions)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\","
                     "\"region\":\"westeurope\"}",
                     &st);
    ck_assert_int_eq(st, 422);
    const json_t *e = json_object_get(r, "error");
    ck_assert_str_eq(str(e, "code"), "unknown_region");
    ck_assert_str_eq(str(e, "field"), "region");
    ck_assert_ptr_nonnull(strstr(str(e, "message"), "eastus"));
    ck_assert_ptr_nonnull(strstr(str(e, "message"), "westus3"));
    json_decref(r);
}
END_TEST

/* Issue 16: a typo in skus was 200 fits:false "39 sizes filtered out"; it names the entry now. */
START_TEST(an_unknown_sku_in_the_allow_list_is_422_naming_it_with_a_hint)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\","
                     "\"skus\":[\"Standard_NC24ads_A100_v4\",\"Standard_ND96isr_H100_v6\"]}",
                     &st);
    ck_assert_int_eq(st, 422);
    const json_t *e = json_object_get(r, "error");
    ck_assert_str_eq(str(e, "code"), "unknown_sku");
    ck_assert_str_eq(str(e, "field"), "skus[1]");
    ck_assert_ptr_nonnull(strstr(str(e, "message"), "Standard_ND96isr_H100_v6"));
    ck_assert_ptr_nonnull(strstr(str(e, "message"), "did you mean \"Standard_ND96isr_H100_v5\""));
    json_decref(r);
    /* Case is ignored, as the filter matches. */
    r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\","
             "\"skus\":[\"standard_nc24ads_a100_v4\"]}",
             &st);
    ck_assert_int_eq(st, 200);
    json_decref(r);
}
END_TEST

START_TEST(a_model_without_objective_gets_the_cheapest_deployment_with_its_argv)
{
    long st;
    /* The ask: Qwen1.5-MoE-A2.7B fits one A100 80GB at $3.67/h, not 2 of 8 A100 40GB. */
    json_t *r = post("{\"model\":\"qwen1.5-moe-a2.7b\",\"ctx\":8192,\"precision\":\"bf16\"}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(r, "objective"), "cheapest");
    ck_assert_str_eq(str(json_object_get(r, "sku"), "sku"), "Standard_NC24ads_A100_v4");
    const json_t *d = json_object_get(r, "deploy");
    ck_assert_str_eq(str(d, "engine"), "vllm");
    const json_t *argv = json_object_get(d, "argv");
    ck_assert_str_eq(json_string_value(json_array_get(argv, 0)), "vllm");
    ck_assert_str_eq(json_string_value(json_array_get(argv, 2)), "Qwen/Qwen1.5-MoE-A2.7B");
    json_decref(r);
    /* gpt-oss-20b is MXFP4: never the T4s (no Marlin MXFP4 below 8.0) */
    r = post("{\"model\":\"gpt-oss-20b\",\"ctx\":8192,\"precision\":\"mxfp4\"}", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_ptr_null(strstr(str(json_object_get(r, "sku"), "gpu_model"), "T4"));
    json_decref(r);
}
END_TEST

START_TEST(sglang_engine_uses_its_default_mem_fraction_static_and_launch_args)
{
    long st;
    json_t *r = post("{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\","
                     "\"engine\":\"sglang\",\"skus\":[\"Standard_NC24ads_A100_v4\"]}",
                     &st);
    ck_assert_int_eq(st, 200);
    const json_t *in = json_object_get(r, "input");
    ck_assert_str_eq(str(in, "engine"), "sglang");
    /* A100 80GB (79.35 GiB = 81254 MiB > 60 GiB): reserved max(512 + 1.5 x 8192 + 2 x 256 + 128,
     * 10240) = 13440 MiB, so mem_fraction_static = round(1 - 13440 / 81254.4, 3) = 0.835 */
    ck_assert_rel(num(in, "mem_fraction_static"), 0.835, 1e-12);
    const json_t *argv = json_object_get(json_object_get(r, "deploy"), "argv");
    ck_assert_str_eq(json_string_value(json_array_get(argv, 2)), "sglang.launch_server");
    json_decref(r);
}
END_TEST

START_TEST(models_routes_list_and_show_presets)
{
    long st;
    json_t *r = get("/models", &st);
    ck_assert_int_eq(st, 200);
    ck_assert(num(r, "count") >= 24);
    json_decref(r);
    r = get("/models/DeepSeek-R1", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(r, "name"), "deepseek-r1");
    ck_assert(json_object_get(r, "architecture") != NULL);
    json_decref(r);
    r = get("/models/nope", &st);
    ck_assert_int_eq(st, 404);
    ck_assert_str_eq(str(json_object_get(r, "error"), "code"), "unknown_model");
    json_decref(r);
}
END_TEST

/* Every spelling of one preset GET /models/{id} accepts, and the preset each one names. */
START_TEST(models_route_finds_presets_by_name_id_alias_and_case)
{
    static const struct {
        const char *path, *name;
    } cases[] = {
        {"/models/mixtral-8x7b", "mixtral-8x7b"},                       /* preset name */
        {"/models/MIXTRAL-8X7B", "mixtral-8x7b"},                       /* any case */
        {"/models/mixtral-8x7b-instruct", "mixtral-8x7b"},              /* alias */
        {"/models/mistralai/Mixtral-8x7B-v0.1", "mixtral-8x7b"},        /* HF id, with its slash */
        {"/models/mistralai%2FMixtral-8x7B-v0.1", "mixtral-8x7b"},      /* HF id, URL-encoded */
        {"/models/deepseek-ai/deepseek-r1", "deepseek-r1"},             /* HF id, any case */
        {"/models/meta-llama/Llama-3.3-70B-Instruct", "llama-3.3-70b"}, /* added preset */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long st;
        json_t *r = get(cases[i].path, &st);
        ck_assert_msg(st == 200, "%s: %ld", cases[i].path, st);
        ck_assert_str_eq(str(r, "name"), cases[i].name);
        json_decref(r);
    }
}
END_TEST

START_TEST(models_route_refuses_three_segments_and_hints_near_misses)
{
    long st;
    json_t *r = get("/models/a/b/c", &st);
    ck_assert_int_eq(st, 404);
    ck_assert_str_eq(str(json_object_get(r, "error"), "code"), "not_found");
    json_decref(r);
    r = get("/models/deepseek-ai/DeepSeek-R2", &st);
    ck_assert_int_eq(st, 404);
    ck_assert_ptr_nonnull(
        strstr(str(json_object_get(r, "error"), "message"), "did you mean \"deepseek-r1\"?"));
    json_decref(r);
}
END_TEST

/* POSTs body to path (with its query) and returns the parsed reply, as post does. */
static json_t *post_to(const char *path, const char *body, long *status)
{
    struct http_result r;
    ck_assert_int_eq(
        testhttp(srv.port, "POST", path, "application/json", body, strlen(body), NULL, &r), 0);
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_msg(j != NULL, "reply is not JSON: %s", r.body);
    http_result_free(&r);
    return j;
}

/* The members the summary copies must equal the full answer's (the summary is a projection). */
static void same(const json_t *summary, const json_t *full, const char *key)
{
    ck_assert_msg(json_equal(json_object_get(summary, key), json_object_get(full, key)),
                  "summary %s differs from the full answer's", key);
}

START_TEST(summary_view_is_the_full_answer_cut_to_the_choice)
{
    long st;
    const char *ask = "{\"model\":\"mixtral-8x7b\",\"ctx\":32768,\"batch\":8,"
                      "\"precision\":\"bf16\",\"engine\":\"vllm\"}";
    json_t *full = post(ask, &st);
    ck_assert_int_eq(st, 200);
    json_t *sum = post_to("/estimate?view=summary", ask, &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(sum, "kind"), "refined");
    ck_assert_str_eq(str(sum, "view"), "summary");
    ck_assert_str_eq(str(sum, "sku"), str(json_object_get(full, "sku"), "sku"));
    const char *const keys[] = {"fits",
                                "gpus",
                                "nodes",
                                "tensor_parallel",
                                "per_gpu_total_gb",
                                "max_concurrency",
                                "price_per_hour",
                                "cost_per_hour",
                                "price_source",
                                "price_region",
                                NULL};
    for (size_t i = 0; keys[i]; i++)
        same(sum, full, keys[i]);
    ck_assert(json_equal(json_object_get(json_object_get(sum, "per_gpu"), "kv_pool_gb"),
                         json_object_get(json_object_get(full, "per_gpu"), "kv_pool_gb")));
    /* the launch command is the argv, and the runners-up are candidates 2..4 */
    const json_t *d = json_object_get(sum, "deploy");
    ck_assert(strncmp(str(d, "command"), "vllm serve mistralai/Mixtral-8x7B-v0.1 ", 39) == 0);
    ck_assert_str_eq(str(d, "manifest"), "kaito");
    const json_t *alt = json_object_get(sum, "alternatives");
    ck_assert_int_eq(json_array_size(alt), 3);
    ck_assert_str_eq(str(json_array_get(alt, 0), "sku"),
                     str(json_array_get(json_object_get(full, "candidates"), 1), "sku"));
    /* a few dozen members, not the full answer's hundreds */
    ck_assert(json_object_get(sum, "architecture") == NULL);
    ck_assert(json_object_get(sum, "candidates") == NULL);
    json_decref(full);
    json_decref(sum);
    /* the seed's answer and the training answer have summaries too */
    sum = post_to("/estimate?view=summary",
                  "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,"
                  "\"precision\":\"fp16\"}",
                  &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(sum, "kind"), "seed");
    ck_assert(num(sum, "total_gb") > 0);
    json_decref(sum);
    sum = post_to("/estimate?view=summary&view=full",
                  "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,"
                  "\"precision\":\"fp16\"}",
                  &st);
    ck_assert_int_eq(st, 400);
    json_decref(sum);
    sum = post_to("/estimate?view=summary",
                  "{\"model\":\"llama-3.1-8b\",\"ctx\":2048,\"precision\":\"bf16\","
                  "\"training\":{\"method\":\"lora\"}}",
                  &st);
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(sum, "kind"), "training");
    json_decref(sum);
}
END_TEST

START_TEST(an_unknown_view_or_query_parameter_is_400_naming_it)
{
    long st;
    const char *ask = "{\"model\":\"llama-3.1-8b\",\"ctx\":8192,\"precision\":\"bf16\"}";
    json_t *r = post_to("/estimate?view=short", ask, &st);
    ck_assert_int_eq(st, 400);
    const json_t *e = json_object_get(r, "error");
    ck_assert_str_eq(str(e, "code"), "invalid_parameter");
    ck_assert_str_eq(str(e, "field"), "view");
    ck_assert(strstr(str(e, "message"), "full, summary") != NULL);
    json_decref(r);
    r = post_to("/estimate?veiw=summary", ask, &st);
    ck_assert_int_eq(st, 400);
    e = json_object_get(r, "error");
    ck_assert_str_eq(str(e, "code"), "unknown_parameter");
    ck_assert(strstr(str(e, "message"), "did you mean \"view\"") != NULL);
    json_decref(r);
    r = post_to("/estimate?view=full", ask, &st); /* the default, by name */
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(str(r, "kind"), "refined");
    json_decref(r);
}
END_TEST

START_TEST(models_query_searches_names_ids_and_families_with_a_cap)
{
    long st;
    json_t *r = get("/models?q=QWEN3-", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(num(r, "count"), num(r, "matches"));
    ck_assert(num(r, "count") >= 7);
    ck_assert_str_eq(str(r, "query"), "QWEN3-");
    json_decref(r);
    r = get("/models?q=deepseek-ai%2F", &st); /* over Hugging Face ids */
    ck_assert_int_eq(st, 200);
    ck_assert(num(r, "count") >= 6);
    json_decref(r);
    r = get("/models?q=-", &st); /* in every preset's name: more than the cap */
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(num(r, "count"), MODELS_SEARCH_MAX);
    ck_assert(num(r, "matches") > MODELS_SEARCH_MAX);
    ck_assert(json_is_true(json_object_get(r, "truncated")));
    json_decref(r);
    r = get("/models?q=no-such-model", &st);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(num(r, "count"), 0);
    json_decref(r);
    r = get("/models?q=", &st);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(str(json_object_get(r, "error"), "field"), "q");
    json_decref(r);
    r = get("/models?name=gpt2", &st);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(str(json_object_get(r, "error"), "code"), "unknown_parameter");
    json_decref(r);
}
END_TEST

Suite *refined_suite(void)
{
    Suite *s = suite_create("refined");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 30);
    tcase_add_unchecked_fixture(tc, start, stop);
    tcase_add_test(tc, mixtral_bf16_32k_cheapest_is_two_a100_80gb);
    tcase_add_test(tc, summary_view_is_the_full_answer_cut_to_the_choice);
    tcase_add_test(tc, an_unknown_view_or_query_parameter_is_400_naming_it);
    tcase_add_test(tc, seed_only_request_gets_no_refinement_fields);
    tcase_add_test(tc, explicit_gqa_fields_fix_the_kv_cache_and_keep_it_16_bit_for_int4);
    tcase_add_test(tc, kv_precision_fp8_halves_the_cache);
    tcase_add_test(tc, bits_per_weight_sizes_gguf_formats);
    tcase_add_test(tc, model_with_params_b_is_a_conflict);
    tcase_add_test(tc, unknown_model_and_unknown_config_are_422);
    tcase_add_test(tc, hf_config_counts_parameters);
    tcase_add_test(tc, hf_config_without_model_type_and_nested_configs_are_estimated);
    tcase_add_test(tc, deepseek_v3_bf16_needs_several_infiniband_nodes);
    tcase_add_test(tc, nothing_fits_one_vm_proposes_nodes);
    tcase_add_test(tc, multi_node_price_is_per_vm_and_cost_covers_every_node);
    tcase_add_test(tc, without_an_engine_nodes_split_total_gb_over_infiniband_vms);
    tcase_add_test(tc, solve_max_ctx_for_a_given_sku);
    tcase_add_test(tc, filters_restrict_the_candidates);
    tcase_add_test(tc, explicit_seed_objective_matches_the_seed_answer);
    tcase_add_test(tc, fewest_gpus_ranks_by_rented_gpus);
    tcase_add_test(tc, cheapest_ranks_priced_multi_node_before_unpriced_single_vms);
    tcase_add_test(tc, a_region_the_service_knows_nothing_about_is_422_listing_known_regions);
    tcase_add_test(tc, an_unknown_sku_in_the_allow_list_is_422_naming_it_with_a_hint);
    tcase_add_test(tc, a_model_without_objective_gets_the_cheapest_deployment_with_its_argv);
    tcase_add_test(tc, sglang_engine_uses_its_default_mem_fraction_static_and_launch_args);
    tcase_add_test(tc, models_routes_list_and_show_presets);
    tcase_add_test(tc, models_route_finds_presets_by_name_id_alias_and_case);
    tcase_add_test(tc, models_route_refuses_three_segments_and_hints_near_misses);
    tcase_add_test(tc, models_query_searches_names_ids_and_families_with_a_cap);
    tcase_add_test(tc, a_model_that_states_its_format_needs_no_precision);
    tcase_add_test(tc, precision_spellings_map_to_the_api_names_and_typos_get_a_hint);
    tcase_add_test(tc, a_runtime_format_is_a_launch_flag_and_a_checkpoint_format_is_not);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(refined_suite)
