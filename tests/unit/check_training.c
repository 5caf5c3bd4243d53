/* check_training.c - training memory terms by hand, DeepSpeed's estimator, published measurements.
 */
#include "support/check_util.h"

#include <errno.h>
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
    /* fp32 loss: 12 bytes per logit at the start of backward (saved log-softmax, its gradient,
     * the input gradient), more than the 2 + 4 + 4 at the end of forward */
    double expect = 24 * 2 * T * h + layer + 2 * 2 * T * h + 12 * T * V;
    ck_assert_rel(r.activations, expect, 1e-12);
    ck_assert_rel(r.logits, 12 * T * V, 1e-12);
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
    ck_assert_rel(r.logits, 12.0 * 128 * 128256, 1e-12);
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
    /* no master copy: torch.optim.AdamW's states are zeros_like(param), 16-bit like the weights
     * (pytorch torch/optim/adam.py: zeros_like(p) at the first step), so 2 + 2 + 2 x 2 */
    ck_assert_rel(states_per_param(TRAINING_ADAMW, false, 2), 8, 1e-12);
    ck_assert_rel(states_per_param(TRAINING_SGD_MOMENTUM, false, 2), 6, 1e-12);
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
    ck_assert_rel(r.allocated, tensors, 1e-12);
    ck_assert_rel(r.overhead, 0.5 * GIB + 0.05 * tensors, 1e-12);
    ck_assert_rel(r.total, tensors + r.overhead, 1e-12);
    ck_assert_rel(r.reserved, 1.05 * tensors, 1e-12);
    c.data_parallel = 2;
    c.zero_stage = 1;
    training_estimate(&m, &c, 2, &r);
    /* ZeRO-1 adds DeepSpeed's reduce bucket during backward and, at the step, the fp32 copy of
     * the gradient partition (4 x P / 2 here, larger than the 512-token activations) */
    ck_assert_rel(r.step_buffer, 4.0 * m.params / 2 + 5e8 * 2, 1e-12);
    tensors = r.weights + r.grads + r.optimizer + fmax(r.activations + r.buffers, r.step_buffer);
    ck_assert_rel(r.allocated, tensors, 1e-12);
    ck_assert_rel(r.overhead, 1.0 * GIB + 0.05 * tensors, 1e-12);
}
END_TEST

/* --- parallelism and sharding buffers --- */

START_TEST(tensor_parallel_without_sequence_parallel_keeps_10sbh_whole)
{
    /* Korthikanti eq. 2: sbh(10 + 24/t + 5as/(ht)); selective recompute drops the score term */
    struct training_model m = gpt_model();
    struct training_config c = gpt_config();
    c.recompute = TRAINING_RECOMPUTE_SELECTIVE;
    c.tensor_parallel = 4;
    c.sequence_parallel = false;
    struct training_result r;
    training_estimate(&m, &c, 4, &r);
    const double sbh = 2048.0 * 2 * 1024;
    ck_assert_rel(r.activations_layer, sbh * (10 + 24.0 / 4), 1e-12);
    c.sequence_parallel = true; /* eq. 3: everything divided by t */
    training_estimate(&m, &c, 4, &r);
    ck_assert_rel(r.activations_layer, sbh * 34 / 4, 1e-12);
}
END_TEST

START_TEST(pipeline_1f1b_first_stage_holds_pp_microbatches)
{
    struct training_model m = gpt_model();
    struct training_config c = gpt_config();
    c.pipeline_parallel = 4;
    c.pp_microbatches = 8;
    struct training_result r;
    training_estimate(&m, &c, 4, &r);
    /* 4 micro-batches in flight x 6 layers = every layer's activations once (Korthikanti 4.2.3) */
    ck_assert_rel(r.inflight_microbatches, 4, 0);
    ck_assert_rel(r.activations, 24 * training_layer_activations(&m, &c, false), 1e-12);
    ck_assert_rel(r.stage_fraction, (24 * 12.0 * 1024 * 1024 / 4 + 50000.0 * 1024) / m.params,
                  1e-12);
}
END_TEST

