/* params.h - parameter counts from an architecture, component by component. */
#ifndef VRAMFIT_PARAMS_H
#define VRAMFIT_PARAMS_H

#include <jansson.h>

#include "model/arch.h"

/*
 * Counts in parameters (not billions). Doubles hold integers exactly up to 2^53, far above any
 * model. Every component is summed over all layers.
 */
struct params {
    double embedding;       /* vocab x hidden input table */
    double positions;       /* learned absolute positions (GPT-2) */
    double lm_head;         /* untied output projection (0 when tied) */
    double attention;       /* q/k/v/o (or MLA projections), their biases, q/k norms, sinks */
    double dense_mlp;       /* dense MLP blocks (non-MoE layers) */
    double routed_experts;  /* every routed expert of every MoE layer */
    double shared_experts;  /* always-on shared experts and their gates */
    double routers;         /* router weights, biases and score-correction biases */
    double norms;           /* per-layer norms and the final norm */
    double mtp;             /* multi-token-prediction blocks (DeepSeek-V3); NOT in total */
    double vision;          /* vision tower and projector of a multimodal checkpoint (in total) */
    double cross_attention; /* encoder-decoder: the decoder's cross-attention q/k/v/o */
    double state_mixers;    /* hybrids: Mamba / Gated DeltaNet mixers (projections, conv, A, D) */

    double total;                 /* everything a per-token forward pass can touch (excludes mtp) */
    double active;                /* total minus the routed experts a token does not use */
    double expert;                /* == routed_experts */
    double shared;                /* total - expert: weights every token uses */
    double active_excl_embedding; /* active minus the input embedding (some vendors' convention) */
};

/* params_count - fills *out from a validated architecture. Never fails. */
void params_count(const struct arch *a, struct params *out);

/*
 * params_write - {"total_b", "active_b", "expert_b", "shared_b", "active_excl_embedding_b",
 * "total", "components": {...}} in billions, written into w (errors stick in w). The components
 * cross_attention_b and state_mixers_b appear only for the models that have them.
 */
void params_write(struct jsonout *w, const struct params *p);

/* params_to_json - params_write's object as a tree. New reference owned by the caller; NULL on
 * allocation failure. */
json_t *params_to_json(const struct params *p);

#endif
