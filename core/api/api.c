/* api.c - POST /estimate and GET /skus as transport-free functions over a catalog snapshot. */
#include "api/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "choice/choose.h"
#include "memory/estimate.h"
#include "model/params.h"
#include "base/jsonfix.h"
#include "base/jsonout.h"
#include "api/plan.h"
#include "azure/pricing.h"
#include "api/request.h"
#include "api/summary.h"
#include "api/training_api.h"
#include "api/training_request.h"

int api_parse_body(const char *data, size_t len, json_t **out, struct error_info *err)
{
    json_error_t jerr;
    if (len == 0)
        return error_set(err, 400, "malformed_json", "",
                         "the request body is empty; send a JSON object");
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        /*
         * A config.json pasted into hf_config may hold Python's Infinity / NaN (Nemotron-H's
         * time_step_limit): read those as null there (no decoder reads them) and nowhere else,
         * so a bare Infinity in any other field stays a malformed body.
         */
        char *fixed = NULL;
        size_t fixed_len = 0;
        int n = jsonfix_nonfinite(data, len, "hf_config", &fixed, &fixed_len);
        if (n == -ENOMEM)
            return -ENOMEM;
        if (n > 0)
            doc = json_loadb(fixed, fixed_len, JSON_REJECT_DUPLICATES, NULL);
        free(fixed);
    }
    if (doc == NULL)
        return error_set(err, 400, "malformed_json", "",
                         "the request body is not valid JSON: %s (line %d, column %d)", jerr.text,
                         jerr.line, jerr.column);
    *out = doc;
    return 0;
}

/* The request as understood ("input"): one list of fields for every path. params_b is the
 * request's, or the count of the model's architecture when it has one. */
static void echo_input_write(struct jsonout *w, const struct estimate_request *r, double params_b)
{
    jsonout_begin_object(w);
    jsonout_key(w, "params_b");
    jsonout_number(w, params_b);
    jsonout_key(w, "layers");
    jsonout_integer(w, (long long)r->in.layers);
    jsonout_key(w, "hidden");
    jsonout_integer(w, (long long)r->in.hidden);
    jsonout_key(w, "ctx");
    jsonout_integer(w, (long long)r->in.ctx);
    jsonout_key(w, "batch");
    jsonout_integer(w, (long long)r->in.batch);
    jsonout_key(w, "precision");
    jsonout_string(w, r->precision);
    jsonout_key(w, "training");
    jsonout_bool(w, r->in.training);
    if (r->in.moe_active_ratio > 0) {
        jsonout_key(w, "moe_active_ratio");
        jsonout_number(w, r->in.moe_active_ratio);
        jsonout_key(w, "moe_expert_fraction");
        jsonout_number(w, r->in.has_expert_fraction ? r->in.moe_expert_fraction
                                                    : ESTIMATE_SEED_EXPERT_FRACTION);
    }
    jsonout_end_object(w);
}

/*
 * The seed path (only the seed's fields): written straight into out, no tree. Keys, order and
 * texts are the API's contract (tests/data/golden-estimate.json pins them byte for byte).
 */
static int seed_write(const struct catalog *cat, const char *today,
                      const struct estimate_request *req, struct jsonout *w)
{
    struct estimate_result res;
    struct choice ch;
    struct pricing price;
    estimate_seed(&req->in, &res);
    choose_seed(cat, res.total_gb, today, &ch);
    pricing_of(ch.sku, &price);

    jsonout_begin_object(w);
    jsonout_key(w, "weights_gb");
    jsonout_number(w, res.weights_gb);
    jsonout_key(w, "kv_gb");
    jsonout_number(w, res.kv_gb);
    jsonout_key(w, "total_gb");
    jsonout_number(w, res.total_gb);
    jsonout_key(w, "gpus");
    jsonout_integer(w, ch.gpus);
    jsonout_key(w, "sku");
    if (ch.sku)
        catalog_sku_write(w, ch.sku, today);
    else
        jsonout_null(w);
    jsonout_key(w, "weights_active_gb");
    jsonout_number(w, res.weights_active_gb);
    jsonout_key(w, "weights_footprint_gb");
    jsonout_number(w, res.weights_footprint_gb);
    jsonout_key(w, "total_active_gb");
    jsonout_number(w, res.total_active_gb);
    jsonout_key(w, "total_footprint_gb");
    jsonout_number(w, res.total_footprint_gb);
    jsonout_key(w, "optimizer_gb");
    jsonout_number(w, res.optimizer_gb);
    jsonout_key(w, "params_active_b");
    jsonout_number(w, res.params_active_b);
    jsonout_key(w, "moe");
    jsonout_bool(w, res.is_moe);
    jsonout_key(w, "fits");
    jsonout_bool(w, ch.sku != NULL);
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
        jsonout_key(w, "reason");
        jsonout_string(w, reason);
    }
    pricing_write(w, &price);
    jsonout_key(w, "input");
    echo_input_write(w, req, req->in.params_b);
    jsonout_key(w, "assumptions");
    jsonout_begin_array(w);
    if (req->batch_defaulted)
        jsonout_string(w, "batch defaulted to 1");
    if (res.is_moe && !req->in.has_expert_fraction)
        jsonout_string(w, "moe_expert_fraction defaulted to 0.90 (share of parameters in experts)");
    if (req->expert_fraction_ignored)
        jsonout_string(w,
                       "moe_expert_fraction ignored: moe_active_ratio is 0, so the model is dense");
    jsonout_string(w, "KV cache: 2 x layers x ctx x hidden x batch at the weight precision "
                      "(every head keeps K and V; the seed's formula)");
    jsonout_string(w, "1.2x headroom on weights + KV cache + optimizer state");
    if (req->in.training)
        jsonout_string(w, "training: optimizer state = 2.5 x footprint weights");
    if (price.note[0])
        jsonout_string(w, price.note);
    jsonout_end_array(w);
    jsonout_end_object(w);
    /* Past the cap, or a non-finite number: the caller answers 500 either way, as with trees. */
    return jsonout_status(w) == 0 ? 0 : -ENOMEM;
}

