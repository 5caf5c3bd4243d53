/* plan.h - POST /estimate when the request carries more than the seed's fields. */
#ifndef VRAMFIT_PLAN_H
#define VRAMFIT_PLAN_H

#include <jansson.h>

#include "azure/catalog.h"
#include "base/error.h"
#include "api/request.h"

/*
 * plan_estimate - the refined estimate for a decoded request whose refine.any is true: parameter
 * counts from the architecture, precise KV cache, engine per-GPU fit, objectives, multi-node and
 * solve. On success *out is a new JSON object the caller owns. Errors: -EINVAL with err (4xx),
 * -ENOMEM.
 */
int plan_estimate(const struct catalog *cat, const char *today, const struct estimate_request *req,
                  json_t **out, struct error_info *err);

#endif
