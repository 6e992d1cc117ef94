/*
 * loop_util.h - helpers for the in-process tests of the core loop
 * (test_tail.c, test_pipeline.c, test_spooler.c, test_sink_file.c): a real
 * libuv loop, temporary directories, configs built from JSON text, log lines
 * with a unique key each, and readers of what the sinks wrote.
 *
 * Waiting: LU_WAIT(loop, cond) runs the loop one pass at a time until cond
 * holds, and fails the test after LU_DEADLINE_MS. Never a fixed sleep: a
 * short repeating timer makes sure each pass returns even when nothing else
 * is due, so the condition is re-checked on progress and on time alike. The
 * deadline is generous (these tests run under `ctest -j4` on 2 loaded CPUs
 * and under ASan and TSan); a passing test never waits for it. No loop pass
 * runs after cond held: a caller may act on it at once (free a pipeline
 * once it is not busy: another pass could start a timer's pool job).
 *
 * Header-only (static functions): each test is one executable.
 */
#ifndef WT_TEST_LOOP_UTIL_H
#define WT_TEST_LOOP_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zstd.h>

#include "config.h"
#include "log.h"
#include "metrics.h"

/* Longest wait for one condition. */
#ifndef LU_DEADLINE_MS
#define LU_DEADLINE_MS 60000
#endif
/* The wake-up period while waiting (not a sleep: the loop runs meanwhile). */
#define LU_TICK_MS 5

static inline uint64_t lu_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void lu_tick_cb(uv_timer_t *h)
{
    (void)h;
}

static void lu_tick_closed(uv_handle_t *h)
{
    free(h);
}

/* Start the tick timer (returned; pass it to lu_tick_stop). */
static inline uv_timer_t *lu_tick_start(uv_loop_t *loop)
{
    uv_timer_t *t = malloc(sizeof(*t));
    assert_non_null(t);
    uv_timer_init(loop, t);
    uv_timer_start(t, lu_tick_cb, LU_TICK_MS, LU_TICK_MS);
    return t;
}

static inline void lu_tick_stop(uv_timer_t *t)
{
    uv_close((uv_handle_t *)t, lu_tick_closed);
}

