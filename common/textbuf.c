/*
 * textbuf.c - the growable text buffer (wt_tbuf, wt_common.h).
 */
#include "wt_common.h"

#include <string.h>

bool wt_tbuf_reserve(struct wt_tbuf *b, size_t more)
{
    if (b->oom)
        return false;
    if (more <= b->cap - b->len)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *np = wt_realloc(b->p, cap);
    if (!np) {
        b->oom = true;
        return false;
    }
    b->p = np;
    b->cap = cap;
    return true;
}

void wt_tbuf_put(struct wt_tbuf *b, const void *s, size_t n)
{
    if (n && wt_tbuf_reserve(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

void wt_tbuf_json_str(struct wt_tbuf *b, const char *s, size_t n)
{
    /* Worst case: every byte as \u00XX, plus the quotes. */
    if (n > (SIZE_MAX - 2) / 6) {
        b->oom = true;
        return;
    }
    if (!wt_tbuf_reserve(b, 6 * n + 2))
        return;
    struct wt_buf w = {b->p + b->len, 0, b->cap - b->len};
    if (wt_json_append_str(&w, s, n) != 0) {
        b->oom = true;
        return;
    }
    b->len += w.len;
}

void wt_tbuf_u64(struct wt_tbuf *b, uint64_t v)
{
    char d[24];
    size_t i = sizeof(d);
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    wt_tbuf_put(b, d + i, sizeof(d) - i);
}

char *wt_tbuf_take(struct wt_tbuf *b, size_t *len)
{
    wt_tbuf_put(b, "", 1);
    char *p = b->oom ? NULL : b->p;
    if (p && len)
        *len = b->len - 1;
    if (!p)
        wt_free(b->p);
    *b = (struct wt_tbuf){0};
    return p;
}

void wt_tbuf_free(struct wt_tbuf *b)
{
    wt_free(b->p);
    *b = (struct wt_tbuf){0};
}
