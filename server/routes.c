/* routes.c - the handlers behind each route: they turn a request into core calls and JSON. */
#include "routes.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "embedded.h"
#include "metrics.h"
#include "presets.h"

static void reply_error(struct route_reply *out, const struct error_info *err)
{
    out->status = err->status ? err->status : 400;
    out->json = api_error_json(err);
}

static void handle_estimate(const struct route_ctx *ctx, struct route_reply *out)
{
    struct error_info err;
    json_t *body = NULL;
    error_clear(&err);
    if (api_parse_body(ctx->body, ctx->body_len, &body, &err) < 0) {
        reply_error(out, &err);
        return;
    }
    struct catalog *cat = store_acquire(ctx->store);
    if (cat == NULL) {
        error_set(&err, 503, "not_ready", NULL, "no SKU catalog is loaded yet");
        reply_error(out, &err);
        json_decref(body);
        return;
    }
    json_t *result = NULL;
    if (api_estimate(cat, ctx->today, body, &result, &err) < 0) {
        if (err.status == 0)
            error_set(&err, 500, "internal", NULL, "out of memory while estimating");
        reply_error(out, &err);
    } else {
        out->status = 200;
        out->json = result;
    }
    catalog_unref(cat);
    json_decref(body);
}

static void handle_skus(const struct route_ctx *ctx, struct route_reply *out)
{
    struct catalog *cat = store_acquire(ctx->store);
    if (cat == NULL) {
        struct error_info err;
        error_set(&err, 503, "not_ready", NULL, "no SKU catalog is loaded yet");
        reply_error(out, &err);
        return;
    }
    out->status = 200;
    out->json = api_skus(cat, ctx->today);
    catalog_unref(cat);
}

static void handle_healthz(const struct route_ctx *ctx, struct route_reply *out)
{
    (void)ctx;
    /* Liveness: no locks, no I/O, nothing that can block. */
    out->status = 200;
    out->json = json_pack("{s:s}", "status", "ok");
}

static void handle_readyz(const struct route_ctx *ctx, struct route_reply *out)
{
    struct catalog *cat = store_acquire(ctx->store);
    bool ready = cat != NULL && !ctx->draining;
    const char *why = ctx->draining ? "draining" : (cat == NULL ? "no catalog loaded" : NULL);
    out->status = ready ? 200 : 503;
    out->json = json_pack("{s:s}", "status", ready ? "ready" : "not_ready");
    if (out->json && why)
        json_object_set_new(out->json, "reason", json_string(why));
    if (out->json && cat) {
        json_object_set_new(out->json, "catalog",
                            json_pack("{s:s, s:I}", "source", catalog_source(cat), "skus",
                                      (json_int_t)catalog_count(cat)));
    }
    catalog_unref(cat);
}

static void handle_models(const struct route_ctx *ctx, struct route_reply *out)
{
    (void)ctx;
    const struct models *m = presets_builtin();
    out->status = m ? 200 : 500;
    out->json = m ? models_list_json(m) : NULL;
}

static void handle_model(const struct route_ctx *ctx, struct route_reply *out)
{
    struct error_info err;
    const struct models *m = presets_builtin();
    const char *name = ctx->path ? strrchr(ctx->path, '/') : NULL;
    name = name ? name + 1 : "";
    const struct model_preset *p = models_find(m, name);
    if (p == NULL) {
        error_set(&err, 404, "unknown_model", "model",
                  "no model preset is called \"%.64s\"; GET /models lists them", name);
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
    {"/estimate", "POST", true, handle_estimate, false, NULL},
    {"/skus", "GET", false, handle_skus, false, NULL},
    {"/healthz", "GET", false, handle_healthz, false, NULL},
    {"/readyz", "GET", false, handle_readyz, false, NULL},
    {"/models", "GET", false, handle_models, false, NULL},
    {"/models/", "GET", false, handle_model, true, "/models/{name}"},
    {"/metrics", "GET", false, handle_metrics, false, NULL},
    {"/openapi.yaml", "GET", false, handle_openapi_yaml, false, NULL},
    {"/openapi.json", "GET", false, handle_openapi_json, false, NULL},
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

const struct route *routes_find(const char *path)
{
    for (size_t i = 0; i < NROUTES; i++) {
        const struct route *r = &routes[i];
        size_t n = strlen(r->path);
        if (strcmp(r->path, path) == 0 && !r->prefix)
            return r;
        /* One non-empty segment after the prefix: "/models/mixtral-8x7b", not "/models/a/b". */
        if (r->prefix && strncmp(r->path, path, n) == 0 && path[n] != '\0' &&
            strchr(path + n, '/') == NULL)
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
