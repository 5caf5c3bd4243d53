/* fuzz_hf_config.c - libFuzzer target: Hugging Face config.json bytes through arch decoding. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/arch.h"
#include "base/jsonout.h"
#include "model/kv.h"
#include "model/params.h"
#include "model/quant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_hf_config: %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void serializes(json_t *j)
{
    FUZZ_ASSERT(j != NULL);
    char *text = jsonout_dumps(j, 0, NULL); /* NULL on NaN or infinity */
    FUZZ_ASSERT(text != NULL);
    free(text);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0; /* a config arrives inside a request body, capped at 64 KiB */
    json_error_t jerr;
    json_t *cfg = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (cfg == NULL)
        return 0;
    struct arch a;
    struct error_info err;
    error_clear(&err);
    if (arch_from_hf_config(cfg, "hf_config", &a, &err) < 0) {
        FUZZ_ASSERT(err.status >= 400 && err.status < 500);
        FUZZ_ASSERT(err.code[0] != '\0' && err.message[0] != '\0');
        json_t *e = json_pack("{s:s, s:s}", "code", err.code, "message", err.message);
        serializes(e); /* the message must be valid UTF-8 */
        json_decref(cfg);
        return 0;
    }
    error_clear(&err);
    if (arch_validate(&a, "hf_config", &err) == 0) {
        /* What POST /estimate computes from an accepted architecture: finite, non-negative. */
        struct params p;
        params_count(&a, &p);
        FUZZ_ASSERT(isfinite(p.total) && p.total >= 0 && isfinite(p.active) && p.active >= 0);
        double kv = kv_bytes_per_token(&a, 2, 1);
        FUZZ_ASSERT(isfinite(kv) && kv >= 0);
        serializes(params_to_json(&p));
        /* The checkpoint's format and its bytes (core/model/quant.c): a 422 or finite bytes. */
        struct quant q;
        error_clear(&err);
        if (quant_from_config(cfg, NULL, "hf_config", &q, &err) == 0) {
            struct quant_weights w;
            quant_weights(&a, &p, &q, &w);
            FUZZ_ASSERT(w.sum.bytes <= (uint64_t)1 << 62 && w.vllm_bytes <= (uint64_t)1 << 62);
        } else {
            FUZZ_ASSERT(err.status == 422 && err.message[0] != '\0');
        }
    } else {
        FUZZ_ASSERT(err.status >= 400 && err.status < 500 && err.message[0] != '\0');
    }
    serializes(arch_to_json(&a));
    json_decref(cfg);
    return 0;
}
