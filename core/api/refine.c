/* refine.c - strict decoding of the request fields that switch on the estimator's refinements. */
#include "api/refine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/fields.h"
#include "memory/vllm.h"
#include "model/models.h"
#include "model/gguf.h"
#include "model/precision.h"

/* The fields this module decodes, in decoding order; RF_* index the table. */
enum refine_field {
    RF_MODEL,
    RF_HF_CONFIG,
    RF_ATTENTION_HEADS,
    RF_KV_HEADS,
    RF_HEAD_DIM,
    RF_KV_LORA_RANK,
    RF_QK_ROPE_HEAD_DIM,
    RF_SLIDING_WINDOW,
    RF_WINDOWED_LAYERS,
    RF_VOCAB_SIZE,
    RF_KV_PRECISION,
    RF_ENCODER_LEN,
    RF_BITS_PER_WEIGHT,
    RF_ENGINE,
    RF_GPU_MEMORY_UTILIZATION,
    /* vLLM's knobs */
    RF_VLLM_VERSION,
    RF_MAX_NUM_SEQS,
    RF_MAX_NUM_BATCHED_TOKENS,
    RF_ENFORCE_EAGER,
    RF_OBJECTIVE,
    RF_VENDOR,
    RF_EXCLUDE_PARTIAL,
    RF_SKUS,
    RF_REGION,
    RF_SOLVE,
    RF_SKU,
    RF_REVISION,
    /* Layout (vLLM's parallel sizes), decoded by decode_layout. */
    RF_TENSOR_PARALLEL,
    RF_PIPELINE_PARALLEL,
    RF_DATA_PARALLEL,
    RF_EXPERT_PARALLEL,
    RF_DECODE_CONTEXT_PARALLEL,
    RF_NUM_REDUNDANT_EXPERTS,
    RF_ROUTER_IMBALANCE,
    RF_GGUF,
    RF_OFFLOAD,
    RF_OFFLOAD_LAYERS,
    RF_RESIDENT_EXPERTS,
    RF_EXPERT_HIT_RATE,
    RF_HF_QUANT_CONFIG,
};
#define RF_COUNT (RF_HF_QUANT_CONFIG + 1)

/* What people type for these fields (vLLM's and SGLang's flag names); see struct field_spec. */
static const char *const kv_precision_aliases[] = {"kv_cache_dtype", NULL};
static const char *const util_aliases[] = {"mem_fraction_static", NULL};

/* The largest knob values taken: far beyond any GPU, small enough to stay exact in a double. */
#define REFINE_MAX_NUM_SEQS           (1LL << 20)
#define REFINE_MAX_NUM_BATCHED_TOKENS (1LL << 26)

