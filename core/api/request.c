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

/* The seed's fields; SF_* index the table. refine.c and training_request.c own the tables of the
 * fields they decode. */
enum seed_field {
    SF_PARAMS_B,
    SF_LAYERS,
    SF_HIDDEN,
    SF_CTX,
    SF_CTX_LEN,
    SF_BATCH,
    SF_PRECISION,
    SF_TRAINING,
    SF_MOE_ACTIVE_RATIO,
    SF_MOE_EXPERT_FRACTION,
};
#define SF_COUNT (SF_MOE_EXPERT_FRACTION + 1)

/*
 * What people type for ctx and batch (vLLM's and other tools' names for the same quantity): each
 * gets a "did you mean", never a silently ignored field. A word that could mean another field is
 * not here: seq_len and its spellings are also training's sequence length (training.seq_len),
 * batch_size also training's micro_batch; tokens and requests could mean either.
 */
static const char *const ctx_aliases[] = {
    "context",     "context_length", "context_len", "context_window",
    "max_context", "max_model_len",  NULL};
static const char *const batch_aliases[] = {
    "concurrency", "concurrent_users", "concurrent_requests", "users", "num_users", NULL};

/* Names, types and bounds of the seed's fields (README "Limits"). */
static const struct field_spec seed_rows[SF_COUNT] = {
    [SF_PARAMS_B] = {.name = "params_b",
                     .type = FIELD_NUMBER,
                     .min = 0,
                     .max = REQUEST_MAX_PARAMS_B,
                     .min_exclusive = true},
    [SF_LAYERS] = {.name = "layers", .type = FIELD_INT, .min = 1, .max = REQUEST_MAX_LAYERS},
    [SF_HIDDEN] = {.name = "hidden", .type = FIELD_INT, .min = 1, .max = REQUEST_MAX_HIDDEN},
    [SF_CTX] = {.name = "ctx",
                .type = FIELD_INT,
                .min = 1,
                .max = REQUEST_MAX_CTX,
                .aliases = ctx_aliases},
    [SF_CTX_LEN] = {.name = "ctx_len", .type = FIELD_INT, .min = 1, .max = REQUEST_MAX_CTX},
    [SF_BATCH] = {.name = "batch",
                  .type = FIELD_INT,
                  .min = 1,
                  .max = REQUEST_MAX_BATCH,
                  .aliases = batch_aliases},
    [SF_PRECISION] = {.name = "precision", .type = FIELD_STRING, .max = 16},
    /* true/false (the seed's model) or an object (the refined one, training_request.c) */
    [SF_TRAINING] = {.name = "training", .type = FIELD_BOOL},
    [SF_MOE_ACTIVE_RATIO] = {.name = "moe_active_ratio", .type = FIELD_NUMBER, .min = 0, .max = 1},
    [SF_MOE_EXPERT_FRACTION] = {.name = "moe_expert_fraction",
                                .type = FIELD_NUMBER,
                                .min = 0,
                                .max = 1},
};

const struct field_table request_seed_field_table = {seed_rows, SF_COUNT};

/* Every field POST /estimate accepts, module by module. */
static void accepted_tables(struct field_table t[3])
{
    t[0] = request_seed_field_table;
    t[1] = refine_field_table;
    t[2] = training_field_table;
}

bool request_field_accepted(const char *name)
{
    struct field_table t[3];
    accepted_tables(t);
    return fields_table_has(t, 3, name);
}

static int get(const json_t *body, enum seed_field f, struct field_value *v, struct error_info *err)
{
    return fields_read(body, "", &seed_rows[f], v, err);
}

static int require(bool present, const char *field, const char *rule, struct error_info *err)
{
    if (present)
        return 0;
    return error_set(err, 400, "missing_field", field, "%s is required: %s", field, rule);
}

/* params_b, layers, hidden: required unless an architecture supplies them. */
static int decode_size(const json_t *body, struct estimate_request *r, struct error_info *err)
{
    int rc;
    struct field_value v;
    /* A preset or config.json supplies params_b, layers and hidden (refine refused duplicates). */
    const bool derived = r->refine.counted;
    if ((rc = get(body, SF_PARAMS_B, &v, err)) < 0 ||
        (rc = require(v.present || derived, "params_b",
                      "total parameters in billions, a number > 0", err)) < 0)
        return rc;
    if (v.present)
        r->in.params_b = v.number;
    if ((rc = get(body, SF_LAYERS, &v, err)) < 0 ||
        (rc = require(v.present || derived, "layers", "an integer >= 1", err)) < 0)
        return rc;
    r->in.layers = v.present ? (double)v.integer : (double)r->refine.arch.layers;
    if ((rc = get(body, SF_HIDDEN, &v, err)) < 0 ||
        (rc = require(v.present || derived, "hidden", "the hidden size, an integer >= 1", err)) < 0)
        return rc;
    r->in.hidden = v.present ? (double)v.integer : (double)r->refine.arch.hidden;
    return 0;
}

