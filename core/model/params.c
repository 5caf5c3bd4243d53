/* params.c - counts parameters per component from struct arch (weights, biases, norms, experts). */
#include "model/params.h"

#include <string.h>

static double norm_params(const struct arch *a, double width)
{
    switch (a->norm) {
    case ARCH_NORM_LAYER: /* weight and bias */
        return 2 * width;
    case ARCH_NORM_RMS:
    case ARCH_NORM_LAYER_NOBIAS:
        break;
    }
    return width;
}

/* One MLP (or expert) of width inter: gate/up/down matrices plus optional biases. */
static double mlp_params(const struct arch *a, double inter)
{
    double h = (double)a->hidden;
    double p = arch_mlp_matrices(a) * h * inter;
    if (a->mlp_bias)
        p += (arch_mlp_matrices(a) - 1) * inter + h;
    return p;
}

/* DeepSeek MLA projections (MLA's attention weights do not follow the GQA shapes). */
static double mla_params(const struct arch *a)
{
    double h = (double)a->hidden, nh = (double)a->heads;
    double qk = (double)(a->qk_nope_head_dim + a->qk_rope_head_dim);
    double q;
    if (a->q_lora_rank > 0) /* q_a_proj, q_a_layernorm, q_b_proj */
        q = h * a->q_lora_rank + a->q_lora_rank + (double)a->q_lora_rank * nh * qk;
    else
        q = h * nh * qk;
    /* kv_a_proj_with_mqa, kv_a_layernorm, kv_b_proj (k_nope and v for every head) */
    double kv = h * (a->kv_lora_rank + a->qk_rope_head_dim) + a->kv_lora_rank +
                (double)a->kv_lora_rank * nh * (a->qk_nope_head_dim + a->v_head_dim);
    double o = nh * a->v_head_dim * h;
    double bias = a->o_bias ? h : 0;
    return q + kv + o + bias;
}

/*
 * DeepSeek-V3.2's lightning indexer per layer (DeepSeek's inference/model.py Indexer, as vLLM's
 * deepseek_v2.py loads it): wq_b (q_lora_rank -> heads x head_dim), wk (hidden -> head_dim), k_norm
 * LayerNorm (weight and bias), weights_proj (hidden -> heads), no biases.
 */
static double indexer_params(const struct arch *a)
{
    double h = (double)a->hidden, ih = (double)a->index_heads, id = (double)a->index_head_dim;
    return (double)a->q_lora_rank * ih * id + h * id + 2 * id + h * ih;
}

/* The k and v projections (and their biases) of one GQA layer. */
static double kv_proj_params(const struct arch *a)
{
    double hd = (double)a->head_dim, kv = (double)a->kv_heads;
    double vd = a->v_head_dim > 0 ? (double)a->v_head_dim : hd;
    double p = (double)a->hidden * kv * (hd + vd);
    return a->qkv_bias ? p + kv * (hd + vd) : p;
}

static double attention_params(const struct arch *a)
{
    switch (a->attention) {
    case ARCH_ATTN_MLA:
        return mla_params(a) + (a->index_heads > 0 ? indexer_params(a) : 0);
    case ARCH_ATTN_GQA:
        break;
    }
    double h = (double)a->hidden, nh = (double)a->heads;
    double hd = (double)a->head_dim, kv = (double)a->kv_heads;
    double vd = a->v_head_dim > 0 ? (double)a->v_head_dim : hd;
    double p = h * nh * hd + h * kv * hd + h * kv * vd + nh * vd * h;
    if (a->qkv_bias)
        p += nh * hd + kv * hd + kv * vd;
    if (a->o_bias)
        p += h;
    if (a->qk_norm)
        p += 2 * hd;
    if (a->qk_norm_full) /* olmoe, minimax_m2: one norm over the whole q and k projections */
        p += (nh + kv) * hd;
    if (a->attn_sinks)
        p += nh;
    if (a->attn_output_gate) /* qwen3_next: q_proj also yields a per-head-dim gate */
        p += h * nh * hd + (a->qkv_bias ? nh * hd : 0);
    return p;
}

/*
 * A vision tower and its projector into the text model (transformers siglip/gemma3 and
 * pixtral/mistral3 modeling code). h: tower width, i: its MLP width, p: patch, c: channels.
 */
