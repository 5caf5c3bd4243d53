/* jsonout.h - JSON serialization with shortest round-trip reals (198.65, not 198.65000000000001).
 */
#ifndef VRAMFIT_JSONOUT_H
#define VRAMFIT_JSONOUT_H

#include <jansson.h>
#include <stddef.h>

/* Largest document jsonout_dumps will produce; beyond it the call fails. */
#define JSONOUT_MAX (64u * 1024 * 1024)

/*
 * jsonout_dumps - serializes json like json_dumps(JSON_COMPACT) (indent 0) or
 * json_dumps(JSON_INDENT(indent)) (indent 1..8), except that every real is written with the
 * fewest significant digits (15, 16 or 17) that read back to exactly the same double: full
 * precision without the noise. Object keys keep insertion order. Returns a malloc'd NUL-terminated
 * string (caller frees) and its length in *len (if not NULL), or NULL on allocation failure, on a
 * NaN/infinite real, or past JSONOUT_MAX.
 */
char *jsonout_dumps(const json_t *json, int indent, size_t *len);

/*
 * jsonout_real - writes d into dst (size n >= 32) in that shortest round-trip form, always with a
 * '.' or exponent so it reads back as a real. Returns the length, or -1 for NaN/infinity.
 */
int jsonout_real(char *dst, size_t n, double d);

#endif
