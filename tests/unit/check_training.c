/* check_training.c - training memory terms by hand, DeepSpeed's estimator, published measurements.
 */
#include "support/check_util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "memory/training.h"

#define GIB 1073741824.0

/* GPT-3 style layer (Korthikanti et al. 2022, table 2 setting). */
static struct training_model gpt_model(void)
{
    struct training_model m = {0};
    m.layers = 24;
    m.hidden = 1024;
    m.heads = 16;
    m.kv_heads = 16;
    m.head_dim = 64;
    m.ffn = 4096;
    m.gated_mlp = false;
    m.vocab = 50000;
    m.embed_params = 50000.0 * 1024;
    m.params = 24 * (12.0 * 1024 * 1024) + m.embed_params;
    return m;
}

static struct training_config gpt_config(void)
{
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 2048;
    c.micro_batch = 2;
    c.dropout = true;
    c.flash_attention = false;
    return c;
}

/* Llama-2-7B: 32 layers, 4096 hidden, MHA 32 heads, SwiGLU 11008, vocab 32000, untied. */
static struct training_model llama2_7b(void)
{
    struct training_model m = {0};
    m.layers = 32;
    m.hidden = 4096;
    m.heads = 32;
    m.kv_heads = 32;
    m.head_dim = 128;
    m.ffn = 11008;
    m.gated_mlp = true;
    m.vocab = 32000;
    m.embed_params = 32000.0 * 4096;
    m.lm_head_params = m.embed_params;
    m.params = 6738415616.0;
    return m;
}

START_TEST(korthikanti_layer_is_34_plus_5as_over_h)
{
    struct training_model m = gpt_model();
    struct training_config c = gpt_config();
    double s = 2048, b = 2, h = 1024, a = 16;
    double expect = s * b * h * (34 + 5 * a * s / h);
    ck_assert_rel(training_layer_activations(&m, &c, false), expect, 1e-12);
}
END_TEST

START_TEST(selective_recompute_drops_the_attention_score_term)
{
    struct training_model m = gpt_model();
    struct training_config c = gpt_config();
    c.recompute = TRAINING_RECOMPUTE_SELECTIVE;
    ck_assert_rel(training_layer_activations(&m, &c, false), 34.0 * 2048 * 2 * 1024, 1e-12);
}
END_TEST

START_TEST(flash_attention_keeps_only_fp32_row_statistics)
{
    struct training_model m = gpt_model();
    struct training_config c = gpt_config();
    c.flash_attention = true;
    double s = 2048, b = 2, h = 1024, a = 16;
    ck_assert_rel(training_layer_activations(&m, &c, false), 34 * s * b * h + 4 * a * s * b, 1e-12);
}
END_TEST

START_TEST(swiglu_gqa_layer_without_dropout_by_hand)
{
    /* Llama-3-8B widths: q 4096, kv 8 x 128 = 1024, f 14336; T = 4096 tokens, 2-byte. */
    struct training_model m = llama2_7b();
    m.kv_heads = 8;
    m.ffn = 14336;
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 4096;
    double T = 4096, h = 4096, q = 4096, kv = 1024, f = 14336, a = 32;
    double attn = 2 * T * h + 2 * T * h + 2 * T * (q + kv) + 2 * T * kv + 2 * T * q + 4 * a * T;
    double mlp = 2 * T * h + 2 * T * h + 4 * 2 * T * f;
    ck_assert_rel(training_layer_activations(&m, &c, false), attn + mlp, 1e-12);
}
END_TEST

START_TEST(moe_layer_scales_the_mlp_by_experts_per_token)
{
    struct training_model m = llama2_7b();
    m.moe_layers = m.layers;
    m.experts = 8;
    m.experts_per_token = 2;
    m.expert_ffn = 11008;
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 1024;
    double T = 1024, h = 4096, f = 11008, E = 8, k = 2;
    double dense = training_layer_activations(&m, &c, false);
    double moe = training_layer_activations(&m, &c, true);
    double one_mlp = 2 * T * h + 8 * T * f;
    /* k routed copies instead of one, expert outputs kept for the weighted sum, router. */
    ck_assert_rel(moe - dense, (k - 1) * one_mlp + 2 * k * T * h + 6 * T * E, 1e-12);
}
END_TEST

