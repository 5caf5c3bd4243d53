/* jsonfix.c - rewrites Python's Infinity / -Infinity / NaN tokens to null (see jsonfix.h). */
#include "base/jsonfix.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const nonfinite[] = {"-Infinity", "Infinity", "NaN"};

static bool is_delim(char c)
{
    return c == ',' || c == ']' || c == '}' || c == '[' || c == ':' || c == ' ' || c == '\t' ||
           c == '\n' || c == '\r';
}

/* Length of the stand-alone non-finite token at t[i], or 0. */
static size_t token_at(const char *t, size_t len, size_t i)
{
    if (i > 0 && !is_delim(t[i - 1]))
        return 0;
    for (size_t k = 0; k < sizeof(nonfinite) / sizeof(nonfinite[0]); k++) {
        size_t n = strlen(nonfinite[k]);
        if (i + n <= len && memcmp(t + i, nonfinite[k], n) == 0 &&
            (i + n == len || is_delim(t[i + n])))
            return n;
    }
    return 0;
}

/* Where the scan is: strings, nesting, the top-level key being read and the key's value. */
struct scan {
    const char *key;
    size_t key_len;
    int depth;
    bool in_string, escape, expect_key, string_is_key, key_match, in_region;
    size_t string_start;
};

/* One structural character outside strings. */
static void structural(struct scan *s, const char *t, size_t i)
{
    switch (t[i]) {
    case '"':
        s->in_string = true;
        s->string_is_key = s->depth == 1 && s->expect_key;
        s->string_start = i + 1;
        return;
    case '{':
    case '[':
        s->depth++;
        s->expect_key = t[i] == '{' && s->depth == 1;
        return;
    case '}':
    case ']':
        if (s->depth == 1)
            s->in_region = false; /* the top-level object ends */
        s->depth--;
        return;
    case ':':
        if (s->depth == 1) {
            s->expect_key = false;
            s->in_region = s->key_match;
        }
        return;
    case ',':
        if (s->depth == 1) {
            s->in_region = false;
            s->key_match = false;
            s->expect_key = true;
        }
        return;
    default:
        return;
    }
}

/* One character inside a string; a closing quote of a top-level key says whether it is ours. */
static void in_string(struct scan *s, const char *t, size_t i)
{
    if (s->escape) {
        s->escape = false;
    } else if (t[i] == '\\') {
        s->escape = true;
    } else if (t[i] == '"') {
        s->in_string = false;
        if (s->string_is_key)
            s->key_match = s->key != NULL && i - s->string_start == s->key_len &&
                           memcmp(t + s->string_start, s->key, s->key_len) == 0;
    }
}

int jsonfix_nonfinite(const char *text, size_t len, const char *key, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len > JSONFIX_MAX_INPUT)
        return -E2BIG;
    /* null is one byte longer than NaN, and a NaN takes at least 4 bytes with its delimiter. */
    char *o = malloc(len + len / 3 + 2);
    if (o == NULL)
        return -ENOMEM;
    struct scan s = {.key = key, .key_len = key ? strlen(key) : 0};
    size_t n = 0;
    int replaced = 0;
    for (size_t i = 0; i < len; i++) {
        if (s.in_string) {
            in_string(&s, text, i);
        } else {
            size_t tok = key == NULL || s.in_region ? token_at(text, len, i) : 0;
            if (tok > 0) {
                memcpy(o + n, "null", 4);
                n += 4;
                i += tok - 1;
                replaced++;
                continue;
            }
            structural(&s, text, i);
        }
        o[n++] = text[i];
    }
    o[n] = '\0';
    if (replaced == 0) {
        free(o);
        return 0;
    }
    *out = o;
    *out_len = n;
    return replaced;
}
