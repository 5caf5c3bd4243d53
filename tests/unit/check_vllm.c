/* check_vllm.c - the vLLM per-GPU budget against measured runs pinned in tests/data. */
#include "support/check_util.h"

#include <string.h>

#include "model/kv.h"
#include "model/models.h"
#include "config/presets.h"
#include "memory/vllm.h"

static json_t *runs;

static void load_runs(void)
{
    json_error_t je;
    json_t *doc = json_load_file(TEST_DATA_DIR "/vllm-measured.json", 0, &je);
    ck_assert_msg(doc != NULL, "vllm-measured.json: %s", je.text);
    runs = json_incref(json_object_get(doc, "runs"));
    json_decref(doc);
}

static void unload_runs(void)
{
    json_decref(runs);
}

static double num(const json_t *run, const char *key)
{
    return json_number_value(json_object_get(run, key));
}

static const struct model_preset *preset_of(const json_t *run)
{
    const struct models *m = presets_builtin();
    ck_assert_msg(m != NULL, "%s", presets_error());
    const struct model_preset *p = models_find(m, json_string_value(json_object_get(run, "model")));
    ck_assert(p != NULL);
    return p;
}

START_TEST(weights_within_2_percent_of_every_measured_run)
{
    size_t i;
    json_t *run;
    int checked = 0;
    json_array_foreach(runs, i, run)
    {
        if (!json_object_get(run, "weights_gib"))
            continue;
        const struct model_preset *p = preset_of(run);
        bool measured;
        const char *src;
        double usable = vllm_usable_gib(json_string_value(json_object_get(run, "gpu_model")), 80,
                                        false, &measured, &src);
        ck_assert(measured);
        struct vllm_fit_in in = {.arch = &p->arch,
                                 .weight_bytes = p->params.total * 2,
                                 .kv_bytes = 2,
                                 .ctx = 8192,
                                 .batch = 1,
                                 .util = num(run, "gpu_memory_utilization"),
                                 .tp = (int)num(run, "tp"),
                                 .pp = 1,
                                 .usable_gib = usable};
        struct vllm_fit f;
        vllm_fit(&in, &f);
        double want = num(run, "weights_gib");
        double got = f.weights / GIB;
        ck_assert_msg(fabs(got - want) / want <= 0.02, "%s: weights %.3f GiB, measured %.3f",
                      json_string_value(json_object_get(run, "name")), got, want);
        checked++;
    }
    ck_assert_int_ge(checked, 5);
}
END_TEST

START_TEST(kv_pool_within_5_percent_of_every_measured_run)
{
    size_t i;
    json_t *run;
    int checked = 0;
    json_array_foreach(runs, i, run)
    {
        if (!json_object_get(run, "kv_pool_gib"))
            continue;
        const struct model_preset *p = preset_of(run);
        bool measured;
        const char *src;
        double usable = vllm_usable_gib(json_string_value(json_object_get(run, "gpu_model")), 80,
                                        false, &measured, &src);
        struct vllm_fit_in in = {.arch = &p->arch,
                                 .weight_bytes = p->params.total * 2,
                                 .kv_bytes = 2,
                                 .ctx = 8192,
                                 .batch = 1,
                                 .util = num(run, "gpu_memory_utilization"),
                                 .tp = (int)num(run, "tp"),
                                 .pp = 1,
                                 .usable_gib = usable};
        struct vllm_fit f;
        vllm_fit(&in, &f);
        const char *name = json_string_value(json_object_get(run, "name"));
        double want = num(run, "kv_pool_gib"), got = f.kv_pool / GIB;
        ck_assert_msg(fabs(got - want) / want <= 0.05, "%s: KV pool %.3f GiB, measured %.3f", name,
                      got, want);
        double tok = num(run, "kv_tokens");
        ck_assert_msg(fabs(f.kv_tokens - tok) / tok <= 0.05, "%s: %.0f tokens, measured %.0f", name,
                      f.kv_tokens, tok);
        ck_assert(f.fits);
        checked++;
    }
    ck_assert_int_ge(checked, 2);
}
END_TEST

