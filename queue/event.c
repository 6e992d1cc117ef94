/*
 * event.c - one access-log record and its observables as one JSON line.
 *
 * The hot path of every sink: no allocation, a bounded output buffer, and
 * JSON that is valid whatever bytes the log held.
 */
#include "wt_queue.h"
#include "wt_json_esc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define JW_INLINE WT_JSON_INLINE

/* ------------------------------------------------------------------------ */
/* Event                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * The event is written by one function, encode(), instantiated twice: when
 * the room left in the buffer is at least a bound on the event's size (the
 * usual case), every write is unchecked (event_bound() says why they stay in
 * the buffer); otherwise every write is checked and an event that does not
 * fit fails. encode() and the jw_* writers are forced inline (JW_INLINE) so
 * that each instantiation sees `checked` as a constant and keeps the output
 * pointer in a register: no test, call or memory round trip per field.
 */
struct jw {
    char *o, *end;
    bool checked; /* a compile-time constant in each instantiation */
    bool full;
};

JW_INLINE void jw_put(struct jw *w, const char *s, size_t n)
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
        while (p < end && wt__json_plain[*p])
            *o++ = (char)*p++;
        if (p == end)
            break;
#if defined(__SSE2__)
    special:;
#endif
        o = wt__json_esc_one(o, &p, end);
        verbatim = p;
    }
    return o;
}

/* The sixteen bytes of a and b all plain. */
JW_INLINE bool plain2x8(uint64_t a, uint64_t b)
{
#if defined(__SSE2__)
    return _mm_movemask_epi8(wt__json_plain16(_mm_set_epi64x((long long)b, (long long)a))) ==
           0xffff;
#else
    return plain8(a) && plain8(b);
#endif
}

/*
 * Unchecked string body longer than 32 bytes: room for 6 * n bytes at o.
 * Every block is stored as it is (inside [o, o + n)) and checked, the last
 * one as the value's final 16 bytes. A value with a byte to escape (rare)
 * is then written again from its start by esc_fast().
 */
static char *str_long(char *o, const unsigned char *s, size_t n)
{
#if defined(__SSE2__)
    __m128i ok = _mm_set1_epi8(-1), v;
    for (size_t i = 0; n - i > 16; i += 16) {
        v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        _mm_storeu_si128((__m128i *)(void *)(o + i), v);
        ok = _mm_and_si128(ok, wt__json_plain16(v));
    }
    v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
    _mm_storeu_si128((__m128i *)(void *)(o + n - 16), v);
    ok = _mm_and_si128(ok, wt__json_plain16(v));
    if (_mm_movemask_epi8(ok) == 0xffff)
        return o + n;
#endif
    return esc_fast(o, s, s + n);
}

/*
 * Unchecked string body (no quotes): room for 6 * n bytes at o. Up to 32
 * bytes are read in at most two overlapping loads that never leave [s,
 * s + n), checked at once and stored as they are when all plain; any other
 * value goes to esc_fast(). @returns the end of the body.
 */
JW_INLINE char *str_fast(char *o, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        if (plain2x8(a, b)) {
            memcpy(o, &a, 8);
            memcpy(o + n - 8, &b, 8);
            return o + n;
        }
    } else if (n > 32) {
        return str_long(o, u, n);
    } else if (n > 16) {
#if defined(__SSE2__)
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        if (wt__json_plain2x16(a, b)) {
            _mm_storeu_si128((__m128i *)(void *)o, a);
            _mm_storeu_si128((__m128i *)(void *)(o + n - 16), b);
            return o + n;
        }
#endif
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        uint64_t x = a | (uint64_t)b << 32;
        if (plain2x8(x, x)) {
            memcpy(o, &a, 4);
            memcpy(o + n - 4, &b, 4);
            return o + n;
        }
    } else if (n > 0) {
        /* 1-3 bytes: first, middle and last cover them all; of the four
         * bytes stored (n >= 1, so within 6 * n), those past s[n - 1] are
         * copies of it that the closing quote and what follows overwrite. */
        uint32_t x =
            u[0] | (uint32_t)u[n >> 1] << 8 | (uint32_t)u[n - 1] << 16 | (uint32_t)u[n - 1] << 24;
        uint64_t y = x | (uint64_t)x << 32;
        if (plain2x8(y, y)) {
            memcpy(o, &x, 4);
            return o + n;
        }
    } else {
        return o;
    }
    return esc_fast(o, u, u + n);
}

