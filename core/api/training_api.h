/* training_api.h - the refined training answer of POST /estimate, as JSON. */
#ifndef VRAMFIT_TRAINING_API_H
#define VRAMFIT_TRAINING_API_H

#include <jansson.h>

#include "base/jsonout.h"
#include "model/arch.h"
#include "azure/catalog.h"
#include "base/error.h"
#include "api/request.h"
#include "choice/training_choose.h"
#include "api/training_request.h"

/*
 * training_api_estimate - the refined training estimate: per-GPU breakdown, host memory when
 * offloading, the VM/GPU/node choice over cat (ranked by the request's objective, filtered by its
 * vendor/skus/region), what to change to fit in less VRAM, and every assumption. The model comes
 * from seed->refine (preset, hf_config, explicit attention fields) or, without one, from the
 * seed's params_b/layers/hidden. treq->refined must be true. Writes the answer's members, up to
 * and including "assumptions", into w inside an object the caller opened (the caller adds "input"
 * and closes it); every 4xx is decided before anything is written. Errors: -EINVAL with err (400:
 * serving-only fields; 422: tensor_parallel not dividing the heads), -ENOMEM (also past w's cap or
 * for a non-finite number: w then holds a partial answer to discard).
 */
int training_api_estimate(const struct catalog *cat, const char *today,
                          const struct estimate_request *seed, const struct training_request *treq,
                          struct jsonout *w, struct error_info *err);

#endif
