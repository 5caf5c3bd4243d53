/* refresh.h - the background refresher: catalog URL + Azure prices -> new snapshots, with status.
 */
#ifndef VRAMFIT_REFRESH_H
#define VRAMFIT_REFRESH_H

#include <stddef.h>

#include "azure/catalog.h"
#include "runtime/store.h"

/*
 * Largest catalog document (--catalog-url, --catalog-file; the cache may be twice it, prices
 * merged in) and price page accepted. Sized for the Deployment's 128 MiB memory limit
 * (deploy/deployment.yaml): resident memory grows with the catalog's bytes (its tree, each size's
 * API text, the /skus body), and a 16 MiB catalog of 4,096 sizes already peaked at 117 MiB with
 * /skus warm before any refresh doubled its documents (tests/server/check_memory.c measures the
 * largest legal one). The embedded catalog is 68 KB; Azure's price pages hold 100 items of about
 * 500 bytes (tests/data/prices-gpu-page1.json links $skip=100).
 */
#define REFRESH_MAX_CATALOG_BYTES (4u * 1024 * 1024)
#define REFRESH_MAX_PAGE_BYTES    (4u * 1024 * 1024)
#define REFRESH_MAX_PAGES         1000
/* First retry after a failure; doubles per consecutive failure, capped at the interval. */
#define REFRESH_BACKOFF_BASE_S 5.0

struct refresh_config {
    const char *catalog_url; /* "" = none: the base catalog's specs are kept */
    const char *prices_url;  /* "" = prices off */
    const char *regions;     /* comma-separated lower-case region names (validated) */
    int interval_s;          /* between successful refreshes (jittered +-10%) */
    int fetch_timeout_s;     /* whole-transfer limit per request */
    const char *cache_file;  /* "" = none */
    const char *today;       /* "YYYY-MM-DD" for retirement (--today); "" or NULL = UTC date */
};

struct refresher;

/*
 * refresh_start - publishes the first snapshot into st (the --cache-file when present and valid,
 * else base) with its status, then, when there is anything to refresh (catalog URL or prices),
 * starts the refresher thread, whose first refresh runs at once. base is consumed (its reference
 * is taken over). base_kind is "embedded" or "file", base_location the file path or "".
 * Returns 0 and *out, or -1 with a reason in errbuf (base released, nothing published).
 * Fetches run in the vramfit-fetch helper beside the executable (fetch.h).
 */
int refresh_start(const struct refresh_config *cfg, struct store *st, struct catalog *base,
                  const char *base_kind, const char *base_location, struct refresher **out,
                  char *errbuf, size_t errlen);

/* refresh_trigger - asks for a refresh now (SIGHUP). Never blocks on I/O. */
void refresh_trigger(struct refresher *r);

/*
 * refresh_stop - stops the thread (a transfer in progress is cancelled) and frees r. The store
 * keeps the last snapshot. Accepts NULL.
 */
void refresh_stop(struct refresher *r);

#endif
