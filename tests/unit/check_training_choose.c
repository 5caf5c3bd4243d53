/* check_training_choose.c - the training VM choice: supported GPUs, ranks, nodes, host RAM, order.
 */
#include "support/check_util.h"

#include <string.h>

#include "azure/catalog.h"
#include "choice/training_choose.h"
#include "support/testcat.h"

#define TODAY "2026-11-23"

static struct catalog *cat;

static void setup(void)
{
    cat = testcat_embedded();
}

static void teardown(void)
{
    catalog_unref(cat);
}

/* Llama-2-7B shape. */
static struct training_model l7(void)
{
    struct training_model m = {0};
    m.layers = 32;
    m.hidden = 4096;
    m.heads = 32;
    m.kv_heads = 32;
    m.head_dim = 128;
    m.ffn = 11008;
    m.gated_mlp = true;
    m.vocab = 32000;
    m.embed_params = 32000.0 * 4096;
    m.lm_head_params = m.embed_params;
    m.params = 6738415616.0;
    return m;
}

static struct training_config cfg(void)
{
    struct training_config c;
    training_config_default(&c);
    c.bf16 = true;
    c.seq_len = 2048;
    c.recompute = TRAINING_RECOMPUTE_FULL;
    return c;
}

START_TEST(gpu_support_follows_bf16_flash_and_partial)
{
    struct training_config c = cfg();
    const char *why = NULL;
    ck_assert(training_gpu_supported(catalog_find(cat, "Standard_NC24ads_A100_v4"), &c, &why));
    ck_assert(!training_gpu_supported(catalog_find(cat, "Standard_NC4as_T4_v3"), &c, &why));
    ck_assert_ptr_nonnull(strstr(why, "bf16"));
    ck_assert(!training_gpu_supported(catalog_find(cat, "Standard_NV6ads_A10_v5"), &c, &why));
    ck_assert_ptr_nonnull(strstr(why, "partial"));
    c.bf16 = false;
    ck_assert(!training_gpu_supported(catalog_find(cat, "Standard_NC4as_T4_v3"), &c, &why));
    ck_assert_ptr_nonnull(strstr(why, "flash"));
    c.flash_attention = false;
    ck_assert(training_gpu_supported(catalog_find(cat, "Standard_NC4as_T4_v3"), &c, NULL));
}
END_TEST

START_TEST(stage0_uses_one_rank_and_the_first_size_that_holds_it)
{
    struct training_model m = l7();
    struct training_config c = cfg();
    struct training_choice ch;
    ck_assert_int_eq(training_choose(cat, TODAY, NULL, NULL, &m, &c, true, &ch), 0);
    ck_assert_uint_gt(ch.n, 0);
    /* 16 B x 6.74B = 108 GB + activations: only 141 GB and larger GPUs hold one replica */
    ck_assert_str_eq(ch.list[0].sku->sku, "Standard_ND96isr_H200_v5");
    ck_assert_int_eq(ch.list[0].gpus, 1);
    for (size_t i = 0; i < ch.n; i++) {
        ck_assert_int_eq(ch.list[i].gpus, 1);
        ck_assert(ch.list[i].res.total <= ch.list[i].sku->vram_gb * 1e9);
        if (i > 0)
            ck_assert_uint_gt(ch.list[i].order, ch.list[i - 1].order);
    }
    training_choice_free(&ch);
}
END_TEST

START_TEST(zero_ranks_grow_to_the_fewest_that_fit)
{
    struct training_model m = l7();
    struct training_config c = cfg();
    c.zero_stage = 3;
    struct training_choice ch;
    ck_assert_int_eq(training_choose(cat, TODAY, NULL, NULL, &m, &c, true, &ch), 0);
    const struct training_candidate *b = &ch.list[0];
    ck_assert_int_gt(b->gpus, 1);
    /* one rank fewer does not fit the same size */
    struct training_config k = c;
    k.data_parallel = b->data_parallel - 1;
    struct training_result r;
    training_estimate(&m, &k, k.data_parallel, &r);
    ck_assert(r.total > b->sku->vram_gb * 1e9);
    training_choice_free(&ch);
}
END_TEST

