/*
 * progress.h - replay's progress display on stderr.
 *
 * On a terminal: one bar, redrawn in place at most every WT_PROGRESS_TTY_MS
 * and cleared at the end:
 *     [#####.....] 45% 123.4/274.0 MiB  812k lines/s  ETA 0:03
 * Otherwise (a pipe, a file, journald): one line every WT_PROGRESS_INTERVAL_MS
 *     replay: 45% 123.4/274.0 MiB, 812345 lines/s, ETA 3s
 * Bytes are file bytes (compressed, for .gz / .zst) read of the total size of
 * the files; lines/s and the ETA are averages since the start.
 *
 * The wt_progress_fmt_* functions are pure (no I/O, no clock) for the tests;
 * struct wt_progress does the timing and writing.
 */
#ifndef WT_PROGRESS_H
#define WT_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WT_PROGRESS_INTERVAL_MS 5000
#define WT_PROGRESS_TTY_MS      200
/** Cells of the bar between the brackets. */
#define WT_PROGRESS_BAR_WIDTH 20
/** Longest line the formatters produce (with any width up to 64). */
#define WT_PROGRESS_LINE_MAX 192

/** What is known at one moment. */
struct wt_progress_snap {
    uint64_t done;    /* bytes read */
    uint64_t total;   /* bytes in all (done > total is treated as total = done) */
    uint64_t lines;   /* lines read */
    double elapsed_s; /* since the start */
    bool no_total;    /* total unknown (a pipe): no percent, no ETA */
};

/** Whole percent done, 0..100 (floor; 100 only when done >= total; 100 when total is 0). */
unsigned wt_progress_percent(uint64_t done, uint64_t total);

/** Seconds left at the average byte rate so far; -1 when unknown (nothing read yet). */
double wt_progress_eta_s(const struct wt_progress_snap *s);

/** "950", "8.1k", "812k", "1.2M", "37M": a rate or count in 4 characters or so. */
void wt_progress_fmt_si(double v, char *out, size_t cap);

/** "0:03", "12:34", "1:02:03" (m:ss or h:mm:ss); "--:--" when s < 0. */
void wt_progress_fmt_clock(double s, char *out, size_t cap);

/** "3s", "2m05s", "1h02m"; "unknown" when s < 0. */
void wt_progress_fmt_dur(double s, char *out, size_t cap);

/** "123.4/274.0 MiB": done/total in the unit that suits total (KiB, MiB or GiB). */
void wt_progress_fmt_bytes(uint64_t done, uint64_t total, char *out, size_t cap);

/**
 * The terminal bar (no CR, no newline), width cells (1..64). With no_total:
 * "[????????] 12.3 MiB  812k lines/s". @returns its length.
 */
size_t wt_progress_fmt_bar(const struct wt_progress_snap *s, unsigned width, char *out, size_t cap);

/** The plain line "replay: ..." (no newline; with no_total: "replay: 12.3 MiB, 812345 lines/s").
 * @returns its length. */
size_t wt_progress_fmt_line(const struct wt_progress_snap *s, char *out, size_t cap);

/** Display state. */
struct wt_progress {
    int fd;         /* where it writes (stderr) */
    bool tty;       /* bar (true) or plain lines */
    bool via_log;   /* plain lines through the log (JSON log format) */
    bool drawn;     /* a bar is on the screen */
    uint64_t total; /* bytes of all files */
    bool no_total;  /* some file has no known size */
    uint64_t t0_ms; /* start, caller's clock */
    uint64_t last_ms;
    bool any; /* something was shown */
};

/**
 * Start. tty: draw a bar (pass isatty(fd)); via_log: write plain lines with
 * wt_log_info instead of raw (keeps a JSON log parseable). Set pr->no_total
 * afterwards if the total is not known.
 */
void wt_progress_init(struct wt_progress *pr, int fd, bool tty, bool via_log, uint64_t total,
                      uint64_t now_ms);

/** How often the caller should call wt_progress_update (ms). */
uint64_t wt_progress_interval_ms(const struct wt_progress *pr);

/** Show the state now if the interval has passed since the last time (force: always). */
void wt_progress_update(struct wt_progress *pr, uint64_t now_ms, uint64_t done, uint64_t lines,
                        bool force);

/** Remove the bar from the terminal (nothing for plain lines). */
void wt_progress_clear(struct wt_progress *pr);

#endif /* WT_PROGRESS_H */
