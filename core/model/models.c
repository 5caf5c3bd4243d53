/* models.c - loads the preset document, decodes every config once, answers lookups by name/alias.
 */
#include "model/models.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* True when preset i of m is called name (name or alias, ASCII case ignored). */
static bool is_called(const struct models *m, size_t i, const char *name)
{
    const struct model_preset *p = &m->items[i];
    if (strcasecmp(p->name, name) == 0)
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

/* True when name collides with any name/alias of presets [0, upto). */
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
        /* Uniqueness over names and aliases, checked against earlier presets. */
        const json_t *aliases = json_object_get(e, "aliases");
        if (taken(m, i, p->name)) {
            rc = error_set(err, 500, "invalid_models", where, "preset name %s is not unique",
                           p->name);
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

json_t *models_preset_json(const struct model_preset *p)
{
    json_t *o = summary(p);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "architecture", arch_to_json(&p->arch));
    json_object_set_new(o, "params", params_to_json(&p->params));
    const char *keys[] = {"official_total_note", "dtype_of_checkpoint",
                          "config_fidelity",     "sources",
                          "counter_notes",       "hf_config"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(p->json, keys[i]);
        if (v)
            json_object_set(o, keys[i], v);
    }
    return o;
}
