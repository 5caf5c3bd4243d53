/* request.c - strict decoding of POST /estimate: every field typed, bounded, and nothing unknown.
 */
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "precision.h"

static const char *const known_fields[] = {
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

const char *const *request_known_fields(void)
{
    return known_fields;
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
    if ((rc = fields_reject_unknown(body, "", known_fields, err)) < 0)
        return rc;

    if ((rc = fields_number(body, "", "params_b", 0, REQUEST_MAX_PARAMS_B, true, &r.in.params_b,
                            &has, err)) < 0 ||
        (rc = require(has, "params_b", "total parameters in billions, a number > 0", err)) < 0)
        return rc;

    if ((rc = fields_int(body, "", "layers", 1, REQUEST_MAX_LAYERS, &v, &has, err)) < 0 ||
        (rc = require(has, "layers", "an integer >= 1", err)) < 0)
        return rc;
    r.in.layers = (double)v;

    if ((rc = fields_int(body, "", "hidden", 1, REQUEST_MAX_HIDDEN, &v, &has, err)) < 0 ||
        (rc = require(has, "hidden", "the hidden size, an integer >= 1", err)) < 0)
        return rc;
    r.in.hidden = (double)v;

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
    if ((rc = require(has, "precision", "one of fp32, fp16, bf16, int8, int4", err)) < 0)
        return rc;
    if (precision_bytes(precision, &r.in.bytes) < 0)
        return error_set(err, 400, "invalid_value", "precision",
                         "precision \"%.16s\" is not known; use one of: %s", precision,
                         precision_list());
    snprintf(r.precision, sizeof(r.precision), "%s", precision);

    if ((rc = fields_bool(body, "", "training", &r.in.training, NULL, err)) < 0)
        return rc;

    if ((rc = fields_number(body, "", "moe_active_ratio", 0, 1, false, &r.in.moe_active_ratio, NULL,
                            err)) < 0 ||
        (rc = fields_number(body, "", "moe_expert_fraction", 0, 1, false, &r.in.moe_expert_fraction,
                            &r.in.has_expert_fraction, err)) < 0)
        return rc;
    r.expert_fraction_ignored = r.in.has_expert_fraction && !(r.in.moe_active_ratio > 0);

    *out = r;
    return 0;
}
