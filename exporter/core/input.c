/*
 * input.c - plain / gzip / zstd streaming reader and the TIME parser of
 * replay. See input.h.
 */
#include "input.h"
#include "wt_parsers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

static const unsigned char gzip_magic[2] = {0x1f, 0x8b};
static const unsigned char zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

__attribute__((format(printf, 2, 3))) static int fail(struct wt_input *in, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(in->err, sizeof(in->err), "%s: ", in->path);
    if (n < 0 || (size_t)n >= sizeof(in->err))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(in->err + n, sizeof(in->err) - (size_t)n, fmt, ap);
    va_end(ap);
    in->failed = true;
    return in->err_code;
}

/* Read more of the file into the input buffer (after moving unused bytes to
 * its start). @returns bytes read, 0 at end of file, or -errno. */
static ssize_t refill(struct wt_input *in)
{
    if (in->ipos > 0) {
        memmove(in->ibuf, in->ibuf + in->ipos, in->ilen - in->ipos);
        in->ilen -= in->ipos;
        in->ipos = 0;
    }
    if (in->eof || in->ilen == in->icap)
        return 0;
    for (;;) {
        ssize_t r = read(in->fd, in->ibuf + in->ilen, in->icap - in->ilen);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            in->eof = true;
        in->ilen += (size_t)r;
        return r;
    }
}

static ssize_t io_fail(struct wt_input *in, ssize_t r)
{
    in->err_code = (int)r;
    return fail(in, "read failed: %s", strerror((int)-r));
}

/* ------------------------------------------------------------------------ */
/* Open / close                                                             */
/* ------------------------------------------------------------------------ */

int wt_input_open(struct wt_input *in, const char *path, char *err, size_t errlen)
{
    struct stat st;
    int rc;

    memset(in, 0, sizeof(*in));
    in->fd = -1;
    in->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
        close(fd);
        return -EISDIR;
    }
    in->fd = fd;
    in->regular = S_ISREG(st.st_mode);
    in->size = in->regular ? (uint64_t)st.st_size : 0;
    in->icap = ZSTD_DStreamInSize();
    if (in->icap < WT_INPUT_BUF_MIN)
        in->icap = WT_INPUT_BUF_MIN;
    in->ibuf = wt_malloc(in->icap);
    if (!in->ibuf) {
        snprintf(err, errlen, "%s: out of memory", path);
        wt_input_close(in);
        return -ENOMEM;
    }
    /* Enough bytes for the magic (a pipe may deliver them in pieces). */
    while (!in->eof && in->ilen < sizeof(zstd_magic)) {
        ssize_t r = refill(in);
        if (r < 0) {
            snprintf(err, errlen, "%s: read failed: %s", path, strerror((int)-r));
            wt_input_close(in);
            return (int)r;
        }
    }
    if (in->ilen >= sizeof(gzip_magic) && memcmp(in->ibuf, gzip_magic, sizeof(gzip_magic)) == 0)
        in->kind = WT_INPUT_GZIP;
    else if (in->ilen >= sizeof(zstd_magic) &&
             memcmp(in->ibuf, zstd_magic, sizeof(zstd_magic)) == 0)
        in->kind = WT_INPUT_ZSTD;
    else
        in->kind = WT_INPUT_PLAIN;

    if (in->kind == WT_INPUT_GZIP) {
        /* 15 + 32: a 32 KiB window, gzip or zlib header detected. */
        if (inflateInit2(&in->zs, 15 + 32) != Z_OK) {
            snprintf(err, errlen, "%s: out of memory (zlib)", path);
            wt_input_close(in);
            return -ENOMEM;
        }
        in->zs_init = true;
    } else if (in->kind == WT_INPUT_ZSTD) {
        in->zd = ZSTD_createDCtx();
        if (!in->zd) {
            snprintf(err, errlen, "%s: out of memory (zstd)", path);
            wt_input_close(in);
            return -ENOMEM;
        }
    }
    return 0;
}

void wt_input_close(struct wt_input *in)
{
    if (in->zs_init)
        inflateEnd(&in->zs);
    in->zs_init = false;
    ZSTD_freeDCtx(in->zd);
    in->zd = NULL;
    wt_free(in->ibuf);
    in->ibuf = NULL;
    if (in->fd >= 0)
        close(in->fd);
    in->fd = -1;
}

