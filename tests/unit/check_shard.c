/*
 * check_shard.c - weights and KV cache per GPU under TP, TP+PP and EP+DP layouts, pinned to hand
 * calculations from vLLM's sharding rules (the arithmetic is in docs/estimation.md, "Parallel
 * layouts"), and vLLM's layout checks with its own wording.
 */
#include "support/check_util.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "config/presets.h"
#include "memory/shard.h"
#include "memory/vllm.h"
#include "model/kv.h"
#include "model/models.h"

static const struct model_preset *preset(const char *name)
{
    const struct models *m = presets_builtin();
    ck_assert_msg(m != NULL, "%s", presets_error());
    const struct model_preset *p = models_find(m, name);
    ck_assert_msg(p != NULL, "%s", name);
    return p;
}

/* Parameters on the busiest GPU of layout l. */
static double per_gpu(const struct model_preset *p, struct shard_layout l)
{
    struct shard_weights w;
    shard_weights(&p->arch, &p->params, &l, &w);
    return w.params;
}

#define TP(t)      ((struct shard_layout){.tp = (t), .pp = 1, .dp = 1, .dcp = 1})
#define TPPP(t, p) ((struct shard_layout){.tp = (t), .pp = (p), .dp = 1, .dcp = 1})
#define EPDP(t, d) ((struct shard_layout){.tp = (t), .pp = 1, .dp = (d), .dcp = 1, .ep = true})
#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) <= 1.0, "%.1f != %.1f", (double)(a), (double)(b))

/*
 * DeepSeek-R1 (fp8: 1 byte per parameter). Per layer: MLA attention 187,107,328 of which
 * q_a_proj + kv_a_proj_with_mqa + their norms, 15,140,864, are whole on every rank; an expert
 * 44,040,192 (3 x 7168 x 2048), 256 routed + 1 shared, router 1,835,264; 3 dense layers of
 * 396,361,728; embedding and LM head 926,679,040 each; norms 881,664 in all.
 */
START_TEST(deepseek_r1_weights_per_gpu_match_the_hand_calculation)
{
    const struct model_preset *p = preset("deepseek-r1");
    /* 8 GPUs */
    NEAR(per_gpu(p, TP(8)), 84780357120.0);
    NEAR(per_gpu(p, EPDP(1, 8)), 98856244736.0);
    /* TP4 x PP2: stages of 31 and 30 layers; the last (30 MoE layers + LM head) is the larger */
    NEAR(per_gpu(p, TPPP(4, 2)), 1743974400.0 + 84942528000.0 + 231669760.0 + 881664.0 * 30 / 61);
    /* 16 GPUs */
    NEAR(per_gpu(p, TPPP(8, 2)), 1099100160.0 + 42498792960.0 + 115834880.0 + 881664.0 * 30 / 61);
    NEAR(per_gpu(p, EPDP(1, 16)), 57986946560.0);
    /* EPLB: 32 redundant experts over 8 ranks, 36 experts each instead of 32 */
    struct shard_layout r = EPDP(1, 8);
    r.redundant = 32;
    NEAR(per_gpu(p, r) - per_gpu(p, EPDP(1, 8)), 4.0 * 44040192 * 58);
}
END_TEST

/*
 * Qwen3-235B-A22B (bf16: 2 bytes). Per layer: GQA attention 71,303,424 with 4 K/V heads
 * (K/V projections 4,194,304: at TP 8 each rank holds one whole K/V head, 1,048,576); 128 experts
 * of 18,874,368 (3 x 4096 x 1536), router 524,288; embedding and LM head 622,329,856 each; norms
 * 774,144; 94 layers, all MoE.
 */
START_TEST(qwen3_235b_weights_per_gpu_match_the_hand_calculation)
{
    const struct model_preset *p = preset("qwen3-235b-a22b");
    /* 8 GPUs */
    NEAR(per_gpu(p, TP(8)), 887098304.0 + 28436332544.0 + 155582464.0 + 774144.0);
    NEAR(per_gpu(p, TP(8)) * 2, 58959574912.0);
    NEAR(per_gpu(p, EPDP(1, 8)) * 2, 72768576512.0);
    NEAR(per_gpu(p, TPPP(4, 2)), 837815232.0 + 28411691008.0 + 155582464.0 + 387072.0);
    /* 16 GPUs */
    NEAR(per_gpu(p, TPPP(8, 2)), 443549152.0 + 14218166272.0 + 77791232.0 + 387072.0);
    NEAR(per_gpu(p, EPDP(1, 16)) * 2, 44381527040.0);
    NEAR(per_gpu(p, EPDP(8, 2)) * 2, 30572525440.0);
}
END_TEST

