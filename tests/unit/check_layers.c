/* check_layers.c - the layer check (tools/layers.sh) passes the tree and bites on planted includes.
 */
#include "support/check_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A scratch copy of the source folders the check reads, made fresh for each test. */
static char scratch[64];

static void run_cmd(const char *cmd)
{
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

static void setup(void)
{
    char cmd[1024];
    snprintf(scratch, sizeof scratch, "/tmp/vramfit-layers-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/tools' && cp -r '%s/core' '%s/config' '%s/server' '%s/' && "
             "cp '%s/tools/layers.sh' '%s/tools/'",
             scratch, SOURCE_ROOT, SOURCE_ROOT, SOURCE_ROOT, scratch, SOURCE_ROOT, scratch);
    run_cmd(cmd);
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    run_cmd(cmd);
}

/* Appends line to the scratch copy's file rel (created when missing). */
static void plant(const char *rel, const char *line)
{
    char path[640], cmd[704];
    snprintf(path, sizeof path, "%s/%s", scratch, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    run_cmd(cmd);
    FILE *f = fopen(path, "a");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fprintf(f, "%s\n", line);
    fclose(f);
}

/* Runs the check on the scratch copy; returns its exit status and its report in out. */
static int run_check(char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s/tools/layers.sh' '%s' 2>&1", scratch, scratch);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_refused(const char *file, const char *needle)
{
    char out[8192];
    int rc = run_check(out, sizeof out);
    ck_assert_msg(rc == 1, "layer check passed (rc %d) with a planted include in %s", rc, file);
    ck_assert_msg(strstr(out, file) != NULL, "report does not name %s:\n%s", file, out);
    ck_assert_msg(strstr(out, needle) != NULL, "report does not say \"%s\":\n%s", needle, out);
}

START_TEST(test_the_tree_as_it_is_passes_the_layer_check)
{
    char out[8192];
    int rc = run_check(out, sizeof out);
    ck_assert_msg(rc == 0, "layer check failed on the tree:\n%s", out);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_a_lower_layer_including_a_higher_one_fails)
{
    plant("core/base/buf.h", "#include \"model/arch.h\"");
    assert_refused("core/base/buf.h", "\"model/arch.h\"");
}
END_TEST

START_TEST(test_choice_including_the_api_layer_fails)
{
    plant("core/choice/choose.c", "#include \"api/refine.h\"");
    assert_refused("core/choice/choose.c", "core/choice may not include");
}
END_TEST

START_TEST(test_microhttpd_in_core_fails)
{
    plant("core/model/arch.c", "#include <microhttpd.h>");
    assert_refused("core/model/arch.c", "<microhttpd.h> is only for");
}
END_TEST

START_TEST(test_curl_outside_the_fetcher_fails)
{
    plant("core/api/api.c", "#  include <curl/curl.h>");
    assert_refused("core/api/api.c", "<curl/curl.h> is only for");
    teardown();
    setup();
    plant("server/refresh/refresh.c", "#include <curl/curl.h>");
    assert_refused("server/refresh/refresh.c", "<curl/curl.h> is only for");
}
END_TEST

START_TEST(test_server_code_reaching_into_another_layers_private_header_fails)
{
    plant("server/refresh/cache_priv.h", "/* cache_priv.h - private to refresh/. */");
    plant("server/refresh/refresh.c", "#include \"refresh/cache_priv.h\"");
    char out[8192];
    ck_assert_msg(run_check(out, sizeof out) == 0, "own private header refused:\n%s", out);
    plant("server/http/routes.c", "#include \"refresh/cache_priv.h\"");
    assert_refused("server/http/routes.c", "is private to refresh/");
}
END_TEST

START_TEST(test_http_including_the_refresher_fails)
{
    plant("server/http/http.c", "#include \"refresh/refresh.h\"");
    assert_refused("server/http/http.c", "server/http may not include");
}
END_TEST

START_TEST(test_an_include_that_does_not_name_its_layer_fails)
{
    plant("core/memory/vllm.c", "#include \"kv.h\"");
    assert_refused("core/memory/vllm.c", "does not name its layer");
}
END_TEST

START_TEST(test_a_file_outside_any_layer_fails)
{
    plant("core/stray.c", "/* stray.c - belongs to no layer. */");
    assert_refused("core/stray.c", "layer folders only");
    teardown();
    setup();
    plant("server/extra/x.c", "/* x.c - a folder the check does not know. */");
    assert_refused("server/extra/x.c", "is no layer");
}
END_TEST

static Suite *layers_suite(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("includes");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_tree_as_it_is_passes_the_layer_check);
    tcase_add_test(tc, test_a_lower_layer_including_a_higher_one_fails);
    tcase_add_test(tc, test_choice_including_the_api_layer_fails);
    tcase_add_test(tc, test_microhttpd_in_core_fails);
    tcase_add_test(tc, test_curl_outside_the_fetcher_fails);
    tcase_add_test(tc, test_server_code_reaching_into_another_layers_private_header_fails);
    tcase_add_test(tc, test_http_including_the_refresher_fails);
    tcase_add_test(tc, test_an_include_that_does_not_name_its_layer_fails);
    tcase_add_test(tc, test_a_file_outside_any_layer_fails);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(layers_suite)
