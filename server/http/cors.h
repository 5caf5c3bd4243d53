/* cors.h - Cross-Origin Resource Sharing: which origins may call, and the headers that say so. */
#ifndef VRAMFIT_CORS_H
#define VRAMFIT_CORS_H

#include <microhttpd.h>
#include <stdbool.h>

/* Seconds a browser may cache a preflight answer (Chromium caps this at 7200). */
#define CORS_MAX_AGE "600"

/* Request headers a cross-origin caller may send (answered in Access-Control-Allow-Headers). */
#define CORS_ALLOW_HEADERS "Content-Type, X-Request-Id, If-None-Match, Accept"

/* Response headers a cross-origin script may read beyond the CORS-safelisted ones. */
#define CORS_EXPOSE_HEADERS "X-Request-Id, ETag"

/*
 * cors_configure - origins is "*" (any origin), "" (CORS off: no headers at all) or a
 * comma-separated list of "scheme://host[:port]" (already validated by options). Copies what it
 * keeps; call once before the server starts. Returns 0 or -EINVAL when the list is too long.
 */
int cors_configure(const char *origins);

/*
 * cors_add_headers - adds Access-Control-Allow-Origin (and Expose-Headers) to resp when origin
 * (the request's Origin header, may be NULL) is allowed. Returns whether origin was allowed.
 */
bool cors_add_headers(struct MHD_Response *resp, const char *origin);

/* cors_varies - whether answers depend on Origin (an origin list): the caller adds Vary: Origin. */
bool cors_varies(void);

/*
 * cors_add_preflight - the extra headers of an OPTIONS preflight answer for an allowed origin:
 * Allow-Methods (methods, e.g. "POST, OPTIONS"), Allow-Headers and Max-Age.
 */
void cors_add_preflight(struct MHD_Response *resp, const char *methods);

#endif
