/*
 * fuzz_checkpoint.c - the checkpoint decoder: any bytes either decode into
 * bounded entries that re-encode and decode to the same, or are refused as
 * damaged with a reason. Never a crash or a leak.
 */
#include "checkpoint.h"
#include "wt_parsers.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wt_ckpt *e = NULL, *e2 = NULL;
    size_t n = 0, n2 = 0, len;
    char err[128] = "", *json;

    int rc = wt_ckpt_decode((const char *)data, size, &e, &n, err, sizeof(err));
    if (rc != 0) {
        if (e || n || err[0] == '\0')
            abort();
        return 0;
    }
    if (n > WT_CKPT_MAX)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (e[i].fp_len > WT_FP_BYTES || memchr(e[i].path, '\0', sizeof(e[i].path)) == NULL)
            abort();
    }
    if (wt_ckpt_encode(e, n, &json, &len) != 0)
        abort();
    if (wt_ckpt_decode(json, len, &e2, &n2, err, sizeof(err)) != 0 || n2 != n)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (e[i].offset != e2[i].offset || e[i].ino != e2[i].ino || e[i].fp != e2[i].fp ||
            strcmp(e[i].path, e2[i].path) != 0)
            abort();
    }
    free(json);
    free(e);
    free(e2);
    return 0;
}
