/* gzip.h - response compression with zlib when the client accepts gzip and the body is large. */
#ifndef VRAMFIT_GZIP_H
#define VRAMFIT_GZIP_H

#include <stdbool.h>
#include <stddef.h>

/* Bodies smaller than this go out as they are: gzip's framing would eat the saving. */
#define GZIP_MIN_BYTES 1024

/*
 * gzip_accepted - whether an Accept-Encoding value (may be NULL) admits gzip, per RFC 9110
 * 12.5.3: a "gzip" or "x-gzip" coding with a weight above 0, or else "*" with one. A coding's
 * weight is its "q=" parameter (1 when absent); other parameters do not count, and an element
 * with a malformed weight ("q=2") is ignored.
 */
bool gzip_accepted(const char *accept_encoding);

/*
 * gzip_compress - gzip-frames len bytes of in. On success returns 0 and *out (malloc'd; caller
 * frees) holds *out_len bytes. Errors: -ENOMEM, -EIO (zlib refused).
 */
int gzip_compress(const char *in, size_t len, char **out, size_t *out_len);

#endif
