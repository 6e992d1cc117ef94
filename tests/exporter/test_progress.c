/*
 * test_progress.c - replay's progress display: the pure formatters (percent,
 * ETA, rates, durations, sizes, the bar and the plain line) and the timing
 * of what is written to a pipe in terminal and plain modes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MiB (1024.0 * 1024.0)

static void test_percent(void **state)
{
    (void)state;
    assert_int_equal(wt_progress_percent(0, 100), 0);
    assert_int_equal(wt_progress_percent(45, 100), 45);
    assert_int_equal(wt_progress_percent(999999, 1000000), 99); /* never 100 early */
    assert_int_equal(wt_progress_percent(100, 100), 100);
    assert_int_equal(wt_progress_percent(150, 100), 100);
    assert_int_equal(wt_progress_percent(0, 0), 100);
    assert_int_equal(wt_progress_percent(UINT64_MAX - 1, UINT64_MAX), 99);
}

static void test_eta(void **state)
{
    (void)state;
    struct wt_progress_snap s = {.done = 100, .total = 400, .lines = 0, .elapsed_s = 2.0};
    assert_true(wt_progress_eta_s(&s) > 5.999 && wt_progress_eta_s(&s) < 6.001);
    s.done = 0;
    assert_true(wt_progress_eta_s(&s) < 0); /* unknown */
    s.done = 100;
    s.elapsed_s = 0.05;
    assert_true(wt_progress_eta_s(&s) < 0); /* too early to say */
    s.done = s.total = 400;
    assert_true(wt_progress_eta_s(&s) == 0);
    s.total = 10; /* grew past the total (a FIFO): done */
    assert_true(wt_progress_eta_s(&s) == 0);
}

static void check_si(double v, const char *want)
{
    char out[32];
    wt_progress_fmt_si(v, out, sizeof(out));
    if (strcmp(out, want) != 0)
        fail_msg("%f: '%s', want '%s'", v, out, want);
}

static void test_si(void **state)
{
    (void)state;
    check_si(0, "0");
    check_si(-5, "0");
    check_si(950, "950");
    check_si(999.4, "999");
    check_si(999.6, "1.0k");
    check_si(8100, "8.1k");
    check_si(9949, "9.9k");
    check_si(9994, "10k");
    check_si(12345, "12k");
    check_si(812345, "812k");
    check_si(999499, "999k");
    check_si(999500, "1.0M");
    check_si(1234567, "1.2M");
    check_si(9.96e6, "10M");
    check_si(37e6, "37M");
    check_si(2.5e9, "2.5G");
}

static void check_clock(double s, const char *want)
{
    char out[32];
    wt_progress_fmt_clock(s, out, sizeof(out));
    if (strcmp(out, want) != 0)
        fail_msg("%f: '%s', want '%s'", s, out, want);
}

static void check_dur(double s, const char *want)
{
    char out[32];
    wt_progress_fmt_dur(s, out, sizeof(out));
    if (strcmp(out, want) != 0)
        fail_msg("%f: '%s', want '%s'", s, out, want);
}

static void test_durations(void **state)
{
    (void)state;
    check_clock(0, "0:00");
    check_clock(3, "0:03");
    check_clock(2.6, "0:03");
    check_clock(59.4, "0:59");
    check_clock(754, "12:34");
    check_clock(3599, "59:59");
    check_clock(3723, "1:02:03");
    check_clock(100 * 3600, "100:00:00");
    check_clock(-1, "--:--");
    check_clock(1e12, "--:--");

    check_dur(0, "0s");
    check_dur(3, "3s");
    check_dur(59, "59s");
    check_dur(125, "2m05s");
    check_dur(3600, "1h00m");
    check_dur(3720, "1h02m");
    check_dur(-1, "unknown");
    check_dur(1e12, "unknown");
}

static void check_bytes(uint64_t done, uint64_t total, const char *want)
{
    char out[64];
    wt_progress_fmt_bytes(done, total, out, sizeof(out));
    if (strcmp(out, want) != 0)
        fail_msg("%llu/%llu: '%s', want '%s'", (unsigned long long)done, (unsigned long long)total,
                 out, want);
}

static void test_bytes(void **state)
{
    (void)state;
    check_bytes((uint64_t)(123.4 * MiB), (uint64_t)(274.0 * MiB), "123.4/274.0 MiB");
    check_bytes(0, 0, "0.0/0.0 KiB");
    check_bytes(512, 2048, "0.5/2.0 KiB");
    check_bytes(1024 * 1024, 1024 * 1024, "1.0/1.0 MiB");
    check_bytes(1536ULL * 1024 * 1024, 3ULL * 1024 * 1024 * 1024, "1.5/3.0 GiB");
    check_bytes(4096, 1024, "4.0/4.0 KiB"); /* done past total */
}

