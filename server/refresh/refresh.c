/* refresh.c - the refresher thread: fetch, validate and merge off to the side, then swap
 * atomically. */
#include "refresh/refresh.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "fetch/fetch.h"
#include "base/fields.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "azure/catalog.h"
#include "azure/retail.h"

#define CONNECT_TIMEOUT_S 10L

struct refresher {
    /* configuration (copied) */
    char catalog_url[1024];
    char prices_url[1024];
    char cache_file[512];
    char *regions[CATALOG_MAX_REGIONS];
    size_t nregions;
    double interval_s;
    long timeout_s;
    char today[CATALOG_DATE_SIZE]; /* --today, or "" for the UTC date */
    struct store *store;

    pthread_t thread;
    bool running;
    pthread_mutex_t lock; /* guards trigger and the condition variable only */
    pthread_cond_t cond;
    bool trigger;
    atomic_bool stop;

    /* Everything below belongs to the refresher thread (or to refresh_start before it runs). */
    struct fetcher *fetcher;
    json_t *spec_doc; /* the specs in use (no prices merged) */
    char spec_kind[16];
    char spec_location[1024];
    time_t spec_fetched; /* 0 = not fetched (embedded) */
    char cat_etag[256];
    char cat_lastmod[128];
    struct retail *prices; /* last good feed, or NULL */
    char prices_fetched_at[32];
    bool prices_stale;
    bool prices_single_page;
    char prices_etag[256];
    char prices_lastmod[128];
    unsigned failures;
    char last_error[2600];
    time_t last_error_at;
    time_t last_success;
    unsigned rand_state;
};

static void iso_time(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *iso_or_null(time_t t)
{
    char s[32];
    if (t == 0)
        return json_null();
    iso_time(t, s);
    return json_string(s);
}

static json_t *str_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

/* The provenance object /skus and /readyz show; immutable once published. */
static json_t *build_status(const struct refresher *r, time_t next_refresh)
{
    json_t *err = json_null();
    if (r->last_error[0])
        err =
            json_pack("{s:s, s:o}", "message", r->last_error, "at", iso_or_null(r->last_error_at));
    json_t *st = json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:f, s:I, s:o, s:b}", "source", r->spec_kind,
        "location", str_or_null(r->spec_location), "fetched_at", iso_or_null(r->spec_fetched),
        "etag", str_or_null(r->cat_etag), "last_error", err, "last_success_at",
        iso_or_null(r->last_success), "next_refresh_at", iso_or_null(next_refresh),
        "refresh_interval_s", r->interval_s, "consecutive_failures", (json_int_t)r->failures,
        "prices_url", str_or_null(r->prices_url), "prices_enabled", r->prices_url[0] != '\0');
    if (st != NULL && r->spec_fetched != 0)
        json_object_set_new(st, "fetched_at_unix", json_integer((json_int_t)r->spec_fetched));
    return st;
}

static double jitter(struct refresher *r, double base, double spread)
{
    double u = (double)rand_r(&r->rand_state) / (double)RAND_MAX; /* 0..1 */
    return base * (1.0 - spread + 2.0 * spread * u);
}

/*
 * Reads the cache file whole into *b (at most max bytes) and its mtime into *mtime. The file is
 * opened without following a symlink and without blocking (a FIFO planted there would hang
 * start-up before the port opens), and only a regular file is read. 0, or -errno with err.
 */
static int read_cache(const char *path, size_t max, struct buf *b, time_t *mtime, char *err,
                      size_t n)
{
    struct stat sb;
    int rc = 0;
    buf_init(b, max);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, n, "cannot open cache file %.300s: %s", path,
                 rc == -ELOOP ? "it is a symbolic link" : strerror(-rc));
        return rc;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, n, "cache file %.300s is not a regular file", path);
        close(fd);
        return -EINVAL;
    }
    for (;;) {
        char chunk[16384];
        ssize_t got = read(fd, chunk, sizeof(chunk));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = -errno;
            snprintf(err, n, "cannot read cache file %.300s: %s", path, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        if (buf_append(b, chunk, (size_t)got) < 0) {
            snprintf(err, n, "cache file %.300s is larger than %zu bytes", path, max);
            rc = -E2BIG;
            break;
        }
    }
    close(fd);
    if (rc == 0)
        *mtime = sb.st_mtime;
    return rc;
}