/* Names, types and bounds of every refine field: decoding and the unknown-field hint use it. */
static const struct field_spec rows[RF_COUNT] = {
    [RF_MODEL] = {.name = "model", .type = FIELD_STRING, .max = 128},
    [RF_HF_CONFIG] = {.name = "hf_config", .type = FIELD_OTHER}, /* arch_from_hf_config */
    [RF_ATTENTION_HEADS] = {.name = "attention_heads",
                            .type = FIELD_INT,
                            .min = 1,
                            .max = ARCH_MAX_HEADS},
    [RF_KV_HEADS] = {.name = "kv_heads", .type = FIELD_INT, .min = 1, .max = ARCH_MAX_HEADS},
    [RF_HEAD_DIM] = {.name = "head_dim", .type = FIELD_INT, .min = 1, .max = ARCH_MAX_DIM},
    [RF_KV_LORA_RANK] = {.name = "kv_lora_rank", .type = FIELD_INT, .min = 1, .max = ARCH_MAX_DIM},
    [RF_QK_ROPE_HEAD_DIM] = {.name = "qk_rope_head_dim",
                             .type = FIELD_INT,
                             .min = 1,
                             .max = ARCH_MAX_DIM},
    [RF_SLIDING_WINDOW] = {.name = "sliding_window",
                           .type = FIELD_INT,
                           .min = 1,
                           .max = ARCH_MAX_POSITIONS},
    [RF_WINDOWED_LAYERS] = {.name = "windowed_layers",
                            .type = FIELD_INT,
                            .min = 1,
                            .max = ARCH_MAX_LAYERS},
    [RF_VOCAB_SIZE] = {.name = "vocab_size", .type = FIELD_INT, .min = 1, .max = ARCH_MAX_VOCAB},
    [RF_KV_PRECISION] = {.name = "kv_precision",
                         .type = FIELD_STRING,
                         .max = 16,
                         .aliases = kv_precision_aliases},
    [RF_ENCODER_LEN] = {.name = "encoder_len",
                        .type = FIELD_INT,
                        .min = 1,
                        .max = ARCH_MAX_POSITIONS},
    [RF_BITS_PER_WEIGHT] = {.name = "bits_per_weight", .type = FIELD_NUMBER, .min = 1, .max = 32},
    [RF_ENGINE] = {.name = "engine", .type = FIELD_STRING, .max = 16},
    [RF_GPU_MEMORY_UTILIZATION] = {.name = "gpu_memory_utilization",
                                   .type = FIELD_NUMBER,
                                   .min = 0,
                                   .max = 1,
                                   .min_exclusive = true,
                                   .aliases = util_aliases},
    /* vLLM's knobs (EngineArgs / SchedulerConfig; ge=1 as vLLM's pydantic fields) */
    [RF_VLLM_VERSION] = {.name = "vllm_version", .type = FIELD_STRING, .max = 16},
    [RF_MAX_NUM_SEQS] = {.name = "max_num_seqs",
                         .type = FIELD_INT,
                         .min = 1,
                         .max = REFINE_MAX_NUM_SEQS},
    [RF_MAX_NUM_BATCHED_TOKENS] = {.name = "max_num_batched_tokens",
                                   .type = FIELD_INT,
                                   .min = 1,
                                   .max = REFINE_MAX_NUM_BATCHED_TOKENS},
    [RF_ENFORCE_EAGER] = {.name = "enforce_eager", .type = FIELD_BOOL},
    [RF_OBJECTIVE] = {.name = "objective", .type = FIELD_STRING, .max = 32},
    [RF_VENDOR] = {.name = "vendor", .type = FIELD_STRING, .max = 32},
    [RF_EXCLUDE_PARTIAL] = {.name = "exclude_partial", .type = FIELD_BOOL},
    [RF_SKUS] = {.name = "skus", .type = FIELD_OTHER}, /* array of VM size names, below */
    [RF_REGION] = {.name = "region", .type = FIELD_STRING, .max = 64},
    [RF_SOLVE] = {.name = "solve", .type = FIELD_STRING, .max = 16},
    [RF_SKU] = {.name = "sku", .type = FIELD_STRING, .max = 128},
    /* A Hub revision (branch, tag, commit); the server checks its characters (server/hub). */
    [RF_REVISION] = {.name = "revision", .type = FIELD_STRING, .max = 128},
    /* The content of NVIDIA ModelOpt's hf_quant_config.json (quant_from_config, below). */
    [RF_HF_QUANT_CONFIG] = {.name = "hf_quant_config", .type = FIELD_OTHER},
    /* Layout: bounded by the largest deployment the chooser spans (64 VMs of 8 GPUs). */
    [RF_TENSOR_PARALLEL] = {.name = "tensor_parallel", .type = FIELD_INT, .min = 1, .max = 64},
    [RF_PIPELINE_PARALLEL] = {.name = "pipeline_parallel",
                              .type = FIELD_INT,
                              .min = 1,
                              .max = CHOICE_MAX_NODES},
    [RF_DATA_PARALLEL] = {.name = "data_parallel", .type = FIELD_INT, .min = 1, .max = 512},
    [RF_EXPERT_PARALLEL] = {.name = "expert_parallel", .type = FIELD_BOOL},
    [RF_DECODE_CONTEXT_PARALLEL] = {.name = "decode_context_parallel",
                                    .type = FIELD_INT,
                                    .min = 1,
                                    .max = 64},
    [RF_NUM_REDUNDANT_EXPERTS] = {.name = "num_redundant_experts",
                                  .type = FIELD_INT,
                                  .min = 0,
                                  .max = ARCH_MAX_EXPERTS},
    [RF_ROUTER_IMBALANCE] = {.name = "router_imbalance",
                             .type = FIELD_NUMBER,
                             .min = 1,
                             .max = 512},
    /* A llama.cpp GGUF quantization ("Q4_K_M"): its bits per weight (model/gguf.h). */
    [RF_GGUF] = {.name = "gguf", .type = FIELD_STRING, .max = 16},
    /* Experts in host RAM (memory/offload.h). */
    [RF_OFFLOAD] = {.name = "offload", .type = FIELD_STRING, .max = 16},
    [RF_OFFLOAD_LAYERS] = {.name = "offload_layers",
                           .type = FIELD_INT,
                           .min = 1,
                           .max = ARCH_MAX_LAYERS},
    [RF_RESIDENT_EXPERTS] = {.name = "resident_experts_per_layer",
                             .type = FIELD_INT,
                             .min = 1,
                             .max = 1 << 20},
    [RF_EXPERT_HIT_RATE] = {.name = "expert_hit_rate", .type = FIELD_NUMBER, .min = 0, .max = 1},
};

