/* check_hub.c - "model": "org/name" resolved on a fake Hugging Face Hub, end to end over HTTP. */
#include "support/check_util.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/fakehub.h"
#include "support/testsrv.h"

static struct testsrv srv;
static struct fakehub *hub;
static char cache_dir[64];

static void start(void)
{
    char endpoint[64], cdn[64];
    hub = fakehub_start();
    ck_assert_ptr_nonnull(hub);
    fakehub_endpoint(hub, endpoint, sizeof(endpoint));
    fakehub_cdn_host(hub, cdn, sizeof(cdn));
    snprintf(cache_dir, sizeof(cache_dir), "/tmp/vramfit-hub-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(cache_dir));
    setenv("HF_TOKEN", FAKEHUB_TOKEN, 1); /* read at start, never on argv */
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%d", fakehub_hf_timeout_s());
    const char *const args[] = {
        "--today", "2026-11-23",   "--hf-endpoint", endpoint,         "--hf-cdn-hosts",
        cdn,       "--hf-timeout", timeout,         "--hf-cache-dir", cache_dir,
        NULL};
    ck_assert_int_eq(testsrv_start(&srv, args), 0);
    unsetenv("HF_TOKEN");
}

static void stop(void)
{
    int status;
    char *log = testsrv_log(&srv);
    ck_assert_ptr_nonnull(log);
    ck_assert_msg(strstr(log, FAKEHUB_TOKEN) == NULL, "the token reached the log");
    free(log);
    testsrv_stop(&srv, 0, 5, &status);
    fakehub_stop(hub);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", cache_dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* POSTs body; the parsed reply (caller decrefs), its status and its Retry-After ("" if none). */
static json_t *post(const char *body, long *status, char *retry_after, size_t n)
{
    struct http_result r;
    ck_assert_int_eq(
        testhttp(srv.port, "POST", "/estimate", "application/json", body, strlen(body), NULL, &r),
        0);
    *status = r.status;
    if (retry_after && http_result_header(&r, "Retry-After", retry_after, n) < 0)
        retry_after[0] = '\0';
    json_t *j = json_loads(r.body, 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", r.body);
    http_result_free(&r);
    return j;
}

static const char *error_code(const json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "error"), "code"));
}

START_TEST(gpt_oss_120b_is_resolved_with_exact_bytes_from_its_headers_via_the_cdn)
{
    long st;
    json_t *j = post("{\"model\":\"hub-mirror/gpt-oss-120b\",\"precision\":\"bf16\",\"ctx\":8192,"
                     "\"engine\":\"vllm\"}",
                     &st, NULL, 0);
    ck_assert_msg(st == 200, "status %ld: %s", st, json_dumps(j, 0));
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "hub@" FAKEHUB_COMMIT);
    ck_assert_str_eq(json_string_value(json_object_get(j, "model")), "hub-mirror/gpt-oss-120b");
    const json_t *t = json_object_get(json_object_get(j, "checkpoint"), "tensors");
    uint64_t want = fakehub_expected_bytes("hub-mirror/gpt-oss-120b");
    ck_assert_uint_eq((uint64_t)json_integer_value(json_object_get(t, "bytes")), want);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(j, "checkpoint"), "shards")), 2);
    /* 36 layers x 19 tensors, the embeddings, the final norm and the head. */
    ck_assert_int_eq(json_integer_value(json_object_get(t, "tensors")), 36 * 19 + 3);
    const json_t *parts = json_object_get(t, "by_part");
    /* The head and the embeddings are each 201088 x 2880 in BF16. */
    ck_assert_int_eq(json_integer_value(json_object_get(parts, "head")), 201088LL * 2880 * 2);
    ck_assert_int_eq(json_integer_value(json_object_get(parts, "embeddings")), 201088LL * 2880 * 2);
    /* MXFP4 experts: U8 blocks and scales; nothing else is U8. */
    long long experts_u8 = 36LL * 128 * (5760 * 90 * 17 + 2880 * 90 * 17);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(t, "by_dtype"), "U8")),
                     experts_u8);
    ck_assert_rel(json_number_value(json_object_get(j, "weights_footprint_gb")), want / 1e9, 1e-9);
    ck_assert(fakehub_cdn_auth_seen(hub) == 0); /* the token never left the Hub's origin */
    json_decref(j);
}
END_TEST

START_TEST(a_second_request_is_served_from_the_cache_without_the_hub)
{
    long st;
    const char *body =
        "{\"model\":\"hub-mirror/gpt-oss-120b\",\"precision\":\"bf16\",\"ctx\":4096}";
    json_decref(post(body, &st, NULL, 0));
    ck_assert_int_eq(st, 200);
    unsigned before = fakehub_requests(hub);
    json_t *j = post(body, &st, NULL, 0);
    ck_assert_int_eq(st, 200);
    ck_assert_uint_eq(fakehub_requests(hub), before);
    json_decref(j);
}
END_TEST

