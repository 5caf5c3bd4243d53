/* fakehub.c - a loopback Hugging Face Hub and CDN (libmicrohttpd) serving real configs and
 * safetensors headers built from real tensor names and shapes (tests/data/hub/README.md). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "support/fakehub.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "support/testsrv.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

struct counters {
    atomic_uint requests, cdn_auth;
    /* Qwen3-FP8 shard reads in progress, the most seen at once, and whether two ever overlapped
     * (the first read waits for a second one for up to 3 s so that overlap is observable). */
    atomic_int inflight, max_inflight;
    atomic_bool overlapped;
};

struct fakehub {
    struct MHD_Daemon *hub, *cdn;
    int port, cdn_port;
    /* Shared with the suites' forked test processes (Check's CK_FORK, the fake Hub started in
     * an unchecked fixture): the counters they read are the ones the serving threads write. It
     * holds no pointer, so LeakSanitizer (which does not scan it) loses track of nothing. */
    struct counters *c;
    atomic_bool stopping;
    /* Built once at start: the multi-shard repos' shards and indexes (FAM_GPTOSS120, _QWEN3FP8). */
    char *shard[4][24];
    size_t shard_len[4][24];
    char *index[4];
};

/* A growing header: {"__metadata__":..., "name": {dtype, shape, data_offsets}, ...}. */
struct gen {
    char *s;
    size_t len, cap;
    uint64_t off; /* data bytes so far: the next tensor's begin */
};

static void put(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (g->len + (size_t)n + 1 > g->cap) {
        g->cap = (g->len + (size_t)n + 1) * 2;
        g->s = realloc(g->s, g->cap);
    }
    va_start(ap, fmt);
    vsnprintf(g->s + g->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    g->len += (size_t)n;
}

/* One tensor of nd dimensions at bits per element. */
static void t(struct gen *g, const char *name, const char *dtype, unsigned bits, int nd,
              const uint64_t *shape)
{
    uint64_t n = 1;
    put(g, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", name, dtype);
    for (int i = 0; i < nd; i++) {
        put(g, "%s%llu", i ? "," : "", (unsigned long long)shape[i]);
        n *= shape[i];
    }
    uint64_t bytes = (n * bits + 7) / 8;
    put(g, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)g->off,
        (unsigned long long)(g->off + bytes));
    g->off += bytes;
}

#define S(...)                                                                                     \
    (sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t)), (uint64_t[])                           \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

/* gpt-oss (E experts): hidden 2880, 64 query heads and 8 KV heads of 64, vocab 201088. */
static void gptoss_layer(struct gen *g, int l, uint64_t e)
{
    char n[160];
#define L(suffix, dtype, bits, ...)                                                                \
    snprintf(n, sizeof(n), "model.layers.%d.%s", l, suffix);                                       \
    t(g, n, dtype, bits, S(__VA_ARGS__))
    L("input_layernorm.weight", "BF16", 16, 2880);
    L("post_attention_layernorm.weight", "BF16", 16, 2880);
    L("self_attn.q_proj.weight", "BF16", 16, 4096, 2880);
    L("self_attn.q_proj.bias", "BF16", 16, 4096);
    L("self_attn.k_proj.weight", "BF16", 16, 512, 2880);
    L("self_attn.k_proj.bias", "BF16", 16, 512);
    L("self_attn.v_proj.weight", "BF16", 16, 512, 2880);
    L("self_attn.v_proj.bias", "BF16", 16, 512);
    L("self_attn.o_proj.weight", "BF16", 16, 2880, 4096);
    L("self_attn.o_proj.bias", "BF16", 16, 2880);
    L("self_attn.sinks", "BF16", 16, 64);
    L("mlp.router.weight", "BF16", 16, e, 2880);
    L("mlp.router.bias", "BF16", 16, e);
    L("mlp.experts.gate_up_proj_blocks", "U8", 8, e, 5760, 90, 16);
    L("mlp.experts.gate_up_proj_scales", "U8", 8, e, 5760, 90);
    L("mlp.experts.gate_up_proj_bias", "BF16", 16, e, 5760);
    L("mlp.experts.down_proj_blocks", "U8", 8, e, 2880, 90, 16);
    L("mlp.experts.down_proj_scales", "U8", 8, e, 2880, 90);
    L("mlp.experts.down_proj_bias", "BF16", 16, e, 2880);
}

