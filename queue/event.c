/*
 * event.c - one access-log record and its observables as one JSON line.
 *
 * The hot path of every sink: no allocation, a bounded output buffer, and
 * JSON that is valid whatever bytes the log held.
 */
#include "wt_queue.h"

#include <stdint.h>
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

/*
 * Write the byte at *pp, which is not plain: '"' and '\\' escaped, a valid
 * UTF-8 sequence as it is, a broken one as U+FFFD, a control byte or DEL as
 * \u00XX. At most 6 bytes out per byte in. @returns the new output end.
 */
static inline char *esc_one(char *o, const unsigned char **pp, const unsigned char *end)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = *pp;
    unsigned char c = *p;
    size_t k;

    if (plain[c]) {
        *o++ = (char)c;
        k = 1;
    } else if (c == '"' || c == '\\') {
        *o++ = '\\';
        *o++ = (char)c;
        k = 1;
    } else if (c >= 0x80 && (k = utf8_seq(p, end)) > 0) {
        memcpy(o, p, k);
        o += k;
    } else if (c >= 0x80) {
        memcpy(o, "\\ufffd", 6);
        o += 6;
        k = 1;
    } else {
        memcpy(o, "\\u00", 4);
        o[4] = hex[c >> 4];
        o[5] = hex[c & 15];
        o += 6;
        k = 1;
    }
    *pp = p + k;
    return o;
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
        o = esc_one(o, &p, end);
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

/*
 * The event is written by one function, encode(), instantiated twice: when
 * the room left in the buffer is at least a bound on the event's size (the
 * usual case), every write is unchecked and inline (no call per field);
 * otherwise every write is checked and an event that does not fit fails.
 */
struct jw {
    char *o, *end;
    bool checked; /* a compile-time constant in each instantiation */
    bool full;
};

static inline void jw_put(struct jw *w, const char *s, size_t n)
{
    if (w->checked && (size_t)(w->end - w->o) < n) {
        w->full = true;
        return;
    }
    memcpy(w->o, s, n);
    w->o += n;
}

/* Eight bytes that are all plain (0x20-0x7e, no '"' or '\\'), SWAR. */
static inline bool plain8(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t q = v ^ (ones * '"'), bs = v ^ (ones * '\\');
    uint64_t lo = (v - ones * 0x20) & ~v; /* high bit: byte < 0x20 (or >= 0x80) */
    uint64_t hi = (v + ones * 0x01) | v;  /* high bit: byte >= 0x7f (or >= 0x80) */
    uint64_t z = ((q - ones) & ~q) | ((bs - ones) & ~bs);
    return ((lo | hi | z) & highs) == 0;
}

/*
 * Unchecked JSON string body: the caller guarantees 6 * n bytes of room.
 * Blocks are stored before they are checked, so no store passes the bytes
 * consumed so far (at most 6 out per byte in) plus the block.
 */
static char *esc_fast(char *o, const unsigned char *p, const unsigned char *end)
{
    const unsigned char *start = p;
    const unsigned char *verbatim = p; /* [verbatim, p) was copied as it is */
    (void)start;
    (void)verbatim;
    while (p < end) {
#if defined(__SSE2__)
        const __m128i lo = _mm_set1_epi8(0x1f), hi = _mm_set1_epi8(0x7f);
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            _mm_storeu_si128((__m128i *)(void *)o, v);
            __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
            __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(bad, ok)) ^ 0xffffu;
            if (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                p += k;
                o += k;
                goto special;
            }
            p += 16;
            o += 16;
        }
        /* The last 1-15 bytes as the final 16 of the value, when those
         * were all copied as they are (so input and output align). */
        if (p < end && (size_t)(p - start) >= 16 && p - verbatim >= 16 - (end - p)) {
            const unsigned char *t = end - 16;
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)t);
            __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
            __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
            if (_mm_movemask_epi8(_mm_andnot_si128(bad, ok)) == 0xffff) {
                _mm_storeu_si128((__m128i *)(void *)(o - (p - t)), v);
                o += end - p;
                break;
            }
        }
#endif
        if (end - p >= 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            if (plain8(v)) {
                memcpy(o, &v, 8);
                p += 8;
                o += 8;
                continue;
            }
        }
        while (p < end && plain[*p])
            *o++ = (char)*p++;
        if (p == end)
            break;
