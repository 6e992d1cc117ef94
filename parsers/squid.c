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

static WT_ALWAYS_INLINE bool is_sp(char c)
{
    return c == ' ' || c == '\t';
}

/** `digits.digits` as epoch seconds with a fraction, in the plausible range. */
static WT_ALWAYS_INLINE bool take_ts(struct wt_str tok, int64_t *ms)
{
    if (tok.len < 3 || !wt__is_digit((unsigned char)tok.p[0]))
        return false;
    if (!(tok.len == 14 && tok.p[10] == '.') && !memchr(tok.p, '.', tok.len))
        return false; /* (the usual shape needs no search) */
    return wt_str_to_epoch_ms(tok, ms) == 0 && wt__ts_plausible(*ms);
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

static WT_ALWAYS_INLINE bool acl_ok(unsigned parts)
{
    return parts >= 6 && parts <= 8;
}

#define list_open wt__list_open

/** The list-closing delimiter at q (q < end), followed by a space or the end. */
static inline bool is_close(const char *q, const char *end, bool esc)
{
    if (!esc)
        return *q == '>' && (q + 1 == end || is_sp(q[1]));
    return *q == '&' && end - q >= 4 && memcmp(q, "&gt;", 4) == 0 && (q + 4 == end || is_sp(q[4]));
}

/* Field n of the list at s ends at x (the ',' or closing delimiter after it). */
static WT_ALWAYS_INLINE void put_end(struct wt_record *rec, unsigned n, const char *s,
                                     const char *x)
{
    if (n < WT_VERDICT_MAX)
        rec->vend[n] = (uint32_t)(x - s);
}

struct wt_str wt_record_verdict(const struct wt_record *rec, unsigned i)
{
    if (i >= rec->nverdict || i >= WT_VERDICT_MAX)
        return WT_STR_NULL;
    const char *s = rec->verdicts.p;
    const char *a = s + (i ? rec->vend[i - 1] + 1 : 0), *b = s + rec->vend[i];
    if (a < b && *a == '"') {
        a++;
        if (a < b && b[-1] == '"')
            b--;
    }
    return wt__dash_empty(wt__str(a, b));
}

/**
 * Split the CSV verdict list that starts at s: rec->vend[] and rec->nverdict.
 * Open (fixed false): the list ends at the first closing delimiter outside
 * quotes, searched up to lim (the end of the line); a quoted value ends at a
 * '"' followed by ',' or by that delimiter. Fixed: the list is exactly
 * [s, lim) and only ',' and lim end a value. A value's raw span runs from
 * after the previous ',' to the next ',' or the end; wt_record_verdict()
 * removes the quotes (a value that opens one without closing it is taken to
 * the end of its span).
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
        /* Most values are the placeholders `-` and `"-"`: take them whole. */
        if (lim - p >= 2 && p[0] == '-' && p[1] == ',') {
            put_end(rec, n++, s, p + 1);
            p += 2;
            continue;
        }
        if (lim - p >= 4 && p[0] == '"' && p[1] == '-' && p[2] == '"' && p[3] == ',') {
            put_end(rec, n++, s, p + 3);
            p += 4;
            continue;
        }
        if (p < lim && *p == '"') {
            const char *q = p + 1;
            for (;;) {
                /* Values are short: an inline loop beats a memchr call. */
                while (q < lim && *q != '"')
                    q++;
                if (q + 1 >= lim) {
                    if (!fixed)
                        return NULL;
                    p = lim;
                    break;
                }
                if (q[1] == ',' || (!fixed && is_close(q + 1, lim, esc))) {
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
            p = q;
        }
        put_end(rec, n++, s, p);
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

    rec->category = wt_record_verdict(rec, 0);
    rec->wbrs = wt_record_verdict(rec, 1);
    if (!terminated || n < 32 || n > 45) {
        rec->layout = WT_LAYOUT_OTHER;
        return;
    }
    /* Average bandwidth is a float at 28 (legacy) or 29 (modern, after the
     * field inserted at 24); when exactly one of them is, it decides. */
    bool f28 = is_float(wt_record_verdict(rec, 27)), f29 = is_float(wt_record_verdict(rec, 28));
    if (f28 != f29)
        rec->layout = f28 ? WT_LAYOUT_LEGACY : WT_LAYOUT_MODERN;
    else
        rec->layout = n <= 41 ? WT_LAYOUT_LEGACY : WT_LAYOUT_MODERN;
    idx = rec->layout == WT_LAYOUT_LEGACY ? amp_legacy : amp_modern;
    rec->amp_verdict = wt_record_verdict(rec, idx[0]);
    rec->amp_threat = wt_record_verdict(rec, idx[1]);
    rec->amp_file = wt_record_verdict(rec, idx[2]);
    rec->amp_sha = wt_record_verdict(rec, idx[3]);
}

const char *wt__verdict_list_open(struct wt_record *rec, const char *s, const char *end, bool esc)
{
    const char *close = split_verdicts(rec, s, end, esc, false);
    if (close) {
        rec->verdicts = wt__str(s, close);
        set_layout(rec, true);
    }
    return close;
}

void wt__verdict_list_fixed(struct wt_record *rec, const char *s, const char *close, bool esc,
                            bool terminated)
{
    split_verdicts(rec, s, close, esc, true);
    rec->verdicts = wt__str(s, close);
    set_layout(rec, terminated);
}

/** The verdict list at s (just inside the opening delimiter) and what follows it. */
static void parse_list(struct wt_record *rec, const char *s, const char *end, bool esc,
                       struct wt_str *trailer)
{
    const char *close = wt__verdict_list_open(rec, s, end, esc);

    if (!close) {
        close = last_close(s, end, esc);
        if (!close) {
            wt__verdict_list_fixed(rec, s, end, esc, false);
            return; /* truncated: no ua, no custom */
        }
        wt__verdict_list_fixed(rec, s, close, esc, true);
    }

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

int wt__squid_general(const char *line, size_t len, struct wt_record *rec)
{
    const char *end = line + len, *p = line, *slash;
    struct wt_str tok;

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
    wt__set_client(rec, wt__dash_empty(tok)); /* `cisco_wsa`: absent */
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
    if (wt__status(wt__str(slash, tok.p + tok.len), &rec->status) != 0)
        return WT_EPARSE;

    if (!take_num(&p, end, &rec->bytes))
        return WT_EPARSE;
    if (!wt__word(&p, end, &tok))
        return WT_EPARSE;
    rec->method = wt__dash_empty(tok);
    if (rec->method.len && !wt__method_ok(rec->method))
        return WT_EPARSE;
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

/* ------------------------------------------------------------------------ */
/* Fast path                                                                */
/* ------------------------------------------------------------------------ */

/*
 * The fast path takes the common shape only, and gives up (FAST_NO) on
 * anything else, so the general parser above stays the one definition of
 * the format: a line the fast path accepts yields exactly the record the
 * general parser gives (fuzz_squid checks this on every input).
 *
 *   [prefix: ]digits.digits elapsed client result/status bytes method url
 *   user hier/server [mime [ACL-TAG [<verdicts> [ua [custom]]]]]
 *
 * The verdict list is split with bit masks, 64 bytes at a time: quotes,
 * commas and '>' become bits, a prefix XOR over the quote bits marks what is
 * inside quotes, and the commas outside quotes are the field ends. That is
 * the general parser's CSV rule only when every quote opens a value (right
 * after '<' or ',') or closes one (right before ',' or the list end), which
 * is checked on the masks; any other quote gives up.
 */
#define FAST_NO 1

_Static_assert(sizeof(((struct wt_record *)0)->vend) >= (WT_VERDICT_MAX + 64) * sizeof(uint32_t),
               "fast_list stores a block's ends unchecked");

/* Bits of the bytes equal to '"', ',' and '>' in the 64 bytes at p. */
static WT_ALWAYS_INLINE void masks64(const char *p, uint64_t *q, uint64_t *c, uint64_t *g)
{
    uint64_t mq = 0, mc = 0, mg = 0;
#if defined(__SSE2__)
    const __m128i vq = _mm_set1_epi8('"'), vc = _mm_set1_epi8(','), vg = _mm_set1_epi8('>');
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        mq |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)) << (16 * i);
        mc |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vc)) << (16 * i);
        mg |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vg)) << (16 * i);
    }
