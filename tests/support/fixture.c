/* fixture.c - libmicrohttpd upstream for the refresh tests: real-format fixtures and failure modes.
 */
#include "support/fixture.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/testsrv.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

#define OVERSIZE_BYTES (64u * 1024 * 1024)

struct fixture {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock;
    char *catalog;
    size_t catalog_len;
    char etag[64];
    char *page1, *page2, *retired;
    enum fixture_mode mode[2];
    unsigned requests[2], not_modified[2];
    char filter[1024];
    atomic_bool stopping;
};

static char *load(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
    return testfile_read(path, len);
}

/* Replaces every @BASE@ with http://127.0.0.1:PORT. */
static char *with_base(const char *text, int port)
{
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    size_t cap = strlen(text) + 1 + 16 * strlen(base), n = 0;
    char *out = malloc(cap);
    for (const char *p = text; out && *p;) {
        if (strncmp(p, "@BASE@", 6) == 0) {
            memcpy(out + n, base, strlen(base));
            n += strlen(base);
            p += 6;
        } else {
            out[n++] = *p++;
        }
    }
    if (out)
        out[n] = '\0';
    return out;
}

static enum MHD_Result send_copy(struct MHD_Connection *c, unsigned status, const char *body,
                                 size_t len, const char *etag)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    if (etag && etag[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

struct stream {
    size_t total, sent, stop_at;
};

static ssize_t stream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    (void)pos;
    if (s->sent >= s->stop_at)
        return s->stop_at < s->total ? MHD_CONTENT_READER_END_WITH_ERROR
                                     : MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = s->stop_at - s->sent < max ? s->stop_at - s->sent : max;
    memset(buf, ' ', n);
    if (s->sent == 0 && n > 0)
        buf[0] = '[';
    s->sent += n;
    return (ssize_t)n;
}

static enum MHD_Result failure(struct fixture *f, struct MHD_Connection *c, enum fixture_mode m,
                               const char *ok_body, size_t ok_len)
{
    if (m == FIXTURE_500)
        return send_copy(c, 500, "upstream exploded", 17, NULL);
    if (m == FIXTURE_GARBAGE)
        return send_copy(c, 200, "<html>502 Bad Gateway</html>", 28, NULL);
    if (m == FIXTURE_HANG) {
        for (int i = 0; i < 400 && !atomic_load(&f->stopping); i++) {
            struct timespec ts = {0, 25 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        return MHD_NO;
    }
    struct stream *s = calloc(1, sizeof(*s));
    if (m == FIXTURE_TRUNCATE) {
        s->total = ok_len;
        s->stop_at = ok_len / 2;
    } else {
        s->total = OVERSIZE_BYTES;
        s->stop_at = OVERSIZE_BYTES;
    }
    (void)ok_body; /* truncation sends filler: what matters is the early close */
    struct MHD_Response *r = MHD_create_response_from_callback(
        m == FIXTURE_TRUNCATE ? s->total : MHD_SIZE_UNKNOWN, 64 * 1024, stream_cb, s, free);
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* The obs-text validators FIXTURE_OBS_TEXT sends (RFC 9110 allows 0x80-0xFF in field values). */
#define OBS_ETAG    "\"caf\xe9-\xff\""
#define OBS_LASTMOD "Thu, 01 Jan 2026 00:00:00 GMT \xa0"

/* A body-less answer: a 304 with its ETag, or a 302 to location. */
static enum MHD_Result send_status(struct MHD_Connection *c, unsigned status, const char *etag,
                                   const char *location)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (etag && etag[0])
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    if (location)
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Page 2 with its (empty) NextPageLink pointing at $skip=link instead. */
static char *page_linking(const struct fixture *f, int link)
{
    const char *at = strstr(f->page2, "\"NextPageLink\": \"\"");
    if (at == NULL)
        return NULL;
    size_t head = (size_t)(at - f->page2), cap = strlen(f->page2) + 256;
    char *out = malloc(cap);
    if (out)
        snprintf(out, cap,
                 "%.*s\"NextPageLink\": "
                 "\"http://127.0.0.1:%d/prices?api-version=2023-01-01-preview&$skip=%d\"%s",
                 (int)head, f->page2, f->port, link, at + strlen("\"NextPageLink\": \"\""));
    return out;
}

/* What a price page request gets in mode m (page 2 and later carry $skip). *location is set for
 * a redirect. */
static char *prices_body(struct fixture *f, struct MHD_Connection *c, const char *url,
                         enum fixture_mode m, char *location, size_t n)
{
    const char *skip = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "$skip");
    const char *filter = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "$filter");
    if (skip == NULL)
        snprintf(f->filter, sizeof(f->filter), "%s", filter ? filter : "");
    if (m == FIXTURE_EMPTY)
        return strdup("{\"Items\": [], \"NextPageLink\": null, \"Count\": 0}");
    if (skip == NULL)
        return strdup(f->page1);
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    /* Served normally once there, so that following the redirect would "work". */
    if (m == FIXTURE_REDIRECT_AWAY && host && strncmp(host, "localhost", 9) != 0)
        snprintf(location, n, "http://localhost:%d/prices?api-version=2023-01-01-preview&$skip=%s",
                 f->port, skip);
    if (m == FIXTURE_REDIRECT_HOME && strcmp(url, "/prices-moved") != 0)
        snprintf(location, n, "/prices-moved?api-version=2023-01-01-preview&$skip=%s", skip);
    if (m == FIXTURE_PAGE_CYCLE)
        return page_linking(f, strcmp(skip, "100") == 0 ? 200 : 100);
    return strdup(f->page2);
}

static enum MHD_Result on_req(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    struct fixture *f = cls;
    if (*req_cls == NULL) {
        *req_cls = f;
        return MHD_YES;
    }
    enum fixture_path p = strcmp(url, "/catalog") == 0 ? FIXTURE_CATALOG : FIXTURE_PRICES;
    if (strcmp(url, "/catalog") != 0 && strcmp(url, "/prices") != 0 &&
        strcmp(url, "/prices-moved") != 0)
        return send_copy(c, 404, "no", 2, NULL);
    pthread_mutex_lock(&f->lock);
    f->requests[p]++;
    enum fixture_mode m = f->mode[p];
    char *body = NULL, location[512] = "";
    size_t len = 0;
    char etag[64] = "";
    bool page2 = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "$skip") != NULL;
    if (p == FIXTURE_CATALOG) {
        body = m == FIXTURE_EMPTY         ? strdup("{\"skus\": [{\"sku\": \"Standard_Bad\", "
                                                           "\"vram_gb\": -1}]}")
               : m == FIXTURE_ALL_RETIRED ? strdup(f->retired)
                                          : strdup(f->catalog);
        snprintf(etag, sizeof(etag), "%s", m == FIXTURE_OBS_TEXT ? OBS_ETAG : f->etag);
    } else {
        body = prices_body(f, c, url, m, location, sizeof(location));
    }
    const char *inm =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool not_modified =
        (m == FIXTURE_OK || m == FIXTURE_OBS_TEXT) && etag[0] && inm && strcmp(inm, etag) == 0;
    if (not_modified)
        f->not_modified[p]++;
    pthread_mutex_unlock(&f->lock);
    len = body ? strlen(body) : 0;
    enum MHD_Result ret;
    if (not_modified || m == FIXTURE_NOT_MODIFIED || (m == FIXTURE_NOT_MODIFIED_PAGE2 && page2)) {
        ret = send_status(c, 304, etag, NULL);
    } else if (location[0]) {
        ret = send_status(c, 302, NULL, location);
    } else if (m == FIXTURE_OBS_TEXT) {
        struct MHD_Response *r = MHD_create_response_from_buffer(
            len, (void *)(uintptr_t)(body ? body : ""), MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, OBS_LASTMOD);
        ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
    } else if (m == FIXTURE_500 || m == FIXTURE_HANG || m == FIXTURE_GARBAGE ||
               m == FIXTURE_TRUNCATE || m == FIXTURE_OVERSIZE) {
        ret = failure(f, c, m, body, len);
    } else {
        ret = send_copy(c, 200, body ? body : "", len, etag);
    }
    free(body);
    return ret;
}

struct fixture *fixture_start(void)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    atomic_init(&f->stopping, false);
    f->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                            NULL, NULL, on_req, f, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_END);
    if (f->d == NULL) {
        free(f);
        return NULL;
    }
    f->port = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char *p1 = load("prices-gpu-page1.json", NULL);
    f->page1 = p1 ? with_base(p1, f->port) : NULL;
    free(p1);
    f->page2 = load("prices-gpu-page2.json", NULL);
    f->retired = load("catalog-all-retired.json", NULL);
    fixture_set_catalog(f, "catalog-url-a.json", "a");
    return f;
}

