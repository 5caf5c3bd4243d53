/* jsonout.c - a small JSON writer: jansson's output format, with shortest round-trip reals. */
#include "jsonout.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fields.h"

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

#if LDBL_MANT_DIG >= 64
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
 * The 16- and 17-digit cases without printf. With a 64-bit mantissa, d * 10^k (10^k exact up to
 * 10^27) is within 2^-64 relative of the true product, so rounding it gives the digits %.16g /
 * %.17g print (R, the nearest sig-digit decimal), unless the fraction is near one half. There
 * both neighbours are tried: a decimal reads back as d only if it is within half an ulp, and R is
 * the nearer one, so if exactly one reads back it is R; if none does, R does not either (for 17
 * digits R always does); if both do, the general path decides. Returns the length, -2 when 16
 * digits cannot read back as d (17 are needed), or -1 when the general path must decide.
 */
/* LDBL_MANT_DIG says what the type holds, not what the arithmetic does: under valgrind, x87
 * operations run in double precision. Checked at run time (two flops) so such a machine takes
 * the general path instead of printing wrong digits. */
static bool extended_precision_works(void)
{
    volatile long double one = 1.0L, eps = LDBL_EPSILON;
    return one + eps != one && LDBL_EPSILON < 1e-18L;
}

static int real_digits(char *dst, double d, int sig)
{
    if (!extended_precision_works())
        return -1;
    static const long double p10[] = {1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,
                                      1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
                                      1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L,
                                      1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};
    long double a = fabsl((long double)d);
    int e = 0; /* decimal exponent: 10^e <= a < 10^(e+1) */
    if (a >= 1) {
        while (e < 15 && a >= p10[e + 1])
            e++;
    } else {
        e = -1;
        while (e > -4 && a * p10[-e] < 1)
            e--;
    }
    int k = sig - 1 - e; /* decimals to keep */
    if (k < 0 || k > 27)
        return -1;
    long double scaled = a * p10[k];
    long double lo = floorl(scaled);
    if (lo < p10[sig - 1] || lo + 1 >= p10[sig])
        return -1; /* the exponent guess was off, or rounding carries into another digit */
    long double frac = scaled - lo;
    if (fabsl(frac - 0.5L) >= 0.01L) {
        int len = put_digits(dst, d, (unsigned long long)(frac < 0.5L ? lo : lo + 1), sig, e);
        if (sig < 17 && strtod(dst, NULL) != d)
            return -2;
        return len;
    }
    char alt[40];
    int len = put_digits(dst, d, (unsigned long long)lo, sig, e);
    int alen = put_digits(alt, d, (unsigned long long)lo + 1, sig, e);
    bool ok = strtod(dst, NULL) == d, aok = strtod(alt, NULL) == d;
    if (ok && aok)
        return -1;
    if (aok) {
        memcpy(dst, alt, (size_t)alen + 1);
        return alen;
    }
    if (ok)
        return len;
    return sig < 17 ? -2 : -1;
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
#if LDBL_MANT_DIG >= 64
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

static int put_string(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
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

static int newline(struct buf *b, int indent, int depth)
{
    if (indent == 0)
        return 0;
    int rc = buf_append(b, "\n", 1);
    for (int i = 0; i < indent * depth && rc == 0; i++)
        rc = buf_append(b, " ", 1);
    return rc;
}

static int put_value(struct buf *b, const json_t *j, int indent, int depth)
{
    char num[40];
    int n, rc = 0;
    switch (json_typeof(j)) {
    case JSON_NULL:
        return buf_append(b, "null", 4);
    case JSON_TRUE:
        return buf_append(b, "true", 4);
    case JSON_FALSE:
        return buf_append(b, "false", 5);
    case JSON_INTEGER: {
        /* By hand: printf's generic machinery showed in the profile. */
        json_int_t v = json_integer_value(j);
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        char *p = num + sizeof(num);
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u > 0);
        if (v < 0)
            *--p = '-';
        return buf_append(b, p, (size_t)(num + sizeof(num) - p));
    }
    case JSON_REAL:
        n = jsonout_real(num, sizeof(num), json_real_value(j));
        return n < 0 ? -1 : buf_append(b, num, (size_t)n);
    case JSON_STRING:
        return put_string(b, json_string_value(j), json_string_length(j));
    case JSON_ARRAY: {
        size_t count = json_array_size(j);
        rc = buf_append(b, "[", 1);
        for (size_t i = 0; i < count && rc == 0; i++) {
            if (i > 0)
                rc = buf_append(b, indent ? "," : ",", 1);
            if (rc == 0)
                rc = newline(b, indent, depth + 1);
            if (rc == 0)
                rc = put_value(b, json_array_get(j, i), indent, depth + 1);
        }
        if (rc == 0 && count > 0)
            rc = newline(b, indent, depth);
        return rc ? rc : buf_append(b, "]", 1);
    }
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        int first = 1;
        rc = buf_append(b, "{", 1);
        json_object_foreach(fields_mutable(j), key, val)
        {
            if (rc != 0)
                break;
            if (!first)
                rc = buf_append(b, ",", 1);
            first = 0;
            if (rc == 0)
                rc = newline(b, indent, depth + 1);
            if (rc == 0)
                rc = put_string(b, key, strlen(key));
            if (rc == 0)
                rc = buf_append(b, indent ? ": " : ":", indent ? 2 : 1);
            if (rc == 0)
                rc = put_value(b, val, indent, depth + 1);
        }
        if (rc == 0 && !first)
            rc = newline(b, indent, depth);
        return rc ? rc : buf_append(b, "}", 1);
    }
    }
    return -1;
}

char *jsonout_dumps(const json_t *json, int indent, size_t *len)
{
    struct buf b;
    if (json == NULL || indent < 0 || indent > 8)
        return NULL;
    buf_init(&b, JSONOUT_MAX);
    /* Most documents are a few KiB: start there instead of growing from 256 bytes. */
    if (buf_reserve(&b, 4096) != 0 || put_value(&b, json, indent, 0) != 0 || b.data == NULL) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, len);
}
