/* check_kv.c - KV bytes per token: GQA, MHA, MLA, sliding windows and tensor-parallel splits. */
#include "support/check_util.h"

#include <string.h>

#include "model/arch.h"
#include "model/kv.h"
#include "model/models.h"
#include "config/presets.h"

static const struct arch *preset(const char *name)
{
    const struct models *m = presets_builtin();
    ck_assert_msg(m != NULL, "%s", presets_error());
    const struct model_preset *p = models_find(m, name);
    ck_assert_msg(p != NULL, "no preset %s", name);
    return &p->arch;
}

START_TEST(llama3_8b_is_131072_bytes_per_token_in_bf16)
{
    /* 32 layers x (K + V) x 8 KV heads x 128 x 2 bytes */
    ck_assert_rel(kv_bytes_per_token(preset("llama-3-8b"), 2, 1), 131072.0, 0);
    /* The seed's formula would say 2 x 32 x 4096 x 2 = 524288: 4x too big. */
}
END_TEST

START_TEST(deepseek_v2_lite_mla_is_31104_bytes_per_token_in_bf16)
{
    /* 27 layers x (kv_lora_rank 512 + qk_rope_head_dim 64) x 2 bytes, one latent (no x2) */
    ck_assert_rel(kv_bytes_per_token(preset("deepseek-v2-lite"), 2, 1), 31104.0, 0);
}
END_TEST

START_TEST(deepseek_v3_mla_is_70272_bytes_per_token_and_ignores_tp)
{
    /* 61 x 576 x 2 */
    const struct arch *a = preset("deepseek-v3");
    ck_assert_rel(kv_bytes_per_token(a, 2, 1), 70272.0, 0);
    ck_assert_rel(kv_bytes_per_token(a, 2, 8), 70272.0, 0); /* latent replicated per rank */
}
END_TEST

START_TEST(gqa_heads_split_over_tp_and_replicate_beyond_kv_heads)
{
    const struct arch *a = preset("llama-3-8b"); /* 8 KV heads */
    ck_assert_rel(kv_bytes_per_token(a, 2, 2), 65536.0, 0);
    ck_assert_rel(kv_bytes_per_token(a, 2, 8), 16384.0, 0);
    ck_assert_rel(kv_bytes_per_token(a, 2, 16), 16384.0, 0); /* one head per rank, replicated */
}
END_TEST

START_TEST(fp8_cache_halves_the_bytes)
{
    ck_assert_rel(kv_bytes_per_token(preset("llama-3-8b"), 1, 1), 65536.0, 0);
}
END_TEST

START_TEST(gemma2_windowed_layers_stop_growing_at_the_window)
{
    const struct arch *a = preset("gemma-2-9b");
    ck_assert_int_eq(a->sliding_window, 4096);
    ck_assert_int_eq(a->windowed_layers, 21);
    /* per layer per token: 2 x 8 heads x 256 x 2 bytes = 8192 */
    ck_assert_rel(kv_layer_bytes_per_token(a, 2, 1), 8192.0, 0);
    /* 8192 tokens: 21 full layers x 8192 + 21 windowed layers x 4096, each 8192 B/token */
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 1, 8192), 8192.0 * (21 * 8192 + 21 * 4096), 0);
    /* below the window every layer holds every token */
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 1, 1000), 8192.0 * 42 * 1000, 0);
}
END_TEST

START_TEST(gpt_oss_counts_windowed_layers_from_layer_types)
{
    const struct arch *a = preset("gpt-oss-20b");
    ck_assert_int_eq(a->windowed_layers, 12);
    ck_assert_int_eq(a->sliding_window, 128);
}
END_TEST

START_TEST(pipeline_stages_hold_their_share_of_layers)
{
    const struct arch *a = preset("llama-3-8b");
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 2, 1000), 131072.0 * 1000 / 2, 1e-15);
    /* 32 layers over 3 stages: the largest stage has 11 */
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 3, 1000), 4096.0 * 11 * 1000, 1e-15);
}
END_TEST

