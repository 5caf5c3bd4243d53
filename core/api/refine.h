/* refine.h - the request fields beyond the seed: model, architecture, formats, engine, choice. */
#ifndef VRAMFIT_REFINE_H
#define VRAMFIT_REFINE_H

#include <jansson.h>
#include <stdbool.h>

#include "model/arch.h"
#include "model/models.h"
#include "model/quant.h"
#include "model/safetensors.h"
#include "base/error.h"
#include "base/fields.h"
#include "choice/choice.h"
#include "memory/engine.h"
#include "memory/vllm.h"
#include "memory/offload.h"

#define REFINE_MAX_SKUS 64

/*
 * The closed sets below each have one name table (refine.c). A *_COUNT is the table size: update
 * it with the enum (the name functions' switches fail the build until the new value is named).
 */

/* "solve": what to solve for on one VM size. Names: "none", "max_ctx", "max_batch". */
enum refine_solve { SOLVE_NONE = 0, SOLVE_MAX_CTX, SOLVE_MAX_BATCH };
#define SOLVE_COUNT (SOLVE_MAX_BATCH + 1)

/* Where the architecture came from. Names: "none", "preset", "hf_config", "explicit", "hub". */
enum refine_arch_source { ARCH_NONE = 0, ARCH_PRESET, ARCH_HF_CONFIG, ARCH_EXPLICIT, ARCH_HUB };
#define ARCH_SOURCE_COUNT (ARCH_HUB + 1)

/*
 * A Hugging Face repo the server resolved before calling the api (server/hub fetches; core never
 * does): its config.json and, when the checkpoint's safetensors headers could be read, their
 * tensor table. Borrowed for the duration of one call.
 */
struct refine_hub_model {
    const char *repo;                 /* "org/name", as the request's "model" names it */
    const char *revision;             /* as asked ("main" when none was) */
    const char *source;               /* "hub@<commit>" */
    const json_t *config;             /* config.json */
    const json_t *quant_config;       /* hf_quant_config.json (ModelOpt), or NULL */
    const struct st_summary *tensors; /* NULL: no readable safetensors (counted from config) */
    unsigned shards;
    const char *note; /* why the tensor table is missing or differs; NULL or "" for none */
};

/* Names of the values above (static storage; "?" only for a value outside the enum). */
const char *refine_solve_name(enum refine_solve s);
const char *refine_arch_source_name(enum refine_arch_source s);

/* Strings are borrowed from the request body (valid while the caller holds it). */
struct refine {
    bool any; /* at least one field beyond the seed's was given */

    /* Architecture. */
    enum refine_arch_source arch_source;
    const char *model;                  /* "model" as given */
    const char *preset_name;            /* canonical preset name when arch_source == ARCH_PRESET */
    const struct model_preset *preset;  /* that preset (borrowed from the registry), else NULL */
    const char *hf_id;                  /* the preset's Hugging Face id (ARCH_PRESET), else NULL */
    const struct refine_hub_model *hub; /* arch_source == ARCH_HUB: the resolved repo */
    struct arch arch; /* complete for PRESET/HF_CONFIG; KV-relevant subset for EXPLICIT */
    bool counted;     /* parameters come from the architecture (PRESET/HF_CONFIG) */
    /* The checkpoint's weight format (its config's quantization_config or torch_dtype, the
     * request's hf_quant_config); method QUANT_NONE at bf16 when nothing says. */
    struct quant quant;
    bool quant_from_preset; /* quant decoded from the preset's hf_config alone (no hf_quant_config)
                             */

    /* Formats. */
    bool has_bits_per_weight;
    double bits_per_weight;
    bool has_kv_precision;
    const char *kv_precision;
    double kv_bytes;
    double encoder_len; /* encoder-decoder: encoder tokens per sequence; 0 = not given */
    const char *gguf;   /* "gguf": a llama.cpp quantization (sets bits_per_weight), else NULL */
    double gguf_expert_bits; /* its routed experts' bits when they differ (MXFP4_MOE), else 0 */

