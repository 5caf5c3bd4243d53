/* training.c - training memory per GPU: model states by optimizer and ZeRO stage, activations. */
#include "memory/training.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/*
 * Sources (also in docs/training.md):
 * - Model states: Rajbhandari et al., "ZeRO: Memory Optimizations Toward Training Trillion
 *   Parameter Models" (2020), section 3/5: mixed-precision Adam keeps 2 (fp16 weights) + 2 (fp16
 *   grads) + 12 (fp32 master, momentum, variance) = 16 bytes per parameter; stage 1 partitions the
 *   12, stage 2 also the gradients, stage 3 also the weights across the N_d data-parallel ranks.
 *   DeepSpeed's estimators (deepspeed/runtime/zero/stage3.py,
 *   estimate_zero3_model_states_mem_needs) add 4 x largest_layer for the gathered layer and its
 *   gradient, 18 bytes/param with fp32 gradients, and a 1.5 buffer factor on host memory.
 * - Optimizers: 8-bit AdamW (Dettmers et al. 2022, bitsandbytes): two 8-bit states with one fp32
 *   absmax per 2048-element block; SGD with momentum: one fp32 buffer; Adafactor (Shazeer & Stern
 *   2018): factored second moment, rows + columns per matrix, no first moment by default.
 * - LoRA (Hu et al. 2021): r x (d_in + d_out) trainable parameters per adapted matrix; QLoRA
 *   (Dettmers et al. 2023, section 3): NF4 with block size 64 and double-quantised absmax (8-bit
 *   per block, fp32 per 256 blocks): 4 + 8/64 + 32/(64*256) = 4.127 bits per weight; lm_head and
 *   embeddings stay in 16 bits (transformers' bitsandbytes integration skips them); bitsandbytes
 *   dequantises one weight matrix to bf16 per matmul (MatMul4Bit).
 * - Activations: Korthikanti et al., "Reducing Activation Recomputation in Large Transformer
 *   Models" (2022), section 4: per layer s*b*h*(34 + 5*a*s/h) bytes with 16-bit activations and
 *   1-byte dropout masks; selective recompute drops the 5*a*s^2*b attention-core term; full
 *   recompute keeps only the 2*s*b*h layer input; tensor parallelism with sequence parallelism
 *   divides everything by t. Flash attention (Dao et al. 2022) saves no s^2 scores, only an fp32
 *   log-sum-exp per row (4*a*s*b; llm-analysis counts it the same way). The term list is
 *   generalised to GQA widths, SwiGLU (gate, up, SiLU output and product are saved: 4 tensors of
 *   the intermediate size, as llm-analysis models gated MLPs) and MoE (each token visits
 *   experts_per_token experts, so the MLP part scales by k).
 * - Loss logits: b*s*V from the LM head at compute precision, the fp32 upcast the loss takes and
 *   the fp32 log-softmax cross_entropy saves (transformers' ForCausalLMLoss; the estimator anchors'
 *   reference formulas count the first two, vram.asmirnov.xyz 2 x fp32); with a chunked/fused loss
 * (Liger's fused linear cross-entropy) only one chunk of rows exists: 2^ceil(log2(ceil(b*s /
 * ceil(V/h)))) rows.
 * - Overheads: CUDA context ~0.5 GiB (llm-d-planner's H100 init snapshot 0.51 GiB), NCCL buffers
 *   0.34-0.39 GiB (aiconfigurator's h800 profile) rounded to 0.5 GiB, and a 5 % fragmentation
 *   margin instead of the seed's 1.2x on everything.
 */

/* One kind of weight matrix in the blocks: count is how many exist in the whole model. */
struct mat {
    double din, dout, count;
    unsigned bit; /* TRAINING_LORA_* target it answers to; 0 = never adapted (router) */
};

#define MAX_MATS 16

static size_t model_matrices(const struct training_model *m, struct mat *out)
{
    const double h = m->hidden, q = (double)m->heads * m->head_dim,
                 kv = (double)m->kv_heads * m->head_dim, L = m->layers;
    const double moe_l = m->moe_layers, dense_l = L - moe_l;
    size_t n = 0;
    out[n++] = (struct mat){h, q, L, TRAINING_LORA_Q};
    out[n++] = (struct mat){h, kv, L, TRAINING_LORA_K};
    out[n++] = (struct mat){h, kv, L, TRAINING_LORA_V};
    out[n++] = (struct mat){q, h, L, TRAINING_LORA_O};
    if (dense_l > 0 && m->ffn > 0) {
        if (m->gated_mlp)
            out[n++] = (struct mat){h, m->ffn, dense_l, TRAINING_LORA_GATE};
        out[n++] = (struct mat){h, m->ffn, dense_l, TRAINING_LORA_UP};
        out[n++] = (struct mat){m->ffn, h, dense_l, TRAINING_LORA_DOWN};
    }
    if (moe_l > 0) {
        const double ex = moe_l * m->experts;
        if (m->gated_mlp)
            out[n++] = (struct mat){h, m->expert_ffn, ex, TRAINING_LORA_GATE};
        out[n++] = (struct mat){h, m->expert_ffn, ex, TRAINING_LORA_UP};
        out[n++] = (struct mat){m->expert_ffn, h, ex, TRAINING_LORA_DOWN};
        if (m->shared_ffn > 0) {
            if (m->gated_mlp)
                out[n++] = (struct mat){h, m->shared_ffn, moe_l, TRAINING_LORA_GATE};
            out[n++] = (struct mat){h, m->shared_ffn, moe_l, TRAINING_LORA_UP};
            out[n++] = (struct mat){m->shared_ffn, h, moe_l, TRAINING_LORA_DOWN};
        }
        out[n++] = (struct mat){h, m->experts, moe_l, 0};
    }
    return n;
}

/* K/V heads as the activation and LoRA shapes see them: MLA expands its latent to every head. */
static int model_kv_heads(const struct arch *a, int heads)
{
    switch (a->attention) {
    case ARCH_ATTN_MLA:
        return heads;
    case ARCH_ATTN_GQA:
        break;
    }
    return a->kv_heads <= 0 ? heads : (int)a->kv_heads;
}

void training_model_from_arch(const struct arch *a, double params, struct training_model *out)
{
    memset(out, 0, sizeof(*out));
    out->params = params;
    out->layers = (int)a->layers;
    out->hidden = (int)a->hidden;
    out->vocab = (int)a->vocab;
    out->embed_params = (double)a->vocab * (double)a->hidden;
    out->lm_head_params = a->tied_embeddings ? 0 : out->embed_params;
    out->heads = (int)(a->heads > 0 ? a->heads : 1);
    out->kv_heads = model_kv_heads(a, out->heads);
    out->head_dim = (int)(a->head_dim > 0 ? a->head_dim : a->hidden / out->heads);
    out->ffn = (int)a->intermediate;
    out->gated_mlp = a->mlp == ARCH_MLP_GATED;
    if (arch_is_moe(a)) {
        out->moe_layers = (int)arch_moe_layers(a);
        out->experts = (int)a->n_routed_experts;
        out->experts_per_token = (int)(a->experts_per_token > 0 ? a->experts_per_token : 1);
        out->expert_ffn = (int)(a->moe_intermediate > 0 ? a->moe_intermediate : a->intermediate);
        out->shared_ffn =
            (int)(a->n_shared_experts *
                  (a->shared_intermediate > 0 ? a->shared_intermediate : out->expert_ffn));
    }
}

void training_config_default(struct training_config *c)
{
    memset(c, 0, sizeof(*c));
    c->method = TRAINING_FULL;
    c->lora_rank = 16;
    c->lora_targets = TRAINING_LORA_DEFAULT;
    c->weight_bytes = 2;
    c->compute_bytes = 2;
    c->optimizer = TRAINING_ADAMW;
    c->master_weights = true;
    c->grad_bytes = 2;
    c->micro_batch = 1;
    c->seq_len = 1;
    c->recompute = TRAINING_RECOMPUTE_NONE;
    c->flash_attention = true;
    c->data_parallel = 1;
    c->tensor_parallel = 1;
    c->sequence_parallel = true;
    c->pipeline_parallel = 1;
    c->pp_schedule = TRAINING_PP_1F1B;
    c->pp_virtual_stages = 1;
    c->pp_microbatches = 0;
    c->context_parallel = 1;
    c->sharding = TRAINING_SHARD_DEEPSPEED;
    c->reduce_bucket_size = TRAINING_DS_REDUCE_BUCKET;
    c->allgather_bucket_size = TRAINING_DS_ALLGATHER_BUCKET;
    c->max_live_parameters = TRAINING_DS_MAX_LIVE_PARAMS;
    c->prefetch_bucket_size = TRAINING_DS_PREFETCH_BUCKET;
    c->sub_group_size = TRAINING_DS_SUB_GROUP;
    c->contiguous_gradients = true;
    c->overlap_comm = TRAINING_OVERLAP_AUTO;
    c->limit_all_gathers = true;
    c->loss_fp32 = true;
}

double training_trainable_params(const struct training_model *m, const struct training_config *c)
{
    if (c->method == TRAINING_FULL)
        return m->params;
    struct mat mats[MAX_MATS];
    size_t n = model_matrices(m, mats);
    double t = 0;
    for (size_t i = 0; i < n; i++)
        if (mats[i].bit & c->lora_targets)
            t += (double)c->lora_rank * (mats[i].din + mats[i].dout) * mats[i].count;
    return t;
}

double training_largest_matrix(const struct training_model *m)
{
    struct mat mats[MAX_MATS];
    size_t n = model_matrices(m, mats);
    double best = 0;
    for (size_t i = 0; i < n; i++)
        best = fmax(best, mats[i].din * mats[i].dout);
    return best;
}

/* Weights in the blocks' linear layers (what QLoRA quantises), whole model. */
static double block_linear_params(const struct training_model *m)
{
    struct mat mats[MAX_MATS];
    size_t n = model_matrices(m, mats);
    double t = 0;
    for (size_t i = 0; i < n; i++)
        t += mats[i].din * mats[i].dout * mats[i].count;
    return fmin(t, m->params);
}

double training_block_params(const struct training_model *m)
{
    const double h = m->hidden, q = (double)m->heads * m->head_dim,
                 kv = (double)m->kv_heads * m->head_dim, g = m->gated_mlp ? 3.0 : 2.0;
    double mlp;
    if (m->moe_layers > 0)
        mlp = m->experts * g * h * m->expert_ffn + g * h * m->shared_ffn + h * m->experts;
    else
        mlp = g * h * m->ffn;
    return 2.0 * h * q + 2.0 * h * kv + mlp + 2.0 * h;
}

/* Saved tensors of one MLP of intermediate size f over T tokens (input included). */
static double mlp_activations(const struct training_model *m, const struct training_config *c,
                              double T, double f)
{
    const double ab = c->compute_bytes;
    double x = ab * T * m->hidden + (m->gated_mlp ? 4.0 : 2.0) * ab * T * f;
    if (c->dropout)
        x += T * m->hidden; /* 1-byte mask */
    return x;
}

double training_layer_activations(const struct training_model *m, const struct training_config *c,
                                  bool moe)
{
    const double s = c->seq_len, b = c->micro_batch, T = s * b, h = m->hidden, a = m->heads;
    const double ab = c->compute_bytes;
    const double q = (double)m->heads * m->head_dim, kv = (double)m->kv_heads * m->head_dim;

    /* Attention block (Korthikanti 11sbh + 5as^2b, plus the first norm's input 2sbh). */
    double x = ab * T * h          /* norm input */
               + ab * T * h        /* QKV projection input */
               + ab * T * (q + kv) /* Q and K for the score matmul */
               + ab * T * kv       /* V */
               + ab * T * q;       /* output projection input (= attention output) */
    if (c->dropout)
        x += T * h; /* attention-output dropout mask */
    if (c->flash_attention)
        x += 4.0 * a * s * b; /* fp32 log-sum-exp per query row */
    else if (c->recompute != TRAINING_RECOMPUTE_SELECTIVE) {
        x += ab * a * s * s * b; /* softmax output */
        if (c->dropout)
            x += a * s * s * b + ab * a * s * s * b; /* mask + dropped probabilities */
    }

    /* MLP block, plus the second norm's input. */
    x += ab * T * h;
    double lora_visits = 0; /* matrices whose LoRA intermediate x*A is saved, per token */
    const unsigned tg = c->method == TRAINING_FULL ? 0 : c->lora_targets;
    int mlp_targets = 0;
    for (unsigned bit = TRAINING_LORA_GATE; bit <= TRAINING_LORA_DOWN; bit <<= 1)
        if ((tg & bit) && (bit != TRAINING_LORA_GATE || m->gated_mlp))
            mlp_targets++;
    for (unsigned bit = TRAINING_LORA_Q; bit <= TRAINING_LORA_O; bit <<= 1)
        if (tg & bit)
            lora_visits++;
    if (!moe) {
        x += mlp_activations(m, c, T, m->ffn);
        lora_visits += mlp_targets;
    } else {
        const double k = m->experts_per_token, E = m->experts;
        x += k * mlp_activations(m, c, T, m->expert_ffn); /* routed copies */
        x += ab * k * T * h;                              /* expert outputs for the weighted sum */
        x += (ab + 4.0) * T * E;                          /* router logits + fp32 softmax */
        lora_visits += mlp_targets * k;
        if (m->shared_ffn > 0) {
            x += mlp_activations(m, c, T, m->shared_ffn);
            lora_visits += mlp_targets;
        }
    }
    x += ab * T * c->lora_rank * lora_visits; /* LoRA x*A intermediates (0 for full) */
    return x;
}

/* Rows of one chunk in Liger's fused linear cross-entropy. */
static double liger_chunk_rows(double T, double V, double h)
{
    double inc = ceil(V / h);
    double rows = ceil(T / inc);
    return pow(2.0, ceil(log2(fmax(rows, 1.0))));
}

static double optimizer_state_bytes(const struct training_model *m, const struct training_config *c,
                                    double trainable)
{
    /* Without a master copy a full fine-tune in 16 bits steps the 16-bit weights, and torch's
     * optimizers make their states from them: Adam/AdamW's exp_avg and exp_avg_sq are
     * zeros_like(param) (pytorch torch/optim/adam.py), SGD's momentum buffer a clone of the
     * gradient (torch/optim/sgd.py). Otherwise (fp32 master or fp32 weights) they are fp32.
     * Adapters keep fp32 states (PEFT makes them fp32). */
    const bool pure16 = c->method == TRAINING_FULL && !c->master_weights && c->weight_bytes < 4;
    const double state = pure16 ? c->weight_bytes : 4.0;
    switch (c->optimizer) {
    case TRAINING_ADAMW:
        return 2.0 * state * trainable;
    case TRAINING_ADAMW_8BIT:
        return 2.0 * (1.0 + 4.0 / 2048.0) * trainable;
    case TRAINING_SGD_MOMENTUM:
        return (pure16 ? c->grad_bytes : 4.0) * trainable;
    case TRAINING_ADAFACTOR:
        break;
    }
    /* Adafactor: fp32 row and column statistics per matrix, full fp32 for vectors. */
    struct mat mats[MAX_MATS];
    size_t n = model_matrices(m, mats);
    double bytes = 0;
    if (c->method == TRAINING_FULL) {
        double in_mats = 0;
        for (size_t i = 0; i < n; i++) {
            bytes += 4.0 * (mats[i].din + mats[i].dout) * mats[i].count;
            in_mats += mats[i].din * mats[i].dout * mats[i].count;
        }
        bytes += 4.0 * ((double)m->vocab + m->hidden);
        in_mats += m->embed_params;
        if (m->lm_head_params > 0) {
            bytes += 4.0 * ((double)m->vocab + m->hidden);
            in_mats += m->lm_head_params;
        }
        bytes += 4.0 * fmax(0.0, m->params - in_mats);
    } else {
        const double r = c->lora_rank;
        for (size_t i = 0; i < n; i++)
            if (mats[i].bit & c->lora_targets)
                bytes += 4.0 * ((mats[i].din + r) + (r + mats[i].dout)) * mats[i].count;
    }
    return bytes;
}

/* Replicated part of one layer's activations (Korthikanti et al. 2022, section 4.2.1: the 10sbh
 * that tensor parallelism alone leaves on every rank): the two norm inputs, the inputs of the QKV
 * and first MLP projections (each ab*T*h) and the two dropout masks (T*h each). */
static double layer_replicated(const struct training_model *m, const struct training_config *c)
{
    const double T = (double)c->seq_len * c->micro_batch;
    return 4.0 * c->compute_bytes * T * m->hidden + (c->dropout ? 2.0 * T * m->hidden : 0.0);
}

/* One layer of one micro-batch on one rank: tensor parallelism divides the whole layer with
 * sequence parallelism, only the rest without it (Korthikanti eq. 2 vs 3); context parallelism
 * (Ulysses: heads split over the full sequence; ring: sequence blocks) divides every term,
 * the s^2 score term included, since each rank holds s/cp of the queries. */
static double layer_on_rank(const struct training_model *m, const struct training_config *c,
                            bool moe, double tp, double cp)
{
    const double all = training_layer_activations(m, c, moe);
    const double repl = layer_replicated(m, c);
    const double x = c->sequence_parallel || tp <= 1 ? all / tp : repl + (all - repl) / tp;
    return x / cp;
}

/* Parameters and micro-batches on one pipeline stage (the first or the last). */
struct stage {
    double fraction; /* of the model's parameters */
    double layers;   /* decoder layers on the stage (fraction of moe_layers kept) */
    double inflight; /* micro-batches whose activations the stage holds at its peak */
    bool loss;       /* holds the LM head and the loss */
};

/* Micro-batches the first stage holds: 1F1B keeps pp in flight (min with the micro-batch count),
 * GPipe all of them; interleaving with v model chunks multiplies 1F1B by 1 + (pp-1)/(pp*v)
 * (Korthikanti et al. 2022, section 4.2.3). */
static double first_stage_inflight(const struct training_config *c)
{
    const int pp = c->pipeline_parallel > 0 ? c->pipeline_parallel : 1;
    if (pp == 1)
        return 1;
    const double mb = c->pp_microbatches > 0 ? c->pp_microbatches : pp;
    const double v = c->pp_virtual_stages > 1 ? c->pp_virtual_stages : 1;
    switch (c->pp_schedule) {
    case TRAINING_PP_1F1B:
        return fmin(pp, mb);
    case TRAINING_PP_INTERLEAVED:
        return fmin(pp, mb) * (1.0 + (pp - 1.0) / (pp * v));
    case TRAINING_PP_GPIPE:
        break;
    }
    return mb;
}

/* Stage layouts: Megatron puts the embedding on the first stage and the LM head (a copy of a tied
 * embedding) on the last; the decoder layers are split evenly. */
static void stages(const struct training_model *m, const struct training_config *c,
                   struct stage *first, struct stage *last)
{
    const int pp = c->pipeline_parallel > 0 ? c->pipeline_parallel : 1;
    if (pp == 1) {
        *first = (struct stage){1.0, m->layers, 1.0, true};
        *last = *first;
        return;
    }
    const double head = m->lm_head_params > 0 ? m->lm_head_params : m->embed_params;
    const double body = fmax(0.0, m->params - m->embed_params - m->lm_head_params) / pp;
    const double P = m->params > 0 ? m->params : 1;
    *first = (struct stage){(body + m->embed_params) / P, (double)m->layers / pp,
                            first_stage_inflight(c), false};
    *last = (struct stage){(body + head) / P, (double)m->layers / pp, 1.0, true};
}

/*
 * Peak bytes per logit of the loss. fp32 loss: at the end of forward the 16-bit logits, their
 * fp32 upcast and the fp32 log-softmax cross_entropy saves (cb + 8); at the start of backward the
 * saved log-softmax, its incoming gradient and the input gradient log_softmax_backward allocates
 * (3 x 4; the 16-bit logits are gone by then in transformers' Trainer and torchtitan); the larger
 * wins. 16-bit loss: the logits, the saved log-softmax and its gradient, 3 x cb.
 */
static double loss_bytes_per_logit(const struct training_config *c)
{
    const double cb = c->compute_bytes;
    return c->loss_fp32 ? fmax(cb + 8.0, 12.0) : 3.0 * cb;
}

/* Saved activations of one stage on one rank, loss logits included when the stage has them. */
static double stage_activations(const struct training_model *m, const struct training_config *c,
                                const struct stage *st, double *logits_out)
{
    const double tp = c->tensor_parallel > 0 ? c->tensor_parallel : 1;
    const double cp = c->context_parallel > 0 ? c->context_parallel : 1;
    const double cb = c->compute_bytes;
    const double T = (double)c->seq_len * c->micro_batch / cp;
    const double moe_share = m->layers > 0 ? (double)m->moe_layers / m->layers : 0;
    const double moe_l = st->layers * moe_share, dense_l = st->layers - moe_l;
    const double sp_div = c->sequence_parallel ? tp : 1; /* replicated tensors without SP */
    const double one_dense = dense_l > 0 ? layer_on_rank(m, c, false, tp, cp) : 0;
    const double one_moe = moe_l > 0 ? layer_on_rank(m, c, true, tp, cp) : 0;
    double act;
    if (c->recompute == TRAINING_RECOMPUTE_FULL) {
        struct training_config none = *c;
        none.recompute = TRAINING_RECOMPUTE_NONE;
        double work = fmax(dense_l > 0 ? layer_on_rank(m, &none, false, tp, cp) : 0,
                           moe_l > 0 ? layer_on_rank(m, &none, true, tp, cp) : 0);
        act = st->inflight * st->layers * cb * T * m->hidden / sp_div + work;
    } else {
        act = st->inflight * (dense_l * one_dense + moe_l * one_moe);
    }
    double logits = 0;
    if (st->loss) {
        act += 2.0 * cb * T * m->hidden / sp_div; /* final norm and LM-head inputs */
        double rows = c->chunked_loss ? fmin(T, liger_chunk_rows(T, m->vocab, m->hidden)) : T;
        logits = loss_bytes_per_logit(c) * rows * m->vocab / tp; /* vocab-parallel with TP */
        act += logits;
    }
    *logits_out = logits;
    return act;
}

/* Model states, gathered weights and host offload of one stage (all per GPU). */
struct states {
    double weights, grads, opt, gather, dequant, host, buffers, step;
};

/* Sharding buffers: DeepSpeed's buckets and stage-3 live parameters (backward), the fp32 gradient
 * partition and the allgather bucket (optimizer step). Megatron's distributed optimizer and FSDP
 * keep no buffers beyond their gradient buffer / gathered blocks (already in grads / gather). */
static void sharding_buffers(const struct training_config *c, double n_params, double n_train,
                             double largest, double shard, double stored, struct states *s)
{
    const int stage = training_zero_stage(c);
    if (c->fsdp || c->sharding != TRAINING_SHARD_DEEPSPEED || stage < 1)
        return;
    const double cb = c->compute_bytes;
    const bool overlap = c->overlap_comm == TRAINING_OVERLAP_ON ||
                         (c->overlap_comm == TRAINING_OVERLAP_AUTO && stage >= 3);
    if (overlap) {
        /* overlap_comm "uses 4.5x the allgather_bucket_size and reduce_bucket_size values"
         * (Hugging Face transformers, docs/source/en/deepspeed.md: 5e8 x 2 bytes x 2 x 4.5 = 9GB);
         * stage 3 has no allgather bucket (it gathers through live parameters and prefetch) */
        s->buffers += 4.5 *
                      (fmin(c->reduce_bucket_size, n_train) +
                       (stage <= 2 ? fmin(c->allgather_bucket_size, n_params) : 0)) *
                      cb;
    } else if (c->contiguous_gradients) {
        /* stage_1_and_2.py / stage3.py reduce gradients through a bucket of reduce_bucket_size
         * elements; with contiguous_gradients (the default) it is a buffer allocated at the start
         * of backward, so it coexists with the activation peak (DeepSpeed team in
         * DeepSpeedExamples #336); without it the bucket's gradients replace freed activations */
        s->buffers += fmin(c->reduce_bucket_size, n_train) * cb;
    }
    if (stage >= 3) {
        /* parameters stay gathered up to stage3_max_live_parameters; the estimator's largest
         * layer (gather) is the floor; stage3_prefetch_bucket_size more are fetched ahead */
        s->buffers += fmax(0.0, fmin(c->max_live_parameters, n_params) * stored - s->gather);
        s->buffers += fmin(c->prefetch_bucket_size, n_params) * stored;
    }
    if (!c->offload_optimizer) {
        /* the optimizer steps the fp32 master partition with an fp32 copy of its gradients
         * (single_partition_of_fp32_groups[i].grad / fp32_partitioned_groups_flat[i].grad) */
        double fp32_grad = n_train / shard;
        /* stage 3 steps one sub-group at a time (stage3.py step(): _prepare_sub_group makes the
         * sub-group's fp32 gradient, _release_sub_group drops it); a sub-group closes with the
         * parameter that reaches sub_group_size elements (_create_fp16_sub_groups), so it holds
         * at most sub_group_size plus one parameter's partition. Stages 1-2 convert every
         * group's gradient before stepping (stage_1_and_2.py). */
        if (stage >= 3)
            fp32_grad = fmin(fp32_grad, c->sub_group_size + largest / shard);
        if (c->grad_bytes < 4)
            s->step += 4.0 * fp32_grad;
        /* stages 1-2 all-gather the updated 16-bit weights in allgather_bucket_size chunks
         * (counted in the backward buffers already when overlap_comm holds them) */
        if (stage <= 2 && !overlap)
            s->step += fmin(c->allgather_bucket_size, n_params) * cb;
    }
}

static void stage_states(const struct training_model *m, const struct training_config *c,
                         double frac, struct training_result *out, struct states *s)
{
    memset(s, 0, sizeof(*s));
    const double tp = c->tensor_parallel > 0 ? c->tensor_parallel : 1;
    const double cp = c->context_parallel > 0 ? c->context_parallel : 1;
    const double dp = (c->data_parallel > 0 ? c->data_parallel : 1) * cp; /* shard group */
    const int stage = training_zero_stage(c);
    const bool full = c->method == TRAINING_FULL;
    const double cb = c->compute_bytes;
    const double trainable = training_trainable_params(m, c) * frac;

    /* Bytes per trainable parameter: its working copy, master copy, states, gradient. */
    const double train_w = full ? c->weight_bytes : cb;
    const double master = (c->master_weights && train_w < 4) ? 4.0 : 0.0;
    const double opt_bytes = master * trainable + optimizer_state_bytes(m, c, trainable);
    const double grad_bytes = c->grad_bytes * trainable;

    /* The frozen base of LoRA/QLoRA: linear layers at storage precision, the rest in 16 bits. */
    double base = 0;
    if (!full) {
        const double lin = block_linear_params(m);
        const double lin_b = c->method == TRAINING_QLORA ? TRAINING_NF4_BITS / 8 : c->weight_bytes;
        base = (lin * lin_b + (m->params - lin) * cb) * frac;
        out->base_bits_per_weight = 8.0 * base / (m->params * frac);
    }
    out->states_per_param =
        trainable > 0 ? (train_w * trainable + opt_bytes + grad_bytes) / trainable : 0;

    s->weights = (train_w * trainable + base) / tp;
    s->grads = grad_bytes / tp;
    s->opt = opt_bytes / tp;
    if (stage >= 1)
        s->opt /= dp;
    if (stage >= 2)
        s->grads /= dp;
    if (stage >= 3)
        s->weights /= dp;

    /* Gathered weights of ZeRO-3/FSDP: they exist whole on every rank while in use. */
    const double stored =
        full ? c->weight_bytes
             : (c->method == TRAINING_QLORA ? TRAINING_NF4_BITS / 8 : c->weight_bytes);
    if (c->fsdp && stage == 2 && dp > 1) {
        /* SHARD_GRAD_OP (FSDP1) / reshard_after_forward=False (FSDP2): "does not reshard [the
         * parameters] after the forward, and only reshards them after the backward" (PyTorch FSDP
         * docs, ShardingStrategy), so at the start of backward every unit of the stage is
         * unsharded in the compute dtype beside its shard, plus the current block's gradient
         * (lightning-thunder PR #1156 measured zero2 - zero3 = 16.06 GB = Llama-3-8B's bf16 copy).
         */
        const double blk = training_block_params(m);
        s->weights /= dp;
        s->gather = (m->params * frac * fmin(stored, cb) + (full ? blk * c->grad_bytes : 0)) / tp;
    } else if (stage >= 3 && (dp > 1 || !c->fsdp)) {
        if (c->fsdp) {
            /* FSDP wraps each decoder block: with limit_all_gathers the current and the next
             * block are gathered (PyTorch FSDP docs: at most two in-flight all-gathers), else the
             * CPU may run ahead over every block of the stage; the current block's unsharded
             * gradient exists before reduce-scatter. Gathered in the compute dtype. */
            const double blk = training_block_params(m);
            const double blocks = c->limit_all_gathers ? 2.0 : fmax(2.0, m->layers * frac);
            s->gather = (blocks * blk * fmin(stored, cb) + (full ? blk * c->grad_bytes : 0)) / tp;
        } else {
            /* DeepSpeed: largest module (often the embedding) gathered with its gradient; its
             * estimator counts it even on one GPU (the gathered copy is a second tensor). */
            double ll = fmax(training_largest_matrix(m), fmax(m->embed_params, m->lm_head_params));
            s->gather = ll * (stored + (full ? cb : 0)) / tp;
        }
    }
    const double n_params = m->params * frac / tp;
    const double largest =
        fmax(training_largest_matrix(m), fmax(m->embed_params, m->lm_head_params)) / tp;
    sharding_buffers(c, n_params, trainable / tp, largest, dp, stored, s);

    if (c->offload_optimizer) {
        /* ZeRO-Offload: states and fp32 gradients live on the host, updated by the CPU. */
        s->host += s->opt + 4.0 * trainable / tp / (stage >= 1 ? dp : 1);
        s->opt = 0;
        s->grads = 0;
    }
    if (c->offload_params) {
        s->host += s->weights;
        s->weights = 0;
    }
    if (c->method == TRAINING_QLORA)
        s->dequant = training_largest_matrix(m) * cb / tp;
    s->weights += s->gather + s->dequant;
}

/* Fills out for one stage; returns its total. */
static double stage_estimate(const struct training_model *m, const struct training_config *c,
                             const struct stage *st, int gpus_per_node, struct training_result *out)
{
    memset(out, 0, sizeof(*out));
    const double tp = c->tensor_parallel > 0 ? c->tensor_parallel : 1;
    const double cp = c->context_parallel > 0 ? c->context_parallel : 1;
    struct states s;
    stage_states(m, c, st->fraction, out, &s);
    out->trainable_params = training_trainable_params(m, c);
    out->frozen_params = c->method == TRAINING_FULL ? 0 : m->params;
    out->gather_buffer = s.gather;
    out->dequant_buffer = s.dequant;
    double logits = 0;
    out->activations = stage_activations(m, c, st, &logits);
    out->logits = logits;
    {
        /* one layer without recompute (full recompute still materialises one such layer) */
        struct training_config one = *c;
        if (one.recompute == TRAINING_RECOMPUTE_FULL)
            one.recompute = TRAINING_RECOMPUTE_NONE;
        const double dense = m->layers > m->moe_layers ? layer_on_rank(m, &one, false, tp, cp) : 0;
        const double moe = m->moe_layers > 0 ? layer_on_rank(m, &one, true, tp, cp) : 0;
        out->activations_layer = fmax(dense, moe);
    }
    out->weights = s.weights;
    out->grads = s.grads;
    out->optimizer = s.opt;
    out->buffers = s.buffers;
    out->step_buffer = s.step;
    out->stage_fraction = st->fraction;
    out->inflight_microbatches = st->inflight;
    out->tokens_per_gpu = (double)c->seq_len * c->micro_batch / cp;
    /* Backward (activations + buckets) and the optimizer step (fp32 gradient partition) do not
     * overlap: the peak is the larger phase on top of the states. */
    out->allocated = s.weights + s.grads + s.opt + fmax(out->activations + s.buffers, s.step);
    out->reserved = out->allocated * (1.0 + TRAINING_FRAGMENTATION);
    const bool collectives =
        (c->data_parallel > 0 ? c->data_parallel : 1) * training_model_parallel(c) > 1;
    out->overhead = TRAINING_CUDA_CONTEXT + (collectives ? TRAINING_NCCL : 0) +
                    TRAINING_FRAGMENTATION * out->allocated;
    out->total = out->allocated + out->overhead;
    out->host_per_node =
        s.host * (gpus_per_node > 0 ? gpus_per_node : 1) * TRAINING_HOST_BUFFER_FACTOR;
    return out->total;
}

void training_estimate(const struct training_model *m, const struct training_config *c,
                       int gpus_per_node, struct training_result *out)
{
    struct stage first, last;
    stages(m, c, &first, &last);
    stage_estimate(m, c, &first, gpus_per_node, out);
    if (c->pipeline_parallel > 1) {
        /* Every stage is a GPU of the job: the answer is the fuller one. */
        struct training_result r_last;
        if (stage_estimate(m, c, &last, gpus_per_node, &r_last) > out->total)
            *out = r_last;
    }
}

int training_zero_stage(const struct training_config *c)
{
    if (c->fsdp)
        return c->zero_stage == 2 ? 2 : 3;
    return c->zero_stage;
}

int training_model_parallel(const struct training_config *c)
{
    const int tp = c->tensor_parallel > 0 ? c->tensor_parallel : 1;
    const int pp = c->pipeline_parallel > 0 ? c->pipeline_parallel : 1;
    const int cp = c->context_parallel > 0 ? c->context_parallel : 1;
    return tp * pp * cp;
}

int training_config_check(const struct training_model *m, const struct training_config *c,
                          const char **field, char *rule, size_t rule_len)
{
    const int tp = c->tensor_parallel > 0 ? c->tensor_parallel : 1;
    const int pp = c->pipeline_parallel > 0 ? c->pipeline_parallel : 1;
    const int cp = c->context_parallel > 0 ? c->context_parallel : 1;
    const int v = c->pp_schedule == TRAINING_PP_INTERLEAVED ? c->pp_virtual_stages : 1;
    if (tp > 1 && (m->heads % tp != 0 || (m->kv_heads % tp != 0 && tp % m->kv_heads != 0))) {
        *field = "tensor_parallel";
        snprintf(rule, rule_len,
                 "tensor_parallel %d must divide the %d attention heads and the %d KV heads (or be "
                 "a multiple of them)",
                 tp, m->heads, m->kv_heads);
        return -EINVAL;
    }
    if (c->pp_schedule == TRAINING_PP_INTERLEAVED && (pp < 2 || v < 2)) {
        *field = "pp_schedule";
        snprintf(
            rule, rule_len,
            "the interleaved schedule needs pipeline_parallel >= 2 and pp_virtual_stages >= 2");
        return -EINVAL;
    }
    if (m->layers % (pp * v) != 0) {
        *field = "pipeline_parallel";
        snprintf(rule, rule_len,
                 "pipeline_parallel %d x %d virtual stages must divide the %d layers", pp, v,
                 m->layers);
        return -EINVAL;
    }
    if (c->seq_len % cp != 0 || (cp > 1 && (m->heads / tp) % cp != 0)) {
        *field = "context_parallel";
        snprintf(rule, rule_len,
                 "context_parallel %d must divide seq_len %d and the %d attention heads left per "
                 "tensor-parallel rank (Ulysses all-to-all splits heads)",
                 cp, c->seq_len, m->heads / tp);
        return -EINVAL;
    }
    return 0;
}

static const char *const method_names[TRAINING_METHOD_COUNT] = {
    [TRAINING_FULL] = "full",
    [TRAINING_LORA] = "lora",
    [TRAINING_QLORA] = "qlora",
};
static const char *const optimizer_names[TRAINING_OPTIMIZER_COUNT] = {
    [TRAINING_ADAMW] = "adamw",
    [TRAINING_ADAMW_8BIT] = "adamw_8bit",
    [TRAINING_SGD_MOMENTUM] = "sgd_momentum",
    [TRAINING_ADAFACTOR] = "adafactor",
};
static const char *const recompute_names[TRAINING_RECOMPUTE_COUNT] = {
    [TRAINING_RECOMPUTE_NONE] = "none",
    [TRAINING_RECOMPUTE_SELECTIVE] = "selective",
    [TRAINING_RECOMPUTE_FULL] = "full",
};
static const char *const pp_schedule_names[TRAINING_PP_SCHEDULE_COUNT] = {
    [TRAINING_PP_1F1B] = "1f1b",
    [TRAINING_PP_INTERLEAVED] = "interleaved",
    [TRAINING_PP_GPIPE] = "gpipe",
};
static const char *const sharding_names[TRAINING_SHARDING_COUNT] = {
    [TRAINING_SHARD_DEEPSPEED] = "deepspeed",
    [TRAINING_SHARD_FSDP] = "fsdp",
    [TRAINING_SHARD_MEGATRON] = "megatron",
};
static const char *const target_names[] = {"q_proj",    "k_proj",  "v_proj",   "o_proj",
                                           "gate_proj", "up_proj", "down_proj"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const char *const *names, size_t n, const char *s)
{
    if (s == NULL)
        return -ENOENT;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -ENOENT;
}

/* The switches make a new enum value fail the build here until its name row is added. */
const char *training_method_name(enum training_method m)
{
    switch (m) {
    case TRAINING_FULL:
    case TRAINING_LORA:
    case TRAINING_QLORA:
        return method_names[m];
    }
    return "?";
}

const char *training_optimizer_name(enum training_optimizer o)
{
    switch (o) {
    case TRAINING_ADAMW:
    case TRAINING_ADAMW_8BIT:
    case TRAINING_SGD_MOMENTUM:
    case TRAINING_ADAFACTOR:
        return optimizer_names[o];
    }
    return "?";
}

const char *training_recompute_name(enum training_recompute r)
{
    switch (r) {
    case TRAINING_RECOMPUTE_NONE:
    case TRAINING_RECOMPUTE_SELECTIVE:
    case TRAINING_RECOMPUTE_FULL:
        return recompute_names[r];
    }
    return "?";
}

const char *training_pp_schedule_name(enum training_pp_schedule s)
{
    switch (s) {
    case TRAINING_PP_1F1B:
    case TRAINING_PP_INTERLEAVED:
    case TRAINING_PP_GPIPE:
        return pp_schedule_names[s];
    }
    return "?";
}

const char *training_sharding_name(enum training_sharding s)
{
    switch (s) {
    case TRAINING_SHARD_DEEPSPEED:
    case TRAINING_SHARD_FSDP:
    case TRAINING_SHARD_MEGATRON:
        return sharding_names[s];
    }
    return "?";
}

int training_pp_schedule_parse(const char *s, enum training_pp_schedule *out)
{
    int i = lookup(pp_schedule_names, COUNT(pp_schedule_names), s);
    if (i < 0)
        return i;
    *out = (enum training_pp_schedule)i;
    return 0;
}

int training_sharding_parse(const char *s, enum training_sharding *out)
{
    int i = lookup(sharding_names, COUNT(sharding_names), s);
    if (i < 0)
        return i;
    *out = (enum training_sharding)i;
    return 0;
}

int training_method_parse(const char *s, enum training_method *out)
{
    int i = lookup(method_names, COUNT(method_names), s);
    if (i < 0)
        return i;
    *out = (enum training_method)i;
    return 0;
}

int training_optimizer_parse(const char *s, enum training_optimizer *out)
{
    int i = lookup(optimizer_names, COUNT(optimizer_names), s);
    if (i < 0)
        return i;
    *out = (enum training_optimizer)i;
    return 0;
}

int training_recompute_parse(const char *s, enum training_recompute *out)
{
    int i = lookup(recompute_names, COUNT(recompute_names), s);
    if (i < 0)
        return i;
    *out = (enum training_recompute)i;
    return 0;
}

int training_lora_target_parse(const char *s, unsigned *bit)
{
    int i = lookup(target_names, COUNT(target_names), s);
    if (i < 0)
        return i;
    *bit = 1u << i;
    return 0;
}
