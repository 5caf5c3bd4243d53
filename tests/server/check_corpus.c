/* check_corpus.c - the server's refined, training, /skus and /models answers, byte for byte as
 * recorded in tests/data/answers-corpus.json.
 *
 * The corpus holds the exchanges tools/record-corpus.py recorded from the real binary: POST
 * /estimate with every model preset in several refined inference shapes (engine, context and
 * batch, objectives, precisions and formats, vendor/region/size filters, solve, hf_config and
 * explicit architectures), refined training shapes, 4xx answers of the refined and training
 * fields, GET /skus with several queries, GET /models and GET /models/{name}; each sent compact
 * and, for a share of them, with ?pretty=1, Accept-Encoding: gzip (recorded decompressed) and
 * User-Agent: curl/8.0. This suite starts the binary pinned the same way (SERVER_ARGS below,
 * which the corpus records too), replays every exchange and wants the same status, the same
 * Content-Type/Content-Encoding/ETag and the same body bytes.
 *
 * A difference is a change of the answers. Regenerate the corpus (make corpus-record) only when
 * the change is deliberate, and list each such change in the commit message.
 */
#include "support/check_util.h"

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "support/testsrv.h"

/* What makes the answers deterministic; tools/record-corpus.py's SERVER_ARGS, recorded in the
 * corpus (the test checks they are the same). */
/* clang-format off */
static const char *const SERVER_ARGS[] = {
    "--today", "2026-11-23",             /* retirement judged on the seed golden's date */
    "--no-prices", "--region", "eastus", /* the snapshot prices compiled in, no live feed */
    "--catalog-file", "",                /* the embedded catalog... */
    "--catalog-url", "",                 /* ...never refreshed */
    "--cache-file", "", "--config", "",  /* no cache or config file */
    NULL};
/* clang-format on */

/* Mismatches described in full on stderr; all of them are counted. */
#define MAX_REPORTED 8

static json_t *corpus;
static const json_t *exchanges;
static struct testsrv srv;

static void load_corpus(void)
{
    json_error_t jerr;
    corpus = json_load_file(TEST_DATA_DIR "/answers-corpus.json", 0, &jerr);
    ck_assert_msg(corpus != NULL, "answers-corpus.json: %s (line %d)", jerr.text, jerr.line);
    ck_assert_str_eq(json_string_value(json_object_get(corpus, "schema")),
                     "vramfit.answers-corpus/v1");
    exchanges = json_object_get(corpus, "exchanges");
    ck_assert(json_is_array(exchanges));
}

static void start_server(void)
{
    load_corpus();
    /* The exchanges are recorded for the contract check too (make test validates them against
     * openapi.yaml). */
    ck_assert_int_eq(testsrv_start(&srv, SERVER_ARGS), 0);
}

