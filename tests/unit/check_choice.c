/* check_choice.c - the one chooser: ranking and ties per objective, filters, capabilities,
 * multi-node fallback, host RAM, empty catalog, and the region/vendor validator. */
#include "support/check_util.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "azure/catalog.h"
#include "base/error.h"
#include "choice/choice.h"

#define TODAY "2026-11-23"

/* One size of the test catalog; price <= 0 = none and no region data. */
struct row {
    const char *sku, *vendor, *model;
    int gpus;
    double vram, memory_gib, fraction, price;
    bool infiniband;
    const char *region, *retires_on;
};

/* Names avoid the compiled-in price snapshot, so every price here is the row's. */
static const struct row rows[] = {
    {"Test_P_1x8", "NVIDIA", "NVIDIA A10 24GB (partial GPU)", 1, 8, 55, 0.5, 1.0, false, "eastus",
     NULL},
    {"Test_T4_1x16", "NVIDIA", "NVIDIA Tesla T4 16GB", 1, 16, 28, 1, 0, false, NULL, NULL},
    {"Test_A_1x40", "NVIDIA", "NVIDIA A100 40GB", 1, 40, 200, 1, 3.0, false, "eastus", NULL},
    {"Test_B_2x40", "NVIDIA", "NVIDIA A100 40GB", 2, 40, 400, 1, 3.0, false, "eastus", NULL},
    {"Test_X_2x80", "NVIDIA", "NVIDIA H100 80GB", 2, 80, 400, 1, 5.0, true, "westus3", NULL},
    {"Test_N_4x80", "NVIDIA", "NVIDIA H100 80GB", 4, 80, 900, 1, 10.0, true, "eastus", NULL},
    {"Test_M_8x80", "AMD", "AMD Instinct MI300X 192GB", 8, 80, 1850, 1, 20.0, true, "eastus", NULL},
    {"Test_Old_8x16", "NVIDIA", "NVIDIA Tesla V100 16GB", 8, 16, 672, 1, 2.0, true, "eastus",
     "2025-01-01"},
};

static json_t *row_json(const struct row *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:i, s:f, s:b, s:f, s:s, s:b}", "sku",
                          r->sku, "vendor", r->vendor, "series", "T", "gpu_model", r->model,
                          "gpus_per_vm", r->gpus, "vram_gb", r->vram, "vcpus", 8, "memory_gib",
                          r->memory_gib, "partial", r->fraction < 1, "gpu_fraction", r->fraction,
                          "docs_url", "https://example.test/d", "infiniband", r->infiniband);
    ck_assert_ptr_nonnull(o);
    json_object_set_new(o, "retires_on", r->retires_on ? json_string(r->retires_on) : json_null());
    /* A priced row carries its region (as the refresher merges live prices). */
    if (r->price > 0) {
        json_object_set_new(o, "price_per_hour", json_real(r->price));
        json_object_set_new(o, "price_region", json_string(r->region));
        json_object_set_new(o, "regions", json_pack("[s]", r->region));
        json_object_set_new(o, "region_prices", json_pack("{s:f}", r->region, r->price));
    }
    return o;
}

static struct catalog *load(size_t n)
{
    json_t *skus = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(skus, row_json(&rows[i]));
    json_t *doc = json_pack("{s:s, s:o}", "schema", "vramfit.catalog/v1", "skus", skus);
    struct catalog *cat = NULL;
    struct error_info err;
    ck_assert_msg(catalog_from_json(doc, "test", &cat, &err) == 0, "%s", err.message);
    json_decref(doc);
    return cat;
}

/* A memory need spread evenly: total_gb over every GPU used, host_gb over the nodes. */
struct even {
    double total_gb, host_gb;
};

static bool even_fit(const void *ctx, const struct catalog_sku *s, int gpus, int nodes,
                     struct choice_fit *out)
{
    const struct even *e = ctx;
    if (nodes > 1 && gpus != s->gpus_per_vm)
        return false;
    out->ranks = gpus * nodes;
    out->gpu_fits = e->total_gb / out->ranks <= s->vram_gb;
    out->host_bytes = e->host_gb * 1e9 / nodes;
    out->headroom_gb = out->ranks * s->vram_gb - e->total_gb;
    return true;
}

