/*
 * test_state_files.c - files under state_dir cannot be subverted (issue 17,
 * point 2): wt_write_atomic never writes through a planted symlink and is
 * never stopped by one; wt_dir_check_private refuses a symlinked, foreign or
 * group/other-writable directory.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_atomic_planted_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_check, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
