/*
 * tail.c - follow files matching globs and feed their lines to the pipeline.
 *
 * A followed file is identified by (device, inode) plus a fingerprint of its
 * first bytes. Its read offset `off` is always just after the last complete
 * line handed to the pipeline; `acked` is the offset the pipeline has acked,
 * which is what the checkpoint stores. Each file generation (a new file, or
 * the same file after truncation) gets a fresh source id, so acks of an
 * older generation can never move a newer one.
 *
 * Change detection: inotify on the inputs' directories (uv_fs_event) wakes
 * the reader at once, a poll timer (WT_TAIL_POLL_MS) fstat()s every file as
 * a safety net and checks fingerprints (copytruncate), and a rescan timer
 * (scan_interval, or sooner after a create/rename event) re-runs the globs.
 */
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

/* Delay of the re-scan after a create/rename event in a watched directory. */
#define WT_TAIL_RESCAN_DELAY_MS 50
/* Watched directories at most. */
#define WT_TAIL_MAX_WATCHES 64
/* Names whose rotated files are looked for outside the globs. */
#define WT_TAIL_MAX_ROTNAMES 16
/* Files remembered as opened (so a rotated one is not adopted twice). */
#define WT_TAIL_SEEN_MAX 4096

struct tfile {
    struct wt_source src;
    char path[PATH_MAX];
    int fd; /* -1 once closed */
    uint64_t dev, ino;
    uint64_t fp;
    uint32_t fp_len;
    uint64_t off;   /* after the last complete line read */
    uint64_t acked; /* acked by every sink: the checkpoint */
    uint64_t acked_lineno;
    uint64_t size; /* last size seen */
    uint32_t gen;  /* truncation generation of (dev, ino) */
    size_t max_line;
    struct wt_splitter sp; /* line numbers and over-long-line state */
    bool dirty;            /* may have unread bytes */
    bool orphan;           /* renamed away or deleted: finish, then close */
    bool seen;             /* matched in the current scan */
    uint64_t eof_since;    /* loop ms when an orphan reached EOF, 0 if not */
    bool warned_read;
    struct wt_metric *m_lag;
    struct tfile *next;
};

struct watch {
    uv_fs_event_t h;
    struct wt_tail *t;
    char dir[PATH_MAX];
};

struct ckpt_job {
    uv_work_t req;
    struct wt_tail *t;
    char *data;
    size_t len;
    uint64_t token; /* wt_pipeline_ckpt_token when encoded */
    int rc;
    /* state_dir, copied on the loop thread: a reload swaps and frees t->cfg
     * while the job runs on the pool, so the job never reads t->cfg. */
    char dir[PATH_MAX];
};

struct wt_tail {
    uv_loop_t *loop;
    const struct wt_config *cfg;
    struct wt_metrics *m;
    struct wt_pipeline *p;
    struct tfile *files;
    size_t nfiles;
    uint32_t next_id;
    char *buf; /* shared read buffer */
    size_t bufcap;
    bool started, stopped, initial_scan;
    bool failing;

    uv_idle_t reader;
    uv_timer_t poll, scan, ckpt;
    size_t nwatch;
    struct watch *watch[WT_TAIL_MAX_WATCHES];

    /* Checkpoints and spool positions loaded at start, used as files are found. */
    struct wt_ckpt *loaded;
    size_t nloaded;
    struct wt_srcpos *spos;
    size_t nspos;
    /* Where the index's committed records end per file (crash recovery). */
    struct wt_srcpos *ipos;
    size_t nipos;
    bool indexing; /* the pipeline feeds an index */
    bool ckpt_dirty, ckpt_busy;
    struct ckpt_job job;
    bool warned_limit;
    struct wt_state_health h_ckpt;
    bool need_reap;
    unsigned closing; /* handles whose close callback is pending */

    /* Names (glob matches) that had files rotated out of the globs: files
     * written since hwm next to them are looked for at every scan. */
    struct rotname {
        char path[PATH_MAX];
        struct timespec hwm;
    } rot[WT_TAIL_MAX_ROTNAMES];
    unsigned nrot;
    /* Files opened so far (a ring): never adopted again. */
    struct seenfile {
        uint64_t dev, ino, fp;
        uint32_t fp_len;
    } seen[WT_TAIL_SEEN_MAX];
    unsigned nseen;

