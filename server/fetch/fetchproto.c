/* fetchproto.c - encodes and decodes the request and reply between the server and vramfit-fetch. */
#include "fetch/fetchproto.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The Hub resolver's optional members (fetch.h), added only when set so that the refresher's
 * request line is what it always was. 0, or -1 on allocation failure. */
static int add_optional(json_t *j, const struct fetch_request *req)
{
    int rc = 0;
    if (req->range && req->range[0])
        rc |= json_object_set_new(j, "range", json_string(req->range));
    if (req->bearer && req->bearer[0])
        rc |= json_object_set_new(j, "bearer", json_string(req->bearer));
    if (req->redirect_hosts && req->redirect_hosts[0])
        rc |= json_object_set_new(j, "redirect_hosts", json_string(req->redirect_hosts));
    if (req->any_status)
        rc |= json_object_set_new(j, "any_status", json_true());
    if (req->capture[0] != NULL) {
        json_t *c = json_array();
        for (int i = 0; c && i < FETCH_MAX_CAPTURE && req->capture[i]; i++)
            rc |= json_array_append_new(c, json_string(req->capture[i]));
        rc |= c ? json_object_set_new(j, "capture", c) : -1;
    }
    return rc ? -1 : 0;
}

char *fetchproto_request_line(const struct fetch_request *req)
{
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "url", req->url, "etag", req->etag ? req->etag : "",
        "last_modified", req->last_modified ? req->last_modified : "", "max_bytes",
        (json_int_t)req->max_bytes, "connect_timeout_s", (json_int_t)req->connect_timeout_s,
        "timeout_s", (json_int_t)req->timeout_s, "origin", req->origin ? req->origin : "");
    if (j == NULL || add_optional(j, req) < 0) {
        json_decref(j);
        return NULL;
    }
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

/* The capture list's names into req (borrowed from the request document). 0 or -1. */
static int read_capture(const json_t *c, struct fetch_request *req)
{
    if (c == NULL)
        return 0;
    if (!json_is_array(c) || json_array_size(c) > FETCH_MAX_CAPTURE)
        return -1;
    for (size_t i = 0; i < json_array_size(c); i++)
        if ((req->capture[i] = json_string_value(json_array_get(c, i))) == NULL)
            return -1;
    return 0;
}

int fetchproto_read_request(const char *text, size_t len, json_t **doc, struct fetch_request *req,
                            char *errbuf, size_t errlen)
{
    json_error_t jerr;
    json_int_t max_bytes = 0, ct = 0, to = 0;
    int any_status = 0;
    json_t *capture = NULL;
    if (len > FETCHPROTO_HEADER_MAX) {
        snprintf(errbuf, errlen, "request over %d bytes", FETCHPROTO_HEADER_MAX);
        return -1;
    }
    json_t *j = json_loadb(text, len, 0, &jerr);
    if (j == NULL) {
        snprintf(errbuf, errlen, "request is not JSON: %s", jerr.text);
        return -1;
    }
    memset(req, 0, sizeof(*req));
    if (json_unpack_ex(
            j, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s:I, s:I, s:I, s?s, s?s, s?s, s?s, s?b, s?o}",
            "url", &req->url, "etag", &req->etag, "last_modified", &req->last_modified, "max_bytes",
            &max_bytes, "connect_timeout_s", &ct, "timeout_s", &to, "origin", &req->origin, "range",
            &req->range, "bearer", &req->bearer, "redirect_hosts", &req->redirect_hosts,
            "any_status", &any_status, "capture", &capture) < 0 ||
        max_bytes <= 0 || ct <= 0 || to <= 0 || read_capture(capture, req) < 0) {
        snprintf(errbuf, errlen, "bad request: %s",
                 jerr.text[0] ? jerr.text : "non-positive limit");
        json_decref(j);
        return -1;
    }
    req->any_status = any_status != 0;
    req->max_bytes = (size_t)max_bytes;
    req->connect_timeout_s = (long)ct;
    req->timeout_s = (long)to;
    *doc = j;
    return 0;
}