START_TEST(pipeline_schedules_differ_in_microbatches_in_flight)
{
    struct training_model m = gpt_model();
    struct training_config c = gpt_config();
    c.pipeline_parallel = 4;
    c.pp_microbatches = 8;
    struct training_result r;
    c.pp_schedule = TRAINING_PP_INTERLEAVED;
    c.pp_virtual_stages = 2;
    training_estimate(&m, &c, 4, &r);
    ck_assert_rel(r.inflight_microbatches, 4 * (1 + 3.0 / 8), 1e-12);
    c.pp_schedule = TRAINING_PP_GPIPE;
    training_estimate(&m, &c, 4, &r);
    ck_assert_rel(r.inflight_microbatches, 8, 0);
    c.pp_schedule = TRAINING_PP_1F1B;
    c.pp_microbatches = 2; /* fewer micro-batches than stages: all of them */
    training_estimate(&m, &c, 4, &r);
    ck_assert_rel(r.inflight_microbatches, 2, 0);
}
END_TEST

START_TEST(context_parallel_divides_sequence_activations_and_shards_states)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 8192;
    c.zero_stage = 1;
    c.data_parallel = 2;
    c.context_parallel = 4;
    struct training_result cp, local;
    training_estimate(&m, &c, 8, &cp);
    /* the same rank without context parallelism: a quarter of the tokens, states over 8 ranks */
    c.seq_len = 2048;
    c.context_parallel = 1;
    c.data_parallel = 8;
    training_estimate(&m, &c, 8, &local);
    ck_assert_rel(cp.activations, local.activations, 1e-12);
    ck_assert_rel(cp.optimizer, local.optimizer, 1e-12);
    ck_assert_rel(cp.tokens_per_gpu, 2048, 0);
}
END_TEST

START_TEST(deepspeed_zero3_buffers_live_parameters_prefetch_and_overlap)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 1024;
    c.zero_stage = 3;
    c.data_parallel = 8;
    struct training_result r;
    training_estimate(&m, &c, 8, &r);
    /* overlap_comm (on by default at stage 3): 4.5 x reduce bucket; live parameters up to 1e9
     * beyond the gathered largest module; the prefetch bucket; all 2-byte */
    double expect = 4.5 * 5e8 * 2 + (1e9 * 2 - r.gather_buffer) + 5e7 * 2;
    ck_assert_rel(r.buffers, expect, 1e-12);
    ck_assert_rel(r.step_buffer, 4.0 * m.params / 8, 1e-12); /* fp32 gradient partition */
    c.overlap_comm = TRAINING_OVERLAP_OFF;
    c.max_live_parameters = 0;
    c.prefetch_bucket_size = 0;
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.buffers, 5e8 * 2, 1e-12); /* the contiguous reduce bucket alone */
    c.contiguous_gradients = false;
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.buffers, 0, 0);
}
END_TEST

START_TEST(deepspeed_zero2_overlap_comm_takes_9gb_at_default_buckets)
{
    /* transformers' DeepSpeed guide: 5e8 x 2 bytes x 2 x 4.5 = 9GB */
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 1024;
    c.zero_stage = 2;
    c.data_parallel = 8;
    c.overlap_comm = TRAINING_OVERLAP_ON;
    struct training_result r;
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.buffers, 9e9, 1e-12);
    ck_assert_rel(r.step_buffer, 4.0 * m.params / 8, 1e-12);
    c.overlap_comm = TRAINING_OVERLAP_AUTO; /* off below stage 3: bucket, then allgather at step */
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.buffers, 1e9, 1e-12);
    ck_assert_rel(r.step_buffer, 4.0 * m.params / 8 + 1e9, 1e-12);
}
END_TEST

START_TEST(zero3_steps_the_optimizer_one_sub_group_at_a_time)
{
    /* DeepSpeed stage3.py step(): the fp32 gradient of one sub-group (sub_group_size 1e9
     * elements, closed by the parameter that reaches it) exists at a time; stages 1-2 convert
     * the whole partition. A 67B model over 8 ranks: 8.4e9 elements per rank. */
    struct training_model m = llama2_7b();
    m.params *= 10;
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 1024;
    c.data_parallel = 8;
    c.zero_stage = 3;
    struct training_result r;
    training_estimate(&m, &c, 8, &r);
    const double largest = m.embed_params; /* 32000 x 4096 beats every block matrix */
    ck_assert_rel(r.step_buffer, 4.0 * (1e9 + largest / 8), 1e-12);
    c.sub_group_size = 1e12; /* one sub-group: the whole partition */
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.step_buffer, 4.0 * m.params / 8, 1e-12);
    c.sub_group_size = 1e9;
    c.zero_stage = 2; /* no sub-groups below stage 3 (plus the allgather bucket at the step) */
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.step_buffer, 4.0 * m.params / 8 + 5e8 * 2, 1e-12);
}
END_TEST

