/*
 * fuzz_observe.c - the observe API's decoders: the request body of
 * /observe/observables (any bytes are either a list of normalised,
 * de-duplicated observables or refused with a reason) and, chosen by the
 * first byte, the index's bucket value codec (what decodes re-encodes to
 * the same bytes). Never a crash or a leak.
 */
#include "index.h"
#include "index_int.h"
#include "observe.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void request(const uint8_t *data, size_t size)
{
    struct wt_observe_req req;
    char msg[256] = "";
    int rc = wt_observe_decode((const char *)data, size, size % 2, &req, msg, sizeof(msg));
    if (rc != 0) {
        if (req.n || req.obs || (rc == WT_EPARSE && msg[0] == '\0'))
            abort();
        return;
    }
    if (req.n > WT_OBSERVE_OBSERVABLES_MAX)
        abort();
    for (size_t i = 0; i < req.n; i++) {
        const struct wt_observe_obs *o = &req.obs[i];
        char again[8192];
        enum wt_obs_type t = o->type;
        /* Normalised values are fixed points of the normaliser. */
        int l = wt_index_normalise(&t, (struct wt_str){o->value, o->len}, size % 2, again,
                                   sizeof(again));
        if (l != (int)o->len || t != o->type || memcmp(again, o->value, o->len) != 0)
            abort();
        for (size_t k = 0; k < i; k++) {
            if (req.obs[k].type == o->type && req.obs[k].len == o->len &&
                memcmp(req.obs[k].value, o->value, o->len) == 0)
                abort();
        }
    }
    wt_observe_req_free(&req);
}

static void bucket(const uint8_t *data, size_t size)
{
    static struct wt_index_bucket b;
    static uint8_t out[WT_INDEX_VALUE_BYTES_MAX];
    if (wt_index_bucket_decode(data, size, 0, 24 * WT_HOUR_MS, &b) != 0)
        return;
    int n = wt_index_bucket_encode(&b, out, sizeof(out));
    if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'B')
        bucket(data + 1, size - 1);
    else
        request(data, size);
    return 0;
}