const struct field_table refine_field_table = {rows, RF_COUNT};

/* Reads field f of body by its row. */
static int get(const json_t *body, enum refine_field f, struct field_value *v,
               struct error_info *err)
{
    return fields_read(body, "", &rows[f], v, err);
}

static const char *const solve_names[SOLVE_COUNT] = {
    [SOLVE_NONE] = "none",
    [SOLVE_MAX_CTX] = "max_ctx",
    [SOLVE_MAX_BATCH] = "max_batch",
};
static const char *const arch_source_names[ARCH_SOURCE_COUNT] = {
    [ARCH_NONE] = "none",         [ARCH_PRESET] = "preset", [ARCH_HF_CONFIG] = "hf_config",
    [ARCH_EXPLICIT] = "explicit", [ARCH_HUB] = "hub",
};

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
    case ARCH_HUB:
        return arch_source_names[s];
    }
    return "?";
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
    int rc;
    struct arch *a = &r->arch;
    const struct {
        enum refine_field f;
        int64_t *dst;
    } ints[] = {
        {RF_ATTENTION_HEADS, &a->heads},
        {RF_KV_HEADS, &a->kv_heads},
        {RF_HEAD_DIM, &a->head_dim},
        {RF_KV_LORA_RANK, &a->kv_lora_rank},
        {RF_QK_ROPE_HEAD_DIM, &a->qk_rope_head_dim},
        {RF_SLIDING_WINDOW, &a->sliding_window},
        {RF_WINDOWED_LAYERS, &a->windowed_layers},
        {RF_VOCAB_SIZE, &a->vocab},
    };
    bool any = false;
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        struct field_value v;
        if ((rc = get(body, ints[i].f, &v, err)) < 0)
            return rc;
        if (v.present) {
            *ints[i].dst = v.integer;
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

/* A resolved Hub repo: its config.json decoded as hf_config would be (errors blame "model"). */
static int decode_hub(const json_t *body, const struct refine_hub_model *hub, struct refine *r,
                      struct error_info *err)
{
    int rc;
    (void)body;
    if ((rc = arch_from_hf_config(hub->config, "model", &r->arch, err)) < 0)
        return rc;
    r->hub = hub;
    r->arch_source = ARCH_HUB;
    r->counted = true;
    return 0;
}

/*
 * The checkpoint's weight format, from the config the architecture came from (a preset's
 * hf_config, the request's hf_config, a Hub repo's config.json) and the request's
 * hf_quant_config (NVIDIA ModelOpt declares its format only in that file).
 */
static int decode_quant(const json_t *body, struct refine *r, struct error_info *err)
{
    const json_t *hfq = json_object_get(body, rows[RF_HF_QUANT_CONFIG].name);
    const json_t *cfg = NULL;
    const char *prefix = "hf_config";
    switch (r->arch_source) {
    case ARCH_PRESET:
        cfg = json_object_get(r->preset->json, "hf_config");
        prefix = "model";
        break;
    case ARCH_HF_CONFIG:
        cfg = json_object_get(body, "hf_config");
        break;
    case ARCH_HUB:
        cfg = r->hub->config;
        prefix = "model";
        if (hfq == NULL)
            hfq = r->hub->quant_config;
        break;
    case ARCH_NONE:
    case ARCH_EXPLICIT:
        break;
    }
    if (hfq != NULL && !json_is_object(hfq))
        return error_set(err, 400, "invalid_type", "hf_quant_config",
                         "hf_quant_config must be the object of a hf_quant_config.json "
                         "({\"quantization\": {\"quant_algo\": ...}})");
    if (hfq != NULL && cfg == NULL)
        return error_set(err, 400, "conflicting_fields", "hf_quant_config",
                         "hf_quant_config describes a checkpoint: give it with model or hf_config");
    if (cfg == NULL)
        return 0;
    r->quant_from_preset = r->arch_source == ARCH_PRESET && hfq == NULL;
    return quant_from_config(cfg, hfq, prefix, &r->quant, err);
}

/* Architecture: a preset, a config.json, or explicit fields - one source only. */
static int decode_arch(const json_t *body, const struct models *models,
                       const struct refine_hub_model *hub, struct refine *r, struct error_info *err)
{
    int rc;
    struct field_value v;
    bool has_model = present(body, rows[RF_MODEL].name);
    bool has_cfg = present(body, rows[RF_HF_CONFIG].name);
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
        if ((rc = get(body, RF_MODEL, &v, err)) < 0)
            return rc;
        r->model = v.string;
        const struct model_preset *p = NULL;
        /* A Hugging Face repo the server resolved on the Hub (it is no preset). */
        if (hub != NULL && strcmp(hub->repo, r->model) == 0 &&
            models_find(models, r->model) == NULL)
            return (rc = decode_hub(body, hub, r, err)) < 0 ? rc : decode_quant(body, r, err);
        if ((rc = models_resolve(models, r->model, &p, err)) < 0)
            return rc; /* 422 unknown_model with its "did you mean" */
        r->arch = p->arch;
        r->preset_name = p->name;
        r->preset = p;
        r->hf_id = p->hf_id;
        r->arch_source = ARCH_PRESET;
        r->counted = true;
    } else if (has_cfg) {
        if ((rc = arch_from_hf_config(json_object_get(body, "hf_config"), "hf_config", &r->arch,
                                      err)) < 0)
            return rc;
        r->arch_source = ARCH_HF_CONFIG;
        r->counted = true;
    } else if ((rc = decode_explicit(body, r, err)) < 0) {
        return rc;
    }
    if (r->arch_source != ARCH_EXPLICIT &&
        (present(body, "sliding_window") || present(body, "windowed_layers"))) {
        /* A window override on a known architecture (e.g. vLLM's --disable-sliding-window off). */
        if (r->arch_source == ARCH_NONE)
            return error_set(err, 400, "missing_field", "attention_heads",
                             "sliding_window needs the architecture");
        return error_set(err, 400, "conflicting_fields", "sliding_window",
                         "sliding_window comes from the model; remove it");
    }
    return decode_quant(body, r, err);
}