START_TEST(zero3_costs_more_than_zero2_when_its_buffers_exceed_the_saving)
{
    /* 1.3B over 2 ranks: ZeRO-3 saves 1 byte/param of weights (1.3 GB) but holds 4.5 GB of
     * overlap buckets and 2 GB of live parameters; over 64 ranks the saving wins on a 70B */
    struct training_model m = gpt_model();
    m.layers = 24;
    m.hidden = 2048;
    m.heads = 16;
    m.kv_heads = 16;
    m.head_dim = 128;
    m.ffn = 8192;
    m.embed_params = 50000.0 * 2048;
    m.params = 24 * 12.0 * 2048 * 2048 + m.embed_params;
    struct training_config c = gpt_config();
    c.flash_attention = true;
    c.data_parallel = 2;
    struct training_result z2, z3;
    c.zero_stage = 2;
    training_estimate(&m, &c, 2, &z2);
    c.zero_stage = 3;
    training_estimate(&m, &c, 2, &z3);
    ck_assert(z3.total > z2.total);
    struct training_model big = llama2_7b();
    big.params *= 10;
    c.data_parallel = 64;
    c.zero_stage = 2;
    training_estimate(&big, &c, 8, &z2);
    c.zero_stage = 3;
    training_estimate(&big, &c, 8, &z3);
    ck_assert(z3.total < z2.total);
}
END_TEST

START_TEST(megatron_distributed_optimizer_keeps_no_deepspeed_buckets)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 1024;
    c.zero_stage = 1;
    c.data_parallel = 8;
    c.grad_bytes = 4;
    c.sharding = TRAINING_SHARD_MEGATRON;
    struct training_result r;
    training_estimate(&m, &c, 8, &r);
    ck_assert_rel(r.buffers + r.step_buffer, 0, 0);
    /* bf16 weights 2 + fp32 grad buffer 4 + (master 4 + Adam 8) / 8 */
    ck_assert_rel(r.weights + r.grads + r.optimizer, (6 + 12.0 / 8) * m.params, 1e-12);
}
END_TEST

START_TEST(fsdp_without_limit_all_gathers_may_gather_every_block)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 1024;
    c.fsdp = true;
    c.data_parallel = 8;
    struct training_result lim, all;
    training_estimate(&m, &c, 8, &lim);
    c.limit_all_gathers = false;
    training_estimate(&m, &c, 8, &all);
    const double blk = training_block_params(&m);
    ck_assert_rel(lim.gather_buffer, 2 * blk * 2 + blk * 2, 1e-12);
    ck_assert_rel(all.gather_buffer, 32 * blk * 2 + blk * 2, 1e-12);
}
END_TEST

START_TEST(layout_rules_name_the_field)
{
    struct training_model m = llama2_7b();
    struct training_config c;
    training_config_default(&c);
    c.seq_len = 4096;
    const char *field = NULL;
    char rule[200];
    ck_assert_int_eq(training_config_check(&m, &c, &field, rule, sizeof(rule)), 0);
    c.tensor_parallel = 3;
    ck_assert_int_eq(training_config_check(&m, &c, &field, rule, sizeof(rule)), -EINVAL);
    ck_assert_str_eq(field, "tensor_parallel");
    c.tensor_parallel = 2;
    c.pipeline_parallel = 3; /* 32 layers */
    ck_assert_int_eq(training_config_check(&m, &c, &field, rule, sizeof(rule)), -EINVAL);
    ck_assert_str_eq(field, "pipeline_parallel");
    ck_assert_ptr_nonnull(strstr(rule, "32 layers"));
    c.pipeline_parallel = 4;
    c.pp_schedule = TRAINING_PP_INTERLEAVED;
    c.pp_virtual_stages = 1;
    ck_assert_int_eq(training_config_check(&m, &c, &field, rule, sizeof(rule)), -EINVAL);
    ck_assert_str_eq(field, "pp_schedule");
    c.pp_virtual_stages = 16; /* 4 x 16 = 64 > 32 layers */
    ck_assert_int_eq(training_config_check(&m, &c, &field, rule, sizeof(rule)), -EINVAL);
    ck_assert_str_eq(field, "pipeline_parallel");
    c.pp_virtual_stages = 2;
    c.context_parallel = 32; /* 16 heads per tensor rank */
    ck_assert_int_eq(training_config_check(&m, &c, &field, rule, sizeof(rule)), -EINVAL);
    ck_assert_str_eq(field, "context_parallel");
    c.context_parallel = 8;
    ck_assert_int_eq(training_config_check(&m, &c, &field, rule, sizeof(rule)), 0);
    ck_assert_int_eq(training_model_parallel(&c), 2 * 4 * 8);
}
END_TEST

