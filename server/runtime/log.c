/* log.c - JSON-lines logging to stdout; each line is written with a single stdio call. */
#include "runtime/log.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/jsonout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static atomic_int min_level = 1;

static int level_index(const char *level)
{
    for (int i = 0; i < 4; i++)
        if (level && strcmp(level, level_names[i]) == 0)
            return i;
    return -1;
}

int log_set_level(const char *level)
{
    int i = level_index(level);
    if (i < 0)
        return -EINVAL;
    atomic_store(&min_level, i);
    return 0;
}

/* Whether a line at this level would be written. */
static bool log_enabled(const char *level)
{
    /* An unknown level name is written rather than lost. */
    int i = level_index(level);
    return i < 0 || i >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC). The part up to the seconds is cached per thread: at load
 * gmtime_r + strftime for every request line showed in the profile. */
static void now_iso(char *dst, size_t n)
{
    static _Thread_local time_t cached_sec = (time_t)-1;
    static _Thread_local char cached[24];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        if (strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
            cached[0] = '\0';
        cached_sec = ts.tv_sec;
    }
    int ms = (int)(ts.tv_nsec / 1000000);
    size_t len = strlen(cached);
    if (n < len + 6) {
        dst[0] = '\0';
        return;
    }
    /* Assembled by hand: this runs for every request's log line. */
    memcpy(dst, cached, len);
    dst[len] = '.';
    dst[len + 1] = (char)('0' + ms / 100);
    dst[len + 2] = (char)('0' + ms / 10 % 10);
    dst[len + 3] = (char)('0' + ms % 10);
    dst[len + 4] = 'Z';
    dst[len + 5] = '\0';
}

/* Writes s into dst (size n) as JSON string content (no quotes); truncates. */
static void log_json_escape(char *dst, size_t n, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (n == 0)
        return;
    for (; s && *s && o + 7 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            dst[o++] = '\\';
            dst[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            /* Bytes outside printable ASCII are escaped one by one: the line stays valid JSON
             * even when a client sends invalid UTF-8 in the path. */
            dst[o++] = '\\';
            dst[o++] = 'u';
            dst[o++] = '0';
            dst[o++] = '0';
            dst[o++] = hex[c >> 4];
            dst[o++] = hex[c & 15];
        } else {
            dst[o++] = (char)c;
        }
    }
    dst[o] = '\0';
}

static void write_event(const char *level, const char *event, json_t *fields)
{
    char ts[40];
    now_iso(ts, sizeof(ts));
    json_t *line = json_pack("{s:s, s:s, s:s}", "time", ts, "level", level, "event", event);
    if (line != NULL && fields != NULL)
        json_object_update(line, fields);
    json_decref(fields);
    if (line == NULL)
        return;
    char *text = jsonout_dumps(line, 0, NULL);
    json_decref(line);
    if (text == NULL)
        return;
    fprintf(stdout, "%s\n", text);
    fflush(stdout);
    free(text);
}

void log_event(const char *level, const char *event, json_t *fields)
{
    if (!log_enabled(level)) {
        json_decref(fields);
        return;
    }
    write_event(level, event, fields);
}

void log_lifecycle(const char *event, json_t *fields)
{
    write_event("info", event, fields);
}

/*
 * Request lines are not flushed one by one: at load that was a write() per request under the
 * stdout lock, the largest cost after the request itself. They stay in stdio's buffer (written
 * when it fills) and a background thread flushes whatever is pending every 100 ms, so a quiet
 * server's lines still show up at once. Lifecycle events flush immediately, and exit() flushes
 * the rest; only a crash or SIGKILL can lose the last 100 ms.
 */
#define LOG_FLUSH_NS (100 * 1000 * 1000)

static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;
static atomic_bool flusher_running;
static atomic_bool pending;

static void *flusher_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = {0, LOG_FLUSH_NS};
        nanosleep(&ts, NULL);
        if (atomic_exchange_explicit(&pending, false, memory_order_relaxed))
            fflush(stdout);
    }
    return NULL;
}

static void flusher_start(void)
{
    pthread_t t;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (pthread_create(&t, &attr, flusher_main, NULL) == 0)
        atomic_store(&flusher_running, true);
    pthread_attr_destroy(&attr);
}

/* Appends s to line (bounded); the request line is built by hand, not by printf. */
static size_t put(char *line, size_t o, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (o + n >= cap)
        n = o < cap ? cap - o - 1 : 0;
    memcpy(line + o, s, n);
    return o + n;
}

static size_t put_uint(char *line, size_t o, size_t cap, unsigned long long v, int min_digits)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 || n < min_digits);
    while (n > 0 && o + 1 < cap)
        line[o++] = d[--n];
    return o;
}

void log_request(const struct log_request_info *r)
{
    if (!log_enabled("info"))
        return;
    char ts[40], m[24], rt[80], p[300], rem[80], id[140], line[1024];
    /* Integer microseconds: %.3f goes through glibc's multi-precision float printer. */
    long long us = r->duration_ms > 0 ? llround(r->duration_ms * 1000) : 0;
    now_iso(ts, sizeof(ts));
    log_json_escape(m, sizeof(m), r->method ? r->method : "");
    log_json_escape(rt, sizeof(rt), r->route ? r->route : "");
    log_json_escape(p, sizeof(p), r->path ? r->path : "");
    log_json_escape(rem, sizeof(rem), r->remote ? r->remote : "");
    log_json_escape(id, sizeof(id), r->request_id ? r->request_id : "");
    size_t o = 0, cap = sizeof(line);
    o = put(line, o, cap, "{\"time\":\"");
    o = put(line, o, cap, ts);
    o = put(line, o, cap, "\",\"level\":\"info\",\"event\":\"request\",\"request_id\":\"");
    o = put(line, o, cap, id);
    o = put(line, o, cap, "\",\"method\":\"");
    o = put(line, o, cap, m);
    o = put(line, o, cap, "\",\"route\":\"");
    o = put(line, o, cap, rt);
    o = put(line, o, cap, "\",\"path\":\"");
    o = put(line, o, cap, p);
    o = put(line, o, cap, "\",\"status\":");
    if (r->status < 0)
        o = put(line, o, cap, "-");
    o = put_uint(line, o, cap, (unsigned long long)(r->status < 0 ? -r->status : r->status), 1);
    o = put(line, o, cap, ",\"duration_ms\":");
    o = put_uint(line, o, cap, (unsigned long long)(us / 1000), 1);
    o = put(line, o, cap, ".");
    o = put_uint(line, o, cap, (unsigned long long)(us % 1000), 3);
    o = put(line, o, cap, ",\"remote\":\"");
    o = put(line, o, cap, rem);
    o = put(line, o, cap, "\",\"outcome\":\"");
    o = put(line, o, cap, r->outcome ? r->outcome : "");
    o = put(line, o, cap, "\"}\n");
    fwrite(line, 1, o, stdout); /* one stdio call: lines from several threads never interleave */
    pthread_once(&flusher_once, flusher_start);
    if (atomic_load_explicit(&flusher_running, memory_order_relaxed))
        atomic_store_explicit(&pending, true, memory_order_relaxed);
    else
        fflush(stdout); /* no flusher thread: flush every line as before */
}