/* gguf: a llama.cpp quantization name, read as the bits per weight of every tensor. */
static int decode_gguf(const json_t *body, struct refine *r, struct error_info *err)
{
    struct field_value v;
    int rc = get(body, RF_GGUF, &v, err);
    if (rc < 0 || !v.present)
        return rc;
    if (r->has_bits_per_weight)
        return error_set(err, 400, "conflicting_fields", "gguf",
                         "gguf sets the bits per weight; give gguf or bits_per_weight, not both");
    if (present(body, "precision"))
        return error_set(err, 400, "conflicting_fields", "gguf",
                         "gguf is the weight format; give gguf or precision, not both");
    const struct gguf_type *t = gguf_find(v.string);
    if (t == NULL)
        return error_set(err, 400, "invalid_value", "gguf",
                         "gguf \"%.16s\" is not known; use one of: %s", v.string, gguf_list());
    r->gguf = t->name;
    r->gguf_expert_bits = t->expert_bits;
    r->has_bits_per_weight = true;
    r->bits_per_weight = t->bits;
    return 0;
}

/* Formats (bits_per_weight, kv_precision) and the engine (engine, gpu_memory_utilization). */
static int decode_formats_engine(const json_t *body, struct refine *r, struct error_info *err)
{
    int rc;
    struct field_value v;
    if ((rc = get(body, RF_BITS_PER_WEIGHT, &v, err)) < 0)
        return rc;
    r->has_bits_per_weight = v.present;
    r->bits_per_weight = v.number;
    if ((rc = decode_gguf(body, r, err)) < 0)
        return rc;
    if ((rc = get(body, RF_KV_PRECISION, &v, err)) < 0)
        return rc;
    r->has_kv_precision = v.present;
    r->kv_precision = v.string;
    if (r->has_kv_precision && precision_kv_bytes(r->kv_precision, &r->kv_bytes) < 0)
        return error_set(err, 400, "invalid_value", "kv_precision",
                         "kv_precision \"%.16s\" is not known; use one of: %s", r->kv_precision,
                         precision_kv_list());
    /* encoder_len: encoder tokens per sequence, the length of the cross-attention K/V cache. */
    if ((rc = get(body, RF_ENCODER_LEN, &v, err)) < 0)
        return rc;
    r->encoder_len = v.present ? (double)v.integer : 0;
    if (v.present && r->arch.encoder_layers == 0)
        return error_set(err, 422, "invalid_field", "encoder_len",
                         "encoder_len applies to encoder-decoder models (t5, switch_transformers); "
                         "this model has no encoder");

    if ((rc = get(body, RF_ENGINE, &v, err)) < 0)
        return rc;
    if (v.present) {
        int idx;
        if ((rc = one_of("engine", v.string, engine_names + ENGINE_FIRST_SENT,
                         ENGINE_COUNT - ENGINE_FIRST_SENT, &idx, err)) < 0)
            return rc;
        r->engine = (enum engine)(idx + ENGINE_FIRST_SENT);
    }
    if ((rc = get(body, RF_GPU_MEMORY_UTILIZATION, &v, err)) < 0)
        return rc;
    r->util_given = v.present;
    if (v.present)
        r->util = v.number;
    if (r->util_given && r->engine == ENGINE_NONE)
        return error_set(err, 400, "missing_field", "engine",
                         "gpu_memory_utilization applies to an engine; add \"engine\": \"vllm\"");
    if (r->engine != ENGINE_NONE && r->arch_source == ARCH_NONE)
        return error_set(err, 422, "missing_field", "model",
                         "engine \"%s\" sizes the KV cache per GPU and needs the architecture: "
                         "give model, hf_config, or attention_heads + kv_heads (+ head_dim)",
                         engine_name(r->engine));
    return 0;
}