START_TEST(full_recompute_keeps_layer_inputs_plus_one_layer)
{
    struct training_model m = gpt_model();
    struct training_config c = gpt_config();
    c.recompute = TRAINING_RECOMPUTE_FULL;
    struct training_result r;
    training_estimate(&m, &c, 1, &r);
    double T = 4096, h = 1024, V = 50000;
    double layer = T * h * (34 + 5 * 16 * 2048.0 / h);
    double expect = 24 * 2 * T * h + layer + 2 * 2 * T * h + 10 * T * V;
    ck_assert_rel(r.activations, expect, 1e-12);
    ck_assert_rel(r.logits, 10 * T * V, 1e-12);
}
END_TEST

START_TEST(tensor_parallel_divides_activations_and_states)
{
    struct training_model m = gpt_model();
    struct training_config c = gpt_config();
    struct training_result r1, r4;
    training_estimate(&m, &c, 4, &r1);
    c.tensor_parallel = 4;
    training_estimate(&m, &c, 4, &r4);
    ck_assert_rel(r4.activations, r1.activations / 4, 1e-12);
    ck_assert_rel(r4.weights, r1.weights / 4, 1e-12);
    ck_assert_rel(r4.optimizer, r1.optimizer / 4, 1e-12);
}
END_TEST

START_TEST(chunked_loss_keeps_one_liger_chunk_of_logits)
{
    struct training_model m = llama2_7b();
    m.vocab = 128256;
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 4096;
    c.chunked_loss = true;
    struct training_result r;
    training_estimate(&m, &c, 1, &r);
    /* ceil(128256/4096) = 32; ceil(4096/32) = 128 rows, already a power of two. */
    ck_assert_rel(r.logits, 10.0 * 128 * 128256, 1e-12);
}
END_TEST

static double states_per_param(enum training_optimizer o, bool master, double grad_bytes)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.optimizer = o;
    c.master_weights = master;
    c.grad_bytes = grad_bytes;
    struct training_result r;
    training_estimate(&m, &c, 1, &r);
    return r.states_per_param;
}

START_TEST(model_states_per_parameter_for_each_optimizer)
{
    /* bf16 weights 2 + grads 2 + fp32 master 4 + states. */
    ck_assert_rel(states_per_param(TRAINING_ADAMW, true, 2), 16, 1e-12);
    ck_assert_rel(states_per_param(TRAINING_ADAMW, true, 4), 18, 1e-12);
    ck_assert_rel(states_per_param(TRAINING_ADAMW, false, 2), 12, 1e-12);
    ck_assert_rel(states_per_param(TRAINING_ADAMW_8BIT, true, 2), 8 + 2 * (1 + 4.0 / 2048), 1e-12);
    ck_assert_rel(states_per_param(TRAINING_SGD_MOMENTUM, true, 2), 12, 1e-12);
}
END_TEST

START_TEST(adafactor_keeps_row_and_column_statistics)
{
    struct training_model m = {0};
    m.layers = 1;
    m.hidden = 8;
    m.heads = 2;
    m.kv_heads = 2;
    m.head_dim = 4;
    m.ffn = 16;
    m.gated_mlp = false;
    m.vocab = 10;
    m.embed_params = 80;
    /* q,k,v,o 4 x 64 + up/down 2 x 128 + embedding 80 + 16 norm weights. */
    m.params = 256 + 256 + 80 + 16;
    struct training_config c;
    training_config_default(&c);
    c.optimizer = TRAINING_ADAFACTOR;
    c.master_weights = false;
    struct training_result r;
    training_estimate(&m, &c, 1, &r);
    double stats = 4.0 * (4 * (8 + 8) + 2 * (8 + 16) + (10 + 8)) + 4.0 * 16;
    ck_assert_rel(r.optimizer, stats, 1e-12);
}
END_TEST

