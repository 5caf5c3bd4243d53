/* http.c - libmicrohttpd glue: per-request state, bounded bodies, routing, JSON replies, logs. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "azure/catalog.h"
#include "http/bodycache.h"
#include "base/buf.h"
#include "http/cors.h"
#include "http/gzip.h"
#include "base/jsonout.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "http/reqid.h"
#include "http/routes.h"

/* At most this many already-connected clients are taken from the backlog when quiescing. */
#define HTTP_MAX_BACKLOG_HANDOVER 1024
/* libmicrohttpd's per-connection memory (see http_start). */
#define HTTP_POOL_BYTES (20 * 1024)
/* The probe listener's slots, and how many of them one client address may hold: kubelet
 * probes a container with one connection at a time per probe, Prometheus scrapes with one. */
#define HTTP_PROBE_CONNECTIONS 64
#define HTTP_PROBE_PER_IP      16
/* Give freed heap back to the kernel once this many connections have closed since the peak. */
#define HTTP_TRIM_AFTER_CLOSED 256

/*
 * Lingering close (nginx's lingering_close, whose lingering_time is 30 s): a body over the cap
 * that was sent without "Expect: 100-continue" is read and discarded, and the 413 is queued
 * once it has all arrived, so a client that writes its whole body before reading (Python's
 * http.client, most pipelines) reads the answer instead of a reset. Bounded by size and time:
 * a body announced or streamed past HTTP_LINGER_BYTES, or still arriving HTTP_LINGER_MS after
 * the request began, is cut (the announced case is answered at once, then closed).
 */
#define HTTP_LINGER_BYTES (64ull * 1024 * 1024)
#define HTTP_LINGER_MS    10000.0

/*
 * Request deadline (slowloris defence). MHD's connection timeout is an idle timeout: a client that
 * sends one byte a second is never idle, so it could hold a connection for hours, and enough of
 * them would take every slot. Each connection records when its current request began arriving
 * (connect, or the end of the previous response); a reaper thread shuts down the socket of any
 * connection still receiving its request after the connection timeout. shutdown() leaves closing
 * to MHD, and the record is removed under the same lock in MHD's "closed" notification, which
 * comes before MHD closes the descriptor, so the reaper never touches a reused descriptor.
 */
struct conn_track {
    struct conn_track *prev, *next;
    MHD_socket fd;
    _Atomic int64_t since_ms; /* monotonic ms when the current request began; 0 = answering */
    bool cut;
    char remote[INET6_ADDRSTRLEN]; /* the client's address, formatted once per connection */
};

/* The client's address as text ("" when unknown). */
static void format_remote(struct MHD_Connection *conn, char *dst, size_t n)
{
    dst[0] = '\0';
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, dst,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, dst,
                  (socklen_t)n);
}

/* Copies src into dst[n], cut short if need be; snprintf("%s") costs a vfprintf per call. */
static void copy_cut(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

struct http_server {
    struct MHD_Daemon *daemon;
    struct MHD_Daemon *probe;   /* the --probe-port listener, or NULL */
    pthread_mutex_t conns_lock; /* guards conns, reaper_stop and every conn_track.cut */
    pthread_cond_t reaper_cv;
    struct conn_track *conns;
    size_t nconns, nconns_peak; /* tracked connections now, and most since the last trim */
    pthread_t reaper;
    bool reaper_started, reaper_stop;
    int64_t request_deadline_ms;
    struct bodycache *skus_cache;
    MHD_socket listen_fd; /* returned by quiesce; closed only after MHD_stop_daemon */
    struct store *store;
    struct hub *hub;
    char today[CATALOG_DATE_SIZE];
    atomic_bool draining;
    atomic_uint in_flight;
    int port;
    int probe_port; /* bound, or -1 without a probe listener */
};

/* Per-request state: created on the first callback, freed when MHD reports completion. */
struct request {
    const struct route *route;
    char method[16];
    char path[256];
    struct buf body;
    unsigned long long drained;  /* bytes discarded after the body went over the cap */
    unsigned long long declared; /* Content-Length of an oversized body, 0 when unknown */
    bool too_big;
    bool started;   /* the access handler has seen this request's headers */
    bool close;     /* the answer carries "Connection: close" (framing errors) */
    bool uri_space; /* the raw request target holds a space (RFC 9112 3.2: 400) */
    bool uri_nul;   /* the raw request target holds %00 (would truncate a path or value) */
    bool probe;     /* arrived on the probe listener */
    bool hold;      /* an answer decided now is held until the body has been read */
    struct MHD_Response *held; /* that answer (its status in .status), queued at the body's end */
    int status;                /* what we queued; 0 until then */
    struct timespec t0;
    bool pretty;    /* indented JSON: ?pretty=1, or curl's User-Agent without ?pretty=0 */
    bool gzip_ok;   /* Accept-Encoding admits gzip */
    bool preflight; /* OPTIONS on a known route */
    char request_id[REQID_MAX + 1];
    char origin[256];  /* the Origin header, "" when absent or too long to be one */
    char etag[48];     /* the reply's ETag, "" for none */
    int retry_after_s; /* sent as Retry-After when > 0 (a 503 from the Hub resolver) */
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct conn_track *conn_track_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *srv = cls;
    struct conn_track *t = *socket_ctx;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        t = calloc(1, sizeof(*t));
        if (t == NULL || ci == NULL) {
            free(t); /* untracked: only MHD's idle timeout applies to this one */
            return;
        }
        t->fd = ci->connect_fd;
        atomic_init(&t->since_ms, now_ms());
        format_remote(conn, t->remote, sizeof(t->remote));
        pthread_mutex_lock(&srv->conns_lock);
        t->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = t;
        srv->conns = t;
        if (++srv->nconns > srv->nconns_peak)
            srv->nconns_peak = srv->nconns;
        pthread_mutex_unlock(&srv->conns_lock);
        *socket_ctx = t;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && t != NULL) {
        pthread_mutex_lock(&srv->conns_lock);
        if (t->prev)
            t->prev->next = t->next;
        else
            srv->conns = t->next;
        if (t->next)
            t->next->prev = t->prev;
        srv->nconns--;
        pthread_mutex_unlock(&srv->conns_lock);
        free(t);
        *socket_ctx = NULL;
    }
}

