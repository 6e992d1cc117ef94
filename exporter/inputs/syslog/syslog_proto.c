/*
 * syslog_proto.c - RFC 5424 / RFC 3164 headers and RFC 6587 TCP framing.
 * Pure functions over bytes; see syslog_proto.h for the contracts.
 */
#include "syslog_proto.h"

#include <string.h>

/* A 3164 TAG longer than this is taken as the start of the body. */
#define WT_SYSLOG_TAG_MAX 128

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------------ */
/* Headers                                                                  */
/* ------------------------------------------------------------------------ */

/* A token up to the next space (or end); *p moves past the token only. */
static struct wt_str token(const char **p, const char *end)
{
    const char *s = *p;
    const char *sp = memchr(s, ' ', (size_t)(end - s));
    const char *e = sp ? sp : end;
    *p = e;
    return (struct wt_str){s, (size_t)(e - s)};
}

/* A token followed by one space; false when either is missing or it is empty. */
static bool field(const char **p, const char *end, struct wt_str *out)
{
    *out = token(p, end);
    if (out->len == 0 || *p == end)
        return false;
    (*p)++;
    return true;
}

/* RFC 5424 STRUCTURED-DATA: "-" or one or more [id param="value" ...]. */
static bool structured_data(const char **pp, const char *end)
{
    const char *p = *pp;
    if (p < end && *p == '-') {
        *pp = p + 1;
        return true;
    }
    if (p == end || *p != '[')
        return false;
    while (p < end && *p == '[') {
        bool quoted = false;
        for (p++; p < end; p++) {
            if (quoted && *p == '\\' && p + 1 < end) {
                p++; /* \" \\ \] */
            } else if (*p == '"') {
                quoted = !quoted;
            } else if (!quoted && *p == ']') {
                break;
            }
        }
        if (p == end)
            return false; /* an element cut short */
        p++;              /* past ']' */
    }
    *pp = p;
    return true;
}

static int rfc5424(const char *p, const char *end, struct wt_syslog_msg *out)
{
    struct wt_str ts, host, app, procid, msgid;
    out->version = 1;
    if (!field(&p, end, &ts) || !field(&p, end, &host) || !field(&p, end, &app) ||
        !field(&p, end, &procid) || !field(&p, end, &msgid))
        return WT_EPARSE;
    if (!structured_data(&p, end))
        return WT_EPARSE;
    if (p < end && *p != ' ')
        return WT_EPARSE;
    if (p < end)
        p++;
    /* MSG may start with a UTF-8 byte order mark (section 6.4). */
    if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    if (!(host.len == 1 && host.p[0] == '-'))
        out->host = host;
    if (!(app.len == 1 && app.p[0] == '-'))
        out->app = app;
    out->body = (struct wt_str){p, (size_t)(end - p)};
    return 0;
}

/* "Mmm dd hh:mm:ss " (day space-padded or two digits): bytes, or 0. */
static size_t bsd_timestamp(const char *p, const char *end)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (end - p < 16 || p[3] != ' ' || p[6] != ' ' || p[9] != ':' || p[12] != ':' || p[15] != ' ')
        return 0;
    bool month = false;
    for (size_t m = 0; m < 12 && !month; m++)
        month = memcmp(p, months + 3 * m, 3) == 0;
    if (!month || !(p[4] == ' ' || is_digit(p[4])) || !is_digit(p[5]))
        return 0;
    for (int i = 7; i < 15; i++) {
        if (i != 9 && i != 12 && !is_digit(p[i]))
            return 0;
    }
    return 16;
}

/* An RFC 3339 timestamp as rsyslog and others put in BSD-style headers. */
static size_t iso_timestamp(const char *p, const char *end)
{
    if (end - p < 11 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) || !is_digit(p[3]) ||
        p[4] != '-')
        return 0;
    const char *sp = memchr(p, ' ', (size_t)(end - p));
    if (!sp || sp - p > 40)
        return 0;
    return (size_t)(sp - p) + 1;
}

static int rfc3164(const char *p, const char *end, struct wt_syslog_msg *out)
{
    size_t n = bsd_timestamp(p, end);
    if (n == 0)
        n = iso_timestamp(p, end);
    if (n == 0) {
        /* No timestamp: everything after PRI is the message (4.3.3). */
        out->body = (struct wt_str){p, (size_t)(end - p)};
        return 0;
    }
    p += n;
    out->host = token(&p, end);
    if (p < end)
        p++;
    /* TAG: "name:" or "name[pid]:", then a space. */
    const char *q = p;
    struct wt_str tag = token(&q, end);
    if (tag.len >= 2 && tag.len <= WT_SYSLOG_TAG_MAX && tag.p[tag.len - 1] == ':') {
        const char *br = memchr(tag.p, '[', tag.len);
        out->app = (struct wt_str){tag.p, br ? (size_t)(br - tag.p) : tag.len - 1};
        p = q < end ? q + 1 : q;
    }
    out->body = (struct wt_str){p, (size_t)(end - p)};
    return 0;
}

