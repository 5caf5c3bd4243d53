/* check_catalog.c - catalog parsing and validation, choice order, retirement, the embedded default.
 */
#include "support/check_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "azure/catalog.h"
#include "choice/choose.h"
#include "config/embedded.h"
#include "support/testsrv.h"

static struct catalog *load_fixture(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
    size_t len;
    char *data = testfile_read(path, &len);
    ck_assert_ptr_nonnull(data);
    struct catalog *cat = NULL;
    struct error_info err;
    error_clear(&err);
    int rc = catalog_load(data, len, "test", &cat, &err);
    ck_assert_msg(rc == 0, "load %s: %s", name, err.message);
    free(data);
    return cat;
}

START_TEST(embedded_catalog_loads_and_covers_the_research_table)
{
    size_t len;
    const char *data = embedded_catalog(&len);
    struct catalog *cat = NULL;
    struct error_info err;
    ck_assert_int_eq(catalog_load(data, len, "embedded", &cat, &err), 0);
    ck_assert_uint_eq(catalog_count(cat), 51);
    const struct catalog_sku *h100 = catalog_find(cat, "Standard_ND96isr_H100_v5");
    ck_assert_ptr_nonnull(h100);
    ck_assert_int_eq(h100->gpus_per_vm, 8); /* not the API's wrong 12 */
    ck_assert(h100->vram_gb == 80);
    ck_assert(h100->infiniband);
    const struct catalog_sku *nv6 = catalog_find(cat, "Standard_NV6ads_A10_v5");
    ck_assert_ptr_nonnull(nv6);
    ck_assert(nv6->partial);
    ck_assert_int_eq(nv6->gpus_per_vm, 1);
    ck_assert(nv6->vram_gb == 4);
    const struct catalog_sku *nc6 = catalog_find(cat, "Standard_NC6s_v3");
    ck_assert_str_eq(nc6->retires_on, "2025-09-30");
    ck_assert(catalog_sku_retired(nc6, "2025-09-30"));
    ck_assert(!catalog_sku_retired(nc6, "2025-09-29"));
    ck_assert_str_eq(catalog_source(cat), "embedded");
    catalog_unref(cat);
}
END_TEST

START_TEST(sizes_are_ordered_by_vram_then_gpu_count_then_name)
{
    struct catalog *cat = load_fixture("catalog-ties.json");
    const char *expect[] = {"Test_Part_4", "Test_Old_4x16", "Test_A_1x80",   "Test_A_2x80",
                            "Test_C_2x80", "Test_B_8x80",   "Test_Big_8x192"};
    ck_assert_uint_eq(catalog_count(cat), 7);
    for (size_t i = 0; i < 7; i++)
        ck_assert_str_eq(catalog_at(cat, i)->sku, expect[i]);
    ck_assert_ptr_null(catalog_at(cat, 7));
    catalog_unref(cat);
}
END_TEST

START_TEST(references_keep_a_snapshot_alive)
{
    struct catalog *cat = load_fixture("catalog-ties.json");
    struct catalog *again = catalog_ref(cat);
    ck_assert_ptr_eq(again, cat);
    catalog_unref(cat);
    /* Still usable through the second reference (ASan/valgrind catch a premature free). */
    ck_assert_str_eq(catalog_at(again, 0)->sku, "Test_Part_4");
    catalog_unref(again);
    catalog_unref(NULL);
}
END_TEST

