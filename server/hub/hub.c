/* hub.c - Hugging Face Hub resolution: config, index and shard headers by Range, cached. */
#define _GNU_SOURCE /* O_NOFOLLOW, O_CLOEXEC */
#include "hub/hub.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/jsonfix.h"
#include "fetch/fetch.h"
#include "runtime/log.h"

/* Connect timeout per request, within the whole resolution's budget. */
#define HUB_CONNECT_TIMEOUT_S 5L
/* Largest disk cache file read back (a summary and two configs). */
#define HUB_MAX_CACHE_FILE (4u * 1024 * 1024)

struct box {
    struct hub_model m; /* first: a struct hub_model * is a struct box * */
    atomic_int refs;
};

struct entry {
    char key[HUB_MAX_REPO + HUB_MAX_REVISION + 2]; /* "repo@revision"; "" = free slot */
    struct box *model;                             /* NULL while pending or after a failure */
    bool pending;
    struct error_info err; /* the failure, when model is NULL and not pending */
    int retry_after_s;
    double expires, born; /* monotonic seconds */
};

struct hub {
    char endpoint[512];
    char cdn_hosts[512];
    char token[4100];
    char cache_dir[512];
    char helper[4096];
    int ttl_s, timeout_s;
    const atomic_bool *cancel;
    pthread_mutex_t lock;
    pthread_cond_t done; /* a pending entry finished */
    struct entry entries[HUB_CACHE_ENTRIES];
    atomic_ulong upstream;
};

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct hub *hub_new(const struct hub_config *cfg)
{
    struct hub *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    snprintf(h->endpoint, sizeof(h->endpoint), "%s", cfg->endpoint ? cfg->endpoint : "");
    size_t n = strlen(h->endpoint);
    while (n > 0 && h->endpoint[n - 1] == '/') /* "https://hub/" and "https://hub" alike */
        h->endpoint[--n] = '\0';
    snprintf(h->cdn_hosts, sizeof(h->cdn_hosts), "%s", cfg->cdn_hosts ? cfg->cdn_hosts : "");
    snprintf(h->token, sizeof(h->token), "%s", cfg->token ? cfg->token : "");
    snprintf(h->cache_dir, sizeof(h->cache_dir), "%s", cfg->cache_dir ? cfg->cache_dir : "");
    snprintf(h->helper, sizeof(h->helper), "%s", cfg->helper ? cfg->helper : "");
    h->ttl_s = cfg->cache_ttl_s > 0 ? cfg->cache_ttl_s : 1;
    h->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 1;
    h->cancel = cfg->cancel;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->done, NULL);
    atomic_init(&h->upstream, 0);
    return h;
}

void hub_release(const struct hub_model *m)
{
    struct box *b = (struct box *)(uintptr_t)m;
    if (b == NULL || atomic_fetch_sub(&b->refs, 1) != 1)
        return;
    json_decref(b->m.config);
    json_decref(b->m.quant_config);
    free(b);
}

void hub_free(struct hub *h)
{
    if (h == NULL)
        return;
    for (int i = 0; i < HUB_CACHE_ENTRIES; i++)
        if (h->entries[i].model != NULL) /* &NULL->m is undefined behaviour (UBSan) */
            hub_release(&h->entries[i].model->m);
    pthread_cond_destroy(&h->done);
    pthread_mutex_destroy(&h->lock);
    memset(h->token, 0, sizeof(h->token));
    free(h);
}

bool hub_enabled(const struct hub *h)
{
    return h != NULL && h->endpoint[0] != '\0';
}

unsigned long hub_upstream_requests(const struct hub *h)
{
    return atomic_load(&h->upstream);
}

/* A Hub repo id: "org/name", each part [A-Za-z0-9._-], not starting with '.' or '-' (the Hub's
 * own rule, huggingface_hub validate_repo_id), no "..", at most HUB_MAX_REPO bytes. */
