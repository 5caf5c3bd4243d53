/* notes.h - the "assumptions" of an answer, gathered while computing and written at the end. */
#ifndef VRAMFIT_NOTES_H
#define VRAMFIT_NOTES_H

#include <stddef.h>

#include "base/buf.h"
#include "base/jsonout.h"

/* One note is cut at this many bytes (the longest written today, a vLLM version's source, is
 * about 450): a hard cap, not a length anyone should reach. */
#define NOTES_ONE_MAX 1024
/* All notes of one answer together: a hard cap far above the 30 or so an answer can gather. */
#define NOTES_MAX_BYTES (16u * 1024)

/*
 * The notes as NUL-terminated texts back to back in one buffer. The first error (-E2BIG past
 * NOTES_MAX_BYTES, -ENOMEM) sticks in rc and is reported by notes_write, so callers add notes
 * without checking each one.
 */
struct notes {
    struct buf text;
    size_t n;
    int rc;
};

/* notes_init - an empty list. Cannot fail. */
void notes_init(struct notes *n);

/* notes_add - appends one note (printf format, cut at NOTES_ONE_MAX - 1 bytes). */
void notes_add(struct notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* notes_write - writes the notes as an array of strings into w. Returns 0, or the first error
 * notes_add met (w is then left untouched). */
int notes_write(const struct notes *n, struct jsonout *w);

/* notes_free - releases the storage. Accepts a list never added to. */
void notes_free(struct notes *n);

#endif