static void *reaper_main(void *arg)
{
    struct http_server *srv = arg;
    pthread_mutex_lock(&srv->conns_lock);
    while (!srv->reaper_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->reaper_cv, &srv->conns_lock, &ts);
        int64_t now = now_ms();
        for (struct conn_track *t = srv->conns; t != NULL; t = t->next) {
            int64_t since = atomic_load_explicit(&t->since_ms, memory_order_relaxed);
            if (since != 0 && !t->cut && now - since > srv->request_deadline_ms) {
                shutdown(t->fd, SHUT_RDWR);
                t->cut = true;
            }
        }
        /* After a burst of connections has gone (thousands of idle ones, say), libmicrohttpd's
         * per-connection structures leave free holes in glibc's arenas that it keeps resident;
         * malloc_trim hands those pages back. Rare: only when the count fell by a burst's worth. */
        if (srv->nconns_peak >= srv->nconns + HTTP_TRIM_AFTER_CLOSED) {
            srv->nconns_peak = srv->nconns;
            pthread_mutex_unlock(&srv->conns_lock);
            malloc_trim(0);
            pthread_mutex_lock(&srv->conns_lock);
        }
    }
    pthread_mutex_unlock(&srv->conns_lock);
    return NULL;
}

static int reaper_start(struct http_server *srv)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return -1;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&srv->reaper_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return -1;
    if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0) {
        pthread_cond_destroy(&srv->reaper_cv);
        return -1;
    }
    srv->reaper_started = true;
    return 0;
}

