/* routes.h - the route table: which paths exist, their methods, and the handlers behind them. */
#ifndef VRAMFIT_ROUTES_H
#define VRAMFIT_ROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bodycache.h"
#include "skusquery.h"
#include "store.h"

/* What a handler sees: the request's body (already bounded) and the server's state. */
struct route_ctx {
    struct store *store;
    const char *today; /* "YYYY-MM-DD" used for retirement checks */
    bool draining;     /* SIGTERM received: readiness must fail */
    const char *body;
    size_t body_len;
    const char *query_pretty;        /* unused for now; reserved for ?pretty */
    const char *path;                /* the request path (for routes that take a path parameter) */
    const struct skus_param *params; /* query-string parameters, in order */
    size_t nparams;
    bool too_many_params;         /* more than ROUTES_MAX_PARAMS were sent */
    const char *if_none_match;    /* the If-None-Match header, or NULL */
    struct bodycache *skus_cache; /* GET /skus bodies per (snapshot, date, provenance) */
};

#define ROUTES_MAX_PARAMS 32

/*
 * What a handler returns: a status and a JSON body the HTTP layer serializes and frees, or a body
 * already serialized (text, with its trailing newline): then text_release(text_cls) is called
 * once the response is done with it (NULL for static text).
 */
struct route_reply {
    int status;
    json_t *json;  /* owned by the reply; NULL (and no text) means "answer 500" */
    char etag[48]; /* sent as ETag when not empty; status 304 sends no body */
    const char *text;
    size_t text_len;
    void (*text_release)(void *cls);
    void *text_cls;
};

typedef void (*route_handler)(const struct route_ctx *ctx, struct route_reply *out);

struct route {
    const char *path;
    const char *method; /* the one method served; GET routes also answer HEAD */
    bool has_body;      /* expects a JSON request body (Content-Type and size checks apply) */
    route_handler handler;
    bool prefix; /* path ends with '/' and matches any one further segment ("/models/{name}") */
};

/* routes_find - the route for an exact path (or a prefix route's one-segment child), or NULL. */
const struct route *routes_find(const char *path);

/* routes_allow - the Allow header value for a route ("POST" or "GET, HEAD"). */
const char *routes_allow(const struct route *r);

#endif