#else
    for (int i = 0; i < 64; i++) {
        mq |= (uint64_t)(p[i] == '"') << i;
        mc |= (uint64_t)(p[i] == ',') << i;
        mg |= (uint64_t)(p[i] == '>') << i;
    }
#endif
    *q = mq;
    *c = mc;
    *g = mg;
}

/* Bit i of the result is the XOR of bits 0..i of x. */
static WT_ALWAYS_INLINE uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/*
 * Split the list that starts at s (just after '<'), in the line [line, end).
 * @returns its closing '>' (followed by a space, a tab or the end), or NULL
 * to give up.
 */
static WT_ALWAYS_INLINE const char *fast_list(struct wt_record *rec, const char *line,
                                              const char *s, const char *end)
{
    uint64_t inq = 0;   /* all ones when the block starts inside quotes */
    uint64_t prevd = 1; /* bit 0: the byte before the block is '<' or ',' */
    bool pend = false;  /* a closing quote ended the last block, not followed by ',' */
    unsigned n = 0;
    char pad[64];

    for (size_t at = 0; at < (size_t)(end - s); at += 64) {
        const char *b = s + at;
        size_t avail = (size_t)(end - b);
        uint64_t Q, C, G, lim = ~0ULL;
        const char *e = NULL;

        if (avail >= 64) {
            masks64(b, &Q, &C, &G);
        } else if (end - line >= 64) {
            /* The last 64 bytes of the line, shifted: bits past the end clear. */
            masks64(end - 64, &Q, &C, &G);
            Q >>= 64 - avail;
            C >>= 64 - avail;
            G >>= 64 - avail;
        } else {
            /* Spaces match no mask: bits past the end stay clear. */
            memset(pad, ' ', sizeof(pad));
            memcpy(pad, b, avail);
            masks64(pad, &Q, &C, &G);
        }
        uint64_t P = prefix_xor(Q) ^ inq; /* inside quotes, opening quote included */
        for (uint64_t g = G & ~P; g; g &= g - 1) {
            const char *x = b + __builtin_ctzll(g);
            if (x + 1 == end || is_sp(x[1])) {
                e = x;
                lim = (x == b) ? 0 : (~0ULL >> (64 - (x - b)));
                break;
            }
        }
        if (pend && e != b)
            return NULL;
        /* Opening quotes follow '<' or ','; closing ones precede ',' or the end. */
        uint64_t open = Q & P & lim, close = Q & ~P & lim;
        if (open & ~((C << 1) | prevd))
            return NULL;
        uint64_t next = C >> 1;
        if (avail > 64 && b[64] == ',')
            next |= 1ULL << 63;
        if (e && e > b)
            next |= 1ULL << (e - b - 1);
        uint64_t bad = close & ~next;
        pend = (bad >> 63) != 0; /* fine only if the next block starts at the end */
        if (bad & ~(1ULL << 63))
            return NULL;

        /* A block adds at most 64 ends: vend[] has that room past the kept
         * ones, and a list with more than WT_VERDICT_MAX fields gives up. */
        if (n > WT_VERDICT_MAX)
            return NULL;
        /* Four ends per round; the stores past the last end stay in that
         * room and are not counted (the top bit keeps ctz defined at 0). */
        uint32_t off = (uint32_t)(b - s), *v = rec->vend + n;
        uint64_t d = C & ~P & lim;
        n += (unsigned)__builtin_popcountll(d);
        for (const uint64_t top = 1ULL << 63; d; v += 4) {
            v[0] = off + (uint32_t)__builtin_ctzll(d);
            d &= d - 1;
            v[1] = off + (uint32_t)__builtin_ctzll(d | top);
            d &= d - 1;
            v[2] = off + (uint32_t)__builtin_ctzll(d | top);
            d &= d - 1;
            v[3] = off + (uint32_t)__builtin_ctzll(d | top);
            d &= d - 1;
        }
        if (e) {
            if (e > s)
                put_end(rec, n++, s, e);
            if (n > WT_VERDICT_MAX)
                return NULL;
            rec->nverdict = n;
            return e;
        }
        inq = (uint64_t)(-(int64_t)(P >> 63));
        prevd = C >> 63;
    }
    return NULL;
}

