/* skusquery.c - strict GET /skus filters: region, vendor, gpu_model, min_vram_gb, include_retired.
 */
#include "api/skusquery.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/fields.h"
#include "choice/choice.h"

/*
 * The parameters GET /skus accepts, in the order of the "filters" echo. This table drives
 * decoding, the did-you-mean hint, the "accepts" list of the unknown-parameter error and the echo:
 * a new row is a new parameter with no other edit (a new kind needs its cases in the switches).
 */
enum param_kind {
    PARAM_REGION, /* Azure region name (choice_filter_check), lowercased; char[size] */
    PARAM_VENDOR, /* NVIDIA or AMD (choice_filter_check); char[size] */
    PARAM_TEXT,   /* free text of < size bytes; char[size] */
    PARAM_NUMBER, /* finite number in [min, max]; double */
    PARAM_BOOL,   /* "true" or "false"; bool */
};

/* choice_filter_check bounds the vendor to what q.vendor holds. */
_Static_assert(sizeof(((struct skus_query *)0)->vendor) > CHOICE_MAX_VENDOR_LEN,
               "skus_query.vendor holds a vendor filter");

struct param_spec {
    const char *name;
    enum param_kind kind;
    size_t offset;    /* of the struct skus_query field it fills */
    size_t size;      /* PARAM_REGION / PARAM_TEXT: the field's buffer size */
    double min, max;  /* PARAM_NUMBER */
    const char *rule; /* PARAM_NUMBER / PARAM_BOOL: what "must be" says */
};

#define FIELD(f)                                                                                   \
    .offset = offsetof(struct skus_query, f), .size = sizeof(((struct skus_query *)0)->f)

static const struct param_spec params_spec[] = {
    {.name = "region", .kind = PARAM_REGION, FIELD(region)},
    {.name = "vendor", .kind = PARAM_VENDOR, FIELD(vendor)},
    {.name = "gpu_model", .kind = PARAM_TEXT, FIELD(gpu_model)},
    {.name = "min_vram_gb",
     .kind = PARAM_NUMBER,
     FIELD(min_vram_gb),
     .min = 0,
     .max = 1e6,
     .rule = "a number of GB from 0 to 1000000"},
    {.name = "include_retired",
     .kind = PARAM_BOOL,
     FIELD(include_retired),
     .rule = "true or false"},
};

#undef FIELD

#define N_SPECS (sizeof(params_spec) / sizeof(params_spec[0]))

/* The names as a NULL-terminated list (fields_closest's form); built from params_spec. */
static void spec_names(const char **names)
{
    for (size_t i = 0; i < N_SPECS; i++)
        names[i] = params_spec[i].name;
    names[N_SPECS] = NULL;
}

int skus_query_too_many(struct error_info *err)
{
    return error_set(err, 400, "invalid_parameter", "", "at most %d query parameters",
                     SKUSQUERY_MAX_PARAMS);
}

static int unknown(const char *name, struct error_info *err)
{
    const char *names[N_SPECS + 1];
    spec_names(names);
    const char *hint = fields_closest(name, names);
    char list[160];
    fields_name_list(names, N_SPECS, list, sizeof(list));
    return error_set(err, 400, "unknown_parameter", name,
                     "unknown query parameter \"%.64s\"%s%s%s; /skus accepts %s", name,
                     hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "", list);
}

#define bad(err, name, fmt, ...) error_set(err, 400, "invalid_parameter", name, fmt, __VA_ARGS__)

/* Decodes value v of the parameter described by p into q. */
static int decode_one(const struct param_spec *p, const char *v, struct skus_query *q,
                      struct error_info *err)
{
    char *dst = (char *)q + p->offset;
    size_t len = strlen(v);
    switch (p->kind) {
    case PARAM_REGION: {
        /* One validator for /estimate's body and this query (choice layer). */
        int rc = choice_filter_check(v, NULL, "invalid_parameter", err);
        if (rc < 0)
            return rc;
        if (len >= p->size)
            return bad(err, p->name, "%s \"%.48s...\" is too long", p->name, v);
        for (size_t c = 0; c <= len; c++)
            dst[c] = (char)tolower((unsigned char)v[c]);
        return 0;
    }
    case PARAM_VENDOR: {
        int rc = choice_filter_check(NULL, v, "invalid_parameter", err);
        if (rc < 0)
            return rc;
        if (len >= p->size)
            return bad(err, p->name, "%s \"%.40s...\" is too long", p->name, v);
        memcpy(dst, v, len + 1);
        return 0;
    }
    case PARAM_TEXT:
        if (len >= p->size)
            return bad(err, p->name, "%s \"%.40s...\" is too long", p->name, v);
        memcpy(dst, v, len + 1);
        return 0;
    case PARAM_NUMBER: {
        char *end = NULL;
        double d = strtod(v, &end);
        if (end == v || *end != '\0' || !isfinite(d) || d < p->min || d > p->max)
            return bad(err, p->name, "%s must be %s (got \"%.40s\")", p->name, p->rule, v);
        memcpy(dst, &d, sizeof(d));
        return 0;
    }
    case PARAM_BOOL: {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return bad(err, p->name, "%s must be %s (got \"%.40s\")", p->name, p->rule, v);
        bool b = strcmp(v, "true") == 0;
        memcpy(dst, &b, sizeof(b));
        return 0;
    }
    }
    return bad(err, p->name, "query parameter %s has no decoder", p->name);
}

