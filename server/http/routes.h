/* routes.h - the route table: which paths exist, their methods, and the handlers behind them. */
#ifndef VRAMFIT_ROUTES_H
#define VRAMFIT_ROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/bodycache.h"
#include "api/skusquery.h"
#include "runtime/store.h"

struct hub;

/* What a handler sees: the request's body (already bounded) and the server's state. */
struct route_ctx {
    struct store *store;
    const char *today; /* "YYYY-MM-DD" used for retirement checks */
    bool draining;     /* SIGTERM received: readiness must fail */
    const char *body;
    size_t body_len;
    const char *path;                /* the request path (for routes that take a path parameter) */
    const struct skus_param *params; /* query-string parameters, in order */
    size_t nparams;
    bool too_many_params;         /* more than ROUTES_MAX_PARAMS were sent */
    const char *if_none_match;    /* the If-None-Match header, or NULL */
    struct bodycache *skus_cache; /* GET /skus bodies per (snapshot, date, provenance) */
    int indent;      /* the answer's indentation: 0 compact, 2 for ?pretty (or curl's default) */
    struct hub *hub; /* resolves "model": "org/name" (POST /estimate); NULL = off */
};

/* Query parameters collected per request: the one cap, owned by the /skus query decoder. */
#define ROUTES_MAX_PARAMS SKUSQUERY_MAX_PARAMS

/*
 * What a handler returns: a status and a JSON body the HTTP layer serializes and frees, or (when
 * content_type is set) a ready-made text body: text is malloc'd and freed by the HTTP layer, or
 * static_text is borrowed static storage.
 * Or a shared, already serialized JSON body (shared, with its trailing newline): the HTTP layer
 * sends it without copying and calls shared_release(shared_cls) once the response is done (a
 * handler's own malloc'd text goes this way too, with free as shared_release). A shared body is
 * compact, and re-indented by the HTTP layer for ?pretty, unless shared_indented says the handler
 * already wrote it with ctx->indent.
 */
struct route_reply {
    int status;
    json_t *json;  /* owned by the reply; NULL (and no text) means "answer 500" */
    char etag[48]; /* sent as ETag when not empty; status 304 sends no body */
    const char *content_type;
    char *text;
    const char *static_text;
    size_t text_len;
    const char *shared;
    size_t shared_len;
    void (*shared_release)(void *cls);
    void *shared_cls;
    bool shared_indented;
    int retry_after_s; /* > 0: sent as Retry-After (the Hub was unreachable) */
};

typedef void (*route_handler)(const struct route_ctx *ctx, struct route_reply *out);

struct route {
    const char *path;
    const char *method; /* the one method served; GET routes also answer HEAD */
    bool has_body;      /* expects a JSON request body (Content-Type and size checks apply) */
    route_handler handler;
    bool prefix; /* path ends with '/' and matches further segments ("/models/{name}") */
    const char *template_path; /* the path as the OpenAPI spec writes it ("/models/{name}"), used
                                  in metrics labels and logs; NULL = path */
    unsigned segments;         /* prefix routes: how many segments the parameter may span (0 = 1);
                                  2 for Hugging Face ids ("deepseek-ai/DeepSeek-R1") */
};

/* routes_find - the route for an exact path (or a prefix route's child of up to .segments
 * non-empty segments), or NULL. */
const struct route *routes_find(const char *path);

/* routes_allow - the Allow header value for a route ("POST, OPTIONS" or "GET, HEAD, OPTIONS"). */
const char *routes_allow(const struct route *r);

/* routes_template - the route's path template ("/models/{name}"); static storage. */
const char *routes_template(const struct route *r);

/* routes_summary - "POST /estimate, GET /skus, ..." for 404 messages (static storage). */
const char *routes_summary(void);

#endif
