/* store.c - publishes catalog snapshots; a mutex guards only the pointer copy and the refcount
 * bump. */
#include "runtime/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct store {
    pthread_mutex_t lock;
    struct catalog *current;
    double published_at;
    json_t *status;
};

struct store *store_new(void)
{
    struct store *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    pthread_mutex_init(&st->lock, NULL);
    return st;
}

void store_free(struct store *st)
{
    if (st == NULL)
        return;
    catalog_unref(st->current);
    json_decref(st->status);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

struct catalog *store_acquire(struct store *st)
{
    pthread_mutex_lock(&st->lock);
    struct catalog *cat = catalog_ref(st->current);
    pthread_mutex_unlock(&st->lock);
    return cat;
}

double store_published_at(struct store *st)
{
    pthread_mutex_lock(&st->lock);
    double t = st->current ? st->published_at : 0;
    pthread_mutex_unlock(&st->lock);
    return t;
}

void store_publish(struct store *st, struct catalog *cat, json_t *status)
{
    pthread_mutex_lock(&st->lock);
    struct catalog *old = NULL;
    if (cat != NULL) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        old = st->current;
        st->current = cat;
        st->published_at = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    }
    json_t *old_status = st->status;
    st->status = status;
    pthread_mutex_unlock(&st->lock);
    catalog_unref(old);
    json_decref(old_status);
}

struct catalog *store_acquire_status(struct store *st, json_t **status)
{
    pthread_mutex_lock(&st->lock);
    struct catalog *cat = catalog_ref(st->current);
    /* A private copy: jansson's json_decref reads the count non-atomically (ThreadSanitizer
     * flags it), so a published object's count is only ever touched by the store. */
    *status = st->status ? json_deep_copy(st->status) : NULL;
    pthread_mutex_unlock(&st->lock);
    return cat;
}
