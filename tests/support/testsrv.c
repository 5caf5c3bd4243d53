/* testsrv.c - starts and stops the real server binary and makes HTTP requests to it (libcurl). */
#include "support/testsrv.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#ifndef VRAMFIT_BIN_DEFAULT
#define VRAMFIT_BIN_DEFAULT "build/vramfit"
#endif

static const char *bin_path(void)
{
    const char *b = getenv("VRAMFIT_BIN");
    return b && b[0] ? b : VRAMFIT_BIN_DEFAULT;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

char *testfile_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *d = malloc(cap);
    size_t r;
    while (d && (r = fread(d + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *nd = realloc(d, cap * 2);
            if (nd == NULL) {
                free(d);
                d = NULL;
                break;
            }
            d = nd;
            cap *= 2;
        }
    }
    fclose(f);
    if (d) {
        d[n] = '\0';
        if (len)
            *len = n;
    }
    return d;
}

char *testsrv_log(const struct testsrv *s)
{
    return testfile_read(s->log_path, NULL);
}

int testsrv_start(struct testsrv *s, const char *const *extra_args)
{
    memset(s, 0, sizeof(*s));
    /* A fresh, empty file made here (not by the child) so the poll below can never read an
     * older server's "listening" line. */
    snprintf(s->log_path, sizeof(s->log_path), "/tmp/vramfit-test-XXXXXX");
    int logfd = mkstemp(s->log_path);
    if (logfd < 0)
        return -1;
    const char *args[64];
    size_t n = 0;
    args[n++] = bin_path();
    args[n++] = "--bind";
    args[n++] = "127.0.0.1";
    args[n++] = "--port";
    args[n++] = "0";
    args[n++] = "--threads";
    args[n++] = "2";
    for (size_t i = 0; extra_args && extra_args[i] && n < 62; i++)
        args[n++] = extra_args[i];
    args[n] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        /* Tests never reach the real Azure price API: prices stay off unless a test points
         * --prices-url at a local fixture. */
        bool prices_url = false;
        for (size_t i = 0; extra_args && extra_args[i]; i++)
            prices_url |= strncmp(extra_args[i], "--prices-url", 12) == 0;
        if (!prices_url)
            setenv("VRAMFIT_NO_PRICES", "1", 1);
        /* A failing Check test exits without its teardown: take the server down with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(logfd, 1);
        dup2(logfd, 2);
        close(logfd);
        execv(args[0], (char *const *)(void *)args);
        _exit(127);
    }
    close(logfd);
    s->pid = pid;
    /* Under memcheck (make valgrind) startup takes seconds, not milliseconds. */
    const char *wait_env = getenv("VRAMFIT_START_TIMEOUT_S");
    int polls = wait_env && atoi(wait_env) > 0 ? atoi(wait_env) * 100 : 500;
    for (int i = 0; i < polls; i++) {
        char *log = testsrv_log(s);
        const char *p = log ? strstr(log, "\"event\":\"listening\"") : NULL;
        if (p) {
            const char *q = strstr(p, "\"port\":");
            if (q)
                s->port = atoi(q + 7);
        }
        free(log);
        if (s->port > 0)
            return 0;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            s->pid = 0;
            return -1;
        }
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    s->pid = 0;
    return -1;
}

int testsrv_stop(struct testsrv *s, int sig, double wait_s, int *exit_status)
{
    int rc = 0, st = 0;
    if (s->pid <= 0)
        return -1;
    kill(s->pid, sig ? sig : SIGTERM);
    int waited = 0;
    while (waitpid(s->pid, &st, WNOHANG) == 0) {
        if (waited >= (int)(wait_s * 100)) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &st, 0);
            rc = -1;
            break;
        }
        sleep_ms(10);
        waited++;
    }
    if (exit_status)
        *exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    /* A server that died of a signal nobody sent it (an abort, a segfault) keeps its log: it
     * holds the only account of a crash that may not come back. */
    if (rc == 0 && WIFSIGNALED(st) && WTERMSIG(st) != (sig ? sig : SIGTERM))
        fprintf(stderr, "testsrv: server pid %d died of signal %d; its log is kept at %s\n",
                (int)s->pid, WTERMSIG(st), s->log_path);
    else if (getenv("VRAMFIT_TEST_KEEP_LOGS") == NULL)
        unlink(s->log_path);
    s->pid = 0;
    return rc;
}

static char *read_fd_all(int fd)
{
    size_t cap = 4096, n = 0;
    char *d = malloc(cap);
    ssize_t r;
    while (d && (r = read(fd, d + n, cap - n - 1)) > 0) {
        n += (size_t)r;
        if (cap - n - 1 == 0) {
            char *nd = realloc(d, cap * 2);
            if (!nd) {
                free(d);
                return NULL;
            }
            d = nd;
            cap *= 2;
        }
    }
    if (d)
        d[n] = '\0';
    return d;
}