/* The refined training answer: training_api writes the members, the "input" echo comes last. */
static int training_write(const struct catalog *cat, const char *today,
                          const struct estimate_request *req, const struct training_request *treq,
                          struct jsonout *w, struct error_info *err)
{
    jsonout_begin_object(w);
    jsonout_key(w, "kind");
    jsonout_string(w, "training");
    int rc = training_api_estimate(cat, today, req, treq, w, err);
    if (rc < 0)
        return rc;
    /* As the refined inference answer does: a preset's or hf_config's own count, not 0. */
    double params_b = req->in.params_b;
    if (req->refine.counted) {
        struct params p;
        models_params(req->refine.preset, &req->refine.arch, &p);
        params_b = p.total / 1e9;
    }
    jsonout_key(w, "input");
    echo_input_write(w, req, params_b);
    jsonout_end_object(w);
    return jsonout_status(w) == 0 ? 0 : -ENOMEM;
}

int api_estimate_write(const struct catalog *cat, const char *today, const json_t *body, int indent,
                       struct buf *out, struct error_info *err)
{
    return api_estimate_write_hub(cat, today, body, NULL, indent, out, err);
}

int api_estimate_write_hub(const struct catalog *cat, const char *today, const json_t *body,
                           const struct refine_hub_model *hub, int indent, struct buf *out,
                           struct error_info *err)
{
    struct estimate_request req;
    struct jsonout w;
    int rc = request_decode_estimate_hub(body, hub, &req, err);
    if (rc < 0)
        return rc;
    jsonout_init(&w, out, indent);
    /* The refined training model (issue 7): "training" as an object or any training field. */
    struct training_request treq;
    /* "training": true with an architecture (model, hf_config, explicit heads) gets the refined
     * training model too: the seed's 2.5x rule is only kept for the seed's own inputs. */
    const bool force = req.in.training && req.refine.arch_source != ARCH_NONE;
    if ((rc = training_request_decode(body, req.precision, req.in.bytes, (long long)req.in.batch,
                                      (long long)req.in.ctx, force, &treq, err)) < 0)
        return rc;
    if ((rc = refine_check_skus(&req.refine, cat, err)) < 0)
        return rc;
    if (req.refine.offload != OFFLOAD_NONE && req.in.training)
        return error_set(err, 400, "conflicting_fields", "offload",
                         "offload sizes inference with experts in host RAM; drop it for training");
    if (treq.refined)
        rc = training_write(cat, today, &req, &treq, &w, err);
    else if (req.refine.any) /* fields beyond the seed switch the refinements on */
        rc = plan_estimate(cat, today, &req, &w, err);
    else
        rc = seed_write(cat, today, &req, &w);
    if (rc == 0 && out->data == NULL)
        rc = -ENOMEM;
    return rc;
}

int api_estimate_write_view(const struct catalog *cat, const char *today, const json_t *body,
                            const struct refine_hub_model *hub, enum api_view view, int indent,
                            struct buf *out, struct error_info *err)
{
    switch (view) {
    case API_VIEW_FULL:
        return api_estimate_write_hub(cat, today, body, hub, indent, out, err);
    case API_VIEW_SUMMARY:
        break;
    }
    /* The summary is a projection of the full answer, so the two can never disagree. */
    struct buf full;
    buf_init(&full, JSONOUT_MAX);
    /* A compact refined answer is 9-10 KB: one allocation instead of a few reallocs. */
    int rc = buf_reserve(&full, 16384 - 1) == 0 ? 0 : -ENOMEM;
    if (rc == 0)
        rc = api_estimate_write_hub(cat, today, body, hub, 0, &full, err);
    json_t *answer = rc == 0 ? json_loadb(full.data, full.len, 0, NULL) : NULL;
    buf_free(&full);
    if (rc < 0)
        return rc;
    if (answer == NULL)
        return -ENOMEM;
    struct jsonout w;
    jsonout_init(&w, out, indent);
    summary_write(answer, &w);
    json_decref(answer);
    return jsonout_status(&w) == 0 && out->data != NULL ? 0 : -ENOMEM;
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
