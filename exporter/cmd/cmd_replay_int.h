/*
 * cmd_replay_int.h - what the files of `wtexport replay` share: the job
 * (struct replay) and its files, the bounds, and the functions one file
 * calls in another: cmd_replay.c (the command and its set-up),
 * cmd_replay_read.c (reading and the end), cmd_replay_state.c (the job's
 * state). Internal to exporter/cmd/.
 */
#ifndef WT_CMD_REPLAY_INT_H
#define WT_CMD_REPLAY_INT_H

#include "cmd_int.h"
#include "input.h"
#include "pipeline.h"
#include "progress.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* Decompressed bytes per read, and reads per loop turn. */
#define WT_REPLAY_CHUNK          (256 * 1024)
#define WT_REPLAY_READS_PER_TURN 8
/* How often the end checks whether everything is acked. */
#define WT_DRAIN_CHECK_MS 20
#define WT_HEARTBEAT_MS   1000
/* The state file is rewritten at most this often while batches are acked. */
#define WT_REPLAY_STATE_MS 250
/* Bytes of each file's start that go into the job's identity. */
#define WT_REPLAY_ID_BYTES 4096
/* Largest state file read. */
#define WT_REPLAY_STATE_MAX (4u * 1024 * 1024)
/* Linger of a replay with state: batches close on size and file ends only. */
#define WT_REPLAY_NO_LINGER_MS (1000LL * 86400 * 1000)

struct rfile {
    const char *path;                /* as given: "src" in events */
    uint64_t dev, ino;               /* identity (regular files) */
    uint32_t head_crc;               /* CRC-32C of the first WT_REPLAY_ID_BYTES */
    uint64_t size;                   /* at the check, for progress */
    bool regular;                    /* size known */
    struct wt_input *pre;            /* a pipe, kept open from the check */
    const struct wt_input_cfg *icfg; /* format, fields, max_line */
};

struct replay {
    struct wt_cmd_env env; /* config, loop, metrics */
    struct wt_pipeline *p;
    /* --index / --index-only: the index stage, and (index only) the config
     * the pipeline sees: the loaded one without its sinks. */
    struct wt_index *idx;
    uv_timer_t idx_timer;
    struct wt_config nosinks;
    /* The config the pipeline runs with (env.cfg, or nosinks): its sinks are
     * the ones the state knows. */
    const struct wt_config *pcfg;
    int64_t since_ms, until_ms;

    /* Files, and the one being read (cur == nfiles: all read). */
    struct rfile *files;
    size_t nfiles, cur;
    struct wt_input_cfg icfg[WT_CFG_MAX_INPUTS + 1]; /* copies, --format applied */
    struct wt_input *in;                             /* the file being read, or NULL */
    struct wt_source src;
    struct wt_splitter sp;
    char *buf; /* buf[0, len): decompressed, not yet split */
    size_t cap, len;
    uint64_t off;         /* decompressed offset of buf[0] */
    uint64_t done_before; /* sizes of the files finished */
    size_t files_ok, files_failed;

    uv_idle_t reader;
    uv_timer_t drain, progress_timer, heartbeat;
    uv_signal_t sig_int, sig_term;
    bool handles_init;
    bool all_read, stopping, read_error;
    int exit_code; /* set by finish() */
    uint64_t drain_started;
    uint64_t t0_ns;
    struct wt_progress pr;

    /* State (see the top of cmd_replay.c); use_state false: --no-state or a pipe. */
    bool use_state, restart;
    char tag[17];   /* the job's identity: 16 hex digits */
    char fname[64]; /* replay-<tag>.json in state_dir */
    uint64_t job;   /* nonce of this job: batch ids start at job_base */
    uint64_t next_batch;
    size_t st_file;                 /* acked: file index ... */
    uint64_t st_off, st_line;       /* ... and position in it */
    bool aux_has[WT_CFG_MAX_SINKS]; /* per sink: an output size to keep */
    uint64_t aux[WT_CFG_MAX_SINKS];
    bool st_dirty, complete_before;
    uint64_t resume_off, resume_line; /* where the first file read starts */
    uv_timer_t state_timer;
    bool state_failed;
    /* Writes: snapshots numbered st_seq; the newest on disk is st_written. */
    pthread_mutex_t st_lock;
    uint64_t st_seq, st_written;
    uv_work_t st_work;
    bool st_busy;
    char *st_text;
    uint64_t st_text_seq;
    int st_rc;
};

/* cmd_replay_read.c: reading, the summary and the end */

/** Decompressed bytes read so far, over all files. */
uint64_t wt__replay_bytes_done(const struct replay *r);
/** Print the summary lines (stderr, or info log lines when the log is JSON). */
void wt__replay_print_summary(struct replay *r);
/** Stop and close every handle, free the pipeline and close the index. */
void wt__replay_close_all(struct replay *r);
/* Everything acked (idle) or the drain timed out: report and leave. */
void wt__replay_finish(struct replay *r, bool idle);
/** Flush the pipeline and wait (drain timer) until every batch is acked. */
void wt__replay_start_drain(struct replay *r);
/** A new input reading path (err says why not). */
struct wt_input *wt__replay_input_new(const char *path, char *err, size_t errlen);
void wt__replay_input_free(struct wt_input *in);
/** The idle handle's callback: read, split and feed a few chunks. */
void wt__replay_reader_cb(uv_idle_t *h);
/** Pipeline hooks: room again (read on), and lines acked (position kept). */
void wt__replay_on_resume(void *ctx);
void wt__replay_on_ack(void *ctx, uint32_t input, uint64_t offset, uint64_t lineno);

/* cmd_replay_state.c: the job's state */

/* Device, inode and the CRC of the first bytes: what a file is, whatever its name. */
int wt__replay_file_identity(struct rfile *f);
/* The job's tag: files (in order), window, batch sizes and sink entries. */
void wt__replay_make_tag(struct replay *r);
/* Write the state now, on the loop thread (start, end, signals). */
int wt__replay_state_write(struct replay *r, bool complete);
/* Sinks' per-job files (the SSE plan) are useless once the job is complete. */
void wt__replay_remove_sink_job_files(struct replay *r);
/** The state timer's callback: a periodic write on the thread pool when dirty. */
void wt__replay_state_timer_cb(uv_timer_t *h);
/*
 * Before anything is sent: load or create the state, resume the sinks
 * (a file sink cut back to its size at the state's position, the SSE sink
 * on the job's plan), and number batches on from the state.
 * @returns 0, 1 when the job is complete (nothing to do), or an exit code.
 */
int wt__replay_state_start(struct replay *r);
/** Pipeline hook: a batch was cut; the state keeps the next id and the output size. */
void wt__replay_on_batch(void *ctx, const struct wt_batch *b);

#endif /* WT_CMD_REPLAY_INT_H */