/* A 128x128-block FP8 linear (out x in) and its F32 weight_scale_inv. */
static void fp8(struct gen *g, const char *name, uint64_t out, uint64_t in)
{
    char n[200];
    snprintf(n, sizeof(n), "%s.weight", name);
    t(g, n, "F8_E4M3", 8, S(out, in));
    snprintf(n, sizeof(n), "%s.weight_scale_inv", name);
    t(g, n, "F32", 32, S((out + 127) / 128, (in + 127) / 128));
}

/* Qwen3-235B-A22B-FP8: hidden 4096, 64 query / 4 KV heads of 128, 128 experts of 1536. */
static void qwen3_layer(struct gen *g, int l)
{
    char n[200];
    static const char *const proj[] = {"q_proj", "k_proj", "v_proj", "o_proj"};
    static const uint64_t out[] = {8192, 512, 512, 4096}, in[] = {4096, 4096, 4096, 8192};
    snprintf(n, sizeof(n), "model.layers.%d.input_layernorm.weight", l);
    t(g, n, "BF16", 16, S(4096));
    snprintf(n, sizeof(n), "model.layers.%d.post_attention_layernorm.weight", l);
    t(g, n, "BF16", 16, S(4096));
    for (int i = 0; i < 4; i++) {
        snprintf(n, sizeof(n), "model.layers.%d.self_attn.%s", l, proj[i]);
        fp8(g, n, out[i], in[i]);
    }
    snprintf(n, sizeof(n), "model.layers.%d.self_attn.q_norm.weight", l);
    t(g, n, "BF16", 16, S(128));
    snprintf(n, sizeof(n), "model.layers.%d.self_attn.k_norm.weight", l);
    t(g, n, "BF16", 16, S(128));
    snprintf(n, sizeof(n), "model.layers.%d.mlp.gate.weight", l);
    t(g, n, "BF16", 16, S(128, 4096));
    for (int e = 0; e < 128; e++) {
        snprintf(n, sizeof(n), "model.layers.%d.mlp.experts.%d.gate_proj", l, e);
        fp8(g, n, 1536, 4096);
        snprintf(n, sizeof(n), "model.layers.%d.mlp.experts.%d.up_proj", l, e);
        fp8(g, n, 1536, 4096);
        snprintf(n, sizeof(n), "model.layers.%d.mlp.experts.%d.down_proj", l, e);
        fp8(g, n, 4096, 1536);
    }
}

/* FAM_NEMOTRONH: config.json only (its text holds Python's bare Infinity), no weights. */
enum family { FAM_NONE, FAM_GPTOSS120, FAM_GPTOSS20, FAM_QWEN3FP8, FAM_NEMOTRONH };

static enum family family_of(const char *repo)
{
    if (strcmp(repo, "hub-mirror/gpt-oss-120b") == 0)
        return FAM_GPTOSS120;
    if (strcmp(repo, "hub-mirror/Qwen3-235B-A22B-FP8") == 0)
        return FAM_QWEN3FP8;
    if (strcmp(repo, "hub-mirror/Nemotron-H-56B-Base-8K") == 0)
        return FAM_NEMOTRONH;
    if (strncmp(repo, "acme/", 5) == 0)
        return FAM_GPTOSS20;
    return FAM_NONE;
}

static int nshards(enum family f)
{
    return f == FAM_GPTOSS120 ? 2 : f == FAM_QWEN3FP8 ? 6 : 1;
}

/* The header of shard i of f (or of the whole model for one-file repos), with its data bytes. */
static void build(enum family f, int shard, struct gen *g)
{
    int layers = f == FAM_QWEN3FP8 ? 94 : f == FAM_GPTOSS120 ? 36 : 24;
    int per = (layers + nshards(f) - 1) / nshards(f);
    uint64_t hidden = f == FAM_QWEN3FP8 ? 4096 : 2880, vocab = f == FAM_QWEN3FP8 ? 151936 : 201088;
    bool last = shard == nshards(f) - 1;
    put(g, "{\"__metadata__\":{\"format\":\"pt\"}");
    if (shard == 0)
        t(g, "model.embed_tokens.weight", "BF16", 16, S(vocab, hidden));
    for (int l = shard * per; l < (shard + 1) * per && l < layers; l++) {
        if (f == FAM_QWEN3FP8)
            qwen3_layer(g, l);
        else
            gptoss_layer(g, l, f == FAM_GPTOSS120 ? 128 : 32);
    }
    if (last) {
        t(g, "model.norm.weight", "BF16", 16, S(hidden));
        t(g, "lm_head.weight", "BF16", 16, S(vocab, hidden));
    }
    put(g, "}");
}

