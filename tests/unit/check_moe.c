/* check_moe.c - the MoE decoder families of issue 11 (moe block): counts, KV and state, refusals.
 */
#include "support/check_util.h"

#include <errno.h>
#include <string.h>

#include "model/arch.h"
#include "model/kv.h"
#include "model/params.h"

/*
 * The real configs: Hunyuan-A13B in tests/data/model-configs-moe.json, MiniMax-M1 in
 * model-configs-2026.json, MiniMax-M2.5 in preset-configs.json (each entry cites its source and
 * its model card). A file is a list of entries or an object with "configs".
 */
static json_t *real_config(const char *file, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, file);
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    ck_assert_msg(doc != NULL, "%s: %s", file, je.text);
    const json_t *list = json_is_array(doc) ? doc : json_object_get(doc, "configs");
    size_t i;
    const json_t *m;
    json_t *cfg = NULL;
    json_array_foreach(list, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            cfg = json_deep_copy(json_object_get(m, "config"));
    }
    json_decref(doc);
    ck_assert_msg(cfg != NULL, "%s missing from %s", name, file);
    return cfg;
}

static struct arch decode_config(json_t *cfg)
{
    struct arch a;
    struct error_info err = {0};
    ck_assert_msg(arch_from_hf_config(cfg, "hf_config", &a, &err) == 0, "%s", err.message);
    return a;
}

static struct arch real_arch(const char *file, const char *name)
{
    json_t *cfg = real_config(file, name);
    struct arch a = decode_config(cfg);
    json_decref(cfg);
    return a;
}

#define MOE_FILE  "model-configs-moe.json"
#define F2026     "model-configs-2026.json"
#define PRESETS_F "preset-configs.json"

/*
 * Official totals within 1%, active within 5%, in the convention each card uses:
 *   MiniMax-M1 "456B total, 45.9B activated per token" and MiniMax-M2(.5) "230B total, 10B active"
 *   count the active parameters without the input embedding and the LM head (counted: 45.94B and
 *   9.80B; with them 48.40B and 11.03B);
 *   Hunyuan-A13B "80B total, 13B active" counts the (tied) embedding in.
 */
enum active_kind { WITH_EMBEDDING, WITHOUT_EMBEDDING_AND_HEAD };

static const struct {
    const char *file, *name;
    double total_b, active_b;
    enum active_kind kind;
} official[] = {
    {F2026, "MiniMax-M1", 456, 45.9, WITHOUT_EMBEDDING_AND_HEAD},
    {PRESETS_F, "MiniMax-M2.5", 230, 10, WITHOUT_EMBEDDING_AND_HEAD},
    {MOE_FILE, "Hunyuan-A13B-Instruct", 80, 13, WITH_EMBEDDING},
};

START_TEST(real_configs_reproduce_their_official_counts)
{
    struct arch a = real_arch(official[_i].file, official[_i].name);
    struct params p;
    params_count(&a, &p);
    double total = p.total / 1e9;
    double active = official[_i].kind == WITH_EMBEDDING
                        ? p.active / 1e9
                        : (p.active - p.embedding - p.lm_head) / 1e9;
    ck_assert_msg(fabs(total - official[_i].total_b) <= 0.01 * official[_i].total_b,
                  "%s total %.4f B, official %g B", official[_i].name, total, official[_i].total_b);
    ck_assert_msg(fabs(active - official[_i].active_b) <= 0.05 * official[_i].active_b,
                  "%s active %.4f B, official %g B", official[_i].name, active,
                  official[_i].active_b);
}
END_TEST

