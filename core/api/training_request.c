/* training_request.c - strict decoding of the refined training fields of POST /estimate. */
#include "api/training_request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/fields.h"

/* The training fields, in decoding order; TF_* index the table. */
enum training_field {
    TF_METHOD,
    TF_LORA_RANK,
    TF_LORA_TARGETS,
    TF_OPTIMIZER,
    TF_MASTER_WEIGHTS,
    TF_GRAD_PRECISION,
    TF_MICRO_BATCH,
    TF_SEQ_LEN,
    TF_ACTIVATION_CHECKPOINTING,
    TF_FLASH_ATTENTION,
    TF_CHUNKED_LOSS,
    TF_DATA_PARALLEL,
    TF_ZERO_STAGE,
    TF_FSDP,
    TF_TENSOR_PARALLEL,
    TF_OFFLOAD_OPTIMIZER,
    TF_OFFLOAD_PARAMS,
    TF_SEQUENCE_PARALLEL,
    TF_PIPELINE_PARALLEL,
    TF_PP_SCHEDULE,
    TF_PP_VIRTUAL_STAGES,
    TF_PP_MICROBATCHES,
    TF_CONTEXT_PARALLEL,
    TF_SHARDING,
    TF_REDUCE_BUCKET_SIZE,
    TF_ALLGATHER_BUCKET_SIZE,
    TF_STAGE3_MAX_LIVE_PARAMETERS,
    TF_STAGE3_PREFETCH_BUCKET_SIZE,
    TF_SUB_GROUP_SIZE,
    TF_CONTIGUOUS_GRADIENTS,
    TF_OVERLAP_COMM,
    TF_LIMIT_ALL_GATHERS,
    TF_LOSS_FP32,
};
#define TF_COUNT (TF_LOSS_FP32 + 1)

