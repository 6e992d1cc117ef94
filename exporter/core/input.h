/*
 * input.h - a streaming reader over one log file as it was stored: plain,
 * gzip (one or more concatenated members) or zstd (one or more frames),
 * chosen by the file's magic bytes, not its name. For `wtexport replay`.
 *
 * Memory is bounded: one input buffer of WT_INPUT_BUF_MIN bytes (or
 * ZSTD_DStreamInSize() if larger), plus the decoder's own state (zlib's
 * 32 KiB window; zstd's window, which libzstd caps at 128 MiB by default).
 * Reads are blocking read(2) calls on the caller's thread.
 *
 * Also here: wt_parse_time_ms(), the TIME syntax of --since / --until.
 */
#ifndef WT_INPUT_H
#define WT_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

/** Smallest input buffer (compressed bytes read from the file at once). */
#define WT_INPUT_BUF_MIN (128 * 1024)
/** Bytes of an error message kept by a reader. */
#define WT_INPUT_ERR_MAX 512

enum wt_input_kind { WT_INPUT_PLAIN = 0, WT_INPUT_GZIP, WT_INPUT_ZSTD };

struct wt_input {
    int fd;                  /* -1 when closed */
    enum wt_input_kind kind; /* from the magic bytes */
    const char *path;        /* caller's string, for messages */
    uint64_t size;           /* file size at open (0 if not a regular file) */
    bool regular;            /* a regular file: size is known */
    uint64_t consumed;       /* file bytes consumed so far (for progress) */
    uint64_t produced;       /* decompressed bytes returned so far */
    /* Input buffer: bytes [ipos, ilen) are read from the file, not yet used. */
    unsigned char *ibuf;
    size_t icap, ipos, ilen;
    bool eof;     /* read(2) returned 0 */
    bool in_unit; /* inside a gzip member / zstd frame (end of file here = truncated) */
    bool failed;  /* an error was returned; further reads return it again */
    int err_code;
    unsigned units; /* gzip members / zstd frames started */
    z_stream zs;
    bool zs_init;
    void *zd; /* ZSTD_DCtx * */
    char err[WT_INPUT_ERR_MAX];
};

/**
 * Open path for reading and detect its kind from its first bytes
 * (1f 8b: gzip, 28 b5 2f fd: zstd, anything else: plain). A directory is
 * refused; pipes and devices are read with an unknown size. @returns 0, or
 * a negative errno with a message ("PATH: reason") in err. On failure
 * nothing needs closing (wt_input_close is still fine).
 */
int wt_input_open(struct wt_input *in, const char *path, char *err, size_t errlen);

/**
 * Read up to cap decompressed bytes into buf.
 * @returns the number of bytes (> 0), 0 at the clean end of the file, or
 *          negative on error: -errno for I/O, WT_EPARSE for corrupt or
 *          truncated compressed data; wt_input_error() then says what
 *          ("PATH: truncated gzip data (the file ends inside member 2)").
 */
ssize_t wt_input_read(struct wt_input *in, char *buf, size_t cap);

/** The message of the last error ("" if none). */
const char *wt_input_error(const struct wt_input *in);

/** "plain", "gzip" or "zstd". */
const char *wt_input_kind_name(enum wt_input_kind kind);

/** Close the file and free the decoder. Idempotent; fine after a failed open. */
void wt_input_close(struct wt_input *in);

/**
 * Parse a point in time into epoch milliseconds (UTC):
 *   RFC 3339 / ISO 8601 with a zone: 2024-05-01T12:00:00Z,
 *     2024-05-01T12:00:00.250+02:00, 2024-05-01 12:00Z, ...T12:00:00-0530
 *     ('T', 't' or one space between date and time; seconds optional;
 *     fraction digits after the third are ignored; offset Z, +HH:MM, +HHMM
 *     or +HH). A date-time without a zone is refused as ambiguous.
 *   a date alone: 2024-05-01 = midnight UTC
 *   epoch seconds: 1714521600 or 1714521600.5 (optionally with a leading '@')
 * Years 1970..9999; results before the epoch are refused.
 * @returns 0 or WT_EPARSE.
 */
int wt_parse_time_ms(const char *s, int64_t *out);

#endif /* WT_INPUT_H */
