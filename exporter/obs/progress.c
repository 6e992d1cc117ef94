/*
 * progress.c - replay's progress bar / progress lines. See progress.h.
 */
#include "progress.h"
#include "wt_common.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Below this, a rate or an ETA is noise. */
#define WT_PROGRESS_MIN_ELAPSED_S 0.2

unsigned wt_progress_percent(uint64_t done, uint64_t total)
{
    if (total == 0 || done >= total)
        return 100;
    /* 100 only at the end, even where doubles round (done close to 2^64). */
    unsigned pct = (unsigned)((double)done * 100.0 / (double)total);
    return pct > 99 ? 99 : pct;
}

double wt_progress_eta_s(const struct wt_progress_snap *s)
{
    uint64_t total = s->total > s->done ? s->total : s->done;
    if (s->done >= total)
        return 0;
    if (s->done == 0 || s->elapsed_s < WT_PROGRESS_MIN_ELAPSED_S)
        return -1;
    double rate = (double)s->done / s->elapsed_s;
    return (double)(total - s->done) / rate;
}

void wt_progress_fmt_si(double v, char *out, size_t cap)
{
    if (v < 0)
        v = 0;
    if (v < 999.5)
        snprintf(out, cap, "%.0f", v);
    else if (v < 9950)
        snprintf(out, cap, "%.1fk", v / 1e3);
    else if (v < 999500)
        snprintf(out, cap, "%.0fk", v / 1e3);
    else if (v < 9.95e6)
        snprintf(out, cap, "%.1fM", v / 1e6);
    else if (v < 999.5e6)
        snprintf(out, cap, "%.0fM", v / 1e6);
    else
        snprintf(out, cap, "%.1fG", v / 1e9);
}

void wt_progress_fmt_clock(double s, char *out, size_t cap)
{
    if (s < 0 || s > 359999.0 * 100) {
        snprintf(out, cap, "--:--");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, cap, "%lu:%02lu", t / 60, t % 60);
}