/*
 * Writes doc to path atomically: a new temporary file in the same directory, fsync, rename. The
 * temporary's name is unpredictable and created exclusively (mkstemp), so a symlink planted
 * beside the cache cannot redirect the write.
 */
static int write_cache(const char *path, const json_t *doc, char *err, size_t n)
{
    char tmp[600];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp)) {
        snprintf(err, n, "cannot write cache %.300s: path too long", path);
        return -1;
    }
    int fd = mkstemp(tmp); /* the fetch helper closes inherited descriptors itself */
    if (fd < 0) {
        snprintf(err, n, "cannot write cache %.300s: %s", tmp, strerror(errno));
        return -1;
    }
    /* mkstemp makes 0600; the cache holds public specs and prices, readable as before. */
    int rc = fchmod(fd, 0644) == 0 ? 0 : -1;
    FILE *f = rc == 0 ? fdopen(fd, "wb") : NULL;
    if (f == NULL) {
        close(fd);
        rc = -1;
    } else {
        rc = json_dumpf(doc, f, JSON_INDENT(1));
        if (rc == 0 && fflush(f) != 0)
            rc = -1;
        if (rc == 0 && fsync(fileno(f)) != 0)
            rc = -1;
        if (fclose(f) != 0)
            rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, n, "cannot write cache %.300s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

/* The URLs of the pages read so far: a NextPageLink back to any of them is a cycle. */
struct seen_pages {
    char *url[REFRESH_MAX_PAGES];
    size_t n;
};

static bool seen_before(const struct seen_pages *s, const char *url)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->url[i], url) == 0)
            return true;
    return false;
}

static void seen_free(struct seen_pages *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->url[i]);
    free(s);
}

/* Page `page` (0-based) answered 304: only the first page of a conditional request may, and
 * only while a feed is held; anything else would count as success with nothing loaded. */
static int prices_not_modified(const struct refresher *r, int page, bool conditional, char *err,
                               size_t n)
{
    if (page == 0 && conditional && r->prices != NULL)
        return 1;
    snprintf(err, n, "price page %d: 304 Not Modified to %s", page + 1,
             page > 0 ? "a request for a later page (nothing to reuse)"
                      : "an unconditional request (nothing to reuse)");
    return -1;
}

/* -1: failed (err says why); 0: new feed in *out; 1: unchanged (304). */
static int fetch_prices(struct refresher *r, struct retail **out, char *err, size_t n)
{
    struct retail *p = retail_new((const char *const *)r->regions, r->nregions);
    char *url = retail_query_url(r->prices_url, (const char *const *)r->regions, r->nregions);
    struct seen_pages *seen = calloc(1, sizeof(*seen));
    char etag[256] = "", lastmod[128] = "";
    int rc = -1, page = 0;
    if (p == NULL || url == NULL || seen == NULL) {
        snprintf(err, n, "out of memory");
        goto out;
    }
    /* Validators only prove a one-page feed unchanged; a multi-page feed is always re-read. */
    bool conditional = r->prices_single_page && r->prices != NULL;
    for (;; page++) {
        if (page >= REFRESH_MAX_PAGES) {
            snprintf(err, n, "price feed has more than %d pages; stopped", REFRESH_MAX_PAGES);
            goto out;
        }
        struct fetch_request fr = {.url = url,
                                   .etag = conditional && page == 0 ? r->prices_etag : NULL,
                                   .last_modified =
                                       conditional && page == 0 ? r->prices_lastmod : NULL,
                                   .max_bytes = REFRESH_MAX_PAGE_BYTES,
                                   .connect_timeout_s = CONNECT_TIMEOUT_S,
                                   .timeout_s = r->timeout_s,
                                   .origin = r->prices_url};
        struct fetch_response resp;
        char ferr[700];
        if (fetch_get(r->fetcher, &fr, &resp, ferr, sizeof(ferr)) < 0) {
            snprintf(err, n, "price page %d: %s", page + 1, ferr);
            goto out;
        }
        if (resp.status == 304) {
            rc = prices_not_modified(r, page, conditional, err, n);
            goto out;
        }
        if (page == 0) {
            snprintf(etag, sizeof(etag), "%s", resp.etag);
            snprintf(lastmod, sizeof(lastmod), "%s", resp.last_modified);
        }
        struct error_info e;
        error_clear(&e);
        char *next = NULL;
        int prc = retail_add_page(p, resp.body, resp.len, &next, &e);
        fetch_response_free(&resp);
        if (prc < 0) {
            snprintf(err, n, "price page %d from %.300s: %.300s", page + 1, url,
                     prc == -ENOMEM ? "out of memory" : e.message);
            goto out;
        }
        if (next == NULL)
            break;
        seen->url[seen->n++] = url;
        url = next;
        if (!retail_same_origin(r->prices_url, next) || seen_before(seen, next)) {
            snprintf(err, n, "price page %d: NextPageLink %.300s %s", page + 1, next,
                     seen_before(seen, next) ? "repeats an earlier page (a cycle)"
                                             : "leaves the feed's origin");
            goto out;
        }
    }
    if (retail_rows(p) == 0) {
        snprintf(err, n,
                 "price feed %.300s has no usable Linux pay-as-you-go hourly rows for the "
                 "configured regions (%zu items, all dropped)",
                 r->prices_url, retail_get_stats(p)->items);
        goto out;
    }
    snprintf(r->prices_etag, sizeof(r->prices_etag), "%s", etag);
    snprintf(r->prices_lastmod, sizeof(r->prices_lastmod), "%s", lastmod);
    r->prices_single_page = page == 0;
    *out = p;
    p = NULL;
    rc = 0;
out:
    if (seen != NULL)
        seen_free(seen);
    free(url);
    retail_free(p);
    return rc;
}

