/* routes.c - the handlers behind each route: they turn a request into core calls and JSON. */
#include "routes.h"

#include <string.h>

#include "api.h"
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
    /* Serialized once per snapshot and date, then shared by every request (the body depends on
     * "today" through the retired flags). */
    struct body *b = ctx->skus_cache ? bodycache_get(ctx->skus_cache, cat, ctx->today) : NULL;
    if (b != NULL) {
        out->status = 200;
        out->text = body_text(b, &out->text_len);
        out->text_release = body_release;
        out->text_cls = b;
    } else {
        out->status = 200;
        out->json = api_skus(cat, ctx->today);
    }
    catalog_unref(cat);
}

static void handle_healthz(const struct route_ctx *ctx, struct route_reply *out)
{
    (void)ctx;
    /* Liveness: no locks, no I/O, nothing that can block; not even an allocation. */
    static const char ok[] = "{\"status\":\"ok\"}\n";
    out->status = 200;
    out->text = ok;
    out->text_len = sizeof(ok) - 1;
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

static const struct route routes[] = {
    {"/estimate", "POST", true, handle_estimate, false},
    {"/skus", "GET", false, handle_skus, false},
    {"/healthz", "GET", false, handle_healthz, false},
    {"/readyz", "GET", false, handle_readyz, false},
    {"/models", "GET", false, handle_models, false},
    {"/models/", "GET", false, handle_model, true},
};

const struct route *routes_find(const char *path)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
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
    return strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
}
