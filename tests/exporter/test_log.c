/*
 * test_log.c - log lines on stderr: text and JSON formats, level filtering,
 * escaping of control characters and quotes, truncation, wt_log_once, and
 * whole lines from concurrent threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* ------------------------------------------------------------------------ */
/* stderr capture: fd 2 points at a temp file between begin and end         */
/* ------------------------------------------------------------------------ */

static int saved_fd = -1;
static FILE *cap_file;
static char *cap_buf;

static void capture_begin(void)
{
    fflush(stderr);
    cap_file = tmpfile();
    assert_non_null(cap_file);
    saved_fd = dup(STDERR_FILENO);
    assert_true(saved_fd >= 0);
    assert_int_equal(dup2(fileno(cap_file), STDERR_FILENO), STDERR_FILENO);
}

/* @returns everything written to fd 2 since capture_begin (freed by teardown). */
static const char *capture_end(void)
{
    assert_int_equal(dup2(saved_fd, STDERR_FILENO), STDERR_FILENO);
    close(saved_fd);
    saved_fd = -1;
    fseek(cap_file, 0, SEEK_END);
    long n = ftell(cap_file);
    rewind(cap_file);
    free(cap_buf);
    cap_buf = calloc(1, (size_t)n + 1);
    assert_non_null(cap_buf);
    assert_int_equal(fread(cap_buf, 1, (size_t)n, cap_file), (size_t)n);
    fclose(cap_file);
    cap_file = NULL;
    return cap_buf;
}

static int teardown(void **state)
{
    (void)state;
    if (saved_fd >= 0) /* a failed assertion left stderr captured: show it */
        fputs(capture_end(), stderr);
    free(cap_buf);
    cap_buf = NULL;
    wt_log_setup(WT_LOG_INFO, false);
    return 0;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
static void assert_iso_ts(const char *p)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd')
            assert_true(p[i] >= '0' && p[i] <= '9');
        else
            assert_int_equal(p[i], shape[i]);
    }
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */
/* ------------------------------------------------------------------------ */

static void test_text_format(void **state)
{
    (void)state;
    capture_begin();
    wt_log_warn("tail", "hello %d", 42);
    wt_log_error("sink.file", "disk %s", "full");
    wt_log_info("main", "started");
    const char *out = capture_end();

    assert_int_equal(count_lines(out), 3);
    assert_iso_ts(out);
    assert_memory_equal(out + 24, " WARN  [tail] hello 42\n", 23);
    const char *l2 = strchr(out, '\n') + 1;
    assert_iso_ts(l2);
    assert_memory_equal(l2 + 24, " ERROR [sink.file] disk full\n", 29);
    const char *l3 = strchr(l2, '\n') + 1;
    assert_string_equal(l3 + 24, " INFO  [main] started\n");
}

static void test_json_format(void **state)
{
    (void)state;
    wt_log_setup(WT_LOG_DEBUG, true);
    capture_begin();
    wt_log_debug("tail", "file %s at %d", "/var/log/a", 7);
    const char *out = capture_end();

    assert_int_equal(count_lines(out), 1);
    assert_true(strncmp(out, "{\"ts\":\"", 7) == 0);
    assert_iso_ts(out + 7);
    assert_string_equal(out + 31,
                        "\",\"level\":\"debug\",\"tag\":\"tail\",\"msg\":\"file /var/log/a "
                        "at 7\"}\n");
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "level")->valuestring, "debug");
    assert_string_equal(cJSON_GetObjectItem(j, "tag")->valuestring, "tail");
    assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring, "file /var/log/a at 7");
    cJSON_Delete(j);
}

static int side_effects;
static int bump(void)
{
    return ++side_effects;
}

static void test_level_filter(void **state)
{
    (void)state;
    wt_log_setup(WT_LOG_WARN, false);
    side_effects = 0;
    capture_begin();
    wt_log_debug("t", "d %d", bump());
    wt_log_info("t", "i %d", bump());
    wt_log_warn("t", "w");
    wt_log_error("t", "e");
    const char *out = capture_end();

    assert_int_equal(side_effects, 0); /* arguments not evaluated below the level */
    assert_int_equal(count_lines(out), 2);
    assert_non_null(strstr(out, " WARN  [t] w\n"));
    assert_non_null(strstr(out, " ERROR [t] e\n"));

    wt_log_setup(WT_LOG_ERROR, false);
    capture_begin();
    wt_log_warn("t", "w");
    out = capture_end();
    assert_string_equal(out, "");

    wt_log_setup(WT_LOG_DEBUG, false);
    capture_begin();
    wt_log_debug("t", "d %d", bump());
    out = capture_end();
    assert_int_equal(side_effects, 1);
    assert_non_null(strstr(out, " DEBUG [t] d 1\n"));
}

static void test_level_from_str(void **state)
{
    (void)state;
    assert_int_equal(wt_log_level_from_str("error"), WT_LOG_ERROR);
    assert_int_equal(wt_log_level_from_str("warn"), WT_LOG_WARN);
    assert_int_equal(wt_log_level_from_str("info"), WT_LOG_INFO);
    assert_int_equal(wt_log_level_from_str("debug"), WT_LOG_DEBUG);
    assert_int_equal(wt_log_level_from_str("warning"), -1);
    assert_int_equal(wt_log_level_from_str(""), -1);
    assert_int_equal(wt_log_level_from_str(NULL), -1);
}

