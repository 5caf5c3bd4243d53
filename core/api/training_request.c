/* training_request.c - strict decoding of the refined training fields of POST /estimate. */
#include "api/training_request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/fields.h"

const char *const training_fields[] = {
    "method",
    "lora_rank",
    "lora_targets",
    "optimizer",
    "master_weights",
    "grad_precision",
    "micro_batch",
    "seq_len",
    "activation_checkpointing",
    "flash_attention",
    "chunked_loss",
    "data_parallel",
    "zero_stage",
    "fsdp",
    "tensor_parallel",
    "offload_optimizer",
    "offload_params",
    NULL,
};

static const char *const target_names[] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                           "gate_proj", "up_proj", "down_proj"};

const char *const *training_request_fields(void)
{
    return training_fields;
}

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

static int enum_field(const json_t *body, const json_t *tobj, const char *key, const char *choices,
                      int (*parse)(const char *, void *), void *out, bool *present,
                      struct error_info *err)
{
    struct source s = where(body, tobj, key);
    const char *v = NULL;
    bool has = false;
    int rc = fields_string(s.obj, s.prefix, key, 32, &v, &has, err);
    if (rc < 0) {
        char path[64];
        snprintf(path, sizeof(path), "%s%s", s.prefix, key);
        return error_set(err, 400, "invalid_type", path, "%s must be a string, one of: %s", path,
                         choices);
    }
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

static int bool_field(const json_t *body, const json_t *tobj, const char *key, bool *out,
                      bool *present, struct error_info *err)
{
    struct source s = where(body, tobj, key);
    return fields_bool(s.obj, s.prefix, key, out, present, err);
}

static int int_field(const json_t *body, const json_t *tobj, const char *key, long long min,
                     long long max, long long *out, bool *present, struct error_info *err)
{
    struct source s = where(body, tobj, key);
    return fields_int(s.obj, s.prefix, key, min, max, out, present, err);
}

/* lora_targets: an array of projection names, or the groups "attention", "mlp", "all-linear". */
static int decode_targets(const json_t *body, const json_t *tobj, unsigned *mask, bool *present,
                          struct error_info *err)
{
    struct source s = where(body, tobj, "lora_targets");
    const json_t *v = json_object_get(s.obj, "lora_targets");
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

    if (tobj && (rc = fields_reject_unknown(tobj, "training.", training_fields, err)) < 0)
        return rc;
    bool top_level = false;
    for (const char *const *f = training_fields; *f; f++) {
        if (json_object_get(body, *f) == NULL)
            continue;
        if (tobj && json_object_get(tobj, *f)) {
            char path[64];
            snprintf(path, sizeof(path), "training.%s", *f);
            return error_set(err, 400, "conflicting_fields", path,
                             "%s is given both at the top level and inside \"training\"; give it "
                             "once",
                             *f);
        }
        top_level = true;
    }
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

    bool has;
    if ((rc = enum_field(body, tobj, "method", "full, lora, qlora", parse_method, &r.cfg.method,
                         NULL, err)) < 0)
        return rc;
    if (r.cfg.method == TRAINING_FULL && low_bit)
        return conflict(err, "precision",
                        "full fine-tuning updates the weights themselves, which must be 16 or 32 "
                        "bits; use precision bf16/fp16/fp32, or method lora/qlora for a quantised "
                        "base");

    long long v;
    if ((rc = int_field(body, tobj, "lora_rank", 1, TRAINING_MAX_LORA_RANK, &v, &has, err)) < 0)
        return rc;
    if (has)
        r.cfg.lora_rank = (int)v;
    r.lora_rank_defaulted = !has;
    bool has_targets;
    if ((rc = decode_targets(body, tobj, &r.cfg.lora_targets, &has_targets, err)) < 0)
        return rc;
    r.lora_targets_defaulted = !has_targets;
    if (r.cfg.method == TRAINING_FULL && (has || has_targets))
        return conflict(err, has ? "lora_rank" : "lora_targets",
                        "lora_rank and lora_targets apply to method lora or qlora; method is full "
                        "(the default)");

