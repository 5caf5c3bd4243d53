/* check_training_api.c - the refined training answer of POST /estimate: fields, errors, choice. */
#include "support/check_util.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "api/api.h"
#include "azure/catalog.h"
#include "memory/estimate.h"
#include "config/presets.h"
#include "support/testsrv.h"
#include "support/testapi.h"
#include "support/testcat.h"

#define TODAY "2026-11-23"

static struct catalog *cat;

static void setup(void)
{
    cat = testcat_embedded();
    ck_assert_ptr_nonnull(presets_builtin()); /* "model" presets for the requests below */
}

static void teardown(void)
{
    catalog_unref(cat);
    cat = NULL;
}

/* Runs body through testapi_estimate; returns the answer (caller frees) or NULL with *err. */
static json_t *estimate(const char *body, struct error_info *err)
{
    json_error_t jerr;
    json_t *doc = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(doc != NULL, "bad test JSON: %s", jerr.text);
    json_t *out = NULL;
    error_clear(err);
    int rc = testapi_estimate(cat, TODAY, doc, &out, err);
    json_decref(doc);
    return rc == 0 ? out : NULL;
}

static json_t *ok(const char *body)
{
    struct error_info err;
    json_t *r = estimate(body, &err);
    ck_assert_msg(r != NULL, "expected 200, got %d %s (%s): %s", err.status, err.code, err.field,
                  err.message);
    return r;
}

static void fails(const char *body, int status, const char *code, const char *field)
{
    struct error_info err;
    json_t *r = estimate(body, &err);
    ck_assert_msg(r == NULL, "expected %d for %s", status, body);
    ck_assert_int_eq(err.status, status);
    ck_assert_str_eq(err.code, code);
    ck_assert_str_eq(err.field, field);
}

static double num(const json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    const json_t *cur = o;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
        cur = json_object_get(cur, tok);
    ck_assert_msg(json_is_number(cur), "%s is not a number", path);
    return json_number_value(cur);
}

static const char *sku_of(const json_t *r)
{
    return json_string_value(json_object_get(json_object_get(r, "sku"), "sku"));
}

static bool has_assumption(const json_t *r, const char *needle)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r, "assumptions"), i,
                       a) if (strstr(json_string_value(a), needle)) return true;
    return false;
}

#define SEED7B "\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":2048,\"precision\":\"bf16\""
#define L70B   "\"params_b\":70.55,\"layers\":80,\"hidden\":8192,\"ctx\":4096,\"precision\":\"bf16\""

START_TEST(training_true_with_seed_fields_keeps_the_seed_answer)
{
    json_t *r = ok("{" SEED7B ",\"training\":true}");
    ck_assert_ptr_null(json_object_get(r, "per_gpu"));
    ck_assert_ptr_null(json_object_get(r, "mode"));
    struct estimate_input in = {.params_b = 7,
                                .layers = 32,
                                .hidden = 4096,
                                .ctx = 2048,
                                .batch = 1,
                                .bytes = 2,
                                .training = true};
    struct estimate_result s;
    estimate_seed(&in, &s);
    ck_assert(num(r, "optimizer_gb") == s.optimizer_gb);
    ck_assert(num(r, "total_gb") == s.total_gb);
    json_decref(r);
}
END_TEST

START_TEST(training_object_turns_on_the_refined_model_with_defaults)
{
    json_t *r = ok("{" SEED7B ",\"training\":{}}");
    ck_assert_str_eq(json_string_value(json_object_get(r, "mode")), "training");
    json_t *t = json_object_get(r, "training");
    ck_assert_str_eq(json_string_value(json_object_get(t, "method")), "full");
    ck_assert_str_eq(json_string_value(json_object_get(t, "optimizer")), "adamw");
    ck_assert_int_eq(json_integer_value(json_object_get(t, "seq_len")), 2048);
    ck_assert_int_eq(json_integer_value(json_object_get(t, "micro_batch")), 1);
    ck_assert(num(r, "model_states_bytes_per_trainable_param") == 16);
    double parts = num(r, "per_gpu.weights_gb") + num(r, "per_gpu.grads_gb") +
                   num(r, "per_gpu.optimizer_gb") + num(r, "per_gpu.activations_gb") +
                   num(r, "per_gpu.overhead_gb");
    ck_assert_rel(num(r, "per_gpu.total_gb"), parts, 1e-4);
    ck_assert(has_assumption(r, "optimizer defaulted to adamw"));
    ck_assert(has_assumption(r, "seq_len defaulted to ctx (2048)"));
    ck_assert(has_assumption(r, "Llama-like stack"));
    json_decref(r);
}
END_TEST

START_TEST(top_level_training_field_turns_on_the_refined_model)
{
    json_t *r = ok("{" SEED7B ",\"method\":\"lora\",\"lora_rank\":8}");
    ck_assert_str_eq(json_string_value(json_object_get(r, "mode")), "training");
    ck_assert(num(r, "trainable_params_b") > 0 && num(r, "trainable_params_b") < 0.1);
    json_decref(r);
}
END_TEST

