/*
 * json.c - JSON strings (see wt_common.h) and the table of plain bytes that
 * the escaping primitives of wt_json_esc.h read.
 */
#include "wt_common.h"
#include "wt_json_esc.h"

#include <string.h>

const unsigned char wt__json_plain[256] = {
    [' '] = 1,
    ['!'] = 1,
    ['#' ... '['] = 1,
    [']' ... '~'] = 1,
};

int wt_buf_append(struct wt_buf *b, const void *data, size_t n)
{
    if (n > b->cap - b->len)
        return WT_EFULL;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

int wt_json_append_str(struct wt_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    size_t start = b->len;
    char *o = b->p + b->len;
    char *oend = b->p + b->cap;

    /* Worst case 6 output bytes per input byte; check once when it fits. */
    if ((size_t)(oend - o) < 2 || (size_t)(oend - o) - 2 < n * 6) {
        /* Slow path: exact size first. */
        size_t need = 2;
        for (const unsigned char *q = p; q < end;) {
            size_t k;
#if defined(__SSE2__)
            if (end - q >= 16 && _mm_movemask_epi8(wt__json_plain16(_mm_loadu_si128(
                                     (const __m128i *)(const void *)q))) == 0xffff) {
                need += 16;
                q += 16;
                continue;
            }
#endif
            if (wt__json_plain[*q]) {
                need++;
                q++;
            } else if (*q == '"' || *q == '\\') {
                need += 2;
                q++;
            } else if (*q >= 0x80 && (k = wt__utf8_seq(q, end)) > 0) {
                need += k;
                q += k;
            } else {
                need += 6;
                q++;
            }
        }
        if (need > (size_t)(oend - o))
            return WT_EFULL;
    }
    *o++ = '"';
    while (p < end) {
        const unsigned char *run = p;
#if defined(__SSE2__)
        /* Sixteen bytes at a time while they are all plain. */
        while (end - p >= 16 && _mm_movemask_epi8(wt__json_plain16(
                                    _mm_loadu_si128((const __m128i *)(const void *)p))) == 0xffff)
            p += 16;
#endif
        while (p < end && wt__json_plain[*p])
            p++;
        if (p > run) {
            memcpy(o, run, (size_t)(p - run));
            o += p - run;
            continue;
        }
        o = wt__json_esc_one(o, &p, end);
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    (void)start;
    return 0;
}
