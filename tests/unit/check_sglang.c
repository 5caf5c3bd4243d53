/* check_sglang.c - SGLang's default mem_fraction_static rule and its static-pool fit. */
#include "support/check_util.h"

#include "memory/sglang.h"

/* server_args.py buckets: A10-class (< 35 GiB) 2048 tokens / graph bs 24 (tp < 4) or 80. */
START_TEST(small_gpus_reserve_prefill_graphs_and_ranks)
{
    struct sglang_defaults d;
    sglang_defaults(22.30 * 1024, 1, 1, &d);
    ck_assert_int_eq(d.chunked_prefill_size, 2048);
    ck_assert_int_eq(d.cuda_graph_max_bs, 24);
    /* 512 + 1.5 x 2048 + 2 x 24 + 1024 x 1 / 8 */
    ck_assert_rel(d.reserved_mib, 512 + 3072 + 48 + 128, 1e-12);
    sglang_defaults(22.30 * 1024, 4, 1, &d);
    ck_assert_int_eq(d.cuda_graph_max_bs, 80);
}
END_TEST

/* Above 60 GiB at least 10 GiB is reserved; H100/A100-80GB: 8192 tokens, graph bs 256 / 512. */
START_TEST(large_gpus_reserve_at_least_ten_gib)
{
    struct sglang_defaults d;
    sglang_defaults(79.19 * 1024, 8, 1, &d);
    ck_assert_int_eq(d.chunked_prefill_size, 8192);
    ck_assert_int_eq(d.cuda_graph_max_bs, 512);
    ck_assert_rel(d.reserved_mib, 512 + 12288 + 1024 + 1024, 1e-12);
    sglang_defaults(192 * 1024, 1, 1, &d); /* MI300X / B200 bucket */
    ck_assert_int_eq(d.chunked_prefill_size, 16384);
    ck_assert_rel(d.mem_fraction_static, 0.867, 1e-12); /* round(1 - 26240 / 196608, 3) */
}
END_TEST

/* The static pool holds the weights and the KV cache: more weights, less pool. */
START_TEST(static_pool_is_fraction_times_memory_minus_weights_and_context)
{
    struct arch a = {.layers = 32, .hidden = 4096, .heads = 32, .kv_heads = 8, .head_dim = 128};
    struct vllm_fit_in in = {
        .arch = &a,
        .weight_bytes = 16e9,
        .kv_bytes = 2,
        .ctx = 8192,
        .batch = 1,
        .util = 0.8,
        .tp = 1,
        .pp = 1,
        .usable_gib = 79.35,
    };
    struct vllm_fit f;
    sglang_fit(&in, true, &f);
    ck_assert_rel(f.budget, 79.35 * GIB * 0.8, 1e-12);
    ck_assert_rel(f.kv_pool, f.budget - 16e9 - vllm_non_torch_gib(1) * GIB, 1e-12);
    ck_assert(f.fits);
    in.weight_bytes = 70e9;
    sglang_fit(&in, true, &f);
    ck_assert(!f.fits);
}
END_TEST

Suite *sglang_suite(void)
{
    Suite *s = suite_create("sglang");
    TCase *tc = tcase_create("defaults");
    tcase_add_test(tc, small_gpus_reserve_prefill_graphs_and_ranks);
    tcase_add_test(tc, large_gpus_reserve_at_least_ten_gib);
    tcase_add_test(tc, static_pool_is_fraction_times_memory_minus_weights_and_context);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(sglang_suite)