START_TEST(strict_training_fields)
{
    fails("{" SEED7B ",\"training\":{\"optimiser\":\"adamw\"}}", 400, "unknown_field",
          "training.optimiser");
    fails("{" SEED7B ",\"training\":{\"method\":\"lora\"},\"method\":\"lora\"}", 400,
          "conflicting_fields", "training.method");
    fails("{" SEED7B ",\"training\":false,\"method\":\"lora\"}", 400, "conflicting_fields",
          "training");
    fails("{" SEED7B ",\"training\":{\"zero_stage\":1,\"offload_params\":true}}", 400,
          "conflicting_fields", "offload_params");
    fails("{" SEED7B ",\"training\":{\"offload_optimizer\":true}}", 400, "conflicting_fields",
          "offload_optimizer");
    fails("{\"params_b\":7,\"layers\":32,\"hidden\":4096,\"ctx\":2048,\"precision\":\"int4\","
          "\"training\":{}}",
          400, "conflicting_fields", "precision");
    fails("{" SEED7B ",\"training\":{\"lora_rank\":8}}", 400, "conflicting_fields", "lora_rank");
    fails("{" SEED7B ",\"training\":{\"optimizer\":\"adam\"}}", 400, "invalid_value",
          "training.optimizer");
    fails("{" SEED7B ",\"training\":{\"zero_stage\":4}}", 400, "out_of_range",
          "training.zero_stage");
    fails("{" SEED7B ",\"training\":{\"micro_batch\":0}}", 400, "out_of_range",
          "training.micro_batch");
    fails("{" SEED7B ",\"training\":{\"fsdp\":true,\"zero_stage\":1}}", 400, "conflicting_fields",
          "fsdp");
    fails("{" SEED7B ",\"training\":{\"sharding\":\"fsdp\",\"zero_stage\":1}}", 400,
          "conflicting_fields", "sharding");
    fails("{" SEED7B ",\"training\":{\"method\":\"lora\",\"lora_targets\":[\"lm_head\"]}}", 400,
          "invalid_value", "training.lora_targets");
    fails("{" SEED7B ",\"training\":{\"method\":\"lora\",\"lora_targets\":[]}}", 400,
          "invalid_type", "training.lora_targets");
    /* More than 16 entries: the message states that rule, not "non-empty" (issue 16). */
    fails("{" SEED7B ",\"training\":{\"method\":\"lora\",\"lora_targets\":[\"mlp\",\"mlp\","
          "\"mlp\",\"mlp\",\"mlp\",\"mlp\",\"mlp\",\"mlp\",\"mlp\",\"mlp\",\"mlp\",\"mlp\",\"mlp\","
          "\"mlp\",\"mlp\",\"mlp\",\"mlp\"]}}",
          400, "invalid_value", "training.lora_targets");
    fails("{" SEED7B ",\"training\":{\"tensor_parallel\":3}}", 422, "invalid_value",
          "training.tensor_parallel");
    fails("{" SEED7B ",\"tensor_parallel\":3}", 422, "invalid_value", "tensor_parallel");
    fails("{" SEED7B ",\"training\":\"yes\"}", 400, "invalid_type", "training");
    fails("{" SEED7B ",\"training\":{\"activation_checkpointing\":\"some\"}}", 400, "invalid_value",
          "training.activation_checkpointing");
}
END_TEST

START_TEST(gradient_checkpointing_boolean_means_full_recompute)
{
    json_t *r = ok("{" SEED7B ",\"training\":{\"activation_checkpointing\":true}}");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "training"),
                                                       "activation_checkpointing")),
                     "full");
    json_decref(r);
}
END_TEST

START_TEST(qlora_70b_4k_selective_breakdown_and_checkpointing_suggestion)
{
    json_t *r = ok("{" L70B ",\"training\":{\"method\":\"qlora\",\"micro_batch\":1,"
                   "\"activation_checkpointing\":\"selective\"}}");
    ck_assert(json_is_true(json_object_get(r, "fits")));
    /* NF4 base of ~70B: 36-40 GB; activations dominate without full recompute */
    ck_assert(num(r, "per_gpu.weights_gb") > 35 && num(r, "per_gpu.weights_gb") < 41);
    ck_assert(num(r, "per_gpu.activations_gb") > num(r, "per_gpu.weights_gb"));
    ck_assert(num(r, "per_gpu.total_gb") <= num(r, "sku.vram_gb"));
    ck_assert(has_assumption(r, "selective recompute saves nothing more with flash attention"));
    json_t *first = json_array_get(json_object_get(r, "suggestions"), 0);
    ck_assert_ptr_nonnull(first);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(first, "change"),
                                                       "activation_checkpointing")),
                     "full");
    ck_assert_str_eq(json_string_value(json_object_get(first, "sku")), "Standard_NC24ads_A100_v4");
    json_decref(r);
}
END_TEST

