/* log.h - one JSON object per line on stdout, for requests and lifecycle events. */
#ifndef VRAMFIT_LOG_H
#define VRAMFIT_LOG_H

#include <jansson.h>

/*
 * log_event - writes {"time", "level", "event", ...fields} as one line to stdout and flushes.
 * fields may be NULL; its reference is consumed (stolen), even on failure. Thread-safe: the line
 * goes out in one stdio call.
 */
void log_event(const char *level, const char *event, json_t *fields);

/*
 * log_request - the per-request line, formatted without allocation: method, path, status,
 * duration in milliseconds, remote address, and whether the client went away early. Not flushed
 * per line: a background thread flushes pending lines every 100 ms (see log.c).
 */
void log_request(const char *method, const char *path, int status, double duration_ms,
                 const char *remote, const char *outcome);

/* log_json_escape - writes s into dst (size n) as JSON string content (no quotes); truncates. */
void log_json_escape(char *dst, size_t n, const char *s);

#endif
