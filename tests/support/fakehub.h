/* fakehub.h - a Hugging Face Hub on loopback for the resolver's tests: real configs, synthetic
 * safetensors headers from real tensor names and shapes, Range, a CDN redirect, failure modes. */
#ifndef VRAMFIT_FAKEHUB_H
#define VRAMFIT_FAKEHUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The commit every repo of the fake Hub reports in X-Repo-Commit. */
#define FAKEHUB_COMMIT "0123456789abcdef0123456789abcdef01234567"
/* The token the gated repo accepts. */
#define FAKEHUB_TOKEN "hf_fakehubtoken0123456789"

/*
 * Repos served at http://127.0.0.1:PORT/<repo>/resolve/<rev>/<file>:
 *   openai/gpt-oss-120b        config + index, 2 shards, served by a 302 to the CDN host
 *                               (http://localhost:CDNPORT), which honours Range
 *   Qwen/Qwen3-235B-A22B-FP8    config + index, 6 shards (headers over the 256 KiB probe)
 *   acme/gated                  401 + X-Error-Code: GatedRepo without FAKEHUB_TOKEN, else
 *                               gpt-oss-20b in one model.safetensors
 *   acme/slow                   answers after 12 s
 *   acme/truncated, acme/huge   gpt-oss-20b config; model.safetensors whose header is cut short
 *                               / announces 200,000,000 bytes
 *   acme/noweights              config only (index and model.safetensors 404)
 *   anything else               401 + X-Error-Code: RepoNotFound (what the Hub says
 *                               without a token)
 */
struct fakehub;

struct fakehub *fakehub_start(void);
void fakehub_stop(struct fakehub *h);
/* "http://127.0.0.1:PORT" */
void fakehub_endpoint(const struct fakehub *h, char *dst, size_t n);
/* "localhost:CDNPORT" (for --hf-cdn-hosts) */
void fakehub_cdn_host(const struct fakehub *h, char *dst, size_t n);
/* Requests the Hub (not the CDN) answered so far. */
unsigned fakehub_requests(struct fakehub *h);
/* The most Qwen3-235B-A22B-FP8 shard reads the fake Hub served at once (the resolver's bound). */
int fakehub_max_shard_reads(struct fakehub *h);
/* Requests that reached the CDN carrying an Authorization header (must stay 0). */
unsigned fakehub_cdn_auth_seen(struct fakehub *h);
/* The exact tensor bytes the repo's headers describe (what the resolver must report). */
uint64_t fakehub_expected_bytes(const char *repo);
/* The shard bytes of the repo as served (8-byte length + header), for unit tests; malloc'd. */
char *fakehub_shard(const char *repo, int shard, size_t *len);

/*
 * fakehub_hf_timeout_s - the --hf-timeout the Hub suites run the server with: 8 s, or 50 s under
 * memcheck (make valgrind). The slow repo naps past it either way (12 s, or 60 s).
 */
int fakehub_hf_timeout_s(void);
bool fakehub_under_memcheck(void);

#endif