/* A catalog whose every size has retired offers nothing to choose, like an empty one: refused, so
 * that the last good catalog stays. 0 or -1 with err. */
static int refuse_all_retired(const struct refresher *r, const struct catalog *c, char *err,
                              size_t n)
{
    char today[CATALOG_DATE_SIZE];
    catalog_today(r->today, today);
    for (size_t i = 0; i < catalog_count(c); i++)
        if (!catalog_sku_retired(catalog_at(c, i), today))
            return 0;
    snprintf(err, n,
             "catalog from %.300s refused: all %zu sizes have retired (retires_on on or before "
             "%s); keeping the previous catalog",
             r->catalog_url, catalog_count(c), today);
    return -1;
}

/* -1: failed; 0: new specs in r->spec_doc; 1: unchanged. */
static int fetch_catalog(struct refresher *r, char *err, size_t n)
{
    /* Validators are held only after a catalog was loaded from this URL. */
    bool conditional = r->cat_etag[0] || r->cat_lastmod[0];
    struct fetch_request fr = {.url = r->catalog_url,
                               .etag = r->cat_etag,
                               .last_modified = r->cat_lastmod,
                               .max_bytes = REFRESH_MAX_CATALOG_BYTES,
                               .connect_timeout_s = CONNECT_TIMEOUT_S,
                               .timeout_s = r->timeout_s,
                               .origin = NULL};
    struct fetch_response resp;
    char ferr[700];
    if (fetch_get(r->fetcher, &fr, &resp, ferr, sizeof(ferr)) < 0) {
        snprintf(err, n, "catalog: %s", ferr);
        return -1;
    }
    if (resp.status == 304 && !conditional) {
        snprintf(err, n,
                 "catalog: 304 Not Modified from %.300s to an unconditional request "
                 "(nothing to reuse)",
                 r->catalog_url);
        return -1;
    }
    if (resp.status == 304) {
        r->spec_fetched = time(NULL);
        return 1;
    }
    struct catalog *c = NULL;
    struct error_info e;
    error_clear(&e);
    char label[1100];
    snprintf(label, sizeof(label), "url:%s", r->catalog_url);
    int rc = catalog_load(resp.body, resp.len, label, &c, &e);
    if (rc < 0) {
        snprintf(err, n, "catalog from %.300s refused: %.300s", r->catalog_url,
                 rc == -ENOMEM ? "out of memory" : e.message);
        fetch_response_free(&resp);
        return -1;
    }
    if (refuse_all_retired(r, c, err, n) < 0) {
        catalog_unref(c);
        fetch_response_free(&resp);
        return -1;
    }
    /* The validated document itself, shared and never changed (no copy: one tree, not two). */
    json_decref(r->spec_doc);
    r->spec_doc = json_incref(fields_mutable(catalog_document(c)));
    catalog_unref(c);
    snprintf(r->spec_kind, sizeof(r->spec_kind), "url");
    snprintf(r->spec_location, sizeof(r->spec_location), "%s", r->catalog_url);
    snprintf(r->cat_etag, sizeof(r->cat_etag), "%s", resp.etag);
    snprintf(r->cat_lastmod, sizeof(r->cat_lastmod), "%s", resp.last_modified);
    r->spec_fetched = time(NULL);
    fetch_response_free(&resp);
    return 0;
}

