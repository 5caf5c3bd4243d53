/* options.c - parses flags and VRAMFIT_* environment variables from one option table. */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "catalog.h"

/* OPT_FLAG takes no value (env: 1/true/yes or 0/false/no); OPT_LIST repeats and joins with ",". */
enum opt_type { OPT_INT, OPT_STRING, OPT_FLAG, OPT_LIST };

struct opt_def {
    const char *flag; /* without the leading "--" */
    const char *env;
    enum opt_type type;
    long long min, max;   /* OPT_INT range; OPT_STRING max length in max */
    size_t offset;        /* into struct options */
    size_t size;          /* OPT_STRING buffer size */
    const char *def_text; /* default, as shown in --help */
    const char *help;
};

#define OFF(f) offsetof(struct options, f)
#define SZ(f)  sizeof(((struct options *)0)->f)

static const struct opt_def opts[] = {
    {"bind", "VRAMFIT_BIND", OPT_STRING, 0, 0, OFF(bind), SZ(bind), "0.0.0.0",
     "address to listen on (IPv4 or IPv6 literal)"},
    {"port", "VRAMFIT_PORT", OPT_INT, 0, 65535, OFF(port), 0, "8080",
     "TCP port; 0 picks a free ephemeral port (logged at start)"},
    {"threads", "VRAMFIT_THREADS", OPT_INT, 1, 256, OFF(threads), 0, "number of CPUs",
     "worker threads in the HTTP thread pool"},
    {"catalog-file", "VRAMFIT_CATALOG_FILE", OPT_STRING, 0, 0, OFF(catalog_file), SZ(catalog_file),
     "(embedded)", "load the SKU catalog from this JSON file instead"},
    {"max-connections", "VRAMFIT_MAX_CONNECTIONS", OPT_INT, 1, 100000, OFF(max_connections), 0,
     "1024", "concurrent connections accepted before new ones are refused"},
    {"connection-timeout", "VRAMFIT_CONNECTION_TIMEOUT", OPT_INT, 1, 3600, OFF(connection_timeout),
     0, "30",
     "seconds an idle or stalled connection is kept; also the most one request may take to arrive"},
    {"shutdown-grace", "VRAMFIT_SHUTDOWN_GRACE", OPT_INT, 0, 300, OFF(shutdown_grace), 0, "10",
     "seconds in-flight requests get to finish after SIGTERM/SIGINT"},
    {"today", "VRAMFIT_TODAY", OPT_STRING, 0, 0, OFF(today), SZ(today), "(UTC date)",
     "fix today's date (YYYY-MM-DD) for retirement checks; for reproducible answers"},
    {"catalog-url", "VRAMFIT_CATALOG_URL", OPT_STRING, 0, 0, OFF(catalog_url), SZ(catalog_url),
     "(none)", "refresh the SKU specs from this vramfit.catalog/v1 document (http, https, file)"},
    {"prices-url", "VRAMFIT_PRICES_URL", OPT_STRING, 0, 0, OFF(prices_url), SZ(prices_url),
     "https://prices.azure.com/api/retail/prices", "Azure Retail Prices API endpoint"},
    {"region", "VRAMFIT_REGION", OPT_LIST, 0, 0, OFF(regions), SZ(regions), "eastus",
     "Azure region(s) to price; repeat or comma-separate"},
    {"no-prices", "VRAMFIT_NO_PRICES", OPT_FLAG, 0, 1, OFF(no_prices), 0, "off",
     "do not fetch Azure prices"},
    {"refresh-interval", "VRAMFIT_REFRESH_INTERVAL", OPT_INT, 1, 604800, OFF(refresh_interval), 0,
     "21600", "seconds between background refreshes (jittered; failures retry sooner)"},
    {"fetch-timeout", "VRAMFIT_FETCH_TIMEOUT", OPT_INT, 1, 3600, OFF(fetch_timeout), 0, "60",
     "seconds one upstream request may take in total"},
    {"cache-file", "VRAMFIT_CACHE_FILE", OPT_STRING, 0, 0, OFF(cache_file), SZ(cache_file),
     "(none)", "keep the last good merged catalog here; loaded at start when valid"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void options_usage(FILE *f)
{
    fprintf(f, "usage: vramfit [options]\n\n"
               "GPU memory estimator and Azure GPU VM picker (HTTP/JSON service).\n\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char left[64];
        const char *meta = opts[i].type == OPT_INT              ? "N"
                           : opts[i].type == OPT_FLAG           ? ""
                           : opts[i].type == OPT_LIST           ? "NAME"
                           : strstr(opts[i].flag, "url")        ? "URL"
                           : strcmp(opts[i].flag, "today") == 0 ? "DATE"
                           : strcmp(opts[i].flag, "bind") == 0  ? "ADDR"
                                                                : "PATH";
        snprintf(left, sizeof(left), "--%s %s", opts[i].flag, meta);
        fprintf(f, "  %-26s %s\n  %-26s default %s; env %s\n", left, opts[i].help, "",
                opts[i].def_text, opts[i].env);
    }
    fprintf(f, "  %-26s %s\n  %-26s %s\n\nFlags win over environment variables.\n", "--help",
            "print this help and exit", "--version", "print the version and exit");
}

/* label names where the value came from: "--port" or "VRAMFIT_PORT". */
static int set_value(const struct opt_def *o, const char *value, const char *label,
                     struct options *out, char *errbuf, size_t errlen)
{
    char *dst = (char *)out + o->offset;
    if (o->type == OPT_FLAG) {
        if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
            strcasecmp(value, "yes") == 0)
            *(int *)(void *)dst = 1;
        else if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0 ||
                 strcasecmp(value, "no") == 0)
            *(int *)(void *)dst = 0;
        else {
            snprintf(errbuf, errlen, "%s: must be 1/true/yes or 0/false/no (got \"%.40s\")", label,
                     value);
            return -EINVAL;
        }
        return 0;
    }
    if (o->type == OPT_LIST && dst[0] != '\0') {
        size_t have = strlen(dst);
        if (have + 1 + strlen(value) >= o->size) {
            snprintf(errbuf, errlen, "%s: the list is longer than %zu characters", label,
                     o->size - 1);
            return -EINVAL;
        }
        dst[have] = ',';
        memcpy(dst + have + 1, value, strlen(value) + 1);
        return 0;
    }
    if (o->type == OPT_INT) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (errno != 0 || end == value || *end != '\0' || v < o->min || v > o->max) {
            snprintf(errbuf, errlen, "%s: must be an integer between %lld and %lld (got \"%.40s\")",
                     label, o->min, o->max, value);
            return -EINVAL;
        }
        *(int *)(void *)dst = (int)v;
        return 0;
    }
    size_t len = strlen(value);
    if (len >= o->size) {
        snprintf(errbuf, errlen, "%s: longer than %zu characters", label, o->size - 1);
        return -EINVAL;
    }
    memcpy(dst, value, len + 1);
    return 0;
}

