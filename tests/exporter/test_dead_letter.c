/*
 * test_dead_letter.c - the sinks' one dead-letter writer: names, modes,
 * the .reason document, a taken name, a planted symlink, errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dead_letter.h"
#include "wt_common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/wt-dl-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    char *buf;
    size_t len;
    if (wt_read_file(path, 1 << 20, &buf, &len) != 0)
        return NULL;
    buf[len] = '\0';
    return buf;
}

static void test_name(void **state)
{
    (void)state;
    char buf[128];
    /* 2024-05-01T12:34:56.007Z */
    int n = wt_dead_letter_name(buf, sizeof(buf), "kafka0", 1714566896007LL, 42, "");
    assert_string_equal(buf, "kafka0-20240501T123456.007Z-b42");
    assert_int_equal(n, (int)strlen(buf));
    wt_dead_letter_name(buf, sizeof(buf), "sse0", 1714566896007LL, 7, "-l3-n9");
    assert_string_equal(buf, "sse0-20240501T123456.007Z-b7-l3-n9");
    /* Names sort by time. */
    char a[128], b[128];
    wt_dead_letter_name(a, sizeof(a), "k", 1714566896007LL, 99, "");
    wt_dead_letter_name(b, sizeof(b), "k", 1714566896008LL, 1, "");
    assert_true(strcmp(a, b) < 0);
    /* Cut, never overflowing. */
    char small[8];
    n = wt_dead_letter_name(small, sizeof(small), "kafka0", 0, 1, "");
    assert_true(n >= (int)sizeof(small));
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_write(void **state)
{
    (void)state;
    char sub[300], path[WT_DEAD_LETTER_PATH_MAX], rpath[WT_DEAD_LETTER_PATH_MAX + 8];
    snprintf(sub, sizeof(sub), "%s/a/b", dir); /* created, 0700 */
    cJSON *r = wt_dead_letter_reason("sse0", 1714566896007LL, 5, "HTTP 400");
    assert_non_null(r);
    cJSON_AddNumberToObject(r, "status", 400);
    const char ev[] = "{\"a\":1}\n{\"a\":2}\n";
    assert_int_equal(wt_dead_letter_write(sub, "base", ev, sizeof(ev) - 1, r, path, sizeof(path)),
                     0);
    char want[400];
    snprintf(want, sizeof(want), "%s/base.ndjson", sub);
    assert_string_equal(path, want);
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = slurp(path);
    assert_string_equal(text, ev);
    wt_free(text);
    snprintf(rpath, sizeof(rpath), "%s/base.reason", sub);
    assert_int_equal(stat(rpath, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    text = slurp(rpath);
    cJSON *doc = cJSON_Parse(text);
    wt_free(text);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "sink")), "sse0");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "time")),
                        "2024-05-01T12:34:56.007Z");
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "batch")), 5);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "reason")), "HTTP 400");
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "status")), 400);
    cJSON_Delete(doc);

    /* The same base again (same millisecond after a restart): a -1 suffix. */
    assert_int_equal(wt_dead_letter_write(sub, "base", "x\n", 2, r, path, sizeof(path)), 0);
    snprintf(want, sizeof(want), "%s/base-1.ndjson", sub);
    assert_string_equal(path, want);
    snprintf(rpath, sizeof(rpath), "%s/base-1.reason", sub);
    assert_int_equal(access(rpath, F_OK), 0);
    cJSON_Delete(r);
}

/* A planted symlink is never written through: the name counts as taken. */
static void test_symlink(void **state)
{
    (void)state;
    char target[300], link[300], path[WT_DEAD_LETTER_PATH_MAX];
    snprintf(target, sizeof(target), "%s/target", dir);
    snprintf(link, sizeof(link), "%s/evil.ndjson", dir);
    FILE *f = fopen(target, "w");
    fputs("keep", f);
    fclose(f);
    assert_int_equal(symlink(target, link), 0);
    cJSON *r = wt_dead_letter_reason("k", 0, 1, "why");
    assert_int_equal(wt_dead_letter_write(dir, "evil", "ev\n", 3, r, path, sizeof(path)), 0);
    cJSON_Delete(r);
    char want[400];
    snprintf(want, sizeof(want), "%s/evil-1.ndjson", dir);
    assert_string_equal(path, want);
    char *text = slurp(target);
    assert_string_equal(text, "keep");
    wt_free(text);
}

/* An unusable directory: the error comes back and nothing is left behind. */
static void test_error(void **state)
{
    (void)state;
    char file[300], sub[320], path[WT_DEAD_LETTER_PATH_MAX];
    snprintf(file, sizeof(file), "%s/plain", dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    snprintf(sub, sizeof(sub), "%s/dl", file); /* under a regular file */
    cJSON *r = wt_dead_letter_reason("k", 0, 1, "why");
    int rc = wt_dead_letter_write(sub, "b", "x\n", 2, r, path, sizeof(path));
    cJSON_Delete(r);
    assert_int_equal(rc, -ENOTDIR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name),
        cmocka_unit_test_setup_teardown(test_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
