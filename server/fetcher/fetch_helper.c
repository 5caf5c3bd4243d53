/* fetch_helper.c - vramfit-fetch: one GET with libcurl, asked for on stdin, answered on stdout. */
#define _GNU_SOURCE /* close_range */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetcher/curlget.h"
#include "fetch/fetchproto.h"

/*
 * Run by the server's refresher (server/fetch/fetch.c) for each upstream GET, so that libcurl, TLS
 * and their 30-odd shared libraries live only in this short-lived process: the server's idle RSS is
 * 4-5 MB smaller and a crash in the TLS stack cannot take the server down. Not meant to be run by
 * hand, though `echo '{...}' | vramfit-fetch` works (fetchproto.h has the format).
 */
int main(void)
{
    char in[FETCHPROTO_HEADER_MAX + 1], errbuf[1024] = "";
    size_t len = 0;
    struct fetch_request req;
    struct fetch_response resp;
    json_t *doc = NULL;
    int rc;

    /* posix_spawn keeps every descriptor without close-on-exec: only stdio is ours. */
    close_range(3, ~0U, 0);
    for (;;) {
        ssize_t n = read(0, in + len, sizeof(in) - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == sizeof(in))
            break;
    }
    if (fetchproto_read_request(in, len, &doc, &req, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "vramfit-fetch: %s\n", errbuf);
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        json_decref(doc);
        return fetchproto_write_reply(1, -1, NULL, "libcurl failed to initialise") == 0 ? 0 : 1;
    }
    struct curlget *g = curlget_new();
    memset(&resp, 0, sizeof(resp));
    if (g == NULL) {
        rc = -1;
        snprintf(errbuf, sizeof(errbuf), "cannot create a libcurl handle");
    } else {
        rc = curlget_get(g, &req, &resp, errbuf, sizeof(errbuf));
    }
    int w = fetchproto_write_reply(1, rc, &resp, errbuf);
    fetch_response_free(&resp);
    curlget_free(g);
    json_decref(doc);
    curl_global_cleanup();
    return w == 0 ? 0 : 1;
}