static void reaper_stop(struct http_server *srv)
{
    if (!srv->reaper_started)
        return;
    pthread_mutex_lock(&srv->conns_lock);
    srv->reaper_stop = true;
    pthread_cond_signal(&srv->reaper_cv);
    pthread_mutex_unlock(&srv->conns_lock);
    pthread_join(srv->reaper, NULL);
    pthread_cond_destroy(&srv->reaper_cv);
    srv->reaper_started = false;
}

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Headers every response carries: request id, CORS, Vary, draining, and the route's Allow. */
static void common_headers(struct http_server *srv, struct request *req, struct MHD_Response *resp,
                           const char *allow, bool has_body)
{
    /* A body's encoding depends on Accept-Encoding; with an origin list, headers on Origin. */
    const char *vary = has_body ? (cors_varies() ? "Accept-Encoding, Origin" : "Accept-Encoding")
                                : (cors_varies() ? "Origin" : NULL);
    if (vary)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, vary);
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    if (req->etag[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, req->etag);
    cors_add_headers(resp, req->origin[0] ? req->origin : NULL);
    if (allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (req->retry_after_s > 0) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%d", req->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (req->close || atomic_load_explicit(&srv->draining, memory_order_relaxed))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

/*
 * Queues body (len bytes) as the response. owned: body is malloc'd and taken over (freed here
 * on every path); otherwise it is static storage. Large bodies are gzipped when accepted.
 */
static enum MHD_Result queue_body(struct http_server *srv, struct MHD_Connection *conn,
                                  struct request *req, int status, const char *content_type,
                                  char *body, size_t len, bool owned, const char *allow)
{
    bool gzipped = false;
    if (req->gzip_ok && len >= GZIP_MIN_BYTES) {
        char *z = NULL;
        size_t zlen = 0;
        if (gzip_compress(body, len, &z, &zlen) == 0) {
            if (owned)
                free(body);
            body = z;
            len = zlen;
            owned = true;
            gzipped = true;
        }
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    /* With an ETag a cache may keep the body but must revalidate (If-None-Match, 304). */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            req->etag[0] ? "no-cache" : "no-store");
    if (gzipped)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    common_headers(srv, req, resp, allow, true);
    req->status = status;
    if (req->hold) { /* an early answer kept until the body has been read (lingering close) */
        req->held = resp;
        return MHD_YES;
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Serializes json (consumed) and queues it; a NULL json becomes a 500 error body. */
static enum MHD_Result reply(struct http_server *srv, struct MHD_Connection *conn,
                             struct request *req, int status, json_t *json, const char *allow)
{
    char *text = NULL;
    if (json != NULL) {
        text = jsonout_dumps(json, req->pretty ? 2 : 0, NULL);
        json_decref(json);
    }
    if (text == NULL) {
        status = 500;
        text = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"could not build the "
                      "response (out of memory)\"}}");
        if (text == NULL)
            return MHD_NO;
    }
    /* A trailing newline keeps shell prompts tidy after curl. */
    size_t len = strlen(text);
    char *body = realloc(text, len + 2);
    if (body == NULL) {
        free(text);
        return MHD_NO;
    }
    body[len] = '\n';
    body[len + 1] = '\0';
    return queue_body(srv, conn, req, status, "application/json", body, len + 1, true, allow);
}

/* OPTIONS on a known route: 204 with Allow, plus the preflight headers for an allowed origin. */
static enum MHD_Result reply_options(struct http_server *srv, struct MHD_Connection *conn,
                                     struct request *req)
{
    const char *allow = routes_allow(req->route);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    common_headers(srv, req, resp, allow, false);
    cors_add_preflight(resp, allow);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_NO_CONTENT, resp);
    MHD_destroy_response(resp);
    req->status = 204;
    return ret;
}

static enum MHD_Result reply_error(struct http_server *srv, struct MHD_Connection *conn,
                                   struct request *req, int status, const char *code,
                                   const char *field, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static enum MHD_Result reply_error(struct http_server *srv, struct MHD_Connection *conn,
                                   struct request *req, int status, const char *code,
                                   const char *field, const char *allow, const char *fmt, ...)
{
    struct error_info err;
    error_clear(&err);
    err.status = status;
    snprintf(err.code, sizeof(err.code), "%s", code);
    snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    error_fix_utf8(err.message); /* the path or a header value may be anything */
    return reply(srv, conn, req, status, api_error_json(&err), allow);
}

/* application/json, any case, optionally followed by parameters; also the +json suffix. */
static bool is_json_media_type(const char *ct)
{
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    if (n == 16 && strncasecmp(ct, "application/json", 16) == 0)
        return true;
    return n > 17 && strncasecmp(ct, "application/", 12) == 0 &&
           strncasecmp(ct + n - 5, "+json", 5) == 0;
}

/* RFC 9110 5.6.2: tchar, the characters of a token such as a field name. */
static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The most whitespace between a field's colon and its value that we look through. */
#define HTTP_MAX_OWS 256

/*
 * Whether value sits right after its name in the request line it came from. libmicrohttpd 0.9.75
 * parses header lines in place (name, a NUL where the colon was, optional whitespace, value) and
 * joins an obs-fold continuation line by copying the name elsewhere in its pool and appending the
 * continuation to it, so a folded field's value no longer follows its name. Both live in the
 * connection's one memory pool, so the bytes between them are readable.
 */
static bool value_follows_name(const char *key, size_t klen, const char *value)
{
    uintptr_t k = (uintptr_t)key + klen + 1, v = (uintptr_t)value;
    if (v < k || v - k > HTTP_MAX_OWS)
        return false;
    for (const char *p = key + klen + 1; p < value; p++)
        if (*p != ' ' && *p != '\t')
            return false;
    return true;
}

/* What scan_field found among the request's header fields. */
struct framing {
    unsigned hosts, lengths, codings;
    const char *coding; /* the (first) Transfer-Encoding value */
    bool bad_name;      /* a field name that is not a token ("Content-Length " before a colon) */
    bool folded;        /* an obs-fold continuation line */
};

static enum MHD_Result scan_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen,
                                  const char *value, size_t vlen)
{
    (void)kind;
    (void)vlen;
    struct framing *f = cls;
    for (size_t i = 0; i < klen; i++)
        if (!is_tchar((unsigned char)key[i]))
            f->bad_name = true;
    if (klen == 0)
        f->bad_name = true;
    if (value != NULL && !value_follows_name(key, klen, value))
        f->folded = true;
    if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
        f->hosts++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        f->lengths++;
    else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0 && f->codings++ == 0)
        f->coding = value ? value : "";
    return MHD_YES;
}

/*
 * RFC 9112 message framing, checked before anything else: the shapes a lenient server and a
 * proxy in front of it could read differently (request smuggling) are refused and the
 * connection closed. libmicrohttpd reads the body by Transfer-Encoding when there is one and by
 * the first Content-Length otherwise, and accepts all of these shapes itself.
 */
static enum MHD_Result check_framing(struct http_server *srv, struct MHD_Connection *conn,
                                     struct request *req, const char *version, bool *refused)
{
    struct framing f = {0};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_field, &f);
    const char *why = NULL;
    int status = 400;
    if (req->uri_space)
        why = "the request target must not contain a space (RFC 9112 section 3.2)";
    else if (req->uri_nul)
        why = "the request target must not contain %00 (a NUL byte) in its path or query";
    else if (f.bad_name)
        why = "a header field name must be a token, with no whitespace before the colon (RFC "
              "9112 section 5.1)";
    else if (f.folded)
        why = "obsolete line folding in a header field is not accepted (RFC 9112 section 5.2)";
    else if (f.hosts > 1)
        why = "more than one Host header (RFC 9112 section 3.2)";
    else if (f.hosts == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
        why = "an HTTP/1.1 request must have a Host header (RFC 9112 section 3.2)";
    else if (f.codings > 0 && f.lengths > 0)
        why = "Content-Length and Transfer-Encoding together (RFC 9112 section 6.1)";
    else if (f.lengths > 1)
        why = "more than one Content-Length header (RFC 9112 section 6.3)";
    else if (f.codings > 0 && (f.codings > 1 || strcasecmp(f.coding, "chunked") != 0)) {
        status = 501;
        why = "the only transfer coding accepted is \"chunked\" (RFC 9112 section 6.1)";
    }
    *refused = why != NULL;
    if (why == NULL)
        return MHD_YES;
    req->close = true; /* whatever follows on this connection cannot be trusted */
    return reply_error(srv, conn, req, status, status == 501 ? "not_implemented" : "bad_request",
                       NULL, NULL, "%s", why);
}

/* The routes the probe listener serves: cheap, answered from memory, needed by the platform. */
static bool probe_route(const struct route *r)
{
    const char *t = routes_template(r);
    return strcmp(t, "/healthz") == 0 || strcmp(t, "/readyz") == 0 || strcmp(t, "/metrics") == 0;
}

/* Whether the client waits for "100 Continue" before sending its body. */
static bool expects_continue(struct MHD_Connection *conn)
{
    const char *e = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    return e != NULL && strcasecmp(e, "100-continue") == 0;
}

/* Whether a body follows the headers: a Content-Length other than 0, or a (chunked) coding. */
static bool body_follows(struct MHD_Connection *conn)
{
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return (cl != NULL && strspn(cl, "0") != strlen(cl)) ||
           MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) !=
               NULL;
}

