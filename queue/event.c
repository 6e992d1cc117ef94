/*
 * event.c - one access-log record and its observables as one JSON line.
 *
 * The hot path of every sink: no allocation, a bounded output buffer, and
 * JSON that is valid whatever bytes the log held.
 */
#include "wt_queue.h"

#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int wt_buf_append(struct wt_buf *b, const void *data, size_t n)
{
    if (n > b->cap - b->len)
        return WT_EFULL;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* JSON strings                                                             */
/* ------------------------------------------------------------------------ */

/* 1: byte is copied as is (printable ASCII other than '"' and '\'). */
static const unsigned char plain[256] = {
    [' '] = 1,
    ['!'] = 1,
    ['#' ... '['] = 1,
    [']' ... '~'] = 1,
};

/* Length of the valid UTF-8 sequence at p (2-4), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;

    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    /* Overlongs, surrogates and > U+10FFFF are excluded by the second byte. */
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    }
    return n;
}

int wt_json_append_str(struct wt_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
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
            if (plain[*q]) {
                need++;
                q++;
            } else if (*q == '"' || *q == '\\') {
                need += 2;
                q++;
            } else if (*q >= 0x80 && (k = utf8_seq(q, end)) > 0) {
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
        /* Sixteen bytes at a time while they are all plain: no byte below
         * 0x20 or above 0x7e, no '"' and no '\\'. */
        const __m128i lo = _mm_set1_epi8(0x1f), hi = _mm_set1_epi8(0x7e);
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            /* Signed compares: bytes >= 0x80 are negative, so "> 0x1f" fails them. */
            __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, lo),
                                       _mm_cmplt_epi8(v, _mm_add_epi8(hi, _mm_set1_epi8(1))));
            __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
            if (_mm_movemask_epi8(_mm_andnot_si128(bad, ok)) != 0xffff)
                break;
            p += 16;
        }
#endif
        while (p < end && plain[*p])
            p++;
        if (p > run) {
            memcpy(o, run, (size_t)(p - run));
            o += p - run;
            continue;
        }
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            p++;
        } else if (c >= 0x80) {
            size_t k = utf8_seq(p, end);
            if (k) {
                memcpy(o, p, k);
                o += k;
                p += k;
            } else {
                memcpy(o, "\\ufffd", 6);
                o += 6;
                p++;
            }
        } else {
            /* Control bytes, DEL. */
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
            p++;
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    (void)start;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + (unsigned)era * 400) + (*m <= 2);
}

static void put2(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10 % 10);
    o[1] = (char)('0' + v % 10);
}

