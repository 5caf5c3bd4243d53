/* curlget.h - one bounded, conditional GET with libcurl (used by the vramfit-fetch helper). */
#ifndef VRAMFIT_CURLGET_H
#define VRAMFIT_CURLGET_H

#include <stddef.h>

#include "fetch/fetch.h"

struct curlget;

/*
 * curlget_new - owns one curl easy handle. curl_global_init must have been called. NULL on
 * allocation failure; free with curlget_free (accepts NULL). There is no cancel: the server
 * cancels a fetch by killing the helper process that runs it (fetch.c).
 */
struct curlget *curlget_new(void);
void curlget_free(struct curlget *f);

/*
 * curlget_get - one GET, with fetch_get's contract (fetch.h): 0 with *out filled for a 200 (or a
 * file:// read) or a 304, freed by the caller with fetch_response_free; -1 with one line in
 * errbuf otherwise (DNS, connect, timeout, TLS, HTTP status, over max_bytes). TLS peers
 * and host names are verified; only http, https and file (redirects: http, https).
 */
int curlget_get(struct curlget *f, const struct fetch_request *req, struct fetch_response *out,
                char *errbuf, size_t errlen);

#endif