/*
 * MiniMax-M1: attn_type_list holds 70 zeros (lightning attention) and 10 ones (softmax, every 8th
 * layer). KV per token against vLLM (minimax_text_01.py MiniMaxText01Attention -> Attention, a
 * FullAttentionSpec: 2 x num_kv_heads x head_size x dtype bytes per layer): 10 x 2 x 8 x 128 x 2
 * = 40,960 bytes. Per-sequence state against vLLM (MiniMaxText01LinearAttention is a MambaBase;
 * mamba_utils.py MambaStateShapeCalculator.linear_attention_state_shape = (num_heads // tp,
 * head_dim, head_dim), MambaStateDtypeCalculator.linear_attention_state_dtype = the model dtype
 * with mamba_cache_dtype "auto", bf16 here): 64 x 128 x 128 x 2 = 2,097,152 bytes per layer,
 * x 70 layers = 146,800,640 bytes (140 MiB) per sequence at TP 1.
 */
START_TEST(minimax_m1_keeps_kv_on_10_layers_and_lightning_state_on_70)
{
    struct arch a = real_arch(F2026, "MiniMax-M1");
    ck_assert_int_eq(a.state, ARCH_STATE_LIGHTNING);
    ck_assert_int_eq(a.state_layers, 70);
    ck_assert_int_eq(arch_attn_layers(&a), 10);
    ck_assert_int_eq(arch_moe_layers(&a), 80);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 10 * 2 * 8 * 128 * 2.0, 0);
    ck_assert_rel(kv_state_layer_bytes(&a, 1), 64 * 128 * 128 * 2.0, 0);
    ck_assert_rel(kv_fixed_seq_bytes(&a, 2, 1, 1, 0), 70 * 2097152.0, 0);
    /* TP 8: heads split, 8 per rank; KV heads 8 / 8 = 1 per rank */
    ck_assert_rel(kv_state_layer_bytes(&a, 8), 8 * 128 * 128 * 2.0, 0);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 8), 10 * 2 * 1 * 128 * 2.0, 0);
    /* the state does not grow with the context: only the 10 softmax layers do */
    ck_assert_rel(kv_seq_bytes(&a, 2, 1, 1, 1000), 40960.0 * 1000, 0);
    json_t *j = arch_to_json(&a);
    const json_t *st = json_object_get(j, "state");
    ck_assert_str_eq(json_string_value(json_object_get(st, "kind")), "lightning");
    ck_assert_int_eq(json_integer_value(json_object_get(st, "attention_layers")), 10);
    json_decref(j);
}
END_TEST

/*
 * Lightning attention layer by hand (vLLM MiniMaxText01LinearAttention): qkv_proj 6144 x 3 x 8192,
 * output_gate 6144 x 8192, RMSNorm 8192, out_proj 8192 x 6144 (inner = 64 heads x 128).
 */
START_TEST(minimax_m1_lightning_layers_count_their_projections_by_hand)
{
    struct arch a = real_arch(F2026, "MiniMax-M1");
    struct params p;
    params_count(&a, &p);
    double h = 6144, in = 8192;
    ck_assert_rel(p.state_mixers, 70 * (h * 3 * in + h * in + in + in * h), 0);
    /* softmax layers: q 6144 x 8192, k and v 6144 x 1024, o 8192 x 6144 */
    ck_assert_rel(p.attention, 10 * (h * in + 2 * h * 1024 + in * h), 0);
    /* 32 experts of 3 x 6144 x 9216 in each of the 80 layers */
    ck_assert_rel(p.routed_experts, 80 * 32 * 3 * h * 9216, 0);
}
END_TEST

/*
 * MiniMax-M2.5: every layer full attention; KV against vLLM (minimax_m2.py MiniMaxM2Attention ->
 * Attention): 62 layers x 2 x 8 KV heads x 128 x 2 bytes = 253,952 bytes per token. Per-layer q/k
 * norms span the whole projections (q_norm 48 x 128 = 6144, k_norm 8 x 128 = 1024 weights), the
 * router has an e_score_correction_bias (use_routing_bias).
 */
