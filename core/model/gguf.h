/* gguf.h - bits per weight of llama.cpp's GGUF quantization types and file types (Q4_K_M, ...). */
#ifndef VRAMFIT_GGUF_H
#define VRAMFIT_GGUF_H

/*
 * Two kinds of names share one table (gguf.c), matched without regard to ASCII case:
 *   - ggml block types ("Q4_K", "Q8_0", "MXFP4"): exact bits per weight, bytes per block x 8 /
 *     weights per block, from ggml's block structs (ggml/src/ggml-common.h);
 *   - llama-quantize file types, mixes of block types ("Q4_K_M", "Q2_K", "IQ1_S"): the whole
 *     file's average bits per weight as llama-quantize states it (tools/quantize/quantize.cpp's
 *     QUANT_OPTIONS: a size in GiB for Llama-3-8B's 8.03e9 weights, or a stated bpw).
 * The file averages are Llama-3-8B's, whose Q6_K output matrix and embeddings are a larger share
 * than in a MoE file of expert tensors: Q3_K_M is 4.00 bits here but 3.53 in Qwen3-235B-A22B's file
 * (tests/data/offload-measured.json, gguf_files). Q4_K_M's 4.90 is near other files' (Qwen3-32B:
 * 'file size = 18.81 GiB (4.93 BPW)', ollama/ollama issue #14774).
 * A file type's name wins where both exist ("Q2_K", "Q6_K", "Q8_0", "Q4_0" are also file types;
 * for those the file average, which includes the few higher-precision tensors, is used).
 */
struct gguf_type {
    const char *name;   /* as llama.cpp spells it: "Q4_K_M" */
    double bits;        /* bits per weight (of every tensor but the routed experts when
                           expert_bits is set) */
    double expert_bits; /* the routed experts' bits when a file type stores them apart, else 0 */
    const char *source; /* where bits comes from */
};

/* gguf_find - the row named name (ASCII case ignored), or NULL. */
const struct gguf_type *gguf_find(const char *name);

/* gguf_list - the accepted names joined by ", " (static storage, for error messages). */
const char *gguf_list(void);

/* gguf_count / gguf_at - the table, for tests that check every row has a source. */
int gguf_count(void);
const struct gguf_type *gguf_at(int i);

#endif
