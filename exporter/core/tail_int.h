/*
 * tail_int.h - what the tail's files share: the followed file, the tail
 * itself, the bounds, and the functions one file calls in another:
 * tail.c (life cycle, acks, checkpoints, helpers), tail_scan.c (opening,
 * globs, rotation out of the globs), tail_read.c (reading, polling,
 * watches). Internal to exporter/core/.
 */
#ifndef WT_TAIL_INT_H
#define WT_TAIL_INT_H

#include "checkpoint.h"
#include "config.h"
#include "metrics.h"
#include "pipeline.h"
#include "state_health.h"
#include "tail.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <uv.h>

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

/* tail.c: helpers */

struct tfile *wt__tail_find_by_inode(struct wt_tail *t, uint64_t dev, uint64_t ino);
/* The first input whose glob matches path, or NULL. */
const struct wt_input_cfg *wt__tail_input_for(const struct wt_config *cfg, const char *path);
/** Start the reader (idle handle) unless stopped or running. */
void wt__tail_start_reader(struct wt_tail *t);
/** (Re)create f's lag gauge, labelled with its path and inode. */
void wt__tail_lag_metric(struct wt_tail *t, struct tfile *f);
/* The identity stored with each spool record of f's lines. */
void wt__tail_refresh_at(struct tfile *f);
/* A new generation of f starting at offset/lineno (new file or truncated). */
void wt__tail_new_generation(struct wt_tail *t, struct tfile *f, uint64_t off, uint64_t lineno,
                             const struct wt_input_cfg *icfg);

/* tail_scan.c: finding files */

/* Run every glob; new files are opened, known ones marked seen. */
void wt__tail_scan(struct wt_tail *t);
/*
 * At start, after the first scan: a checkpointed file that no glob found
 * under its path was renamed away while wtexport was down (or while it
 * was finishing it). Look for it by identity (device, inode, then the
 * fingerprint in open_file) in the same directory and finish it from its
 * checkpoint. Then, for each name that lost a file so, look for files
 * rotated through that name meanwhile: written after the newest file the
 * checkpoint knows under it (whatever was read before is older).
 */
void wt__tail_find_moved(struct wt_tail *t);

/* tail_read.c: reading and change detection */

/** The idle handle's callback: read the dirty files, a few chunks each. */
void wt__tail_reader_cb(uv_idle_t *h);
/** The poll timer's callback: check every file (growth, truncation, rename). */
void wt__tail_poll_cb(uv_timer_t *h);
/** The rescan timer's callback: run the globs again. */
void wt__tail_scan_cb(uv_timer_t *h);
/** Run the globs again after delay ms (sooner than a pending rescan). */
void wt__tail_schedule_scan(struct wt_tail *t, uint64_t delay);
/** Watch the inputs' directories (inotify), up to WT_TAIL_MAX_WATCHES. */
void wt__tail_watch_dirs(struct wt_tail *t);

#endif /* WT_TAIL_INT_H */
