/* options.c - one option table drives defaults, the JSON config file, VRAMFIT_* env, flags, help.
 */
#include "config/options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "azure/catalog.h"

/*
 * OPT_FLAG takes no value on the command line (env: 1/true/yes or 0/false/no; config file: a JSON
 * boolean); OPT_LIST repeats and joins with "," (config file: a string or an array of strings).
 */
enum opt_type { OPT_INT, OPT_STRING, OPT_FLAG, OPT_LIST };

struct opt_def {
    const char *flag; /* without the leading "--"; also the key in the --config file */
    const char *env;
    enum opt_type type;
    long long min, max; /* OPT_INT range */
    size_t offset;      /* into struct options */
    size_t size;        /* OPT_STRING buffer size */
    const char *def;    /* default value, parsed like a flag value ("" = unset) */
    const char *help;
    const char *choices; /* OPT_STRING: the allowed values, "a|b|c"; NULL = any */
    const char *metavar; /* shown in --help: N, PATH, ADDR, ... */
};

/* The default of --threads: the number of online CPUs, found at start. */
#define DEF_NCPU "ncpu"

#define OFF(f) offsetof(struct options, f)
#define SZ(f)  sizeof(((struct options *)0)->f)

static const struct opt_def opts[] = {
    {"bind", "VRAMFIT_BIND", OPT_STRING, 0, 0, OFF(bind), SZ(bind), "0.0.0.0",
     "address to listen on (IPv4 or IPv6 literal)", NULL, "ADDR"},
    {"port", "VRAMFIT_PORT", OPT_INT, 0, 65535, OFF(port), 0, "8080",
     "TCP port; 0 picks a free ephemeral port (logged at start)", NULL, "N"},
    {"threads", "VRAMFIT_THREADS", OPT_INT, 1, 256, OFF(threads), 0, DEF_NCPU,
     "worker threads in the HTTP thread pool", NULL, "N"},
    {"catalog-file", "VRAMFIT_CATALOG_FILE", OPT_STRING, 0, 0, OFF(catalog_file), SZ(catalog_file),
     "", "load the SKU catalog from this JSON file; unset = the embedded one", NULL, "PATH"},
    {"max-connections", "VRAMFIT_MAX_CONNECTIONS", OPT_INT, 1, 100000, OFF(max_connections), 0,
     "1024", "concurrent connections accepted before new ones are refused", NULL, "N"},
    {"max-connections-per-ip", "VRAMFIT_MAX_CONNECTIONS_PER_IP", OPT_INT, 0, 100000,
     OFF(max_connections_per_ip), 0, "256",
     "concurrent connections one client address may hold (0 = no limit; behind a proxy every "
     "client shares its address)",
     NULL, "N"},
    {"probe-port", "VRAMFIT_PROBE_PORT", OPT_INT, -1, 65535, OFF(probe_port), 0, "-1",
     "a second listener on this TCP port serving only /healthz, /readyz and /metrics, so probes "
     "are answered while clients hold every connection of --port; -1 = none, 0 = ephemeral",
     NULL, "N"},
    {"connection-timeout", "VRAMFIT_CONNECTION_TIMEOUT", OPT_INT, 1, 3600, OFF(connection_timeout),
     0, "30",
     "seconds an idle or stalled connection is kept; also the most one request may take to arrive",
     NULL, "SECONDS"},
    {"shutdown-grace", "VRAMFIT_SHUTDOWN_GRACE", OPT_INT, 0, 300, OFF(shutdown_grace), 0, "10",
     "seconds in-flight requests get to finish after SIGTERM/SIGINT", NULL, "SECONDS"},
    {"today", "VRAMFIT_TODAY", OPT_STRING, 0, 0, OFF(today), SZ(today), "",
     "fix today's date (YYYY-MM-DD) for retirement checks; unset = the current UTC date", NULL,
     "DATE"},
    {"log-level", "VRAMFIT_LOG_LEVEL", OPT_STRING, 0, 0, OFF(log_level), SZ(log_level), "info",
     "least severe log level written to stdout", "debug|info|warn|error", "LEVEL"},
    {"cors-origins", "VRAMFIT_CORS_ORIGINS", OPT_STRING, 0, 0, OFF(cors_origins), SZ(cors_origins),
     "*",
     "origins allowed to call from a browser: *, or a comma-separated list of "
     "scheme://host[:port]; empty = no CORS headers",
     NULL, "LIST"},
    {"catalog-url", "VRAMFIT_CATALOG_URL", OPT_STRING, 0, 0, OFF(catalog_url), SZ(catalog_url), "",
     "refresh the SKU specs from this vramfit.catalog/v1 document (http, https, file)", NULL,
     "URL"},
    {"prices-url", "VRAMFIT_PRICES_URL", OPT_STRING, 0, 0, OFF(prices_url), SZ(prices_url),
     "https://prices.azure.com/api/retail/prices", "Azure Retail Prices API endpoint", NULL, "URL"},
    {"region", "VRAMFIT_REGION", OPT_LIST, 0, 0, OFF(regions), SZ(regions), "eastus",
     "Azure region(s) to price; repeat or comma-separate (eastus,westus3); the first is where "
     "price_per_hour is quoted",
     NULL, "NAME"},
    {"no-prices", "VRAMFIT_NO_PRICES", OPT_FLAG, 0, 1, OFF(no_prices), 0, "0",
     "do not fetch Azure prices", NULL, ""},
    {"refresh-interval", "VRAMFIT_REFRESH_INTERVAL", OPT_INT, 1, 604800, OFF(refresh_interval), 0,
     "21600", "seconds between background refreshes (+-10 % jitter; failures retry sooner)", NULL,
     "SECONDS"},
    {"fetch-timeout", "VRAMFIT_FETCH_TIMEOUT", OPT_INT, 1, 3600, OFF(fetch_timeout), 0, "60",
     "seconds one upstream request may take in total", NULL, "SECONDS"},
    {"cache-file", "VRAMFIT_CACHE_FILE", OPT_STRING, 0, 0, OFF(cache_file), SZ(cache_file), "",
     "keep the last good merged catalog here; loaded at start when valid", NULL, "PATH"},
    {"hf-endpoint", "HF_ENDPOINT", OPT_STRING, 0, 0, OFF(hf_endpoint), SZ(hf_endpoint),
     "https://huggingface.co",
     "Hugging Face Hub (or mirror) that resolves \"model\": \"org/name\" in POST /estimate; "
     "empty = off",
     NULL, "URL"},
    /* The hosts huggingface.co's /resolve/ redirects large files to (observed 2025-2026: the
     * LFS CDN and the Xet bridge). */
    {"hf-cdn-hosts", "VRAMFIT_HF_CDN_HOSTS", OPT_STRING, 0, 0, OFF(hf_cdn_hosts), SZ(hf_cdn_hosts),
     "cdn-lfs.huggingface.co,cdn-lfs.hf.co,cdn-lfs-us-1.hf.co,cdn-lfs-eu-1.hf.co,"
     "cas-bridge.xethub.hf.co",
     "comma-separated hosts (or host:port) the Hub may redirect file reads to; others are refused",
     NULL, "LIST"},
    {"hf-token-file", "VRAMFIT_HF_TOKEN_FILE", OPT_STRING, 0, 0, OFF(hf_token_file),
     SZ(hf_token_file), "",
     "file holding a Hugging Face token for gated repos (the HF_TOKEN environment variable "
     "wins); the token is never logged",
     NULL, "PATH"},
    {"hf-cache-dir", "VRAMFIT_HF_CACHE_DIR", OPT_STRING, 0, 0, OFF(hf_cache_dir), SZ(hf_cache_dir),
     "", "directory where resolved repos are kept across restarts; empty = memory only", NULL,
     "PATH"},
    {"hf-cache-ttl", "VRAMFIT_HF_CACHE_TTL", OPT_INT, 1, 31536000, OFF(hf_cache_ttl), 0, "86400",
     "seconds a resolved repo (config and tensor table) is reused", NULL, "SECONDS"},
    {"hf-timeout", "VRAMFIT_HF_TIMEOUT", OPT_INT, 1, 600, OFF(hf_timeout), 0, "20",
     "seconds one cold resolution (every request to the Hub) may take in all", NULL, "SECONDS"},
    {"config", "VRAMFIT_CONFIG", OPT_STRING, 0, 0, OFF(config), SZ(config), "",
     "JSON object of option names to values, read before env and flags (flag > env > file > "
     "default)",
     NULL, "PATH"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt_def *find_opt(const char *name, size_t nlen)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].flag) == nlen && strncmp(opts[i].flag, name, nlen) == 0)
            return &opts[i];
    return NULL;
}