static void stop_server(void)
{
    int status = -1;
    testsrv_stop(&srv, SIGTERM, 15, &status);
    json_decref(corpus);
    corpus = NULL;
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* A gzip body decompressed (malloc'd, NUL-terminated), or NULL when it is not gzip. */
static char *gunzip(const char *z, size_t zlen, size_t *len)
{
    z_stream s;
    memset(&s, 0, sizeof(s));
    if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
        return NULL;
    size_t cap = zlen * 8 + 4096, n = 0;
    char *out = malloc(cap);
    int rc = Z_OK;
    s.next_in = (Bytef *)(uintptr_t)z;
    s.avail_in = (uInt)zlen;
    while (out != NULL && rc == Z_OK) {
        if (cap - n < 4096) {
            char *bigger = realloc(out, cap * 2);
            if (bigger == NULL) {
                free(out);
                out = NULL;
                break;
            }
            out = bigger;
            cap *= 2;
        }
        s.next_out = (Bytef *)(out + n);
        s.avail_out = (uInt)(cap - n - 1);
        rc = inflate(&s, Z_NO_FLUSH);
        n = s.total_out;
    }
    inflateEnd(&s);
    if (out == NULL || rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *len = n;
    return out;
}

/* The recorded body of exchange e: its own, or the one it says it shares. */
static const json_t *recorded_body(const json_t *e)
{
    const json_t *same = json_object_get(e, "response_same_as");
    if (same == NULL)
        return json_object_get(e, "response");
    return json_object_get(json_array_get(exchanges, (size_t)json_integer_value(same)), "response");
}

/* s[from, to) as one line (newlines and control characters escaped) into dst. */
static void excerpt(char *dst, size_t n, const char *s, size_t len, size_t from, size_t to)
{
    size_t o = 0;
    for (size_t i = from; i < to && i < len && o + 5 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            o += (size_t)snprintf(dst + o, n - o, "\\n");
        else if (c < 0x20)
            o += (size_t)snprintf(dst + o, n - o, "\\x%02x", c);
        else
            dst[o++] = (char)c;
    }
    dst[o] = '\0';
}

struct tally {
    int replayed, failed;
    char first[1024]; /* the first mismatch, for the assertion message */
};

static void mismatch(struct tally *t, size_t idx, const json_t *e, const char *what,
                     const char *got, size_t glen, const char *want, size_t wlen)
{
    char head[600];
    const char *body = json_string_value(json_object_get(e, "body"));
    snprintf(head, sizeof(head), "exchange %zu (%s, %s): %s %s%s%.300s%s", idx, str(e, "name"),
             str(e, "variant"), str(e, "method"), str(e, "path"), body ? " body " : "",
             body ? body : "", body && strlen(body) > 300 ? "..." : "");
    if (t->failed == 0)
        snprintf(t->first, sizeof(t->first), "%s: %s", head, what);
    if (t->failed++ >= MAX_REPORTED)
        return;
    fprintf(stderr, "check_corpus: %s\n  %s\n", head, what);
    if (got == NULL || want == NULL)
        return;
    size_t off = 0;
    while (off < glen && off < wlen && got[off] == want[off])
        off++;
    size_t from = off > 80 ? off - 80 : 0;
    char g[400], w[400];
    excerpt(g, sizeof(g), got, glen, from, off + 80);
    excerpt(w, sizeof(w), want, wlen, from, off + 80);
    fprintf(stderr,
            "  first difference at byte %zu (got %zu bytes, want %zu)\n  got:  ...%s...\n"
            "  want: ...%s...\n",
            off, glen, wlen, g, w);
    if (t->failed == 1) {
        size_t near = off > 20 ? off - 20 : 0;
        excerpt(g, sizeof(g), got, glen, near, off + 40);
        excerpt(w, sizeof(w), want, wlen, near, off + 40);
        size_t n = strlen(t->first);
        snprintf(t->first + n, sizeof(t->first) - n,
                 "; first difference at byte %zu: got ...%s..., want ...%s...", off, g, w);
    }
}

/* The recorded response header name (lower case) against the one received; "" = absent. */
static bool same_header(const json_t *e, const struct http_result *r, const char *name, char *got,
                        size_t n)
{
    const char *want = str(json_object_get(e, "response_headers"), name);
    if (http_result_header(r, name, got, n) < 0)
        got[0] = '\0';
    return strcmp(got, want) == 0;
}

static void replay(size_t idx, const json_t *e, struct tally *t)
{
    const char *content_type = NULL, *extra = NULL;
    char extra_buf[256];
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)json_object_get(e, "headers"), name, v)
    {
        if (strcasecmp(name, "Content-Type") == 0) {
            content_type = json_string_value(v);
            continue;
        }
        ck_assert_msg(extra == NULL, "exchange %zu: more than one extra request header", idx);
        snprintf(extra_buf, sizeof(extra_buf), "%s: %s", name, json_string_value(v));
        extra = extra_buf;
    }
    const char *body = json_string_value(json_object_get(e, "body"));
    struct http_result r;
    int rc = testhttp(srv.port, str(e, "method"), str(e, "path"), content_type, body,
                      body ? strlen(body) : 0, extra, &r);
    t->replayed++;
    if (rc != 0) {
        mismatch(t, idx, e, "transport error (no answer)", NULL, 0, NULL, 0);
        return;
    }
    char hv[256], what[512];
    long want_status = (long)json_integer_value(json_object_get(e, "status"));
    if (r.status != want_status) {
        snprintf(what, sizeof(what), "status %ld, recorded %ld", r.status, want_status);
        mismatch(t, idx, e, what, r.body, r.len, NULL, 0);
        http_result_free(&r);
        return;
    }
    static const char *const headers[] = {"content-type", "content-encoding", "etag"};
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        if (!same_header(e, &r, headers[i], hv, sizeof(hv))) {
            snprintf(what, sizeof(what), "%s \"%s\", recorded \"%s\"", headers[i], hv,
                     str(json_object_get(e, "response_headers"), headers[i]));
            mismatch(t, idx, e, what, NULL, 0, NULL, 0);
            http_result_free(&r);
            return;
        }
    }
    const char *got = r.body;
    size_t glen = r.len;
    char *plain = NULL;
    if (http_result_header(&r, "Content-Encoding", hv, sizeof(hv)) == 0 &&
        strcmp(hv, "gzip") == 0) {
        plain = gunzip(r.body, r.len, &glen);
        if (plain == NULL) {
            mismatch(t, idx, e, "the gzip body does not decompress", NULL, 0, NULL, 0);
            http_result_free(&r);
            return;
        }
        got = plain;
    }
    const json_t *want = recorded_body(e);
    ck_assert_msg(json_is_string(want), "exchange %zu: no recorded body", idx);
    size_t wlen = json_string_length(want);
    if (glen != wlen || memcmp(got, json_string_value(want), wlen) != 0)
        mismatch(t, idx, e, "the body differs", got, glen, json_string_value(want), wlen);
    free(plain);
    http_result_free(&r);
}