static struct catalog *cat;

static void setup(void)
{
    cat = load(sizeof(rows) / sizeof(rows[0]));
}

static void teardown(void)
{
    catalog_unref(cat);
}

/* Ranks total_gb under objective over the sizes named in allow (NULL-terminated; NULL = all). */
static void run(double total_gb, enum choice_objective objective, const char *const *allow,
                struct choice_result *res)
{
    static struct even e;
    e.total_gb = total_gb;
    e.host_gb = 0;
    struct choice_need need = {.fit = even_fit, .ctx = &e};
    need.prefs.objective = objective;
    if (allow) {
        need.prefs.filter.skus = allow;
        while (allow[need.prefs.filter.n_skus])
            need.prefs.filter.n_skus++;
    }
    ck_assert_int_eq(choice_rank(cat, TODAY, &need, res), 0);
}

/* Asserts the ranked sku names, NULL-terminated. */
static void expect(const struct choice_result *res, const char *const *names)
{
    size_t n = 0;
    for (; names[n]; n++) {
        ck_assert_uint_lt(n, res->n);
        ck_assert_str_eq(res->list[n].sku->sku, names[n]);
    }
    ck_assert_uint_eq(res->n, n);
}

START_TEST(objective_names_are_one_table_in_enum_order)
{
    ck_assert_str_eq(choice_objective_name(CHOICE_OBJECTIVE_SEED), "seed");
    ck_assert_str_eq(choice_objective_name(CHOICE_OBJECTIVE_CHEAPEST), "cheapest");
    ck_assert_str_eq(choice_objective_name(CHOICE_OBJECTIVE_FEWEST_GPUS), "fewest_gpus");
    ck_assert_ptr_null(choice_objective_names[CHOICE_OBJECTIVE_COUNT]);
}
END_TEST

START_TEST(seed_objective_keeps_catalog_order_and_fewest_gpus_per_size)
{
    struct choice_result res;
    run(30, CHOICE_OBJECTIVE_SEED, NULL, &res);
    expect(&res, (const char *const[]){"Test_A_1x40", "Test_B_2x40", "Test_X_2x80", "Test_N_4x80",
                                       "Test_M_8x80", NULL});
    for (size_t i = 0; i < res.n; i++) {
        ck_assert_int_eq(res.list[i].gpus, 1);
        ck_assert_int_eq(res.list[i].nodes, 1);
    }
    ck_assert(!res.multi_node);
    ck_assert_uint_eq(res.considered, 7); /* the retired size is not considered */
    ck_assert_uint_eq(res.filtered_out, 0);
    choice_result_free(&res);
}
END_TEST

START_TEST(cheapest_ranks_priced_first_then_price_then_catalog_order)
{
    struct choice_result res;
    run(10, CHOICE_OBJECTIVE_CHEAPEST, NULL, &res);
    /* A and B cost the same: catalog order; the unpriced T4 comes last although it is first in
     * catalog order. */
    expect(&res, (const char *const[]){"Test_A_1x40", "Test_B_2x40", "Test_X_2x80", "Test_N_4x80",
                                       "Test_M_8x80", "Test_T4_1x16", NULL});
    ck_assert_uint_eq(res.unpriced, 1);
    ck_assert_int_eq(res.list[5].price_source, PRICE_NONE);
    ck_assert(res.list[5].price == 0);
    ck_assert_int_eq(res.list[0].price_source, PRICE_CATALOG);
    ck_assert(fabs(res.list[0].price - 3.0) < 1e-9);
    choice_result_free(&res);
}
END_TEST