int wt_syslog_header(const char *msg, size_t len, struct wt_syslog_msg *out)
{
    memset(out, 0, sizeof(*out));
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r' || msg[len - 1] == '\0'))
        len--;
    const char *p = msg, *end = msg + len;
    if (p == end || *p != '<')
        return WT_EPARSE;
    int pri = 0, nd = 0;
    for (p++; p < end && is_digit(*p) && nd < 3; p++, nd++)
        pri = pri * 10 + (*p - '0');
    if (nd == 0 || p == end || *p != '>' || pri > WT_SYSLOG_PRI_MAX)
        return WT_EPARSE;
    p++;
    out->pri = pri;
    if (end - p >= 2 && p[0] == '1' && p[1] == ' ')
        return rfc5424(p + 2, end, out);
    return rfc3164(p, end, out);
}

/* ------------------------------------------------------------------------ */
/* TCP framing (RFC 6587)                                                   */
/* ------------------------------------------------------------------------ */

void wt_syslog_framer_init(struct wt_syslog_framer *f, size_t max_msg)
{
    memset(f, 0, sizeof(*f));
    f->max_msg = max_msg;
}

static int octet_frame(struct wt_syslog_framer *f, const char *buf, size_t len, size_t *used,
                       struct wt_str *msg)
{
    size_t i = 0;
    uint64_t n = 0;
    while (i < len && is_digit(buf[i])) {
        if (i == WT_SYSLOG_MSGLEN_DIGITS)
            return WT_EPARSE;
        n = n * 10 + (uint64_t)(buf[i] - '0');
        i++;
    }
    if (i == len)
        return WT_EAGAIN;
    if (i == 0 || buf[0] == '0' || buf[i] != ' ')
        return WT_EPARSE;
    i++;
    if (n > f->max_msg) {
        size_t take = len - i < n ? len - i : (size_t)n;
        f->skip = n - take;
        *used = i + take;
        return WT_ETOOLONG;
    }
    if (len - i < n)
        return WT_EAGAIN;
    *msg = (struct wt_str){buf + i, (size_t)n};
    *used = i + (size_t)n;
    return 0;
}

static int lf_frame(struct wt_syslog_framer *f, const char *buf, size_t len, size_t *used,
                    struct wt_str *msg)
{
    /* The longest acceptable frame: max_msg bytes, a CR, the LF. */
    size_t window = len < f->max_msg + 2 ? len : f->max_msg + 2;
    const char *nl = memchr(buf, '\n', window);
    if (!nl) {
        if (len < f->max_msg + 2)
            return WT_EAGAIN;
        /* Too long: skip to its LF, which may already be in buf. */
        nl = memchr(buf + window, '\n', len - window);
        f->skip_to_lf = nl == NULL;
        *used = nl ? (size_t)(nl - buf) + 1 : len;
        return WT_ETOOLONG;
    }
    size_t n = (size_t)(nl - buf);
    *used = n + 1;
    if (n && buf[n - 1] == '\r')
        n--;
    if (n > f->max_msg)
        return WT_ETOOLONG;
    *msg = (struct wt_str){buf, n};
    return 0;
}

int wt_syslog_frame_next(struct wt_syslog_framer *f, const char *buf, size_t len, size_t *used,
                         struct wt_str *msg)
{
    *used = 0;
    if (f->skip) {
        size_t take = len < f->skip ? len : (size_t)f->skip;
        f->skip -= take;
        *used = take;
        return WT_EAGAIN;
    }
    if (f->skip_to_lf) {
        const char *nl = memchr(buf, '\n', len);
        *used = nl ? (size_t)(nl - buf) + 1 : len;
        f->skip_to_lf = nl == NULL;
        return WT_EAGAIN;
    }
    if (len == 0)
        return WT_EAGAIN;
    if (f->mode == WT_FRAMING_UNKNOWN)
        f->mode = is_digit(buf[0]) ? WT_FRAMING_OCTET : WT_FRAMING_LF;
    if (f->mode == WT_FRAMING_OCTET)
        return octet_frame(f, buf, len, used, msg);
    return lf_frame(f, buf, len, used, msg);
}
