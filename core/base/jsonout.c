/* jsonout.c - a small JSON writer: jansson's output format, with shortest round-trip reals. */
#include "base/jsonout.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fields.h"

/*
 * Fast path for the common case, a value with at most 15 significant digits in [1e-4, 1e15)
 * (198.65, 7.163871232, 1644.5966454784): finds the fewest decimals k with d == n / 10^k for an
 * integer n. n and 10^k are exact doubles and IEEE division rounds correctly, as does strtod, so
 * "n with k decimals" reads back as d; with <= 15 digits it is also exactly what %.15g prints
 * (d lies far closer to it than half a unit of the 15th digit). Returns the length, or -1 when
 * the value is out of that range, or -2 when it is in range but needs 16 or 17 digits (then %.15g
 * cannot round-trip either and the general path starts at 16). glibc's printf/strtod pair costs
 * about 1 us per real; this about 50 ns.
 */
static int real_fast(char *dst, size_t n, double d)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
    double a = fabs(d);
    if (a == 0) {
        memcpy(dst, signbit(d) ? "-0.0" : "0.0", signbit(d) ? 5 : 4);
        return signbit(d) ? 4 : 3;
    }
    if (!(a >= 1e-4 && a < 1e15))
        return -1;
    for (int k = 0; k < (int)(sizeof(p10) / sizeof(p10[0])); k++) {
        double scaled = a * p10[k];
        if (scaled >= 1e15)
            return -2; /* would need more than 15 significant digits */
        double r = nearbyint(scaled);
        if (r / p10[k] != a)
            continue;
        unsigned long long m = (unsigned long long)r;
        char digits[24];
        int nd = 0;
        do {
            digits[nd++] = (char)('0' + m % 10);
            m /= 10;
        } while (m > 0);
        size_t o = 0;
        if (n < 32)
            return -1;
        if (d < 0)
            dst[o++] = '-';
        if (nd <= k) { /* 0.000123: leading zeros after the point */
            dst[o++] = '0';
            dst[o++] = '.';
            for (int z = 0; z < k - nd; z++)
                dst[o++] = '0';
            while (nd > 0)
                dst[o++] = digits[--nd];
        } else {
            while (nd > k)
                dst[o++] = digits[--nd];
            dst[o++] = '.';
            if (k == 0)
                dst[o++] = '0';
            while (nd > 0)
                dst[o++] = digits[--nd];
        }
        dst[o] = '\0';
        return (int)o;
    }
    return -1;
}

#ifdef __SIZEOF_INT128__
/* Writes m (exactly sig digits) as %g would for decimal exponent e: fixed notation, trailing
 * fraction zeros dropped, at least one digit after the point. Returns the length. */
static int put_digits(char *dst, double d, unsigned long long m, int sig, int e)
{
    char digits[24];
    int nd = 0, k = sig - 1 - e;
    while (nd < sig) {
        digits[nd++] = (char)('0' + m % 10);
        m /= 10;
    }
    int skip = 0;
    while (skip < k && skip < nd - 1 && digits[skip] == '0')
        skip++;
    size_t o = 0;
    if (d < 0)
        dst[o++] = '-';
    if (e < 0) {
        dst[o++] = '0';
        dst[o++] = '.';
        for (int z = 0; z < -e - 1; z++)
            dst[o++] = '0';
        for (int i = nd - 1; i >= skip; i--)
            dst[o++] = digits[i];
    } else {
        int i = nd - 1;
        for (int w = 0; w <= e; w++)
            dst[o++] = digits[i--];
        dst[o++] = '.';
        if (i < skip)
            dst[o++] = '0';
        for (; i >= skip; i--)
            dst[o++] = digits[i];
    }
    dst[o] = '\0';
    return (int)o;
}

/*
 * The 16- and 17-digit cases without printf, in exact integer arithmetic. In the fast path's range
 * d = m / 2^s with a 53-bit m and 3 <= s <= 66, so N = m x 10^k (k <= 21) is d x 10^k x 2^s
 * exactly in 128 bits: its top part is d's first sig digits, its low s bits what is left over.
 * Rounding that to nearest (ties to even, as glibc's printf does) gives the digits %.16g / %.17g
 * print; the decimal q reads back as d (as strtod rounds) when it lies within half an ulp of d,
 * and an ulp of d is 10^k in N's units. Returns the length, or -2 when 16 digits do not read back
 * as d (17 are needed). Valgrind runs these integer operations as the CPU would, unlike x87 long
 * doubles, so profiles measure the path production takes.
 */
