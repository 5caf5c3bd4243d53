/* check_options.c - flags and VRAMFIT_* environment variables, and how the binary reports bad ones.
 */
#include "support/check_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/options.h"
#include "support/testsrv.h"

static int parse(int argc, const char **argv, struct options *o, char *err, size_t n)
{
    FILE *devnull = fopen("/dev/null", "w");
    int rc = options_parse(argc, (char **)(void *)argv, o, devnull, err, n);
    fclose(devnull);
    return rc;
}

START_TEST(defaults_apply_without_flags_or_environment)
{
    unsetenv("VRAMFIT_PORT");
    unsetenv("VRAMFIT_BIND");
    const char *argv[] = {"vramfit"};
    struct options o;
    char err[256];
    ck_assert_int_eq(parse(1, argv, &o, err, sizeof(err)), OPTIONS_OK);
    ck_assert_int_eq(o.port, 8080);
    ck_assert_str_eq(o.bind, "0.0.0.0");
    ck_assert_int_ge(o.threads, 1);
    ck_assert_int_eq(o.shutdown_grace, 10);
    ck_assert_str_eq(o.catalog_file, "");
}
END_TEST

START_TEST(flags_win_over_environment)
{
    setenv("VRAMFIT_PORT", "9000", 1);
    setenv("VRAMFIT_THREADS", "3", 1);
    const char *argv[] = {"vramfit", "--port", "9100", "--bind=127.0.0.1"};
    struct options o;
    char err[256];
    ck_assert_int_eq(parse(4, argv, &o, err, sizeof(err)), OPTIONS_OK);
    ck_assert_int_eq(o.port, 9100);
    ck_assert_int_eq(o.threads, 3);
    ck_assert_str_eq(o.bind, "127.0.0.1");
    unsetenv("VRAMFIT_PORT");
    unsetenv("VRAMFIT_THREADS");
}
END_TEST

static const struct {
    const char *args[4];
    const char *needle;
} bad_flags[] = {
    {{"--port", "70000"}, "--port: must be an integer between 0 and 65535"},
    {{"--port", "80x"}, "--port"},
    {{"--threads", "0"}, "--threads"},
    {{"--bind", "localhost"}, "--bind"},
    {{"--today", "2026-13-01"}, "--today"},
    {{"--colour"}, "unknown option \"--colour\""},
    {{"--port"}, "--port needs a value"},
    {{"stray"}, "unexpected argument"},
};

START_TEST(bad_flags_are_refused_naming_the_flag)
{
    const char *argv[6] = {"vramfit"};
    int argc = 1;
    for (int i = 0; i < 4 && bad_flags[_i].args[i]; i++)
        argv[argc++] = bad_flags[_i].args[i];
    struct options o;
    char err[256] = "";
    ck_assert_int_lt(parse(argc, argv, &o, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, bad_flags[_i].needle) != NULL, "\"%s\" lacks \"%s\"", err,
                  bad_flags[_i].needle);
}
END_TEST

START_TEST(bad_environment_value_is_refused_naming_the_variable)
{
    setenv("VRAMFIT_SHUTDOWN_GRACE", "-1", 1);
    const char *argv[] = {"vramfit"};
    struct options o;
    char err[256] = "";
    ck_assert_int_lt(parse(1, argv, &o, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "VRAMFIT_SHUTDOWN_GRACE") != NULL, "%s", err);
    unsetenv("VRAMFIT_SHUTDOWN_GRACE");
}
END_TEST

START_TEST(binary_exits_2_with_one_line_on_a_bad_flag)
{
    const char *args[] = {"--port", "-5", NULL};
    char *out = NULL, *err = NULL;
    int status = -1;
    ck_assert_int_eq(testsrv_run(args, &out, &err, &status), 0);
    ck_assert_int_eq(status, 2);
    ck_assert_msg(strncmp(err, "vramfit: --port:", 16) == 0, "%s", err);
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
    free(out);
    free(err);
}
END_TEST

START_TEST(help_and_version_exit_zero)
{
    const char *help[] = {"--help", NULL};
    const char *version[] = {"--version", NULL};
    char *out = NULL, *err = NULL;
    int status = -1;
    ck_assert_int_eq(testsrv_run(help, &out, &err, &status), 0);
    ck_assert_int_eq(status, 0);
    ck_assert(strstr(out, "--catalog-file") && strstr(out, "VRAMFIT_PORT"));
    free(out);
    free(err);
    ck_assert_int_eq(testsrv_run(version, &out, &err, &status), 0);
    ck_assert_int_eq(status, 0);
    ck_assert(strncmp(out, "vramfit ", 8) == 0);
    free(out);
    free(err);
}
END_TEST

START_TEST(invalid_catalog_file_is_refused_at_start_naming_entry_and_field)
{
    const char *args[] = {"--catalog-file", TEST_DATA_DIR "/catalog-bad-vram.json", NULL};
    char *out = NULL, *err = NULL;
    int status = -1;
    ck_assert_int_eq(testsrv_run(args, &out, &err, &status), 0);
    ck_assert_int_eq(status, 2);
    ck_assert_msg(strstr(err, "skus[1]") && strstr(err, "Test_Zero") && strstr(err, "vram_gb"),
                  "%s", err);
    free(out);
    free(err);
    const char *missing[] = {"--catalog-file", "/nonexistent/catalog.json", NULL};
    ck_assert_int_eq(testsrv_run(missing, &out, &err, &status), 0);
    ck_assert_int_eq(status, 2);
    ck_assert(strstr(err, "cannot open catalog file"));
    free(out);
    free(err);
}
END_TEST

