/* gguf.c - the GGUF quantization table: names, bits per weight and where each number comes from. */
#include "model/gguf.h"

#include <string.h>
#include <strings.h>

/* llama-quantize's sizes are for Llama-3-8B: 8.03e9 weights (meta-llama/Meta-Llama-3-8B model
 * card, "8B"; 8,030,261,248 parameters in its safetensors index). bits = GiB x 2^30 x 8 / 8.03e9.
 */
#define QUANTIZE_CPP                                                                               \
    "ggml-org/llama.cpp tools/quantize/quantize.cpp@03161a4eb9a2ec66ef97789f347c5a28279f06ea "     \
    "QUANT_OPTIONS"
#define L3_8B_BITS(gib) ((gib)*1073741824.0 * 8.0 / 8.03e9)
#define GGML_COMMON     "ggml-org/llama.cpp ggml/src/ggml-common.h block structs"

static const struct gguf_type rows[] = {
    /* File types (mixes): the file's average. */
    {.name = "Q2_K", .bits = L3_8B_BITS(2.96), .source = QUANTIZE_CPP " (2.96G @ Llama-3-8B)"},
    {.name = "Q3_K_S", .bits = L3_8B_BITS(3.41), .source = QUANTIZE_CPP " (3.41G @ Llama-3-8B)"},
    {.name = "Q3_K_M", .bits = L3_8B_BITS(3.74), .source = QUANTIZE_CPP " (3.74G @ Llama-3-8B)"},
    {.name = "Q3_K_L", .bits = L3_8B_BITS(4.03), .source = QUANTIZE_CPP " (4.03G @ Llama-3-8B)"},
    {.name = "Q4_0", .bits = L3_8B_BITS(4.34), .source = QUANTIZE_CPP " (4.34G @ Llama-3-8B)"},
    {.name = "Q4_K_S", .bits = L3_8B_BITS(4.37), .source = QUANTIZE_CPP " (4.37G @ Llama-3-8B)"},
    {.name = "Q4_K_M", .bits = L3_8B_BITS(4.58), .source = QUANTIZE_CPP " (4.58G @ Llama-3-8B)"},
    {.name = "Q5_K_S", .bits = L3_8B_BITS(5.21), .source = QUANTIZE_CPP " (5.21G @ Llama-3-8B)"},
    {.name = "Q5_K_M", .bits = L3_8B_BITS(5.33), .source = QUANTIZE_CPP " (5.33G @ Llama-3-8B)"},
    {.name = "Q6_K", .bits = L3_8B_BITS(6.14), .source = QUANTIZE_CPP " (6.14G @ Llama-3-8B)"},
    {.name = "Q8_0", .bits = L3_8B_BITS(7.96), .source = QUANTIZE_CPP " (7.96G @ Llama-3-8B)"},
    {.name = "IQ1_S", .bits = 1.56, .source = QUANTIZE_CPP " (1.56 bpw)"},
    {.name = "IQ1_M", .bits = 1.75, .source = QUANTIZE_CPP " (1.75 bpw)"},
    {.name = "IQ2_XXS", .bits = 2.06, .source = QUANTIZE_CPP " (2.06 bpw)"},
    {.name = "IQ2_XS", .bits = 2.31, .source = QUANTIZE_CPP " (2.31 bpw)"},
    {.name = "IQ2_M", .bits = 2.7, .source = QUANTIZE_CPP " (2.7 bpw)"},
    {.name = "IQ3_XXS", .bits = 3.06, .source = QUANTIZE_CPP " (3.06 bpw)"},
    {.name = "IQ3_M", .bits = 3.66, .source = QUANTIZE_CPP " (3.66 bpw)"},
    {.name = "IQ4_XS", .bits = 4.25, .source = QUANTIZE_CPP " (4.25 bpw)"},
    {.name = "F16", .bits = 16, .source = QUANTIZE_CPP " (F16)"},
    {.name = "BF16", .bits = 16, .source = QUANTIZE_CPP " (BF16)"},
    /* Block types: bytes per block x 8 / weights per block. */
    {.name = "Q4_K", .bits = 144.0 * 8 / 256, .source = GGML_COMMON " (block_q4_K: 144 B / 256)"},
    {.name = "Q5_K", .bits = 176.0 * 8 / 256, .source = GGML_COMMON " (block_q5_K: 176 B / 256)"},
    {.name = "Q3_K", .bits = 110.0 * 8 / 256, .source = GGML_COMMON " (block_q3_K: 110 B / 256)"},
    {.name = "MXFP4", .bits = 17.0 * 8 / 32, .source = GGML_COMMON " (block_mxfp4: 17 B / 32)"},
    /* llama-quantize's MXFP4_MOE (gpt-oss): routed experts MXFP4, the other matrices Q8_0. */
    {.name = "MXFP4_MOE",
     .bits = 34.0 * 8 / 32,
     .expert_bits = 17.0 * 8 / 32,
     .source =
         "ggml-org/llama.cpp issue #15253 log ('file type = MXFP4 MoE': 108 mxfp4 expert "
         "tensors, 146 q8_0); " GGML_COMMON " (block_q8_0: 34 B / 32, block_mxfp4: 17 B / 32)"},
};
#define NROWS ((int)(sizeof(rows) / sizeof(rows[0])))

const struct gguf_type *gguf_find(const char *name)
{
    for (int i = 0; name != NULL && i < NROWS; i++)
        if (strcasecmp(rows[i].name, name) == 0)
            return &rows[i];
    return NULL;
}

const char *gguf_list(void)
{
    /* A literal, so concurrent requests never build it; check_offload pins it to the table. */
    return "Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_0, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q8_0, "
           "IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_M, IQ3_XXS, IQ3_M, IQ4_XS, F16, BF16, Q4_K, Q5_K, "
           "Q3_K, MXFP4, MXFP4_MOE";
}

int gguf_count(void)
{
    return NROWS;
}

const struct gguf_type *gguf_at(int i)
{
    return i >= 0 && i < NROWS ? &rows[i] : NULL;
}
