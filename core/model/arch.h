/* arch.h - a transformer's architecture as plain numbers: the input to parameter, KV and fit math.
 */
#ifndef VRAMFIT_ARCH_H
#define VRAMFIT_ARCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonout.h"

/*
 * Conventions (stable; other modules, e.g. training estimates, build on them):
 * - Every dimension is a count of elements (not bytes), int64_t, >= 0; 0 means "absent".
 * - "layers" are the decoder blocks that run for every token (num_hidden_layers). Extra
 *   multi-token-prediction blocks stored in some checkpoints are counted in mtp_layers, never in
 *   layers.
 * - A layer is a MoE layer when the model has routed experts and arch_layer_is_moe() says so; every
 *   other layer has a dense MLP of width `intermediate`.
 * - Attention is MHA/GQA/MQA (kind ARCH_ATTN_GQA: heads query heads of head_dim, kv_heads K/V heads
 *   of head_dim) or MLA (ARCH_ATTN_MLA: DeepSeek-V2/V3 latent attention, see the mla_* fields).
 */

/* Attention family. */
enum arch_attention {
    ARCH_ATTN_GQA =
        0, /* MHA (kv_heads == heads), GQA (1 < kv_heads < heads), MQA (kv_heads == 1) */
    ARCH_ATTN_MLA = 1, /* multi-head latent attention (DeepSeek-V2/V3) */
};
#define ARCH_ATTN_COUNT (ARCH_ATTN_MLA + 1) /* size of the name table; update with the enum */

/* MLP shape: gated (SwiGLU/GeGLU: gate, up, down = 3 matrices) or plain (up, down = 2). */
enum arch_mlp {
    ARCH_MLP_GATED = 0,
    ARCH_MLP_PLAIN = 1,
};
#define ARCH_MLP_COUNT (ARCH_MLP_PLAIN + 1)

/* Normalisation: RMSNorm has a weight vector only; LayerNorm a weight and (usually) a bias. */
enum arch_norm {
    ARCH_NORM_RMS = 0,
    ARCH_NORM_LAYER = 1,        /* LayerNorm with weight and bias (2 * hidden params) */
    ARCH_NORM_LAYER_NOBIAS = 2, /* LayerNorm without bias (hidden params) */
};
#define ARCH_NORM_COUNT (ARCH_NORM_LAYER_NOBIAS + 1)

/* Vision tower shipped in a multimodal checkpoint (its weights count; it holds no KV cache). */
enum arch_vision {
    ARCH_VISION_NONE = 0,
    ARCH_VISION_SIGLIP = 1,  /* SigLIP ViT + Gemma3 projector (gemma3) */
    ARCH_VISION_PIXTRAL = 2, /* Pixtral ViT + patch merger and 2-layer projector (mistral3) */
    ARCH_VISION_QWEN3VL = 3, /* Qwen3-VL ViT + patch mergers (qwen3_5, qwen3_5_moe) */
};
#define ARCH_VISION_COUNT (ARCH_VISION_QWEN3VL + 1)

/* A vision tower's shape (vision_config, with the config class's defaults). */
struct arch_vision_tower {
    enum arch_vision kind;
    int64_t layers, hidden, intermediate, patch, image, channels;
    int64_t merge;       /* Pixtral: spatial_merge_size (patch merger of merge^2 patches) */
    bool projector_bias; /* mistral3 multimodal_projector_bias */
    /* Qwen3-VL: temporal_patch_size, num_position_embeddings, out_hidden_size, and how many
     * deepstack mergers (deepstack_visual_indexes) sit beside the final merger. */
    int64_t temporal_patch, positions, out_hidden, deepstack;
};

/*
 * The API names of the closed sets above ("gqa", "mla"; "gated", "plain"; "rmsnorm", "layernorm",
 * "layernorm_nobias"): static storage, never NULL ("?" only for a value outside the enum).
 */
const char *arch_attention_name(enum arch_attention k);
const char *arch_mlp_name(enum arch_mlp k);
const char *arch_norm_name(enum arch_norm k);
const char *arch_vision_name(enum arch_vision k); /* "none", "siglip", "pixtral", "qwen3_vl" */