/*
 * vLLM's knobs: vllm_version (one of the measured releases), max_num_seqs,
 * max_num_batched_tokens, enforce_eager. They size vLLM's budget, so they need engine "vllm";
 * their checks against ctx and batch are plan.c's (those are decoded after).
 */
static int decode_vllm_knobs(const json_t *body, struct refine *r, struct error_info *err)
{
    int rc;
    struct field_value v;
    r->vllm.version = VLLM_VERSION_DEFAULT;
    bool any = false;
    if ((rc = get(body, RF_VLLM_VERSION, &v, err)) < 0)
        return rc;
    if (v.present) {
        any = r->vllm_version_given = true;
        if (vllm_version_parse(v.string, &r->vllm.version) < 0) {
            char list[120];
            fields_name_list(vllm_version_names, VLLM_VERSION_COUNT, list, sizeof(list));
            return error_set(err, 400, "invalid_value", "vllm_version",
                             "vllm_version \"%.16s\" is not a measured vLLM release; use one of: "
                             "%s (a patch release such as 0.19.1 counts as its minor)",
                             v.string, list);
        }
    }
    const struct {
        enum refine_field f;
        long long *dst;
    } ints[] = {{RF_MAX_NUM_SEQS, &r->vllm.max_num_seqs},
                {RF_MAX_NUM_BATCHED_TOKENS, &r->vllm.max_num_batched_tokens}};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if ((rc = get(body, ints[i].f, &v, err)) < 0)
            return rc;
        if (v.present) {
            *ints[i].dst = (long long)v.integer;
            any = true;
        }
    }
    if ((rc = get(body, RF_ENFORCE_EAGER, &v, err)) < 0)
        return rc;
    if (v.present) {
        r->vllm.enforce_eager = v.boolean;
        any = true;
    }
    if (!any || r->engine == ENGINE_VLLM)
        return 0;
    const char *f = r->vllm_version_given                ? "vllm_version"
                    : r->vllm.max_num_seqs > 0           ? "max_num_seqs"
                    : r->vllm.max_num_batched_tokens > 0 ? "max_num_batched_tokens"
                                                         : "enforce_eager";
    if (r->engine == ENGINE_NONE)
        return error_set(err, 400, "missing_field", "engine",
                         "%s is a vLLM setting; add \"engine\": \"vllm\"", f);
    return error_set(err, 400, "conflicting_fields", f, "%s is a vLLM setting; engine is \"%s\"", f,
                     engine_name(r->engine));
}

