/* check_safetensors.c - safetensors headers and index files into exact bytes per dtype and part. */
#include "support/check_util.h"

#include <stdint.h>
#include <string.h>

#include "model/safetensors.h"
#include "support/fakehub.h"

/* Adds the repo's shards (built from the real tensor names and shapes) into *s. */
static void add_repo(const char *repo, int shards, long long layers, struct st_summary *s)
{
    struct error_info err;
    for (int i = 0; i < shards; i++) {
        size_t len;
        char *d = fakehub_shard(repo, i, &len);
        uint64_t n = 0;
        ck_assert_int_eq(st_header_length((const unsigned char *)d, 0, &n, &err), 0);
        ck_assert_uint_eq(n, len - 8);
        ck_assert_msg(st_header_add(d + 8, (size_t)n, layers, s, &err) == 0, "%s", err.message);
        free(d);
    }
}

START_TEST(gpt_oss_120b_headers_sum_to_its_exact_bytes_by_part_and_dtype)
{
    struct st_summary s;
    memset(&s, 0, sizeof(s));
    add_repo("hub-mirror/gpt-oss-120b", 2, 36, &s);
    /* Per layer (BF16): q 4096x2880+4096, k and v 512x2880+512, o 2880x4096+2880, sinks 64,
     * two norms of 2880, router 128x2880+128. Experts: MXFP4 blocks + scales in U8 and BF16
     * biases. Embeddings and head 201088x2880 BF16, the final norm 2880. */
    uint64_t attn = 2ull * (4096 * 2880 + 4096 + 2 * (512 * 2880 + 512) + 2880 * 4096 + 2880 + 64 +
                            2 * 2880 + 128 * 2880 + 128);
    uint64_t experts = 128ull * (5760 * 90 * 17 + 2880 * 90 * 17) + 2ull * 128 * (5760 + 2880);
    uint64_t vocab = 201088ull * 2880 * 2;
    ck_assert_uint_eq(s.part_bytes[ST_PART_EXPERTS], 36 * experts);
    ck_assert_uint_eq(s.part_bytes[ST_PART_SHARED], 36 * attn + 2 * 2880);
    ck_assert_uint_eq(s.part_bytes[ST_PART_EMBEDDINGS], vocab);
    ck_assert_uint_eq(s.part_bytes[ST_PART_HEAD], vocab);
    ck_assert_uint_eq(s.part_bytes[ST_PART_MTP], 0);
    ck_assert_uint_eq(s.bytes, 36 * (experts + attn) + 2 * 2880 + 2 * vocab);
    ck_assert_uint_eq(s.bytes, fakehub_expected_bytes("hub-mirror/gpt-oss-120b"));
    ck_assert_uint_eq(s.dtype_bytes[ST_U8], 36ull * 128 * (5760 * 90 * 17 + 2880 * 90 * 17));
    ck_assert_uint_eq(s.dtype_bytes[ST_U8] + s.dtype_bytes[ST_BF16], s.bytes);
    ck_assert_uint_eq(s.tensors, 36 * 19 + 3);
}
END_TEST

