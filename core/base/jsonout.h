/* jsonout.h - JSON writer with shortest round-trip reals (198.65, not 198.65000000000001).
 */
#ifndef VRAMFIT_JSONOUT_H
#define VRAMFIT_JSONOUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Largest document jsonout_dumps will produce; beyond it the call fails. */
#define JSONOUT_MAX (64u * 1024 * 1024)

/*
 * A streaming writer: values are appended to a caller-owned struct buf as they are given, in
 * jansson's output format (compact with indent 0, JSON_INDENT(indent) otherwise), so a reply can
 * be written without building a tree. The first error (-E2BIG past the buffer's cap, -ENOMEM,
 * -EDOM for a NaN/infinite real, -EINVAL for an unbalanced end) sticks: later calls do nothing
 * and jsonout_status reports it, so a caller writes a whole document and checks once (the buffer
 * then holds a partial document, never past its cap: discard it).
 * The writer does not check that keys and values alternate inside objects; callers must.
 */
struct jsonout {
    struct buf *b; /* borrowed */
    int indent;
    int depth;
    bool first;     /* the current container has no member yet */
    bool after_key; /* a key was written; its value comes next */
    int rc;
};

/* jsonout_init - a writer appending to b (borrowed; the caller frees it), indent 0..8. */
void jsonout_init(struct jsonout *w, struct buf *b, int indent);

/* jsonout_status - 0, or the first error any call met (see struct jsonout). */
int jsonout_status(const struct jsonout *w);

/* jsonout_fail - latches rc (< 0), an error the caller met while producing a value, unless an
 * earlier one is already latched: the document is then reported as failed like any other. */
void jsonout_fail(struct jsonout *w, int rc);

void jsonout_begin_object(struct jsonout *w);
void jsonout_end_object(struct jsonout *w);
void jsonout_begin_array(struct jsonout *w);
void jsonout_end_array(struct jsonout *w);
/* jsonout_key - an object member's name (NUL-terminated); its value is the next call. */
void jsonout_key(struct jsonout *w, const char *key);
/* jsonout_string - a string, escaped as jansson does (UTF-8 kept); NULL writes null. */
void jsonout_string(struct jsonout *w, const char *s);
void jsonout_string_len(struct jsonout *w, const char *s, size_t len);
/* jsonout_number - a real in jsonout_real's form (always with '.' or an exponent). */
void jsonout_number(struct jsonout *w, double d);
void jsonout_integer(struct jsonout *w, long long v);
/* jsonout_whole - a real that holds a whole number (a count kept in a double) as an integer,
 * any other real as jsonout_number does. */
void jsonout_whole(struct jsonout *w, double d);
void jsonout_bool(struct jsonout *w, bool v);
void jsonout_null(struct jsonout *w);
/*
 * jsonout_raw - splices len bytes of already serialized JSON as one value: text written with w's
 * own indent at depth 0 (compact when w is compact). In an indented document each of its lines
 * is moved to the current depth, so the result reads as if the value had been written here.
 */
void jsonout_raw(struct jsonout *w, const char *text, size_t len);

/*
 * jsonout_reindent - text (compact JSON from this writer) as jsonout_dumps(doc, indent) would write
 * the same document: malloc'd, NUL-terminated, its length in *out_len (if not NULL). NULL on
 * allocation failure, malformed text (unbalanced brackets, an unterminated string), indent outside
 * 0..8 or past JSONOUT_MAX. A large /skus body costs one pass and one buffer instead of a jansson
 * tree several times its size.
 */
char *jsonout_reindent(const char *text, size_t len, int indent, size_t *out_len);

/* jsonout_value - writes a jansson value (borrowed) and everything inside it. */
void jsonout_value(struct jsonout *w, const json_t *json);

/*
 * jsonout_tree - runs write(w, arg) on a compact writer and reads the text back: one producer for
 * an object that is both streamed and needed as a tree. New reference, or NULL on any error.
 */
json_t *jsonout_tree(void (*write)(struct jsonout *w, const void *arg), const void *arg);

/*
 * jsonout_dumps - serializes json like json_dumps(JSON_COMPACT) (indent 0) or
 * json_dumps(JSON_INDENT(indent)) (indent 1..8), except that every real is written with the
 * fewest significant digits (15, 16 or 17) that read back to exactly the same double: full
 * precision without the noise. Object keys keep insertion order. Returns a malloc'd NUL-terminated
 * string (caller frees) and its length in *len (if not NULL), or NULL on allocation failure, on a
 * NaN/infinite real, or past JSONOUT_MAX. Written with the writer above: one set of rules.
 */
char *jsonout_dumps(const json_t *json, int indent, size_t *len);

/*
 * jsonout_real - writes d into dst (size n >= 32) in that shortest round-trip form, always with a
 * '.' or exponent so it reads back as a real. Returns the length, or -1 for NaN/infinity.
 */
int jsonout_real(char *dst, size_t n, double d);

#endif
