/*
 * alloc.c - the one allocation wrapper (see wt_common.h).
 *
 * In a fault build (WT_ALLOC_FAULTS defined, cmake -DWT_ALLOC_FAULTS=ON)
 * every call is counted and, when the environment sets WT_ALLOC_FAIL_AT=N,
 * the Nth and every later allocation fails, as curl's torture mode does:
 * the alloc-failure tests run an operation for N = 1, 2, ... until it
 * succeeds and check that each failure is clean (a clear error, no crash,
 * no leak under ASan). Out of a fault build these are plain calls.
 */
#include "wt_common.h"

#include <stdlib.h>
#include <string.h>

#ifdef WT_ALLOC_FAULTS
#include <stdatomic.h>

static atomic_uint_fast64_t count;
static atomic_uint_fast64_t fail_at; /* 0: not read yet; UINT64_MAX: never */

/* Does this allocation fail? */
static bool fail_now(void)
{
    uint64_t at = atomic_load(&fail_at);
    if (at == 0) {
        const char *e = getenv("WT_ALLOC_FAIL_AT");
        at = e && *e ? strtoull(e, NULL, 10) : 0;
        if (at == 0)
            at = UINT64_MAX;
        atomic_store(&fail_at, at);
    }
    return atomic_fetch_add(&count, 1) + 1 >= at;
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

void *wt_malloc(size_t n)
{
    return fail_now() ? NULL : malloc(n);
}

void *wt_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : calloc(n, size);
}

void *wt_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : realloc(p, n);
}

char *wt_strdup(const char *s)
{
    return fail_now() ? NULL : strdup(s);
}

char *wt_strndup(const char *s, size_t n)
{
    return fail_now() ? NULL : strndup(s, n);
}

void wt_free(void *p)
{
    free(p);
}
