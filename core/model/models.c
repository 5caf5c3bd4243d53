/* models.c - loads the preset document, decodes every config once, answers lookups by name/alias.
 */
#include "model/models.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/fields.h"

struct models {
    json_t *doc;
    size_t n;
    struct model_preset *items;
};

static _Atomic(const struct models *) builtin;

void models_set_builtin(const struct models *m)
{
    atomic_store(&builtin, m);
}

const struct models *models_builtin(void)
{
    return atomic_load(&builtin);
}

static const char *str_or_null(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* True when preset i of m is called name (name, Hugging Face id or alias; ASCII case ignored). */
static bool is_called(const struct models *m, size_t i, const char *name)
{
    const struct model_preset *p = &m->items[i];
    if (strcasecmp(p->name, name) == 0 || (p->hf_id && strcasecmp(p->hf_id, name) == 0))
        return true;
    size_t j;
    const json_t *a;
    json_array_foreach(json_object_get(p->json, "aliases"), j, a)
    {
        if (json_is_string(a) && strcasecmp(json_string_value(a), name) == 0)
            return true;
    }
    return false;
}

/* Frees a registry (NULL accepted): only a failed load; a loaded one lives for the process. */
static void free_registry(struct models *m)
{
    if (m == NULL)
        return;
    json_decref(m->doc);
    free(m->items);
    free(m);
}

/* True when name collides with any name/alias/hf_id of presets [0, upto). */
static bool taken(const struct models *m, size_t upto, const char *name)
{
    for (size_t i = 0; i < upto; i++)
        if (is_called(m, i, name))
            return true;
    return false;
}

int models_load(const char *data, size_t len, struct models **out, struct error_info *err)
{
    json_error_t jerr;
    struct models *m = NULL;
    int rc = 0;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return error_set(err, 500, "invalid_models", "",
                         "models document is not JSON: %s (line %d)", jerr.text, jerr.line);
    const char *schema = str_or_null(doc, "schema");
    const json_t *list = json_object_get(doc, "models");
    if (schema == NULL || strcmp(schema, "vramfit.models/v1") != 0 || !json_is_array(list) ||
        json_array_size(list) == 0 || json_array_size(list) > MODELS_MAX) {
        rc = error_set(err, 500, "invalid_models", "schema",
                       "models document must have schema \"vramfit.models/v1\" and 1..%d models",
                       MODELS_MAX);
        goto out;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->items = calloc(json_array_size(list), sizeof(*m->items))) == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    m->doc = doc;
    doc = NULL;
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        struct model_preset *p = &m->items[i];
        char where[96];
        p->name = str_or_null(e, "name");
        snprintf(where, sizeof(where), "models[%zu].hf_config", i);
        if (p->name == NULL) {
            rc = error_set(err, 500, "invalid_models", where, "models[%zu] has no name", i);
            goto out;
        }
        p->display_name = str_or_null(e, "display_name");
        p->hf_id = str_or_null(e, "hf_id");
        p->json = e;
        if ((rc = arch_from_hf_config(json_object_get(e, "hf_config"), where, &p->arch, err)) < 0)
            goto out;
        params_count(&p->arch, &p->params);
        struct error_info qerr;
        p->has_weights = quant_from_config(json_object_get(e, "hf_config"), NULL, "model",
                                           &p->quant, &qerr) == 0;
        if (p->has_weights)
            quant_weights(&p->arch, &p->params, &p->quant, &p->weights);
        /* Uniqueness over names and aliases, checked against earlier presets. */
        const json_t *aliases = json_object_get(e, "aliases");
        if (taken(m, i, p->name)) {
            rc = error_set(err, 500, "invalid_models", where, "preset name %s is not unique",
                           p->name);
            goto out;
        }
        if (p->hf_id != NULL && taken(m, i, p->hf_id)) {
            rc = error_set(err, 500, "invalid_models", where, "hf_id %s of %s is not unique",
                           p->hf_id, p->name);
            goto out;
        }
        size_t j;
        const json_t *a;
        json_array_foreach(aliases, j, a)
        {
            if (!json_is_string(a) || taken(m, i, json_string_value(a))) {
                rc = error_set(err, 500, "invalid_models", where,
                               "alias %zu of %s is not a unique string", j, p->name);
                goto out;
            }
        }
        m->n = i + 1;
    }
    *out = m;
    m = NULL;
out:
    free_registry(m);
    json_decref(doc);
    return rc;
}

size_t models_count(const struct models *m)
{
    return m ? m->n : 0;
}

const struct model_preset *models_at(const struct models *m, size_t i)
{
    return i < m->n ? &m->items[i] : NULL;
}

const struct model_preset *models_find(const struct models *m, const char *name)
{
    if (m == NULL || name == NULL)
        return NULL;
    /* Canonical names first: most requests use one, and comparing it skips the aliases' JSON
     * lookups. Names, ids and aliases are unique across the registry (models_load refuses a
     * collision), so whichever pass matches, it is the only preset so called. */
    for (size_t i = 0; i < m->n; i++)
        if (strcasecmp(m->items[i].name, name) == 0)
            return &m->items[i];
    for (size_t i = 0; i < m->n; i++)
        if (is_called(m, i, name))
            return &m->items[i];
    return NULL;
}

void models_params(const struct model_preset *p, const struct arch *a, struct params *out)
{
    if (p != NULL)
        *out = p->params;
    else
        params_count(a, out);
}