static bool repo_ok(const char *s)
{
    const char *slash = strchr(s, '/');
    size_t n = strlen(s);
    if (slash == NULL || strchr(slash + 1, '/') != NULL || n > HUB_MAX_REPO || slash == s ||
        slash[1] == '\0' || strstr(s, "..") != NULL)
        return false;
    for (const char *p = s; *p; p++) {
        bool first = p == s || p == slash + 1;
        if (p == slash)
            continue;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              (!first && (*p == '.' || *p == '_' || *p == '-'))))
            return false;
    }
    return true;
}

/* A revision (branch, tag, commit, "refs/pr/N"): [A-Za-z0-9._/-], no "..", no leading '/'. */
static bool revision_ok(const char *s)
{
    if (s[0] == '\0' || s[0] == '/' || strlen(s) > HUB_MAX_REVISION || strstr(s, "..") != NULL)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-' || *p == '/'))
            return false;
    return true;
}

/* One resolution in progress: where to fetch, until when, and what was found. */
struct job {
    struct hub *h;
    struct fetcher *f;
    const char *repo;
    char rev[3 * HUB_MAX_REVISION + 1]; /* URL-encoded: '/' as %2F ("refs%2Fpr%2F10") */
    double deadline;
    struct hub_model *m;
};

enum { GET_OK = 0, GET_FAILED = -1, GET_TIMEOUT = -2 };

/* GET <endpoint>/<repo>/resolve/<rev>/<file> (range: "a-b" or NULL), any status answered.
 * GET_OK with *resp, GET_FAILED (transport; errbuf) or GET_TIMEOUT (budget spent). */
static int get(struct job *j, const char *file, const char *range, size_t max,
               struct fetch_response *resp, char *errbuf, size_t errlen)
{
    char url[1200];
    double left = j->deadline - mono_s();
    if (left < 1)
        return GET_TIMEOUT;
    snprintf(url, sizeof(url), "%s/%s/resolve/%s/%s", j->h->endpoint, j->repo, j->rev, file);
    struct fetch_request req = {
        .url = url,
        .max_bytes = max,
        .connect_timeout_s = left < HUB_CONNECT_TIMEOUT_S ? (long)left : HUB_CONNECT_TIMEOUT_S,
        .timeout_s = (long)left,
        .origin = j->h->endpoint,
        .range = range,
        .bearer = j->h->token,
        .redirect_hosts = j->h->cdn_hosts,
        .any_status = true,
        .capture = {"X-Repo-Commit", "X-Error-Code"},
    };
    atomic_fetch_add(&j->h->upstream, 1);
    if (fetch_get(j->f, &req, resp, errbuf, errlen) == 0)
        return GET_OK;
    return mono_s() >= j->deadline - 0.5 ? GET_TIMEOUT : GET_FAILED;
}

static int unavailable(struct job *j, struct error_info *err, const char *why)
{
    return error_set(err, 503, "hub_unavailable", "model",
                     "the Hugging Face Hub (%.80s) did not answer for %.96s: %.160s; retry later",
                     j->h->endpoint, j->repo, why);
}

/* A non-2xx answer to config.json as the error a client can act on. */
static int status_error(struct job *j, const struct fetch_response *r, struct error_info *err)
{
    const char *code = r->captured[1];
    if (strcmp(code, "RepoNotFound") == 0 || r->status == 404)
        return error_set(err, 422, "unknown_model", "model",
                         "no Hugging Face repo \"%.96s\" with a config.json at revision "
                         "\"%.64s\" (a private repo looks the same without a token)",
                         j->repo, j->m->revision);
    if (r->status == 401 || r->status == 403)
        return error_set(err, 403, "model_gated", "model",
                         "the Hub refused %.96s (HTTP %ld%s%.40s): it is gated or private; "
                         "accept its terms on huggingface.co, then give the vramfit server a "
                         "token with access (HF_TOKEN or --hf-token-file)",
                         j->repo, r->status, code[0] ? ", " : "", code);
    if (r->status == 429 || r->status >= 500)
        return error_set(err, 503, "hub_unavailable", "model",
                         "the Hugging Face Hub answered HTTP %ld for %.96s; retry later", r->status,
                         j->repo);
    return error_set(err, 502, "hub_error", "model",
                     "the Hugging Face Hub answered HTTP %ld for %.96s's config.json", r->status,
                     j->repo);
}

