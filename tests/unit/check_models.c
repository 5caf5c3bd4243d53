/* check_models.c - the embedded presets: every one decodes, matches its official size, and is
 * found by name, Hugging Face id and alias; unknown names are refused with a hint. */
#include "support/check_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/presets.h"
#include "model/models.h"

static const struct models *builtin(void)
{
    const struct models *m = presets_builtin();
    ck_assert_msg(m != NULL, "%s", presets_error());
    return m;
}

START_TEST(every_preset_decodes_and_has_a_source)
{
    const struct models *m = builtin();
    /* 24 before issue 11; 50 decode with today's family table (tools/presets.json lists more). */
    ck_assert_uint_ge(models_count(m), 50);
    for (size_t i = 0; i < models_count(m); i++) {
        const struct model_preset *p = models_at(m, i);
        ck_assert_msg(p->params.total > 0, "%s counts no parameters", p->name);
        ck_assert_msg(p->hf_id != NULL && strchr(p->hf_id, '/') != NULL, "%s: hf_id", p->name);
        const json_t *src = json_object_get(json_object_get(p->json, "sources"), "config");
        ck_assert_msg(json_is_string(src), "%s has no config source", p->name);
    }
}
END_TEST

/*
 * The checkpoint weights counted once at load (model_preset.weights, what a preset served in its
 * own format copies) are what quant_weights counts from the same config on the request path.
 */
START_TEST(every_preset_carries_its_checkpoint_weights_counted_once)
{
    const struct models *m = builtin();
    size_t counted = 0;
    for (size_t i = 0; i < models_count(m); i++) {
        const struct model_preset *p = models_at(m, i);
        struct quant q;
        struct error_info err;
        int rc = quant_from_config(json_object_get(p->json, "hf_config"), NULL, "model", &q, &err);
        ck_assert_msg((rc == 0) == p->has_weights, "%s: has_weights %d, decode %d", p->name,
                      p->has_weights, rc);
        if (!p->has_weights)
            continue;
        struct quant_weights w;
        quant_weights(&p->arch, &p->params, &q, &w);
        ck_assert_msg(w.sum.bytes == p->weights.sum.bytes && w.vllm_bytes == p->weights.vllm_bytes,
                      "%s: %llu bytes counted now, %llu at load", p->name,
                      (unsigned long long)w.sum.bytes, (unsigned long long)p->weights.sum.bytes);
        ck_assert_msg(w.sum.bytes > 0, "%s: no bytes", p->name);
        counted++;
    }
    ck_assert_uint_eq(counted, models_count(m)); /* every real preset config decodes */
}
END_TEST

/* Half a unit of the last digit the official figure is written with ("1.7" -> 0.05). */
static double half_unit(double v)
{
    char s[32];
    snprintf(s, sizeof(s), "%.10g", v);
    const char *dot = strchr(s, '.');
    return 0.5 * pow(10, dot ? -(double)strlen(dot + 1) : 0);
}

/*
 * Official totals as their kind says: "exact" within 1% (or half a unit of the quoted last digit
 * when that is coarser: Qwen3-1.7B's "1.7B" is 1.72B), "nominal" size names within 5% (Llama
 * 2 7B is 6.74B), "convention" ones are pinned in check_params.c with their own rule.
 */
START_TEST(every_official_total_is_reproduced)
{
    const struct models *m = builtin();
    size_t exact = 0;
    for (size_t i = 0; i < models_count(m); i++) {
        const struct model_preset *p = models_at(m, i);
        const json_t *off = json_object_get(p->json, "official_total_params_b");
        const char *kind = json_string_value(json_object_get(p->json, "official_total_kind"));
        if (!json_is_number(off))
            continue;
        ck_assert_msg(kind != NULL, "%s: official total without a kind", p->name);
        double want = json_number_value(off), got = p->params.total / 1e9, tol;
        if (strcmp(kind, "convention") == 0)
            continue;
        if (strcmp(kind, "nominal") == 0) {
            tol = 0.05;
        } else {
            ck_assert_str_eq(kind, "exact");
            tol = fmax(0.01, half_unit(want) / want);
            exact++;
        }
        ck_assert_msg(fabs(got - want) <= tol * want, "%s: counted %.3fB, official %gB (%s)",
                      p->name, got, want, kind);
    }
    ck_assert_uint_ge(exact, 25);
}
END_TEST

