/*
 * w3c.c - W3C extended access logs (AsyncOS "W3C Logs" subscriptions).
 *
 * The file describes itself: `#Fields: name name ...` gives the column order
 * of the data lines after it, and a new `#Fields:` line replaces it. The names
 * are copied into the parser (the line buffer is reused) and the known ones
 * are mapped to record slots once, at header time; a data line is then split
 * in one pass into rec->field[] and the known columns are picked by index.
 *
 * Values are space-separated; a value with spaces is double-quoted (quotes
 * removed); `-` and `"-"` are empty. Extra trailing columns are kept (up to
 * WT_W3C_FIELDS_MAX); fewer columns than the layout is a malformed line.
 */
#include "parsers_int.h"

/* Known fields: the record slots a column can fill. At most 32 (layout col[]). */
enum w3c_id {
    F_TIMESTAMP,     /* timestamp: epoch.ms */
    F_DATE,          /* date: YYYY-MM-DD (UTC), with time when there is no timestamp */
    F_TIME,          /* time: HH:MM:SS[.fff] */
    F_ELAPSED,       /* x-elapsed-time: ms, a fraction is dropped */
    F_CLIENT,        /* c-ip */
    F_RESULT_STATUS, /* x-resultcode-httpstatus: TCP_MISS/200 */
    F_RESULT,        /* sc-result-code */
    F_STATUS,        /* sc-http-status */
    F_BYTES,         /* sc-bytes */
    F_METHOD,        /* cs-method */
    F_URL,           /* cs-url */
    F_USER,          /* cs-username */
    F_HIER_ORIGIN,   /* x-hierarchy-origin: DIRECT/host */
    F_SHOSTNAME,     /* s-hostname */
    F_SIP,           /* s-ip */
    F_MIME,          /* cs-mime-type */
    F_ACL,           /* x-acltag */
    F_VERDICTS,      /* x-result-code */
    F_CATEGORY,      /* x-webcat-code-abbr */
    F_WBRS,          /* x-wbrs-score */
    F_AMP_VERDICT,   /* x-amp-verdict */
    F_AMP_THREAT,    /* x-amp-malware-name */
    F_AMP_FILE,      /* x-amp-filename */
    F_AMP_SHA,       /* x-amp-sha */
    F_UA,            /* x-suspect-user-agent */
    F_NKNOWN
};

#define W3C_NCOL ((int)(sizeof(((struct wt_w3c_layout *)0)->col) / sizeof(int)))
_Static_assert(F_NKNOWN <= sizeof(((struct wt_w3c_layout *)0)->col) / sizeof(int),
               "known W3C fields must fit wt_w3c_layout.col");

/* Names as AsyncOS writes them (matched case-sensitively). */
static const struct {
    const char *name;
    unsigned char len;
    unsigned char id;
} known[] = {
#define K(s, id)                                                                                   \
    {                                                                                              \
        s, sizeof(s) - 1, id                                                                       \
    }
    K("timestamp", F_TIMESTAMP),
    K("date", F_DATE),
    K("time", F_TIME),
    K("x-elapsed-time", F_ELAPSED),
    K("c-ip", F_CLIENT),
    K("x-resultcode-httpstatus", F_RESULT_STATUS),
    K("sc-result-code", F_RESULT),
    K("sc-http-status", F_STATUS),
    K("sc-bytes", F_BYTES),
    K("cs-method", F_METHOD),
    K("cs-url", F_URL),
    K("cs-username", F_USER),
    K("x-hierarchy-origin", F_HIER_ORIGIN),
    K("s-hostname", F_SHOSTNAME),
    K("s-ip", F_SIP),
    K("cs-mime-type", F_MIME),
    K("x-acltag", F_ACL),
    K("x-result-code", F_VERDICTS),
    K("x-webcat-code-abbr", F_CATEGORY),
    K("x-wbrs-score", F_WBRS),
    K("x-amp-verdict", F_AMP_VERDICT),
    K("x-amp-malware-name", F_AMP_THREAT),
    K("x-amp-filename", F_AMP_FILE),
    K("x-amp-sha", F_AMP_SHA),
    K("x-suspect-user-agent", F_UA),
#undef K
};

static const char fields_tag[] = "#Fields:";
#define FIELDS_TAG_LEN (sizeof(fields_tag) - 1)

static void layout_clear(struct wt_w3c_layout *l)
{
    l->n = 0;
    for (int i = 0; i < W3C_NCOL; i++)
        l->col[i] = -1;
}

static int known_id(struct wt_str name)
{
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        if (name.len == known[k].len && memcmp(name.p, known[k].name, name.len) == 0)
            return known[k].id;
    }
    return -1;
}