START_TEST(minimax_m2_norms_the_whole_q_and_k_projections)
{
    struct arch a = real_arch(PRESETS_F, "MiniMax-M2.5");
    ck_assert(a.qk_norm_full && !a.qk_norm);
    ck_assert(a.router_score_bias);
    ck_assert_int_eq(a.mtp_layers, 0); /* num_mtp_modules: not loaded by vLLM, not in the 230B */
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 253952.0, 0);
    struct params p;
    params_count(&a, &p);
    double h = 3072, q = 48 * 128, kv = 8 * 128;
    ck_assert_rel(p.attention, 62 * (h * q + 2 * h * kv + q * h + q + kv), 0);
    ck_assert_rel(p.routers, 62 * (h * 256 + 256), 0);
}
END_TEST

/*
 * Hunyuan-A13B: 32 layers x 2 x 8 KV heads x 128 x 2 bytes = 131,072 bytes per token (vLLM
 * hunyuan_v1.py: use_cla false, every layer a HunYuanAttention with its own cache). One shared MLP
 * of 3 x 4096 x 3072 per layer beside 64 experts of the same size; tied embedding.
 */
START_TEST(hunyuan_a13b_reads_per_layer_lists_and_its_shared_mlp)
{
    struct arch a = real_arch(MOE_FILE, "Hunyuan-A13B-Instruct");
    ck_assert_int_eq(a.experts_per_token, 8);
    ck_assert_int_eq(a.moe_intermediate, 3072);
    ck_assert_int_eq(a.head_dim, 128);
    ck_assert(a.qk_norm && a.tied_embeddings);
    ck_assert_int_eq(a.kv_share, 0);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 131072.0, 0);
    struct params p;
    params_count(&a, &p);
    ck_assert_rel(p.shared_experts, 32 * 3 * 4096 * 3072.0, 0);
    ck_assert_rel(p.lm_head, 0, 0);
}
END_TEST

/*
 * Cross-layer attention (use_cla, Hunyuan-Large's cla_share_factor 2). No Hunyuan-Large config
 * was found, so A13B's real config with use_cla switched on shows the rule: vLLM hunyuan_v1.py
 * makes layer i % cla_share_factor != 0 a HunYuanCrossAttention (q_proj and o_proj only) that
 * attends to the K/V the layer before it computed, so 16 of the 32 layers project K/V and only
 * their K/V is stored per token.
 */
START_TEST(hunyuan_cla_halves_the_kv_cache_and_the_kv_projections)
{
    json_t *cfg = real_config(MOE_FILE, "Hunyuan-A13B-Instruct");
    struct arch plain = decode_config(cfg);
    json_object_set_new(cfg, "use_cla", json_true());
    struct arch cla = decode_config(cfg);
    json_decref(cfg);
    ck_assert_int_eq(cla.kv_share, 2);
    ck_assert_int_eq(arch_kv_layers(&cla), 16);
    ck_assert_rel(kv_bytes_per_token(&cla, 2, 1), 16 * 2 * 8 * 128 * 2.0, 0);
    ck_assert_rel(kv_seq_bytes(&cla, 2, 1, 1, 1000), 65536.0 * 1000, 0);
    struct params pp, pc;
    params_count(&plain, &pp);
    params_count(&cla, &pc);
    ck_assert_rel(pp.attention - pc.attention, 16 * 2 * 4096 * 1024.0, 0);
    json_t *j = arch_to_json(&cla);
    const json_t *x = json_object_get(j, "cross_layer_attention");
    ck_assert_int_eq(json_integer_value(json_object_get(x, "share_factor")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(x, "kv_layers")), 16);
    json_decref(j);
    j = arch_to_json(&plain);
    ck_assert_ptr_null(json_object_get(j, "cross_layer_attention"));
    json_decref(j);
}
END_TEST

