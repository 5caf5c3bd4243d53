/* check_params.c - parameter counts for every real config in tests/data/model-configs.json. */
#include "support/check_util.h"

#include <errno.h>
#include <string.h>

#include "config/presets.h"
#include "model/arch.h"
#include "model/models.h"
#include "model/params.h"

/*
 * How each official figure is defined (from the counter_notes / official_*_note in the fixture):
 *   TOTAL          the architecture count, all tensors (embedding and untied head included)
 *   NOMINAL        a rounded headline ("7B"): the count must round to it (|count - n| < 0.5 of the
 *                  last named unit) and lie within 5% - Meta/Google/TII quote model-size names
 *   NON_EMBEDDING  total minus the input embedding (gemma-2-9b's quoted 8,324,201,984)
 *   QWEN2_7B       Qwen's blog counts 7B as if tied: total minus one vocab x hidden matrix
 *   ACTIVE         parameters one token touches, embedding included (Mistral, DeepSeek-V3 36.7)
 *   ACTIVE_NO_EMB  active minus the input embedding (gpt-oss "3.6B", DeepSeek-V2-Lite "2.4B")
 *   CKPT_BYTES     checkpoint index total_size in bytes at 2 bytes/param (+ extra stored params)
 * Tolerance is 2% (1% for checkpoint sizes), or one unit of the last quoted digit when the
 * official figure is quoted more coarsely than 2% ("2.4B" for DeepSeek-V2-Lite's 2.45B, per its
 * note; "14B" for Qwen2-57B-A14B).
 * DeepSeek-V3's "36.7B activated incl. 0.9B embedding" disagrees with its own architecture
 * (37.55B with the embedding); the later README_WEIGHTS revision's 36.6B without the embedding is
 * what the architecture gives, so that figure is the one pinned (see the fixture's note).
 */
enum conv { TOTAL, NOMINAL, NON_EMBEDDING, QWEN2_7B, ACTIVE, ACTIVE_NO_EMB, CKPT_BYTES };

struct expect {
    const char *name;
    enum conv conv;
    double official; /* billions, or bytes for CKPT_BYTES */
    double extra;    /* CKPT_BYTES: params stored besides the model (falcon's duplicate head) */
    double quantum;  /* rounding unit of the official figure (billions); 0 = exact */
};

static const struct expect table[] = {
    {"Llama-2-7b", NOMINAL, 7, 0, 1},
    {"Llama-2-70b", NOMINAL, 70, 0, 10},
    {"Meta-Llama-3-8B", NOMINAL, 8, 0, 1},
    {"Meta-Llama-3-70B", NOMINAL, 70, 0, 10},
    {"Llama-3.1-8B", NOMINAL, 8, 0, 1},
    {"Mistral-7B-v0.1", TOTAL, 7.3, 0, 0.1},
    {"Qwen2-7B", QWEN2_7B, 7.07, 0, 0},
    {"Qwen2-72B", TOTAL, 72.71, 0, 0},
    {"gemma-2-9b", NON_EMBEDDING, 8.324201984, 0, 0},
    {"gemma-2-9b", NOMINAL, 9, 0, 1},
    {"Phi-3-mini-4k-instruct", TOTAL, 3.8, 0, 0.1},
    {"falcon-40b", CKPT_BYTES, 83671941120.0, 532676608, 0},
    {"falcon-40b", NOMINAL, 40, 0, 10},
    {"gpt2", TOTAL, 0.124, 0, 0},
    {"Mixtral-8x7B-v0.1", TOTAL, 46.7, 0, 0},
    {"Mixtral-8x7B-v0.1", ACTIVE, 12.9, 0, 0},
    {"Mixtral-8x7B-v0.1", CKPT_BYTES, 93405585408.0, 0, 0},
    {"Mixtral-8x22B-v0.1 (via WizardLM-2-8x22B)", TOTAL, 141, 0, 0},
    {"Mixtral-8x22B-v0.1 (via WizardLM-2-8x22B)", ACTIVE, 39, 0, 0},
    {"Mixtral-8x22B-v0.1 (via WizardLM-2-8x22B)", CKPT_BYTES, 281241268224.0, 0, 0},
    {"DeepSeek-V2-Lite", TOTAL, 15.7, 0, 0},
    {"DeepSeek-V2-Lite", ACTIVE_NO_EMB, 2.4, 0, 0.1},
    {"DeepSeek-Coder-V2-Instruct (DeepSeek-V2 architecture)", TOTAL, 236, 0, 0},
    {"DeepSeek-Coder-V2-Instruct (DeepSeek-V2 architecture)", ACTIVE, 21, 0, 0},
    {"DeepSeek-V3", TOTAL, 671, 0, 0},
    {"DeepSeek-V3", ACTIVE_NO_EMB, 36.6, 0, 0},
    {"Qwen1.5-MoE-A2.7B", TOTAL, 14.3, 0, 0},
    {"Qwen1.5-MoE-A2.7B", ACTIVE, 2.7, 0, 0},
    {"Qwen2-57B-A14B", TOTAL, 57.41, 0, 0},
    {"Qwen2-57B-A14B", ACTIVE, 14, 0, 1},
    {"Qwen3-30B-A3B", TOTAL, 30.5, 0, 0},
    {"Qwen3-30B-A3B", ACTIVE, 3.3, 0, 0},
    {"dbrx", TOTAL, 132, 0, 0},
    {"dbrx", ACTIVE, 36, 0, 0},
    {"grok-1", TOTAL, 314, 0, 0},
    {"gpt-oss-20b", TOTAL, 21, 0, 0},
    {"gpt-oss-20b", ACTIVE_NO_EMB, 3.6, 0, 0},
};

static json_t *fixture;

static void load_fixture(void)
{
    json_error_t je;
    fixture = json_load_file(TEST_DATA_DIR "/model-configs.json", 0, &je);
    ck_assert_msg(fixture != NULL, "model-configs.json: %s", je.text);
}

static void unload_fixture(void)
{
    json_decref(fixture);
}

static const json_t *entry(const char *name)
{
    size_t i;
    json_t *m;
    json_array_foreach(fixture, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            return m;
    }
    return NULL;
}

