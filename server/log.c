/* log.c - JSON-lines logging to stdout; each line is written with a single stdio call. */
#include "log.h"

#include "jsonout.h"

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

void log_request(const char *method, const char *path, int status, double duration_ms,
                 const char *remote, const char *outcome)
{
    char ts[40], m[24], p[300], r[80];
    now_iso(ts, sizeof(ts));
    log_json_escape(m, sizeof(m), method ? method : "");
    log_json_escape(p, sizeof(p), path ? path : "");
    log_json_escape(r, sizeof(r), remote ? remote : "");
    fprintf(stdout,
            "{\"time\":\"%s\",\"level\":\"info\",\"event\":\"request\",\"method\":\"%s\","
            "\"path\":\"%s\",\"status\":%d,\"duration_ms\":%.3f,\"remote\":\"%s\","
            "\"outcome\":\"%s\"}\n",
            ts, m, p, status, duration_ms, r, outcome);
    fflush(stdout);
}
