/*
 * sse_parts.c - the pure helpers of the SSE contract (sse_int.h): how a
 * batch is cut into parts of whole lines, the Idempotency-Key of a part,
 * and what an answer means. No network, no clock: unit-tested alone.
 */
#include "sse_int.h"
#include "wt_common.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

size_t wt__sse_cut(const char *data, size_t len, size_t off, size_t target, uint32_t *nlines)
{
    size_t end = off;
    uint32_t n = 0;
    while (end < len) {
        const char *nl = memchr(data + end, '\n', len - end);
        size_t next = nl ? (size_t)(nl - data) + 1 : len;
        if (n > 0 && next - off > target)
            break;
        end = next;
        n++;
        if (n == UINT32_MAX)
            break;
    }
    *nlines = n;
    return end - off;
}

size_t wt__sse_halve(const char *p, size_t len, uint32_t nlines)
{
    uint32_t want = nlines / 2;
    size_t off = 0;
    for (uint32_t i = 0; i < want && off < len; i++) {
        const char *nl = memchr(p + off, '\n', len - off);
        off = nl ? (size_t)(nl - p) + 1 : len;
    }
    return off;
}

int wt__sse_idem_key(char *buf, size_t cap, const char *device_id, uint64_t batch_id,
                     uint32_t first, uint32_t count, const char *data, size_t len)
{
    uint32_t crc = wt_crc32c(0, data, len);
    int n = snprintf(buf, cap, "%s-%" PRIu64 "-%" PRIu32 "-%" PRIu32 "-%08" PRIx32, device_id,
                     batch_id, first, count, crc);
    if (n < 0 || (size_t)n >= cap || n > WT_SSE_KEY_MAX)
        return -1;
    return n;
}

enum wt__sse_outcome wt__sse_classify(CURLcode rc, long http, bool connected)
{
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return connected ? WT_SSE_OUT_TIMEOUT : WT_SSE_OUT_RETRY;
    if (rc != CURLE_OK)
        return WT_SSE_OUT_RETRY;
    if (http >= 200 && http <= 299)
        return WT_SSE_OUT_ACK;
    switch (http) {
    case 409:
        return WT_SSE_OUT_DUP;
    case 400:
        return WT_SSE_OUT_REJECT;
    case 401:
        return WT_SSE_OUT_AUTH;
    case 413:
        return WT_SSE_OUT_TOO_LARGE;
    default:
        /* 408, 429, 5xx by the contract; anything else (403, 404, 3xx: a wrong url or
         * a proxy's answer) may pass when the operator fixes it: retried, never dropped. */
        return WT_SSE_OUT_RETRY;
    }
}