static void count(const json_t *m, struct params *p)
{
    json_t *cfg = json_deep_copy(json_object_get(m, "config"));
    /* grok-1's source dict has no model_type (the HF port calls it "grok-1"). */
    if (json_object_get(cfg, "model_type") == NULL)
        json_object_set_new(cfg, "model_type", json_string("grok-1"));
    struct arch a;
    struct error_info err = {0};
    int rc = arch_from_hf_config(cfg, "hf_config", &a, &err);
    ck_assert_msg(rc == 0, "%s: %s", json_string_value(json_object_get(m, "name")), err.message);
    params_count(&a, p);
    json_decref(cfg);
}

START_TEST(every_config_matches_its_official_count)
{
    const struct expect *e = &table[_i];
    const json_t *m = entry(e->name);
    ck_assert_msg(m != NULL, "%s missing from the fixture", e->name);
    struct params p;
    count(m, &p);
    double got = 0, want = e->official, tol = 0.02;
    switch (e->conv) {
    case TOTAL:
        got = p.total / 1e9;
        break;
    case NOMINAL:
        got = p.total / 1e9;
        tol = 0.05;
        break;
    case NON_EMBEDDING:
        got = (p.total - p.embedding) / 1e9;
        break;
    case QWEN2_7B:
        got = (p.total - p.embedding) / 1e9;
        break;
    case ACTIVE:
        got = p.active / 1e9;
        break;
    case ACTIVE_NO_EMB:
        got = p.active_excl_embedding / 1e9;
        break;
    case CKPT_BYTES:
        got = (p.total + e->extra) * 2;
        tol = 0.01;
        break;
    }
    double rel = fabs(got - want) / want;
    bool rounded = e->quantum > 0 && fabs(got - want) < e->quantum;
    ck_assert_msg(rel <= tol || rounded, "%s (%d): counted %.6g, official %.6g (%.2f%%)", e->name,
                  (int)e->conv, got, want, rel * 100);
    if (e->conv == NOMINAL)
        ck_assert_msg(fabs(got - want) < e->quantum / 2, "%s: %.4g does not round to %.4g", e->name,
                      got, want);
}
END_TEST

START_TEST(every_fixture_model_is_covered_by_the_table)
{
    size_t i;
    json_t *m;
    json_array_foreach(fixture, i, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        bool found = false;
        for (size_t j = 0; j < sizeof(table) / sizeof(table[0]); j++)
            found |= strcmp(table[j].name, name) == 0;
        ck_assert_msg(found, "%s has no expectation", name);
    }
}
END_TEST

START_TEST(llama3_8b_components_by_hand)
{
    struct params p;
    count(entry("Meta-Llama-3-8B"), &p);
    /* 128256 x 4096 embedding, untied head of the same size. */
    ck_assert_rel(p.embedding, 525336576.0, 0);
    ck_assert_rel(p.lm_head, 525336576.0, 0);
    /* per layer: q 4096x4096 + k,v 4096x1024 each + o 4096x4096 = 41943040; x32 */
    ck_assert_rel(p.attention, 32 * 41943040.0, 0);
    /* per layer: 3 x 4096 x 14336 = 176160768; x32 */
    ck_assert_rel(p.dense_mlp, 32 * 176160768.0, 0);
    /* 2 RMSNorms per layer + final */
    ck_assert_rel(p.norms, (32 * 2 + 1) * 4096.0, 0);
    ck_assert_rel(p.total, 8030261248.0, 0);
    ck_assert_rel(p.active, p.total, 0);
    ck_assert_rel(p.expert, 0, 0);
}
END_TEST

START_TEST(mixtral_experts_and_router_by_hand)
{
    struct params p;
    count(entry("Mixtral-8x7B-v0.1"), &p);
    /* 32 layers x 8 experts x 3 x 4096 x 14336 */
    ck_assert_rel(p.routed_experts, 32.0 * 8 * 3 * 4096 * 14336, 0);
    ck_assert_rel(p.routers, 32.0 * 4096 * 8, 0);
    ck_assert_rel(p.active, p.shared + p.expert * 2 / 8, 1e-15);
    ck_assert_rel(p.shared + p.expert, p.total, 1e-15);
}
END_TEST

START_TEST(deepseek_v3_mtp_is_reported_but_not_counted)
{
    struct params p;
    count(entry("DeepSeek-V3"), &p);
    /* README_WEIGHTS: 11.5B unique MTP params beyond the 671B main model. */
    ck_assert_msg(fabs(p.mtp / 1e9 - 11.5) / 11.5 < 0.02, "mtp %.4g", p.mtp / 1e9);
    ck_assert_msg(p.total / 1e9 < 672, "MTP must stay out of total");
}
END_TEST

/*
 * Issue 11's decoder families: tests/data/model-configs-decoders.json (real configs with their
 * sources, copied from the shared research data; partial_config where only a trimmed copy was
 * found). Tolerance: total within 1%, active within 5%, except where the note says otherwise.
 * The conventions of the official figures, from each entry's official_source:
 *   Kimi-K2 "1 trillion" is nominal (NOMINAL, 100B unit); phi-4 "14B" is a truncation of HF's
 *   14.7B, the figure pinned; GLM-4.7 has no published count: it has GLM-4.5's dimensions, whose
 *   355B / 32B (transformers docs) are pinned, active without the embedding; DeepSeek and gpt-oss
 *   quote active without the embedding. Llama-4-Scout's 109B includes a vision tower the trimmed
 *   config lacks (no vision_config): the text model's 107.8B is pinned as "about 109B" (within
 *   1.5B, 1.1%), the one figure outside 1%. A quantum is the rounding unit of a coarse figure.
 */