    /* Experts in host RAM (memory/offload.h); OFFLOAD_NONE when not asked. */
    enum offload_mode offload;
    int64_t offload_layers;   /* cpu_experts: MoE layers whose experts go to host RAM; 0 = all */
    int64_t resident_experts; /* on_demand: experts per MoE layer kept on the GPU */
    double expert_hit_rate;   /* on_demand: < 0 when not given (defaults to resident / E) */

    /* Engine. */
    enum engine engine; /* ENGINE_NONE when not given (memory/engine.h) */
    double util;        /* gpu_memory_utilization (SGLang: mem_fraction_static) */
    bool util_given;
    /* vLLM's knobs: vllm_version (default the newest), max_num_seqs, max_num_batched_tokens,
     * enforce_eager; 0 / false when not given (memory/vllm.h resolves vLLM's defaults). */
    struct vllm_knobs vllm;
    bool vllm_version_given;

    /* Choice. */
    enum choice_objective objective;
    bool objective_given;
    const char *vendor;
    bool exclude_partial;
    const char *region;
    const char *skus[REFINE_MAX_SKUS];
    int n_skus;
    enum refine_solve solve;
    const char *solve_sku; /* "sku" (required with solve) */

    /* Layout (vLLM's parallel sizes); 0 / not given = the chooser's (with an engine only). */
    bool layout_given;           /* any layout field below was given */
    int tensor_parallel;         /* --tensor-parallel-size */
    int pipeline_parallel;       /* --pipeline-parallel-size */
    int data_parallel;           /* --data-parallel-size */
    int decode_context_parallel; /* --decode-context-parallel-size */
    bool expert_parallel_given;
    bool expert_parallel;      /* --enable-expert-parallel */
    int num_redundant_experts; /* EPLB (--eplb-config num_redundant_experts) */
    double router_imbalance;   /* busiest EP rank's max / mean routed load; 0 = the default */
};

/*
 * refine_field_table - the fields this module decodes, with their types and bounds (POST /estimate
 * accepts them in addition to the seed's; the unknown-field hint searches them).
 */
extern const struct field_table refine_field_table;

/*
 * refine_decode - reads the fields beyond the seed from body into *out. models may be NULL (then
 * "model" is refused). Seed fields that an architecture makes redundant (params_b, layers, hidden,
 * moe_*) are refused alongside "model"/"hf_config" so nothing is silently overridden.
 * Errors: -EINVAL with err (400 for type/range/conflict, 422 unknown model, 422 for configs that
 * cannot be decoded). Does not allocate.
 */
struct models;
int refine_decode(const json_t *body, const struct models *models, struct refine *out,
                  struct error_info *err);

/*
 * refine_decode_hub - refine_decode, where a "model" that is no preset but equals hub->repo is
 * that resolved repo (ARCH_HUB; its config decoded as hf_config is). hub may be NULL. "revision"
 * is only accepted with such a model (400 otherwise). Same errors as refine_decode.
 */
int refine_decode_hub(const json_t *body, const struct models *models,
                      const struct refine_hub_model *hub, struct refine *out,
                      struct error_info *err);

/*
 * refine_choice_prefs - the chooser's view of r: objective and filters (vendor, exclude_partial,
 * skus, region). Strings stay borrowed from r (and its request body). No errors.
 */
void refine_choice_prefs(const struct refine *r, struct choice_prefs *out);

/*
 * refine_check_skus - every entry of r->skus names a size of cat (ASCII case ignored, as the
 * filter matches): a typo is an error, never a silently smaller choice. Errors: -EINVAL with a
 * 422 "unknown_sku" naming skus[i] and the closest size; -ENOMEM.
 */
int refine_check_skus(const struct refine *r, const struct catalog *cat, struct error_info *err);

#endif
