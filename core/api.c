/* api.c - POST /estimate and GET /skus as transport-free functions over a catalog snapshot. */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "choose.h"
#include "estimate.h"
#include "plan.h"
#include "pricing.h"
#include "request.h"
#include "training_api.h"
#include "training_request.h"

int api_parse_body(const char *data, size_t len, json_t **out, struct error_info *err)
{
    json_error_t jerr;
    if (len == 0)
        return error_set(err, 400, "malformed_json", "",
                         "the request body is empty; send a JSON object");
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return error_set(err, 400, "malformed_json", "",
                         "the request body is not valid JSON: %s (line %d, column %d)", jerr.text,
                         jerr.line, jerr.column);
    *out = doc;
    return 0;
}

static int add_assumption(json_t *list, const char *text)
{
    return json_array_append_new(list, json_string(text));
}

static json_t *echo_input(const struct estimate_request *r)
{
    json_t *in = json_pack("{s:f, s:I, s:I, s:I, s:I, s:s, s:b}", "params_b", r->in.params_b,
                           "layers", (json_int_t)r->in.layers, "hidden", (json_int_t)r->in.hidden,
                           "ctx", (json_int_t)r->in.ctx, "batch", (json_int_t)r->in.batch,
                           "precision", r->precision, "training", r->in.training);
    if (in == NULL)
        return NULL;
    if (r->in.moe_active_ratio > 0) {
        json_object_set_new(in, "moe_active_ratio", json_real(r->in.moe_active_ratio));
        json_object_set_new(in, "moe_expert_fraction",
                            json_real(r->in.has_expert_fraction ? r->in.moe_expert_fraction
                                                                : ESTIMATE_SEED_EXPERT_FRACTION));
    }
    return in;
}

int api_estimate(const struct catalog *cat, const char *today, const json_t *body, json_t **out,
                 struct error_info *err)
{
    struct estimate_request req;
    struct estimate_result res;
    struct choice ch;
    json_t *resp = NULL, *assumptions = NULL;
    int rc = request_decode_estimate(body, &req, err);
    if (rc < 0)
        return rc;
    /* The refined training model (issue 7): "training" as an object or any training field. */
    struct training_request treq;
    /* "training": true with an architecture (model, hf_config, explicit heads) gets the refined
     * training model too: the seed's 2.5x rule is only kept for the seed's own inputs. */
    const bool force = req.in.training && req.refine.arch_source != ARCH_NONE;
    if ((rc = training_request_decode(body, req.precision, req.in.bytes, (long long)req.in.batch,
                                      (long long)req.in.ctx, force, &treq, err)) < 0)
        return rc;
    if (treq.refined) {
        if ((rc = training_api_estimate(cat, today, &req, &treq, &resp, err)) < 0)
            return rc;
        json_object_set_new(resp, "input", echo_input(&req));
        *out = resp;
        return 0;
    }
    /* Fields beyond the seed switch the refinements on; seed-only requests never reach plan. */
    if (req.refine.any)
        return plan_estimate(cat, today, &req, out, err);

    estimate_seed(&req.in, &res);
    choose_seed(cat, res.total_gb, today, &ch);

    assumptions = json_array();
    if (assumptions == NULL)
        return -ENOMEM;
    if (req.batch_defaulted)
        add_assumption(assumptions, "batch defaulted to 1");
    if (res.is_moe && !req.in.has_expert_fraction)
        add_assumption(assumptions,
                       "moe_expert_fraction defaulted to 0.90 (share of parameters in experts)");
    if (req.expert_fraction_ignored)
        add_assumption(assumptions,
                       "moe_expert_fraction ignored: moe_active_ratio is 0, so the model is dense");
    add_assumption(assumptions,
                   "KV cache: 2 x layers x ctx x hidden x batch at the weight precision "
                   "(every head keeps K and V; the seed's formula)");
    add_assumption(assumptions, "1.2x headroom on weights + KV cache + optimizer state");
    if (req.in.training)
        add_assumption(assumptions, "training: optimizer state = 2.5 x footprint weights");

    resp = json_pack("{s:f, s:f, s:f, s:i, s:o, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:b}",
                     "weights_gb", res.weights_gb, "kv_gb", res.kv_gb, "total_gb", res.total_gb,
                     "gpus", ch.gpus, "sku", ch.sku ? catalog_sku_json(ch.sku, today) : json_null(),
                     "weights_active_gb", res.weights_active_gb, "weights_footprint_gb",
                     res.weights_footprint_gb, "total_active_gb", res.total_active_gb,
                     "total_footprint_gb", res.total_footprint_gb, "optimizer_gb", res.optimizer_gb,
                     "params_active_b", res.params_active_b, "moe", res.is_moe, "fits",
                     ch.sku != NULL);
    if (resp == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    if (ch.sku == NULL) {
        char reason[256];
        if (ch.largest)
            snprintf(
                reason, sizeof(reason),
                "needs %.1f GB (total_gb) but the largest single VM available, %s, has %.0f GB "
                "(%d x %.0f GB)",
                res.total_gb, ch.largest->sku, ch.largest_vm_gb, ch.largest->gpus_per_vm,
                ch.largest->vram_gb);
        else
            snprintf(reason, sizeof(reason),
                     "needs %.1f GB (total_gb) but the catalog has no size that is not retired",
                     res.total_gb);
        json_object_set_new(resp, "reason", json_string(reason));
    }
    if ((rc = pricing_annotate(resp, ch.sku, assumptions)) < 0)
        goto out;
    json_object_set_new(resp, "input", echo_input(&req));
    json_object_set(resp, "assumptions", assumptions);
    *out = resp;
    resp = NULL;
out:
    json_decref(resp);
    json_decref(assumptions);
    return rc;
}

json_t *api_skus(const struct catalog *cat, const char *today)
{
    json_t *list = json_array();
    if (list == NULL)
        return NULL;
    size_t n = catalog_count(cat);
    size_t retired = 0;
    for (size_t i = 0; i < n; i++) {
        const struct catalog_sku *s = catalog_at(cat, i);
        if (catalog_sku_retired(s, today))
            retired++;
        if (json_array_append_new(list, catalog_sku_json(s, today)) < 0) {
            json_decref(list);
            return NULL;
        }
    }
    return json_pack("{s:o, s:I, s:I, s:s, s:s, s:s}", "skus", list, "count", (json_int_t)n,
                     "retired", (json_int_t)retired, "source", catalog_source(cat), "today", today,
                     "order", "vram_gb ascending, then gpus_per_vm ascending, then sku");
}

json_t *api_error_json(const struct error_info *err)
{
    json_t *e = json_pack("{s:s, s:s}", "code", err->code[0] ? err->code : "error", "message",
                          err->message);
    if (e == NULL)
        return NULL;
    if (err->field[0])
        json_object_set_new(e, "field", json_string(err->field));
    return json_pack("{s:o}", "error", e);
}