static const struct expect decoders[] = {
    {"granite-3.1-1b-a400m-instruct", TOTAL, 1.334628352, 0, 0}, /* fp32 index / 4 */
    {"granite-3.1-1b-a400m-instruct", ACTIVE, 0.4, 0, 0.1},      /* "400M": one digit */
    {"DeepSeek-R1", TOTAL, 671, 0, 0},
    {"DeepSeek-R1", ACTIVE_NO_EMB, 37, 0, 0},
    {"Qwen2.5-7B", TOTAL, 7.61, 0, 0},
    {"Qwen3-8B", TOTAL, 8.2, 0, 0},
    {"Qwen3-30B-A3B", TOTAL, 30.5, 0, 0},
    {"Qwen3-30B-A3B", ACTIVE, 3.3, 0, 0},
    {"Qwen3-235B-A22B", TOTAL, 235, 0, 0},
    {"Qwen3-235B-A22B", ACTIVE, 22, 0, 0},
    {"Qwen3-235B-A22B-FP8", TOTAL, 235, 0, 0},
    {"Kimi-K2-Instruct", NOMINAL, 1000, 0, 100},
    {"Kimi-K2-Instruct", ACTIVE, 32, 0, 0},
    {"gpt-oss-120b", TOTAL, 117, 0, 0},
    {"gpt-oss-120b", ACTIVE_NO_EMB, 5.1, 0, 0},
    {"gpt-oss-20b", TOTAL, 21, 0, 0},
    {"Meta-Llama-3.1-405B", TOTAL, 405, 0, 0},
    {"Meta-Llama-3.1-70B", TOTAL, 70, 0, 0},
    {"Llama-3.1-70B-Instruct-FP8 (NVIDIA ModelOpt)", TOTAL, 70, 0, 0},
    {"Mixtral-8x22B-v0.1", TOTAL, 141, 0, 0},
    {"Mixtral-8x22B-v0.1", ACTIVE, 39, 0, 0},
    {"phi-4", TOTAL, 14.7, 0, 0},
    {"GLM-4.7 (refs/pr/49 branch)", TOTAL, 355, 0, 0},
    {"GLM-4.7 (refs/pr/49 branch)", ACTIVE_NO_EMB, 32, 0, 0},
    {"DeepSeek-V3.2", TOTAL, 671, 0, 0},
    {"DeepSeek-V3.2", ACTIVE_NO_EMB, 37, 0, 0},
    {"Llama-4-Scout-17B-16E-Instruct", TOTAL, 109, 0, 3}, /* text only: 107.8 */
    {"Llama-4-Scout-17B-16E-Instruct", ACTIVE, 17, 0, 0},
    {"Llama-4-Maverick-17B-128E-Instruct", TOTAL, 400, 0, 0},
    {"Llama-4-Maverick-17B-128E-Instruct", ACTIVE, 17, 0, 0},
    {"Mistral-Small-3.1-24B-Instruct-2503 (excerpt)", TOTAL, 24, 0, 0},
    {"gemma-3-4b-it (mlx-community bf16 copy)", TOTAL, 4.3, 0, 0},
    {"gpt-j-6b", TOTAL, 6.053381344, 0, 0},
};

static json_t *decoder_fixture;

static void load_decoders(void)
{
    json_error_t je;
    decoder_fixture = json_load_file(TEST_DATA_DIR "/model-configs-decoders.json", 0, &je);
    ck_assert_msg(decoder_fixture != NULL, "model-configs-decoders.json: %s", je.text);
}

static void unload_decoders(void)
{
    json_decref(decoder_fixture);
}

/* The entry's config (or its trimmed partial_config), decoded as sent: no model_type added. */
static struct arch decoder_arch(const char *name)
{
    size_t i;
    json_t *m;
    json_array_foreach(decoder_fixture, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) != 0)
            continue;
        const json_t *cfg = json_object_get(m, "config");
        if (!json_is_object(cfg))
            cfg = json_object_get(m, "partial_config");
        struct arch a;
        struct error_info err = {0};
        ck_assert_msg(arch_from_hf_config(cfg, "hf_config", &a, &err) == 0, "%s: %s", name,
                      err.message);
        return a;
    }
    ck_abort_msg("%s missing from model-configs-decoders.json", name);
    return (struct arch){0};
}

START_TEST(every_decoder_family_config_matches_its_official_count)
{
    const struct expect *e = &decoders[_i];
    struct arch a = decoder_arch(e->name);
    struct params p;
    params_count(&a, &p);
    double got = 0, tol = 0.01;
    switch (e->conv) {
    case TOTAL:
    case NOMINAL:
    case NON_EMBEDDING:
    case QWEN2_7B:
    case CKPT_BYTES:
        got = p.total / 1e9;
        tol = e->conv == NOMINAL ? 0.05 : 0.01;
        break;
    case ACTIVE:
        got = p.active / 1e9;
        tol = 0.05;
        break;
    case ACTIVE_NO_EMB:
        got = p.active_excl_embedding / 1e9;
        tol = 0.05;
        break;
    }
    double rel = fabs(got - e->official) / e->official;
    bool rounded = e->conv != NOMINAL && e->quantum > 0 && fabs(got - e->official) < e->quantum / 2;
    ck_assert_msg(rel <= tol || rounded, "%s (%d): counted %.6g, official %.6g (%.2f%%)", e->name,
                  (int)e->conv, got, e->official, rel * 100);
    if (e->conv == NOMINAL)
        ck_assert_msg(fabs(got - e->official) < e->quantum / 2, "%s: %.4g does not round to %.4g",
                      e->name, got, e->official);
}
END_TEST

START_TEST(every_decoder_fixture_model_is_covered)
{
    size_t i;
    json_t *m;
    json_array_foreach(decoder_fixture, i, m)
    {
        const char *name = json_string_value(json_object_get(m, "name"));
        bool found = false;
        for (size_t j = 0; j < sizeof(decoders) / sizeof(decoders[0]); j++)
            found |= strcmp(decoders[j].name, name) == 0;
        ck_assert_msg(found, "%s has no expectation", name);
    }
}
END_TEST

START_TEST(granite_moe_reproduces_its_checkpoint_exactly)
{
    /* fp32 first upload: total_size 5,338,513,408 bytes / 4 = 1,334,628,352 parameters. */
    struct arch a = decoder_arch("granite-3.1-1b-a400m-instruct");
    struct params p;
    params_count(&a, &p);
    ck_assert_rel(p.total, 1334628352.0, 0);
}
END_TEST

