/* check_names.c - every closed set has one name table: each value named, distinct, round-tripping
 * through its parser; the model family table's traits replace model_type special cases. */
#include "support/check_util.h"

#include <string.h>

#include "api/refine.h"
#include "azure/prices.h"
#include "base/fields.h"
#include "memory/training.h"
#include "model/arch.h"
#include "model/precision.h"

/* Asserts names[0..n) are non-NULL, not "?", and pairwise distinct. */
static void distinct(const char *set, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        ck_assert_msg(names[i] != NULL && strcmp(names[i], "?") != 0, "%s %d has no name", set, i);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(names[i], names[j]) != 0, "%s %d and %d are both \"%s\"", set, j,
                          i, names[i]);
    }
}

#define NAMES(arr, count, fn, type)                                                                \
    do {                                                                                           \
        for (int i_ = 0; i_ < (count); i_++)                                                       \
            (arr)[i_] = fn((type)i_);                                                              \
    } while (0)

START_TEST(arch_enums_name_every_value_distinctly)
{
    const char *a[ARCH_ATTN_COUNT], *m[ARCH_MLP_COUNT], *n[ARCH_NORM_COUNT];
    NAMES(a, ARCH_ATTN_COUNT, arch_attention_name, enum arch_attention);
    NAMES(m, ARCH_MLP_COUNT, arch_mlp_name, enum arch_mlp);
    NAMES(n, ARCH_NORM_COUNT, arch_norm_name, enum arch_norm);
    distinct("attention", a, ARCH_ATTN_COUNT);
    distinct("mlp", m, ARCH_MLP_COUNT);
    distinct("norm", n, ARCH_NORM_COUNT);
    ck_assert_str_eq(arch_attention_name(ARCH_ATTN_MLA), "mla");
    ck_assert_str_eq(arch_norm_name(ARCH_NORM_LAYER_NOBIAS), "layernorm_nobias");
    ck_assert_str_eq(arch_attention_name((enum arch_attention)ARCH_ATTN_COUNT), "?");
}
END_TEST

START_TEST(refine_enums_name_every_value_distinctly)
{
    const char *s[SOLVE_COUNT], *a[ARCH_SOURCE_COUNT], *e[ENGINE_COUNT], *p[PRICE_SOURCE_COUNT];
    NAMES(s, SOLVE_COUNT, refine_solve_name, enum refine_solve);
    NAMES(a, ARCH_SOURCE_COUNT, refine_arch_source_name, enum refine_arch_source);
    NAMES(e, ENGINE_COUNT, engine_name, enum engine);
    NAMES(p, PRICE_SOURCE_COUNT, prices_source_name, enum price_source);
    distinct("solve", s, SOLVE_COUNT);
    distinct("arch source", a, ARCH_SOURCE_COUNT);
    distinct("engine", e, ENGINE_COUNT);
    distinct("price source", p, PRICE_SOURCE_COUNT);
    ck_assert_str_eq(engine_name(ENGINE_VLLM), "vllm");
    ck_assert_str_eq(prices_source_name(PRICE_SNAPSHOT), "snapshot");
}
END_TEST

static int refine_of(const char *json, struct refine *r, struct error_info *err)
{
    json_t *body = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(body);
    error_clear(err);
    int rc = refine_decode(body, NULL, r, err);
    json_decref(body);
    return rc;
}

START_TEST(engine_and_solve_names_round_trip_through_the_request_decoder)
{
    struct refine r;
    struct error_info err;
    for (int e = ENGINE_VLLM; e < ENGINE_COUNT; e++) {
        char json[160];
        snprintf(json, sizeof(json), "{\"engine\": \"%s\", \"attention_heads\": 8}",
                 engine_name((enum engine)e));
        ck_assert_msg(refine_of(json, &r, &err) == 0, "%s: %s", json, err.message);
        ck_assert_int_eq(r.engine, e);
    }
    for (int s = SOLVE_MAX_CTX; s < SOLVE_COUNT; s++) {
        char json[200];
        snprintf(json, sizeof(json),
                 "{\"engine\": \"vllm\", \"attention_heads\": 8, \"solve\": \"%s\", \"sku\": "
                 "\"Standard_X\"}",
                 refine_solve_name((enum refine_solve)s));
        ck_assert_msg(refine_of(json, &r, &err) == 0, "%s: %s", json, err.message);
        ck_assert_int_eq(r.solve, s);
    }
    /* "none" names the absence of an engine; a client cannot send it. */
    ck_assert_int_lt(refine_of("{\"engine\": \"none\"}", &r, &err), 0);
    ck_assert_str_eq(err.message, "engine \"none\" is not known; use one of: vllm, sglang");
}
END_TEST