/* Names, types and bounds of every training field: decoding and the unknown-field hint use it. */
static const struct field_spec rows[TF_COUNT] = {
    [TF_METHOD] = {.name = "method", .type = FIELD_STRING, .max = 32},
    [TF_LORA_RANK] = {.name = "lora_rank",
                      .type = FIELD_INT,
                      .min = 1,
                      .max = TRAINING_MAX_LORA_RANK},
    [TF_LORA_TARGETS] = {.name = "lora_targets", .type = FIELD_OTHER}, /* decode_targets */
    [TF_OPTIMIZER] = {.name = "optimizer", .type = FIELD_STRING, .max = 32},
    [TF_MASTER_WEIGHTS] = {.name = "master_weights", .type = FIELD_BOOL},
    [TF_GRAD_PRECISION] = {.name = "grad_precision", .type = FIELD_STRING, .max = 32},
    [TF_MICRO_BATCH] = {.name = "micro_batch", .type = FIELD_INT, .min = 1, .max = 1048576},
    [TF_SEQ_LEN] = {.name = "seq_len", .type = FIELD_INT, .min = 1, .max = 16777216},
    /* a name, or a boolean (HF's gradient_checkpointing: true means full) */
    [TF_ACTIVATION_CHECKPOINTING] = {.name = "activation_checkpointing",
                                     .type = FIELD_STRING,
                                     .max = 32},
    [TF_FLASH_ATTENTION] = {.name = "flash_attention", .type = FIELD_BOOL},
    [TF_CHUNKED_LOSS] = {.name = "chunked_loss", .type = FIELD_BOOL},
    [TF_DATA_PARALLEL] = {.name = "data_parallel",
                          .type = FIELD_INT,
                          .min = 1,
                          .max = TRAINING_MAX_RANKS},
    [TF_ZERO_STAGE] = {.name = "zero_stage", .type = FIELD_INT, .min = 0, .max = 3},
    [TF_FSDP] = {.name = "fsdp", .type = FIELD_BOOL},
    [TF_TENSOR_PARALLEL] = {.name = "tensor_parallel",
                            .type = FIELD_INT,
                            .min = 1,
                            .max = TRAINING_MAX_TP},
    [TF_OFFLOAD_OPTIMIZER] = {.name = "offload_optimizer", .type = FIELD_BOOL},
    [TF_OFFLOAD_PARAMS] = {.name = "offload_params", .type = FIELD_BOOL},
    /* Megatron-LM's --sequence-parallel, --pipeline-model-parallel-size,
     * --virtual-pipeline-model-parallel-size, --context-parallel-size; DeepSpeed Ulysses'
     * sequence-parallel group is context_parallel here (it splits the sequence, not TP's norms). */
    [TF_SEQUENCE_PARALLEL] = {.name = "sequence_parallel", .type = FIELD_BOOL},
    [TF_PIPELINE_PARALLEL] = {.name = "pipeline_parallel",
                              .type = FIELD_INT,
                              .min = 1,
                              .max = TRAINING_MAX_PP},
    [TF_PP_SCHEDULE] = {.name = "pp_schedule", .type = FIELD_STRING, .max = 32},
    [TF_PP_VIRTUAL_STAGES] = {.name = "pp_virtual_stages",
                              .type = FIELD_INT,
                              .min = 1,
                              .max = TRAINING_MAX_VIRTUAL_STAGES},
    [TF_PP_MICROBATCHES] = {.name = "pp_microbatches", .type = FIELD_INT, .min = 1, .max = 1048576},
    [TF_CONTEXT_PARALLEL] = {.name = "context_parallel",
                             .type = FIELD_INT,
                             .min = 1,
                             .max = TRAINING_MAX_CP},
    [TF_SHARDING] = {.name = "sharding", .type = FIELD_STRING, .max = 32},
    /* DeepSpeed's zero_optimization names (deepspeed/runtime/zero/config.py), in elements */
    [TF_REDUCE_BUCKET_SIZE] = {.name = "reduce_bucket_size",
                               .type = FIELD_INT,
                               .min = 0,
                               .max = TRAINING_MAX_BUCKET},
    [TF_ALLGATHER_BUCKET_SIZE] = {.name = "allgather_bucket_size",
                                  .type = FIELD_INT,
                                  .min = 0,
                                  .max = TRAINING_MAX_BUCKET},
    [TF_STAGE3_MAX_LIVE_PARAMETERS] = {.name = "stage3_max_live_parameters",
                                       .type = FIELD_INT,
                                       .min = 0,
                                       .max = TRAINING_MAX_BUCKET},
    [TF_STAGE3_PREFETCH_BUCKET_SIZE] = {.name = "stage3_prefetch_bucket_size",
                                        .type = FIELD_INT,
                                        .min = 0,
                                        .max = TRAINING_MAX_BUCKET},
    [TF_SUB_GROUP_SIZE] = {.name = "sub_group_size",
                           .type = FIELD_INT,
                           .min = 1,
                           .max = TRAINING_MAX_BUCKET},
    [TF_CONTIGUOUS_GRADIENTS] = {.name = "contiguous_gradients", .type = FIELD_BOOL},
    [TF_OVERLAP_COMM] = {.name = "overlap_comm", .type = FIELD_BOOL},
    /* PyTorch FSDP's limit_all_gathers */
    [TF_LIMIT_ALL_GATHERS] = {.name = "limit_all_gathers", .type = FIELD_BOOL},
    [TF_LOSS_FP32] = {.name = "loss_fp32", .type = FIELD_BOOL},
};

const struct field_table training_field_table = {rows, TF_COUNT};

static const char *const target_names[] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                           "gate_proj", "up_proj", "down_proj"};

/* Where each field was found: the "training" object or the top level. */
struct source {
    const json_t *obj;
    const char *prefix;
};

static struct source where(const json_t *body, const json_t *tobj, const char *key)
{
    if (tobj && json_object_get(tobj, key))
        return (struct source){tobj, "training."};
    return (struct source){body, ""};
}