START_TEST(glm_and_deepseek_v32_report_mtp_beside_the_total)
{
    struct arch glm = decoder_arch("GLM-4.7 (refs/pr/49 branch)");
    struct params p;
    params_count(&glm, &p);
    /* HF lists GLM-4.5 (same dimensions) at 358B: the 355B model plus its MTP layer. */
    ck_assert_int_eq(glm.mtp_layers, 1);
    ck_assert_msg(fabs((p.total + p.mtp) / 1e9 - 358) / 358 < 0.01, "%.4g",
                  (p.total + p.mtp) / 1e9);
    struct arch v32 = decoder_arch("DeepSeek-V3.2");
    struct arch r1 = decoder_arch("DeepSeek-R1");
    struct params pv, pr;
    params_count(&v32, &pv);
    params_count(&r1, &pr);
    /* Indexer per layer: wq_b 1536 x 64 x 128 + wk 7168 x 128 + k_norm 2 x 128 + weights_proj
     * 7168 x 64 = 13,959,424; 61 layers (and the MTP block's one). */
    ck_assert_rel(pv.attention - pr.attention, 61 * 13959424.0, 1e-12);
    ck_assert_rel(pv.mtp - pr.mtp, 13959424.0, 1e-9);
}
END_TEST

START_TEST(llama4_interleaves_moe_and_keeps_a_shared_expert)
{
    struct arch scout = decoder_arch("Llama-4-Scout-17B-16E-Instruct");
    struct arch mav = decoder_arch("Llama-4-Maverick-17B-128E-Instruct");
    ck_assert_int_eq(arch_moe_layers(&scout), 48);
    ck_assert_int_eq(arch_moe_layers(&mav), 24);
    ck_assert(!arch_layer_is_moe(&mav, 0) && arch_layer_is_moe(&mav, 1)); /* moe_layers 1, 3, .. */
    ck_assert_int_eq(mav.intermediate, 16384); /* intermediate_size_mlp */
    ck_assert_int_eq(mav.moe_intermediate, 8192);
    ck_assert_int_eq(mav.n_shared_experts, 1);
    struct params p;
    params_count(&mav, &p);
    ck_assert_rel(p.shared_experts, 24 * 3.0 * 5120 * 8192, 1e-12);
    ck_assert_rel(p.dense_mlp, 24 * 3.0 * 5120 * 16384, 1e-12);
}
END_TEST

START_TEST(qwen3_moe_mlp_only_layers_are_dense)
{
    size_t i;
    json_t *m;
    json_array_foreach(decoder_fixture, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), "Qwen3-30B-A3B") != 0)
            continue;
        json_t *cfg = json_deep_copy(json_object_get(m, "config"));
        json_object_set_new(cfg, "mlp_only_layers", json_pack("[i, i]", 0, 47));
        struct arch a;
        struct error_info err = {0};
        ck_assert_int_eq(arch_from_hf_config(cfg, "hf_config", &a, &err), 0);
        ck_assert_int_eq(arch_moe_layers(&a), 46);
        ck_assert(!arch_layer_is_moe(&a, 0) && arch_layer_is_moe(&a, 1) &&
                  !arch_layer_is_moe(&a, 47));
        json_object_set_new(cfg, "mlp_only_layers", json_pack("[i]", 48));
        ck_assert_int_eq(arch_from_hf_config(cfg, "hf_config", &a, &err), -EINVAL);
        ck_assert_str_eq(err.field, "hf_config.mlp_only_layers");
        json_decref(cfg);
        return;
    }
    ck_abort_msg("Qwen3-30B-A3B missing");
}
END_TEST

START_TEST(gemma3_sparse_config_takes_the_config_class_defaults)
{
    struct arch a = decoder_arch("gemma-3-4b-it (mlx-community bf16 copy)");
    ck_assert_int_eq(a.heads, 8);
    ck_assert_int_eq(a.kv_heads, 4);
    ck_assert_int_eq(a.head_dim, 256);
    ck_assert_int_eq(a.vocab, 262208);
    ck_assert(a.tied_embeddings);
    ck_assert_int_eq(a.sliding_window, 1024);
    ck_assert_int_eq(a.windowed_layers, 29); /* 34 layers, every 6th global */
    ck_assert_int_eq(a.vision.kind, ARCH_VISION_SIGLIP);
    struct params p;
    params_count(&a, &p);
    /* Gemma 3 report: ~417M vision parameters for the 4B. */
    ck_assert_msg(fabs(p.vision / 1e6 - 417) < 5, "vision %.4g M", p.vision / 1e6);
}
END_TEST

/* ---- Encoder-decoder and hybrid-state families (issue 11): tests/data/model-configs-stacks.json
 * and the Switch presets. ---- */

static json_t *stacks;

static void load_stacks(void)
{
    json_error_t je;
    stacks = json_load_file(TEST_DATA_DIR "/model-configs-stacks.json", 0, &je);
    ck_assert_msg(stacks != NULL, "model-configs-stacks.json: %s", je.text);
}

static void unload_stacks(void)
{
    json_decref(stacks);
}

/*
 * Counts a stacks fixture entry. Nemotron-H's file holds the non-JSON token Infinity
 * (time_step_limit [0.0, Infinity], a bound the counter never reads): the text is parsed with that
 * one token replaced by 1e308.
 */
