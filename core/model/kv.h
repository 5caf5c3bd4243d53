/* kv.h - KV-cache bytes per token from the architecture: GQA/MQA/MHA, MLA, sliding windows, TP. */
#ifndef VRAMFIT_KV_H
#define VRAMFIT_KV_H

#include "model/arch.h"

/*
 * kv_layer_bytes_per_token - bytes one token adds to ONE layer's cache on one GPU when the model
 * runs with tensor-parallel degree tp (>= 1):
 *   GQA/MQA/MHA: (k + v) * max(1, kv_heads / tp) * head_dim * kv_bytes  (K/V heads are split over
 *                tp ranks and replicated when tp > kv_heads, as vLLM does)
 *   MLA:         (kv_lora_rank + qk_rope_head_dim) * kv_bytes (one latent, replicated per rank)
 */
double kv_layer_bytes_per_token(const struct arch *a, double kv_bytes, int tp);

/*
 * kv_bytes_per_token - bytes per token over all attention layers on one GPU (tp = 1: the whole
 * model), ignoring windows: the figure people quote (Llama-3-8B bf16: 131072). State layers add
 * none (see kv_fixed_seq_bytes); with cross-layer attention only arch_kv_layers() cache.
 */
double kv_bytes_per_token(const struct arch *a, double kv_bytes, int tp);

/*
 * kv_seq_bytes - cache bytes for one sequence of ctx tokens on one GPU: full-attention layers hold
 * every token, windowed layers at most sliding_window tokens. pp > 1 divides the layers evenly
 * across pipeline stages (each stage caches only its layers; the largest stage counts).
 */
double kv_seq_bytes(const struct arch *a, double kv_bytes, int tp, int pp, double ctx);

/*
 * kv_state_layer_bytes - bytes of ONE state layer's per-sequence state on one GPU (tp >= 1): vLLM's
 * MambaSpec.page_size_bytes = sum(prod(shape) * dtype size) over the conv and SSM/recurrent state
 * (vllm/v1/kv_cache_interface.py; shapes from vllm/model_executor/layers/mamba/mamba_utils.py
 * MambaStateShapeCalculator, vLLM commit 02d710837549), at the arch's state dtypes. 0 for
 * transformers. vLLM's hybrid page padding (the state page is padded up to the attention block
 * page) is not modelled.
 */
double kv_state_layer_bytes(const struct arch *a, int tp);

/*
 * kv_fixed_seq_bytes - cache bytes one running sequence holds whatever its length, on one GPU:
 * the state layers' pages plus, for encoder-decoder models, the cross-attention K/V of every
 * decoder layer at encoder_len encoder tokens. Split over pp stages like kv_seq_bytes.
 */
double kv_fixed_seq_bytes(const struct arch *a, double kv_bytes, int tp, int pp,
                          double encoder_len);

/* kv_max_ctx - the longest ctx whose kv_seq_bytes fits in budget bytes (0 if none). */
double kv_max_ctx(const struct arch *a, double kv_bytes, int tp, int pp, double budget, double cap);

#endif
