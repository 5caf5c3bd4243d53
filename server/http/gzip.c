/* gzip.c - Accept-Encoding negotiation and one-shot gzip compression with zlib's deflate. */
#include "http/gzip.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/*
 * RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ). The n bytes at
 * s as thousandths (0..1000), or -1 when they are not a qvalue.
 */
static int qvalue(const char *s, size_t n)
{
    if (n == 0 || (s[0] != '0' && s[0] != '1') || n > 5 || (n > 1 && s[1] != '.'))
        return -1;
    int v = (s[0] - '0') * 1000, scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
            return -1;
        v += (s[i] - '0') * scale;
    }
    return v;
}

static size_t skip_ows(const char *p, size_t i, size_t n)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i;
}

/*
 * The weight of one Accept-Encoding element's parameters (p, n bytes from the first ';'), in
 * thousandths: 1000 without a weight, -1 for a malformed one ("q=2", "q=0.5x"). RFC 9110
 * 12.5.3: weight = OWS ";" OWS "q=" qvalue; any other parameter ("aq=0") is not a weight.
 */
static int element_weight(const char *p, size_t n)
{
    int w = 1000;
    for (size_t i = 0; i < n;) {
        i = skip_ows(p, i, n);
        if (i < n && p[i] == ';')
            i = skip_ows(p, i + 1, n);
        size_t end = i;
        while (end < n && p[end] != ';')
            end++;
        size_t len = end;
        while (len > i && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len - i >= 2 && (p[i] == 'q' || p[i] == 'Q') && p[i + 1] == '=')
            w = qvalue(p + i + 2, len - i - 2);
        if (w < 0)
            return -1;
        i = end;
    }
    return w;
}

bool gzip_accepted(const char *ae)
{
    int gz = -1, star = -1; /* the best weight seen for each; -1 = not named */
    for (const char *p = ae; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t tok = strcspn(p, "; \t,");
        int w = element_weight(p + tok, n - tok);
        bool is_gzip = (tok == 4 && strncasecmp(p, "gzip", 4) == 0) ||
                       (tok == 6 && strncasecmp(p, "x-gzip", 6) == 0);
        if (w >= 0 && is_gzip && w > gz)
            gz = w;
        else if (w >= 0 && tok == 1 && *p == '*' && w > star)
            star = w;
        p += n;
    }
    return gz >= 0 ? gz > 0 : star > 0;
}

int gzip_compress(const char *in, size_t len, char **out, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* windowBits 15 + 16 asks zlib for the gzip wrapper instead of zlib's own. */
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -ENOMEM;
    uLong bound = deflateBound(&zs, (uLong)len);
    char *dst = malloc(bound);
    if (dst == NULL) {
        deflateEnd(&zs);
        return -ENOMEM;
    }
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)dst;
    zs.avail_out = (uInt)bound;
    int zrc = deflate(&zs, Z_FINISH);
    size_t produced = zs.total_out;
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        free(dst);
        return -EIO;
    }
    *out = dst;
    *out_len = produced;
    return 0;
}