/*
 * A body announced over the cap. A client that waits for "100 Continue" is answered now and
 * sends nothing; one that sends its body anyway would be reset by an early answer before reading
 * it (the kernel resets a connection closed with unread data), so that body is read and
 * discarded and the 413 sent at its end (lingering close), unless it is past the linger bound.
 */
static enum MHD_Result body_too_big(struct http_server *srv, struct MHD_Connection *conn,
                                    struct request *req, unsigned long long len)
{
    req->hold = false;
    if (expects_continue(conn) || len > HTTP_LINGER_BYTES)
        return reply_error(srv, conn, req, 413, "body_too_large", NULL, NULL,
                           "the request body is %llu bytes; the limit is %d bytes", len,
                           API_MAX_BODY);
    req->too_big = true;
    req->declared = len;
    buf_free(&req->body);
    return MHD_YES;
}

/* Decides what can be decided from the headers alone (404, 405, 415, 413) before any body. */
static enum MHD_Result on_headers(struct http_server *srv, struct MHD_Connection *conn,
                                  struct request *req, const char *method, const char *version)
{
    bool refused = false;
    enum MHD_Result framing = check_framing(srv, conn, req, version, &refused);
    if (refused)
        return framing; /* at once: a body with broken framing is not read */
    req->hold = body_follows(conn) && !expects_continue(conn);
    const struct route *r = req->route;
    const char *pretty = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "pretty");
    if (pretty != NULL) {
        if (pretty[0] == '\0' || strcmp(pretty, "1") == 0 || strcmp(pretty, "true") == 0)
            req->pretty = true;
        else if (strcmp(pretty, "0") == 0 || strcmp(pretty, "false") == 0)
            req->pretty = false;
        else
            return reply_error(srv, conn, req, 400, "invalid_query", "pretty", NULL,
                               "pretty must be 1, true, 0 or false (got \"%.40s\")", pretty);
    }
    if (r == NULL)
        return reply_error(srv, conn, req, 404, "not_found", NULL, NULL,
                           "no route %s %.200s; routes: %s", method, req->path, routes_summary());
    if (req->probe && !probe_route(r))
        return reply_error(srv, conn, req, 404, "not_found", NULL, NULL,
                           "the probe port serves only GET /healthz, /readyz and /metrics; %.200s "
                           "is on the main port",
                           req->path);
    if (strcmp(method, "OPTIONS") == 0) {
        /* Answered on the final call, once any body is read: a response queued from the headers
         * alone makes libmicrohttpd close the connection instead of keeping it alive. */
        req->preflight = true;
        return MHD_YES;
    }
    bool method_ok = strcmp(method, r->method) == 0 ||
                     (strcmp(r->method, "GET") == 0 && strcmp(method, "HEAD") == 0);
    if (!method_ok)
        return reply_error(srv, conn, req, 405, "method_not_allowed", NULL, routes_allow(r),
                           "%s does not accept %s; allowed: %s", r->path, method, routes_allow(r));
    if (!r->has_body)
        return MHD_YES;

    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct != NULL && !is_json_media_type(ct))
        return reply_error(srv, conn, req, 415, "unsupported_media_type", NULL, NULL,
                           "Content-Type must be application/json, not \"%.80s\" (with curl: -H "
                           "'Content-Type: application/json')",
                           ct);
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long len = strtoull(cl, &end, 10);
        if (errno == 0 && end != cl && len > API_MAX_BODY)
            return body_too_big(srv, conn, req, len);
    }
    return MHD_YES;
}