/* HunYuanConfig: "First moe_layer_num_skipped layers do not use MoE" (A13B: 0). */
START_TEST(hunyuan_skipped_layers_get_a_dense_mlp)
{
    json_t *cfg = real_config(MOE_FILE, "Hunyuan-A13B-Instruct");
    struct arch a = decode_config(cfg);
    ck_assert_int_eq(arch_moe_layers(&a), 32);
    json_object_set_new(cfg, "moe_layer_num_skipped", json_integer(2));
    struct arch b = decode_config(cfg);
    json_decref(cfg);
    ck_assert_int_eq(arch_moe_layers(&b), 30);
    ck_assert(!arch_layer_is_moe(&b, 1) && arch_layer_is_moe(&b, 2));
    struct params p;
    params_count(&b, &p);
    ck_assert_rel(p.dense_mlp, 2 * 3 * 4096 * 3072.0, 0);
}
END_TEST

START_TEST(hunyuan_per_layer_lists_must_agree)
{
    json_t *cfg = real_config(MOE_FILE, "Hunyuan-A13B-Instruct");
    json_array_set_new(json_object_get(cfg, "moe_topk"), 5, json_integer(2));
    struct arch a;
    struct error_info err = {0};
    ck_assert_int_eq(arch_from_hf_config(cfg, "hf_config", &a, &err), -EINVAL);
    ck_assert_int_eq(err.status, 422);
    ck_assert_str_eq(err.field, "hf_config.moe_topk");
    json_decref(cfg);
}
END_TEST

START_TEST(minimax_attn_type_list_must_cover_every_layer)
{
    json_t *cfg = real_config(F2026, "MiniMax-M1");
    json_array_remove(json_object_get(cfg, "attn_type_list"), 0);
    struct arch a;
    struct error_info err = {0};
    ck_assert_int_eq(arch_from_hf_config(cfg, "hf_config", &a, &err), -EINVAL);
    ck_assert_str_eq(err.field, "hf_config.attn_type_list");
    json_decref(cfg);
}
END_TEST

/* The transformers spelling of Hunyuan's model_type runs the same class; both rows decode. */
START_TEST(hunyuan_v1_moe_spelling_decodes_the_same)
{
    json_t *cfg = real_config(MOE_FILE, "Hunyuan-A13B-Instruct");
    json_object_set_new(cfg, "model_type", json_string("hunyuan_v1_moe"));
    struct arch a = decode_config(cfg);
    json_decref(cfg);
    ck_assert_str_eq(a.model_type, "hunyuan_v1_moe");
    struct arch b = real_arch(MOE_FILE, "Hunyuan-A13B-Instruct");
    struct params pa, pb;
    params_count(&a, &pa);
    params_count(&b, &pb);
    ck_assert_rel(pa.total, pb.total, 0);
}
END_TEST

/*
 * OLMoE, Phi-3.5-MoE, Arctic and ERNIE-4.5: no verbatim config.json of a released checkpoint was
 * found in the reference data (so no preset). Their rules are checked on the configuration
 * classes' own defaults, which transformers fills in for absent keys: {"model_type": "phimoe"} is
 * PhimoeConfig() (Phi-3.5-MoE-instruct's shape), {"model_type": "ernie4_5_moe"} is
 * Ernie4_5_MoeConfig() ("the ERNIE-4.5-21B-A3B style configuration"); OlmoeConfig() and
 * ArcticConfig() are generic shapes and are only counted by hand.
 */
static struct arch defaults_of(const char *model_type, const char *extra)
{
    char text[256];
    snprintf(text, sizeof(text), "{\"model_type\": \"%s\"%s}", model_type, extra);
    json_error_t je;
    json_t *cfg = json_loads(text, 0, &je);
    ck_assert_msg(cfg != NULL, "%s", je.text);
    struct arch a = decode_config(cfg);
    json_decref(cfg);
    return a;
}

/*
 * OlmoeConfig(): 16 layers of MHA 16 x 128 (vLLM olmoe.py: Attention with 16 KV heads: 16 x 2 x 16
 * x 128 x 2 = 131,072 bytes per token), q_norm and k_norm RMSNorms over the whole 2048-wide
 * projections (OlmoeAttention), 64 experts of 3 x 2048 x 2048, top 8, untied head.
 */
