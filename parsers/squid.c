/*
 * squid.c - the Squid-native access-log line (Cisco WSA/SWA "Access Logs",
 * the default format), see FIELDS.md sections 1-3.
 *
 *   [prefix: ]epoch.ms elapsed client[ (host)] result/status bytes method url
 *   user hier/server [mime [custom...] [ACL-TAG <verdicts> ua [custom...]]]
 *
 * One pass over the line, views only, no allocation, nothing read at or past
 * line + len. Decisions that the format leaves open:
 * - Blank lines and lines starting with '#' are WT_ESKIP; trailing spaces,
 *   tabs and CR are ignored.
 * - A transport prefix (`Info: `, `<38>Sep 25 ... accesslogs: Info: `) is
 *   skipped: when the first token is not `digits.digits`, the timestamp is
 *   the first token after a ": " that starts in the first 512 bytes.
 * - `-` for elapsed or bytes means absent (-1); any other non-number fails.
 * - The ACL tag is the first token after the MIME type shaped like
 *   `TAG[_n]-a-b-...` with 6 to 8 dash-separated parts. If none matches but
 *   a verdict list follows, the token just before `<` is taken when it has
 *   the tag shape with any number (>= 2) of parts (a policy name with '-').
 * - The verdict list ends at a `>` (`&gt;` in an HTML-escaped list) outside
 *   CSV quotes that is followed by a space or the end. If quoting is broken
 *   so that no such end is found, the list is the span up to the last such
 *   `>` in the line, split without quote tracking across delimiters. A list
 *   with no end at all (truncated line) is split to the end of the line and
 *   gets layout OTHER (its count is not trustworthy), with no ua/custom.
 * - custom: the trimmed text after the user agent; when there is none and no
 *   ACL tag was found, the tokens after the MIME type instead.
 */
#include "parsers_int.h"

#include <limits.h>

/* The transport prefix is searched for in this many leading bytes. */
#define SQUID_PREFIX_SCAN 512

static inline bool is_sp(char c)
{
    return c == ' ' || c == '\t';
}

/** `digits.digits` as epoch seconds with a fraction. */
static bool take_ts(struct wt_str tok, int64_t *ms)
{
    if (tok.len < 3 || !wt__is_digit((unsigned char)tok.p[0]) || !memchr(tok.p, '.', tok.len))
        return false;
    return wt_str_to_epoch_ms(tok, ms) == 0;
}

/** Find the timestamp (first token, or first token after a prefix ending in ": "). */
static bool find_timestamp(const char *line, const char *end, const char **pp, int64_t *ms)
{
    const char *p = line;
    struct wt_str tok;

    if (!wt__word(&p, end, &tok))
        return false;
    if (take_ts(tok, ms)) {
        *pp = p;
        return true;
    }
    const char *lim = (end - line) > SQUID_PREFIX_SCAN ? line + SQUID_PREFIX_SCAN : end;
    for (const char *q = line; q < lim; q++) {
        q = memchr(q, ':', (size_t)(lim - q));
        if (!q)
            break;
        if (q + 1 < end && q[1] == ' ') {
            const char *r = q + 2;
            if (wt__word(&r, end, &tok) && take_ts(tok, ms)) {
                *pp = r;
                return true;
            }
        }
    }
    return false;
}

/** A non-negative integer field; `-` gives -1. */
static bool take_num(const char **pp, const char *end, int64_t *out)
{
    struct wt_str tok;
    uint64_t v;

    if (!wt__word(pp, end, &tok))
        return false;
    if (tok.len == 1 && tok.p[0] == '-') {
        *out = -1;
        return true;
    }
    if (wt_str_to_u64(tok, &v) != 0 || v > (uint64_t)INT64_MAX)
        return false;
    *out = (int64_t)v;
    return true;
}

/**
 * Parts of an ACL decision tag `TAG[_n]-a-b-...` (TAG: A-Z and '_', an
 * optional `_digits` suffix; every part non-empty), counting the TAG.
 * @returns 0 when tok does not have that shape.
 */