START_TEST(training_names_round_trip_through_their_parsers)
{
    const char *m[TRAINING_METHOD_COUNT], *o[TRAINING_OPTIMIZER_COUNT],
        *r[TRAINING_RECOMPUTE_COUNT];
    NAMES(m, TRAINING_METHOD_COUNT, training_method_name, enum training_method);
    NAMES(o, TRAINING_OPTIMIZER_COUNT, training_optimizer_name, enum training_optimizer);
    NAMES(r, TRAINING_RECOMPUTE_COUNT, training_recompute_name, enum training_recompute);
    distinct("method", m, TRAINING_METHOD_COUNT);
    distinct("optimizer", o, TRAINING_OPTIMIZER_COUNT);
    distinct("recompute", r, TRAINING_RECOMPUTE_COUNT);
    for (int i = 0; i < TRAINING_METHOD_COUNT; i++) {
        enum training_method v = TRAINING_FULL;
        ck_assert_int_eq(training_method_parse(m[i], &v), 0);
        ck_assert_int_eq(v, i);
    }
    for (int i = 0; i < TRAINING_OPTIMIZER_COUNT; i++) {
        enum training_optimizer v = TRAINING_ADAMW;
        ck_assert_int_eq(training_optimizer_parse(o[i], &v), 0);
        ck_assert_int_eq(v, i);
    }
    for (int i = 0; i < TRAINING_RECOMPUTE_COUNT; i++) {
        enum training_recompute v = TRAINING_RECOMPUTE_NONE;
        ck_assert_int_eq(training_recompute_parse(r[i], &v), 0);
        ck_assert_int_eq(v, i);
    }
    enum training_method v = TRAINING_LORA;
    ck_assert_int_lt(training_method_parse("dora", &v), 0);
    ck_assert_int_eq(v, TRAINING_LORA);
}
END_TEST

START_TEST(precision_names_round_trip_and_the_lists_are_the_tables)
{
    const char *w[PRECISION_COUNT], *k[KV_PRECISION_COUNT];
    NAMES(w, PRECISION_COUNT, precision_name, enum precision);
    NAMES(k, KV_PRECISION_COUNT, precision_kv_name, enum kv_precision);
    distinct("precision", w, PRECISION_COUNT);
    distinct("kv precision", k, KV_PRECISION_COUNT);
    for (int i = 0; i < PRECISION_COUNT; i++) {
        double b = 0;
        ck_assert_int_eq(precision_bytes(w[i], &b), 0);
        ck_assert(b > 0 && b == precision_value_bytes((enum precision)i));
    }
    for (int i = 0; i < KV_PRECISION_COUNT; i++) {
        double b = 0;
        ck_assert_int_eq(precision_kv_bytes(k[i], &b), 0);
        ck_assert(b > 0 && b == precision_kv_value_bytes((enum kv_precision)i));
    }
    char list[200];
    fields_name_list(w, PRECISION_COUNT, list, sizeof(list));
    ck_assert_str_eq(precision_list(), list);
    fields_name_list(k, KV_PRECISION_COUNT, list, sizeof(list));
    ck_assert_str_eq(precision_kv_list(), list);
}
END_TEST

START_TEST(name_index_finds_rows_and_skips_holes)
{
    static const char *const names[] = {"a", NULL, "c"};
    ck_assert_int_eq(fields_name_index(names, 3, "c"), 2);
    ck_assert_int_lt(fields_name_index(names, 3, "b"), 0);
    ck_assert_int_lt(fields_name_index(names, 3, NULL), 0);
    char list[4];
    fields_name_list(names, 3, list, sizeof(list));
    ck_assert_str_eq(list, "a, "); /* truncated to fit, terminated */
}
END_TEST

static struct arch decode_cfg(const char *json)
{
    json_t *cfg = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(cfg);
    struct arch a;
    struct error_info err;
    error_clear(&err);
    int rc = arch_from_hf_config(cfg, "hf_config", &a, &err);
    json_decref(cfg);
    ck_assert_msg(rc == 0, "%s: %s", json, err.message);
    return a;
}

#define GROK_FIELDS                                                                                \
    "\"num_hidden_layers\": 64, \"hidden_size\": 6144, \"num_attention_heads\": 48, "              \
    "\"num_key_value_heads\": 8, \"intermediate_size\": 32768, \"vocab_size\": 131072, "           \
    "\"num_experts\": 8, \"num_experts_per_tok\": 2"

START_TEST(family_traits_come_from_the_table)
{
    /* An alias row decodes as its model_type, with every trait of the row. */
    struct arch a = decode_cfg("{\"model_type\": \"grok1\", " GROK_FIELDS "}");
    struct arch b = decode_cfg("{\"model_type\": \"grok-1\", " GROK_FIELDS "}");
    ck_assert_str_eq(a.model_type, "grok-1");
    json_t *ja = arch_to_json(&a), *jb = arch_to_json(&b);
    ck_assert(json_equal(ja, jb));
    json_decref(ja);
    json_decref(jb);
    ck_assert_int_eq(a.norms_per_layer, 4);
    ck_assert_int_eq(a.moe_intermediate, a.intermediate); /* mixtral layout */
    ck_assert(a.tied_embeddings);
}
END_TEST

Suite *names_suite(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, arch_enums_name_every_value_distinctly);
    tcase_add_test(tc, refine_enums_name_every_value_distinctly);
    tcase_add_test(tc, engine_and_solve_names_round_trip_through_the_request_decoder);
    tcase_add_test(tc, training_names_round_trip_through_their_parsers);
    tcase_add_test(tc, precision_names_round_trip_and_the_lists_are_the_tables);
    tcase_add_test(tc, name_index_finds_rows_and_skips_holes);
    tcase_add_test(tc, family_traits_come_from_the_table);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(names_suite)