/* Run the loop until cond holds; fail the test after LU_DEADLINE_MS. */
#define LU_WAIT(loop, cond)                                                                        \
    do {                                                                                           \
        uint64_t lu_dl_ = lu_mono_ms() + LU_DEADLINE_MS;                                           \
        uv_timer_t *lu_t_ = lu_tick_start(loop);                                                   \
        while (!(cond)) {                                                                          \
            if (lu_mono_ms() > lu_dl_) {                                                           \
                lu_tick_stop(lu_t_);                                                               \
                fail_msg("%s:%d: timed out after %d ms waiting for: %s", __FILE__, __LINE__,       \
                         LU_DEADLINE_MS, #cond);                                                   \
            }                                                                                      \
            uv_run((loop), UV_RUN_ONCE);                                                           \
        }                                                                                          \
        lu_tick_stop(lu_t_);                                                                       \
    } while (0)

/* Run the loop for at least ms of loop time (for "nothing happens" checks only
 * where a bound is the point: e.g. a linger that must not fire early). */
#define LU_RUN_FOR(loop, ms)                                                                       \
    do {                                                                                           \
        uint64_t lu_end_ = lu_mono_ms() + (ms);                                                    \
        LU_WAIT(loop, lu_mono_ms() >= lu_end_);                                                    \
    } while (0)

/* Close every handle left and the loop (after the components were freed). */
static inline void lu_loop_close(uv_loop_t *loop)
{
    uint64_t dl = lu_mono_ms() + LU_DEADLINE_MS;
    while (uv_run(loop, UV_RUN_NOWAIT) != 0 || uv_loop_close(loop) == UV_EBUSY) {
        if (lu_mono_ms() > dl)
            fail_msg("the loop still has active handles or requests at the end of the test");
        uv_run(loop, UV_RUN_ONCE);
    }
}

/* ------------------------------------------------------------------------ */
/* Directories and files                                                    */
/* ------------------------------------------------------------------------ */

/* A fresh directory /tmp/wt-<tag>-XXXXXX (TMPDIR is honoured). */
static inline void lu_mkdtemp(char *out, size_t cap, const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s/wt-%s-XXXXXX", tmp && tmp[0] ? tmp : "/tmp", tag);
    assert_non_null(mkdtemp(out));
}

static int lu_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void lu_rmtree(const char *dir)
{
    nftw(dir, lu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The whole file, NUL-terminated (len without the NUL); "" if missing. */
static inline char *lu_slurp(const char *path, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        for (;;) {
            if (cap - n < 4096) {
                cap *= 2;
                buf = realloc(buf, cap);
                assert_non_null(buf);
            }
            ssize_t r = read(fd, buf + n, cap - n - 1);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            n += (size_t)r;
        }
        close(fd);
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static inline void lu_write_fd(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* Append text to path (created 0644 if missing). */
static inline void lu_append(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    lu_write_fd(fd, text, strlen(text));
    close(fd);
}

/* ------------------------------------------------------------------------ */
/* Log lines                                                                */
/* ------------------------------------------------------------------------ */

/*
 * One squid-native line (newline included) at epoch second ts whose URL is
 * http://lu.example.com/k/<tag>/<n>, the key the checks below count by.
 * pad > 0 adds that many characters of a path segment (for byte-sized tests).
 */
static inline int lu_line(char *out, size_t cap, int64_t ts, const char *tag, unsigned n,
                          size_t pad)
{
    char padding[4096];
    if (pad >= sizeof(padding))
        pad = sizeof(padding) - 1;
    /* Pseudo-random letters (seeded by n): padded lines compress only so far. */
    uint32_t x = n * 2654435761u + 1;
    for (size_t i = 0; i < pad; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        padding[i] = (char)('a' + x % 26);
    }
    padding[pad] = '\0';
    return snprintf(out, cap,
                    "%lld.%03u 100 10.0.%u.%u TCP_MISS/200 1000 GET "
                    "http://lu.example.com/k/%s/%u%s%s - DIRECT/192.0.2.1 text/html "
                    "DEFAULT_CASE_11-pol <-> -\n",
                    (long long)ts, n % 1000, (n >> 8) & 255, n & 255, tag, n, pad ? "/" : "",
                    padding);
}

static inline int64_t lu_now_s(void)
{
    return (int64_t)time(NULL);
}

/* Lines [from, to) of tag at time now, appended to path. */
static inline void lu_append_lines(const char *path, const char *tag, unsigned from, unsigned to)
{
    size_t cap = (size_t)(to - from) * 256 + 1, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    int64_t now = lu_now_s();
    for (unsigned i = from; i < to; i++)
        n += (size_t)lu_line(buf + n, cap - n, now, tag, i, 0);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    lu_write_fd(fd, buf, n);
    close(fd);
    free(buf);
}

/* ------------------------------------------------------------------------ */
/* What the sinks wrote                                                     */
/* ------------------------------------------------------------------------ */

/*
 * The NDJSON of a file sink's output: plain text as is, a .zst file (zstd
 * magic at the start) decompressed frame by frame. *frames gets the number of
 * zstd frames (0 for plain text); -1 if a frame is not valid.
 */
static inline char *lu_read_events(const char *path, long *frames)
{
    size_t zlen;
    char *z = lu_slurp(path, &zlen);
    *frames = 0;
    if (zlen < 4 || memcmp(z, "\x28\xb5\x2f\xfd", 4) != 0)
        return z;
    size_t cap = 1 << 20, n = 0, off = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    while (off < zlen) {
        size_t fl = ZSTD_findFrameCompressedSize(z + off, zlen - off);
        unsigned long long raw = ZSTD_getFrameContentSize(z + off, zlen - off);
        if (ZSTD_isError(fl) || raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN) {
            *frames = -1;
            break;
        }
        while (cap - n < raw + 1) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        size_t got = ZSTD_decompress(out + n, cap - n, z + off, fl);
        if (ZSTD_isError(got) || got != raw) {
            *frames = -1;
            break;
        }
        n += got;
        off += fl;
        (*frames)++;
    }
    out[n] = '\0';
    free(z);
    return out;
}

/*
 * The zstd frames of a file, each checked whole (decompressed, content size
 * matching): the number of frames, and per frame (up to max) its
 * uncompressed size and event count. Fails the test on an invalid frame.
 */
static inline size_t lu_frames(const char *path, size_t *raw, size_t *nevents, size_t max)
{
    size_t zlen, off = 0, n = 0;
    char *z = lu_slurp(path, &zlen);
    while (off < zlen) {
        size_t fl = ZSTD_findFrameCompressedSize(z + off, zlen - off);
        unsigned long long sz = ZSTD_getFrameContentSize(z + off, zlen - off);
        if (ZSTD_isError(fl) || sz == ZSTD_CONTENTSIZE_ERROR || sz == ZSTD_CONTENTSIZE_UNKNOWN)
            fail_msg("%s: no valid zstd frame at offset %zu", path, off);
        char *out = malloc(sz + 1);
        assert_non_null(out);
        size_t got = ZSTD_decompress(out, sz + 1, z + off, fl);
        if (ZSTD_isError(got) || got != sz)
            fail_msg("%s: the zstd frame at offset %zu does not decode", path, off);
        out[got] = '\0';
        if (n < max) {
            raw[n] = got;
            nevents[n] = 0;
            for (const char *p = out; (p = strchr(p, '\n')); p++)
                nevents[n]++;
        }
        free(out);
        off += fl;
        n++;
    }
    free(z);
    return n;
}

/* Events (lines) in an NDJSON text. */
static inline size_t lu_count_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; (p = strchr(p, '\n')); p++)
        n++;
    return n;
}

/* Events in a file sink's output (plain or zstd). */
static inline size_t lu_events_in(const char *path)
{
    long frames;
    char *t = lu_read_events(path, &frames);
    size_t n = lu_count_lines(t);
    free(t);
    return n;
}

/*
 * Check that the events of tag in text carry exactly the keys [from, to),
 * each once, and return how many events of tag there are. Fails the test
 * with the first missing or repeated key.
 */
static inline size_t lu_check_keys(const char *text, const char *tag, unsigned from, unsigned to)
{
    char needle[128];
    unsigned *seen = calloc(to > from ? to - from : 1, sizeof(*seen));
    size_t total = 0;
    assert_non_null(seen);
    int nl = snprintf(needle, sizeof(needle), "\"url\":\"http://lu.example.com/k/%s/", tag);
    for (const char *p = text; (p = strstr(p, needle)); p += nl) {
        unsigned long k = strtoul(p + nl, NULL, 10);
        total++;
        if (k < from || k >= to)
            fail_msg("tag %s: unexpected key %lu (expected %u..%u)", tag, k, from, to - 1);
        seen[k - from]++;
    }
    for (unsigned k = from; k < to; k++) {
        if (seen[k - from] != 1)
            fail_msg("tag %s: key %u seen %u times (want once)", tag, k, seen[k - from]);
    }
    free(seen);
    return total;
}

/* ------------------------------------------------------------------------ */
/* Configs and metrics                                                      */
/* ------------------------------------------------------------------------ */

/* Decode a config from printf-formatted JSON; fails the test with its errors. */
static inline void lu_config(struct wt_config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void lu_config(struct wt_config *cfg, const char *fmt, ...)
{
    char json[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(json, sizeof(json), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(json));
    struct wt_config_errors *errs = calloc(1, sizeof(*errs));
    assert_non_null(errs);
    int rc = wt_config_parse(json, (size_t)n, cfg, errs);
    if (rc != 0) {
        for (unsigned i = 0; i < errs->n; i++)
            print_error("config: %s\n", errs->msg[i]);
        print_error("in: %s\n", json);
        free(errs);
        fail_msg("test config refused");
    }
    free(errs);
}

/* The value of a counter / gauge series (labels NULL or rendered). */
static inline uint64_t lu_counter(struct wt_metrics *m, const char *name, const char *labels)
{
    return wt_metric_value(wt_metrics_get(m, WT_METRIC_COUNTER, name, NULL, labels, NULL, 0));
}

static inline int64_t lu_gauge(struct wt_metrics *m, const char *name, const char *labels)
{
    return (int64_t)wt_metric_value(
        wt_metrics_get(m, WT_METRIC_GAUGE, name, NULL, labels, NULL, 0));
}

/* Quiet logs (errors only) unless WT_TEST_LOG=debug|info|warn is set. */
static inline void lu_log_setup(void)
{
    const char *l = getenv("WT_TEST_LOG");
    int level = l ? wt_log_level_from_str(l) : -1;
    wt_log_setup(level >= 0 ? (enum wt_log_level)level : WT_LOG_ERROR, false);
}

#endif /* WT_TEST_LOOP_UTIL_H */