/* A config of tests/data/model-configs-decoders.json (config, or the trimmed partial_config). */
static struct arch decoder(const char *name)
{
    json_error_t je;
    json_t *all = json_load_file(TEST_DATA_DIR "/model-configs-decoders.json", 0, &je);
    ck_assert_msg(all != NULL, "%s", je.text);
    size_t i;
    json_t *m;
    struct arch a;
    memset(&a, 0, sizeof(a));
    bool found = false;
    json_array_foreach(all, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) != 0)
            continue;
        const json_t *cfg = json_object_get(m, "config");
        if (!json_is_object(cfg))
            cfg = json_object_get(m, "partial_config");
        struct error_info err = {0};
        ck_assert_msg(arch_from_hf_config(cfg, "hf_config", &a, &err) == 0, "%s", err.message);
        found = true;
    }
    json_decref(all);
    ck_assert_msg(found, "%s missing", name);
    return a;
}

/*
 * Per-token KV of one model per decoder family, as vLLM's kv_cache_interface page sizes give
 * it (2 bytes, K and V per KV head for attention; one latent for MLA). Where the research data
 * holds a vLLM v0.19.0 log (llm-d-planner, H100), available_kv_cache_gib x 2^30 / tokens agrees:
 * phi-4 46.08 GiB / 241,568 = 204,800; Mistral-Small-3.1 28.19 GiB / 184,752 = 163,840;
 * Llama-4-Scout at TP4 16.75 GiB / 365,968 = 49,146 (49,152 per GPU: vLLM sizes chunked layers
 * per token like full ones and reports tokens at that size).
 */
START_TEST(decoder_families_match_vllm_per_token_kv)
{
    struct arch a = decoder("phi-4");
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 40 * 10 * 128 * 2 * 2.0, 0);
    a = decoder("Mistral-Small-3.1-24B-Instruct-2503 (excerpt)");
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 163840.0, 0);
    a = decoder("Llama-4-Scout-17B-16E-Instruct");
    ck_assert_rel(kv_bytes_per_token(&a, 2, 4), 49152.0, 0);
    a = decoder("Kimi-K2-Instruct"); /* MLA: 61 x (512 + 64) x 2 */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 70272.0, 0);
    a = decoder("GLM-4.7 (refs/pr/49 branch)"); /* 92 x 8 x 128 x 2 x 2 */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 376832.0, 0);
    a = decoder("Qwen3-235B-A22B"); /* 94 x 4 x 128 x 2 x 2 */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 192512.0, 0);
    a = decoder("gemma-3-4b-it (mlx-community bf16 copy)"); /* 34 x 4 x 256 x 2 x 2 */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 139264.0, 0);
    a = decoder("granite-3.1-1b-a400m-instruct"); /* 24 x 8 x 64 x 2 x 2 */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 49152.0, 0);
    a = decoder("gpt-j-6b"); /* MHA: 28 x 16 x 256 x 2 x 2 */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 458752.0, 0);
}
END_TEST

START_TEST(deepseek_v32_adds_the_indexer_key_cache)
{
    /* 61 x (576 x 2 bytes of MLA latent + 128 fp8 indexer key + 4-byte scale per 128) */
    struct arch a = decoder("DeepSeek-V3.2");
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 61 * (1152.0 + 132), 0);
    ck_assert_rel(kv_bytes_per_token(&a, 1, 8), 61 * (576.0 + 132), 0); /* fp8 latent, any TP */
}
END_TEST

START_TEST(llama4_chunked_layers_stop_growing_at_the_chunk)
{
    /* 48 layers: 12 NoPE (global) keep every token, 36 chunked keep at most 8192. */
    struct arch a = decoder("Llama-4-Scout-17B-16E-Instruct");
    ck_assert_int_eq(a.chunked_layers, 36);
    double per = kv_layer_bytes_per_token(&a, 2, 1);
    ck_assert_rel(kv_seq_bytes(&a, 2, 1, 1, 4096), 48 * 4096 * per, 1e-12);
    ck_assert_rel(kv_seq_bytes(&a, 2, 1, 1, 100000), (12 * 100000.0 + 36 * 8192.0) * per, 1e-12);
}
END_TEST