/*
 * A JSON object from body, or NULL. transformers saves float('inf') as Python's bare Infinity
 * (nvidia/Nemotron-H-56B-Base-8K's time_step_limit), which JSON refuses: such a file is read with
 * those tokens as null (base/jsonfix.h; the decoders never read them).
 */
static json_t *object_of(const struct fetch_response *r)
{
    json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, NULL);
    char *fixed = NULL;
    size_t fixed_len = 0;
    if (j == NULL && r->body && jsonfix_nonfinite(r->body, r->len, NULL, &fixed, &fixed_len) > 0)
        j = json_loadb(fixed, fixed_len, JSON_REJECT_DUPLICATES, NULL);
    free(fixed);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* A commit id as the Hub sends it: 7..64 hex digits (a 40-digit sha-1 today). */
static bool hex_ok(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n >= 7 && n <= 64 && s[n] == '\0';
}

/* config.json (required) and hf_quant_config.json (optional). 0 or -EINVAL with err. */
static int fetch_configs(struct job *j, struct error_info *err)
{
    struct fetch_response r;
    char why[700];
    int g = get(j, "config.json", NULL, HUB_MAX_JSON_BYTES, &r, why, sizeof(why));
    if (g != GET_OK)
        return unavailable(j, err, g == GET_TIMEOUT ? "out of time" : why);
    int rc = 0;
    if (r.status != 200) {
        rc = status_error(j, &r, err);
    } else if ((j->m->config = object_of(&r)) == NULL) {
        rc = error_set(err, 502, "hub_error", "model", "%.96s's config.json is not a JSON object",
                       j->repo);
    } else {
        if (hex_ok(r.captured[0]))
            snprintf(j->m->commit, sizeof(j->m->commit), "%.64s", r.captured[0]);
        /* Every later file at the same commit, so a push in between cannot mix two versions. */
        if (j->m->commit[0])
            snprintf(j->rev, sizeof(j->rev), "%s", j->m->commit);
    }
    fetch_response_free(&r);
    if (rc < 0)
        return rc;
    g = get(j, "hf_quant_config.json", NULL, HUB_MAX_JSON_BYTES, &r, why, sizeof(why));
    if (g == GET_OK && r.status == 200)
        j->m->quant_config = object_of(&r);
    if (g == GET_OK)
        fetch_response_free(&r);
    return 0;
}

/* One shard's header added to *acc. 0; -EINVAL with err for an unusable header (the caller
 * falls back to the config); GET_TIMEOUT/GET_FAILED with why for transport trouble. */