/* ctx (alias ctx_len) and batch. */
static int decode_shape(const json_t *body, struct estimate_request *r, struct error_info *err)
{
    int rc;
    struct field_value ctx, ctx_len, batch;
    if ((rc = get(body, SF_CTX, &ctx, err)) < 0 || (rc = get(body, SF_CTX_LEN, &ctx_len, err)) < 0)
        return rc;
    if (ctx.present && ctx_len.present)
        return error_set(err, 400, "conflicting_fields", "ctx_len",
                         "give ctx or its alias ctx_len, not both");
    if ((rc = require(ctx.present || ctx_len.present, "ctx",
                      "context length in tokens, an integer >= 1 "
                      "(alias ctx_len)",
                      err)) < 0)
        return rc;
    r->in.ctx = (double)(ctx.present ? ctx.integer : ctx_len.integer);
    r->ctx_from_alias = ctx_len.present;
    if ((rc = get(body, SF_BATCH, &batch, err)) < 0)
        return rc;
    r->in.batch = batch.present ? (double)batch.integer : 1;
    r->batch_defaulted = !batch.present;
    return 0;
}

/* precision (or refine's bits_per_weight) into bytes per parameter. */
static int decode_precision(const json_t *body, struct estimate_request *r, struct error_info *err)
{
    int rc;
    struct field_value v;
    if ((rc = get(body, SF_PRECISION, &v, err)) < 0) {
        if (err && strcmp(err->code, "invalid_type") == 0)
            error_set(err, 400, "invalid_type", "precision",
                      "precision must be a string, one of: %s", precision_list());
        return rc;
    }
    if (v.present && r->refine.has_bits_per_weight)
        return error_set(err, 400, "conflicting_fields", "bits_per_weight",
                         "give precision or bits_per_weight, not both");
    if (r->refine.has_bits_per_weight) {
        r->in.bytes = r->refine.bits_per_weight / 8;
        /* A GGUF name fits (the longest, "MXFP4_MOE", is 9 characters). */
        snprintf(r->precision, sizeof(r->precision), "%s",
                 r->refine.gguf ? r->refine.gguf : "custom");
        return 0;
    }
    if (!v.present && r->refine.counted && r->refine.quant.dtype_declared) {
        /* The model states its format (torch_dtype, quantization_config, hf_quant_config). */
        enum precision f = r->refine.quant.format;
        r->in.bytes = precision_value_bytes(f);
        snprintf(r->precision, sizeof(r->precision), "%s", precision_name(f));
        r->precision_from_checkpoint = true;
        return 0;
    }
    if ((rc = require(v.present, "precision",
                      r->refine.counted
                          ? "one of fp32, fp16, bf16, int8, int4 (or fp8, fp4, nvfp4, mxfp4, or "
                            "bits_per_weight); this model's config states no dtype"
                          : "one of fp32, fp16, bf16, int8, int4 (or fp8, fp4, nvfp4, mxfp4, or "
                            "bits_per_weight)",
                      err)) < 0)
        return rc;
    /* The seed's requests keep the seed's exact names; refined ones accept the usual spellings. */
    enum precision p;
    if (precision_parse(v.string, !r->refine.any, &p) < 0) {
        const char *hint = r->refine.any ? precision_closest(v.string) : NULL;
        return error_set(err, 400, "invalid_value", "precision",
                         "precision \"%.16s\" is not known%s%s%s; use one of: %s", v.string,
                         hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "",
                         precision_list());
    }
    r->in.bytes = precision_value_bytes(p);
    snprintf(r->precision, sizeof(r->precision), "%s", precision_name(p));
    return 0;
}

/* training (true/false or an object) and the MoE fractions. */
static int decode_rest(const json_t *body, struct estimate_request *r, struct error_info *err)
{
    int rc;
    struct field_value v;
    /* "training": true keeps the seed's model; an object turns on the refined one (decoded by
     * training_request_decode). */
    if (json_is_object(json_object_get(body, seed_rows[SF_TRAINING].name))) {
        r->in.training = true;
    } else if ((rc = get(body, SF_TRAINING, &v, err)) < 0) {
        if (err && strcmp(err->code, "invalid_type") == 0)
            error_set(err, 400, "invalid_type", "training",
                      "training must be true or false (the seed's model) or an object (the refined "
                      "training model)");
        return rc;
    } else if (v.present) {
        r->in.training = v.boolean;
    }
    if ((rc = get(body, SF_MOE_ACTIVE_RATIO, &v, err)) < 0)
        return rc;
    if (v.present)
        r->in.moe_active_ratio = v.number;
    if ((rc = get(body, SF_MOE_EXPERT_FRACTION, &v, err)) < 0)
        return rc;
    if (v.present)
        r->in.moe_expert_fraction = v.number;
    r->in.has_expert_fraction = v.present;
    r->expert_fraction_ignored = r->in.has_expert_fraction && !(r->in.moe_active_ratio > 0);
    return 0;
}

int request_decode_estimate(const json_t *body, struct estimate_request *out,
                            struct error_info *err)
{
    return request_decode_estimate_hub(body, NULL, out, err);
}

int request_decode_estimate_hub(const json_t *body, const struct refine_hub_model *hub,
                                struct estimate_request *out, struct error_info *err)
{
    struct estimate_request r;
    memset(&r, 0, sizeof(r));
    int rc;
    if (!json_is_object(body))
        return error_set(err, 400, "invalid_body", "", "the request body must be a JSON object");
    struct field_table accepted[3];
    accepted_tables(accepted);
    if ((rc = fields_reject_unknown_tables(body, "", accepted, 3, err)) < 0 ||
        (rc = refine_decode_hub(body, models_builtin(), hub, &r.refine, err)) < 0 ||
        (rc = decode_size(body, &r, err)) < 0 || (rc = decode_shape(body, &r, err)) < 0 ||
        (rc = decode_precision(body, &r, err)) < 0 || (rc = decode_rest(body, &r, err)) < 0)
        return rc;
    *out = r;
    return 0;
}