static void test_text_escapes_controls(void **state)
{
    (void)state;
    capture_begin();
    wt_log_warn("tail\n", "a\nb\tc\rd\x01"
                          "e\x7f"
                          "f\"g\\h");
    const char *out = capture_end();

    assert_int_equal(count_lines(out), 1);
    assert_string_equal(out + 24, " WARN  [tail\\n] a\\nb\\tc\\rd\\x01e\\x7ff\"g\\h\n");
}

static void test_json_escapes(void **state)
{
    (void)state;
    static const char msg[] = "say \"hi\"\n\tback\\slash \x01 caf\xc3\xa9 bad\xff";
    wt_log_setup(WT_LOG_INFO, true);
    capture_begin();
    wt_log_info("q\"t", "%s", msg);
    const char *out = capture_end();

    assert_int_equal(count_lines(out), 1);
    for (const char *p = out; *p != '\n'; p++)
        assert_true((unsigned char)*p >= 0x20);
    assert_non_null(strstr(out, "\"tag\":\"q\\\"t\""));
    /* The queue module's encoder: \u00XX for controls, U+FFFD for bad UTF-8. */
    assert_non_null(strstr(out, "\"msg\":\"say \\\"hi\\\"\\u000a\\u0009back\\\\slash \\u0001 "
                                "caf\xc3\xa9 bad\\ufffd\"}\n"));
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    /* Invalid UTF-8 became U+FFFD; the rest round-trips. */
    assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring,
                        "say \"hi\"\n\tback\\slash \x01 caf\xc3\xa9 bad\xef\xbf\xbd");
    assert_string_equal(cJSON_GetObjectItem(j, "tag")->valuestring, "q\"t");
    cJSON_Delete(j);
}

static void test_truncation(void **state)
{
    (void)state;
    char *big = malloc(10001);
    assert_non_null(big);
    memset(big, 'x', 10000);
    big[10000] = '\0';

    capture_begin();
    wt_log_info("t", "%s", big);
    const char *out = capture_end();
    size_t len = strlen(out);
    /* ts(24) + " INFO  [t] "(11) + 4092 x + "..." + "\n" */
    assert_int_equal(len, 24 + 11 + 4092 + 3 + 1);
    assert_memory_equal(out + len - 5, "x...\n", 5);

    /* A cut inside a UTF-8 sequence backs off to its start. */
    big[0] = 'a';
    for (size_t i = 1; i + 1 < 10000; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    big[9999] = '\0';
    wt_log_setup(WT_LOG_INFO, true);
    capture_begin();
    wt_log_info("t", "%s", big);
    out = capture_end();
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    const char *m = cJSON_GetObjectItem(j, "msg")->valuestring;
    assert_int_equal(strlen(m), 4091 + 3);
    assert_null(strstr(m, "\xef\xbf\xbd")); /* no replacement character */
    assert_memory_equal(m + 4091 - 2, "\xc3\xa9...", 5);
    cJSON_Delete(j);
    free(big);
}

static void test_log_once(void **state)
{
    (void)state;
    static bool warned;
    capture_begin();
    for (int i = 0; i < 3; i++)
        wt_log_once(&warned, WT_LOG_WARN, "tail", "long line %d skipped", i);
    const char *out = capture_end();

    assert_true(warned);
    assert_int_equal(count_lines(out), 1);
    assert_non_null(strstr(out, "[tail] long line 0 skipped\n"));
}

static void test_errno_preserved(void **state)
{
    (void)state;
    capture_begin();
    errno = ENOENT;
    wt_log_warn("t", "x");
    assert_int_equal(errno, ENOENT);
    capture_end();
}

#define LOG_THREADS 4
#define LOG_LINES   300

static void *log_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < LOG_LINES; i++)
        wt_log_info("thr", "worker %d line %d %s", id, i,
                    "padding padding padding padding padding padding padding padding");
    return NULL;
}

static void test_threads_whole_lines(void **state)
{
    (void)state;
    pthread_t t[LOG_THREADS];
    capture_begin();
    for (int i = 0; i < LOG_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, log_worker, (void *)(intptr_t)i), 0);
    for (int i = 0; i < LOG_THREADS; i++)
        pthread_join(t[i], NULL);
    const char *out = capture_end();

    assert_int_equal(count_lines(out), LOG_THREADS * LOG_LINES);
    int seen[LOG_THREADS] = {0};
    for (const char *p = out; *p; p = strchr(p, '\n') + 1) {
        int id, n;
        assert_iso_ts(p);
        assert_int_equal(sscanf(p + 24, " INFO  [thr] worker %d line %d", &id, &n), 2);
        assert_true(id >= 0 && id < LOG_THREADS);
        assert_int_equal(n, seen[id]); /* each thread's lines in order, none torn */
        seen[id]++;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_text_format, teardown),
        cmocka_unit_test_teardown(test_json_format, teardown),
        cmocka_unit_test_teardown(test_level_filter, teardown),
        cmocka_unit_test_teardown(test_level_from_str, teardown),
        cmocka_unit_test_teardown(test_text_escapes_controls, teardown),
        cmocka_unit_test_teardown(test_json_escapes, teardown),
        cmocka_unit_test_teardown(test_truncation, teardown),
        cmocka_unit_test_teardown(test_log_once, teardown),
        cmocka_unit_test_teardown(test_errno_preserved, teardown),
        cmocka_unit_test_teardown(test_threads_whole_lines, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