START_TEST(olmoe_norms_the_whole_q_and_k_projections)
{
    struct arch a = defaults_of("olmoe", "");
    ck_assert(a.qk_norm_full && !a.qk_norm);
    ck_assert_int_eq(a.kv_heads, 16);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 131072.0, 0);
    struct params p;
    params_count(&a, &p);
    double h = 2048;
    ck_assert_rel(p.attention, 16 * (4 * h * h + 2 * h), 0);
    ck_assert_rel(p.routed_experts, 16 * 64 * 3 * h * h, 0);
    ck_assert_rel(p.total,
                  2 * 50304 * h + 16 * (4 * h * h + 2 * h) + 16 * 64 * 3 * h * h + 16 * h * 64 +
                      (16 * 2 + 1) * h,
                  0);
}
END_TEST

/*
 * PhimoeConfig() (Phi-3.5-MoE-instruct: "16x3.8B parameters with 6.6B active parameters when
 * using 2 experts", model card): LayerNorms with weight and bias, 16 experts of 3 x 4096 x 6400,
 * GQA 32 / 8 x 128 (vLLM phimoe.py: 32 x 2 x 8 x 128 x 2 = 131,072 bytes per token).
 */
START_TEST(phimoe_counts_layernorm_biases_and_its_lm_head_bias)
{
    struct arch a = defaults_of("phimoe", "");
    struct params p;
    params_count(&a, &p);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 131072.0, 0);
    ck_assert_rel(p.norms, (32 * 2 + 1) * 2 * 4096.0, 0);
    /* embedding and head 2 x 32064 x 4096, attention 32 x (2 x 4096^2 + 2 x 4096 x 1024), experts
     * 32 x 16 x 3 x 4096 x 6400, routers 32 x 4096 x 16, LayerNorms 65 x 2 x 4096 */
    ck_assert_rel(p.total,
                  2 * 32064 * 4096.0 + 32 * (2 * 4096 * 4096.0 + 2 * 4096 * 1024.0) +
                      32 * 16 * 3 * 4096 * 6400.0 + 32 * 4096 * 16.0 + 65 * 2 * 4096.0,
                  0);
    ck_assert_msg(fabs(p.active / 1e9 - 6.6) <= 0.05 * 6.6, "active %.4f", p.active / 1e9);
    struct arch b = defaults_of("phimoe", ", \"lm_head_bias\": true, \"attention_bias\": true");
    struct params q;
    params_count(&b, &q);
    ck_assert_rel(q.lm_head - p.lm_head, 32064, 0);
    ck_assert_rel(q.attention - p.attention, 32 * (4096 + 2 * 1024 + 4096.0), 0);
}
END_TEST

/*
 * ArcticConfig(): MoE on layers (i + 1) % moe_layer_frequency 2 == 0 (vLLM arctic.py), dense MLPs
 * of intermediate_size 14336 elsewhere. use_residual (Snowflake Arctic's config sets it) adds the
 * dense residual MLP beside the experts: ArcticMLP(is_residual_mlp=True) is hidden x hidden wide,
 * with its residual_layernorm, on every MoE layer.
 */
START_TEST(arctic_adds_a_hidden_wide_residual_mlp_beside_the_experts)
{
    struct arch a = defaults_of("arctic", "");
    ck_assert_int_eq(arch_moe_layers(&a), 16);
    ck_assert(!arch_layer_is_moe(&a, 0) && arch_layer_is_moe(&a, 1));
    struct params p;
    params_count(&a, &p);
    ck_assert_rel(p.dense_mlp, 16 * 3 * 4096 * 14336.0, 0);
    ck_assert_rel(p.shared_experts, 0, 0);
    struct arch r = defaults_of("arctic", ", \"use_residual\": true");
    struct params q;
    params_count(&r, &q);
    ck_assert_int_eq(r.norms_per_layer, 3);
    ck_assert_rel(q.shared_experts, 16 * 3 * 4096 * 4096.0, 0);
    ck_assert_rel(q.active - p.active, q.shared_experts + 32 * 4096.0, 0); /* + the norms */
}
END_TEST