START_TEST(max_ctx_is_the_longest_that_fits)
{
    const struct arch *a = preset("llama-3-8b");
    double budget = 131072.0 * 5000 + 10;
    ck_assert_rel(kv_max_ctx(a, 2, 1, 1, budget, 1e7), 5000, 0);
    ck_assert_rel(kv_max_ctx(a, 2, 1, 1, budget, 4096), 4096, 0);
    ck_assert_rel(kv_max_ctx(a, 2, 1, 1, 100, 4096), 0, 0);
}
END_TEST

/*
 * The real configs of the state-space families, read from tests/data/model-configs-stacks.json
 * (each entry names where its text comes from).
 */
static struct arch stack_config(const char *name)
{
    json_error_t je;
    json_t *doc = json_load_file(TEST_DATA_DIR "/model-configs-stacks.json", 0, &je);
    ck_assert_msg(doc != NULL, "model-configs-stacks.json: %s", je.text);
    size_t i;
    json_t *m;
    const json_t *cfg = NULL;
    json_array_foreach(json_object_get(doc, "models"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            cfg = json_object_get(m, "config");
    }
    ck_assert_msg(cfg != NULL, "%s missing from the stacks fixture", name);
    struct arch a;
    struct error_info err = {0};
    ck_assert_msg(arch_from_hf_config(cfg, "hf_config", &a, &err) == 0, "%s: %s", name,
                  err.message);
    json_decref(doc);
    return a;
}

/*
 * Per-sequence state against vLLM's arithmetic (vllm/model_executor/layers/mamba/mamba_utils.py
 * MambaStateShapeCalculator, commit 02d710837549; vllm/v1/kv_cache_interface.py
 * MambaSpec.page_size_bytes = sum(prod(shape) * dtype size)), on the real configs.
 */
START_TEST(qwen3_next_gdn_state_matches_vllm_gated_delta_net_state_shape)
{
    struct arch a = stack_config("Qwen3-Next-80B-A3B-Thinking");
    /* gated_delta_net_state_shape: conv (conv_kernel - 1 = 3, 128*16*2 + 128*32 = 8192) bf16 +
     * temporal (32 value heads, 128, 128) bf16 (no mamba_ssm_cache_dtype: the model dtype) */
    ck_assert_rel(kv_state_layer_bytes(&a, 1), 3 * 8192 * 2 + 32 * 128 * 128 * 2.0, 0);
    /* tp 4: (3, 8192/4) + (8, 128, 128) */
    ck_assert_rel(kv_state_layer_bytes(&a, 4), 3 * 2048 * 2 + 8 * 128 * 128 * 2.0, 0);
    /* full_attention_interval 4: 36 state layers per sequence; KV only on the 12 attention layers
     * (FullAttentionSpec: K and V x 2 KV heads x head_dim 256 x 2 bytes per token per layer) */
    ck_assert_rel(kv_fixed_seq_bytes(&a, 2, 1, 1, 0), 36 * 1097728.0, 0);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 12 * 2 * 2 * 256 * 2.0, 0);
}
END_TEST

START_TEST(nemotron_h_mamba2_state_is_fp32_and_replicates_groups_over_tp)
{
    /* NVIDIA-Nemotron-3-Nano-30B-A3B: mamba_ssm_cache_dtype float32 in its config. */
    struct arch a = stack_config("NVIDIA-Nemotron-3-Nano-30B-A3B-BF16");
    /* mamba2_state_shape: conv (3, 64 heads x 64 + 2 x 8 groups x 128 = 6144) bf16 + ssm (64, 64,
     * 128) fp32 */
    ck_assert_rel(kv_state_layer_bytes(&a, 1), 3 * 6144 * 2 + 64 * 64 * 128 * 4.0, 0);
    /* tp 16 > n_groups 8: groups padded to 16, then split: (3, (4096 + 2*16*128)/16) */
    ck_assert_rel(kv_state_layer_bytes(&a, 16), 3 * 512 * 2 + 4 * 64 * 128 * 4.0, 0);
    ck_assert_int_eq(a.state_layers, 23);      /* 'M' letters of hybrid_override_pattern */
    ck_assert_int_eq(arch_attn_layers(&a), 6); /* '*' letters */
    /* 6 attention layers x (K + V) x 2 KV heads x 128 x 2 bytes */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 6 * 2 * 2 * 128 * 2.0, 0);
}
END_TEST

