/* log.c - JSON-lines logging to stdout; each line is written with a single stdio call. */
#include "log.h"

#include "jsonout.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void now_iso(char *dst, size_t n)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t len = strftime(dst, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(dst + len, n - len, ".%03ldZ", (long)(tv.tv_usec / 1000));
}

void log_json_escape(char *dst, size_t n, const char *s)
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

void log_event(const char *level, const char *event, json_t *fields)
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

/*
 * Request lines are not flushed one by one: at load that was a write() per request under the
 * stdout lock, the largest cost after the request itself. They stay in stdio's buffer (written
 * when it fills) and a background thread flushes whatever is pending every 100 ms, so a quiet
 * server's lines still show up at once. Lifecycle events (log_event) flush immediately, and exit()
 * flushes the rest; only a crash or SIGKILL can lose the last 100 ms.
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

void log_request(const char *method, const char *path, int status, double duration_ms,
                 const char *remote, const char *outcome)
{
    char ts[40], m[24], p[300], r[80];
    /* Integer microseconds: %.3f goes through glibc's multi-precision float printer. */
    long long us = duration_ms > 0 ? llround(duration_ms * 1000) : 0;
    now_iso(ts, sizeof(ts));
    log_json_escape(m, sizeof(m), method ? method : "");
    log_json_escape(p, sizeof(p), path ? path : "");
    log_json_escape(r, sizeof(r), remote ? remote : "");
    fprintf(stdout,
            "{\"time\":\"%s\",\"level\":\"info\",\"event\":\"request\",\"method\":\"%s\","
            "\"path\":\"%s\",\"status\":%d,\"duration_ms\":%lld.%03lld,\"remote\":\"%s\","
            "\"outcome\":\"%s\"}\n",
            ts, m, p, status, us / 1000, us % 1000, r, outcome);
    pthread_once(&flusher_once, flusher_start);
    if (atomic_load_explicit(&flusher_running, memory_order_relaxed))
        atomic_store_explicit(&pending, true, memory_order_relaxed);
    else
        fflush(stdout); /* no flusher thread: flush every line as before */
}