START_TEST(zero_stages_shard_optimizer_then_grads_then_weights)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.data_parallel = 8;
    double P = m.params;
    struct training_result r;
    c.zero_stage = 0;
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.weights + r.grads + r.optimizer, 16 * P, 1e-12);
    c.zero_stage = 1;
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.weights + r.grads + r.optimizer, 4 * P + 12 * P / 8, 1e-12);
    c.zero_stage = 2;
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.weights + r.grads + r.optimizer, 2 * P + 14 * P / 8, 1e-12);
    c.zero_stage = 3;
    training_estimate(&m, &c, 8, &r);
    /* + DeepSpeed's 4 x largest module: the untied LM head / embedding, 131M. */
    ck_assert_rel(r.weights + r.grads + r.optimizer, 16 * P / 8 + 4 * 32000.0 * 4096, 1e-12);
    ck_assert_rel(r.gather_buffer, 4 * 32000.0 * 4096, 1e-12);
}
END_TEST

/*
 * DeepSpeed's estimate_zero3_model_states_mem_needs_all_live for t5-small (60,506,624 params,
 * largest layer 16,449,536), 1 node x 1 GPU, as printed (GiB with two decimals):
 *   offload param+optimizer: CPU 1.52, GPU 0.06; optimizer only: CPU 1.35, GPU 0.17;
 *   none: GPU 1.08.
 */
START_TEST(reproduces_deepspeed_zero3_estimator_for_t5_small)
{
    struct training_model m = {0};
    m.layers = 6;
    m.hidden = 512;
    m.heads = 8;
    m.kv_heads = 8;
    m.head_dim = 64;
    m.ffn = 2048;
    m.vocab = 32128;
    m.embed_params = 16449536;
    m.params = 60506624;
    struct training_config c;
    training_config_default(&c);
    c.zero_stage = 3;
    c.grad_bytes = 4; /* DeepSpeed's 18 = 2 fp16 params + 16 (fp32 grads, master, m, v) */
    struct training_result r;

    training_estimate(&m, &c, 1, &r);
    ck_assert_rel(round((r.weights + r.grads + r.optimizer) / GIB * 100) / 100, 1.08, 1e-12);

    c.offload_optimizer = true;
    training_estimate(&m, &c, 1, &r);
    ck_assert_rel(round((r.weights + r.grads + r.optimizer) / GIB * 100) / 100, 0.17, 1e-12);
    ck_assert_rel(round(r.host_per_node / GIB * 100) / 100, 1.35, 1e-12);

    c.offload_params = true;
    training_estimate(&m, &c, 1, &r);
    ck_assert_rel(round((r.weights + r.grads + r.optimizer) / GIB * 100) / 100, 0.06, 1e-12);
    ck_assert_rel(round(r.host_per_node / GIB * 100) / 100, 1.52, 1e-12);
    /* exact formulas: GPU 4 x LL; CPU 18 x P x 1.5 / nodes */
    ck_assert_rel(r.weights + r.grads + r.optimizer, 4.0 * 16449536, 1e-12);
    ck_assert_rel(r.host_per_node, 18.0 * 60506624 * 1.5, 1e-12);
}
END_TEST

START_TEST(host_memory_per_node_counts_the_ranks_on_that_node)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.zero_stage = 3;
    c.data_parallel = 16; /* two nodes of 8 */
    c.offload_optimizer = true;
    struct training_result r;
    training_estimate(&m, &c, 8, &r);
    /* (12 + 4) x P x 1.5 / 2 nodes */
    ck_assert_rel(r.host_per_node, 16 * m.params * 1.5 / 2, 1e-12);
    ck_assert_rel(r.optimizer, 0, 0);
    ck_assert_rel(r.grads, 0, 0);
}
END_TEST

