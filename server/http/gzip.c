/* gzip.c - Accept-Encoding negotiation and one-shot gzip compression with zlib's deflate. */
#include "http/gzip.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* q-value of one Accept-Encoding element's parameters (";q=0.5"); 1 when absent. */
static double qvalue(const char *params, size_t n)
{
    const char *q = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') {
            q = params + i + 2;
            break;
        }
    return q ? strtod(q, NULL) : 1.0;
}

bool gzip_accepted(const char *ae)
{
    bool star = false, gz = false, gz_seen = false;
    for (const char *p = ae; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t tok = strcspn(p, ";, \t");
        if (tok > n)
            tok = n;
        double q = qvalue(p + tok, n - tok);
        if ((tok == 4 && strncasecmp(p, "gzip", 4) == 0) ||
            (tok == 6 && strncasecmp(p, "x-gzip", 6) == 0)) {
            gz_seen = true;
            gz = gz || q > 0;
        } else if (tok == 1 && *p == '*') {
            star = q > 0;
        }
        p += n;
    }
    return gz_seen ? gz : star;
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