/* Replays every exchange of the given groups (NULL-terminated) and fails on any difference. */
static void replay_groups(const char *const *groups)
{
    struct tally t = {0, 0, ""};
    size_t i;
    const json_t *e;
    json_array_foreach(exchanges, i, e)
    {
        bool mine = false;
        for (const char *const *g = groups; *g; g++)
            mine |= strcmp(str(e, "group"), *g) == 0;
        if (mine)
            replay(i, e, &t);
    }
    ck_assert_msg(t.replayed > 0, "no exchange of group %s in the corpus", groups[0]);
    ck_assert_msg(t.failed == 0,
                  "%d of %d recorded exchanges answered differently (regenerate with make "
                  "corpus-record only for a deliberate change); %s",
                  t.failed, t.replayed, t.first);
}

START_TEST(refined_inference_answers_match_the_recorded_corpus)
{
    static const char *const groups[] = {"inference", NULL};
    replay_groups(groups);
}
END_TEST

START_TEST(training_answers_match_the_recorded_corpus)
{
    static const char *const groups[] = {"training", NULL};
    replay_groups(groups);
}
END_TEST

START_TEST(refined_and_training_field_errors_match_the_recorded_corpus)
{
    static const char *const groups[] = {"error", NULL};
    replay_groups(groups);
}
END_TEST

START_TEST(skus_and_models_answers_match_the_recorded_corpus)
{
    static const char *const groups[] = {"skus", "models", NULL};
    replay_groups(groups);
}
END_TEST

/* The corpus is what it claims to be: recorded with the same pinning, every preset the server
 * lists, every variant, references that point at an earlier answer to the same request. */
