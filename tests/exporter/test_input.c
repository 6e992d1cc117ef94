/*
 * test_input.c - the replay reader over plain, gzip and zstd files made here
 * (single and multiple gzip members / zstd frames, kinds found by content
 * not name, tiny and large reads), truncated and corrupt data, open
 * errors; and the TIME parser of --since / --until.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "input.h"
#include "wt_parsers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                 */
/* ------------------------------------------------------------------------ */

struct fx {
    char dir[64];
    char path[128];
    char *data; /* reference content */
    size_t len;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/wt_test_input.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f->data);
    free(f);
    return 0;
}

/* n bytes of log-like lines, deterministic (a poor compressor's nightmare
 * would be random bytes; lines with counters compress like real logs). */
static void make_data(struct fx *f, size_t n)
{
    free(f->data);
    f->data = malloc(n + 1);
    assert_non_null(f->data);
    size_t len = 0;
    uint32_t x = 12345;
    for (unsigned i = 0; len < n; i++) {
        x = x * 1103515245u + 12345u;
        char line[160];
        int k = snprintf(line, sizeof(line),
                         "%u.%03u 97 10.%u.%u.%u TCP_MISS/200 %u GET http://h%u.example/p%x -\n",
                         1700000000u + i, i % 1000, x >> 24, (x >> 16) & 255, (x >> 8) & 255,
                         x % 100000, x % 997, x);
        size_t take = (size_t)k < n - len ? (size_t)k : n - len;
        memcpy(f->data + len, line, take);
        len += take;
    }
    f->len = n;
}

static void set_path(struct fx *f, const char *name)
{
    snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
}

static void write_file(const char *path, const void *p, size_t n, const char *mode)
{
    FILE *o = fopen(path, mode);
    assert_non_null(o);
    assert_int_equal(fwrite(p, 1, n, o), n);
    assert_int_equal(fclose(o), 0);
}

/* gzip members, one per part: [0, cut) and [cut, len) (cut == len: one member). */
static void write_gz(const char *path, const char *p, size_t len, size_t cut)
{
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    if (cut > 0)
        assert_int_equal(gzwrite(g, p, (unsigned)cut), (int)cut);
    assert_int_equal(gzclose(g), Z_OK);
    if (cut < len) {
        g = gzopen(path, "ab"); /* appending starts a new member */
        assert_non_null(g);
        assert_int_equal(gzwrite(g, p + cut, (unsigned)(len - cut)), (int)(len - cut));
        assert_int_equal(gzclose(g), Z_OK);
    }
}

/* One zstd frame of p (with a checksum if asked), appended to path. */
static void append_zst(const char *path, const char *p, size_t len, bool checksum)
{
    size_t cap = ZSTD_compressBound(len);
    void *z = malloc(cap);
    assert_non_null(z);
    ZSTD_CCtx *c = ZSTD_createCCtx();
    assert_non_null(c);
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum ? 1 : 0);
    size_t zn = ZSTD_compress2(c, z, cap, p, len);
    assert_false(ZSTD_isError(zn));
    write_file(path, z, zn, "ab");
    ZSTD_freeCCtx(c);
    free(z);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *i = fopen(path, "rb");
    assert_non_null(i);
    fseek(i, 0, SEEK_END);
    long sz = ftell(i);
    rewind(i);
    char *p = malloc((size_t)sz + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)sz, i), (size_t)sz);
    fclose(i);
    *n = (size_t)sz;
    return p;
}

/*
 * Read path to its end in reads of at most step bytes; check the content
 * and kind. @returns the reader's last consumed count.
 */