static int real_digits(char *dst, double d, int sig)
{
    typedef unsigned __int128 u128;
    static const unsigned long long p10[] = {1ULL,
                                             10ULL,
                                             100ULL,
                                             1000ULL,
                                             10000ULL,
                                             100000ULL,
                                             1000000ULL,
                                             10000000ULL,
                                             100000000ULL,
                                             1000000000ULL,
                                             10000000000ULL,
                                             100000000000ULL,
                                             1000000000000ULL,
                                             10000000000000ULL,
                                             100000000000000ULL,
                                             1000000000000000ULL,
                                             10000000000000000ULL,
                                             100000000000000000ULL,
                                             1000000000000000000ULL,
                                             10000000000000000000ULL};
    int bexp;
    double a = fabs(d);
    double fr = frexp(a, &bexp); /* a = fr x 2^bexp, fr in [0.5, 1) */
    unsigned long long m = (unsigned long long)ldexp(fr, 53);
    int s = 53 - bexp;
    if (s < 1 || s > 100)
        return -1;
    int e = (int)floor(log10(a)); /* a guess; corrected below */
    for (int tries = 0; tries < 4; tries++) {
        int k = sig - 1 - e;
        if (k < 0 || k > 38)
            return -1;
        u128 pk = k <= 19 ? (u128)p10[k] : (u128)p10[19] * p10[k - 19];
        if (pk >> 70 != 0 || s > 66)
            return -1; /* N would not fit: outside the range this path serves */
        u128 n = (u128)m * pk;
        u128 q = n >> s, r = n & (((u128)1 << s) - 1);
        if (q >= p10[sig]) {
            e++;
            continue;
        }
        if (q < p10[sig - 1]) {
            e--;
            continue;
        }
        u128 half = (u128)1 << (s - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
        /* Distance to d in N's units against half an ulp (a quarter below a power of two). */
        u128 qs = q << s;
        bool below = qs < n;
        u128 dist = below ? n - qs : qs - n;
        bool pow2 = m == (1ULL << 52);
        u128 twice = (below && pow2 ? 4 : 2) * dist;
        bool back = twice < pk || (twice == pk && (m % 2 == 0));
        if (!back)
            return sig < 17 ? -2 : -1;
        if (q == p10[sig]) { /* 9.99..95 rounded up: one digit more to the left */
            q = p10[sig - 1];
            e++;
        }
        return put_digits(dst, d, (unsigned long long)q, sig, e);
    }
    return -1;
}
#endif

int jsonout_real(char *dst, size_t n, double d)
{
    if (!isfinite(d) || n < 32)
        return -1;
    int len = real_fast(dst, n, d);
    if (len >= 0)
        return len;
    int first = len == -2 ? 16 : 15;
#ifdef __SIZEOF_INT128__
    if (len == -2) {
        len = real_digits(dst, d, 16);
        if (len == -2) {
            first = 17;
            len = real_digits(dst, d, 17);
        }
        if (len >= 0)
            return len;
    }
#endif
    /* %.17g always round-trips (no need to check it); shorter is tried first so 0.1 stays 0.1. */
    for (int prec = first; prec <= 17; prec++) {
        len = snprintf(dst, n, "%.*g", prec, d);
        if (prec == 17 || strtod(dst, NULL) == d)
            break;
    }
    if (strpbrk(dst, ".eE") == NULL && (size_t)len + 2 < n) {
        memcpy(dst + len, ".0", 3);
        len += 2;
    }
    return len;
}

/* The bytes that end a run needing no escape: controls (NUL, a C string's end, among them), '"'
 * and '\\'. A table: keys and texts are scanned byte by byte for every answer, and one lookup per
 * byte replaced three compares (and, for C strings, the strlen before them). */
static const bool stops[256] = {
    [0x00] = true, [0x01] = true, [0x02] = true, [0x03] = true, [0x04] = true, [0x05] = true,
    [0x06] = true, [0x07] = true, [0x08] = true, [0x09] = true, [0x0a] = true, [0x0b] = true,
    [0x0c] = true, [0x0d] = true, [0x0e] = true, [0x0f] = true, [0x10] = true, [0x11] = true,
    [0x12] = true, [0x13] = true, [0x14] = true, [0x15] = true, [0x16] = true, [0x17] = true,
    [0x18] = true, [0x19] = true, [0x1a] = true, [0x1b] = true, [0x1c] = true, [0x1d] = true,
    [0x1e] = true, [0x1f] = true, ['"'] = true,  ['\\'] = true,
};

/* Length of s's leading run that needs no escape (for keys and texts: all of it). */
static size_t plain_run(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && !stops[(unsigned char)s[i]])
        i++;
    return i;
}

