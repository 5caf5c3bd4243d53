/* check_vllm.c - the vLLM per-GPU budget against measured runs pinned in tests/data. */
#include "support/check_util.h"

#include <errno.h>
#include <stdio.h>
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

/* The version table reproduces the release sweep of one model (tests/data/vllm-measured.json). */
START_TEST(version_table_reproduces_the_release_sweep)
{
    json_error_t je;
    json_t *doc = json_load_file(TEST_DATA_DIR "/vllm-measured.json", 0, &je);
    ck_assert_msg(doc != NULL, "%s", je.text);
    const json_t *sweep = json_object_get(doc, "version_sweep");
    struct arch a;
    memset(&a, 0, sizeof(a));
    snprintf(a.model_type, sizeof(a.model_type), "%s",
             json_string_value(json_object_get(sweep, "model_type")));
    bool m;
    const char *src;
    double base = vllm_activation_gib(&a, &m, &src);
    ck_assert(m);
    size_t i;
    const json_t *run;
    int seen = 0;
    json_array_foreach(json_object_get(sweep, "runs"), i, run)
    {
        enum vllm_version v;
        ck_assert_int_eq(vllm_version_parse(json_string_value(json_object_get(run, "vllm")), &v),
                         0);
        const struct vllm_version_row *r = vllm_version_row(v);
        ck_assert_rel(base * r->activation_scale, num(run, "activation_gib"), 0.01);
        ck_assert_rel(vllm_non_torch_gib_at(v, 1), num(run, "non_torch_gib"), 1e-9);
        seen++;
    }
    ck_assert_int_eq(seen, VLLM_VERSION_COUNT); /* every release of the table was measured */
    json_decref(doc);
}
END_TEST

START_TEST(every_version_row_cites_its_sources)
{
    for (int v = 0; v < VLLM_VERSION_COUNT; v++) {
        const struct vllm_version_row *r = vllm_version_row((enum vllm_version)v);
        ck_assert(r->activation_source && strlen(r->activation_source) > 40);
        ck_assert(r->non_torch_source && strlen(r->non_torch_source) > 40);
        ck_assert(r->graphs_source && strlen(r->graphs_source) > 40);
        ck_assert(r->activation_scale > 0 && r->cuda_graphs > 0 && r->non_torch_tp1 > 0);
    }
    /* the newest is the default and the table its activation constants were measured on */
    ck_assert_int_eq(VLLM_VERSION_DEFAULT, VLLM_VERSION_COUNT - 1);
    ck_assert_rel(vllm_version_row(VLLM_VERSION_DEFAULT)->activation_scale, 1.0, 0);
}
END_TEST