static void default_text(const struct opt_def *o, char *dst, size_t n)
{
    if (strcmp(o->def, DEF_NCPU) == 0)
        snprintf(dst, n, "(online CPUs)");
    else
        snprintf(dst, n, "%s", o->def[0] ? o->def : "(unset)");
}

static int online_cpus(void)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return ncpu < 1 ? 1 : (ncpu > 256 ? 256 : (int)ncpu);
}

/* The --help text (generated from the option table). */
static void options_usage(FILE *f)
{
    fprintf(f, "usage: vramfit [options]\n\n"
               "GPU memory estimator and Azure GPU VM picker (HTTP/JSON service).\n\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char left[64], def[64];
        snprintf(left, sizeof(left), "--%s%s%s", opts[i].flag, opts[i].metavar[0] ? " " : "",
                 opts[i].metavar);
        default_text(&opts[i], def, sizeof(def));
        fprintf(f, "  %-26s %s\n", left, opts[i].help);
        if (opts[i].choices)
            fprintf(f, "  %-26s one of %s\n", "", opts[i].choices);
        fprintf(f, "  %-26s default %s; env %s\n", "", def, opts[i].env);
    }
    fprintf(
        f,
        "  %-26s %s\n  %-26s %s\n  %-26s %s\n\n"
        "Precedence: flag > environment > config file > default. Values are checked at start.\n",
        "--print-config", "print the effective configuration as JSON and exit", "--help",
        "print this help and exit", "--version", "print the version and exit");
}