START_TEST(zero3_grows_ranks_until_the_shards_fit)
{
    /* 7B full fine-tune, ZeRO-3, ranks automatic: 16 B/param x 7B = 112 GB of states must be
     * spread; the first size (catalog order) where some rank count fits is chosen. */
    json_t *r = ok("{" SEED7B ",\"training\":{\"zero_stage\":3,\"activation_checkpointing\":"
                   "\"full\"}}");
    ck_assert(json_is_true(json_object_get(r, "fits")));
    int gpus = (int)num(r, "gpus");
    ck_assert_int_gt(gpus, 1);
    ck_assert_int_eq(gpus, (int)num(r, "data_parallel"));
    ck_assert(num(r, "per_gpu.total_gb") <= num(r, "sku.vram_gb"));
    ck_assert(num(r, "per_gpu.optimizer_gb") < 12.0 * 7 / gpus + 0.01);
    json_decref(r);
}
END_TEST

START_TEST(stage0_replicates_and_does_not_grow_ranks)
{
    json_t *r = ok("{" SEED7B ",\"training\":{\"activation_checkpointing\":\"full\"}}");
    ck_assert_int_eq((int)num(r, "gpus"), 1);
    ck_assert(num(r, "per_gpu.optimizer_gb") > 12 * 7 * 0.99);
    json_decref(r);
}
END_TEST

START_TEST(too_big_for_one_vm_goes_multi_node_on_infiniband)
{
    json_t *r = ok("{\"params_b\":405,\"layers\":126,\"hidden\":16384,\"ctx\":4096,"
                   "\"precision\":\"bf16\",\"training\":{\"zero_stage\":3,"
                   "\"activation_checkpointing\":\"full\"}}");
    ck_assert(json_is_true(json_object_get(r, "fits")));
    ck_assert_int_gt((int)num(r, "nodes"), 1);
    ck_assert(json_is_true(json_object_get(json_object_get(r, "sku"), "infiniband")));
    json_decref(r);
}
END_TEST

START_TEST(offload_needs_host_memory_of_the_vm)
{
    json_t *r = ok("{\"params_b\":46.7,\"layers\":32,\"hidden\":4096,\"ctx\":4096,"
                   "\"precision\":\"bf16\",\"moe_active_ratio\":0.25,\"moe_expert_fraction\":0.96,"
                   "\"training\":{\"zero_stage\":3,\"data_parallel\":8,\"offload_optimizer\":true,"
                   "\"activation_checkpointing\":\"full\"}}");
    ck_assert(json_is_true(json_object_get(r, "fits")));
    ck_assert(num(r, "per_gpu.optimizer_gb") == 0);
    /* (12 + 4) x 46.7e9 x 1.5 on one node */
    ck_assert_rel(num(r, "host.needed_gb_per_node"), 16 * 46.7 * 1.5, 1e-3);
    ck_assert(num(r, "host.needed_gb_per_node") <= num(r, "host.available_gb_per_node"));
    json_decref(r);
}
END_TEST

START_TEST(bf16_training_skips_pre_ampere_gpus)
{
    /* A 1B full fine-tune fits a 16 GB card; in bf16 that cannot be a T4 or V100. */
    json_t *r = ok("{\"params_b\":0.5,\"layers\":24,\"hidden\":1024,\"ctx\":512,"
                   "\"precision\":\"bf16\",\"training\":{}}");
    ck_assert_ptr_null(strstr(sku_of(r), "T4"));
    ck_assert_ptr_nonnull(strstr(sku_of(r), "A10"));
    json_decref(r);
    r = ok("{\"params_b\":0.5,\"layers\":24,\"hidden\":1024,\"ctx\":512,"
           "\"precision\":\"fp16\",\"training\":{\"flash_attention\":false}}");
    ck_assert_ptr_nonnull(strstr(sku_of(r), "T4"));
    json_decref(r);
}
END_TEST

START_TEST(preset_qlora_llama3_70b_counts_lora_on_gqa_shapes)
{
    json_t *r = ok("{\"model\":\"llama-3-70b\",\"ctx\":4096,\"precision\":\"bf16\","
                   "\"training\":{\"method\":\"qlora\",\"activation_checkpointing\":\"full\"}}");
    ck_assert_str_eq(json_string_value(json_object_get(r, "model")), "llama-3-70b");
    /* r 16 x (q 16384 + k 9216 + v 9216 + o 16384 + 3 x 36864) x 80 layers */
    ck_assert_rel(num(r, "trainable_params_b"), 207093760e-9, 5e-6); /* 6 decimals */
    ck_assert_str_eq(sku_of(r), "Standard_NC24ads_A100_v4");
    ck_assert(num(r, "per_gpu.total_gb") > 45 && num(r, "per_gpu.total_gb") < 80);
    ck_assert(num(r, "base_bits_per_weight") > 4.4 && num(r, "base_bits_per_weight") < 4.6);
    json_decref(r);
}
END_TEST

