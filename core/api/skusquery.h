/* skusquery.h - GET /skus query parameters (strictly validated) and the filtered listing. */
#ifndef VRAMFIT_SKUSQUERY_H
#define VRAMFIT_SKUSQUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "azure/catalog.h"
#include "base/error.h"

/*
 * The one cap on query parameters per request (?pretty, the HTTP layer's own, not counted): the
 * HTTP layer collects at most this many and answers skus_query_too_many() beyond it.
 */
#define SKUSQUERY_MAX_PARAMS 16

/* One query-string parameter as the HTTP layer decoded it (value "" when given without '='). */
struct skus_param {
    const char *name;
    const char *value;
};

struct skus_query {
    char region[CATALOG_MAX_REGION_LEN + 1]; /* "" = any */
    char vendor[64];                         /* "" = any; case-insensitive exact */
    char gpu_model[128];                     /* "" = any; case-insensitive substring */
    double min_vram_gb;                      /* per GPU; 0 = any */
    bool include_retired;                    /* retired sizes are hidden unless true */
};

/*
 * skus_query_parse - validates params against the table in skusquery.c (region, vendor,
 * gpu_model, min_vram_gb, include_retired), each at most once, none empty, at most
 * SKUSQUERY_MAX_PARAMS. Errors are 400 with err->field naming the
 * parameter ("unknown_parameter" with a did-you-mean hint, "duplicate_parameter",
 * "invalid_parameter"). On success fills *out.
 */
int skus_query_parse(const struct skus_param *params, size_t n, struct skus_query *out,
                     struct error_info *err);

/* skus_query_too_many - sets the 400 for more than SKUSQUERY_MAX_PARAMS parameters; -EINVAL. */
int skus_query_too_many(struct error_info *err);

/*
 * skus_query_param_count / skus_query_param_name - the accepted parameter names, in the order of
 * the "filters" echo (static storage; NULL past the end). For tests and documentation checks.
 */
size_t skus_query_param_count(void);
const char *skus_query_param_name(size_t i);

/*
 * skus_query_list - the sizes of cat matching q, in choice order, as {"skus", "count", "retired",
 * "total", "filters", "today", "order"}. A region filter needs prices loaded for that region
 * (that is what says where a size is offered): otherwise -EINVAL with a 400 "region_not_loaded"
 * naming the loaded regions. New reference in *out, or -ENOMEM.
 */
int skus_query_list(const struct catalog *cat, const char *today, const struct skus_query *q,
                    json_t **out, struct error_info *err);

#endif