static unsigned acl_parts(struct wt_str tok)
{
    const char *p = tok.p, *end = tok.p + tok.len;
    unsigned parts = 1;

    if (p == end || *p < 'A' || *p > 'Z')
        return 0;
    while (p < end && ((*p >= 'A' && *p <= 'Z') || *p == '_'))
        p++;
    if (p < end && wt__is_digit((unsigned char)*p)) {
        if (p[-1] != '_')
            return 0;
        while (p < end && wt__is_digit((unsigned char)*p))
            p++;
    }
    if (p == end || *p != '-')
        return 0;
    /* *p == '-': count the parts, none may be empty. */
    for (p++; p < end; p++) {
        if (*p == '-') {
            if (p[-1] == '-')
                return 0;
            parts++;
        }
    }
    return end[-1] == '-' ? 0 : parts + 1;
}

static inline bool acl_ok(unsigned parts)
{
    return parts >= 6 && parts <= 8;
}

/** Where a verdict list opens at p: 1 for `<`, 4 for `&lt;`, 0 if it does not. */
static inline size_t list_open(const char *p, const char *end)
{
    if (*p == '<')
        return 1;
    if (*p == '&' && end - p >= 4 && memcmp(p, "&lt;", 4) == 0)
        return 4;
    return 0;
}

/** The list-closing delimiter at q (q < end), followed by a space or the end. */
static inline bool is_close(const char *q, const char *end, bool esc)
{
    if (!esc)
        return *q == '>' && (q + 1 == end || is_sp(q[1]));
    return *q == '&' && end - q >= 4 && memcmp(q, "&gt;", 4) == 0 && (q + 4 == end || is_sp(q[4]));
}

static inline void put_verdict(struct wt_record *rec, unsigned n, const char *a, const char *b)
{
    if (n < WT_VERDICT_MAX)
        rec->verdict[n] = wt__dash_empty(wt__str(a, b));
}

/**
 * Split the CSV verdict list that starts at s and fill rec->verdict[] and
 * rec->nverdict. Open (fixed false): the list ends at the first closing
 * delimiter outside quotes, searched up to lim (the end of the line); a
 * quoted value ends at a '"' followed by ',' or by that delimiter.
 * Fixed: the list is exactly [s, lim) and only ',' and lim end a value.
 * @returns the end of the list (the closing delimiter, or lim when fixed),
 *          or NULL when an open scan finds no end.
 */
static const char *split_verdicts(struct wt_record *rec, const char *s, const char *lim, bool esc,
                                  bool fixed)
{
    const char *p = s;
    const char closech = esc ? '&' : '>';
    unsigned n = 0;

    if (fixed ? p == lim : (p < lim && is_close(p, lim, esc))) {
        rec->nverdict = 0;
        return p;
    }
    for (;;) {
        const char *a, *b;
        /* Most values are the placeholders `-` and `"-"`: take them whole. */
        if (lim - p >= 2 && p[0] == '-' && p[1] == ',') {
            if (n < WT_VERDICT_MAX)
                rec->verdict[n] = wt__str(p, p);
            n++;
            p += 2;
            continue;
        }
        if (lim - p >= 4 && p[0] == '"' && p[1] == '-' && p[2] == '"' && p[3] == ',') {
            if (n < WT_VERDICT_MAX)
                rec->verdict[n] = wt__str(p + 1, p + 1);
            n++;
            p += 4;
            continue;
        }
        if (p < lim && *p == '"') {
            const char *q = p + 1;
            a = q;
            for (;;) {
                /* Values are short: an inline loop beats a memchr call. */
                while (q < lim && *q != '"')
                    q++;
                if (q + 1 >= lim) {
                    if (!fixed)
                        return NULL;
                    b = q;
                    p = lim;
                    break;
                }
                if (q[1] == ',' || (!fixed && is_close(q + 1, lim, esc))) {
                    b = q;
                    p = q + 1;
                    break;
                }
                q++;
            }
        } else {
            const char *q = p;
            if (fixed) {
                while (q < lim && *q != ',')
                    q++;
            } else {
                while (q < lim && *q != ',' && !(*q == closech && is_close(q, lim, esc)))
                    q++;
                if (q == lim)
                    return NULL;
            }
            a = p;
            b = q;
            p = q;
        }
        put_verdict(rec, n++, a, b);
        if (p < lim && *p == ',') {
            p++;
            continue;
        }
        break; /* at the closing delimiter, or lim when fixed */
    }
    rec->nverdict = n;
    return p;
}

