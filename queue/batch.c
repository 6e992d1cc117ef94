/*
 * batch.c - NDJSON batches with the input positions they cover, and their
 * zstd framing. The buffers are sized once and reused: nothing is allocated
 * per event.
 */
#include "wt_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

struct wt_batch *wt_batch_new(size_t cap)
{
    struct wt_batch *b = wt_calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->data = wt_malloc(cap);
    if (!b->data) {
        wt_free(b);
        return NULL;
    }
    b->cap = cap;
    return b;
}

void wt_batch_free(struct wt_batch *b)
{
    if (!b)
        return;
    wt_free(b->data);
    wt_free(b->z);
    wt_free(b);
}

void wt_batch_reset(struct wt_batch *b, uint64_t id)
{
    b->id = id;
    b->len = 0;
    b->zlen = 0;
    b->nevents = 0;
    b->ts_min = b->ts_max = 0;
    b->opened_ms = 0;
    b->nmarks = 0;
    b->sink_aux = 0;
    b->spool_seq = 0;
    b->has_aux = false;
    b->pending = 0;
    b->state = 0;
    b->next = NULL;
}

void wt_batch_commit_event(struct wt_batch *b, size_t n, int64_t ts_ms)
{
    b->len += n;
    if (b->nevents == 0 || ts_ms < b->ts_min)
        b->ts_min = ts_ms;
    if (b->nevents == 0 || ts_ms > b->ts_max)
        b->ts_max = ts_ms;
    b->nevents++;
}

int wt_batch_mark_at(struct wt_batch *b, uint32_t input, const struct wt_srcpos *at)
{
    /* The last mark is nearly always the one: lines come in runs per input. */
    for (unsigned i = b->nmarks; i-- > 0;) {
        if (b->marks[i].input == input) {
            b->marks[i].offset = at->offset;
            b->marks[i].lineno = at->lineno;
            b->marks[i].at = *at;
            return 0;
        }
    }
    if (b->nmarks == WT_BATCH_MAX_MARKS)
        return WT_EFULL;
    b->marks[b->nmarks++] = (struct wt_batch_mark){input, at->offset, at->lineno, *at};
    return 0;
}

int wt_batch_mark(struct wt_batch *b, uint32_t input, uint64_t offset, uint64_t lineno)
{
    const struct wt_srcpos none = {.offset = offset, .lineno = lineno};
    return wt_batch_mark_at(b, input, &none);
}

int wt_batch_compress(struct wt_batch *b, void *cctx, int level)
{
    size_t bound = ZSTD_compressBound(b->len);
    if (b->zcap < bound) {
        /* Size for a full batch once, so later batches never reallocate. */
        size_t want = ZSTD_compressBound(b->cap);
        char *z = wt_realloc(b->z, want);
        if (!z)
            return -ENOMEM;
        b->z = z;
        b->zcap = want;
    }
    size_t r = ZSTD_compressCCtx(cctx, b->z, b->zcap, b->data, b->len, level);
    if (ZSTD_isError(r))
        return WT_EFULL;
    b->zlen = r;
    return 0;
}

long wt_zstd_decompress(const void *src, size_t n, void *out, size_t cap)
{
    size_t r = ZSTD_decompress(out, cap, src, n);
    if (ZSTD_isError(r))
        return WT_EPARSE;
    return (long)r;
}
