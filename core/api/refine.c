/* refine.c - strict decoding of the request fields that switch on the estimator's refinements. */
#include "api/refine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/fields.h"
#include "model/models.h"
#include "model/precision.h"

const char *const refine_fields[] = {
    "model",
    "hf_config",
    "attention_heads",
    "kv_heads",
    "head_dim",
    "kv_lora_rank",
    "qk_rope_head_dim",
    "sliding_window",
    "windowed_layers",
    "vocab_size",
    "kv_precision",
    "bits_per_weight",
    "engine",
    "gpu_memory_utilization",
    "objective",
    "vendor",
    "exclude_partial",
    "skus",
    "region",
    "solve",
    "sku",
    NULL,
};

static const char *const solve_names[SOLVE_COUNT] = {
    [SOLVE_NONE] = "none",
    [SOLVE_MAX_CTX] = "max_ctx",
    [SOLVE_MAX_BATCH] = "max_batch",
};
static const char *const arch_source_names[ARCH_SOURCE_COUNT] = {
    [ARCH_NONE] = "none",
    [ARCH_PRESET] = "preset",
    [ARCH_HF_CONFIG] = "hf_config",
    [ARCH_EXPLICIT] = "explicit",
};
static const char *const engine_names[ENGINE_COUNT] = {
    [ENGINE_NONE] = "none",
    [ENGINE_VLLM] = "vllm",
};
/* What a client may send as "engine": every engine but ENGINE_NONE (the field's absence). */
#define ENGINE_FIRST_SENT ENGINE_VLLM

/* The switches make a new enum value fail the build here until its name row is added. */
const char *refine_solve_name(enum refine_solve s)
{
    switch (s) {
    case SOLVE_NONE:
    case SOLVE_MAX_CTX:
    case SOLVE_MAX_BATCH:
        return solve_names[s];
    }
    return "?";
}

const char *refine_arch_source_name(enum refine_arch_source s)
{
    switch (s) {
    case ARCH_NONE:
    case ARCH_PRESET:
    case ARCH_HF_CONFIG:
    case ARCH_EXPLICIT:
        return arch_source_names[s];
    }
    return "?";
}

const char *refine_engine_name(enum engine e)
{
    switch (e) {
    case ENGINE_NONE:
    case ENGINE_VLLM:
        return engine_names[e];
    }
    return "?";
}

const char *const *refine_known_fields(void)
{
    return refine_fields;
}

static bool present(const json_t *body, const char *key)
{
    return json_object_get(body, key) != NULL;
}

/* The index of value in an enum's name table (names[0..n)), or a 400 listing the names. */
static int one_of(const char *field, const char *value, const char *const *names, size_t n,
                  int *idx, struct error_info *err)
{
    int i = fields_name_index(names, n, value);
    if (i >= 0) {
        *idx = i;
        return 0;
    }
    char list[200];
    fields_name_list(names, n, list, sizeof(list));
    return error_set(err, 400, "invalid_value", field, "%s \"%.40s\" is not known; use one of: %s",
                     field, value, list);
}

static int decode_explicit(const json_t *body, struct refine *r, struct error_info *err)
{
    long long v;
    bool has;
    int rc;
    struct arch *a = &r->arch;
    struct {
        const char *key;
        long long max;
        int64_t *dst;
    } ints[] = {
        {"attention_heads", ARCH_MAX_HEADS, &a->heads},
        {"kv_heads", ARCH_MAX_HEADS, &a->kv_heads},
        {"head_dim", ARCH_MAX_DIM, &a->head_dim},
        {"kv_lora_rank", ARCH_MAX_DIM, &a->kv_lora_rank},
        {"qk_rope_head_dim", ARCH_MAX_DIM, &a->qk_rope_head_dim},
        {"sliding_window", ARCH_MAX_POSITIONS, &a->sliding_window},
        {"windowed_layers", ARCH_MAX_LAYERS, &a->windowed_layers},
        {"vocab_size", ARCH_MAX_VOCAB, &a->vocab},
    };
    bool any = false;
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if ((rc = fields_int(body, "", ints[i].key, 1, ints[i].max, &v, &has, err)) < 0)
            return rc;
        if (has) {
            *ints[i].dst = v;
            any = true;
        }
    }
    if (!any)
        return 0;
    r->arch_source = ARCH_EXPLICIT;
    if ((a->kv_lora_rank > 0) != (a->qk_rope_head_dim > 0))
        return error_set(err, 400, "missing_field",
                         a->kv_lora_rank > 0 ? "qk_rope_head_dim" : "kv_lora_rank",
                         "MLA needs both kv_lora_rank and qk_rope_head_dim");
    if (a->windowed_layers > 0 && a->sliding_window == 0)
        return error_set(err, 400, "missing_field", "sliding_window",
                         "windowed_layers needs sliding_window (tokens a windowed layer keeps)");
    if (a->kv_lora_rank > 0) {
        a->attention = ARCH_ATTN_MLA;
        if (a->heads == 0)
            a->heads = 1;
        a->kv_heads = a->heads;
    } else if (a->heads == 0) {
        return error_set(err, 400, "missing_field", "attention_heads",
                         "attention_heads is required with kv_heads/head_dim (query heads, an "
                         "integer >= 1)");
    }
    return 0;
}