/* Each invalid document: what it breaks and the field path the error must name. */
static const struct {
    const char *doc;
    const char *field;
    const char *needle;
} invalid[] = {
    {"[1,2]", "", "JSON object"},
    {"{\"skus\": {}}", "skus", "\"skus\" array"},
    {"{\"skus\": []}", "skus", "must not be empty"},
    {"{\"skus\": [], \"extra\": 1}", "extra", "not known"},
    {"{\"schema\": \"other/v2\", \"skus\": []}", "schema", "vramfit.catalog/v1"},
    {"{\"skus\": [7]}", "skus", "must be an object"},
    {"{\"skus\": [{\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\",\"gpus_per_vm\":1,"
     "\"vram_gb\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,\"retires_on\":null,"
     "\"docs_url\":\"u\"}]}",
     "skus[0].sku", "is required"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":1,\"vram_gb\":0,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,"
     "\"retires_on\":null,\"docs_url\":\"u\"}]}",
     "skus[0].vram_gb", "positive"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":1.5,\"vram_gb\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,"
     "\"retires_on\":null,\"docs_url\":\"u\"}]}",
     "skus[0].gpus_per_vm", "integer >= 1"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":0,\"vram_gb\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,"
     "\"retires_on\":null,\"docs_url\":\"u\"}]}",
     "skus[0].gpus_per_vm", "integer >= 1"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":1,\"vram_gb\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,"
     "\"retires_on\":null,\"docs_url\":\"u\"}]}",
     "skus[0].vendor", "must not be empty"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":1,\"vram_gb\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,"
     "\"retires_on\":\"2025-02-30\",\"docs_url\":\"u\"}]}",
     "skus[0].retires_on", "ISO date"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":1,\"vram_gb_per_gpu\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,"
     "\"retires_on\":null,\"docs_url\":\"u\"}]}",
     "skus[0].vram_gb_per_gpu", "not a known catalog field"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":2,\"vram_gb\":4,\"vcpus\":4,\"memory_gib\":28,\"partial\":true,"
     "\"gpu_fraction\":0.5,\"retires_on\":null,\"docs_url\":\"u\"}]}",
     "skus[0].gpus_per_vm", "partial"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":1,\"vram_gb\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":\"no\","
     "\"retires_on\":null,\"docs_url\":\"u\"}]}",
     "skus[0].partial", "true or false"},
    {"{\"skus\": [{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":1,\"vram_gb\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,"
     "\"retires_on\":null,\"docs_url\":\"u\"},"
     "{\"sku\":\"X\",\"vendor\":\"N\",\"series\":\"s\",\"gpu_model\":\"g\","
     "\"gpus_per_vm\":1,\"vram_gb\":16,\"vcpus\":4,\"memory_gib\":28,\"partial\":false,"
     "\"retires_on\":null,\"docs_url\":\"u\"}]}",
     "skus[1].sku", "unique"},
};

START_TEST(invalid_catalogs_are_refused_naming_entry_and_field)
{
    struct catalog *cat = NULL;
    struct error_info err;
    error_clear(&err);
    int rc = catalog_load(invalid[_i].doc, strlen(invalid[_i].doc), "t", &cat, &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_null(cat);
    ck_assert_str_eq(err.field, invalid[_i].field);
    ck_assert_msg(strstr(err.message, invalid[_i].needle) != NULL, "case %d: \"%s\" lacks \"%s\"",
                  _i, err.message, invalid[_i].needle);
}
END_TEST

START_TEST(malformed_catalog_json_reports_line_and_column)
{
    const char *doc = "{\n  \"skus\": [\n    {,}\n  ]\n}";
    struct catalog *cat = NULL;
    struct error_info err;
    ck_assert_int_lt(catalog_load(doc, strlen(doc), "t", &cat, &err), 0);
    ck_assert_str_eq(err.code, "malformed_catalog");
    ck_assert_msg(strstr(err.message, "line 3") != NULL, "%s", err.message);
}
END_TEST

START_TEST(duplicate_keys_in_a_catalog_entry_are_refused)
{
    const char *doc = "{\"skus\": [{\"sku\":\"X\",\"sku\":\"Y\"}]}";
    struct catalog *cat = NULL;
    struct error_info err;
    ck_assert_int_lt(catalog_load(doc, strlen(doc), "t", &cat, &err), 0);
    ck_assert_msg(strstr(err.message, "duplicate") != NULL, "%s", err.message);
}
END_TEST

START_TEST(sku_json_reports_retirement_for_the_given_day)
{
    struct catalog *cat = load_fixture("catalog-ties.json");
    const struct catalog_sku *old = catalog_find(cat, "Test_Old_4x16");
    json_t *j = catalog_sku_json(old, "2026-01-01");
    ck_assert(json_is_true(json_object_get(j, "retired")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "retires_on")), "2025-09-30");
    json_decref(j);
    j = catalog_sku_json(old, "2025-01-01");
    ck_assert(json_is_false(json_object_get(j, "retired")));
    json_decref(j);
    catalog_unref(cat);
}
END_TEST

