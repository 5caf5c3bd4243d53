/* bodycache.h - a response body serialized once per (catalog snapshot, date) and shared by
 * requests. */
#ifndef VRAMFIT_BODYCACHE_H
#define VRAMFIT_BODYCACHE_H

#include <jansson.h>
#include <stddef.h>

#include "catalog.h"

struct body;
struct bodycache;

/* Builds the JSON for (cat, today): a new reference, or NULL on allocation failure. */
typedef json_t *(*bodycache_build_fn)(const struct catalog *cat, const char *today);

/* bodycache_new - an empty cache whose bodies come from build. NULL on allocation failure. */
struct bodycache *bodycache_new(bodycache_build_fn build);

/* bodycache_free - drops the cached body (requests still holding it keep it alive). Accepts NULL.
 */
void bodycache_free(struct bodycache *c);

/*
 * bodycache_get - the serialized body (compact JSON plus a trailing newline) for cat and today
 * ("YYYY-MM-DD"). Built on the first request after the snapshot or the date changes, then shared:
 * GET /skus costs a reference count instead of a JSON encoding. Returns a reference the caller
 * releases with body_release, or NULL on allocation failure. Thread-safe.
 */
struct body *bodycache_get(struct bodycache *c, struct catalog *cat, const char *today);

/* body_text - the bytes of b and their count. Valid while the caller's reference lasts. */
const char *body_text(const struct body *b, size_t *len);

/* body_release - drops one reference to b (a void * so it can be a response's free callback). */
void body_release(void *b);

#endif