START_TEST(fewest_gpus_ranks_by_rented_gpus_then_price_then_catalog_order)
{
    struct choice_result res;
    run(70, CHOICE_OBJECTIVE_FEWEST_GPUS, NULL, &res);
    /* GPUs rented, not used: X uses one of its two GPUs but rents two, as B (which needs both);
     * N rents 4 and M 8 though each uses one. B and X tie on GPUs and price: catalog order. */
    expect(&res,
           (const char *const[]){"Test_B_2x40", "Test_X_2x80", "Test_N_4x80", "Test_M_8x80", NULL});
    ck_assert_int_eq(res.list[0].gpus, 2);
    ck_assert_int_eq(res.list[1].gpus, 1);
    ck_assert_int_eq(res.list[1].rented, 2);
    choice_result_free(&res);
    run(70, CHOICE_OBJECTIVE_SEED, NULL, &res);
    expect(&res,
           (const char *const[]){"Test_B_2x40", "Test_X_2x80", "Test_N_4x80", "Test_M_8x80", NULL});
    choice_result_free(&res);
}
END_TEST

START_TEST(multi_node_fallback_uses_infiniband_sizes_and_the_fewest_nodes)
{
    struct choice_result res;
    run(700, CHOICE_OBJECTIVE_SEED, NULL, &res);
    ck_assert(res.multi_node);
    /* M: 2 x 640 GB; N: 3 x 320; X: 5 x 160. B (2 x 40) has no InfiniBand. */
    expect(&res, (const char *const[]){"Test_M_8x80", "Test_N_4x80", "Test_X_2x80", NULL});
    ck_assert_int_eq(res.list[0].nodes, 2);
    ck_assert_int_eq(res.list[0].ranks, 16);
    ck_assert_int_eq(res.list[1].nodes, 3);
    ck_assert_int_eq(res.list[2].nodes, 5);
    /* the price covers every node */
    ck_assert(fabs(res.list[0].price - 40.0) < 1e-9);
    choice_result_free(&res);
    run(700, CHOICE_OBJECTIVE_FEWEST_GPUS, NULL, &res);
    expect(&res, (const char *const[]){"Test_X_2x80", "Test_N_4x80", "Test_M_8x80", NULL});
    choice_result_free(&res);
}
END_TEST

START_TEST(equal_gpus_or_price_prefer_fewer_nodes_over_catalog_order)
{
    /* 500 GB: N needs 2 VMs x 4 GPUs = 8 GPUs at 20 USD; X needs 4 VMs x 2 GPUs = 8 GPUs at 20 USD.
     * X comes first in catalog order; the tie rule puts the 2-node N first. */
    static const char *const allow[] = {"Test_X_2x80", "Test_N_4x80", NULL};
    struct choice_result res;
    run(500, CHOICE_OBJECTIVE_FEWEST_GPUS, allow, &res);
    expect(&res, (const char *const[]){"Test_N_4x80", "Test_X_2x80", NULL});
    ck_assert_int_eq(res.list[0].ranks, res.list[1].ranks);
    choice_result_free(&res);
    run(500, CHOICE_OBJECTIVE_CHEAPEST, allow, &res);
    expect(&res, (const char *const[]){"Test_N_4x80", "Test_X_2x80", NULL});
    ck_assert(res.list[0].price == res.list[1].price);
    choice_result_free(&res);
    run(500, CHOICE_OBJECTIVE_SEED, allow, &res);
    expect(&res, (const char *const[]){"Test_N_4x80", "Test_X_2x80", NULL});
    choice_result_free(&res);
}
END_TEST

START_TEST(filters_vendor_partial_and_allow_list)
{
    struct even e = {.total_gb = 4};
    struct choice_need need = {.fit = even_fit, .ctx = &e};
    struct choice_result res;
    need.prefs.filter.vendor = "amd";
    ck_assert_int_eq(choice_rank(cat, TODAY, &need, &res), 0);
    expect(&res, (const char *const[]){"Test_M_8x80", NULL});
    ck_assert_uint_eq(res.filtered_out, 6);
    choice_result_free(&res);

    need.prefs.filter.vendor = NULL;
    need.prefs.filter.exclude_partial = true;
    ck_assert_int_eq(choice_rank(cat, TODAY, &need, &res), 0);
    ck_assert_str_eq(res.list[0].sku->sku, "Test_T4_1x16");
    ck_assert_uint_eq(res.filtered_out, 1);
    choice_result_free(&res);

    need.prefs.filter.exclude_partial = false;
    const char *const allow[] = {"test_p_1x8", "TEST_N_4X80"};
    need.prefs.filter.skus = allow;
    need.prefs.filter.n_skus = 2;
    ck_assert_int_eq(choice_rank(cat, TODAY, &need, &res), 0);
    expect(&res, (const char *const[]){"Test_P_1x8", "Test_N_4x80", NULL});
    ck_assert_uint_eq(res.filtered_out, 5);
    choice_result_free(&res);
}
END_TEST

