/* curlget.c - libcurl GET with a size cap in the write callback, timeouts, ETag/If-Modified-Since.
 */
#include "fetcher/curlget.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "fetch/fetchproto.h"

/* libcurl's own default cap was 5 (CURLOPT_MAXREDIRS as this helper set it before). */
#define CURLGET_MAX_REDIRECTS 5
/* Longest redirect target followed; the request line carrying the first URL is capped lower. */
#define CURLGET_MAX_URL 4096

struct curlget {
    CURL *h;
};

struct sink {
    struct buf b;
    bool too_big;
};

struct curlget *curlget_new(void)
{
    struct curlget *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->h = curl_easy_init();
    if (f->h == NULL) {
        free(f);
        return NULL;
    }
    return f;
}

void curlget_free(struct curlget *f)
{
    if (f == NULL)
        return;
    curl_easy_cleanup(f->h);
    free(f);
}

/* libcurl 7.88 only stops on an announced Content-Length: the cap must live here. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t n = size * nmemb;
    if (buf_append(&s->b, p, n) < 0) {
        s->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

static void copy_header(CURL *h, const char *name, char *dst, size_t n)
{
    struct curl_header *hd = NULL;
    dst[0] = '\0';
    if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) == CURLHE_OK && hd && hd->value &&
        strlen(hd->value) < n)
        snprintf(dst, n, "%s", hd->value);
}

/* Sets up h for one request of req to url; hop > 0 is a redirect, which may not be file://. */
static void setup(CURL *h, const struct fetch_request *req, const char *url, int hop,
                  struct curl_slist *hdrs, struct sink *s, char *cerr)
{
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "vramfit/" VRAMFIT_VERSION);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, req->connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, req->timeout_s);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, hop == 0 ? "http,https,file" : "http,https");
    /* Redirects are followed here, one hop at a time, so each target can be checked against
     * req->origin before anything is sent to it. */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* the cap applies to decoded bytes */
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    if (req->range && req->range[0])
        curl_easy_setopt(h, CURLOPT_RANGE, req->range);
}

/* The validators' header bytes (fetch.h: they travel as ISO 8859-1 text) as request headers. */
static int validators(const struct fetch_request *req, char etag[256], char lastmod[128],
                      struct curl_slist **hdrs)
{
    char line[512];
    etag[0] = lastmod[0] = '\0';
    /* A validator that cannot be turned back into bytes is not sent (the GET is unconditional). */
    if (req->etag && fetchproto_header_bytes(req->etag, etag, 256) < 0)
        etag[0] = '\0';
    if (req->last_modified && fetchproto_header_bytes(req->last_modified, lastmod, 128) < 0)
        lastmod[0] = '\0';
    if (etag[0]) {
        snprintf(line, sizeof(line), "If-None-Match: %s", etag);
        *hdrs = curl_slist_append(*hdrs, line);
    }
    if (lastmod[0]) {
        snprintf(line, sizeof(line), "If-Modified-Since: %s", lastmod);
        *hdrs = curl_slist_append(*hdrs, line);
    }
    *hdrs = curl_slist_append(*hdrs, "Accept: application/json");
    return *hdrs == NULL ? -ENOMEM : 0;
}

/* base plus "Authorization: Bearer <token>" into *auth (NULL when there is no token). The line
 * is wiped from this stack before returning; libcurl keeps its own copy. 0 or -ENOMEM. */
static int with_bearer(const struct curl_slist *base, const char *bearer, struct curl_slist **auth)
{
    char line[4200];
    *auth = NULL;
    if (bearer == NULL || bearer[0] == '\0')
        return 0;
    if (strlen(bearer) > 4096 || strpbrk(bearer, "\r\n") != NULL)
        return -EINVAL;
    for (const struct curl_slist *l = base; l; l = l->next)
        if ((*auth = curl_slist_append(*auth, l->data)) == NULL)
            return -ENOMEM;
    snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
    struct curl_slist *n = curl_slist_append(*auth, line);
    memset(line, 0, sizeof(line));
    if (n == NULL)
        return -ENOMEM;
    *auth = n;
    return 0;
}

/* Scheme, host and port of url, as libcurl parses it (default ports filled in), into out[n]. */
static bool origin_of(const char *url, char *out, size_t n)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    bool ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
    ok = ok && (size_t)snprintf(out, n, "%s://%s:%s", scheme, host, port) < n;
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}

/* True when a redirect to `to` stays within origin (any target when origin is NULL or ""). */
static bool within_origin(const char *origin, const char *to)
{
    char a[CURLGET_MAX_URL], b[CURLGET_MAX_URL];
    if (origin == NULL || origin[0] == '\0')
        return true;
    /* libcurl lower-cases the scheme but keeps the host's case: hosts compare without it. */
    return origin_of(origin, a, sizeof(a)) && origin_of(to, b, sizeof(b)) && strcasecmp(a, b) == 0;
}