#if defined(__SSE2__)
    special:;
#endif
        o = esc_one(o, &p, end);
        verbatim = p;
    }
    return o;
}

/* A JSON string with its quotes. */
static inline void jw_str(struct jw *w, const char *s, size_t n)
{
    if (w->checked) {
        struct wt_buf t = {w->o, 0, (size_t)(w->end - w->o)};
        if (wt_json_append_str(&t, s, n) != 0)
            w->full = true;
        else
            w->o += t.len;
        return;
    }
    char *o = w->o;
    *o++ = '"';
    /* Short values (most of them) in two overlapping loads and stores. */
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        if (plain8(a) && plain8(b)) {
            memcpy(o, &a, 8);
            memcpy(o + n - 8, &b, 8);
            o[n] = '"';
            w->o = o + n + 1;
            return;
        }
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        if (plain8((uint64_t)a | (uint64_t)b << 32)) {
            memcpy(o, &a, 4);
            memcpy(o + n - 4, &b, 4);
            o[n] = '"';
            w->o = o + n + 1;
            return;
        }
    }
    o = esc_fast(o, (const unsigned char *)s, (const unsigned char *)s + n);
    *o++ = '"';
    w->o = o;
}

/*
 * Decimal digits of v (a '-' first when negative), two at a time, right-
 * aligned to buf + 24. @returns where they start (at least buf + 3).
 */
static inline char *fmt_i64(int64_t v, char buf[48])
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = buf + 24;
    while (u >= 100) {
        unsigned r = (unsigned)(u % 100);
        u /= 100;
        p -= 2;
        memcpy(p, pairs + 2 * r, 2);
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * u, 2);
    } else {
        *--p = (char)('0' + u);
    }
    if (v < 0)
        *--p = '-';
    return p;
}

static inline void jw_int(struct jw *w, int64_t v)
{
    char buf[48];
    char *p = fmt_i64(v, buf);
    size_t n = (size_t)(buf + 24 - p);
    if (!w->checked) {
        /* A fixed 24-byte copy (no call): the bound has room for it, and
         * what lands past the digits is overwritten by what follows. */
        memcpy(w->o, p, 24);
        w->o += n;
        return;
    }
    jw_put(w, p, n);
}

/* ,"key":"value" when value is non-empty; ,"key":N. */
#define JW_LIT(w, s) jw_put((w), (s), sizeof(s) - 1)
#define JW_STR(w, k, v)                                                                            \
    do {                                                                                           \
        struct wt_str v_ = (v);                                                                    \
        if (v_.len) {                                                                              \
            JW_LIT(w, ",\"" k "\":");                                                              \
            jw_str(w, v_.p, v_.len);                                                               \
        }                                                                                          \
    } while (0)
#define JW_INT(w, k, v)                                                                            \
    do {                                                                                           \
        JW_LIT(w, ",\"" k "\":");                                                                  \
        jw_int(w, (v));                                                                            \
    } while (0)

/*
 * wt_iso8601_ms() with the text of the last second remembered (per thread):
 * consecutive log lines mostly share it, so only the milliseconds change.
 */
static void iso_cached(int64_t ts_ms, char out[25])
{
    static _Thread_local int64_t last_secs = INT64_MIN;
    static _Thread_local char last[25];
    int64_t secs = ts_ms >= 0 ? ts_ms / 1000 : (ts_ms - 999) / 1000;
    unsigned ms = (unsigned)(ts_ms - secs * 1000);

    if (secs != last_secs) {
        wt_iso8601_ms(secs * 1000, last);
        last_secs = secs;
    }
    memcpy(out, last, 25);
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
}