START_TEST(falcon_mamba_7b_state_is_conv_plus_ssm_and_has_no_kv)
{
    struct arch m = stack_config("falcon-mamba-7b");
    /* mamba1_state_shape: conv (intermediate_size 8192, conv_kernel 4 - 1) + ssm (8192,
     * state_size 16), in the config's torch_dtype bfloat16 */
    ck_assert_rel(kv_state_layer_bytes(&m, 1), (8192 * 3 + 8192 * 16) * 2.0, 0);
    ck_assert_int_eq(m.state_layers, 64);
    ck_assert_rel(kv_bytes_per_token(&m, 2, 1), 0, 0);
}
END_TEST

START_TEST(mamba_2_8b_state_is_conv_plus_ssm_and_has_no_kv)
{
    struct arch m = stack_config("mamba-2.8b-hf");
    ck_assert_int_eq(m.state_layers, 64);
    ck_assert_rel(kv_bytes_per_token(&m, 2, 1), 0, 0);
    /* conv (5120, 3) + ssm (5120, 16) per layer. The config says torch_dtype float32, which vLLM
     * serves in 16 bits by default (--dtype auto), so the state is 2 bytes an element, not 4. */
    ck_assert_rel(kv_state_layer_bytes(&m, 1), (5120 * 3 + 5120 * 16) * 2.0, 0);
}
END_TEST

START_TEST(jamba_1_5_mini_keeps_kv_on_its_attention_layers_only)
{
    struct arch j = stack_config("AI21-Jamba-1.5-Mini");
    /* attn_layer_period 8, offset 4: layers 4, 12, 20, 28 */
    ck_assert_int_eq(arch_attn_layers(&j), 4);
    /* expert_layer_period 2, offset 1: the odd layers */
    ck_assert_int_eq(arch_moe_layers(&j), 16);
    ck_assert_int_eq(j.state_layers, 28);
    /* 4 layers x (K + V) x 8 KV heads x (4096 / 32) x 2 bytes */
    ck_assert_rel(kv_bytes_per_token(&j, 2, 1), 4 * 2 * 8 * 128 * 2.0, 0);
}
END_TEST

START_TEST(switch_cross_attention_kv_is_fixed_at_the_encoder_length)
{
    const struct arch *a = preset("switch-base-128");
    /* decoder self-attention: 12 layers x (K + V) x 12 heads x 64 x 2 bytes per token */
    ck_assert_rel(kv_bytes_per_token(a, 2, 1), 36864.0, 0);
    /* cross-attention: the same per encoder token, once per sequence */
    ck_assert_rel(kv_fixed_seq_bytes(a, 2, 1, 1, 512), 36864.0 * 512, 0);
    ck_assert_rel(kv_seq_bytes(a, 2, 1, 1, 100), 36864.0 * 100, 0);
}
END_TEST

/*
 * The dense and hybrid families of issue 11 on their real configs
 * (tests/data/model-configs-dense.json; Qwen3.5 in tests/data/preset-configs.json). Attention
 * layers as vLLM's FullAttentionSpec / SlidingWindowSpec page them (vllm/v1/kv_cache_interface.py:
 * page_size_bytes = 2 (K and V) x block_size x num_kv_heads x head_size x dtype size, per layer;
 * heads split over TP), state layers as MambaSpec (above).
 */
