/*
 * fuzz_syslog.c - libFuzzer target for the syslog input's decoders: the
 * RFC 5424 / RFC 3164 header parser and the RFC 6587 stream framer.
 *
 * Input: the first byte picks what runs and how (then is dropped):
 *   bit 0: framer (else: the header parser on the whole input)
 *   bits 1-3: framer read size, 1 << n bytes per feed (1 .. 128)
 *   bits 4-7: framer max_msg = 16 * (n + 1) bytes
 * Checked: every view lies inside its input; a framed message is at most
 * max_msg bytes; the framer never holds more than max_msg + a frame header
 * while it waits; its message stream does not depend on how the input is
 * split into reads (differential against one read of everything); the
 * header of every framed message parses within its bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslog_proto.h"

#define MAX_OUT 4096

static void inside(struct wt_str v, const char *p, size_t n)
{
    if (v.len && (v.p < p || v.p + v.len > p + n))
        abort();
}

static void header(const char *p, size_t n)
{
    struct wt_syslog_msg m;
    if (wt_syslog_header(p, n, &m) != 0)
        return;
    if (m.pri < 0 || m.pri > WT_SYSLOG_PRI_MAX || (m.version != 0 && m.version != 1))
        abort();
    inside(m.host, p, n);
    inside(m.app, p, n);
    inside(m.body, p, n);
}

/* Frame data read by step bytes; a digest of the messages goes to out. */
static size_t frame(const char *data, size_t size, size_t step, size_t max, uint64_t *out,
                    size_t cap, int *broken)
{
    struct wt_syslog_framer f;
    size_t bufcap = max + 2 + WT_SYSLOG_MSGLEN_DIGITS + 1;
    char *buf = malloc(bufcap);
    size_t len = 0, pos = 0, nout = 0;
    wt_syslog_framer_init(&f, max);
    *broken = 0;
    while (!*broken) {
        size_t n = size - pos < step ? size - pos : step;
        if (n > bufcap - len)
            n = bufcap - len;
        if (n == 0 && pos < size)
            abort(); /* full buffer, and the framer wants more */
        memcpy(buf + len, data + pos, n);
        len += n;
        pos += n;
        for (;;) {
            size_t used;
            struct wt_str m;
            int rc = wt_syslog_frame_next(&f, buf, len, &used, &m);
            if (used > len)
                abort();
            if (rc == WT_EPARSE) {
                *broken = 1;
                break;
            }
            if (rc == 0) {
                inside(m, buf, len);
                if (m.len > max)
                    abort();
                header(m.p, m.len);
                uint64_t h = 1469598103934665603ULL;
                for (size_t i = 0; i < m.len; i++)
                    h = (h ^ (unsigned char)m.p[i]) * 1099511628211ULL;
                if (nout < cap)
                    out[nout++] = h;
            } else if (rc == WT_ETOOLONG) {
                if (nout < cap)
                    out[nout++] = 0;
            }
            memmove(buf, buf + used, len - used);
            len -= used;
            if (rc == WT_EAGAIN && used == 0)
                break;
        }
        if (pos == size)
            break;
    }
    free(buf);
    return nout;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint64_t a[MAX_OUT], b[MAX_OUT];
    if (size == 0)
        return 0;
    unsigned opt = data[0];
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    if (!(opt & 1)) {
        header(p, n);
        return 0;
    }
    size_t step = (size_t)1 << ((opt >> 1) & 7);
    size_t max = 16 * (((opt >> 4) & 15) + 1);
    int ba, bb;
    size_t na = frame(p, n, step, max, a, MAX_OUT, &ba);
    size_t nb = frame(p, n, n ? n : 1, max, b, MAX_OUT, &bb);
    /* Split reads change nothing (up to a broken frame, after which both stop). */
    if (!ba && !bb && (na != nb || memcmp(a, b, na * sizeof(a[0])) != 0))
        abort();
    return 0;
}