/* skus: an array of 1..REFINE_MAX_SKUS VM size names. */
static int decode_skus(const json_t *body, struct refine *r, struct error_info *err)
{
    const json_t *skus = json_object_get(body, rows[RF_SKUS].name);
    if (skus == NULL)
        return 0;
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
        r->skus[r->n_skus++] = json_string_value(v);
    }
    return 0;
}

/* Choice: objective, vendor, region, exclude_partial, skus, solve and its sku. */
static int decode_choice(const json_t *body, struct refine *r, struct error_info *err)
{
    int rc;
    struct field_value v;
    if ((rc = get(body, RF_OBJECTIVE, &v, err)) < 0)
        return rc;
    r->objective_given = v.present;
    if (v.present) {
        int idx;
        if ((rc = one_of("objective", v.string, choice_objective_names, CHOICE_OBJECTIVE_COUNT,
                         &idx, err)) < 0)
            return rc;
        r->objective = (enum choice_objective)idx;
    }
    if ((rc = get(body, RF_VENDOR, &v, err)) < 0)
        return rc;
    r->vendor = v.string;
    if ((rc = get(body, RF_REGION, &v, err)) < 0)
        return rc;
    r->region = v.string;
    if ((rc = get(body, RF_EXCLUDE_PARTIAL, &v, err)) < 0)
        return rc;
    r->exclude_partial = v.boolean;
    if ((rc = choice_filter_check(r->region, r->vendor, "invalid_value", err)) < 0)
        return rc;
    if ((rc = decode_skus(body, r, err)) < 0)
        return rc;
    if ((rc = get(body, RF_SOLVE, &v, err)) < 0)
        return rc;
    if (v.present) {
        int idx;
        if ((rc = one_of("solve", v.string, solve_names, SOLVE_COUNT, &idx, err)) < 0)
            return rc;
        r->solve = (enum refine_solve)idx;
    }
    if ((rc = get(body, RF_SKU, &v, err)) < 0)
        return rc;
    r->solve_sku = v.string;
    if (r->solve != SOLVE_NONE) {
        if (r->solve_sku == NULL)
            return error_set(err, 400, "missing_field", "sku",
                             "solve needs the VM size to solve for: \"sku\": \"Standard_...\"");
        if (r->engine == ENGINE_NONE)
            return error_set(err, 400, "missing_field", "engine",
                             "solve works on the per-GPU budget; add \"engine\": \"vllm\" and the "
                             "architecture");
    } else if (r->solve_sku) {
        return error_set(err, 400, "missing_field", "solve",
                         "sku is only used with solve (max_ctx or max_batch); to restrict the "
                         "choice use skus: [...]");
    }
    return 0;
}

/*
 * Layout: tensor_parallel, pipeline_parallel, data_parallel, expert_parallel,
 * decode_context_parallel, num_redundant_experts, router_imbalance. They size per-GPU memory, so
 * they need an engine (without one, the first three are the training model's fields of the same
 * names, decoded by training_request.c); the rules that depend on the model are shard_check's
 * (core/memory/shard.c), applied once the architecture is complete (core/api/plan.c).
 */