/* A string field naming a value of a closed set: parse maps the name, choices lists them. */
static int enum_field(const json_t *body, const json_t *tobj, enum training_field f,
                      const char *choices, int (*parse)(const char *, void *), void *out,
                      bool *present, struct error_info *err)
{
    const char *key = rows[f].name;
    struct source s = where(body, tobj, key);
    struct field_value fv;
    int rc = fields_read(s.obj, s.prefix, &rows[f], &fv, err);
    if (rc < 0) {
        char path[64];
        snprintf(path, sizeof(path), "%s%s", s.prefix, key);
        return error_set(err, 400, "invalid_type", path, "%s must be a string, one of: %s", path,
                         choices);
    }
    const char *v = fv.string;
    bool has = fv.present;
    if (present)
        *present = has;
    if (!has)
        return 0;
    if (parse(v, out) < 0) {
        char path[64];
        snprintf(path, sizeof(path), "%s%s", s.prefix, key);
        return error_set(err, 400, "invalid_value", path,
                         "%s \"%.32s\" is not known; use one of: %s", path, v, choices);
    }
    return 0;
}

static int parse_method(const char *s, void *out)
{
    return training_method_parse(s, out);
}

static int parse_optimizer(const char *s, void *out)
{
    return training_optimizer_parse(s, out);
}

static int parse_recompute(const char *s, void *out)
{
    return training_recompute_parse(s, out);
}

static int parse_schedule(const char *s, void *out)
{
    return training_pp_schedule_parse(s, out);
}

static int parse_sharding(const char *s, void *out)
{
    return training_sharding_parse(s, out);
}

static int parse_grad(const char *s, void *out)
{
    double *b = out;
    if (strcmp(s, "fp32") == 0)
        *b = 4;
    else if (strcmp(s, "bf16") == 0 || strcmp(s, "fp16") == 0)
        *b = 2;
    else
        return -ENOENT;
    return 0;
}

/* A boolean field: *out is set only when present (callers preset defaults). */
static int bool_field(const json_t *body, const json_t *tobj, enum training_field f, bool *out,
                      bool *present, struct error_info *err)
{
    struct source s = where(body, tobj, rows[f].name);
    struct field_value v;
    int rc = fields_read(s.obj, s.prefix, &rows[f], &v, err);
    if (rc < 0)
        return rc;
    if (v.present)
        *out = v.boolean;
    if (present)
        *present = v.present;
    return 0;
}

/* An integer field within its row's bounds: *out is set only when present. */
static int int_field(const json_t *body, const json_t *tobj, enum training_field f, long long *out,
                     bool *present, struct error_info *err)
{
    struct source s = where(body, tobj, rows[f].name);
    struct field_value v;
    int rc = fields_read(s.obj, s.prefix, &rows[f], &v, err);
    if (rc < 0)
        return rc;
    if (v.present)
        *out = v.integer;
    if (present)
        *present = v.present;
    return 0;
}

/* lora_targets: an array of projection names, or the groups "attention", "mlp", "all-linear". */
static int decode_targets(const json_t *body, const json_t *tobj, unsigned *mask, bool *present,
                          struct error_info *err)
{
    struct source s = where(body, tobj, rows[TF_LORA_TARGETS].name);
    const json_t *v = json_object_get(s.obj, rows[TF_LORA_TARGETS].name);
    char path[64];
    snprintf(path, sizeof(path), "%slora_targets", s.prefix);
    *present = v != NULL;
    if (v == NULL)
        return 0;
    const char *rule = "an array of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, "
                       "down_proj, or the groups attention, mlp, all-linear";
    if (!json_is_array(v) || json_array_size(v) == 0)
        return error_set(err, 400, "invalid_type", path, "%s must be a non-empty array (%s)", path,
                         rule);
    if (json_array_size(v) > 16) /* 7 projections and 3 groups: more is a mistake, not a mask */
        return error_set(err, 400, "invalid_value", path,
                         "%s has %zu entries; at most 16 are accepted (%s)", path,
                         json_array_size(v), rule);
    unsigned m = 0;
    size_t i;
    const json_t *e;
    json_array_foreach(v, i, e)
    {
        const char *name = json_string_value(e);
        unsigned bit;
        if (name == NULL)
            return error_set(err, 400, "invalid_type", path, "%s[%zu] must be a string (%s)", path,
                             i, rule);
        if (strcmp(name, "attention") == 0)
            bit = TRAINING_LORA_Q | TRAINING_LORA_K | TRAINING_LORA_V | TRAINING_LORA_O;
        else if (strcmp(name, "mlp") == 0)
            bit = TRAINING_LORA_GATE | TRAINING_LORA_UP | TRAINING_LORA_DOWN;
        else if (strcmp(name, "all-linear") == 0)
            bit = TRAINING_LORA_DEFAULT;
        else if (training_lora_target_parse(name, &bit) < 0)
            return error_set(err, 400, "invalid_value", path,
                             "%s[%zu] \"%.32s\" is not a projection; use %s", path, i, name, rule);
        m |= bit;
    }
    *mask = m;
    return 0;
}