    struct wt_metric *m_files, *m_rotations, *m_truncations, *m_ckpt_writes, *m_ckpt_errors,
        *m_unread, *m_adopted;
};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static struct tfile *find_by_inode(struct wt_tail *t, uint64_t dev, uint64_t ino)
{
    for (struct tfile *f = t->files; f; f = f->next) {
        if (f->fd >= 0 && f->dev == dev && f->ino == ino)
            return f;
    }
    return NULL;
}

static struct tfile *find_by_id(struct wt_tail *t, uint32_t id)
{
    for (struct tfile *f = t->files; f; f = f->next) {
        if (f->src.id == id)
            return f;
    }
    return NULL;
}

/* The first input whose glob matches path, or NULL. */
static const struct wt_input_cfg *input_for(const struct wt_config *cfg, const char *path)
{
    for (size_t i = 0; i < cfg->ninputs; i++) {
        const char *glob = wt_input_file_path(&cfg->inputs[i]);
        if (glob && fnmatch(glob, path, FNM_PATHNAME) == 0)
            return &cfg->inputs[i];
    }
    return NULL;
}

static void reader_cb(uv_idle_t *h);
static void schedule_scan(struct wt_tail *t, uint64_t delay);

static void start_reader(struct wt_tail *t)
{
    if (!t->stopped && !uv_is_active((uv_handle_t *)&t->reader))
        uv_idle_start(&t->reader, reader_cb);
}

static void lag_metric(struct wt_tail *t, struct tfile *f)
{
    char esc[PATH_MAX + 64], l[WT_METRIC_LABELS_MAX];
    wt_metrics_label_escape(f->path, esc, sizeof(esc));
    /* The inode keeps a rotated file apart from its successor at the same path. */
    snprintf(l, sizeof(l), "file=\"%s\",inode=\"%llu\"", esc, (unsigned long long)f->ino);
    wt_metrics_remove(t->m, f->m_lag);
    f->m_lag = wt_metrics_get(t->m, WT_METRIC_GAUGE, "wtexport_file_lag_bytes",
                              "Bytes of a followed file not yet acked by every sink.", l, NULL, 0);
}

/* The identity stored with each spool record of f's lines. */
static void refresh_at(struct tfile *f)
{
    f->src.at.dev = f->dev;
    f->src.at.ino = f->ino;
    f->src.at.fp = f->fp;
    f->src.at.fp_len = f->fp_len;
    f->src.at.gen = f->gen;
    f->src.at.size = f->size > f->off ? f->size : f->off;
}