int fixture_port(const struct fixture *f)
{
    return f->port;
}

void fixture_url(const struct fixture *f, enum fixture_path p, char *dst, size_t n)
{
    snprintf(dst, n, "http://127.0.0.1:%d/%s", f->port,
             p == FIXTURE_CATALOG ? "catalog" : "prices");
}

void fixture_set_catalog(struct fixture *f, const char *file, const char *etag)
{
    size_t len = 0;
    char *data = load(file, &len);
    pthread_mutex_lock(&f->lock);
    free(f->catalog);
    f->catalog = data;
    f->catalog_len = len;
    snprintf(f->etag, sizeof(f->etag), "\"%s\"", etag);
    pthread_mutex_unlock(&f->lock);
}

void fixture_set_mode(struct fixture *f, enum fixture_path p, enum fixture_mode m)
{
    pthread_mutex_lock(&f->lock);
    f->mode[p] = m;
    pthread_mutex_unlock(&f->lock);
}

unsigned fixture_requests(struct fixture *f, enum fixture_path p)
{
    pthread_mutex_lock(&f->lock);
    unsigned n = f->requests[p];
    pthread_mutex_unlock(&f->lock);
    return n;
}

unsigned fixture_not_modified(struct fixture *f, enum fixture_path p)
{
    pthread_mutex_lock(&f->lock);
    unsigned n = f->not_modified[p];
    pthread_mutex_unlock(&f->lock);
    return n;
}

void fixture_last_filter(struct fixture *f, char *dst, size_t n)
{
    pthread_mutex_lock(&f->lock);
    snprintf(dst, n, "%s", f->filter);
    pthread_mutex_unlock(&f->lock);
}

void fixture_stop(struct fixture *f)
{
    if (f == NULL)
        return;
    atomic_store(&f->stopping, true);
    MHD_stop_daemon(f->d);
    pthread_mutex_destroy(&f->lock);
    free(f->catalog);
    free(f->page1);
    free(f->page2);
    free(f->retired);
    free(f);
}