int skus_query_parse(const struct skus_param *params, size_t n, struct skus_query *out,
                     struct error_info *err)
{
    struct skus_query q;
    memset(&q, 0, sizeof(q));
    if (n > SKUSQUERY_MAX_PARAMS)
        return skus_query_too_many(err);
    for (size_t i = 0; i < n; i++) {
        const char *name = params[i].name ? params[i].name : "";
        const char *v = params[i].value ? params[i].value : "";
        const struct param_spec *p = NULL;
        for (size_t k = 0; k < N_SPECS && p == NULL; k++)
            if (strcmp(params_spec[k].name, name) == 0)
                p = &params_spec[k];
        if (p == NULL)
            return unknown(name, err);
        for (size_t j = 0; j < i; j++)
            if (params[j].name && strcmp(params[j].name, name) == 0)
                return error_set(err, 400, "duplicate_parameter", name,
                                 "query parameter %s is given more than once", name);
        if (v[0] == '\0')
            return error_set(err, 400, "invalid_parameter", name,
                             "query parameter %s needs a value", name);
        int rc = decode_one(p, v, &q, err);
        if (rc < 0)
            return rc;
    }
    *out = q;
    return 0;
}

/* The echo of q as {name: value} in table order; absent text is null. NULL on allocation failure.
 */
static json_t *filters_json(const struct skus_query *q)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < N_SPECS; i++) {
        const struct param_spec *p = &params_spec[i];
        const char *src = (const char *)q + p->offset;
        json_t *v = NULL;
        switch (p->kind) {
        case PARAM_REGION:
        case PARAM_VENDOR:
        case PARAM_TEXT:
            v = src[0] ? json_string(src) : json_null();
            break;
        case PARAM_NUMBER: {
            double d;
            memcpy(&d, src, sizeof(d));
            v = json_real(d);
            break;
        }
        case PARAM_BOOL: {
            bool b;
            memcpy(&b, src, sizeof(b));
            v = json_boolean(b);
            break;
        }
        }
        if (json_object_set_new(o, p->name, v) < 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

size_t skus_query_param_count(void)
{
    return N_SPECS;
}

const char *skus_query_param_name(size_t i)
{
    return i < N_SPECS ? params_spec[i].name : NULL;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

int skus_query_list(const struct catalog *cat, const char *today, const struct skus_query *q,
                    json_t **out, struct error_info *err)
{
    if (q->region[0] && !catalog_has_prices_for(cat, q->region)) {
        const json_t *p = catalog_prices(cat);
        char *loaded = p ? json_dumps(json_object_get(p, "regions"), JSON_COMPACT) : NULL;
        int rc = error_set(err, 400, "region_not_loaded", "region",
                           "prices are not loaded for region %s, so where sizes are offered is "
                           "unknown; loaded regions: %s (start the service with --region %s)",
                           q->region, loaded ? loaded : "none (prices are off or not fetched yet)",
                           q->region);
        free(loaded);
        return rc;
    }
    json_t *list = json_array();
    if (list == NULL)
        return -ENOMEM;
    size_t retired = 0;
    for (size_t i = 0; i < catalog_count(cat); i++) {
        const struct catalog_sku *s = catalog_at(cat, i);
        bool is_retired = catalog_sku_retired(s, today);
        if ((is_retired && !q->include_retired) ||
            (q->region[0] && !catalog_sku_in_region(s, q->region)) ||
            (q->vendor[0] && strcasecmp(s->vendor, q->vendor) != 0) ||
            (q->gpu_model[0] && !contains_ci(s->gpu_model, q->gpu_model)) ||
            s->vram_gb < q->min_vram_gb)
            continue;
        retired += is_retired;
        if (json_array_append_new(list, catalog_sku_json(s, today)) < 0) {
            json_decref(list);
            return -ENOMEM;
        }
    }
    json_t *filters = filters_json(q);
    if (filters == NULL) {
        json_decref(list);
        return -ENOMEM;
    }
    size_t count = json_array_size(list);
    json_t *o = json_pack("{s:o, s:I, s:I, s:I, s:o, s:s, s:s}", "skus", list, "count",
                          (json_int_t)count, "retired", (json_int_t)retired, "total",
                          (json_int_t)catalog_count(cat), "filters", filters, "today", today,
                          "order", "vram_gb ascending, then gpus_per_vm ascending, then sku");
    if (o == NULL)
        return -ENOMEM;
    *out = o;
    return 0;
}