/* A new generation of f starting at offset/lineno (new file or truncated). */
static void new_generation(struct wt_tail *t, struct tfile *f, uint64_t off, uint64_t lineno,
                           const struct wt_input_cfg *icfg)
{
    f->off = f->acked = off;
    f->acked_lineno = lineno;
    f->max_line = icfg ? icfg->max_line : WT_LINE_MAX_DEFAULT;
    wt_splitter_init(&f->sp, f->max_line);
    f->sp.lineno = lineno;
    wt_pipeline_source_init(t->p, &f->src, t->next_id++, (struct wt_str){f->path, strlen(f->path)},
                            icfg);
    f->dirty = true;
    f->eof_since = 0;
    t->ckpt_dirty = true;
    refresh_at(f);
}

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
    struct tfile *dup = find_by_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
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
    new_generation(t, f, off, lineno, icfg);
    index_recovery(t, f, fd, found,
                   (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
    lag_metric(t, f);
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
    const struct wt_input_cfg *in = input_for(cfg, old_path);
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
            find_by_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino) || seen_before(t, path, &st))
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
    if (fstat(f->fd, &st) == 0 && input_for(t->cfg, f->path))
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
static void find_moved(struct wt_tail *t)
{
    bool *moved = wt_calloc(t->nloaded + 1, sizeof(*moved));
    if (!moved)
        return;
    for (size_t i = 0; i < t->nloaded; i++) {
        const struct wt_ckpt *c = &t->loaded[i];
        char dir[PATH_MAX], path[PATH_MAX + 256];
        if (find_by_inode(t, c->dev, c->ino))
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
        if (!name || (lit ? strpbrk(name, "*?[") != NULL : !input_for(t->cfg, name)))
            continue;
        const size_t nlen = strlen(name);
        bool found = false, any_moved = false;
        struct timespec since = {0, 0};
        for (size_t j = 0; j < t->nloaded; j++) {
            const char *p = t->loaded[j].path;
            if (strncmp(p, name, nlen) != 0 || (p[nlen] && !strchr(".-_@", p[nlen])))
                continue;
            const struct tfile *f = find_by_inode(t, t->loaded[j].dev, t->loaded[j].ino);
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
static void scan(struct wt_tail *t)
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
            struct tfile *f = find_by_inode(t, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
            if (f) {
                if (strcmp(f->path, path) != 0 && !same_inode(f->path, f)) {
                    /* Renamed (within the globs): follow the new name. */
                    snprintf(f->path, sizeof(f->path), "%s", path);
                    f->src.path = (struct wt_str){f->path, strlen(f->path)};
                    lag_metric(t, f);
                }
                f->seen = true;
                if (f->orphan) {
                    f->orphan = false;
                    f->eof_since = 0;
                }
                continue;
            }
            open_file(t, path, input_for(t->cfg, path) ? input_for(t->cfg, path) : in);
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
    start_reader(t);
}

/* ------------------------------------------------------------------------ */
/* Reading                                                                  */
/* ------------------------------------------------------------------------ */

static void close_file(struct wt_tail *t, struct tfile *f)
{
    (void)t;
    if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    f->dirty = false;
}

/*
 * Drop closed files whose lines are all acked. Only called where no loop
 * over the file list is running (the poll timer, the end of a reader turn):
 * acks can arrive synchronously from inside the reader.
 */
static void reap(struct wt_tail *t)
{
    t->need_reap = false;
    struct tfile **pp = &t->files;
    while (*pp) {
        struct tfile *f = *pp;
        if (f->fd < 0 && f->acked >= f->off) {
            *pp = f->next;
            wt_metrics_remove(t->m, f->m_lag);
            t->nfiles--;
            t->ckpt_dirty = true;
            wt_free(f);
            continue;
        }
        pp = &f->next;
    }
    wt_metric_set(t->m_files, (int64_t)t->nfiles);
}

/* An orphan at EOF: after the grace period its partial last line is a line. */
static void finish_orphan(struct wt_tail *t, struct tfile *f)
{
    uint64_t now = uv_now(t->loop);
    if (!f->eof_since) {
        f->eof_since = now;
        return;
    }
    if (now - f->eof_since < (uint64_t)t->cfg->rotate_wait_ms)
        return;
    ssize_t r = pread(f->fd, t->buf, t->bufcap, (off_t)f->off);
    struct wt_str line;
    uint64_t too_long = f->sp.too_long;
    if (r > 0 && wt_splitter_finish(&f->sp, t->buf, (size_t)r, &line) == 0) {
        f->off += (uint64_t)r;
        wt_pipeline_line(t->p, &f->src, line.p, line.len, f->sp.lineno, f->off);
    } else if (r > 0) {
        f->off += (uint64_t)r;
        if (f->sp.too_long != too_long)
            wt_pipeline_too_long(t->p, &f->src, f->sp.lineno);
        wt_pipeline_mark(t->p, &f->src, f->off, f->sp.lineno);
    }
    wt_log_info("tail", "%s: finished (%llu lines)", f->path, (unsigned long long)f->sp.lineno);
    close_file(t, f);
    /* Not freed here: the reader is iterating over the list (see reap). */
    t->need_reap = true;
}

/*
 * Read f from its offset: one bounded pread, every complete line to the
 * pipeline. @returns true if f may have more to read right now.
 */
static int check_truncation(struct wt_tail *t, struct tfile *f, struct stat *st);

static bool read_chunk(struct wt_tail *t, struct tfile *f)
{
    struct stat st;
    if (check_truncation(t, f, &st) != 0)
        return false;
    size_t want = f->max_line + 1 + WT_TAIL_CHUNK;
    if (want > t->bufcap)
        want = t->bufcap;
    ssize_t r = pread(f->fd, t->buf, want, (off_t)f->off);
    if (r < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return true;
        wt_log_once(&f->warned_read, WT_LOG_ERROR, "tail", "%s: read failed: %s", f->path,
                    strerror(errno));
        f->dirty = false;
        return false;
    }
    if (r == 0) {
        f->dirty = false;
        if (f->orphan)
            finish_orphan(t, f);
        return false;
    }
    size_t n = (size_t)r, pos = 0;
    uint64_t before = f->off;
    while (pos < n) {
        if (wt_pipeline_wait_if_full(t->p))
            return false;
        struct wt_str line;
        size_t used = 0;
        uint64_t too_long = f->sp.too_long;
        int rc = wt_splitter_next(&f->sp, t->buf + pos, n - pos, &used, &line);
        pos += used;
        f->off += used;
        /* One call may skip several over-long lines: count each. */
        /* Lines read again only for the index were counted and acked before. */
        bool shipped = f->off > f->src.ship_from;
        for (uint64_t k = too_long; shipped && k < f->sp.too_long; k++)
            wt_pipeline_too_long(t->p, &f->src, f->sp.lineno);
        if (rc != 0) {
            /* Only a skipped line ended here: its position still needs acking. */
            if (used > 0 && !f->sp.skipping && shipped)
                wt_pipeline_mark(t->p, &f->src, f->off, f->sp.lineno);
            break;
        }
        wt_pipeline_line(t->p, &f->src, line.p, line.len, f->sp.lineno, f->off);
    }
    if (f->off > f->size)
        f->size = f->off;
    if (f->off != before)
        f->eof_since = 0; /* progress: an orphan's grace period starts again */
    /* A short read is the end for now; a full one may have more behind it. */
    if (n < want) {
        f->dirty = false;
        /* Only a partial last line (or nothing) is left: an orphan may finish. */
        if (f->orphan && !wt_pipeline_wait_if_full(t->p))
            finish_orphan(t, f);
        return false;
    }
    return true;
}

static void reader_cb(uv_idle_t *h)
{
    struct wt_tail *t = h->data;
    bool more = false;
    for (struct tfile *f = t->files; f && !t->stopped; f = f->next) {
        if (f->fd < 0 || !f->dirty)
            continue;
        for (int i = 0; i < WT_TAIL_READS_PER_TURN; i++) {
            if (wt_pipeline_wait_if_full(t->p))
                break;
            if (!read_chunk(t, f))
                break;
        }
        if (f->fd >= 0 && f->dirty)
            more = true;
    }
    if (t->need_reap)
        reap(t);
    /* Closed orphans may be waiting on their grace period: the poll re-checks. */
    if (!more || wt_pipeline_wait_if_full(t->p) || t->stopped)
        uv_idle_stop(&t->reader);
}

/* ------------------------------------------------------------------------ */
/* Polling: growth, truncation, fingerprints, lag                           */
/* ------------------------------------------------------------------------ */

/*
 * Truncated or rewritten in place (copytruncate)? The size below our offset
 * says so, and so do first bytes that no longer match the fingerprint (the
 * writer may already have written past our offset again). Checked before
 * every read, so new content is never read from an old offset. A file
 * still shorter than WT_FP_BYTES gets its fingerprint extended as it grows.
 * @returns 0 with the file's fstat in *st, or -1 if fstat fails.
 */
static int check_truncation(struct wt_tail *t, struct tfile *f, struct stat *st)
{
    if (f->fd < 0 || fstat(f->fd, st) != 0)
        return -1;
    uint64_t size = (uint64_t)st->st_size;
    bool truncated = size < f->off;
    if (!truncated && f->fp_len > 0 && wt_fp_matches(f->fd, f->fp, f->fp_len) == 0)
        truncated = true;
    if (truncated) {
        /* Bytes the old generation had past our offset when we last looked. */
        const uint64_t unread = f->size > f->off ? f->size - f->off : 0;
        wt_crash_point("tail-truncated");
        wt_log_info("tail",
                    "%s was truncated (size %llu, offset %llu) or rewritten: "
                    "reading from the start (generation %u; %llu bytes of the previous "
                    "one were never read)",
                    f->path, (unsigned long long)size, (unsigned long long)f->off,
                    (unsigned)(f->gen + 1), (unsigned long long)unread);
        wt_metric_add(t->m_truncations, 1);
        wt_metric_add(t->m_unread, unread);
        f->gen++;
        f->size = size;
        wt_fp_of_fd(f->fd, &f->fp, &f->fp_len);
        new_generation(t, f, 0, 0, input_for(t->cfg, f->path));
    } else if (f->fp_len < WT_FP_BYTES && size > f->fp_len) {
        wt_fp_of_fd(f->fd, &f->fp, &f->fp_len);
    }
    if (size > f->size)
        f->size = size;
    refresh_at(f);
    return 0;
}

static void check_file(struct wt_tail *t, struct tfile *f)
{
    struct stat st;
    if (check_truncation(t, f, &st) != 0)
        return;
    uint64_t size = (uint64_t)st.st_size;
    if (size > f->off)
        f->dirty = true;
    f->size = size;
    if (st.st_nlink == 0 && !f->orphan) {
        f->orphan = true;
        f->dirty = true;
        wt_metric_add(t->m_rotations, 1);
        wt_log_info("tail", "%s was deleted: finishing it", f->path);
    }
    wt_metric_set(f->m_lag, (int64_t)(size > f->acked ? size - f->acked : 0));
}

static void poll_cb(uv_timer_t *h)
{
    struct wt_tail *t = h->data;
    if (t->need_reap)
        reap(t);
    for (struct tfile *f = t->files; f; f = f->next) {
        check_file(t, f);
        if (f->orphan && f->fd >= 0)
            f->dirty = true; /* let the reader run the grace-period check */
        /* A renamed path (rename rotation) shows as a different inode. */
        if (f->fd >= 0 && !f->orphan) {
            struct stat st;
            if (stat(f->path, &st) != 0 || (uint64_t)st.st_ino != f->ino ||
                (uint64_t)st.st_dev != f->dev) {
                schedule_scan(t, 0);
            }
        }
    }
    start_reader(t);
}

static void scan_cb(uv_timer_t *h)
{
    struct wt_tail *t = h->data;
    if (t->stopped)
        return;
    scan(t);
    uv_timer_start(&t->scan, scan_cb, (uint64_t)t->cfg->scan_interval_ms, 0);
}

static void schedule_scan(struct wt_tail *t, uint64_t delay)
{
    if (t->stopped)
        return;
    uint64_t due = uv_timer_get_due_in(&t->scan);
    if (!uv_is_active((uv_handle_t *)&t->scan) || due > delay)
        uv_timer_start(&t->scan, scan_cb, delay, 0);
}

static void fs_event_cb(uv_fs_event_t *h, const char *name, int events, int status)
{
    struct watch *w = h->data;
    struct wt_tail *t = w->t;
    (void)name;
    if (status != 0 || t->stopped)
        return;
    if (events & UV_RENAME)
        schedule_scan(t, WT_TAIL_RESCAN_DELAY_MS);
    for (struct tfile *f = t->files; f; f = f->next) {
        if (f->fd >= 0)
            f->dirty = true;
    }
    start_reader(t);
}

static bool has_glob_chars(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static void watch_dirs(struct wt_tail *t)
{
    for (size_t i = 0; i < t->cfg->ninputs; i++) {
        char dir[PATH_MAX];
        const char *pattern = wt_input_file_path(&t->cfg->inputs[i]);
        if (!pattern)
            continue; /* not a file input */
        snprintf(dir, sizeof(dir), "%s", pattern);
        char *slash = strrchr(dir, '/');
        if (!slash)
            continue;
        *slash = '\0';
        if (dir[0] == '\0')
            snprintf(dir, sizeof(dir), "/");
        if (has_glob_chars(dir))
            continue; /* wildcard directories rely on polling */
        bool dup = false;
        for (size_t k = 0; k < t->nwatch; k++)
            dup = dup || strcmp(t->watch[k]->dir, dir) == 0;
        if (dup || t->nwatch == WT_TAIL_MAX_WATCHES)
            continue;
        struct watch *w = wt_calloc(1, sizeof(*w));
        if (!w)
            continue;
        w->t = t;
        snprintf(w->dir, sizeof(w->dir), "%s", dir);
        uv_fs_event_init(t->loop, &w->h);
        w->h.data = w;
        int rc = uv_fs_event_start(&w->h, fs_event_cb, dir, 0);
        if (rc != 0) {
            wt_log_warn("tail", "%s: cannot watch (%s); polling every %d ms", dir, uv_strerror(rc),
                        WT_TAIL_POLL_MS);
            uv_close((uv_handle_t *)&w->h, (uv_close_cb)NULL);
            /* Freed with the others when the tailer closes. */
        }
        t->watch[t->nwatch++] = w;
    }
}

/* ------------------------------------------------------------------------ */
/* Acks and checkpoints                                                     */
/* ------------------------------------------------------------------------ */

static void on_ack(void *ctx, uint32_t id, uint64_t offset, uint64_t lineno)
{
    struct wt_tail *t = ctx;
    struct tfile *f = find_by_id(t, id);
    if (!f)
        return; /* an older generation */
    if (offset > f->acked) {
        f->acked = offset;
        f->acked_lineno = lineno;
        t->ckpt_dirty = true;
    }
    if (f->fd < 0)
        t->need_reap = true; /* acks may arrive while the reader walks the list */
}

static void on_resume(void *ctx)
{
    start_reader(ctx);
}

struct wt_pipeline_hooks wt_tail_hooks(struct wt_tail *t)
{
    return (struct wt_pipeline_hooks){.ctx = t, .on_ack = on_ack, .on_resume = on_resume};
}

static int ckpt_encode(struct wt_tail *t, char **out, size_t *len)
{
    struct wt_ckpt *e = wt_calloc(t->nfiles + 1, sizeof(*e));
    size_t n = 0;
    if (!e)
        return -ENOMEM;
    for (struct tfile *f = t->files; f; f = f->next) {
        e[n] = (struct wt_ckpt){.dev = f->dev,
                                .ino = f->ino,
                                .fp = f->fp,
                                .fp_len = f->fp_len,
                                .offset = f->acked,
                                .lineno = f->acked_lineno,
                                .gen = f->gen,
                                .size = f->size > f->acked ? f->size : f->acked};
        snprintf(e[n].path, sizeof(e[n].path), "%s", f->path);
        n++;
    }
    int rc = wt_ckpt_encode(e, n, out, len);
    wt_free(e);
    return rc;
}

static void ckpt_work(uv_work_t *req)
{
    struct ckpt_job *j = req->data;
    wt_crash_point("checkpoint-write");
    j->rc = wt_ckpt_write(j->dir, j->data, j->len);
}

static void ckpt_done(uv_work_t *req, int status)
{
    struct ckpt_job *j = req->data;
    struct wt_tail *t = j->t;
    int rc = status ? status : j->rc;
    wt_free(j->data);
    j->data = NULL;
    t->ckpt_busy = false;
    bool ended;
    if (rc != 0) {
        wt_metric_add(t->m_ckpt_errors, 1);
        t->ckpt_dirty = true;
        /* One line per outage; retried every checkpoint_interval. */
        if (wt_state_health_failed(&t->h_ckpt, uv_now(t->loop)))
            wt_log_error("tail",
                         "writing checkpoints in %s: %s (retrying every "
                         "checkpoint_interval)",
                         t->cfg->state_dir, wt_strerror(rc));
        wt_metrics_problem(t->m, "checkpoints", "cannot write checkpoints");
    } else {
        wt_metric_add(t->m_ckpt_writes, 1);
        /* The spool may now drop the records whose positions this covers. */
        wt_pipeline_checkpointed(t->p, j->token);
        const uint64_t ms = wt_state_health_ok(&t->h_ckpt, uv_now(t->loop), &ended);
        if (ended)
            wt_log_info("tail", "checkpoints written again after %.1f s", (double)ms / 1000);
        wt_metrics_problem(t->m, "checkpoints", NULL);
    }
}

static void ckpt_cb(uv_timer_t *h)
{
    struct wt_tail *t = h->data;
    if (!t->ckpt_dirty || t->ckpt_busy)
        return;
    t->job.token = wt_pipeline_ckpt_token(t->p);
    if (ckpt_encode(t, &t->job.data, &t->job.len) != 0)
        return;
    t->ckpt_dirty = false;
    t->ckpt_busy = true;
    t->job.t = t;
    snprintf(t->job.dir, sizeof(t->job.dir), "%s", t->cfg->state_dir);
    t->job.req.data = &t->job;
    if (uv_queue_work(t->loop, &t->job.req, ckpt_work, ckpt_done) != 0) {
        wt_free(t->job.data);
        t->job.data = NULL;
        t->ckpt_busy = false;
        t->ckpt_dirty = true;
    }
}

int wt_tail_checkpoint_sync(struct wt_tail *t)
{
    char *data;
    size_t len;
    if (t->ckpt_busy)
        return -EBUSY;
    const uint64_t token = wt_pipeline_ckpt_token(t->p);
    int rc = ckpt_encode(t, &data, &len);
    if (rc != 0)
        return rc;
    rc = wt_ckpt_write(t->cfg->state_dir, data, len);
    wt_free(data);
    if (rc == 0) {
        t->ckpt_dirty = false;
        wt_pipeline_checkpointed(t->p, token);
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

static size_t buf_need(const struct wt_config *cfg)
{
    size_t max_line = WT_LINE_MAX_MIN;
    for (size_t i = 0; i < cfg->ninputs; i++) {
        if (cfg->inputs[i].max_line > max_line)
            max_line = cfg->inputs[i].max_line;
    }
    return max_line + 1 + WT_TAIL_CHUNK;
}

struct wt_tail *wt_tail_new(uv_loop_t *loop, const struct wt_config *cfg, struct wt_metrics *m)
{
    struct wt_tail *t = wt_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->loop = loop;
    t->cfg = cfg;
    t->m = m;
    t->bufcap = buf_need(cfg);
    t->buf = wt_malloc(t->bufcap);
    if (!t->buf) {
        wt_free(t);
        return NULL;
    }
    uv_idle_init(loop, &t->reader);
    uv_timer_init(loop, &t->poll);
    uv_timer_init(loop, &t->scan);
    uv_timer_init(loop, &t->ckpt);
    t->reader.data = t->poll.data = t->scan.data = t->ckpt.data = t;
    t->m_files = wt_metrics_get(m, WT_METRIC_GAUGE, "wtexport_files_followed",
                                "Files being followed.", NULL, NULL, 0);
    t->m_rotations = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_file_rotations_total",
                                    "Files renamed away or deleted while followed.", NULL, NULL, 0);
    t->m_truncations =
        wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_file_truncations_total",
                       "Files truncated or replaced in place (copytruncate).", NULL, NULL, 0);
    t->m_ckpt_writes = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_checkpoint_writes_total",
                                      "Checkpoint files written.", NULL, NULL, 0);
    wt_state_health_init(&t->h_ckpt, m, "checkpoint");
    t->m_adopted = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_files_found_by_identity_total",
                                  "Rotated files found outside the globs (by identity at start, "
                                  "or rotated away before a scan saw them) and finished.",
                                  NULL, NULL, 0);
    t->m_ckpt_errors = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_checkpoint_errors_total",
                                      "Checkpoint writes that failed.", NULL, NULL, 0);
    t->m_unread = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_file_unread_bytes_total",
                                 "Bytes of a file generation that were never read: it was "
                                 "truncated or replaced before wtexport got to them.",
                                 NULL, NULL, 0);
    return t;
}

