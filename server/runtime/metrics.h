/* metrics.h - Prometheus counters, gauges and histograms for GET /metrics (text format 0.0.4). */
#ifndef VRAMFIT_METRICS_H
#define VRAMFIT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/store.h"

/*
 * The registry is process-wide static storage (one server per process): nothing to create or
 * free, every function is thread-safe. Label values are copied; callers keep ownership.
 */

/* metrics_init - records the process start time. Call once from main before threads start. */
void metrics_init(void);

/* metrics_request_begin - a request arrived (in-flight gauge + 1). */
void metrics_request_begin(void);

/*
 * metrics_request_end - a request finished: in-flight - 1, one count for (route, method, status),
 * one observation of seconds in route's duration histogram. route is the route template
 * ("/estimate") or "unmatched" so label cardinality stays bounded; method is folded into GET,
 * HEAD, POST, OPTIONS or "other"; status 0 means no response was sent (the client went away).
 */
void metrics_request_end(const char *route, const char *method, int status, double seconds);

/*
 * metrics_refresh_attempt - hook for catalog refreshers: one attempt at source ("url",
 * "prices", "file", ...; at most 16 distinct sources are kept, the rest are folded into
 * "other"); ok = the fetched data was valid and published. Successes set
 * vramfit_catalog_last_success_timestamp_seconds{source}.
 */
void metrics_refresh_attempt(const char *source, bool ok);

/*
 * metrics_render - the whole exposition text; store may be NULL (no catalog gauges). On success
 * returns 0 and *out is malloc'd (caller frees) with *len bytes. Errors: -ENOMEM.
 */
int metrics_render(struct store *store, char **out, size_t *len);

#endif