/* Builds and validates the merged snapshot off to the side. 0 and *out, or -1 with err. */
static int build_snapshot(struct refresher *r, struct catalog **out, json_t **doc_out,
                          struct retail_summary *sum, char *err, size_t n)
{
    json_t *doc = NULL;
    struct error_info e;
    error_clear(&e);
    memset(sum, 0, sizeof(*sum));
    if (r->prices_url[0]) {
        if (retail_merge(r->spec_doc, r->prices, r->prices_url, r->prices_fetched_at,
                         r->prices_stale, &doc, sum, &e) < 0) {
            snprintf(err, n, "merging prices failed: %.300s",
                     e.message[0] ? e.message : "out of memory");
            return -1;
        }
    } else {
        doc = json_incref(r->spec_doc); /* prices off: an operator's own price fields stay */
    }
    char label[1100];
    snprintf(label, sizeof(label), "%s%s%s", r->spec_kind, r->spec_location[0] ? ":" : "",
             r->spec_location);
    int rc = catalog_from_json(doc, label, out, &e);
    if (rc < 0) {
        snprintf(err, n, "merged catalog refused: %.300s",
                 rc == -ENOMEM ? "out of memory" : e.message);
        json_decref(doc);
        return -1;
    }
    *doc_out = doc;
    return 0;
}

/* One refresh; returns the seconds until the next one. */
static double run_once(struct refresher *r)
{
    char cat_err[1024] = "", price_err[1024] = "", build_err[512] = "";
    bool changed = false;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int crc = 1, prc = 1;

    if (r->catalog_url[0]) {
        crc = fetch_catalog(r, cat_err, sizeof(cat_err));
        changed |= crc == 0;
    }
    if (r->prices_url[0]) {
        struct retail *np = NULL;
        prc = fetch_prices(r, &np, price_err, sizeof(price_err));
        if (prc == 0) {
            retail_free(r->prices);
            r->prices = np;
            iso_time(time(NULL), r->prices_fetched_at);
            r->prices_stale = false;
            changed = true;
        } else if (prc < 0 && r->prices != NULL && !r->prices_stale) {
            r->prices_stale = true; /* partial success must say so */
            changed = true;
        }
    }

    struct catalog *cat = NULL;
    json_t *doc = NULL;
    struct retail_summary sum;
    memset(&sum, 0, sizeof(sum));
    if (changed && build_snapshot(r, &cat, &doc, &sum, build_err, sizeof(build_err)) < 0)
        cat = NULL;

    time_t now = time(NULL);
    bool failed = crc < 0 || prc < 0 || build_err[0];
    /* A fetched document that cannot be merged into a snapshot counts against its source. */
    if (r->catalog_url[0])
        metrics_refresh_attempt("catalog", crc >= 0 && !(crc == 0 && build_err[0]));
    if (r->prices_url[0])
        metrics_refresh_attempt("prices", prc >= 0 && !(prc == 0 && build_err[0]));
    if (failed) {
        snprintf(r->last_error, sizeof(r->last_error), "%s%s%s%s%s", cat_err,
                 cat_err[0] && (price_err[0] || build_err[0]) ? "; " : "", price_err,
                 price_err[0] && build_err[0] ? "; " : "", build_err);
        if (r->prices_stale && prc < 0)
            strncat(r->last_error, " (serving the previous prices, marked stale)",
                    sizeof(r->last_error) - strlen(r->last_error) - 1);
        r->last_error_at = now;
        r->failures++;
    } else {
        r->last_error[0] = '\0';
        r->last_error_at = 0;
        r->failures = 0;
        r->last_success = now;
    }
    double delay;
    if (failed) {
        double backoff = REFRESH_BACKOFF_BASE_S * pow(2.0, r->failures > 20 ? 20 : r->failures - 1);
        delay = fmin(r->interval_s, jitter(r, fmin(backoff, r->interval_s), 0.2));
    } else {
        delay = jitter(r, r->interval_s, 0.1);
    }
    if (delay < 0.5)
        delay = 0.5;
    time_t next = now + (time_t)ceil(delay);

    size_t nskus = cat ? catalog_count(cat) : 0;
    if (cat != NULL && r->cache_file[0]) {
        char cerr[700];
        if (write_cache(r->cache_file, doc, cerr, sizeof(cerr)) < 0)
            log_event("warn", "cache_write_failed", json_pack("{s:s}", "message", cerr));
    }
    json_decref(doc);
    store_publish(r->store, cat, build_status(r, next));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;

    if (failed)
        log_event("warn", "refresh_failed",
                  json_pack("{s:s, s:I, s:f, s:b, s:f}", "message", r->last_error,
                            "consecutive_failures", (json_int_t)r->failures, "retry_in_s", delay,
                            "snapshot_replaced", cat != NULL, "duration_ms", ms));
    if (cat != NULL) {
        log_event("info", "catalog_refreshed",
                  json_pack("{s:s, s:I, s:b, s:I, s:I, s:b, s:f}", "source", r->spec_kind, "skus",
                            (json_int_t)nskus, "catalog_changed", crc == 0, "priced_skus",
                            (json_int_t)sum.priced_skus, "prices_rows",
                            (json_int_t)(r->prices ? retail_rows(r->prices) : 0), "prices_stale",
                            r->prices_stale, "duration_ms", ms));
        if (prc == 0 && sum.unknown_skus > 0)
            log_event("info", "prices_unknown_skus",
                      json_pack("{s:I, s:s, s:s}", "count", (json_int_t)sum.unknown_skus, "skus",
                                sum.unknown_sample, "message",
                                "GPU sizes priced by Azure but missing from the catalog; add "
                                "their specs (--catalog-url) before they can be chosen"));
    }
    return delay;
}

