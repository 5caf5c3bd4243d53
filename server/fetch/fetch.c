/* fetch.c - runs each refresher GET in a vramfit-fetch process and reads its answer back. */
#define _GNU_SOURCE /* pipe2 */
#include "fetch/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "fetch/fetchproto.h"

extern char **environ;

struct fetcher {
    char helper[PATH_MAX];
    const atomic_bool *cancel;
};

/* Poll slice: how soon a cancel (shutdown) is noticed while the helper works. */
#define FETCH_POLL_MS 100
/* Beyond the transfer's own timeouts, how long the helper may take before it is killed. */
#define FETCH_GRACE_S 5

struct fetcher *fetch_new(const char *helper, const atomic_bool *cancel)
{
    struct fetcher *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->cancel = cancel;
    if (helper != NULL && helper[0]) {
        snprintf(f->helper, sizeof(f->helper), "%s", helper);
        return f;
    }
    /* Beside this executable: build/vramfit-fetch, /usr/local/bin/vramfit-fetch in the image. */
    char self[PATH_MAX - sizeof(FETCHPROTO_HELPER_NAME)];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        snprintf(f->helper, sizeof(f->helper), "%s", FETCHPROTO_HELPER_NAME);
        return f;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        slash[1] = '\0';
    snprintf(f->helper, sizeof(f->helper), "%s%s", slash ? self : "", FETCHPROTO_HELPER_NAME);
    return f;
}

void fetch_free(struct fetcher *f)
{
    free(f);
}

void fetch_response_free(struct fetch_response *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Starts the helper with its stdin and stdout on fresh pipes; 0 or -errno. */
static int spawn_helper(const char *path, pid_t *pid, int *to_child, int *from_child)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, rc;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        rc = -errno;
        goto fail_pipes;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawnattr_init(&at);
    /* The server blocks SIGTERM/SIGINT/SIGHUP (taken by sigwait) and ignores SIGPIPE; the
     * helper gets neither, so a kill works and a closed pipe ends it. */
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *const argv[] = {(char *)(uintptr_t)path, NULL};
    rc = -posix_spawn(pid, path, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc < 0)
        goto fail_pipes;
    close(in[0]);
    close(out[1]);
    *to_child = in[1];
    *from_child = out[0];
    return 0;
fail_pipes:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    return rc;
}

/* How reading the helper's answer ended: at EOF, or cut short (the helper is then killed). */
enum read_end { READ_EOF, READ_CANCELLED, READ_TIMED_OUT, READ_TOO_BIG };

/* Reads the helper's answer from fd into got until EOF or a read error, a cancel, the deadline
 * (now_s() time) or got's cap, whichever comes first; polls in slices so a cancel is seen soon. */
static enum read_end read_reply(const struct fetcher *f, int fd, double deadline, struct buf *got)
{
    for (;;) {
        if (f->cancel != NULL && atomic_load(f->cancel))
            return READ_CANCELLED;
        if (now_s() > deadline)
            return READ_TIMED_OUT;
        struct pollfd p = {fd, POLLIN, 0};
        int pr = poll(&p, 1, FETCH_POLL_MS);
        if (pr < 0 && errno != EINTR)
            return READ_EOF;
        if (pr <= 0)
            continue;
        char chunk[16384];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return READ_EOF; /* EOF: the helper is done */
        if (buf_append(got, chunk, (size_t)n) < 0)
            return READ_TOO_BIG;
    }
}

/* After the helper was reaped: 0 when its answer may be parsed, or -1 with errbuf saying why not
 * (how the read ended, its exit status, then whether it took the request, in that order). */
static int explain_failure(const struct fetcher *f, const struct fetch_request *req,
                           enum read_end end, int status, int write_errno, char *errbuf,
                           size_t errlen)
{
    switch (end) {
    case READ_CANCELLED:
        snprintf(errbuf, errlen, "fetch of %.300s cancelled (shutting down)", req->url);
        return -1;
    case READ_TIMED_OUT:
        snprintf(errbuf, errlen, "the fetch helper did not finish %.300s in time (killed)",
                 req->url);
        return -1;
    case READ_TOO_BIG:
        snprintf(errbuf, errlen, "response from %.300s is larger than the %zu-byte limit", req->url,
                 req->max_bytes);
        return -1;
    case READ_EOF:
        break;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(errbuf, errlen, "cannot run the fetch helper %.300s (exit 127)", f->helper);
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            snprintf(errbuf, errlen, "the fetch helper died of signal %d fetching %.300s",
                     WTERMSIG(status), req->url);
        else
            snprintf(errbuf, errlen, "the fetch helper %.300s exited %d fetching %.300s", f->helper,
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1, req->url);
        return -1;
    }
    if (write_errno != 0) {
        snprintf(errbuf, errlen, "the fetch helper %.300s did not take the request: %s", f->helper,
                 strerror(write_errno));
        return -1;
    }
    return 0;
}

int fetch_get(struct fetcher *f, const struct fetch_request *req, struct fetch_response *out,
              char *errbuf, size_t errlen)
{
    struct buf got;
    char *line = NULL;
    pid_t pid = -1;
    int to_child = -1, from_child = -1, rc = -1;

    memset(out, 0, sizeof(*out));
    /* The helper's answer is a header line and at most max_bytes of body. */
    buf_init(&got, req->max_bytes + FETCHPROTO_HEADER_MAX);
    line = fetchproto_request_line(req);
    if (line == NULL) {
        snprintf(errbuf, errlen, "out of memory fetching %.300s", req->url);
        goto out;
    }
    /* Checked first because a failed exec is reported late (exit 127) where posix_spawn falls
     * back to fork, as under valgrind, and such a child is a copy of the whole server. */
    if (access(f->helper, X_OK) < 0) {
        snprintf(errbuf, errlen, "cannot run the fetch helper %.300s: %s", f->helper,
                 strerror(errno));
        goto out;
    }
    int sr = spawn_helper(f->helper, &pid, &to_child, &from_child);
    if (sr < 0) {
        snprintf(errbuf, errlen, "cannot run the fetch helper %.300s: %s", f->helper,
                 strerror(-sr));
        goto out;
    }
    /* A helper that cannot start may only say so by exiting 127 (posix_spawn reports exec
     * failures late on some systems, valgrind's among them): its exit status decides below. */
    int write_errno = fetchproto_write_all(to_child, line, strlen(line)) < 0 ? errno : 0;
    close(to_child);
    to_child = -1;

    double deadline =
        now_s() + (double)req->connect_timeout_s + (double)req->timeout_s + FETCH_GRACE_S;
    enum read_end end = read_reply(f, from_child, deadline, &got);
    if (end != READ_EOF)
        kill(pid, SIGKILL);
    close(from_child);
    from_child = -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (explain_failure(f, req, end, status, write_errno, errbuf, errlen) < 0)
        goto out;
    rc = fetchproto_parse_reply(got.data, got.len, req, out, errbuf, errlen);
out:
    if (to_child >= 0)
        close(to_child);
    if (from_child >= 0)
        close(from_child);
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    buf_free(&got);
    free(line);
    return rc;
}