json_t *training_targets_json(unsigned mask)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < sizeof(target_names) / sizeof(target_names[0]); i++)
        if (mask & (1u << i))
            json_array_append_new(a, json_string(target_names[i]));
    return a;
}

static int conflict(struct error_info *err, const char *field, const char *msg)
{
    return error_set(err, 400, "conflicting_fields", field, "%s", msg);
}

/*
 * Where the training fields are: inside "training" (tobj), at the top level, or both (refused per
 * field). *top_level is true when any is at the top level.
 */
static int check_placement(const json_t *body, const json_t *tobj, bool *top_level,
                           struct error_info *err)
{
    int rc;
    if (tobj &&
        (rc = fields_reject_unknown_tables(tobj, "training.", &training_field_table, 1, err)) < 0)
        return rc;
    *top_level = false;
    /* tensor/pipeline/data_parallel are also inference layout fields (api/refine.c): with an
     * "engine" and no "training" they size a serving layout and do not make this a training run. */
    bool serving = json_object_get(body, "engine") && json_object_get(body, "training") == NULL;
    for (size_t i = 0; i < TF_COUNT; i++) {
        const char *f = rows[i].name;
        if (json_object_get(body, f) == NULL)
            continue;
        if (serving &&
            (i == TF_TENSOR_PARALLEL || i == TF_PIPELINE_PARALLEL || i == TF_DATA_PARALLEL))
            continue;
        if (tobj && json_object_get(tobj, f)) {
            char path[64];
            snprintf(path, sizeof(path), "training.%s", f);
            return error_set(err, 400, "conflicting_fields", path,
                             "%s is given both at the top level and inside \"training\"; give it "
                             "once",
                             f);
        }
        *top_level = true;
    }
    return 0;
}

/* method, lora_rank, lora_targets (LoRA fields only with an adapter method). */
static int decode_method(const json_t *body, const json_t *tobj, bool low_bit,
                         struct training_request *r, struct error_info *err)
{
    int rc;
    bool has;
    if ((rc = enum_field(body, tobj, TF_METHOD, "full, lora, qlora", parse_method, &r->cfg.method,
                         NULL, err)) < 0)
        return rc;
    if (r->cfg.method == TRAINING_FULL && low_bit)
        return conflict(err, "precision",
                        "full fine-tuning updates the weights themselves, which must be 16 or 32 "
                        "bits; use precision bf16/fp16/fp32, or method lora/qlora for a quantised "
                        "base");
    long long v;
    if ((rc = int_field(body, tobj, TF_LORA_RANK, &v, &has, err)) < 0)
        return rc;
    if (has)
        r->cfg.lora_rank = (int)v;
    r->lora_rank_defaulted = !has;
    bool has_targets;
    if ((rc = decode_targets(body, tobj, &r->cfg.lora_targets, &has_targets, err)) < 0)
        return rc;
    r->lora_targets_defaulted = !has_targets;
    if (r->cfg.method == TRAINING_FULL && (has || has_targets))
        return conflict(err, has ? "lora_rank" : "lora_targets",
                        "lora_rank and lora_targets apply to method lora or qlora; method is full "
                        "(the default)");
    return 0;
}