int refine_decode(const json_t *body, const struct models *models, struct refine *out,
                  struct error_info *err)
{
    struct refine r;
    memset(&r, 0, sizeof(r));
    int rc;
    bool has;
    const char *s;
    r.util = 0.90;

    for (int i = 0; refine_fields[i]; i++)
        if (present(body, refine_fields[i]))
            r.any = true;

    /* Architecture: a preset, a config.json, or explicit fields - one source only. */
    bool has_model = present(body, "model"), has_cfg = present(body, "hf_config");
    if (has_model && has_cfg)
        return error_set(err, 400, "conflicting_fields", "hf_config",
                         "give model or hf_config, not both");
    if (has_model || has_cfg) {
        static const char *const derived[] = {
            "params_b",        "layers",   "hidden",   "moe_active_ratio", "moe_expert_fraction",
            "attention_heads", "kv_heads", "head_dim", "kv_lora_rank",     "qk_rope_head_dim",
            "vocab_size",      NULL};
        for (int i = 0; derived[i]; i++)
            if (present(body, derived[i]))
                return error_set(err, 400, "conflicting_fields", derived[i],
                                 "%s comes from the %s; remove it (or drop %s and describe the "
                                 "model field by field)",
                                 derived[i], has_model ? "model preset" : "hf_config",
                                 has_model ? "model" : "hf_config");
    }
    if (has_model) {
        if ((rc = fields_string(body, "", "model", 128, &r.model, &has, err)) < 0)
            return rc;
        const struct model_preset *p = models_find(models, r.model);
        if (p == NULL)
            return error_set(err, 404, "unknown_model", "model",
                             "no model preset is called \"%.64s\"; GET /models lists them "
                             "(or send hf_config)",
                             r.model);
        r.arch = p->arch;
        r.preset_name = p->name;
        r.arch_source = ARCH_PRESET;
        r.counted = true;
    } else if (has_cfg) {
        if ((rc = arch_from_hf_config(json_object_get(body, "hf_config"), "hf_config", &r.arch,
                                      err)) < 0)
            return rc;
        r.arch_source = ARCH_HF_CONFIG;
        r.counted = true;
    } else if ((rc = decode_explicit(body, &r, err)) < 0) {
        return rc;
    }
    if (r.arch_source != ARCH_EXPLICIT &&
        (present(body, "sliding_window") || present(body, "windowed_layers"))) {
        /* A window override on a known architecture (e.g. vLLM's --disable-sliding-window off). */
        if (r.arch_source == ARCH_NONE)
            return error_set(err, 400, "missing_field", "attention_heads",
                             "sliding_window needs the architecture");
        return error_set(err, 400, "conflicting_fields", "sliding_window",
                         "sliding_window comes from the model; remove it");
    }

    /* Formats. */
    if ((rc = fields_number(body, "", "bits_per_weight", 1, 32, false, &r.bits_per_weight,
                            &r.has_bits_per_weight, err)) < 0)
        return rc;
    if ((rc = fields_string(body, "", "kv_precision", 16, &r.kv_precision, &r.has_kv_precision,
                            err)) < 0)
        return rc;
    if (r.has_kv_precision && precision_kv_bytes(r.kv_precision, &r.kv_bytes) < 0)
        return error_set(err, 400, "invalid_value", "kv_precision",
                         "kv_precision \"%.16s\" is not known; use one of: %s", r.kv_precision,
                         precision_kv_list());