/*
 * Ernie4_5_MoeConfig() = ERNIE-4.5-21B-A3B: layer 0 dense (moe_layer_start_index 1), 27 MoE layers
 * of 64 experts of 1536 top 6 plus a shared MLP of 1536 x 2, router e_score_correction_bias (vLLM
 * ernie45_moe.py), tied 103,424 x 2560 embedding. The card's "21B total, 3B activated"
 * (transformers docs: "21B total, 3B active") is a size name; active counts without the embedding.
 * KV (vLLM): 28 x 2 x 4 KV heads x 128 x 2 = 57,344 bytes per token.
 */
START_TEST(ernie_defaults_are_the_21b_a3b_and_count_21b_3b)
{
    struct arch a = defaults_of("ernie4_5_moe", "");
    ck_assert_int_eq(arch_moe_layers(&a), 27);
    ck_assert(!arch_layer_is_moe(&a, 0) && arch_layer_is_moe(&a, 27));
    ck_assert_int_eq(a.n_shared_experts, 2);
    ck_assert(a.tied_embeddings && a.router_score_bias);
    ck_assert_rel(kv_bytes_per_token(&a, 2, 1), 57344.0, 0);
    struct params p;
    params_count(&a, &p);
    ck_assert_msg(fabs(p.total / 1e9 - 21) <= 0.05 * 21, "total %.4f", p.total / 1e9);
    ck_assert_msg(fabs(p.active_excl_embedding / 1e9 - 3) <= 0.05 * 3, "active %.4f",
                  p.active_excl_embedding / 1e9);
    /* moe_layer_interval 2 and an end index: MoE where (i + 1) % 2 == 0 and 1 <= i <= 9 */
    struct arch b = defaults_of("ernie4_5_moe", ", \"moe_layer_interval\": 2, "
                                                "\"moe_layer_end_index\": 9");
    ck_assert_int_eq(arch_moe_layers(&b), 5); /* layers 1, 3, 5, 7, 9 */
    ck_assert(arch_layer_is_moe(&b, 9) && !arch_layer_is_moe(&b, 11));
}
END_TEST

Suite *moe_suite(void)
{
    Suite *s = suite_create("moe");
    TCase *tc = tcase_create("families");
    tcase_add_loop_test(tc, real_configs_reproduce_their_official_counts, 0,
                        (int)(sizeof(official) / sizeof(official[0])));
    tcase_add_test(tc, minimax_m1_keeps_kv_on_10_layers_and_lightning_state_on_70);
    tcase_add_test(tc, minimax_m1_lightning_layers_count_their_projections_by_hand);
    tcase_add_test(tc, minimax_m2_norms_the_whole_q_and_k_projections);
    tcase_add_test(tc, hunyuan_a13b_reads_per_layer_lists_and_its_shared_mlp);
    tcase_add_test(tc, hunyuan_cla_halves_the_kv_cache_and_the_kv_projections);
    tcase_add_test(tc, hunyuan_skipped_layers_get_a_dense_mlp);
    tcase_add_test(tc, hunyuan_per_layer_lists_must_agree);
    tcase_add_test(tc, minimax_attn_type_list_must_cover_every_layer);
    tcase_add_test(tc, hunyuan_v1_moe_spelling_decodes_the_same);
    tcase_add_test(tc, olmoe_norms_the_whole_q_and_k_projections);
    tcase_add_test(tc, phimoe_counts_layernorm_biases_and_its_lm_head_bias);
    tcase_add_test(tc, arctic_adds_a_hidden_wide_residual_mlp_beside_the_experts);
    tcase_add_test(tc, ernie_defaults_are_the_21b_a3b_and_count_21b_3b);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(moe_suite)