struct params {
    struct skus_param list[ROUTES_MAX_PARAMS];
    size_t n;
    bool overflow;
};

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct params *p = cls;
    /* ?pretty is the HTTP layer's own (every route); handlers never see it. */
    if (strcmp(key, "pretty") == 0)
        return MHD_YES;
    if (p->n == ROUTES_MAX_PARAMS) {
        p->overflow = true;
        return MHD_NO;
    }
    p->list[p->n].name = key;
    p->list[p->n].value = value ? value : "";
    p->n++;
    return MHD_YES;
}

/* 304 Not Modified: the ETag and no body. */
static enum MHD_Result reply_not_modified(struct http_server *srv, struct MHD_Connection *conn,
                                          struct request *req)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    common_headers(srv, req, resp, NULL, true);
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, resp);
    MHD_destroy_response(resp);
    req->status = MHD_HTTP_NOT_MODIFIED;
    return ret;
}

/*
 * Queues a handler's shared, already serialized JSON body without copying it; out->shared_release
 * runs when MHD is done with it. A client that asked for gzip or indented JSON gets a copy
 * through the usual paths instead.
 */
static enum MHD_Result reply_shared(struct http_server *srv, struct MHD_Connection *conn,
                                    struct request *req, int status, const struct route_reply *out)
{
    if (req->pretty && !out->shared_indented) {
        /* Re-indented text, no parse tree: a 4,096-size /skus took 1.6 s and tens of MB. */
        size_t len = 0;
        char *text = jsonout_reindent(out->shared, out->shared_len, 2, &len);
        char *body = text ? realloc(text, len + 2) : NULL;
        if (out->shared_release)
            out->shared_release(out->shared_cls);
        if (body == NULL) {
            free(text);
            return reply(srv, conn, req, status, NULL, NULL); /* the 500 */
        }
        memcpy(body + len, "\n", 2);
        return queue_body(srv, conn, req, status, "application/json", body, len + 1, true, NULL);
    }
    if (req->gzip_ok) {
        char *copy = malloc(out->shared_len ? out->shared_len : 1);
        if (copy != NULL)
            memcpy(copy, out->shared, out->shared_len);
        if (out->shared_release)
            out->shared_release(out->shared_cls);
        if (copy == NULL)
            return MHD_NO;
        return queue_body(srv, conn, req, status, "application/json", copy, out->shared_len, true,
                          NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
        out->shared_len, (void *)(uintptr_t)out->shared, out->shared_release, out->shared_cls);
    if (resp == NULL) {
        if (out->shared_release)
            out->shared_release(out->shared_cls);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            req->etag[0] ? "no-cache" : "no-store");
    common_headers(srv, req, resp, NULL, true);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)status, resp);
    MHD_destroy_response(resp);
    req->status = status;
    return ret;
}

/*
 * A new request's state; metrics and the in-flight count start here. NULL when out of memory.
 * Freed by on_completed, which libmicrohttpd calls for every request that got this far.
 */
static struct request *request_new(struct http_server *srv)
{
    struct request *req = calloc(1, sizeof(*req));
    if (req == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &req->t0);
    metrics_request_begin();
    atomic_fetch_add(&srv->in_flight, 1);
    buf_init(&req->body, API_MAX_BODY);
    return req;
}

/*
 * libmicrohttpd's URI log callback: it sees the request target as sent, before the target is
 * split and percent-decoded (a decoded %00 would end the path or a query value early, and a
 * space is not visible at all after the split). Its return value becomes the request's context.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    struct request *req = request_new(cls);
    if (req == NULL)
        return NULL;
    req->uri_space = strchr(uri, ' ') != NULL;
    req->uri_nul = strstr(uri, "%00") != NULL;
    return req;
}

/* The path of an absolute-form target ("http://host/p" -> "/p"; RFC 9112 3.2.2 says a server
 * must accept it); any other url as it is. */
static const char *origin_path(const char *url)
{
    size_t skip = strncasecmp(url, "http://", 7) == 0    ? 7
                  : strncasecmp(url, "https://", 8) == 0 ? 8
                                                         : 0;
    if (skip == 0)
        return url;
    const char *slash = strchr(url + skip, '/');
    return slash ? slash : "/";
}