const char *wt_input_error(const struct wt_input *in)
{
    return in->err;
}

const char *wt_input_kind_name(enum wt_input_kind kind)
{
    switch (kind) {
    case WT_INPUT_GZIP:
        return "gzip";
    case WT_INPUT_ZSTD:
        return "zstd";
    default:
        return "plain";
    }
}

/* ------------------------------------------------------------------------ */
/* Decoders                                                                 */
/* ------------------------------------------------------------------------ */

static ssize_t read_plain(struct wt_input *in, char *buf, size_t cap)
{
    if (in->ipos < in->ilen) {
        size_t n = in->ilen - in->ipos;
        if (n > cap)
            n = cap;
        memcpy(buf, in->ibuf + in->ipos, n);
        in->ipos += n;
        in->consumed += n;
        return (ssize_t)n;
    }
    if (in->eof)
        return 0;
    for (;;) {
        ssize_t r = read(in->fd, buf, cap);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return io_fail(in, -errno);
        if (r == 0)
            in->eof = true;
        in->consumed += (uint64_t)r;
        return r;
    }
}

static ssize_t read_gzip(struct wt_input *in, char *buf, size_t cap)
{
    z_stream *zs = &in->zs;
    size_t out = 0;

    if (cap > UINT_MAX)
        cap = UINT_MAX; /* zlib counts in uInt */

    if (in->units == 0) {
        in->units = 1;
        in->in_unit = true;
    }
    while (out < cap) {
        if (in->ipos == in->ilen && !in->eof) {
            ssize_t r = refill(in);
            if (r < 0)
                return io_fail(in, r);
        }
        if (in->ipos == in->ilen && in->eof && !in->in_unit)
            break; /* clean end after the last member */
        size_t avail_in = in->ilen - in->ipos;
        zs->next_in = in->ibuf + in->ipos;
        zs->avail_in = (uInt)avail_in;
        zs->next_out = (Bytef *)buf + out;
        zs->avail_out = (uInt)(cap - out);
        int rc = inflate(zs, Z_NO_FLUSH);
        size_t used = avail_in - zs->avail_in;
        in->ipos += used;
        in->consumed += used;
        out = cap - zs->avail_out;
        if (rc == Z_STREAM_END) {
            in->in_unit = false;
            /* Another member may follow (cat a.gz b.gz > c.gz). */
            if (in->ipos == in->ilen && !in->eof) {
                ssize_t r = refill(in);
                if (r < 0)
                    return io_fail(in, r);
            }
            if (in->ipos < in->ilen) {
                inflateReset(zs);
                in->in_unit = true;
                in->units++;
            }
            continue;
        }
        if (rc == Z_OK)
            continue;
        if (rc == Z_BUF_ERROR && in->ipos == in->ilen) {
            if (!in->eof)
                continue; /* needs more input: the loop reads it */
            if (out > 0)
                break; /* return what we have; the next call reports the truncation */
            in->err_code = WT_EPARSE;
            return fail(in, "truncated gzip data (the file ends inside member %u)", in->units);
        }
        in->err_code = rc == Z_MEM_ERROR ? -ENOMEM : WT_EPARSE;
        return fail(in, "corrupt gzip data in member %u: %s", in->units,
                    zs->msg             ? zs->msg
                    : rc == Z_NEED_DICT ? "needs a dictionary"
                                        : "error");
    }
    return (ssize_t)out;
}