START_TEST(qwen3_fp8_headers_over_the_probe_size_are_read_with_a_second_range)
{
    long st;
    json_t *j =
        post("{\"model\":\"hub-mirror/Qwen3-235B-A22B-FP8\",\"precision\":\"fp8\",\"ctx\":4096}",
             &st, NULL, 0);
    ck_assert_msg(st == 200, "status %ld: %s", st, json_dumps(j, 0));
    const json_t *t = json_object_get(json_object_get(j, "checkpoint"), "tensors");
    ck_assert_uint_eq((uint64_t)json_integer_value(json_object_get(t, "bytes")),
                      fakehub_expected_bytes("hub-mirror/Qwen3-235B-A22B-FP8"));
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(j, "checkpoint"), "shards")), 6);
    ck_assert(json_integer_value(json_object_get(json_object_get(t, "by_dtype"), "F8_E4M3")) > 0);
    /* the launch command and its manifest serve the repo asked for, by its id */
    const json_t *d = json_object_get(j, "deploy");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "argv"), 2)),
                     "hub-mirror/Qwen3-235B-A22B-FP8");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(d, "kaito"), "metadata"), "name")),
                     "qwen3-235b-a22b-fp8");
    /* The six shard headers are read in parallel, at most 4 at a time (HUB_SHARD_READERS). */
    ck_assert_int_ge(fakehub_max_shard_reads(hub), 2);
    ck_assert_int_le(fakehub_max_shard_reads(hub), 4);
    json_decref(j);
}
END_TEST

/* Without precision the repo's config gives the format; the config-only count of the preset
 * with the same config equals the tensor table to the byte. */
START_TEST(a_hub_repo_needs_no_precision_and_its_config_alone_gives_the_same_bytes)
{
    long st;
    json_t *j = post("{\"model\":\"hub-mirror/Qwen3-235B-A22B-FP8\",\"ctx\":4096,"
                     "\"engine\":\"vllm\"}",
                     &st, NULL, 0);
    ck_assert_msg(st == 200, "status %ld: %s", st, json_dumps(j, 0));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "input"), "precision")),
                     "fp8");
    const json_t *t = json_object_get(json_object_get(j, "checkpoint"), "tensors");
    long long table = json_integer_value(json_object_get(t, "bytes"));
    const json_t *argv = json_object_get(json_object_get(j, "deploy"), "argv"), *a;
    size_t i;
    json_array_foreach(argv, i, a) ck_assert_str_ne(json_string_value(a), "--quantization");
    ck_assert_str_eq(json_string_value(json_array_get(argv, 2)), "hub-mirror/Qwen3-235B-A22B-FP8");
    json_decref(j);
    j = post("{\"model\":\"Qwen/Qwen3-235B-A22B-FP8\",\"ctx\":4096}", &st, NULL, 0);
    ck_assert_int_eq(st, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "weights"), "bytes")),
                     table);
    json_decref(j);
}
END_TEST

START_TEST(a_gated_repo_is_read_with_the_token_and_is_a_403_without_one)
{
    long st;
    const char *body = "{\"model\":\"acme/gated\",\"precision\":\"bf16\",\"ctx\":4096}";
    json_t *j = post(body, &st, NULL, 0);
    /* acme/gated's one model.safetensors (gpt-oss-20b's tensors), read with the token. */
    ck_assert_int_eq(st, 200);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "hub@" FAKEHUB_COMMIT);
    json_decref(j);
    /* Without a token: a 403 saying how to give one. */
    char endpoint[64];
    fakehub_endpoint(hub, endpoint, sizeof(endpoint));
    const char *const args[] = {"--today", "2026-11-23", "--hf-endpoint", endpoint, NULL};
    struct testsrv bare, keep = srv;
    ck_assert_int_eq(testsrv_start(&bare, args), 0);
    srv = bare;
    j = post(body, &st, NULL, 0);
    srv = keep;
    int status;
    testsrv_stop(&bare, 0, 5, &status);
    ck_assert_int_eq(st, 403);
    ck_assert_str_eq(error_code(j), "model_gated");
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    ck_assert_ptr_nonnull(strstr(msg, "HF_TOKEN"));
    json_decref(j);
}
END_TEST