/* --- calibration: published measurements (tests/data/training-calibration.json) --- */

static json_t *calibration(void)
{
    json_error_t jerr;
    json_t *doc = json_load_file(TEST_DATA_DIR "/training-calibration.json", 0, &jerr);
    ck_assert_msg(doc != NULL, "calibration file: %s", jerr.text);
    return doc;
}

static int str_or(const json_t *o, const char *k, const char *dflt, const char **out)
{
    const json_t *v = json_object_get(o, k);
    *out = v ? json_string_value(v) : dflt;
    return *out ? 0 : -1;
}

static int int_or(const json_t *o, const char *k, int dflt)
{
    const json_t *v = json_object_get(o, k);
    return v ? (int)json_integer_value(v) : dflt;
}

static double num_or(const json_t *o, const char *k, double dflt)
{
    const json_t *v = json_object_get(o, k);
    return v ? json_number_value(v) : dflt;
}

static bool bool_or(const json_t *o, const char *k, bool dflt)
{
    const json_t *v = json_object_get(o, k);
    return v ? json_is_true(v) : dflt;
}

static void case_model(const json_t *jm, struct training_model *m)
{
    memset(m, 0, sizeof(*m));
    m->params = num_or(jm, "params", 0);
    m->layers = int_or(jm, "layers", 0);
    m->hidden = int_or(jm, "hidden", 0);
    m->heads = int_or(jm, "heads", 0);
    m->kv_heads = int_or(jm, "kv_heads", 0);
    m->head_dim = int_or(jm, "head_dim", 0);
    m->ffn = int_or(jm, "ffn", 0);
    m->gated_mlp = bool_or(jm, "gated_mlp", false);
    m->vocab = int_or(jm, "vocab", 0);
    m->embed_params = (double)m->vocab * m->hidden;
    m->lm_head_params = bool_or(jm, "tied", false) ? 0 : m->embed_params;
}

/* Every configuration field the table may set; the rest keep training_config_default(). */
static void case_config(const json_t *jc, struct training_config *c)
{
    training_config_default(c);
    const char *s;
    ck_assert_int_eq(str_or(jc, "method", "full", &s), 0);
    ck_assert_int_eq(training_method_parse(s, &c->method), 0);
    ck_assert_int_eq(str_or(jc, "recompute", "none", &s), 0);
    ck_assert_int_eq(training_recompute_parse(s, &c->recompute), 0);
    ck_assert_int_eq(str_or(jc, "pp_schedule", "1f1b", &s), 0);
    ck_assert_int_eq(training_pp_schedule_parse(s, &c->pp_schedule), 0);
    ck_assert_int_eq(str_or(jc, "sharding", "deepspeed", &s), 0);
    ck_assert_int_eq(training_sharding_parse(s, &c->sharding), 0);
    c->seq_len = int_or(jc, "seq_len", 1);
    c->micro_batch = int_or(jc, "micro_batch", 1);
    c->lora_rank = int_or(jc, "lora_rank", c->lora_rank);
    c->zero_stage = int_or(jc, "zero_stage", 0);
    c->fsdp = bool_or(jc, "fsdp", false);
    c->data_parallel = int_or(jc, "data_parallel", 1);
    c->tensor_parallel = int_or(jc, "tensor_parallel", 1);
    c->sequence_parallel = bool_or(jc, "sequence_parallel", true);
    c->pipeline_parallel = int_or(jc, "pipeline_parallel", 1);
    c->pp_virtual_stages = int_or(jc, "pp_virtual_stages", 1);
    c->pp_microbatches = int_or(jc, "pp_microbatches", 0);
    c->context_parallel = int_or(jc, "context_parallel", 1);
    c->master_weights = bool_or(jc, "master_weights", true);
    c->weight_bytes = num_or(jc, "weight_bytes", 2);
    c->grad_bytes = num_or(jc, "grad_bytes", 2);
    c->dropout = bool_or(jc, "dropout", false);
    c->flash_attention = bool_or(jc, "flash_attention", true);
    c->chunked_loss = bool_or(jc, "chunked_loss", false);
    c->loss_fp32 = bool_or(jc, "loss_fp32", true);
    const json_t *targets = json_object_get(jc, "lora_targets");
    if (targets) {
        c->lora_targets = 0;
        size_t i;
        const json_t *t;
        json_array_foreach(targets, i, t)
        {
            unsigned bit;
            ck_assert_int_eq(training_lora_target_parse(json_string_value(t), &bit), 0);
            c->lora_targets |= bit;
        }
    }
}