START_TEST(mla_cache_for_one_32k_sequence_matches_vllm_issue_15871)
{
    size_t i;
    json_t *run;
    json_array_foreach(runs, i, run)
    {
        if (!json_object_get(run, "kv_for_one_sequence_gib"))
            continue;
        const struct model_preset *p = preset_of(run);
        double got = kv_seq_bytes(&p->arch, 2, 1, 1, num(run, "ctx")) / GIB;
        double want = num(run, "kv_for_one_sequence_gib");
        ck_assert_msg(fabs(got - want) / want <= 0.05, "%.4f GiB vs %.2f", got, want);
        return;
    }
    ck_abort_msg("no MLA run pinned");
}
END_TEST

START_TEST(tensor_parallel_rules)
{
    const struct models *m = presets_builtin();
    const struct arch *llama = &models_find(m, "llama-3-8b")->arch;
    ck_assert(vllm_tp_valid(llama, 1));
    ck_assert(vllm_tp_valid(llama, 8));
    ck_assert(vllm_tp_valid(llama, 16));  /* 16 > 8 KV heads: vLLM replicates them */
    ck_assert(!vllm_tp_valid(llama, 64)); /* 32 query heads */
    ck_assert(!vllm_tp_valid(llama, 3));  /* not a power of two */
    const struct arch *gpt2 = &models_find(m, "gpt2")->arch;
    ck_assert(!vllm_tp_valid(gpt2, 2)); /* vocab 50257 is odd */
    const struct arch *qwen = &models_find(m, "qwen2-7b")->arch;
    ck_assert(vllm_tp_valid(qwen, 4));
    ck_assert(!vllm_tp_valid(qwen, 8)); /* 28 heads */
}
END_TEST

START_TEST(usable_memory_is_measured_or_flagged)
{
    bool measured;
    const char *src;
    ck_assert_rel(vllm_usable_gib("NVIDIA H100 80GB (NVLink 4.0; SXM)", 80, false, &measured, &src),
                  79.19, 0);
    ck_assert(measured);
    ck_assert_rel(vllm_usable_gib("NVIDIA A10 24GB", 24, false, &measured, &src), 22.30, 0);
    ck_assert(measured);
    ck_assert_rel(vllm_usable_gib("NVIDIA H200 141GB", 141, false, &measured, &src), 141 * 0.97,
                  1e-12);
    ck_assert(!measured);
    /* a partial A10 sees only its slice */
    vllm_usable_gib("NVIDIA A10 24GB (partial GPU, vGPU/GRID)", 8, true, &measured, &src);
    ck_assert(!measured);
}
END_TEST

START_TEST(non_torch_overhead_jumps_with_nccl)
{
    ck_assert_rel(vllm_non_torch_gib(1), 0.27, 0);
    ck_assert_rel(vllm_non_torch_gib(2), 2.08, 0);
    ck_assert_rel(vllm_non_torch_gib(8), 2.17, 0);
}
END_TEST

START_TEST(every_constant_cites_a_source)
{
    for (const struct vllm_constant *c = vllm_constants(); c->key; c++) {
        ck_assert_msg(c->source && strlen(c->source) > 20, "%s has no source", c->key);
        ck_assert(c->gib > 0);
    }
}
END_TEST

/* Each format's kernel rule (the least compute capability, ROCm support) names its source. */
START_TEST(every_format_rule_cites_a_source)
{
    for (int p = 0; p < PRECISION_COUNT; p++) {
        const struct vllm_format_rule *r = vllm_format_rule((enum precision)p);
        ck_assert_msg(r->source && strlen(r->source) > 20, "format %d has no source", p);
        ck_assert_msg(r->min_cc >= 7.0, "format %d: vLLM needs compute capability 7.0+", p);
    }
}
END_TEST

Suite *vllm_suite(void)
{
    Suite *s = suite_create("vllm");
    TCase *tc = tcase_create("calibration");
    tcase_add_unchecked_fixture(tc, load_runs, unload_runs);
    tcase_add_test(tc, weights_within_2_percent_of_every_measured_run);
    tcase_add_test(tc, kv_pool_within_5_percent_of_every_measured_run);
    tcase_add_test(tc, mla_cache_for_one_32k_sequence_matches_vllm_issue_15871);
    tcase_add_test(tc, tensor_parallel_rules);
    tcase_add_test(tc, usable_memory_is_measured_or_flagged);
    tcase_add_test(tc, non_torch_overhead_jumps_with_nccl);
    tcase_add_test(tc, every_constant_cites_a_source);
    tcase_add_test(tc, every_format_rule_cites_a_source);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(vllm_suite)
