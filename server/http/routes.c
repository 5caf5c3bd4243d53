/* routes.c - the handlers behind each route: they turn a request into core calls and JSON. */
#include "http/routes.h"

#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/refine.h"
#include "base/fields.h"
#include "config/embedded.h"
#include "base/jsonout.h"
#include "runtime/metrics.h"
#include "config/presets.h"
#include "hub/hub.h"
#include "model/models.h"

/* The answer buffer reserved before an estimate is written: 32 KiB with its NUL, so the refined
 * answers (23.5 KB compact, 31.9 KB with ?pretty when candidates carried their VM objects; 9-10
 * KB and 13 KB since they are compact) are never copied by a realloc. */
#define ESTIMATE_TEXT_RESERVE (32768 - 1)

static void reply_error(struct route_reply *out, const struct error_info *err)
{
    out->status = err->status ? err->status : 400;
    out->json = api_error_json(err);
}

static void free_text(void *text)
{
    free(text);
}

/*
 * "model": "org/name" that is no preset is resolved on the Hub before the api runs (core never
 * fetches). 0 with *m (NULL when there is nothing to resolve), or -EINVAL with err and
 * *retry_after_s.
 */
static int resolve_model(const struct route_ctx *ctx, const json_t *body,
                         const struct hub_model **m, struct error_info *err, int *retry_after_s)
{
    const char *model = json_string_value(json_object_get(body, "model"));
    const json_t *rev = json_object_get(body, "revision");
    *m = NULL;
    if (model == NULL || strchr(model, '/') == NULL || !hub_enabled(ctx->hub) ||
        models_find(models_builtin(), model) != NULL)
        return 0; /* the api decides (a preset, or its own unknown-model error) */
    if (rev != NULL && !json_is_string(rev))
        return error_set(err, 400, "invalid_type", "revision",
                         "revision must be a string (a branch, tag or commit)");
    return hub_resolve(ctx->hub, model, json_string_value(rev), m, err, retry_after_s);
}

/* POST /estimate's query: view (full or summary), once; any other name is refused with the
 * nearest one, as an unknown body field is. */
static int estimate_query(const struct route_ctx *ctx, enum api_view *view, struct error_info *err)
{
    static const char *const known[] = {"view", NULL};
    bool seen = false;
    *view = API_VIEW_FULL;
    if (ctx->too_many_params)
        return error_set(err, 400, "invalid_parameter", "",
                         "/estimate accepts one query "
                         "parameter, view (and pretty)");
    for (size_t i = 0; i < ctx->nparams; i++) {
        const char *name = ctx->params[i].name ? ctx->params[i].name : "";
        const char *near = fields_closest(name, known);
        if (strcmp(name, "view") != 0)
            return error_set(err, 400, "unknown_parameter", name,
                             "unknown query parameter \"%.64s\"%s%s%s; /estimate accepts view "
                             "(full, summary) and pretty",
                             name, near ? " (did you mean \"" : "", near ? near : "",
                             near ? "\"?)" : "");
        if (seen)
            return error_set(err, 400, "duplicate_parameter", name,
                             "query parameter view is given more than once");
        seen = true;
        if (api_view_parse(ctx->params[i].value, view, err) < 0)
            return -EINVAL;
    }
    return 0;
}

static void handle_estimate(const struct route_ctx *ctx, struct route_reply *out)
{
    struct error_info err;
    json_t *body = NULL;
    const struct hub_model *hm = NULL;
    enum api_view view;
    error_clear(&err);
    if (estimate_query(ctx, &view, &err) < 0 ||
        api_parse_body(ctx->body, ctx->body_len, &body, &err) < 0) {
        reply_error(out, &err);
        return;
    }
    if (resolve_model(ctx, body, &hm, &err, &out->retry_after_s) < 0) {
        reply_error(out, &err);
        json_decref(body);
        return;
    }
    struct refine_hub_model rh = {0};
    if (hm != NULL)
        rh = (struct refine_hub_model){.repo = hm->repo,
                                       .revision = hm->revision,
                                       .source = hm->source,
                                       .config = hm->config,
                                       .quant_config = hm->quant_config,
                                       .tensors = hm->has_tensors ? &hm->tensors : NULL,
                                       .shards = hm->shards,
                                       .note = hm->note};
    struct catalog *cat = store_acquire(ctx->store);
    if (cat == NULL) {
        error_set(&err, 503, "not_ready", NULL, "no SKU catalog is loaded yet");
        reply_error(out, &err);
        hub_release(hm);
        json_decref(body);
        return;
    }
    /* Written straight to text, indented as asked (no tree), and handed over as an owned shared
     * body: the HTTP layer sends it without a copy, or gzips it. */
    struct buf text;
    buf_init(&text, JSONOUT_MAX);
    /* Growing from 4 KiB copied a refined answer twice: 24k instructions a request. */
    if (buf_reserve(&text, ESTIMATE_TEXT_RESERVE) == 0 &&
        api_estimate_write_view(cat, ctx->today, body, hm ? &rh : NULL, view, ctx->indent, &text,
                                &err) == 0 &&
        buf_append(&text, "\n", 1) == 0) {
        out->status = 200;
        out->shared = text.data;
        out->shared_len = text.len;
        out->shared_release = free_text;
        out->shared_cls = buf_detach(&text, NULL);
        out->shared_indented = true;
    } else {
        if (err.status == 0)
            error_set(&err, 500, "internal", NULL, "out of memory while estimating");
        reply_error(out, &err);
        buf_free(&text);
    }
    catalog_unref(cat);
    hub_release(hm);
    json_decref(body);
}

