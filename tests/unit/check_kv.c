/* check_kv.c - KV bytes per token: GQA, MHA, MLA, sliding windows and tensor-parallel splits. */
#include "support/check_util.h"

#include <string.h>

#include "model/arch.h"
#include "model/kv.h"
#include "model/models.h"
#include "config/presets.h"

static const struct arch *preset(const char *name)
{
    const struct models *m = presets_builtin();
    ck_assert_msg(m != NULL, "%s", presets_error());
    const struct model_preset *p = models_find(m, name);
    ck_assert_msg(p != NULL, "no preset %s", name);
    return &p->arch;
}

START_TEST(llama3_8b_is_131072_bytes_per_token_in_bf16)
{
    /* 32 layers x (K + V) x 8 KV heads x 128 x 2 bytes */
    ck_assert_rel(kv_bytes_per_token(preset("llama-3-8b"), 2, 1), 131072.0, 0);
    /* The seed's formula would say 2 x 32 x 4096 x 2 = 524288: 4x too big. */
}
END_TEST

START_TEST(deepseek_v2_lite_mla_is_31104_bytes_per_token_in_bf16)
{
    /* 27 layers x (kv_lora_rank 512 + qk_rope_head_dim 64) x 2 bytes, one latent (no x2) */
    ck_assert_rel(kv_bytes_per_token(preset("deepseek-v2-lite"), 2, 1), 31104.0, 0);
}
END_TEST

START_TEST(deepseek_v3_mla_is_70272_bytes_per_token_and_ignores_tp)
{
    /* 61 x 576 x 2 */
    const struct arch *a = preset("deepseek-v3");
    ck_assert_rel(kv_bytes_per_token(a, 2, 1), 70272.0, 0);
    ck_assert_rel(kv_bytes_per_token(a, 2, 8), 70272.0, 0); /* latent replicated per rank */
}
END_TEST

START_TEST(gqa_heads_split_over_tp_and_replicate_beyond_kv_heads)
{
    const struct arch *a = preset("llama-3-8b"); /* 8 KV heads */
    ck_assert_rel(kv_bytes_per_token(a, 2, 2), 65536.0, 0);
    ck_assert_rel(kv_bytes_per_token(a, 2, 8), 16384.0, 0);
    ck_assert_rel(kv_bytes_per_token(a, 2, 16), 16384.0, 0); /* one head per rank, replicated */
}
END_TEST

START_TEST(fp8_cache_halves_the_bytes)
{
    ck_assert_rel(kv_bytes_per_token(preset("llama-3-8b"), 1, 1), 65536.0, 0);
}
END_TEST

START_TEST(gemma2_windowed_layers_stop_growing_at_the_window)
{
    const struct arch *a = preset("gemma-2-9b");
    ck_assert_int_eq(a->sliding_window, 4096);
    ck_assert_int_eq(a->windowed_layers, 21);
    /* per layer per token: 2 x 8 heads x 256 x 2 bytes = 8192 */
    ck_assert_rel(kv_layer_bytes_per_token(a, 2, 1), 8192.0, 0);
    /* 8192 tokens: 21 full layers x 8192 + 21 windowed layers x 4096, each 8192 B/token */
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 1, 8192), 8192.0 * (21 * 8192 + 21 * 4096), 0);
    /* below the window every layer holds every token */
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 1, 1000), 8192.0 * 42 * 1000, 0);
}
END_TEST

START_TEST(gpt_oss_counts_windowed_layers_from_layer_types)
{
    const struct arch *a = preset("gpt-oss-20b");
    ck_assert_int_eq(a->windowed_layers, 12);
    ck_assert_int_eq(a->sliding_window, 128);
}
END_TEST

START_TEST(pipeline_stages_hold_their_share_of_layers)
{
    const struct arch *a = preset("llama-3-8b");
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 2, 1000), 131072.0 * 1000 / 2, 1e-15);
    /* 32 layers over 3 stages: the largest stage has 11 */
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 3, 1000), 4096.0 * 11 * 1000, 1e-15);
}
END_TEST

START_TEST(max_ctx_is_the_longest_that_fits)
{
    const struct arch *a = preset("llama-3-8b");
    double budget = 131072.0 * 5000 + 10;
    ck_assert_rel(kv_max_ctx(a, 2, 1, 1, budget, 1e7), 5000, 0);
    ck_assert_rel(kv_max_ctx(a, 2, 1, 1, budget, 4096), 4096, 0);
    ck_assert_rel(kv_max_ctx(a, 2, 1, 1, 100, 4096), 0, 0);
}
END_TEST

Suite *kv_suite(void)
{
    Suite *s = suite_create("kv");
    TCase *tc = tcase_create("kv");
    tcase_add_test(tc, llama3_8b_is_131072_bytes_per_token_in_bf16);
    tcase_add_test(tc, deepseek_v2_lite_mla_is_31104_bytes_per_token_in_bf16);
    tcase_add_test(tc, deepseek_v3_mla_is_70272_bytes_per_token_and_ignores_tp);
    tcase_add_test(tc, gqa_heads_split_over_tp_and_replicate_beyond_kv_heads);
    tcase_add_test(tc, fp8_cache_halves_the_bytes);
    tcase_add_test(tc, gemma2_windowed_layers_stop_growing_at_the_window);
    tcase_add_test(tc, gpt_oss_counts_windowed_layers_from_layer_types);
    tcase_add_test(tc, pipeline_stages_hold_their_share_of_layers);
    tcase_add_test(tc, max_ctx_is_the_longest_that_fits);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(kv_suite)
