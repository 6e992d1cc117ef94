/*
 * cmd_common.c - what the commands share: routing the libraries'
 * allocations through the wrapper, and loading the config.
 */
#include "config.h"
#include "log.h"
#include "wt_common.h"
#include "wt_exporter.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

/*
 * cJSON and libuv take process-wide allocator hooks, so their allocations
 * are counted (and can be failed) like ours. The other libraries keep their
 * own allocator: zstd takes one only per context (ZSTD_customMem),
 * librdkafka and libmicrohttpd have no hook, and curl's
 * (curl_global_init_mem) would fault curl's internals rather than our code;
 * their failures reach us as their own error returns.
 *
 * libuv returns UV_ENOMEM from most calls, but aborts without a word when it
 * cannot grow a loop's watcher array (uv__io_start): its hooks log the
 * failure first, so such an abort follows a clear "out of memory" line.
 */
static void *uv_noted(void *p, size_t n)
{
    if (!p && n)
        wt_log_error("uv", "out of memory (%zu bytes)", n);
    return p;
}

static void *uv_malloc_hook(size_t n)
{
    return uv_noted(wt_malloc(n), n);
}

static void *uv_realloc_hook(void *p, size_t n)
{
    return uv_noted(wt_realloc(p, n), n);
}

static void *uv_calloc_hook(size_t n, size_t size)
{
    return uv_noted(wt_calloc(n, size), n * size);
}

void wt_alloc_hooks_install(void)
{
    cJSON_Hooks hooks = {.malloc_fn = wt_malloc, .free_fn = wt_free};
    cJSON_InitHooks(&hooks);
    /* Fails only once libuv has allocated: we are called first. */
    if (uv_replace_allocator(uv_malloc_hook, uv_realloc_hook, uv_calloc_hook, wt_free) != 0) {
        fprintf(stderr, "wtexport: uv_replace_allocator failed\n");
        abort();
    }
}

int wt_cmd_load_config(const char *path, struct wt_config *cfg)
{
    struct wt_config_errors *errs = wt_calloc(1, sizeof(*errs));
    if (!errs) {
        fprintf(stderr, "wtexport: out of memory\n");
        return WT_EXIT_FAIL;
    }
    int rc = wt_config_load(path, cfg, errs);
    if (rc != 0) {
        for (unsigned i = 0; i < errs->n; i++)
            fprintf(stderr, "%s: %s\n", path, errs->msg[i]);
        if (errs->dropped)
            fprintf(stderr, "%s: %u more error(s)\n", path, errs->dropped);
    }
    wt_free(errs);
    return rc == 0 ? 0 : WT_EXIT_USAGE;
}
