/*
 * tail_scan.c - finding the files to follow: open a file (resuming from its
 * checkpoint or spool position, or from the index's committed records after
 * a crash), run the inputs' globs, and follow rotation out of the globs:
 * rotated files found again by identity (device, inode, fingerprint) next
 * to the names they had, adopted as orphans to be read to their end.
 * Reading and change detection are in tail_read.c; tail.c has the life
 * cycle, acks and checkpoints.
 */
#include "tail_int.h"
#include "tail.h"
#include "state_health.h"
#include "checkpoint.h"
#include "input_file.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Opening and scanning                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Where a file resumes: the newest of its checkpoint and the positions in
 * the spool's records, so a line that reached the spool is never spooled
 * again. Among the entries for (dev, ino), the highest generation wins, and
 * within it the largest offset. *found: there was an entry.
 */
static struct wt_srcpos resume_point(const struct wt_tail *t, uint64_t dev, uint64_t ino,
                                     bool *found, bool *from_spool)
{
    struct wt_srcpos best = {0};
    *found = *from_spool = false;
    for (size_t i = 0; i < t->nloaded + t->nspos; i++) {
        struct wt_srcpos c;
        bool spool = i >= t->nloaded;
        if (!spool) {
            const struct wt_ckpt *k = &t->loaded[i];
            c = (struct wt_srcpos){k->dev, k->ino,    k->fp,     k->fp_len,
                                   k->gen, k->offset, k->lineno, k->size};
        } else {
            c = t->spos[i - t->nloaded];
        }
        if (c.dev != dev || c.ino != ino)
            continue;
        if (!*found || c.gen > best.gen || (c.gen == best.gen && c.offset > best.offset)) {
            best = c;
            *from_spool = spool;
        }
        *found = true;
    }
    return best;
}

/* Start of the last line: the offset after the last newline before size. */
static uint64_t last_line_start(int fd, uint64_t size)
{
    char buf[64 * 1024];
    uint64_t from = size > sizeof(buf) ? size - sizeof(buf) : 0;
    ssize_t r = pread(fd, buf, (size_t)(size - from), (off_t)from);
    if (r <= 0)
        return size;
    for (ssize_t i = r; i-- > 0;) {
        if (buf[i] == '\n')
            return from + (uint64_t)i + 1;
    }
    return from == 0 ? 0 : size;
}

/*
 * The index commits on its own schedule, so after a crash it may end before
 * or after where f resumes (the last line that reached the spool). Before:
 * read from the index's position, and the lines up to the resume point are
 * only indexed (they are in the spool already). After: the lines up to the
 * index's position are shipped but not indexed again. resumed: a previous
 * run read f (a checkpoint or spool position); if the index holds nothing
 * of this generation of f, it starts at 0, unless f was last written
 * before the retention window (nothing in it would be indexed).
 */
static void index_recovery(struct wt_tail *t, struct tfile *f, int fd, bool resumed,
                           int64_t mtime_ms)
{
    if (!t->indexing)
        return;
    struct wt_srcpos c = {0};
    bool have = false;
    for (size_t i = 0; i < t->nipos && !have; i++) {
        const struct wt_srcpos *k = &t->ipos[i];
        have = k->dev == f->dev && k->ino == f->ino && k->gen == f->gen && k->offset <= f->size &&
               wt_fp_matches(fd, k->fp, k->fp_len) == 1;
        if (have)
            c = *k;
    }
    if (!have && (!resumed || mtime_ms < wt_wall_ms() - t->cfg->retention_ms))
        return;
    if (c.offset < f->off) {
        wt_log_info("tail",
                    "%s: re-indexing lines %llu to %llu (%llu bytes) that reached the spool "
                    "but not the index before a crash",
                    f->path, (unsigned long long)c.lineno + 1, (unsigned long long)f->sp.lineno,
                    (unsigned long long)(f->off - c.offset));
        f->src.ship_from = f->off;
        f->off = c.offset;
        f->sp.lineno = c.lineno;
        f->dirty = true;
    } else if (c.offset > f->off) {
        wt_log_info("tail",
                    "%s: the index holds lines up to %llu already: shipping them without "
                    "indexing them again",
                    f->path, (unsigned long long)c.lineno);
        f->src.index_from = c.offset;
    }
}