START_TEST(lora_trainable_params_match_peft_for_llama2_7b_q_v_r8)
{
    /* PEFT prints "trainable params: 4,194,304" for r=8 on q_proj, v_proj of Llama-2-7B. */
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.method = TRAINING_LORA;
    c.lora_rank = 8;
    c.lora_targets = TRAINING_LORA_Q | TRAINING_LORA_V;
    ck_assert_rel(training_trainable_params(&m, &c), 4194304, 0);
}
END_TEST

START_TEST(lora_all_linear_r16_on_llama3_8b_gqa)
{
    /* r (d_in + d_out) per matrix: q 8192, k 5120, v 5120, o 8192, gate/up/down 18432 each,
     * x 16 x 32 layers = 41,943,040 (PEFT's figure for all-linear r=16 on Llama-3-8B). */
    struct training_model m = llama2_7b();
    m.kv_heads = 8;
    m.ffn = 14336;
    struct training_config c;
    training_config_default(&c);
    c.method = TRAINING_LORA;
    ck_assert_rel(training_trainable_params(&m, &c), 41943040, 0);
}
END_TEST

START_TEST(lora_on_moe_adapts_every_expert)
{
    struct training_model m = llama2_7b();
    m.moe_layers = 32;
    m.experts = 8;
    m.experts_per_token = 2;
    m.expert_ffn = 14336;
    m.kv_heads = 8;
    struct training_config c;
    training_config_default(&c);
    c.method = TRAINING_LORA;
    c.lora_rank = 8;
    c.lora_targets = TRAINING_LORA_UP;
    ck_assert_rel(training_trainable_params(&m, &c), 8.0 * (4096 + 14336) * 8 * 32, 0);
}
END_TEST

START_TEST(qlora_base_is_nf4_double_quant_with_16_bit_embeddings)
{
    ck_assert_rel(TRAINING_NF4_BITS, 4.127, 1e-3);
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.method = TRAINING_QLORA;
    c.lora_targets = 0; /* base only */
    c.seq_len = 1;
    struct training_result r;
    training_estimate(&m, &c, 1, &r);
    double linear = 32 * (4.0 * 4096 * 4096 + 3.0 * 4096 * 11008);
    double base = linear * TRAINING_NF4_BITS / 8 + (m.params - linear) * 2;
    double dequant = 2.0 * 4096 * 11008; /* one MLP matrix in bf16 */
    ck_assert_rel(r.weights, base + dequant, 1e-12);
    ck_assert_rel(r.dequant_buffer, dequant, 1e-12);
    ck_assert_rel(r.trainable_params, 0, 0);
    ck_assert(r.base_bits_per_weight > 4.127 && r.base_bits_per_weight < 4.6);
}
END_TEST

START_TEST(lora_states_only_for_adapters)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.method = TRAINING_LORA;
    c.lora_rank = 8;
    c.lora_targets = TRAINING_LORA_Q | TRAINING_LORA_V;
    struct training_result r;
    training_estimate(&m, &c, 1, &r);
    double t = 4194304;
    ck_assert_rel(r.grads, 2 * t, 1e-12);
    ck_assert_rel(r.optimizer, 12 * t, 1e-12);
    ck_assert_rel(r.weights, 2 * m.params + 2 * t, 1e-12); /* frozen bf16 base + adapters */
}
END_TEST

START_TEST(overhead_is_context_nccl_and_fragmentation)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 512;
    struct training_result r;
    training_estimate(&m, &c, 1, &r);
    double tensors = r.weights + r.grads + r.optimizer + r.activations;
    ck_assert_rel(r.overhead, 0.5 * GIB + 0.05 * tensors, 1e-12);
    ck_assert_rel(r.total, tensors + r.overhead, 1e-12);
    c.data_parallel = 2;
    c.zero_stage = 1;
    training_estimate(&m, &c, 2, &r);
    tensors = r.weights + r.grads + r.optimizer + r.activations;
    ck_assert_rel(r.overhead, 1.0 * GIB + 0.05 * tensors, 1e-12);
}
END_TEST