/*
 * acl_ok(acl_parts(tok)), 16 bytes at a time for the dashes; the bytes up to
 * lim (the end of the line) may be read.
 */
static WT_ALWAYS_INLINE bool fast_acl(struct wt_str tok, const char *lim)
{
#if defined(__SSE2__)
    const char *p = tok.p, *end = tok.p + tok.len;
    const __m128i dash = _mm_set1_epi8('-');
    unsigned dashes = 0, prev = 0;

    if (p == end || *p < 'A' || *p > 'Z' || end[-1] == '-')
        return false;
    /* TAG: A-Z and '_', sixteen bytes at a time (bytes >= 0x80 compare
     * negative, so they end the run as in the byte loop). */
    const __m128i at = _mm_set1_epi8('A' - 1), zp = _mm_set1_epi8('Z' + 1), us = _mm_set1_epi8('_');
    while (lim - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i in = _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(v, at), _mm_cmplt_epi8(v, zp)),
                                  _mm_cmpeq_epi8(v, us));
        unsigned out = ~(unsigned)_mm_movemask_epi8(in) & 0xFFFFu;
        if (out) {
            p += __builtin_ctz(out);
            break;
        }
        p += 16;
        if (p >= end)
            break;
    }
    if (p > end)
        p = end;
    while (p < end && ((*p >= 'A' && *p <= 'Z') || *p == '_'))
        p++;
    if (p < end && wt__is_digit((unsigned char)*p)) {
        if (p[-1] != '_')
            return false;
        while (p < end && wt__is_digit((unsigned char)*p))
            p++;
    }
    if (p == end || *p != '-')
        return false;
    /* Parts are the dashes from here plus one; no two dashes touch. */
    for (const char *q = p; q < end; q += 16) {
        if (lim - q < 16)
            return acl_ok(acl_parts(tok));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)q), dash));
        if (end - q < 16)
            m &= (1u << (end - q)) - 1;
        if ((m & (m >> 1)) || (prev & m))
            return false;
        prev = m >> 15;
        for (; m; m &= m - 1)
            dashes++;
    }
    return acl_ok(dashes + 1);