static void open_file(struct wt_tail *t, const char *path, const struct wt_input_cfg *icfg)
{
    if (t->nfiles >= WT_TAIL_MAX_FILES) {
        wt_log_once(&t->warned_limit, WT_LOG_WARN, "tail",
                    "more than %d files match the inputs; %s and further ones are not followed",
                    WT_TAIL_MAX_FILES, path);
        return;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        wt_log_warn("tail", "%s: cannot open: %s", path, strerror(errno));
        t->failing = true;
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    /* The path may have been replaced between stat and open: already followed? */
    struct tfile *dup = wt__tail_find_by_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
    if (dup) {
        dup->seen = true;
        close(fd);
        return;
    }
    struct tfile *f = wt_calloc(1, sizeof(*f));
    if (!f) {
        close(fd);
        wt_log_error("tail", "out of memory");
        return;
    }
    snprintf(f->path, sizeof(f->path), "%s", path);
    f->fd = fd;
    f->dev = (uint64_t)st.st_dev;
    f->ino = (uint64_t)st.st_ino;
    f->size = (uint64_t)st.st_size;
    f->seen = true;

    uint64_t off = 0, lineno = 0;
    const char *how = "from the start";
    bool found, from_spool;
    const struct wt_srcpos c = resume_point(t, f->dev, f->ino, &found, &from_spool);
    if (found && wt_fp_matches(fd, c.fp, c.fp_len) == 1 && c.offset <= f->size) {
        off = c.offset;
        lineno = c.lineno;
        f->gen = c.gen;
        how = from_spool ? "from its last spooled line" : "from its checkpoint";
    } else if (found) {
        /* Truncated (copytruncate) or replaced while we were down: a new
         * generation. What the old one held past our position is gone. */
        const uint64_t unread = c.size > c.offset ? c.size - c.offset : 0;
        f->gen = c.gen + 1;
        wt_metric_add(t->m_unread, unread);
        wt_log_warn("tail",
                    "%s was truncated or replaced while wtexport was not running (first "
                    "bytes or size no longer match position %llu of generation %u): reading "
                    "it from the start; %llu bytes of the previous content were never read",
                    path, (unsigned long long)c.offset, (unsigned)c.gen,
                    (unsigned long long)unread);
        how = "from the start (a new generation)";
    } else if (t->initial_scan && icfg && wt_input_file_read_from_end(icfg)) {
        off = last_line_start(fd, f->size);
        how = "from the end (read_from: end)";
    }
    wt_fp_of_fd(fd, &f->fp, &f->fp_len);
    t->seen[t->nseen++ % WT_TAIL_SEEN_MAX] = (struct seenfile){f->dev, f->ino, f->fp, f->fp_len};
    wt__tail_new_generation(t, f, off, lineno, icfg);
    index_recovery(t, f, fd, found,
                   (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
    wt__tail_lag_metric(t, f);
    f->next = t->files;
    t->files = f;
    t->nfiles++;
    wt_metric_set(t->m_files, (int64_t)t->nfiles);
    wt_log_info("tail", "following %s %s (offset %llu)", path, how, (unsigned long long)off);
}

/* ------------------------------------------------------------------------ */
/* Rotation out of the globs: files found by identity                       */
/* ------------------------------------------------------------------------ */

/* The directory part of path ("." if none). */
static void dir_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* A name a rotation tool gives a compressed copy: never read as text. */
static bool compressed_name(const char *name)
{
    static const char *const sfx[] = {".gz", ".zst", ".bz2", ".xz", ".lz4", ".Z", ".zip"};
    const size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        const size_t k = strlen(sfx[i]);
        if (n > k && strcmp(name + n - k, sfx[i]) == 0)
            return true;
    }
    return false;
}

/* The input of a file found outside the globs: the one whose glob matched
 * its old path, else the first whose glob lies in the same directory. */
static const struct wt_input_cfg *input_near(const struct wt_config *cfg, const char *old_path,
                                             const char *dir)
{
    const struct wt_input_cfg *in = wt__tail_input_for(cfg, old_path);
    char d[PATH_MAX];
    for (size_t i = 0; !in && i < cfg->ninputs; i++) {
        const char *pattern = wt_input_file_path(&cfg->inputs[i]);
        if (!pattern)
            continue; /* not a file input */
        dir_of(pattern, d, sizeof(d));
        if (strcmp(d, dir) == 0)
            in = &cfg->inputs[i];
    }
    return in;
}

/* Follow path, found outside the globs, as an orphan: finish it, then close. */
static struct tfile *adopt(struct wt_tail *t, const char *path, const struct wt_input_cfg *icfg,
                           const char *why)
{
    const size_t before = t->nfiles;
    open_file(t, path, icfg);
    if (t->nfiles == before)
        return NULL;
    struct tfile *f = t->files; /* open_file puts it first */
    f->orphan = true;
    f->dirty = true;
    wt_metric_add(t->m_adopted, 1);
    wt_log_info("tail", "%s: %s: finishing it", path, why);
    return f;
}

static bool ts_after(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/*
 * Was the file at path (st) opened before, or is it a copy of one (a
 * copytruncate rotation)? Same first bytes as a file opened before; the
 * inode alone is not enough (inodes are reused).
 */
static bool seen_before(const struct wt_tail *t, const char *path, const struct stat *st)
{
    char buf[WT_FP_BYTES];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return true; /* cannot tell: leave it */
    const ssize_t got = wt_pread_full(fd, buf, sizeof(buf), 0);
    close(fd);
    if (got < 0)
        return true;
    const uint64_t full = wt_fp_hash(buf, (size_t)got);
    const unsigned n = t->nseen < WT_TAIL_SEEN_MAX ? t->nseen : WT_TAIL_SEEN_MAX;
    for (unsigned i = 0; i < n; i++) {
        const struct seenfile *e = &t->seen[i];
        if (e->fp_len > (uint32_t)got)
            continue;
        const uint64_t h = e->fp_len == (uint32_t)got ? full : wt_fp_hash(buf, e->fp_len);
        /* A copy is told by a whole fingerprint; shorter ones (a file
         * opened nearly empty) could match another file's first line. */
        if (h == e->fp && (e->fp_len == WT_FP_BYTES ||
                           (e->dev == (uint64_t)st->st_dev && e->ino == (uint64_t)st->st_ino)))
            return true;
    }
    return false;
}

/* Remember that a file under glob match path was rotated away, written last at mtime. */
static void rot_note(struct wt_tail *t, const char *path, const struct timespec *mtime)
{
    unsigned i = 0;
    while (i < t->nrot && strcmp(t->rot[i].path, path) != 0)
        i++;
    if (i == t->nrot) {
        if (t->nrot == WT_TAIL_MAX_ROTNAMES)
            return;
        snprintf(t->rot[i].path, sizeof(t->rot[i].path), "%s", path);
        t->rot[i].hwm = *mtime;
        t->nrot++;
    } else if (ts_after(mtime, &t->rot[i].hwm)) {
        t->rot[i].hwm = *mtime;
    }
}

/*
 * Files that appeared under a glob-matched name and were rotated away
 * before any scan saw them are in the same directory, named
 * <name>[.-_@]..., never opened, and written no earlier than the newest
 * file already rotated away from that name (older rotated files were
 * written before it; same-tick ones are told apart by seen_before).
 * Follow each from its start.
 */
static void adopt_siblings(struct wt_tail *t, struct rotname *r)
{
    char dir[PATH_MAX], path[PATH_MAX + 256];
    dir_of(r->path, dir, sizeof(dir));
    const char *slash = strrchr(r->path, '/');
    const char *base = slash ? slash + 1 : r->path;
    const size_t blen = strlen(base);
    const struct wt_input_cfg *in = input_near(t->cfg, r->path, dir);
    DIR *d = in && blen ? opendir(dir) : NULL;
    if (!d)
        return;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strncmp(e->d_name, base, blen) != 0 || e->d_name[blen] == '\0' ||
            !strchr(".-_@", e->d_name[blen]) || compressed_name(e->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || ts_after(&r->hwm, &st.st_mtim) ||
            wt__tail_find_by_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino) ||
            seen_before(t, path, &st))
            continue;
        /* hwm stays: a file older than this one may still have been
         * under the glob's name while the directory was read. */
        adopt(t, path, in, "rotated away before it was ever opened");
    }
    closedir(d);
}

static void rot_scan(struct wt_tail *t)
{
    for (unsigned i = 0; i < t->nrot; i++)
        adopt_siblings(t, &t->rot[i]);
}

/* A followed file was rotated out of the globs. */
static void rotated_away(struct wt_tail *t, struct tfile *f)
{
    struct stat st;
    if (fstat(f->fd, &st) == 0 && wt__tail_input_for(t->cfg, f->path))
        rot_note(t, f->path, &st.st_mtim);
}

/* The name of the regular file in dir with (dev, ino), if any. */
static bool find_in_dir(const char *dir, uint64_t dev, uint64_t ino, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    const struct dirent *e;
    bool found = false;
    if (!d)
        return false;
    while (!found && (e = readdir(d)) != NULL) {
        struct stat st;
        if ((uint64_t)e->d_ino != ino)
            continue;
        snprintf(out, cap, "%s/%s", dir, e->d_name);
        found = stat(out, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_dev == dev &&
                (uint64_t)st.st_ino == ino;
    }
    closedir(d);
    return found;
}

/*
 * At start, after the first scan: a checkpointed file that no glob found
 * under its path was renamed away while wtexport was down (or while it
 * was finishing it). Look for it by identity (device, inode, then the
 * fingerprint in open_file) in the same directory and finish it from its
 * checkpoint. Then, for each name that lost a file so, look for files
 * rotated through that name meanwhile: written after the newest file the
 * checkpoint knows under it (whatever was read before is older).
 */
void wt__tail_find_moved(struct wt_tail *t)
{
    bool *moved = wt_calloc(t->nloaded + 1, sizeof(*moved));
    if (!moved)
        return;
    for (size_t i = 0; i < t->nloaded; i++) {
        const struct wt_ckpt *c = &t->loaded[i];
        char dir[PATH_MAX], path[PATH_MAX + 256];
        if (wt__tail_find_by_inode(t, c->dev, c->ino))
            continue;
        dir_of(c->path, dir, sizeof(dir));
        const struct wt_input_cfg *in = input_near(t->cfg, c->path, dir);
        if (in && find_in_dir(dir, c->dev, c->ino, path, sizeof(path)))
            moved[i] = adopt(t, path, in, "renamed away (found by identity)") != NULL;
    }
    /* Each name files are rotated away from: a literal input path, or a
     * checkpointed path a glob matches. Its family: the checkpointed files
     * under it or under a rotated name of it (<name>[.-_@]...). */
    for (size_t i = 0; i < t->cfg->ninputs + t->nloaded; i++) {
        const bool lit = i < t->cfg->ninputs;
        const char *name =
            lit ? wt_input_file_path(&t->cfg->inputs[i]) : t->loaded[i - t->cfg->ninputs].path;
        if (!name || (lit ? strpbrk(name, "*?[") != NULL : !wt__tail_input_for(t->cfg, name)))
            continue;
        const size_t nlen = strlen(name);
        bool found = false, any_moved = false;
        struct timespec since = {0, 0};
        for (size_t j = 0; j < t->nloaded; j++) {
            const char *p = t->loaded[j].path;
            if (strncmp(p, name, nlen) != 0 || (p[nlen] && !strchr(".-_@", p[nlen])))
                continue;
            const struct tfile *f = wt__tail_find_by_inode(t, t->loaded[j].dev, t->loaded[j].ino);
            struct stat st;
            any_moved |= moved[j];
            if (f && fstat(f->fd, &st) == 0) {
                found = true;
                if (ts_after(&st.st_mtim, &since))
                    since = st.st_mtim;
            }
        }
        /* Only a name that lost a file to a rename out of the globs: a
         * copy (copytruncate) next to a name is not a rotated file. */
        if (found && any_moved)
            rot_note(t, name, &since);
    }
    wt_free(moved);
    rot_scan(t);
}

/* Does path still name f's inode? */
static bool same_inode(const char *path, const struct tfile *f)
{
    struct stat st;
    return stat(path, &st) == 0 && (uint64_t)st.st_ino == f->ino && (uint64_t)st.st_dev == f->dev;
}

/* Run every glob; new files are opened, known ones marked seen. */
void wt__tail_scan(struct wt_tail *t)
{
    bool failing = false;
    for (struct tfile *f = t->files; f; f = f->next)
        f->seen = false;
    for (size_t i = 0; i < t->cfg->ninputs; i++) {
        const struct wt_input_cfg *in = &t->cfg->inputs[i];
        const char *pattern = wt_input_file_path(in);
        if (!pattern)
            continue; /* not a file input */
        glob_t g;
        int rc = glob(pattern, GLOB_NOSORT, NULL, &g);
        if (rc == GLOB_NOMATCH) {
            globfree(&g);
            continue;
        }
        if (rc != 0) {
            wt_log_warn("tail", "%s: glob failed (%d)", pattern, rc);
            failing = true;
            globfree(&g);
            continue;
        }
        for (size_t k = 0; k < g.gl_pathc; k++) {
            const char *path = g.gl_pathv[k];
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            struct tfile *f = wt__tail_find_by_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
            if (f) {
                if (strcmp(f->path, path) != 0 && !same_inode(f->path, f)) {
                    /* Renamed (within the globs): follow the new name. */
                    snprintf(f->path, sizeof(f->path), "%s", path);
                    f->src.path = (struct wt_str){f->path, strlen(f->path)};
                    wt__tail_lag_metric(t, f);
                }
                f->seen = true;
                if (f->orphan) {
                    f->orphan = false;
                    f->eof_since = 0;
                }
                continue;
            }
            open_file(t, path,
                      wt__tail_input_for(t->cfg, path) ? wt__tail_input_for(t->cfg, path) : in);
        }
        globfree(&g);
    }
    /* Files no longer matched (renamed away, deleted): finish them. */
    for (struct tfile *f = t->files; f; f = f->next) {
        if (f->fd >= 0 && !f->seen && !f->orphan) {
            f->orphan = true;
            f->dirty = true;
            wt_metric_add(t->m_rotations, 1);
            wt_log_info("tail", "%s was rotated away or deleted: finishing it", f->path);
            rotated_away(t, f);
        }
    }
    rot_scan(t);
    t->failing = failing;
    wt_metrics_problem(t->m, "inputs", failing ? "an input glob failed" : NULL);
    wt__tail_start_reader(t);
}