static struct arch dense_config(const char *name)
{
    static const char *const files[] = {TEST_DATA_DIR "/model-configs-dense.json",
                                        TEST_DATA_DIR "/preset-configs.json"};
    struct arch a;
    memset(&a, 0, sizeof(a));
    bool found = false;
    for (int f = 0; f < 2 && !found; f++) {
        json_error_t je;
        json_t *doc = json_load_file(files[f], 0, &je);
        ck_assert_msg(doc != NULL, "%s: %s", files[f], je.text);
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(doc, "configs"), i, m)
        {
            if (strcmp(json_string_value(json_object_get(m, "name")), name) != 0)
                continue;
            const json_t *cfg = json_object_get(m, "config");
            if (!json_is_object(cfg)) /* a trimmed copy */
                cfg = json_object_get(m, "partial_config");
            struct error_info err = {0};
            ck_assert_msg(arch_from_hf_config(cfg, "hf_config", &a, &err) == 0, "%s: %s", name,
                          err.message);
            found = true;
        }
        json_decref(doc);
    }
    ck_assert_msg(found, "%s missing", name);
    return a;
}

START_TEST(qwen3_5_state_is_fp32_from_mamba_ssm_dtype)
{
    /* vLLM's Qwen3_5ForConditionalGenerationConfig hook (vllm/model_executor/models/config.py)
     * sets mamba_ssm_cache_dtype from the text config's mamba_ssm_dtype "float32". */
    struct arch a = dense_config("Qwen3.5-27B");
    ck_assert_int_eq(a.state_ssm_bytes, 4);
    /* conv (3, 128 x 16 x 2 + 128 x 48 = 10240) bf16 + temporal (48, 128, 128) fp32 */
    ck_assert_rel(kv_state_layer_bytes(&a, 1), 3 * 10240 * 2 + 48 * 128 * 128 * 4.0, 0);
    /* tp 8: (3, 1280) + (6, 128, 128) */
    ck_assert_rel(kv_state_layer_bytes(&a, 8), 3 * 1280 * 2 + 6 * 128 * 128 * 4.0, 0);
    ck_assert_int_eq(a.state_layers, 48);
    /* 16 full-attention layers x (K + V) x 4 KV heads x 256 x 2 bytes */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 16 * 2 * 4 * 256 * 2.0, 0);
    a = dense_config("Qwen3.5-397B-A17B");
    /* conv (3, 4096 + 64 x 128 = 12288) bf16 + temporal (64, 128, 128) fp32, 45 of 60 layers */
    ck_assert_rel(kv_fixed_seq_bytes(&a, 2, 1, 1, 0), 45 * (3 * 12288 * 2 + 64 * 128 * 128 * 4.0),
                  0);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 15 * 2 * 2 * 256 * 2.0, 0);
}
END_TEST

START_TEST(nemotron_nas_caches_only_its_attention_blocks)
{
    struct arch a = dense_config("Llama-3_3-Nemotron-Super-49B-v1");
    /* 49 of 80 blocks have attention, each 64 / n_heads_in_group 8 = 8 KV heads of 128 */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 49 * 2 * 8 * 128 * 2.0, 0);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 8), 49 * 2 * 1 * 128 * 2.0, 0);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 16), 49 * 2 * 1 * 128 * 2.0, 0); /* replicated */
    ck_assert_rel(kv_seq_bytes(&a, 2, 1, 1, 1000), 49 * 2 * 8 * 128 * 2.0 * 1000, 1e-15);
}
END_TEST

START_TEST(windowed_dense_families_stop_growing_at_the_window)
{
    /* EXAONE-4.0-32B: 64 layers x 8 KV heads x 128, sliding_window_pattern 4: 48 local (4096) */
    struct arch a = dense_config("EXAONE-4.0-32B");
    double per = 2 * 8 * 128 * 2.0;
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 64 * per, 0);
    ck_assert_rel(kv_seq_bytes(&a, 2, 1, 1, 32768), per * (16 * 32768.0 + 48 * 4096.0), 1e-15);
    /* StarCoder2-7B: every one of 32 layers windowed at 4096, 4 KV heads x 128 */
    a = dense_config("starcoder2-7b");
    ck_assert_int_eq(a.windowed_layers, 32);
    ck_assert_rel(kv_seq_bytes(&a, 2, 1, 1, 16384), 32 * 2 * 4 * 128 * 2.0 * 4096, 1e-15);
    /* Aya-23-8B (cohere): 32 layers x 8 KV heads x 128, no window */
    a = dense_config("aya-23-8B");
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 32 * 2 * 8 * 128 * 2.0, 0);
}
END_TEST