static double vision_params(const struct arch *a)
{
    const struct arch_vision_tower *t = &a->vision;
    double h = (double)t->hidden, i = (double)t->intermediate, th = (double)a->hidden;
    double patch = (double)t->channels * (double)t->patch * (double)t->patch * h;
    switch (t->kind) {
    case ARCH_VISION_NONE:
        return 0;
    case ARCH_VISION_SIGLIP: {
        /* Conv2d with bias, learned positions per patch; layers: 2 LayerNorms, q/k/v/out and
         * fc1/fc2 all with biases; post_layernorm. Gemma3MultiModalProjector: the
         * mm_input_projection_weight (tower -> text width) and an RMSNorm. */
        double side = t->patch > 0 ? (double)(t->image / t->patch) : 0;
        double layer = 4 * h + 4 * h * h + 4 * h + 2 * h * i + i + h;
        return patch + h + side * side * h + (double)t->layers * layer + 2 * h + h * th + h;
    }
    case ARCH_VISION_PIXTRAL: {
        /* Conv2d without bias, ln_pre RMSNorm, 2D RoPE (no table); layers: 2 RMSNorms, q/k/v/o
         * and a gated MLP without biases. Mistral3MultiModalProjector: RMSNorm, patch merger
         * (merge^2 * h -> h), linear_1 (h -> text), linear_2 (text -> text). */
        double layer = 2 * h + 4 * h * h + 3 * h * i;
        double m2 = (double)(t->merge * t->merge);
        double proj = h + m2 * h * h + h * th + th * th + (t->projector_bias ? 2 * th : 0);
        return patch + h + (double)t->layers * layer + proj;
    }
    case ARCH_VISION_QWEN3VL: {
        /* Qwen3VLVisionModel (transformers qwen3_vl, reused by qwen3_5): Conv3d patch embedding
         * with bias over temporal_patch x patch x patch, a learned position table; blocks with
         * 2 LayerNorms, fused qkv and proj with biases, an MLP fc1/fc2 with biases; the patch
         * merger (LayerNorm over the tower width, fc1 merge^2*h square, fc2 to the text width,
         * biases) and one deepstack merger per deepstack_visual_indexes entry (its LayerNorm
         * over the merged width). */
        double m = (double)(t->merge * t->merge) * h, out = (double)t->out_hidden;
        double layer = 4 * h + 4 * h * h + 4 * h + 2 * h * i + i + h;
        double merger = m * m + m + m * out + out;
        return patch * (double)t->temporal_patch + h + (double)t->positions * h +
               (double)t->layers * layer + 2 * h + merger + (double)t->deepstack * (2 * m + merger);
    }
    }
    return 0;
}

/*
 * Heterogeneous stacks (nemotron-nas): attention summed over the K/V head groups, dense MLPs over
 * the sum of their widths (mlp_params is affine in the width), replacement Linear blocks.
 */
static double hetero_attention(const struct arch *a)
{
    struct arch g = *a;
    double p = 0;
    for (int i = 0; i < a->kv_groups; i++) {
        g.kv_heads = a->kv_group[i].kv_heads;
        p += (double)a->kv_group[i].layers * attention_params(&g);
    }
    return p + (double)a->linear_layers * (double)a->hidden * (double)a->hidden;
}

static double dense_sum(const struct arch *a, double dense_layers)
{
    double h = (double)a->hidden, m = arch_mlp_matrices(a), sum = (double)a->mlp_width_sum;
    return m * h * sum + (a->mlp_bias ? (m - 1) * sum + dense_layers * h : 0);
}

/*
 * One state mixer (a layer that keeps a recurrent state instead of KV), after the transformers
 * modules: MambaMixer (mamba1), NemotronHMamba2Mixer (mamba2), Qwen3NextGatedDeltaNet (GDN).
 */