/*
 * A JSON string. Unchecked, the opening quote was written with the key (see
 * jw_key()), so only the body and the closing quote are left. Checked, the
 * body takes the unchecked path too while the room allows its worst case.
 */
JW_INLINE void jw_str(struct jw *w, const char *s, size_t n)
{
    char *o = w->o;
    if (w->checked) {
        size_t room = (size_t)(w->end - o);
        /* With room for the worst case, 6 * n and the quotes, the unchecked
         * body fits; else wt_json_append_str() sizes it exactly. */
        if (room < 2 || (room - 2) / 6 < n) {
            struct wt_buf t = {o, 0, room};
            if (wt_json_append_str(&t, s, n) != 0)
                w->full = true;
            else
                w->o += t.len;
            return;
        }
        *o++ = '"';
    }
    o = str_fast(o, s, n);
    *o = '"';
    w->o = o + 1;
}

/*
 * A key with the string's opening quote: lit ends in '"'. The checked writer
 * leaves that quote to wt_json_append_str(), which writes both.
 */
JW_INLINE void jw_key(struct jw *w, const char *lit, size_t n)
{
    jw_put(w, lit, w->checked ? n - 1 : n);
}

/* ------------------------------------------------------------------------ */

static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                               "25262728293031323334353637383940414243444546474849"
                               "50515253545556575859606162636465666768697071727374"
                               "75767778798081828384858687888990919293949596979899";

/*
 * Decimal digits of u, two at a time, right-aligned to buf + 24. @returns
 * where they start (at least buf + 4).
 */
