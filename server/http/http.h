/* http.h - the libmicrohttpd daemon: listening, body limits, JSON responses, draining. */
#ifndef VRAMFIT_HTTP_H
#define VRAMFIT_HTTP_H

#include <stddef.h>

#include "runtime/store.h"

struct http_settings {
    const char *bind; /* IPv4 or IPv6 literal */
    int port;         /* 0 = ephemeral */
    int threads;
    int max_connections;
    int max_connections_per_ip; /* 0 = no per-address limit */
    int probe_port;             /* -1 = no probe listener, 0 = ephemeral */
    int connection_timeout;     /* seconds */
    const char *today;          /* fixed "YYYY-MM-DD", or NULL/"" for the current UTC date */
    struct store *store;        /* borrowed; must outlive the server */
    struct hub *hub; /* borrowed; resolves Hugging Face repo ids in "model"; NULL = none */
};

struct http_server;
struct hub;

/*
 * http_start - binds and starts the thread-pool/poll daemon. On success returns 0 and *out
 * owns the server (http_stop frees it). On failure returns -1 with a one-line reason in errbuf.
 */
int http_start(const struct http_settings *s, struct http_server **out, char *errbuf,
               size_t errlen);

/* http_port - the port actually bound (useful with port 0). */
int http_port(const struct http_server *srv);

/*
 * http_probe_port - the probe listener's bound port (/healthz, /readyz and /metrics only; it
 * keeps answering while clients hold every connection of the main port, and through draining
 * until http_stop), or -1 when there is none.
 */
int http_probe_port(const struct http_server *srv);

/*
 * http_drain - starts draining: /readyz answers 503 and every response carries
 * "Connection: close". Requests keep being served.
 */
void http_drain(struct http_server *srv);

/* http_quiesce - stops accepting new connections on the main port (the probe listener keeps
 * answering, /readyz with 503); in-flight ones continue. */
void http_quiesce(struct http_server *srv);

/* http_connections - connections currently open. */
unsigned http_connections(struct http_server *srv);

/*
 * http_requests_in_flight - requests received (headers parsed) whose response is not yet fully
 * sent. A keep-alive connection waiting for its next request has none: shutdown need not wait
 * for it.
 */
unsigned http_requests_in_flight(struct http_server *srv);

/* http_stop - closes every connection, stops the threads and frees srv. Accepts NULL. */
void http_stop(struct http_server *srv);

#endif