static double state_mixer_params(const struct arch *a)
{
    double h = (double)a->hidden, in = (double)a->ssm.inner, k = (double)a->ssm.conv_kernel;
    double pb = a->ssm.proj_bias ? 1 : 0, cb = a->ssm.conv_bias ? 1 : 0;
    switch (a->state) {
    case ARCH_STATE_NONE:
        return 0;
    case ARCH_STATE_MAMBA1: {
        double n = (double)a->ssm.d_state, r = (double)a->ssm.dt_rank;
        double p = h * 2 * in + pb * 2 * in; /* in_proj (x and gate z) */
        p += in * k + cb * in;               /* depthwise conv1d */
        p += in * (r + 2 * n);               /* x_proj -> dt, B, C */
        p += r * in + in;                    /* dt_proj with bias */
        p += in * n + in;                    /* A_log, D */
        p += in * h + pb * h;                /* out_proj */
        if (a->ssm.bc_dt_norms)              /* jamba: dt/b/c_layernorm */
            p += r + 2 * n;
        return p;
    }
    case ARCH_STATE_MAMBA2: {
        double nh = (double)a->ssm.heads;
        double conv = in + 2 * (double)a->ssm.groups * (double)a->ssm.d_state;
        double proj = in + conv + nh; /* z, xBC, dt */
        double p = h * proj + pb * proj + conv * k + cb * conv;
        p += 3 * nh;                /* dt_bias, A_log, D */
        p += in;                    /* gated RMSNorm */
        return p + in * h + pb * h; /* out_proj */
    }
    case ARCH_STATE_GDN: {
        double kd = (double)(a->ssm.k_heads * a->ssm.k_head_dim), nv = (double)a->ssm.heads;
        double conv = 2 * kd + in;
        double p = h * (2 * kd + 2 * in) + h * 2 * nv; /* in_proj_qkvz, in_proj_ba */
        p += conv * k;                                 /* conv1d, no bias */
        p += 2 * nv + (double)a->ssm.head_dim;         /* dt_bias, A_log, gated RMSNorm */
        return p + in * h;                             /* out_proj */
    }
    case ARCH_STATE_LIGHTNING: /* MiniMaxText01LinearAttention: qkv_proj, output_gate, norm,
                                  out_proj (the per-head decay slopes are computed, not stored) */
        return h * 3 * in + h * in + in + in * h;
    }
    return 0;
}

/* Encoder-decoder extras: cross-attention, the encoder stack and the relative-position tables. */
static void count_encoder(const struct arch *a, double attn, double dense, double moe_block,
                          struct params *p)
{
    if (a->encoder_layers == 0)
        return;
    double enc = (double)a->encoder_layers, enc_moe = (double)a->encoder_moe_layers;
    p->cross_attention = (double)a->layers * attn;
    p->attention += enc * attn;
    p->dense_mlp += (enc - enc_moe) * dense;
    p->routed_experts += enc_moe * moe_block;
    p->positions += 2 * (double)a->rel_pos_buckets * (double)a->heads;
    /* encoder block: 2 norms; the stack's final norm */
    p->norms += enc * 2 * norm_params(a, (double)a->hidden) + norm_params(a, (double)a->hidden);
}