START_TEST(mixtral_full_zero3_pinned_to_one_nd_h100_v5_explains_and_suggests)
{
    json_t *r = ok("{\"model\":\"mixtral-8x7b\",\"ctx\":4096,\"precision\":\"bf16\","
                   "\"skus\":[\"Standard_ND96isr_H100_v5\"],\"training\":{\"zero_stage\":3,"
                   "\"data_parallel\":8}}");
    /* 16 B x 46.7B / 8 = 93 GB of states per GPU alone: no 80 GB H100 holds it */
    ck_assert(json_is_false(json_object_get(r, "fits")));
    ck_assert(num(r, "per_gpu.optimizer_gb") > 69 && num(r, "per_gpu.optimizer_gb") < 71);
    ck_assert(num(r, "per_gpu.total_gb") > 80);
    ck_assert_ptr_nonnull(json_object_get(r, "reason"));
    json_t *sug = json_object_get(r, "suggestions");
    bool offload = false, two_nodes = false;
    size_t i;
    json_t *e;
    json_array_foreach(sug, i, e)
    {
        ck_assert_str_eq(json_string_value(json_object_get(e, "sku")), "Standard_ND96isr_H100_v5");
        ck_assert(num(e, "per_gpu_total_gb") <= 80);
        if (json_object_get(json_object_get(e, "change"), "offload_optimizer"))
            offload = num(e, "gpus") == 8 && num(e, "nodes") == 1;
        if (num(e, "nodes") == 2)
            two_nodes = true;
    }
    ck_assert(offload);
    ck_assert(two_nodes);
    json_decref(r);
}
END_TEST

START_TEST(training_true_with_a_preset_uses_the_refined_model)
{
    json_t *r = ok("{\"model\":\"llama-3-8b\",\"ctx\":2048,\"precision\":\"bf16\","
                   "\"training\":true}");
    ck_assert_str_eq(json_string_value(json_object_get(r, "mode")), "training");
    ck_assert(has_assumption(r, "\"training\": true with an architecture"));
    ck_assert(num(r, "model_states_bytes_per_trainable_param") == 16);
    json_decref(r);
}
END_TEST

START_TEST(serving_only_fields_are_refused_for_training)
{
    fails("{\"model\":\"llama-3-8b\",\"ctx\":4096,\"precision\":\"bf16\",\"engine\":\"vllm\","
          "\"training\":{}}",
          400, "conflicting_fields", "engine");
}
END_TEST

/* GPUs rented by a candidate: gpus_per_vm x nodes (what fewest_gpus counts). */
static double rented(const json_t *c)
{
    return num(c, "gpus_per_vm") * num(c, "nodes");
}

START_TEST(fewest_gpus_objective_prefers_fewer_rented_gpus)
{
    json_t *seed = ok("{\"model\":\"llama-3-8b\",\"ctx\":4096,\"precision\":\"bf16\","
                      "\"training\":{\"zero_stage\":3,\"activation_checkpointing\":\"full\"}}");
    json_t *few = ok("{\"model\":\"llama-3-8b\",\"ctx\":4096,\"precision\":\"bf16\","
                     "\"objective\":\"fewest_gpus\",\"training\":{\"zero_stage\":3,"
                     "\"activation_checkpointing\":\"full\"}}");
    size_t i;
    json_t *c;
    const json_t *list = json_object_get(few, "candidates");
    ck_assert(rented(json_array_get(list, 0)) <=
              rented(json_array_get(json_object_get(seed, "candidates"), 0)));
    json_array_foreach(list, i, c) ck_assert(rented(c) >= rented(json_array_get(list, 0)));
    json_decref(seed);
    json_decref(few);
}
END_TEST

/* A member of the answer's parallelism block (or of its deepspeed/fsdp object). */
static const json_t *par(const json_t *r, const char *key)
{
    const json_t *p = json_object_get(r, "parallelism");
    ck_assert_msg(p != NULL, "no parallelism block");
    const char *dot = strchr(key, '.');
    if (dot == NULL)
        return json_object_get(p, key);
    char head[32];
    snprintf(head, sizeof(head), "%.*s", (int)(dot - key), key);
    return json_object_get(json_object_get(p, head), dot + 1);
}

START_TEST(parallelism_block_states_the_defaults_assumed)
{
    json_t *r = ok("{" SEED7B ",\"training\":{}}");
    ck_assert_int_eq(json_integer_value(par(r, "pipeline_parallel")), 1);
    ck_assert_int_eq(json_integer_value(par(r, "context_parallel")), 1);
    ck_assert_int_eq(json_integer_value(par(r, "gpus_per_replica")), 1);
    ck_assert_str_eq(json_string_value(par(r, "pp_schedule")), "1f1b");
    ck_assert_str_eq(json_string_value(par(r, "sharding")), "deepspeed");
    ck_assert(json_is_false(par(r, "sequence_parallel"))); /* no tensor parallelism */
    ck_assert(json_is_true(par(r, "loss_fp32")));
    ck_assert(num(r, "parallelism.tokens_per_gpu") == 2048);
    /* stage 0: no sharding settings, no sharding buffers */
    ck_assert_ptr_null(par(r, "deepspeed"));
    ck_assert_ptr_null(json_object_get(json_object_get(r, "per_gpu"), "buffers_gb"));
    json_decref(r);
}
END_TEST