static ssize_t read_zstd(struct wt_input *in, char *buf, size_t cap)
{
    ZSTD_outBuffer ob = {buf, cap, 0};

    while (ob.pos < ob.size) {
        if (in->ipos == in->ilen && !in->eof) {
            ssize_t r = refill(in);
            if (r < 0)
                return io_fail(in, r);
        }
        if (in->ipos == in->ilen && in->eof && !in->in_unit)
            break; /* clean end after the last frame */
        ZSTD_inBuffer ib = {in->ibuf + in->ipos, in->ilen - in->ipos, 0};
        size_t before = ob.pos;
        if (!in->in_unit && ib.size > 0) {
            in->in_unit = true;
            in->units++;
        }
        size_t rc = ZSTD_decompressStream(in->zd, &ob, &ib);
        in->ipos += ib.pos;
        in->consumed += ib.pos;
        if (ZSTD_isError(rc)) {
            in->err_code =
                ZSTD_getErrorCode(rc) == ZSTD_error_memory_allocation ? -ENOMEM : WT_EPARSE;
            return fail(in, "corrupt zstd data in frame %u: %s", in->units, ZSTD_getErrorName(rc));
        }
        if (rc == 0) {
            in->in_unit = false; /* frame complete and flushed */
            continue;
        }
        if (ib.pos == 0 && ob.pos == before && in->ipos == in->ilen && in->eof) {
            /* No input left, nothing more comes out, and the frame is open. */
            if (ob.pos > 0)
                break;
            in->err_code = WT_EPARSE;
            return fail(in, "truncated zstd data (the file ends inside frame %u)", in->units);
        }
    }
    return (ssize_t)ob.pos;
}

ssize_t wt_input_read(struct wt_input *in, char *buf, size_t cap)
{
    ssize_t n;
    if (in->failed)
        return in->err_code;
    if (in->fd < 0) {
        in->err_code = -EBADF;
        return fail(in, "not open");
    }
    if (cap == 0)
        return 0;
    switch (in->kind) {
    case WT_INPUT_GZIP:
        n = read_gzip(in, buf, cap);
        break;
    case WT_INPUT_ZSTD:
        n = read_zstd(in, buf, cap);
        break;
    default:
        n = read_plain(in, buf, cap);
        break;
    }
    if (n > 0)
        in->produced += (uint64_t)n;
    return n;
}

/* ------------------------------------------------------------------------ */
/* TIME                                                                     */
/* ------------------------------------------------------------------------ */

/* Exactly n digits at *p (advanced). */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int parse_epoch(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    const char *dot = memchr(s, '.', n);
    /* Digits, then at most one fraction; the parser checks the rest. */
    if (n == 0 || (dot && (dot == s || dot[1] == '\0')))
        return WT_EPARSE;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] < '0' || s[i] > '9') && s + i != dot)
            return WT_EPARSE;
    }
    if ((dot ? (size_t)(dot - s) : n) > 12)
        return WT_EPARSE; /* beyond year 9999 */
    if (wt_str_to_epoch_ms((struct wt_str){s, n}, out) != 0)
        return WT_EPARSE;
    return *out <= 253402300799999LL ? 0 : WT_EPARSE;
}

int wt_parse_time_ms(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, sign = 0, oh = 0, om = 0;
    const char *p = s;

    if (!s || !*s)
        return WT_EPARSE;
    if (*p == '@')
        return parse_epoch(p + 1, out);
    if (!strchr(s, '-') || strlen(s) < 10 || s[4] != '-')
        return parse_epoch(s, out);
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return WT_EPARSE;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return WT_EPARSE;
    if (*p) {
        if (*p != 'T' && *p != 't' && *p != ' ')
            return WT_EPARSE;
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return WT_EPARSE;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                return WT_EPARSE;
            if (*p == '.' || *p == ',') {
                int nd = 0;
                for (p++; *p >= '0' && *p <= '9'; p++, nd++) {
                    if (nd < 3)
                        ms = ms * 10 + (*p - '0');
                    else if (nd >= 32)
                        return WT_EPARSE;
                }
                if (nd == 0)
                    return WT_EPARSE;
                for (; nd < 3; nd++)
                    ms *= 10;
            }
        }
        /* 60: a leap second (RFC 3339), the same instant as :00 of the next minute. */
        if (h > 23 || mi > 59 || sec > 60)
            return WT_EPARSE;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            sign = *p++ == '+' ? 1 : -1;
            if (!digits(&p, 2, &oh))
                return WT_EPARSE;
            if (*p == ':') {
                p++;
                if (!digits(&p, 2, &om))
                    return WT_EPARSE;
            } else if (*p && !digits(&p, 2, &om)) {
                return WT_EPARSE;
            }
            if (oh > 23 || om > 59)
                return WT_EPARSE;
        } else {
            return WT_EPARSE; /* no zone: ambiguous */
        }
        if (*p)
            return WT_EPARSE;
    }
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    t -= sign * (oh * 3600 + om * 60);
    if (t < 0)
        return WT_EPARSE;
    *out = t * 1000 + ms;
    return 0;
}
