/* log.c - JSON-lines logging to stdout; each line is written with a single stdio call. */
#include "log.h"

#include <errno.h>
#include <stdatomic.h>

#include "jsonout.h"

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

bool log_enabled(const char *level)
{
    /* An unknown level name is written rather than lost. */
    int i = level_index(level);
    return i < 0 || i >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

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

void log_request(const struct log_request_info *r)
{
    if (!log_enabled("info"))
        return;
    char ts[40], m[24], rt[80], p[300], rem[80], id[140];
    now_iso(ts, sizeof(ts));
    log_json_escape(m, sizeof(m), r->method ? r->method : "");
    log_json_escape(rt, sizeof(rt), r->route ? r->route : "");
    log_json_escape(p, sizeof(p), r->path ? r->path : "");
    log_json_escape(rem, sizeof(rem), r->remote ? r->remote : "");
    log_json_escape(id, sizeof(id), r->request_id ? r->request_id : "");
    fprintf(stdout,
            "{\"time\":\"%s\",\"level\":\"info\",\"event\":\"request\",\"request_id\":\"%s\","
            "\"method\":\"%s\",\"route\":\"%s\",\"path\":\"%s\",\"status\":%d,"
            "\"duration_ms\":%.3f,\"remote\":\"%s\",\"outcome\":\"%s\"}\n",
            ts, id, m, rt, p, r->status, r->duration_ms, rem, r->outcome ? r->outcome : "");
    fflush(stdout);
}