static char *fmt_u64(uint64_t u, char buf[48])
{
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
    return p;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * The eight decimal digits of u < 10^8 (leading zeros included) as the
 * values 0-9 in the bytes of the result, most significant first in memory.
 * Lanes are split in place: into halves u / 10^4 and u % 10^4 (32-bit
 * lanes), then each by 100 (16-bit lanes), then by 10 (bytes). x * 10486
 * >> 20 is x / 100 for x < 10^4 and x * 103 >> 10 is x / 10 for x < 100;
 * no product leaves its lane, and the bits a shift brings down from the
 * next lane fall outside the mask.
 */
JW_INLINE uint64_t digits8(uint32_t u)
{
    uint64_t x = u / 10000 | (uint64_t)(u % 10000) << 32;
    uint64_t q = (x * 10486 >> 20) & 0x0000007f0000007fULL;
    x = q | (x - q * 100) << 16;
    q = (x * 103 >> 10) & 0x000f000f000f000fULL;
    return q | (x - q * 10) << 8;
}

/* u < 10^8 without leading zeros: stores 8 bytes, @returns the digits' end. */
JW_INLINE char *put_lt1e8(char *o, uint32_t u)
{
    uint64_t d = digits8(u);
    /* Leading zero digits: 7 for 0 (the bit set in the last digit's byte). */
    unsigned lz = (unsigned)__builtin_ctzll(d | 1ULL << 56) / 8;
    uint64_t t = (d + 0x3030303030303030ULL) >> (8 * lz);
    memcpy(o, &t, 8);
    return o + 8 - lz;
}
#endif

/*
 * Unchecked: the decimal text of v at o. Stores up to 24 bytes past o (what
 * lands past the digits is overwritten by what follows); @returns its end.
 */
JW_INLINE char *int_fast(char *o, int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *o = '-';
    o += v < 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (u < 1000) {
        /* Three digits (a status, mostly) shifted past the leading zeros. */
        unsigned h = (unsigned)u / 100, r = (unsigned)u - h * 100;
        uint32_t t = (uint32_t)('0' + h) | (uint32_t)(unsigned char)pairs[2 * r] << 8 |
                     (uint32_t)(unsigned char)pairs[2 * r + 1] << 16;
        unsigned lz = (u < 100) + (u < 10);
        t >>= 8 * lz;
        memcpy(o, &t, 4);
        return o + 3 - lz;
    }
    if (u < 100000000)
        return put_lt1e8(o, (uint32_t)u);
    if (u < 10000000000000000ULL) {
        o = put_lt1e8(o, (uint32_t)(u / 100000000));
        uint64_t t = digits8((uint32_t)(u % 100000000)) + 0x3030303030303030ULL;
        memcpy(o, &t, 8);
        return o + 8;
    }
#endif
    char buf[48];
    char *p = fmt_u64(u, buf);
    memcpy(o, p, 24);
    return o + (buf + 24 - p);
}

JW_INLINE void jw_int(struct jw *w, int64_t v)
{
    if (!w->checked) {
        w->o = int_fast(w->o, v);
        return;
    }
    char buf[48];
    jw_put(w, buf, (size_t)(int_fast(buf, v) - buf));
}

/*
 * ,"ts":"YYYY-MM-DDTHH:MM:SS.mmmZ" with the text of the last second kept
 * per thread: consecutive log lines mostly share it, so only the
 * milliseconds change. ts_base is that second in ms (the initial text is
 * the one of 0); ts_ms is in it when ts_ms - ts_base is in [0, 1000).
 */
static _Thread_local int64_t ts_base = 0;
static _Thread_local char ts_text[33] = ",\"ts\":\"1970-01-01T00:00:00.000Z\"";

JW_INLINE void jw_ts(struct jw *w, int64_t ts_ms)
{
    ts_ms = wt_iso8601_clamp(ts_ms);
    uint64_t ms = (uint64_t)ts_ms - (uint64_t)ts_base;
    if (ts_ms < ts_base || ms >= 1000) {
        int64_t secs = ts_ms >= 0 ? ts_ms / 1000 : (ts_ms - 999) / 1000;
        ts_base = secs * 1000;
        wt_iso8601_ms(ts_base, ts_text + 7);
        ts_text[31] = '"'; /* over the NUL */
        ms = (uint64_t)ts_ms - (uint64_t)ts_base;
    }
    unsigned hi = (unsigned)ms / 100;
    char t[32], *o = w->checked ? t : w->o;
    memcpy(o, ts_text, 32);
    o[27] = (char)('0' + hi);
    memcpy(o + 28, pairs + 2 * ((unsigned)ms - hi * 100), 2);
    if (w->checked)
        jw_put(w, t, 32);
    else
        w->o += 32;
}

/* ,"key":"value" when value is non-empty; ,"key":N. */
#define JW_LIT(w, s) jw_put((w), (s), sizeof(s) - 1)
#define JW_STR(w, k, v)                                                                            \
    do {                                                                                           \
        struct wt_str v_ = (v);                                                                    \
        if (v_.len) {                                                                              \
            jw_key(w, ",\"" k "\":\"", sizeof(",\"" k "\":\"") - 1);                               \
            jw_str(w, v_.p, v_.len);                                                               \
        }                                                                                          \
    } while (0)
#define JW_INT(w, k, v)                                                                            \
    do {                                                                                           \
        JW_LIT(w, ",\"" k "\":");                                                                  \
        jw_int(w, (v));                                                                            \
    } while (0)

/* An observable's head up to its value's opening quote, by type. */
static const struct {
    char s[32]; /* unchecked, all 32 bytes are copied */
    size_t len;
} obs_head[WT_OBS_NTYPES] = {
    {"{\"type\":\"ip\",\"value\":\"", 22},     {"{\"type\":\"ipv6\",\"value\":\"", 24},
    {"{\"type\":\"domain\",\"value\":\"", 26}, {"{\"type\":\"url\",\"value\":\"", 23},
    {"{\"type\":\"sha256\",\"value\":\"", 26},
};

/* The event's strings, in order; the bound and the writer both walk them. */
JW_INLINE void encode(struct jw *w, uint64_t lineno, const struct wt_record *rec,
                      const struct wt_obs_set *os, const struct wt_event_opts *opts)
{
    JW_LIT(w, "{\"line\":");
    jw_int(w, (int64_t)lineno);
    jw_ts(w, rec->ts_ms);
    JW_STR(w, "host", opts->host);
    JW_STR(w, "src", opts->src);
    JW_STR(w, "syslog_host", opts->syslog_host);
    if (rec->format == WT_FORMAT_W3C)
        JW_LIT(w, ",\"format\":\"w3c\"");
    else
        JW_LIT(w, ",\"format\":\"squid\"");
    /* The canonical form when the client is a valid address, else as logged. */
    JW_STR(w, "client_ip", os->client_ip.len ? os->client_ip : rec->client);
    JW_STR(w, "method", rec->method);
    if (rec->status != 0) /* negative: an appliance-internal code */
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
        enum wt_obs_type t = os->item[i].type;
        if (i)
            JW_LIT(w, ",");
        if (t < WT_OBS_NTYPES && !w->checked) {
            memcpy(w->o, obs_head[t].s, 32);
            w->o += obs_head[t].len;
        } else if (t < WT_OBS_NTYPES) {
            jw_key(w, obs_head[t].s, obs_head[t].len);
        } else {
            const char *name = wt_obs_type_name(t);
            JW_LIT(w, "{\"type\":\"");
            jw_put(w, name, strlen(name));
            jw_key(w, "\",\"value\":\"", sizeof("\",\"value\":\"") - 1);
        }
        jw_str(w, os->item[i].value.p, os->item[i].value.len);
        JW_LIT(w, "}");
    }
    JW_LIT(w, "]}\n");
}