START_TEST(tensor_names_are_classified_by_the_documented_patterns)
{
    static const struct {
        const char *name;
        long long layers;
        enum st_part part;
    } cases[] = {
        {"model.layers.3.mlp.experts.17.down_proj.weight", 61, ST_PART_EXPERTS}, /* DeepSeek */
        {"model.layers.3.mlp.experts.17.down_proj.weight_scale_inv", 61, ST_PART_EXPERTS},
        {"model.layers.3.mlp.shared_experts.up_proj.weight", 61, ST_PART_SHARED}, /* DeepSeek */
        {"model.layers.3.mlp.shared_expert.up_proj.weight", 24, ST_PART_SHARED},  /* Qwen2-MoE */
        {"model.layers.0.block_sparse_moe.experts.7.w1.weight", 32, ST_PART_EXPERTS}, /* Mixtral */
        {"model.layers.0.mlp.experts.gate_up_proj_blocks", 36, ST_PART_EXPERTS},      /* gpt-oss */
        {"model.layers.61.embed_tokens.weight", 61, ST_PART_MTP}, /* DeepSeek-V3's MTP */
        {"model.layers.61.shared_head.head.weight", 61, ST_PART_MTP},
        {"model.layers.61.self_attn.kv_a_proj_with_mqa.weight", 0, ST_PART_SHARED}, /* unknown */
        {"mtp.layers.0.mlp.experts.3.gate_proj.weight", 48, ST_PART_MTP},           /* Qwen3-Next */
        {"model.mtp_layers.0.input_layernorm.weight", 36, ST_PART_MTP},             /* MiMo */
        {"model.mtp_block.0.mlp.experts.5.up_proj.weight", 28, ST_PART_MTP},        /* ERNIE-4.5 */
        {"model.mtp_linear_proj.0.weight", 28, ST_PART_MTP},
        {"model.mtp_emb_norm.0.weight", 28, ST_PART_MTP},
        {"model.mtp_hidden_norm.0.weight", 28, ST_PART_MTP},
        {"vision_tower.vision_model.encoder.layers.26.mlp.fc1.weight", 34, ST_PART_VISION},
        {"visual.blocks.31.attn.qkv.weight", 28, ST_PART_VISION}, /* Qwen2.5-VL */
        {"multi_modal_projector.linear_1.weight", 40, ST_PART_VISION},
        {"lm_head.weight", 32, ST_PART_HEAD},
        {"output.weight", 32, ST_PART_HEAD}, /* Meta's original Llama layout */
        {"gpt_neox.embed_out.weight", 32, ST_PART_HEAD},
        {"model.embed_tokens.weight", 32, ST_PART_EMBEDDINGS},
        {"transformer.wte.weight", 12, ST_PART_EMBEDDINGS},
        {"transformer.word_embeddings.weight", 60, ST_PART_EMBEDDINGS}, /* Falcon */
        {"model.layers.0.self_attn.q_proj.weight", 32, ST_PART_SHARED},
        {"model.layers.0.mlp.gate.weight", 94, ST_PART_SHARED}, /* a router */
        {"model.norm.weight", 32, ST_PART_SHARED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(st_classify(cases[i].name, cases[i].layers) == cases[i].part, "%s: %s",
                      cases[i].name, st_part_name(st_classify(cases[i].name, cases[i].layers)));
}
END_TEST

START_TEST(header_lengths_outside_2_bytes_to_the_cap_are_refused)
{
    struct error_info err;
    uint64_t n = 0;
    unsigned char b[8] = {0};
    ck_assert_int_lt(st_header_length(b, 0, &n, &err), 0);
    ck_assert_int_eq(err.status, 422);
    b[0] = 2;
    ck_assert_int_eq(st_header_length(b, 0, &n, &err), 0);
    ck_assert_uint_eq(n, 2);
    uint64_t huge = 200000000; /* over the format's own 100,000,000 */
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(huge >> (8 * i));
    ck_assert_int_lt(st_header_length(b, 0, &n, &err), 0);
    b[0] = 0x01, b[1] = 0x10, b[2] = b[3] = b[4] = b[5] = b[6] = b[7] = 0; /* 4097 */
    ck_assert_int_lt(st_header_length(b, 4096, &n, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "4096"));
}
END_TEST

START_TEST(malformed_entries_are_refused_naming_the_tensor_and_leave_the_sum_alone)
{
    static const char *const bad[] = {
        "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,3]}}", /* 4 bytes, not 3 */
        "{\"a\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"BF16\",\"shape\":[-2],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,0]}}",
        "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2]}}",
        "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},"
        "\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}",
        "[1,2]",
        "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,1]}}",
    };
    struct st_summary s, before;
    struct error_info err;
    memset(&s, 0, sizeof(s));
    const char *ok = "{\"w\":{\"dtype\":\"F4\",\"shape\":[3,3],\"data_offsets\":[0,5]}}";
    ck_assert_int_eq(st_header_add(ok, strlen(ok), 0, &s, &err), 0);
    ck_assert_uint_eq(s.dtype_bytes[ST_F4], 5); /* 9 x 4 bits, rounded up to whole bytes */
    before = s;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(st_header_add(bad[i], strlen(bad[i]), 0, &s, &err) < 0, "%s", bad[i]);
        ck_assert_int_eq(err.status, 422);
        ck_assert(memcmp(&s, &before, sizeof(s)) == 0);
    }
}
END_TEST

START_TEST(an_index_yields_distinct_plain_shard_names_and_its_total)
{
    struct st_index ix;
    struct error_info err;
    const char *text = "{\"metadata\":{\"total_size\":130},\"weight_map\":{"
                       "\"a\":\"model-00001-of-00002.safetensors\","
                       "\"b\":\"model-00002-of-00002.safetensors\","
                       "\"c\":\"model-00001-of-00002.safetensors\"}}";
    ck_assert_int_eq(st_index_parse(text, strlen(text), &ix, &err), 0);
    ck_assert_uint_eq(ix.nshards, 2);
    ck_assert_uint_eq(ix.total_size, 130);
    ck_assert_str_eq(ix.shards[1], "model-00002-of-00002.safetensors");
    st_index_free(&ix);
    static const char *const bad[] = {
        "{\"weight_map\":{\"a\":\"../etc/passwd.safetensors\"}}",
        "{\"weight_map\":{\"a\":\"sub/dir.safetensors\"}}",
        "{\"weight_map\":{\"a\":\"model.bin\"}}",
        "{\"weight_map\":{}}",
        "{\"metadata\":{\"total_size\":\"big\"},\"weight_map\":{\"a\":\"m.safetensors\"}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(st_index_parse(bad[i], strlen(bad[i]), &ix, &err) < 0, "%s", bad[i]);
}
END_TEST

START_TEST(a_summary_survives_its_json_round_trip)
{
    struct st_summary s, back;
    memset(&s, 0, sizeof(s));
    add_repo("hub-mirror/gpt-oss-120b", 2, 36, &s);
    json_t *j = st_summary_to_json(&s);
    ck_assert_int_eq(st_summary_from_json(j, &back), 0);
    ck_assert(memcmp(&s, &back, sizeof(s)) == 0);
    json_object_set_new(json_object_get(j, "by_dtype"), "Q9", json_integer(1));
    ck_assert_int_lt(st_summary_from_json(j, &back), 0);
    json_decref(j);
}
END_TEST

static Suite *safetensors_suite(void)
{
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, gpt_oss_120b_headers_sum_to_its_exact_bytes_by_part_and_dtype);
    tcase_add_test(tc, tensor_names_are_classified_by_the_documented_patterns);
    tcase_add_test(tc, header_lengths_outside_2_bytes_to_the_cap_are_refused);
    tcase_add_test(tc, malformed_entries_are_refused_naming_the_tensor_and_leave_the_sum_alone);
    tcase_add_test(tc, an_index_yields_distinct_plain_shard_names_and_its_total);
    tcase_add_test(tc, a_summary_survives_its_json_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(safetensors_suite)