void options_markdown(FILE *f)
{
    fprintf(f, "| flag | env | config key | default | allowed | description |\n"
               "| --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char def[64], allowed[96];
        default_text(&opts[i], def, sizeof(def));
        if (opts[i].type == OPT_INT)
            snprintf(allowed, sizeof(allowed), "integer %lld..%lld", opts[i].min, opts[i].max);
        else if (opts[i].type == OPT_FLAG)
            snprintf(allowed, sizeof(allowed), "flag (env/file: true or false)");
        else if (opts[i].type == OPT_LIST)
            snprintf(allowed, sizeof(allowed), "list: repeat the flag or separate with commas");
        else if (opts[i].choices)
            snprintf(allowed, sizeof(allowed), "%s", opts[i].choices);
        else
            snprintf(allowed, sizeof(allowed), "string, at most %zu bytes", opts[i].size - 1);
        /* A literal | would split the Markdown cell. */
        for (char *p = allowed; *p; p++)
            if (*p == '|')
                *p = '/';
        char key[64];
        if (opts[i].offset == OFF(config))
            snprintf(key, sizeof(key), "(not in the file)");
        else
            snprintf(key, sizeof(key), "`%s`", opts[i].flag);
        fprintf(f, "| `--%s%s%s` | `%s` | %s | `%s` | %s | %s |\n", opts[i].flag,
                opts[i].metavar[0] ? " " : "", opts[i].metavar, opts[i].env, key, def, allowed,
                opts[i].help);
    }
}

static bool in_choices(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    for (const char *p = choices; *p;) {
        size_t n = strcspn(p, "|");
        if (n == vl && strncmp(p, v, n) == 0)
            return true;
        p += n;
        if (*p == '|')
            p++;
    }
    return false;
}

/* label names where the value came from: "--port", "VRAMFIT_PORT" or "config file X: port". */
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
    if (o->choices && !in_choices(o->choices, value)) {
        snprintf(errbuf, errlen, "%s: must be one of %s (got \"%.40s\")", label, o->choices, value);
        return -EINVAL;
    }
    memcpy(dst, value, len + 1);
    return 0;
}

