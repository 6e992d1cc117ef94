/*
 * crash.c - named crash points for the crash tests (WT_CRASH_AT).
 *
 * Always compiled in and inert unless the variable is set, so the tests run
 * the binary that ships. A point costs one relaxed atomic load when unset.
 */
#include "wt_common.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 0: not read yet, 1: unset (inert), 2: armed. */
static atomic_int state;
static char target[64];
static unsigned long nth = 1;
static atomic_ulong hits;

static void load(void)
{
    const char *v = getenv("WT_CRASH_AT");
    if (!v || !*v) {
        atomic_store(&state, 1);
        return;
    }
    size_t n = strcspn(v, ":");
    if (n >= sizeof(target))
        n = sizeof(target) - 1;
    memcpy(target, v, n);
    target[n] = '\0';
    if (v[n] == ':') {
        unsigned long k = strtoul(v + n + 1, NULL, 10);
        nth = k ? k : 1;
    }
    atomic_store(&state, 2);
}

void wt_crash_point(const char *name)
{
    int st = atomic_load_explicit(&state, memory_order_relaxed);
    if (st == 0) {
        load(); /* a race here only loads the same values twice */
        st = atomic_load(&state);
    }
    if (st != 2 || strcmp(name, target) != 0)
        return;
    if (atomic_fetch_add(&hits, 1) + 1 == nth) {
        static const char msg[] = "WT_CRASH_AT: crashing at a crash point\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        (void)w;
        kill(getpid(), SIGKILL);
        _exit(137);
    }
}