START_TEST(region_filter_counts_sizes_without_region_data)
{
    struct even e = {.total_gb = 4};
    struct choice_need need = {.fit = even_fit, .ctx = &e};
    need.prefs.filter.region = "WestUS3";
    struct choice_result res;
    ck_assert_int_eq(choice_rank(cat, TODAY, &need, &res), 0);
    expect(&res, (const char *const[]){"Test_X_2x80", NULL});
    ck_assert_uint_eq(res.filtered_out, 6);
    ck_assert_uint_eq(res.region_unknown, 1); /* the T4 row says nothing about regions */
    choice_result_free(&res);
    bool unknown = true;
    ck_assert(choice_allowed(NULL, catalog_find(cat, "Test_T4_1x16"), &unknown));
    ck_assert(!unknown);
}
END_TEST

START_TEST(capabilities_refuse_partial_pre_ampere_and_engine_gpus)
{
    struct even e = {.total_gb = 4};
    struct choice_need need = {.fit = even_fit, .ctx = &e};
    struct choice_result res;
    need.caps.whole_gpus = true;
    need.caps.bf16 = true;
    ck_assert_int_eq(choice_rank(cat, TODAY, &need, &res), 0);
    /* P is a vGPU slice, the T4 has no bf16 tensor cores */
    ck_assert_str_eq(res.list[0].sku->sku, "Test_A_1x40");
    ck_assert_uint_eq(res.unsupported, 2);
    choice_result_free(&res);

    const char *why = NULL;
    struct choice_caps vllm = {.vllm = true, .format = PRECISION_BF16};
    ck_assert(!choice_gpu_supported(catalog_find(cat, "Test_T4_1x16"), &vllm, &why));
    ck_assert_ptr_nonnull(strstr(why, "8.0"));
    vllm.format = PRECISION_FP16;
    ck_assert(choice_gpu_supported(catalog_find(cat, "Test_T4_1x16"), &vllm, NULL));
    /* AWQ kernels need 7.5: the T4 (7.5) runs 4-bit weights; fp8 needs Marlin (8.0+) */
    vllm.format = PRECISION_INT4;
    ck_assert(choice_gpu_supported(catalog_find(cat, "Test_T4_1x16"), &vllm, NULL));
    vllm.format = PRECISION_FP8;
    ck_assert(!choice_gpu_supported(catalog_find(cat, "Test_T4_1x16"), &vllm, &why));
    ck_assert_ptr_nonnull(strstr(why, "fp8"));
    /* vLLM serves a vGPU slice; training does not */
    ck_assert(choice_gpu_supported(catalog_find(cat, "Test_P_1x8"), &vllm, NULL));
    struct choice_caps flash = {.whole_gpus = true, .flash_attention = true};
    ck_assert(!choice_gpu_supported(catalog_find(cat, "Test_P_1x8"), &flash, &why));
    ck_assert_ptr_nonnull(strstr(why, "partial"));
    ck_assert(!choice_gpu_supported(catalog_find(cat, "Test_T4_1x16"), &flash, &why));
    ck_assert_ptr_nonnull(strstr(why, "flash"));
    ck_assert(choice_gpu_supported(catalog_find(cat, "Test_M_8x80"), &flash, NULL));
}
END_TEST

