/*
 * test_state_files.c - files under state_dir cannot be subverted (issue 17,
 * point 2): wt_write_atomic never writes through a planted symlink and is
 * never stopped by one; wt_dir_check_private refuses a symlinked, foreign or
 * group/other-writable directory; wt_dir_check_ancestors refuses an unsafe
 * directory above one; state files are read without following a link;
 * wt_remove_stale_temps removes exactly the temp files a crash leaves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wt_common.h"

struct fx {
    char root[64];
};

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");
    snprintf(f->root, sizeof(f->root), "%s/wt_state_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->root))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    nftw(f->root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void put(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void expect_text(const char *path, const char *text)
{
    char buf[256] = "";
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    assert_string_equal(buf, text);
}

/* Entries of dir whose name starts with prefix. */
static unsigned count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    const struct dirent *e;
    unsigned n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* Symlinks planted at the old fixed temp name and at the destination:
 * the write goes to a new file, the targets are untouched, and it works
 * every time (checkpointing is never stopped). */
static void test_write_atomic_planted_symlinks(void **state)
{
    struct fx *f = *state;
    char target[128], tmp[128], dst[128], target2[128];
    snprintf(target, sizeof(target), "%s/precious", f->root);
    snprintf(target2, sizeof(target2), "%s/precious2", f->root);
    snprintf(tmp, sizeof(tmp), "%s/.checkpoints.json.tmp", f->root);
    snprintf(dst, sizeof(dst), "%s/checkpoints.json", f->root);
    put(target, "keep me");
    put(target2, "keep me too");
    assert_int_equal(symlink(target, tmp), 0);
    assert_int_equal(symlink(target2, dst), 0);
    for (int i = 0; i < 3; i++) {
        char data[32];
        snprintf(data, sizeof(data), "state %d", i);
        assert_int_equal(wt_write_atomic(f->root, "checkpoints.json", data, strlen(data)), 0);
        struct stat st;
        assert_int_equal(lstat(dst, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0600);
        expect_text(dst, data);
    }
    expect_text(target, "keep me");
    expect_text(target2, "keep me too");
    /* No temp file is left behind (the planted link is left alone). */
    assert_int_equal(count_prefix(f->root, ".checkpoints.json."), 1);
}

/* wt_create_unique: a new file every time, never an existing name. */
static void test_create_unique(void **state)
{
    struct fx *f = *state;
    char name[64], first[64];
    int dfd = open(f->root, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    int fd = wt_create_unique(dfd, ".x.", ".tmp", first, sizeof(first));
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(strncmp(first, ".x.", 3), 0);
    assert_int_equal(strlen(first), 3 + 6 + 4);
    for (int i = 0; i < 50; i++) {
        fd = wt_create_unique(dfd, ".x.", ".tmp", name, sizeof(name));
        assert_true(fd >= 0);
        close(fd);
        assert_string_not_equal(name, first);
    }
    assert_int_equal(count_prefix(f->root, ".x."), 51);
    assert_int_equal(wt_create_unique(dfd, ".x.", ".tmp", name, 8), -ENAMETOOLONG);
    close(dfd);
}

static void test_dir_check(void **state)
{
    struct fx *f = *state;
    char dir[128], link[128], file[128], err[512];
    snprintf(dir, sizeof(dir), "%s/state", f->root);
    snprintf(link, sizeof(link), "%s/link", f->root);
    snprintf(file, sizeof(file), "%s/file", f->root);

    /* Missing: fine, it will be created 0700. */
    assert_int_equal(wt_dir_check_private(dir, false, err, sizeof(err)), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(wt_dir_check_private(dir, false, err, sizeof(err)), 0);
    assert_int_equal(chmod(dir, 0755), 0);
    assert_int_equal(wt_dir_check_private(dir, false, err, sizeof(err)), 0);

    /* A symlink: refused unless allowed; then its target is checked. */
    assert_int_equal(symlink(dir, link), 0);
    assert_int_equal(wt_dir_check_private(link, false, err, sizeof(err)), -ELOOP);
    assert_non_null(strstr(err, "allow_symlinked_state"));
    assert_int_equal(wt_dir_check_private(link, true, err, sizeof(err)), 0);

    /* Writable by others or by the group. */
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(wt_dir_check_private(dir, false, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, "every user"));
    assert_int_equal(wt_dir_check_private(link, true, err, sizeof(err)), -EPERM);
    assert_int_equal(chmod(dir, 0770), 0);
    assert_int_equal(wt_dir_check_private(dir, false, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, "its group"));
    assert_int_equal(chmod(dir, 0700), 0);

    /* Not a directory. */
    put(file, "x");
    assert_int_equal(wt_dir_check_private(file, false, err, sizeof(err)), -ENOTDIR);

    /* Owned by another user (root can chown; others skip this part). */
    const struct passwd *pw = getpwnam("nobody");
    if (geteuid() != 0 || !pw) {
        print_message("skipped: the ownership check needs root and a user nobody\n");
        return;
    }
    assert_int_equal(chown(dir, pw->pw_uid, pw->pw_gid), 0);
    assert_int_equal(wt_dir_check_private(dir, false, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, "while running as root"));
}

/* State files are read only as regular files, never through a link. */
static void test_read_state_file(void **state)
{
    struct fx *f = *state;
    char file[128], link[128], fifo[128], *buf = NULL;
    size_t len = 0;
    snprintf(file, sizeof(file), "%s/sse-a.json", f->root);
    snprintf(link, sizeof(link), "%s/sse-b.json", f->root);
    snprintf(fifo, sizeof(fifo), "%s/sse-c.json", f->root);
    put(file, "{\"device_id\":\"x\"}");
    assert_int_equal(wt_read_state_file(file, 1024, &buf, &len), 0);
    assert_int_equal(len, strlen("{\"device_id\":\"x\"}"));
    wt_free(buf);
    assert_int_equal(wt_read_state_file(file, 4, &buf, &len), -EFBIG);

    /* A symlink to a readable file is refused, not followed. */
    assert_int_equal(symlink(file, link), 0);
    buf = NULL;
    assert_int_equal(wt_read_state_file(link, 1024, &buf, &len), WT_ESYMLINK);
    assert_null(buf);
    assert_non_null(strstr(wt_strerror(WT_ESYMLINK), "symbolic link"));
    /* ... while an operator's file (wt_read_file) may be one. */
    assert_int_equal(wt_read_file(link, 1024, &buf, &len), 0);
    wt_free(buf);

    /* A FIFO is refused at once (no block waiting for a writer). */
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(wt_read_state_file(fifo, 1024, &buf, &len), WT_ENOTREG);
    /* A directory too; a missing file is -ENOENT. */
    assert_int_equal(wt_read_state_file(f->root, 1024, &buf, &len), WT_ENOTREG);
    snprintf(file, sizeof(file), "%s/missing", f->root);
    assert_int_equal(wt_read_state_file(file, 1024, &buf, &len), -ENOENT);

    /* wt_state_open relative to a directory descriptor. */
    int dfd = open(f->root, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    int fd = wt_state_open(dfd, "sse-a.json");
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(wt_state_open(dfd, "sse-b.json"), WT_ESYMLINK);
    assert_int_equal(wt_state_open(dfd, "sse-c.json"), WT_ENOTREG);
    close(dfd);
}

/* Set the mtime of path (not following a link) to age_s seconds ago. */
static void age(const char *path, int age_s)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= age_s;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static bool exists(const char *root, const char *name)
{
    char p[256];
    struct stat st;
    snprintf(p, sizeof(p), "%s/%s", root, name);
    return lstat(p, &st) == 0;
}

/* Stale temp files of wt_write_atomic are removed, nothing else is. */
static void test_remove_stale_temps(void **state)
{
    struct fx *f = *state;
    char p[256], target[128];
    snprintf(target, sizeof(target), "%s/outside", f->root);
    put(target, "keep me");
    static const char *const stale[] = {".checkpoints.json.AbC123", ".sse-x.json.zZ9yY8"};
    static const char *const kept[] = {
        "checkpoints.json",      /* the state file itself */
        ".checkpoints.json.tmp", /* not the pattern: a suffix */
        ".cursor-a.AbC123.tmp",  /* the spool's cursor temp (the spool's own) */
        ".x.ABCDE",              /* five characters */
        ".x.ABC-EF",             /* not alphanumeric */
        "..ABCDEF",              /* an empty name */
        "x.json.ABCDEF",         /* no leading dot */
    };
    for (size_t i = 0; i < 1; i++) {
        snprintf(p, sizeof(p), "%s/%s", f->root, stale[i]);
        put(p, "half written");
        age(p, 2 * WT_STALE_TEMP_AGE_S);
    }
    /* A symlink named like a temp file: the name goes, its target stays. */
    snprintf(p, sizeof(p), "%s/%s", f->root, stale[1]);
    assert_int_equal(symlink(target, p), 0);
    age(p, 2 * WT_STALE_TEMP_AGE_S);
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", f->root, kept[i]);
        put(p, "x");
        age(p, 2 * WT_STALE_TEMP_AGE_S);
    }
    /* A directory of the pattern, and a young temp file (a write of
     * another process in progress): left alone. */
    snprintf(p, sizeof(p), "%s/.dir.ABCDEF", f->root);
    assert_int_equal(mkdir(p, 0700), 0);
    age(p, 2 * WT_STALE_TEMP_AGE_S);
    snprintf(p, sizeof(p), "%s/.young.ABCDEF", f->root);
    put(p, "being written");

    assert_int_equal(wt_remove_stale_temps(f->root, WT_STALE_TEMP_AGE_S), 2);
    for (size_t i = 0; i < 2; i++)
        assert_false(exists(f->root, stale[i]));
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        assert_true(exists(f->root, kept[i]));
    assert_true(exists(f->root, ".dir.ABCDEF"));
    assert_true(exists(f->root, ".young.ABCDEF"));
    expect_text(target, "keep me");
    assert_int_equal(wt_remove_stale_temps(f->root, WT_STALE_TEMP_AGE_S), 0);
    /* Age 0: the young one goes too; a missing directory is 0. */
    assert_int_equal(wt_remove_stale_temps(f->root, 0), 1);
    snprintf(p, sizeof(p), "%s/missing", f->root);
    assert_int_equal(wt_remove_stale_temps(p, 0), 0);
}

/* The directories above a state directory (the safe-path rule). */
static void test_dir_ancestors(void **state)
{
    struct fx *f = *state;
    char a[128], b[128], st_dir[160], err[1024], bad[128], good[128], link[160], via[200],
        inner[160];
    if (wt_dir_check_ancestors(f->root, err, sizeof(err)) != 0) {
        print_message("skipped: the test directory itself sits in an unsafe place: %s\n", err);
        return;
    }
    snprintf(a, sizeof(a), "%s/a", f->root);
    snprintf(b, sizeof(b), "%s/a/b", f->root);
    snprintf(st_dir, sizeof(st_dir), "%s/a/b/state", f->root);
    assert_int_equal(mkdir(a, 0755), 0);
    assert_int_equal(mkdir(b, 0700), 0);
    assert_int_equal(wt_dir_check_ancestors(st_dir, err, sizeof(err)), 0);
    /* Missing ancestors are fine (created 0700). */
    snprintf(via, sizeof(via), "%s/a/b/x/y/state", f->root);
    assert_int_equal(wt_dir_check_ancestors(via, err, sizeof(err)), 0);

    /* Group-writable without the sticky bit: refused, naming it. */
    assert_int_equal(chmod(a, 0775), 0);
    assert_int_equal(wt_dir_check_ancestors(st_dir, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, a));
    assert_non_null(strstr(err, "writable by its group without the sticky bit"));
    assert_int_equal(wt_dir_check_ancestors(via, err, sizeof(err)), -EPERM);
    assert_int_equal(chmod(a, 0757), 0);
    assert_int_equal(wt_dir_check_ancestors(st_dir, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, "writable by every user"));
    /* With the sticky bit (like /tmp): fine. */
    assert_int_equal(chmod(a, 01777), 0);
    assert_int_equal(wt_dir_check_ancestors(st_dir, err, sizeof(err)), 0);
    assert_int_equal(chmod(a, 0755), 0);
    /* The state directory's own mode is not this check's business. */
    assert_int_equal(mkdir(st_dir, 0777), 0);
    assert_int_equal(chmod(st_dir, 0777), 0);
    assert_int_equal(wt_dir_check_ancestors(st_dir, err, sizeof(err)), 0);

    /* Through a symlink: where the link leads is checked too. */
    snprintf(bad, sizeof(bad), "%s/bad", f->root);
    snprintf(good, sizeof(good), "%s/good", f->root);
    snprintf(link, sizeof(link), "%s/good/link", f->root);
    snprintf(via, sizeof(via), "%s/good/link/state", f->root);
    assert_int_equal(mkdir(bad, 0700), 0);
    assert_int_equal(chmod(bad, 0770), 0);
    snprintf(inner, sizeof(inner), "%s/bad/inner", f->root);
    assert_int_equal(mkdir(inner, 0700), 0);
    assert_int_equal(mkdir(good, 0755), 0);
    assert_int_equal(symlink(inner, link), 0);
    assert_int_equal(wt_dir_check_ancestors(via, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, bad));
    assert_int_equal(chmod(bad, 0700), 0);
    assert_int_equal(wt_dir_check_ancestors(via, err, sizeof(err)), 0);

    /* A relative path is taken from the working directory. */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(b), 0);
    assert_int_equal(chmod(a, 0775), 0);
    assert_int_equal(wt_dir_check_ancestors("state", err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, a));
    assert_int_equal(chmod(a, 0755), 0);
    assert_int_equal(chdir(cwd), 0);

    /* Owned by another user who is not root (root can chown). */
    const struct passwd *pw = getpwnam("nobody");
    if (geteuid() != 0 || !pw) {
        print_message("skipped: the ownership check needs root and a user nobody\n");
        return;
    }
    assert_int_equal(chown(a, pw->pw_uid, pw->pw_gid), 0);
    assert_int_equal(wt_dir_check_ancestors(st_dir, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, a));
    assert_non_null(strstr(err, "neither root nor the daemon's user"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_atomic_planted_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_state_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_stale_temps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_ancestors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