static int shard_header(struct job *j, const char *file, long long layers, struct st_summary *acc,
                        char *why, size_t n, struct error_info *err)
{
    struct fetch_response r, r2 = {0};
    char range[64];
    snprintf(range, sizeof(range), "0-%u", HUB_PROBE_BYTES - 1);
    int g = get(j, file, range, HUB_PROBE_BYTES, &r, why, n);
    if (g != GET_OK)
        return g;
    uint64_t len = 0;
    int rc = 0;
    if (r.status != 206 && r.status != 200) {
        rc = error_set(err, 422, "invalid_checkpoint", NULL, "HTTP %ld for %.100s", r.status, file);
    } else if (r.len < 8) {
        rc =
            error_set(err, 422, "invalid_checkpoint", NULL, "%.100s is shorter than 8 bytes", file);
    } else if ((rc = st_header_length((const unsigned char *)r.body, HUB_MAX_HEADER_BYTES, &len,
                                      err)) == 0 &&
               8 + len > r.len) {
        snprintf(range, sizeof(range), "8-%llu", (unsigned long long)(8 + len - 1));
        g = r.len < HUB_PROBE_BYTES ? GET_OK : get(j, file, range, (size_t)len, &r2, why, n);
        if (g != GET_OK) {
            rc = g;
        } else if (r.len < HUB_PROBE_BYTES || r2.status != 206 || r2.len != len) {
            rc = error_set(err, 422, "invalid_checkpoint", NULL,
                           "the header of %.100s is cut short (%llu bytes announced)", file,
                           (unsigned long long)len);
        } else {
            rc = st_header_add(r2.body, r2.len, layers, acc, err);
        }
    } else if (rc == 0) {
        rc = st_header_add(r.body + 8, (size_t)len, layers, acc, err);
    }
    if (rc == -EINVAL && err->message[0] == '\0')
        snprintf(err->message, sizeof(err->message), "unreadable header in %.100s", file);
    fetch_response_free(&r);
    fetch_response_free(&r2);
    return rc;
}