START_TEST(host_ram_short_moves_to_a_size_that_holds_it)
{
    struct even e = {.total_gb = 10, .host_gb = 500};
    struct choice_need need = {.fit = even_fit, .ctx = &e};
    struct choice_result res;
    ck_assert_int_eq(choice_rank(cat, TODAY, &need, &res), 0);
    ck_assert(res.host_short);
    ck_assert(!res.multi_node);
    /* 500 GB = 466 GiB: only N (900 GiB) and M (1850 GiB) hold it on one VM */
    expect(&res, (const char *const[]){"Test_N_4x80", "Test_M_8x80", NULL});
    choice_result_free(&res);
}
END_TEST

START_TEST(nothing_fits_gives_an_empty_list_not_multi_node)
{
    struct choice_result res;
    run(1e6, CHOICE_OBJECTIVE_CHEAPEST, NULL, &res);
    ck_assert_uint_eq(res.n, 0);
    ck_assert(!res.multi_node);
    ck_assert_uint_eq(res.considered, 7);
    choice_result_free(&res);
}
END_TEST

/* Asserts two rankings are the same: sizes, layouts, prices and every count. */
static void same_result(const struct choice_result *a, const struct choice_result *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_ptr_eq(a->list[i].sku, b->list[i].sku);
        ck_assert_int_eq(a->list[i].ranks, b->list[i].ranks);
        ck_assert_int_eq(a->list[i].nodes, b->list[i].nodes);
        ck_assert_int_eq(a->list[i].price_source, b->list[i].price_source);
        ck_assert(a->list[i].price == b->list[i].price);
    }
    ck_assert_uint_eq(a->considered, b->considered);
    ck_assert_uint_eq(a->filtered_out, b->filtered_out);
    ck_assert_uint_eq(a->region_unknown, b->region_unknown);
    ck_assert_uint_eq(a->unsupported, b->unsupported);
    ck_assert_uint_eq(a->unpriced, b->unpriced);
    ck_assert(a->multi_node == b->multi_node);
}

/* One ranking of total_gb with the given caps, region and memo (NULL: none). */
static void rank_with(double total_gb, bool bf16, const char *region, struct choice_memo *memo,
                      struct choice_result *res)
{
    static struct even e;
    e.total_gb = total_gb;
    e.host_gb = 0;
    struct choice_need need = {.fit = even_fit, .ctx = &e, .memo = memo};
    need.caps.whole_gpus = true;
    need.caps.bf16 = bf16;
    need.prefs.objective = CHOICE_OBJECTIVE_CHEAPEST;
    need.prefs.filter.region = region;
    ck_assert_int_eq(choice_rank(cat, TODAY, &need, res), 0);
}

START_TEST(a_memo_shared_by_rankings_changes_no_answer)
{
    static const char *const region = "eastus";
    struct choice_memo memo;
    ck_assert_int_eq(choice_memo_init(&memo, cat), 0);
    /* the memo's first use keys it; later rankings (other memory, the multi-node pass) reuse
     * each size's verdict and price */
    const double totals[] = {30, 150, 30, 700};
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
        struct choice_result plain, memoized;
        rank_with(totals[i], true, region, NULL, &plain);
        rank_with(totals[i], true, region, &memo, &memoized);
        same_result(&plain, &memoized);
        choice_result_free(&plain);
        choice_result_free(&memoized);
    }
    ck_assert(memo.keyed);
    /* other capabilities or another region bypass it: a T4 is refused for bf16, not without */
    const char *const regions[] = {region, NULL, "westus3"};
    for (size_t r = 0; r < 3; r++) {
        struct choice_result plain, memoized;
        rank_with(30, false, regions[r], NULL, &plain);
        rank_with(30, false, regions[r], &memo, &memoized);
        same_result(&plain, &memoized);
        choice_result_free(&plain);
        choice_result_free(&memoized);
    }
    choice_memo_free(&memo);
    choice_memo_free(&memo); /* idempotent */
}
END_TEST