START_TEST(host_ram_limits_offloading)
{
    struct training_model m = l7();
    m.params *= 40; /* ~270B: 16 x 270e9 x 1.5 = 6.5 TB of host RAM on one node */
    struct training_config c = cfg();
    c.zero_stage = 3;
    c.data_parallel = 8;
    c.offload_optimizer = true;
    struct training_choice ch;
    ck_assert_int_eq(training_choose(cat, TODAY, NULL, NULL, &m, &c, false, &ch), 0);
    ck_assert(ch.host_short);
    for (size_t i = 0; i < ch.n; i++)
        ck_assert(ch.list[i].res.host_per_node <= ch.list[i].sku->memory_gib * 1073741824.0);
    training_choice_free(&ch);
}
END_TEST

START_TEST(fixed_ranks_beyond_one_vm_need_infiniband_nodes)
{
    struct training_model m = l7();
    struct training_config c = cfg();
    c.zero_stage = 3;
    c.data_parallel = 16;
    struct training_choice ch;
    ck_assert_int_eq(training_choose(cat, TODAY, NULL, NULL, &m, &c, false, &ch), 0);
    ck_assert(ch.multi_node);
    for (size_t i = 0; i < ch.n; i++) {
        ck_assert(ch.list[i].sku->infiniband);
        ck_assert_int_eq(ch.list[i].gpus, 16);
        ck_assert_int_eq(ch.list[i].nodes,
                         (16 + ch.list[i].sku->gpus_per_vm - 1) / ch.list[i].sku->gpus_per_vm);
    }
    training_choice_free(&ch);
}
END_TEST

START_TEST(skus_filter_and_fewest_gpus_objective)
{
    struct training_model m = l7();
    struct training_config c = cfg();
    c.zero_stage = 3;
    struct choice_prefs r;
    memset(&r, 0, sizeof(r));
    r.objective = CHOICE_OBJECTIVE_FEWEST_GPUS;
    struct training_choice ch;
    ck_assert_int_eq(training_choose(cat, TODAY, &r, NULL, &m, &c, true, &ch), 0);
    /* fewest_gpus counts GPUs rented (gpus_per_vm x nodes), not ranks used */
    for (size_t i = 1; i < ch.n; i++)
        ck_assert_int_ge(ch.list[i].sku->gpus_per_vm * ch.list[i].nodes,
                         ch.list[i - 1].sku->gpus_per_vm * ch.list[i - 1].nodes);
    training_choice_free(&ch);
    const char *const allow[] = {"Standard_ND96isr_H100_v5"};
    r.filter.skus = allow;
    r.filter.n_skus = 1;
    ck_assert_int_eq(training_choose(cat, TODAY, &r, NULL, &m, &c, true, &ch), 0);
    ck_assert_uint_eq(ch.n, 1);
    ck_assert_str_eq(ch.list[0].sku->sku, "Standard_ND96isr_H100_v5");
    ck_assert_uint_gt(ch.filtered_out, 0);
    training_choice_free(&ch);
}
END_TEST

static Suite *training_choose_suite(void)
{
    Suite *s = suite_create("training_choose");
    TCase *tc = tcase_create("choice");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, gpu_support_follows_bf16_flash_and_partial);
    tcase_add_test(tc, stage0_uses_one_rank_and_the_first_size_that_holds_it);
    tcase_add_test(tc, zero_ranks_grow_to_the_fewest_that_fit);
    tcase_add_test(tc, host_ram_limits_offloading);
    tcase_add_test(tc, fixed_ranks_beyond_one_vm_need_infiniband_nodes);
    tcase_add_test(tc, skus_filter_and_fewest_gpus_objective);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(training_choose_suite)