int fetchproto_write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, s, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

void fetchproto_header_text(const char *bytes, char *dst, size_t n)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)bytes; *p; p++) {
        size_t need = *p < 0x80 ? 1 : 2;
        if (o + need >= n) {
            o = 0; /* a cut validator would never match: none at all */
            break;
        }
        if (*p < 0x80) {
            dst[o++] = (char)*p;
        } else {
            dst[o++] = (char)(0xC0 | (*p >> 6));
            dst[o++] = (char)(0x80 | (*p & 0x3F));
        }
    }
    if (n > 0)
        dst[o] = '\0';
}

int fetchproto_header_bytes(const char *text, char *dst, size_t n)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        unsigned c = *p;
        if (c >= 0x80) { /* only U+0080..U+00FF (C2/C3 lead bytes) come from a header byte */
            if ((c != 0xC2 && c != 0xC3) || (p[1] & 0xC0) != 0x80)
                return -EINVAL;
            c = ((c & 0x03u) << 6) | (p[1] & 0x3Fu);
            p++;
        }
        if (o + 1 >= n)
            return -E2BIG;
        dst[o++] = (char)c;
    }
    if (n == 0)
        return -E2BIG;
    dst[o] = '\0';
    return 0;
}

/* Room for a validator as text: each header byte may take two bytes of UTF-8. */
#define REPLY_ETAG_MAX    512
#define REPLY_LASTMOD_MAX 256
_Static_assert(REPLY_ETAG_MAX >= 2 * sizeof((struct fetch_response){0}.etag) &&
                   REPLY_LASTMOD_MAX >= 2 * sizeof((struct fetch_response){0}.last_modified),
               "a validator's text must fit whole");

/* The error line as ASCII: libcurl's messages may quote upstream bytes that are not UTF-8, which
 * JSON cannot carry; without this the helper could not say why it failed. */
static json_t *error_header(const char *error)
{
    json_t *h = json_pack("{s:b, s:s}", "ok", 0, "error", error);
    if (h != NULL)
        return h;
    char ascii[1024];
    size_t i;
    for (i = 0; error[i] && i + 1 < sizeof(ascii); i++)
        ascii[i] = (unsigned char)error[i] < 0x80 ? error[i] : '?';
    ascii[i] = '\0';
    return json_pack("{s:b, s:s}", "ok", 0, "error", ascii);
}

/* The captured headers (fetch.h) as "captured": [..] when any holds a value. 0 or -1. */
static int add_captured(json_t *h, const struct fetch_response *resp)
{
    char text[2 * sizeof(resp->captured[0])];
    bool any = false;
    for (int i = 0; i < FETCH_MAX_CAPTURE; i++)
        any = any || resp->captured[i][0];
    if (!any)
        return 0;
    json_t *c = json_array();
    int rc = c ? 0 : -1;
    for (int i = 0; c && i < FETCH_MAX_CAPTURE; i++) {
        fetchproto_header_text(resp->captured[i], text, sizeof(text));
        rc |= json_array_append_new(c, json_string(text));
    }
    return rc | (c ? json_object_set_new(h, "captured", c) : -1);
}