    /* Engine. */
    if ((rc = fields_string(body, "", "engine", 16, &s, &has, err)) < 0)
        return rc;
    if (has) {
        int idx;
        if ((rc = one_of("engine", s, engine_names + ENGINE_FIRST_SENT,
                         ENGINE_COUNT - ENGINE_FIRST_SENT, &idx, err)) < 0)
            return rc;
        r.engine = (enum engine)(idx + ENGINE_FIRST_SENT);
        r.engine_vllm = r.engine == ENGINE_VLLM;
    }
    if ((rc = fields_number(body, "", "gpu_memory_utilization", 0, 1, true, &r.util, &r.util_given,
                            err)) < 0)
        return rc;
    if (r.util_given && !r.engine_vllm)
        return error_set(err, 400, "missing_field", "engine",
                         "gpu_memory_utilization applies to an engine; add \"engine\": \"vllm\"");
    if (r.engine_vllm && r.arch_source == ARCH_NONE)
        return error_set(err, 422, "missing_field", "model",
                         "engine \"vllm\" sizes the KV cache per GPU and needs the architecture: "
                         "give model, hf_config, or attention_heads + kv_heads (+ head_dim)");

    /* Choice. */
    if ((rc = fields_string(body, "", "objective", 32, &s, &r.objective_given, err)) < 0)
        return rc;
    if (r.objective_given) {
        static const char *const objectives[] = {"seed", "cheapest", "fewest_gpus"};
        int idx;
        if ((rc = one_of("objective", s, objectives, 3, &idx, err)) < 0)
            return rc;
        r.objective = (enum refine_objective)idx;
    }
    if ((rc = fields_string(body, "", "vendor", 32, &r.vendor, NULL, err)) < 0 ||
        (rc = fields_string(body, "", "region", 64, &r.region, NULL, err)) < 0 ||
        (rc = fields_bool(body, "", "exclude_partial", &r.exclude_partial, NULL, err)) < 0)
        return rc;
    if (r.vendor && strcasecmp(r.vendor, "NVIDIA") != 0 && strcasecmp(r.vendor, "AMD") != 0)
        return error_set(err, 400, "invalid_value", "vendor",
                         "vendor \"%.32s\" is not known; use NVIDIA or AMD", r.vendor);
    const json_t *skus = json_object_get(body, "skus");
    if (skus) {
        if (!json_is_array(skus) || json_array_size(skus) == 0 ||
            json_array_size(skus) > REFINE_MAX_SKUS)
            return error_set(err, 400, "invalid_type", "skus",
                             "skus must be an array of 1..%d VM size names", REFINE_MAX_SKUS);
        size_t i;
        const json_t *v;
        json_array_foreach(skus, i, v)
        {
            if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 128)
                return error_set(err, 400, "invalid_type", "skus",
                                 "skus[%zu] must be a VM size name (a string)", i);
            r.skus[r.n_skus++] = json_string_value(v);
        }
    }
    if ((rc = fields_string(body, "", "solve", 16, &s, &has, err)) < 0)
        return rc;
    if (has) {
        int idx;
        if ((rc = one_of("solve", s, solve_names, SOLVE_COUNT, &idx, err)) < 0)
            return rc;
        r.solve = (enum refine_solve)idx;
    }
    if ((rc = fields_string(body, "", "sku", 128, &r.solve_sku, NULL, err)) < 0)
        return rc;
    if (r.solve != SOLVE_NONE) {
        if (r.solve_sku == NULL)
            return error_set(err, 400, "missing_field", "sku",
                             "solve needs the VM size to solve for: \"sku\": \"Standard_...\"");
        if (!r.engine_vllm)
            return error_set(err, 400, "missing_field", "engine",
                             "solve works on the per-GPU budget; add \"engine\": \"vllm\" and the "
                             "architecture");
    } else if (r.solve_sku) {
        return error_set(err, 400, "missing_field", "solve",
                         "sku is only used with solve (max_ctx or max_batch); to restrict the "
                         "choice use skus: [...]");
    }
    *out = r;
    return 0;
}
