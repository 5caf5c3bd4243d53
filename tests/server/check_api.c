/* check_api.c - POST /estimate's seed-path text: byte for byte what the server answered before. */
#include "support/check_util.h"

#include <jansson.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "api/api.h"
#include "base/buf.h"
#include "azure/catalog.h"
#include "base/jsonout.h"
#include "config/presets.h"
#include "support/testsrv.h"
#include "support/testapi.h"
#include "support/testcat.h"

/*
 * tests/data/golden-estimate.json: seed-only bodies and the exact HTTP bodies (compact, and
 * ?pretty=1 for most) the server gave for them before the seed path was written without a tree
 * (today 2026-11-23, embedded catalog, snapshot prices). Any byte that moves is a schema change.
 */
static json_t *golden;
static struct catalog *cat;
static const char *today;

static void load_golden(void)
{
    json_error_t jerr;
    golden = json_load_file(TEST_DATA_DIR "/golden-estimate.json", 0, &jerr);
    ck_assert_msg(golden != NULL, "golden-estimate.json: %s", jerr.text);
    today = json_string_value(json_object_get(golden, "today"));
    ck_assert_uint_ge(json_array_size(json_object_get(golden, "cases")), 40);
    cat = testcat_embedded();
    ck_assert_ptr_nonnull(presets_builtin()); /* "model" presets for the refined paths */
}

static void free_golden(void)
{
    catalog_unref(cat);
    json_decref(golden);
}

/* The expected compact text without the HTTP layer's trailing newline. */
static const char *expected(const json_t *c, const char *key, size_t *len)
{
    const char *s = json_string_value(json_object_get(c, key));
    ck_assert_ptr_nonnull(s);
    *len = strlen(s);
    ck_assert(*len > 0 && s[*len - 1] == '\n');
    (*len)--;
    return s;
}

START_TEST(seed_path_text_is_byte_identical_to_the_recorded_answers)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(golden, "cases"), i, c)
    {
        struct buf out;
        struct error_info err;
        buf_init(&out, JSONOUT_MAX);
        ck_assert_int_eq(api_estimate_write(cat, today, json_object_get(c, "body"), 0, &out, &err),
                         0);
        size_t len;
        const char *want = expected(c, "response", &len);
        ck_assert_msg(out.len == len && memcmp(out.data, want, len) == 0,
                      "case %zu:\n got %s\nwant %.*s", i, out.data, (int)len, want);
        buf_free(&out);
    }
}
END_TEST

START_TEST(tree_answer_dumps_to_the_same_compact_and_indented_bytes)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(golden, "cases"), i, c)
    {
        json_t *tree = NULL;
        struct error_info err;
        ck_assert_int_eq(testapi_estimate(cat, today, json_object_get(c, "body"), &tree, &err), 0);
        size_t len, glen;
        const char *want = expected(c, "response", &len);
        char *got = jsonout_dumps(tree, 0, &glen);
        ck_assert_msg(glen == len && memcmp(got, want, len) == 0, "case %zu: %s", i, got);
        free(got);
        if (json_object_get(c, "pretty")) {
            want = expected(c, "pretty", &len);
            got = jsonout_dumps(tree, 2, &glen);
            ck_assert_msg(glen == len && memcmp(got, want, len) == 0, "case %zu: %s", i, got);
            free(got);
        }
        json_decref(tree);
    }
}
END_TEST

START_TEST(every_path_writes_indented_text_equal_to_its_compact_text_reindented)
{
    static const char *const bodies[] = {
        "{\"model\":\"llama-3-8b\",\"ctx\":4096,\"precision\":\"fp16\"}",
        "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\","
        "\"region\":\"eastus\"}",
        "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\","
        "\"training\":{\"optimizer\":\"adamw\"}}",
        "{\"model\":\"llama-3-8b\",\"engine\":\"vllm\",\"ctx\":8192,\"precision\":\"bf16\","
        "\"solve\":\"max_ctx\","
        "\"sku\":\"Standard_NC24ads_A100_v4\"}",
        "{\"model\":\"llama-3-8b\",\"ctx\":2048,\"precision\":\"bf16\",\"training\":{\"method\":"
        "\"lora\"}}",
        "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        json_error_t jerr;
        json_t *body = json_loads(bodies[i], 0, &jerr);
        json_t *tree = NULL;
        struct error_info err;
        struct buf out;
        buf_init(&out, JSONOUT_MAX);
        /* The tree is read back from the compact text; the indented text is written directly. */
        ck_assert_msg(testapi_estimate(cat, today, body, &tree, &err) == 0, "%s", err.message);
        ck_assert_int_eq(api_estimate_write(cat, today, body, 2, &out, &err), 0);
        char *want = jsonout_dumps(tree, 2, NULL);
        ck_assert_str_eq(out.data, want);
        ck_assert_ptr_nonnull(strchr(out.data, '\n'));
        free(want);
        buf_free(&out);
        json_decref(tree);
        json_decref(body);
    }
}
END_TEST