static int decode_layout(const json_t *body, struct refine *r, struct error_info *err)
{
    const struct {
        enum refine_field f;
        int *dst;
    } ints[] = {
        {RF_TENSOR_PARALLEL, &r->tensor_parallel},
        {RF_PIPELINE_PARALLEL, &r->pipeline_parallel},
        {RF_DATA_PARALLEL, &r->data_parallel},
        {RF_DECODE_CONTEXT_PARALLEL, &r->decode_context_parallel},
        {RF_NUM_REDUNDANT_EXPERTS, &r->num_redundant_experts},
    };
    int rc;
    struct field_value v;
    const char *first = NULL;
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        /* Without an engine the names training shares are the training model's
         * (training_request.c). */
        if (r->engine == ENGINE_NONE &&
            (ints[i].f == RF_TENSOR_PARALLEL || ints[i].f == RF_PIPELINE_PARALLEL ||
             ints[i].f == RF_DATA_PARALLEL))
            continue;
        if ((rc = get(body, ints[i].f, &v, err)) < 0)
            return rc;
        if (v.present) {
            *ints[i].dst = (int)v.integer;
            first = first ? first : rows[ints[i].f].name;
        }
    }
    if ((rc = get(body, RF_EXPERT_PARALLEL, &v, err)) < 0)
        return rc;
    r->expert_parallel_given = v.present;
    r->expert_parallel = v.boolean;
    first = first ? first : v.present ? rows[RF_EXPERT_PARALLEL].name : NULL;
    if ((rc = get(body, RF_ROUTER_IMBALANCE, &v, err)) < 0)
        return rc;
    r->router_imbalance = v.present ? v.number : 0;
    first = first ? first : v.present ? rows[RF_ROUTER_IMBALANCE].name : NULL;
    r->layout_given = first != NULL;
    if (first && r->engine == ENGINE_NONE)
        return error_set(err, 400, "missing_field", "engine",
                         "%s sizes per-GPU memory under a layout; add \"engine\": \"vllm\" (or "
                         "\"sglang\")",
                         first);
    if (r->num_redundant_experts > 0 && !r->expert_parallel)
        return error_set(err, 400, "invalid_value", "num_redundant_experts",
                         "enable_expert_parallel must be True to use EPLB: num_redundant_experts "
                         "needs \"expert_parallel\": true");
    return 0;
}

/* The fields that only mean something with one offload mode: refused elsewhere. */
static int offload_companions(const json_t *body, const struct refine *r, struct error_info *err)
{
    bool layers_ok = r->offload == OFFLOAD_CPU_EXPERTS || r->offload == OFFLOAD_AUTO;
    bool demand = r->offload == OFFLOAD_ON_DEMAND;
    if (present(body, rows[RF_OFFLOAD_LAYERS].name) && !layers_ok)
        return error_set(err, 400, "conflicting_fields", "offload_layers",
                         "offload_layers (llama.cpp --n-cpu-moe) applies to offload "
                         "\"cpu_experts\" or \"auto\"");
    if (present(body, rows[RF_RESIDENT_EXPERTS].name) && !demand)
        return error_set(err, 400, "conflicting_fields", "resident_experts_per_layer",
                         "resident_experts_per_layer applies to offload \"on_demand\"");
    if (present(body, rows[RF_EXPERT_HIT_RATE].name) && !demand)
        return error_set(err, 400, "conflicting_fields", "expert_hit_rate",
                         "expert_hit_rate applies to offload \"on_demand\"");
    if (demand && r->resident_experts == 0)
        return error_set(err, 400, "missing_field", "resident_experts_per_layer",
                         "offload \"on_demand\" needs resident_experts_per_layer (experts of each "
                         "MoE layer kept on the GPU)");
    return 0;
}

/* What an offloaded layout cannot be combined with, and the model it needs. */
static int offload_rules(const struct refine *r, struct error_info *err)
{
    if (!r->counted)
        return error_set(err, 422, "missing_field", "model",
                         "offload places each MoE layer's routed experts and needs the "
                         "architecture: give model or hf_config");
    if (!arch_is_moe(&r->arch))
        return error_set(err, 422, "invalid_field", "offload",
                         "offload moves routed experts to host RAM; %s is dense",
                         r->model ? r->model : "this model");
    if (r->engine != ENGINE_NONE)
        return error_set(err, 400, "conflicting_fields", "engine",
                         "offloaded layouts are sized the way llama.cpp and ktransformers run "
                         "them; drop engine (vLLM's --cpu-offload-gb streams whole layers and is "
                         "not modelled)");
    if (r->solve != SOLVE_NONE)
        return error_set(err, 400, "conflicting_fields", "solve",
                         "solve works on the engine's per-GPU budget; drop it with offload");
    return 0;
}

