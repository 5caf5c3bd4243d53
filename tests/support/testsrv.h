/* testsrv.h - integration-test harness: runs build/vramfit on an ephemeral port, talks HTTP to it.
 */
#ifndef VRAMFIT_TESTSRV_H
#define VRAMFIT_TESTSRV_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

struct testsrv {
    pid_t pid;
    int port;
    char log_path[256]; /* the server's stdout (JSON lines) */
};

/*
 * testsrv_start - starts the server binary ($VRAMFIT_BIN, else build/vramfit) with
 * --bind 127.0.0.1 --port 0 plus the NULL-terminated extra args, and waits (up to 5 s) for its
 * "listening" log line. Returns 0 and fills *s, or -1 (the server exited or never listened).
 */
int testsrv_start(struct testsrv *s, const char *const *extra_args);

/*
 * testsrv_stop - sends sig (0 = SIGTERM) and waits up to wait_s seconds for exit. *exit_status
 * gets the exit code (or 128+signal). Returns 0, or -1 if it had to be killed. Removes the log.
 */
int testsrv_stop(struct testsrv *s, int sig, double wait_s, int *exit_status);

/* testsrv_log - the server's log so far (malloc'd, NUL-terminated; caller frees). */
char *testsrv_log(const struct testsrv *s);

/* testsrv_run - runs the binary to completion with args (no server expected); collects output. */
int testsrv_run(const char *const *args, char **out, char **err, int *exit_status);

struct http_result {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char *headers; /* raw response headers, NUL-terminated */
};

/*
 * testhttp - one request with libcurl (fresh connection, 10 s timeout; 90 s under memcheck).
 * content_type NULL sends no Content-Type; body NULL sends no body. extra_header may be NULL.
 * Returns 0 (any HTTP status) or -1 on a transport error (connection refused/reset, timeout).
 */
int testhttp(int port, const char *method, const char *path, const char *content_type,
             const char *body, size_t len, const char *extra_header, struct http_result *out);

/*
 * testhttp_post_json - POSTs body (application/json) to path and parses the reply. Returns a new
 * reference (caller decrefs) and sets *status; NULL on a transport error or a reply that is not
 * JSON, with the reply's first bytes in why (which may be NULL).
 */
json_t *testhttp_post_json(int port, const char *path, const char *body, long *status, char *why,
                           size_t why_len);

/* http_result_header - value of header name in r (case-insensitive), copied into dst. */
int http_result_header(const struct http_result *r, const char *name, char *dst, size_t n);

void http_result_free(struct http_result *r);

/* Raw TCP access for what libcurl will not send (partial bodies, chunked, pipelining). */
/* testraw_connect - a connected socket to 127.0.0.1:port, or -1. */
int testraw_connect(int port);
/* testraw_send - writes all of data; 0 or -1. */
int testraw_send(int fd, const void *data, size_t len);
/*
 * testraw_recv - reads until the peer closes, cap-1 bytes arrive, or timeout_ms passes without
 * data. Returns bytes read (NUL-terminated in buf).
 */
size_t testraw_recv(int fd, char *buf, size_t cap, int timeout_ms);
/* testraw_status - the status code of the first HTTP response in buf, or -1. */
int testraw_status(const char *buf);

/* testfile_read - whole file into a malloc'd NUL-terminated buffer, or NULL. */
char *testfile_read(const char *path, size_t *len);

#endif