void wt_progress_fmt_dur(double s, char *out, size_t cap)
{
    if (s < 0 || s > 359999.0 * 100) {
        snprintf(out, cap, "unknown");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, cap, "%luh%02lum", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(out, cap, "%lum%02lus", t / 60, t % 60);
    else
        snprintf(out, cap, "%lus", t);
}

void wt_progress_fmt_bytes(uint64_t done, uint64_t total, char *out, size_t cap)
{
    if (done > total)
        total = done;
    double div = 1024.0;
    const char *unit = "KiB";
    if (total >= 1024ULL * 1024 * 1024) {
        div = 1024.0 * 1024 * 1024;
        unit = "GiB";
    } else if (total >= 1024ULL * 1024) {
        div = 1024.0 * 1024;
        unit = "MiB";
    }
    snprintf(out, cap, "%.1f/%.1f %s", (double)done / div, (double)total / div, unit);
}

static double lines_per_s(const struct wt_progress_snap *s)
{
    if (s->elapsed_s < WT_PROGRESS_MIN_ELAPSED_S)
        return 0;
    return (double)s->lines / s->elapsed_s;
}

static size_t fixup(int n, size_t cap)
{
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

/* "12.3 MiB": done alone, when the total is unknown. */
static void fmt_size(uint64_t n, char *out, size_t cap)
{
    char both[64];
    wt_progress_fmt_bytes(n, n, both, sizeof(both));
    const char *slash = strchr(both, '/'), *sp = strrchr(both, ' ');
    snprintf(out, cap, "%.*s%s", (int)(slash - both), both, sp);
}

size_t wt_progress_fmt_bar(const struct wt_progress_snap *s, unsigned width, char *out, size_t cap)
{
    char cells[65], bytes[64], rate[16], eta[24];
    uint64_t total = s->total > s->done ? s->total : s->done;
    int n;
    if (width < 1)
        width = 1;
    if (width > 64)
        width = 64;
    if (s->no_total) {
        memset(cells, '?', width);
        cells[width] = '\0';
        fmt_size(s->done, bytes, sizeof(bytes));
        wt_progress_fmt_si(lines_per_s(s), rate, sizeof(rate));
        n = snprintf(out, cap, "[%s] %s  %s lines/s", cells, bytes, rate);
        return fixup(n, cap);
    }
    unsigned fill = width;
    if (total > 0) {
        /* Rounded to the nearest cell, but full only at the end. */
        double f = (double)s->done * width / (double)total + 0.5;
        fill = (unsigned)f;
        if (fill >= width && s->done < total)
            fill = width - 1;
    }
    if (fill > width)
        fill = width;
    memset(cells, '#', fill);
    memset(cells + fill, '.', width - fill);
    cells[width] = '\0';
    wt_progress_fmt_bytes(s->done, total, bytes, sizeof(bytes));
    wt_progress_fmt_si(lines_per_s(s), rate, sizeof(rate));
    wt_progress_fmt_clock(wt_progress_eta_s(s), eta, sizeof(eta));
    n = snprintf(out, cap, "[%s] %u%% %s  %s lines/s  ETA %s", cells,
                 wt_progress_percent(s->done, total), bytes, rate, eta);
    return fixup(n, cap);
}

size_t wt_progress_fmt_line(const struct wt_progress_snap *s, char *out, size_t cap)
{
    char bytes[64], eta[24];
    uint64_t total = s->total > s->done ? s->total : s->done;
    if (s->no_total) {
        fmt_size(s->done, bytes, sizeof(bytes));
        return fixup(snprintf(out, cap, "replay: %s, %.0f lines/s", bytes, lines_per_s(s)), cap);
    }
    wt_progress_fmt_bytes(s->done, total, bytes, sizeof(bytes));
    wt_progress_fmt_dur(wt_progress_eta_s(s), eta, sizeof(eta));
    int n = snprintf(out, cap, "replay: %u%% %s, %.0f lines/s, ETA %s",
                     wt_progress_percent(s->done, total), bytes, lines_per_s(s), eta);
    return fixup(n, cap);
}

/* ------------------------------------------------------------------------ */
/* Display                                                                  */
/* ------------------------------------------------------------------------ */

void wt_progress_init(struct wt_progress *pr, int fd, bool tty, bool via_log, uint64_t total,
                      uint64_t now_ms)
{
    memset(pr, 0, sizeof(*pr));
    pr->fd = fd;
    pr->tty = tty;
    pr->via_log = via_log && !tty;
    pr->total = total;
    pr->t0_ms = pr->last_ms = now_ms;
}

uint64_t wt_progress_interval_ms(const struct wt_progress *pr)
{
    return pr->tty ? WT_PROGRESS_TTY_MS : WT_PROGRESS_INTERVAL_MS;
}

void wt_progress_update(struct wt_progress *pr, uint64_t now_ms, uint64_t done, uint64_t lines,
                        bool force)
{
    /* A timer may fire a little early: allow 10 ms of slack. */
    if (!force && now_ms + 10 < pr->last_ms + wt_progress_interval_ms(pr))
        return;
    pr->last_ms = now_ms;
    struct wt_progress_snap s = {
        .done = done,
        .total = pr->total,
        .lines = lines,
        .elapsed_s = (double)(now_ms - pr->t0_ms) / 1000.0,
        .no_total = pr->no_total,
    };
    char line[WT_PROGRESS_LINE_MAX + 8];
    size_t n;
    pr->any = true;
    if (pr->tty) {
        /* CR, erase the line, the bar: no newline, the next draw overwrites it. */
        memcpy(line, "\r\033[K", 4);
        n = 4 + wt_progress_fmt_bar(&s, WT_PROGRESS_BAR_WIDTH, line + 4, sizeof(line) - 4);
        (void)wt_write_all(pr->fd, line, n); /* best effort */
        pr->drawn = true;
        return;
    }
    n = wt_progress_fmt_line(&s, line, sizeof(line) - 1);
    if (pr->via_log) {
        /* Without the "replay: " prefix: the log line carries the tag. */
        wt_log_info("replay", "%s", line + strlen("replay: "));
        return;
    }
    line[n++] = '\n';
    (void)wt_write_all(pr->fd, line, n); /* best effort */
}

void wt_progress_clear(struct wt_progress *pr)
{
    if (pr->tty && pr->drawn)
        (void)wt_write_all(pr->fd, "\r\033[K", 4); /* best effort */
    pr->drawn = false;
}
