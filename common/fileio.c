/*
 * fileio.c - whole reads and writes, atomic small files, private
 * directories (see wt_common.h). Blocking: callers on the event loop use
 * them for small files or run them on the thread pool.
 */
#include "wt_common.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int wt_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

ssize_t wt_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Read all of fd (at most max bytes) and close it. */
static int read_fd_all(int fd, size_t max, char **out, size_t *len)
{
    /* One byte more than allowed tells a too-large file. */
    char *buf = wt_malloc(max + 1);
    size_t n = 0;
    int rc = buf ? 0 : -ENOMEM;
    while (rc == 0 && n <= max) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = -errno;
        else if (r == 0)
            break;
        else
            n += (size_t)r;
    }
    close(fd);
    if (rc == 0 && n > max)
        rc = -EFBIG;
    if (rc != 0) {
        wt_free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return 0;
}

int wt_read_file(const char *path, size_t max, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return read_fd_all(fd, max, out, len);
}

int wt_state_open(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return errno == ELOOP ? WT_ESYMLINK : -errno;
    struct stat st;
    int rc = fstat(fd, &st) != 0 ? -errno : S_ISREG(st.st_mode) ? 0 : WT_ENOTREG;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    return fd;
}

int wt_read_state_file(const char *path, size_t max, char **out, size_t *len)
{
    int fd = wt_state_open(AT_FDCWD, path);
    if (fd < 0)
        return fd;
    return read_fd_all(fd, max, out, len);
}

/* Is name exactly .<something>.XXXXXX (X in [A-Za-z0-9])? */
static bool is_atomic_temp(const char *name)
{
    const size_t n = strlen(name);
    if (n < 9 || name[0] != '.' || name[n - 7] != '.')
        return false;
    for (size_t i = n - 6; i < n; i++) {
        const char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

int wt_remove_stale_temps(const char *dir, unsigned min_age_s)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : -errno;
    DIR *d = fdopendir(dfd);
    if (!d) {
        int rc = -errno;
        close(dfd);
        return rc;
    }
    const time_t now = time(NULL);
    int removed = 0;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!is_atomic_temp(e->d_name) || fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) || st.st_mtime > now - (time_t)min_age_s)
            continue;
        if (unlinkat(dfd, e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int wt_fsync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    int rc = fsync(dfd) != 0 ? -errno : 0;
    close(dfd);
    return rc;
}

int wt_create_unique(int dirfd, const char *prefix, const char *suffix, char *name, size_t cap)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static _Atomic unsigned long counter;
    struct timespec ts;
    for (int tries = 0; tries < 100; tries++) {
        clock_gettime(CLOCK_REALTIME, &ts);
        /* Unique enough within the process; O_EXCL settles the rest. */
        unsigned long v = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 20) ^
                          (++counter * 2654435761UL);
        char x[7];
        for (int i = 0; i < 6; i++, v /= 62)
            x[i] = set[v % 62];
        x[6] = '\0';
        if ((size_t)snprintf(name, cap, "%s%s%s", prefix, x, suffix) >= cap)
            return -ENAMETOOLONG;
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}