START_TEST(invalid_body_is_a_400_compact_and_indented)
{
    json_error_t jerr;
    json_t *body = json_loads("{\"params_b\":7,\"layres\":32}", 0, &jerr);
    struct error_info err;
    struct buf out;
    buf_init(&out, JSONOUT_MAX);
    error_clear(&err);
    ck_assert_int_lt(api_estimate_write(cat, today, body, 0, &out, &err), 0);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.field, "layres");
    error_clear(&err);
    ck_assert_int_lt(api_estimate_write(cat, today, body, 2, &out, &err), 0);
    ck_assert_int_eq(err.status, 400);
    ck_assert_str_eq(err.field, "layres");
    buf_free(&out);
    json_decref(body);
}
END_TEST

START_TEST(an_answer_past_the_buffer_cap_fails_without_overrunning)
{
    const json_t *c = json_array_get(json_object_get(golden, "cases"), 0);
    struct error_info err;
    struct buf out;
    buf_init(&out, 100);
    error_clear(&err);
    ck_assert_int_eq(api_estimate_write(cat, today, json_object_get(c, "body"), 0, &out, &err),
                     -ENOMEM);
    ck_assert_int_eq(err.status, 0); /* not the client's fault: the route answers 500 */
    ck_assert_uint_le(out.len, 100);
    buf_free(&out);
}
END_TEST

/* A catalog price (live prices merged by the refresher) with its region, on the seed path. */
START_TEST(catalog_price_is_written_with_its_region_and_note)
{
    static const char doc[] =
        "{\"schema\":\"vramfit.catalog/v1\",\"skus\":[{\"sku\":\"Test_A\",\"vendor\":\"nvidia\","
        "\"series\":\"T\",\"gpu_model\":\"X\",\"gpus_per_vm\":2,\"vram_gb\":80,\"vcpus\":24,"
        "\"memory_gib\":220,\"partial\":false,\"gpu_fraction\":1,\"retires_on\":null,"
        "\"docs_url\":\"https://example.com/a\\\"b\",\"interconnect\":null,\"infiniband\":false,"
        "\"cpu_arch\":null,\"price_per_hour\":3.5,\"price_region\":\"westus3\","
        "\"regions\":[\"westus3\",\"eastus\"],\"region_prices\":{\"westus3\":3.5,"
        "\"eastus\":4.25}}]}";
    struct catalog *priced = NULL;
    struct error_info err;
    ck_assert_int_eq(catalog_load(doc, sizeof(doc) - 1, "t", &priced, &err), 0);
    json_error_t jerr;
    json_t *body = json_loads(
        "{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,\"precision\":\"fp16\"}", 0,
        &jerr);
    struct buf out;
    buf_init(&out, JSONOUT_MAX);
    ck_assert_int_eq(api_estimate_write(priced, today, body, 0, &out, &err), 0);
    ck_assert_msg(strstr(out.data, "\"price_per_hour\":3.5,\"price_source\":\"catalog\","
                                   "\"price_region\":\"westus3\",\"cost_per_hour\":3.5,") != NULL,
                  "%s", out.data);
    ck_assert_msg(strstr(out.data,
                         "\"price: Azure Retail Prices, Linux pay-as-you-go in westus3, "
                         "USD per VM-hour; cost_per_hour is for the one VM chosen\"]}") != NULL,
                  "%s", out.data);
    ck_assert_msg(strstr(out.data, "\"docs_url\":\"https://example.com/a\\\"b\"") != NULL, "%s",
                  out.data);
    ck_assert_msg(strstr(out.data, "\"regions\":[\"westus3\",\"eastus\"],\"region_prices\":{"
                                   "\"westus3\":3.5,\"eastus\":4.25}}") != NULL,
                  "%s", out.data);
    buf_free(&out);
    json_decref(body);
    catalog_unref(priced);
}
END_TEST