static int str_or(const json_t *o, const char *k, const char *dflt, const char **out)
{
    const json_t *v = json_object_get(o, k);
    *out = v ? json_string_value(v) : dflt;
    return *out ? 0 : -1;
}

START_TEST(published_measurements_within_stated_tolerance)
{
    json_error_t jerr;
    json_t *doc = json_load_file(TEST_DATA_DIR "/training-calibration.json", 0, &jerr);
    ck_assert_msg(doc != NULL, "calibration file: %s", jerr.text);
    json_t *cases = json_object_get(doc, "cases");
    ck_assert(json_array_size(cases) >= 3);
    size_t i;
    json_t *cs;
    json_array_foreach(cases, i, cs)
    {
        json_t *jm = json_object_get(cs, "model"), *jc = json_object_get(cs, "config");
        struct training_model m = {0};
        m.params = json_number_value(json_object_get(jm, "params"));
        m.layers = (int)json_integer_value(json_object_get(jm, "layers"));
        m.hidden = (int)json_integer_value(json_object_get(jm, "hidden"));
        m.heads = (int)json_integer_value(json_object_get(jm, "heads"));
        m.kv_heads = (int)json_integer_value(json_object_get(jm, "kv_heads"));
        m.head_dim = (int)json_integer_value(json_object_get(jm, "head_dim"));
        m.ffn = (int)json_integer_value(json_object_get(jm, "ffn"));
        m.gated_mlp = json_is_true(json_object_get(jm, "gated_mlp"));
        m.vocab = (int)json_integer_value(json_object_get(jm, "vocab"));
        m.embed_params = (double)m.vocab * m.hidden;
        m.lm_head_params = json_is_true(json_object_get(jm, "tied")) ? 0 : m.embed_params;

        struct training_config c;
        training_config_default(&c);
        const char *s;
        ck_assert_int_eq(str_or(jc, "method", "full", &s), 0);
        ck_assert_int_eq(training_method_parse(s, &c.method), 0);
        ck_assert_int_eq(str_or(jc, "recompute", "none", &s), 0);
        ck_assert_int_eq(training_recompute_parse(s, &c.recompute), 0);
        c.seq_len = (int)json_integer_value(json_object_get(jc, "seq_len"));
        c.micro_batch = (int)json_integer_value(json_object_get(jc, "micro_batch"));
        if (json_object_get(jc, "lora_rank"))
            c.lora_rank = (int)json_integer_value(json_object_get(jc, "lora_rank"));
        if (json_object_get(jc, "zero_stage"))
            c.zero_stage = (int)json_integer_value(json_object_get(jc, "zero_stage"));
        if (json_object_get(jc, "data_parallel"))
            c.data_parallel = (int)json_integer_value(json_object_get(jc, "data_parallel"));
        if (json_object_get(jc, "master_weights"))
            c.master_weights = json_is_true(json_object_get(jc, "master_weights"));
        if (json_object_get(jc, "dropout"))
            c.dropout = json_is_true(json_object_get(jc, "dropout"));
        if (json_object_get(jc, "flash_attention"))
            c.flash_attention = json_is_true(json_object_get(jc, "flash_attention"));

        struct training_result r;
        training_estimate(&m, &c, 8, &r);
        const char *name = json_string_value(json_object_get(cs, "name"));
        double got = r.total / 1e9;
        if (json_object_get(cs, "measured_gb")) {
            double measured = json_number_value(json_object_get(cs, "measured_gb"));
            double tol = json_number_value(json_object_get(cs, "tolerance"));
            printf("calibration %s: estimate %.2f GB, published %.2f GB (tolerance %.0f%%)\n", name,
                   got, measured, tol * 100);
            ck_assert_msg(fabs(got - measured) / measured <= tol,
                          "%s: estimate %.2f GB, published %.2f", name, got, measured);
        } else {
            double card = json_number_value(json_object_get(cs, "fits_within_gib"));
            double floor = json_number_value(json_object_get(cs, "at_least_gb"));
            printf(
                "calibration %s: estimate %.2f GB (%.2f GiB), must fit %.0f GiB, floor %.1f GB\n",
                name, got, r.total / GIB, card, floor);
            ck_assert_msg(r.total <= card * GIB && got >= floor, "%s: estimate %.2f GB", name, got);
        }
    }
    json_decref(doc);
}
END_TEST