/* True when `to`'s host (or host:port) is one of the comma-separated names in hosts. */
static bool host_listed(const char *hosts, const char *to)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, both[600];
    bool ok = false;
    if (hosts && hosts[0] && u && curl_url_set(u, CURLUPART_URL, to, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        (size_t)snprintf(both, sizeof(both), "%s:%s", host, port) < sizeof(both)) {
        for (const char *p = hosts; *p && !ok;) {
            size_t n = strcspn(p, ",");
            ok = (strlen(host) == n && strncasecmp(p, host, n) == 0) ||
                 (strlen(both) == n && strncasecmp(p, both, n) == 0);
            p += n + (p[n] == ',');
        }
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return ok;
}

/* Copies each header of req->capture not captured yet from the last response into out. */
static void capture_headers(CURL *h, const struct fetch_request *req,
                            char captured[FETCH_MAX_CAPTURE][128])
{
    for (int i = 0; i < FETCH_MAX_CAPTURE && req->capture[i]; i++)
        if (captured[i][0] == '\0')
            copy_header(h, req->capture[i], captured[i], sizeof(captured[i]));
}

static bool is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Runs the GET, following up to CURLGET_MAX_REDIRECTS redirects within req->origin. 0 with the
 * final *status, or -1 with errbuf. */
static int perform(CURL *h, const struct fetch_request *req, const struct curl_slist *const hdrs[2],
                   struct sink *s, long *status, struct fetch_response *out, char *errbuf,
                   size_t errlen)
{
    char url[CURLGET_MAX_URL], cerr[CURL_ERROR_SIZE];
    snprintf(url, sizeof(url), "%s", req->url);
    for (int hop = 0;; hop++) {
        cerr[0] = '\0';
        buf_free(&s->b);
        buf_init(&s->b, req->max_bytes);
        /* The token goes to the first URL's origin only (hdrs[1]), never to a CDN or elsewhere. */
        const struct curl_slist *use =
            hdrs[1] && (hop == 0 || within_origin(req->url, url)) ? hdrs[1] : hdrs[0];
        setup(h, req, url, hop, (struct curl_slist *)(uintptr_t)use, s, cerr);
        CURLcode cc = curl_easy_perform(h);
        *status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        capture_headers(h, req, out->captured);
        if (s->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
            snprintf(errbuf, errlen, "response from %.300s is larger than the %zu-byte limit",
                     req->url, req->max_bytes);
            return -1;
        }
        if (cc != CURLE_OK) {
            snprintf(errbuf, errlen, "%s%s%.200s%s fetching %.300s", curl_easy_strerror(cc),
                     cerr[0] ? " (" : "", cerr, cerr[0] ? ")" : "", req->url);
            return -1;
        }
        const char *to = NULL;
        if (!is_redirect(*status) || curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &to) != CURLE_OK ||
            to == NULL)
            return 0; /* a 3xx without a usable Location is an HTTP error below */
        if (hop == CURLGET_MAX_REDIRECTS) {
            snprintf(errbuf, errlen, "more than %d redirects fetching %.300s",
                     CURLGET_MAX_REDIRECTS, req->url);
            return -1;
        }
        if (strlen(to) >= sizeof(url) ||
            !(within_origin(req->origin, to) ||
              (req->origin && req->origin[0] && host_listed(req->redirect_hosts, to)))) {
            snprintf(errbuf, errlen,
                     "HTTP %ld from %.300s redirects to %.300s, outside the feed's origin (%.300s)",
                     *status, url, to, req->origin ? req->origin : "");
            return -1;
        }
        snprintf(url, sizeof(url), "%s", to);
    }
}

int curlget_get(struct curlget *f, const struct fetch_request *req, struct fetch_response *out,
                char *errbuf, size_t errlen)
{
    CURL *h = f->h;
    struct sink s;
    struct curl_slist *hdrs = NULL, *auth = NULL;
    char etag[256], lastmod[128];
    long status = 0;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    buf_init(&s.b, req->max_bytes);
    s.too_big = false;
    if (validators(req, etag, lastmod, &hdrs) < 0 || with_bearer(hdrs, req->bearer, &auth) < 0) {
        snprintf(errbuf, errlen, "out of memory (or a malformed token) fetching %.300s", req->url);
        goto out;
    }
    const struct curl_slist *const lists[2] = {hdrs, auth};
    if (perform(h, req, lists, &s, &status, out, errbuf, errlen) < 0)
        goto out;
    if (status == 304) {
        out->status = 304;
        snprintf(out->etag, sizeof(out->etag), "%s", etag);
        snprintf(out->last_modified, sizeof(out->last_modified), "%s", lastmod);
        rc = 0;
        goto out;
    }
    if (status != 0 && (status < 200 || status > 299) && !req->any_status) {
        snprintf(errbuf, errlen, "HTTP %ld from %.300s", status, req->url);
        goto out;
    }
    /* The refresher sees any 2xx as 200 (file:// has no status); a range or any_status, as is. */
    out->status = status != 0 && (req->any_status || status == 206) ? status : 200;
    copy_header(h, "ETag", out->etag, sizeof(out->etag));
    copy_header(h, "Last-Modified", out->last_modified, sizeof(out->last_modified));
    out->body = buf_detach(&s.b, &out->len);
    if (out->body == NULL) {
        out->body = strdup("");
        if (out->body == NULL) {
            snprintf(errbuf, errlen, "out of memory fetching %.300s", req->url);
            goto out;
        }
    }
    rc = 0;
out:
    buf_free(&s.b);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(auth);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    return rc;
}