int fetchproto_write_reply(int fd, int rc, const struct fetch_response *resp, const char *error)
{
    /* Header bytes as ISO 8859-1 text (fetch.h): obs-text is not UTF-8 and json_pack refuses it. */
    char etag[REPLY_ETAG_MAX], lastmod[REPLY_LASTMOD_MAX];
    if (rc == 0) {
        fetchproto_header_text(resp->etag, etag, sizeof(etag));
        fetchproto_header_text(resp->last_modified, lastmod, sizeof(lastmod));
    }
    json_t *h = rc == 0 ? json_pack("{s:b, s:I, s:s, s:s, s:I}", "ok", 1, "status",
                                    (json_int_t)resp->status, "etag", etag, "last_modified",
                                    lastmod, "length", (json_int_t)(resp->body ? resp->len : 0))
                        : error_header(error ? error : "failed");
    if (h == NULL)
        return -1;
    if (rc == 0 && add_captured(h, resp) < 0) {
        json_decref(h);
        return -1;
    }
    /* Upstream text (an error, an ETag) may hold anything: ensure_ascii keeps the line one line. */
    char *line = json_dumps(h, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(h);
    if (line == NULL)
        return -1;
    int w = fetchproto_write_all(fd, line, strlen(line));
    free(line);
    if (w == 0)
        w = fetchproto_write_all(fd, "\n", 1);
    if (w == 0 && rc == 0 && resp->body && resp->len)
        w = fetchproto_write_all(fd, resp->body, resp->len);
    return w;
}

/* Copies s into dst[n] when it fits whole; "" otherwise (a cut ETag would never match). */
static void copy_whole(char *dst, size_t n, const char *s)
{
    size_t len = strlen(s);
    if (len >= n)
        len = 0;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* Which final statuses a reply may carry for req. */
static bool status_ok(const struct fetch_request *req, json_int_t status)
{
    if (req->any_status)
        return status >= 100 && status <= 599;
    return status == 200 || status == 304 || (status == 206 && req->range && req->range[0]);
}

/* "captured" back into out (a value that is not header text is dropped). */
static void copy_captured(const json_t *h, struct fetch_response *out)
{
    const json_t *c = json_object_get(h, "captured");
    for (int i = 0; i < FETCH_MAX_CAPTURE && i < (int)json_array_size(c); i++) {
        const char *v = json_string_value(json_array_get(c, i));
        if (v == NULL || fetchproto_header_bytes(v, out->captured[i], sizeof(out->captured[i])) < 0)
            out->captured[i][0] = '\0';
    }
}

int fetchproto_parse_reply(const char *data, size_t len, const struct fetch_request *req,
                           struct fetch_response *out, char *errbuf, size_t errlen)
{
    const char *nl =
        data ? memchr(data, '\n', len < FETCHPROTO_HEADER_MAX ? len : FETCHPROTO_HEADER_MAX) : NULL;
    json_error_t jerr;
    json_t *h = NULL;
    int ok = 0, rc = -1;
    json_int_t status = 0, length = 0;
    const char *etag = "", *lastmod = "", *error = NULL;
    if (nl == NULL) {
        snprintf(errbuf, errlen, "the fetch helper gave no answer for %.300s", req->url);
        return -1;
    }
    h = json_loadb(data, (size_t)(nl - data), 0, &jerr);
    if (h == NULL || json_unpack_ex(h, &jerr, 0, "{s:b}", "ok", &ok) < 0) {
        snprintf(errbuf, errlen, "the fetch helper's answer for %.300s is garbled", req->url);
        goto out;
    }
    if (!ok) {
        if (json_unpack_ex(h, &jerr, 0, "{s:s}", "error", &error) < 0)
            error = "failed (no reason given)";
        snprintf(errbuf, errlen, "%s", error);
        goto out;
    }
    size_t body_len = len - (size_t)(nl + 1 - data);
    if (json_unpack_ex(h, &jerr, 0, "{s:I, s:s, s:s, s:I}", "status", &status, "etag", &etag,
                       "last_modified", &lastmod, "length", &length) < 0 ||
        !status_ok(req, status) || length < 0 || (size_t)length != body_len ||
        body_len > req->max_bytes) {
        snprintf(errbuf, errlen,
                 "the fetch helper's answer for %.300s is inconsistent (truncated?)", req->url);
        goto out;
    }
    memset(out, 0, sizeof(*out));
    out->status = (long)status;
    copy_whole(out->etag, sizeof(out->etag), etag);
    copy_whole(out->last_modified, sizeof(out->last_modified), lastmod);
    copy_captured(h, out);
    if (status != 304) {
        out->body = malloc(body_len + 1);
        if (out->body == NULL) {
            snprintf(errbuf, errlen, "out of memory fetching %.300s", req->url);
            goto out;
        }
        memcpy(out->body, nl + 1, body_len);
        out->body[body_len] = '\0';
        out->len = body_len;
    }
    rc = 0;
out:
    json_decref(h);
    return rc;
}
