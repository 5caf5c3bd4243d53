/* plan.h - POST /estimate when the request carries more than the seed's fields. */
#ifndef VRAMFIT_PLAN_H
#define VRAMFIT_PLAN_H

#include <jansson.h>

#include "azure/catalog.h"
#include "base/jsonout.h"
#include "base/error.h"
#include "api/request.h"

/*
 * plan_estimate - the refined estimate for a decoded request whose refine.any is true: parameter
 * counts from the architecture, precise KV cache, engine per-GPU fit, objectives, multi-node and
 * solve, written as one JSON object into w. Every 4xx is decided before anything is written.
 * Errors: -EINVAL with err (4xx), -ENOMEM (also past w's cap or for a non-finite number; w then
 * holds a partial answer to discard).
 */
int plan_estimate(const struct catalog *cat, const char *today, const struct estimate_request *req,
                  struct jsonout *w, struct error_info *err);

#endif