START_TEST(deepspeed_settings_are_echoed_and_size_the_buffers)
{
    json_t *dflt = ok("{" SEED7B ",\"training\":{\"zero_stage\":3,\"data_parallel\":8}}");
    ck_assert(num(dflt, "parallelism.deepspeed.reduce_bucket_size") == 5e8);
    ck_assert(num(dflt, "parallelism.deepspeed.allgather_bucket_size") == 5e8);
    ck_assert(num(dflt, "parallelism.deepspeed.stage3_max_live_parameters") == 1e9);
    ck_assert(num(dflt, "parallelism.deepspeed.stage3_prefetch_bucket_size") == 5e7);
    ck_assert(num(dflt, "parallelism.deepspeed.sub_group_size") == 1e9);
    ck_assert(json_is_true(par(dflt, "deepspeed.contiguous_gradients")));
    ck_assert(json_is_true(par(dflt, "deepspeed.overlap_comm"))); /* DeepSpeed's stage-3 default */
    ck_assert_int_eq(json_integer_value(par(dflt, "shard_group")), 8);
    ck_assert(num(dflt, "per_gpu.buffers_gb") > 4.5); /* 4.5 x 5e8 x 2 bytes of overlap buckets */
    ck_assert_ptr_nonnull(
        json_string_value(json_object_get(json_object_get(dflt, "per_gpu"), "peak_phase")));
    ck_assert(has_assumption(dflt, "DeepSpeed buffers"));

    json_t *set = ok("{" SEED7B ",\"training\":{\"zero_stage\":3,\"data_parallel\":8,"
                     "\"reduce_bucket_size\":100000000,\"allgather_bucket_size\":200000000,"
                     "\"stage3_max_live_parameters\":300000000,"
                     "\"stage3_prefetch_bucket_size\":40000000,\"contiguous_gradients\":false,"
                     "\"overlap_comm\":false,\"sub_group_size\":100000000}}");
    ck_assert(num(set, "parallelism.deepspeed.reduce_bucket_size") == 1e8);
    ck_assert(num(set, "parallelism.deepspeed.allgather_bucket_size") == 2e8);
    ck_assert(num(set, "parallelism.deepspeed.stage3_max_live_parameters") == 3e8);
    ck_assert(num(set, "parallelism.deepspeed.stage3_prefetch_bucket_size") == 4e7);
    ck_assert(num(set, "parallelism.deepspeed.sub_group_size") == 1e8);
    /* the fp32 gradient of one 1e8-element sub-group (plus one parameter's partition at most)
     * instead of the whole 7B / 8 partition */
    ck_assert(num(set, "per_gpu.step_buffers_gb") < 0.5 * num(dflt, "per_gpu.step_buffers_gb"));
    ck_assert(json_is_false(par(set, "deepspeed.contiguous_gradients")));
    ck_assert(json_is_false(par(set, "deepspeed.overlap_comm")));
    ck_assert(num(set, "per_gpu.buffers_gb") < num(dflt, "per_gpu.buffers_gb") - 2);
    json_decref(dflt);
    json_decref(set);

    /* stage 2: overlap_comm is off by default; turning it on holds 4.5x both buckets */
    json_t *z2 = ok("{" SEED7B ",\"training\":{\"zero_stage\":2,\"data_parallel\":8}}");
    json_t *z2o = ok("{" SEED7B ",\"training\":{\"zero_stage\":2,\"data_parallel\":8,"
                     "\"overlap_comm\":true}}");
    ck_assert(json_is_false(par(z2, "deepspeed.overlap_comm")));
    ck_assert(json_is_true(par(z2o, "deepspeed.overlap_comm")));
    ck_assert(num(z2o, "per_gpu.buffers_gb") > num(z2, "per_gpu.buffers_gb") + 5);
    json_decref(z2);
    json_decref(z2o);
}
END_TEST

START_TEST(pipeline_parallel_and_its_schedule_change_the_per_gpu_answer)
{
    json_t *one = ok("{" SEED7B ",\"training\":{\"seq_len\":8192,\"data_parallel\":1}}");
    json_t *pp = ok("{" SEED7B ",\"training\":{\"seq_len\":8192,\"data_parallel\":1,"
                    "\"pipeline_parallel\":4,\"pp_microbatches\":8}}");
    ck_assert(num(pp, "per_gpu.weights_gb") < num(one, "per_gpu.weights_gb") / 3);
    ck_assert(num(pp, "parallelism.microbatches_in_flight") == 4); /* 1F1B: pp in flight */
    ck_assert_int_eq(json_integer_value(par(pp, "pp_microbatches")), 8);
    ck_assert_int_eq(json_integer_value(par(pp, "gpus_per_replica")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(pp, "gpus")) % 4, 0);
    ck_assert(has_assumption(pp, "pipeline: 4 stages, 1f1b"));

    json_t *gp = ok("{" SEED7B ",\"training\":{\"seq_len\":8192,\"data_parallel\":1,"
                    "\"pipeline_parallel\":4,\"pp_microbatches\":8,\"pp_schedule\":\"gpipe\"}}");
    ck_assert(num(gp, "parallelism.microbatches_in_flight") == 8); /* GPipe: all of them */
    ck_assert(num(gp, "per_gpu.activations_gb") > num(pp, "per_gpu.activations_gb"));

    /* interleaved, 2 chunks by default: 4 x (1 + 3/8) */
    json_t *il = ok("{" SEED7B ",\"training\":{\"seq_len\":8192,\"data_parallel\":1,"
                    "\"pipeline_parallel\":4,\"pp_microbatches\":8,"
                    "\"pp_schedule\":\"interleaved\"}}");
    ck_assert_int_eq(json_integer_value(par(il, "pp_virtual_stages")), 2);
    ck_assert(num(il, "parallelism.microbatches_in_flight") == 5.5);
    json_t *il4 = ok("{" SEED7B ",\"training\":{\"seq_len\":8192,\"data_parallel\":1,"
                     "\"pipeline_parallel\":4,\"pp_microbatches\":8,"
                     "\"pp_schedule\":\"interleaved\",\"pp_virtual_stages\":4}}");
    ck_assert_int_eq(json_integer_value(par(il4, "pp_virtual_stages")), 4);
    ck_assert(num(il4, "parallelism.microbatches_in_flight") == 4.75);
    json_decref(one);
    json_decref(pp);
    json_decref(gp);
    json_decref(il);
    json_decref(il4);
}
END_TEST