static void count_stack(const char *name, struct arch *a, struct params *p)
{
    size_t i;
    json_t *m, *found = NULL;
    json_array_foreach(json_object_get(stacks, "models"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            found = m;
    }
    ck_assert_msg(found != NULL, "%s missing from the stacks fixture", name);
    json_t *cfg = json_incref(json_object_get(found, "config"));
    if (cfg == NULL) {
        char text[8192];
        const char *t = json_string_value(json_object_get(found, "config_text"));
        ck_assert(t != NULL && strlen(t) < sizeof(text));
        snprintf(text, sizeof(text), "%s", t);
        for (char *q = strstr(text, "Infinity"); q; q = strstr(q, "Infinity"))
            memcpy(q, "1e308   ", 8);
        json_error_t je;
        cfg = json_loads(text, 0, &je);
        ck_assert_msg(cfg != NULL, "%s: %s", name, je.text);
    }
    struct error_info err = {0};
    ck_assert_msg(arch_from_hf_config(cfg, "hf_config", a, &err) == 0, "%s: %s", name, err.message);
    params_count(a, p);
    json_decref(cfg);
}

static const struct params *preset_params(const char *name)
{
    const struct model_preset *mp = models_find(presets_builtin(), name);
    ck_assert_msg(mp != NULL, "no preset %s", name);
    return &mp->params;
}

/* Published totals (billions): the paper's Table 9 (Switch-Base 7.4B, Switch-Large 26.3B,
 * Switch-XXL 395B, Switch-C 1571B). */
static const struct {
    const char *preset;
    double official;
} switch_totals[] = {
    {"switch-base-128", 7.4},
    {"switch-large-128", 26.3},
    {"switch-xxl-128", 395},
    {"switch-c-2048", 1571},
};

START_TEST(switch_presets_reproduce_the_published_totals_within_1_percent)
{
    const struct params *p = preset_params(switch_totals[_i].preset);
    double rel = fabs(p->total / 1e9 - switch_totals[_i].official) / switch_totals[_i].official;
    ck_assert_msg(rel <= 0.01, "%s: %.5g B vs %.5g B", switch_totals[_i].preset, p->total / 1e9,
                  switch_totals[_i].official);
}
END_TEST

START_TEST(switch_base_32_components_by_hand)
{
    struct arch a;
    struct params p;
    count_stack("switch-base-32", &a, &p);
    /* 12 + 12 layers, sparse_step 12 // 6 = 2: layers 1, 3, ... 11 sparse in both stacks */
    ck_assert_int_eq(a.encoder_layers, 12);
    ck_assert_int_eq(a.encoder_moe_layers, 6);
    ck_assert_int_eq(arch_moe_layers(&a), 6);
    /* experts: 12 sparse layers x 32 x (768 x 3072 x 2), non-gated wi/wo */
    ck_assert_rel(p.routed_experts, 12.0 * 32 * 2 * 768 * 3072, 0);
    ck_assert_rel(p.routers, 12.0 * 768 * 32, 0);
    /* attention: 24 self + 12 cross blocks of 4 x 768 x (12 x 64) */
    ck_assert_rel(p.attention, 24.0 * 4 * 768 * 768, 0);
    ck_assert_rel(p.cross_attention, 12.0 * 4 * 768 * 768, 0);
    /* relative-position bias: 32 buckets x 12 heads, one table per stack */
    ck_assert_rel(p.positions, 2.0 * 32 * 12, 0);
    /* T5LayerNorm scales: encoder 2/block + final, decoder 3/block + final */
    ck_assert_rel(p.norms, (12 * 2 + 1 + 12 * 3 + 1) * 768.0, 0);
    ck_assert_rel(p.lm_head, 0, 0); /* tie_word_embeddings absent: T5 default true */
    ck_assert_rel(p.total, 1978514688.0, 0);
}
END_TEST

START_TEST(switch_c_2048_as_shipped_has_a_dense_decoder_in_transformers)
{
    struct arch a;
    struct params p;
    count_stack("switch-c-2048", &a, &p);
    /* decoder_sparse_step = 12 // 15 = 0: no decoder experts; the encoder's 15 are all sparse. */
    ck_assert_int_eq(arch_moe_layers(&a), 0);
    ck_assert_int_eq(a.encoder_moe_layers, 15);
    ck_assert_msg(fabs(p.total / 1e9 - 786.23) < 0.01, "%.6g", p.total / 1e9);
    /* The preset restores the 15 sparse decoder layers of switch_c.gin: twice the experts. */
    ck_assert_rel(preset_params("switch-c-2048")->routed_experts, 2 * p.routed_experts, 1e-12);
}
END_TEST

/* Hybrids: published totals; active counts within the vendor's convention. */
START_TEST(qwen3_next_80b_counts_80b_total_3b_active_without_embeddings)
{
    struct arch a;
    struct params p;
    count_stack("Qwen3-Next-80B-A3B-Thinking", &a, &p);
    ck_assert_int_eq(a.state_layers, 36); /* full_attention_interval 4: 12 attention layers */
    ck_assert_int_eq(arch_attn_layers(&a), 12);
    ck_assert_msg(fabs(p.total / 1e9 - 80) / 80 < 0.01, "total %.5g", p.total / 1e9);
    /* "3B activated": without the embedding and the untied head (1 x 0.311B each) it rounds to 3 */
    double act = (p.active - p.embedding - p.lm_head) / 1e9;
    ck_assert_msg(act >= 2.5 && act < 3.5, "active %.4g", act);
}
END_TEST

START_TEST(nemotron_h_56b_counts_56b_from_its_pattern)
{
    struct arch a;
    struct params p;
    count_stack("Nemotron-H-56B-Base-8K", &a, &p);
    /* 118 letters: 54 M, 10 *, 54 - */
    ck_assert_int_eq(a.layers, 118);
    ck_assert_int_eq(a.state_layers, 54);
    ck_assert_int_eq(arch_attn_layers(&a), 10);
    ck_assert_int_eq(arch_mlp_layers(&a), 54);
    ck_assert_msg(fabs(p.total / 1e9 - 56) / 56 < 0.01, "total %.5g", p.total / 1e9);
}
END_TEST

START_TEST(nemotron_3_nano_moe_layers_come_from_the_pattern)
{
    struct arch a;
    struct params p;
    count_stack("NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", &a, &p);
    ck_assert_int_eq(a.layers, 52);
    ck_assert_int_eq(arch_moe_layers(&a), 23); /* 'E' letters */
    ck_assert_int_eq(a.state_layers, 23);      /* 'M' letters */
    ck_assert_int_eq(arch_attn_layers(&a), 6); /* '*' letters */
    /* No official figure in the fixture ("30B-A3B" is the name): the name's nominal sizes. */
    ck_assert_msg(p.total / 1e9 > 30 && p.total / 1e9 < 33, "total %.5g", p.total / 1e9);
    ck_assert_msg(p.active / 1e9 > 3 && p.active / 1e9 < 4, "active %.5g", p.active / 1e9);
}
END_TEST

/*
 * Mamba-1 mixers by hand from the real configs (tests/data/model-configs-stacks.json), per layer:
 * in_proj hidden x 2I, conv1d I x conv_kernel + bias I, x_proj I x (rank + 2 x state), dt_proj
 * rank x I + bias I, A_log I x state, D I, out_proj I x hidden; one RMSNorm per layer + final.
 */
static const struct {
    const char *name;
    double hidden, inter, rank, state, layers, vocab, heads; /* heads: 1 tied, 2 untied */
} mamba1[] = {
    {"mamba-2.8b-hf", 2560, 5120, 160, 16, 64, 50280, 1}, /* tie_word_embeddings absent: true */
    {"falcon-mamba-7b", 4096, 8192, 256, 16, 64, 65024, 2},
};

START_TEST(mamba1_configs_count_their_mixers_by_hand)
{
    struct arch a;
    struct params p;
    count_stack(mamba1[_i].name, &a, &p);
    double h = mamba1[_i].hidden, in = mamba1[_i].inter, r = mamba1[_i].rank;
    double st = mamba1[_i].state, l = mamba1[_i].layers;
    double mixer =
        h * 2 * in + in * 4 + in + in * (r + 2 * st) + r * in + in + in * st + in + in * h;
    ck_assert_rel(p.state_mixers, l * mixer, 0);
    ck_assert_rel(p.norms, (l + 1) * h, 0);
    ck_assert_rel(p.attention, 0, 0);
    ck_assert_rel(p.total, mamba1[_i].heads * mamba1[_i].vocab * h + l * mixer + (l + 1) * h, 0);
}
END_TEST

START_TEST(jamba_1_5_mini_counts_52b_total_12b_active_within_1_percent)
{
    struct arch a;
    struct params p;
    count_stack("AI21-Jamba-1.5-Mini", &a, &p);
    /* The model card: "12B active and 52B total parameters". */
    ck_assert_msg(fabs(p.total / 1e9 - 52) / 52 < 0.01, "total %.5g", p.total / 1e9);
    ck_assert_msg(fabs(p.active / 1e9 - 12) / 12 < 0.01, "active %.5g", p.active / 1e9);
    /* 16 MoE layers x 16 experts x gated 4096 x 14336 x 3 */
    ck_assert_rel(p.routed_experts, 16.0 * 16 * 3 * 4096 * 14336, 0);
}
END_TEST

/*
 * ---- Dense and hybrid families of issue 11 (dense block): real configs of
 * tests/data/model-configs-dense.json and the Qwen3.5 ones of tests/data/preset-configs.json, each
 * with its source and the model card's figure. ----
 */
static json_t *dense_docs[2];

static void load_dense(void)
{
    static const char *const files[] = {TEST_DATA_DIR "/model-configs-dense.json",
                                        TEST_DATA_DIR "/preset-configs.json"};
    for (int i = 0; i < 2; i++) {
        json_error_t je;
        dense_docs[i] = json_load_file(files[i], 0, &je);
        ck_assert_msg(dense_docs[i] != NULL, "%s: %s", files[i], je.text);
    }
}

static void unload_dense(void)
{
    json_decref(dense_docs[0]);
    json_decref(dense_docs[1]);
}

static void count_dense(const char *name, struct arch *a, struct params *p)
{
    for (int d = 0; d < 2; d++) {
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(dense_docs[d], "configs"), i, m)
        {
            if (strcmp(json_string_value(json_object_get(m, "name")), name) != 0)
                continue;
            const json_t *cfg = json_object_get(m, "config");
            if (!json_is_object(cfg)) /* a trimmed copy */
                cfg = json_object_get(m, "partial_config");
            struct error_info err = {0};
            ck_assert_msg(arch_from_hf_config(cfg, "hf_config", a, &err) == 0, "%s: %s", name,
                          err.message);
            params_count(a, p);
            return;
        }
    }
    ck_abort_msg("%s is in neither dense fixture", name);
}