START_TEST(version_names_parse_with_a_patch_and_nothing_else)
{
    enum vllm_version v;
    ck_assert_int_eq(vllm_version_parse("0.19", &v), 0);
    ck_assert_int_eq(v, VLLM_0_19);
    ck_assert_int_eq(vllm_version_parse("0.16.2", &v), 0);
    ck_assert_int_eq(v, VLLM_0_16);
    const char *bad[] = {"0.2", "0.190", "0.19.", "0.19.x", "v0.19", "0.19.1.2", "", "0.14"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(vllm_version_parse(bad[i], &v) == -ENOENT, "%s parsed", bad[i]);
    ck_assert_str_eq(vllm_version_name(VLLM_0_17), "0.17");
}
END_TEST

/* vLLM's defaults (arg_utils.py get_batch_defaults, `vllm serve`): 8192 / 2048 tokens. */
START_TEST(scheduler_defaults_follow_the_gpu_and_the_context)
{
    double seqs, tokens;
    vllm_scheduler(NULL, "NVIDIA H100 80GB (NVLink 4.0; SXM)", 79.19, 8192, 16, true, &seqs,
                   &tokens);
    ck_assert_rel(seqs, 16, 0);
    ck_assert_rel(tokens, 8192, 0);
    vllm_scheduler(NULL, "NVIDIA A100 80GB PCIe", 79.35, 8192, 16, true, &seqs, &tokens);
    ck_assert_rel(tokens, 2048, 0); /* an A100 is excluded by name (vLLM PR #17885) */
    vllm_scheduler(NULL, "NVIDIA H100 80GB", 79.19, 1024, 2, true, &seqs, &tokens);
    ck_assert_rel(tokens, 2048, 0); /* at most max_num_seqs x max_model_len */
    vllm_scheduler(NULL, "NVIDIA A10 24GB", 22.3, 16384, 4, false, &seqs, &tokens);
    ck_assert_rel(tokens, 16384, 0); /* without chunked prefill: raised to max_model_len */
    struct vllm_knobs k = {
        .version = VLLM_0_19, .max_num_seqs = 64, .max_num_batched_tokens = 4096};
    vllm_scheduler(&k, "NVIDIA H100 80GB", 79.19, 8192, 16, true, &seqs, &tokens);
    ck_assert_rel(seqs, 64, 0);
    ck_assert_rel(tokens, 4096, 0);
}
END_TEST

static void fit_llama(const struct vllm_knobs *k, const char *gpu, double usable, double batch,
                      struct vllm_fit *f)
{
    const struct model_preset *p = models_find(presets_builtin(), "llama-3.1-8b");
    ck_assert(p != NULL);
    struct vllm_fit_in in = {.arch = &p->arch,
                             .weight_bytes = 16.06e9,
                             .kv_bytes = 2,
                             .ctx = 8192,
                             .batch = batch,
                             .util = 0.9,
                             .tp = 1,
                             .pp = 1,
                             .usable_gib = usable,
                             .gpu_model = gpu,
                             .knobs = k};
    vllm_fit(&in, f);
}

START_TEST(knobs_move_the_budget_the_way_vllm_does)
{
    const char *h100 = "NVIDIA H100 80GB (NVLink 4.0; SXM)";
    struct vllm_fit dflt, half, eager, old, few;
    fit_llama(NULL, h100, 79.19, 256, &dflt);
    ck_assert_rel(dflt.activation, 1.97 * GIB, 1e-9);  /* measured at 8192 tokens on H100 */
    ck_assert_rel(dflt.cuda_graphs, 1.04 * GIB, 1e-9); /* 256 sequences: the 512 capture */
    ck_assert_rel(dflt.max_num_seqs, 256, 0);
    struct vllm_knobs k = {.version = VLLM_0_19, .max_num_batched_tokens = 4096};
    fit_llama(&k, h100, 79.19, 256, &half);
    ck_assert_rel(half.activation, dflt.activation / 2, 1e-12);
    ck_assert_rel(half.kv_pool - dflt.kv_pool, dflt.activation / 2, 1e-9);
    k = (struct vllm_knobs){.version = VLLM_0_19, .enforce_eager = true};
    fit_llama(&k, h100, 79.19, 256, &eager);
    ck_assert_rel(eager.cuda_graphs, 0, 0);
    k = (struct vllm_knobs){.version = VLLM_0_16};
    fit_llama(&k, h100, 79.19, 256, &old);
    ck_assert_rel(old.activation, 1.97 * 2.55 * GIB, 1e-9);
    ck_assert_rel(old.non_torch, 0.13 * GIB, 1e-9);
    ck_assert_rel(old.cuda_graphs, 0.51 * GIB, 1e-9);
    /* 4 sequences capture graphs up to 8: 8/512 of the pool */
    fit_llama(NULL, h100, 79.19, 4, &few);
    ck_assert_rel(few.cuda_graphs, 1.04 * GIB * 8 / 512, 1e-9);
    /* fewer batched tokens than sequences: vLLM does not start */
    k = (struct vllm_knobs){.version = VLLM_0_19, .max_num_seqs = 64, .max_num_batched_tokens = 64};
    fit_llama(&k, h100, 79.19, 16, &few);
    ck_assert(few.fits);
    k.max_num_batched_tokens = 32;
    fit_llama(&k, h100, 79.19, 16, &few);
    ck_assert(!few.fits);
    /* the largest batch is at most max_num_seqs when it is given, whatever the pool holds */
    struct vllm_fit one;
    fit_llama(NULL, h100, 79.19, 1, &one);
    ck_assert(one.max_batch > 16); /* the pool holds dozens of 8192-token sequences */
    k = (struct vllm_knobs){.version = VLLM_0_19, .max_num_seqs = 16};
    fit_llama(&k, h100, 79.19, 1, &few);
    ck_assert_rel(few.max_batch, 16, 0);
}
END_TEST

/* Hybrids: vLLM keeps a state page per sequence it may run, so max_num_seqs costs memory. */
START_TEST(hybrid_state_is_reserved_for_max_num_seqs)
{
    const struct model_preset *p = models_find(presets_builtin(), "qwen3-next-80b-a3b");
    ck_assert(p != NULL);
    double state = kv_fixed_seq_bytes(&p->arch, 2, 1, 1, 0);
    ck_assert(state > 0);
    struct vllm_knobs k = {.version = VLLM_0_19, .max_num_seqs = 256};
    struct vllm_fit_in in = {.arch = &p->arch,
                             .weight_bytes = 160e9,
                             .kv_bytes = 2,
                             .ctx = 8192,
                             .batch = 1,
                             .util = 0.9,
                             .tp = 4,
                             .pp = 1,
                             .usable_gib = 79.19,
                             .gpu_model = "NVIDIA H100 80GB",
                             .knobs = &k};
    struct vllm_fit f;
    vllm_fit(&in, &f);
    ck_assert_rel(f.state_reserved, 256 * kv_fixed_seq_bytes(&p->arch, 2, 4, 1, 0), 1e-12);
    k.max_num_seqs = 1LL << 20; /* a million state pages hold no GPU */
    vllm_fit(&in, &f);
    ck_assert(!f.fits);
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
    tcase_add_test(tc, version_table_reproduces_the_release_sweep);
    tcase_add_test(tc, every_version_row_cites_its_sources);
    tcase_add_test(tc, version_names_parse_with_a_patch_and_nothing_else);
    tcase_add_test(tc, scheduler_defaults_follow_the_gpu_and_the_context);
    tcase_add_test(tc, knobs_move_the_budget_the_way_vllm_does);
    tcase_add_test(tc, hybrid_state_is_reserved_for_max_num_seqs);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(vllm_suite)
