/* training.c - training memory per GPU: model states by optimizer and ZeRO stage, activations. */
#include "memory/training.h"

#include <errno.h>
#include <math.h>
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
    switch (c->optimizer) {
    case TRAINING_ADAMW:
        return 8.0 * trainable;
    case TRAINING_ADAMW_8BIT:
        return 2.0 * (1.0 + 4.0 / 2048.0) * trainable;
    case TRAINING_SGD_MOMENTUM:
        return 4.0 * trainable;
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

void training_estimate(const struct training_model *m, const struct training_config *c,
                       int gpus_per_node, struct training_result *out)
{
    memset(out, 0, sizeof(*out));
    const double tp = c->tensor_parallel > 0 ? c->tensor_parallel : 1;
    const double dp = c->data_parallel > 0 ? c->data_parallel : 1;
    const int stage = c->fsdp ? 3 : c->zero_stage;
    const bool full = c->method == TRAINING_FULL;
    const double cb = c->compute_bytes;

    const double trainable = training_trainable_params(m, c);
    out->trainable_params = trainable;
    out->frozen_params = full ? 0 : m->params;

    /* Bytes per trainable parameter: its working copy, master copy, states, gradient. */
    const double train_w = full ? c->weight_bytes : cb;
    const double master = (c->master_weights && train_w < 4) ? 4.0 : 0.0;
    const double opt_bytes = master * trainable + optimizer_state_bytes(m, c, trainable);
    const double grad_bytes = c->grad_bytes * trainable;

    /* The frozen base of LoRA/QLoRA: linear layers at storage precision, the rest in 16 bits. */
    double base = 0, base_bpw = 0;
    if (!full) {
        const double lin = block_linear_params(m);
        const double lin_b = c->method == TRAINING_QLORA ? TRAINING_NF4_BITS / 8 : c->weight_bytes;
        base = lin * lin_b + (m->params - lin) * cb;
        base_bpw = 8.0 * base / m->params;
    }
    out->base_bits_per_weight = base_bpw;
    out->states_per_param =
        trainable > 0 ? (train_w * trainable + opt_bytes + grad_bytes) / trainable : 0;

    double weights = (train_w * trainable + base) / tp;
    double grads = grad_bytes / tp;
    double opt = opt_bytes / tp;
    if (stage >= 1)
        opt /= dp;
    if (stage >= 2)
        grads /= dp;
    if (stage >= 3)
        weights /= dp;

    /* Gathered weights of ZeRO-3/FSDP: they exist whole on every rank while in use. */
    const double stored_bpp =
        full ? c->weight_bytes
             : (c->method == TRAINING_QLORA ? TRAINING_NF4_BITS / 8 : c->weight_bytes);
    double gather = 0;
    if (stage >= 3 && (dp > 1 || !c->fsdp)) {
        if (c->fsdp) {
            /* FSDP wraps each decoder block: the current and the prefetched next block are
             * gathered, and the current block's unsharded gradient exists before reduce-scatter. */
            double blk = training_block_params(m);
            gather = (2.0 * blk * stored_bpp + (full ? blk * c->grad_bytes : 0)) / tp;
        } else {
            /* DeepSpeed: largest module (often the embedding) gathered with its gradient; its
             * estimator counts it even on one GPU (the gathered copy is a second tensor). */
            double ll = fmax(training_largest_matrix(m), fmax(m->embed_params, m->lm_head_params));
            gather = ll * (stored_bpp + (full ? cb : 0)) / tp;
        }
    }
    out->gather_buffer = gather;

    double host = 0;
    if (c->offload_optimizer) {
        /* ZeRO-Offload: states and fp32 gradients live on the host, updated by the CPU. */
        host += opt + 4.0 * trainable / tp / (stage >= 1 ? dp : 1);
        opt = 0;
        grads = 0;
    }
    if (c->offload_params) {
        host += weights;
        weights = 0;
    }
    weights += gather;

    double dequant = 0;
    if (c->method == TRAINING_QLORA)
        dequant = training_largest_matrix(m) * cb / tp;
    out->dequant_buffer = dequant;
    weights += dequant;

    /* Activations. */
    const double T = (double)c->seq_len * c->micro_batch;
    const int dense_layers = m->layers - m->moe_layers;
    double act;
    double one_dense = dense_layers > 0 ? training_layer_activations(m, c, false) : 0;
    double one_moe = m->moe_layers > 0 ? training_layer_activations(m, c, true) : 0;
    if (c->recompute == TRAINING_RECOMPUTE_FULL) {
        struct training_config none = *c;
        none.recompute = TRAINING_RECOMPUTE_NONE;
        double work = fmax(dense_layers > 0 ? training_layer_activations(m, &none, false) : 0,
                           m->moe_layers > 0 ? training_layer_activations(m, &none, true) : 0);
        act = m->layers * cb * T * m->hidden + work;
        out->activations_layer = work / tp;
    } else {
        act = dense_layers * one_dense + m->moe_layers * one_moe;
        out->activations_layer = fmax(one_dense, one_moe) / tp;
    }
    act += 2.0 * cb * T * m->hidden; /* final norm and LM-head inputs */
    double rows = c->chunked_loss ? fmin(T, liger_chunk_rows(T, m->vocab, m->hidden)) : T;
    double logits = (cb + 8.0) * rows * m->vocab;
    act = (act + logits) / tp;
    out->logits = logits / tp;

    out->weights = weights;
    out->grads = grads;
    out->optimizer = opt;
    out->activations = act;
    const bool collectives = dp * tp > 1;
    out->overhead = TRAINING_CUDA_CONTEXT + (collectives ? TRAINING_NCCL : 0) +
                    TRAINING_FRAGMENTATION * (weights + grads + opt + act);
    out->total = out->weights + out->grads + out->optimizer + out->activations + out->overhead;
    out->host_per_node =
        host * (gpus_per_node > 0 ? gpus_per_node : 1) * TRAINING_HOST_BUFFER_FACTOR;
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