START_TEST(corpus_covers_every_preset_and_variant_with_the_same_pinning)
{
    const json_t *args = json_object_get(corpus, "server_args");
    size_t nargs = 0;
    while (SERVER_ARGS[nargs])
        nargs++;
    ck_assert_uint_eq(json_array_size(args), nargs);
    for (size_t i = 0; i < nargs; i++)
        ck_assert_str_eq(json_string_value(json_array_get(args, i)), SERVER_ARGS[i]);

    size_t n = json_array_size(exchanges);
    ck_assert_uint_ge(n, 500);
    ck_assert_uint_lt(n, 1800); /* replayed under valgrind too (83 presets: about 1,500) */

    struct http_result r;
    ck_assert_int_eq(testhttp(srv.port, "GET", "/models", NULL, NULL, 0, NULL, &r), 0);
    json_error_t jerr;
    json_t *models = json_loads(r.body, 0, &jerr);
    http_result_free(&r);
    ck_assert_ptr_nonnull(models);
    size_t i, j;
    const json_t *m, *e;
    ck_assert_uint_eq(json_array_size(json_object_get(models, "models")),
                      json_array_size(json_object_get(corpus, "presets")));
    json_array_foreach(json_object_get(models, "models"), i, m)
    {
        char needle[200];
        snprintf(needle, sizeof(needle), "{\"model\":\"%s\",", str(m, "name"));
        int inference = 0;
        json_array_foreach(exchanges, j, e)
        {
            if (strcmp(str(e, "group"), "inference") == 0 &&
                strcmp(str(e, "variant"), "compact") == 0 &&
                strncmp(str(e, "body"), needle, strlen(needle)) == 0 &&
                json_integer_value(json_object_get(e, "status")) == 200)
                inference++;
        }
        ck_assert_msg(inference >= 5, "preset %s: %d refined inference answers recorded",
                      str(m, "name"), inference);
    }
    json_decref(models);

    static const char *const variants[] = {"compact", "pretty", "gzip", "curl", "curl pretty=0"};
    int seen[5] = {0};
    int gzipped = 0;
    json_array_foreach(exchanges, i, e)
    {
        for (size_t k = 0; k < 5; k++)
            seen[k] += strcmp(str(e, "variant"), variants[k]) == 0;
        gzipped +=
            strcmp(str(json_object_get(e, "response_headers"), "content-encoding"), "gzip") == 0;
        const json_t *same = json_object_get(e, "response_same_as");
        if (same == NULL) {
            ck_assert_msg(json_is_string(json_object_get(e, "response")), "exchange %zu", i);
            continue;
        }
        size_t k = (size_t)json_integer_value(same);
        const json_t *o = json_array_get(exchanges, k);
        ck_assert_msg(k < i && json_is_string(json_object_get(o, "response")),
                      "exchange %zu: response_same_as %zu", i, k);
        ck_assert_str_eq(str(o, "method"), str(e, "method"));
        ck_assert_str_eq(str(o, "name"), str(e, "name"));
        ck_assert(json_equal(json_object_get(o, "body"), json_object_get(e, "body")));
    }
    for (size_t k = 0; k < 5; k++)
        ck_assert_msg(seen[k] >= 10, "variant %s: %d exchanges", variants[k], seen[k]);
    ck_assert_int_ge(gzipped, 10);
}
END_TEST

static Suite *corpus_suite(void)
{
    Suite *s = suite_create("corpus");
    TCase *tc = tcase_create("replay");
    tcase_add_unchecked_fixture(tc, start_server, stop_server);
    /* Hundreds of requests; under memcheck (make valgrind) each takes far longer. */
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, corpus_covers_every_preset_and_variant_with_the_same_pinning);
    tcase_add_test(tc, refined_inference_answers_match_the_recorded_corpus);
    tcase_add_test(tc, training_answers_match_the_recorded_corpus);
    tcase_add_test(tc, refined_and_training_field_errors_match_the_recorded_corpus);
    tcase_add_test(tc, skus_and_models_answers_match_the_recorded_corpus);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(corpus_suite)