/** The last closing delimiter (followed by a space or the end) in [s, end), or NULL. */
static const char *last_close(const char *s, const char *end, bool esc)
{
    const char c = esc ? ';' : '>';
    const size_t back = esc ? 3 : 0; /* `&gt;` is matched at its ';' */

    for (const char *q = end; q > s;) {
        q--;
        if (*q == c && (size_t)(q - s) >= back && is_close(q - back, end, esc))
            return q - back;
    }
    return NULL;
}

/** digits '.' digits: the average-bandwidth value used to tell the layouts apart. */
static bool is_float(struct wt_str v)
{
    size_t i = 0, d;
    while (i < v.len && wt__is_digit((unsigned char)v.p[i]))
        i++;
    if (i == 0 || i == v.len || v.p[i] != '.')
        return false;
    d = ++i;
    while (i < v.len && wt__is_digit((unsigned char)v.p[i]))
        i++;
    return i == v.len && i > d;
}

/* 0-based indexes of AMP verdict, threat name, file name and SHA-256. */
static const unsigned amp_legacy[4] = {32, 33, 36, 37};
static const unsigned amp_modern[4] = {33, 34, 37, 38};

static void set_layout(struct wt_record *rec, bool terminated)
{
    unsigned n = rec->nverdict;
    const unsigned *idx;

    if (n > 0)
        rec->category = rec->verdict[0];
    if (n > 1)
        rec->wbrs = rec->verdict[1];
    if (!terminated || n < 32 || n > 45) {
        rec->layout = WT_LAYOUT_OTHER;
        return;
    }
    /* Average bandwidth is a float at 28 (legacy) or 29 (modern, after the
     * field inserted at 24); when exactly one of them is, it decides. */
    bool f28 = is_float(rec->verdict[27]), f29 = is_float(rec->verdict[28]);
    if (f28 != f29)
        rec->layout = f28 ? WT_LAYOUT_LEGACY : WT_LAYOUT_MODERN;
    else
        rec->layout = n <= 41 ? WT_LAYOUT_LEGACY : WT_LAYOUT_MODERN;
    idx = rec->layout == WT_LAYOUT_LEGACY ? amp_legacy : amp_modern;
    if (idx[0] < n)
        rec->amp_verdict = rec->verdict[idx[0]];
    if (idx[1] < n)
        rec->amp_threat = rec->verdict[idx[1]];
    if (idx[2] < n)
        rec->amp_file = rec->verdict[idx[2]];
    if (idx[3] < n)
        rec->amp_sha = rec->verdict[idx[3]];
}

/** The verdict list at s (just inside the opening delimiter) and what follows it. */
static void parse_list(struct wt_record *rec, const char *s, const char *end, bool esc,
                       struct wt_str *trailer)
{
    const char *close = split_verdicts(rec, s, end, esc, false);
    bool terminated = true;

    if (!close) {
        close = last_close(s, end, esc);
        if (close) {
            split_verdicts(rec, s, close, esc, true);
        } else {
            split_verdicts(rec, s, end, esc, true);
            close = end;
            terminated = false;
        }
    }
    rec->verdicts = wt__str(s, close);
    set_layout(rec, terminated);
    if (!terminated)
        return;

    const char *p = close + (esc ? 4 : 1);
    struct wt_str tok;
    if (wt__field(&p, end, &tok)) {
        rec->ua = wt__dash_empty(tok);
        wt__skip_ws(&p, end);
        if (p < end)
            *trailer = wt__dash_empty(wt__str(p, end));
    }
}