/* vLLM's get_pp_indices: the remainder goes to the stages before the last. */
START_TEST(pipeline_stages_follow_get_pp_indices)
{
    const struct model_preset *p = preset("deepseek-r1"); /* 61 layers */
    struct shard_weights w;
    struct shard_layout l = TPPP(8, 2);
    shard_weights(&p->arch, &p->params, &l, &w);
    ck_assert_int_eq(w.stage, 1);
    ck_assert_int_eq(w.stage_layers, 30);
    l = TPPP(8, 4); /* 15, 15, 16, 15 */
    shard_weights(&p->arch, &p->params, &l, &w);
    ck_assert_int_eq(w.stage, 2);
    ck_assert_int_eq(w.stage_layers, 16);
}
END_TEST

/* Per token per GPU: MLA's 576-element latent on every TP rank; GQA heads split, then replicated.
 */
START_TEST(kv_per_token_per_gpu_matches_the_hand_calculation)
{
    const struct model_preset *r1 = preset("deepseek-r1");
    const struct model_preset *qw = preset("qwen3-235b-a22b");
    int htp, tok;
    struct shard_layout l = TP(8);
    shard_kv_split(&l, &htp, &tok);
    ck_assert_double_eq(kv_seq_bytes(&r1->arch, 2, htp, 1, 1) / tok, 61 * 576 * 2); /* 70,272 */
    l.dcp = 8; /* decode context parallel splits the latent's tokens over the 8 TP ranks */
    shard_kv_split(&l, &htp, &tok);
    ck_assert_double_eq(kv_seq_bytes(&r1->arch, 2, htp, 1, 1) / tok, 61 * 576 * 2 / 8.0);
    l = TP(8);
    shard_kv_split(&l, &htp, &tok);
    ck_assert_double_eq(kv_seq_bytes(&qw->arch, 2, htp, 1, 1) / tok, 94 * 1 * 256 * 2); /* 1 head */
    l = TPPP(8, 2);
    shard_kv_split(&l, &htp, &tok);
    ck_assert_double_eq(kv_seq_bytes(&qw->arch, 2, htp, 2, 1) / tok, 47 * 1 * 256 * 2);
    l = EPDP(1, 8);
    shard_kv_split(&l, &htp, &tok);
    ck_assert_double_eq(kv_seq_bytes(&qw->arch, 2, htp, 1, 1) / tok, 94 * 4 * 256 * 2);
}
END_TEST

/* The fit of one H200-sized GPU (140 GiB usable) at 8 GPUs, batch 64 x 8K, bf16 KV. */
static void fit8(const struct model_preset *p, double bytes, struct shard_layout l,
                 struct vllm_fit *f)
{
    struct shard_weights w;
    shard_weights(&p->arch, &p->params, &l, &w);
    struct vllm_fit_in in = {
        .arch = &p->arch,
        .weight_bytes = p->params.total * bytes,
        .kv_bytes = 2,
        .ctx = 8192,
        .batch = 64,
        .util = 0.9,
        .tp = l.tp,
        .pp = l.pp,
        .usable_gib = 140,
        .weights_gpu = w.params * bytes,
        .dp = l.dp,
        .dcp = l.dcp,
        .comm_ranks = l.ep ? l.tp * l.dp : l.tp,
        .imbalance_bytes = shard_moe_imbalance_bytes(&p->arch, &l, SHARD_IMBALANCE_NO_EPLB,
                                                     VLLM_PROFILE_TOKENS, 2),
    };
    vllm_fit(&in, f);
}

/* TP8 keeps 8 copies of DeepSeek-R1's latent cache; DP8 caches each sequence once; DCP8 splits it.
 */
