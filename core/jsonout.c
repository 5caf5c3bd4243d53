/* jsonout.c - a small JSON writer: jansson's output format, with shortest round-trip reals. */
#include "jsonout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fields.h"

int jsonout_real(char *dst, size_t n, double d)
{
    if (!isfinite(d) || n < 32)
        return -1;
    int len = 0;
    /* %.17g always round-trips; shorter is tried first so 0.1 stays 0.1. */
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(dst, n, "%.*g", prec, d);
        if (strtod(dst, NULL) == d)
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
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
        return buf_append(b, num, (size_t)n);
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
    if (put_value(&b, json, indent, 0) != 0 || b.data == NULL) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, len);
}