/* The event's strings, in order; the bound and the writer both walk them. */
static inline void encode(struct jw *w, uint64_t lineno, const struct wt_record *rec,
                          const struct wt_obs_set *os, const struct wt_event_opts *opts)
{
    char ts[25];

    iso_cached(rec->ts_ms, ts);
    JW_LIT(w, "{\"line\":");
    jw_int(w, (int64_t)lineno);
    JW_LIT(w, ",\"ts\":\"");
    jw_put(w, ts, 24);
    JW_LIT(w, "\"");
    JW_STR(w, "host", opts->host);
    JW_STR(w, "src", opts->src);
    JW_STR(w, "format", rec->format == WT_FORMAT_W3C ? WT_STR_LIT("w3c") : WT_STR_LIT("squid"));
    /* The canonical form when the client is a valid address, else as logged. */
    JW_STR(w, "client_ip", os->client_ip.len ? os->client_ip : rec->client);
    JW_STR(w, "method", rec->method);
    if (rec->status > 0)
        JW_INT(w, "status", rec->status);
    JW_STR(w, "result", rec->result);
    if (rec->bytes >= 0)
        JW_INT(w, "bytes", rec->bytes);
    if (rec->elapsed_ms >= 0)
        JW_INT(w, "elapsed_ms", rec->elapsed_ms);
    /* A URL is printed normalised (and query-stripped when asked). A target
     * that is no URL (tunnel://, ip:port) is printed as logged. */
    JW_STR(w, "url", os->url.len ? os->url : rec->url);
    JW_STR(w, "domain", os->domain);
    JW_STR(w, "server_ip", os->server_ip);
    JW_STR(w, "hierarchy", rec->hier);
    JW_STR(w, "mime", rec->mime);
    JW_STR(w, "acl", rec->acl);
    JW_STR(w, "category", rec->category);
    JW_STR(w, "wbrs", rec->wbrs);
    JW_STR(w, "amp_verdict", rec->amp_verdict);
    JW_STR(w, "amp_threat", rec->amp_threat);
    JW_STR(w, "amp_file", rec->amp_file);
    JW_STR(w, "sha256", os->sha256);
    if (opts->export_user)
        JW_STR(w, "user", rec->user);
    JW_LIT(w, ",\"observables\":[");
    for (unsigned i = 0; i < os->n; i++) {
        static const struct wt_str head[WT_OBS_NTYPES] = {
            WT_STR_LIT("{\"type\":\"ip\",\"value\":"),
            WT_STR_LIT("{\"type\":\"ipv6\",\"value\":"),
            WT_STR_LIT("{\"type\":\"domain\",\"value\":"),
            WT_STR_LIT("{\"type\":\"url\",\"value\":"),
            WT_STR_LIT("{\"type\":\"sha256\",\"value\":"),
        };
        enum wt_obs_type t = os->item[i].type;
        if (i)
            JW_LIT(w, ",");
        if (t < WT_OBS_NTYPES) {
            jw_put(w, head[t].p, head[t].len);
        } else {
            const char *name = wt_obs_type_name(t);
            JW_LIT(w, "{\"type\":\"");
            jw_put(w, name, strlen(name));
            JW_LIT(w, "\",\"value\":");
        }
        jw_str(w, os->item[i].value.p, os->item[i].value.len);
        JW_LIT(w, "}");
    }
    JW_LIT(w, "]}\n");
}

/* Fixed bytes of an event: keys, punctuation, numbers and observable wrappers. */
#define EVENT_FIXED_MAX (1024 + WT_OBS_MAX * 48)

/* An upper bound on the event's size: 6 bytes out per string byte at most. */
static size_t event_bound(const struct wt_record *rec, const struct wt_obs_set *os,
                          const struct wt_event_opts *opts)
{
    size_t n = opts->host.len + opts->src.len + rec->client.len + os->client_ip.len +
               rec->method.len + rec->result.len + rec->url.len + os->url.len + os->domain.len +
               os->server_ip.len + rec->hier.len + rec->mime.len + rec->acl.len +
               rec->category.len + rec->wbrs.len + rec->amp_verdict.len + rec->amp_threat.len +
               rec->amp_file.len + os->sha256.len + rec->user.len;
    for (unsigned i = 0; i < os->n; i++)
        n += os->item[i].value.len;
    return EVENT_FIXED_MAX + 6 * n;
}

int wt_event_encode(struct wt_buf *b, uint64_t lineno, const struct wt_record *rec,
                    const struct wt_obs_set *os, const struct wt_event_opts *opts)
{
    struct jw w = {b->p + b->len, b->p + b->cap, false, false};

    if (b->cap - b->len >= event_bound(rec, os, opts)) {
        encode(&w, lineno, rec, os, opts);
    } else {
        w.checked = true;
        encode(&w, lineno, rec, os, opts);
        if (w.full)
            return WT_EFULL; /* b->len unchanged */
    }
    b->len = (size_t)(w.o - b->p);
    return 0;
}
