/* options.h - the server's configuration: one table drives flags, env, the config file and --help.
 */
#ifndef VRAMFIT_OPTIONS_H
#define VRAMFIT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct options {
    char bind[64];              /* --bind, VRAMFIT_BIND: IPv4 or IPv6 literal */
    int port;                   /* --port, VRAMFIT_PORT: 0 picks an ephemeral port */
    int threads;                /* --threads, VRAMFIT_THREADS: MHD thread-pool size */
    char catalog_file[512];     /* --catalog-file, VRAMFIT_CATALOG_FILE: "" = embedded */
    int max_connections;        /* --max-connections */
    int max_connections_per_ip; /* --max-connections-per-ip: 0 = no per-address limit */
    int probe_port;             /* --probe-port: -1 = no probe listener, 0 = ephemeral */
    int connection_timeout;     /* --connection-timeout, seconds idle before MHD closes */
    int shutdown_grace;         /* --shutdown-grace, seconds in-flight requests get on SIGTERM */
    char today[11];          /* --today: fixes "today" (YYYY-MM-DD) for retirement; "" = UTC date */
    char log_level[8];       /* --log-level: debug, info, warn or error */
    char cors_origins[1024]; /* --cors-origins: "*", a comma-separated origin list, or "" (off) */
    char config[512];        /* --config, VRAMFIT_CONFIG: JSON file read before env and flags */
    char catalog_url[1024];  /* --catalog-url, VRAMFIT_CATALOG_URL: "" = none */
    char prices_url[1024];   /* --prices-url, VRAMFIT_PRICES_URL: Azure Retail Prices API */
    char regions[1024];      /* --region (repeatable, comma list), VRAMFIT_REGION: normalized */
    int no_prices;           /* --no-prices, VRAMFIT_NO_PRICES: 1 turns the price feed off */
    int refresh_interval;    /* --refresh-interval, seconds between refreshes */
    int fetch_timeout;       /* --fetch-timeout, seconds per upstream request */
    char cache_file[512];    /* --cache-file, VRAMFIT_CACHE_FILE: "" = none */
    char hf_endpoint[512];   /* --hf-endpoint, HF_ENDPOINT: the Hugging Face Hub; "" = off */
    char hf_cdn_hosts[512];  /* --hf-cdn-hosts: hosts the Hub's redirects may go to */
    char hf_token_file[512]; /* --hf-token-file: a file holding the Hub token (HF_TOKEN wins) */
    char hf_cache_dir[512];  /* --hf-cache-dir: resolved repos kept on disk; "" = memory only */
    int hf_cache_ttl;        /* --hf-cache-ttl, seconds a resolved repo is reused */
    int hf_timeout;          /* --hf-timeout, seconds one cold resolution may take in all */
};

enum options_result {
    OPTIONS_OK = 0,
    OPTIONS_EXIT = 1, /* --help, --version or --print-config was printed: exit 0 */
};

/* Largest --config file read; larger is refused. */
#define OPTIONS_MAX_FILE (1024 * 1024)

/*
 * options_parse - fills *out from the table's defaults, then the JSON config file (--config or
 * VRAMFIT_CONFIG), then the environment (VRAMFIT_*), then argv: flag > env > file > default.
 * Returns OPTIONS_OK, OPTIONS_EXIT (help/version/effective configuration printed to out_stream),
 * or -EINVAL with a one-line message naming the option, where it came from and the rule in
 * errbuf (the caller exits 2). *out is written only on OPTIONS_OK.
 */
int options_parse(int argc, char **argv, struct options *out, FILE *out_stream, char *errbuf,
                  size_t errlen);

/* options_markdown - the README's configuration table (generated from the option table). */
void options_markdown(FILE *f);

#endif