int wt_tail_start(struct wt_tail *t, struct wt_pipeline *p, char *err, size_t errlen)
{
    char why[256] = "";
    t->p = p;
    int rc = wt_ckpt_read(t->cfg->state_dir, &t->loaded, &t->nloaded, why, sizeof(why));
    if (rc == WT_EPARSE) {
        wt_log_warn("tail", "%s/%s is damaged (%s): ignoring it; files start per read_from",
                    t->cfg->state_dir, WT_CKPT_FILE, why);
    } else if (rc != 0) {
        snprintf(err, errlen, "%s/%s: %s", t->cfg->state_dir, WT_CKPT_FILE, wt_strerror(rc));
        return rc;
    }
    /* Positions in the spool's records: newer than the checkpoint after a crash. */
    size_t nspos = wt_pipeline_srcpos(p, NULL, 0);
    if (nspos > 0) {
        t->spos = wt_calloc(nspos, sizeof(*t->spos));
        if (t->spos)
            t->nspos = wt_pipeline_srcpos(p, t->spos, nspos);
    }
    t->indexing = wt_pipeline_indexing(p);
    size_t nipos = wt_pipeline_index_positions(p, NULL, 0);
    if (nipos > 0) {
        t->ipos = wt_calloc(nipos, sizeof(*t->ipos));
        if (t->ipos)
            t->nipos = wt_pipeline_index_positions(p, t->ipos, nipos);
    }
    t->started = true;
    t->initial_scan = true;
    /* Written at the first tick even if nothing moves: it covers the
     * positions taken from the spool, which may then be deleted. */
    t->ckpt_dirty = true;
    scan(t);
    t->initial_scan = false;
    /* Files renamed out of the globs while down, and files rotated
     * through their names meanwhile. */
    find_moved(t);
    wt_free(t->loaded);
    t->loaded = NULL;
    t->nloaded = 0;
    wt_free(t->spos);
    t->spos = NULL;
    t->nspos = 0;
    wt_free(t->ipos);
    t->ipos = NULL;
    t->nipos = 0;
    watch_dirs(t);
    uv_timer_start(&t->poll, poll_cb, WT_TAIL_POLL_MS, WT_TAIL_POLL_MS);
    uv_timer_start(&t->scan, scan_cb, (uint64_t)t->cfg->scan_interval_ms, 0);
    uv_timer_start(&t->ckpt, ckpt_cb, (uint64_t)t->cfg->checkpoint_interval_ms,
                   (uint64_t)t->cfg->checkpoint_interval_ms);
    start_reader(t);
    return 0;
}