    if ((rc = enum_field(body, tobj, "optimizer", "adamw, adamw_8bit, sgd_momentum, adafactor",
                         parse_optimizer, &r.cfg.optimizer, &has, err)) < 0)
        return rc;
    r.optimizer_defaulted = !has;
    if ((rc = bool_field(body, tobj, "master_weights", &r.cfg.master_weights, NULL, err)) < 0)
        return rc;
    snprintf(r.grad_precision, sizeof(r.grad_precision), "%s", fp32 ? "fp32" : "bf16");
    r.cfg.grad_bytes = r.cfg.compute_bytes;
    if ((rc = enum_field(body, tobj, "grad_precision", "fp32, bf16, fp16", parse_grad,
                         &r.cfg.grad_bytes, &has, err)) < 0)
        return rc;
    r.grad_defaulted = !has;
    if (has) {
        struct source s = where(body, tobj, "grad_precision");
        snprintf(r.grad_precision, sizeof(r.grad_precision), "%s",
                 json_string_value(json_object_get(s.obj, "grad_precision")));
    }

    v = batch;
    if ((rc = int_field(body, tobj, "micro_batch", 1, 1048576, &v, &has, err)) < 0)
        return rc;
    r.cfg.micro_batch = (int)v;
    r.micro_batch_from_batch = !has;
    v = ctx;
    if ((rc = int_field(body, tobj, "seq_len", 1, 16777216, &v, &has, err)) < 0)
        return rc;
    r.cfg.seq_len = (int)v;
    r.seq_len_from_ctx = !has;

    /* activation_checkpointing: none | selective | full, or a boolean (HF's
     * gradient_checkpointing: true means full). */
    {
        struct source s = where(body, tobj, "activation_checkpointing");
        const json_t *ac = json_object_get(s.obj, "activation_checkpointing");
        r.recompute_defaulted = ac == NULL;
        if (json_is_boolean(ac))
            r.cfg.recompute = json_is_true(ac) ? TRAINING_RECOMPUTE_FULL : TRAINING_RECOMPUTE_NONE;
        else if ((rc = enum_field(body, tobj, "activation_checkpointing",
                                  "none, selective, full (or true = full, false = none)",
                                  parse_recompute, &r.cfg.recompute, NULL, err)) < 0)
            return rc;
    }
    if ((rc = bool_field(body, tobj, "flash_attention", &r.cfg.flash_attention, NULL, err)) < 0 ||
        (rc = bool_field(body, tobj, "chunked_loss", &r.cfg.chunked_loss, NULL, err)) < 0)
        return rc;

    bool has_zero, fsdp_given;
    if ((rc = int_field(body, tobj, "data_parallel", 1, TRAINING_MAX_RANKS, &v, &has, err)) < 0)
        return rc;
    r.data_parallel_auto = !has;
    r.cfg.data_parallel = has ? (int)v : 1;
    if ((rc = int_field(body, tobj, "zero_stage", 0, 3, &v, &has_zero, err)) < 0)
        return rc;
    if (has_zero)
        r.cfg.zero_stage = (int)v;
    if ((rc = bool_field(body, tobj, "fsdp", &r.cfg.fsdp, &fsdp_given, err)) < 0)
        return rc;
    if (r.cfg.fsdp && has_zero && r.cfg.zero_stage != 3)
        return conflict(err, "fsdp",
                        "fsdp: true is FULL_SHARD, i.e. ZeRO stage 3; drop zero_stage or set it "
                        "to 3");
    if (r.cfg.fsdp)
        r.cfg.zero_stage = 3;
    if ((rc = int_field(body, tobj, "tensor_parallel", 1, TRAINING_MAX_TP, &v, &has, err)) < 0)
        return rc;
    r.cfg.tensor_parallel = has ? (int)v : 1;
    snprintf(r.tp_field, sizeof(r.tp_field), "%stensor_parallel",
             where(body, tobj, "tensor_parallel").prefix);
    if ((long long)r.cfg.data_parallel * r.cfg.tensor_parallel > TRAINING_MAX_RANKS)
        return conflict(err, "data_parallel", "data_parallel x tensor_parallel must be <= 65536");

    if ((rc = bool_field(body, tobj, "offload_optimizer", &r.cfg.offload_optimizer, NULL, err)) <
            0 ||
        (rc = bool_field(body, tobj, "offload_params", &r.cfg.offload_params, NULL, err)) < 0)
        return rc;
    if (r.cfg.offload_optimizer && r.cfg.zero_stage < 1)
        return conflict(err, "offload_optimizer",
                        "offload_optimizer needs zero_stage >= 1 (ZeRO-Offload moves the "
                        "partitioned optimizer states to the host)");
    if (r.cfg.offload_params && r.cfg.zero_stage < 3)
        return conflict(err, "offload_params",
                        "offload_params needs zero_stage 3 or fsdp (only partitioned parameters "
                        "can live on the host)");

    *out = r;
    return 0;
}