void params_count(const struct arch *a, struct params *out)
{
    struct params p;
    memset(&p, 0, sizeof(p));
    double h = (double)a->hidden;
    double layers = (double)a->layers;
    double moe_layers = (double)arch_moe_layers(a);
    double dense_layers = (double)arch_mlp_layers(a) - moe_layers;

    p.embedding = (double)a->vocab * h;
    p.positions = (double)a->positions * h;
    p.lm_head = a->tied_embeddings ? 0 : (double)a->vocab * h;
    if (a->lm_head_bias)
        p.lm_head += (double)a->vocab;
    p.vision = vision_params(a);
    double attn = attention_params(a);
    p.attention = a->kv_groups > 0 ? hetero_attention(a) : (double)arch_attn_layers(a) * attn;
    if (a->kv_share > 1) /* cross-layer attention: the sharing layers have no k/v projections */
        p.attention -= (double)(arch_attn_layers(a) - arch_kv_layers(a)) * kv_proj_params(a);
    p.state_mixers = (double)a->state_layers * state_mixer_params(a);
    double dense = mlp_params(a, (double)a->intermediate);
    p.dense_mlp = a->mlp_width_sum > 0 ? dense_sum(a, dense_layers) : dense_layers * dense;

    double expert = 0, shared = 0, router = 0;
    if (arch_is_moe(a)) {
        expert = (double)a->n_routed_experts * mlp_params(a, (double)a->moe_intermediate);
        shared = (double)a->n_shared_experts * mlp_params(a, (double)a->shared_intermediate);
        if (a->shared_expert_gate)
            shared += h;
        router = h * a->n_routed_experts;
        if (a->router_bias)
            router += (double)a->n_routed_experts;
        if (a->router_score_bias)
            router += (double)a->n_routed_experts;
    }
    p.routed_experts = moe_layers * expert;
    p.shared_experts = moe_layers * shared;
    p.routers = moe_layers * router;
    double layer_norms = a->norms_per_layer * norm_params(a, h);
    p.norms =
        (a->norm_vectors > 0 ? (double)a->norm_vectors * norm_params(a, h) : layers * layer_norms) +
        norm_params(a, h);
    count_encoder(a, attn, dense, expert, &p);
    p.routers += (double)a->encoder_moe_layers * router;

    if (a->mtp_layers > 0) {
        /*
         * DeepSeek-V3 MTP block: enorm + hnorm, eh_proj (2h -> h), one full (MoE) decoder layer and
         * a shared_head norm; embedding and head are shared with the main model.
         */
        double block = 2 * h + 2 * h * h + attn + layer_norms + h;
        block += arch_is_moe(a) ? expert + shared + router : dense;
        p.mtp = (double)a->mtp_layers * block;
    }

    p.total = p.embedding + p.positions + p.lm_head + p.attention + p.dense_mlp + p.routed_experts +
              p.shared_experts + p.routers + p.norms + p.vision + p.cross_attention +
              p.state_mixers;
    p.expert = p.routed_experts;
    p.shared = p.total - p.expert;
    double used_share =
        arch_is_moe(a) ? (double)a->experts_per_token / (double)a->n_routed_experts : 1.0;
    p.active = p.shared + p.expert * used_share;
    p.active_excl_embedding = p.active - p.embedding;
    *out = p;
}

void params_write(struct jsonout *w, const struct params *p)
{
    const double b = 1e9;
    jsonout_begin_object(w);
    jsonout_key(w, "total_b");
    jsonout_number(w, p->total / b);
    jsonout_key(w, "active_b");
    jsonout_number(w, p->active / b);
    jsonout_key(w, "expert_b");
    jsonout_number(w, p->expert / b);
    jsonout_key(w, "shared_b");
    jsonout_number(w, p->shared / b);
    jsonout_key(w, "active_excl_embedding_b");
    jsonout_number(w, p->active_excl_embedding / b);
    jsonout_key(w, "total");
    jsonout_integer(w, (long long)p->total);
    jsonout_key(w, "components");
    jsonout_begin_object(w);
    jsonout_key(w, "embedding_b");
    jsonout_number(w, p->embedding / b);
    jsonout_key(w, "positions_b");
    jsonout_number(w, p->positions / b);
    jsonout_key(w, "lm_head_b");
    jsonout_number(w, p->lm_head / b);
    jsonout_key(w, "attention_b");
    jsonout_number(w, p->attention / b);
    jsonout_key(w, "dense_mlp_b");
    jsonout_number(w, p->dense_mlp / b);
    jsonout_key(w, "routed_experts_b");
    jsonout_number(w, p->routed_experts / b);
    jsonout_key(w, "shared_experts_b");
    jsonout_number(w, p->shared_experts / b);
    jsonout_key(w, "routers_b");
    jsonout_number(w, p->routers / b);
    jsonout_key(w, "norms_b");
    jsonout_number(w, p->norms / b);
    if (p->cross_attention > 0) {
        jsonout_key(w, "cross_attention_b");
        jsonout_number(w, p->cross_attention / b);
    }
    if (p->state_mixers > 0) {
        jsonout_key(w, "state_mixers_b");
        jsonout_number(w, p->state_mixers / b);
    }
    if (p->mtp > 0) {
        jsonout_key(w, "mtp_not_counted_b");
        jsonout_number(w, p->mtp / b);
    }
    if (p->vision > 0) {
        jsonout_key(w, "vision_b");
        jsonout_number(w, p->vision / b);
    }
    jsonout_end_object(w);
    jsonout_end_object(w);
}

static void params_write_any(struct jsonout *w, const void *p)
{
    params_write(w, p);
}

json_t *params_to_json(const struct params *p)
{
    return jsonout_tree(params_write_any, p);
}