/* The decoder's layer count (text_config's for multimodal configs), 0 when unknown. */
static long long num_layers(const json_t *config)
{
    const json_t *v = json_object_get(config, "num_hidden_layers");
    if (v == NULL)
        v = json_object_get(json_object_get(config, "text_config"), "num_hidden_layers");
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* Falls back to config-only counting, saying why. */
static void no_tensors(struct job *j, const char *why)
{
    j->m->has_tensors = false;
    memset(&j->m->tensors, 0, sizeof(j->m->tensors));
    snprintf(j->m->note, sizeof(j->m->note), "weights counted from config.json: %s", why);
}

/*
 * Shard headers read at once. Each reader runs its own vramfit-fetch process (a fetcher serves
 * one thread); the bound keeps DeepSeek-V3's 163 shards from starting 163 helpers and holding
 * 163 headers (up to HUB_MAX_HEADER_BYTES each) at a time.
 */
#define HUB_SHARD_READERS 4

/* The shards of one checkpoint, taken in index order by the readers. */
struct shard_run {
    const struct st_index *ix;
    long long layers;
    atomic_size_t next;
    atomic_bool stop; /* a shard failed: take no more */
};

/* One reader: its own job (a copy with its own fetcher), sum, and first failure. */
struct shard_reader {
    struct shard_run *run;
    struct job j;
    struct st_summary sum;
    size_t fail_at; /* the lowest shard index that failed here, or SIZE_MAX */
    int fail_rc;
    char why[700];
    struct error_info err;
    pthread_t thread;
};

static void *shard_reader_main(void *arg)
{
    struct shard_reader *r = arg;
    struct shard_run *run = r->run;
    for (;;) {
        if (atomic_load(&run->stop))
            break;
        size_t i = atomic_fetch_add(&run->next, 1);
        if (i >= run->ix->nshards)
            break;
        char why[700] = ""; /* shard_header fills it only for a transport failure */
        struct error_info err;
        error_clear(&err);
        int rc =
            shard_header(&r->j, run->ix->shards[i], run->layers, &r->sum, why, sizeof(why), &err);
        if (rc != 0 && i < r->fail_at) {
            r->fail_at = i;
            r->fail_rc = rc;
            snprintf(r->why, sizeof(r->why), "%s", why);
            r->err = err;
            atomic_store(&run->stop, true);
        }
    }
    return NULL;
}

static void summary_add(struct st_summary *acc, const struct st_summary *s)
{
    acc->tensors += s->tensors;
    acc->bytes += s->bytes;
    for (int i = 0; i < ST_PART_COUNT; i++) {
        acc->part_bytes[i] += s->part_bytes[i];
        acc->part_elements[i] += s->part_elements[i];
    }
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        acc->dtype_bytes[i] += s->dtype_bytes[i];
}

/*
 * Every shard header of ix into j->m->tensors, HUB_SHARD_READERS at a time. A shard is taken only
 * after every lower one was, and a reader finishes the shard it took, so the lowest failing
 * shard - the one reported, as a sequential read would - is the same on every run. 0, or that
 * shard's GET_TIMEOUT / GET_FAILED (why) or -EINVAL (err) and *at its index.
 */
static int read_shards(struct job *j, const struct st_index *ix, long long layers, char *why,
                       size_t n, struct error_info *err, size_t *at)
{
    struct shard_run run = {.ix = ix, .layers = layers};
    struct shard_reader *rd = calloc(HUB_SHARD_READERS, sizeof(*rd));
    size_t nr = 0, want = ix->nshards < HUB_SHARD_READERS ? ix->nshards : HUB_SHARD_READERS;
    if (rd == NULL)
        return error_set(err, 500, "internal", NULL, "out of memory reading shard headers");
    atomic_init(&run.next, 0);
    atomic_init(&run.stop, false);
    for (size_t k = 0; k < want; k++) {
        rd[k] = (struct shard_reader){.run = &run, .j = *j, .fail_at = SIZE_MAX};
        /* Reader 0 uses the job's own fetcher; the others their own (none: fewer readers). */
        if (k > 0 &&
            (rd[k].j.f = fetch_new(j->h->helper[0] ? j->h->helper : NULL, j->h->cancel)) == NULL)
            break;
        if (k > 0 && pthread_create(&rd[k].thread, NULL, shard_reader_main, &rd[k]) != 0) {
            fetch_free(rd[k].j.f);
            break;
        }
        nr = k + 1;
    }
    shard_reader_main(&rd[0]); /* the calling thread reads too */
    size_t first = 0;
    for (size_t k = 0; k < nr; k++) {
        if (k > 0) {
            pthread_join(rd[k].thread, NULL);
            fetch_free(rd[k].j.f);
        }
        summary_add(&j->m->tensors, &rd[k].sum);
        if (rd[k].fail_at < rd[first].fail_at)
            first = k;
    }
    int rc = 0;
    if (rd[first].fail_at != SIZE_MAX) {
        rc = rd[first].fail_rc;
        *at = rd[first].fail_at;
        snprintf(why, n, "%s", rd[first].why);
        *err = rd[first].err;
    } else if (j->m->tensors.tensors >= ST_MAX_TENSORS) {
        rc = error_set(err, 422, "invalid_checkpoint", NULL,
                       "the checkpoint has more than %u tensors", ST_MAX_TENSORS);
        *at = 0;
    }
    free(rd);
    return rc;
}

/* The index (or the single model.safetensors) and every shard's header. 0, or -EINVAL with err
 * only for transport trouble (503); a checkpoint that cannot be read falls back with a note. */
static int fetch_tensors(struct job *j, struct error_info *err)
{
    struct fetch_response r;
    struct st_index ix = {0};
    char why[700];
    struct error_info perr;
    error_clear(&perr);
    int g = get(j, "model.safetensors.index.json", NULL, HUB_MAX_JSON_BYTES, &r, why, sizeof(why));
    if (g != GET_OK)
        return unavailable(j, err, g == GET_TIMEOUT ? "out of time" : why);
    int rc = 0;
    const bool indexed = r.status == 200;
    if (indexed) {
        if (st_index_parse(r.body, r.len, &ix, &perr) < 0)
            ix.nshards = 0;
    } else if ((ix.shards = calloc(1, sizeof(char *))) != NULL &&
               (ix.shards[0] = strdup("model.safetensors")) != NULL) {
        ix.nshards = 1; /* no index: a single-file checkpoint, if any */
    }
    fetch_response_free(&r);
    if (ix.nshards == 0) {
        no_tensors(j, perr.message[0] ? perr.message : "model.safetensors.index.json unusable");
        goto out;
    }
    j->m->index_total = ix.total_size;
    long long layers = num_layers(j->m->config);
    size_t at = 0;
    rc = read_shards(j, &ix, layers, why, sizeof(why), &perr, &at);
    if (rc == GET_TIMEOUT || rc == GET_FAILED) {
        rc = unavailable(j, err, rc == GET_TIMEOUT ? "out of time" : why);
        goto out;
    }
    if (rc < 0) {
        bool none = !indexed && at == 0 && strstr(perr.message, "HTTP 404") != NULL;
        no_tensors(j, none ? "the repo has no safetensors checkpoint" : perr.message);
        rc = 0;
        goto out;
    }
    j->m->has_tensors = true;
    j->m->shards = (unsigned)ix.nshards;
    if (ix.total_size && ix.total_size != j->m->tensors.bytes)
        snprintf(j->m->note, sizeof(j->m->note),
                 "the index's metadata.total_size (%llu) differs from the headers' %llu bytes; "
                 "the headers are used",
                 (unsigned long long)ix.total_size, (unsigned long long)j->m->tensors.bytes);
out:
    st_index_free(&ix);
    return rc;
}

/* Fetches repo@revision from the Hub into a new box (refs 1). 0 or -EINVAL with err. */
static int resolve_fresh(struct hub *h, const char *repo, const char *revision, struct box **out,
                         struct error_info *err)
{
    struct box *b = calloc(1, sizeof(*b));
    struct job j = {.h = h, .repo = repo, .deadline = mono_s() + h->timeout_s};
    if (b == NULL || (j.f = fetch_new(h->helper[0] ? h->helper : NULL, h->cancel)) == NULL) {
        free(b);
        return error_set(err, 500, "internal", NULL, "out of memory resolving %.96s", repo);
    }
    atomic_init(&b->refs, 1);
    j.m = &b->m;
    snprintf(b->m.repo, sizeof(b->m.repo), "%s", repo);
    snprintf(b->m.revision, sizeof(b->m.revision), "%s", revision);
    size_t o = 0;
    for (const char *p = revision; *p && o + 4 < sizeof(j.rev); p++)
        o += (size_t)snprintf(j.rev + o, sizeof(j.rev) - o, *p == '/' ? "%%2F" : "%c", *p);
    int rc = fetch_configs(&j, err);
    if (rc == 0)
        rc = fetch_tensors(&j, err);
    fetch_free(j.f);
    if (rc < 0) {
        b->refs = 0;
        json_decref(b->m.config);
        json_decref(b->m.quant_config);
        free(b);
        return rc;
    }
    snprintf(b->m.source, sizeof(b->m.source), "hub@%s",
             b->m.commit[0] ? b->m.commit : b->m.revision);
    *out = b;
    return 0;
}

/* The disk cache file of key: <dir>/<FNV-1a 64 of key>.json (a name that cannot escape dir). */
static void cache_path(const struct hub *h, const char *key, char *dst, size_t n)
{
    uint64_t x = 1469598103934665603ull; /* FNV-1a 64-bit offset basis and prime (IETF draft) */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        x = (x ^ *p) * 1099511628211ull;
    snprintf(dst, n, "%s/hub-%016llx.json", h->cache_dir, (unsigned long long)x);
}

static json_t *model_to_json(const struct hub_model *m, time_t saved)
{
    json_t *t = m->has_tensors ? st_summary_to_json(&m->tensors) : json_null();
    return json_pack("{s:s, s:s, s:s, s:O, s:O?, s:o, s:I, s:I, s:s, s:I}", "repo", m->repo,
                     "revision", m->revision, "commit", m->commit, "config", m->config,
                     "quant_config", m->quant_config, "tensors", t, "shards", (json_int_t)m->shards,
                     "index_total", (json_int_t)m->index_total, "note", m->note, "saved_at",
                     (json_int_t)saved);
}

/* Reads key's cache file when it is a regular file (not followed through a symlink), fresh
 * (saved_at within the TTL) and for this key. A box (refs 1) or NULL. */
static struct box *disk_load(struct hub *h, const char *repo, const char *revision)
{
    char path[700], key[HUB_MAX_REPO + HUB_MAX_REVISION + 2];
    struct buf b;
    struct stat sb;
    snprintf(key, sizeof(key), "%s@%s", repo, revision);
    cache_path(h, key, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    buf_init(&b, HUB_MAX_CACHE_FILE);
    bool ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
    for (char chunk[16384]; ok;) {
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got <= 0) {
            ok = got == 0;
            break;
        }
        ok = buf_append(&b, chunk, (size_t)got) == 0;
    }
    close(fd);
    json_t *j = ok ? json_loadb(b.data ? b.data : "", b.len, 0, NULL) : NULL;
    buf_free(&b);
    struct box *x = calloc(1, sizeof(*x));
    const char *r = NULL, *rv = NULL, *c = NULL, *note = NULL;
    json_t *cfg = NULL, *q = NULL, *t = NULL;
    json_int_t shards = 0, total = 0, saved = 0;
    ok =
        x && j &&
        json_unpack(j, "{s:s, s:s, s:s, s:o, s?o, s:o, s:I, s:I, s:s, s:I}", "repo", &r, "revision",
                    &rv, "commit", &c, "config", &cfg, "quant_config", &q, "tensors", &t, "shards",
                    &shards, "index_total", &total, "note", &note, "saved_at", &saved) == 0 &&
        strcmp(r, repo) == 0 && strcmp(rv, revision) == 0 && json_is_object(cfg) &&
        (double)(time(NULL) - saved) < h->ttl_s && shards >= 0 && total >= 0 &&
        (json_is_null(t) || st_summary_from_json(t, &x->m.tensors) == 0);
    if (ok) {
        atomic_init(&x->refs, 1);
        snprintf(x->m.repo, sizeof(x->m.repo), "%s", r);
        snprintf(x->m.revision, sizeof(x->m.revision), "%s", rv);
        snprintf(x->m.commit, sizeof(x->m.commit), "%.64s", c);
        snprintf(x->m.note, sizeof(x->m.note), "%s", note);
        snprintf(x->m.source, sizeof(x->m.source), "hub@%s", c[0] ? c : rv);
        x->m.config = json_incref(cfg);
        x->m.quant_config = json_is_object(q) ? json_incref(q) : NULL;
        x->m.has_tensors = !json_is_null(t);
        x->m.shards = (unsigned)shards;
        x->m.index_total = (unsigned long long)total;
        x->m.from_disk = true;
    } else {
        free(x);
        x = NULL;
    }
    json_decref(j);
    return x;
}

/* Writes m's cache file atomically: an exclusive temporary beside it (mkstemp), fsync, rename,
 * as the catalog cache does (server/refresh/refresh.c). Failures are logged, never fatal. */
static void disk_save(struct hub *h, const struct hub_model *m)
{
    char path[700], tmp[720], key[HUB_MAX_REPO + HUB_MAX_REVISION + 2];
    snprintf(key, sizeof(key), "%s@%s", m->repo, m->revision);
    cache_path(h, key, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
    json_t *j = model_to_json(m, time(NULL));
    int fd = j ? mkstemp(tmp) : -1;
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int rc = f && json_dumpf(j, f, JSON_COMPACT) == 0 && fflush(f) == 0 && fsync(fileno(f)) == 0
                 ? 0
                 : -1;
    if (f != NULL)
        rc |= fclose(f) == 0 ? 0 : -1;
    else if (fd >= 0)
        close(fd);
    if (fd >= 0 && (rc != 0 || rename(tmp, path) != 0)) {
        rc = -1;
        unlink(tmp);
    }
    if (rc != 0)
        log_event("warn", "hub_cache_write_failed",
                  json_pack("{s:s, s:s}", "path", path, "repo", m->repo));
    json_decref(j);
}

/* The entry for key, or a slot to reuse (free, else the oldest not pending); NULL if all pend.
 * Called with the lock held. */
static struct entry *slot_for(struct hub *h, const char *key, bool *found)
{
    struct entry *oldest = NULL;
    *found = false;
    for (int i = 0; i < HUB_CACHE_ENTRIES; i++) {
        struct entry *e = &h->entries[i];
        if (e->key[0] && strcmp(e->key, key) == 0) {
            *found = true;
            return e;
        }
        if (!e->pending &&
            (oldest == NULL || !e->key[0] || (oldest->key[0] && e->born < oldest->born)))
            oldest = e;
    }
    return oldest;
}

/* Takes a reference on a ready entry's result, or copies its failure. Lock held. */
static int take(struct entry *e, const struct hub_model **out, struct error_info *err,
                int *retry_after_s)
{
    if (e->model != NULL) {
        atomic_fetch_add(&e->model->refs, 1);
        *out = &e->model->m;
        return 0;
    }
    *err = e->err;
    *retry_after_s = e->retry_after_s;
    return -EINVAL;
}

/* Fills e (pending, lock released meanwhile) from disk or the Hub. Lock held on entry/exit. */
static void fill(struct hub *h, struct entry *e, const char *repo, const char *revision)
{
    struct box *b = NULL;
    struct error_info err;
    error_clear(&err);
    pthread_mutex_unlock(&h->lock);
    if (h->cache_dir[0])
        b = disk_load(h, repo, revision);
    int rc = b ? 0 : resolve_fresh(h, repo, revision, &b, &err);
    if (rc == 0 && h->cache_dir[0] && !b->m.from_disk)
        disk_save(h, &b->m);
    pthread_mutex_lock(&h->lock);
    double now = mono_s();
    e->pending = false;
    e->model = b;
    e->err = err;
    e->retry_after_s = err.status == 503 ? HUB_RETRY_AFTER_S : 0;
    e->born = now;
    e->expires = now + (rc == 0 ? h->ttl_s : HUB_NEGATIVE_TTL_S);
    pthread_cond_broadcast(&h->done);
}

int hub_resolve(struct hub *h, const char *repo, const char *revision, const struct hub_model **out,
                struct error_info *err, int *retry_after_s)
{
    char key[HUB_MAX_REPO + HUB_MAX_REVISION + 2];
    *retry_after_s = 0;
    if (revision == NULL || revision[0] == '\0')
        revision = "main";
    if (!repo_ok(repo))
        return error_set(err, 400, "invalid_value", "model",
                         "\"%.100s\" is neither a preset nor a Hugging Face repo id (org/name: "
                         "letters, digits, '.', '_', '-'; at most %d characters)",
                         repo, HUB_MAX_REPO);
    if (!revision_ok(revision))
        return error_set(err, 400, "invalid_value", "revision",
                         "revision must be a branch, tag or commit: letters, digits, '.', '_', "
                         "'-', '/' (at most %d characters, no \"..\")",
                         HUB_MAX_REVISION);
    snprintf(key, sizeof(key), "%s@%s", repo, revision);
    pthread_mutex_lock(&h->lock);
    for (;;) {
        bool found;
        struct entry *e = slot_for(h, key, &found);
        if (found && e->pending) { /* someone is fetching it: wait for that one fetch */
            pthread_cond_wait(&h->done, &h->lock);
            continue;
        }
        if (found && mono_s() < e->expires) {
            int rc = take(e, out, err, retry_after_s);
            pthread_mutex_unlock(&h->lock);
            return rc;
        }
        if (e == NULL) { /* every slot is being fetched: wait for one */
            pthread_cond_wait(&h->done, &h->lock);
            continue;
        }
        hub_release(e->model ? &e->model->m : NULL);
        memset(e, 0, sizeof(*e));
        snprintf(e->key, sizeof(e->key), "%s", key);
        e->pending = true;
        fill(h, e, repo, revision);
        int rc = take(e, out, err, retry_after_s);
        pthread_mutex_unlock(&h->lock);
        return rc;
    }
}