/* optimizer, master_weights, grad_precision (default: the compute precision). */
static int decode_optimizer(const json_t *body, const json_t *tobj, bool fp32,
                            struct training_request *r, struct error_info *err)
{
    int rc;
    bool has;
    if ((rc = enum_field(body, tobj, TF_OPTIMIZER, "adamw, adamw_8bit, sgd_momentum, adafactor",
                         parse_optimizer, &r->cfg.optimizer, &has, err)) < 0)
        return rc;
    r->optimizer_defaulted = !has;
    if ((rc = bool_field(body, tobj, TF_MASTER_WEIGHTS, &r->cfg.master_weights, NULL, err)) < 0)
        return rc;
    snprintf(r->grad_precision, sizeof(r->grad_precision), "%s", fp32 ? "fp32" : "bf16");
    r->cfg.grad_bytes = r->cfg.compute_bytes;
    if ((rc = enum_field(body, tobj, TF_GRAD_PRECISION, "fp32, bf16, fp16", parse_grad,
                         &r->cfg.grad_bytes, &has, err)) < 0)
        return rc;
    r->grad_defaulted = !has;
    if (has) {
        const char *key = rows[TF_GRAD_PRECISION].name;
        struct source s = where(body, tobj, key);
        snprintf(r->grad_precision, sizeof(r->grad_precision), "%s",
                 json_string_value(json_object_get(s.obj, key)));
    }
    return 0;
}

/* micro_batch, seq_len (defaults: batch, ctx), activation_checkpointing, the kernels. */
static int decode_shape(const json_t *body, const json_t *tobj, long long batch, long long ctx,
                        struct training_request *r, struct error_info *err)
{
    int rc;
    bool has;
    long long v = batch;
    if ((rc = int_field(body, tobj, TF_MICRO_BATCH, &v, &has, err)) < 0)
        return rc;
    r->cfg.micro_batch = (int)v;
    r->micro_batch_from_batch = !has;
    v = ctx;
    if ((rc = int_field(body, tobj, TF_SEQ_LEN, &v, &has, err)) < 0)
        return rc;
    r->cfg.seq_len = (int)v;
    r->seq_len_from_ctx = !has;

    /* activation_checkpointing: none | selective | full, or a boolean (HF's
     * gradient_checkpointing: true means full). */
    const char *key = rows[TF_ACTIVATION_CHECKPOINTING].name;
    const json_t *ac = json_object_get(where(body, tobj, key).obj, key);
    r->recompute_defaulted = ac == NULL;
    if (json_is_boolean(ac))
        r->cfg.recompute = json_is_true(ac) ? TRAINING_RECOMPUTE_FULL : TRAINING_RECOMPUTE_NONE;
    else if ((rc = enum_field(body, tobj, TF_ACTIVATION_CHECKPOINTING,
                              "none, selective, full (or true = full, false = none)",
                              parse_recompute, &r->cfg.recompute, NULL, err)) < 0)
        return rc;
    if ((rc = bool_field(body, tobj, TF_FLASH_ATTENTION, &r->cfg.flash_attention, NULL, err)) < 0 ||
        (rc = bool_field(body, tobj, TF_CHUNKED_LOSS, &r->cfg.chunked_loss, NULL, err)) < 0)
        return rc;
    return 0;
}

/* data_parallel, zero_stage, fsdp, tensor_parallel; *has_zero and *fsdp_given say which were
 * given (sharding must agree with them). */
