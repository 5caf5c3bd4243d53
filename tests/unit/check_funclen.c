/* check_funclen.c - the function-length check (tools/funclen.sh) passes the tree and bites on a
 * planted long function; its list of known exceptions can only shrink. */
#include "support/check_util.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A scratch tree with the check and one layer folder, made fresh for each test. */
static char scratch[64];

static void run_cmd(const char *cmd)
{
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

static void setup(void)
{
    char cmd[1024];
    snprintf(scratch, sizeof scratch, "/tmp/vramfit-funclen-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/tools' '%s/core/base' && cp '%s/tools/funclen.sh' '%s/tools/'", scratch,
             scratch, SOURCE_ROOT, scratch);
    run_cmd(cmd);
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    run_cmd(cmd);
}

/* Writes core/base/long.c holding one function, long_one, whose body is `lines` lines, after a
 * signature split over two lines as clang-format leaves long ones. */
static void plant_function(int lines)
{
    char path[640];
    snprintf(path, sizeof path, "%s/core/base/long.c", scratch);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fprintf(f, "/* long.c - planted by check_funclen. */\n\nstatic int long_one(int a,\n"
               "                    int b)\n{\n");
    for (int i = 0; i < lines - 1; i++)
        fprintf(f, "    a += b;\n");
    fprintf(f, "    return a;\n}\n");
    fclose(f);
}

/* Runs the check on root; returns its exit status and its report in out. */
static int run_check(const char *root, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s/tools/funclen.sh' '%s' 2>&1", root, root);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_the_tree_as_it_is_passes_the_function_length_check)
{
    char out[8192];
    int rc = run_check(SOURCE_ROOT, out, sizeof out);
    ck_assert_msg(rc == 0, "function-length check failed on the tree:\n%s", out);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_a_function_of_exactly_100_lines_passes)
{
    char out[4096];
    plant_function(100);
    int rc = run_check(scratch, out, sizeof out);
    ck_assert_msg(rc == 0, "a 100-line function was refused:\n%s", out);
}
END_TEST

START_TEST(test_a_function_of_101_lines_fails_naming_file_line_name_and_length)
{
    char out[4096];
    plant_function(101);
    int rc = run_check(scratch, out, sizeof out);
    ck_assert_msg(rc == 1, "a 101-line function passed (rc %d):\n%s", rc, out);
    ck_assert_msg(strstr(out, "core/base/long.c:5:long_one:101:") != NULL,
                  "report does not say file:line:name:length:\n%s", out);
}
END_TEST

/* Adds entry to the scratch copy's list of known exceptions. */
static void add_exception(const char *entry)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "sed -i 's|^exceptions=($|exceptions=(\\n    %s|' '%s/tools/funclen.sh'", entry,
             scratch);
    run_cmd(cmd);
}

START_TEST(test_a_listed_exception_passes_while_it_is_long)
{
    char out[4096];
    plant_function(150);
    add_exception("core/base/long.c:long_one");
    int rc = run_check(scratch, out, sizeof out);
    ck_assert_msg(rc == 0, "a listed exception was refused:\n%s", out);
}
END_TEST

START_TEST(test_an_exception_that_was_fixed_or_removed_must_leave_the_list)
{
    char out[4096];
    plant_function(40);
    add_exception("core/base/long.c:long_one");
    int rc = run_check(scratch, out, sizeof out);
    ck_assert_msg(rc == 1, "a stale exception passed (rc %d):\n%s", rc, out);
    ck_assert_msg(strstr(out, "long_one: listed as an exception but 40 lines") != NULL,
                  "report does not name the stale entry:\n%s", out);
    add_exception("core/base/gone.c:gone");
    rc = run_check(scratch, out, sizeof out);
    ck_assert_msg(rc == 1 && strstr(out, "gone: listed as an exception but no such function"),
                  "an exception naming no function passed (rc %d):\n%s", rc, out);
}
END_TEST

static Suite *funclen_suite(void)
{
    Suite *s = suite_create("funclen");
    TCase *tc = tcase_create("lengths");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_tree_as_it_is_passes_the_function_length_check);
    tcase_add_test(tc, test_a_function_of_exactly_100_lines_passes);
    tcase_add_test(tc, test_a_function_of_101_lines_fails_naming_file_line_name_and_length);
    tcase_add_test(tc, test_a_listed_exception_passes_while_it_is_long);
    tcase_add_test(tc, test_an_exception_that_was_fixed_or_removed_must_leave_the_list);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(funclen_suite)