/*
 * Replace the layout with the names in [p, end). The names are copied into
 * l->buf separated by one space (NUL-terminated when it fits). On any error
 * the layout is left empty (n = 0).
 * @returns 0, WT_ETOOLONG (list longer than WT_W3C_HEADER_MAX or more than
 *          WT_W3C_FIELDS_MAX names) or WT_EPARSE (no names).
 */
static int layout_set(struct wt_w3c_layout *l, const char *p, const char *end)
{
    layout_clear(l);
    /* Trim: the limit applies to the list itself. */
    wt__skip_ws(&p, end);
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    if (p == end)
        return WT_EPARSE;
    if ((size_t)(end - p) > WT_W3C_HEADER_MAX)
        return WT_ETOOLONG;

    size_t used = 0;
    unsigned n = 0;
    struct wt_str w;
    while (wt__word(&p, end, &w)) {
        if (n == WT_W3C_FIELDS_MAX) {
            layout_clear(l);
            return WT_ETOOLONG;
        }
        if (n > 0)
            l->buf[used++] = ' ';
        /* Compaction never moves bytes right, and used + len <= list length. */
        memmove(l->buf + used, w.p, w.len);
        l->name[n] = (struct wt_str){l->buf + used, w.len};
        used += w.len;
        int id = known_id(l->name[n]);
        if (id >= 0 && l->col[id] < 0)
            l->col[id] = (int)n; /* first occurrence wins */
        n++;
    }
    if (used < sizeof(l->buf))
        l->buf[used] = '\0';
    l->n = n;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at p into *out; false if any is not a digit. */
static bool digits(const char *p, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!wt__is_digit((unsigned char)p[i]))
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* `YYYY-MM-DD` + `HH:MM:SS[.fff]` (UTC) -> epoch ms. */
static int date_time_to_ms(struct wt_str date, struct wt_str time, int64_t *out)
{
    static const unsigned char mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, s, ms = 0;

    if (date.len != 10 || date.p[4] != '-' || date.p[7] != '-' || !digits(date.p, 4, &y) ||
        !digits(date.p + 5, 2, &mo) || !digits(date.p + 8, 2, &d))
        return WT_EPARSE;
    if (time.len < 8 || time.p[2] != ':' || time.p[5] != ':' || !digits(time.p, 2, &h) ||
        !digits(time.p + 3, 2, &mi) || !digits(time.p + 6, 2, &s))
        return WT_EPARSE;
    if (time.len > 8) {
        /* Fraction: up to 3 digits used, more ignored (as wt_str_to_epoch_ms). */
        if (time.p[8] != '.' || time.len == 9)
            return WT_EPARSE;
        unsigned scale = 100;
        for (size_t i = 9; i < time.len; i++) {
            unsigned char c = (unsigned char)time.p[i];
            if (!wt__is_digit(c))
                return WT_EPARSE;
            ms += (unsigned)(c - '0') * scale;
            scale /= 10;
        }
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return WT_EPARSE;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return WT_EPARSE;
    int64_t days = days_from_civil(y, mo, d);
    *out = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000 + ms;
    return 0;
}

/*
 * A non-negative integer; `374.156` -> 374 (a fraction is dropped). 0 with
 * *out (-1 when empty), WT_EPARSE for anything else.
 */
static int int_part(struct wt_str s, int64_t *out)
{
    const char *dot = s.len ? memchr(s.p, '.', s.len) : NULL;
    uint64_t v;
    if (s.len == 0) {
        *out = -1;
        return 0;
    }
    if (dot) {
        for (const char *f = dot + 1; f < s.p + s.len; f++) {
            if (!wt__is_digit((unsigned char)*f))
                return WT_EPARSE;
        }
        s.len = (size_t)(dot - s.p);
    }
    if (wt_str_to_u64(s, &v) != 0 || v > (uint64_t)INT64_MAX)
        return WT_EPARSE;
    *out = (int64_t)v;
    return 0;
}

/* A status column: empty is absent (0), else wt__status(). */
static int http_status(struct wt_str s, int *out)
{
    if (s.len == 0) {
        *out = 0;
        return 0;
    }
    return wt__status(s, out);
}

/*
 * Split at the first '/': `TCP_MISS/200`, `DIRECT/host`. *b is empty without
 * a '/'; a `-` half is empty (`NONE/-`).
 */
static void split_slash(struct wt_str s, struct wt_str *a, struct wt_str *b)
{
    const char *sl = s.len ? memchr(s.p, '/', s.len) : NULL;
    if (!sl) {
        *a = s;
        *b = WT_STR_NULL;
        return;
    }
    *a = wt__dash_empty(wt__str(s.p, sl));
    *b = wt__dash_empty(wt__str(sl + 1, s.p + s.len));
}

static int w3c_header(struct wt_parser *ps, const char *line, size_t len)
{
    const char *end = line + len;
    if (len >= FIELDS_TAG_LEN && memcmp(line, fields_tag, FIELDS_TAG_LEN) == 0)
        return layout_set(&ps->w3c, line + FIELDS_TAG_LEN, end) == 0 ? WT_ESKIP : WT_EPARSE;
    return WT_ESKIP; /* #Version, #Date, #Software, #System, #Remark, ... */
}

/* A transport prefix is searched for in this many leading bytes (as squid.c),
 * and at most this many `: ` in them are tried. */
#define W3C_PREFIX_SCAN  512
#define W3C_PREFIX_TRIES 8

/*
 * The verdict-list column whose opening delimiter (open bytes) is at p: one
 * column whatever spaces its quoted values hold, split and decoded by the
 * squid-native code. Without an end outside quotes the column is the token
 * (up to a space), as any other column. @returns the column's end.
 */
static const char *list_column(struct wt_record *rec, const char *p, const char *end, size_t open)
{
    const bool esc = open == 4;
    const char *s = p + open, *close = wt__verdict_list_open(rec, s, end, esc);

    if (close)
        return close + open; /* `>` or `&gt;`: as long as the opening */
    const char *q = wt__find_ws(s, end);
    const char *c = (size_t)(q - s) >= open ? q - open : NULL;
    if (c && (esc ? memcmp(c, "&gt;", 4) == 0 : *c == '>'))
        wt__verdict_list_fixed(rec, s, c, esc, true);
    else
        wt__verdict_list_fixed(rec, s, q, esc, false);
    return q;
}

/* Columns from *pp into rec->field[*n] on, up to column stop or the end. */
static WT_ALWAYS_INLINE void columns(struct wt_record *rec, const char **pp, const char *end,
                                     unsigned *n, unsigned stop)
{
    const char *p = *pp;
    unsigned i = *n;
    struct wt_str v;

    while (i < stop) {
        wt__skip_ws(&p, end);
        if (p == end)
            break;
        if (*p == '"') {
            wt__field(&p, end, &v);
        } else {
            /* wt__field's unquoted case without its second skip. */
            const char *q = wt__find_ws(p, end);
            v = wt__str(p, q);
            p = q < end ? q + 1 : q; /* past the space that ended it */
        }
        rec->field[i++] = wt__dash_empty(v);
    }
    *pp = p;
    *n = i;
}

/* One data line from p (a prefix already skipped): 0 or WT_EPARSE. */
static WT_ALWAYS_INLINE int w3c_data(const struct wt_w3c_layout *l, const char *p, const char *end,
                                     struct wt_record *rec)
{
    const int vcol = l->col[F_VERDICTS];
    bool listed = false;

    wt_record_clear(rec);
    rec->format = WT_FORMAT_W3C;
    rec->layout = WT_LAYOUT_NONE;

    /* One pass: every column, unquoted, `-` empty; the verdict list's
     * column, if any, between the columns before it and after it. */
    unsigned n = 0;
    size_t open;
    columns(rec, &p, end, &n, vcol >= 0 ? (unsigned)vcol : WT_W3C_FIELDS_MAX);
    wt__skip_ws(&p, end);
    if ((int)n == vcol && p < end && (open = wt__list_open(p, end)) != 0) {
        const char *q = list_column(rec, p, end, open);
        rec->field[n++] = wt__str(p, q);
        p = q;
        listed = true;
    }
    columns(rec, &p, end, &n, WT_W3C_FIELDS_MAX);
    if (n < l->n)
        return WT_EPARSE;
    rec->nfield = n;

    /* Known columns, by the indexes computed at header time. */
    const int *col = l->col;
    const struct wt_str *f = rec->field;
#define HAS(id) (col[id] >= 0)
#define GET(id) (f[col[id]])

    int64_t ts;
    if (HAS(F_TIMESTAMP) && wt_str_to_epoch_ms(GET(F_TIMESTAMP), &ts) == 0 && wt__ts_plausible(ts))
        rec->ts_ms = ts;
    else if (HAS(F_DATE) && HAS(F_TIME) && date_time_to_ms(GET(F_DATE), GET(F_TIME), &ts) == 0 &&
             wt__ts_plausible(ts))
        rec->ts_ms = ts;
    else
        return WT_EPARSE;

    if (HAS(F_ELAPSED) && int_part(GET(F_ELAPSED), &rec->elapsed_ms) != 0)
        return WT_EPARSE;
    if (HAS(F_CLIENT))
        wt__set_client(rec, GET(F_CLIENT)); /* no address: the field is absent */
    if (HAS(F_RESULT_STATUS)) {
        struct wt_str st;
        split_slash(GET(F_RESULT_STATUS), &rec->result, &st);
        if (http_status(st, &rec->status) != 0)
            return WT_EPARSE;
    }
    if (HAS(F_RESULT) && rec->result.len == 0)
        rec->result = GET(F_RESULT);
    if (HAS(F_STATUS) && rec->status == 0 && http_status(GET(F_STATUS), &rec->status) != 0)
        return WT_EPARSE;
    if (HAS(F_BYTES) && int_part(GET(F_BYTES), &rec->bytes) != 0)
        return WT_EPARSE;
    if (HAS(F_METHOD)) {
        rec->method = GET(F_METHOD);
        if (rec->method.len && !wt__method_ok(rec->method))
            return WT_EPARSE;
    }
    if (HAS(F_URL))
        rec->url = GET(F_URL);
    if (HAS(F_USER))
        rec->user = GET(F_USER);
    if (HAS(F_HIER_ORIGIN))
        split_slash(GET(F_HIER_ORIGIN), &rec->hier, &rec->server);
    if (HAS(F_SHOSTNAME) && rec->server.len == 0)
        rec->server = GET(F_SHOSTNAME);
    if (HAS(F_SIP))
        rec->server_ip = GET(F_SIP);
    if (HAS(F_MIME))
        rec->mime = GET(F_MIME);
    if (HAS(F_ACL))
        rec->acl = GET(F_ACL);
    /* A `<...>` list was decoded above; any other value is kept as it is. */
    if (HAS(F_VERDICTS) && !listed)
        rec->verdicts = GET(F_VERDICTS);
        /* Columns of their own win over the list's values when they have one. */
#define SET(id, slot)                                                                              \
    do {                                                                                           \
        if (HAS(id) && GET(id).len)                                                                \
            rec->slot = GET(id);                                                                   \
    } while (0)
    SET(F_CATEGORY, category);
    SET(F_WBRS, wbrs);
    SET(F_AMP_VERDICT, amp_verdict);
    SET(F_AMP_THREAT, amp_threat);
    SET(F_AMP_FILE, amp_file);
    SET(F_AMP_SHA, amp_sha);
#undef SET
    if (HAS(F_UA))
        rec->ua = GET(F_UA);
#undef HAS
#undef GET
    return 0;
}

static int w3c_parse(struct wt_parser *ps, const char *line, size_t len, struct wt_record *rec)
{
    const struct wt_w3c_layout *l = &ps->w3c;
    const char *p = line, *end = line + len;

    while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
        end--;
    wt__skip_ws(&p, end);
    if (p == end)
        return WT_ESKIP; /* blank */
    if (*p == '#')
        return w3c_header(ps, p, (size_t)(end - p));
    if (l->n == 0)
        return WT_EPARSE; /* data before any #Fields: */
    if (w3c_data(l, p, end, rec) == 0)
        return 0;

    /* A transport prefix (`Info: `, `<38>Sep 25 12:13:55 host accesslogs: `),
     * as squid.c takes it: the line after a `: ` that starts in the first
     * W3C_PREFIX_SCAN bytes, the first of W3C_PREFIX_TRIES that parses. */
    const char *lim = end - p > W3C_PREFIX_SCAN ? p + W3C_PREFIX_SCAN : end;
    unsigned tries = 0;
    for (const char *q = p; q < lim && tries < W3C_PREFIX_TRIES; q++) {
        q = memchr(q, ':', (size_t)(lim - q));
        if (!q)
            break;
        if (q + 1 < end && q[1] == ' ') {
            const char *r = q + 2;
            tries++;
            wt__skip_ws(&r, end);
            if (r < end && *r != '#' && w3c_data(l, r, end, rec) == 0)
                return 0;
        }
    }
    return WT_EPARSE;
}

static void w3c_reset(struct wt_parser *ps)
{
    layout_clear(&ps->w3c);
}

const struct wt_parser_ops wt_parser_w3c = {"w3c", w3c_parse, w3c_reset};

int wt_parser_set_fields(struct wt_parser *ps, const char *fields, size_t len)
{
    const char *p = fields, *end = fields + len;
    wt__skip_ws(&p, end);
    /* Accept the list with its `#Fields:` prefix too. */
    if ((size_t)(end - p) >= FIELDS_TAG_LEN && memcmp(p, fields_tag, FIELDS_TAG_LEN) == 0)
        p += FIELDS_TAG_LEN;
    return layout_set(&ps->w3c, p, end);
}

int wt_record_field(const struct wt_parser *ps, const struct wt_record *rec, const char *name,
                    struct wt_str *out)
{
    if (rec->format != WT_FORMAT_W3C)
        return WT_EPARSE;
    size_t nl = strlen(name);
    for (unsigned i = 0; i < ps->w3c.n && i < rec->nfield; i++) {
        const struct wt_str *nm = &ps->w3c.name[i];
        if (nm->len == nl && memcmp(nm->p, name, nl) == 0) {
            *out = rec->field[i];
            return 0;
        }
    }
    return WT_EPARSE;
}