static int decode_parallel(const json_t *body, const json_t *tobj, bool *has_zero, bool *fsdp_given,
                           struct training_request *r, struct error_info *err)
{
    int rc;
    bool has;
    long long v;
    if ((rc = int_field(body, tobj, TF_DATA_PARALLEL, &v, &has, err)) < 0)
        return rc;
    r->data_parallel_auto = !has;
    r->cfg.data_parallel = has ? (int)v : 1;
    if ((rc = int_field(body, tobj, TF_ZERO_STAGE, &v, has_zero, err)) < 0)
        return rc;
    if (*has_zero)
        r->cfg.zero_stage = (int)v;
    if ((rc = bool_field(body, tobj, TF_FSDP, &r->cfg.fsdp, fsdp_given, err)) < 0)
        return rc;
    if (r->cfg.fsdp && *has_zero && r->cfg.zero_stage != 3 && r->cfg.zero_stage != 2)
        return conflict(err, "fsdp",
                        "fsdp: true is FULL_SHARD (ZeRO stage 3) or, with zero_stage 2, "
                        "SHARD_GRAD_OP; drop zero_stage or set it to 2 or 3");
    if (r->cfg.fsdp && !*has_zero)
        r->cfg.zero_stage = 3;
    if ((rc = int_field(body, tobj, TF_TENSOR_PARALLEL, &v, &has, err)) < 0)
        return rc;
    r->cfg.tensor_parallel = has ? (int)v : 1;
    return 0;
}

/* The offloads, once the ZeRO stage is known (sharding may have set it). */
static int decode_offload(const json_t *body, const json_t *tobj, struct training_request *r,
                          struct error_info *err)
{
    int rc;
    if ((rc = bool_field(body, tobj, TF_OFFLOAD_OPTIMIZER, &r->cfg.offload_optimizer, NULL, err)) <
            0 ||
        (rc = bool_field(body, tobj, TF_OFFLOAD_PARAMS, &r->cfg.offload_params, NULL, err)) < 0)
        return rc;
    if (r->cfg.offload_optimizer && r->cfg.zero_stage < 1)
        return conflict(err, "offload_optimizer",
                        "offload_optimizer needs zero_stage >= 1 (ZeRO-Offload moves the "
                        "partitioned optimizer states to the host)");
    if (r->cfg.offload_params && r->cfg.zero_stage < 3)
        return conflict(err, "offload_params",
                        "offload_params needs zero_stage 3 or fsdp FULL_SHARD (only partitioned "
                        "parameters can live on the host)");
    return 0;
}

/* sequence_parallel, the pipeline (stages, schedule, virtual stages, micro-batches), context
 * parallelism and loss_fp32; the layout rules that need the model are training_config_check's. */
static int decode_layout(const json_t *body, const json_t *tobj, struct training_request *r,
                         struct error_info *err)
{
    struct training_config *c = &r->cfg;
    long long v;
    bool has;
    int rc;
    if ((rc = bool_field(body, tobj, TF_SEQUENCE_PARALLEL, &c->sequence_parallel, NULL, err)) < 0 ||
        (rc = bool_field(body, tobj, TF_LOSS_FP32, &c->loss_fp32, NULL, err)) < 0)
        return rc;
    v = 1;
    if ((rc = int_field(body, tobj, TF_PIPELINE_PARALLEL, &v, NULL, err)) < 0)
        return rc;
    c->pipeline_parallel = (int)v;
    if ((rc = enum_field(body, tobj, TF_PP_SCHEDULE, "1f1b, interleaved, gpipe", parse_schedule,
                         &c->pp_schedule, NULL, err)) < 0)
        return rc;
    /* Megatron's interleaved schedule needs two model chunks per rank at least. */
    v = c->pp_schedule == TRAINING_PP_INTERLEAVED ? 2 : 1;
    if ((rc = int_field(body, tobj, TF_PP_VIRTUAL_STAGES, &v, &has, err)) < 0)
        return rc;
    c->pp_virtual_stages = (int)v;
    if (has && v > 1 && c->pp_schedule != TRAINING_PP_INTERLEAVED)
        return conflict(err, "pp_virtual_stages",
                        "pp_virtual_stages > 1 needs pp_schedule interleaved (1f1b and gpipe run "
                        "one model chunk per rank)");
    v = 0; /* 0: as many as stages (training_config's convention) */
    if ((rc = int_field(body, tobj, TF_PP_MICROBATCHES, &v, NULL, err)) < 0)
        return rc;
    c->pp_microbatches = (int)v;
    v = 1;
    if ((rc = int_field(body, tobj, TF_CONTEXT_PARALLEL, &v, NULL, err)) < 0)
        return rc;
    c->context_parallel = (int)v;
    if ((long long)c->data_parallel * training_model_parallel(c) > TRAINING_MAX_RANKS)
        return conflict(err, "data_parallel",
                        "data_parallel x tensor_parallel x pipeline_parallel x context_parallel "
                        "must be <= 65536");
    return 0;
}

