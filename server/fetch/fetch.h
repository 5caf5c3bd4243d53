/* fetch.h - bounded, conditional HTTP(S)/file GETs for the background refresher, each run by the
 * vramfit-fetch helper process (libcurl) so the server itself never loads libcurl or TLS. */
#ifndef VRAMFIT_FETCH_H
#define VRAMFIT_FETCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* Response headers one request may capture (fetch_request.capture). */
#define FETCH_MAX_CAPTURE 2

struct fetch_request {
    const char *url;
    const char *etag;          /* sent as If-None-Match; NULL or "" for none */
    const char *last_modified; /* sent as If-Modified-Since; NULL or "" for none */
    size_t max_bytes;          /* hard cap on the (decoded) body */
    long connect_timeout_s;
    long timeout_s; /* whole transfer */
    /* Redirects must stay within this URL's origin (scheme, host, port); NULL or "" = any http
     * or https target. The price feed's NextPageLink rule would mean little if a 3xx could leave.
     */
    const char *origin;
    /* Added for the Hub resolver (server/hub); all optional, zero = the refresher's behaviour. */
    const char *range; /* "0-7": sent as "Range: bytes=0-7" (a 206 counts as success) */
    /* Sent as "Authorization: Bearer <token>" to the first URL's origin only, never to a redirect
     * target elsewhere. It travels on the helper's stdin, never on argv, and is never logged. */
    const char *bearer;
    /* Comma-separated host names (or host:port) redirects may also go to, besides origin: the
     * Hub's CDN. Only read when origin is set. */
    const char *redirect_hosts;
    bool any_status; /* answer every final HTTP status with its (capped) body instead of failing */
    /* Response headers to copy into fetch_response.captured (the first value seen on any hop:
     * the Hub puts X-Repo-Commit on its redirect, not on the CDN's answer). NULL = unused. */
    const char *capture[FETCH_MAX_CAPTURE];
};

struct fetch_response {
    long status; /* 200 (also for file://) or 304; 206 for a range; any with any_status */
    char *body;  /* 200: NUL-terminated, malloc'd (fetch_response_free) */
    size_t len;
    /* The response's ETag and Last-Modified, "" when none (or too long to keep whole). Each byte
     * of the header is one code point (ISO 8859-1) of this UTF-8 text, so obs-text (RFC 9110
     * section 5.5: bytes 0x80-0xFF) survives; the helper turns it back into the same bytes when
     * it is sent as a validator. */
    char etag[256];
    char last_modified[128];
    char captured[FETCH_MAX_CAPTURE][128]; /* values of req->capture, "" when absent or too long */
};

struct fetcher;

/*
 * fetch_new - a fetcher that runs each GET in a vramfit-fetch process: helper is its path, or
 * NULL for the one installed beside this executable. cancel, when not NULL, is polled during
 * transfers: once true, the helper is killed (so shutdown never waits for a slow upstream). NULL
 * on allocation failure.
 */
struct fetcher *fetch_new(const char *helper, const atomic_bool *cancel);

/* fetch_free - frees f. Accepts NULL. */
void fetch_free(struct fetcher *f);

/*
 * fetch_get - one GET. Returns 0 with *out filled for a 200 (or file:// read) or a 304; the
 * caller frees it with fetch_response_free. Any other outcome returns -1 with one line in errbuf
 * saying what happened (DNS, connect, timeout, TLS, HTTP status, truncated, over max_bytes,
 * cancelled, or the helper could not be run or broke its protocol); *out is then left empty.
 * TLS peers and host names are always verified; only http, https and file are allowed
 * (redirects: http and https only, at most 5, within req->origin when set). Blocks the calling
 * thread; safe from one thread per fetcher.
 */
int fetch_get(struct fetcher *f, const struct fetch_request *req, struct fetch_response *out,
              char *errbuf, size_t errlen);

/* fetch_response_free - frees r's body and empties it. */
void fetch_response_free(struct fetch_response *r);

#endif
