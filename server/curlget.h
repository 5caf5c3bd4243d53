/* curlget.h - one bounded, conditional GET with libcurl (used by the vramfit-fetch helper). */
#ifndef VRAMFIT_CURLGET_H
#define VRAMFIT_CURLGET_H

#include <stdatomic.h>

#include "fetch.h"

struct curlget;

/*
 * curlget_new - owns one reused curl easy handle. cancel, when not NULL, is polled during
 * transfers: once true, the transfer in progress aborts. curl_global_init must have been called.
 * NULL on allocation failure; free with curlget_free (accepts NULL).
 */
struct curlget *curlget_new(const atomic_bool *cancel);
void curlget_free(struct curlget *f);

/*
 * curlget_get - one GET, with fetch_get's contract (fetch.h): 0 with *out filled for a 200 (or a
 * file:// read) or a 304, freed by the caller with fetch_response_free; -1 with one line in
 * errbuf otherwise (DNS, connect, timeout, TLS, HTTP status, over max_bytes, cancelled). TLS peers
 * and host names are verified; only http, https and file (redirects: http, https).
 */
int curlget_get(struct curlget *f, const struct fetch_request *req, struct fetch_response *out,
                char *errbuf, size_t errlen);

#endif
