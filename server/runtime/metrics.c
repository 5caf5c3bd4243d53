/* metrics.c - the in-process Prometheus registry: request series, histograms, catalog, process. */
#include "runtime/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "azure/catalog.h"

/* Upper bounds (seconds) of the duration buckets; +Inf is implicit. Requests take ~0.1 ms. */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

/* Caps keep memory fixed; a series past them is folded into the last slot's neighbour "other". */
#define MAX_SERIES  512
#define MAX_ROUTES  64
#define MAX_SOURCES 16
#define LABEL_MAX   64

static const char *const methods[] = {"GET", "HEAD", "POST", "OPTIONS", "other"};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

struct series {
    unsigned route; /* index into hist[] */
    unsigned method;
    int status;
    unsigned long long count;
};

struct hist {
    char route[LABEL_MAX];
    unsigned long long bucket[NBUCKETS]; /* non-cumulative; summed when rendered */
    unsigned long long count;
    double sum;
};

struct source {
    char name[LABEL_MAX];
    unsigned long long attempts, failures;
    double last_success; /* Unix seconds; 0 = never */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series series[MAX_SERIES];
static size_t nseries;
static struct hist hist[MAX_ROUTES];
static size_t nhist;
static struct source sources[MAX_SOURCES];
static size_t nsources;
static atomic_long in_flight;
static double start_time;

static double wall_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void metrics_init(void)
{
    start_time = wall_now();
}

void metrics_request_begin(void)
{
    atomic_fetch_add_explicit(&in_flight, 1, memory_order_relaxed);
}

static unsigned method_index(const char *m)
{
    for (unsigned i = 0; i + 1 < NMETHODS; i++)
        if (m && strcmp(m, methods[i]) == 0)
            return i;
    return NMETHODS - 1;
}

/* Caller holds lock. The last slot is reserved for "other" so lookups always succeed. */
static size_t route_slot(const char *route)
{
    for (size_t i = 0; i < nhist; i++)
        if (strcmp(hist[i].route, route) == 0)
            return i;
    if (nhist + 1 < MAX_ROUTES) {
        snprintf(hist[nhist].route, LABEL_MAX, "%s", route);
        return nhist++;
    }
    snprintf(hist[MAX_ROUTES - 1].route, LABEL_MAX, "other");
    if (nhist < MAX_ROUTES)
        nhist = MAX_ROUTES;
    return MAX_ROUTES - 1;
}

void metrics_request_end(const char *route, const char *method, int status, double seconds)
{
    atomic_fetch_sub_explicit(&in_flight, 1, memory_order_relaxed);
    if (status < 100 || status > 599)
        status = 0;
    unsigned m = method_index(method);
    pthread_mutex_lock(&lock);
    size_t r = route_slot(route ? route : "unmatched");
    struct hist *h = &hist[r];
    size_t b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    if (b < NBUCKETS)
        h->bucket[b]++;
    h->count++;
    h->sum += seconds;
    size_t i;
    for (i = 0; i < nseries; i++)
        if (series[i].route == r && series[i].method == m && series[i].status == status)
            break;
    if (i == nseries && nseries < MAX_SERIES)
        series[nseries++] = (struct series){(unsigned)r, m, status, 0};
    if (i < nseries)
        series[i].count++;
    pthread_mutex_unlock(&lock);
}

void metrics_refresh_attempt(const char *source, bool ok)
{
    double now = wall_now();
    const char *name = source && source[0] ? source : "other";
    pthread_mutex_lock(&lock);
    size_t i;
    for (i = 0; i < nsources; i++)
        if (strcmp(sources[i].name, name) == 0)
            break;
    if (i == nsources) {
        if (nsources + 1 >= MAX_SOURCES) {
            i = MAX_SOURCES - 1;
            snprintf(sources[i].name, LABEL_MAX, "other");
            nsources = MAX_SOURCES;
        } else {
            snprintf(sources[i].name, LABEL_MAX, "%s", name);
            nsources++;
        }
    }
    sources[i].attempts++;
    if (ok)
        sources[i].last_success = now;
    else
        sources[i].failures++;
    pthread_mutex_unlock(&lock);
}

/* Label values escaped per the text format: backslash, double quote and newline. */
static void label_escape(char *dst, size_t n, const char *s)
{
    size_t o = 0;
    for (; *s && o + 3 < n; s++) {
        if (*s == '\\' || *s == '"') {
            dst[o++] = '\\';
            dst[o++] = *s;
        } else if (*s == '\n') {
            dst[o++] = '\\';
            dst[o++] = 'n';
        } else {
            dst[o++] = *s;
        }
    }
    dst[o] = '\0';
}

/* VmRSS and VmSize from /proc/self/status, in bytes; -1 when unavailable. */
static void proc_memory(long long *rss, long long *vsize)
{
    *rss = *vsize = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        long long kb;
        if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
            *rss = kb * 1024;
        else if (sscanf(line, "VmSize: %lld kB", &kb) == 1)
            *vsize = kb * 1024;
    }
    fclose(f);
}