START_TEST(catalog_file_replaces_the_embedded_catalog)
{
    struct testsrv s;
    const char *args[] = {"--catalog-file", TEST_DATA_DIR "/catalog-ties.json", "--today",
                          "2026-01-01", NULL};
    ck_assert_int_eq(testsrv_start(&s, args), 0);
    struct http_result r;
    ck_assert_int_eq(testhttp(s.port, "GET", "/skus?include_retired=true", NULL, NULL, 0, NULL, &r),
                     0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.body, "\"count\":7") && strstr(r.body, "\"source\":\"file\"") &&
                      strstr(r.body, "catalog-ties.json"),
                  "%s", r.body);
    http_result_free(&r);
    const char *body = "{\"params_b\":50,\"layers\":32,\"hidden\":4096,\"ctx\":4096,"
                       "\"precision\":\"fp16\"}";
    ck_assert_int_eq(
        testhttp(s.port, "POST", "/estimate", "application/json", body, strlen(body), NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.body, "\"sku\":\"Test_A_2x80\""), "%s", r.body);
    http_result_free(&r);
    int status;
    testsrv_stop(&s, 0, 10, &status);
    ck_assert_int_eq(status, 0);
}
END_TEST

START_TEST(busy_port_fails_start_with_exit_1)
{
    struct testsrv s;
    ck_assert_int_eq(testsrv_start(&s, NULL), 0);
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    const char *args[] = {"--bind", "127.0.0.1", "--port", port, NULL};
    char *out = NULL, *err = NULL;
    int status = -1;
    ck_assert_int_eq(testsrv_run(args, &out, &err, &status), 0);
    ck_assert_int_eq(status, 1);
    ck_assert_msg(strstr(err, "cannot listen"), "%s", err);
    free(out);
    free(err);
    testsrv_stop(&s, 0, 10, &status);
}
END_TEST

START_TEST(refresh_options_regions_and_no_prices)
{
    unsetenv("VRAMFIT_NO_PRICES");
    setenv("VRAMFIT_REGION", "northeurope", 1);
    struct options o;
    char err[256];
    const char *env_only[] = {"vramfit"};
    ck_assert_int_eq(parse(1, env_only, &o, err, sizeof(err)), OPTIONS_OK);
    ck_assert_str_eq(o.regions, "northeurope");
    ck_assert_int_eq(o.no_prices, 0);
    ck_assert_int_eq(o.refresh_interval, 21600);
    ck_assert_str_eq(o.prices_url, "https://prices.azure.com/api/retail/prices");
    /* Flags replace the environment's list; repeats and commas append, case and blanks fold. */
    const char *argv[] = {"vramfit",
                          "--region",
                          "EastUS",
                          "--region= westus3 ,eastus",
                          "--no-prices",
                          "--refresh-interval",
                          "60",
                          "--catalog-url",
                          "file:///srv/catalog.json"};
    ck_assert_int_eq(parse(9, argv, &o, err, sizeof(err)), OPTIONS_OK);
    ck_assert_str_eq(o.regions, "eastus,westus3");
    ck_assert_int_eq(o.no_prices, 1);
    ck_assert_int_eq(o.refresh_interval, 60);
    ck_assert_str_eq(o.catalog_url, "file:///srv/catalog.json");
    unsetenv("VRAMFIT_REGION");
    setenv("VRAMFIT_NO_PRICES", "true", 1);
    ck_assert_int_eq(parse(1, env_only, &o, err, sizeof(err)), OPTIONS_OK);
    ck_assert_int_eq(o.no_prices, 1);
    setenv("VRAMFIT_NO_PRICES", "maybe", 1);
    ck_assert_int_eq(parse(1, env_only, &o, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "VRAMFIT_NO_PRICES"));
    unsetenv("VRAMFIT_NO_PRICES");
    const char *bad[][3] = {
        {"vramfit", "--region", "east us"},        {"vramfit", "--region", ","},
        {"vramfit", "--catalog-url", "ftp://x/y"}, {"vramfit", "--prices-url", "prices.azure.com"},
        {"vramfit", "--refresh-interval", "0"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse(3, bad[i], &o, err, sizeof(err)) == -EINVAL, "accepted %s %s",
                      bad[i][1], bad[i][2]);
        ck_assert_msg(strstr(err, bad[i][1]) != NULL, "%s", err);
    }
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, defaults_apply_without_flags_or_environment);
    tcase_add_test(tc, flags_win_over_environment);
    tcase_add_loop_test(tc, bad_flags_are_refused_naming_the_flag, 0,
                        (int)(sizeof(bad_flags) / sizeof(bad_flags[0])));
    tcase_add_test(tc, bad_environment_value_is_refused_naming_the_variable);
    suite_add_tcase(s, tc);
    tc = tcase_create("binary");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, binary_exits_2_with_one_line_on_a_bad_flag);
    tcase_add_test(tc, help_and_version_exit_zero);
    tcase_add_test(tc, invalid_catalog_file_is_refused_at_start_naming_entry_and_field);
    tcase_add_test(tc, catalog_file_replaces_the_embedded_catalog);
    tcase_add_test(tc, busy_port_fails_start_with_exit_1);
    tcase_add_test(tc, refresh_options_regions_and_no_prices);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(options_suite)
