/* store.h - the current catalog snapshot: readers take a reference, writers swap the pointer. */
#ifndef VRAMFIT_STORE_H
#define VRAMFIT_STORE_H

#include <jansson.h>

#include "azure/catalog.h"

struct store;

/* store_new - an empty store (no snapshot yet). NULL on allocation failure. */
struct store *store_new(void);

/* store_free - drops the store's reference to its snapshot and frees it. Accepts NULL. */
void store_free(struct store *st);

/*
 * store_acquire - a new reference to the current snapshot (catalog_unref it when done), or NULL
 * when none was ever set. Holds the lock only to copy the pointer and bump the count: never
 * waits on I/O.
 */
struct catalog *store_acquire(struct store *st);

/*
 * store_published_at - wall-clock time (Unix seconds) the current snapshot was swapped in, or 0
 * when none was ever set. Metrics derive the catalog's age from it.
 */
double store_published_at(struct store *st);

/*
 * store_publish - publishes cat as the current snapshot (consuming the caller's reference;
 * readers holding the previous one keep it alive) and replaces the provenance/status object (a JSON
 * object that is never modified once published; its reference is consumed). cat may be NULL to
 * replace only the status (the snapshot stays). Both change together: a reader never sees a new
 * status with an old snapshot.
 */
void store_publish(struct store *st, struct catalog *cat, json_t *status);

/*
 * store_acquire_status - like store_acquire, and *status gets a private copy of the current
 * status object (NULL when none was published or on allocation failure). json_decref it.
 */
struct catalog *store_acquire_status(struct store *st, json_t **status);

#endif
