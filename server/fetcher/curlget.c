/* curlget.c - libcurl GET with a size cap in the write callback, timeouts, ETag/If-Modified-Since.
 */
#include "fetcher/curlget.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"

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

int curlget_get(struct curlget *f, const struct fetch_request *req, struct fetch_response *out,
                char *errbuf, size_t errlen)
{
    CURL *h = f->h;
    struct sink s;
    struct curl_slist *hdrs = NULL;
    char cerr[CURL_ERROR_SIZE] = "";
    char line[512];
    int rc = -1;

    memset(out, 0, sizeof(*out));
    buf_init(&s.b, req->max_bytes);
    s.too_big = false;
    curl_easy_reset(h);
    if (req->etag && req->etag[0]) {
        snprintf(line, sizeof(line), "If-None-Match: %s", req->etag);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (req->last_modified && req->last_modified[0]) {
        snprintf(line, sizeof(line), "If-Modified-Since: %s", req->last_modified);
        hdrs = curl_slist_append(hdrs, line);
    }
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "vramfit/" VRAMFIT_VERSION);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, req->connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, req->timeout_s);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* the cap applies to decoded bytes */
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);

    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(errbuf, errlen, "response from %.300s is larger than the %zu-byte limit", req->url,
                 req->max_bytes);
        goto out;
    }
    if (cc != CURLE_OK) {
        if (cerr[0])
            snprintf(errbuf, errlen, "%s (%.200s) fetching %.300s", curl_easy_strerror(cc), cerr,
                     req->url);
        else
            snprintf(errbuf, errlen, "%s fetching %.300s", curl_easy_strerror(cc), req->url);
        goto out;
    }
    if (status == 304) {
        out->status = 304;
        snprintf(out->etag, sizeof(out->etag), "%s", req->etag ? req->etag : "");
        snprintf(out->last_modified, sizeof(out->last_modified), "%s",
                 req->last_modified ? req->last_modified : "");
        rc = 0;
        goto out;
    }
    if (status != 0 && (status < 200 || status > 299)) {
        snprintf(errbuf, errlen, "HTTP %ld from %.300s", status, req->url);
        goto out;
    }
    out->status = 200;
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
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    return rc;
}
