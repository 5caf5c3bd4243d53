/* check_choose.c - the seed's VM choice rule: smallest VRAM first, ties, no fit, retired sizes. */
#include "support/check_util.h"

#include <stdio.h>
#include <string.h>

#include "azure/catalog.h"
#include "choice/choose.h"
#include "config/embedded.h"
#include "support/testsrv.h"
#include "support/testcat.h"

static struct catalog *ties(void)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/catalog-ties.json", TEST_DATA_DIR);
    size_t len;
    char *data = testfile_read(path, &len);
    ck_assert_ptr_nonnull(data);
    struct catalog *cat = NULL;
    struct error_info err;
    ck_assert_int_eq(catalog_load(data, len, "test", &cat, &err), 0);
    free(data);
    return cat;
}

START_TEST(smallest_vram_that_fits_wins_even_if_partial)
{
    struct catalog *cat = ties();
    struct choice ch;
    choose_seed(cat, 3.9, "2026-01-01", &ch);
    ck_assert_str_eq(ch.sku->sku, "Test_Part_4");
    ck_assert_int_eq(ch.gpus, 1);
    catalog_unref(cat);
}
END_TEST

START_TEST(equal_vram_prefers_fewer_gpus_per_vm_then_name)
{
    struct catalog *cat = ties();
    struct choice ch;
    /* 100 GB needs 2 x 80 GB: Test_A_1x80 can't, Test_A_2x80 and Test_C_2x80 tie; name wins. */
    choose_seed(cat, 100, "2026-01-01", &ch);
    ck_assert_str_eq(ch.sku->sku, "Test_A_2x80");
    ck_assert_int_eq(ch.gpus, 2);
    /* 70 GB fits one 80 GB GPU: the 1-GPU size comes first among the 80 GB ties. */
    choose_seed(cat, 70, "2026-01-01", &ch);
    ck_assert_str_eq(ch.sku->sku, "Test_A_1x80");
    ck_assert_int_eq(ch.gpus, 1);
    /* 500 GB: 7 x 80 GB on the 8-GPU size beats the larger-VRAM 192 GB size. */
    choose_seed(cat, 500, "2026-01-01", &ch);
    ck_assert_str_eq(ch.sku->sku, "Test_B_8x80");
    ck_assert_int_eq(ch.gpus, 7);
    catalog_unref(cat);
}
END_TEST

START_TEST(exact_multiple_of_vram_needs_no_extra_gpu)
{
    struct catalog *cat = ties();
    struct choice ch;
    choose_seed(cat, 160, "2026-01-01", &ch);
    ck_assert_str_eq(ch.sku->sku, "Test_A_2x80");
    ck_assert_int_eq(ch.gpus, 2);
    choose_seed(cat, 160.0000001, "2026-01-01", &ch);
    ck_assert_int_eq(ch.gpus, 3);
    ck_assert_str_eq(ch.sku->sku, "Test_B_8x80");
    catalog_unref(cat);
}
END_TEST

START_TEST(retired_sizes_are_never_chosen)
{
    struct catalog *cat = ties();
    struct choice ch;
    /* 10 GB fits Test_Old_4x16 (16 GB) but it retired 2025-09-30: next is an 80 GB size. */
    choose_seed(cat, 10, "2025-09-30", &ch);
    ck_assert_str_eq(ch.sku->sku, "Test_A_1x80");
    choose_seed(cat, 10, "2025-09-29", &ch);
    ck_assert_str_eq(ch.sku->sku, "Test_Old_4x16");
    /* Test_Big_8x192 retires 2030-01-01: on that day nothing holds 1000 GB. */
    choose_seed(cat, 1000, "2029-12-31", &ch);
    ck_assert_str_eq(ch.sku->sku, "Test_Big_8x192");
    ck_assert_int_eq(ch.gpus, 6);
    choose_seed(cat, 1000, "2030-01-01", &ch);
    ck_assert_ptr_null(ch.sku);
    catalog_unref(cat);
}
END_TEST

START_TEST(no_fit_reports_zero_gpus_and_the_largest_vm)
{
    struct catalog *cat = ties();
    struct choice ch;
    choose_seed(cat, 2000, "2026-01-01", &ch);
    ck_assert_ptr_null(ch.sku);
    ck_assert_int_eq(ch.gpus, 0);
    ck_assert_str_eq(ch.largest->sku, "Test_Big_8x192");
    ck_assert(ch.largest_vm_gb == 1536);
    ck_assert_uint_eq(ch.candidates, 6); /* one retired */
    catalog_unref(cat);
}
END_TEST

START_TEST(embedded_catalog_picks_what_the_seed_rule_implies)
{
    struct catalog *cat = testcat_embedded();
    struct choice ch;
    /* Llama-2-7B fp16, ctx 4096: 19.38 GB -> two T4s on the 4-GPU NC64as_T4_v3. */
    choose_seed(cat, 19.3769803776, "2026-11-23", &ch);
    ck_assert_str_eq(ch.sku->sku, "Standard_NC64as_T4_v3");
    ck_assert_int_eq(ch.gpus, 2);
    /* 1000 GB: 8 x 141 GB H200 is the smallest per-GPU VRAM whose VM holds it. */
    choose_seed(cat, 1000, "2026-11-23", &ch);
    ck_assert_str_eq(ch.sku->sku, "Standard_ND96isr_H200_v5");
    ck_assert_int_eq(ch.gpus, 8);
    /* 1652.6 GB (the seed's R1 example with KV) is more than any single VM. */
    choose_seed(cat, 1652.5966454784, "2026-11-23", &ch);
    ck_assert_ptr_null(ch.sku);
    ck_assert_str_eq(ch.largest->sku, "Standard_ND96isr_MI300X_v5");
    /* NVv4 (retiring 2026-09-30) was a candidate the day before and not after. */
    choose_seed(cat, 1.5, "2026-09-29", &ch);
    ck_assert_str_eq(ch.sku->sku, "Standard_NV4as_v4");
    choose_seed(cat, 1.5, "2026-11-23", &ch);
    ck_assert_str_ne(ch.sku->sku, "Standard_NV4as_v4");
    catalog_unref(cat);
}
END_TEST

static Suite *choose_suite(void)
{
    Suite *s = suite_create("choose");
    TCase *tc = tcase_create("seed rule");
    tcase_add_test(tc, smallest_vram_that_fits_wins_even_if_partial);
    tcase_add_test(tc, equal_vram_prefers_fewer_gpus_per_vm_then_name);
    tcase_add_test(tc, exact_multiple_of_vram_needs_no_extra_gpu);
    tcase_add_test(tc, retired_sizes_are_never_chosen);
    tcase_add_test(tc, no_fit_reports_zero_gpus_and_the_largest_vm);
    tcase_add_test(tc, embedded_catalog_picks_what_the_seed_rule_implies);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(choose_suite)
