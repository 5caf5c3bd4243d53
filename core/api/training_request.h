/* training_request.h - strict decoding of the refined training fields of POST /estimate. */
#ifndef VRAMFIT_TRAINING_REQUEST_H
#define VRAMFIT_TRAINING_REQUEST_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "base/fields.h"
#include "memory/training.h"

#define TRAINING_MAX_LORA_RANK      65536
#define TRAINING_MAX_RANKS          65536 /* data_parallel x tensor x pipeline x context parallel */
#define TRAINING_MAX_TP             64
#define TRAINING_MAX_PP             512 /* pipeline stages */
#define TRAINING_MAX_VIRTUAL_STAGES 64  /* model chunks per pipeline rank */
#define TRAINING_MAX_CP             512 /* context-parallel ranks */
/* DeepSpeed bucket and live-parameter sizes (elements): 1e12 is 2 TB of 16-bit values, beyond any
 * GPU, so larger is a typo rather than a setting. */
#define TRAINING_MAX_BUCKET 1000000000000LL

/* What the request asked for, with the defaults it left to us marked for the assumptions list. */
struct training_request {
    bool refined; /* "training" is an object or a training field was given */
    bool forced;  /* refined only because "training": true came with an architecture */
    struct training_config cfg;     /* micro_batch/seq_len already defaulted from batch/ctx */
    bool data_parallel_auto;        /* no data_parallel: the VM choice picks the ranks */
    bool micro_batch_from_batch;    /* micro_batch absent: took batch */
    bool seq_len_from_ctx;          /* seq_len absent: took ctx */
    bool optimizer_defaulted;       /* adamw */
    bool grad_defaulted;            /* gradient precision = compute precision */
    bool recompute_defaulted;       /* none */
    bool lora_rank_defaulted;       /* 16 */
    bool lora_targets_defaulted;    /* every attention and MLP projection */
    bool compute_defaulted_bf16;    /* int8/int4 precision: activations and adapters in bf16 */
    char grad_precision[8];         /* "bf16", "fp16", "fp32" */
    unsigned long long in_training; /* bit i: the field of row i was inside "training" */
};

/*
 * training_request_decode - reads the refined-training fields from body: inside a "training"
 * object (errors name "training.<field>") or at the top level (then not both places). With
 * neither, out->refined is false and nothing else is set: the seed's "training": true keeps its
 * meaning, unless force (a "training": true request that also describes the architecture: the
 * refined model with its defaults answers it). precision is the request's weight precision name and
 * weight_bytes its bytes per weight (below 2: a quantised base, LoRA/QLoRA only), batch and ctx the
 * seed fields (defaults for micro_batch and seq_len). Errors: -EINVAL with err (400) for unknown
 * fields, wrong types, out-of-range values and contradictions (offload without the ZeRO stage it
 * needs, full fine-tuning of int8/int4 weights, LoRA fields with method full, ...).
 */
int training_request_decode(const json_t *body, const char *precision, double weight_bytes,
                            long long batch, long long ctx, bool force,
                            struct training_request *out, struct error_info *err);

/*
 * training_request_field_path - writes the request path of the training field name
 * ("training.<name>" when it was given inside "training", else "<name>") into buf (size > 0,
 * truncated to fit), and returns buf. For the field names training_config_check reports. No
 * allocation, no errors.
 */
const char *training_request_field_path(const struct training_request *t, const char *name,
                                        char *buf, size_t size);

/*
 * training_field_table - the training fields with their types and bounds (accepted inside
 * "training" and at the top level; the unknown-field hint searches them).
 */
extern const struct field_table training_field_table;

/* training_targets_json - the LoRA target mask as an array of projection names. New reference. */
json_t *training_targets_json(unsigned mask);

#endif