void wt_tail_apply(struct wt_tail *t, const struct wt_config *cfg)
{
    size_t need = buf_need(cfg);
    if (need > t->bufcap) {
        char *nb = wt_realloc(t->buf, need);
        if (nb) {
            t->buf = nb;
            t->bufcap = need;
        }
    }
    t->cfg = cfg;
    for (struct tfile *f = t->files; f; f = f->next) {
        const struct wt_input_cfg *in = input_for(cfg, f->path);
        if (in && in->max_line <= t->bufcap - 1 - WT_TAIL_CHUNK)
            f->max_line = in->max_line;
    }
    if (!t->stopped) {
        scan(t);
        watch_dirs(t);
        uv_timer_start(&t->scan, scan_cb, (uint64_t)cfg->scan_interval_ms, 0);
    }
}

void wt_tail_stop(struct wt_tail *t)
{
    t->stopped = true;
    uv_idle_stop(&t->reader);
    uv_timer_stop(&t->poll);
    uv_timer_stop(&t->scan);
    for (size_t i = 0; i < t->nwatch; i++) {
        if (uv_is_active((uv_handle_t *)&t->watch[i]->h))
            uv_fs_event_stop(&t->watch[i]->h);
    }
}

bool wt_tail_failing(const struct wt_tail *t)
{
    return t->failing;
}