static void *thread_main(void *arg)
{
    struct refresher *r = arg;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next); /* the first refresh runs right away */
    for (;;) {
        pthread_mutex_lock(&r->lock);
        while (!atomic_load(&r->stop) && !r->trigger) {
            if (pthread_cond_timedwait(&r->cond, &r->lock, &next) == ETIMEDOUT)
                break;
        }
        bool stop = atomic_load(&r->stop);
        bool triggered = r->trigger;
        r->trigger = false;
        pthread_mutex_unlock(&r->lock);
        if (stop)
            break;
        if (triggered)
            log_event("info", "refresh_triggered", json_pack("{s:s}", "by", "SIGHUP"));
        double delay = run_once(r);
        clock_gettime(CLOCK_MONOTONIC, &next);
        double whole = floor(delay);
        next.tv_sec += (time_t)whole;
        next.tv_nsec += (long)((delay - whole) * 1e9);
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
    }
    return NULL;
}

static void refresher_free(struct refresher *r)
{
    for (size_t i = 0; i < r->nregions; i++)
        free(r->regions[i]);
    fetch_free(r->fetcher);
    json_decref(r->spec_doc);
    retail_free(r->prices);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Loads --cache-file when present and valid (its mtime into *mtime); logs why not otherwise. */
static struct catalog *load_cache(const char *path, time_t *mtime)
{
    struct buf b;
    char err[700];
    struct stat sb;
    if (lstat(path, &sb) != 0 && errno == ENOENT)
        return NULL; /* no cache yet: normal on a first start */
    int rc = read_cache(path, REFRESH_MAX_CATALOG_BYTES * 2, &b, mtime, err, sizeof(err));
    struct catalog *cat = NULL;
    if (rc == 0) {
        struct error_info e;
        error_clear(&e);
        char label[600];
        snprintf(label, sizeof(label), "cache:%s", path);
        if (catalog_load(b.data ? b.data : "", b.len, label, &cat, &e) < 0) {
            snprintf(err, sizeof(err), "cache file %.300s refused: %.300s", path, e.message);
            cat = NULL;
        }
    }
    buf_free(&b);
    if (cat == NULL)
        log_event("warn", "cache_ignored", json_pack("{s:s}", "message", err));
    return cat;
}

int refresh_start(const struct refresh_config *cfg, struct store *st, struct catalog *base,
                  const char *base_kind, const char *base_location, struct refresher **out,
                  char *errbuf, size_t errlen)
{
    struct refresher *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        catalog_unref(base);
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* wall-clock jumps must not stall refreshes */
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&r->stop, false);
    snprintf(r->catalog_url, sizeof(r->catalog_url), "%s",
             cfg->catalog_url ? cfg->catalog_url : "");
    snprintf(r->prices_url, sizeof(r->prices_url), "%s", cfg->prices_url ? cfg->prices_url : "");
    snprintf(r->cache_file, sizeof(r->cache_file), "%s", cfg->cache_file ? cfg->cache_file : "");
    r->interval_s = cfg->interval_s > 0 ? cfg->interval_s : 21600;
    r->timeout_s = cfg->fetch_timeout_s > 0 ? cfg->fetch_timeout_s : 60;
    if (cfg->today && strlen(cfg->today) == 10)
        memcpy(r->today, cfg->today, 11);
    r->store = st;
    r->rand_state = (unsigned)time(NULL) ^ (unsigned)getpid();
    for (const char *p = cfg->regions ? cfg->regions : "";
         *p && r->nregions < CATALOG_MAX_REGIONS;) {
        size_t len = strcspn(p, ",");
        if (len > 0) {
            r->regions[r->nregions] = strndup(p, len);
            if (r->regions[r->nregions] == NULL)
                break;
            r->nregions++;
        }
        p += len + (p[len] == ',');
    }
    r->fetcher = fetch_new(NULL, &r->stop);
    if (r->fetcher == NULL) {
        snprintf(errbuf, errlen, "out of memory creating the fetcher");
        catalog_unref(base);
        refresher_free(r);
        return -1;
    }

    time_t cache_mtime = 0;
    struct catalog *first = r->cache_file[0] ? load_cache(r->cache_file, &cache_mtime) : NULL;
    if (first != NULL) {
        catalog_unref(base);
        snprintf(r->spec_kind, sizeof(r->spec_kind), "cache");
        snprintf(r->spec_location, sizeof(r->spec_location), "%s", r->cache_file);
        r->spec_fetched = cache_mtime;
        if (retail_from_catalog(first, &r->prices) == 0) {
            const json_t *info = catalog_prices(first);
            snprintf(r->prices_fetched_at, sizeof(r->prices_fetched_at), "%s",
                     json_string_value(json_object_get(info, "fetched_at"))
                         ? json_string_value(json_object_get(info, "fetched_at"))
                         : "");
            r->prices_stale = json_is_true(json_object_get(info, "stale"));
        }
        log_event("info", "cache_loaded",
                  json_pack("{s:s, s:I, s:b}", "path", r->cache_file, "skus",
                            (json_int_t)catalog_count(first), "prices", r->prices != NULL));
    } else {
        first = base;
        snprintf(r->spec_kind, sizeof(r->spec_kind), "%s", base_kind);
        snprintf(r->spec_location, sizeof(r->spec_location), "%s",
                 base_location ? base_location : "");
        r->spec_fetched = strcmp(base_kind, "embedded") == 0 ? 0 : time(NULL);
    }
    r->spec_doc = json_incref(fields_mutable(catalog_document(first))); /* shared, read-only */

    bool work = r->catalog_url[0] || r->prices_url[0];
    store_publish(st, first, build_status(r, work ? time(NULL) : 0));
    if (work) {
        if (pthread_create(&r->thread, NULL, thread_main, r) != 0) {
            snprintf(errbuf, errlen, "cannot start the refresher thread");
            refresher_free(r);
            return -1;
        }
        r->running = true;
    }
    *out = r;
    return 0;
}

void refresh_trigger(struct refresher *r)
{
    if (r == NULL)
        return;
    if (!r->running) {
        log_event("info", "refresh_triggered",
                  json_pack("{s:s, s:s}", "by", "SIGHUP", "message",
                            "nothing to refresh: no --catalog-url and prices are off"));
        return;
    }
    pthread_mutex_lock(&r->lock);
    r->trigger = true;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

void refresh_stop(struct refresher *r)
{
    if (r == NULL)
        return;
    atomic_store(&r->stop, true);
    pthread_mutex_lock(&r->lock);
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    if (r->running)
        pthread_join(r->thread, NULL);
    refresher_free(r);
}
