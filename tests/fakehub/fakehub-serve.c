/* fakehub-serve.c - the suites' fake Hugging Face Hub as a process, to try the Hub path by hand. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "support/fakehub.h"

/*
 * Prints "<endpoint> <cdn-host>" (give them to vramfit as --hf-endpoint and --hf-cdn-hosts) and
 * serves the repos tests/support/fakehub.h lists until interrupted, or for the seconds given.
 */
int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 3600;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the daemon's threads inherit the mask */
    struct fakehub *h = fakehub_start();
    if (h == NULL) {
        fprintf(stderr, "fakehub-serve: cannot start the fake Hub\n");
        return 1;
    }
    char endpoint[64], cdn[64];
    fakehub_endpoint(h, endpoint, sizeof(endpoint));
    fakehub_cdn_host(h, cdn, sizeof(cdn));
    printf("%s %s\n", endpoint, cdn);
    fflush(stdout);
    struct timespec limit = {seconds > 0 ? seconds : 3600, 0};
    sigtimedwait(&set, NULL, &limit);
    fakehub_stop(h);
    return 0;
}