/* The first call for a request: what its headers say, then what can be answered from them. */
static enum MHD_Result request_start(struct http_server *srv, struct MHD_Connection *conn,
                                     struct request *req, const char *url, const char *method,
                                     const char *version)
{
    req->started = true;
    const union MHD_ConnectionInfo *di = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
    req->probe = di != NULL && srv->probe != NULL && di->daemon == srv->probe;
    url = origin_path(url);
    copy_cut(req->method, sizeof(req->method), method);
    copy_cut(req->path, sizeof(req->path), url);
    req->route = routes_find(url);
    reqid_pick(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id"), req->request_id);
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (origin && strlen(origin) < sizeof(req->origin))
        copy_cut(req->origin, sizeof(req->origin), origin);
    req->gzip_ok = gzip_accepted(
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
    /* Humans at a shell get indented JSON by default; ?pretty=0 turns it off. */
    const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
    req->pretty = ua != NULL && strncmp(ua, "curl/", 5) == 0;
    enum MHD_Result ret = on_headers(srv, conn, req, method, version);
    req->hold = false; /* only answers decided from the headers wait for the body */
    return ret;
}

/* Counts n body bytes read and discarded; MHD_NO (hang up) once past the linger bound. */
static enum MHD_Result linger(struct request *req, size_t n)
{
    req->drained += n;
    if (req->drained > HTTP_LINGER_BYTES || elapsed_ms(&req->t0) > HTTP_LINGER_MS)
        return MHD_NO;
    return MHD_YES;
}

/* A chunk of body: kept while under the cap, then counted and discarded (lingering close). */
static enum MHD_Result take_body(struct request *req, const char *data, size_t n)
{
    if (!req->too_big && buf_append(&req->body, data, n) == -E2BIG) {
        req->too_big = true;
        buf_free(&req->body);
    }
    return req->too_big ? linger(req, n) : MHD_YES;
}

/* The body has all been read: queues the answer held since the headers. */
static enum MHD_Result queue_held(struct MHD_Connection *conn, struct request *req)
{
    struct MHD_Response *resp = req->held;
    req->held = NULL;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)req->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct http_server *srv = cls;
    struct request *req = *req_cls;

    if (req == NULL) { /* on_uri ran out of memory */
        req = request_new(srv);
        if (req == NULL)
            return MHD_NO;
        *req_cls = req;
    }
    if (!req->started)
        return request_start(srv, conn, req, url, method, version);
    if (req->held != NULL) {
        /* Answered from the headers while a body follows: read and discard it, then answer. */
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return n != 0 ? linger(req, n) : queue_held(conn, req);
    }
    if (req->status != 0) {
        /* Already answered from the headers: MHD discards whatever body still arrives. */
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (*upload_data_size != 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return take_body(req, upload_data, n);
    }

    /* Final call: the whole request is here; the request deadline no longer applies. */
    struct conn_track *track = conn_track_of(conn);
    if (track)
        atomic_store_explicit(&track->since_ms, 0, memory_order_relaxed);
    if (req->preflight)
        return reply_options(srv, conn, req);
    if (req->too_big && req->declared > 0)
        return reply_error(srv, conn, req, 413, "body_too_large", NULL, NULL,
                           "the request body is %llu bytes; the limit is %d bytes", req->declared,
                           API_MAX_BODY);
    if (req->too_big)
        return reply_error(srv, conn, req, 413, "body_too_large", NULL, NULL,
                           "the request body is over the limit of %d bytes", API_MAX_BODY);

    char today[CATALOG_DATE_SIZE];
    catalog_today(srv->today, today);
    struct params params = {.n = 0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, &params);
    struct route_ctx ctx = {
        .params = params.list,
        .nparams = params.n,
        .too_many_params = params.overflow,
        .if_none_match =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH),
        .store = srv->store,
        .today = today,
        .draining = atomic_load_explicit(&srv->draining, memory_order_relaxed),
        .body = req->body.data ? req->body.data : "",
        .body_len = req->body.len,
        .path = req->path,
        .skus_cache = srv->skus_cache,
        .hub = srv->hub,
        .indent = req->pretty ? 2 : 0,
    };
    struct route_reply out;
    memset(&out, 0, sizeof(out));
    req->route->handler(&ctx, &out);
    buf_free(&req->body);
    snprintf(req->etag, sizeof(req->etag), "%s", out.etag);
    req->retry_after_s = out.retry_after_s;
    if (out.status == MHD_HTTP_NOT_MODIFIED && req->etag[0]) {
        json_decref(out.json);
        if (out.shared_release)
            out.shared_release(out.shared_cls);
        return reply_not_modified(srv, conn, req);
    }
    if (out.shared != NULL) {
        json_decref(out.json);
        return reply_shared(srv, conn, req, out.status ? out.status : 200, &out);
    }
    if (out.content_type != NULL && (out.text != NULL || out.static_text != NULL)) {
        json_decref(out.json);
        if (out.text != NULL)
            return queue_body(srv, conn, req, out.status ? out.status : 200, out.content_type,
                              out.text, out.text_len, true, NULL);
        return queue_body(srv, conn, req, out.status ? out.status : 200, out.content_type,
                          (char *)(uintptr_t)out.static_text, out.text_len, false, NULL);
    }
    return reply(srv, conn, req, out.status ? out.status : 500, out.json, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct conn_track *track = conn_track_of(conn);
    if (track) /* on a kept-alive connection, the next request's clock starts now */
        atomic_store_explicit(&track->since_ms, now_ms(), memory_order_relaxed);
    struct request *req = *req_cls;
    if (req == NULL)
        return;
    char remote[INET6_ADDRSTRLEN];
    if (track)
        memcpy(remote, track->remote, sizeof(remote));
    else
        format_remote(conn, remote, sizeof(remote));
    const char *outcome = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK      ? "completed"
                          : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout"
                          : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT    ? "client_abort"
                          : toe == MHD_REQUEST_TERMINATED_READ_ERROR      ? "client_abort"
                          : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
                                                                          : "error";
    if (req->status == 0) { /* an answer libmicrohttpd made itself (a 431, say), if any */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
        if (ci != NULL)
            req->status = (int)ci->http_status;
    }
    double ms = elapsed_ms(&req->t0);
    const char *route = req->route ? routes_template(req->route) : "unmatched";
    metrics_request_end(route, req->method, req->status, ms / 1e3);
    struct log_request_info li = {
        .method = req->method,
        .route = route,
        .path = req->path,
        .status = req->status,
        .duration_ms = ms,
        .remote = remote,
        .outcome = outcome,
        .request_id = req->request_id,
    };
    log_request(&li);
    atomic_fetch_sub(&srv->in_flight, 1);
    if (req->held) /* the client went away before its body ended */
        MHD_destroy_response(req->held);
    buf_free(&req->body);
    free(req);
    *req_cls = NULL;
}

/* MHD hands us its own printf format; it is a trusted literal inside libmicrohttpd. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
#pragma GCC diagnostic pop
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    error_fix_utf8(msg);
    log_event("warn", "libmicrohttpd", json_pack("{s:s}", "message", msg));
}

/* A broken invariant inside libmicrohttpd aborts the process: say where in the JSON log first
 * (MHD's own message goes to stderr, which a log pipeline may not keep). */
static void mhd_panic(void *cls, const char *file, unsigned int line, const char *reason)
{
    (void)cls;
    char msg[256];
    snprintf(msg, sizeof(msg), "%s", reason ? reason : "");
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_event("error", "libmicrohttpd_panic",
              json_pack("{s:s, s:I, s:s}", "file", file ? file : "", "line", (json_int_t)line,
                        "reason", msg));
    abort();
}

/* addr for bind:port; MHD_USE_IPv6 is added to *flags for an IPv6 literal. -1 if bind is not
 * an IP literal. */
static int make_addr(const char *bind, int port, struct sockaddr_storage *ss, unsigned *flags)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, bind, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, bind, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *flags |= MHD_USE_IPv6;
        return 0;
    }
    return -1;
}