/** Everything after the hierarchy: mime, custom tokens, ACL tag, verdicts, trailer. */
static void parse_tail(struct wt_record *rec, const char *p, const char *end)
{
    const char *mid_a = NULL, *mid_b = NULL; /* tokens after mime, before the ACL tag */
    const char *last_a = NULL;               /* the last of them */
    unsigned last_parts = 0;
    struct wt_str tok, trailer = WT_STR_NULL;
    bool first = true;
    size_t open = 0;

    for (;;) {
        wt__skip_ws(&p, end);
        if (p == end)
            break;
        if ((open = list_open(p, end)) != 0)
            break;
        const char *a = p;
        wt__field(&p, end, &tok);
        unsigned parts = acl_parts(tok);
        if (acl_ok(parts)) {
            rec->acl = tok;
            break;
        }
        if (first) {
            first = false;
            /* `text/html; charset=utf-8`: two tokens. */
            if (tok.len > 1 && tok.p[tok.len - 1] == ';') {
                const char *q = p;
                struct wt_str next;
                wt__skip_ws(&q, end);
                if (q < end && !list_open(q, end) && wt__word(&q, end, &next) &&
                    !acl_ok(acl_parts(next))) {
                    tok = wt__str(tok.p, next.p + next.len);
                    p = q;
                }
            }
            rec->mime = wt__dash_empty(tok);
            continue;
        }
        if (!mid_a)
            mid_a = a;
        mid_b = p;
        last_a = a;
        last_parts = parts;
    }

    if (rec->acl.len) {
        wt__skip_ws(&p, end);
        open = p < end ? list_open(p, end) : 0;
    } else if (open && last_a && last_parts >= 2) {
        /* The token right before the list has the tag shape: take it. */
        const char *q = last_a;
        wt__field(&q, end, &rec->acl);
        mid_b = last_a;
        while (mid_b > mid_a && is_sp(mid_b[-1]))
            mid_b--;
        if (mid_b == mid_a)
            mid_a = NULL;
    }

    if (open) {
        parse_list(rec, p + open, end, open == 4, &trailer);
    } else if (rec->acl.len) {
        /* An ACL tag but no verdict list: the rest is custom. */
        if (p < end)
            trailer = wt__dash_empty(wt__str(p, end));
    }
    if (trailer.len)
        rec->custom = trailer;
    else if (!rec->acl.len && mid_a)
        rec->custom = wt__str(mid_a, mid_b);
}

static int squid_parse(struct wt_parser *ps, const char *line, size_t len, struct wt_record *rec)
{
    const char *end = line + len, *p = line, *slash;
    struct wt_str tok;
    uint64_t status;

    (void)ps;
    wt_record_clear(rec);
    rec->format = WT_FORMAT_SQUID;

    while (end > line && (is_sp(end[-1]) || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    wt__skip_ws(&p, end);
    if (p == end || *p == '#')
        return WT_ESKIP;

    if (!find_timestamp(line, end, &p, &rec->ts_ms))
        return WT_EPARSE;
    if (!take_num(&p, end, &rec->elapsed_ms))
        return WT_EPARSE;

    if (!wt__word(&p, end, &tok))
        return WT_EPARSE;
    rec->client = wt__dash_empty(tok);
    /* `10.10.10.10 (abc.com)`: a client host name in parentheses. */
    {
        const char *q = p;
        if (wt__word(&q, end, &tok) && tok.len >= 2 && tok.p[0] == '(' && tok.p[tok.len - 1] == ')')
            p = q;
    }

    /* result/status, split at the last '/'. */
    if (!wt__word(&p, end, &tok))
        return WT_EPARSE;
    slash = tok.p + tok.len;
    while (slash > tok.p && slash[-1] != '/')
        slash--;
    if (slash == tok.p)
        return WT_EPARSE;
    rec->result = wt__dash_empty(wt__str(tok.p, slash - 1));
    {
        struct wt_str st = wt__str(slash, tok.p + tok.len);
        if (st.len == 1 && st.p[0] == '-')
            status = 0;
        else if (wt_str_to_u64(st, &status) != 0 || status > INT_MAX)
            return WT_EPARSE;
        rec->status = (int)status;
    }

    if (!take_num(&p, end, &rec->bytes))
        return WT_EPARSE;
    if (!wt__word(&p, end, &tok))
        return WT_EPARSE;
    rec->method = wt__dash_empty(tok);
    if (!wt__word(&p, end, &tok))
        return WT_EPARSE;
    rec->url = wt__dash_empty(tok);
    if (!wt__field(&p, end, &tok))
        return WT_EPARSE;
    rec->user = wt__dash_empty(tok);

    /* hier/server, split at the first '/'. */
    if (!wt__word(&p, end, &tok))
        return WT_EPARSE;
    slash = memchr(tok.p, '/', tok.len);
    if (!slash)
        return WT_EPARSE;
    rec->hier = wt__dash_empty(wt__str(tok.p, slash));
    rec->server = wt__dash_empty(wt__str(slash + 1, tok.p + tok.len));

    parse_tail(rec, p, end);
    return 0;
}

static void squid_reset(struct wt_parser *ps)
{
    (void)ps; /* stateless */
}

const struct wt_parser_ops wt_parser_squid = {"squid", squid_parse, squid_reset};
