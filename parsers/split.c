/*
 * split.c - bounded line splitter: memchr over unread bytes, over-long lines
 * skipped whole and counted once each.
 */
#include "parsers_int.h"

int wt_splitter_init(struct wt_splitter *sp, size_t max_line)
{
    if (max_line < WT_LINE_MAX_MIN || max_line > WT_LINE_MAX_LIMIT)
        return WT_ECONFIG;
    memset(sp, 0, sizeof(*sp));
    sp->max_line = max_line;
    return 0;
}

static struct wt_str strip_cr(const char *p, size_t len)
{
    if (len > 0 && p[len - 1] == '\r')
        len--;
    return (struct wt_str){p, len};
}

int wt_splitter_next(struct wt_splitter *sp, const char *buf, size_t len, size_t *consumed,
                     struct wt_str *line)
{
    const char *nl = memchr(buf, '\n', len);

    if (sp->skipping) {
        if (!nl) {
            *consumed = len;
            return WT_EAGAIN;
        }
        /* The over-long line ends here; resume with the next one. */
        sp->skipping = false;
        size_t skip = (size_t)(nl - buf) + 1;
        if (skip == len) {
            *consumed = skip;
            return WT_EAGAIN;
        }
        size_t more = 0;
        int rc = wt_splitter_next(sp, buf + skip, len - skip, &more, line);
        *consumed = skip + more;
        return rc;
    }
    if (!nl) {
        /* A line longer than max_line can never complete in a valid record. */
        if (len > sp->max_line) {
            sp->skipping = true;
            sp->too_long++;
            sp->lineno++;
            *consumed = len;
        } else {
            *consumed = 0;
        }
        return WT_EAGAIN;
    }
    size_t n = (size_t)(nl - buf);
    struct wt_str l = strip_cr(buf, n);
    sp->lineno++;
    if (l.len > sp->max_line) {
        sp->too_long++;
        *consumed = n + 1;
        /* Skipped whole: report as no line and let the caller call again. */
        if (n + 1 == len)
            return WT_EAGAIN;
        size_t more = 0;
        int rc = wt_splitter_next(sp, buf + n + 1, len - n - 1, &more, line);
        *consumed = n + 1 + more;
        return rc;
    }
    *line = l;
    *consumed = n + 1;
    return 0;
}

int wt_splitter_finish(struct wt_splitter *sp, const char *buf, size_t len, struct wt_str *line)
{
    if (sp->skipping) {
        sp->skipping = false;
        return WT_EAGAIN;
    }
    if (len == 0)
        return WT_EAGAIN;
    sp->lineno++;
    if (len > sp->max_line) {
        sp->too_long++;
        return WT_EAGAIN;
    }
    *line = strip_cr(buf, len);
    return 0;
}
