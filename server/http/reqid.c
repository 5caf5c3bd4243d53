/* reqid.c - request id validation and generation (random per-process seed, atomic counter). */
#include "http/reqid.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static atomic_uint_fast64_t counter;
static atomic_uint_fast64_t seed;

static bool sane(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("._:/+=@-", c) != NULL;
        if (!ok || n >= REQID_MAX)
            return false;
    }
    return n > 0;
}

/* splitmix64's finalizer: a bijection, so distinct counters give distinct ids. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t get_seed(void)
{
    uint64_t s = atomic_load_explicit(&seed, memory_order_relaxed);
    if (s != 0)
        return s;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        s = (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
    }
    s |= 1;
    uint_fast64_t expected = 0;
    /* Two first callers may race: both agree on whichever seed won. */
    if (!atomic_compare_exchange_strong(&seed, &expected, s))
        s = expected;
    return s;
}

void reqid_pick(const char *incoming, char *dst)
{
    if (incoming != NULL && sane(incoming)) {
        snprintf(dst, REQID_MAX + 1, "%s", incoming);
        return;
    }
    uint64_t n = atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
    /* The seed is added, not mixed in, so the map from counter to id stays one-to-one. */
    uint64_t id = mix(get_seed() + n);
    static const char hex[] = "0123456789abcdef";
    /* By hand rather than "%016llx": one of these per request, and printf showed in profiles. */
    for (int i = 15; i >= 0; i--, id >>= 4)
        dst[i] = hex[id & 15];
    dst[16] = '\0';
}
