/* arch.c - decodes Hugging Face config.json objects into struct arch, one model family at a time.
 */
#include "model/arch.h"

#include "base/fields.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/*
 * Families share a decoder; a row says how the family differs. Values come from the modeling code
 * in transformers (and the original remote code for falcon/RW, dbrx, grok-1): which projections
 * carry biases, how many norms a block has, whether the LM head is tied when the config is silent.
 * This table is the only place a model_type's traits live: the decoders read rows, never
 * model_type strings.
 */
enum family {
    FAM_LLAMA,    /* llama, mistral, mixtral, phi3, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma... */
    FAM_DEEPSEEK, /* deepseek_v2, deepseek_v3: MLA + shared experts */
    FAM_FALCON,   /* falcon, RefinedWeb, RefinedWebModel */
    FAM_GPT2,
    FAM_DBRX,
    FAM_GPT_OSS,
    FAM_GPTJ, /* gptj: parallel block, one LayerNorm, rotary, biased MLP and LM head */
    /* MoE families (issue 11, moe block). */
    FAM_MINIMAX, /* minimax_m1, minimax_m2: Mixtral-style experts; M1 lightning-attention layers */
    /* Encoder-decoder and hybrid-state families (issue 11, arch2 block). */
    FAM_T5,         /* t5, switch_transformers: encoder + decoder with cross-attention */
    FAM_QWEN3_NEXT, /* qwen3_next: Gated DeltaNet layers + gated attention every k-th layer */
    FAM_NEMOTRON_H, /* nemotron_h: Mamba-2 / attention / MLP / MoE layers by pattern */
    FAM_MAMBA,      /* mamba, falcon_mamba: Mamba-1 only */
    FAM_JAMBA,      /* jamba: Mamba-1 + attention every k-th layer, MoE every k-th layer */
    /* Dense and hybrid families (issue 11, dense block). */
    FAM_NEMOTRON_NAS,   /* nemotron-nas (DeciLM): per-layer block_configs */
    FAM_GRANITE_HYBRID, /* granitemoehybrid: Mamba-2 / attention by layer_types, MoE + shared */
};

/* Where a llama-like family reads its experts (the other families' decoders read their own). */
enum moe_layout {
    MOE_NONE,    /* dense, or the family decoder reads experts itself (deepseek, dbrx, gpt_oss) */
    MOE_MIXTRAL, /* num_local_experts (grok-1: num_experts); each expert is intermediate_size */
    MOE_QWEN,    /* num_experts, moe_intermediate_size, decoder_sparse_step, mlp_only_layers */
    MOE_LLAMA4,  /* num_local_experts of intermediate_size + one shared expert of the same width,
                    every interleave_moe_layer_step-th layer; dense layers intermediate_size_mlp */
    MOE_GLM,     /* DeepSeek's keys on a GQA model: n_routed_experts, n_shared_experts,
                    first_k_dense_replace, e_score_correction_bias (glm4_moe) */
    /* MoE families (issue 11, moe block). */
    MOE_ARCTIC,  /* num_local_experts of intermediate_size every moe_layer_frequency-th layer, plus
                    (use_residual) a dense residual MLP of hidden_size beside them */
    MOE_HUNYUAN, /* num_experts, moe_topk, moe_intermediate_size, num_shared_expert (int or per
                    layer list), shared MLP of intermediate_size x num_shared_expert; use_cla */
    MOE_ERNIE,   /* moe_num_experts, moe_k, moe_intermediate_size, moe_num_shared_experts,
                    moe_layer_start_index / end_index / interval, moe_use_aux_free */
};

/* Which layers a config's sliding_window covers when the config has no layer_types list. */
enum window_layout {
    WINDOW_OPT_IN,    /* qwen2 rule: only with use_sliding_window, layers >= max_window_layers */
    WINDOW_ALL,       /* every layer (mistral-style) */
    WINDOW_ALTERNATE, /* local/global alternate, local first (gemma2, gpt_oss) */
    WINDOW_PATTERN,   /* every sliding_window_pattern-th layer global, the others local (gemma3,
                         cohere2: layer i is local when (i + 1) % pattern != 0) */
};

/* A config-class default for a key the config may omit (transformers fills it on load). */
struct int_default {
    const char *key;
    int64_t value;
};

struct family_row {
    const char *model_type;
    const char *alias; /* a second spelling seen in configs, decoded as model_type; or NULL */
    enum family fam;
    enum arch_mlp mlp;
    enum arch_norm norm;
    int norms_per_layer;
    bool tied_default; /* tie_word_embeddings when the config omits it (the config class default) */
    bool qkv_bias;     /* hard-coded in the modeling code (qwen2 family) */
    bool qk_norm;
    enum moe_layout moe;
    bool shared_gate; /* qwen2_moe's sigmoid shared_expert_gate */
    enum window_layout window;
    bool mtp; /* reads num_nextn_predict_layers (DeepSeek-V3 multi-token prediction blocks) */
    /* Issue 11: dispatch, nested configs, defaults and the newer families' traits. */
    const char *archs[2];    /* `architectures` class names vLLM registers for this row */
    const char *text_type;   /* nested: the row decoding text_config when it has no model_type */
    enum arch_vision vision; /* nested: the tower vision_config describes */
    const struct int_default *defaults; /* config-class defaults, NULL-key terminated */
    bool qk_norm_opt; /* use_qk_norm (default false) switches the row's qk_norm on (glm4_moe) */
    bool no_o_bias;   /* attention_bias biases q/k/v only, never o_proj (glm4_moe) */
    bool chunked;     /* llama4: attention_chunk_size on the RoPE layers */
    bool indexer;     /* deepseek_v32 lightning indexer */
    /* Dense block of issue 11. */
    bool parallel; /* one input norm; attention and MLP read it in parallel (cohere) */
    bool use_bias; /* use_bias (default true) biases q/k/v/o and the MLP (starcoder2) */
    /* MoE families (issue 11, moe block). */
    bool qk_norm_full;     /* q/k norms over the whole projection (olmoe; minimax_m2 with the
                              qk_norm_opt switch use_qk_norm) */
    bool lm_head_bias_opt; /* lm_head_bias (default false) gives the LM head a bias (phimoe) */
};

/*
 * Config-class defaults the sparse configs rely on. Gemma3TextConfig.__init__ (transformers
 * models/gemma3/configuration_gemma3.py): vocab_size 262208, hidden_size 2304, intermediate_size
 * 9216, num_hidden_layers 26, num_attention_heads 8, num_key_value_heads 4, head_dim 256,
 * max_position_embeddings 131072, sliding_window 4096, sliding_window_pattern 6.
 */
static const struct int_default gemma3_defaults[] = {
    {"vocab_size", 262208},
    {"hidden_size", 2304},
    {"intermediate_size", 9216},
    {"num_hidden_layers", 26},
    {"num_attention_heads", 8},
    {"num_key_value_heads", 4},
    {"head_dim", 256},
    {"max_position_embeddings", 131072},
    {"sliding_window", 4096},
    {"sliding_window_pattern", 6},
    {NULL, 0},
};

/*
 * Llama4TextConfig.__init__ (transformers models/llama4/configuration_llama4.py):
 * intermediate_size_mlp 16384, interleave_moe_layer_step 1, attention_chunk_size 8192,
 * no_rope_layer_interval 4 (every 4th layer is NoPE/global), num_experts_per_tok 1; the trimmed
 * copies of the Scout/Maverick configs lack no_rope_layers.
 */
static const struct int_default llama4_defaults[] = {
    {"intermediate_size_mlp", 16384}, {"interleave_moe_layer_step", 1},
    {"attention_chunk_size", 8192},   {"no_rope_layer_interval", 4},
    {"num_experts_per_tok", 1},       {NULL, 0},
};

/* SiglipVisionConfig / PixtralVisionConfig defaults (transformers siglip, pixtral configs). */
static const struct int_default siglip_defaults[] = {
    {"hidden_size", 768},
    {"intermediate_size", 3072},
    {"num_hidden_layers", 12},
    {"num_channels", 3},
    {"image_size", 224},
    {"patch_size", 16},
    {NULL, 0},
};
static const struct int_default pixtral_defaults[] = {
    {"hidden_size", 1024},
    {"intermediate_size", 4096},
    {"num_hidden_layers", 24},
    {"num_channels", 3},
    {"image_size", 1024},
    {"patch_size", 16},
    {NULL, 0},
};

/*
 * Qwen3_5TextConfig / Qwen3_5VisionConfig (transformers models/qwen3_5/configuration_qwen3_5.py):
 * the text model's and the vision tower's defaults.
 */
static const struct int_default qwen3_5_text_defaults[] = {
    {"vocab_size", 248320},
    {"hidden_size", 4096},
    {"intermediate_size", 12288},
    {"num_hidden_layers", 32},
    {"num_attention_heads", 16},
    {"num_key_value_heads", 4},
    {"head_dim", 256},
    {"linear_conv_kernel_dim", 4},
    {"linear_key_head_dim", 128},
    {"linear_value_head_dim", 128},
    {"linear_num_key_heads", 16},
    {"linear_num_value_heads", 32},
    {"max_position_embeddings", 32768},
    {NULL, 0},
};
/* Qwen3_5MoeTextConfig (models/qwen3_5_moe/configuration_qwen3_5_moe.py): every layer is MoE and
 * the class has no intermediate_size (no dense MLP), hence the 0. */
static const struct int_default qwen3_5_moe_text_defaults[] = {
    {"vocab_size", 248320},
    {"hidden_size", 2048},
    {"intermediate_size", 0},
    {"num_hidden_layers", 40},
    {"num_attention_heads", 16},
    {"num_key_value_heads", 2},
    {"head_dim", 256},
    {"linear_conv_kernel_dim", 4},
    {"linear_key_head_dim", 128},
    {"linear_value_head_dim", 128},
    {"linear_num_key_heads", 16},
    {"linear_num_value_heads", 32},
    {"moe_intermediate_size", 512},
    {"shared_expert_intermediate_size", 512},
    {"num_experts_per_tok", 8},
    {"num_experts", 256},
    {"max_position_embeddings", 32768},
    {NULL, 0},
};
static const struct int_default qwen3vl_defaults[] = {
    {"depth", 27},
    {"hidden_size", 1152},
    {"intermediate_size", 4304},
    {"in_channels", 3},
    {"patch_size", 16},
    {"spatial_merge_size", 2},
    {"temporal_patch_size", 2},
    {"out_hidden_size", 3584},
    {"num_position_embeddings", 2304},
    {NULL, 0},
};

/*
 * MoE families (issue 11, moe block). PhimoeConfig.__init__ (transformers
 * models/phimoe/configuration_phimoe.py; Phi-3.5-MoE-instruct's shape) and
 * Ernie4_5_MoeConfig.__init__ (models/ernie4_5_moe/configuration_ernie4_5_moe.py: "the
 * ERNIE-4.5-21B-A3B style configuration"); the decoders hold the remaining defaults
 * (moe_num_shared_experts 2, moe_layer_start_index 1, moe_layer_end_index -1, moe_layer_interval
 * 1).
 */
/*
 * OlmoeConfig.__init__ (models/olmoe/configuration_olmoe.py) and ArcticConfig.__init__ (Snowflake's
 * configuration_arctic.py as vLLM transformers_utils/configs/arctic.py copies it); neither is the
 * released model's shape (OLMoE-1B-7B's experts are 1024 wide, Arctic has 35 layers of 128).
 */
static const struct int_default olmoe_defaults[] = {
    {"vocab_size", 50304},     {"hidden_size", 2048},       {"intermediate_size", 2048},
    {"num_hidden_layers", 16}, {"num_attention_heads", 16}, {"max_position_embeddings", 4096},
    {"num_experts", 64},       {"num_experts_per_tok", 8},  {NULL, 0},
};
static const struct int_default arctic_defaults[] = {
    {"vocab_size", 32000},        {"hidden_size", 4096},
    {"intermediate_size", 14336}, {"num_hidden_layers", 32},
    {"num_attention_heads", 32},  {"max_position_embeddings", 4096},
    {"num_local_experts", 8},     {"num_experts_per_tok", 1},
    {"moe_layer_frequency", 2},   {NULL, 0},
};
static const struct int_default phimoe_defaults[] = {
    {"vocab_size", 32064},
    {"hidden_size", 4096},
    {"intermediate_size", 6400},
    {"num_hidden_layers", 32},
    {"num_attention_heads", 32},
    {"num_key_value_heads", 8},
    {"num_local_experts", 16},
    {"num_experts_per_tok", 2},
    {"max_position_embeddings", 131072},
    {NULL, 0},
};
static const struct int_default ernie4_5_moe_defaults[] = {
    {"vocab_size", 103424},
    {"hidden_size", 2560},
    {"intermediate_size", 12288},
    {"num_hidden_layers", 28},
    {"num_attention_heads", 20},
    {"num_key_value_heads", 4},
    {"moe_num_experts", 64},
    {"moe_k", 6},
    {"moe_intermediate_size", 1536},
    {"max_position_embeddings", 131072},
    {NULL, 0},
};

/* The common shapes; a row adds what differs (norms per block: 2 pre-norms, 4 sandwich). */
#define LLAMA_LIKE .fam = FAM_LLAMA, .mlp = ARCH_MLP_GATED, .norm = ARCH_NORM_RMS
#define FALCON_LIKE                                                                                \
    .fam = FAM_FALCON, .mlp = ARCH_MLP_PLAIN, .norm = ARCH_NORM_LAYER, .norms_per_layer = 2,       \
    .tied_default = true

