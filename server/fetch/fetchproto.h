/* fetchproto.h - what the server and its vramfit-fetch helper say to each other over pipes. */
#ifndef VRAMFIT_FETCHPROTO_H
#define VRAMFIT_FETCHPROTO_H

#include <jansson.h>
#include <stddef.h>

#include "fetch/fetch.h"

#define FETCHPROTO_HELPER_NAME "vramfit-fetch"
/* Cap on the request line and on the reply's header line (URLs are capped well below). */
#define FETCHPROTO_HEADER_MAX 8192

/*
 * The helper reads one JSON object (the fetch_request; "origin" may be absent) from stdin, fetches,
 * and writes to stdout one JSON header line -
 * {"ok":true,"status":200|304,"etag":..,"last_modified":..,"length":N} or
 * {"ok":false,"error":"one line"} - followed by exactly N body bytes. It exits 0 whenever it
 * managed to say that; anything else is a broken helper.
 */

/*
 * fetchproto_header_text - a header value's bytes (NUL-terminated) as UTF-8 text in dst[n], one
 * code point per byte (ISO 8859-1), so that obs-text (RFC 9110 section 5.5: 0x80-0xFF) can travel
 * in JSON. dst is "" when the text would not fit whole. Never fails.
 */
void fetchproto_header_text(const char *bytes, char *dst, size_t n);

/*
 * fetchproto_header_bytes - the inverse: text made by fetchproto_header_text back into the
 * header's bytes in dst[n]. 0, -EINVAL for a code point above U+00FF (no header byte makes one),
 * or -E2BIG when dst is too small; dst is unspecified on failure.
 */
int fetchproto_header_bytes(const char *text, char *dst, size_t n);

/* fetchproto_request_line - req as the helper's input (malloc'd, caller frees); NULL on OOM. */
char *fetchproto_request_line(const struct fetch_request *req);

/*
 * fetchproto_read_request - decodes the helper's input. On 0, *req's strings point into *doc,
 * which the caller json_decref()s when done with *req. -1 with a message in errbuf otherwise.
 */
int fetchproto_read_request(const char *text, size_t len, json_t **doc, struct fetch_request *req,
                            char *errbuf, size_t errlen);

/* fetchproto_write_all - writes all len bytes of s to fd (retrying short writes and EINTR); 0 or
 * -1 with errno set. */
int fetchproto_write_all(int fd, const char *s, size_t len);

/*
 * fetchproto_write_reply - writes the helper's answer to fd: resp (rc == 0) or error (rc < 0).
 * 0, or -1 when fd would not take it.
 */
int fetchproto_write_reply(int fd, int rc, const struct fetch_response *resp, const char *error);

/*
 * fetchproto_parse_reply - the helper's whole output back into *out (0; the caller frees it with
 * fetch_response_free), or -1 with the helper's error or a protocol complaint in errbuf.
 */
int fetchproto_parse_reply(const char *data, size_t len, const struct fetch_request *req,
                           struct fetch_response *out, char *errbuf, size_t errlen);

#endif