/*
 * Per-sequence state kinds (issue 11, hybrids): token mixers that keep a fixed-size recurrent state
 * per running sequence instead of a KV cache that grows per token. vLLM allocates one MambaSpec
 * page per sequence per such layer (vllm/v1/kv_cache_interface.py MambaSpec.page_size_bytes),
 * shaped by vllm/model_executor/layers/mamba/mamba_utils.py MambaStateShapeCalculator.
 */
enum arch_state {
    ARCH_STATE_NONE = 0,      /* plain transformer: every mixer is attention */
    ARCH_STATE_MAMBA1 = 1,    /* Mamba-1 selective SSM (mamba, falcon_mamba, jamba) */
    ARCH_STATE_MAMBA2 = 2,    /* Mamba-2 SSD (nemotron_h, granitemoehybrid) */
    ARCH_STATE_GDN = 3,       /* Gated DeltaNet linear attention (qwen3_next, qwen3_5) */
    ARCH_STATE_LIGHTNING = 4, /* lightning (linear) attention: heads x head_dim^2 (minimax_m1) */
};
#define ARCH_STATE_COUNT (ARCH_STATE_LIGHTNING + 1)

/*
 * arch_state_name - "none", "mamba1", "mamba2", "gated_deltanet", "lightning" (static; "?" outside
 * the enum).
 */
const char *arch_state_name(enum arch_state k);

/* Hard caps on decoded values (a config comes from a user; the math must not overflow). */
#define ARCH_MAX_LAYERS    4096
#define ARCH_MAX_DIM       (1LL << 22) /* hidden, intermediate, head_dim, ranks: 4 Mi */
#define ARCH_MAX_HEADS     65536
#define ARCH_MAX_VOCAB     (1LL << 24) /* 16 Mi tokens */
#define ARCH_MAX_EXPERTS   65536
#define ARCH_MAX_POSITIONS (1LL << 26)
#define ARCH_MAX_KV_GROUPS 8 /* distinct per-layer K/V head counts (nemotron-nas) */

struct arch {
    char model_type[32]; /* HF model_type as given ("llama", "deepseek_v3", ...) or "custom" */

    /* Shape of the stack. */
    int64_t layers;       /* decoder blocks (num_hidden_layers / n_layer / n_layers) */
    int64_t hidden;       /* residual width (hidden_size / n_embd / d_model) */
    int64_t vocab;        /* vocabulary rows of the embedding (vocab_size) */
    bool tied_embeddings; /* LM head shares the input embedding (no separate vocab x hidden) */
    int64_t
        positions; /* learned absolute position table rows (GPT-2 n_positions); 0 = RoPE/ALiBi */

    /* Attention. */
    enum arch_attention attention;
    int64_t heads;    /* query heads (num_attention_heads) */
    int64_t kv_heads; /* K/V heads (num_key_value_heads; == heads for MHA); MLA: == heads */
    int64_t
        head_dim;  /* per-head dim for Q/K/V (head_dim or hidden / heads); MLA: qk_nope + qk_rope */
    bool qkv_bias; /* biases on the q, k, v projections (qwen2, gpt2, gpt_oss) */
    bool o_bias;   /* bias on the output projection (gpt2, gpt_oss) */
    bool qk_norm;  /* per-head RMSNorm on q and k, head_dim weights each (qwen3) */
    bool attn_sinks; /* one learned sink logit per query head per layer (gpt_oss) */

    /* MLA (attention == ARCH_ATTN_MLA); all 0 otherwise. */
    int64_t q_lora_rank;      /* 0 = queries projected directly from hidden (DeepSeek-V2-Lite) */
    int64_t kv_lora_rank;     /* compressed KV latent width: this is what the KV cache stores */
    int64_t qk_rope_head_dim; /* decoupled RoPE key width, shared by all heads; also cached */
    int64_t qk_nope_head_dim; /* per-head non-RoPE q/k width */
    int64_t v_head_dim;       /* per-head value width (also used by GQA when != head_dim; else 0) */

    /* MLP. */
    enum arch_mlp mlp;
    int64_t intermediate; /* dense MLP width (intermediate_size / ffn_hidden_size / 4 * hidden) */
    bool mlp_bias;        /* biases on MLP/expert projections (gpt2, gpt_oss experts) */

