/* main.c - vramfit's entry point: options, catalog, HTTP server, signals and graceful shutdown. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "azure/catalog.h"
#include "http/cors.h"
#include "config/embedded.h"
#include "config/presets.h"
#include "http/http.h"
#include "runtime/log.h"
#include "runtime/metrics.h"
#include "config/options.h"
#include "hub/hubopts.h"
#include "refresh/refresh.h"
#include "runtime/store.h"

/* A catalog file larger than this is refused rather than read: the same bound as a fetched one. */
#define MAX_CATALOG_FILE REFRESH_MAX_CATALOG_BYTES

static int read_file(const char *path, struct buf *b, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(errbuf, errlen, "cannot open catalog file %.200s: %s", path, strerror(errno));
        return -1;
    }
    char chunk[16384];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(b, chunk, n) < 0) {
            snprintf(errbuf, errlen, "catalog file %.200s is larger than %u bytes", path,
                     MAX_CATALOG_FILE);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(errbuf, errlen, "cannot read catalog file %.200s", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

static int load_catalog(const struct options *o, struct catalog **out, char *errbuf, size_t errlen)
{
    struct error_info err;
    error_clear(&err);
    if (o->catalog_file[0] == '\0') {
        size_t len;
        const char *data = embedded_catalog(&len);
        if (catalog_load(data, len, "embedded", out, &err) < 0) {
            snprintf(errbuf, errlen, "embedded catalog is invalid: %.700s", err.message);
            return -1;
        }
        return 0;
    }
    struct buf b;
    buf_init(&b, MAX_CATALOG_FILE);
    if (read_file(o->catalog_file, &b, errbuf, errlen) < 0) {
        buf_free(&b);
        return -1;
    }
    char source[600];
    snprintf(source, sizeof(source), "file:%s", o->catalog_file);
    int rc = catalog_load(b.data ? b.data : "", b.len, source, out, &err);
    buf_free(&b);
    if (rc < 0) {
        snprintf(errbuf, errlen, "catalog file %.200s refused: %.700s", o->catalog_file,
                 err.message);
        return -1;
    }
    return 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* An open connection with no request for this long is idle keep-alive: it may be closed. */
#define DRAIN_QUIET_S 0.5

/*
 * Waits, up to grace seconds, until every connection is closed or none has carried a request for
 * DRAIN_QUIET_S: an idle keep-alive connection (a Prometheus scraper, a pooled client) must not
 * hold the shutdown for the whole grace period, while a client that sends its next request on a
 * kept-alive connection right after SIGTERM still gets an answer (with Connection: close).
 * Returns the requests still in flight (cut).
 */
static unsigned drain(struct http_server *srv, int grace)
{
    double start = now_s(), deadline = start + grace, quiet_since = start;
    for (double t = start; t < deadline; t = now_s()) {
        if (http_connections(srv) == 0)
            break;
        if (http_requests_in_flight(srv) > 0)
            quiet_since = t;
        else if (t - quiet_since >= DRAIN_QUIET_S)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return http_requests_in_flight(srv);
}

/* Signals are taken synchronously by main's thread (sigwait); every thread started after this
 * inherits the block, so no worker is ever interrupted by them. SIGPIPE is ignored: a client
 * that hangs up must not kill the process. Fills *sigs with the set main waits for. */
static void block_signals(sigset_t *sigs)
{
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(sigs);
    sigaddset(sigs, SIGTERM);
    sigaddset(sigs, SIGINT);
    sigaddset(sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, sigs, NULL);
}

/* Waits for SIGTERM or SIGINT and returns it; SIGHUP asks the refresher for a refresh now. */
static int wait_for_stop(const sigset_t *sigs, struct refresher *refresher)
{
    int sig = 0;
    for (;;) {
        if (sigwait(sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            refresh_trigger(refresher);
            continue;
        }
        return sig;
    }
}

/* Graceful shutdown after signal sig: stop accepting, let requests in flight finish within
 * grace seconds, then stop the server (srv is freed) and log what was cut. */
/* Starts the refresher, which publishes the first snapshot (cache file or base) before the
 * listener opens. cat's reference passes to it. 0, or -1 with errbuf set. */
static int start_refresh(const struct options *opt, struct store *store, struct catalog *cat,
                         struct refresher **out, char *errbuf, size_t errlen)
{
    struct refresh_config rc = {
        .catalog_url = opt->catalog_url,
        .prices_url = opt->no_prices ? "" : opt->prices_url,
        .regions = opt->regions,
        .interval_s = opt->refresh_interval,
        .fetch_timeout_s = opt->fetch_timeout,
        .cache_file = opt->cache_file,
        .today = opt->today,
    };
    return refresh_start(&rc, store, cat, opt->catalog_file[0] ? "file" : "embedded",
                         opt->catalog_file, out, errbuf, errlen);
}

/* Drains, quiesces and stops the server; a Hub fetch still running in a handler after the grace
 * period is cancelled (hub_cancel) so the stop does not wait for it. */
static void shut_down(struct http_server *srv, int sig, int grace, atomic_bool *hub_cancel)
{
    log_lifecycle("draining",
                  json_pack("{s:s, s:i, s:I}", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM",
                            "grace_s", grace, "connections", (json_int_t)http_connections(srv)));
    http_drain(srv);
    http_quiesce(srv);
    unsigned left = drain(srv, grace);
    unsigned idle = http_connections(srv);
    atomic_store(hub_cancel, true);
    http_stop(srv);
    log_lifecycle("stopped", json_pack("{s:I, s:I}", "requests_cut", (json_int_t)left,
                                       "connections_closed", (json_int_t)idle));
}

int main(int argc, char **argv)
{
    struct options opt;
    char errbuf[1024];
    struct store *store = NULL;
    struct http_server *srv = NULL;
    struct catalog *cat = NULL;
    struct refresher *refresher = NULL;
    struct hub *hub = NULL;
    static atomic_bool hub_cancel; /* set at shutdown: a Hub fetch in a handler stops at once */
    int exit_code = 1;

    int prc = options_parse(argc, argv, &opt, stdout, errbuf, sizeof(errbuf));
    if (prc == OPTIONS_EXIT)
        return 0;
    if (prc < 0) {
        fprintf(stderr, "vramfit: %s\n", errbuf);
        return 2;
    }

    metrics_init();
    if (log_set_level(opt.log_level) < 0 || cors_configure(opt.cors_origins) < 0) {
        fprintf(stderr, "vramfit: invalid --log-level or --cors-origins\n");
        return 2;
    }

    sigset_t sigs;
    block_signals(&sigs);

    /* jansson's hash seed must be set before threads exist (jansson threadsafety notes).
     * libcurl is not here at all: upstream GETs run in the vramfit-fetch helper (fetch.h). */
    json_object_seed(0);

    double t0 = now_s();
    if (presets_builtin() == NULL) {
        fprintf(stderr, "vramfit: %s\n", presets_error());
        return 2;
    }
    if (load_catalog(&opt, &cat, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "vramfit: %s\n", errbuf);
        return 2;
    }
    store = store_new();
    if (store == NULL) {
        fprintf(stderr, "vramfit: out of memory\n");
        catalog_unref(cat);
        return 1;
    }
    size_t nskus = catalog_count(cat);
    char source[600];
    snprintf(source, sizeof(source), "%s", catalog_source(cat));
    if (start_refresh(&opt, store, cat, &refresher, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "vramfit: %s\n", errbuf);
        goto out;
    }
    cat = NULL;

    atomic_init(&hub_cancel, false);
    if (hubopts_start(&opt, &hub_cancel, &hub, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "vramfit: %s\n", errbuf);
        goto out;
    }
    struct http_settings hs = {
        .bind = opt.bind,
        .port = opt.port,
        .threads = opt.threads,
        .max_connections = opt.max_connections,
        .max_connections_per_ip = opt.max_connections_per_ip,
        .probe_port = opt.probe_port,
        .connection_timeout = opt.connection_timeout,
        .today = opt.today,
        .store = store,
        .hub = hub,
    };
    if (http_start(&hs, &srv, errbuf, sizeof(errbuf)) < 0) {
        fprintf(stderr, "vramfit: %s\n", errbuf);
        log_event("error", "start_failed", json_pack("{s:s}", "message", errbuf));
        goto out;
    }
    log_lifecycle("listening",
                  json_pack("{s:s, s:i, s:i, s:i, s:s, s:I, s:s, s:f}", "bind", opt.bind, "port",
                            http_port(srv), "probe_port", http_probe_port(srv), "threads",
                            opt.threads, "catalog", source, "skus", (json_int_t)nskus, "version",
                            VRAMFIT_VERSION, "startup_ms", (now_s() - t0) * 1e3));

    shut_down(srv, wait_for_stop(&sigs, refresher), opt.shutdown_grace, &hub_cancel);
    srv = NULL;
    exit_code = 0;
out:
    http_stop(srv);
    refresh_stop(refresher);
    hub_free(hub);
    store_free(store);
    return exit_code;
}
