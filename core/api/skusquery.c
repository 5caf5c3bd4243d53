/* skusquery.c - strict GET /skus filters: region, vendor, gpu_model, min_vram_gb, include_retired.
 */
#include "api/skusquery.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/fields.h"
#include "choice/choice.h"

static const char *const known[] = {"region",      "vendor",          "gpu_model",
                                    "min_vram_gb", "include_retired", NULL};

/* choice_filter_check bounds the vendor to what q.vendor holds. */
_Static_assert(sizeof(((struct skus_query *)0)->vendor) > CHOICE_MAX_VENDOR_LEN,
               "skus_query.vendor holds a vendor filter");

#define bad(err, name, fmt, value) error_set(err, 400, "invalid_parameter", name, fmt, value)

int skus_query_parse(const struct skus_param *params, size_t n, struct skus_query *out,
                     struct error_info *err)
{
    struct skus_query q;
    memset(&q, 0, sizeof(q));
    if (n > SKUSQUERY_MAX_PARAMS)
        return error_set(err, 400, "invalid_parameter", "", "at most %d query parameters",
                         SKUSQUERY_MAX_PARAMS);
    for (size_t i = 0; i < n; i++) {
        const char *name = params[i].name ? params[i].name : "";
        const char *v = params[i].value ? params[i].value : "";
        size_t k = 0;
        while (known[k] && strcmp(known[k], name) != 0)
            k++;
        if (known[k] == NULL) {
            const char *hint = fields_closest(name, known);
            return error_set(
                err, 400, "unknown_parameter", name,
                "unknown query parameter \"%.64s\"%s%s%s; /skus accepts region, vendor, "
                "gpu_model, min_vram_gb, include_retired",
                name, hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
        }
        for (size_t j = 0; j < i; j++)
            if (params[j].name && strcmp(params[j].name, name) == 0)
                return error_set(err, 400, "duplicate_parameter", name,
                                 "query parameter %s is given more than once", name);
        if (v[0] == '\0')
            return error_set(err, 400, "invalid_parameter", name,
                             "query parameter %s needs a value", name);
        if (strcmp(name, "region") == 0) {
            int rc = choice_filter_check(v, NULL, "invalid_parameter", err);
            if (rc < 0)
                return rc;
            for (size_t c = 0, len = strlen(v); c <= len; c++)
                q.region[c] = (char)tolower((unsigned char)v[c]);
        } else if (strcmp(name, "vendor") == 0) {
            int rc = choice_filter_check(NULL, v, "invalid_parameter", err);
            if (rc < 0)
                return rc;
            snprintf(q.vendor, sizeof(q.vendor), "%s", v);
        } else if (strcmp(name, "gpu_model") == 0) {
            if (strlen(v) >= sizeof(q.gpu_model))
                return bad(err, name, "gpu_model \"%.40s...\" is too long", v);
            snprintf(q.gpu_model, sizeof(q.gpu_model), "%s", v);
        } else if (strcmp(name, "min_vram_gb") == 0) {
            char *end = NULL;
            double d = strtod(v, &end);
            if (end == v || *end != '\0' || !isfinite(d) || d < 0 || d > 1e6)
                return bad(err, name, "min_vram_gb must be a number of GB >= 0 (got \"%.40s\")", v);
            q.min_vram_gb = d;
        } else {
            if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
                return bad(err, name, "include_retired must be true or false (got \"%.40s\")", v);
            q.include_retired = strcmp(v, "true") == 0;
        }
    }
    *out = q;
    return 0;
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
    json_t *filters = json_pack(
        "{s:o, s:o, s:o, s:f, s:b}", "region", q->region[0] ? json_string(q->region) : json_null(),
        "vendor", q->vendor[0] ? json_string(q->vendor) : json_null(), "gpu_model",
        q->gpu_model[0] ? json_string(q->gpu_model) : json_null(), "min_vram_gb", q->min_vram_gb,
        "include_retired", q->include_retired);
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