/* Estimate of one case in the quantity it was measured as, and the measurement, in bytes. */
static void case_compare(const json_t *cs, struct training_result *r, double *got, double *measured)
{
    struct training_model m;
    struct training_config c;
    case_model(json_object_get(cs, "model"), &m);
    case_config(json_object_get(cs, "config"), &c);
    const char *field = NULL;
    char rule[200];
    ck_assert_msg(training_config_check(&m, &c, &field, rule, sizeof(rule)) == 0, "%s: %s",
                  json_string_value(json_object_get(cs, "name")), rule);
    training_estimate(&m, &c, 8, r);
    const char *as = json_string_value(json_object_get(cs, "measured_as"));
    ck_assert_ptr_nonnull(as);
    if (strcmp(as, "allocated") == 0)
        *got = r->allocated;
    else if (strcmp(as, "reserved") == 0)
        *got = r->reserved;
    else {
        ck_assert_str_eq(as, "total");
        *got = r->total;
    }
    *measured = json_object_get(cs, "measured_gib") ? num_or(cs, "measured_gib", 0) * GIB
                                                    : num_or(cs, "measured_gb", 0) * 1e9;
    ck_assert(*measured > 0);
}

static double case_error(const json_t *cs)
{
    struct training_result r;
    double got, measured;
    case_compare(cs, &r, &got, &measured);
    return (got - measured) / measured;
}

START_TEST(calibration_row_within_its_tolerance)
{
    json_t *doc = calibration();
    json_t *cs = json_array_get(json_object_get(doc, "cases"), (size_t)_i);
    ck_assert_ptr_nonnull(cs);
    const char *name = json_string_value(json_object_get(cs, "name"));
    double tol = num_or(cs, "tolerance", 0);
    ck_assert_msg(tol > 0 && tol <= 0.25, "%s: tolerance %.2f outside (0, 0.25]", name, tol);
    struct training_result r;
    double got, measured;
    case_compare(cs, &r, &got, &measured);
    double err = (got - measured) / measured;
    printf(
        "calibration %-44s estimate %7.2f GB, published %7.2f GB, error %+6.1f%% (bound %.0f%%)\n",
        name, got / 1e9, measured / 1e9, err * 100, tol * 100);
    ck_assert_msg(fabs(err) <= tol, "%s: estimate %.2f GB, published %.2f GB (%+.1f%%)", name,
                  got / 1e9, measured / 1e9, err * 100);
    json_decref(doc);
}
END_TEST

START_TEST(calibration_mean_absolute_error_within_bound)
{
    json_t *doc = calibration();
    json_t *cases = json_object_get(doc, "cases");
    const double bound = num_or(doc, "mean_abs_error_bound", 0);
    ck_assert(bound > 0 && bound <= 0.10);
    ck_assert_uint_ge(json_array_size(cases), 15);
    double sum = 0;
    size_t i;
    json_t *cs;
    json_array_foreach(cases, i, cs) sum += fabs(case_error(cs));
    double mae = sum / (double)json_array_size(cases);
    printf("calibration mean absolute error %.1f%% over %zu runs (bound %.0f%%)\n", mae * 100,
           json_array_size(cases), bound * 100);
    ck_assert_msg(mae <= bound, "mean absolute error %.1f%%", mae * 100);
    json_decref(doc);
}
END_TEST