char *fakehub_shard(const char *repo, int shard, size_t *len)
{
    struct gen g = {0};
    enum family f = family_of(repo);
    build(f == FAM_NONE ? FAM_GPTOSS20 : f, shard, &g);
    char *out = malloc(8 + g.len);
    uint64_t n = g.len;
    for (int i = 0; i < 8; i++)
        out[i] = (char)((n >> (8 * i)) & 0xff);
    memcpy(out + 8, g.s, g.len);
    free(g.s);
    *len = 8 + g.len;
    return out;
}

uint64_t fakehub_expected_bytes(const char *repo)
{
    enum family f = family_of(repo);
    uint64_t total = 0;
    for (int i = 0; i < nshards(f); i++) {
        struct gen g = {0};
        build(f, i, &g);
        total += g.off;
        free(g.s);
    }
    return total;
}

static char *index_json(const char *repo)
{
    enum family f = family_of(repo);
    struct gen idx = {0};
    put(&idx, "{\"metadata\":{\"total_size\":%llu},\"weight_map\":{",
        (unsigned long long)fakehub_expected_bytes(repo));
    bool first = true;
    for (int i = 0; i < nshards(f); i++) {
        struct gen g = {0};
        build(f, i, &g);
        /* Every tensor name of the shard maps to its file (names are the header's keys). */
        for (char *p = strstr(g.s, "},\""); p; p = strstr(p + 3, "},\"")) {
            char *end = strchr(p + 3, '"');
            put(&idx, "%s\"%.*s\":\"model-%05d-of-%05d.safetensors\"", first ? "" : ",",
                (int)(end - p - 3), p + 3, i + 1, nshards(f));
            first = false;
        }
        free(g.s);
    }
    put(&idx, "}}");
    return idx.s;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body,
                             size_t len, const char *const *headers)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
    for (int i = 0; headers && headers[i]; i += 2)
        MHD_add_response_header(r, headers[i], headers[i + 1]);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A Range request ("bytes=a-b") over data[len]: 206 with the clipped part, else 200. */
static enum MHD_Result send_range(struct MHD_Connection *c, const char *data, size_t len)
{
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    unsigned long long a = 0, b = 0;
    if (range == NULL || sscanf(range, "bytes=%llu-%llu", &a, &b) != 2)
        return reply(c, 200, data, len, NULL);
    if (a >= len)
        return reply(c, 416, "", 0, NULL);
    if (b >= len)
        b = len - 1;
    char cr[96];
    snprintf(cr, sizeof(cr), "bytes %llu-%llu/%zu", a, b, len);
    const char *h[] = {"Content-Range", cr, NULL};
    return reply(c, 206, data + a, (size_t)(b - a + 1), h);
}

