/* check_config.c - configuration: precedence flag > env > file > default, --config, --print-config,
 * README. */
#include "support/check_util.h"

#include <jansson.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/options.h"
#include "support/testsrv.h"

static char cfg_path[128];

static void write_cfg(const char *text)
{
    snprintf(cfg_path, sizeof(cfg_path), "/tmp/vramfit-cfg-%d.json", (int)getpid());
    FILE *f = fopen(cfg_path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void clear_env(void)
{
    const char *vars[] = {"VRAMFIT_PORT",         "VRAMFIT_CONFIG",         "VRAMFIT_LOG_LEVEL",
                          "VRAMFIT_CORS_ORIGINS", "VRAMFIT_SHUTDOWN_GRACE", "VRAMFIT_THREADS"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

/* Parses argv (NULL-terminated, without argv[0]); returns the result code. */
static int parse(const char *const *args, struct options *o, char *err, size_t errlen)
{
    char *argv[32] = {(char *)"vramfit"};
    int argc = 1;
    for (; args && args[argc - 1]; argc++)
        argv[argc] = (char *)(uintptr_t)args[argc - 1];
    FILE *sink = fopen("/dev/null", "w");
    err[0] = '\0';
    int rc = options_parse(argc, argv, o, sink, err, errlen);
    fclose(sink);
    return rc;
}

START_TEST(defaults_come_from_the_table)
{
    clear_env();
    struct options o;
    char err[256];
    ck_assert_int_eq(parse(NULL, &o, err, sizeof(err)), OPTIONS_OK);
    ck_assert_int_eq(o.port, 8080);
    ck_assert_int_eq(o.shutdown_grace, 10);
    ck_assert_str_eq(o.bind, "0.0.0.0");
    ck_assert_str_eq(o.log_level, "info");
    ck_assert_str_eq(o.cors_origins, "*");
    ck_assert_int_ge(o.threads, 1); /* one per online CPU */
}
END_TEST

START_TEST(precedence_is_flag_then_env_then_file_then_default)
{
    clear_env();
    write_cfg("{\"port\": 9001, \"shutdown-grace\": 20, \"log-level\": \"warn\", "
              "\"cors-origins\": \"https://a.example.com\"}");
    struct options o;
    char err[256];
    setenv("VRAMFIT_PORT", "9002", 1);
    setenv("VRAMFIT_LOG_LEVEL", "error", 1);
    const char *args[] = {"--config", cfg_path, "--port", "9003", NULL};
    ck_assert_int_eq(parse(args, &o, err, sizeof(err)), OPTIONS_OK);
    ck_assert_int_eq(o.port, 9003);                            /* flag */
    ck_assert_str_eq(o.log_level, "error");                    /* env over file */
    ck_assert_int_eq(o.shutdown_grace, 20);                    /* file over default */
    ck_assert_str_eq(o.cors_origins, "https://a.example.com"); /* file */
    ck_assert_int_eq(o.connection_timeout, 30);                /* default */

    /* The file can also be named by the environment. */
    const char *none[] = {NULL};
    setenv("VRAMFIT_CONFIG", cfg_path, 1);
    unsetenv("VRAMFIT_PORT");
    ck_assert_int_eq(parse(none, &o, err, sizeof(err)), OPTIONS_OK);
    ck_assert_int_eq(o.port, 9001);
    clear_env();
    unlink(cfg_path);
}
END_TEST

static const struct {
    const char *file; /* NULL: use args only */
    const char *args[4];
    const char *needle1, *needle2;
} refused[] = {
    {NULL, {"--port", "70000"}, "--port", "between 0 and 65535"},
    {NULL, {"--port", "80x"}, "--port", "integer"},
    {NULL, {"--log-level", "verbose"}, "--log-level", "debug|info|warn|error"},
    {NULL, {"--cors-origins", "https://a.com/"}, "--cors-origins", "scheme://host[:port]"},
    {NULL, {"--cors-origins", "a.com"}, "--cors-origins", "scheme://host[:port]"},
    {NULL, {"--cors-origins", "https://a.example:99999"}, "--cors-origins", "port 1-65535"},
    {NULL, {"--cors-origins", "https://a.example:0"}, "--cors-origins", "port 1-65535"},
    {NULL, {"--cors-origins", "https://a.example:"}, "--cors-origins", "port 1-65535"},
    {NULL, {"--cors-origins", "https://a:b:c"}, "--cors-origins", "scheme://host[:port]"},
    {NULL, {"--cors-origins", "https://[::1"}, "--cors-origins", "scheme://host[:port]"},
    {NULL, {"--probe-port", "-2"}, "--probe-port", "between -1 and 65535"},
    {NULL, {"--probe-port", "8080"}, "--probe-port", "of its own"},
    {NULL, {"--max-connections-per-ip", "-1"}, "--max-connections-per-ip", "between 0"},
    {NULL, {"--bind", "localhost"}, "--bind", "IPv4 or IPv6"},
    {NULL, {"--today", "2026-13-01"}, "--today", "YYYY-MM-DD"},
    {NULL, {"--shutdown-grace"}, "--shutdown-grace", "needs a value"},
    {NULL, {"--prot", "80"}, "unknown option", "--prot"},
    {"{\"port\": \"8080\"}", {NULL}, "config file", "port: must be a JSON integer"},
    {"{\"port\": 1e3}", {NULL}, "port", "JSON integer"},
    {"{\"prot\": 8080}", {NULL}, "prot", "not a known option"},
    {"{\"config\": \"/x\"}", {NULL}, "config", "not a known option"},
    {"{\"threads\": 999}", {NULL}, "threads", "between 1 and 256"},
    {"{\"port\": 1,}", {NULL}, "not valid JSON", "line 1"},
    {"[1]", {NULL}, "--config", "JSON object"},
    {"{\"port\": 1, \"port\": 2}", {NULL}, "not valid JSON", "duplicate"},
};

START_TEST(invalid_values_are_refused_naming_the_option_and_the_rule)
{
    clear_env();
    const char *c = refused[_i].file;
    const char *args[8];
    size_t n = 0;
    if (c) {
        write_cfg(c);
        args[n++] = "--config";
        args[n++] = cfg_path;
    }
    for (size_t k = 0; k < 4 && refused[_i].args[k]; k++)
        args[n++] = refused[_i].args[k];
    args[n] = NULL;
    struct options o;
    char err[512];
    ck_assert_int_eq(parse(args, &o, err, sizeof(err)), -EINVAL);
    ck_assert_msg(strstr(err, refused[_i].needle1) && strstr(err, refused[_i].needle2),
                  "case %d: \"%s\" lacks \"%s\" or \"%s\"", _i, err, refused[_i].needle1,
                  refused[_i].needle2);
    if (c)
        unlink(cfg_path);
}
END_TEST

START_TEST(origins_with_ports_and_ipv6_literals_are_accepted)
{
    clear_env();
    const char *args[] = {"--cors-origins", "https://a.example:8443, http://[::1]:3000,http://b",
                          NULL};
    struct options o;
    char err[512] = "";
    ck_assert_msg(parse(args, &o, err, sizeof(err)) == 0, "refused: %s", err);
}
END_TEST

START_TEST(missing_config_file_is_refused)
{
    clear_env();
    const char *args[] = {"--config", "/nonexistent/vramfit.json", NULL};
    struct options o;
    char err[256];
    ck_assert_int_eq(parse(args, &o, err, sizeof(err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "--config: cannot open /nonexistent/vramfit.json"));
}
END_TEST

START_TEST(print_config_output_is_a_valid_config_file_that_round_trips)
{
    clear_env();
    const char *args[] = {"--print-config", "--port", "9005", "--log-level", "debug", NULL};
    char *out = NULL, *err = NULL;
    int st = -1;
    ck_assert_int_eq(testsrv_run(args, &out, &err, &st), 0);
    ck_assert_int_eq(st, 0);
    json_error_t jerr;
    json_t *doc = json_loads(out, 0, &jerr);
    ck_assert_msg(doc != NULL, "not JSON: %s\n%s", jerr.text, out);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "port")), 9005);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "log-level")), "debug");
    json_decref(doc);
    write_cfg(out);
    free(out);
    free(err);

    const char *args2[] = {"--config", cfg_path, "--print-config", NULL};
    ck_assert_int_eq(testsrv_run(args2, &out, &err, &st), 0);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "\"port\": 9005"));
    free(out);
    free(err);

    const char *args3[] = {"--port", "-1", NULL};
    ck_assert_int_eq(testsrv_run(args3, &out, &err, &st), 0);
    ck_assert_int_eq(st, 2);
    ck_assert_ptr_nonnull(strstr(err, "vramfit: --port: must be an integer between 0 and 65535"));
    free(out);
    free(err);
    unlink(cfg_path);
}
END_TEST