    /* Mixture of experts; n_routed_experts == 0 means dense. */
    int64_t n_routed_experts;    /* num_local_experts / num_experts / n_routed_experts */
    int64_t experts_per_token;   /* top-k routed experts per token */
    int64_t moe_intermediate;    /* width of one routed expert (== intermediate for Mixtral) */
    int64_t n_shared_experts;    /* always-on shared experts (DeepSeek); 1 for qwen2_moe's shared */
    int64_t shared_intermediate; /* width of ONE shared expert (DeepSeek: moe_intermediate) */
    bool shared_expert_gate; /* sigmoid Linear(hidden, 1) gate on the shared expert (qwen2_moe) */
    bool router_bias;        /* router Linear has a bias (gpt_oss) */
    bool router_score_bias;  /* e_score_correction_bias, n_routed_experts floats (DeepSeek-V3) */
    int64_t first_k_dense;   /* the first k layers have a dense MLP (first_k_dense_replace) */
    int64_t moe_layer_freq;  /* after first_k_dense, every n-th layer is MoE (1 = all); >= 1 */

    /* Normalisation. */
    enum arch_norm norm;
    int norms_per_layer;    /* 2 for pre-norm blocks, 4 for sandwich norms (gemma2, grok-1), 1
                               falcon-7b */
    bool parallel_attn_mlp; /* attention and MLP read the same input (falcon, gpt-j) */

    /* Sliding-window attention: windowed_layers of the layers keep at most sliding_window tokens.
     */
    int64_t sliding_window;  /* 0 = none */
    int64_t windowed_layers; /* how many layers use the window (gemma2: half, gpt_oss: half) */

    /* Extra blocks stored in the checkpoint but not run per token by default (DeepSeek-V3 MTP). */
    int64_t mtp_layers;

    /*
     * Longest context vLLM serves: its derived max_model_len (_get_and_verify_max_len in
     * vllm/config/model.py): the least of the length keys the config has, times the RoPE scaling
     * factor (yarn: of original_max_position_embeddings; not for su/longrope/llama3, nor gemma3
     * whose length is already scaled). 0 = unknown. max_context_rule says how, in vLLM's terms.
     */
    int64_t max_context;
    char max_context_rule[112];

    /* Decoder families of issue 11 (llama4, deepseek_v32, qwen3_moe lists, olmoe, gptj, ...). */
    int64_t
        attention_chunk;    /* chunked local attention: a chunked layer keeps <= this many tokens */
    int64_t chunked_layers; /* how many layers are chunked (llama4: the RoPE layers) */
    int64_t index_heads;    /* DeepSeek-V3.2 lightning indexer heads per layer (0 = none) */
    int64_t index_head_dim; /* indexer head width; its key (one per token per layer) is cached */
    bool lm_head_bias;      /* the LM head has a bias (gptj) */
    /* Layers forced dense whatever the MoE rule says (qwen mlp_only_layers), one bit per layer. */
    uint64_t dense_mask[ARCH_MAX_LAYERS / 64];
    struct arch_vision_tower vision;
    /*
     * Encoder-decoder stacks (switch_transformers, t5); all 0 for decoder-only models. `layers`
     * are the decoder blocks (they run per generated token and hold the growing self-attention
     * KV); each also has a cross-attention block whose K/V is computed once from the encoder
     * output, so its cache is fixed at the encoder length. The encoder blocks have self-attention
     * and an MLP/MoE, no cache.
     */
    int64_t encoder_layers;     /* num_layers */
    int64_t encoder_moe_layers; /* encoder blocks with routed experts (sparse step rule) */
    int64_t rel_pos_buckets;    /* T5 relative-position bias: buckets x heads, one per stack */

