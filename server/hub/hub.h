/* hub.h - resolves a Hugging Face repo id into its config and tensor table through vramfit-fetch.
 */
#ifndef VRAMFIT_HUB_H
#define VRAMFIT_HUB_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "model/safetensors.h"

/* Largest config.json / hf_quant_config.json / model.safetensors.index.json accepted. The
 * largest index we know (DeepSeek-V3, about 92,000 tensors) is about 9 MB. */
#define HUB_MAX_JSON_BYTES (16u * 1024 * 1024)
/* Largest safetensors header read per shard: a shard of DeepSeek-V3 has under 2,000 tensors,
 * about 300 KB of header; the format's own cap (ST_MAX_HEADER_BYTES) is far above what a
 * 128 MiB server should parse. */
#define HUB_MAX_HEADER_BYTES (16u * 1024 * 1024)
/* First read of each shard: the length and, most often, the whole header in one request. */
#define HUB_PROBE_BYTES (256u * 1024)
/* Resolved repos kept in memory; the oldest is dropped first. */
#define HUB_CACHE_ENTRIES 64
/* A failure (missing, gated, unreachable) is remembered this long, so a burst of requests for
 * the same repo makes one round of upstream requests. */
#define HUB_NEGATIVE_TTL_S 10
/* Retry-After sent with a 503 when the Hub could not be reached. */
#define HUB_RETRY_AFTER_S 30
/* Longest repo id ("org/name") and revision accepted. */
#define HUB_MAX_REPO     96
#define HUB_MAX_REVISION 128

struct hub_config {
    const char *endpoint;      /* "https://huggingface.co"; "" turns resolution off */
    const char *cdn_hosts;     /* comma-separated hosts redirects may go to (the Hub's CDN) */
    const char *token;         /* "" = none; copied; sent only to the endpoint's origin */
    const char *cache_dir;     /* "" = memory only */
    int cache_ttl_s;           /* how long a resolved repo is reused */
    int timeout_s;             /* the whole cold resolution, every request included */
    const char *helper;        /* vramfit-fetch's path; NULL = beside this executable */
    const atomic_bool *cancel; /* shutdown: kills a fetch in progress; may be NULL */
};

/* One resolved repo. Immutable once returned; shared by every request that uses it. */
struct hub_model {
    char repo[HUB_MAX_REPO + 1];
    char revision[HUB_MAX_REVISION + 1]; /* as asked ("main" when none was) */
    char commit[65];                     /* X-Repo-Commit (hex), "" when the Hub did not say */
    char source[HUB_MAX_REVISION + 8];   /* "hub@<commit>" (or "hub@<revision>") */
    json_t *config;                      /* config.json */
    json_t *quant_config;                /* hf_quant_config.json, or NULL */
    bool has_tensors;                    /* tensors holds the checkpoint's table */
    struct st_summary tensors;
    unsigned shards;
    unsigned long long index_total; /* metadata.total_size, 0 when absent */
    /* Why the tensor table is missing or differs; "" if none. Holds a whole error message. */
    char note[sizeof(((struct error_info *)0)->message) + 64];
    bool from_disk; /* read back from the cache directory */
};

struct hub;

/* hub_new - a resolver; NULL on allocation failure. The configuration's strings are copied. */
struct hub *hub_new(const struct hub_config *cfg);

/* hub_free - frees h (no resolution may be in progress). Accepts NULL. */
void hub_free(struct hub *h);

/* hub_enabled - false when no endpoint is configured (repo ids are then unknown models). */
bool hub_enabled(const struct hub *h);

/*
 * hub_resolve - the repo's config and tensor table at revision (NULL or "" = "main"), from the
 * memory cache, the disk cache, or the Hub (bounded by timeout_s; concurrent callers for the
 * same repo and revision wait for one fetch). On 0, *out is a reference the caller releases with
 * hub_release. Errors (-EINVAL, err filled; *retry_after_s set for 503):
 *   400 invalid_value (repo id or revision malformed), 422 unknown_model (no such repo),
 *   403 model_gated (a token with access is needed), 503 hub_unavailable (unreachable, timed
 *   out, rate limited), 502 hub_error (the Hub answered something unusable).
 * A repo without safetensors, or whose headers cannot be read, resolves with has_tensors false
 * and a note. Safe from many threads.
 */
int hub_resolve(struct hub *h, const char *repo, const char *revision, const struct hub_model **out,
                struct error_info *err, int *retry_after_s);

/* hub_release - drops a reference from hub_resolve. Accepts NULL. */
void hub_release(const struct hub_model *m);

/* hub_upstream_requests - requests made to the Hub so far (tests and metrics). */
unsigned long hub_upstream_requests(const struct hub *h);

#endif
