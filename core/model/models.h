/* models.h - the model presets: named architectures built from real Hugging Face configs. */
#ifndef VRAMFIT_MODELS_H
#define VRAMFIT_MODELS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "model/arch.h"
#include "base/error.h"
#include "model/params.h"
#include "model/quant.h"

#define MODELS_MAX 1024
/* GET /models?q= answers at most this many presets (it says how many matched in all). */
#define MODELS_SEARCH_MAX 25
/* The longest ?q= accepted, in bytes (longer than any preset name, alias or Hugging Face id). */
#define MODELS_QUERY_MAX 128

/* One preset. Strings and json are borrowed from the registry and live as long as it does. */
struct model_preset {
    const char *name;         /* canonical lower-case name ("mixtral-8x7b") */
    const char *display_name; /* as its source names it */
    const char *hf_id;
    struct arch arch;
    struct params params; /* params_count(&arch), computed once when the registry loads */
    const json_t *json;   /* the preset entry (aliases, sources, hf_config, official counts) */
    /* The checkpoint's own format (quant_from_config of hf_config, no hf_quant_config) and its
     * weights tensor by tensor, counted once when the registry loads: the answer for a preset
     * served in its own format costs a copy, not the per-layer enumeration (0.35 M
     * instructions for Llama-3-8B). has_weights false: the config's block did not decode. */
    bool has_weights;
    struct quant quant;
    struct quant_weights weights;
};

struct models;

/*
 * models_load - parses a vramfit.models/v1 document: every preset's hf_config is decoded with
 * arch_from_hf_config and counted once (model_preset.params); names and aliases must be unique
 * (case-insensitive). On success *out is a new registry that lives for the process (nothing
 * frees it: presets_builtin loads one and installs it). Errors: -EINVAL with err naming the
 * preset and field, -ENOMEM; nothing is left allocated then.
 */
int models_load(const char *data, size_t len, struct models **out, struct error_info *err);

/* models_count - number of presets (0 for NULL). */
size_t models_count(const struct models *m);

/* models_at - the i-th preset in document order, or NULL past the end. Borrowed from m. */
const struct model_preset *models_at(const struct models *m, size_t i);

/* models_find - the preset whose name, Hugging Face id or alias equals name, ignoring ASCII
 * case; NULL if none (or m or name is NULL). */
const struct model_preset *models_find(const struct models *m, const char *name);

/*
 * models_resolve - the one place a model name becomes a preset, or is refused: *out is the preset
 * called name (as models_find). Otherwise -EINVAL with a 422 "unknown_model" on field "model"
 * whose message names the closest preset ("did you mean") when one is close. Callers serving a
 * resource path (GET /models/{id}) answer 404 with the same message. Borrowed from m.
 */
int models_resolve(const struct models *m, const char *name, const struct model_preset **out,
                   struct error_info *err);

/* models_closest - the preset nearest to name by edit distance over its name, Hugging Face id
 * (with and without the org) and aliases, ignoring case; NULL when none is close. */
const struct model_preset *models_closest(const struct models *m, const char *name);

/*
 * models_search_json - GET /models?q= body: the presets whose name, Hugging Face id, display
 * name, alias or model_type contains q (ASCII case ignored), in document order, at most
 * MODELS_SEARCH_MAX of them, with "matches" (all that matched), "truncated" and "query". q must be
 * non-empty (the HTTP layer checks it). New reference or NULL on allocation failure.
 */
json_t *models_search_json(const struct models *m, const char *q);

/*
 * models_params - the parameter counts of an architecture a that came from preset p: p's counts,
 * computed once when the registry loaded, when p is not NULL (a request naming a preset, whose
 * architecture is the preset's unchanged); else params_count(a) (an hf_config or an explicit
 * architecture, counted per request). Fills *out; never fails.
 */
void models_params(const struct model_preset *p, const struct arch *a, struct params *out);

/* models_list_json - GET /models body: every preset with its key figures. New reference or NULL. */
json_t *models_list_json(const struct models *m);

/* models_preset_json - GET /models/{name} body: one preset with its architecture and counts. */
json_t *models_preset_json(const struct model_preset *p);

/*
 * models_set_builtin / models_builtin - the process-wide registry the API uses (installed once at
 * startup, read-only afterwards; the caller keeps ownership). models_builtin returns NULL until
 * set.
 */
void models_set_builtin(const struct models *m);
const struct models *models_builtin(void);

#endif