    /*
     * Hybrid stacks (state kinds above). Counts are over `layers`: state_layers have the state
     * mixer instead of attention (no KV), mixerless_layers have no token mixer at all (nemotron_h
     * MLP/MoE-only layers), mlpless_layers have a mixer but no MLP (nemotron_h mixer layers,
     * mamba). moe_layer_count >= 0 overrides the first_k_dense / moe_layer_freq rule when a
     * pattern places the MoE layers (nemotron_h 'E'); -1 otherwise (0 from memset means "none").
     */
    enum arch_state state;
    int64_t state_layers;
    int64_t mixerless_layers;
    int64_t mlpless_layers;
    bool moe_by_pattern;
    int64_t moe_pattern_layers;
    bool attn_output_gate; /* qwen3_next: q_proj doubled for a sigmoid output gate */
    struct {
        int64_t inner;       /* d_inner: mamba1 intermediate; mamba2 heads*head_dim; GDN v dim */
        int64_t heads;       /* mamba2 heads; GDN value heads */
        int64_t head_dim;    /* mamba2 head_dim; GDN value head dim */
        int64_t k_heads;     /* GDN key heads */
        int64_t k_head_dim;  /* GDN key head dim */
        int64_t d_state;     /* SSM state size (mamba1/2) */
        int64_t groups;      /* mamba2 n_groups (B/C groups) */
        int64_t conv_kernel; /* causal conv width */
        int64_t dt_rank;     /* mamba1 time-step rank */
        bool conv_bias, proj_bias, bc_dt_norms;
    } ssm;
    int state_conv_bytes; /* bytes per conv-state element (model dtype: mamba_cache_dtype auto) */
    int state_ssm_bytes;  /* bytes per SSM/recurrent element (mamba_ssm_cache_dtype or dtype) */

    /*
     * Heterogeneous stacks (nemotron-nas, DeciLM block_configs): each layer has its own K/V head
     * count and MLP width. kv_groups > 0 splits the attention layers into kv_group[i].layers
     * layers of kv_group[i].kv_heads K/V heads (kv_heads then holds the largest, for the TP
     * rule); mlp_width_sum > 0 is the sum of the dense MLP layers' widths (intermediate then holds
     * the largest); linear_layers are attention or MLP blocks replaced by one bias-free
     * hidden x hidden Linear; norm_vectors > 0 is the number of per-layer norm vectors (a block
     * without attention or without MLP has no norm for it) instead of layers * norms_per_layer.
     */
    int kv_groups;
    struct {
        int64_t kv_heads, layers;
    } kv_group[ARCH_MAX_KV_GROUPS];
    int64_t mlp_width_sum;
    int64_t linear_layers;
    int64_t norm_vectors;
    /* MoE families of issue 11 (moe block: olmoe, phimoe, arctic, hunyuan, minimax, ernie). */
    bool qk_norm_full; /* q/k RMSNorm over the whole projection: heads x head_dim and kv_heads x
                          head_dim weights (olmoe, minimax_m2), instead of qk_norm's per head */
    int64_t kv_share;  /* cross-layer attention (hunyuan use_cla): only layers i % kv_share == 0
                          project and cache K/V, the others reuse them; 0 or 1 = none */
};

/* arch_attn_layers - decoder layers with (self-)attention, i.e. with a per-token KV cache. */
static inline int64_t arch_attn_layers(const struct arch *a)
{
    return a->layers - a->state_layers - a->mixerless_layers;
}

/*
 * arch_kv_layers - attention layers that project and cache their own K/V: all of them, or with
 * cross-layer attention (kv_share = f > 1) layers 0, f, 2f, ... of the attention layers.
 */
static inline int64_t arch_kv_layers(const struct arch *a)
{
    int64_t n = arch_attn_layers(a);
    return a->kv_share > 1 ? (n + a->kv_share - 1) / a->kv_share : n;
}

/* arch_mlp_layers - decoder layers with a dense MLP or MoE block. */
static inline int64_t arch_mlp_layers(const struct arch *a)
{
    return a->layers - a->mlpless_layers;
}

/* arch_is_moe - true when the model has routed experts. */
static inline bool arch_is_moe(const struct arch *a)
{
    return a->n_routed_experts > 0;
}

/* arch_layer_is_moe - true when layer i (0-based) has routed experts rather than a dense MLP. */
static inline bool arch_layer_is_moe(const struct arch *a, int64_t i)
{
    if (!arch_is_moe(a) || i < a->first_k_dense)
        return false;
    if (i < ARCH_MAX_LAYERS && (a->dense_mask[i / 64] >> (i % 64)) & 1)
        return false;
    int64_t freq = a->moe_layer_freq > 0 ? a->moe_layer_freq : 1;
    return (i - a->first_k_dense) % freq == 0;
}

