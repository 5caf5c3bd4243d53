/* check_arch.c - decoding HF config.json objects and model presets: fields, defaults, errors. */
#include "support/check_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/arch.h"
#include "config/embedded.h"
#include "model/models.h"
#include "model/params.h"
#include "config/presets.h"

static int decode(const char *json, struct arch *a, struct error_info *err)
{
    json_error_t je;
    json_t *cfg = json_loads(json, 0, &je);
    ck_assert_msg(cfg != NULL, "%s", je.text);
    error_clear(err);
    int rc = arch_from_hf_config(cfg, "hf_config", a, err);
    json_decref(cfg);
    return rc;
}

START_TEST(unknown_model_type_is_422_and_lists_the_supported_ones)
{
    struct arch a;
    struct error_info err;
    ck_assert_int_eq(decode("{\"model_type\": \"rwkv\"}", &a, &err), -EINVAL);
    ck_assert_int_eq(err.status, 422);
    ck_assert_str_eq(err.field, "hf_config.model_type");
    ck_assert(strstr(err.message, "rwkv") && strstr(err.message, "deepseek_v3"));
}
END_TEST

START_TEST(unsupported_names_the_closest_family_and_the_explicit_fields)
{
    struct arch a;
    struct error_info err;
    ck_assert_int_eq(decode("{\"model_type\": \"qwen3_moee\"}", &a, &err), -EINVAL);
    ck_assert_str_eq(err.code, "unsupported_model_type");
    ck_assert(strstr(err.message, "closest supported family is \"qwen3_moe\""));
    ck_assert(strstr(err.message, "kv_heads") && strstr(err.message, "params_b"));
    /* The whole supported list fits: the last row is named. */
    ck_assert(strstr(err.message, "gptj") && strstr(err.message, "jamba"));
    /* Without model_type the architecture is named instead. */
    ck_assert_int_eq(decode("{\"architectures\": [\"Llama5ForCausalLM\"]}", &a, &err), -EINVAL);
    ck_assert_str_eq(err.field, "hf_config.architectures");
    ck_assert(strstr(err.message, "Llama5ForCausalLM") && strstr(err.message, "\"llama\""));
}
END_TEST

/*
 * The longest real hint: a model_type at the 60 characters the message quotes, whose closest
 * family is the longest family name, with the whole supported list. It once ended mid-word at
 * 320 bytes; now it must end with its last sentence, well inside the record.
 */
START_TEST(the_longest_unsupported_hint_arrives_whole)
{
    struct arch a;
    struct error_info err;
    char body[256];
    snprintf(body, sizeof(body), "{\"model_type\": \"granitemoehybrid%s\"}",
             "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"); /* 16 + 44 = 60 characters */
    ck_assert_int_eq(decode(body, &a, &err), -EINVAL);
    ck_assert_str_eq(err.code, "unsupported_model_type");
    size_t n = strlen(err.message);
    const char *tail = "windowed_layers)";
    ck_assert_msg(n >= strlen(tail) && strcmp(err.message + n - strlen(tail), tail) == 0,
                  "the hint was cut: ...%s", err.message + (n > 60 ? n - 60 : 0));
    /* Room left for growth: a cut would leave n at sizeof - 1. */
    ck_assert_uint_lt(n, sizeof(err.message) - 1);
}
END_TEST

/* vLLM's derived max_model_len (vllm/config/model.py _get_and_verify_max_len) on real presets. */
START_TEST(max_context_is_vllms_derived_max_model_len)
{
    const struct models *m = presets_builtin();
    ck_assert(m != NULL);
    /* yarn: original_max_position_embeddings 4096 x factor 40 */
    const struct model_preset *p = models_find(m, "deepseek-v3");
    ck_assert_int_eq(p->arch.max_context, 163840);
    ck_assert_str_eq(p->arch.max_context_rule,
                     "original_max_position_embeddings=4096 x yarn factor 40");
    /* yarn 4096 x 32 */
    ck_assert_int_eq(models_find(m, "gpt-oss-20b")->arch.max_context, 131072);
    /* llama3 RoPE is not scaled again: max_position_embeddings as written */
    p = models_find(m, "llama-3.1-8b");
    ck_assert_int_eq(p->arch.max_context, 131072);
    ck_assert_str_eq(p->arch.max_context_rule, "max_position_embeddings=131072");
    /* longrope (phi-3.5) neither */
    ck_assert_int_eq(models_find(m, "phi-3.5-mini-instruct")->arch.max_context, 131072);
}
END_TEST