START_TEST(readme_configuration_table_matches_the_option_table)
{
    char *md = NULL;
    size_t mdlen = 0;
    FILE *f = open_memstream(&md, &mdlen);
    options_markdown(f);
    fclose(f);
    const char *dump = getenv("VRAMFIT_WRITE_OPTIONS_MD");
    if (dump && dump[0]) {
        FILE *o = fopen(dump, "w");
        ck_assert_ptr_nonnull(o);
        fputs(md, o);
        fclose(o);
    }
    char *readme = testfile_read(TEST_DATA_DIR "/../../README.md", NULL);
    ck_assert_ptr_nonnull(readme);
    const char *b = strstr(readme, "<!-- options:begin -->\n");
    const char *e = strstr(readme, "<!-- options:end -->");
    ck_assert_msg(b && e && e > b, "README.md lacks the options:begin/end markers");
    b += strlen("<!-- options:begin -->\n");
    ck_assert_msg((size_t)(e - b) == mdlen && memcmp(b, md, mdlen) == 0,
                  "README.md's configuration table is stale: run `make readme-options`");
    free(readme);
    free(md);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, defaults_come_from_the_table);
    tcase_add_test(tc, precedence_is_flag_then_env_then_file_then_default);
    tcase_add_loop_test(tc, invalid_values_are_refused_naming_the_option_and_the_rule, 0,
                        (int)(sizeof(refused) / sizeof(refused[0])));
    tcase_add_test(tc, origins_with_ports_and_ipv6_literals_are_accepted);
    tcase_add_test(tc, missing_config_file_is_refused);
    tcase_add_test(tc, print_config_output_is_a_valid_config_file_that_round_trips);
    tcase_add_test(tc, readme_configuration_table_matches_the_option_table);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(config_suite)
