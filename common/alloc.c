/*
 * alloc.c - the one allocation wrapper (see wt_common.h).
 *
 * In a fault build (WT_ALLOC_FAULTS defined, cmake -DWT_ALLOC_FAULTS=ON)
 * every call is counted and, when the environment sets WT_ALLOC_FAIL_AT=N,
 * the Nth and every later allocation fails, as curl's torture mode does:
 * the alloc-failure tests run an operation for N = 1, 2, ... until it
 * succeeds and check that each failure is clean (a clear error, no crash,
 * no leak under ASan). WT_ALLOC_FAIL_ONLY=1 fails allocation N alone
 * (every later one succeeds): that reaches the paths that handle one
 * failure and go on, where "N and later" mostly reaches the first error
 * path and the cleanups after it. Out of a fault build these are plain calls.
 */
#include "wt_common.h"

#include <stdlib.h>
#include <string.h>

#include <stdatomic.h>

#ifdef WT_ALLOC_FAULTS

static atomic_uint_fast64_t count;
static atomic_uint_fast64_t fail_at; /* 0: not read yet; UINT64_MAX: never */
static atomic_bool fail_only;        /* WT_ALLOC_FAIL_ONLY=1: N alone */

/* Does this allocation fail? */
static bool fail_now(void)
{
    uint64_t at = atomic_load(&fail_at);
    if (at == 0) {
        const char *e = getenv("WT_ALLOC_FAIL_AT");
        at = e && *e ? strtoull(e, NULL, 10) : 0;
        if (at == 0)
            at = UINT64_MAX;
        e = getenv("WT_ALLOC_FAIL_ONLY");
        atomic_store(&fail_only, e && strcmp(e, "1") == 0);
        atomic_store(&fail_at, at);
    }
    uint64_t n = atomic_fetch_add(&count, 1) + 1;
    return atomic_load(&fail_only) ? n == at : n >= at;
}

uint64_t wt_alloc_count(void)
{
    return atomic_load(&count);
}
#else
#define fail_now() false

uint64_t wt_alloc_count(void)
{
    return 0;
}
#endif

/*
 * Failed allocations, in every build: a library that reports every failure
 * alike (cJSON_Parse returns NULL for out of memory and for bad JSON alike)
 * can be told apart by whether this moved.
 */
static atomic_uint_fast64_t failures;

static void *noted(void *p, size_t n)
{
    if (!p && n)
        atomic_fetch_add(&failures, 1);
    return p;
}

uint64_t wt_alloc_failures(void)
{
    return atomic_load(&failures);
}

void *wt_malloc(size_t n)
{
    return noted(fail_now() ? NULL : malloc(n), n);
}

void *wt_calloc(size_t n, size_t size)
{
    return noted(fail_now() ? NULL : calloc(n, size), n && size);
}

void *wt_realloc(void *p, size_t n)
{
    return noted(fail_now() ? NULL : realloc(p, n), n);
}

char *wt_strdup(const char *s)
{
    return noted(fail_now() ? NULL : strdup(s), 1);
}

char *wt_strndup(const char *s, size_t n)
{
    return noted(fail_now() ? NULL : strndup(s, n), 1);
}

void wt_free(void *p)
{
    free(p);
}