/* The ":port" of an origin, the colon included: 1-5 digits naming a TCP port, 1..65535. */
static bool valid_port(const char *s, size_t n)
{
    if (n < 2 || n > 6 || s[0] != ':')
        return false;
    long v = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/*
 * One entry of --cors-origins: "scheme://host[:port]" exactly, as browsers send Origin (RFC
 * 6454): host is a name of letters, digits, dots and dashes or a bracketed IPv6 literal.
 */
static bool valid_origin(const char *s, size_t n)
{
    size_t skip = 0;
    if (n > 7 && strncmp(s, "http://", 7) == 0)
        skip = 7;
    else if (n > 8 && strncmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    size_t i = skip;
    if (s[i] == '[') {
        while (i < n && s[i] != ']') {
            char c = s[i++];
            if (c != '[' && c != ':' && c != '.' &&
                !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                return false;
        }
        if (i == n || i == skip + 1)
            return false;
        i++; /* past ']' */
    } else {
        for (; i < n && s[i] != ':'; i++) {
            char c = s[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-';
            if (!ok)
                return false;
        }
        if (i == skip)
            return false;
    }
    return i == n || valid_port(s + i, n - i);
}

static int check_cors(const char *list, char *errbuf, size_t errlen)
{
    if (list[0] == '\0' || strcmp(list, "*") == 0)
        return 0;
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ')
            m--;
        if (!valid_origin(p, m)) {
            snprintf(errbuf, errlen,
                     "--cors-origins: \"%.*s\" is not an origin written scheme://host[:port] "
                     "(port 1-65535, no path, no trailing slash); use * for any origin",
                     (int)(m > 80 ? 80 : m), p);
            return -EINVAL;
        }
        p += n;
        if (*p == ',')
            p++;
    }
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
    if (o->hf_endpoint[0] && (strncmp(o->hf_endpoint, "http://", 7) != 0 &&
                              strncmp(o->hf_endpoint, "https://", 8) != 0)) {
        snprintf(errbuf, errlen, "--hf-endpoint: \"%.80s\" must start with http:// or https://",
                 o->hf_endpoint);
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
    if (o->probe_port > 0 && o->probe_port == o->port) {
        snprintf(errbuf, errlen,
                 "--probe-port: %d is also --port; the probe listener needs a port "
                 "of its own",
                 o->probe_port);
        return -EINVAL;
    }
    return check_cors(o->cors_origins, errbuf, errlen);
}

/* Sets option def from val, one value of the --config file; label names the key in errors.
 * Returns 0, or -EINVAL with errbuf filled when val has the wrong JSON type or a bad value. */
static int apply_value(const struct opt_def *def, json_t *val, const char *label, struct options *o,
                       char *errbuf, size_t errlen)
{
    char text[32];
    const char *value = NULL;
    switch (def->type) {
    case OPT_FLAG:
        if (!json_is_boolean(val)) {
            snprintf(errbuf, errlen, "%s: must be true or false", label);
            return -EINVAL;
        }
        value = json_is_true(val) ? "1" : "0";
        break;
    case OPT_LIST: {
        /* A string ("eastus,westus") or an array of strings; it replaces the default list. */
        ((char *)o + def->offset)[0] = '\0';
        json_t *items = json_is_array(val) ? val : NULL;
        if (items == NULL && !json_is_string(val)) {
            snprintf(errbuf, errlen, "%s: must be a JSON string or an array of strings", label);
            return -EINVAL;
        }
        size_t n = items ? json_array_size(items) : 1;
        for (size_t k = 0; k < n; k++) {
            json_t *item = items ? json_array_get(items, k) : val;
            if (!json_is_string(item) ||
                strlen(json_string_value(item)) != json_string_length(item)) {
                snprintf(errbuf, errlen, "%s: must be a JSON string or an array of strings", label);
                return -EINVAL;
            }
            if (set_value(def, json_string_value(item), label, o, errbuf, errlen) < 0)
                return -EINVAL;
        }
        return 0;
    }
    case OPT_INT:
        if (!json_is_integer(val)) {
            snprintf(errbuf, errlen, "%s: must be a JSON integer between %lld and %lld", label,
                     def->min, def->max);
            return -EINVAL;
        }
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(val));
        value = text;
        break;
    case OPT_STRING:
        if (!json_is_string(val)) {
            snprintf(errbuf, errlen, "%s: must be a JSON string", label);
            return -EINVAL;
        }
        value = json_string_value(val);
        if (strlen(value) != json_string_length(val)) {
            snprintf(errbuf, errlen, "%s: must not contain NUL characters", label);
            return -EINVAL;
        }
        break;
    }
    return set_value(def, value, label, o, errbuf, errlen) < 0 ? -EINVAL : 0;
}

/* Applies the --config file: a JSON object whose keys are option names (flags without "--"). */
static int apply_file(const char *path, struct options *o, char *errbuf, size_t errlen)
{
    json_error_t jerr;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(errbuf, errlen, "--config: cannot open %.200s: %s", path, strerror(errno));
        return -EINVAL;
    }
    char *data = malloc(OPTIONS_MAX_FILE + 1);
    size_t len = data ? fread(data, 1, OPTIONS_MAX_FILE + 1, f) : 0;
    bool read_error = ferror(f);
    fclose(f);
    int rc = -EINVAL;
    json_t *doc = NULL;
    if (data == NULL) {
        snprintf(errbuf, errlen, "--config: out of memory");
        goto out;
    }
    if (read_error) {
        snprintf(errbuf, errlen, "--config: cannot read %.200s", path);
        goto out;
    }
    if (len > OPTIONS_MAX_FILE) {
        snprintf(errbuf, errlen, "--config: %.200s is larger than %d bytes", path,
                 OPTIONS_MAX_FILE);
        goto out;
    }
    doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        snprintf(errbuf, errlen, "--config: %.200s is not valid JSON: %s (line %d, column %d)",
                 path, jerr.text, jerr.line, jerr.column);
        goto out;
    }
    if (!json_is_object(doc)) {
        snprintf(errbuf, errlen, "--config: %.200s must hold a JSON object of option names", path);
        goto out;
    }
    const char *key;
    json_t *val;
    json_object_foreach(doc, key, val)
    {
        char label[300];
        snprintf(label, sizeof(label), "config file %.200s: %.40s", path, key);
        const struct opt_def *def = find_opt(key, strlen(key));
        if (def == NULL || def->offset == OFF(config)) {
            snprintf(errbuf, errlen, "%s: not a known option (keys are the flag names, see --help)",
                     label);
            goto out;
        }
        if (apply_value(def, val, label, o, errbuf, errlen) < 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(doc);
    free(data);
    return rc;
}

/* o as a JSON object keyed by option name (a valid --config file; "config" itself is left out).
 * Returns 0 or -ENOMEM. */
static int options_print_json(const struct options *o, FILE *f)
{
    json_t *doc = json_object();
    if (doc == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < NOPTS; i++) {
        if (opts[i].offset == OFF(config))
            continue;
        const char *src = (const char *)o + opts[i].offset;
        json_t *v = opts[i].type == OPT_INT    ? json_integer(*(const int *)(const void *)src)
                    : opts[i].type == OPT_FLAG ? json_boolean(*(const int *)(const void *)src)
                                               : json_string(src);
        if (json_object_set_new(doc, opts[i].flag, v) < 0) {
            json_decref(doc);
            return -ENOMEM;
        }
    }
    int rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    json_decref(doc);
    return rc < 0 ? -ENOMEM : 0;
}

/* The value of --config from argv ("--config X" or "--config=X"), or NULL. */
static const char *config_from_argv(int argc, char **argv)
{
    const char *found = NULL;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
            found = argv[++a];
        else if (strncmp(argv[a], "--config=", 9) == 0)
            found = argv[a] + 9;
    }
    return found;
}

int options_parse(int argc, char **argv, struct options *out, FILE *out_stream, char *errbuf,
                  size_t errlen)
{
    struct options o;
    bool print_config = false;
    bool list_from_flag[NOPTS] = {false};
    memset(&o, 0, sizeof(o));
    for (size_t i = 0; i < NOPTS; i++) {
        char label[64];
        snprintf(label, sizeof(label), "default of --%s", opts[i].flag);
        if (strcmp(opts[i].def, DEF_NCPU) == 0) {
            *(int *)(void *)((char *)&o + opts[i].offset) = online_cpus();
            continue;
        }
        if (set_value(&opts[i], opts[i].def, label, &o, errbuf, errlen) < 0)
            return -EINVAL;
    }

    const char *cfg = config_from_argv(argc, argv);
    if (cfg == NULL)
        cfg = getenv("VRAMFIT_CONFIG");
    if (cfg != NULL && cfg[0] != '\0' && apply_file(cfg, &o, errbuf, errlen) < 0)
        return -EINVAL;

    for (size_t i = 0; i < NOPTS; i++) {
        const char *v = getenv(opts[i].env);
        /* The environment's list replaces the file's or the default one. */
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
        if (strcmp(arg, "--print-config") == 0) {
            print_config = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(errbuf, errlen, "unexpected argument \"%.40s\" (see --help)", arg);
            return -EINVAL;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt_def *def = find_opt(name, nlen);
        if (def == NULL) {
            snprintf(errbuf, errlen, "unknown option \"%.40s\" (see --help)", arg);
            return -EINVAL;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (def->type == OPT_FLAG && value == NULL)
            value = "1";
        /* A list flag replaces the earlier list, then further flags append to it. */
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
    if (print_config) {
        options_print_json(&o, out_stream);
        return OPTIONS_EXIT;
    }
    *out = o;
    return OPTIONS_OK;
}
