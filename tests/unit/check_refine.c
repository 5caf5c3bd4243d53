/* check_refine.c - decoding of the fields beyond the seed: conflicts, dependencies, defaults. */
#include "support/check_util.h"

#include <errno.h>
#include <string.h>

#include "config/presets.h"
#include "api/request.h"

static int decode(const char *json, struct estimate_request *r, struct error_info *err)
{
    ck_assert(presets_builtin() != NULL);
    json_t *body = json_loads(json, 0, NULL);
    ck_assert_msg(body != NULL, "bad test JSON %s", json);
    error_clear(err);
    int rc = request_decode_estimate(body, r, err);
    json_decref(body);
    return rc;
}

static void refused(const char *json, int status, const char *field)
{
    struct estimate_request r;
    struct error_info err;
    ck_assert_msg(decode(json, &r, &err) == -EINVAL, "accepted: %s", json);
    ck_assert_int_eq(err.status, status);
    ck_assert_msg(strcmp(err.field, field) == 0, "%s: field %s, expected %s (%s)", json, err.field,
                  field, err.message);
}

START_TEST(every_refine_field_is_a_known_request_field)
{
    for (size_t i = 0; i < refine_field_table.n; i++)
        ck_assert_msg(request_field_accepted(refine_field_table.rows[i].name),
                      "%s is decoded but refused as unknown", refine_field_table.rows[i].name);
    ck_assert(!request_field_accepted("ctx_length"));
}
END_TEST

START_TEST(seed_requests_turn_nothing_on)
{
    struct estimate_request r;
    struct error_info err;
    ck_assert_int_eq(decode("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,"
                            "\"precision\":\"fp16\"}",
                            &r, &err),
                     0);
    ck_assert(!r.refine.any);
}
END_TEST

START_TEST(a_preset_supplies_params_layers_and_hidden)
{
    struct estimate_request r;
    struct error_info err;
    ck_assert_int_eq(
        decode("{\"model\":\"LLAMA-3-8B\",\"ctx\":4096,\"precision\":\"bf16\"}", &r, &err), 0);
    ck_assert(r.refine.any && r.refine.counted);
    ck_assert_str_eq(r.refine.preset_name, "llama-3-8b");
    ck_assert_rel(r.in.layers, 32, 0);
    ck_assert_rel(r.in.hidden, 4096, 0);
    ck_assert_rel(r.refine.util, 0.90, 0);
    ck_assert_int_eq(r.refine.objective, CHOICE_OBJECTIVE_SEED);
}
END_TEST

START_TEST(conflicts_and_missing_dependencies_are_named)
{
    refused("{\"model\":\"gpt2\",\"hf_config\":{},\"ctx\":1,\"precision\":\"fp16\"}", 400,
            "hf_config");
    refused("{\"model\":\"gpt2\",\"layers\":12,\"ctx\":1,\"precision\":\"fp16\"}", 400, "layers");
    refused("{\"model\":\"gpt2\",\"kv_heads\":12,\"ctx\":1,\"precision\":\"fp16\"}", 400,
            "kv_heads");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"gpu_memory_utilization\":0.8}",
            400, "engine");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"engine\":\"vllm\","
            "\"solve\":\"max_ctx\"}",
            400, "sku");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"sku\":\"Standard_NC6s_v3\"}",
            400, "solve");
    refused("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":1,\"precision\":\"fp16\","
            "\"engine\":\"vllm\"}",
            422, "model");
    refused("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":1,\"precision\":\"fp16\","
            "\"kv_heads\":8}",
            400, "attention_heads");
    refused("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":1,\"precision\":\"fp16\","
            "\"kv_lora_rank\":512}",
            400, "qk_rope_head_dim");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"kv_precision\":\"int4\"}", 400,
            "kv_precision");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"objective\":\"fastest\"}", 400,
            "objective");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"vendor\":\"Intel\"}", 400,
            "vendor");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"region\":\"East US\"}", 400,
            "region");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"skus\":[]}", 400, "skus");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"skus\":[1]}", 400, "skus");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"bits_per_weight\":0.5}", 400,
            "bits_per_weight");
    refused("{\"model\":\"nope\",\"ctx\":1,\"precision\":\"fp16\"}", 422, "model");
    refused("{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"fp16\",\"modle\":1}", 400, "modle");
}
END_TEST

START_TEST(new_weight_formats_have_their_bytes)
{
    struct estimate_request r;
    struct error_info err;
    const struct {
        const char *name;
        double bytes;
    } formats[] = {{"fp8", 1}, {"fp4", 0.5}, {"nvfp4", 0.5625}, {"mxfp4", 0.53125}};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"model\":\"gpt2\",\"ctx\":1,\"precision\":\"%s\"}",
                 formats[i].name);
        ck_assert_int_eq(decode(body, &r, &err), 0);
        ck_assert_rel(r.in.bytes, formats[i].bytes, 0);
    }
}
END_TEST

Suite *refine_suite(void)
{
    Suite *s = suite_create("refine");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, every_refine_field_is_a_known_request_field);
    tcase_add_test(tc, seed_requests_turn_nothing_on);
    tcase_add_test(tc, a_preset_supplies_params_layers_and_hidden);
    tcase_add_test(tc, conflicts_and_missing_dependencies_are_named);
    tcase_add_test(tc, new_weight_formats_have_their_bytes);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(refine_suite)