/* The table spans the settings and at least five independent sources. */
START_TEST(calibration_covers_every_parallelism_from_five_sources)
{
    static const char *const needed[] = {"zero1",         "zero2",         "fsdp",
                                         "lora",          "qlora",         "tp_with_sp",
                                         "tp_without_sp", "pipeline_1f1b", "context_parallel"};
    json_t *doc = calibration();
    json_t *cases = json_object_get(doc, "cases");
    for (size_t k = 0; k < sizeof(needed) / sizeof(needed[0]); k++) {
        bool found = false;
        size_t i, j;
        json_t *cs, *tag;
        json_array_foreach(cases, i, cs) json_array_foreach(json_object_get(cs, "covers"), j, tag)
            found = found || strcmp(json_string_value(tag), needed[k]) == 0;
        ck_assert_msg(found, "no calibration run covers %s", needed[k]);
    }
    char hosts[16][64];
    size_t nhosts = 0, i;
    json_t *cs;
    json_array_foreach(cases, i, cs)
    {
        /* the repository (owner/name) of the source URL identifies the source */
        const char *u = json_string_value(json_object_get(cs, "source"));
        ck_assert_ptr_nonnull(u);
        char key[64];
        ck_assert_int_eq(sscanf(u, "https://github.com/%63[^/ ]", key), 1);
        const char *slash = strchr(u + strlen("https://github.com/"), '/');
        ck_assert_ptr_nonnull(slash);
        snprintf(key, sizeof(key), "%.*s", (int)strcspn(slash + 1, "/ "), slash + 1);
        bool seen = false;
        for (size_t k = 0; k < nhosts; k++)
            seen = seen || strcmp(hosts[k], key) == 0;
        if (!seen && nhosts < 16)
            snprintf(hosts[nhosts++], sizeof(hosts[0]), "%s", key);
    }
    ck_assert_uint_ge(nhosts, 5);
    json_decref(doc);
}
END_TEST

/* Figures the model does not reproduce, each with a reason and its source; the sign is pinned so a
 * change that closes (or widens past) a gap shows up here. */
START_TEST(known_gaps_are_explained_and_pinned)
{
    json_t *doc = calibration();
    size_t i;
    json_t *cs;
    json_array_foreach(json_object_get(doc, "known_gaps"), i, cs)
    {
        const char *name = json_string_value(json_object_get(cs, "name"));
        ck_assert_ptr_nonnull(json_string_value(json_object_get(cs, "gap_reason")));
        ck_assert_ptr_nonnull(json_string_value(json_object_get(cs, "gap_source")));
        double err = case_error(cs);
        printf("known gap   %-44s error %+6.1f%%\n", name, err * 100);
        ck_assert_msg(err < -0.10, "%s: %+.1f%%: the gap narrowed; re-examine it", name, err * 100);
    }
    json_decref(doc);
}
END_TEST

/* The config of a case without its zero_stage (new reference). */
static json_t *config_but_stage(const json_t *cs)
{
    json_t *c = json_deep_copy(json_object_get(cs, "config"));
    ck_assert_ptr_nonnull(c);
    json_object_del(c, "zero_stage");
    return c;
}

/* Every ZeRO-2/ZeRO-3 pair of calibration runs (one source, one model, the same configuration but
 * for zero_stage): the estimates rank the two stages as the measurements do. */
START_TEST(calibration_zero3_vs_zero2_ordering_matches)
{
    json_t *doc = calibration();
    json_t *cases = json_object_get(doc, "cases");
    size_t i, j, pairs = 0;
    json_t *a, *b;
    json_array_foreach(cases, i, a)
    {
        if (int_or(json_object_get(a, "config"), "zero_stage", 0) != 2)
            continue;
        json_array_foreach(cases, j, b)
        {
            if (int_or(json_object_get(b, "config"), "zero_stage", 0) != 3 ||
                !json_equal(json_object_get(a, "source"), json_object_get(b, "source")) ||
                !json_equal(json_object_get(a, "model"), json_object_get(b, "model")))
                continue;
            json_t *ca = config_but_stage(a), *cb = config_but_stage(b);
            const bool same = json_equal(ca, cb);
            json_decref(ca);
            json_decref(cb);
            if (!same)
                continue;
            struct training_result r;
            double got2, m2, got3, m3;
            case_compare(a, &r, &got2, &m2);
            case_compare(b, &r, &got3, &m3);
            printf("ordering    %-44s ZeRO-3 - ZeRO-2: estimate %+6.2f GB, published %+6.2f GB\n",
                   json_string_value(json_object_get(b, "name")), (got3 - got2) / 1e9,
                   (m3 - m2) / 1e9);
            ck_assert_msg((got3 < got2) == (m3 < m2), "%s: ZeRO-3 vs ZeRO-2 ranked otherwise",
                          json_string_value(json_object_get(b, "name")));
            pairs++;
        }
    }
    ck_assert_uint_ge(pairs, 1);
    json_decref(doc);
}
END_TEST