#else
    (void)lim;
    return acl_ok(acl_parts(tok));
#endif
}

/* take_num's rule: `-` is -1, else at most 18 digits here (longer: give up). */
static WT_ALWAYS_INLINE bool fast_num(const char *p, const char *e, int64_t *out)
{
    int64_t v = 0;
    if (e - p == 1 && *p == '-') {
        *out = -1;
        return true;
    }
    if (p == e || e - p > 18)
        return false;
    for (; p < e; p++) {
        if (!wt__is_digit((unsigned char)*p))
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return true;
}

/* Next token [*a, *b) from *pp on; *pp moves past the space that ends it. */
static WT_ALWAYS_INLINE bool fast_tok(const char **pp, const char *end, const char **a,
                                      const char **b)
{
    const char *p = *pp;
    while (p < end && is_sp(*p))
        p++;
    if (p == end)
        return false;
    *a = p;
    *b = wt__find_ws(p, end);
    *pp = *b < end ? *b + 1 : *b;
    return true;
}

/* Built for the baseline and for x86-64-v3 (WT_CLONES_V3). */
WT_CLONES_V3 int wt__squid_fast(const char *line, size_t len, struct wt_record *rec)
{
    const char *end = line + len, *p = line, *a, *b, *q;
    struct wt_str tok;

    while (end > line && (is_sp(end[-1]) || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    if (p == end)
        return FAST_NO;
    wt_record_clear(rec);
    rec->format = WT_FORMAT_SQUID;

    if (wt__is_digit((unsigned char)*p)) {
        if (!fast_tok(&p, end, &a, &b) || !take_ts(wt__str(a, b), &rec->ts_ms))
            return FAST_NO;
    } else {
        /* A syslog or `Info: ` prefix (or a comment): the general rule. */
        q = p;
        wt__skip_ws(&q, end);
        if (q == end || *q == '#' || !find_timestamp(line, end, &p, &rec->ts_ms))
            return FAST_NO;
    }
    if (!fast_tok(&p, end, &a, &b) || !fast_num(a, b, &rec->elapsed_ms))
        return FAST_NO;
    if (!fast_tok(&p, end, &a, &b))
        return FAST_NO;
    wt__set_client(rec, wt__dash_empty(wt__str(a, b)));

    /* result/status; a `(host)` after the client is for the general parser. */
    if (!fast_tok(&p, end, &a, &b) || *a == '(')
        return FAST_NO;
    for (q = b; q > a && q[-1] != '/';)
        q--;
    if (q == a)
        return FAST_NO;
    rec->result = wt__dash_empty(wt__str(a, q - 1));
    {
        /* `-` or 1-3 digits; a sign or more digits: the general rule. */
        int64_t st;
        if (b - q > 3 || !fast_num(q, b, &st))
            return FAST_NO;
        rec->status = st < 0 ? 0 : (int)st;
    }
    if (!fast_tok(&p, end, &a, &b) || !fast_num(a, b, &rec->bytes))
        return FAST_NO;
    if (!fast_tok(&p, end, &a, &b))
        return FAST_NO;
    rec->method = wt__dash_empty(wt__str(a, b));
    if (rec->method.len && !wt__method_ok(rec->method))
        return FAST_NO;
    if (!fast_tok(&p, end, &a, &b))
        return FAST_NO;
    rec->url = wt__dash_empty(wt__str(a, b));

    /* user: a quoted value without spaces is its inside; with spaces, give up. */
    if (!fast_tok(&p, end, &a, &b))
        return FAST_NO;
    if (*a == '"') {
        if (b - a < 2 || b[-1] != '"')
            return FAST_NO;
        a++;
        b--;
    }
    rec->user = wt__dash_empty(wt__str(a, b));

    if (!fast_tok(&p, end, &a, &b) || !(q = memchr(a, '/', (size_t)(b - a))))
        return FAST_NO;
    rec->hier = wt__dash_empty(wt__str(a, q));
    rec->server = wt__dash_empty(wt__str(q + 1, b));

    /* mime: not quoted, not a list, not tag-shaped. */
    if (!fast_tok(&p, end, &a, &b))
        return 0;
    if (*a == '"' || *a == '<' || *a == '&')
        return FAST_NO;
    tok = wt__str(a, b);
    if (acl_ok(acl_parts(tok)))
        return FAST_NO;
    if (tok.len > 1 && tok.p[tok.len - 1] == ';') {
        /* `text/html; charset=utf-8`: as parse_tail does. */
        struct wt_str next;
        q = p;
        wt__skip_ws(&q, end);
        if (q < end && !list_open(q, end) && wt__word(&q, end, &next) && !acl_ok(acl_parts(next))) {
            tok = wt__str(tok.p, next.p + next.len);
            p = q;
        }
    }
    rec->mime = wt__dash_empty(tok);

    /* The ACL tag, then the list, or nothing. */
    if (!fast_tok(&p, end, &a, &b))
        return 0;
    if (*a == '"' || !fast_acl(wt__str(a, b), line + len))
        return FAST_NO;
    rec->acl = wt__str(a, b);
    wt__skip_ws(&p, end);
    if (p == end)
        return 0;
    if (*p != '<')
        return FAST_NO;
    const char *close = fast_list(rec, line, p + 1, end);
    if (!close)
        return FAST_NO;
    rec->verdicts = wt__str(p + 1, close);
    set_layout(rec, true);

    p = close + 1;
    if (wt__field(&p, end, &tok)) {
        rec->ua = wt__dash_empty(tok);
        wt__skip_ws(&p, end);
        if (p < end) {
            /* An empty trailer stays unset, as in the general parser. */
            tok = wt__dash_empty(wt__str(p, end));
            if (tok.len)
                rec->custom = tok;
        }
    }
    return 0;
}

static int squid_parse(struct wt_parser *ps, const char *line, size_t len, struct wt_record *rec)
{
    (void)ps;
    if (wt__squid_fast(line, len, rec) == 0)
        return 0;
    return wt__squid_general(line, len, rec);
}

static void squid_reset(struct wt_parser *ps)
{
    (void)ps; /* stateless */
}

const struct wt_parser_ops wt_parser_squid = {"squid", squid_parse, squid_reset};
