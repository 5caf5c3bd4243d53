/* buf.h - growable byte buffer with a mandatory hard cap (after curl's dynbuf). */
#ifndef VRAMFIT_BUF_H
#define VRAMFIT_BUF_H

#include <stddef.h>

struct buf {
    char *data; /* NUL-terminated when len > 0; NULL until the first append */
    size_t len; /* bytes stored, excluding the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard cap on len; appending past it fails */
};

/* buf_init - empty buffer that will never hold more than max bytes. Cannot fail. */
void buf_init(struct buf *b, size_t max);

/*
 * buf_append - appends n bytes. Returns 0, -E2BIG when len + n would exceed max (the buffer
 * is left unchanged so the caller can still report what it had), or -ENOMEM.
 */
int buf_append(struct buf *b, const void *p, size_t n);

/*
 * buf_reserve - makes room for n more bytes without changing the contents (fewer reallocations
 * when the final size is roughly known). Returns 0, -E2BIG past max, or -ENOMEM.
 */
int buf_reserve(struct buf *b, size_t n);

/* buf_printf - appends formatted text; same errors as buf_append. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* buf_detach - hands the storage to the caller (free() it); *len gets the length. b is reset. */
char *buf_detach(struct buf *b, size_t *len);

/* buf_free - releases the storage; b stays usable (empty, same max). Accepts NULL. */
void buf_free(struct buf *b);

#endif
