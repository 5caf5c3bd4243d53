/* reqid.h - request ids: the caller's X-Request-Id when it is sane, else a fresh unique one. */
#ifndef VRAMFIT_REQID_H
#define VRAMFIT_REQID_H

#include <stddef.h>

/* Longest X-Request-Id taken from a caller; longer ones are replaced by a generated id. */
#define REQID_MAX 128

/*
 * reqid_pick - copies incoming (the X-Request-Id header, may be NULL) into dst when it has 1 to
 * REQID_MAX characters from [A-Za-z0-9._:/+=@-]; otherwise writes a new id: 16 hex digits,
 * unique within the process (a counter through a bijective mix) and random across processes.
 * dst must hold REQID_MAX + 1 bytes. Thread-safe.
 */
void reqid_pick(const char *incoming, char *dst);

#endif