/* Length of the C string s's leading run that needs no escape; s[return] is NUL when all of s
 * needs none. */
static size_t plain_prefix(const char *s)
{
    const char *p = s;
    while (!stops[(unsigned char)*p])
        p++;
    return (size_t)(p - s);
}

/* Appends pre (0..1 bytes), "s" and post (0..1 bytes) with one reservation; s needs no escape. */
static int put_plain(struct buf *b, char pre, const char *s, size_t len, char post)
{
    int rc = buf_reserve(b, len + 4);
    if (rc != 0)
        return rc;
    char *p = b->data + b->len;
    if (pre)
        *p++ = pre;
    *p++ = '"';
    memcpy(p, s, len);
    p += len;
    *p++ = '"';
    if (post)
        *p++ = post;
    *p = '\0';
    b->len = (size_t)(p - b->data);
    return 0;
}

static int put_string(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (plain_run(s, len) == len)
        return put_plain(b, 0, s, len, 0);
    int rc = buf_append(b, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue; /* the common case, kept out of the switch */
        const char *esc = NULL;
        char uesc[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                memcpy(uesc, "\\u00", 4);
                uesc[4] = hex[c >> 4];
                uesc[5] = hex[c & 15];
                uesc[6] = '\0';
                esc = uesc;
            }
        }
        if (esc == NULL)
            continue;
        rc = buf_append(b, s + start, i - start);
        if (rc == 0)
            rc = buf_append(b, esc, strlen(esc));
        start = i + 1;
    }
    if (rc == 0)
        rc = buf_append(b, s + start, len - start);
    if (rc == 0)
        rc = buf_append(b, "\"", 1);
    return rc;
}

void jsonout_init(struct jsonout *w, struct buf *b, int indent)
{
    w->b = b;
    w->indent = indent < 0 ? 0 : indent > 8 ? 8 : indent;
    w->depth = 0;
    w->first = true;
    w->after_key = false;
    w->rc = 0;
}

int jsonout_status(const struct jsonout *w)
{
    return w->rc;
}

void jsonout_fail(struct jsonout *w, int rc)
{
    if (w->rc == 0 && rc < 0)
        w->rc = rc;
}

static void put(struct jsonout *w, const char *p, size_t n)
{
    if (w->rc == 0)
        w->rc = buf_append(w->b, p, n);
}

/* Appends an optional comma, then a newline and depth levels of indentation, in one
 * reservation (the indented layout's hot path: every member and element starts so). */
static void newline_after(struct jsonout *w, bool comma, int depth)
{
    if (w->indent == 0) {
        if (comma)
            put(w, ",", 1);
        return;
    }
    size_t spaces = (size_t)w->indent * (size_t)depth;
    if (w->rc != 0 || (w->rc = buf_reserve(w->b, spaces + 3)) != 0)
        return;
    char *p = w->b->data + w->b->len;
    if (comma)
        *p++ = ',';
    *p++ = '\n';
    memset(p, ' ', spaces);
    p += spaces;
    *p = '\0';
    w->b->len = (size_t)(p - w->b->data);
}

static void newline(struct jsonout *w, int depth)
{
    newline_after(w, false, depth);
}

/* What goes before a value: nothing after a key or at the top; ",", newline in an array. */
static void value_prefix(struct jsonout *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    newline_after(w, !w->first, w->depth);
    w->first = false;
}

static void open_container(struct jsonout *w, const char *c)
{
    value_prefix(w);
    put(w, c, 1);
    w->depth++;
    w->first = true;
}

static void close_container(struct jsonout *w, const char *c)
{
    if (w->depth == 0) {
        if (w->rc == 0)
            w->rc = -EINVAL;
        return;
    }
    if (!w->first)
        newline(w, w->depth - 1);
    w->depth--;
    w->first = false; /* the parent now holds at least this container */
    put(w, c, 1);
}

void jsonout_begin_object(struct jsonout *w)
{
    open_container(w, "{");
}

void jsonout_end_object(struct jsonout *w)
{
    close_container(w, "}");
}

void jsonout_begin_array(struct jsonout *w)
{
    open_container(w, "[");
}

void jsonout_end_array(struct jsonout *w)
{
    close_container(w, "]");
}