static uint64_t read_all(struct fx *f, enum wt_input_kind kind, size_t step)
{
    struct wt_input in;
    char err[256];
    assert_int_equal(wt_input_open(&in, f->path, err, sizeof(err)), 0);
    assert_int_equal(in.kind, kind);
    char *out = malloc(f->len + 1);
    char *buf = malloc(step);
    assert_non_null(out);
    assert_non_null(buf);
    size_t got = 0;
    for (;;) {
        ssize_t n = wt_input_read(&in, buf, step);
        if (n < 0)
            fail_msg("read error: %s", wt_input_error(&in));
        if (n == 0)
            break;
        assert_true((size_t)n <= step);
        assert_true(got + (size_t)n <= f->len);
        memcpy(out + got, buf, (size_t)n);
        got += (size_t)n;
    }
    assert_int_equal(got, f->len);
    assert_memory_equal(out, f->data, f->len);
    assert_int_equal(wt_input_read(&in, buf, step), 0); /* stays at the end */
    assert_int_equal(in.produced, f->len);
    uint64_t consumed = in.consumed;
    assert_int_equal(consumed, in.size);
    wt_input_close(&in);
    wt_input_close(&in); /* idempotent */
    free(out);
    free(buf);
    return consumed;
}

/* Read until an error; @returns it, with the message in msg. */
static ssize_t read_err(const char *path, char *msg, size_t cap)
{
    struct wt_input in;
    char err[256];
    char buf[4096];
    ssize_t n;
    assert_int_equal(wt_input_open(&in, path, err, sizeof(err)), 0);
    while ((n = wt_input_read(&in, buf, sizeof(buf))) > 0)
        ;
    snprintf(msg, cap, "%s", wt_input_error(&in));
    if (n < 0) /* sticky */
        assert_int_equal(wt_input_read(&in, buf, sizeof(buf)), n);
    wt_input_close(&in);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

static void test_plain(void **state)
{
    struct fx *f = *state;
    make_data(f, 700 * 1024 + 3); /* more than one input buffer */
    set_path(f, "access.log");
    write_file(f->path, f->data, f->len, "wb");
    read_all(f, WT_INPUT_PLAIN, 256 * 1024);
    read_all(f, WT_INPUT_PLAIN, 7);
    read_all(f, WT_INPUT_PLAIN, 1);
}

static void test_plain_tiny_and_empty(void **state)
{
    struct fx *f = *state;
    struct wt_input in;
    char err[256], buf[16];

    /* Shorter than any magic. */
    make_data(f, 1);
    set_path(f, "one");
    write_file(f->path, f->data, f->len, "wb");
    read_all(f, WT_INPUT_PLAIN, 16);

    /* An empty file is plain (and empty), whatever its name. */
    set_path(f, "empty.gz");
    write_file(f->path, "", 0, "wb");
    assert_int_equal(wt_input_open(&in, f->path, err, sizeof(err)), 0);
    assert_int_equal(in.kind, WT_INPUT_PLAIN);
    assert_int_equal(in.size, 0);
    assert_int_equal(wt_input_read(&in, buf, sizeof(buf)), 0);
    wt_input_close(&in);
}

static void test_gzip(void **state)
{
    struct fx *f = *state;
    make_data(f, 900 * 1024 + 11);
    set_path(f, "access.log.gz");
    write_gz(f->path, f->data, f->len, f->len);
    read_all(f, WT_INPUT_GZIP, 256 * 1024);
    read_all(f, WT_INPUT_GZIP, 13);
    assert_string_equal(wt_input_kind_name(WT_INPUT_GZIP), "gzip");
}

static void test_gzip_members(void **state)
{
    struct fx *f = *state;
    make_data(f, 300 * 1024);
    /* Two members split inside a line, named like a plain file. */
    set_path(f, "rotated.log");
    write_gz(f->path, f->data, f->len, 123457);
    read_all(f, WT_INPUT_GZIP, 64 * 1024);
    read_all(f, WT_INPUT_GZIP, 5);

    /* Three members, the middle one empty (gzip of nothing). */
    set_path(f, "three.gz");
    char p1[160], p2[160];
    snprintf(p1, sizeof(p1), "%s/m1", f->dir);
    snprintf(p2, sizeof(p2), "%s/m2", f->dir);
    write_gz(p1, f->data, 1000, 1000);
    write_gz(p2, "", 0, 0);
    size_t n1, n2;
    char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    write_file(f->path, a, n1, "wb");
    write_file(f->path, b, n2, "ab");
    free(a);
    free(b);
    write_gz(p1, f->data + 1000, f->len - 1000, f->len - 1000);
    a = slurp(p1, &n1);
    write_file(f->path, a, n1, "ab");
    free(a);
    read_all(f, WT_INPUT_GZIP, 4096);
}

static void test_gzip_truncated(void **state)
{
    struct fx *f = *state;
    char msg[600];
    make_data(f, 200 * 1024);
    set_path(f, "full.gz");
    write_gz(f->path, f->data, f->len, 100 * 1024);
    size_t n;
    char *z = slurp(f->path, &n);

    /* Cut inside the second member. */
    set_path(f, "cut.gz");
    write_file(f->path, z, n - 100, "wb");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    assert_non_null(strstr(msg, "truncated gzip data"));
    assert_non_null(strstr(msg, "member 2"));
    assert_non_null(strstr(msg, "cut.gz: "));

    /* Cut inside the 8-byte trailer of the last member. */
    write_file(f->path, z, n - 3, "wb");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    assert_non_null(strstr(msg, "truncated gzip data"));

    /* Only the header. */
    write_file(f->path, z, 12, "wb");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    free(z);
}

static void test_gzip_corrupt(void **state)
{
    struct fx *f = *state;
    char msg[600];
    make_data(f, 100 * 1024);
    set_path(f, "c.gz");
    write_gz(f->path, f->data, f->len, f->len);
    size_t n;
    char *z = slurp(f->path, &n);

    /* A flipped byte in the data: a bad block or a CRC mismatch. */
    z[n / 2] ^= 0x5a;
    write_file(f->path, z, n, "wb");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    assert_non_null(strstr(msg, "corrupt gzip data"));
    z[n / 2] ^= 0x5a;

    /* Garbage after a complete member. */
    write_file(f->path, z, n, "wb");
    write_file(f->path, "not gzip\n", 9, "ab");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    assert_non_null(strstr(msg, "member 2"));
    free(z);
}

static void test_zstd(void **state)
{
    struct fx *f = *state;
    make_data(f, 1024 * 1024 + 17);
    set_path(f, "access.log.zst");
    append_zst(f->path, f->data, f->len, false);
    read_all(f, WT_INPUT_ZSTD, 256 * 1024);
    read_all(f, WT_INPUT_ZSTD, 3);
    assert_string_equal(wt_input_kind_name(WT_INPUT_ZSTD), "zstd");
    assert_string_equal(wt_input_kind_name(WT_INPUT_PLAIN), "plain");
}

static void test_zstd_frames(void **state)
{
    struct fx *f = *state;
    make_data(f, 500 * 1024);
    /* Three frames (one empty, one with a checksum), named .gz on purpose. */
    set_path(f, "wrong-name.gz");
    append_zst(f->path, f->data, 77777, false);
    append_zst(f->path, f->data + 77777, 0, false);
    append_zst(f->path, f->data + 77777, f->len - 77777, true);
    read_all(f, WT_INPUT_ZSTD, 128 * 1024);
    read_all(f, WT_INPUT_ZSTD, 9);
}

static void test_zstd_truncated(void **state)
{
    struct fx *f = *state;
    char msg[600];
    make_data(f, 300 * 1024);
    set_path(f, "full.zst");
    append_zst(f->path, f->data, 1000, false);
    append_zst(f->path, f->data + 1000, f->len - 1000, false);
    size_t n;
    char *z = slurp(f->path, &n);

    set_path(f, "cut.zst");
    write_file(f->path, z, n - 1000, "wb");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    assert_non_null(strstr(msg, "truncated zstd data"));
    assert_non_null(strstr(msg, "frame 2"));

    /* One byte short: the last block is incomplete. */
    write_file(f->path, z, n - 1, "wb");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    assert_non_null(strstr(msg, "truncated zstd data"));

    /* Only the magic. */
    write_file(f->path, z, 4, "wb");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    free(z);
}

static void test_zstd_corrupt(void **state)
{
    struct fx *f = *state;
    char msg[600];
    make_data(f, 200 * 1024);
    set_path(f, "c.zst");
    append_zst(f->path, f->data, f->len, true);
    size_t n;
    char *z = slurp(f->path, &n);

    /* A flipped byte: the checksum (or the block structure) catches it. */
    z[n / 2] ^= 0x5a;
    write_file(f->path, z, n, "wb");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    assert_non_null(strstr(msg, "corrupt zstd data"));
    z[n / 2] ^= 0x5a;

    /* Garbage after a complete frame. */
    write_file(f->path, z, n, "wb");
    write_file(f->path, "garbage!", 8, "ab");
    assert_int_equal(read_err(f->path, msg, sizeof(msg)), WT_EPARSE);
    assert_non_null(strstr(msg, "corrupt zstd data in frame 2"));
    free(z);
}

static void test_open_errors(void **state)
{
    struct fx *f = *state;
    struct wt_input in;
    char err[256];

    set_path(f, "missing.log");
    assert_int_equal(wt_input_open(&in, f->path, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "missing.log: No such file or directory"));
    wt_input_close(&in); /* fine after a failed open */

    assert_int_equal(wt_input_open(&in, f->dir, err, sizeof(err)), -EISDIR);
    assert_non_null(strstr(err, "Is a directory"));

    if (geteuid() != 0) {
        set_path(f, "secret.log");
        write_file(f->path, "x\n", 2, "wb");
        assert_int_equal(chmod(f->path, 0), 0);
        assert_int_equal(wt_input_open(&in, f->path, err, sizeof(err)), -EACCES);
    }
}

static void test_fifo(void **state)
{
    struct fx *f = *state;
    /* Not a regular file: size 0, still read to its end. */
    set_path(f, "fifo");
    assert_int_equal(mkfifo(f->path, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(f->path, O_WRONLY);
        const char msg[] = "line 1\nline 2\n";
        ssize_t w = write(fd, msg, sizeof(msg) - 1);
        _exit(w == (ssize_t)sizeof(msg) - 1 ? 0 : 1);
    }
    struct wt_input in;
    char err[256], buf[64];
    assert_int_equal(wt_input_open(&in, f->path, err, sizeof(err)), 0);
    assert_int_equal(in.size, 0);
    size_t got = 0;
    ssize_t n;
    while ((n = wt_input_read(&in, buf + got, sizeof(buf) - got)) > 0)
        got += (size_t)n;
    assert_int_equal(n, 0);
    assert_int_equal(got, 14);
    assert_memory_equal(buf, "line 1\nline 2\n", 14);
    wt_input_close(&in);
}

/* ------------------------------------------------------------------------ */
/* TIME                                                                     */
/* ------------------------------------------------------------------------ */

#define T_2024_05_01 1714521600000LL

static void ok_time(const char *s, int64_t want)
{
    int64_t got = -1;
    if (wt_parse_time_ms(s, &got) != 0)
        fail_msg("'%s' refused", s);
    if (got != want)
        fail_msg("'%s': %lld, want %lld", s, (long long)got, (long long)want);
}

static void bad_time(const char *s)
{
    int64_t got = 42;
    if (wt_parse_time_ms(s, &got) != WT_EPARSE)
        fail_msg("'%s' accepted as %lld", s, (long long)got);
}

static void test_time_valid(void **state)
{
    (void)state;
    ok_time("2024-05-01T00:00:00Z", T_2024_05_01);
    ok_time("2024-05-01", T_2024_05_01);
    ok_time("1714521600", T_2024_05_01);
    ok_time("@1714521600", T_2024_05_01);
    ok_time("1714521600.5", T_2024_05_01 + 500);
    ok_time("1714521600.123456", T_2024_05_01 + 123);
    ok_time("2024-05-01T12:00:00+02:00", T_2024_05_01 + 10 * 3600000LL);
    ok_time("2024-05-01T12:00:00-05:30", T_2024_05_01 + (17 * 60 + 30) * 60000LL);
    ok_time("2024-05-01T12:00:00+0530", T_2024_05_01 + (6 * 60 + 30) * 60000LL);
    ok_time("2024-05-01T12:00:00+02", T_2024_05_01 + 10 * 3600000LL);
    ok_time("2024-05-01T00:00:00+00:00", T_2024_05_01);
    ok_time("2024-05-01t10:20:30z", T_2024_05_01 + (10 * 3600 + 20 * 60 + 30) * 1000LL);
    ok_time("2024-05-01 10:20Z", T_2024_05_01 + (10 * 3600 + 20 * 60) * 1000LL);
    ok_time("2024-05-01T00:00:00.250Z", T_2024_05_01 + 250);
    ok_time("2024-05-01T00:00:00.5Z", T_2024_05_01 + 500);
    ok_time("2024-05-01T00:00:00,05Z", T_2024_05_01 + 50);
    ok_time("2024-05-01T00:00:00.123999999Z", T_2024_05_01 + 123);
    ok_time("2024-04-30T23:59:60Z", T_2024_05_01); /* leap second */
    ok_time("2024-02-29", 1709164800000LL);
    ok_time("2000-02-29T00:00:00Z", 951782400000LL);
    ok_time("1970-01-01", 0);
    ok_time("1970-01-01T01:00:00+01:00", 0);
    ok_time("0", 0);
    ok_time("9999-12-31T23:59:59Z", 253402300799000LL);
    ok_time("253402300799", 253402300799000LL);
}

static void test_time_invalid(void **state)
{
    (void)state;
    bad_time("");
    bad_time(" ");
    bad_time("now");
    bad_time("2024-05-01T00:00:00"); /* no zone: ambiguous */
    bad_time("2024-05-01T00:00");
    bad_time("2024-05-01T");
    bad_time("2024-05-01T00:00:00ZZ");
    bad_time("2024-05-01T00:00:00Z ");
    bad_time(" 2024-05-01");
    bad_time("2024-05-01x");
    bad_time("2024-5-1");
    bad_time("24-05-01");
    bad_time("2024/05/01");
    bad_time("2023-02-29");
    bad_time("2024-13-01");
    bad_time("2024-00-10");
    bad_time("2024-04-31");
    bad_time("2024-05-00");
    bad_time("2024-05-01T24:00:00Z");
    bad_time("2024-05-01T10:60:00Z");
    bad_time("2024-05-01T10:00:61Z");
    bad_time("2024-05-01T1:00:00Z");
    bad_time("2024-05-01T10:00:00.Z");
    bad_time("2024-05-01T10:00:00+24:00");
    bad_time("2024-05-01T10:00:00+02:60");
    bad_time("2024-05-01T10:00:00+2");
    bad_time("2024-05-01T10:00:00+02:");
    bad_time("2024-05-01T10:00:00+02:0");
    bad_time("2024-05-01T10:00:00+02:000");
    bad_time("1969-12-31");
    bad_time("1970-01-01T00:30:00+01:00"); /* before the epoch */
    bad_time("-1");
    bad_time("+1714521600");
    bad_time("1e9");
    bad_time("1714521600.");
    bad_time(".5");
    bad_time("1714521600.5.5");
    bad_time("@");
    bad_time("@2024-05-01");
    bad_time("1714521600 ");
    bad_time("99999999999999999999");
    bad_time("253402300800"); /* year 10000 */
    bad_time("10000-01-01");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_tiny_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gzip_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zstd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zstd_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zstd_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zstd_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test(test_time_valid),
        cmocka_unit_test(test_time_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