/* vramfit's ZeRO-3 saving over ZeRO-2 in the weights alone (states beyond the weights are sharded
 * alike at both stages; buffers and activations aside): the stage-2 weights minus the stage-3
 * shard, its gathered copy left out. Only params matter, so the other dimensions are minimal. */
static double model_weight_sharding_saving(double params, double weight_bytes, int ranks)
{
    struct training_model m = {.params = params,
                               .layers = 1,
                               .hidden = 1,
                               .heads = 1,
                               .kv_heads = 1,
                               .head_dim = 1,
                               .ffn = 1,
                               .vocab = 1};
    struct training_config c;
    training_config_default(&c);
    c.weight_bytes = weight_bytes;
    c.data_parallel = ranks;
    c.zero_stage = 2;
    struct training_result r2, r3;
    training_estimate(&m, &c, 8, &r2);
    c.zero_stage = 3;
    training_estimate(&m, &c, 8, &r3);
    return r2.weights - (r3.weights - r3.gather_buffer);
}

static double pair_gb(const json_t *ev, const char *gb, const char *gib)
{
    return json_object_get(ev, gib) ? num_or(ev, gib, 0) * GIB : num_or(ev, gb, 0) * 1e9;
}

/* Published ZeRO-2/ZeRO-3 pairs on one model and machine: where ZeRO-3 measured lower, the gap lies
 * between the weights vramfit's stage 3 shards away (all DeepSpeed ZeRO-2 holds beyond ZeRO-3) and
 * the whole 16-bit copy (FSDP2's zero2 keeps it beside the shard); pairs measured the other way
 * are kept with their reason, and their sign is pinned. */
START_TEST(zero3_vs_zero2_ordering_evidence)
{
    json_t *doc = calibration();
    json_t *evidence = json_object_get(doc, "ordering_evidence");
    size_t i, agree = 0;
    json_t *ev;
    json_array_foreach(evidence, i, ev)
    {
        const char *name = json_string_value(json_object_get(ev, "name"));
        const char *verdict = json_string_value(json_object_get(ev, "verdict"));
        ck_assert_ptr_nonnull(name);
        ck_assert_ptr_nonnull(verdict);
        ck_assert_ptr_nonnull(json_string_value(json_object_get(ev, "source")));
        ck_assert_ptr_nonnull(json_string_value(json_object_get(ev, "setup")));
        const double z2 = pair_gb(ev, "zero2_gb", "zero2_gib");
        const double z3 = pair_gb(ev, "zero3_gb", "zero3_gib");
        ck_assert(z2 > 0 && z3 > 0);
        const double params = num_or(ev, "params", 0), bytes = num_or(ev, "weight_bytes", 0);
        const double saving =
            model_weight_sharding_saving(params, bytes, int_or(ev, "shard_ranks", 0));
        const double copy = params * bytes;
        ck_assert(saving > 0 && saving < copy);
        printf("ordering    %-48s ZeRO-2 %6.2f GB, ZeRO-3 %6.2f GB, gap %+6.2f GB, weights "
               "%5.2f..%5.2f GB (%s)\n",
               name, z2 / 1e9, z3 / 1e9, (z2 - z3) / 1e9, saving / 1e9, copy / 1e9, verdict);
        if (strcmp(verdict, "agrees") == 0) {
            const double tol = num_or(ev, "tolerance", 0);
            ck_assert(tol > 0 && tol <= 0.10);
            ck_assert_msg(z2 - z3 >= (1 - tol) * saving && z2 - z3 <= (1 + tol) * copy,
                          "%s: gap %.2f GB outside %.2f..%.2f GB", name, (z2 - z3) / 1e9,
                          saving / 1e9, copy / 1e9);
            agree++;
        } else {
            ck_assert_str_eq(verdict, "contradicts");
            ck_assert_ptr_nonnull(json_string_value(json_object_get(ev, "gap_source")));
            ck_assert_ptr_nonnull(json_string_value(json_object_get(ev, "gap_reason")));
            ck_assert_msg(z3 > z2, "%s: ZeRO-3 no longer measured higher; re-examine", name);
        }
    }
    ck_assert_uint_ge(agree, 2);
    json_decref(doc);
}
END_TEST

