/* summary.c - ?view=summary: a POST /estimate answer cut to what a person reads first. */
#include "api/summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/manifests.h"

const char *const api_view_names[API_VIEW_COUNT + 1] = {
    [API_VIEW_FULL] = "full",
    [API_VIEW_SUMMARY] = "summary",
    [API_VIEW_COUNT] = NULL,
};

int api_view_parse(const char *value, enum api_view *out, struct error_info *err)
{
    for (int i = 0; i < API_VIEW_COUNT; i++)
        if (value != NULL && strcmp(value, api_view_names[i]) == 0) {
            *out = (enum api_view)i;
            return 0;
        }
    return error_set(err, 400, "invalid_parameter", "view",
                     "view \"%.40s\" is not known; use one of: full, summary", value ? value : "");
}

/* key: the answer's member of that name, when it has one (a summary never invents a value). */
static void copy(struct jsonout *w, const json_t *from, const char *key)
{
    const json_t *v = json_object_get(from, key);
    if (v == NULL)
        return;
    jsonout_key(w, key);
    jsonout_value(w, v);
}

static void copy_keys(struct jsonout *w, const json_t *from, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++)
        copy(w, from, keys[i]);
}

/* The chosen size's name and GPU, from the answer's "sku" object (null when nothing fits). */
static void write_sku(struct jsonout *w, const json_t *a)
{
    const json_t *sku = json_object_get(a, "sku");
    jsonout_key(w, "sku");
    if (!json_is_object(sku)) {
        jsonout_null(w);
        return;
    }
    jsonout_value(w, json_object_get(sku, "sku"));
    copy(w, sku, "gpu_model");
    copy(w, sku, "gpus_per_vm");
}

/* A sub-object of the answer with only the listed members. */
static void copy_subset(struct jsonout *w, const json_t *a, const char *key,
                        const char *const *keys)
{
    const json_t *o = json_object_get(a, key);
    if (!json_is_object(o))
        return;
    jsonout_key(w, key);
    jsonout_begin_object(w);
    copy_keys(w, o, keys);
    jsonout_end_object(w);
}

/* The runners-up: candidates 2..1 + SUMMARY_ALTERNATIVES, each with the listed members. */
static void write_alternatives(struct jsonout *w, const json_t *a, const char *const *keys)
{
    const json_t *list = json_object_get(a, "candidates");
    if (!json_is_array(list))
        return;
    jsonout_key(w, "alternatives");
    jsonout_begin_array(w);
    for (size_t i = 1; i < json_array_size(list) && i <= SUMMARY_ALTERNATIVES; i++) {
        const json_t *c = json_array_get(list, i);
        jsonout_begin_object(w);
        copy_keys(w, c, keys);
        jsonout_end_object(w);
    }
    jsonout_end_array(w);
}

/* deploy: the engine, its argv as one shell command line, and which manifest the full answer
 * holds. */
static void write_deploy(struct jsonout *w, const json_t *a)
{
    const json_t *d = json_object_get(a, "deploy"), *argv = json_object_get(d, "argv");
    if (!json_is_object(d) || !json_is_array(argv))
        return;
    const char *words[DEPLOY_MAX_ARGS];
    int n = 0;
    for (size_t i = 0; i < json_array_size(argv) && n < DEPLOY_MAX_ARGS; i++) {
        const char *s = json_string_value(json_array_get(argv, i));
        if (s != NULL)
            words[n++] = s;
    }
    char *cmd = malloc(MANIFESTS_MAX_COMMAND);
    if (cmd == NULL || manifests_shell_join(words, n, cmd, MANIFESTS_MAX_COMMAND) < 0) {
        free(cmd);
        jsonout_fail(w, -ENOMEM);
        return;
    }
    jsonout_key(w, "deploy");
    jsonout_begin_object(w);
    copy(w, d, "engine");
    jsonout_key(w, "command");
    jsonout_string(w, cmd);
    jsonout_key(w, "manifest");
    jsonout_string(w, json_object_get(d, "kaito")             ? "kaito"
                      : json_object_get(d, "leaderworkerset") ? "leaderworkerset"
                                                              : NULL);
    jsonout_end_object(w);
    free(cmd);
}

static const char *const price_keys[] = {"price_per_hour", "cost_per_hour", "price_source",
                                         "price_region", NULL};

static void refined(struct jsonout *w, const json_t *a)
{
    static const char *const head[] = {"model", "objective", "fits", NULL};
    static const char *const layout[] = {
        "gpus", "nodes", "tensor_parallel", "pipeline_parallel", "per_gpu_total_gb", NULL};
    static const char *const per_gpu[] = {"budget_gb",    "weights_gb",     "activation_gb",
                                          "overhead_gb",  "cuda_graphs_gb", "kv_pool_gb",
                                          "kv_needed_gb", "kv_tokens",      NULL};
    static const char *const kv[] = {"kv_gb",   "kv_bytes_per_token", "max_concurrency",
                                     "max_ctx", "kv_capacity_tokens", NULL};
    static const char *const alt[] = {"sku",           "gpus",         "nodes", "per_gpu_total_gb",
                                      "cost_per_hour", "price_source", NULL};
    static const char *const solved[] = {"solve",   "sku",       "tensor_parallel",
                                         "max_ctx", "max_batch", NULL};
    copy_keys(w, a, head);
    if (json_object_get(a, "solution")) {
        copy_subset(w, a, "solution", solved);
        copy(w, a, "per_gpu_total_gb");
    } else {
        write_sku(w, a);
        copy_keys(w, a, layout);
    }
    copy_subset(w, a, "per_gpu", per_gpu);
    copy_keys(w, a, kv);
    copy_keys(w, a, price_keys);
    write_deploy(w, a);
    copy(w, a, "offload"); /* experts in host RAM: what the GPU and the host hold, the bound */
    copy(w, a, "reason");
    write_alternatives(w, a, alt);
}

static void seed(struct jsonout *w, const json_t *a)
{
    static const char *const keys[] = {"fits",  "gpus", "total_gb", "weights_gb",
                                       "kv_gb", "moe",  "reason",   NULL};
    write_sku(w, a);
    copy_keys(w, a, keys);
    copy_keys(w, a, price_keys);
}

static void training(struct jsonout *w, const json_t *a)
{
    static const char *const head[] = {"model", "fits", NULL};
    static const char *const layout[] = {"gpus", "nodes", "data_parallel", "total_gb", NULL};
    static const char *const per_gpu[] = {
        "total_gb",       "weights_gb",  "grads_gb", "optimizer_gb",
        "activations_gb", "overhead_gb", NULL};
    static const char *const alt[] = {"sku",           "gpus",         "nodes", "per_gpu_total_gb",
                                      "cost_per_hour", "price_source", NULL};
    copy_keys(w, a, head);
    write_sku(w, a);
    copy_keys(w, a, layout);
    copy_subset(w, a, "per_gpu", per_gpu);
    copy_keys(w, a, price_keys);
    copy(w, a, "reason");
    write_alternatives(w, a, alt);
}

void summary_write(const json_t *answer, struct jsonout *w)
{
    const char *kind = json_string_value(json_object_get(answer, "kind"));
    jsonout_begin_object(w);
    jsonout_key(w, "kind");
    jsonout_string(w, kind ? kind : "seed");
    jsonout_key(w, "view");
    jsonout_string(w, api_view_names[API_VIEW_SUMMARY]);
    if (kind == NULL)
        seed(w, answer);
    else if (strcmp(kind, "training") == 0)
        training(w, answer);
    else
        refined(w, answer);
    jsonout_end_object(w);
}