/*
 * Fixed bytes of an event: keys, punctuation, numbers and observable
 * wrappers. They take about 410 bytes at most (and 31 per observable), so
 * the rest is slack for the unchecked writes.
 */
#define EVENT_FIXED_MAX (1024 + WT_OBS_MAX * 48)

/*
 * An upper bound on the event's size: 6 bytes out per string byte at most.
 * It also bounds every unchecked store: a store passes the output so far
 * by at most 6 * n for a string body of n bytes (its share of the bound),
 * 25 bytes for a number and 32 for the time or an observable's head, and
 * the fixed share always has over 600 bytes of slack left for those.
 */
static size_t event_bound(const struct wt_record *rec, const struct wt_obs_set *os,
                          const struct wt_event_opts *opts)
{
    size_t n = opts->host.len + opts->src.len + opts->syslog_host.len + rec->client.len +
               os->client_ip.len + rec->method.len + rec->result.len + rec->url.len + os->url.len +
               os->domain.len + os->server_ip.len + rec->hier.len + rec->mime.len + rec->acl.len +
               rec->category.len + rec->wbrs.len + rec->amp_verdict.len + rec->amp_threat.len +
               rec->amp_file.len + os->sha256.len + rec->user.len;
    for (unsigned i = 0; i < os->n; i++)
        n += os->item[i].value.len;
    return EVENT_FIXED_MAX + 6 * n;
}

/* The checked instantiation: b->len unchanged when the event does not fit. */
static __attribute__((noinline)) int encode_checked(struct wt_buf *b, uint64_t lineno,
                                                    const struct wt_record *rec,
                                                    const struct wt_obs_set *os,
                                                    const struct wt_event_opts *opts)
{
    struct jw w = {b->p + b->len, b->p + b->cap, true, false};
    encode(&w, lineno, rec, os, opts);
    if (w.full)
        return WT_EFULL;
    b->len = (size_t)(w.o - b->p);
    return 0;
}

int wt_event_encode(struct wt_buf *b, uint64_t lineno, const struct wt_record *rec,
                    const struct wt_obs_set *os, const struct wt_event_opts *opts)
{
    if (b->cap - b->len < event_bound(rec, os, opts))
        return encode_checked(b, lineno, rec, os, opts);
    struct jw w = {b->p + b->len, b->p + b->cap, false, false};
    encode(&w, lineno, rec, os, opts);
    b->len = (size_t)(w.o - b->p);
    return 0;
}