void wt_iso8601_ms(int64_t ts_ms, char out[25])
{
    int64_t secs = ts_ms >= 0 ? ts_ms / 1000 : (ts_ms - 999) / 1000;
    unsigned ms = (unsigned)(ts_ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    unsigned sod = (unsigned)(secs - days * 86400);
    int y;
    unsigned m, d;

    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    put2(out + 2, (unsigned)y % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, sod / 3600);
    out[13] = ':';
    put2(out + 14, sod / 60 % 60);
    out[16] = ':';
    put2(out + 17, sod % 60);
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    put2(out + 21, ms % 100);
    out[23] = 'Z';
    out[24] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Event                                                                    */
/* ------------------------------------------------------------------------ */

#define LIT(b, s) wt_buf_append((b), (s), sizeof(s) - 1)

/* ,"key":"value" when value is non-empty. */
static int put_str(struct wt_buf *b, const char *key, size_t klen, struct wt_str v)
{
    if (v.len == 0)
        return 0;
    int rc = wt_buf_append(b, key, klen);
    return rc ? rc : wt_json_append_str(b, v.p, v.len);
}

/* Decimal digits of v, right-aligned in buf[24]; returns where they start. */
static char *fmt_i64(int64_t v, char buf[24])
{
    char *p = buf + 24;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

static int put_int(struct wt_buf *b, const char *key, size_t klen, int64_t v)
{
    char num[24];
    char *p = fmt_i64(v, num);
    int rc = wt_buf_append(b, key, klen);
    return rc ? rc : wt_buf_append(b, p, (size_t)(num + sizeof(num) - p));
}

#define PUT_STR(b, k, v) put_str((b), ",\"" k "\":", sizeof(k) + 3, (v))
#define PUT_INT(b, k, v) put_int((b), ",\"" k "\":", sizeof(k) + 3, (v))

static int encode(struct wt_buf *b, uint64_t lineno, const struct wt_record *rec,
                  const struct wt_obs_set *os, const struct wt_event_opts *opts)
{
    char ts[25];
    int rc = 0;

    wt_iso8601_ms(rec->ts_ms, ts);
    rc |= put_int(b, "{\"line\":", 8, (int64_t)lineno);
    rc |= LIT(b, ",\"ts\":\"");
    rc |= wt_buf_append(b, ts, 24);
    rc |= LIT(b, "\"");
    rc |= PUT_STR(b, "host", opts->host);
    rc |= PUT_STR(b, "src", opts->src);
    rc |= PUT_STR(b, "format",
                  rec->format == WT_FORMAT_W3C ? WT_STR_LIT("w3c") : WT_STR_LIT("squid"));
    /* The canonical form when the client is a valid address, else as logged. */
    rc |= PUT_STR(b, "client_ip", os->client_ip.len ? os->client_ip : rec->client);
    rc |= PUT_STR(b, "method", rec->method);
    if (rec->status > 0)
        rc |= PUT_INT(b, "status", rec->status);
    rc |= PUT_STR(b, "result", rec->result);
    if (rec->bytes >= 0)
        rc |= PUT_INT(b, "bytes", rec->bytes);
    if (rec->elapsed_ms >= 0)
        rc |= PUT_INT(b, "elapsed_ms", rec->elapsed_ms);
    /* A URL is printed normalised (and query-stripped when asked). A target
     * that is no URL (tunnel://, ip:port) is printed as logged. */
    rc |= PUT_STR(b, "url", os->url.len ? os->url : rec->url);
    rc |= PUT_STR(b, "domain", os->domain);
    rc |= PUT_STR(b, "server_ip", os->server_ip);
    rc |= PUT_STR(b, "hierarchy", rec->hier);
    rc |= PUT_STR(b, "mime", rec->mime);
    rc |= PUT_STR(b, "acl", rec->acl);
    rc |= PUT_STR(b, "category", rec->category);
    rc |= PUT_STR(b, "wbrs", rec->wbrs);
    rc |= PUT_STR(b, "amp_verdict", rec->amp_verdict);
    rc |= PUT_STR(b, "amp_threat", rec->amp_threat);
    rc |= PUT_STR(b, "amp_file", rec->amp_file);
    rc |= PUT_STR(b, "sha256", os->sha256);
    if (opts->export_user)
        rc |= PUT_STR(b, "user", rec->user);
    rc |= LIT(b, ",\"observables\":[");
    for (unsigned i = 0; i < os->n; i++) {
        const char *name = wt_obs_type_name(os->item[i].type);
        if (i)
            rc |= LIT(b, ",");
        rc |= LIT(b, "{\"type\":\"");
        rc |= wt_buf_append(b, name, strlen(name));
        rc |= LIT(b, "\",\"value\":");
        rc |= wt_json_append_str(b, os->item[i].value.p, os->item[i].value.len);
        rc |= LIT(b, "}");
    }
    rc |= LIT(b, "]}\n");
    return rc;
}

int wt_event_encode(struct wt_buf *b, uint64_t lineno, const struct wt_record *rec,
                    const struct wt_obs_set *os, const struct wt_event_opts *opts)
{
    size_t start = b->len;
    /* Every append fails with the same WT_EFULL; or-ing them keeps it. */
    if (encode(b, lineno, rec, os, opts) != 0) {
        b->len = start;
        return WT_EFULL;
    }
    return 0;
}
