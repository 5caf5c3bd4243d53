/* hubopts.c - the Hub resolver built from the server's options, its token read from the
 * environment or a file (never from argv, never logged). */
#define _GNU_SOURCE /* O_NOFOLLOW, O_CLOEXEC */
#include "hub/hubopts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest token accepted: Hugging Face user access tokens are "hf_" and 34 characters. */
#define HUB_MAX_TOKEN 4096

/* The token from path into tok[n] (surrounding whitespace dropped). 0 or -1 with errbuf. */
static int read_token(const char *path, char *tok, size_t n, char *errbuf, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errbuf, errlen, "--hf-token-file: cannot open %.300s: %s", path, strerror(errno));
        return -1;
    }
    ssize_t got = read(fd, tok, n - 1);
    close(fd);
    if (got < 0 || (size_t)got == n - 1) {
        snprintf(errbuf, errlen, "--hf-token-file: %.300s is unreadable or over %zu bytes", path,
                 n - 2);
        memset(tok, 0, n);
        return -1;
    }
    tok[got] = '\0';
    return 0;
}

/* Strips leading and trailing whitespace in place. */
static void trim(char *s)
{
    size_t b = strspn(s, " \t\r\n"), e = strlen(s);
    while (e > b && strchr(" \t\r\n", s[e - 1]))
        e--;
    memmove(s, s + b, e - b);
    s[e - b] = '\0';
}

int hubopts_start(const struct options *o, const atomic_bool *cancel, struct hub **out,
                  char *errbuf, size_t errlen)
{
    char token[HUB_MAX_TOKEN + 2] = "";
    const char *env = getenv("HF_TOKEN");
    if (env != NULL && env[0]) {
        snprintf(token, sizeof(token), "%s", env);
    } else if (o->hf_token_file[0] &&
               read_token(o->hf_token_file, token, sizeof(token), errbuf, errlen) < 0) {
        return -1;
    }
    trim(token);
    if (strpbrk(token, "\r\n\t ") != NULL) {
        memset(token, 0, sizeof(token));
        snprintf(errbuf, errlen, "the Hugging Face token holds whitespace inside it");
        return -1;
    }
    struct hub_config cfg = {
        .endpoint = o->hf_endpoint,
        .cdn_hosts = o->hf_cdn_hosts,
        .token = token,
        .cache_dir = o->hf_cache_dir,
        .cache_ttl_s = o->hf_cache_ttl,
        .timeout_s = o->hf_timeout,
        .helper = NULL,
        .cancel = cancel,
    };
    *out = hub_new(&cfg);
    memset(token, 0, sizeof(token));
    if (*out == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    return 0;
}