/* Fields of the refresher's status that /skus and /readyz show as they are. */
static const char *const provenance_keys[] = {
    "source",     "location",        "fetched_at",      "etag",
    "last_error", "next_refresh_at", "last_success_at", "refresh_interval_s"};

static void add_provenance(json_t *out, const struct catalog *cat, const json_t *status)
{
    for (size_t i = 0; i < sizeof(provenance_keys) / sizeof(provenance_keys[0]); i++) {
        const json_t *v = status ? json_object_get(status, provenance_keys[i]) : NULL;
        json_object_set_new(out, provenance_keys[i], v ? json_deep_copy(v) : json_null());
    }
    if (status == NULL)
        json_object_set_new(out, "source", json_string(catalog_source(cat)));
    const json_t *p = catalog_prices(cat);
    json_object_set_new(out, "prices", p ? json_deep_copy(p) : json_null());
}

static json_t *age_seconds(const json_t *status)
{
    const json_t *t = status ? json_object_get(status, "fetched_at_unix") : NULL;
    if (!json_is_integer(t))
        return json_null();
    json_int_t age = (json_int_t)time(NULL) - json_integer_value(t);
    return json_integer(age < 0 ? 0 : age);
}

/* FNV-1a over the body without age_seconds: it names the content, not the moment. */
static void make_etag(const json_t *body, char out[48])
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    uint64_t h = 1469598103934665603ull;
    for (const char *c = text ? text : ""; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    free(text);
    snprintf(out, 48, "W/\"%016" PRIx64 "\"", h);
}

/* If-None-Match: a comma-separated list of (weak or strong) tags, or "*". Weak comparison. */
static bool etag_matches(const char *header, const char *etag)
{
    if (header == NULL)
        return false;
    const char *mine = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
    size_t mlen = strlen(mine);
    for (const char *p = header; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t end = len;
        while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
            end--;
        if (end == 1 && p[0] == '*')
            return true;
        const char *tag = p;
        if (end >= 2 && strncmp(tag, "W/", 2) == 0) {
            tag += 2;
            end -= 2;
        }
        if (end == mlen && strncmp(tag, mine, mlen) == 0)
            return true;
        p += len;
    }
    return false;
}

/* What the cached /skus body is built from besides the snapshot and the date. */
struct skus_build {
    const struct skus_query *q;
    const json_t *status;
};

/* The /skus body without age_seconds, which bodycache_get appends as the tail: the age changes
 * every second while the rest changes with the snapshot. */
static json_t *skus_build_body(const struct catalog *cat, const char *today, void *ctx,
                               char etag[48])
{
    const struct skus_build *b = ctx;
    struct error_info err;
    json_t *body = NULL;
    if (skus_query_list(cat, today, b->q, &body, &err) < 0)
        return NULL;
    add_provenance(body, cat, b->status);
    make_etag(body, etag);
    return body;
}

/*
 * GET /skus without filters: the body is serialized once per snapshot, date and refresher status,
 * then shared by every request; age_seconds, its last member, is spliced into a copy of that text
 * when it changes (at most once a second). Building it per request (the list, provenance, the
 * ETag's sorted dump, then the reply's dump) cost a second and a jansson tree several times the
 * body with the largest legal catalog. Returns false when the cache cannot help (allocation
 * failure); the caller then builds the body itself.
 */