int testsrv_run(const char *const *args, char **out, char **err, int *exit_status)
{
    const char *argv[64];
    size_t n = 0;
    argv[n++] = bin_path();
    for (size_t i = 0; args && args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char out_path[128], err_path[128];
    snprintf(out_path, sizeof(out_path), "/tmp/vramfit-run-%d.out", (int)getpid());
    snprintf(err_path, sizeof(err_path), "/tmp/vramfit-run-%d.err", (int)getpid());
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(argv[0], (char *const *)(void *)argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    *exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    int fo = open(out_path, O_RDONLY), fe = open(err_path, O_RDONLY);
    *out = read_fd_all(fo);
    *err = read_fd_all(fe);
    close(fo);
    close(fe);
    unlink(out_path);
    unlink(err_path);
    return 0;
}

struct sink {
    char *d;
    size_t n;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sink *s = ud;
    size_t len = size * nmemb;
    char *nd = realloc(s->d, s->n + len + 1);
    if (nd == NULL)
        return 0;
    memcpy(nd + s->n, p, len);
    s->n += len;
    nd[s->n] = '\0';
    s->d = nd;
    return len;
}

/*
 * With VRAMFIT_CONTRACT_DIR set, every exchange is written there as one JSON file; the contract
 * check (tests/contract/validate.mjs) then validates each against openapi.yaml.
 */
static void record_exchange(const char *method, const char *path, const struct http_result *r)
{
    const char *dir = getenv("VRAMFIT_CONTRACT_DIR");
    if (dir == NULL || dir[0] == '\0')
        return;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static unsigned counter;
    pthread_mutex_lock(&lock);
    unsigned n = counter++;
    pthread_mutex_unlock(&lock);
    json_t *headers = json_object();
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        const char *colon = memchr(line, ':', ll);
        if (colon != NULL && strncmp(line, "HTTP/", 5) != 0) {
            char name[128];
            size_t nl = (size_t)(colon - line) < sizeof(name) - 1 ? (size_t)(colon - line)
                                                                  : sizeof(name) - 1;
            for (size_t i = 0; i < nl; i++)
                name[i] = (char)(line[i] >= 'A' && line[i] <= 'Z' ? line[i] + 32 : line[i]);
            name[nl] = '\0';
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            json_object_set_new(headers, name, json_stringn(v, ll - (size_t)(v - line)));
        }
        line = eol ? eol + 2 : NULL;
    }
    json_t *body = json_stringn(r->body, r->len); /* NULL when not UTF-8 (e.g. gzip bytes) */
    json_t *rec = json_pack("{s:s, s:s, s:i, s:o, s:o}", "method", method, "path", path, "status",
                            (int)r->status, "headers", headers, "body", body ? body : json_null());
    char file[600];
    snprintf(file, sizeof(file), "%s/%d-%u.json", dir, (int)getpid(), n);
    if (rec)
        json_dump_file(rec, file, JSON_COMPACT);
    json_decref(rec);
}

int testhttp(int port, const char *method, const char *path, const char *content_type,
             const char *body, size_t len, const char *extra_header, struct http_result *out)
{
    memset(out, 0, sizeof(*out));
    CURL *c = curl_easy_init();
    if (c == NULL)
        return -1;
    char url[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    struct sink b = {NULL, 0}, h = {NULL, 0};
    struct curl_slist *hdrs = NULL;
    char ct[256];
    if (content_type) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
        hdrs = curl_slist_append(hdrs, ct);
    } else {
        hdrs = curl_slist_append(hdrs, "Content-Type:");
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (extra_header)
        hdrs = curl_slist_append(hdrs, extra_header);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* 10 s; under memcheck (tools/valgrind-suite.sh sets VALGRIND_REAL_BIN) the server runs ~20x
     * slower and a cold Hub resolution (check_hub) takes longer than that. */
    curl_easy_setopt(c, CURLOPT_TIMEOUT, getenv("VALGRIND_REAL_BIN") ? 90L : 10L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        free(b.d);
        free(h.d);
        return -1;
    }
    out->body = b.d ? b.d : strdup("");
    out->len = b.n;
    out->headers = h.d ? h.d : strdup("");
    record_exchange(method, path, out);
    return 0;
}

int http_result_header(const struct http_result *r, const char *name, char *dst, size_t n)
{
    size_t nl = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        if (ll > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = ll - (size_t)(v - line);
            if (vl >= n)
                vl = n - 1;
            memcpy(dst, v, vl);
            dst[vl] = '\0';
            return 0;
        }
        line = eol ? eol + 2 : NULL;
    }
    return -1;
}

json_t *testhttp_post_json(int port, const char *path, const char *body, long *status, char *why,
                           size_t why_len)
{
    struct http_result r;
    if (testhttp(port, "POST", path, "application/json", body, strlen(body), NULL, &r) != 0) {
        if (why != NULL && why_len > 0)
            snprintf(why, why_len, "transport error");
        return NULL;
    }
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    if (j == NULL && why != NULL && why_len > 0)
        snprintf(why, why_len, "%.200s", r.body ? r.body : "");
    http_result_free(&r);
    return j;
}

void http_result_free(struct http_result *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

int testraw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int testraw_send(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

size_t testraw_recv(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    while (n + 1 < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0)
            break;
        ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

int testraw_status(const char *buf)
{
    int status;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) == 1)
        return status;
    return -1;
}