/* DeciLM's FFN width (vLLM nemotron_nas.py): int(2 * mult * hidden / 3) up to a multiple of 256. */
static double decilm_width(double mult, double hidden)
{
    double n = floor(2 * mult * hidden / 3);
    return ceil(n / 256) * 256;
}

START_TEST(nemotron_nas_super_49b_counts_its_block_configs)
{
    struct arch a;
    struct params p;
    count_dense("Llama-3_3-Nemotron-Super-49B-v1", &a, &p);
    /* block_configs: 49 attention blocks with n_heads_in_group 8 (64 / 8 = 8 K/V heads), 31
     * no-op attentions; 80 FFNs: ffn_mult 5.25 x 49, 1.3125 x 10, 1.0 x 8, 2.625 x 6, 0.5 x 6,
     * 3.28125 x 1. */
    ck_assert_int_eq(a.layers, 80);
    ck_assert_int_eq(arch_attn_layers(&a), 49);
    ck_assert_int_eq(arch_mlp_layers(&a), 80);
    ck_assert_int_eq(a.kv_groups, 1);
    ck_assert_int_eq(a.kv_group[0].kv_heads, 8);
    double h = 8192, widths = 49 * decilm_width(5.25, h) + 10 * decilm_width(1.3125, h) +
                              8 * decilm_width(1.0, h) + 6 * decilm_width(2.625, h) +
                              6 * decilm_width(0.5, h) + decilm_width(3.28125, h);
    ck_assert_rel((double)a.mlp_width_sum, widths, 0);
    /* untied 128256 x 8192 embedding and head; q/o 8192 x 8192 and k/v 8192 x 1024 per attention
     * block; gated MLPs; one RMSNorm per present block plus the final one */
    double total =
        2 * 128256 * h + 49 * (2 * h * h + 2 * h * 1024) + 3 * h * widths + (49 + 80) * h + h;
    ck_assert_rel(p.total, total, 0);
    /* The card's "49B" is the NAS target's name; the blocks hold 49.87B (1.8% above it). */
    ck_assert_msg(fabs(p.total / 1e9 - 49) / 49 < 0.02, "total %.5g", p.total / 1e9);
}
END_TEST