/* The rules on their own: the least length key, a dynamic factor, gemma3's length kept. */
START_TEST(max_context_takes_the_least_key_and_the_rope_factor)
{
    struct arch a;
    struct error_info err;
    const char *base = "\"model_type\": \"llama\", \"num_hidden_layers\": 2, \"hidden_size\": 64,"
                       " \"num_attention_heads\": 4, \"intermediate_size\": 128,"
                       " \"vocab_size\": 100";
    char cfg[512];
    snprintf(cfg, sizeof(cfg),
             "{%s, \"max_position_embeddings\": 32768, \"seq_length\": 8192,"
             " \"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}}",
             base);
    ck_assert_int_eq(decode(cfg, &a, &err), 0);
    ck_assert_int_eq(a.max_context, 16384);
    ck_assert_str_eq(a.max_context_rule, "seq_length=8192 x dynamic factor 2");
    /* transformers v5 rope_parameters by layer type */
    snprintf(cfg, sizeof(cfg),
             "{%s, \"max_position_embeddings\": 4096, \"rope_parameters\": {\"full_attention\":"
             " {\"rope_type\": \"linear\", \"factor\": 4.0}}}",
             base);
    ck_assert_int_eq(decode(cfg, &a, &err), 0);
    ck_assert_int_eq(a.max_context, 16384);
}
END_TEST

START_TEST(architectures_dispatch_without_model_type)
{
    struct arch a;
    struct error_info err;
    ck_assert_int_eq(
        decode("{\"architectures\": [\"MistralForCausalLM\"], \"num_hidden_layers\": 2,"
               " \"hidden_size\": 64, \"num_attention_heads\": 4,"
               " \"intermediate_size\": 128, \"vocab_size\": 100}",
               &a, &err),
        0);
    ck_assert_str_eq(a.model_type, "mistral");
}
END_TEST

START_TEST(a_nested_config_without_text_config_is_refused)
{
    struct arch a;
    struct error_info err;
    ck_assert_int_eq(decode("{\"model_type\": \"gemma3\"}", &a, &err), -EINVAL);
    ck_assert_str_eq(err.field, "hf_config.text_config");
}
END_TEST

START_TEST(missing_fields_are_all_named)
{
    struct arch a;
    struct error_info err;
    ck_assert_int_eq(decode("{\"model_type\": \"llama\", \"hidden_size\": 4096}", &a, &err),
                     -EINVAL);
    ck_assert_int_eq(err.status, 422);
    ck_assert_str_eq(err.field, "hf_config.num_hidden_layers");
    ck_assert(strstr(err.message, "num_hidden_layers") &&
              strstr(err.message, "num_attention_heads") &&
              strstr(err.message, "intermediate_size") && strstr(err.message, "vocab_size"));
    ck_assert(strstr(err.message, "hidden_size,") == NULL);
}
END_TEST

START_TEST(missing_model_type_is_422)
{
    struct arch a;
    struct error_info err;
    ck_assert_int_eq(decode("{\"hidden_size\": 4096}", &a, &err), -EINVAL);
    ck_assert_int_eq(err.status, 422);
    ck_assert_str_eq(err.field, "hf_config.model_type");
}
END_TEST

START_TEST(wrong_types_and_ranges_are_refused)
{
    struct arch a;
    struct error_info err;
    ck_assert_int_eq(decode("{\"model_type\": \"llama\", \"num_hidden_layers\": 32.5, "
                            "\"hidden_size\": 4096, \"num_attention_heads\": 32, "
                            "\"intermediate_size\": 11008, \"vocab_size\": 32000}",
                            &a, &err),
                     -EINVAL);
    ck_assert_str_eq(err.field, "hf_config.num_hidden_layers");
    ck_assert_int_eq(decode("{\"model_type\": \"llama\", \"num_hidden_layers\": 32, "
                            "\"hidden_size\": 4096, \"num_attention_heads\": 32, "
                            "\"num_key_value_heads\": 5, "
                            "\"intermediate_size\": 11008, \"vocab_size\": 32000}",
                            &a, &err),
                     -EINVAL);
    ck_assert(strstr(err.message, "multiple of kv_heads"));
}
END_TEST

