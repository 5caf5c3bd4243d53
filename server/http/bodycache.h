/* bodycache.h - a response body serialized once per (catalog snapshot, date, variant), shared. */
#ifndef VRAMFIT_BODYCACHE_H
#define VRAMFIT_BODYCACHE_H

#include <jansson.h>
#include <stddef.h>

#include "azure/catalog.h"

struct body;
struct bodycache;

/*
 * Builds the JSON for (cat, today) with the caller's ctx: a new reference, or NULL on failure.
 * It may write an ETag (NUL-terminated) into etag[48]; it starts as "".
 */
typedef json_t *(*bodycache_build_fn)(const struct catalog *cat, const char *today, void *ctx,
                                      char etag[48]);

/* bodycache_new - an empty cache. NULL on allocation failure. */
struct bodycache *bodycache_new(void);

/* bodycache_free - drops the cached body (requests still holding it keep it alive). Accepts NULL.
 */
void bodycache_free(struct bodycache *c);

/*
 * bodycache_get - the serialized body (compact JSON plus a trailing newline) for cat, today
 * ("YYYY-MM-DD") and variant (any string naming whatever else the body depends on, e.g. the
 * refresher's status), with tail (NULL or "" for none: e.g. "\"age_seconds\":12") appended as the
 * object's last member. Built with build(cat, today, build_ctx, etag) on the first request after
 * cat, today or variant change, then shared: a request costs a reference count instead of a JSON
 * encoding. When only tail changed, the cached text is copied with the new tail instead of being
 * rebuilt (a 4,096-size /skus: a few ms and one copy instead of a second and a jansson tree). A
 * non-object body takes no tail. Returns a reference the caller releases with body_release, or
 * NULL on allocation failure (then the caller encodes the body itself). Thread-safe.
 */
struct body *bodycache_get(struct bodycache *c, struct catalog *cat, const char *today,
                           const char *variant, const char *tail, bodycache_build_fn build,
                           void *build_ctx);

/* body_text - the bytes of b and their count. Valid while the caller's reference lasts. */
const char *body_text(const struct body *b, size_t *len);

/* body_etag - the ETag the build function gave ("" for none). Valid as body_text. */
const char *body_etag(const struct body *b);

/* body_release - drops one reference to b (a void * so it can be a response's free callback). */
void body_release(void *b);

#endif