static bool url_scheme_ok(const char *u)
{
    return strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0 ||
           strncasecmp(u, "file://", 7) == 0;
}

/* Lower-cases, trims and de-duplicates the region list in place; names must be [a-z0-9]+. */
static int normalize_regions(char *list, char *errbuf, size_t errlen)
{
    char out[sizeof(((struct options *)0)->regions)] = "";
    size_t n = 0, count = 0;
    for (char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        char name[CATALOG_MAX_REGION_LEN + 2];
        size_t k = 0;
        size_t b = 0, e = len;
        while (b < e && (p[b] == ' ' || p[b] == '\t'))
            b++;
        while (e > b && (p[e - 1] == ' ' || p[e - 1] == '\t'))
            e--;
        for (size_t i = b; i < e && k <= CATALOG_MAX_REGION_LEN; i++) {
            unsigned char c = (unsigned char)p[i];
            name[k++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
        }
        name[k] = '\0';
        p += len + (p[len] == ',');
        if (k == 0)
            continue;
        if (!catalog_valid_region(name)) {
            snprintf(errbuf, errlen,
                     "--region: \"%.48s\" is not an Azure region name (letters and digits, e.g. "
                     "eastus, westus3)",
                     name);
            return -EINVAL;
        }
        char padded[sizeof(out) + 2];
        snprintf(padded, sizeof(padded), ",%s,", out);
        char needle[CATALOG_MAX_REGION_LEN + 4];
        snprintf(needle, sizeof(needle), ",%s,", name);
        if (strstr(padded, needle) != NULL)
            continue;
        if (++count > CATALOG_MAX_REGIONS) {
            snprintf(errbuf, errlen, "--region: at most %d regions", CATALOG_MAX_REGIONS);
            return -EINVAL;
        }
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n ? "," : "", name);
    }
    if (count == 0) {
        snprintf(errbuf, errlen, "--region: give at least one region (e.g. eastus)");
        return -EINVAL;
    }
    memcpy(list, out, strlen(out) + 1);
    return 0;
}

