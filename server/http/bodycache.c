/* bodycache.c - one shared, reference-counted serialized body per (snapshot, date, variant). */
#include "http/bodycache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonout.h"

struct body {
    atomic_int refs;
    struct catalog *cat; /* a reference: the snapshot (and its address) outlives the body */
    char today[11];
    char *variant;
    char etag[48];
    size_t len;
    char *text;
};

struct bodycache {
    pthread_mutex_t lock; /* guards current; held only to compare keys and take a reference */
    struct body *current;
};

struct bodycache *bodycache_new(void)
{
    struct bodycache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void body_release(void *p)
{
    struct body *b = p;
    if (b == NULL || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    catalog_unref(b->cat);
    free(b->variant);
    free(b->text);
    free(b);
}

void bodycache_free(struct bodycache *c)
{
    if (c == NULL)
        return;
    body_release(c->current);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

const char *body_text(const struct body *b, size_t *len)
{
    *len = b->len;
    return b->text;
}

const char *body_etag(const struct body *b)
{
    return b->etag;
}

static struct body *body_build(struct catalog *cat, const char *today, const char *variant,
                               bodycache_build_fn build, void *build_ctx)
{
    struct body *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->variant = strdup(variant);
    json_t *j = b->variant ? build(cat, today, build_ctx, b->etag) : NULL;
    size_t len = 0;
    char *text = j ? jsonout_dumps(j, 0, &len) : NULL;
    json_decref(j);
    char *nl = text ? realloc(text, len + 2) : NULL;
    if (nl == NULL) {
        free(text);
        free(b->variant);
        free(b);
        return NULL;
    }
    nl[len] = '\n'; /* as every other reply: keeps shell prompts tidy after curl */
    nl[len + 1] = '\0';
    b->text = nl;
    b->len = len + 1;
    b->cat = catalog_ref(cat);
    snprintf(b->today, sizeof(b->today), "%s", today);
    atomic_init(&b->refs, 1);
    return b;
}

struct body *bodycache_get(struct bodycache *c, struct catalog *cat, const char *today,
                           const char *variant, bodycache_build_fn build, void *build_ctx)
{
    pthread_mutex_lock(&c->lock);
    struct body *b = c->current;
    if (b != NULL && b->cat == cat && strcmp(b->today, today) == 0 &&
        strcmp(b->variant, variant) == 0) {
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
        pthread_mutex_unlock(&c->lock);
        return b;
    }
    pthread_mutex_unlock(&c->lock);

    /* Miss (new snapshot, day or variant): build outside the lock; if two requests race here
     * both build and the later one is kept, which is harmless. */
    b = body_build(cat, today, variant, build, build_ctx);
    if (b == NULL)
        return NULL;
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed); /* the caller's */
    pthread_mutex_lock(&c->lock);
    struct body *old = c->current;
    c->current = b;
    pthread_mutex_unlock(&c->lock);
    body_release(old);
    return b;
}