START_TEST(deepseek_r1_kv_capacity_differs_by_layout)
{
    const struct model_preset *p = preset("deepseek-r1");
    struct vllm_fit tp8, dp8, dcp8;
    fit8(p, 1, TP(8), &tp8);
    fit8(p, 1, EPDP(1, 8), &dp8);
    struct shard_layout d = TP(8);
    d.dcp = 8;
    fit8(p, 1, d, &dcp8);
    ck_assert(tp8.fits && dp8.fits && dcp8.fits);
    /* the pool per GPU over 70,272 bytes per token, times the DP ranks (or DCP's split) */
    NEAR(tp8.kv_capacity, floor(tp8.kv_pool / 70272.0));
    NEAR(dp8.kv_capacity, 8 * floor(dp8.kv_pool / 70272.0));
    NEAR(dcp8.kv_capacity, floor(dcp8.kv_pool / 8784.0));
    ck_assert(dp8.kv_capacity > 4 * tp8.kv_capacity);  /* less pool, 8x the tokens */
    ck_assert(dcp8.kv_capacity > 7 * tp8.kv_capacity); /* same pool, 1/8 the bytes */
    /* each DP rank holds 8 of the 64 sequences */
    NEAR(dp8.kv_needed, 8 * 8192 * 70272.0);
    NEAR(tp8.kv_needed, 64 * 8192 * 70272.0);
}
END_TEST

/*
 * Router imbalance: with TP 1 the busiest of 8 EP ranks sees 2.564 x 8192 x 8 token-expert pairs
 * against the profiled 8192 x 8, (3 x 2048 + 7168) x 2 bytes of workspace each; with TP 8 it sees
 * fewer than the profile did (nothing added); weights are not touched.
 */
START_TEST(router_imbalance_adds_workspace_not_weights)
{
    const struct model_preset *p = preset("deepseek-r1");
    struct shard_layout dp8 = EPDP(1, 8), ep_tp8 = EPDP(8, 1), tp8 = TP(8);
    double pair = (3.0 * 2048 + 7168) * 2;
    NEAR(shard_moe_imbalance_bytes(&p->arch, &dp8, 2.564, 8192, 2), 1.564 * 8192 * 8 * pair);
    ck_assert_double_eq(shard_moe_imbalance_bytes(&p->arch, &ep_tp8, 2.564, 8192, 2), 0);
    ck_assert_double_eq(shard_moe_imbalance_bytes(&p->arch, &tp8, 2.564, 8192, 2), 0);
    ck_assert_double_eq(shard_moe_imbalance_bytes(&p->arch, &dp8, 1, 8192, 2), 0);
    struct vllm_fit a, b;
    fit8(p, 1, dp8, &a);
    fit8(p, 1, dp8, &b);
    ck_assert_double_eq(a.weights, b.weights);
    NEAR(a.imbalance, 1.564 * 8192 * 8 * pair);
    ck_assert(a.activation > a.imbalance);
}
END_TEST

static void refused(const char *model, struct shard_layout l, const char *field, const char *msg)
{
    struct error_info err;
    error_clear(&err);
    ck_assert_int_eq(shard_check(&preset(model)->arch, &l, &err), -EINVAL);
    ck_assert_int_eq(err.status, 422);
    ck_assert_str_eq(err.field, field);
    ck_assert_msg(strstr(err.message, msg) != NULL, "%s", err.message);
}