/* The distance from name to preset p: the closest of its name, hf_id and aliases. */
static size_t distance_to(const struct model_preset *p, const char *name)
{
    size_t best = fields_edit_distance(name, p->name, true);
    if (p->hf_id) {
        size_t d = fields_edit_distance(name, p->hf_id, true);
        best = d < best ? d : best;
        /* "Llama-3.3-70B" against "meta-llama/Llama-3.3-70B-Instruct": the part after the org. */
        const char *slash = strchr(p->hf_id, '/');
        if (slash && (d = fields_edit_distance(name, slash + 1, true)) < best)
            best = d;
    }
    size_t j;
    const json_t *a;
    json_array_foreach(json_object_get(p->json, "aliases"), j, a)
    {
        size_t d =
            json_is_string(a) ? fields_edit_distance(name, json_string_value(a), true) : SIZE_MAX;
        best = d < best ? d : best;
    }
    return best;
}

const struct model_preset *models_closest(const struct models *m, const char *name)
{
    const struct model_preset *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < models_count(m) && name != NULL; i++) {
        size_t d = distance_to(&m->items[i], name);
        if (d < best_d) {
            best_d = d;
            best = &m->items[i];
        }
    }
    /* Close means at most a third of the name's letters differ (and at least 3 are allowed, for
     * "mixtral-8x7" or a dropped "-instruct"-sized slip): beyond that a hint misleads. */
    size_t allowed = name ? strlen(name) / 3 : 0;
    if (allowed < 3)
        allowed = 3;
    return best_d <= allowed ? best : NULL;
}

int models_resolve(const struct models *m, const char *name, const struct model_preset **out,
                   struct error_info *err)
{
    const struct model_preset *p = models_find(m, name);
    if (p != NULL) {
        *out = p;
        return 0;
    }
    /*
     * THE "not a preset" decision: every caller that turns a model name into an architecture
     * comes here (POST /estimate's "model", GET /models/{id}). Live Hugging Face Hub resolution
     * of an unknown "org/name" id belongs here, before this refusal.
     */
    const struct model_preset *near = models_closest(m, name);
    if (near != NULL)
        return error_set(err, 422, "unknown_model", "model",
                         "no model preset is called \"%.64s\" (did you mean \"%s\"?); GET "
                         "/models?q= searches the presets, or send hf_config",
                         name ? name : "", near->name);
    return error_set(err, 422, "unknown_model", "model",
                     "no model preset is called \"%.64s\"; GET /models?q= searches the presets "
                     "by name, Hugging Face id or family, or send hf_config",
                     name ? name : "");
}

/* True when needle (non-empty) occurs in hay, ignoring ASCII case. */
static bool contains_nocase(const char *hay, const char *needle)
{
    if (hay == NULL)
        return false;
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

static bool matches(const struct model_preset *p, const char *q)
{
    if (contains_nocase(p->name, q) || contains_nocase(p->hf_id, q) ||
        contains_nocase(p->display_name, q) || contains_nocase(p->arch.model_type, q))
        return true;
    size_t j;
    const json_t *a;
    json_array_foreach(json_object_get(p->json, "aliases"), j, a)
    {
        if (json_is_string(a) && contains_nocase(json_string_value(a), q))
            return true;
    }
    return false;
}

static json_t *official(const json_t *e, const char *key)
{
    const json_t *v = json_object_get(e, key);
    return json_is_number(v) ? json_real(json_number_value(v)) : json_null();
}

static json_t *summary(const struct model_preset *p)
{
    const struct arch *a = &p->arch;
    return json_pack("{s:s, s:s?, s:s?, s:O?, s:s, s:b, s:f, s:f, s:o, s:o, s:I, s:I, s:I, s:s}",
                     "name", p->name, "display_name", p->display_name, "hf_id", p->hf_id, "aliases",
                     json_object_get(p->json, "aliases"), "model_type", a->model_type, "moe",
                     arch_is_moe(a), "total_b", p->params.total / 1e9, "active_b",
                     p->params.active / 1e9, "official_total_b",
                     official(p->json, "official_total_params_b"), "official_active_b",
                     official(p->json, "official_active_params_b"), "layers", (json_int_t)a->layers,
                     "kv_heads", (json_int_t)a->kv_heads, "vocab_size", (json_int_t)a->vocab,
                     "attention", arch_attention_name(a->attention));
}

json_t *models_list_json(const struct models *m)
{
    json_t *list = json_array();
    if (list == NULL)
        return NULL;
    for (size_t i = 0; i < models_count(m); i++) {
        if (json_array_append_new(list, summary(&m->items[i])) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return json_pack("{s:o, s:I}", "models", list, "count", (json_int_t)models_count(m));
}

json_t *models_search_json(const struct models *m, const char *q)
{
    json_t *list = json_array();
    size_t total = 0;
    if (list == NULL)
        return NULL;
    for (size_t i = 0; i < models_count(m); i++) {
        if (!matches(&m->items[i], q))
            continue;
        if (++total <= MODELS_SEARCH_MAX &&
            json_array_append_new(list, summary(&m->items[i])) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return json_pack("{s:o, s:I, s:I, s:b, s:s}", "models", list, "count",
                     (json_int_t)json_array_size(list), "matches", (json_int_t)total, "truncated",
                     total > MODELS_SEARCH_MAX, "query", q);
}

json_t *models_preset_json(const struct model_preset *p)
{
    json_t *o = summary(p);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "architecture", arch_to_json(&p->arch));
    json_object_set_new(o, "params", params_to_json(&p->params));
    const char *keys[] = {"official_total_note",
                          "official_total_kind",
                          "dtype_of_checkpoint",
                          "config_fidelity",
                          "sources",
                          "counter_notes",
                          "hf_config"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(p->json, keys[i]);
        if (v)
            json_object_set(o, keys[i], v);
    }
    return o;
}
