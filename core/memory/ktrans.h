/* ktrans.h - what ktransformers 0.2.1 allocates on the GPU for an MLA MoE model (DeepSeek-V3/R1).
 */
#ifndef VRAMFIT_KTRANS_H
#define VRAMFIT_KTRANS_H

#include "base/error.h"
#include "model/arch.h"
#include "model/params.h"

/*
 * The version this budget reads: kvcache-ai/ktransformers tag v0.2.1
 * (65d73ea3f862bd33712db2c5ce81e745c24265b1, 2025-02-15), the version whose tutorial
 * (doc/en/DeepseekR1_V3_tutorial.md, "V0.2.1 ... at least 14GB VRAM") publishes the figure.
 */
#define KTRANS_SOURCE "kvcache-ai/ktransformers@65d73ea3f862bd33712db2c5ce81e745c24265b1 (v0.2.1)"

/*
 * Bits per weight of a KLinearMarlin weight: int4 codes plus one scale per group of 64
 * (operators/linear.py: num_bits=4, group_size=64). The scales keep the dtype of the weight they
 * were computed from, and ktransformers dequantizes GGUF tensors on the GPU to float32
 * (ktransformers_ext/cuda/custom_gguf/dequant.cu: output kFloat32; marlin quant_utils.py
 * quantize_weights: s = max(|w|) of the float32 group): 4 + 32 / 64 = 4.5 bits.
 */
#define KTRANS_MARLIN_BITS (4.0 + 32.0 / 64.0)

/* Tokens per page of the MLA latent cache (models/custom_cache.py: self.page_size = 64). */
#define KTRANS_PAGE_TOKENS 64

/*
 * The GPU's bytes under optimize_rules/DeepSeek-V3-Chat.yaml (local_chat.py's default rule for
 * DeepseekV3ForCausalLM), one sequence (StaticCache max_batch_size = 1):
 *   marlin   every nn.Linear under model.layers except self_attn.kv_b_proj (attention q_a,
 *            q_b, kv_a, o; the dense layers' MLPs; the shared experts): KLinearMarlin on
 *            "cuda", KTRANS_MARLIN_BITS each;
 *   kv_b     kv_b_proj is matched by no rule, so it is loaded as a plain bf16 parameter
 *            (util/utils.py load_cur_state_dict: .to(torch.get_default_dtype())); decode
 *            (operators/attention.py get_absorbed) builds q_absorb and out_absorb by slicing
 *            and reshaping it, which copies, and v0.2.1 keeps kv_b_proj for prefill (the
 *            "del self.orig_module.kv_b_proj" of v0.2.0 is commented out): 2 x bf16;
 *   routers  KMoEGate keeps the gate as the GGUF gives it, float32 (llama-quantize leaves
 *            ffn_gate_inp in F32; the GPU dequantizer returns float32) with its bias;
 *   lm_head  matched by no rule: bf16 on the default device cuda:0 (optimize/optimize.py
 *            gen_optimize_config default_device); the embeddings go to the CPU (the rule
 *            "^model.embed_tokens" -> generate_device "cpu") and so do the routed experts
 *            (KExpertsCPU);
 *   norms    bf16;
 *   kv       the latent cache: ceil(cache_tokens / 64) pages x 64 x (kv_lora_rank +
 *            qk_rope_head_dim) x 2 bytes per layer (custom_cache.py latent_shape), cache_tokens
 *            = prompt + max_new_tokens (util/utils.py prefill_and_generate: max_cache_len =
 *            seq_length + max_new_tokens).
 * Not counted: the CUDA context, CUDA-graph pools and prefill scratch, which grow with the prompt.
 */
struct ktrans_gpu {
    double marlin_params, marlin, kv_b, routers, lm_head, norms, kv;
    double total; /* bytes */
};

/*
 * ktrans_gpu - the GPU bytes of ktransformers v0.2.1 for MLA MoE model a (counts p) with
 * cache_tokens tokens cached. Errors: -EINVAL with a 422 naming "model" when a has no MLA or no
 * routed experts (the rule file read here is DeepSeek-V3-Chat.yaml). Does not allocate.
 */
int ktrans_gpu(const struct arch *a, const struct params *p, double cache_tokens,
               struct ktrans_gpu *out, struct error_info *err);

#endif