START_TEST(context_parallel_divides_the_tokens_and_the_activations)
{
    json_t *one = ok("{" SEED7B ",\"training\":{\"seq_len\":8192,\"data_parallel\":1,"
                     "\"zero_stage\":1}}");
    json_t *cp = ok("{" SEED7B ",\"training\":{\"seq_len\":8192,\"data_parallel\":1,"
                    "\"zero_stage\":1,\"context_parallel\":4}}");
    ck_assert(num(cp, "parallelism.tokens_per_gpu") == 2048);
    ck_assert_int_eq(json_integer_value(par(cp, "context_parallel")), 4);
    ck_assert_int_eq(json_integer_value(par(cp, "shard_group")), 4); /* dp 1 x cp 4 */
    ck_assert(num(cp, "per_gpu.activations_gb") < num(one, "per_gpu.activations_gb") / 3);
    ck_assert(has_assumption(cp, "context parallel 4: 2048 tokens per GPU"));
    json_decref(one);
    json_decref(cp);
}
END_TEST

START_TEST(tensor_parallel_without_sequence_parallel_holds_more_activations)
{
    json_t *sp = ok("{" SEED7B ",\"training\":{\"tensor_parallel\":4}}");
    json_t *no = ok("{" SEED7B ",\"training\":{\"tensor_parallel\":4,"
                    "\"sequence_parallel\":false}}");
    ck_assert(num(no, "per_gpu.activations_gb") > 1.5 * num(sp, "per_gpu.activations_gb"));
    ck_assert(json_is_true(par(sp, "sequence_parallel")));
    ck_assert(json_is_false(par(no, "sequence_parallel")));
    ck_assert(has_assumption(no, "no sequence parallel"));
    json_decref(sp);
    json_decref(no);
}
END_TEST

START_TEST(fsdp_and_megatron_sharding_are_stated)
{
    json_t *f = ok("{" SEED7B ",\"training\":{\"sharding\":\"fsdp\",\"data_parallel\":8}}");
    ck_assert_str_eq(json_string_value(par(f, "sharding")), "fsdp");
    ck_assert_int_eq(json_integer_value(par(f, "zero_stage")), 3);
    ck_assert(json_is_true(json_object_get(json_object_get(f, "training"), "fsdp")));
    ck_assert(json_is_true(par(f, "fsdp.limit_all_gathers")));
    ck_assert_ptr_null(par(f, "deepspeed"));
    /* without limit_all_gathers every block of the stage may be gathered ahead */
    json_t *nl = ok("{" SEED7B ",\"training\":{\"fsdp\":true,\"data_parallel\":8,"
                    "\"limit_all_gathers\":false}}");
    ck_assert(json_is_false(par(nl, "fsdp.limit_all_gathers")));
    ck_assert(num(nl, "per_gpu.details.gathered_weights_gb") >
              4 * num(f, "per_gpu.details.gathered_weights_gb"));

    /* zero_stage 2 with fsdp is SHARD_GRAD_OP: the whole model stays gathered through backward */
    json_t *g = ok("{" SEED7B ",\"training\":{\"fsdp\":true,\"zero_stage\":2,"
                   "\"data_parallel\":8}}");
    ck_assert_int_eq(json_integer_value(par(g, "zero_stage")), 2);
    ck_assert_str_eq(json_string_value(par(g, "sharding")), "fsdp");
    ck_assert(num(g, "per_gpu.details.gathered_weights_gb") >
              4 * num(f, "per_gpu.details.gathered_weights_gb"));
    ck_assert(num(g, "per_gpu.total_gb") > num(f, "per_gpu.total_gb"));
    ck_assert(has_assumption(g, "SHARD_GRAD_OP"));

    json_t *m = ok("{" SEED7B ",\"training\":{\"pipeline_parallel\":4,"
                   "\"pp_schedule\":\"interleaved\",\"sharding\":\"megatron\","
                   "\"data_parallel\":2}}");
    ck_assert_str_eq(json_string_value(par(m, "sharding")), "megatron");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(m, "training"), "zero_stage")), 1);
    ck_assert_ptr_null(par(m, "deepspeed"));
    ck_assert_ptr_null(json_object_get(json_object_get(m, "per_gpu"), "buffers_gb"));
    json_decref(f);
    json_decref(nl);
    json_decref(g);
    json_decref(m);
}
END_TEST

