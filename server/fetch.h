/* fetch.h - bounded, conditional HTTP(S)/file GETs with libcurl for the background refresher. */
#ifndef VRAMFIT_FETCH_H
#define VRAMFIT_FETCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct fetch_request {
    const char *url;
    const char *etag;          /* sent as If-None-Match; NULL or "" for none */
    const char *last_modified; /* sent as If-Modified-Since; NULL or "" for none */
    size_t max_bytes;          /* hard cap on the (decoded) body */
    long connect_timeout_s;
    long timeout_s; /* whole transfer */
};

struct fetch_response {
    long status; /* 200 (also for file://) or 304 */
    char *body;  /* 200: NUL-terminated, malloc'd (fetch_response_free) */
    size_t len;
    char etag[256]; /* the response's ETag, "" when none */
    char last_modified[128];
};

struct fetcher;

/*
 * fetch_new - a fetcher owning one reused curl easy handle (connections are reused across the
 * pages of a feed). cancel, when not NULL, is polled during transfers: once true, the transfer in
 * progress aborts (so shutdown never waits for a slow upstream). curl_global_init must have been
 * called. NULL on allocation failure.
 */
struct fetcher *fetch_new(const atomic_bool *cancel);

/* fetch_free - frees f. Accepts NULL. */
void fetch_free(struct fetcher *f);

/*
 * fetch_get - one GET. Returns 0 with *out filled for a 200 (or file:// read) or a 304; the
 * caller frees it with fetch_response_free. Any other outcome returns -1 with one line in errbuf
 * saying what happened (DNS, connect, timeout, TLS, HTTP status, truncated, over max_bytes,
 * cancelled); *out is then left empty. TLS peers and host names are always verified; only
 * http, https and file are allowed (redirects: http and https only).
 */
int fetch_get(struct fetcher *f, const struct fetch_request *req, struct fetch_response *out,
              char *errbuf, size_t errlen);

void fetch_response_free(struct fetch_response *r);

#endif
