/* check_gzip.c - Accept-Encoding negotiation (RFC 9110 q-values) and the gzip framing. */
#include "support/check_util.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "http/gzip.h"

static const struct {
    const char *ae; /* NULL: no header */
    bool gzip;
} cases[] = {
    {NULL, false},
    {"", false},
    {"gzip", true},
    {"GZIP", true},
    {"x-gzip", true},
    {"deflate, gzip;q=0.5", true},
    {"gzip;q=0", false},
    {"gzip; q=0.000", false},
    {"gzip ; Q=0", false},
    {"gzip;q=0.001", true},
    {"gzip;q=1.000", true},
    /* "aq" is not "q": the element keeps its default weight of 1 (it used to disable gzip). */
    {"gzip;aq=0", true},
    {"gzip;level=1;q=0", false},
    /* A malformed weight makes the element void, neither enabling nor disabling. */
    {"gzip;q=2", false},
    {"gzip;q=0.5x", false},
    {"gzip;q=0.0001", false},
    {"gzip;q=abc, *", true},
    {"*", true},
    {"*;q=0", false},
    {"*;q=0, gzip", true},
    {"gzip;q=0, *", false},
    {"identity", false},
    {"br, deflate", false},
    {"gzipx, xgzip", false},
};

START_TEST(accept_encoding_weights_follow_rfc_9110)
{
    ck_assert_msg(gzip_accepted(cases[_i].ae) == cases[_i].gzip, "\"%s\": expected %s",
                  cases[_i].ae ? cases[_i].ae : "(none)", cases[_i].gzip ? "gzip" : "no gzip");
}
END_TEST

START_TEST(compressed_body_inflates_to_the_original)
{
    const char in[] = "{\"a\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}";
    char *z = NULL;
    size_t zlen = 0;
    ck_assert_int_eq(gzip_compress(in, sizeof(in) - 1, &z, &zlen), 0);
    char out[256];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = (Bytef *)z;
    zs.avail_in = (uInt)zlen;
    zs.next_out = (Bytef *)out;
    zs.avail_out = sizeof(out);
    ck_assert_int_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
    ck_assert_uint_eq(zs.total_out, sizeof(in) - 1);
    ck_assert(memcmp(out, in, sizeof(in) - 1) == 0);
    inflateEnd(&zs);
    free(z);
}
END_TEST

static Suite *gzip_suite(void)
{
    Suite *s = suite_create("gzip");
    TCase *tc = tcase_create("negotiation");
    tcase_add_loop_test(tc, accept_encoding_weights_follow_rfc_9110, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, compressed_body_inflates_to_the_original);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(gzip_suite)