static void nap(struct fakehub *h, int ms)
{
    for (int i = 0; i < ms / 25 && !atomic_load(&h->stopping); i++) {
        struct timespec ts = {0, 25 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* A broken model.safetensors: cut short, or announcing a huge header. */
static char *broken(const char *repo, size_t *len)
{
    char *d = fakehub_shard(repo, 0, len);
    if (strcmp(repo, "acme/truncated") == 0) {
        *len = 8 + (*len - 8) / 2;
    } else if (strcmp(repo, "acme/huge") == 0) {
        uint64_t n = 200000000;
        for (int i = 0; i < 8; i++)
            d[i] = (char)((n >> (8 * i)) & 0xff);
    }
    return d;
}

static enum MHD_Result serve_file(struct fakehub *h, struct MHD_Connection *c, const char *repo,
                                  const char *file)
{
    static const char *const commit[] = {"X-Repo-Commit", FAKEHUB_COMMIT, NULL};
    enum family f = family_of(repo);
    char path[512];
    if (strcmp(file, "config.json") == 0) {
        static const char *const names[] = {[FAM_GPTOSS120] = "openai--gpt-oss-120b",
                                            [FAM_GPTOSS20] = "openai--gpt-oss-20b",
                                            [FAM_QWEN3FP8] = "Qwen--Qwen3-235B-A22B-FP8",
                                            [FAM_NEMOTRONH] = "nvidia--Nemotron-H-56B-Base-8K"};
        if (strcmp(repo, "acme/slow") == 0) /* past the suite's --hf-timeout (fakehub.h) */
            nap(h, fakehub_under_memcheck() ? 60000 : 12000);
        snprintf(path, sizeof(path), "%s/hub/%s.config.json", TEST_DATA_DIR, names[f]);
        size_t len = 0;
        char *cfg = testfile_read(path, &len);
        enum MHD_Result r = reply(c, 200, cfg ? cfg : "", cfg ? len : 0, commit);
        free(cfg);
        return r;
    }
    if (strcmp(file, "model.safetensors.index.json") == 0 && nshards(f) > 1)
        return reply(c, 200, h->index[f], strlen(h->index[f]), commit);
    if (strcmp(repo, "acme/noweights") == 0 || f == FAM_NEMOTRONH ||
        strcmp(file, "hf_quant_config.json") == 0 ||
        strcmp(file, "model.safetensors.index.json") == 0)
        return reply(c, 404, "Entry not found", 15,
                     (const char *const[]){"X-Error-Code", "EntryNotFound", NULL});
    int shard = 0, of = 0;
    if (strcmp(file, "model.safetensors") != 0 &&
        (sscanf(file, "model-%d-of-%d.safetensors", &shard, &of) != 2 || shard < 1 ||
         shard > nshards(f)))
        return reply(c, 404, "Entry not found", 15, NULL);
    if (f == FAM_GPTOSS120) { /* large files live on the CDN: a redirect there */
        char loc[512];
        snprintf(loc, sizeof(loc), "http://localhost:%d/cdn/%s/%s", h->cdn_port, repo, file);
        const char *hd[] = {"Location", loc, "X-Repo-Commit", FAKEHUB_COMMIT, NULL};
        return reply(c, 302, "", 0, hd);
    }
    if (f == FAM_QWEN3FP8) {
        int now = atomic_fetch_add(&h->c->inflight, 1) + 1, seen = atomic_load(&h->c->max_inflight);
        while (now > seen && !atomic_compare_exchange_weak(&h->c->max_inflight, &seen, now))
            ;
        for (int waited = 0;
             !atomic_load(&h->c->overlapped) && atomic_load(&h->c->inflight) < 2 &&
             waited < (fakehub_under_memcheck() ? 10000 : 3000) && !atomic_load(&h->stopping);
             waited += 25)
            nap(h, 25);
        if (atomic_load(&h->c->inflight) >= 2)
            atomic_store(&h->c->overlapped, true);
        enum MHD_Result r = send_range(c, h->shard[f][shard - 1], h->shard_len[f][shard - 1]);
        atomic_fetch_sub(&h->c->inflight, 1);
        return r;
    }
    if (f != FAM_GPTOSS20)
        return send_range(c, h->shard[f][shard - 1], h->shard_len[f][shard - 1]);
    size_t len = 0;
    char *d = broken(repo, &len);
    enum MHD_Result r = send_range(c, d, len);
    free(d);
    return r;
}

static enum MHD_Result on_hub(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    (void)method, (void)version, (void)upload, (void)upload_size;
    struct fakehub *h = cls;
    if (*req_cls == NULL) {
        *req_cls = h;
        return MHD_YES;
    }
    atomic_fetch_add(&h->c->requests, 1);
    char org[64], name[96], rev[160], file[200], repo[200];
    if (sscanf(url, "/%63[^/]/%95[^/]/resolve/%159[^/]/%199s", org, name, rev, file) != 4)
        return reply(c, 404, "no", 2, NULL);
    snprintf(repo, sizeof(repo), "%s/%s", org, name);
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (strcmp(repo, "acme/gated") == 0 &&
        (auth == NULL || strcmp(auth, "Bearer " FAKEHUB_TOKEN) != 0))
        return reply(c, 401, "gated", 5, (const char *const[]){"X-Error-Code", "GatedRepo", NULL});
    if (family_of(repo) == FAM_NONE)
        return reply(c, 401, "Repository not found", 20,
                     (const char *const[]){"X-Error-Code", "RepoNotFound", NULL});
    return serve_file(h, c, repo, file);
}

static enum MHD_Result on_cdn(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req_cls)
{
    (void)method, (void)version, (void)upload, (void)upload_size;
    struct fakehub *h = cls;
    if (*req_cls == NULL) {
        *req_cls = h;
        return MHD_YES;
    }
    if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization") != NULL)
        atomic_fetch_add(&h->c->cdn_auth, 1);
    char org[64], name[96], repo[200];
    int shard = 0, of = 0;
    if (sscanf(url, "/cdn/%63[^/]/%95[^/]/model-%d-of-%d.safetensors", org, name, &shard, &of) != 4)
        return reply(c, 404, "no", 2, NULL);
    snprintf(repo, sizeof(repo), "%s/%s", org, name);
    enum family f = family_of(repo);
    if (f != FAM_GPTOSS120 || shard < 1 || shard > nshards(f))
        return reply(c, 404, "no", 2, NULL);
    return send_range(c, h->shard[f][shard - 1], h->shard_len[f][shard - 1]);
}

struct fakehub *fakehub_start(void)
{
    struct fakehub *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->c = mmap(NULL, sizeof(*h->c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (h->c == MAP_FAILED) {
        free(h);
        return NULL;
    }
    memset(h->c, 0, sizeof(*h->c));
    static const char *const multi[] = {[FAM_GPTOSS120] = "hub-mirror/gpt-oss-120b",
                                        [FAM_QWEN3FP8] = "hub-mirror/Qwen3-235B-A22B-FP8"};
    for (int f = FAM_GPTOSS120; f <= FAM_QWEN3FP8; f++) {
        if (multi[f] == NULL)
            continue;
        h->index[f] = index_json(multi[f]);
        for (int i = 0; i < nshards((enum family)f); i++)
            h->shard[f][i] = fakehub_shard(multi[f], i, &h->shard_len[f][i]);
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    h->hub = MHD_start_daemon(flags, 0, NULL, NULL, on_hub, h, MHD_OPTION_CONNECTION_TIMEOUT,
                              (unsigned)30, MHD_OPTION_END);
    h->cdn = MHD_start_daemon(flags, 0, NULL, NULL, on_cdn, h, MHD_OPTION_CONNECTION_TIMEOUT,
                              (unsigned)30, MHD_OPTION_END);
    if (h->hub == NULL || h->cdn == NULL) {
        fakehub_stop(h);
        return NULL;
    }
    h->port = MHD_get_daemon_info(h->hub, MHD_DAEMON_INFO_BIND_PORT)->port;
    h->cdn_port = MHD_get_daemon_info(h->cdn, MHD_DAEMON_INFO_BIND_PORT)->port;
    return h;
}

void fakehub_stop(struct fakehub *h)
{
    if (h == NULL)
        return;
    atomic_store(&h->stopping, true);
    if (h->hub)
        MHD_stop_daemon(h->hub);
    if (h->cdn)
        MHD_stop_daemon(h->cdn);
    for (int f = 0; f < 4; f++) {
        free(h->index[f]);
        for (int i = 0; i < 24; i++)
            free(h->shard[f][i]);
    }
    munmap(h->c, sizeof(*h->c));
    free(h);
}

void fakehub_endpoint(const struct fakehub *h, char *dst, size_t n)
{
    snprintf(dst, n, "http://127.0.0.1:%d", h->port);
}

void fakehub_cdn_host(const struct fakehub *h, char *dst, size_t n)
{
    snprintf(dst, n, "localhost:%d", h->cdn_port);
}

unsigned fakehub_requests(struct fakehub *h)
{
    return atomic_load(&h->c->requests);
}

int fakehub_max_shard_reads(struct fakehub *h)
{
    return atomic_load(&h->c->max_inflight);
}

unsigned fakehub_cdn_auth_seen(struct fakehub *h)
{
    return atomic_load(&h->c->cdn_auth);
}

bool fakehub_under_memcheck(void)
{
    return getenv("VALGRIND_REAL_BIN") != NULL; /* set by tools/valgrind-suite.sh */
}

int fakehub_hf_timeout_s(void)
{
    /* Under memcheck the fake Hub (in the test process) and the server run ~20x slower: a
     * six-shard resolution took more than 8 s there. */
    return fakehub_under_memcheck() ? 50 : 8;
}