START_TEST(granite_hybrid_state_is_mamba2_in_the_model_dtype)
{
    /* granite-4.0-h-350m: no state dtype in the config and no vLLM hook setting one
     * (GraniteMoeHybridModelConfig only sets the CUDA-graph length): the model's 16 bits. */
    struct arch a = dense_config("granite-4.0-h-350m (trimmed mlx-community copy)");
    /* mamba2_state_shape: conv (3, 48 x 32 + 2 x 1 x 128 = 1792) + ssm (48, 32, 128), bf16 */
    ck_assert_rel(kv_state_layer_bytes(&a, 1), 3 * 1792 * 2 + 48 * 32 * 128 * 2.0, 0);
    /* tp 2: one group replicated to 2 -> conv (3, (1536 + 2 x 2 x 128) / 2 = 1024), (24, 32, 128)
     */
    ck_assert_rel(kv_state_layer_bytes(&a, 2), 3 * 1024 * 2 + 24 * 32 * 128 * 2.0, 0);
    ck_assert_rel(kv_fixed_seq_bytes(&a, 2, 1, 1, 0), 28 * (3 * 1792 * 2 + 48 * 32 * 128 * 2.0), 0);
    /* 4 attention layers x (K + V) x 4 KV heads x 64 x 2 bytes */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 4 * 2 * 4 * 64 * 2.0, 0);
    /* Seed-OSS-36B: 64 layers x 8 KV heads x 128 */
    a = dense_config("Seed-OSS-36B-Instruct (trimmed mlx-community copy)");
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 64 * 2 * 8 * 128 * 2.0, 0);
}
END_TEST

Suite *kv_suite(void)
{
    Suite *s = suite_create("kv");
    TCase *tc = tcase_create("kv");
    tcase_add_test(tc, llama3_8b_is_131072_bytes_per_token_in_bf16);
    tcase_add_test(tc, deepseek_v2_lite_mla_is_31104_bytes_per_token_in_bf16);
    tcase_add_test(tc, deepseek_v3_mla_is_70272_bytes_per_token_and_ignores_tp);
    tcase_add_test(tc, gqa_heads_split_over_tp_and_replicate_beyond_kv_heads);
    tcase_add_test(tc, fp8_cache_halves_the_bytes);
    tcase_add_test(tc, gemma2_windowed_layers_stop_growing_at_the_window);
    tcase_add_test(tc, gpt_oss_counts_windowed_layers_from_layer_types);
    tcase_add_test(tc, pipeline_stages_hold_their_share_of_layers);
    tcase_add_test(tc, max_ctx_is_the_longest_that_fits);
    tcase_add_test(tc, decoder_families_match_vllm_per_token_kv);
    tcase_add_test(tc, deepseek_v32_adds_the_indexer_key_cache);
    tcase_add_test(tc, llama4_chunked_layers_stop_growing_at_the_chunk);
    tcase_add_test(tc, qwen3_next_gdn_state_matches_vllm_gated_delta_net_state_shape);
    tcase_add_test(tc, nemotron_h_mamba2_state_is_fp32_and_replicates_groups_over_tp);
    tcase_add_test(tc, falcon_mamba_7b_state_is_conv_plus_ssm_and_has_no_kv);
    tcase_add_test(tc, mamba_2_8b_state_is_conv_plus_ssm_and_has_no_kv);
    tcase_add_test(tc, jamba_1_5_mini_keeps_kv_on_its_attention_layers_only);
    tcase_add_test(tc, switch_cross_attention_kv_is_fixed_at_the_encoder_length);
    tcase_add_test(tc, qwen3_5_state_is_fp32_from_mamba_ssm_dtype);
    tcase_add_test(tc, nemotron_nas_caches_only_its_attention_blocks);
    tcase_add_test(tc, windowed_dense_families_stop_growing_at_the_window);
    tcase_add_test(tc, granite_hybrid_state_is_mamba2_in_the_model_dtype);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(kv_suite)
