/* bodycache.c - one shared, reference-counted serialized body per (snapshot, date, variant). */
#include "http/bodycache.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
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
    char *tail;      /* the member appended after the built object's own ("" for none) */
    size_t base_len; /* text[0..base_len) is the built object without its closing brace */
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
    free(b->tail);
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

/* The body for base[0..base_len) (an object's text without its closing brace) with tail as one
 * more member: base,tail}\n (or {tail}\n for an empty object). Fills b->text, len, base_len and
 * tail; 0 or -ENOMEM. */
static int body_compose(struct body *b, const char *base, size_t base_len, const char *tail)
{
    size_t tl = strlen(tail);
    bool comma = tl > 0 && base_len > 1; /* "{" alone has no member to follow */
    char *text = malloc(base_len + comma + tl + 3);
    b->tail = strdup(tail);
    if (text == NULL || b->tail == NULL) {
        free(text);
        return -ENOMEM;
    }
    memcpy(text, base, base_len);
    size_t n = base_len;
    if (comma)
        text[n++] = ',';
    memcpy(text + n, tail, tl);
    n += tl;
    /* "}" and the newline every reply ends with (keeps shell prompts tidy after curl). */
    memcpy(text + n, "}\n", 3);
    b->text = text;
    b->len = n + 2;
    b->base_len = base_len;
    return 0;
}

static struct body *body_new(struct catalog *cat, const char *today, const char *variant)
{
    struct body *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    b->variant = strdup(variant);
    if (b->variant == NULL) {
        free(b);
        return NULL;
    }
    b->cat = catalog_ref(cat);
    snprintf(b->today, sizeof(b->today), "%s", today);
    atomic_init(&b->refs, 1);
    return b;
}

static struct body *body_build(struct catalog *cat, const char *today, const char *variant,
                               const char *tail, bodycache_build_fn build, void *build_ctx)
{
    struct body *b = body_new(cat, today, variant);
    if (b == NULL)
        return NULL;
    json_t *j = build(cat, today, build_ctx, b->etag);
    size_t len = 0;
    char *text = j ? jsonout_dumps(j, 0, &len) : NULL;
    int rc = -ENOMEM;
    if (text != NULL && json_is_object(j)) {
        rc = body_compose(b, text, len - 1, tail); /* the tail goes before the closing '}' */
    } else if (text != NULL && tail[0] == '\0') {  /* any other value, as it is */
        char *nl = realloc(text, len + 2);
        b->tail = strdup("");
        if (nl != NULL && b->tail != NULL) {
            memcpy(nl + len, "\n", 2);
            b->text = nl;
            b->len = len + 1;
            text = NULL;
            rc = 0;
        } else if (nl != NULL) {
            text = nl;
        }
    }
    json_decref(j);
    free(text);
    if (rc < 0) {
        body_release(b);
        return NULL;
    }
    return b;
}

/* Like from, whose built part is reused (a copy, not a rebuild), with another tail. */
static struct body *body_retail(const struct body *from, const char *tail)
{
    struct body *b = body_new(from->cat, from->today, from->variant);
    if (b == NULL)
        return NULL;
    memcpy(b->etag, from->etag, sizeof(b->etag));
    if (body_compose(b, from->text, from->base_len, tail) < 0) {
        body_release(b);
        return NULL;
    }
    return b;
}

struct body *bodycache_get(struct bodycache *c, struct catalog *cat, const char *today,
                           const char *variant, const char *tail, bodycache_build_fn build,
                           void *build_ctx)
{
    tail = tail ? tail : "";
    pthread_mutex_lock(&c->lock);
    struct body *b = c->current;
    bool same = b != NULL && b->cat == cat && strcmp(b->today, today) == 0 &&
                strcmp(b->variant, variant) == 0;
    if (same && strcmp(b->tail, tail) == 0) {
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
        pthread_mutex_unlock(&c->lock);
        return b;
    }
    same = same && b->base_len > 0; /* an object's text: another tail can be spliced in */
    if (same)                       /* kept alive while it is copied outside the lock */
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&c->lock);

    /* Miss: only the tail changed (a copy of the text), or a new snapshot, day or variant (a
     * build). Both run outside the lock; if two requests race here both work and the later one
     * is kept, which is harmless. */
    struct body *nb =
        same ? body_retail(b, tail) : body_build(cat, today, variant, tail, build, build_ctx);
    if (same)
        body_release(b);
    if (nb == NULL)
        return NULL;
    atomic_fetch_add_explicit(&nb->refs, 1, memory_order_relaxed); /* the caller's */
    pthread_mutex_lock(&c->lock);
    struct body *old = c->current;
    c->current = nb;
    pthread_mutex_unlock(&c->lock);
    body_release(old);
    return nb;
}