/* sharding against fsdp and zero_stage: FSDP is FULL_SHARD (stage 3) or SHARD_GRAD_OP (zero_stage
 * 2); Megatron's distributed optimizer (--use-distributed-optimizer) shards the optimizer states
 * only: stage 1. */
static int decode_sharding(const json_t *body, const json_t *tobj, bool zero_given, bool fsdp_given,
                           struct training_request *r, struct error_info *err)
{
    struct training_config *c = &r->cfg;
    bool has;
    int rc = enum_field(body, tobj, TF_SHARDING, "deepspeed, fsdp, megatron", parse_sharding,
                        &c->sharding, &has, err);
    if (rc < 0)
        return rc;
    if (!has) {
        if (c->fsdp)
            c->sharding = TRAINING_SHARD_FSDP;
        return 0;
    }
    const bool want_fsdp = c->sharding == TRAINING_SHARD_FSDP;
    if (fsdp_given && want_fsdp != c->fsdp)
        return conflict(err, "sharding", "sharding and fsdp disagree; give one of them");
    switch (c->sharding) {
    case TRAINING_SHARD_FSDP:
        if (zero_given && c->zero_stage != 3 && c->zero_stage != 2)
            return conflict(err, "sharding",
                            "sharding fsdp is FULL_SHARD (ZeRO stage 3) or, with zero_stage 2, "
                            "SHARD_GRAD_OP; drop zero_stage or set it to 2 or 3");
        c->fsdp = true;
        if (!zero_given)
            c->zero_stage = 3;
        break;
    case TRAINING_SHARD_MEGATRON:
        if (zero_given && c->zero_stage != 1)
            return conflict(err, "sharding",
                            "sharding megatron is the distributed optimizer (ZeRO stage 1); drop "
                            "zero_stage or set it to 1");
        c->zero_stage = 1;
        break;
    case TRAINING_SHARD_DEEPSPEED:
        break;
    }
    return 0;
}

/* DeepSpeed's buckets, live parameters, contiguous_gradients and overlap_comm; FSDP's
 * limit_all_gathers. Each belongs to its implementation: elsewhere it is refused, not ignored. */
static int decode_buffers(const json_t *body, const json_t *tobj, struct training_request *r,
                          struct error_info *err)
{
    struct training_config *c = &r->cfg;
    static const enum training_field sizes[] = {TF_REDUCE_BUCKET_SIZE, TF_ALLGATHER_BUCKET_SIZE,
                                                TF_STAGE3_MAX_LIVE_PARAMETERS,
                                                TF_STAGE3_PREFETCH_BUCKET_SIZE, TF_SUB_GROUP_SIZE};
    double *const dst[] = {&c->reduce_bucket_size, &c->allgather_bucket_size,
                           &c->max_live_parameters, &c->prefetch_bucket_size, &c->sub_group_size};
    const char *deepspeed_field = NULL;
    int rc;
    bool has;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        long long v;
        if ((rc = int_field(body, tobj, sizes[i], &v, &has, err)) < 0)
            return rc;
        if (has) {
            *dst[i] = (double)v;
            deepspeed_field = rows[sizes[i]].name;
        }
    }
    if ((rc = bool_field(body, tobj, TF_CONTIGUOUS_GRADIENTS, &c->contiguous_gradients, &has,
                         err)) < 0)
        return rc;
    if (has)
        deepspeed_field = rows[TF_CONTIGUOUS_GRADIENTS].name;
    bool overlap;
    if ((rc = bool_field(body, tobj, TF_OVERLAP_COMM, &overlap, &has, err)) < 0)
        return rc;
    if (has) {
        c->overlap_comm = overlap ? TRAINING_OVERLAP_ON : TRAINING_OVERLAP_OFF;
        deepspeed_field = rows[TF_OVERLAP_COMM].name;
    }
    if (deepspeed_field && c->sharding != TRAINING_SHARD_DEEPSPEED)
        return error_set(err, 400, "conflicting_fields", deepspeed_field,
                         "%s is a DeepSpeed setting; sharding is %s", deepspeed_field,
                         training_sharding_name(c->sharding));
    if ((rc = bool_field(body, tobj, TF_LIMIT_ALL_GATHERS, &c->limit_all_gathers, &has, err)) < 0)
        return rc;
    if (has && !c->fsdp)
        return conflict(err, "limit_all_gathers",
                        "limit_all_gathers is an FSDP setting; set fsdp: true or sharding fsdp");
    return 0;
}