/* The indented common case in one reservation: ,\n<spaces>"key": */
static void key_indented(struct jsonout *w, const char *key, size_t len)
{
    size_t spaces = (size_t)w->indent * (size_t)w->depth;
    if ((w->rc = buf_reserve(w->b, spaces + len + 6)) != 0)
        return;
    char *p = w->b->data + w->b->len;
    if (!w->first)
        *p++ = ',';
    *p++ = '\n';
    memset(p, ' ', spaces);
    p += spaces;
    *p++ = '"';
    memcpy(p, key, len);
    p += len;
    memcpy(p, "\": ", 4); /* with the NUL */
    w->b->len = (size_t)(p + 3 - w->b->data);
}

void jsonout_key(struct jsonout *w, const char *key)
{
    size_t len = plain_prefix(key);
    bool plain = key[len] == '\0';
    if (!plain)
        len += strlen(key + len);
    if (w->rc == 0 && plain) {
        if (w->indent == 0) /* the compact common case in one reservation: ,"key": */
            w->rc = put_plain(w->b, w->first ? 0 : ',', key, len, ':');
        else
            key_indented(w, key, len);
        w->first = false;
        w->after_key = true;
        return;
    }
    newline_after(w, !w->first, w->depth);
    w->first = false;
    if (w->rc == 0)
        w->rc = put_string(w->b, key, len);
    put(w, w->indent ? ": " : ":", w->indent ? 2 : 1);
    w->after_key = true;
}

void jsonout_string_len(struct jsonout *w, const char *s, size_t len)
{
    value_prefix(w);
    if (w->rc == 0)
        w->rc = put_string(w->b, s, len);
}

void jsonout_string(struct jsonout *w, const char *s)
{
    if (s == NULL) {
        jsonout_null(w);
        return;
    }
    size_t len = plain_prefix(s);
    if (s[len] != '\0') {
        jsonout_string_len(w, s, len + strlen(s + len));
        return;
    }
    value_prefix(w);
    if (w->rc == 0)
        w->rc = put_plain(w->b, 0, s, len, 0);
}

void jsonout_number(struct jsonout *w, double d)
{
    char num[40];
    value_prefix(w);
    int n = jsonout_real(num, sizeof(num), d);
    if (n < 0) {
        if (w->rc == 0)
            w->rc = -EDOM;
        return;
    }
    put(w, num, (size_t)n);
}

