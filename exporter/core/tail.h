/*
 * tail.h - follow every file that matches the inputs' globs, through
 * rename rotation, copytruncate, delete and re-create, and inode reuse; feed
 * complete lines to the pipeline; keep ack-gated checkpoints in state_dir.
 *
 * Reads are bounded preads on the loop thread (at most WT_TAIL_CHUNK bytes,
 * WT_TAIL_READS_PER_TURN per file per loop turn) from one shared buffer:
 * nothing is kept per file between reads but the offset after the last
 * complete line, so a partial last line is simply read again later.
 * Checkpoint writes run on the thread pool.
 */
#ifndef WT_TAIL_H
#define WT_TAIL_H

#include "config.h"
#include "metrics.h"
#include "pipeline.h"

#include <uv.h>

#define WT_TAIL_CHUNK          (256 * 1024)
#define WT_TAIL_READS_PER_TURN 2
#define WT_TAIL_POLL_MS        1000
/* Files tracked at once; more matches are refused with a warning. */
#define WT_TAIL_MAX_FILES 1024

struct wt_tail;

/** Create (no I/O yet). NULL on ENOMEM. */
struct wt_tail *wt_tail_new(uv_loop_t *loop, const struct wt_config *cfg, struct wt_metrics *m);

/** Hooks to give wt_pipeline_new so acks and resumes reach the tailer. */
struct wt_pipeline_hooks wt_tail_hooks(struct wt_tail *t);

/**
 * Load checkpoints, scan the globs, start watching and reading.
 * @returns 0, or negative with a message in err (state_dir unusable).
 */
int wt_tail_start(struct wt_tail *t, struct wt_pipeline *p, char *err, size_t errlen);

/** Apply a reloaded config: new globs, intervals. Files no longer matched are finished. */
void wt_tail_apply(struct wt_tail *t, const struct wt_config *cfg);

/** Stop reading (shutdown); watches and timers stop, acks still count. */
void wt_tail_stop(struct wt_tail *t);

/** Write the checkpoints now, blocking (shutdown). 0 or -errno. */
int wt_tail_checkpoint_sync(struct wt_tail *t);

/** Any input failing (unreadable)? */
bool wt_tail_failing(const struct wt_tail *t);

/**
 * Lines of another input (syslog) reached the spool: write the checkpoints
 * at the next checkpoint_interval even if no file moved, so the spool learns
 * (wt_pipeline_checkpointed) that its records may be deleted.
 */
void wt_tail_others_acked(struct wt_tail *t);

/** Number of files followed (open or finishing). */
size_t wt_tail_nfiles(const struct wt_tail *t);

/** Close handles and free (after wt_tail_stop; run the loop to finish closing). */
void wt_tail_free(struct wt_tail *t);

#endif /* WT_TAIL_H */