/* Over HTTP: the same bytes plus the newline, re-indented for ?pretty=1, and gzip that unzips to
 * them. */
static struct testsrv srv;

static void start_server(void)
{
    load_golden();
    const char *args[] = {"--today", "2026-11-23", "--no-prices", NULL};
    ck_assert_int_eq(testsrv_start(&srv, args), 0);
}

static void stop_server(void)
{
    int status = -1;
    testsrv_stop(&srv, SIGTERM, 15, &status);
    free_golden();
}

static char *gunzip(const char *z, size_t zlen, size_t *len)
{
    z_stream s;
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(inflateInit2(&s, 16 + MAX_WBITS), Z_OK);
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    ck_assert_ptr_nonnull(out);
    s.next_in = (Bytef *)(uintptr_t)z;
    s.avail_in = (uInt)zlen;
    s.next_out = (Bytef *)out;
    s.avail_out = (uInt)cap;
    ck_assert_int_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
    *len = s.total_out;
    inflateEnd(&s);
    return out;
}

START_TEST(http_bodies_are_byte_identical_compact_pretty_and_gzipped)
{
    size_t i;
    json_t *c;
    int gzipped = 0;
    json_array_foreach(json_object_get(golden, "cases"), i, c)
    {
        char *body = json_dumps(json_object_get(c, "body"), JSON_COMPACT);
        const char *want = json_string_value(json_object_get(c, "response"));
        struct http_result r;
        ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate", "application/json", body,
                                  strlen(body), NULL, &r),
                         0);
        ck_assert_int_eq(r.status, 200);
        ck_assert_msg(r.len == strlen(want) && memcmp(r.body, want, r.len) == 0,
                      "case %zu:\n got %s\nwant %s", i, r.body, want);
        http_result_free(&r);
        const char *pretty = json_string_value(json_object_get(c, "pretty"));
        if (pretty != NULL) {
            ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate?pretty=1", "application/json",
                                      body, strlen(body), NULL, &r),
                             0);
            ck_assert_str_eq(r.body, pretty);
            http_result_free(&r);
        }
        if (i % 4 == 0) {
            ck_assert_int_eq(testhttp(srv.port, "POST", "/estimate", "application/json", body,
                                      strlen(body), "Accept-Encoding: gzip", &r),
                             0);
            char enc[32] = "";
            if (http_result_header(&r, "Content-Encoding", enc, sizeof(enc)) == 0) {
                ck_assert_str_eq(enc, "gzip");
                size_t len;
                char *plain = gunzip(r.body, r.len, &len);
                ck_assert(len == strlen(want) && memcmp(plain, want, len) == 0);
                free(plain);
                gzipped++;
            } else {
                ck_assert_str_eq(r.body, want);
            }
            http_result_free(&r);
        }
        free(body);
    }
    ck_assert_int_gt(gzipped, 0);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("golden");
    tcase_add_unchecked_fixture(tc, load_golden, free_golden);
    tcase_add_test(tc, seed_path_text_is_byte_identical_to_the_recorded_answers);
    tcase_add_test(tc, tree_answer_dumps_to_the_same_compact_and_indented_bytes);
    tcase_add_test(tc, every_path_writes_indented_text_equal_to_its_compact_text_reindented);
    tcase_add_test(tc, invalid_body_is_a_400_compact_and_indented);
    tcase_add_test(tc, an_answer_past_the_buffer_cap_fails_without_overrunning);
    tcase_add_test(tc, catalog_price_is_written_with_its_region_and_note);
    suite_add_tcase(s, tc);
    TCase *http = tcase_create("http");
    tcase_add_unchecked_fixture(http, start_server, stop_server);
    tcase_set_timeout(http, 120);
    tcase_add_test(http, http_bodies_are_byte_identical_compact_pretty_and_gzipped);
    suite_add_tcase(s, http);
    return s;
}

CHECK_MAIN(api_suite)
