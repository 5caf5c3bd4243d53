/* check_bodycache.c - GET /skus bodies: built once per (snapshot, date), shared, released. */
#include "support/check_util.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "http/bodycache.h"
#include "azure/catalog.h"
#include "support/testapi.h"
#include "support/testcat.h"

static int builds;

static json_t *counting_build(const struct catalog *cat, const char *today, void *ctx,
                              char etag[48])
{
    builds++;
    snprintf(etag, 48, "W/\"%s\"", (const char *)ctx);
    return testapi_skus(cat, today);
}

static struct body *get(struct bodycache *c, struct catalog *cat, const char *today,
                        const char *variant)
{
    return bodycache_get(c, cat, today, variant, NULL, counting_build, (void *)(uintptr_t)variant);
}

START_TEST(same_snapshot_and_date_share_one_body_equal_to_a_fresh_encoding)
{
    builds = 0;
    struct bodycache *c = bodycache_new();
    struct catalog *cat = testcat_embedded();
    struct body *a = get(c, cat, "2026-11-23", "v1");
    struct body *b = get(c, cat, "2026-11-23", "v1");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_eq(a, b);
    ck_assert_int_eq(builds, 1);
    ck_assert_str_eq(body_etag(a), "W/\"v1\"");
    size_t len;
    const char *text = body_text(a, &len);
    ck_assert_uint_gt(len, 1000);
    ck_assert_int_eq(text[len - 1], '\n');
    json_error_t jerr;
    json_t *parsed = json_loadb(text, len, 0, &jerr);
    json_t *fresh = testapi_skus(cat, "2026-11-23");
    ck_assert_msg(json_equal(parsed, fresh), "cached body differs from a fresh encoding");
    json_decref(parsed);
    json_decref(fresh);
    body_release(a);
    body_release(b);
    bodycache_free(c);
    catalog_unref(cat);
}
END_TEST

/* "retired" depends on today: a new day, snapshot or variant is a new body. */
START_TEST(a_new_date_or_a_new_snapshot_builds_a_new_body)
{
    builds = 0;
    struct bodycache *c = bodycache_new();
    struct catalog *cat = testcat_embedded();
    struct body *day1 = get(c, cat, "2026-11-23", "v1");
    struct body *day2 = get(c, cat, "2031-01-01", "v1");
    ck_assert_int_eq(builds, 2);
    size_t l1, l2;
    const char *t1 = body_text(day1, &l1), *t2 = body_text(day2, &l2);
    ck_assert(strstr(t1, "\"today\":\"2026-11-23\"") != NULL);
    ck_assert(strstr(t2, "\"today\":\"2031-01-01\"") != NULL);
    /* A body still held by a response stays valid after the cache moved on. */
    ck_assert(l1 > 0 && t1[0] == '{');

    struct catalog *cat2 = testcat_embedded();
    struct body *other = get(c, cat2, "2031-01-01", "v1");
    ck_assert_int_eq(builds, 3);
    ck_assert_ptr_ne(other, day2);
    /* The cache keeps a reference to its snapshot: dropping ours must not free it under it. */
    catalog_unref(cat2);
    struct body *again = get(c, cat2, "2031-01-01", "v1");
    ck_assert_ptr_eq(again, other);
    ck_assert_int_eq(builds, 3);
    /* Anything else the body depends on (the refresher's status) is the variant. */
    struct body *v2 = get(c, cat2, "2031-01-01", "v2");
    ck_assert_ptr_ne(v2, again);
    ck_assert_int_eq(builds, 4);
    ck_assert_str_eq(body_etag(v2), "W/\"v2\"");
    body_release(day1);
    body_release(day2);
    body_release(other);
    body_release(again);
    body_release(v2);
    bodycache_free(c);
    catalog_unref(cat);
}
END_TEST

static Suite *bodycache_suite(void)
{
    Suite *s = suite_create("bodycache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, same_snapshot_and_date_share_one_body_equal_to_a_fresh_encoding);
    tcase_add_test(tc, a_new_date_or_a_new_snapshot_builds_a_new_body);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(bodycache_suite)