static int check_values(struct options *o, char *errbuf, size_t errlen)
{
    if (o->catalog_url[0] && !url_scheme_ok(o->catalog_url)) {
        snprintf(errbuf, errlen,
                 "--catalog-url: \"%.80s\" must start with http://, https:// or file://",
                 o->catalog_url);
        return -EINVAL;
    }
    if (!url_scheme_ok(o->prices_url)) {
        snprintf(errbuf, errlen,
                 "--prices-url: \"%.80s\" must start with http://, https:// or file://",
                 o->prices_url);
        return -EINVAL;
    }
    if (normalize_regions(o->regions, errbuf, errlen) < 0)
        return -EINVAL;
    unsigned char addr[16];
    if (inet_pton(AF_INET, o->bind, addr) != 1 && inet_pton(AF_INET6, o->bind, addr) != 1) {
        snprintf(errbuf, errlen, "--bind: \"%.40s\" is not an IPv4 or IPv6 address", o->bind);
        return -EINVAL;
    }
    if (o->today[0] && !catalog_valid_date(o->today)) {
        snprintf(errbuf, errlen, "--today: \"%s\" is not a date written YYYY-MM-DD", o->today);
        return -EINVAL;
    }
    return 0;
}

int options_parse(int argc, char **argv, struct options *out, FILE *out_stream, char *errbuf,
                  size_t errlen)
{
    struct options o;
    memset(&o, 0, sizeof(o));
    snprintf(o.bind, sizeof(o.bind), "0.0.0.0");
    o.port = 8080;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.threads = ncpu < 1 ? 1 : (ncpu > 256 ? 256 : (int)ncpu);
    o.max_connections = 1024;
    o.connection_timeout = 30;
    o.shutdown_grace = 10;
    snprintf(o.prices_url, sizeof(o.prices_url), "https://prices.azure.com/api/retail/prices");
    snprintf(o.regions, sizeof(o.regions), "eastus");
    o.refresh_interval = 21600;
    o.fetch_timeout = 60;
    bool list_from_flag[sizeof(opts) / sizeof(opts[0])] = {false};

    for (size_t i = 0; i < NOPTS; i++) {
        const char *v = getenv(opts[i].env);
        if (v != NULL && v[0] != '\0' && opts[i].type == OPT_LIST)
            ((char *)&o + opts[i].offset)[0] = '\0';
        if (v != NULL && v[0] != '\0' &&
            set_value(&opts[i], v, opts[i].env, &o, errbuf, errlen) < 0)
            return -EINVAL;
    }

    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            options_usage(out_stream);
            return OPTIONS_EXIT;
        }
        if (strcmp(arg, "--version") == 0) {
            fprintf(out_stream, "vramfit %s (%s)\n", VRAMFIT_VERSION, VRAMFIT_GIT_REV);
            return OPTIONS_EXIT;
        }
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(errbuf, errlen, "unexpected argument \"%.40s\" (see --help)", arg);
            return -EINVAL;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt_def *def = NULL;
        for (size_t i = 0; i < NOPTS && def == NULL; i++)
            if (strlen(opts[i].flag) == nlen && strncmp(opts[i].flag, name, nlen) == 0)
                def = &opts[i];
        if (def == NULL) {
            snprintf(errbuf, errlen, "unknown option \"%.40s\" (see --help)", arg);
            return -EINVAL;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (def->type == OPT_FLAG && value == NULL)
            value = "1";
        /* A list flag replaces the environment's list, then further flags append to it. */
        if (def->type == OPT_LIST && !list_from_flag[def - opts]) {
            list_from_flag[def - opts] = true;
            ((char *)&o + def->offset)[0] = '\0';
        }
        if (value == NULL) {
            if (a + 1 >= argc) {
                snprintf(errbuf, errlen, "option --%s needs a value", def->flag);
                return -EINVAL;
            }
            value = argv[++a];
        }
        char label[48];
        snprintf(label, sizeof(label), "--%s", def->flag);
        if (set_value(def, value, label, &o, errbuf, errlen) < 0)
            return -EINVAL;
    }
    if (check_values(&o, errbuf, errlen) < 0)
        return -EINVAL;
    *out = o;
    return OPTIONS_OK;
}