static const struct family_row families[] = {
    {.model_type = "llama",
     .archs = {"LlamaForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .window = WINDOW_ALL},
    {.model_type = "mistral",
     .archs = {"MistralForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .window = WINDOW_ALL},
    {.model_type = "mixtral",
     .archs = {"MixtralForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .moe = MOE_MIXTRAL,
     .window = WINDOW_ALL},
    {.model_type = "phi3",
     .archs = {"Phi3ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .window = WINDOW_ALL},
    {.model_type = "qwen2",
     .archs = {"Qwen2ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .qkv_bias = true},
    {.model_type = "qwen2_moe",
     .archs = {"Qwen2MoeForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .qkv_bias = true,
     .moe = MOE_QWEN,
     .shared_gate = true},
    {.model_type = "qwen3",
     .archs = {"Qwen3ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .qk_norm = true},
    {.model_type = "qwen3_moe",
     .archs = {"Qwen3MoeForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .qk_norm = true,
     .moe = MOE_QWEN},
    {.model_type = "gemma",
     .archs = {"GemmaForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .tied_default = true},
    {.model_type = "gemma2",
     .archs = {"Gemma2ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 4, /* sandwich norms */
     .tied_default = true,
     .window = WINDOW_ALTERNATE},
    {.model_type = "grok-1",
     .archs = {"Grok1ModelForCausalLM", "Grok1ForCausalLM"},
     .alias = "grok1",
     LLAMA_LIKE,
     .norms_per_layer = 4,
     .tied_default = true,
     .moe = MOE_MIXTRAL},
    {.model_type = "deepseek_v2",
     .archs = {"DeepseekV2ForCausalLM"},
     .fam = FAM_DEEPSEEK,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2},
    {.model_type = "deepseek_v3",
     .archs = {"DeepseekV3ForCausalLM"},
     .fam = FAM_DEEPSEEK,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .mtp = true},
    {.model_type = "falcon", .archs = {"FalconForCausalLM"}, FALCON_LIKE},
    {.model_type = "RefinedWeb", .archs = {"RWForCausalLM"}, FALCON_LIKE},
    {.model_type = "RefinedWebModel", .archs = {"RWForCausalLM"}, FALCON_LIKE},
    {.model_type = "gpt2",
     .archs = {"GPT2LMHeadModel"},
     .fam = FAM_GPT2,
     .mlp = ARCH_MLP_PLAIN,
     .norm = ARCH_NORM_LAYER,
     .norms_per_layer = 2,
     .tied_default = true,
     .qkv_bias = true},
    {.model_type = "dbrx",
     .archs = {"DbrxForCausalLM"},
     .fam = FAM_DBRX,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_LAYER_NOBIAS,
     .norms_per_layer = 2},
    {.model_type = "gpt_oss",
     .archs = {"GptOssForCausalLM"},
     .fam = FAM_GPT_OSS,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .qkv_bias = true,
     .window = WINDOW_ALTERNATE},
    /* Issue 11: decoder-only families (MoE and dense), nested multimodal configs. */
    {.model_type = "llama4",
     .archs = {"Llama4ForConditionalGeneration"},
     LLAMA_LIKE,
     .text_type = "llama4_text"},
    {.model_type = "llama4_text",
     .archs = {"Llama4ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .moe = MOE_LLAMA4,
     .chunked = true,
     .defaults = llama4_defaults},
    {.model_type = "kimi_k2",
     .archs = {"DeepseekV3ForCausalLM"},
     .fam = FAM_DEEPSEEK,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .mtp = true},
    {.model_type = "deepseek_v32",
     .archs = {"DeepseekV32ForCausalLM"},
     .fam = FAM_DEEPSEEK,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .mtp = true,
     .indexer = true},
    {.model_type = "glm4_moe",
     .archs = {"Glm4MoeForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .qk_norm = true,
     .qk_norm_opt = true,
     .no_o_bias = true,
     .moe = MOE_GLM,
     .mtp = true},
    {.model_type = "gemma3",
     .archs = {"Gemma3ForConditionalGeneration"},
     LLAMA_LIKE,
     .text_type = "gemma3_text",
     .vision = ARCH_VISION_SIGLIP},
    {.model_type = "gemma3_text",
     .archs = {"Gemma3ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 4, /* sandwich norms */
     .tied_default = true,
     .qk_norm = true,
     .window = WINDOW_PATTERN,
     .defaults = gemma3_defaults},
    {.model_type = "mistral3",
     .archs = {"Mistral3ForConditionalGeneration"},
     LLAMA_LIKE,
     .text_type = "mistral",
     .vision = ARCH_VISION_PIXTRAL},
    {.model_type = "granitemoe", /* fused input_linear = gate and up: the same count */
     .archs = {"GraniteMoeForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .moe = MOE_MIXTRAL},
    {.model_type = "gptj",
     .archs = {"GPTJForCausalLM"},
     .fam = FAM_GPTJ,
     .mlp = ARCH_MLP_PLAIN,
     .norm = ARCH_NORM_LAYER,
     .norms_per_layer = 1},
    /* MoE families (issue 11, moe block). Sources: transformers' modeling_olmoe / modeling_phimoe
     * / modeling_hunyuan_v1_moe / modeling_ernie4_5_moe, the remote code of arctic and minimax,
     * and vLLM's olmoe.py / phimoe.py / arctic.py / hunyuan_v1.py / minimax_text_01.py /
     * minimax_m2.py / ernie45_moe.py. */
    {.model_type = "olmoe", /* q_norm over heads x head_dim, k_norm over kv_heads x head_dim */
     .archs = {"OlmoeForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .moe = MOE_MIXTRAL,
     .qk_norm_full = true,
     .defaults = olmoe_defaults},
    {.model_type = "phimoe", /* LayerNorm with bias; attention_bias on q/k/v/o; lm_head_bias */
     .archs = {"PhiMoEForCausalLM", "PhimoeForCausalLM"},
     .fam = FAM_LLAMA,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_LAYER,
     .norms_per_layer = 2,
     .moe = MOE_MIXTRAL,
     .window = WINDOW_ALL,
     .lm_head_bias_opt = true,
     .defaults = phimoe_defaults},
    {.model_type = "arctic",
     .archs = {"ArcticForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2, /* + residual_layernorm with use_residual (decoder) */
     .moe = MOE_ARCTIC,
     .defaults = arctic_defaults},
    {.model_type = "hunyuan", /* Hunyuan-A13B's remote code (the same class as hunyuan_v1_moe) */
     .archs = {"HunYuanMoEV1ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .qk_norm = true, /* query_layernorm / key_layernorm per head, with use_qk_norm */
     .qk_norm_opt = true,
     .moe = MOE_HUNYUAN},
    {.model_type = "hunyuan_v1_moe",
     .archs = {"HunYuanMoEV1ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .qk_norm = true, /* query_layernorm / key_layernorm per head, with use_qk_norm */
     .qk_norm_opt = true,
     .moe = MOE_HUNYUAN},
    {.model_type = "minimax_m1",
     .archs = {"MiniMaxM1ForCausalLM", "MiniMaxText01ForCausalLM"},
     .fam = FAM_MINIMAX,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .moe = MOE_MIXTRAL},
    {.model_type = "minimax_m2",
     .archs = {"MiniMaxM2ForCausalLM"},
     .fam = FAM_MINIMAX,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .moe = MOE_MIXTRAL,
     .qk_norm_opt = true,
     .qk_norm_full = true},
    {.model_type = "ernie4_5_moe",
     .archs = {"Ernie4_5_MoeForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .tied_default = true,
     .moe = MOE_ERNIE,
     .mtp = true,
     .defaults = ernie4_5_moe_defaults},
    /* Encoder-decoder and hybrid-state families (issue 11, arch2 block). Sources: transformers'
     * modeling_t5 / modeling_switch_transformers / modeling_qwen3_next / modeling_nemotron_h /
     * modeling_mamba / modeling_falcon_mamba / modeling_jamba and their config-class defaults. */
    {.model_type = "t5",
     .archs = {"T5ForConditionalGeneration"},
     .fam = FAM_T5,
     .mlp = ARCH_MLP_PLAIN,
     .norm = ARCH_NORM_LAYER_NOBIAS, /* T5LayerNorm: a scale, no bias, no mean */
     .norms_per_layer = 3,           /* decoder block: self-attn, cross-attn, FF */
     .tied_default = true},
    {.model_type = "switch_transformers",
     .archs = {"SwitchTransformersForConditionalGeneration"},
     .fam = FAM_T5,
     .mlp = ARCH_MLP_PLAIN,
     .norm = ARCH_NORM_LAYER_NOBIAS,
     .norms_per_layer = 3,
     .tied_default = true},
    {.model_type = "qwen3_next",
     .archs = {"Qwen3NextForCausalLM"},
     .fam = FAM_QWEN3_NEXT,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .qk_norm = true,
     .moe = MOE_QWEN,
     .shared_gate = true},
    {.model_type = "nemotron_h",
     .archs = {"NemotronHForCausalLM"},
     .fam = FAM_NEMOTRON_H,
     .mlp = ARCH_MLP_PLAIN, /* relu2, up + down */
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 1}, /* one norm per block: each block is one mixer or one MLP */
    {.model_type = "mamba",
     .archs = {"MambaForCausalLM"},
     .fam = FAM_MAMBA,
     .mlp = ARCH_MLP_PLAIN,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 1,
     .tied_default = true},
    {.model_type = "falcon_mamba",
     .archs = {"FalconMambaForCausalLM"},
     .fam = FAM_MAMBA,
     .mlp = ARCH_MLP_PLAIN,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 1,
     .tied_default = true},
    {.model_type = "jamba",
     .archs = {"JambaForCausalLM"},
     .fam = FAM_JAMBA,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2},
    /* Dense and hybrid families (issue 11, dense block). Sources: transformers' modeling_cohere,
     * modeling_cohere2, modeling_starcoder2, modeling_exaone4, modeling_seed_oss,
     * modeling_granitemoehybrid, modeling_qwen3_5 / modeling_qwen3_5_moe and their config
     * classes; vLLM's nemotron_nas.py for DeciLM (remote code in the checkpoints). */
    {.model_type = "cohere", /* Command-R: LayerNorm without bias, parallel block, tied */
     .archs = {"CohereForCausalLM"},
     .fam = FAM_LLAMA,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_LAYER_NOBIAS,
     .norms_per_layer = 1,
     .tied_default = true,
     .parallel = true},
    {.model_type = "cohere2", /* Command-R7B, Command-A: cohere + 3 local : 1 global layers */
     .archs = {"Cohere2ForCausalLM"},
     .fam = FAM_LLAMA,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_LAYER_NOBIAS,
     .norms_per_layer = 1,
     .tied_default = true,
     .parallel = true,
     .window = WINDOW_PATTERN},
    {.model_type = "starcoder2", /* plain MLP, LayerNorm with bias, biases everywhere */
     .archs = {"Starcoder2ForCausalLM"},
     .fam = FAM_LLAMA,
     .mlp = ARCH_MLP_PLAIN,
     .norm = ARCH_NORM_LAYER,
     .norms_per_layer = 2,
     .tied_default = true,
     .use_bias = true,
     .window = WINDOW_ALL},
    {.model_type = "exaone4", /* post-norms after attention and MLP, q/k RMSNorm, LLLG layers */
     .archs = {"Exaone4ForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2,
     .qk_norm = true,
     .window = WINDOW_PATTERN},
    {.model_type = "seed_oss", /* attention_bias on q/k/v, attention_out_bias on o */
     .archs = {"SeedOssForCausalLM"},
     LLAMA_LIKE,
     .norms_per_layer = 2},
    {.model_type = "nemotron-nas",
     .archs = {"DeciLMForCausalLM"},
     .fam = FAM_NEMOTRON_NAS,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2},
    {.model_type = "granitemoehybrid",
     .archs = {"GraniteMoeHybridForCausalLM"},
     .fam = FAM_GRANITE_HYBRID,
     .mlp = ARCH_MLP_GATED, /* fused input_linear = gate and up */
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2},
    {.model_type = "qwen3_5", /* nested: text_config qwen3_5_text, Qwen3-VL vision tower */
     .archs = {"Qwen3_5ForConditionalGeneration"},
     LLAMA_LIKE,
     .text_type = "qwen3_5_text",
     .vision = ARCH_VISION_QWEN3VL},
    {.model_type = "qwen3_5_text", /* Gated DeltaNet + gated attention, dense MLP */
     .archs = {"Qwen3_5ForCausalLM"},
     .fam = FAM_QWEN3_NEXT,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .qk_norm = true,
     .defaults = qwen3_5_text_defaults},
    {.model_type = "qwen3_5_moe",
     .archs = {"Qwen3_5MoeForConditionalGeneration"},
     LLAMA_LIKE,
     .text_type = "qwen3_5_moe_text",
     .vision = ARCH_VISION_QWEN3VL},
    {.model_type = "qwen3_5_moe_text", /* qwen3_next's layout: experts + gated shared expert */
     .archs = {"Qwen3_5MoeForCausalLM"},
     .fam = FAM_QWEN3_NEXT,
     .mlp = ARCH_MLP_GATED,
     .norm = ARCH_NORM_RMS,
     .norms_per_layer = 2,
     .qk_norm = true,
     .moe = MOE_QWEN,
     .shared_gate = true,
     .defaults = qwen3_5_moe_text_defaults},
};

#undef LLAMA_LIKE
#undef FALCON_LIKE

#define N_FAMILIES (sizeof(families) / sizeof(families[0]))

/* Collects every missing field so one 422 names them all. */
struct reader {
    const json_t *cfg;
    const char *prefix;
    char missing[200];
    struct error_info *err;
    int rc;                             /* first hard error (wrong type / range) */
    const struct int_default *defaults; /* the config class's defaults for absent keys, or NULL */
};

static void note_missing(struct reader *r, const char *name)
{
    size_t n = strlen(r->missing);
    snprintf(r->missing + n, sizeof(r->missing) - n, "%s%s", n ? ", " : "", name);
}

static const json_t *lookup(const json_t *obj, const char *key)
{
    /* "a.b" reads a nested object (dbrx's attn_config / ffn_config). */
    const char *dot = strchr(key, '.');
    if (dot == NULL)
        return json_object_get(obj, key);
    char head[64];
    size_t n = (size_t)(dot - key);
    if (n >= sizeof(head))
        return NULL;
    memcpy(head, key, n);
    head[n] = '\0';
    const json_t *sub = json_object_get(obj, head);
    return json_is_object(sub) ? json_object_get(sub, dot + 1) : NULL;
}

/*
 * The config class's default for an absent key (transformers fills it when it loads the config):
 * true and *out set when the row's defaults name one of the "|"-separated alternatives. A key
 * present as null is not absent (Mistral's "sliding_window": null means no window).
 */
static bool get_default(struct reader *r, const char *alts, int64_t *out)
{
    if (r->defaults == NULL)
        return false;
    char buf[160];
    snprintf(buf, sizeof(buf), "%s", alts);
    char *save = NULL;
    for (char *k = strtok_r(buf, "|", &save); k; k = strtok_r(NULL, "|", &save)) {
        if (lookup(r->cfg, k) != NULL)
            return false;
        for (const struct int_default *d = r->defaults; d->key; d++)
            if (strcmp(d->key, k) == 0) {
                *out = d->value;
                return true;
            }
    }
    return false;
}

/*
 * Reads the first present, non-null key of the "|"-separated alternatives as an integer in
 * [min, max]. Returns true when found. Absent: false (the caller decides whether that is missing).
 */
static bool get_int(struct reader *r, const char *alts, long long min, long long max, int64_t *out)
{
    char buf[160];
    snprintf(buf, sizeof(buf), "%s", alts);
    char *save = NULL;
    for (char *k = strtok_r(buf, "|", &save); k; k = strtok_r(NULL, "|", &save)) {
        const json_t *v = lookup(r->cfg, k);
        if (v == NULL || json_is_null(v))
            continue;
        double d = json_is_integer(v) ? (double)json_integer_value(v)
                   : json_is_real(v)  ? json_real_value(v)
                                      : NAN;
        if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max) {
            if (r->rc == 0)
                r->rc =
                    error_set(r->err, 422, "invalid_field", "",
                              "%s%s must be an integer in [%lld, %lld]", r->prefix, k, min, max);
            if (r->err)
                snprintf(r->err->field, sizeof(r->err->field), "%s%s", r->prefix, k);
            return false;
        }
        *out = (int64_t)d;
        return true;
    }
    return get_default(r, alts, out);
}

static void need_int(struct reader *r, const char *alts, long long min, long long max, int64_t *out)
{
    if (!get_int(r, alts, min, max, out) && r->rc == 0) {
        /* Name the canonical (first) spelling. */
        char first[64];
        snprintf(first, sizeof(first), "%s", alts);
        char *bar = strchr(first, '|');
        if (bar)
            *bar = '\0';
        note_missing(r, first);
    }
}

static bool get_bool(struct reader *r, const char *key, bool dflt)
{
    const json_t *v = lookup(r->cfg, key);
    if (json_is_boolean(v))
        return json_is_true(v);
    return dflt;
}

static const struct family_row *find_family(const char *model_type)
{
    for (size_t i = 0; i < N_FAMILIES; i++)
        if (strcmp(families[i].model_type, model_type) == 0 ||
            (families[i].alias && strcmp(families[i].alias, model_type) == 0))
            return &families[i];
    return NULL;
}

static bool row_lists_arch(const struct family_row *f, const char *name)
{
    for (size_t j = 0; j < sizeof(f->archs) / sizeof(f->archs[0]); j++)
        if (f->archs[j] && strcmp(f->archs[j], name) == 0)
            return true;
    return false;
}

/* The first row registering one of the config's `architectures` (in their order), or NULL. */
static const struct family_row *find_by_arch(const json_t *archs, const char **matched)
{
    size_t i;
    const json_t *v;
    json_array_foreach(archs, i, v)
    {
        if (!json_is_string(v))
            continue;
        for (size_t k = 0; k < N_FAMILIES; k++)
            if (row_lists_arch(&families[k], json_string_value(v))) {
                *matched = json_string_value(v);
                return &families[k];
            }
    }
    return NULL;
}

/*
 * vLLM picks the implementation by `architectures`; model_type is the fallback (switch
 * transformers and older files have no architectures, grok-1's has no model_type). Several rows
 * may register the same class (kimi_k2 and deepseek_v3 both run DeepseekV3ForCausalLM): then the
 * row model_type names wins, as it is the more specific of the two.
 */
static const struct family_row *resolve_family(const json_t *cfg)
{
    const json_t *mt = json_object_get(cfg, "model_type");
    const struct family_row *by_type =
        json_is_string(mt) ? find_family(json_string_value(mt)) : NULL;
    const char *matched = NULL;
    const struct family_row *by_arch =
        find_by_arch(json_object_get(cfg, "architectures"), &matched);
    if (by_arch == NULL)
        return by_type;
    if (by_type && row_lists_arch(by_type, matched))
        return by_type;
    return by_arch;
}

/* The supported model_type nearest to name (by its model_type or one of its architectures). */
static const char *closest_family(const char *name)
{
    const char *best = families[0].model_type;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < N_FAMILIES; i++) {
        const struct family_row *f = &families[i];
        size_t d = fields_edit_distance(name, f->model_type, true);
        for (size_t j = 0; j < sizeof(f->archs) / sizeof(f->archs[0]); j++)
            if (f->archs[j] && fields_edit_distance(name, f->archs[j], true) < d)
                d = fields_edit_distance(name, f->archs[j], true);
        if (d < best_d) {
            best_d = d;
            best = f->model_type;
        }
    }
    return best;
}

static void supported_list(char *dst, size_t n)
{
    dst[0] = '\0';
    for (size_t i = 0; i < N_FAMILIES; i++) {
        size_t len = strlen(dst);
        snprintf(dst + len, n - len, "%s%s", i ? ", " : "", families[i].model_type);
    }
}

/*
 * Exaone4Config's string sliding_window_pattern: layer i is local when the pattern's character
 * i % len is 'L'; the last layer is always global (the config class's docstring).
 */
static int64_t string_pattern_local_layers(const char *pat, int64_t layers)
{
    size_t len = strlen(pat);
    int64_t n = 0;
    for (int64_t i = 0; len > 0 && i + 1 < layers; i++)
        n += pat[(size_t)i % len] == 'L';
    return n;
}

/* Sliding window: which layers keep only the last `sliding_window` tokens. */
static void decode_window(struct reader *r, const struct family_row *f, struct arch *a)
{
    int64_t w = 0;
    if (!get_int(r, "sliding_window", 1, ARCH_MAX_POSITIONS, &w))
        return;
    const json_t *types = json_object_get(r->cfg, "layer_types");
    if (json_is_array(types)) {
        int64_t n = 0;
        size_t i;
        const json_t *t;
        json_array_foreach(types, i, t)
        {
            if (json_is_string(t) && strcmp(json_string_value(t), "sliding_attention") == 0)
                n++;
        }
        a->sliding_window = w;
        a->windowed_layers = n < a->layers ? n : a->layers;
        return;
    }
    switch (f->window) {
    case WINDOW_ALTERNATE:
        /* Alternating local/global layers, local first (Gemma2DecoderLayer: not layer_idx % 2). */
        a->sliding_window = w;
        a->windowed_layers = (a->layers + 1) / 2;
        return;
    case WINDOW_ALL:
        a->sliding_window = w;
        a->windowed_layers = a->layers;
        return;
    case WINDOW_PATTERN: {
        const json_t *pat = lookup(r->cfg, "sliding_window_pattern");
        if (json_is_string(pat)) { /* exaone4 "LLLG" */
            a->sliding_window = w;
            a->windowed_layers = string_pattern_local_layers(json_string_value(pat), a->layers);
            return;
        }
        int64_t every = 0;
        if (!get_int(r, "sliding_window_pattern|_sliding_window_pattern", 1, ARCH_MAX_LAYERS,
                     &every))
            return; /* no pattern and no layer_types: the window's layers are unknown */
        a->sliding_window = w;
        a->windowed_layers = a->layers - a->layers / every;
        return;
    }
    case WINDOW_OPT_IN:
        break;
    }
    /* qwen2 family: only with use_sliding_window, and only layers >= max_window_layers. */
    if (get_bool(r, "use_sliding_window", false)) {
        int64_t mwl = 0;
        get_int(r, "max_window_layers", 0, ARCH_MAX_LAYERS, &mwl);
        if (mwl < a->layers) {
            a->sliding_window = w;
            a->windowed_layers = a->layers - mwl;
        }
    }
}

/* qwen mlp_only_layers: layer indices forced dense (each in [0, layers)). */
static void read_dense_list(struct reader *r, const char *key, struct arch *a)
{
    const json_t *only = json_object_get(r->cfg, key);
    size_t i;
    const json_t *v;
    json_array_foreach(only, i, v)
    {
        json_int_t l = json_is_integer(v) ? json_integer_value(v) : -1;
        if (l < 0 || l >= a->layers || l >= ARCH_MAX_LAYERS) {
            if (r->rc == 0)
                r->rc = error_set(r->err, 422, "invalid_field", "",
                                  "%s%s must list layer indices in [0, num_hidden_layers)",
                                  r->prefix, key);
            if (r->err)
                snprintf(r->err->field, sizeof(r->err->field), "%s%s", r->prefix, key);
            return;
        }
        a->dense_mask[l / 64] |= (uint64_t)1 << (l % 64);
    }
}

/*
 * Llama4TextMoe: num_local_experts routed experts and one shared expert, all of intermediate_size;
 * MoE on layers step-1, 2*step-1, ... (Llama4TextConfig's moe_layers default); the other layers a
 * dense MLP of intermediate_size_mlp. Chunked local attention on the RoPE layers (no_rope_layers[i]
 * == 1; by default all but every no_rope_layer_interval-th).
 */
static void decode_llama4_moe(struct reader *r, struct arch *a)
{
    need_int(r, "num_local_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
    a->moe_intermediate = a->shared_intermediate = a->intermediate;
    a->n_shared_experts = 1;
    need_int(r, "intermediate_size_mlp", 1, ARCH_MAX_DIM, &a->intermediate);
    int64_t step = 1;
    get_int(r, "interleave_moe_layer_step", 1, ARCH_MAX_LAYERS, &step);
    a->first_k_dense = step - 1;
    a->moe_layer_freq = step;
    if (!get_int(r, "attention_chunk_size", 1, ARCH_MAX_POSITIONS, &a->attention_chunk))
        return;
    const json_t *nope = json_object_get(r->cfg, "no_rope_layers");
    if (json_is_array(nope) && json_array_size(nope) > 0) {
        size_t i;
        const json_t *v;
        json_array_foreach(nope, i, v)
        {
            a->chunked_layers += json_is_integer(v) && json_integer_value(v) != 0;
        }
    } else {
        int64_t every = 4;
        get_int(r, "no_rope_layer_interval", 1, ARCH_MAX_LAYERS, &every);
        a->chunked_layers = a->layers - a->layers / every;
    }
    if (a->chunked_layers > a->layers)
        a->chunked_layers = a->layers;
}

/* Glm4MoeConfig: DeepSeek-V3's MoE keys (and its MTP block) on a GQA model. */
static void decode_glm_moe(struct reader *r, struct arch *a)
{
    need_int(r, "n_routed_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
    need_int(r, "moe_intermediate_size", 1, ARCH_MAX_DIM, &a->moe_intermediate);
    get_int(r, "n_shared_experts", 0, ARCH_MAX_EXPERTS, &a->n_shared_experts);
    a->shared_intermediate = a->moe_intermediate;
    get_int(r, "first_k_dense_replace", 0, ARCH_MAX_LAYERS, &a->first_k_dense);
    a->router_score_bias = true; /* Glm4MoeTopkRouter.e_score_correction_bias */
}

/* ---- MoE families (issue 11, moe block). ---- */

/*
 * An integer, or a list of one integer per layer whose entries are all equal (hunyuan's moe_topk,
 * moe_intermediate_size, num_shared_expert). Per-layer sizes that differ are not modelled: 422.
 */
static bool get_uniform_int(struct reader *r, const char *key, long long min, long long max,
                            int64_t *out)
{
    const json_t *v = lookup(r->cfg, key);
    if (!json_is_array(v))
        return get_int(r, key, min, max, out);
    size_t i;
    const json_t *e;
    int64_t first = -1;
    json_array_foreach(v, i, e)
    {
        json_int_t x = json_is_integer(e) ? json_integer_value(e) : -1;
        if (x < min || x > max || (first >= 0 && x != first)) {
            if (r->rc == 0)
                r->rc = error_set(r->err, 422, "invalid_field", "",
                                  "%s%s must be an integer in [%lld, %lld] or a list of one per "
                                  "layer, all equal (per-layer sizes are not modelled)",
                                  r->prefix, key, min, max);
            if (r->err)
                snprintf(r->err->field, sizeof(r->err->field), "%s%s", r->prefix, key);
            return false;
        }
        first = x;
    }
    if (first < 0)
        return false;
    *out = first;
    return true;
}

/*
 * ArcticConfig (Snowflake's configuration_arctic.py, copied into vLLM transformers_utils/configs):
 * num_local_experts of intermediate_size, MoE when (i + 1) % moe_layer_frequency == 0 (default 2);
 * with use_residual a dense residual MLP of hidden_size x hidden_size runs beside the experts
 * (vLLM arctic.py ArcticMLP(is_residual_mlp=True): ffn_dim = hidden_size) behind its own
 * residual_layernorm. Counted as one always-on shared expert of width hidden_size.
 */
static void decode_arctic_moe(struct reader *r, struct arch *a)
{
    need_int(r, "num_local_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
    a->moe_intermediate = a->intermediate;
    int64_t freq = 2;
    get_int(r, "moe_layer_frequency", 1, ARCH_MAX_LAYERS, &freq);
    a->first_k_dense = freq - 1;
    a->moe_layer_freq = freq;
    if (get_bool(r, "use_residual", false)) {
        a->n_shared_experts = 1;
        a->shared_intermediate = a->hidden;
        a->norms_per_layer = 3; /* + residual_layernorm (on the MoE layers; freq 1 in Arctic) */
    }
}

/*
 * HunYuan MoE (vLLM hunyuan_v1.py HunYuanSparseMoeBlock; Hunyuan-A13B remote code): num_experts
 * routed experts of moe_intermediate_size, top moe_topk, and with use_mixed_mlp_moe one shared MLP
 * of intermediate_size x num_shared_expert; a router Linear(hidden, num_experts) without bias.
 * Cross-layer attention (use_cla): layer i % cla_share_factor != 0 reuses the K/V the layer
 * before it computed (vLLM HunYuanCrossAttention: q_proj and o_proj only; the K/V it attends to
 * are the previous layer's), so only every cla_share_factor-th layer stores K/V per token - the
 * CLA saving Hunyuan-Large was built for. vLLM registers the sharing layers as cross-attention;
 * whatever cache it reserves for them beside that is not modelled.
 */
static void decode_hunyuan_moe(struct reader *r, struct arch *a)
{
    get_int(r, "head_dim|attention_head_dim", 1, ARCH_MAX_DIM, &a->head_dim);
    need_int(r, "num_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
    if (!get_uniform_int(r, "moe_topk", 1, ARCH_MAX_EXPERTS, &a->experts_per_token) && r->rc == 0)
        note_missing(r, "moe_topk");
    a->moe_intermediate = a->intermediate;
    get_uniform_int(r, "moe_intermediate_size", 1, ARCH_MAX_DIM, &a->moe_intermediate);
    if (get_bool(r, "use_mixed_mlp_moe", false)) {
        int64_t n = 1;
        get_uniform_int(r, "num_shared_expert", 0, ARCH_MAX_EXPERTS, &n);
        a->n_shared_experts = n > 0 ? 1 : 0;
        a->shared_intermediate = a->intermediate * n;
    }
    /* HunYuanConfig: "First moe_layer_num_skipped layers do not use MoE" (a dense MLP instead) */
    get_int(r, "moe_layer_num_skipped", 0, ARCH_MAX_LAYERS, &a->first_k_dense);
    if (get_bool(r, "use_cla", false)) {
        a->kv_share = 1;
        get_int(r, "cla_share_factor", 1, ARCH_MAX_LAYERS, &a->kv_share);
    }
}

/*
 * Ernie4_5_MoeConfig (transformers configuration_ernie4_5_moe.py) as vLLM's ernie45_moe.py builds
 * it: layer i has experts when (i + 1) % moe_layer_interval == 0 and moe_layer_start_index <= i <=
 * moe_layer_end_index (defaults 1, -1 = the last layer, 1), a dense MLP of intermediate_size
 * otherwise; moe_num_experts of moe_intermediate_size, top moe_k, one shared MLP of
 * moe_intermediate_size x moe_num_shared_experts, the router's e_score_correction_bias; use_bias
 * biases q/k/v (never o_proj) and the MLPs. num_nextn_predict_layers MTP blocks (the row's mtp).
 */
static void decode_ernie_moe(struct reader *r, struct arch *a)
{
    need_int(r, "moe_num_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
    need_int(r, "moe_k", 1, ARCH_MAX_EXPERTS, &a->experts_per_token);
    need_int(r, "moe_intermediate_size", 1, ARCH_MAX_DIM, &a->moe_intermediate);
    int64_t shared = 2; /* Ernie4_5_MoeConfig default */
    get_int(r, "moe_num_shared_experts", 0, ARCH_MAX_EXPERTS, &shared);
    a->n_shared_experts = shared;
    a->shared_intermediate = a->moe_intermediate;
    a->router_score_bias = true;
    int64_t start = 1, end = -1, step = 1;
    get_int(r, "moe_layer_start_index", 0, ARCH_MAX_LAYERS, &start);
    get_int(r, "moe_layer_end_index", -1, ARCH_MAX_LAYERS, &end);
    get_int(r, "moe_layer_interval", 1, ARCH_MAX_LAYERS, &step);
    if (end < 0)
        end = a->layers - 1;
    for (int64_t i = 0; i < a->layers && i < ARCH_MAX_LAYERS; i++)
        if (!((i + 1) % step == 0 && i >= start && i <= end))
            a->dense_mask[i / 64] |= (uint64_t)1 << (i % 64);
    bool bias = get_bool(r, "use_bias", false);
    a->qkv_bias = bias;
    a->o_bias = false;
    a->mlp_bias = bias;
}

static void decode_llama_like(struct reader *r, const struct family_row *f, struct arch *a)
{
    need_int(r, "num_hidden_layers", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "hidden_size", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "num_attention_heads", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "intermediate_size", 1, ARCH_MAX_DIM, &a->intermediate);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    bool attn_bias = get_bool(r, "attention_bias", false);
    a->qkv_bias = f->qkv_bias || attn_bias;
    a->o_bias = attn_bias && !f->no_o_bias;
    /* SeedOssConfig: attention_out_bias is o_proj's own switch (no other config has the key). */
    a->o_bias = get_bool(r, "attention_out_bias", a->o_bias);
    a->mlp_bias = get_bool(r, "mlp_bias", false);
    if (f->use_bias) /* Starcoder2Config.use_bias: every Linear of the blocks (default true) */
        a->qkv_bias = a->o_bias = a->mlp_bias = get_bool(r, "use_bias", true);
    a->parallel_attn_mlp = f->parallel;
    if (f->qk_norm_opt)
        a->qk_norm = f->qk_norm && get_bool(r, "use_qk_norm", false);
    a->qk_norm_full = f->qk_norm_full && (!f->qk_norm_opt || get_bool(r, "use_qk_norm", false));
    a->lm_head_bias = f->lm_head_bias_opt && get_bool(r, "lm_head_bias", false);
    if (f->mtp)
        get_int(r, "num_nextn_predict_layers", 0, ARCH_MAX_LAYERS, &a->mtp_layers);
    switch (f->moe) {
    case MOE_NONE:
        return;
    case MOE_MIXTRAL:
        need_int(r, "num_local_experts|num_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
        a->moe_intermediate = a->intermediate;
        break;
    case MOE_QWEN: {
        need_int(r, "num_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
        need_int(r, "moe_intermediate_size", 1, ARCH_MAX_DIM, &a->moe_intermediate);
        /* Qwen2MoeDecoderLayer: MoE when (layer_idx + 1) % decoder_sparse_step == 0. */
        int64_t step = 1;
        get_int(r, "decoder_sparse_step", 1, ARCH_MAX_LAYERS, &step);
        a->first_k_dense = step - 1;
        a->moe_layer_freq = step;
        read_dense_list(r, "mlp_only_layers", a);
        break;
    }
    case MOE_LLAMA4:
        decode_llama4_moe(r, a);
        break;
    case MOE_GLM:
        decode_glm_moe(r, a);
        break;
    case MOE_ARCTIC:
        decode_arctic_moe(r, a);
        break;
    case MOE_HUNYUAN: /* moe_topk, not num_experts_per_tok */
        decode_hunyuan_moe(r, a);
        return;
    case MOE_ERNIE: /* moe_k */
        decode_ernie_moe(r, a);
        return;
    }
    need_int(r, "num_experts_per_tok", 1, ARCH_MAX_EXPERTS, &a->experts_per_token);
    if (f->shared_gate) {
        int64_t si = 0;
        if (get_int(r, "shared_expert_intermediate_size", 0, ARCH_MAX_DIM, &si) && si > 0) {
            a->n_shared_experts = 1;
            a->shared_intermediate = si;
            a->shared_expert_gate = true;
        }
    }
}

static void decode_deepseek(struct reader *r, const struct family_row *f, struct arch *a)
{
    need_int(r, "num_hidden_layers", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "hidden_size", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "num_attention_heads", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "intermediate_size", 1, ARCH_MAX_DIM, &a->intermediate);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    need_int(r, "kv_lora_rank", 1, ARCH_MAX_DIM, &a->kv_lora_rank);
    need_int(r, "qk_rope_head_dim", 1, ARCH_MAX_DIM, &a->qk_rope_head_dim);
    need_int(r, "qk_nope_head_dim", 1, ARCH_MAX_DIM, &a->qk_nope_head_dim);
    need_int(r, "v_head_dim", 1, ARCH_MAX_DIM, &a->v_head_dim);
    get_int(r, "q_lora_rank", 1, ARCH_MAX_DIM, &a->q_lora_rank); /* null in V2-Lite */
    a->attention = ARCH_ATTN_MLA;
    a->kv_heads = a->heads;
    a->head_dim = a->qk_nope_head_dim + a->qk_rope_head_dim;
    a->qkv_bias = a->o_bias = get_bool(r, "attention_bias", false);
    if (get_int(r, "n_routed_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts)) {
        need_int(r, "num_experts_per_tok", 1, ARCH_MAX_EXPERTS, &a->experts_per_token);
        need_int(r, "moe_intermediate_size", 1, ARCH_MAX_DIM, &a->moe_intermediate);
        get_int(r, "n_shared_experts", 0, ARCH_MAX_EXPERTS, &a->n_shared_experts);
        a->shared_intermediate = a->moe_intermediate;
        get_int(r, "first_k_dense_replace", 0, ARCH_MAX_LAYERS, &a->first_k_dense);
        get_int(r, "moe_layer_freq", 1, ARCH_MAX_LAYERS, &a->moe_layer_freq);
        const json_t *tm = json_object_get(r->cfg, "topk_method");
        a->router_score_bias = json_is_string(tm) && strcmp(json_string_value(tm), "noaux_tc") == 0;
    }
    if (f->mtp)
        get_int(r, "num_nextn_predict_layers", 0, ARCH_MAX_LAYERS, &a->mtp_layers);
    if (f->indexer) { /* DeepSeek-V3.2 lightning indexer (DeepSeek Sparse Attention) */
        need_int(r, "index_n_heads", 1, ARCH_MAX_HEADS, &a->index_heads);
        need_int(r, "index_head_dim", 1, ARCH_MAX_DIM, &a->index_head_dim);
    }
}

/*
 * GPTJConfig / GPTJForCausalLM: rotary (no position table), q/k/v/out without bias, fc_in/fc_out
 * with bias, one ln_1 per parallel block, an LM head with a bias, not tied by default.
 */
static void decode_gptj(struct reader *r, struct arch *a)
{
    need_int(r, "n_layer", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "n_embd", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "n_head", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    if (!get_int(r, "n_inner", 1, ARCH_MAX_DIM, &a->intermediate))
        a->intermediate = 4 * a->hidden;
    a->kv_heads = a->heads;
    a->mlp_bias = true;
    a->parallel_attn_mlp = true;
    a->lm_head_bias = true;
}

static void decode_falcon(struct reader *r, struct arch *a)
{
    need_int(r, "num_hidden_layers|n_layer", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "hidden_size|n_embd", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "num_attention_heads|n_head", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    bool new_arch = get_bool(r, "new_decoder_architecture", false);
    if (get_int(r, "num_kv_heads|n_head_kv", 1, ARCH_MAX_HEADS, &a->kv_heads))
        new_arch = true; /* the RW config's n_head_kv implies the 40B/180B block layout */
    else if (get_bool(r, "multi_query", true))
        a->kv_heads = 1;
    if (!get_int(r, "ffn_hidden_size", 1, ARCH_MAX_DIM, &a->intermediate))
        a->intermediate = 4 * a->hidden;
    bool bias = get_bool(r, "bias", false);
    a->qkv_bias = a->o_bias = a->mlp_bias = bias;
    a->parallel_attn_mlp = get_bool(r, "parallel_attn", true);
    /* 7B: one input_layernorm for the parallel block; 40B: ln_attn and ln_mlp. */
    a->norms_per_layer = new_arch ? 2 : (a->parallel_attn_mlp ? 1 : 2);
}

static void decode_gpt2(struct reader *r, struct arch *a)
{
    need_int(r, "n_layer", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "n_embd", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "n_head", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    need_int(r, "n_positions", 1, ARCH_MAX_POSITIONS, &a->positions);
    if (!get_int(r, "n_inner", 1, ARCH_MAX_DIM, &a->intermediate))
        a->intermediate = 4 * a->hidden;
    a->kv_heads = a->heads;
    a->qkv_bias = a->o_bias = a->mlp_bias = true;
}

static void decode_dbrx(struct reader *r, struct arch *a)
{
    need_int(r, "n_layers", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "d_model", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "n_heads", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    need_int(r, "attn_config.kv_n_heads", 1, ARCH_MAX_HEADS, &a->kv_heads);
    need_int(r, "ffn_config.ffn_hidden_size", 1, ARCH_MAX_DIM, &a->moe_intermediate);
    need_int(r, "ffn_config.moe_num_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
    need_int(r, "ffn_config.moe_top_k", 1, ARCH_MAX_EXPERTS, &a->experts_per_token);
    a->intermediate = a->moe_intermediate;
}

static void decode_gpt_oss(struct reader *r, struct arch *a)
{
    need_int(r, "num_hidden_layers", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "hidden_size", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "num_attention_heads", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "intermediate_size", 1, ARCH_MAX_DIM, &a->moe_intermediate);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    need_int(r, "num_local_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
    need_int(r, "num_experts_per_tok|experts_per_token", 1, ARCH_MAX_EXPERTS,
             &a->experts_per_token);
    a->intermediate = a->moe_intermediate;
    a->qkv_bias = a->o_bias = get_bool(r, "attention_bias", true);
    a->attn_sinks = true;
    a->router_bias = true;
    a->mlp_bias = true;
}

/*
 * minimax_m1 / minimax_m2 (vLLM minimax_text_01.py, minimax_m2.py): Mixtral-style experts
 * (num_local_experts of intermediate_size, top num_experts_per_tok), a router without bias and,
 * with use_routing_bias (M2), an e_score_correction_bias. attn_type_list gives each layer's mixer:
 * 1 softmax GQA attention, 0 lightning attention (MiniMaxText01LinearAttention: qkv_proj hidden ->
 * 3 x heads x head_dim, output_gate hidden -> heads x head_dim, an RMSNorm of that width, out_proj
 * back; no bias), which keeps a heads x head_dim x head_dim state per sequence and no KV cache.
 * M2's num_mtp_modules are not reported: vLLM's minimax_m2.py skips any weight of a layer past
 * num_hidden_layers (get_spec_layer_idx_from_weight_name), and the card's 230B is the 62 layers
 * alone (228.7B counted), which leaves no room for three more MoE layers of 3.7B each.
 */
static void decode_minimax(struct reader *r, const struct family_row *f, struct arch *a)
{
    decode_llama_like(r, f, a);
    a->router_score_bias = get_bool(r, "use_routing_bias", false);
    int64_t shared = 0;
    if (get_int(r, "shared_intermediate_size", 0, ARCH_MAX_DIM, &shared) && shared > 0) {
        a->n_shared_experts = 1;
        a->shared_intermediate = shared;
    }
    const json_t *types = json_object_get(r->cfg, "attn_type_list");
    size_t i;
    const json_t *t;
    json_array_foreach(types, i, t)
    {
        a->state_layers += json_is_integer(t) && json_integer_value(t) == 0;
    }
    if (a->state_layers == 0)
        return;
    if (a->state_layers > a->layers || (int64_t)json_array_size(types) != a->layers) {
        if (r->rc == 0)
            r->rc = error_set(r->err, 422, "invalid_field", "",
                              "%sattn_type_list must hold one entry per layer (num_hidden_layers)",
                              r->prefix);
        if (r->err)
            snprintf(r->err->field, sizeof(r->err->field), "%sattn_type_list", r->prefix);
        return;
    }
    a->state = ARCH_STATE_LIGHTNING;
    if (!get_int(r, "head_dim", 1, ARCH_MAX_DIM, &a->head_dim) && a->heads > 0)
        a->head_dim = a->hidden / a->heads;
    a->ssm.heads = a->heads;
    a->ssm.head_dim = a->head_dim;
    a->ssm.inner = a->heads * a->head_dim;
    /* vLLM MambaStateDtypeCalculator.linear_attention_state_dtype: the model dtype (16 bits). */
    a->state_conv_bytes = 0;
    a->state_ssm_bytes = 2;
}

/* ---- Encoder-decoder and hybrid-state families (issue 11, arch2 block). ---- */

static const char *get_string(struct reader *r, const char *key)
{
    const json_t *v = lookup(r->cfg, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Bytes of a torch dtype name; dflt when absent or unknown. */
static int dtype_bytes(const char *name, int dflt)
{
    if (name == NULL)
        return dflt;
    if (strcmp(name, "float32") == 0)
        return 4;
    if (strcmp(name, "bfloat16") == 0 || strcmp(name, "float16") == 0)
        return 2;
    return dflt;
}

/*
 * State cache dtypes the way vLLM picks them (mamba_utils.py MambaStateDtypeCalculator with the
 * default mamba_cache_dtype / mamba_ssm_cache_dtype "auto"): the conv state takes the model dtype
 * (vLLM serves float32 checkpoints in bfloat16 by default, so 16 bits), the SSM state the same
 * unless the model's verify hook says otherwise (ssm_default_bytes, e.g. NemotronH: float32).
 */
static void decode_state_dtypes(struct reader *r, struct arch *a, int ssm_default_bytes)
{
    a->state_conv_bytes = 2;
    /* Qwen3.5 names it mamba_ssm_dtype; vLLM's Qwen3_5ForConditionalGenerationConfig hook
     * (vllm/model_executor/models/config.py) copies it into mamba_ssm_cache_dtype when "auto". */
    const char *ssm = get_string(r, "mamba_ssm_cache_dtype");
    a->state_ssm_bytes =
        dtype_bytes(ssm ? ssm : get_string(r, "mamba_ssm_dtype"), ssm_default_bytes);
}

/* transformers SwitchTransformersConfig: step = layers // sparse layers, 0 = no sparse layer. */
static int64_t switch_sparse_step(int64_t layers, int64_t sparse)
{
    return sparse > 0 ? layers / sparse : 0;
}

/* SwitchTransformersStack: layer i is sparse when i % step == 1 or step == 1 (step > 0). */
static bool switch_layer_sparse(int64_t i, int64_t step)
{
    return step > 0 && (step == 1 || i % step == 1);
}

/*
 * t5 / switch_transformers. The decoder blocks are `layers`; the encoder is counted separately.
 * Experts: every sparse layer (rule above) has num_experts non-gated FFNs of d_ff and a top-1
 * router (Linear(d_model, num_experts), bias = router_bias). Gated FFNs (wi_0, wi_1, wo) when the
 * config says so: t5 v1.1 feed_forward_proj "gated-gelu", or is_gated_act (the Switch-XXL
 * checkpoints are GEGLU: flaxformer t5x/configs/moe/models/switch_xxl.gin).
 */
static void decode_t5(struct reader *r, struct arch *a)
{
    need_int(r, "num_layers", 1, ARCH_MAX_LAYERS, &a->encoder_layers);
    need_int(r, "d_model", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "num_heads", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "d_kv", 1, ARCH_MAX_DIM, &a->head_dim);
    need_int(r, "d_ff", 1, ARCH_MAX_DIM, &a->intermediate);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    if (!get_int(r, "num_decoder_layers", 1, ARCH_MAX_LAYERS, &a->layers))
        a->layers = a->encoder_layers; /* T5Config: default = symmetry */
    a->kv_heads = a->heads;
    a->rel_pos_buckets = 32; /* relative_attention_num_buckets default */
    get_int(r, "relative_attention_num_buckets", 1, ARCH_MAX_DIM, &a->rel_pos_buckets);
    const char *ffp = get_string(r, "feed_forward_proj");
    if (get_bool(r, "is_gated_act", ffp != NULL && strncmp(ffp, "gated-", 6) == 0))
        a->mlp = ARCH_MLP_GATED;
    int64_t experts = 0;
    if (!get_int(r, "num_experts", 1, ARCH_MAX_EXPERTS, &experts))
        return;                             /* plain t5: dense everywhere */
    int64_t enc_sparse = 3, dec_sparse = 3; /* SwitchTransformersConfig defaults */
    get_int(r, "num_sparse_encoder_layers", 0, ARCH_MAX_LAYERS, &enc_sparse);
    get_int(r, "num_sparse_decoder_layers", 0, ARCH_MAX_LAYERS, &dec_sparse);
    int64_t es = switch_sparse_step(a->encoder_layers, enc_sparse);
    int64_t ds = switch_sparse_step(a->layers, dec_sparse);
    for (int64_t i = 0; i < a->encoder_layers; i++)
        a->encoder_moe_layers += switch_layer_sparse(i, es);
    a->n_routed_experts = experts;
    a->experts_per_token = 1; /* Switch routing is top-1 */
    a->moe_intermediate = a->intermediate;
    a->router_bias = get_bool(r, "router_bias", false);
    /* The decoder rule as first_k_dense / moe_layer_freq: step 1 = all, k > 1 = 1, 1+k, ... */
    a->first_k_dense = ds == 0 ? a->layers : (ds == 1 ? 0 : 1);
    a->moe_layer_freq = ds > 1 ? ds : 1;
}

/* Layer i of qwen3_next is full attention when layer_types says so or (i + 1) % interval == 0. */
static int64_t qwen3_next_linear_layers(struct reader *r, int64_t layers)
{
    const json_t *types = json_object_get(r->cfg, "layer_types");
    int64_t n = 0;
    if (json_is_array(types) && (int64_t)json_array_size(types) == layers) {
        size_t i;
        const json_t *t;
        json_array_foreach(types, i, t)
        {
            n += json_is_string(t) && strcmp(json_string_value(t), "linear_attention") == 0;
        }
        return n;
    }
    int64_t interval = 4; /* Qwen3NextConfig default */
    get_int(r, "full_attention_interval", 1, ARCH_MAX_LAYERS, &interval);
    for (int64_t i = 0; i < layers; i++)
        n += (i + 1) % interval != 0;
    return n;
}

/*
 * qwen3_next: the qwen3_moe body plus Gated DeltaNet layers (Qwen3NextGatedDeltaNet). qwen3_5's
 * text models have the same layers (Qwen3_5GatedDeltaNet splits in_proj_qkvz/ba into qkv, z, b,
 * a: the same weights), a dense MLP or qwen3_next's experts, and name their MTP block count
 * mtp_num_hidden_layers (reported beside the total, as for DeepSeek).
 */
static void decode_qwen3_next(struct reader *r, const struct family_row *f, struct arch *a)
{
    decode_llama_like(r, f, a);
    /* Qwen3NextAttention: q_proj is heads * head_dim * 2 (Qwen3.5: attn_output_gate, true). */
    a->attn_output_gate = get_bool(r, "attn_output_gate", true);
    get_int(r, "mtp_num_hidden_layers", 0, ARCH_MAX_LAYERS, &a->mtp_layers);
    a->state = ARCH_STATE_GDN;
    need_int(r, "linear_num_key_heads", 1, ARCH_MAX_HEADS, &a->ssm.k_heads);
    need_int(r, "linear_key_head_dim", 1, ARCH_MAX_DIM, &a->ssm.k_head_dim);
    need_int(r, "linear_num_value_heads", 1, ARCH_MAX_HEADS, &a->ssm.heads);
    need_int(r, "linear_value_head_dim", 1, ARCH_MAX_DIM, &a->ssm.head_dim);
    need_int(r, "linear_conv_kernel_dim", 1, 64, &a->ssm.conv_kernel);
    a->ssm.inner = a->ssm.heads * a->ssm.head_dim;
    if (a->layers > 0)
        a->state_layers = qwen3_next_linear_layers(r, a->layers);
    decode_state_dtypes(r, a, 2);
}

/* Mamba-2 mixer fields shared by nemotron_h (NemotronHMamba2Mixer). */
static void decode_mamba2(struct reader *r, struct arch *a)
{
    a->state = ARCH_STATE_MAMBA2;
    need_int(r, "mamba_num_heads", 1, ARCH_MAX_HEADS, &a->ssm.heads);
    need_int(r, "mamba_head_dim", 1, ARCH_MAX_DIM, &a->ssm.head_dim);
    need_int(r, "ssm_state_size", 1, ARCH_MAX_DIM, &a->ssm.d_state);
    need_int(r, "n_groups", 1, ARCH_MAX_HEADS, &a->ssm.groups);
    need_int(r, "conv_kernel", 1, 64, &a->ssm.conv_kernel);
    a->ssm.inner = a->ssm.heads * a->ssm.head_dim;
    a->ssm.conv_bias = get_bool(r, "use_conv_bias", true);
    a->ssm.proj_bias = get_bool(r, "use_bias", false);
}

/*
 * nemotron_h: hybrid_override_pattern has one letter per block: M Mamba-2, * attention, - dense
 * MLP (relu2), E MoE (routed experts + shared expert, sigmoid router with a score bias).
 */
static void decode_nemotron_h(struct reader *r, struct arch *a)
{
    need_int(r, "hidden_size", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "num_attention_heads", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    need_int(r, "intermediate_size", 1, ARCH_MAX_DIM, &a->intermediate);
    get_int(r, "head_dim|attention_head_dim", 1, ARCH_MAX_DIM, &a->head_dim);
    decode_mamba2(r, a);
    a->qkv_bias = a->o_bias = get_bool(r, "attention_bias", false);
    a->mlp_bias = get_bool(r, "mlp_bias", false);
    const char *pat = get_string(r, "hybrid_override_pattern");
    if (pat == NULL) {
        note_missing(r, "hybrid_override_pattern");
        return;
    }
    int64_t n[4] = {0, 0, 0, 0}; /* M, *, -, E */
    size_t len = strlen(pat);
    for (size_t i = 0; i < len; i++) {
        const char *k = strchr("M*-E", pat[i]);
        if (k == NULL) {
            if (r->rc == 0)
                r->rc =
                    error_set(r->err, 422, "invalid_field", "",
                              "%shybrid_override_pattern may only hold M, *, - and E", r->prefix);
            return;
        }
        n[k - "M*-E"]++;
    }
    a->layers = (int64_t)len;
    a->state_layers = n[0];
    a->mixerless_layers = n[2] + n[3];
    a->mlpless_layers = n[0] + n[1];
    a->moe_by_pattern = true;
    a->moe_pattern_layers = n[3];
    if (n[3] > 0) {
        need_int(r, "n_routed_experts", 1, ARCH_MAX_EXPERTS, &a->n_routed_experts);
        need_int(r, "num_experts_per_tok", 1, ARCH_MAX_EXPERTS, &a->experts_per_token);
        need_int(r, "moe_intermediate_size", 1, ARCH_MAX_DIM, &a->moe_intermediate);
        get_int(r, "n_shared_experts", 0, ARCH_MAX_EXPERTS, &a->n_shared_experts);
        get_int(r, "moe_shared_expert_intermediate_size", 0, ARCH_MAX_DIM, &a->shared_intermediate);
        a->router_score_bias = true; /* NemotronHTopkRouter e_score_correction_bias */
    }
    /* vllm/model_executor/models/config.py NemotronHForCausalLMConfig: float32 by default. */
    decode_state_dtypes(r, a, 4);
}

/* Mamba-1 mixer (MambaMixer): d_inner, state, conv width, time-step rank ("auto": hidden/16). */
static void decode_mamba1(struct reader *r, struct arch *a, const char *inner, const char *state,
                          const char *conv, const char *rank)
{
    a->state = ARCH_STATE_MAMBA1;
    need_int(r, inner, 1, ARCH_MAX_DIM, &a->ssm.inner);
    need_int(r, state, 1, ARCH_MAX_DIM, &a->ssm.d_state);
    need_int(r, conv, 1, 64, &a->ssm.conv_kernel);
    if (!get_int(r, rank, 1, ARCH_MAX_DIM, &a->ssm.dt_rank))
        a->ssm.dt_rank = (a->hidden + 15) / 16; /* math.ceil(hidden_size / 16) */
    decode_state_dtypes(r, a, 2);
}

/* mamba, falcon_mamba: every block is a Mamba-1 mixer (no attention, no MLP). */
static void decode_mamba(struct reader *r, struct arch *a)
{
    need_int(r, "num_hidden_layers", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "hidden_size", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    /* falcon_mamba's `expand` disagrees with intermediate_size; the model uses the latter. */
    decode_mamba1(r, a, "intermediate_size", "state_size", "conv_kernel", "time_step_rank");
    a->ssm.conv_bias = get_bool(r, "use_conv_bias", true);
    a->ssm.proj_bias = get_bool(r, "use_bias", false);
    a->state_layers = a->layers;
    a->mlpless_layers = a->layers;
}

/*
 * jamba: attention at i % attn_layer_period == attn_layer_offset, Mamba-1 elsewhere; MoE at
 * i % expert_layer_period == expert_layer_offset, a dense gated MLP elsewhere (JambaConfig).
 */
static void decode_jamba(struct reader *r, struct arch *a)
{
    need_int(r, "num_hidden_layers", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "hidden_size", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "num_attention_heads", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "intermediate_size", 1, ARCH_MAX_DIM, &a->intermediate);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    int64_t ap = 8, ao = 4, ep = 2, eo = 1, expand = 2; /* JambaConfig defaults */
    get_int(r, "attn_layer_period", 1, ARCH_MAX_LAYERS, &ap);
    get_int(r, "attn_layer_offset", 0, ARCH_MAX_LAYERS, &ao);
    get_int(r, "expert_layer_period", 1, ARCH_MAX_LAYERS, &ep);
    get_int(r, "expert_layer_offset", 0, ARCH_MAX_LAYERS, &eo);
    get_int(r, "mamba_expand", 1, 64, &expand);
    int64_t attn = 0;
    for (int64_t i = 0; i < a->layers; i++)
        attn += i % ap == ao;
    a->state_layers = a->layers - attn;
    a->ssm.inner = expand * a->hidden;
    a->state = ARCH_STATE_MAMBA1;
    a->ssm.d_state = 16; /* JambaConfig defaults */
    a->ssm.conv_kernel = 4;
    get_int(r, "mamba_d_state", 1, ARCH_MAX_DIM, &a->ssm.d_state);
    get_int(r, "mamba_d_conv", 1, 64, &a->ssm.conv_kernel);
    if (!get_int(r, "mamba_dt_rank", 1, ARCH_MAX_DIM, &a->ssm.dt_rank))
        a->ssm.dt_rank = (a->hidden + 15) / 16;
    a->ssm.conv_bias = get_bool(r, "mamba_conv_bias", true);
    a->ssm.proj_bias = get_bool(r, "mamba_proj_bias", false);
    a->ssm.bc_dt_norms = true; /* JambaMambaMixer dt/b/c_layernorm */
    decode_state_dtypes(r, a, 2);
    int64_t experts = 0;
    if (get_int(r, "num_experts", 1, ARCH_MAX_EXPERTS, &experts) && experts > 1) {
        a->n_routed_experts = experts;
        need_int(r, "num_experts_per_tok", 1, ARCH_MAX_EXPERTS, &a->experts_per_token);
        a->moe_intermediate = a->intermediate;
        a->first_k_dense = eo;
        a->moe_layer_freq = ep;
    }
}

/* ---- Dense and hybrid families (issue 11, dense block). ---- */

/* A 422 naming one element of a per-layer list ("block_configs[3].attention.n_heads_in_group"). */
static void bad_layer_field(struct reader *r, const char *list, size_t i, const char *key,
                            const char *rule)
{
    if (r->rc == 0)
        r->rc = error_set(r->err, 422, "invalid_field", "", "%s%s[%zu].%s %s", r->prefix, list, i,
                          key, rule);
    if (r->err)
        snprintf(r->err->field, sizeof(r->err->field), "%s%s[%zu].%s", r->prefix, list, i, key);
}

/* DeciLM's width for ffn_mult (vLLM nemotron_nas.py _ffn_mult_to_intermediate_size): int(2 *
 * ffn_mult * hidden / 3) rounded up to a multiple of 256. */
static int64_t decilm_ffn_width(double mult, int64_t hidden)
{
    int64_t n = (int64_t)(2 * mult * (double)hidden / 3);
    return n % 256 == 0 ? n : n + 256 - n % 256;
}

static bool block_flag(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/*
 * The part of one block_configs entry both halves share: it must be an object, and a no_op or
 * replace_with_linear block has no mixer/MLP of its own (counted in *missing); a Linear
 * replacement is one hidden x hidden Linear with its norm. True when the block was handled here.
 */
static bool nas_block_replaced(struct reader *r, struct arch *a, const json_t *blk, size_t i,
                               const char *what, int64_t *missing)
{
    if (!json_is_object(blk)) {
        bad_layer_field(r, "block_configs", i, what, "must be an object");
        return true;
    }
    if (!block_flag(blk, "no_op") && !block_flag(blk, "replace_with_linear"))
        return false;
    (*missing)++;
    if (block_flag(blk, "replace_with_linear")) {
        a->linear_layers++;
        a->norm_vectors++;
    }
    return true;
}

/* One attention block of block_configs: no-op, a Linear, or GQA with heads / n_heads_in_group. */
static void nas_attention(struct reader *r, struct arch *a, const json_t *at, size_t i)
{
    if (nas_block_replaced(r, a, at, i, "attention", &a->mixerless_layers))
        return;
    const json_t *g = json_object_get(at, "n_heads_in_group");
    json_int_t n = json_is_integer(g) ? json_integer_value(g) : 0;
    if (n < 1 || n > a->heads || a->heads % n != 0) {
        bad_layer_field(r, "block_configs", i, "attention.n_heads_in_group",
                        "must be an integer dividing num_attention_heads");
        return;
    }
    int64_t kv = a->heads / n;
    int k = 0;
    while (k < a->kv_groups && a->kv_group[k].kv_heads != kv)
        k++;
    if (k == ARCH_MAX_KV_GROUPS) {
        bad_layer_field(r, "block_configs", i, "attention.n_heads_in_group",
                        "takes more distinct values than are supported (8)");
        return;
    }
    if (k == a->kv_groups) {
        a->kv_group[k].kv_heads = kv;
        a->kv_groups++;
    }
    a->kv_group[k].layers++;
    a->kv_heads = kv > a->kv_heads ? kv : a->kv_heads;
    a->norm_vectors++; /* input_layernorm */
}

/* One FFN block of block_configs: no-op, a Linear, or a gated MLP of ffn_mult (or its width). */
static void nas_ffn(struct reader *r, struct arch *a, const json_t *ffn, size_t i)
{
    if (nas_block_replaced(r, a, ffn, i, "ffn", &a->mlpless_layers))
        return;
    const json_t *m = json_object_get(ffn, "ffn_mult");
    const json_t *w = json_object_get(ffn, "intermediate_size");
    int64_t width = json_is_number(m) && json_number_value(m) > 0 && json_number_value(m) <= 64
                        ? decilm_ffn_width(json_number_value(m), a->hidden)
                    : json_is_integer(w) ? (int64_t)json_integer_value(w)
                                         : 0;
    if (width < 1 || width > ARCH_MAX_DIM) {
        bad_layer_field(r, "block_configs", i, "ffn.ffn_mult",
                        "must be a number in (0, 64] (or give ffn.intermediate_size)");
        return;
    }
    a->mlp_width_sum += width;
    a->intermediate = width > a->intermediate ? width : a->intermediate;
    a->norm_vectors++; /* post_attention_layernorm */
}

/*
 * nemotron-nas (Llama-3.1-Nemotron-Ultra, Llama-3.3-Nemotron-Super: DeciLM): a Llama whose
 * block_configs give every layer its own attention (no-op: no weights, no KV; or
 * num_attention_heads / n_heads_in_group K/V heads) and FFN (no-op, or a gated MLP of
 * ffn_mult). vLLM nemotron_nas.py DeciLMDecoderLayer builds exactly these.
 */
static void decode_nemotron_nas(struct reader *r, struct arch *a)
{
    need_int(r, "num_hidden_layers", 1, ARCH_MAX_LAYERS, &a->layers);
    need_int(r, "hidden_size", 1, ARCH_MAX_DIM, &a->hidden);
    need_int(r, "num_attention_heads", 1, ARCH_MAX_HEADS, &a->heads);
    need_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    a->qkv_bias = a->o_bias = get_bool(r, "attention_bias", false);
    a->mlp_bias = get_bool(r, "mlp_bias", false);
    const json_t *blocks = json_object_get(r->cfg, "block_configs");
    if (!json_is_array(blocks)) {
        note_missing(r, "block_configs");
        return;
    }
    if (r->rc < 0 || r->missing[0])
        return;
    if ((int64_t)json_array_size(blocks) != a->layers) {
        r->rc = error_set(r->err, 422, "invalid_field", "",
                          "%sblock_configs must list num_hidden_layers (%lld) blocks, not %zu",
                          r->prefix, (long long)a->layers, json_array_size(blocks));
        if (r->err)
            snprintf(r->err->field, sizeof(r->err->field), "%sblock_configs", r->prefix);
        return;
    }
    size_t i;
    const json_t *b;
    json_array_foreach(blocks, i, b)
    {
        nas_attention(r, a, json_object_get(b, "attention"), i);
        nas_ffn(r, a, json_object_get(b, "ffn"), i);
        if (r->rc < 0)
            return;
    }
    if (a->kv_groups == 0)
        a->kv_heads = a->heads; /* every attention is a no-op: nothing is cached */
}

/*
 * granitemoehybrid (Granite-4.0-H): layer_types "mamba" (Mamba-2 mixer) or "attention"; every
 * layer has a shared MLP of shared_intermediate_size and, when num_local_experts > 0, routed
 * experts of intermediate_size (GraniteMoeHybridDecoderLayer). Absent keys take
 * GraniteMoeHybridConfig's defaults (transformers configuration_granitemoehybrid.py).
 */
static void decode_granite_hybrid(struct reader *r, struct arch *a)
{
    a->layers = 32;
    a->hidden = 4096;
    a->heads = 32;
    a->vocab = 32000;
    a->intermediate = 11008;
    get_int(r, "num_hidden_layers", 1, ARCH_MAX_LAYERS, &a->layers);
    get_int(r, "hidden_size", 1, ARCH_MAX_DIM, &a->hidden);
    get_int(r, "num_attention_heads", 1, ARCH_MAX_HEADS, &a->heads);
    get_int(r, "vocab_size", 1, ARCH_MAX_VOCAB, &a->vocab);
    get_int(r, "intermediate_size", 1, ARCH_MAX_DIM, &a->intermediate);
    a->qkv_bias = a->o_bias = get_bool(r, "attention_bias", false);
    int64_t expand = 2, experts = 8, topk = 2, shared = 1024;
    a->ssm.heads = 128;
    a->ssm.groups = 1;
    a->ssm.d_state = 256;
    a->ssm.conv_kernel = 4;
    get_int(r, "mamba_expand", 1, 64, &expand);
    get_int(r, "mamba_n_heads", 1, ARCH_MAX_HEADS, &a->ssm.heads);
    get_int(r, "mamba_n_groups", 1, ARCH_MAX_HEADS, &a->ssm.groups);
    get_int(r, "mamba_d_state", 1, ARCH_MAX_DIM, &a->ssm.d_state);
    get_int(r, "mamba_d_conv", 1, 64, &a->ssm.conv_kernel);
    if (json_is_string(lookup(r->cfg, "mamba_d_head")) || /* "auto" */
        !get_int(r, "mamba_d_head", 1, ARCH_MAX_DIM, &a->ssm.head_dim))
        a->ssm.head_dim = expand * a->hidden / a->ssm.heads;
    a->ssm.inner = a->ssm.heads * a->ssm.head_dim;
    a->ssm.conv_bias = get_bool(r, "mamba_conv_bias", true);
    a->ssm.proj_bias = get_bool(r, "mamba_proj_bias", false);
    a->state = ARCH_STATE_MAMBA2;
    const json_t *types = json_object_get(r->cfg, "layer_types");
    size_t i;
    const json_t *t;
    a->state_layers = json_is_array(types) ? 0 : a->layers; /* layers_block_type: all mamba */
    json_array_foreach(types, i, t)
    {
        a->state_layers += json_is_string(t) && strcmp(json_string_value(t), "mamba") == 0;
    }
    get_int(r, "num_local_experts", 0, ARCH_MAX_EXPERTS, &experts);
    get_int(r, "num_experts_per_tok", 0, ARCH_MAX_EXPERTS, &topk); /* 0 in dense configs */
    get_int(r, "shared_intermediate_size", 1, ARCH_MAX_DIM, &shared);
    if (experts > 0) {
        a->n_routed_experts = experts;
        a->experts_per_token = topk;
        a->moe_intermediate = a->intermediate;
        a->n_shared_experts = 1;
        a->shared_intermediate = shared;
    } else {
        a->intermediate = shared; /* dense: the shared MLP is the layer's MLP */
    }
    decode_state_dtypes(r, a, 2);
}

/* Families whose decoder leaves kv_heads to the shared num_key_value_heads key (default: MHA). */
static bool reads_num_key_value_heads(enum family f)
{
    switch (f) {
    case FAM_LLAMA:
    case FAM_GPT_OSS:
    case FAM_QWEN3_NEXT:
    case FAM_NEMOTRON_H:
    case FAM_JAMBA:
    case FAM_GRANITE_HYBRID:
    case FAM_MINIMAX:
        return true;
    case FAM_NEMOTRON_NAS: /* block_configs: heads / n_heads_in_group per layer */
    case FAM_DEEPSEEK:     /* MLA: kv_heads == heads */
    case FAM_FALCON:       /* num_kv_heads / n_head_kv / multi_query */
    case FAM_GPT2:         /* MHA */
    case FAM_GPTJ:         /* MHA */
    case FAM_DBRX:         /* attn_config.kv_n_heads */
    case FAM_T5:           /* MHA: num_heads */
    case FAM_MAMBA:        /* no attention */
        return false;
    }
    return false;
}

/* The 422 for a config no row decodes: what it is, the nearest family, how to describe it. */
static int refuse_unsupported(const json_t *cfg, const char *field_prefix, const char *pfx,
                              struct error_info *err)
{
    char list[sizeof(err->message)]; /* never the cut: the message is (tests pin it whole) */
    supported_list(list, sizeof(list));
    const json_t *mt = json_object_get(cfg, "model_type");
    const json_t *arch0 = json_array_get(json_object_get(cfg, "architectures"), 0);
    const char *key = json_is_string(mt) ? "model_type" : "architectures";
    const char *name = json_is_string(mt)      ? json_string_value(mt)
                       : json_is_string(arch0) ? json_string_value(arch0)
                                               : NULL;
    char f[96];
    snprintf(f, sizeof(f), "%s%s", pfx, name ? key : "model_type");
    if (name == NULL)
        return error_set(err, 422, "missing_field", f,
                         "%s needs a model_type or an architectures list (a Hugging Face "
                         "config.json); supported: %s",
                         field_prefix, list);
    return error_set(err, 422, "unsupported_model_type", f,
                     "%s \"%.60s\" is not supported; the closest supported family is \"%s\". "
                     "Supported: %s. Otherwise describe the model with the fields layers, "
                     "hidden, attention_heads, kv_heads, head_dim, vocab_size and params_b "
                     "(MLA: kv_lora_rank, qk_rope_head_dim; windows: sliding_window, "
                     "windowed_layers)",
                     key, name, closest_family(name), list);
}

/*
 * Vision towers (their weights are in the checkpoint; they hold no KV cache). The shapes come
 * from vision_config with the config class's defaults; the projector from the outer config.
 */
static void decode_vision(const json_t *cfg, enum arch_vision kind, const char *pfx, struct arch *a,
                          struct error_info *err, int *rc)
{
    const json_t *vc = json_object_get(cfg, "vision_config");
    if (kind == ARCH_VISION_NONE || !json_is_object(vc))
        return;
    char vp[96];
    snprintf(vp, sizeof(vp), "%svision_config.", pfx);
    struct reader v = {.cfg = vc, .prefix = vp, .err = err};
    struct reader outer = {.cfg = cfg, .prefix = pfx, .err = err};
    struct arch_vision_tower *t = &a->vision;
    switch (kind) {
    case ARCH_VISION_NONE:
        return;
    case ARCH_VISION_SIGLIP:
        v.defaults = siglip_defaults;
        break;
    case ARCH_VISION_PIXTRAL:
        v.defaults = pixtral_defaults;
        t->merge = 2; /* Mistral3Config.spatial_merge_size default */
        get_int(&outer, "spatial_merge_size", 1, 64, &t->merge);
        t->projector_bias = get_bool(&outer, "multimodal_projector_bias", false);
        break;
    case ARCH_VISION_QWEN3VL:
        v.defaults = qwen3vl_defaults;
        get_int(&v, "depth", 0, ARCH_MAX_LAYERS, &t->layers);
        get_int(&v, "in_channels", 1, 64, &t->channels);
        get_int(&v, "spatial_merge_size", 1, 64, &t->merge);
        get_int(&v, "temporal_patch_size", 1, 64, &t->temporal_patch);
        get_int(&v, "out_hidden_size", 1, ARCH_MAX_DIM, &t->out_hidden);
        get_int(&v, "num_position_embeddings", 0, ARCH_MAX_POSITIONS, &t->positions);
        t->deepstack = (int64_t)json_array_size(json_object_get(vc, "deepstack_visual_indexes"));
        break;
    }
    t->kind = kind;
    get_int(&v, "hidden_size", 1, ARCH_MAX_DIM, &t->hidden);
    get_int(&v, "intermediate_size", 1, ARCH_MAX_DIM, &t->intermediate);
    get_int(&v, "num_hidden_layers", 0, ARCH_MAX_LAYERS, &t->layers);
    get_int(&v, "num_channels", 1, 64, &t->channels);
    get_int(&v, "image_size", 1, 1 << 16, &t->image);
    get_int(&v, "patch_size", 1, 1 << 12, &t->patch);
    if (v.rc < 0 && *rc == 0)
        *rc = v.rc;
    if (outer.rc < 0 && *rc == 0)
        *rc = outer.rc;
}

/* Decodes one (text) config with its row into *a; r collects missing fields and errors. */
static void decode_text(struct reader *r, const struct family_row *fam, struct arch *a)
{
    a->mlp = fam->mlp;
    a->norm = fam->norm;
    a->norms_per_layer = fam->norms_per_layer;
    a->qk_norm = fam->qk_norm;
    a->moe_layer_freq = 1;
    r->defaults = fam->defaults;
    switch (fam->fam) {
    case FAM_LLAMA:
        decode_llama_like(r, fam, a);
        break;
    case FAM_DEEPSEEK:
        decode_deepseek(r, fam, a);
        break;
    case FAM_FALCON:
        decode_falcon(r, a);
        break;
    case FAM_GPT2:
        decode_gpt2(r, a);
        break;
    case FAM_DBRX:
        decode_dbrx(r, a);
        break;
    case FAM_GPT_OSS:
        decode_gpt_oss(r, a);
        break;
    case FAM_GPTJ:
        decode_gptj(r, a);
        break;
    case FAM_T5:
        decode_t5(r, a);
        break;
    case FAM_QWEN3_NEXT:
        decode_qwen3_next(r, fam, a);
        break;
    case FAM_NEMOTRON_H:
        decode_nemotron_h(r, a);
        break;
    case FAM_MAMBA:
        decode_mamba(r, a);
        break;
    case FAM_JAMBA:
        decode_jamba(r, a);
        break;
    case FAM_NEMOTRON_NAS:
        decode_nemotron_nas(r, a);
        break;
    case FAM_GRANITE_HYBRID:
        decode_granite_hybrid(r, a);
        break;
    case FAM_MINIMAX:
        decode_minimax(r, fam, a);
        break;
    }
    if (r->rc < 0)
        return;
    if (reads_num_key_value_heads(fam->fam)) {
        if (!get_int(r, "num_key_value_heads", 1, ARCH_MAX_HEADS, &a->kv_heads))
            a->kv_heads = a->heads; /* transformers' default: MHA */
    }
    if (arch_kv_per_head(a->attention) && a->head_dim == 0 &&
        !get_int(r, "head_dim", 1, ARCH_MAX_DIM, &a->head_dim) && a->heads > 0)
        a->head_dim = a->hidden / a->heads;
}

/*
 * A nested multimodal config (llama4, gemma3, mistral3): the language model is text_config,
 * decoded with the row its model_type names (or the outer row's text_type).
 */
static const struct family_row *text_row(const struct family_row *outer, const json_t *text)
{
    const json_t *mt = json_object_get(text, "model_type");
    const struct family_row *f = json_is_string(mt) ? find_family(json_string_value(mt)) : NULL;
    if (f == NULL || f->text_type != NULL)
        f = find_family(outer->text_type);
    return f;
}

/* A positive finite JSON number, or NAN. */
static double positive(const json_t *v)
{
    double d = json_is_integer(v) ? (double)json_integer_value(v)
               : json_is_real(v)  ? json_real_value(v)
                                  : NAN;
    return isfinite(d) && d > 0 ? d : NAN;
}

/* RoPE scaling of one rope_scaling / rope_parameters entry, vLLM's way (see arch.h). */
static void rope_scale(const json_t *rp, double *len, double *factor, const char **type)
{
    const json_t *t = json_object_get(rp, "rope_type");
    if (!json_is_string(t))
        t = json_object_get(rp, "type");
    if (!json_is_string(t))
        return;
    const char *name = json_string_value(t);
    if (strcmp(name, "su") == 0 || strcmp(name, "longrope") == 0 || strcmp(name, "llama3") == 0)
        return;
    double f = positive(json_object_get(rp, "factor"));
    if (!isnan(f)) {
        *factor = f;
        *type = name;
    }
    double orig = positive(json_object_get(rp, "original_max_position_embeddings"));
    if (strcmp(name, "yarn") == 0 && !isnan(orig))
        *len = orig;
}

/*
 * vLLM's derived max_model_len (vllm/config/model.py _get_and_verify_max_len, read at vLLM
 * v0.11-v0.19): the least of these keys of the (text) config, then the RoPE scaling. Keeps the
 * reader's max_context (a config-class default) when the config has none of them.
 */
static void derive_max_context(const json_t *text, const char *outer_type, struct arch *a)
{
    static const char *const keys[] = {"max_position_embeddings",
                                       "n_positions",
                                       "max_seq_len",
                                       "seq_length",
                                       "model_max_length",
                                       "max_sequence_length",
                                       "max_seq_length",
                                       "seq_len",
                                       NULL};
    double len = INFINITY;
    const char *key = NULL;
    for (size_t i = 0; keys[i]; i++) {
        double v = positive(json_object_get(text, keys[i]));
        if (!isnan(v) && v < len) {
            len = v;
            key = keys[i];
        }
    }
    if (key == NULL) {
        if (a->max_context <= 0)
            return;
        len = (double)a->max_context;
        key = "max_position_embeddings";
    }
    double base = len, factor = 1;
    const char *type = NULL;
    const json_t *rope = json_object_get(text, "rope_scaling");
    if (!json_is_object(rope))
        rope = json_object_get(text, "rope_parameters");
    if (json_is_object(rope) && strstr(outer_type, "gemma3") == NULL) {
        if (json_object_get(rope, "rope_type") || json_object_get(rope, "type")) {
            rope_scale(rope, &base, &factor, &type);
        } else { /* transformers v5: one entry per layer type */
            const char *k;
            const json_t *rp;
            json_object_foreach(fields_mutable(rope), k, rp) if (json_is_object(rp))
                rope_scale(rp, &base, &factor, &type);
        }
    }
    double derived = floor(base * factor);
    if (derived > (double)ARCH_MAX_POSITIONS)
        derived = (double)ARCH_MAX_POSITIONS;
    a->max_context = (int64_t)derived;
    if (type && base != len)
        snprintf(a->max_context_rule, sizeof(a->max_context_rule),
                 "original_max_position_embeddings=%.0f x %s factor %g", base, type, factor);
    else if (type)
        snprintf(a->max_context_rule, sizeof(a->max_context_rule), "%s=%.0f x %s factor %g", key,
                 base, type, factor);
    else
        snprintf(a->max_context_rule, sizeof(a->max_context_rule), "%s=%.0f", key, base);
}

int arch_from_hf_config(const json_t *cfg, const char *field_prefix, struct arch *out,
                        struct error_info *err)
{
    char pfx[64];
    snprintf(pfx, sizeof(pfx), "%s%s", field_prefix ? field_prefix : "",
             field_prefix && field_prefix[0] ? "." : "");
    if (!json_is_object(cfg))
        return error_set(err, 400, "invalid_type", field_prefix,
                         "%s must be a JSON object (a Hugging Face config.json)", field_prefix);
    const struct family_row *outer = resolve_family(cfg);
    if (outer == NULL)
        return refuse_unsupported(cfg, field_prefix, pfx, err);
    const struct family_row *fam = outer;
    const json_t *text = cfg;
    char tp[96];
    snprintf(tp, sizeof(tp), "%s", pfx);
    if (outer->text_type != NULL) {
        text = json_object_get(cfg, "text_config");
        snprintf(tp, sizeof(tp), "%stext_config.", pfx);
        if (!json_is_object(text)) {
            char f[96];
            snprintf(f, sizeof(f), "%stext_config", pfx);
            return error_set(err, 422, "missing_field", f,
                             "model_type \"%s\" needs %s (an object: the language model's "
                             "config)",
                             outer->model_type, f);
        }
        fam = text_row(outer, text);
    }

    struct arch a;
    memset(&a, 0, sizeof(a));
    snprintf(a.model_type, sizeof(a.model_type), "%s", outer->model_type);
    struct reader r = {.cfg = text, .prefix = tp, .err = err};
    decode_text(&r, fam, &a);
    if (r.rc < 0)
        return r.rc;
    if (r.missing[0]) {
        char field[128];
        const char *comma = strchr(r.missing, ',');
        snprintf(field, sizeof(field), "%s%.*s", tp,
                 (int)(comma ? (size_t)(comma - r.missing) : strlen(r.missing)), r.missing);
        return error_set(err, 422, "missing_field", field,
                         "model_type \"%s\" needs these fields in %.*s: %s", outer->model_type,
                         (int)strlen(tp) - 1, tp, r.missing);
    }
    a.tied_embeddings = get_bool(&r, "tie_word_embeddings", fam->tied_default);
    if (text != cfg) { /* an explicit flag on the outer config wins (it ties the whole model) */
        struct reader o = {.cfg = cfg, .prefix = pfx, .err = err};
        a.tied_embeddings = get_bool(&o, "tie_word_embeddings", a.tied_embeddings);
    }
    get_int(&r, "max_position_embeddings|n_positions|max_seq_len", 1, ARCH_MAX_POSITIONS,
            &a.max_context);
    derive_max_context(text, outer->model_type, &a);
    decode_window(&r, fam, &a);
    decode_vision(cfg, outer->vision, pfx, &a, err, &r.rc);
    if (r.rc < 0)
        return r.rc;
    int rc = arch_validate(&a, field_prefix, err);
    if (rc < 0)
        return rc;
    *out = a;
    return 0;
}

int arch_validate(const struct arch *a, const char *field_prefix, struct error_info *err)
{
    const char *p = field_prefix ? field_prefix : "";
    if (a->layers < 1 || a->hidden < 1 ||
        (arch_attn_layers(a) > 0 && (a->heads < 1 || a->kv_heads < 1 || a->head_dim < 1)))
        return error_set(
            err, 422, "invalid_architecture", p,
            "the architecture needs layers, hidden, heads, kv_heads and head_dim >= 1");
    if (a->state_layers + a->mixerless_layers > a->layers || a->mlpless_layers > a->layers)
        return error_set(err, 422, "invalid_architecture", p,
                         "state, mixer-less and MLP-less layers must each be <= layers (%lld)",
                         (long long)a->layers);
    if (a->kv_heads > 0 && a->heads % a->kv_heads != 0)
        return error_set(err, 422, "invalid_architecture", p,
                         "attention heads (%lld) must be a multiple of kv_heads (%lld)",
                         (long long)a->heads, (long long)a->kv_heads);
    if (!arch_kv_per_head(a->attention) && (a->kv_lora_rank < 1 || a->qk_rope_head_dim < 1))
        return error_set(err, 422, "invalid_architecture", p,
                         "MLA needs both kv_lora_rank and qk_rope_head_dim >= 1");
    if (a->n_routed_experts > 0 &&
        (a->experts_per_token < 1 || a->experts_per_token > a->n_routed_experts))
        return error_set(err, 422, "invalid_architecture", p,
                         "experts per token (%lld) must be between 1 and the number of experts "
                         "(%lld)",
                         (long long)a->experts_per_token, (long long)a->n_routed_experts);
    if (a->windowed_layers > a->layers || (a->windowed_layers > 0 && a->sliding_window < 1))
        return error_set(err, 422, "invalid_architecture", p,
                         "windowed layers (%lld) must be <= layers (%lld) and need a "
                         "sliding_window >= 1",
                         (long long)a->windowed_layers, (long long)a->layers);
    return 0;
}

static const char *const attention_names[ARCH_ATTN_COUNT] = {
    [ARCH_ATTN_GQA] = "gqa",
    [ARCH_ATTN_MLA] = "mla",
};
static const char *const state_names[ARCH_STATE_COUNT] = {
    [ARCH_STATE_NONE] = "none",           [ARCH_STATE_MAMBA1] = "mamba1",
    [ARCH_STATE_MAMBA2] = "mamba2",       [ARCH_STATE_GDN] = "gated_deltanet",
    [ARCH_STATE_LIGHTNING] = "lightning",
};
static const char *const mlp_names[ARCH_MLP_COUNT] = {
    [ARCH_MLP_GATED] = "gated",
    [ARCH_MLP_PLAIN] = "plain",
};
static const char *const norm_names[ARCH_NORM_COUNT] = {
    [ARCH_NORM_RMS] = "rmsnorm",
    [ARCH_NORM_LAYER] = "layernorm",
    [ARCH_NORM_LAYER_NOBIAS] = "layernorm_nobias",
};

/* The switches make a new enum value fail the build here until its name row is added. */
static const char *const vision_names[ARCH_VISION_COUNT] = {
    [ARCH_VISION_NONE] = "none",
    [ARCH_VISION_SIGLIP] = "siglip",
    [ARCH_VISION_PIXTRAL] = "pixtral",
    [ARCH_VISION_QWEN3VL] = "qwen3_vl",
};

const char *arch_vision_name(enum arch_vision k)
{
    switch (k) {
    case ARCH_VISION_NONE:
    case ARCH_VISION_SIGLIP:
    case ARCH_VISION_PIXTRAL:
    case ARCH_VISION_QWEN3VL:
        return vision_names[k];
    }
    return "?";
}

const char *arch_attention_name(enum arch_attention k)
{
    switch (k) {
    case ARCH_ATTN_GQA:
    case ARCH_ATTN_MLA:
        return attention_names[k];
    }
    return "?";
}

const char *arch_state_name(enum arch_state k)
{
    switch (k) {
    case ARCH_STATE_NONE:
    case ARCH_STATE_MAMBA1:
    case ARCH_STATE_MAMBA2:
    case ARCH_STATE_GDN:
    case ARCH_STATE_LIGHTNING:
        return state_names[k];
    }
    return "?";
}

/* The encoder stack and the state layers: written only for the models that have them. */
static void write_stacks(struct jsonout *w, const struct arch *a)
{
    if (a->encoder_layers > 0) {
        jsonout_key(w, "encoder");
        jsonout_begin_object(w);
        jsonout_key(w, "layers");
        jsonout_integer(w, a->encoder_layers);
        jsonout_key(w, "moe_layers");
        jsonout_integer(w, a->encoder_moe_layers);
        jsonout_key(w, "relative_position_buckets");
        jsonout_integer(w, a->rel_pos_buckets);
        jsonout_end_object(w);
    }
    if (a->state == ARCH_STATE_NONE)
        return;
    jsonout_key(w, "state");
    jsonout_begin_object(w);
    jsonout_key(w, "kind");
    jsonout_string(w, arch_state_name(a->state));
    jsonout_key(w, "state_layers");
    jsonout_integer(w, a->state_layers);
    jsonout_key(w, "attention_layers");
    jsonout_integer(w, arch_attn_layers(a));
    jsonout_key(w, "mlp_layers");
    jsonout_integer(w, arch_mlp_layers(a));
    jsonout_key(w, "inner");
    jsonout_integer(w, a->ssm.inner);
    jsonout_key(w, "heads");
    jsonout_integer(w, a->ssm.heads);
    jsonout_key(w, "d_state");
    jsonout_integer(w, a->ssm.d_state);
    jsonout_key(w, "conv_kernel");
    jsonout_integer(w, a->ssm.conv_kernel);
    jsonout_key(w, "ssm_element_bytes");
    jsonout_integer(w, a->state_ssm_bytes);
    jsonout_end_object(w);
}

const char *arch_mlp_name(enum arch_mlp k)
{
    switch (k) {
    case ARCH_MLP_GATED:
    case ARCH_MLP_PLAIN:
        return mlp_names[k];
    }
    return "?";
}

const char *arch_norm_name(enum arch_norm k)
{
    switch (k) {
    case ARCH_NORM_RMS:
    case ARCH_NORM_LAYER:
    case ARCH_NORM_LAYER_NOBIAS:
        return norm_names[k];
    }
    return "?";
}

/* arch_write's objects for the traits of issue 11's families (only when the model has them). */
static void write_newer_traits(struct jsonout *w, const struct arch *a)
{
    if (a->chunked_layers > 0) {
        jsonout_key(w, "chunked_attention");
        jsonout_begin_object(w);
        jsonout_key(w, "chunk");
        jsonout_integer(w, a->attention_chunk);
        jsonout_key(w, "chunked_layers");
        jsonout_integer(w, a->chunked_layers);
        jsonout_end_object(w);
    }
    if (a->kv_share > 1) {
        jsonout_key(w, "cross_layer_attention");
        jsonout_begin_object(w);
        jsonout_key(w, "share_factor");
        jsonout_integer(w, a->kv_share);
        jsonout_key(w, "kv_layers");
        jsonout_integer(w, arch_kv_layers(a));
        jsonout_end_object(w);
    }
    if (a->index_heads > 0) {
        jsonout_key(w, "indexer");
        jsonout_begin_object(w);
        jsonout_key(w, "heads");
        jsonout_integer(w, a->index_heads);
        jsonout_key(w, "head_dim");
        jsonout_integer(w, a->index_head_dim);
        jsonout_end_object(w);
    }
    if (a->kv_groups > 0 || a->mlp_width_sum > 0) { /* nemotron-nas block_configs */
        jsonout_key(w, "per_layer_blocks");
        jsonout_begin_object(w);
        jsonout_key(w, "attention_layers");
        jsonout_integer(w, arch_attn_layers(a));
        jsonout_key(w, "mlp_layers");
        jsonout_integer(w, arch_mlp_layers(a));
        jsonout_key(w, "linear_layers");
        jsonout_integer(w, a->linear_layers);
        jsonout_key(w, "kv_heads");
        jsonout_begin_array(w);
        for (int i = 0; i < a->kv_groups; i++) {
            jsonout_begin_object(w);
            jsonout_key(w, "kv_heads");
            jsonout_integer(w, a->kv_group[i].kv_heads);
            jsonout_key(w, "layers");
            jsonout_integer(w, a->kv_group[i].layers);
            jsonout_end_object(w);
        }
        jsonout_end_array(w);
        jsonout_key(w, "mlp_width_sum");
        jsonout_integer(w, a->mlp_width_sum);
        jsonout_end_object(w);
    }
    if (a->vision.kind != ARCH_VISION_NONE) {
        jsonout_key(w, "vision");
        jsonout_begin_object(w);
        jsonout_key(w, "kind");
        jsonout_string(w, arch_vision_name(a->vision.kind));
        jsonout_key(w, "layers");
        jsonout_integer(w, a->vision.layers);
        jsonout_key(w, "hidden");
        jsonout_integer(w, a->vision.hidden);
        jsonout_end_object(w);
    }
}

void arch_write(struct jsonout *w, const struct arch *a)
{
    jsonout_begin_object(w);
    jsonout_key(w, "model_type");
    jsonout_string(w, a->model_type);
    jsonout_key(w, "layers");
    jsonout_integer(w, a->layers);
    jsonout_key(w, "hidden");
    jsonout_integer(w, a->hidden);
    jsonout_key(w, "vocab_size");
    jsonout_integer(w, a->vocab);
    jsonout_key(w, "tied_embeddings");
    jsonout_bool(w, a->tied_embeddings);
    jsonout_key(w, "attention");
    jsonout_string(w, arch_attention_name(a->attention));
    jsonout_key(w, "attention_heads");
    jsonout_integer(w, a->heads);
    jsonout_key(w, "kv_heads");
    jsonout_integer(w, a->kv_heads);
    jsonout_key(w, "head_dim");
    jsonout_integer(w, a->head_dim);
    jsonout_key(w, "mlp");
    jsonout_string(w, arch_mlp_name(a->mlp));
    jsonout_key(w, "intermediate_size");
    jsonout_integer(w, a->intermediate);
    jsonout_key(w, "norm");
    jsonout_string(w, arch_norm_name(a->norm));
    jsonout_key(w, "norms_per_layer");
    jsonout_integer(w, a->norms_per_layer);
    if (!arch_kv_per_head(a->attention)) {
        jsonout_key(w, "mla");
        jsonout_begin_object(w);
        jsonout_key(w, "q_lora_rank");
        jsonout_integer(w, a->q_lora_rank);
        jsonout_key(w, "kv_lora_rank");
        jsonout_integer(w, a->kv_lora_rank);
        jsonout_key(w, "qk_rope_head_dim");
        jsonout_integer(w, a->qk_rope_head_dim);
        jsonout_key(w, "qk_nope_head_dim");
        jsonout_integer(w, a->qk_nope_head_dim);
        jsonout_key(w, "v_head_dim");
        jsonout_integer(w, a->v_head_dim);
        jsonout_end_object(w);
    }
    if (arch_is_moe(a)) {
        jsonout_key(w, "moe");
        jsonout_begin_object(w);
        jsonout_key(w, "routed_experts");
        jsonout_integer(w, a->n_routed_experts);
        jsonout_key(w, "experts_per_token");
        jsonout_integer(w, a->experts_per_token);
        jsonout_key(w, "expert_intermediate_size");
        jsonout_integer(w, a->moe_intermediate);
        jsonout_key(w, "shared_experts");
        jsonout_integer(w, a->n_shared_experts);
        jsonout_key(w, "shared_intermediate_size");
        jsonout_integer(w, a->shared_intermediate);
        jsonout_key(w, "first_dense_layers");
        jsonout_integer(w, a->first_k_dense);
        jsonout_key(w, "moe_layers");
        jsonout_integer(w, arch_moe_layers(a));
        jsonout_end_object(w);
    }
    if (a->sliding_window > 0) {
        jsonout_key(w, "sliding_window");
        jsonout_begin_object(w);
        jsonout_key(w, "window");
        jsonout_integer(w, a->sliding_window);
        jsonout_key(w, "windowed_layers");
        jsonout_integer(w, a->windowed_layers);
        jsonout_end_object(w);
    }
    if (a->positions > 0) {
        jsonout_key(w, "learned_positions");
        jsonout_integer(w, a->positions);
    }
    if (a->mtp_layers > 0) {
        jsonout_key(w, "mtp_layers");
        jsonout_integer(w, a->mtp_layers);
    }
    write_newer_traits(w, a);
    if (a->max_context > 0) {
        jsonout_key(w, "max_context");
        jsonout_integer(w, a->max_context);
    }
    write_stacks(w, a);
    jsonout_end_object(w);
}

static void arch_write_any(struct jsonout *w, const void *a)
{
    arch_write(w, a);
}

json_t *arch_to_json(const struct arch *a)
{
    return jsonout_tree(arch_write_any, a);
}
