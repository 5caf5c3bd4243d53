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
};
#define TF_COUNT (TF_OFFLOAD_PARAMS + 1)

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
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 16)
        return error_set(err, 400, "invalid_type", path, "%s must be a non-empty array (%s)", path,
                         rule);
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
    for (size_t i = 0; i < TF_COUNT; i++) {
        const char *f = rows[i].name;
        if (json_object_get(body, f) == NULL)
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

/* data_parallel, zero_stage, fsdp, tensor_parallel, the offloads, and their rules. */
static int decode_parallel(const json_t *body, const json_t *tobj, struct training_request *r,
                           struct error_info *err)
{
    int rc;
    bool has, has_zero, fsdp_given;
    long long v;
    if ((rc = int_field(body, tobj, TF_DATA_PARALLEL, &v, &has, err)) < 0)
        return rc;
    r->data_parallel_auto = !has;
    r->cfg.data_parallel = has ? (int)v : 1;
    if ((rc = int_field(body, tobj, TF_ZERO_STAGE, &v, &has_zero, err)) < 0)
        return rc;
    if (has_zero)
        r->cfg.zero_stage = (int)v;
    if ((rc = bool_field(body, tobj, TF_FSDP, &r->cfg.fsdp, &fsdp_given, err)) < 0)
        return rc;
    if (r->cfg.fsdp && has_zero && r->cfg.zero_stage != 3)
        return conflict(err, "fsdp",
                        "fsdp: true is FULL_SHARD, i.e. ZeRO stage 3; drop zero_stage or set it "
                        "to 3");
    if (r->cfg.fsdp)
        r->cfg.zero_stage = 3;
    if ((rc = int_field(body, tobj, TF_TENSOR_PARALLEL, &v, &has, err)) < 0)
        return rc;
    r->cfg.tensor_parallel = has ? (int)v : 1;
    snprintf(r->tp_field, sizeof(r->tp_field), "%stensor_parallel",
             where(body, tobj, rows[TF_TENSOR_PARALLEL].name).prefix);
    if ((long long)r->cfg.data_parallel * r->cfg.tensor_parallel > TRAINING_MAX_RANKS)
        return conflict(err, "data_parallel", "data_parallel x tensor_parallel must be <= 65536");

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
                        "offload_params needs zero_stage 3 or fsdp (only partitioned parameters "
                        "can live on the host)");
    return 0;
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
    bool top_level;
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
        (rc = decode_parallel(body, tobj, &r, err)) < 0)
        return rc;
    *out = r;
    return 0;
}