START_TEST(a_16bit_loss_holds_less_than_the_fp32_loss)
{
    json_t *f32 = ok("{" SEED7B ",\"training\":{}}");
    json_t *f16 = ok("{" SEED7B ",\"training\":{\"loss_fp32\":false}}");
    ck_assert(json_is_false(par(f16, "loss_fp32")));
    /* 3 x 2 bytes per logit against max(2 + 8, 12) */
    ck_assert(fabs(num(f16, "per_gpu.details.loss_logits_gb") -
                   num(f32, "per_gpu.details.loss_logits_gb") / 2) < 0.002);
    json_decref(f32);
    json_decref(f16);
}
END_TEST

START_TEST(layout_rules_and_conflicts_name_the_field)
{
    /* the model's rules: 422 naming the field where it was given */
    fails("{" SEED7B ",\"training\":{\"pipeline_parallel\":3}}", 422, "invalid_value",
          "training.pipeline_parallel");
    fails("{" SEED7B ",\"pipeline_parallel\":5}", 422, "invalid_value", "pipeline_parallel");
    fails("{" SEED7B ",\"training\":{\"context_parallel\":3}}", 422, "invalid_value",
          "training.context_parallel");
    fails("{" SEED7B ",\"training\":{\"pipeline_parallel\":4,\"pp_schedule\":\"interleaved\","
          "\"pp_virtual_stages\":16}}",
          422, "invalid_value", "training.pipeline_parallel");
    fails("{" SEED7B ",\"training\":{\"pp_schedule\":\"interleaved\"}}", 422, "invalid_value",
          "training.pp_schedule");
    /* types, ranges and names */
    fails("{" SEED7B ",\"training\":{\"sequence_parallel\":1}}", 400, "invalid_type",
          "training.sequence_parallel");
    fails("{" SEED7B ",\"training\":{\"pipeline_parallel\":0}}", 400, "out_of_range",
          "training.pipeline_parallel");
    fails("{" SEED7B ",\"training\":{\"pp_schedule\":\"zb\"}}", 400, "invalid_value",
          "training.pp_schedule");
    fails("{" SEED7B ",\"training\":{\"pp_virtual_stages\":65}}", 400, "out_of_range",
          "training.pp_virtual_stages");
    fails("{" SEED7B ",\"training\":{\"pp_microbatches\":0}}", 400, "out_of_range",
          "training.pp_microbatches");
    fails("{" SEED7B ",\"training\":{\"context_parallel\":513}}", 400, "out_of_range",
          "training.context_parallel");
    fails("{" SEED7B ",\"training\":{\"sharding\":\"zero\"}}", 400, "invalid_value",
          "training.sharding");
    fails("{" SEED7B ",\"training\":{\"reduce_bucket_size\":-1}}", 400, "out_of_range",
          "training.reduce_bucket_size");
    fails("{" SEED7B ",\"allgather_bucket_size\":1.5}", 400, "invalid_type",
          "allgather_bucket_size");
    fails("{" SEED7B ",\"training\":{\"stage3_max_live_parameters\":1e13}}", 400, "out_of_range",
          "training.stage3_max_live_parameters");
    fails("{" SEED7B ",\"training\":{\"stage3_prefetch_bucket_size\":\"5e7\"}}", 400,
          "invalid_type", "training.stage3_prefetch_bucket_size");
    fails("{" SEED7B ",\"training\":{\"sub_group_size\":0}}", 400, "out_of_range",
          "training.sub_group_size");
    fails("{" SEED7B ",\"training\":{\"fsdp\":true,\"sub_group_size\":1000}}", 400,
          "conflicting_fields", "sub_group_size");
    fails("{" SEED7B ",\"training\":{\"contiguous_gradients\":\"yes\"}}", 400, "invalid_type",
          "training.contiguous_gradients");
    fails("{" SEED7B ",\"training\":{\"overlap_comm\":null}}", 400, "invalid_type",
          "training.overlap_comm");
    fails("{" SEED7B ",\"training\":{\"limit_all_gathers\":0}}", 400, "invalid_type",
          "training.limit_all_gathers");
    fails("{" SEED7B ",\"training\":{\"loss_fp32\":\"true\"}}", 400, "invalid_type",
          "training.loss_fp32");
    fails("{" SEED7B ",\"training\":{\"pipline_parallel\":2}}", 400, "unknown_field",
          "training.pipline_parallel");
    /* contradictions */
    fails("{" SEED7B ",\"training\":{\"pipeline_parallel\":2,\"pp_virtual_stages\":2}}", 400,
          "conflicting_fields", "pp_virtual_stages");
    fails("{" SEED7B ",\"training\":{\"sharding\":\"megatron\",\"zero_stage\":2}}", 400,
          "conflicting_fields", "sharding");
    fails("{" SEED7B ",\"training\":{\"sharding\":\"fsdp\",\"zero_stage\":1}}", 400,
          "conflicting_fields", "sharding");
    fails("{" SEED7B ",\"training\":{\"sharding\":\"deepspeed\",\"fsdp\":true}}", 400,
          "conflicting_fields", "sharding");
    fails("{" SEED7B ",\"training\":{\"fsdp\":true,\"reduce_bucket_size\":1}}", 400,
          "conflicting_fields", "reduce_bucket_size");
    fails("{" SEED7B ",\"training\":{\"sharding\":\"megatron\",\"overlap_comm\":true}}", 400,
          "conflicting_fields", "overlap_comm");
    fails("{" SEED7B ",\"training\":{\"limit_all_gathers\":true}}", 400, "conflicting_fields",
          "limit_all_gathers");
    fails("{" SEED7B ",\"training\":{\"data_parallel\":65536,\"pipeline_parallel\":2}}", 400,
          "conflicting_fields", "data_parallel");
    /* sharding fsdp sets the stage the offloads need */
    json_t *r = ok("{" SEED7B ",\"training\":{\"sharding\":\"fsdp\",\"offload_params\":true,"
                   "\"offload_optimizer\":true}}");
    json_decref(r);
}
END_TEST