START_TEST(published_fit_claims_hold)
{
    json_t *doc = calibration();
    size_t i;
    json_t *cs;
    json_array_foreach(json_object_get(doc, "fits"), i, cs)
    {
        struct training_model m;
        struct training_config c;
        case_model(json_object_get(cs, "model"), &m);
        case_config(json_object_get(cs, "config"), &c);
        struct training_result r;
        training_estimate(&m, &c, 8, &r);
        const char *name = json_string_value(json_object_get(cs, "name"));
        double card = num_or(cs, "fits_within_gib", 0), floor = num_or(cs, "at_least_gb", 0);
        printf("calibration %s: estimate %.2f GB (%.2f GiB), must fit %.0f GiB, floor %.1f GB\n",
               name, r.total / 1e9, r.total / GIB, card, floor);
        ck_assert_msg(r.total <= card * GIB && r.total >= floor * 1e9, "%s: estimate %.2f GB", name,
                      r.total / 1e9);
    }
    json_decref(doc);
}
END_TEST

static size_t calibration_rows(void)
{
    json_t *doc = json_load_file(TEST_DATA_DIR "/training-calibration.json", 0, NULL);
    size_t n = doc ? json_array_size(json_object_get(doc, "cases")) : 1;
    json_decref(doc);
    return n;
}

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
    TCase *par = tcase_create("parallelism");
    tcase_add_test(par, tensor_parallel_without_sequence_parallel_keeps_10sbh_whole);
    tcase_add_test(par, pipeline_1f1b_first_stage_holds_pp_microbatches);
    tcase_add_test(par, pipeline_schedules_differ_in_microbatches_in_flight);
    tcase_add_test(par, context_parallel_divides_sequence_activations_and_shards_states);
    tcase_add_test(par, deepspeed_zero3_buffers_live_parameters_prefetch_and_overlap);
    tcase_add_test(par, deepspeed_zero2_overlap_comm_takes_9gb_at_default_buckets);
    tcase_add_test(par, zero3_steps_the_optimizer_one_sub_group_at_a_time);
    tcase_add_test(par, zero3_costs_more_than_zero2_when_its_buffers_exceed_the_saving);
    tcase_add_test(par, megatron_distributed_optimizer_keeps_no_deepspeed_buckets);
    tcase_add_test(par, fsdp_without_limit_all_gathers_may_gather_every_block);
    tcase_add_test(par, layout_rules_name_the_field);
    suite_add_tcase(s, par);
    TCase *lora = tcase_create("lora");
    tcase_add_test(lora, lora_trainable_params_match_peft_for_llama2_7b_q_v_r8);
    tcase_add_test(lora, lora_all_linear_r16_on_llama3_8b_gqa);
    tcase_add_test(lora, lora_on_moe_adapts_every_expert);
    tcase_add_test(lora, qlora_base_is_nf4_double_quant_with_16_bit_embeddings);
    tcase_add_test(lora, lora_states_only_for_adapters);
    suite_add_tcase(s, lora);
    TCase *cal = tcase_create("calibration");
    tcase_add_loop_test(cal, calibration_row_within_its_tolerance, 0, (int)calibration_rows());
    tcase_add_test(cal, calibration_mean_absolute_error_within_bound);
    tcase_add_test(cal, calibration_covers_every_parallelism_from_five_sources);
    tcase_add_test(cal, known_gaps_are_explained_and_pinned);
    tcase_add_test(cal, calibration_zero3_vs_zero2_ordering_matches);
    tcase_add_test(cal, zero3_vs_zero2_ordering_evidence);
    tcase_add_test(cal, published_fit_claims_hold);
    tcase_add_test(cal, names_round_trip_and_unknowns_fail);
    suite_add_tcase(s, cal);
    return s;
}

CHECK_MAIN(training_suite)
