/* ktrans.c - ktransformers 0.2.1's GPU bytes for DeepSeek-V3/R1 with the experts on the CPU. */
#include "memory/ktrans.h"

#include <math.h>

int ktrans_gpu(const struct arch *a, const struct params *p, double cache_tokens,
               struct ktrans_gpu *out, struct error_info *err)
{
    if (a->attention != ARCH_ATTN_MLA || p->routed_experts <= 0)
        return error_set(err, 422, "invalid_value", "model",
                         "the ktransformers budget reads DeepSeek-V3-Chat.yaml: it needs an MLA "
                         "model with routed experts");
    struct ktrans_gpu k = {0};
    double layers = (double)a->layers;
    double kv_b_params =
        layers * a->kv_lora_rank * a->heads * (double)(a->qk_nope_head_dim + a->v_head_dim);
    /* params' attention holds q_a_layernorm and kv_a_layernorm; they are norms here. */
    double attn_norms = layers * (double)(a->q_lora_rank + a->kv_lora_rank);
    k.marlin_params = p->attention - kv_b_params - attn_norms + p->dense_mlp + p->shared_experts;
    k.marlin = k.marlin_params * KTRANS_MARLIN_BITS / 8;
    k.kv_b = 2 * kv_b_params * 2;
    k.routers = p->routers * 4;
    k.lm_head = p->lm_head * 2;
    k.norms = (p->norms + attn_norms) * 2;
    double pages = ceil(cache_tokens / KTRANS_PAGE_TOKENS);
    k.kv =
        pages * KTRANS_PAGE_TOKENS * layers * (double)(a->kv_lora_rank + a->qk_rope_head_dim) * 2;
    k.total = k.marlin + k.kv_b + k.routers + k.lm_head + k.norms + k.kv;
    *out = k;
    return 0;
}