START_TEST(llama_defaults_follow_transformers)
{
    struct arch a;
    struct error_info err;
    ck_assert_int_eq(decode("{\"model_type\": \"llama\", \"num_hidden_layers\": 32, "
                            "\"hidden_size\": 4096, \"num_attention_heads\": 32, "
                            "\"intermediate_size\": 11008, \"vocab_size\": 32000}",
                            &a, &err),
                     0);
    ck_assert_int_eq(a.kv_heads, 32); /* num_key_value_heads defaults to heads */
    ck_assert_int_eq(a.head_dim, 128);
    ck_assert(!a.tied_embeddings);
    ck_assert_int_eq(a.sliding_window, 0);
}
END_TEST

START_TEST(qwen2_window_only_with_use_sliding_window)
{
    struct arch a;
    struct error_info err;
#define QWEN2_BASE                                                                                 \
    "{\"model_type\": \"qwen2\", \"num_hidden_layers\": 28, \"hidden_size\": 3584, "               \
    "\"num_attention_heads\": 28, \"num_key_value_heads\": 4, \"intermediate_size\": 18944, "      \
    "\"vocab_size\": 152064, \"sliding_window\": 4096, \"max_window_layers\": 20, "                \
    "\"use_sliding_window\": %s}"
    char buf[512];
    snprintf(buf, sizeof(buf), QWEN2_BASE, "false");
    ck_assert_int_eq(decode(buf, &a, &err), 0);
    ck_assert_int_eq(a.windowed_layers, 0);
    ck_assert(a.qkv_bias);
    snprintf(buf, sizeof(buf), QWEN2_BASE, "true");
    ck_assert_int_eq(decode(buf, &a, &err), 0);
    ck_assert_int_eq(a.windowed_layers, 8);
}
END_TEST

START_TEST(deepseek_v2_lite_decodes_mla_without_q_lora)
{
    const struct model_preset *p = models_find(presets_builtin(), "DeepSeek-V2-Lite");
    ck_assert(p != NULL);
    ck_assert_int_eq(p->arch.attention, ARCH_ATTN_MLA);
    ck_assert_int_eq(p->arch.q_lora_rank, 0);
    ck_assert_int_eq(p->arch.kv_lora_rank, 512);
    ck_assert_int_eq(p->arch.first_k_dense, 1);
    ck_assert_int_eq(arch_moe_layers(&p->arch), 26);
}
END_TEST

