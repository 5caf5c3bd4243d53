/* log.h - one JSON object per line on stdout, for requests and lifecycle events. */
#ifndef VRAMFIT_LOG_H
#define VRAMFIT_LOG_H

#include <jansson.h>
#include <stdbool.h>

/*
 * log_set_level - the least severe level written: "debug", "info", "warn" or "error" (default
 * "info"). Returns 0, or -EINVAL for an unknown name (the level is then unchanged). Call before
 * threads start.
 */
int log_set_level(const char *level);

/*
 * log_event - writes {"time", "level", "event", ...fields} as one line to stdout and flushes.
 * fields may be NULL; its reference is consumed (stolen), even on failure. Thread-safe: the line
 * goes out in one stdio call.
 */
void log_event(const char *level, const char *event, json_t *fields);

/*
 * log_lifecycle - like log_event at level "info", but written whatever --log-level says: the
 * start ("listening", with the port) and stop lines are what operators and tests wait for.
 */
void log_lifecycle(const char *event, json_t *fields);

/* What the per-request line says; every string may be NULL. */
struct log_request_info {
    const char *method;
    const char *route; /* the route template ("/estimate"), or "unmatched" */
    const char *path;  /* the path as sent */
    int status;
    double duration_ms;
    const char *remote;
    const char *outcome; /* completed, client_abort, timeout, shutdown, error */
    const char *request_id;
};

/*
 * log_request - the per-request line ("info"), formatted without allocation. Not flushed per
 * line: a background thread flushes pending lines every 100 ms (see log.c).
 */
void log_request(const struct log_request_info *r);

#endif