START_TEST(megatron_sharding_is_not_told_to_use_zero3)
{
    /* Megatron's distributed optimizer is stage 1: a zero_stage 3 suggestion would be refused */
    json_t *r = ok("{" SEED7B ",\"training\":{\"sharding\":\"megatron\",\"data_parallel\":1}}");
    const json_t *list = json_object_get(r, "suggestions");
    ck_assert_uint_gt(json_array_size(list), 0);
    size_t i;
    json_t *sg;
    json_array_foreach(list, i, sg)
    {
        const json_t *stage = json_object_get(json_object_get(sg, "change"), "zero_stage");
        ck_assert(stage == NULL || json_integer_value(stage) == 1);
    }
    json_decref(r);
}
END_TEST

START_TEST(over_http_a_training_request_answers_200)
{
    struct testsrv s;
    ck_assert_int_eq(testsrv_start(&s, NULL), 0);
    const char *body = "{" L70B ",\"training\":{\"method\":\"qlora\",\"activation_checkpointing\":"
                       "\"full\"}}";
    struct http_result res;
    ck_assert_int_eq(
        testhttp(s.port, "POST", "/estimate", "application/json", body, strlen(body), NULL, &res),
        0);
    ck_assert_int_eq(res.status, 200);
    json_t *j = json_loads(res.body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(sku_of(j), "Standard_NC24ads_A100_v4");
    json_decref(j);
    http_result_free(&res);
    int st;
    ck_assert_int_eq(testsrv_stop(&s, 0, 5, &st), 0);
}
END_TEST

static Suite *training_api_suite(void)
{
    Suite *s = suite_create("training_api");
    TCase *tc = tcase_create("refined training answer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, training_true_with_seed_fields_keeps_the_seed_answer);
    tcase_add_test(tc, training_object_turns_on_the_refined_model_with_defaults);
    tcase_add_test(tc, top_level_training_field_turns_on_the_refined_model);
    tcase_add_test(tc, strict_training_fields);
    tcase_add_test(tc, gradient_checkpointing_boolean_means_full_recompute);
    tcase_add_test(tc, qlora_70b_4k_selective_breakdown_and_checkpointing_suggestion);
    tcase_add_test(tc, zero3_grows_ranks_until_the_shards_fit);
    tcase_add_test(tc, stage0_replicates_and_does_not_grow_ranks);
    tcase_add_test(tc, too_big_for_one_vm_goes_multi_node_on_infiniband);
    tcase_add_test(tc, offload_needs_host_memory_of_the_vm);
    tcase_add_test(tc, bf16_training_skips_pre_ampere_gpus);
    tcase_add_test(tc, preset_qlora_llama3_70b_counts_lora_on_gqa_shapes);
    tcase_add_test(tc, mixtral_full_zero3_pinned_to_one_nd_h100_v5_explains_and_suggests);
    tcase_add_test(tc, training_true_with_a_preset_uses_the_refined_model);
    tcase_add_test(tc, serving_only_fields_are_refused_for_training);
    tcase_add_test(tc, fewest_gpus_objective_prefers_fewer_rented_gpus);
    tcase_add_test(tc, parallelism_block_states_the_defaults_assumed);
    tcase_add_test(tc, deepspeed_settings_are_echoed_and_size_the_buffers);
    tcase_add_test(tc, pipeline_parallel_and_its_schedule_change_the_per_gpu_answer);
    tcase_add_test(tc, context_parallel_divides_the_tokens_and_the_activations);
    tcase_add_test(tc, tensor_parallel_without_sequence_parallel_holds_more_activations);
    tcase_add_test(tc, fsdp_and_megatron_sharding_are_stated);
    tcase_add_test(tc, a_16bit_loss_holds_less_than_the_fp32_loss);
    tcase_add_test(tc, layout_rules_and_conflicts_name_the_field);
    tcase_add_test(tc, megatron_sharding_is_not_told_to_use_zero3);
    tcase_add_test(tc, over_http_a_training_request_answers_200);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(training_api_suite)
