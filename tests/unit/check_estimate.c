/* check_estimate.c - the seed's memory model: worked example, dense, MoE and training cases. */
#include "support/check_util.h"

#include "memory/estimate.h"
#include "model/precision.h"

static struct estimate_input seed_input(double params_b, const char *precision)
{
    struct estimate_input in = {0};
    in.params_b = params_b;
    in.layers = 61;
    in.hidden = 7168;
    in.ctx = 4096;
    in.batch = 1;
    ck_assert_int_eq(precision_bytes(precision, &in.bytes), 0);
    return in;
}

START_TEST(seed_worked_example_deepseek_r1_style)
{
    /* The seed's own example: params_b 685, ratio 0.05, default fraction 0.90, fp16. */
    struct estimate_input in = seed_input(685, "fp16");
    in.moe_active_ratio = 0.05;
    struct estimate_result r;
    estimate_seed(&in, &r);
    ck_assert(r.is_moe);
    ck_assert_rel(r.params_active_b, 99.325, 1e-12);
    ck_assert_rel(r.weights_active_gb, 198.65, 1e-12);
    ck_assert_rel(r.weights_footprint_gb, 1370.0, 1e-12);
    ck_assert_rel(r.weights_gb, r.weights_active_gb, 0);
    /* KV: 2 * 61 * 4096 * 7168 * 2 * 1 / 1e9 */
    ck_assert_rel(r.kv_gb, 7.163871232, 1e-12);
    ck_assert_rel(r.total_footprint_gb, 1.2 * (1370.0 + 7.163871232), 1e-12);
    ck_assert_rel(r.total_active_gb, 1.2 * (198.65 + 7.163871232), 1e-12);
    ck_assert_rel(r.total_gb, r.total_footprint_gb, 0);
}
END_TEST

START_TEST(dense_model_uses_total_params_and_ignores_expert_fraction)
{
    struct estimate_input in = seed_input(7, "bf16");
    in.layers = 32;
    in.hidden = 4096;
    in.ctx = 4096;
    in.batch = 2;
    in.has_expert_fraction = true;
    in.moe_expert_fraction = 0.5; /* ignored: ratio is 0 */
    struct estimate_result r;
    estimate_seed(&in, &r);
    ck_assert(!r.is_moe);
    ck_assert_rel(r.params_active_b, 7, 0);
    ck_assert_rel(r.weights_gb, 14, 1e-15);
    /* 2 * 32 * 4096 * 4096 * 2 bytes * 2 batch = 4.294967296 GB */
    ck_assert_rel(r.kv_gb, 4.294967296, 1e-15);
    ck_assert_rel(r.total_gb, 1.2 * (14 + 4.294967296), 1e-15);
    ck_assert_rel(r.total_active_gb, r.total_footprint_gb, 0);
}
END_TEST

START_TEST(mixtral_style_moe_with_explicit_fraction)
{
    /* 46.7B total, top-2 of 8 (ratio 0.25), experts 0.96 of params, int4. */
    struct estimate_input in = seed_input(46.7, "int4");
    in.layers = 32;
    in.hidden = 4096;
    in.ctx = 32768;
    in.moe_active_ratio = 0.25;
    in.has_expert_fraction = true;
    in.moe_expert_fraction = 0.96;
    struct estimate_result r;
    estimate_seed(&in, &r);
    double p_active = 46.7 * 0.04 + 0.25 * 46.7 * 0.96; /* 1.868 + 11.208 = 13.076 */
    ck_assert_rel(r.params_active_b, p_active, 1e-12);
    ck_assert_rel(r.weights_active_gb, 13.076 * 0.5, 1e-12);
    ck_assert_rel(r.weights_footprint_gb, 23.35, 1e-12);
    /* int4 KV is 0.5 bytes per element in the seed: 2*32*32768*4096*0.5 */
    ck_assert_rel(r.kv_gb, 4.294967296, 1e-12);
}
END_TEST

START_TEST(training_adds_two_and_a_half_times_footprint_weights)
{
    struct estimate_input in = seed_input(13, "fp16");
    in.layers = 40;
    in.hidden = 5120;
    in.ctx = 2048;
    in.training = true;
    in.moe_active_ratio = 0.5; /* optimizer ties to footprint even for MoE */
    struct estimate_result r;
    estimate_seed(&in, &r);
    ck_assert_rel(r.optimizer_gb, 2.5 * 26, 1e-15);
    double kv = 2.0 * 40 * 2048 * 5120 * 2 / 1e9;
    ck_assert_rel(r.total_footprint_gb, 1.2 * (26 + kv + 65), 1e-12);
    ck_assert_rel(r.total_active_gb, 1.2 * (r.weights_active_gb + kv + 65), 1e-12);
    ck_assert(r.total_footprint_gb >= r.total_active_gb);
}
END_TEST

START_TEST(precision_table_matches_seed)
{
    double b;
    ck_assert_int_eq(precision_bytes("fp32", &b), 0);
    ck_assert(b == 4);
    ck_assert_int_eq(precision_bytes("fp16", &b), 0);
    ck_assert(b == 2);
    ck_assert_int_eq(precision_bytes("bf16", &b), 0);
    ck_assert(b == 2);
    ck_assert_int_eq(precision_bytes("int8", &b), 0);
    ck_assert(b == 1);
    ck_assert_int_eq(precision_bytes("int4", &b), 0);
    ck_assert(b == 0.5);
    ck_assert_int_lt(precision_bytes("FP16", &b), 0);
    ck_assert_int_lt(precision_bytes("fp8x", &b), 0);
    ck_assert_int_lt(precision_bytes("", &b), 0);
}
END_TEST

static Suite *estimate_suite(void)
{
    Suite *s = suite_create("estimate");
    TCase *tc = tcase_create("seed model");
    tcase_add_test(tc, seed_worked_example_deepseek_r1_style);
    tcase_add_test(tc, dense_model_uses_total_params_and_ignores_expert_fraction);
    tcase_add_test(tc, mixtral_style_moe_with_explicit_fraction);
    tcase_add_test(tc, training_adds_two_and_a_half_times_footprint_weights);
    tcase_add_test(tc, precision_table_matches_seed);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(estimate_suite)