void jsonout_integer(struct jsonout *w, long long v)
{
    /* By hand: printf's generic machinery showed in the profile. */
    char num[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char *p = num + sizeof(num);
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        *--p = '-';
    value_prefix(w);
    put(w, p, (size_t)(num + sizeof(num) - p));
}

void jsonout_whole(struct jsonout *w, double d)
{
    if (d == floor(d) && fabs(d) < 9007199254740992.0) /* 2^53: every integer is exact */
        jsonout_integer(w, (long long)d);
    else
        jsonout_number(w, d);
}

void jsonout_bool(struct jsonout *w, bool v)
{
    value_prefix(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonout_null(struct jsonout *w)
{
    value_prefix(w);
    put(w, "null", 4);
}

void jsonout_raw(struct jsonout *w, const char *text, size_t len)
{
    value_prefix(w);
    if (w->indent == 0 || w->depth == 0) {
        put(w, text, len);
        return;
    }
    /* Indented text written at depth 0: each of its lines moves to the current depth. A raw
     * newline can only be layout (JSON strings escape theirs). */
    const char *end = text + len;
    while (text < end && w->rc == 0) {
        const char *nl = memchr(text, '\n', (size_t)(end - text));
        if (nl == NULL) {
            put(w, text, (size_t)(end - text));
            break;
        }
        put(w, text, (size_t)(nl - text));
        newline(w, w->depth);
        text = nl + 1;
    }
}

/* The length of the string token at text[0] == '"' (both quotes), or 0 when unterminated. */
static size_t string_token(const char *text, size_t len)
{
    for (size_t i = 1; i < len; i++) {
        if (text[i] == '\\')
            i++;
        else if (text[i] == '"')
            return i + 1;
    }
    return 0;
}

/* The length of a number, true, false or null token: up to the next delimiter. */
static size_t scalar_token(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && strchr(",:]} \t\r\n", text[i]) == NULL) /* NUL stops it too */
        i++;
    return i;
}

/* A string token followed by ':' is a key: written as jsonout_key writes one. */
static void raw_key(struct jsonout *w, const char *tok, size_t n)
{
    if (!w->first)
        put(w, ",", 1);
    w->first = false;
    newline(w, w->depth);
    put(w, tok, n);
    put(w, w->indent ? ": " : ":", w->indent ? 2 : 1);
    w->after_key = true;
}

/*
 * Splices len bytes of serialized JSON (one value, as this writer writes it compact) laid out in
 * the writer's indentation: unchanged when compact (as jsonout_raw), else re-indented token by
 * token, with no parse tree, exactly as writing the same document value by value would (tokens are
 * copied verbatim; whitespace between tokens is dropped). Unbalanced brackets or an unterminated
 * string set -EINVAL; anything else is trusted to be JSON.
 */
static void splice_text(struct jsonout *w, const char *text, size_t len)
{
    if (w->indent == 0) {
        jsonout_raw(w, text, len);
        return;
    }
    int base = w->depth;
    for (size_t i = 0; i < len && w->rc == 0;) {
        char c = text[i];
        size_t n = 1;
        if (c == '{' || c == '[') {
            open_container(w, c == '{' ? "{" : "[");
        } else if (c == '}' || c == ']') {
            if (w->depth <= base) {
                w->rc = -EINVAL;
                break;
            }
            close_container(w, c == '}' ? "}" : "]");
        } else if (c == '"') {
            n = string_token(text + i, len - i);
            if (n == 0) {
                w->rc = -EINVAL;
                break;
            }
            if (i + n < len && text[i + n] == ':') {
                raw_key(w, text + i, n);
                n++; /* the ':' */
            } else {
                value_prefix(w);
                put(w, text + i, n);
            }
        } else if (c != ',' && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            n = scalar_token(text + i, len - i);
            if (n == 0) {
                w->rc = -EINVAL;
                break;
            }
            value_prefix(w);
            put(w, text + i, n);
        }
        i += n;
    }
    if (w->rc == 0 && w->depth != base)
        w->rc = -EINVAL;
}

char *jsonout_reindent(const char *text, size_t len, int indent, size_t *out_len)
{
    struct buf b;
    struct jsonout w;
    if (text == NULL || indent < 0 || indent > 8)
        return NULL;
    buf_init(&b, JSONOUT_MAX);
    jsonout_init(&w, &b, indent);
    /* Indentation adds a fraction of the text: reserve once rather than grow by doubling. */
    int rc = buf_reserve(&b, len + len / 2 + 64);
    if (rc == 0) {
        splice_text(&w, text, len);
        rc = jsonout_status(&w);
    }
    if (rc != 0 || b.data == NULL) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, out_len);
}

void jsonout_value(struct jsonout *w, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_NULL:
        jsonout_null(w);
        return;
    case JSON_TRUE:
        jsonout_bool(w, true);
        return;
    case JSON_FALSE:
        jsonout_bool(w, false);
        return;
    case JSON_INTEGER:
        jsonout_integer(w, (long long)json_integer_value(j));
        return;
    case JSON_REAL:
        jsonout_number(w, json_real_value(j));
        return;
    case JSON_STRING:
        jsonout_string_len(w, json_string_value(j), json_string_length(j));
        return;
    case JSON_ARRAY: {
        size_t count = json_array_size(j);
        jsonout_begin_array(w);
        for (size_t i = 0; i < count && w->rc == 0; i++)
            jsonout_value(w, json_array_get(j, i));
        jsonout_end_array(w);
        return;
    }
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        jsonout_begin_object(w);
        json_object_foreach(fields_mutable(j), key, val)
        {
            if (w->rc != 0)
                break;
            jsonout_key(w, key);
            jsonout_value(w, val);
        }
        jsonout_end_object(w);
        return;
    }
    }
    if (w->rc == 0)
        w->rc = -EINVAL;
}

char *jsonout_dumps(const json_t *json, int indent, size_t *len)
{
    struct buf b;
    if (json == NULL || indent < 0 || indent > 8)
        return NULL;
    struct jsonout w;
    buf_init(&b, JSONOUT_MAX);
    jsonout_init(&w, &b, indent);
    /* Most documents are a few KiB: start there instead of growing from 256 bytes. */
    int rc = buf_reserve(&b, 4096);
    if (rc == 0) {
        jsonout_value(&w, json);
        rc = jsonout_status(&w);
    }
    if (rc != 0 || b.data == NULL) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, len);
}

json_t *jsonout_tree(void (*write)(struct jsonout *w, const void *arg), const void *arg)
{
    struct buf b;
    struct jsonout w;
    json_error_t jerr;
    buf_init(&b, JSONOUT_MAX);
    jsonout_init(&w, &b, 0);
    write(&w, arg);
    json_t *j = jsonout_status(&w) == 0 && b.data ? json_loadb(b.data, b.len, 0, &jerr) : NULL;
    buf_free(&b);
    return j;
}
