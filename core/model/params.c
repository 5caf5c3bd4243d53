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

static double attention_params(const struct arch *a)
{
    switch (a->attention) {
    case ARCH_ATTN_MLA:
        return mla_params(a);
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
    if (a->attn_sinks)
        p += nh;
    return p;
}

void params_count(const struct arch *a, struct params *out)
{
    struct params p;
    memset(&p, 0, sizeof(p));
    double h = (double)a->hidden;
    double layers = (double)a->layers;
    double moe_layers = (double)arch_moe_layers(a);
    double dense_layers = layers - moe_layers;

    p.embedding = (double)a->vocab * h;
    p.positions = (double)a->positions * h;
    p.lm_head = a->tied_embeddings ? 0 : (double)a->vocab * h;
    double attn = attention_params(a);
    p.attention = layers * attn;
    double dense = mlp_params(a, (double)a->intermediate);
    p.dense_mlp = dense_layers * dense;

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
    p.norms = layers * layer_norms + norm_params(a, h);

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
              p.shared_experts + p.routers + p.norms;
    p.expert = p.routed_experts;
    p.shared = p.total - p.expert;
    double used_share =
        arch_is_moe(a) ? (double)a->experts_per_token / (double)a->n_routed_experts : 1.0;
    p.active = p.shared + p.expert * used_share;
    p.active_excl_embedding = p.active - p.embedding;
    *out = p;
}

json_t *params_to_json(const struct params *p)
{
    const double b = 1e9;
    json_t *c =
        json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "embedding_b", p->embedding / b,
                  "positions_b", p->positions / b, "lm_head_b", p->lm_head / b, "attention_b",
                  p->attention / b, "dense_mlp_b", p->dense_mlp / b, "routed_experts_b",
                  p->routed_experts / b, "shared_experts_b", p->shared_experts / b, "routers_b",
                  p->routers / b, "norms_b", p->norms / b);
    if (c == NULL)
        return NULL;
    if (p->mtp > 0)
        json_object_set_new(c, "mtp_not_counted_b", json_real(p->mtp / b));
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:o}", "total_b", p->total / b, "active_b",
                     p->active / b, "expert_b", p->expert / b, "shared_b", p->shared / b,
                     "active_excl_embedding_b", p->active_excl_embedding / b, "total",
                     (json_int_t)p->total, "components", c);
}