size_t wt_tail_nfiles(const struct wt_tail *t)
{
    return t->nfiles;
}

void wt_tail_others_acked(struct wt_tail *t)
{
    t->ckpt_dirty = true;
}

static void on_closed(uv_handle_t *h)
{
    struct wt_tail *t = h->data;
    if (--t->closing == 0) {
        for (size_t i = 0; i < t->nwatch; i++)
            wt_free(t->watch[i]);
        wt_free(t);
    }
}

static void on_watch_closed(uv_handle_t *h)
{
    struct watch *w = h->data;
    on_closed((uv_handle_t *)&w->t->reader);
}

void wt_tail_free(struct wt_tail *t)
{
    if (!t)
        return;
    wt_tail_stop(t);
    uv_timer_stop(&t->ckpt);
    while (t->files) {
        struct tfile *f = t->files;
        t->files = f->next;
        if (f->fd >= 0)
            close(f->fd);
        wt_free(f);
    }
    wt_free(t->buf);
    wt_free(t->loaded);
    t->closing = 4;
    uv_close((uv_handle_t *)&t->reader, on_closed);
    uv_close((uv_handle_t *)&t->poll, on_closed);
    uv_close((uv_handle_t *)&t->scan, on_closed);
    uv_close((uv_handle_t *)&t->ckpt, on_closed);
    for (size_t i = 0; i < t->nwatch; i++) {
        if (!uv_is_closing((uv_handle_t *)&t->watch[i]->h)) {
            t->closing++;
            uv_close((uv_handle_t *)&t->watch[i]->h, on_watch_closed);
        }
    }
}
