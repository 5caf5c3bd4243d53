/* request.c - strict decoding of POST /estimate: every field typed, bounded, and nothing unknown.
 */
#include "api/request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/fields.h"
#include "model/models.h"
#include "model/precision.h"
#include "api/training_request.h"
#include "api/refine.h"

/* The seed's fields; refine.c and training_request.c own the tables of the fields they decode. */
static const char *const seed_fields[] = {
    "params_b",
    "layers",
    "hidden",
    "ctx",
    "ctx_len",
    "batch",
    "precision",
    "training",
    "moe_active_ratio",
    "moe_expert_fraction",
    NULL,
};

/* Every field POST /estimate accepts, module by module. */
static const char *const *const accepted[] = {seed_fields, refine_fields, training_fields, NULL};

bool request_field_accepted(const char *name)
{
    for (const char *const *const *l = accepted; *l; l++)
        for (const char *const *f = *l; *f; f++)
            if (strcmp(*f, name) == 0)
                return true;
    return false;
}

static int require(bool present, const char *field, const char *rule, struct error_info *err)
{
    if (present)
        return 0;
    return error_set(err, 400, "missing_field", field, "%s is required: %s", field, rule);
}

int request_decode_estimate(const json_t *body, struct estimate_request *out,
                            struct error_info *err)
{
    struct estimate_request r;
    memset(&r, 0, sizeof(r));
    int rc;
    bool has, has_ctx, has_ctx_len;
    long long v;

    if (!json_is_object(body))
        return error_set(err, 400, "invalid_body", "", "the request body must be a JSON object");
    if ((rc = fields_reject_unknown_in(body, "", accepted, err)) < 0)
        return rc;
    if ((rc = refine_decode(body, models_builtin(), &r.refine, err)) < 0)
        return rc;
    /* A preset or config.json supplies params_b, layers and hidden (refine refused duplicates). */
    const bool derived = r.refine.counted;

    if ((rc = fields_number(body, "", "params_b", 0, REQUEST_MAX_PARAMS_B, true, &r.in.params_b,
                            &has, err)) < 0 ||
        (rc = require(has || derived, "params_b", "total parameters in billions, a number > 0",
                      err)) < 0)
        return rc;

    if ((rc = fields_int(body, "", "layers", 1, REQUEST_MAX_LAYERS, &v, &has, err)) < 0 ||
        (rc = require(has || derived, "layers", "an integer >= 1", err)) < 0)
        return rc;
    r.in.layers = has ? (double)v : (double)r.refine.arch.layers;

    if ((rc = fields_int(body, "", "hidden", 1, REQUEST_MAX_HIDDEN, &v, &has, err)) < 0 ||
        (rc = require(has || derived, "hidden", "the hidden size, an integer >= 1", err)) < 0)
        return rc;
    r.in.hidden = has ? (double)v : (double)r.refine.arch.hidden;

    long long ctx = 0, ctx_len = 0;
    if ((rc = fields_int(body, "", "ctx", 1, REQUEST_MAX_CTX, &ctx, &has_ctx, err)) < 0 ||
        (rc = fields_int(body, "", "ctx_len", 1, REQUEST_MAX_CTX, &ctx_len, &has_ctx_len, err)) < 0)
        return rc;
    if (has_ctx && has_ctx_len)
        return error_set(err, 400, "conflicting_fields", "ctx_len",
                         "give ctx or its alias ctx_len, not both");
    if ((rc = require(has_ctx || has_ctx_len, "ctx",
                      "context length in tokens, an integer >= 1 "
                      "(alias ctx_len)",
                      err)) < 0)
        return rc;
    r.in.ctx = (double)(has_ctx ? ctx : ctx_len);
    r.ctx_from_alias = has_ctx_len;

    v = 1;
    if ((rc = fields_int(body, "", "batch", 1, REQUEST_MAX_BATCH, &v, &has, err)) < 0)
        return rc;
    r.in.batch = (double)v;
    r.batch_defaulted = !has;

    const char *precision = NULL;
    if ((rc = fields_string(body, "", "precision", 16, &precision, &has, err)) < 0) {
        if (err && strcmp(err->code, "invalid_type") == 0)
            error_set(err, 400, "invalid_type", "precision",
                      "precision must be a string, one of: %s", precision_list());
        return rc;
    }
    if (has && r.refine.has_bits_per_weight)
        return error_set(err, 400, "conflicting_fields", "bits_per_weight",
                         "give precision or bits_per_weight, not both");
    if (r.refine.has_bits_per_weight) {
        r.in.bytes = r.refine.bits_per_weight / 8;
        snprintf(r.precision, sizeof(r.precision), "custom");
        goto rest;
    }
    if ((rc = require(has, "precision",
                      "one of fp32, fp16, bf16, int8, int4 (or fp8, fp4, nvfp4, mxfp4, or "
                      "bits_per_weight)",
                      err)) < 0)
        return rc;
    if (precision_bytes(precision, &r.in.bytes) < 0)
        return error_set(err, 400, "invalid_value", "precision",
                         "precision \"%.16s\" is not known; use one of: %s", precision,
                         precision_list());
    snprintf(r.precision, sizeof(r.precision), "%s", precision);

rest:
    /* "training": true keeps the seed's model; an object turns on the refined one (decoded by
     * training_request_decode). */
    if (json_is_object(json_object_get(body, "training")))
        r.in.training = true;
    else if ((rc = fields_bool(body, "", "training", &r.in.training, NULL, err)) < 0) {
        if (err && strcmp(err->code, "invalid_type") == 0)
            error_set(err, 400, "invalid_type", "training",
                      "training must be true or false (the seed's model) or an object (the refined "
                      "training model)");
        return rc;
    }

    if ((rc = fields_number(body, "", "moe_active_ratio", 0, 1, false, &r.in.moe_active_ratio, NULL,
                            err)) < 0 ||
        (rc = fields_number(body, "", "moe_expert_fraction", 0, 1, false, &r.in.moe_expert_fraction,
                            &r.in.has_expert_fraction, err)) < 0)
        return rc;
    r.expert_fraction_ignored = r.in.has_expert_fraction && !(r.in.moe_active_ratio > 0);

    *out = r;
    return 0;
}