/* vLLM's checks, in vLLM's words where it has them. */
START_TEST(layouts_vllm_refuses_are_refused_in_its_words)
{
    refused("llama-3-8b", TP(3), "tensor_parallel",
            "Total number of attention heads (32) must be divisible by tensor parallel size (3).");
    refused("qwen3-235b-a22b", TP(6), "tensor_parallel",
            "Total number of attention heads (64) must be divisible by tensor parallel size (6).");
    struct shard_layout d = TP(4);
    d.dcp = 8;
    refused("deepseek-r1", d, "decode_context_parallel",
            "tp_size=4 must be divisible by dcp_size=8.");
    struct shard_layout e = EPDP(8, 1);
    refused("llama-3-8b", e, "expert_parallel",
            "Number of experts in the model must be greater than 0 when expert parallelism is "
            "enabled.");
    struct shard_layout r = TP(8);
    r.redundant = 32;
    refused("deepseek-r1", r, "num_redundant_experts",
            "enable_expert_parallel must be True to use EPLB");
    struct shard_layout r1 = EPDP(1, 1);
    r1.redundant = 8;
    refused(
        "deepseek-r1", r1, "num_redundant_experts",
        "EPLB requires tensor, prefill-context, or data parallelism, but got TP=1, PCP=1, DP=1.");
    refused("llama-3-8b", TPPP(1, 33), "pipeline_parallel", "exceeds the model's 32 layers");
    struct error_info err;
    error_clear(&err);
    struct arch six = preset("llama-3-8b")->arch; /* 6 KV heads: neither divides the other at 4 */
    six.kv_heads = 6;
    struct shard_layout four = TP(4);
    ck_assert_int_eq(shard_check(&six, &four, &err), -EINVAL);
    ck_assert_str_eq(err.field, "tensor_parallel");
    ck_assert_msg(strstr(err.message, "Number of KV heads (6) must be divisible by tensor parallel "
                                      "size (4)") != NULL,
                  "%s", err.message);
    struct shard_layout ok = EPDP(8, 2);
    ok.redundant = 32;
    ck_assert_int_eq(shard_check(&preset("deepseek-r1")->arch, &ok, &err), 0);
    ok = TP(8); /* Qwen3's 4 KV heads are replicated twice: allowed */
    ck_assert_int_eq(shard_check(&preset("qwen3-235b-a22b")->arch, &ok, &err), 0);
}
END_TEST

/* A dense model under TP: the same as the uniform split but for norms (and replicated K/V). */
START_TEST(dense_tp_is_the_uniform_split_but_for_replicated_parts)
{
    const struct model_preset *p = preset("llama-3-8b"); /* 8 KV heads: TP 8 splits them */
    double uniform = p->params.total / 8;
    double norms = p->params.norms;
    NEAR(per_gpu(p, TP(8)), uniform - norms / 8 + norms);
}
END_TEST

/*
 * Every preset: one GPU holds the whole model (the per-GPU parts add up to params_count's total);
 * a TP group holds at least its 1/TP share and at most the whole; 2 PP stages split the layers.
 */
START_TEST(every_preset_adds_up_and_splits_sensibly)
{
    const struct models *m = presets_builtin();
    for (size_t i = 0; i < models_count(m); i++) {
        const struct model_preset *p = models_at(m, i);
        struct shard_weights w;
        struct shard_layout one = TP(1);
        shard_weights(&p->arch, &p->params, &one, &w);
        ck_assert_msg(fabs(w.fraction - 1) < 1e-9, "%s: %.12f at TP 1", p->name, w.fraction);
        for (int tp = 2; tp <= 8; tp *= 2) {
            struct shard_layout l = TP(tp);
            shard_weights(&p->arch, &p->params, &l, &w);
            ck_assert_msg(w.fraction >= 1.0 / tp - 1e-12 && w.fraction <= 1, "%s TP %d: %.6f",
                          p->name, tp, w.fraction);
        }
        if (p->arch.layers >= 2) { /* the heavier of 2 stages: floor or ceil of layers / 2 */
            struct shard_layout l = TPPP(1, 2);
            shard_weights(&p->arch, &p->params, &l, &w);
            ck_assert_msg(w.stage_layers == p->arch.layers / 2 ||
                              w.stage_layers == (p->arch.layers + 1) / 2,
                          "%s: %d of %lld", p->name, w.stage_layers, (long long)p->arch.layers);
            ck_assert(w.fraction > 0.3 && w.fraction < 1);
        }
    }
}
END_TEST

static Suite *shard_suite(void)
{
    Suite *s = suite_create("shard");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, deepseek_r1_weights_per_gpu_match_the_hand_calculation);
    tcase_add_test(tc, qwen3_235b_weights_per_gpu_match_the_hand_calculation);
    tcase_add_test(tc, pipeline_stages_follow_get_pp_indices);
    tcase_add_test(tc, kv_per_token_per_gpu_matches_the_hand_calculation);
    tcase_add_test(tc, deepseek_r1_kv_capacity_differs_by_layout);
    tcase_add_test(tc, router_imbalance_adds_workspace_not_weights);
    tcase_add_test(tc, layouts_vllm_refuses_are_refused_in_its_words);
    tcase_add_test(tc, dense_tp_is_the_uniform_split_but_for_replicated_parts);
    tcase_add_test(tc, every_preset_adds_up_and_splits_sensibly);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(shard_suite)