START_TEST(exaone4_32b_counts_30_95b_without_embeddings)
{
    struct arch a;
    struct params p;
    count_dense("EXAONE-4.0-32B", &a, &p);
    /* Model card: "Number of Parameters (without embeddings): 30.95B" (embedding and head). */
    double non_emb = (p.total - p.embedding - p.lm_head) / 1e9;
    ck_assert_msg(fabs(non_emb - 30.95) / 30.95 < 0.01, "non-embedding %.5g", non_emb);
    /* 64 layers: q/k/v/o (40 x 128 and 8 x 128 heads), q/k RMSNorms of 128, a gated MLP of 27392,
     * two post-norms; final norm; untied 102400 x 5120 embedding and head */
    double h = 5120, layer = 2 * h * 5120 + 2 * h * 1024 + 2 * 128 + 3 * h * 27392 + 2 * h;
    ck_assert_rel(p.total, 64 * layer + h + 2 * 102400 * h, 0);
    ck_assert_int_eq(a.windowed_layers, 48); /* sliding_window_pattern 4: every 4th is global */
}
END_TEST

START_TEST(starcoder2_7b_has_biases_layernorms_and_a_plain_mlp)
{
    struct arch a;
    struct params p;
    count_dense("starcoder2-7b", &a, &p);
    ck_assert_int_eq(a.mlp, ARCH_MLP_PLAIN);
    ck_assert_int_eq(a.norm, ARCH_NORM_LAYER);
    ck_assert(a.qkv_bias && a.o_bias && a.mlp_bias);
    ck_assert(a.tied_embeddings); /* absent key: Starcoder2Config's default true */
    /* 32 layers of q/o 4608^2, k/v 4608 x 512 (4 heads x 128), all with biases; c_fc/c_proj
     * 4608 x 18432 with biases; 2 LayerNorms (weight and bias); final LayerNorm; tied 49152
     * vocabulary */
    double h = 4608, i = 18432;
    double layer = 2 * h * h + 2 * h * 512 + (2 * h + 2 * 512) + 2 * h * i + i + h + 4 * h;
    ck_assert_rel(p.total, 32 * layer + 2 * h + 49152 * h, 0);
    ck_assert_msg(fabs(p.total / 1e9 - 7) < 0.5, "total %.5g is not '7B'", p.total / 1e9);
}
END_TEST

START_TEST(cohere_aya_23_8b_is_a_parallel_block_with_one_bias_free_layernorm)
{
    struct arch a;
    struct params p;
    count_dense("aya-23-8B", &a, &p);
    ck_assert(a.parallel_attn_mlp);
    ck_assert_int_eq(a.norm, ARCH_NORM_LAYER_NOBIAS);
    ck_assert_int_eq(a.norms_per_layer, 1);
    ck_assert(a.tied_embeddings); /* absent key: CohereConfig's default true */
    double h = 4096, layer = 2 * h * h + 2 * h * 1024 + 3 * h * 14336 + h;
    ck_assert_rel(p.total, 32 * layer + h + 256000 * h, 0);
    ck_assert_msg(fabs(p.total / 1e9 - 8) < 0.5, "total %.5g is not '8B'", p.total / 1e9);
}
END_TEST

START_TEST(seed_oss_36b_biases_q_k_v_but_not_o)
{
    struct arch a;
    struct params p;
    count_dense("Seed-OSS-36B-Instruct (trimmed mlx-community copy)", &a, &p);
    ck_assert(a.qkv_bias && !a.o_bias); /* attention_bias true, attention_out_bias false */
    /* 64 layers: q 5120 -> 80 x 128, k/v -> 8 x 128 with biases, o without; gated MLP 27648;
     * 2 RMSNorms; final norm; untied 155136 x 5120 embedding and head */
    double h = 5120, q = 80 * 128, kv = 8 * 128;
    double layer = h * q + q + 2 * (h * kv + kv) + q * h + 3 * h * 27648 + 2 * h;
    ck_assert_rel(p.total, 64 * layer + h + 2 * 155136 * h, 0);
    ck_assert_msg(fabs(p.total / 1e9 - 36) / 36 < 0.01, "total %.5g", p.total / 1e9);
}
END_TEST

START_TEST(granite_4_h_350m_counts_its_mamba2_attention_and_shared_mlp_layers)
{
    struct arch a;
    struct params p;
    count_dense("granite-4.0-h-350m (trimmed mlx-community copy)", &a, &p);
    ck_assert_int_eq(a.state_layers, 28); /* layer_types: attention at 10, 13, 17, 27 */
    ck_assert_int_eq(arch_attn_layers(&a), 4);
    ck_assert(!arch_is_moe(&a)); /* num_local_experts 0: the shared MLP is the layer's MLP */
    /* Mamba-2 (BambaMixer): in_proj 768 -> (1536 + 1792 + 48), conv1d 1792 x 4 + bias, dt_bias,
     * A_log, D (48 each), gated norm 1536, out_proj 1536 -> 768; attention q/o 768 x 768, k/v
     * 768 x 256; gated shared MLP 2048 on all 32 layers; 2 norms per layer + final; tied 100352 */
    double h = 768, in = 48 * 32, conv = in + 2 * 128;
    double mixer = h * (in + conv + 48) + conv * 4 + conv + 3 * 48 + in + in * h;
    double attn = 2 * h * h + 2 * h * 256, mlp = 3 * h * 2048;
    ck_assert_rel(p.total, 28 * mixer + 4 * attn + 32 * mlp + 65 * h + 100352 * h, 0);
    /* The name's "350M": 340.3M */
    ck_assert_msg(fabs(p.total / 1e9 - 0.35) / 0.35 < 0.05, "total %.5g", p.total / 1e9);
}
END_TEST

/*
 * Qwen3.5: the names' totals and activated counts. The text model is within 1% of the named total
 * (the vision tower adds 0.45B: 27.36B for "27B"); "A3B"/"A10B"/"A17B" are the text model's active
 * parameters with embedding and head, rounded to the unit (3.45, 9.77, 17.35).
 */
