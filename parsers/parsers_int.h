/*
 * parsers_int.h - helpers shared by the files of the parsers module only.
 * Cursor helpers take an explicit end and never read past it; none needs a NUL.
 */
#ifndef WT_PARSERS_INT_H
#define WT_PARSERS_INT_H

#include "wt_parsers.h"

#include <string.h>

static inline bool wt__is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool wt__is_hex(unsigned char c)
{
    return wt__is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline unsigned char wt__lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/** A view of [p, end). */
static inline struct wt_str wt__str(const char *p, const char *end)
{
    return (struct wt_str){p, (size_t)(end - p)};
}

/** `-` (or `"-"` after unquoting) means empty. */
static inline struct wt_str wt__dash_empty(struct wt_str s)
{
    if (s.len == 1 && s.p[0] == '-')
        s.len = 0;
    return s;
}

/** Skip spaces (and tabs) from *pp up to end. */
static inline void wt__skip_ws(const char **pp, const char *end)
{
    const char *p = *pp;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    *pp = p;
}

/**
 * Take the next space-separated token at *pp (leading spaces skipped).
 * @returns false when there is no token left.
 */
bool wt__word(const char **pp, const char *end, struct wt_str *out);

/**
 * Like wt__word, but a token starting with '"' runs to the closing quote that
 * is followed by a space or the end (so a value may contain spaces and quotes);
 * *out is the inside. An unterminated quote takes the rest of the line.
 */
bool wt__field(const char **pp, const char *end, struct wt_str *out);

#endif /* WT_PARSERS_INT_H */