/* The example of the issue: 45% of 274 MiB, 812345 lines/s, 3 s left. */
static struct wt_progress_snap example(void)
{
    struct wt_progress_snap s = {
        .done = (uint64_t)(123.4 * MiB),
        .total = (uint64_t)(274.0 * MiB),
        .elapsed_s = 2.5,
    };
    s.lines = 2030863; /* 812345.2 per second */
    return s;
}

static void test_bar(void **state)
{
    (void)state;
    char out[WT_PROGRESS_LINE_MAX];
    struct wt_progress_snap s = example();
    size_t n = wt_progress_fmt_bar(&s, 10, out, sizeof(out));
    assert_string_equal(out, "[#####.....] 45% 123.4/274.0 MiB  812k lines/s  ETA 0:03");
    assert_int_equal(n, strlen(out));

    /* Nothing yet. */
    struct wt_progress_snap z = {.done = 0, .total = 1024 * 1024, .lines = 0, .elapsed_s = 0};
    wt_progress_fmt_bar(&z, 10, out, sizeof(out));
    assert_string_equal(out, "[..........] 0% 0.0/1.0 MiB  0 lines/s  ETA --:--");

    /* One byte short of the end: not full, not 100%. */
    z.done = z.total - 1;
    z.elapsed_s = 1;
    z.lines = 1500;
    wt_progress_fmt_bar(&z, 10, out, sizeof(out));
    assert_string_equal(out, "[#########.] 99% 1.0/1.0 MiB  1.5k lines/s  ETA 0:00");

    z.done = z.total;
    wt_progress_fmt_bar(&z, 20, out, sizeof(out));
    assert_string_equal(out, "[####################] 100% 1.0/1.0 MiB  1.5k lines/s  ETA 0:00");

    /* Width is clamped; the worst case fits WT_PROGRESS_LINE_MAX. */
    struct wt_progress_snap w = {.done = UINT64_MAX / 3,
                                 .total = UINT64_MAX / 2,
                                 .lines = UINT64_MAX / 4,
                                 .elapsed_s = 0.25};
    n = wt_progress_fmt_bar(&w, 1000, out, sizeof(out));
    assert_true(n < sizeof(out) - 1);
    assert_int_equal(strlen(out), n);
    assert_int_equal(strspn(out + 1, "#."), 64);
    n = wt_progress_fmt_bar(&w, 0, out, sizeof(out));
    assert_int_equal(out[2], ']');

    /* A small buffer truncates, NUL-terminated. */
    char small[8];
    n = wt_progress_fmt_bar(&s, 10, small, sizeof(small));
    assert_int_equal(n, 7);
    assert_string_equal(small, "[#####.");
}

static void test_line(void **state)
{
    (void)state;
    char out[WT_PROGRESS_LINE_MAX];
    struct wt_progress_snap s = example();
    size_t n = wt_progress_fmt_line(&s, out, sizeof(out));
    assert_string_equal(out, "replay: 45% 123.4/274.0 MiB, 812345 lines/s, ETA 3s");
    assert_int_equal(n, strlen(out));

    struct wt_progress_snap z = {.done = 0, .total = 0, .lines = 0, .elapsed_s = 0};
    wt_progress_fmt_line(&z, out, sizeof(out));
    assert_string_equal(out, "replay: 100% 0.0/0.0 KiB, 0 lines/s, ETA 0s");

    struct wt_progress_snap h = {.done = 1, .total = 3601, .lines = 10, .elapsed_s = 1};
    wt_progress_fmt_line(&h, out, sizeof(out));
    assert_string_equal(out, "replay: 0% 0.0/3.5 KiB, 10 lines/s, ETA 1h00m");
}

static void test_no_total(void **state)
{
    (void)state;
    char out[WT_PROGRESS_LINE_MAX];
    /* A pipe among the files: no percent, no ETA. */
    struct wt_progress_snap s = {.done = (uint64_t)(12.3 * MiB),
                                 .total = 1000,
                                 .lines = 2030863,
                                 .elapsed_s = 2.5,
                                 .no_total = true};
    wt_progress_fmt_bar(&s, 10, out, sizeof(out));
    assert_string_equal(out, "[??????????] 12.3 MiB  812k lines/s");
    wt_progress_fmt_line(&s, out, sizeof(out));
    assert_string_equal(out, "replay: 12.3 MiB, 812345 lines/s");
    s.done = 100;
    wt_progress_fmt_line(&s, out, sizeof(out));
    assert_string_equal(out, "replay: 0.1 KiB, 812345 lines/s");
}

