/* fuzz_safetensors.c - libFuzzer target: a shard's first bytes (8-byte length + JSON header) and
 * index files through the safetensors parser, as the Hub resolver feeds them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_safetensors: %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct error_info err;
    struct st_summary s;
    memset(&s, 0, sizeof(s));
    if (size > 4 * 1024 * 1024)
        return 0;
    /* As a shard: the length must fit what follows, then the header adds up or is refused. */
    uint64_t len = 0;
    if (size >= 8 && st_header_length(data, 1024 * 1024, &len, &err) == 0 && len <= size - 8) {
        struct st_summary before = s;
        int rc = st_header_add((const char *)data + 8, (size_t)len, 61, &s, &err);
        if (rc < 0) {
            FUZZ_ASSERT(memcmp(&before, &s, sizeof(s)) == 0); /* untouched on error */
            FUZZ_ASSERT(err.status == 422 || rc == -12);
        } else {
            uint64_t parts = 0, dtypes = 0;
            for (int i = 0; i < ST_PART_COUNT; i++)
                parts += s.part_bytes[i];
            for (int i = 0; i < ST_DTYPE_COUNT; i++)
                dtypes += s.dtype_bytes[i];
            FUZZ_ASSERT(parts == s.bytes && dtypes == s.bytes);
            FUZZ_ASSERT(st_loaded_bytes(&s) <= s.bytes);
            json_t *j = st_summary_to_json(&s);
            struct st_summary back;
            FUZZ_ASSERT(j != NULL && st_summary_from_json(j, &back) == 0);
            FUZZ_ASSERT(back.bytes == s.bytes && back.tensors == s.tensors);
            json_decref(j);
        }
    }
    /* As an index: every shard name it yields is a plain file name. */
    struct st_index ix;
    if (st_index_parse((const char *)data, size, &ix, &err) == 0) {
        for (size_t i = 0; i < ix.nshards; i++)
            FUZZ_ASSERT(strchr(ix.shards[i], '/') == NULL && ix.shards[i][0] != '.');
        st_index_free(&ix);
    }
    return 0;
}