START_TEST(an_empty_catalog_has_no_candidates)
{
    /* The loader refuses an empty "skus"; a region subset with nothing offered there is empty. */
    struct catalog *empty = NULL;
    ck_assert_int_eq(catalog_subset_region(cat, "japaneast", &empty), 0);
    ck_assert_uint_eq(catalog_count(empty), 0);
    struct even e = {.total_gb = 1};
    struct choice_need need = {.fit = even_fit, .ctx = &e};
    need.prefs.objective = CHOICE_OBJECTIVE_CHEAPEST;
    struct choice_result res;
    ck_assert_int_eq(choice_rank(empty, TODAY, &need, &res), 0);
    ck_assert_uint_eq(res.n, 0);
    ck_assert_uint_eq(res.considered, 0);
    ck_assert(!res.multi_node);
    choice_result_free(&res);
    catalog_unref(empty);
}
END_TEST

/* The messages both surfaces answered before the validators were merged. */
static const struct {
    const char *region, *vendor, *code, *field, *message;
} checks[] = {
    {NULL, "Intel", "invalid_value", "vendor", "vendor \"Intel\" is not known; use NVIDIA or AMD"},
    {"eastus", "intel", "invalid_parameter", "vendor",
     "vendor \"intel\" is not known; use NVIDIA or AMD"},
    {"East US", NULL, "invalid_parameter", "region",
     "region \"East US\" is not an Azure region name (letters and digits, e.g. eastus)"},
    {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", NULL, "invalid_parameter", "region",
     "region \"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv...\" is too long"},
    {NULL, "0123456789012345678901234567890123456789012345678901234567890123", "invalid_parameter",
     "vendor", "vendor \"0123456789012345678901234567890123456789...\" is too long"},
};

START_TEST(region_and_vendor_refusals_name_the_field_and_rule)
{
    struct error_info err;
    ck_assert_int_eq(
        choice_filter_check(checks[_i].region, checks[_i].vendor, checks[_i].code, &err), -EINVAL);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.code, checks[_i].code);
    ck_assert_str_eq(err.field, checks[_i].field);
    ck_assert_str_eq(err.message, checks[_i].message);
}
END_TEST

START_TEST(known_regions_and_vendors_pass_in_any_case)
{
    ck_assert_int_eq(choice_filter_check("WestUS3", "nvidia", "invalid_value", NULL), 0);
    ck_assert_int_eq(choice_filter_check("eastus", "AMD", "invalid_value", NULL), 0);
    ck_assert_int_eq(choice_filter_check(NULL, NULL, "invalid_value", NULL), 0);
}
END_TEST

static Suite *choice_suite(void)
{
    Suite *s = suite_create("choice");
    TCase *tc = tcase_create("rank");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, objective_names_are_one_table_in_enum_order);
    tcase_add_test(tc, seed_objective_keeps_catalog_order_and_fewest_gpus_per_size);
    tcase_add_test(tc, cheapest_ranks_priced_first_then_price_then_catalog_order);
    tcase_add_test(tc, fewest_gpus_ranks_by_rented_gpus_then_price_then_catalog_order);
    tcase_add_test(tc, multi_node_fallback_uses_infiniband_sizes_and_the_fewest_nodes);
    tcase_add_test(tc, equal_gpus_or_price_prefer_fewer_nodes_over_catalog_order);
    tcase_add_test(tc, filters_vendor_partial_and_allow_list);
    tcase_add_test(tc, region_filter_counts_sizes_without_region_data);
    tcase_add_test(tc, capabilities_refuse_partial_pre_ampere_and_engine_gpus);
    tcase_add_test(tc, host_ram_short_moves_to_a_size_that_holds_it);
    tcase_add_test(tc, nothing_fits_gives_an_empty_list_not_multi_node);
    tcase_add_test(tc, an_empty_catalog_has_no_candidates);
    tcase_add_test(tc, a_memo_shared_by_rankings_changes_no_answer);
    suite_add_tcase(s, tc);
    TCase *tv = tcase_create("validate");
    tcase_add_loop_test(tv, region_and_vendor_refusals_name_the_field_and_rule, 0,
                        sizeof(checks) / sizeof(checks[0]));
    tcase_add_test(tv, known_regions_and_vendors_pass_in_any_case);
    suite_add_tcase(s, tv);
    return s;
}

CHECK_MAIN(choice_suite)