/* The snapshot's cached API text of every size is the field-by-field writing, for both flags. */
START_TEST(cached_sku_text_is_what_the_fields_write)
{
    size_t len;
    const char *data = embedded_catalog(&len);
    struct catalog *cat = NULL;
    struct error_info err;
    ck_assert_int_eq(catalog_load(data, len, "embedded", &cat, &err), 0);
    for (size_t i = 0; i < catalog_count(cat); i++) {
        const struct catalog_sku *s = catalog_at(cat, i);
        for (int r = 0; r < 2; r++) {
            /* retires_on is at most 9999-12-31; a size without one is never retired. */
            const char *day = r ? "9999-12-31" : "1970-01-01";
            if (r && s->retires_on == NULL)
                continue;
            struct buf compact, indented;
            struct jsonout w;
            buf_init(&compact, 1 << 20);
            buf_init(&indented, 1 << 20);
            jsonout_init(&w, &compact, 0);
            catalog_sku_write(&w, s, day); /* the cached text */
            ck_assert_int_eq(jsonout_status(&w), 0);
            ck_assert_ptr_eq(strstr(compact.data, s->api_text[r]), compact.data);
            jsonout_init(&w, &indented, 2);
            catalog_sku_write(&w, s, day); /* written field by field */
            ck_assert_int_eq(jsonout_status(&w), 0);
            json_t *a = json_loads(compact.data, 0, NULL);
            char *again = jsonout_dumps(a, 2, NULL);
            ck_assert_str_eq(again, indented.data);
            ck_assert(json_is_boolean(json_object_get(a, "retired")) &&
                      json_is_true(json_object_get(a, "retired")) == (r == 1));
            json_t *tree = catalog_sku_json(s, day);
            ck_assert(json_equal(tree, a));
            json_decref(tree);
            free(again);
            json_decref(a);
            buf_free(&compact);
            buf_free(&indented);
        }
    }
    catalog_unref(cat);
}
END_TEST

START_TEST(date_validation_knows_the_calendar)
{
    ck_assert(catalog_valid_date("2024-02-29"));
    ck_assert(!catalog_valid_date("2023-02-29"));
    ck_assert(!catalog_valid_date("2023-13-01"));
    ck_assert(!catalog_valid_date("2023-1-01"));
    ck_assert(!catalog_valid_date("2023-01-01T00"));
    ck_assert(!catalog_valid_date(NULL));
    ck_assert(catalog_valid_date("2000-02-29"));
    ck_assert(!catalog_valid_date("1900-02-29"));
}
END_TEST

/* Retirement is judged on --today when set, else on the UTC date (one rule for http and refresh).
 */
START_TEST(today_is_the_fixed_date_when_set_else_the_utc_date)
{
    char out[CATALOG_DATE_SIZE];
    catalog_today("2031-01-01", out);
    ck_assert_str_eq(out, "2031-01-01");
    char before[CATALOG_DATE_SIZE], after[CATALOG_DATE_SIZE];
    time_t t0 = time(NULL);
    struct tm tm;
    gmtime_r(&t0, &tm);
    strftime(before, sizeof(before), "%Y-%m-%d", &tm);
    catalog_today("", out);
    time_t t1 = time(NULL);
    gmtime_r(&t1, &tm);
    strftime(after, sizeof(after), "%Y-%m-%d", &tm);
    /* Around midnight UTC the day may turn between the two readings. */
    ck_assert_msg(strcmp(out, before) == 0 || strcmp(out, after) == 0, "got %s, UTC says %s", out,
                  before);
    catalog_today(NULL, out);
    ck_assert_msg(strcmp(out, before) == 0 || strcmp(out, after) == 0, "got %s", out);
}
END_TEST

static Suite *catalog_suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, embedded_catalog_loads_and_covers_the_research_table);
    tcase_add_test(tc, sizes_are_ordered_by_vram_then_gpu_count_then_name);
    tcase_add_test(tc, references_keep_a_snapshot_alive);
    tcase_add_test(tc, malformed_catalog_json_reports_line_and_column);
    tcase_add_test(tc, duplicate_keys_in_a_catalog_entry_are_refused);
    tcase_add_test(tc, sku_json_reports_retirement_for_the_given_day);
    tcase_add_test(tc, cached_sku_text_is_what_the_fields_write);
    tcase_add_test(tc, date_validation_knows_the_calendar);
    tcase_add_test(tc, today_is_the_fixed_date_when_set_else_the_utc_date);
    suite_add_tcase(s, tc);
    tc = tcase_create("validation");
    tcase_add_loop_test(tc, invalid_catalogs_are_refused_naming_entry_and_field, 0,
                        (int)(sizeof(invalid) / sizeof(invalid[0])));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(catalog_suite)