/* offload and its companions (after the architecture, the engine and the choice). */
static int decode_offload(const json_t *body, struct refine *r, struct error_info *err)
{
    int rc;
    struct field_value v;
    r->expert_hit_rate = -1;
    if ((rc = get(body, RF_OFFLOAD, &v, err)) < 0)
        return rc;
    if (v.present) {
        int idx;
        if ((rc = one_of("offload", v.string, offload_mode_names, OFFLOAD_MODE_COUNT, &idx, err)) <
            0)
            return rc;
        r->offload = (enum offload_mode)idx;
    }
    if ((rc = get(body, RF_OFFLOAD_LAYERS, &v, err)) < 0)
        return rc;
    r->offload_layers = v.present ? v.integer : 0;
    if ((rc = get(body, RF_RESIDENT_EXPERTS, &v, err)) < 0)
        return rc;
    r->resident_experts = v.present ? v.integer : 0;
    if ((rc = get(body, RF_EXPERT_HIT_RATE, &v, err)) < 0)
        return rc;
    if (v.present)
        r->expert_hit_rate = v.number;
    if ((rc = offload_companions(body, r, err)) < 0)
        return rc;
    if (r->offload == OFFLOAD_NONE)
        return 0;
    return offload_rules(r, err);
}

int refine_decode(const json_t *body, const struct models *models, struct refine *out,
                  struct error_info *err)
{
    return refine_decode_hub(body, models, NULL, out, err);
}

int refine_decode_hub(const json_t *body, const struct models *models,
                      const struct refine_hub_model *hub, struct refine *out,
                      struct error_info *err)
{
    struct refine r;
    memset(&r, 0, sizeof(r));
    int rc;
    r.util = VLLM_DEFAULT_UTILIZATION;
    for (size_t i = 0; i < RF_COUNT; i++)
        if (present(body, rows[i].name))
            r.any = true;
    if ((rc = decode_arch(body, models, hub, &r, err)) < 0 ||
        (rc = decode_formats_engine(body, &r, err)) < 0 ||
        (rc = decode_vllm_knobs(body, &r, err)) < 0 || (rc = decode_choice(body, &r, err)) < 0 ||
        (rc = decode_layout(body, &r, err)) < 0 || (rc = decode_offload(body, &r, err)) < 0)
        return rc;
    struct field_value rev;
    if ((rc = get(body, RF_REVISION, &rev, err)) < 0)
        return rc;
    if (rev.present && r.arch_source != ARCH_HUB)
        return error_set(err, 400, "conflicting_fields", "revision",
                         "revision applies to a Hugging Face repo id in model (org/name), not "
                         "to a preset or hf_config");
    *out = r;
    return 0;
}

void refine_choice_prefs(const struct refine *r, struct choice_prefs *out)
{
    memset(out, 0, sizeof(*out));
    out->objective = r->objective;
    out->filter.vendor = r->vendor;
    out->filter.exclude_partial = r->exclude_partial;
    out->filter.skus = r->skus;
    out->filter.n_skus = r->n_skus;
    out->filter.region = r->region;
}

/* Whether cat has a size called name, ASCII case ignored. */
static bool catalog_has(const struct catalog *cat, const char *name)
{
    for (size_t i = 0; i < catalog_count(cat); i++)
        if (strcasecmp(catalog_at(cat, i)->sku, name) == 0)
            return true;
    return false;
}

int refine_check_skus(const struct refine *r, const struct catalog *cat, struct error_info *err)
{
    for (int i = 0; i < r->n_skus; i++) {
        if (catalog_has(cat, r->skus[i]))
            continue;
        /* The hint's candidates: every size name of the snapshot (a bounded catalog). */
        size_t n = catalog_count(cat);
        const char **names = malloc((n + 1) * sizeof(*names));
        if (names == NULL)
            return -ENOMEM;
        for (size_t k = 0; k < n; k++)
            names[k] = catalog_at(cat, k)->sku;
        names[n] = NULL;
        const char *hint = fields_closest(r->skus[i], names);
        char field[32];
        snprintf(field, sizeof(field), "skus[%d]", i);
        int rc = error_set(err, 422, "unknown_sku", field,
                           "VM size \"%.64s\" is not in the catalog%s%.64s%s; GET /skus lists them",
                           r->skus[i], hint ? " (did you mean \"" : "", hint ? hint : "",
                           hint ? "\"?)" : "");
        free(names);
        return rc;
    }
    return 0;
}