/* ------------------------------------------------------------------------ */
/* Display                                                                  */
/* ------------------------------------------------------------------------ */

static int pipe_fds[2];

static int setup_pipe(void **state)
{
    (void)state;
    if (pipe(pipe_fds) != 0)
        return -1;
    return fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
}

static int teardown_pipe(void **state)
{
    (void)state;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return 0;
}

/* Everything written so far ("" if nothing). */
static const char *drain(void)
{
    static char buf[4096];
    ssize_t n = read(pipe_fds[0], buf, sizeof(buf) - 1);
    if (n < 0) {
        assert_int_equal(errno, EAGAIN);
        n = 0;
    }
    buf[n] = '\0';
    return buf;
}

static void test_display_plain(void **state)
{
    (void)state;
    struct wt_progress pr;
    wt_progress_init(&pr, pipe_fds[1], false, false, 1000, 10000);
    assert_int_equal(wt_progress_interval_ms(&pr), WT_PROGRESS_INTERVAL_MS);

    wt_progress_update(&pr, 10000, 0, 0, false);
    assert_string_equal(drain(), ""); /* not yet */
    wt_progress_update(&pr, 12000, 100, 10, false);
    assert_string_equal(drain(), "");
    wt_progress_update(&pr, 14995, 450, 4500, false); /* a timer firing a bit early */
    assert_string_equal(drain(), "replay: 45% 0.4/1.0 KiB, 901 lines/s, ETA 6s\n");
    wt_progress_update(&pr, 16000, 500, 5000, false);
    assert_string_equal(drain(), "");
    wt_progress_update(&pr, 16000, 500, 5000, true);
    assert_string_equal(drain(), "replay: 50% 0.5/1.0 KiB, 833 lines/s, ETA 6s\n");
    assert_true(pr.any);
    wt_progress_clear(&pr);
    assert_string_equal(drain(), ""); /* nothing to clear */
}

static void test_display_tty(void **state)
{
    (void)state;
    struct wt_progress pr;
    wt_progress_init(&pr, pipe_fds[1], true, true, 1000, 0);
    assert_int_equal(wt_progress_interval_ms(&pr), WT_PROGRESS_TTY_MS);
    assert_false(pr.via_log); /* the bar is never logged */

    wt_progress_clear(&pr);
    assert_string_equal(drain(), ""); /* nothing drawn yet */
    wt_progress_update(&pr, 100, 10, 10, false);
    assert_string_equal(drain(), "");
    wt_progress_update(&pr, 1000, 500, 1000, false);
    assert_string_equal(drain(),
                        "\r\033[K[##########..........] 50% 0.5/1.0 KiB  1.0k lines/s  ETA 0:01");
    wt_progress_update(&pr, 1100, 600, 1000, false); /* 100 ms later: too soon */
    assert_string_equal(drain(), "");
    wt_progress_clear(&pr);
    assert_string_equal(drain(), "\r\033[K");
    wt_progress_clear(&pr);
    assert_string_equal(drain(), "");
}

static void test_display_via_log(void **state)
{
    (void)state;
    /* Plain lines through the log: captured from fd 2. */
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(pipe_fds[1], STDERR_FILENO), STDERR_FILENO);
    wt_log_setup(WT_LOG_INFO, true);
    struct wt_progress pr;
    wt_progress_init(&pr, pipe_fds[1], false, true, 100, 0);
    wt_progress_update(&pr, 5000, 50, 5, false);
    wt_log_setup(WT_LOG_INFO, false);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    const char *got = drain();
    assert_non_null(strstr(got, "\"tag\":\"replay\""));
    assert_non_null(strstr(got, "\"msg\":\"50% 0.0/0.1 KiB, 1 lines/s, ETA 5s\""));
    assert_null(strstr(got, "replay: 50%"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent),
        cmocka_unit_test(test_eta),
        cmocka_unit_test(test_si),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_bar),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_no_total),
        cmocka_unit_test_setup_teardown(test_display_plain, setup_pipe, teardown_pipe),
        cmocka_unit_test_setup_teardown(test_display_tty, setup_pipe, teardown_pipe),
        cmocka_unit_test_setup_teardown(test_display_via_log, setup_pipe, teardown_pipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