/*
 * Starts one libmicrohttpd daemon on bind:port serving srv: the main listener, or (probe) the
 * small one for /healthz, /readyz and /metrics. NULL when the port cannot be bound.
 */
static struct MHD_Daemon *start_daemon(struct http_server *srv, const struct http_settings *s,
                                       int port, bool probe)
{
    /* poll(), not epoll: in libmicrohttpd 0.9.75, MHD_quiesce_daemon on an epoll thread pool
     * races each worker for the listen socket's EPOLL_CTL_DEL, and whichever loses gets ENOENT
     * and calls MHD_PANIC (abort) - a rare SIGABRT at SIGTERM (daemon.c:5531 and :4976). With
     * poll() quiesce only flags the workers and wakes them through the ITC.
     * MHD_USE_TURBO reads opportunistically, so a client that sends headers and part of a body
     * and then hangs up is noticed at once instead of holding its slot until the timeout. */
    unsigned int flags =
        MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    struct sockaddr_storage ss;
    if (make_addr(s->bind, port, &ss, &flags) < 0)
        return NULL;
    /* The probe listener: one thread, few slots, its own per-address limit; what it serves is
     * answered from memory, so one thread keeps up with any probe rate. */
    unsigned threads = probe ? 1 : (unsigned)s->threads;
    unsigned limit = probe ? HTTP_PROBE_CONNECTIONS : (unsigned)s->max_connections;
    unsigned per_ip = probe ? HTTP_PROBE_PER_IP : (unsigned)s->max_connections_per_ip;
    /* The logger goes first: MHD prints to stderr for options parsed before it. No
     * LISTENING_ADDRESS_REUSE: on Linux it means SO_REUSEPORT, and a second instance would then
     * share the port silently instead of failing to start. */
    return MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger,
        srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->connection_timeout,
        /* Per-connection pool for headers and I/O buffers (bodies go to our own buffer). MHD
         * zeroes all of it for every request: at 36 KiB that memset was 10.7% of the process's
         * CPU serving /healthz (perf). 20 KiB still takes an 8 KB header line, nginx's default
         * limit (check_hostile: 16 KiB does not). */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_POOL_BYTES, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        /* 0, not 1: at 1 libmicrohttpd 0.9.75 answers an HTTP/1.1 request without Host itself,
         * in HTML and with its status line and headers sent twice (the state machine runs the
         * access handler after queueing its error); check_framing refuses it, and the other
         * shapes RFC 9112 rejects, in JSON. (-1 is not "lenient" there either: it refuses a
         * space before a header's colon with an HTML 400.) */
        MHD_OPTION_STRICT_FOR_CLIENT, (int)0, MHD_OPTION_END);
}

static int bound_port(struct MHD_Daemon *d, int asked)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return di ? di->port : asked;
}