/* arch_moe_layers - how many of the layers are MoE layers. */
static inline int64_t arch_moe_layers(const struct arch *a)
{
    if (a->moe_by_pattern)
        return a->moe_pattern_layers;
    int64_t n = 0;
    for (int64_t i = 0; i < a->layers; i++)
        n += arch_layer_is_moe(a, i);
    return n;
}

/*
 * arch_kv_per_head - true when K and V are projected and cached per K/V head of head_dim (MHA, GQA,
 * MQA); false when the cache holds one shared latent (MLA: the mla_* fields). The switch makes a
 * new attention kind fail the build here (and at every other switch on it) until it is decided.
 */
static inline bool arch_kv_per_head(enum arch_attention k)
{
    switch (k) {
    case ARCH_ATTN_GQA:
        return true;
    case ARCH_ATTN_MLA:
        return false;
    }
    return true;
}

/* arch_mlp_matrices - weight matrices per MLP/expert: 3 gated, 2 plain. */
static inline int arch_mlp_matrices(const struct arch *a)
{
    switch (a->mlp) {
    case ARCH_MLP_GATED:
        return 3;
    case ARCH_MLP_PLAIN:
        return 2;
    }
    return 2;
}

/*
 * arch_from_hf_config - decodes a Hugging Face config.json object into *out. The family is picked
 * by `architectures` as vLLM does (model_type refines it when several rows share a class, and is
 * the fallback when architectures is absent or unknown). Supported: llama, mistral, mixtral, phi3,
 * qwen2, qwen2_moe, qwen3, qwen3_moe, gemma, gemma2, gemma3 (+gemma3_text), grok-1, deepseek_v2,
 * deepseek_v3, deepseek_v32, kimi_k2, glm4_moe, llama4 (+llama4_text), mistral3, granitemoe, gptj,
 * falcon (and RefinedWeb/RefinedWebModel), gpt2, dbrx, gpt_oss, cohere, cohere2, starcoder2,
 * exaone4, seed_oss, nemotron-nas (per-layer block_configs); encoder-decoder t5 and
 * switch_transformers (`layers` are the decoder blocks, encoder_layers the encoder); hybrid-state
 * qwen3_next, qwen3_5, qwen3_5_moe, nemotron_h, granitemoehybrid, mamba, falcon_mamba and jamba
 * (see state); MoE olmoe, phimoe, arctic, hunyuan (+hunyuan_v1_moe), minimax_m1
 * (lightning-attention state), minimax_m2, ernie4_5_moe. Nested multimodal configs (llama4, gemma3,
 * mistral3, qwen3_5, qwen3_5_moe) are read from text_config, their vision tower from vision_config.
 * Absent keys take the config class's defaults where transformers has them (gemma3, llama4, olmoe,
 * phimoe, arctic, ernie4_5_moe). field_prefix names the object in errors ("hf_config"). Errors:
 * -EINVAL, err status 422 naming the unsupported model_type/architecture (with the closest
 * supported family, the supported list and the fields of an explicit description) or the
 * missing/invalid fields (all missing ones listed). *out is filled only on success; nothing is
 * allocated.
 */
int arch_from_hf_config(const json_t *cfg, const char *field_prefix, struct arch *out,
                        struct error_info *err);

/*
 * arch_validate - checks the cross-field rules of an architecture built by hand (request fields)
 * or decoded: heads divisible by kv_heads, MLA ranks present together, top-k <= experts, caps.
 * Errors: -EINVAL with err (status 422, field named with field_prefix). No allocation.
 */
int arch_validate(const struct arch *a, const char *field_prefix, struct error_info *err);

/*
 * arch_write - the architecture as a JSON object for API output (only meaningful fields), written
 * into w (errors stick in w).
 */
void arch_write(struct jsonout *w, const struct arch *a);

/*
 * arch_to_json - arch_write's object as a tree. New reference owned by the caller, or NULL on
 * allocation failure.
 */
json_t *arch_to_json(const struct arch *a);

#endif