START_TEST(a_missing_repo_is_a_422_unknown_model)
{
    long st;
    json_t *j =
        post("{\"model\":\"nobody/nothing\",\"precision\":\"bf16\",\"ctx\":4096}", &st, NULL, 0);
    ck_assert_int_eq(st, 422);
    ck_assert_str_eq(error_code(j), "unknown_model");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "field")),
                     "model");
    json_decref(j);
}
END_TEST

START_TEST(a_slow_hub_is_a_503_with_retry_after_within_the_timeout)
{
    long st;
    char ra[16];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_t *j =
        post("{\"model\":\"acme/slow\",\"precision\":\"bf16\",\"ctx\":4096}", &st, ra, sizeof(ra));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_eq(st, 503);
    ck_assert_str_eq(error_code(j), "hub_unavailable");
    ck_assert_int_gt(atoi(ra), 0);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(s < fakehub_hf_timeout_s() + 1.5, "took %.1f s with --hf-timeout %d", s,
                  fakehub_hf_timeout_s());
    json_decref(j);
}
END_TEST

/* A broken or absent checkpoint still answers, counted from config.json, and says so. */
static void config_only(const char *repo, const char *why)
{
    long st;
    char body[160];
    snprintf(body, sizeof(body), "{\"model\":\"%s\",\"precision\":\"bf16\",\"ctx\":4096}", repo);
    json_t *j = post(body, &st, NULL, 0);
    ck_assert_msg(st == 200, "%s: status %ld", repo, st);
    ck_assert_str_eq(json_string_value(json_object_get(j, "source")), "hf_config");
    ck_assert(json_is_null(json_object_get(json_object_get(j, "checkpoint"), "tensors")));
    char *text = json_dumps(json_object_get(j, "assumptions"), 0);
    ck_assert_msg(strstr(text, why) != NULL, "%s: no \"%s\" in %s", repo, why, text);
    free(text);
    json_decref(j);
}

START_TEST(truncated_huge_and_absent_checkpoints_fall_back_to_the_config_with_a_note)
{
    config_only("acme/truncated", "cut short");
    config_only("acme/huge", "over the");
    config_only("acme/noweights", "no safetensors");
}
END_TEST

/*
 * nvidia/Nemotron-H-56B-Base-8K's config.json holds Python's bare Infinity (time_step_limit
 * [0.0, Infinity]), which JSON refuses: it is read with that token as null and the repo answers
 * from its config (the fake Hub serves no weights for it).
 */
START_TEST(a_config_json_with_python_infinity_is_read)
{
    config_only("hub-mirror/Nemotron-H-56B-Base-8K", "no safetensors");
}
END_TEST

START_TEST(a_malformed_repo_id_or_revision_is_a_400_naming_the_field)
{
    long st;
    json_t *j = post("{\"model\":\"a/../b\",\"precision\":\"bf16\",\"ctx\":4096}", &st, NULL, 0);
    ck_assert_int_eq(st, 400);
    json_decref(j);
    j = post("{\"model\":\"hub-mirror/gpt-oss-120b\",\"revision\":\"../"
             "x\",\"precision\":\"bf16\",\"ctx\":4096}",
             &st, NULL, 0);
    ck_assert_int_eq(st, 400);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "field")),
                     "revision");
    json_decref(j);
    j = post("{\"model\":\"llama-3-8b\",\"revision\":\"main\",\"precision\":\"bf16\",\"ctx\":4096}",
             &st, NULL, 0);
    ck_assert_int_eq(st, 400);
    json_decref(j);
}
END_TEST

static Suite *hub_suite(void)
{
    Suite *s = suite_create("hub");
    TCase *tc = tcase_create("fake hub");
    tcase_add_unchecked_fixture(tc, start, stop);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gpt_oss_120b_is_resolved_with_exact_bytes_from_its_headers_via_the_cdn);
    tcase_add_test(tc, a_second_request_is_served_from_the_cache_without_the_hub);
    tcase_add_test(tc, qwen3_fp8_headers_over_the_probe_size_are_read_with_a_second_range);
    tcase_add_test(tc, a_hub_repo_needs_no_precision_and_its_config_alone_gives_the_same_bytes);
    tcase_add_test(tc, a_gated_repo_is_read_with_the_token_and_is_a_403_without_one);
    tcase_add_test(tc, a_missing_repo_is_a_422_unknown_model);
    tcase_add_test(tc, a_slow_hub_is_a_503_with_retry_after_within_the_timeout);
    tcase_add_test(tc, truncated_huge_and_absent_checkpoints_fall_back_to_the_config_with_a_note);
    tcase_add_test(tc, a_config_json_with_python_infinity_is_read);
    tcase_add_test(tc, a_malformed_repo_id_or_revision_is_a_400_naming_the_field);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hub_suite)
