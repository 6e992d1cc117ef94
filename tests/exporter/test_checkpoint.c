/*
 * test_checkpoint.c - checkpoint encoding, damage detection, atomic writes,
 * fingerprints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "wt_parsers.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/wt-test-ckpt-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_ckpt_round_trip(void **state)
{
    (void)state;
    struct wt_ckpt in[2] = {
        {.dev = 65024,
         .ino = UINT64_MAX - 1,
         .fp = 0xfedcba9876543210ULL,
         .fp_len = 1024,
         .offset = 1ULL << 40,
         .lineno = 123456789012ULL,
         .path = "/var/log/wsa/aclog.current"},
        {.dev = 1,
         .ino = 2,
         .fp = 3,
         .fp_len = 0,
         .offset = 0,
         .lineno = 0,
         .path = "/tmp/a \"quoted\" \\ name"},
    };
    char *json;
    size_t len, n;
    struct wt_ckpt *out;
    char err[128];
    assert_int_equal(wt_ckpt_encode(in, 2, &json, &len), 0);
    assert_int_equal(wt_ckpt_write(dir, json, len), 0);
    free(json);
    assert_int_equal(wt_ckpt_read(dir, &out, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_true(out[i].dev == in[i].dev && out[i].ino == in[i].ino);
        assert_true(out[i].fp == in[i].fp && out[i].fp_len == in[i].fp_len);
        assert_true(out[i].offset == in[i].offset && out[i].lineno == in[i].lineno);
        assert_string_equal(out[i].path, in[i].path);
    }
    free(out);
    /* The state file is private and no temp file is left behind. */
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, WT_CKPT_FILE);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof(path), "%s/.%s.tmp", dir, WT_CKPT_FILE);
    assert_int_not_equal(access(path, F_OK), 0);
}

static void test_ckpt_missing_is_empty(void **state)
{
    (void)state;
    struct wt_ckpt *out = (struct wt_ckpt *)1;
    size_t n = 99;
    char err[128];
    assert_int_equal(wt_ckpt_read(dir, &out, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    assert_null(out);
}

static void test_ckpt_damaged(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "garbage",
        "{\"version\":3,\"files\":[]}",
        "{\"version\":1}",
        "{\"version\":1,\"files\":[{\"path\":\"/a\",\"dev\":\"1\"}]}",
        "{\"version\":1,\"files\":[{\"path\":\"/a\",\"dev\":1,\"ino\":\"2\",\"fp\":\"3\","
        "\"fp_len\":\"4\",\"offset\":\"5\",\"lineno\":\"6\"}]}",
        "{\"version\":1,\"files\":[{\"path\":\"/a\",\"dev\":\"1\",\"ino\":\"2\",\"fp\":\"3\","
        "\"fp_len\":\"4096\",\"offset\":\"5\",\"lineno\":\"6\"}]}",
        "{\"version\":1,\"files\":[{\"path\":\"/a\",\"dev\":\"-1\",\"ino\":\"2\",\"fp\":\"3\","
        "\"fp_len\":\"4\",\"offset\":\"5\",\"lineno\":\"6\"}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct wt_ckpt *out;
        size_t n;
        char err[128] = "";
        assert_int_equal(wt_ckpt_decode(bad[i], strlen(bad[i]), &out, &n, err, sizeof(err)),
                         WT_EPARSE);
        assert_true(err[0] != '\0');
        assert_null(out);
    }
}

static void test_fingerprint(void **state)
{
    (void)state;
    char path[512], buf[3000];
    uint64_t fp, fp2;
    uint32_t fl, fl2;
    snprintf(path, sizeof(path), "%s/log", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    /* Empty file: fingerprint of nothing, matched by anything. */
    assert_int_equal(wt_fp_of_fd(fd, &fp, &fl), 0);
    assert_int_equal(fl, 0);
    memset(buf, 'a', sizeof(buf));
    assert_int_equal(write(fd, buf, 100), 100);
    assert_int_equal(wt_fp_matches(fd, fp, fl), 1);
    assert_int_equal(wt_fp_of_fd(fd, &fp, &fl), 0);
    assert_int_equal(fl, 100);
    /* Growing keeps the prefix; only WT_FP_BYTES are hashed. */
    assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
    assert_int_equal(wt_fp_matches(fd, fp, fl), 1);
    assert_int_equal(wt_fp_of_fd(fd, &fp2, &fl2), 0);
    assert_int_equal(fl2, WT_FP_BYTES);
    /* New content at the start (copytruncate + new writes) no longer matches. */
    assert_int_equal(pwrite(fd, "b", 1, 10), 1);
    assert_int_equal(wt_fp_matches(fd, fp, fl), 0);
    assert_int_equal(wt_fp_matches(fd, fp2, fl2), 0);
    /* Shorter than the fingerprinted prefix: no match. */
    assert_int_equal(ftruncate(fd, 50), 0);
    assert_int_equal(wt_fp_matches(fd, fp2, fl2), 0);
    close(fd);
    assert_true(wt_fp_hash("", 0) != wt_fp_hash("a", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ckpt_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ckpt_missing_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ckpt_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fingerprint, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
