/* safetensors.h - a checkpoint's tensor table from safetensors headers: exact bytes per dtype/part.
 */
#ifndef VRAMFIT_SAFETENSORS_H
#define VRAMFIT_SAFETENSORS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonout.h"

/*
 * The header of a .safetensors file: 8 bytes, a little-endian u64 N, then N bytes of JSON
 * {"tensor name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}.
 * The format caps N at 100,000,000 (huggingface/safetensors, safetensors/src/tensor.rs:
 * MAX_HEADER_SIZE = 100_000_000); callers may pass a lower cap.
 */
#define ST_MAX_HEADER_BYTES 100000000ull
/* Tensors in one summary (every shard of a checkpoint): DeepSeek-V3 has about 92,000 (its
 * model.safetensors.index.json); the cap only stops a hostile header from counting forever. */
#define ST_MAX_TENSORS 2000000u
/* Shards listed by one index (DeepSeek-V3: 163) and the longest shard file name accepted. */
#define ST_MAX_SHARDS     4096u
#define ST_MAX_SHARD_NAME 200u

/* Element types of the safetensors format (safetensors/src/tensor.rs `enum Dtype`). Names:
 * "BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16",
 * "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64". */
enum st_dtype {
    ST_BOOL = 0,
    ST_F4,
    ST_F6_E2M3,
    ST_F6_E3M2,
    ST_U8,
    ST_I8,
    ST_F8_E5M2,
    ST_F8_E4M3,
    ST_F8_E8M0,
    ST_I16,
    ST_U16,
    ST_F16,
    ST_BF16,
    ST_I32,
    ST_U32,
    ST_F32,
    ST_F64,
    ST_I64,
    ST_U64,
};
#define ST_DTYPE_COUNT (ST_U64 + 1)

/*
 * What a tensor is for, from its name (patterns and the families they come from: safetensors.c).
 * Names: "experts" (routed experts), "shared" (attention, norms, dense MLPs, routers, shared
 * experts), "embeddings", "head", "vision" (vision/audio encoders and their projectors), "mtp"
 * (multi-token-prediction layers, which vLLM loads only for speculative decoding).
 */
enum st_part {
    ST_PART_EXPERTS = 0,
    ST_PART_SHARED,
    ST_PART_EMBEDDINGS,
    ST_PART_HEAD,
    ST_PART_VISION,
    ST_PART_MTP,
};
#define ST_PART_COUNT (ST_PART_MTP + 1)

/* Names of the values above (static storage; "?" for a value outside the enum). */
const char *st_dtype_name(enum st_dtype d);
const char *st_part_name(enum st_part p);

/* A checkpoint's tensors, summed. Byte counts are the tensors' data (data_offsets), exact. */
struct st_summary {
    uint64_t tensors;
    uint64_t bytes;
    uint64_t part_bytes[ST_PART_COUNT];
    uint64_t part_elements[ST_PART_COUNT];
    uint64_t dtype_bytes[ST_DTYPE_COUNT];
};

/*
 * st_header_length - the header length N from a file's first 8 bytes. 0 and *len, or -EINVAL
 * with err (422 "invalid_checkpoint") when N is 0 (no room for "{}"), or over max (capped at
 * ST_MAX_HEADER_BYTES; 0 means that cap).
 */
int st_header_length(const unsigned char first8[8], uint64_t max, uint64_t *len,
                     struct error_info *err);

/*
 * st_classify - the part a tensor of this name belongs to. num_layers is the config's
 * num_hidden_layers (0 = unknown): a decoder layer index at or past it is an MTP layer
 * (DeepSeek-V3, GLM-4.5 store theirs there).
 */
enum st_part st_classify(const char *name, long long num_layers);

/*
 * st_header_add - parses one shard's header JSON (text[len], the N bytes after the length) and
 * adds its tensors to *acc. Every entry is checked: a known dtype, a shape of non-negative
 * integers, data_offsets [begin, end] whose length is exactly the shape's elements at the dtype's
 * width. On error *acc is unchanged and -EINVAL returns with err (422 "invalid_checkpoint",
 * naming the tensor); -ENOMEM on allocation failure. Does not keep text.
 */
int st_header_add(const char *text, size_t len, long long num_layers, struct st_summary *acc,
                  struct error_info *err);

/* A model.safetensors.index.json: metadata.total_size and the shard files of weight_map. */
struct st_index {
    uint64_t total_size; /* 0 when the index does not say */
    char **shards;       /* distinct file names, in first-seen order; owned */
    size_t nshards;
};

/*
 * st_index_parse - decodes an index. Shard names must be plain file names ([A-Za-z0-9._-],
 * ending ".safetensors", at most ST_MAX_SHARD_NAME bytes: they become URL path segments); at
 * most ST_MAX_SHARDS of them. 0 with *out (free with st_index_free), or -EINVAL with err (422
 * "invalid_checkpoint"), or -ENOMEM.
 */
int st_index_parse(const char *text, size_t len, struct st_index *out, struct error_info *err);
void st_index_free(struct st_index *ix);

/* st_summary_write - {"bytes", "tensors", "by_part": {...}, "by_dtype": {...}} (dtypes with
 * bytes only) into w. */
void st_summary_write(struct jsonout *w, const struct st_summary *s);

/* st_summary_to_json / st_summary_from_json - the same object as a tree and back (the disk
 * cache). to: new reference or NULL on OOM. from: 0, or -EINVAL when j is not such an object. */
json_t *st_summary_to_json(const struct st_summary *s);
int st_summary_from_json(const json_t *j, struct st_summary *out);

/* st_loaded_bytes - what an engine loads for serving: everything but the MTP layers. */
uint64_t st_loaded_bytes(const struct st_summary *s);

#endif