static long long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    long long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

#define HELP(b, name, type, text)                                                                  \
    buf_printf(b, "# HELP " name " " text "\n# TYPE " name " " type "\n")

static int render_requests(struct buf *b)
{
    int rc = HELP(b, "vramfit_http_requests_total", "counter",
                  "HTTP requests answered, by route template, method and status.");
    for (size_t i = 0; i < nseries && rc == 0; i++) {
        char route[LABEL_MAX * 2];
        label_escape(route, sizeof(route), hist[series[i].route].route);
        rc = buf_printf(
            b, "vramfit_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
            route, methods[series[i].method], series[i].status, series[i].count);
    }
    if (rc == 0)
        rc = HELP(b, "vramfit_http_request_duration_seconds", "histogram",
                  "Time from the first byte of a request to the end of its response, by route.");
    for (size_t i = 0; i < nhist && rc == 0; i++) {
        char route[LABEL_MAX * 2];
        label_escape(route, sizeof(route), hist[i].route);
        unsigned long long cum = 0;
        for (size_t k = 0; k < NBUCKETS && rc == 0; k++) {
            cum += hist[i].bucket[k];
            rc = buf_printf(b,
                            "vramfit_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                            "%llu\n",
                            route, buckets[k], cum);
        }
        if (rc == 0)
            rc =
                buf_printf(b,
                           "vramfit_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                           "%llu\n"
                           "vramfit_http_request_duration_seconds_sum{route=\"%s\"} %.9g\n"
                           "vramfit_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                           route, hist[i].count, route, hist[i].sum, route, hist[i].count);
    }
    return rc;
}

static int render_sources(struct buf *b)
{
    int rc = HELP(b, "vramfit_catalog_refresh_attempts_total", "counter",
                  "Catalog refresh attempts, by upstream source.");
    char name[MAX_SOURCES][LABEL_MAX * 2];
    for (size_t i = 0; i < nsources; i++)
        label_escape(name[i], sizeof(name[i]), sources[i].name);
    for (size_t i = 0; i < nsources && rc == 0; i++)
        rc = buf_printf(b, "vramfit_catalog_refresh_attempts_total{source=\"%s\"} %llu\n", name[i],
                        sources[i].attempts);
    if (rc == 0)
        rc = HELP(b, "vramfit_catalog_refresh_failures_total", "counter",
                  "Catalog refresh attempts that failed (the previous snapshot kept serving).");
    for (size_t i = 0; i < nsources && rc == 0; i++)
        rc = buf_printf(b, "vramfit_catalog_refresh_failures_total{source=\"%s\"} %llu\n", name[i],
                        sources[i].failures);
    if (rc == 0)
        rc = HELP(b, "vramfit_catalog_last_success_timestamp_seconds", "gauge",
                  "Unix time of the last successful refresh, by source (0 = never).");
    for (size_t i = 0; i < nsources && rc == 0; i++)
        rc = buf_printf(b, "vramfit_catalog_last_success_timestamp_seconds{source=\"%s\"} %.3f\n",
                        name[i], sources[i].last_success);
    return rc;
}

static int render_catalog(struct buf *b, struct store *store)
{
    if (store == NULL)
        return 0;
    struct catalog *cat = store_acquire(store);
    double published = store_published_at(store);
    size_t n = cat ? catalog_count(cat) : 0;
    catalog_unref(cat);
    double age = published > 0 ? wall_now() - published : 0;
    return buf_printf(b,
                      "# HELP vramfit_catalog_skus VM sizes in the catalog snapshot being served.\n"
                      "# TYPE vramfit_catalog_skus gauge\n"
                      "vramfit_catalog_skus %zu\n"
                      "# HELP vramfit_catalog_age_seconds Seconds since the catalog snapshot "
                      "being served was published.\n"
                      "# TYPE vramfit_catalog_age_seconds gauge\n"
                      "vramfit_catalog_age_seconds %.3f\n",
                      n, age < 0 ? 0 : age);
}

static int render_process(struct buf *b)
{
    long long rss, vsize;
    proc_memory(&rss, &vsize);
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    struct rlimit rl;
    long long maxfds = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
                           ? (long long)rl.rlim_cur
                           : -1;
    int rc = buf_printf(b,
                        "# HELP vramfit_build_info Build version and git revision; always 1.\n"
                        "# TYPE vramfit_build_info gauge\n"
                        "vramfit_build_info{version=\"%s\",revision=\"%s\"} 1\n"
                        "# HELP process_cpu_seconds_total Total user and system CPU time spent "
                        "in seconds.\n"
                        "# TYPE process_cpu_seconds_total counter\n"
                        "process_cpu_seconds_total %.6f\n"
                        "# HELP process_start_time_seconds Start time of the process since unix "
                        "epoch in seconds.\n"
                        "# TYPE process_start_time_seconds gauge\n"
                        "process_start_time_seconds %.3f\n",
                        VRAMFIT_VERSION, VRAMFIT_GIT_REV,
                        (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9, start_time);
    if (rc == 0 && rss >= 0)
        rc = buf_printf(b,
                        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                        "# TYPE process_resident_memory_bytes gauge\n"
                        "process_resident_memory_bytes %lld\n"
                        "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
                        "# TYPE process_virtual_memory_bytes gauge\n"
                        "process_virtual_memory_bytes %lld\n",
                        rss, vsize);
    long long fds = open_fds();
    if (rc == 0 && fds >= 0)
        rc = buf_printf(b,
                        "# HELP process_open_fds Number of open file descriptors.\n"
                        "# TYPE process_open_fds gauge\n"
                        "process_open_fds %lld\n",
                        fds);
    if (rc == 0 && maxfds >= 0)
        rc = buf_printf(b,
                        "# HELP process_max_fds Maximum number of open file descriptors.\n"
                        "# TYPE process_max_fds gauge\n"
                        "process_max_fds %lld\n",
                        maxfds);
    return rc;
}

int metrics_render(struct store *store, char **out, size_t *len)
{
    struct buf b;
    buf_init(&b, 4u * 1024 * 1024);
    int rc = buf_printf(&b,
                        "# HELP vramfit_http_requests_in_flight Requests being served now.\n"
                        "# TYPE vramfit_http_requests_in_flight gauge\n"
                        "vramfit_http_requests_in_flight %ld\n",
                        atomic_load(&in_flight));
    if (rc == 0) {
        pthread_mutex_lock(&lock);
        rc = render_requests(&b);
        if (rc == 0)
            rc = render_sources(&b);
        pthread_mutex_unlock(&lock);
    }
    if (rc == 0)
        rc = render_catalog(&b, store);
    if (rc == 0)
        rc = render_process(&b);
    if (rc < 0) {
        buf_free(&b);
        return -ENOMEM;
    }
    *out = buf_detach(&b, len);
    return 0;
}