/* Which fields were given inside "training" (their error paths say so). */
static unsigned long long fields_in_training(const json_t *tobj)
{
    _Static_assert(TF_COUNT <= 64, "one bit per training field");
    unsigned long long bits = 0;
    for (size_t i = 0; tobj && i < TF_COUNT; i++)
        if (json_object_get(tobj, rows[i].name))
            bits |= 1ull << i;
    return bits;
}

const char *training_request_field_path(const struct training_request *t, const char *name,
                                        char *buf, size_t size)
{
    bool inside = false;
    for (size_t i = 0; i < TF_COUNT; i++)
        if (strcmp(rows[i].name, name) == 0)
            inside = (t->in_training >> i) & 1;
    snprintf(buf, size, "%s%s", inside ? "training." : "", name);
    return buf;
}

int training_request_decode(const json_t *body, const char *precision, double weight_bytes,
                            long long batch, long long ctx, bool force,
                            struct training_request *out, struct error_info *err)
{
    struct training_request r;
    memset(&r, 0, sizeof(r));
    training_config_default(&r.cfg);
    const json_t *tv = json_object_get(body, "training");
    const json_t *tobj = json_is_object(tv) ? tv : NULL;
    int rc;
    bool top_level, zero_given, fsdp_given;
    if ((rc = check_placement(body, tobj, &top_level, err)) < 0)
        return rc;
    if (!tobj && !top_level && !force) {
        out->refined = false;
        return 0;
    }
    r.forced = !tobj && !top_level;
    if (json_is_false(tv))
        return conflict(err, "training",
                        "training is false but training fields are given; drop them or set "
                        "\"training\" to an object");
    r.refined = true;

    /* Precision: the weights' storage; activations and adapters run in 16 bits unless fp32. */
    const bool fp32 = strcmp(precision, "fp32") == 0;
    const bool low_bit = weight_bytes < 2; /* int8, int4, fp8, fp4, bits_per_weight < 16 */
    r.cfg.weight_bytes = weight_bytes;
    r.cfg.compute_bytes = fp32 ? 4 : 2;
    r.compute_defaulted_bf16 = low_bit;
    r.cfg.bf16 = low_bit || strcmp(precision, "bf16") == 0;

    if ((rc = decode_method(body, tobj, low_bit, &r, err)) < 0 ||
        (rc = decode_optimizer(body, tobj, fp32, &r, err)) < 0 ||
        (rc = decode_shape(body, tobj, batch, ctx, &r, err)) < 0 ||
        (rc = decode_parallel(body, tobj, &zero_given, &fsdp_given, &r, err)) < 0 ||
        (rc = decode_layout(body, tobj, &r, err)) < 0 ||
        (rc = decode_sharding(body, tobj, zero_given, fsdp_given, &r, err)) < 0 ||
        (rc = decode_offload(body, tobj, &r, err)) < 0 ||
        (rc = decode_buffers(body, tobj, &r, err)) < 0)
        return rc;
    r.in_training = fields_in_training(tobj);
    *out = r;
    return 0;
}