static bool skus_cached(const struct route_ctx *ctx, struct catalog *cat, const json_t *status,
                        struct route_reply *out)
{
    struct skus_query q;
    struct error_info err;
    if (skus_query_parse(NULL, 0, &q, &err) < 0)
        return false;
    json_t *age = age_seconds(status);
    char tail[64];
    if (json_is_integer(age))
        snprintf(tail, sizeof(tail), "\"age_seconds\":%" JSON_INTEGER_FORMAT,
                 json_integer_value(age));
    else
        snprintf(tail, sizeof(tail), "\"age_seconds\":null");
    json_decref(age);
    struct skus_build b = {&q, status};
    char *key = status ? json_dumps(status, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (status != NULL && key == NULL)
        return false;
    struct body *body =
        bodycache_get(ctx->skus_cache, cat, ctx->today, key ? key : "", tail, skus_build_body, &b);
    free(key);
    if (body == NULL)
        return false;
    snprintf(out->etag, sizeof(out->etag), "%s", body_etag(body));
    if (etag_matches(ctx->if_none_match, out->etag)) {
        out->status = 304;
        body_release(body);
        return true;
    }
    out->status = 200;
    out->shared = body_text(body, &out->shared_len);
    out->shared_release = body_release;
    out->shared_cls = body;
    return true;
}

static void handle_skus(const struct route_ctx *ctx, struct route_reply *out)
{
    struct error_info err;
    struct skus_query q;
    error_clear(&err);
    if (ctx->too_many_params) {
        skus_query_too_many(&err);
        reply_error(out, &err);
        return;
    }
    if (skus_query_parse(ctx->params, ctx->nparams, &q, &err) < 0) {
        reply_error(out, &err);
        return;
    }
    json_t *status = NULL;
    struct catalog *cat = store_acquire_status(ctx->store, &status);
    if (cat == NULL) {
        error_set(&err, 503, "not_ready", NULL, "no SKU catalog is loaded yet");
        reply_error(out, &err);
        json_decref(status);
        return;
    }
    if (ctx->skus_cache != NULL && ctx->nparams == 0 && skus_cached(ctx, cat, status, out)) {
        catalog_unref(cat);
        json_decref(status);
        return;
    }
    json_t *body = NULL;
    if (skus_query_list(cat, ctx->today, &q, &body, &err) < 0) {
        if (err.status == 0)
            error_set(&err, 500, "internal", NULL, "out of memory while listing sizes");
        reply_error(out, &err);
    } else {
        add_provenance(body, cat, status);
        make_etag(body, out->etag);
        json_object_set_new(body, "age_seconds", age_seconds(status));
        out->status = etag_matches(ctx->if_none_match, out->etag) ? 304 : 200;
        out->json = body;
    }
    catalog_unref(cat);
    json_decref(status);
}

static void handle_healthz(const struct route_ctx *ctx, struct route_reply *out)
{
    (void)ctx;
    /* Liveness: no locks, no I/O, nothing that can block; not even an allocation. */
    static const char ok[] = "{\"status\":\"ok\"}\n";
    out->status = 200;
    out->shared = ok;
    out->shared_len = sizeof(ok) - 1;
}

static void handle_readyz(const struct route_ctx *ctx, struct route_reply *out)
{
    json_t *status = NULL;
    struct catalog *cat = store_acquire_status(ctx->store, &status);
    bool ready = cat != NULL && !ctx->draining;
    const char *why = ctx->draining ? "draining" : (cat == NULL ? "no catalog loaded" : NULL);
    out->status = ready ? 200 : 503;
    out->json = json_pack("{s:s}", "status", ready ? "ready" : "not_ready");
    if (out->json && why)
        json_object_set_new(out->json, "reason", json_string(why));
    if (out->json && cat) {
        /* A failing upstream never makes the service unready: the last good catalog serves. */
        json_t *c = json_pack("{s:I}", "skus", (json_int_t)catalog_count(cat));
        if (c != NULL) {
            add_provenance(c, cat, status);
            json_object_set_new(c, "age_seconds", age_seconds(status));
            json_object_set_new(out->json, "catalog", c);
        }
    }
    catalog_unref(cat);
    json_decref(status);
}

/* GET /models[?q=text]: every preset, or those whose name, id, alias or family contains q. */
static void handle_models(const struct route_ctx *ctx, struct route_reply *out)
{
    struct error_info err;
    const struct models *m = presets_builtin();
    const char *q = NULL;
    error_clear(&err);
    for (size_t i = 0; i < ctx->nparams && err.status == 0; i++) {
        const char *name = ctx->params[i].name ? ctx->params[i].name : "";
        const char *v = ctx->params[i].value ? ctx->params[i].value : "";
        if (strcmp(name, "q") != 0)
            error_set(&err, 400, "unknown_parameter", name,
                      "unknown query parameter \"%.64s\"; /models accepts q", name);
        else if (q != NULL)
            error_set(&err, 400, "duplicate_parameter", name,
                      "query parameter q is given more than once");
        else if (v[0] == '\0' || strlen(v) > MODELS_QUERY_MAX)
            error_set(&err, 400, "invalid_parameter", name,
                      "q must be 1..%d bytes (matched, ignoring case, inside preset names, "
                      "Hugging Face ids, aliases and model_type)",
                      MODELS_QUERY_MAX);
        q = v;
    }
    if (ctx->too_many_params && err.status == 0)
        error_set(&err, 400, "invalid_parameter", "", "/models accepts one query parameter, q");
    if (err.status != 0) {
        reply_error(out, &err);
        return;
    }
    out->status = m ? 200 : 500;
    out->json = m == NULL ? NULL : q ? models_search_json(m, q) : models_list_json(m);
}

/* GET /models/{id}: a preset by name, alias or Hugging Face id ("org/name": the route takes two
 * segments, which is also what "org%2Fname" becomes once libmicrohttpd has decoded the path). */
static void handle_model(const struct route_ctx *ctx, struct route_reply *out)
{
    struct error_info err;
    const struct models *m = presets_builtin();
    const char *name = ctx->path ? ctx->path + strlen("/models/") : "";
    const struct model_preset *p = NULL;
    error_clear(&err);
    if (models_resolve(m, name, &p, &err) < 0) {
        err.status = 404; /* the same refusal as POST /estimate's, for a resource path */
        reply_error(out, &err);
        return;
    }
    out->status = 200;
    out->json = models_preset_json(p);
}

static void handle_metrics(const struct route_ctx *ctx, struct route_reply *out)
{
    if (metrics_render(ctx->store, &out->text, &out->text_len) < 0)
        return; /* 500 */
    out->status = 200;
    out->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void handle_openapi_yaml(const struct route_ctx *ctx, struct route_reply *out)
{
    (void)ctx;
    out->static_text = embedded_openapi_yaml(&out->text_len);
    out->status = 200;
    out->content_type = "application/yaml";
}

static void handle_openapi_json(const struct route_ctx *ctx, struct route_reply *out)
{
    (void)ctx;
    out->static_text = embedded_openapi_json(&out->text_len);
    out->status = 200;
    out->content_type = "application/json";
}

static const struct route routes[] = {
    {.path = "/estimate", .method = "POST", .has_body = true, .handler = handle_estimate},
    {.path = "/skus", .method = "GET", .has_body = false, .handler = handle_skus},
    {.path = "/healthz", .method = "GET", .has_body = false, .handler = handle_healthz},
    {.path = "/readyz", .method = "GET", .has_body = false, .handler = handle_readyz},
    {.path = "/models", .method = "GET", .has_body = false, .handler = handle_models},
    {.path = "/models/",
     .method = "GET",
     .handler = handle_model,
     .prefix = true,
     .template_path = "/models/{name}",
     .segments = 2},
    {.path = "/metrics", .method = "GET", .has_body = false, .handler = handle_metrics},
    {.path = "/openapi.yaml", .method = "GET", .has_body = false, .handler = handle_openapi_yaml},
    {.path = "/openapi.json", .method = "GET", .has_body = false, .handler = handle_openapi_json},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static char summary[1024];
static pthread_once_t summary_once = PTHREAD_ONCE_INIT;

static void build_summary(void)
{
    size_t o = 0;
    for (size_t i = 0; i < NROUTES && o < sizeof(summary); i++) {
        int n = snprintf(summary + o, sizeof(summary) - o, "%s%s %s", i ? ", " : "",
                         routes[i].method, routes_template(&routes[i]));
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

const char *routes_template(const struct route *r)
{
    return r->template_path ? r->template_path : r->path;
}

const char *routes_summary(void)
{
    pthread_once(&summary_once, build_summary);
    return summary;
}

/* True when tail is 1..max (at least 1) non-empty '/'-separated segments. */
static bool prefix_tail_ok(const char *tail, unsigned max)
{
    unsigned segs = 1;
    if (tail[0] == '\0' || tail[0] == '/')
        return false;
    for (const char *c = tail; *c; c++) {
        if (*c != '/')
            continue;
        if (c[1] == '\0' || c[1] == '/' || ++segs > (max ? max : 1))
            return false;
    }
    return true;
}

const struct route *routes_find(const char *path)
{
    for (size_t i = 0; i < NROUTES; i++) {
        const struct route *r = &routes[i];
        size_t n = strlen(r->path);
        if (strcmp(r->path, path) == 0 && !r->prefix)
            return r;
        /* Non-empty segments after the prefix, at most r->segments of them (1 when 0):
         * "/models/mixtral-8x7b" and "/models/org/name", not "/models/a/b/c" or "/models/a/". */
        if (r->prefix && strncmp(r->path, path, n) == 0 && prefix_tail_ok(path + n, r->segments))
            return r;
    }
    return NULL;
}

const char *routes_allow(const struct route *r)
{
    return strcmp(r->method, "GET") == 0    ? "GET, HEAD, OPTIONS"
           : strcmp(r->method, "POST") == 0 ? "POST, OPTIONS"
                                            : r->method;
}