START_TEST(names_round_trip_and_unknowns_fail)
{
    enum training_method m;
    enum training_optimizer o;
    enum training_recompute rc;
    unsigned bit;
    ck_assert_int_eq(training_method_parse("qlora", &m), 0);
    ck_assert_str_eq(training_method_name(m), "qlora");
    ck_assert_int_eq(training_optimizer_parse("adamw_8bit", &o), 0);
    ck_assert_str_eq(training_optimizer_name(o), "adamw_8bit");
    ck_assert_int_eq(training_recompute_parse("selective", &rc), 0);
    ck_assert_str_eq(training_recompute_name(rc), "selective");
    ck_assert_int_eq(training_lora_target_parse("down_proj", &bit), 0);
    ck_assert_uint_eq(bit, TRAINING_LORA_DOWN);
    ck_assert_int_lt(training_method_parse("QLoRA", &m), 0);
    ck_assert_int_lt(training_optimizer_parse("adam", &o), 0);
    ck_assert_int_lt(training_lora_target_parse("lm_head", &bit), 0);
}
END_TEST

static Suite *training_suite(void)
{
    Suite *s = suite_create("training");
    TCase *act = tcase_create("activations");
    tcase_add_test(act, korthikanti_layer_is_34_plus_5as_over_h);
    tcase_add_test(act, selective_recompute_drops_the_attention_score_term);
    tcase_add_test(act, flash_attention_keeps_only_fp32_row_statistics);
    tcase_add_test(act, swiglu_gqa_layer_without_dropout_by_hand);
    tcase_add_test(act, moe_layer_scales_the_mlp_by_experts_per_token);
    tcase_add_test(act, full_recompute_keeps_layer_inputs_plus_one_layer);
    tcase_add_test(act, tensor_parallel_divides_activations_and_states);
    tcase_add_test(act, chunked_loss_keeps_one_liger_chunk_of_logits);
    suite_add_tcase(s, act);
    TCase *st = tcase_create("model states");
    tcase_add_test(st, model_states_per_parameter_for_each_optimizer);
    tcase_add_test(st, adafactor_keeps_row_and_column_statistics);
    tcase_add_test(st, zero_stages_shard_optimizer_then_grads_then_weights);
    tcase_add_test(st, reproduces_deepspeed_zero3_estimator_for_t5_small);
    tcase_add_test(st, host_memory_per_node_counts_the_ranks_on_that_node);
    tcase_add_test(st, overhead_is_context_nccl_and_fragmentation);
    suite_add_tcase(s, st);
    TCase *lora = tcase_create("lora");
    tcase_add_test(lora, lora_trainable_params_match_peft_for_llama2_7b_q_v_r8);
    tcase_add_test(lora, lora_all_linear_r16_on_llama3_8b_gqa);
    tcase_add_test(lora, lora_on_moe_adapts_every_expert);
    tcase_add_test(lora, qlora_base_is_nf4_double_quant_with_16_bit_embeddings);
    tcase_add_test(lora, lora_states_only_for_adapters);
    suite_add_tcase(s, lora);
    TCase *cal = tcase_create("calibration");
    tcase_add_test(cal, published_measurements_within_stated_tolerance);
    tcase_add_test(cal, names_round_trip_and_unknowns_fail);
    suite_add_tcase(s, cal);
    return s;
}

CHECK_MAIN(training_suite)