int wt_write_atomic(const char *dir, const char *name, const void *data, size_t len)
{
    char tmp[512], prefix[300];
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    snprintf(prefix, sizeof(prefix), ".%s.", name);
    int fd = wt_create_unique(dfd, prefix, "", tmp, sizeof(tmp));
    if (fd < 0) {
        close(dfd);
        return fd;
    }
    int rc = wt_write_all(fd, data, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    /* rename replaces whatever is at name, a planted symlink included. */
    if (rc == 0 && renameat(dfd, tmp, dfd, name) != 0)
        rc = -errno;
    if (rc != 0)
        unlinkat(dfd, tmp, 0);
    else if (fsync(dfd) != 0)
        rc = -errno;
    close(dfd);
    return rc;
}

int wt_dir_check_private(const char *path, bool allow_symlink, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -errno;
    }
    if (S_ISLNK(st.st_mode)) {
        if (!allow_symlink) {
            snprintf(err, errlen,
                     "%s is a symbolic link: refused (whoever can change the link decides "
                     "where state is written); use the real path, or set "
                     "allow_symlinked_state: true",
                     path);
            return -ELOOP;
        }
        if (stat(path, &st) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return -errno;
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory", path);
        return -ENOTDIR;
    }
    const uid_t me = geteuid();
    if (st.st_uid != me) {
        if (me == 0)
            snprintf(err, errlen,
                     "%s is owned by uid %u, not by root, while running as root: refused "
                     "(its owner could plant files that root then writes through); "
                     "chown it to root or run as its owner",
                     path, (unsigned)st.st_uid);
        else
            snprintf(err, errlen,
                     "%s is owned by uid %u, not by the daemon's user (uid %u): refused; "
                     "chown it to the daemon's user",
                     path, (unsigned)st.st_uid, (unsigned)me);
        return -EPERM;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen,
                 "%s is writable by %s (mode %04o): refused (another user could plant "
                 "files in it); chmod go-w it (0700 is best)",
                 path, st.st_mode & S_IWOTH ? "every user" : "its group",
                 (unsigned)(st.st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

/* One ancestor: owned by root or us, not writable by others unless sticky. */
static int ancestor_ok(const char *dir, const struct stat *st, const char *of, char *err,
                       size_t errlen)
{
    const uid_t me = geteuid();
    if (!S_ISDIR(st->st_mode)) {
        snprintf(err, errlen, "%s (above %s) is not a directory", dir, of);
        return -ENOTDIR;
    }
    if (st->st_uid != 0 && st->st_uid != me) {
        snprintf(err, errlen,
                 "%s (above %s) is owned by uid %u, neither root nor the daemon's user "
                 "(uid %u): refused (its owner could move the state directory away); "
                 "keep state under directories owned by root or the daemon's user",
                 dir, of, (unsigned)st->st_uid, (unsigned)me);
        return -EPERM;
    }
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX)) {
        snprintf(err, errlen,
                 "%s (above %s) is writable by %s without the sticky bit (mode %04o): "
                 "refused (another user could rename the state directory away and plant "
                 "their own); chmod go-w it, or chmod +t it if it is shared like /tmp",
                 dir, of, st->st_mode & S_IWOTH ? "every user" : "its group",
                 (unsigned)(st->st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

/* stat and check one directory of a chain: 0, 1 (missing), or an error. */
static int chain_dir(const char *dir, const char *of, char *err, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno == ENOENT)
            return 1;
        int rc = -errno;
        snprintf(err, errlen, "%s (above %s): %s", dir, of, strerror(-rc));
        return rc;
    }
    return ancestor_ok(dir, &st, of, err, errlen);
}

/* Check "/" and each prefix of abs (absolute) ending before a slash, and
 * abs itself if include_self; stop at the first that does not exist.
 * *deepest (if given) gets the length of the deepest existing prefix. */
static int check_chain(const char *abs, bool include_self, const char *of, size_t *deepest,
                       char *err, size_t errlen)
{
    char p[PATH_MAX];
    if ((size_t)snprintf(p, sizeof(p), "%s", abs) >= sizeof(p)) {
        snprintf(err, errlen, "%s: path too long", abs);
        return -ENAMETOOLONG;
    }
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    if (deepest)
        *deepest = 0;
    int rc = chain_dir("/", of, err, errlen);
    if (rc != 0)
        return rc > 0 ? 0 : rc;
    if (deepest)
        *deepest = 1;
    for (size_t i = 1; i <= n; i++) {
        if ((i < n && p[i] != '/') || p[i - 1] == '/')
            continue; /* inside a name, or a doubled slash */
        if (i == n && !include_self)
            break;
        const char keep = p[i];
        p[i] = '\0';
        rc = chain_dir(p, of, err, errlen);
        p[i] = keep;
        if (rc != 0)
            return rc > 0 ? 0 : rc;
        if (deepest)
            *deepest = i;
    }
    return 0;
}

int wt_dir_check_ancestors(const char *path, char *err, size_t errlen)
{
    char abs[PATH_MAX], real[PATH_MAX];
    if (path[0] == '/') {
        snprintf(abs, sizeof(abs), "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd))) {
            snprintf(err, errlen, "%s: cannot resolve: %s", path, strerror(errno));
            return -errno;
        }
        if ((size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >= sizeof(abs)) {
            snprintf(err, errlen, "%s: path too long", path);
            return -ENAMETOOLONG;
        }
    }
    /* Along the path as written: the directories holding each name. */
    size_t deepest = 0;
    int rc = check_chain(abs, false, path, &deepest, err, errlen);
    if (rc != 0 || deepest == 0)
        return rc;
    /* Along the real path of the deepest existing ancestor: where a
     * symlinked component really leads. */
    abs[deepest] = '\0';
    if (!realpath(abs, real)) {
        rc = -errno;
        snprintf(err, errlen, "%s (above %s): %s", abs, path, strerror(-rc));
        return rc;
    }
    return check_chain(real, true, path, NULL, err, errlen);
}

int wt_mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *s = tmp + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -errno;
    return access(tmp, W_OK | X_OK) == 0 ? 0 : -errno;
}