/* A few pinned by value, so a change to the counter or the data shows here by name. */
START_TEST(pinned_totals_of_added_presets)
{
    static const struct {
        const char *name;
        double total_b, active_b;
    } pins[] = {
        {"llama-3.1-405b", 405.853, 0},   {"llama-3.3-70b", 70.554, 0},
        {"qwen3-32b", 32.762, 0},         {"qwen3-235b-a22b", 235.094, 22.191},
        {"gpt-oss-120b", 116.829, 5.712}, {"deepseek-v3.1", 671.026, 37.552},
        {"llama-3.2-1b", 1.236, 0},       {"gemma-2-27b", 27.227, 0},
    };
    for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
        const struct model_preset *p = models_find(builtin(), pins[i].name);
        ck_assert_msg(p != NULL, "%s missing", pins[i].name);
        ck_assert_msg(fabs(p->params.total / 1e9 - pins[i].total_b) < 0.0005, "%s: %.4f",
                      pins[i].name, p->params.total / 1e9);
        if (pins[i].active_b > 0)
            ck_assert_msg(fabs(p->params.active / 1e9 - pins[i].active_b) < 0.0005, "%s: %.4f",
                          pins[i].name, p->params.active / 1e9);
    }
}
END_TEST

START_TEST(lookup_by_name_hf_id_alias_ignores_case)
{
    const struct models *m = builtin();
    const char *const names[] = {"deepseek-r1", "DeepSeek-R1", "deepseek-ai/DeepSeek-R1",
                                 "DEEPSEEK-AI/deepseek-r1", "deepseek-r1-0528"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct model_preset *p = models_find(m, names[i]);
        ck_assert_msg(p != NULL, "%s not found", names[i]);
        ck_assert_str_eq(p->name, "deepseek-r1");
    }
    ck_assert_ptr_null(models_find(m, "deepseek-ai"));
    ck_assert_ptr_null(models_find(m, NULL));
    ck_assert_ptr_null(models_find(NULL, "gpt2"));
}
END_TEST

START_TEST(resolve_refuses_unknown_with_422_and_a_hint)
{
    const struct models *m = builtin();
    struct error_info err;
    const struct model_preset *p = NULL;
    error_clear(&err);
    ck_assert_int_eq(models_resolve(m, "qwen3-32", &p, &err), -EINVAL);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(err.status, 422);
    ck_assert_str_eq(err.code, "unknown_model");
    ck_assert_str_eq(err.field, "model");
    ck_assert_ptr_nonnull(strstr(err.message, "did you mean \"qwen3-32b\"?"));
    /* The org's part is optional for the hint: "Llama-3.3-70B-Instruc" -> llama-3.3-70b. */
    ck_assert_ptr_eq(models_closest(m, "Llama-3.3-70B-Instruc"), models_find(m, "llama-3.3-70b"));
    /* Nothing close: no hint rather than a misleading one. */
    error_clear(&err);
    ck_assert_int_eq(models_resolve(m, "completely-different-thing", &p, &err), -EINVAL);
    ck_assert_ptr_null(strstr(err.message, "did you mean"));
    ck_assert_int_eq(models_resolve(m, "GPT2", &p, &err), 0);
    ck_assert_str_eq(p->name, "gpt2");
}
END_TEST

START_TEST(search_matches_substrings_and_caps_the_list)
{
    const struct models *m = builtin();
    json_t *r = models_search_json(m, "Gemma-2"); /* gemma-2-2b/9b/27b, and gemma-2b */
    ck_assert_int_eq(json_integer_value(json_object_get(r, "count")), 4);
    ck_assert(json_is_false(json_object_get(r, "truncated")));
    json_decref(r);
    r = models_search_json(m, "mixtral"); /* model_type too: both Mixtrals */
    ck_assert_int_eq(json_integer_value(json_object_get(r, "matches")), 2);
    json_decref(r);
    r = models_search_json(m, "-"); /* every preset has one: capped */
    ck_assert_int_eq(json_array_size(json_object_get(r, "models")), MODELS_SEARCH_MAX);
    ck_assert_int_eq(json_integer_value(json_object_get(r, "matches")),
                     (json_int_t)models_count(m));
    ck_assert(json_is_true(json_object_get(r, "truncated")));
    json_decref(r);
}
END_TEST

Suite *models_suite(void)
{
    Suite *s = suite_create("models");
    TCase *tc = tcase_create("presets");
    tcase_add_test(tc, every_preset_decodes_and_has_a_source);
    tcase_add_test(tc, every_preset_carries_its_checkpoint_weights_counted_once);
    tcase_add_test(tc, every_official_total_is_reproduced);
    tcase_add_test(tc, pinned_totals_of_added_presets);
    tcase_add_test(tc, lookup_by_name_hf_id_alias_ignores_case);
    tcase_add_test(tc, resolve_refuses_unknown_with_422_and_a_hint);
    tcase_add_test(tc, search_matches_substrings_and_caps_the_list);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(models_suite)