static const struct {
    const char *name;
    double total, active;
} qwen3_5[] = {
    {"Qwen3.5-27B", 27, 0},
    {"Qwen3.5-35B-A3B", 35, 3},
    {"Qwen3.5-122B-A10B", 122, 10},
    {"Qwen3.5-397B-A17B", 397, 17},
};

START_TEST(qwen3_5_counts_its_named_sizes)
{
    struct arch a;
    struct params p;
    count_dense(qwen3_5[_i].name, &a, &p);
    double text = (p.total - p.vision) / 1e9, want = qwen3_5[_i].total;
    ck_assert_msg(fabs(text - want) / want < 0.01, "%s: text %.5g", qwen3_5[_i].name, text);
    ck_assert_msg(fabs(p.total / 1e9 - want) / want < 0.015, "%s: %.5g", qwen3_5[_i].name,
                  p.total / 1e9);
    ck_assert_int_eq(a.vision.kind, ARCH_VISION_QWEN3VL);
    ck_assert_int_eq(a.state, ARCH_STATE_GDN);
    ck_assert_int_eq(a.state_layers, a.layers * 3 / 4); /* layer_types: 3 linear, 1 full */
    ck_assert(p.mtp > 0);                               /* mtp_num_hidden_layers 1: not in total */
    if (qwen3_5[_i].active > 0) {
        double act = (p.active - p.vision) / 1e9;
        ck_assert_msg(fabs(act - qwen3_5[_i].active) < 0.5, "%s: active %.4g", qwen3_5[_i].name,
                      act);
    }
}
END_TEST

START_TEST(qwen3_5_vision_tower_by_hand)
{
    struct arch a;
    struct params p;
    count_dense("Qwen3.5-27B", &a, &p);
    /* Conv3d 3 x 2 x 16 x 16 -> 1152 with bias; 2304 x 1152 positions; 27 blocks of 2 LayerNorms,
     * qkv + proj with biases, fc1/fc2 1152 <-> 4304 with biases; merger: LayerNorm(1152),
     * 4608 x 4608 and 4608 -> 5120 with biases */
    double h = 1152, i = 4304, m = 4 * h, out = 5120;
    double block = 4 * h + 4 * h * h + 4 * h + 2 * h * i + i + h;
    double want =
        3 * 2 * 16 * 16 * h + h + 2304 * h + 27 * block + 2 * h + m * m + m + m * out + out;
    ck_assert_rel(p.vision, want, 0);
}
END_TEST

Suite *params_suite(void)
{
    Suite *s = suite_create("params");
    TCase *tc = tcase_create("counts");
    tcase_add_unchecked_fixture(tc, load_fixture, unload_fixture);
    tcase_add_loop_test(tc, every_config_matches_its_official_count, 0,
                        (int)(sizeof(table) / sizeof(table[0])));
    tcase_add_test(tc, every_fixture_model_is_covered_by_the_table);
    tcase_add_test(tc, llama3_8b_components_by_hand);
    tcase_add_test(tc, mixtral_experts_and_router_by_hand);
    tcase_add_test(tc, deepseek_v3_mtp_is_reported_but_not_counted);
    suite_add_tcase(s, tc);
    TCase *dec = tcase_create("decoder_families");
    tcase_add_unchecked_fixture(dec, load_decoders, unload_decoders);
    tcase_add_loop_test(dec, every_decoder_family_config_matches_its_official_count, 0,
                        (int)(sizeof(decoders) / sizeof(decoders[0])));
    tcase_add_test(dec, every_decoder_fixture_model_is_covered);
    tcase_add_test(dec, granite_moe_reproduces_its_checkpoint_exactly);
    tcase_add_test(dec, glm_and_deepseek_v32_report_mtp_beside_the_total);
    tcase_add_test(dec, llama4_interleaves_moe_and_keeps_a_shared_expert);
    tcase_add_test(dec, qwen3_moe_mlp_only_layers_are_dense);
    tcase_add_test(dec, gemma3_sparse_config_takes_the_config_class_defaults);
    suite_add_tcase(s, dec);
    TCase *st = tcase_create("stacks");
    tcase_add_unchecked_fixture(st, load_stacks, unload_stacks);
    tcase_add_loop_test(st, switch_presets_reproduce_the_published_totals_within_1_percent, 0,
                        (int)(sizeof(switch_totals) / sizeof(switch_totals[0])));
    tcase_add_test(st, switch_base_32_components_by_hand);
    tcase_add_test(st, switch_c_2048_as_shipped_has_a_dense_decoder_in_transformers);
    tcase_add_test(st, qwen3_next_80b_counts_80b_total_3b_active_without_embeddings);
    tcase_add_test(st, nemotron_h_56b_counts_56b_from_its_pattern);
    tcase_add_test(st, nemotron_3_nano_moe_layers_come_from_the_pattern);
    tcase_add_loop_test(st, mamba1_configs_count_their_mixers_by_hand, 0,
                        (int)(sizeof(mamba1) / sizeof(mamba1[0])));
    tcase_add_test(st, jamba_1_5_mini_counts_52b_total_12b_active_within_1_percent);
    suite_add_tcase(s, st);
    TCase *dn = tcase_create("dense_block");
    tcase_add_unchecked_fixture(dn, load_dense, unload_dense);
    tcase_add_test(dn, nemotron_nas_super_49b_counts_its_block_configs);
    tcase_add_test(dn, exaone4_32b_counts_30_95b_without_embeddings);
    tcase_add_test(dn, starcoder2_7b_has_biases_layernorms_and_a_plain_mlp);
    tcase_add_test(dn, cohere_aya_23_8b_is_a_parallel_block_with_one_bias_free_layernorm);
    tcase_add_test(dn, seed_oss_36b_biases_q_k_v_but_not_o);
    tcase_add_test(dn, granite_4_h_350m_counts_its_mamba2_attention_and_shared_mlp_layers);
    tcase_add_loop_test(dn, qwen3_5_counts_its_named_sizes, 0,
                        (int)(sizeof(qwen3_5) / sizeof(qwen3_5[0])));
    tcase_add_test(dn, qwen3_5_vision_tower_by_hand);
    suite_add_tcase(s, dn);
    return s;
}

CHECK_MAIN(params_suite)