/* Frees a server whose reaper is not running (start failed part-way, or after reaper_stop). */
static void server_free(struct http_server *srv)
{
    if (srv->probe)
        MHD_stop_daemon(srv->probe);
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon); /* its "closed" notifications free every conn_track */
    if (srv->listen_fd != MHD_INVALID_SOCKET)
        close(srv->listen_fd);
    pthread_mutex_destroy(&srv->conns_lock);
    bodycache_free(srv->skus_cache);
    free(srv);
}

int http_start(const struct http_settings *s, struct http_server **out, char *errbuf, size_t errlen)
{
    struct sockaddr_storage ss;
    unsigned flags = 0;
    if (make_addr(s->bind, s->port, &ss, &flags) < 0) {
        snprintf(errbuf, errlen, "bind address \"%s\" is not an IP address", s->bind);
        return -1;
    }
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    srv->store = s->store;
    srv->hub = s->hub;
    pthread_mutex_init(&srv->conns_lock, NULL);
    srv->request_deadline_ms = (int64_t)s->connection_timeout * 1000;
    srv->skus_cache = bodycache_new(); /* NULL: /skus is then encoded per request */
    srv->listen_fd = MHD_INVALID_SOCKET;
    srv->probe_port = -1;
    if (s->today && s->today[0])
        snprintf(srv->today, sizeof(srv->today), "%s", s->today);
    atomic_init(&srv->draining, false);
    atomic_init(&srv->in_flight, 0);

    /* libmicrohttpd takes pools of up to 32 KiB from malloc, where 3000 idle connections' worth
     * stayed in glibc's arenas after they closed (RSS 19 MB instead of 5). From this size up,
     * malloc uses mmap and free gives the pages back; setting the threshold also stops glibc
     * from raising it on its own. Process-wide, but only larger blocks are affected (the /skus
     * body, gzip buffers), which are per snapshot or per gzip request. */
    mallopt(M_MMAP_THRESHOLD, HTTP_POOL_BYTES);
    MHD_set_panic_func(mhd_panic, NULL);
    srv->daemon = start_daemon(srv, s, s->port, false);
    if (srv->daemon == NULL) {
        snprintf(errbuf, errlen, "cannot listen on %s port %d (address in use or not permitted?)",
                 s->bind, s->port);
        server_free(srv);
        return -1;
    }
    srv->port = bound_port(srv->daemon, s->port);
    if (s->probe_port >= 0) {
        srv->probe = start_daemon(srv, s, s->probe_port, true);
        if (srv->probe == NULL) {
            snprintf(errbuf, errlen,
                     "cannot listen on %s probe port %d (address in use or not permitted?)",
                     s->bind, s->probe_port);
            server_free(srv);
            return -1;
        }
        srv->probe_port = bound_port(srv->probe, s->probe_port);
    }
    if (reaper_start(srv) < 0) {
        snprintf(errbuf, errlen, "cannot start the request-deadline thread");
        server_free(srv);
        return -1;
    }
    *out = srv;
    return 0;
}

int http_probe_port(const struct http_server *srv)
{
    return srv->probe_port;
}

int http_port(const struct http_server *srv)
{
    return srv->port;
}

void http_drain(struct http_server *srv)
{
    atomic_store(&srv->draining, true);
}

void http_quiesce(struct http_server *srv)
{
    if (srv->listen_fd != MHD_INVALID_SOCKET)
        return;
    srv->listen_fd = MHD_quiesce_daemon(srv->daemon);
    if (srv->listen_fd == MHD_INVALID_SOCKET)
        return;
    /* Connections the kernel completed into the backlog but MHD had not yet accepted: their
     * clients were told "connected" and may be sending a request, so they are served (MHD takes
     * each over and closes it on failure) rather than reset by the shutdown below. */
    int fl = fcntl(srv->listen_fd, F_GETFL);
    if (fl >= 0 && fcntl(srv->listen_fd, F_SETFL, fl | O_NONBLOCK) == 0) {
        for (int i = 0; i < HTTP_MAX_BACKLOG_HANDOVER; i++) {
            struct sockaddr_storage ss;
            socklen_t len = sizeof(ss);
            int fd = accept(srv->listen_fd, (struct sockaddr *)&ss, &len);
            if (fd < 0)
                break;
            (void)MHD_add_connection(srv->daemon, fd, (struct sockaddr *)&ss, len);
        }
    }
    /* Quiescing only stops accept(); the kernel would still complete handshakes into the
     * backlog and leave those clients hanging. shutdown() stops listening (new connections are
     * refused at once) while the descriptor stays open, so its number cannot be reused before
     * MHD_stop_daemon, after which we close it. */
    shutdown(srv->listen_fd, SHUT_RDWR);
}

unsigned http_connections(struct http_server *srv)
{
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return di ? di->num_connections : 0;
}

unsigned http_requests_in_flight(struct http_server *srv)
{
    return atomic_load(&srv->in_flight);
}

void http_stop(struct http_server *srv)
{
    if (srv == NULL)
        return;
    reaper_stop(srv);
    server_free(srv);
}
