/* api.h - the service's operations as plain functions: bytes in, JSON out (no HTTP here). */
#ifndef VRAMFIT_API_H
#define VRAMFIT_API_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "azure/catalog.h"
#include "base/error.h"
#include "api/summary.h"

/* Largest request body accepted (POST /estimate); larger is 413. */
#define API_MAX_BODY (64 * 1024)

/*
 * api_parse_body - parses a request body as JSON (duplicate keys refused). Python's non-JSON
 * Infinity / -Infinity / NaN inside the value of "hf_config" (a pasted config.json) read as null
 * (base/jsonfix.h); anywhere else they make the body malformed. On success *out is a new
 * reference the caller owns. Errors: 400 "malformed_json" with line and column, -ENOMEM.
 */
int api_parse_body(const char *data, size_t len, json_t **out, struct error_info *err);

/*
 * api_estimate_write - POST /estimate: validates body, runs the estimate and choice rule over cat
 * (sizes retired on or before today, "YYYY-MM-DD", are never chosen) and appends the answer as
 * JSON (no trailing newline) to out (caller-owned; its cap bounds the answer): compact with
 * indent 0, else indented by indent spaces (1..8) as jsonout_dumps would. Every path writes
 * straight into out without building a tree. Errors: -EINVAL with err (4xx; out may hold a partial
 * answer to discard), -ENOMEM (also past out's cap or for a non-finite number: err is then left
 * clear, meaning 500).
 */
int api_estimate_write(const struct catalog *cat, const char *today, const json_t *body, int indent,
                       struct buf *out, struct error_info *err);

/*
 * api_estimate_write_hub - api_estimate_write where "model" may name hub, a Hugging Face repo the
 * server resolved beforehand (NULL: as api_estimate_write). Its weights come from the tensor
 * table when there is one, else from its config; the answer says which ("source").
 */
struct refine_hub_model;
int api_estimate_write_hub(const struct catalog *cat, const char *today, const json_t *body,
                           const struct refine_hub_model *hub, int indent, struct buf *out,
                           struct error_info *err);

/*
 * api_estimate_write_view - api_estimate_write_hub in a view: API_VIEW_FULL is that answer,
 * API_VIEW_SUMMARY its summary (summary_write over the full answer, computed compact first).
 * Errors as api_estimate_write_hub.
 */
int api_estimate_write_view(const struct catalog *cat, const char *today, const json_t *body,
                            const struct refine_hub_model *hub, enum api_view view, int indent,
                            struct buf *out, struct error_info *err);

/*
 * api_error_json - {"error": {"code", "message", "field"?}} for err. New reference or NULL.
 */
json_t *api_error_json(const struct error_info *err);

#endif
