/* options.c - parses flags and VRAMFIT_* environment variables from one option table. */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"

enum opt_type { OPT_INT, OPT_STRING };

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
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

void options_usage(FILE *f)
{
    fprintf(f, "usage: vramfit [options]\n\n"
               "GPU memory estimator and Azure GPU VM picker (HTTP/JSON service).\n\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s %s", opts[i].flag,
                 opts[i].type == OPT_INT ? "N"
                                         : (strcmp(opts[i].flag, "today") == 0  ? "DATE"
                                            : strcmp(opts[i].flag, "bind") == 0 ? "ADDR"
                                                                                : "PATH"));
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

static int check_values(const struct options *o, char *errbuf, size_t errlen)
{
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

    for (size_t i = 0; i < NOPTS; i++) {
        const char *v = getenv(opts[i].env);
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
