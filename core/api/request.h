/* request.h - decodes and validates the body of POST /estimate (the seed's input fields). */
#ifndef VRAMFIT_REQUEST_H
#define VRAMFIT_REQUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/fields.h"
#include "memory/estimate.h"
#include "api/refine.h"

/* Upper bounds on every number (documented in the README). */
#define REQUEST_MAX_PARAMS_B 100000.0 /* 100 trillion parameters */
#define REQUEST_MAX_LAYERS   10000
#define REQUEST_MAX_HIDDEN   1048576
#define REQUEST_MAX_CTX      16777216 /* 16 Mi tokens */
#define REQUEST_MAX_BATCH    1048576

struct estimate_request {
    struct estimate_input in; /* numbers ready for estimate_seed() */
    char
        precision[16]; /* the accepted precision name ("custom" for bits_per_weight, a gguf name) */
    bool batch_defaulted;           /* batch was absent and set to 1 */
    bool precision_from_checkpoint; /* precision was absent: the model's config stated it */
    bool ctx_from_alias;            /* ctx came as ctx_len */
    bool
        expert_fraction_ignored; /* moe_expert_fraction given for a dense model (seed ignores it) */
    struct refine refine;        /* fields beyond the seed; refine.any is false for seed requests */
};

/*
 * request_decode_estimate - validates body (a parsed JSON object) strictly: unknown fields,
 * wrong types, fractions in integer fields, out-of-range numbers and unknown precisions are all
 * refused with status 400 and err naming the field and the rule. On success fills *out.
 * Fields beyond the seed go to out->refine (refine_decode, using models_builtin() for "model");
 * with "model" or "hf_config", params_b/layers/hidden come from the architecture instead.
 */
int request_decode_estimate(const json_t *body, struct estimate_request *out,
                            struct error_info *err);

/* request_decode_estimate_hub - the same, with a resolved Hub repo for "model" (may be NULL;
 * refine_decode_hub). */
int request_decode_estimate_hub(const json_t *body, const struct refine_hub_model *hub,
                                struct estimate_request *out, struct error_info *err);

/* request_seed_field_table - the seed's fields with their types and bounds. */
extern const struct field_table request_seed_field_table;

/* request_field_accepted - true when POST /estimate accepts a top-level field of this name. */
bool request_field_accepted(const char *name);

#endif
