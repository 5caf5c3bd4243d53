/* fuzz_estimate.c - libFuzzer target: POST /estimate body bytes through decoder, estimator, output.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "azure/catalog.h"
#include "base/buf.h"
#include "config/embedded.h"
#include "base/jsonout.h"
#include "config/presets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct catalog *cat;

/* A broken invariant must crash so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_estimate: %s:%d: %s\n", __FILE__, __LINE__, #cond);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void load_catalog(void)
{
    if (presets_builtin() == NULL) { /* "model": "<preset>" requests need the registry */
        fprintf(stderr, "fuzz_estimate: presets: %s\n", presets_error());
        abort();
    }
    size_t len;
    const char *doc = embedded_catalog(&len);
    struct error_info err;
    if (catalog_load(doc, len, "embedded", &cat, &err) < 0) {
        fprintf(stderr, "fuzz_estimate: embedded catalog refused: %s\n", err.message);
        abort();
    }
}

/* Error replies must be a client error with a code and a message, and must serialize. */
static void check_error(const struct error_info *err)
{
    FUZZ_ASSERT(err->status >= 400 && err->status < 500);
    FUZZ_ASSERT(err->code[0] != '\0');
    FUZZ_ASSERT(err->message[0] != '\0');
    json_t *j = api_error_json(err);
    FUZZ_ASSERT(j != NULL);
    char *text = jsonout_dumps(j, 0, NULL);
    FUZZ_ASSERT(text != NULL);
    free(text);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (cat == NULL)
        load_catalog();
    if (size > API_MAX_BODY)
        return 0; /* the HTTP layer answers 413 before the decoder sees it */
    /* One date before and one after most retirements, so both choice paths are exercised. */
    static const char *const days[] = {"2026-11-23", "2031-01-01"};
    struct error_info err;
    error_clear(&err);
    json_t *body = NULL;
    if (api_parse_body((const char *)data, size, &body, &err) < 0) {
        check_error(&err);
        return 0;
    }
    for (size_t d = 0; d < sizeof(days) / sizeof(days[0]); d++) {
        struct buf text;
        buf_init(&text, JSONOUT_MAX);
        error_clear(&err);
        /* The server's entry point. Every accepted input yields finite numbers: the writer
         * refuses NaN and infinity with -ENOMEM and err clear (a 500), which check_error rejects. */
        if (api_estimate_write(cat, days[d], body, 0, &text, &err) < 0) {
            check_error(&err);
            buf_free(&text);
            continue;
        }
        json_error_t jerr;
        json_t *out = json_loadb(text.data, text.len, 0, &jerr);
        FUZZ_ASSERT(out != NULL && json_is_object(out)); /* shapes vary: estimate, solve, training */
        json_decref(out);
        buf_free(&text);
        if (d != 0)
            continue;
        /* ?view=summary of the same answer: it succeeds whenever the full answer does. */
        buf_init(&text, JSONOUT_MAX);
        FUZZ_ASSERT(api_estimate_write_view(cat, days[d], body, NULL, API_VIEW_SUMMARY, 0, &text,
                                            &err) == 0);
        out = json_loadb(text.data, text.len, 0, &jerr);
        FUZZ_ASSERT(out != NULL && json_is_string(json_object_get(out, "kind")) &&
                    json_is_string(json_object_get(out, "view")));
        json_decref(out);
        buf_free(&text);
    }
    json_decref(body);
    return 0;
}
