/* fixture.h - a local upstream for refresh tests: catalog + paged price feed, with failure modes.
 */
#ifndef VRAMFIT_FIXTURE_H
#define VRAMFIT_FIXTURE_H

#include <stddef.h>

enum fixture_mode {
    FIXTURE_OK,
    FIXTURE_500,      /* HTTP 500 with a text body */
    FIXTURE_HANG,     /* never answers (until the fixture stops) */
    FIXTURE_GARBAGE,  /* 200 with an HTML body */
    FIXTURE_TRUNCATE, /* announces the full length, sends half, closes */
    FIXTURE_OVERSIZE, /* 200, chunked, 64 MiB: far over any cap */
    FIXTURE_EMPTY,    /* 200, a valid but empty page / an invalid catalog (see fixture.c) */
    FIXTURE_OBS_TEXT, /* as OK, but the ETag and Last-Modified hold bytes 0x80-0xFF (obs-text) */
    FIXTURE_NOT_MODIFIED,       /* 304 to every request, conditional or not */
    FIXTURE_NOT_MODIFIED_PAGE2, /* prices: page 1 as OK, 304 for page 2 */
    FIXTURE_REDIRECT_AWAY, /* prices: page 2 is a 302 to the same page on http://localhost:PORT */
    FIXTURE_REDIRECT_HOME, /* prices: page 2 is a 302 to /prices-moved on the same origin */
    FIXTURE_PAGE_CYCLE,    /* prices: page 2 links to a page 3 that links back to page 2 */
    FIXTURE_ALL_RETIRED,   /* catalog: the OK catalog with every size retired in 2020 */
};

enum fixture_path { FIXTURE_CATALOG, FIXTURE_PRICES };

struct fixture;

/* fixture_start - serves /catalog (tests/data/catalog-url-a.json, ETag "a") and /prices (the two
 * GPU pages, page 1 linking to page 2) on 127.0.0.1 and an ephemeral port. NULL on failure. */
struct fixture *fixture_start(void);
int fixture_port(const struct fixture *f);
/* fixture_url - "http://127.0.0.1:PORT/catalog" or ".../prices" into dst. */
void fixture_url(const struct fixture *f, enum fixture_path p, char *dst, size_t n);
/* fixture_set_catalog - serves tests/data/<file> from now on under ETag "<etag>". */
void fixture_set_catalog(struct fixture *f, const char *file, const char *etag);
void fixture_set_mode(struct fixture *f, enum fixture_path p, enum fixture_mode m);
/* fixture_requests / fixture_not_modified - requests seen and 304s answered on p. */
unsigned fixture_requests(struct fixture *f, enum fixture_path p);
unsigned fixture_not_modified(struct fixture *f, enum fixture_path p);
/* fixture_last_filter - the decoded $filter of the last first-page price request (copied). */
void fixture_last_filter(struct fixture *f, char *dst, size_t n);
void fixture_stop(struct fixture *f);

#endif