START_TEST(presets_cover_the_fixture_and_the_seed_models)
{
    const struct models *m = presets_builtin();
    ck_assert_msg(m != NULL, "%s", presets_error());
    ck_assert_int_ge(models_count(m), 24);
    const char *names[] = {
        "mixtral-8x7b",      "MIXTRAL-8X7B",      "deepseek-v3", "deepseek-r1",
        "llama-3.1-8b",      "qwen1.5-moe-a2.7b", "gpt-oss-20b", "mistralai/Mixtral-8x7B-v0.1",
        "Qwen/Qwen3-30B-A3B"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_msg(models_find(m, names[i]) != NULL, "no preset %s", names[i]);
    ck_assert(models_find(m, "mixtral") == NULL);
    for (size_t i = 0; i < models_count(m); i++) {
        const struct model_preset *p = models_at(m, i);
        const json_t *src = json_object_get(p->json, "sources");
        ck_assert_msg(json_is_object(src) && json_object_get(src, "config"),
                      "%s cites no config source", p->name);
    }
}
END_TEST

START_TEST(duplicate_alias_is_refused_at_load)
{
    const char *doc = "{\"schema\": \"vramfit.models/v1\", \"models\": ["
                      "{\"name\": \"a\", \"aliases\": [\"x\"], \"hf_config\": {\"model_type\": "
                      "\"gpt2\", \"n_layer\": 2, \"n_embd\": 64, \"n_head\": 2, \"vocab_size\": "
                      "100, \"n_positions\": 32}},"
                      "{\"name\": \"b\", \"aliases\": [\"X\"], \"hf_config\": {\"model_type\": "
                      "\"gpt2\", \"n_layer\": 2, \"n_embd\": 64, \"n_head\": 2, \"vocab_size\": "
                      "100, \"n_positions\": 32}}]}";
    struct models *m = NULL;
    struct error_info err;
    ck_assert_int_eq(models_load(doc, strlen(doc), &m, &err), -EINVAL);
    ck_assert(m == NULL);
    ck_assert(strstr(err.message, "alias"));
}
END_TEST

/* A request naming a preset gets the counts made when the registry loaded, not a recount. */
START_TEST(preset_counts_are_made_once_at_load_and_equal_a_fresh_count)
{
    const struct models *m = presets_builtin();
    ck_assert_msg(m != NULL, "%s", presets_error());
    for (size_t i = 0; i < models_count(m); i++) {
        const struct model_preset *p = models_at(m, i);
        struct params fresh, got;
        params_count(&p->arch, &fresh);
        models_params(p, &p->arch, &got);
        ck_assert_msg(memcmp(&fresh, &got, sizeof(fresh)) == 0, "%s: stored counts differ",
                      p->name);
    }
    /* The preset's stored counts are returned whatever architecture is passed beside it... */
    const struct model_preset *mixtral = models_find(m, "mixtral-8x7b");
    const struct model_preset *gpt2 = models_find(m, "gpt2");
    ck_assert(mixtral != NULL && gpt2 != NULL);
    struct params got;
    models_params(mixtral, &gpt2->arch, &got);
    ck_assert_rel(got.total / 1e9, 46.702792704, 1e-12);
    /* ...and without a preset the architecture given is counted. */
    models_params(NULL, &gpt2->arch, &got);
    ck_assert_rel(got.total, gpt2->params.total, 1e-15);
    ck_assert(got.total < 1e9);
}
END_TEST

START_TEST(preset_json_shows_architecture_and_counts)
{
    const struct model_preset *p = models_find(presets_builtin(), "mixtral-8x7b");
    json_t *j = models_preset_json(p);
    ck_assert(j != NULL);
    json_t *arch = json_object_get(j, "architecture");
    ck_assert_int_eq(json_integer_value(json_object_get(arch, "kv_heads")), 8);
    json_t *moe = json_object_get(arch, "moe");
    ck_assert_int_eq(json_integer_value(json_object_get(moe, "routed_experts")), 8);
    ck_assert_rel(json_real_value(json_object_get(json_object_get(j, "params"), "total_b")),
                  46.702792704, 1e-12);
    json_decref(j);
}
END_TEST

Suite *arch_suite(void)
{
    Suite *s = suite_create("arch");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, unknown_model_type_is_422_and_lists_the_supported_ones);
    tcase_add_test(tc, missing_fields_are_all_named);
    tcase_add_test(tc, unsupported_names_the_closest_family_and_the_explicit_fields);
    tcase_add_test(tc, the_longest_unsupported_hint_arrives_whole);
    tcase_add_test(tc, max_context_is_vllms_derived_max_model_len);
    tcase_add_test(tc, max_context_takes_the_least_key_and_the_rope_factor);
    tcase_add_test(tc, architectures_dispatch_without_model_type);
    tcase_add_test(tc, a_nested_config_without_text_config_is_refused);
    tcase_add_test(tc, missing_model_type_is_422);
    tcase_add_test(tc, wrong_types_and_ranges_are_refused);
    tcase_add_test(tc, llama_defaults_follow_transformers);
    tcase_add_test(tc, qwen2_window_only_with_use_sliding_window);
    tcase_add_test(tc, deepseek_v2_lite_decodes_mla_without_q_lora);
    tcase_add_test(tc, presets_cover_the_fixture_and_the_seed_models);
    tcase_add_test(tc, duplicate_alias_is_refused_at_load);
    tcase_add_test(tc, preset_json_shows_architecture_and_counts);
    tcase_add_test(tc, preset_counts_are_made_once_at_load_and_equal_a_fresh_count);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(arch_suite)
