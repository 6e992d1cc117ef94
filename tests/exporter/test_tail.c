/*
 * test_tail.c - the tailer on a real loop, in process: a log file in a
 * temporary directory is appended to, rotated, truncated, deleted and
 * rewritten while tail.c follows it into the real pipeline and a file sink
 * (plain NDJSON, from memory: an ack reaches the tailer once the line is in
 * the output file). Every line carries a unique key in its URL; each case
 * checks that every key comes out exactly once and reads the tailer's
 * metrics and checkpoints.
 */
#include "loop_util.h"

#include "checkpoint.h"
#include "pipeline.h"
#include "tail.h"

#include <sys/types.h>

struct rig {
    uv_loop_t loop;
    struct wt_config cfg;
    struct wt_metrics *m;
    struct wt_tail *t;
    struct wt_pipeline *p;
    char dir[256], log[512], out[512], state[512];
};

static int setup(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    lu_log_setup();
    lu_mkdtemp(r->dir, sizeof(r->dir), "tail");
    snprintf(r->log, sizeof(r->log), "%s/logs/access.log", r->dir);
    snprintf(r->out, sizeof(r->out), "%s/out.ndjson", r->dir);
    snprintf(r->state, sizeof(r->state), "%s/state", r->dir);
    char logs[600];
    snprintf(logs, sizeof(logs), "%s/logs", r->dir);
    if (mkdir(logs, 0755) != 0 || mkdir(r->state, 0700) != 0)
        return -1;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct rig *r = *state;
    lu_rmtree(r->dir);
    free(r);
    return 0;
}

/* Start tail + pipeline + file sink on a fresh loop; glob NULL: the log path. */
static void rig_start(struct rig *r, const char *glob)
{
    char err[512] = "";
    assert_int_equal(uv_loop_init(&r->loop), 0);
    lu_config(&r->cfg,
              "{\"state_dir\": \"%s\", \"retention\": \"1h\", \"scan_interval\": \"100ms\","
              " \"checkpoint_interval\": \"10ms\", \"rotate_wait\": \"200ms\","
              " \"inputs\": [{\"path\": \"%s\"}],"
              " \"batch\": {\"max_events\": 40, \"linger\": \"20ms\"},"
              " \"sinks\": [{\"type\": \"file\", \"path\": \"%s\", \"compress\": \"none\","
              " \"fsync\": false}],"
              " \"metrics\": {\"listen\": \"\"}}",
              r->state, glob ? glob : r->log, r->out);
    r->m = wt_metrics_new();
    assert_non_null(r->m);
    r->t = wt_tail_new(&r->loop, &r->cfg, r->m);
    assert_non_null(r->t);
    struct wt_pipeline_hooks hooks = wt_tail_hooks(r->t);
    r->p = wt_pipeline_new(&r->loop, &r->cfg, r->m, &hooks, false, 0, 0, err, sizeof(err));
    if (!r->p)
        fail_msg("wt_pipeline_new: %s", err);
    if (wt_tail_start(r->t, r->p, err, sizeof(err)) != 0)
        fail_msg("wt_tail_start: %s", err);
}

/* Shut down as `run` does: stop reading, flush, wait for the acks, write checkpoints. */
static void rig_stop(struct rig *r)
{
    int rc = 0;
    wt_tail_stop(r->t);
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, wt_pipeline_idle(r->p) && !wt_pipeline_busy(r->p));
    LU_WAIT(&r->loop, (rc = wt_tail_checkpoint_sync(r->t)) != -EBUSY);
    assert_int_equal(rc, 0);
    wt_tail_free(r->t);
    wt_pipeline_free(r->p);
    lu_loop_close(&r->loop);
    wt_metrics_free(r->m);
    wt_config_free(&r->cfg);
}

static size_t events(struct rig *r)
{
    return lu_events_in(r->out);
}

static uint64_t counter(struct rig *r, const char *name)
{
    return lu_counter(r->m, name, NULL);
}

/* Check that the output holds each key of [from, to) of tag exactly once. */
static void expect_keys(struct rig *r, const char *tag, unsigned from, unsigned to)
{
    long frames;
    char *text = lu_read_events(r->out, &frames);
    assert_int_equal(lu_check_keys(text, tag, from, to), to - from);
    free(text);
}

/* The checkpoint stored for the file at path (by inode): its offset, or -1. */
static int64_t ckpt_offset(struct rig *r, const char *path)
{
    struct stat st;
    struct wt_ckpt *c = NULL;
    size_t n = 0;
    char err[256];
    int64_t off = -1;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(wt_ckpt_read(r->state, &c, &n, err, sizeof(err)), 0);
    for (size_t i = 0; i < n; i++) {
        if (c[i].ino == (uint64_t)st.st_ino && c[i].dev == (uint64_t)st.st_dev)
            off = (int64_t)c[i].offset;
    }
    free(c);
    return off;
}

static int64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (int64_t)st.st_size;
}

/* ------------------------------------------------------------------------ */

/* Lines appended in several writes all come out once; the checkpoint follows. */
static void test_append(void **state)
{
    struct rig *r = *state;
    lu_append_lines(r->log, "a", 0, 100);
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 100);
    lu_append_lines(r->log, "a", 100, 130);
    lu_append_lines(r->log, "a", 130, 131);
    LU_WAIT(&r->loop, events(r) >= 131);
    lu_append_lines(r->log, "a", 131, 250);
    LU_WAIT(&r->loop, events(r) >= 250);
    rig_stop(r);
    expect_keys(r, "a", 0, 250);
    assert_int_equal(events(r), 250);
    /* Everything was acked, so the checkpoint is the end of the file. */
    assert_int_equal(ckpt_offset(r, r->log), file_size(r->log));
}

/* A last line without its newline is not read until it is complete. */
static void test_partial_last_line(void **state)
{
    struct rig *r = *state;
    char line[512];
    int n = lu_line(line, sizeof(line), lu_now_s(), "p", 2, 0);
    lu_append_lines(r->log, "p", 0, 2);
    char head[512];
    snprintf(head, sizeof(head), "%.*s", n / 2, line);
    lu_append(r->log, head); /* half of line 2 */
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 2);
    /* More of the line, still no newline: a change event, a read, no line. */
    snprintf(head, sizeof(head), "%.*s", n - 1 - n / 2, line + n / 2);
    lu_append(r->log, head);
    uint64_t lines = counter(r, "wtexport_lines_read_total");
    LU_RUN_FOR(&r->loop, 300);
    assert_int_equal(counter(r, "wtexport_lines_read_total"), lines);
    assert_int_equal(events(r), 2);
    lu_append(r->log, "\n");
    LU_WAIT(&r->loop, events(r) >= 3);
    lu_append_lines(r->log, "p", 3, 5);
    LU_WAIT(&r->loop, events(r) >= 5);
    rig_stop(r);
    expect_keys(r, "p", 0, 5);
    assert_int_equal(events(r), 5);
}

/*
 * Rename rotation, the rotated name outside the glob: the writer still
 * appends to the renamed file (and leaves a partial last line) before the
 * new file appears. The old file is finished to its end, its partial line
 * taken as a line after rotate_wait, then closed; the new one is read whole.
 */
static void test_rename_rotation(void **state)
{
    struct rig *r = *state;
    char rotated[600];
    snprintf(rotated, sizeof(rotated), "%s.1", r->log);
    lu_append_lines(r->log, "old", 0, 100);
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 100);
    int wfd = open(r->log, O_WRONLY | O_APPEND | O_CLOEXEC);
    assert_true(wfd >= 0);
    assert_int_equal(rename(r->log, rotated), 0);
    char buf[256];
    for (unsigned i = 100; i < 150; i++) {
        int n = lu_line(buf, sizeof(buf), lu_now_s(), "old", i, 0);
        lu_write_fd(wfd, buf, (size_t)n);
    }
    int n = lu_line(buf, sizeof(buf), lu_now_s(), "old", 150, 0);
    lu_write_fd(wfd, buf, (size_t)n - 1); /* no newline: the writer stopped mid-line */
    close(wfd);
    lu_append_lines(r->log, "new", 0, 100);
    LU_WAIT(&r->loop, events(r) >= 251);
    assert_true(counter(r, "wtexport_file_rotations_total") >= 1);
    /* The rotated file is closed and dropped once its lines are acked. */
    LU_WAIT(&r->loop, wt_tail_nfiles(r->t) == 1);
    lu_append_lines(r->log, "new", 100, 120);
    LU_WAIT(&r->loop, events(r) >= 271);
    assert_int_equal(counter(r, "wtexport_lines_malformed_total"), 0);
    rig_stop(r);
    expect_keys(r, "old", 0, 151);
    expect_keys(r, "new", 0, 120);
    assert_int_equal(events(r), 271);
    assert_int_equal(ckpt_offset(r, r->log), file_size(r->log));
}

/* Rotation with a glob that matches the rotated name too: followed under its new name. */
static void test_rename_rotation_glob(void **state)
{
    struct rig *r = *state;
    char rotated[600], glob[600];
    snprintf(rotated, sizeof(rotated), "%s.1", r->log);
    snprintf(glob, sizeof(glob), "%s*", r->log);
    lu_append_lines(r->log, "g", 0, 60);
    rig_start(r, glob);
    LU_WAIT(&r->loop, events(r) >= 60);
    assert_int_equal(rename(r->log, rotated), 0);
    lu_append_lines(rotated, "g", 60, 80);
    lu_append_lines(r->log, "h", 0, 50);
    LU_WAIT(&r->loop, events(r) >= 130);
    LU_WAIT(&r->loop, wt_tail_nfiles(r->t) == 2);
    rig_stop(r);
    expect_keys(r, "g", 0, 80);
    expect_keys(r, "h", 0, 50);
    assert_int_equal(events(r), 130);
    assert_int_equal(ckpt_offset(r, rotated), file_size(rotated));
    assert_int_equal(ckpt_offset(r, r->log), file_size(r->log));
}

/*
 * copytruncate: the file is copied away and truncated in place (same
 * inode). Once with the writer's new lines shorter than the old offset
 * (the size says so), once longer before the tailer looks (only the
 * fingerprint of the first bytes says so).
 */
static void test_copytruncate(void **state)
{
    struct rig *r = *state;
    struct stat before, after;
    lu_append_lines(r->log, "a", 0, 100);
    assert_int_equal(stat(r->log, &before), 0);
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 100);

    assert_int_equal(truncate(r->log, 0), 0);
    lu_append_lines(r->log, "b", 0, 30);
    LU_WAIT(&r->loop, events(r) >= 130);
    assert_int_equal(counter(r, "wtexport_file_truncations_total"), 1);

    /* Truncated and rewritten past the old offset with no loop pass between. */
    assert_int_equal(truncate(r->log, 0), 0);
    lu_append_lines(r->log, "c", 0, 200);
    LU_WAIT(&r->loop, events(r) >= 330);
    assert_int_equal(counter(r, "wtexport_file_truncations_total"), 2);
    assert_int_equal(stat(r->log, &after), 0);
    assert_true(before.st_ino == after.st_ino);
    rig_stop(r);
    expect_keys(r, "a", 0, 100);
    expect_keys(r, "b", 0, 30);
    expect_keys(r, "c", 0, 200);
    assert_int_equal(events(r), 330);
    assert_int_equal(ckpt_offset(r, r->log), file_size(r->log));
}

/* Deleted (after its last lines) and created again under the same name. */
static void test_delete_recreate(void **state)
{
    struct rig *r = *state;
    lu_append_lines(r->log, "a", 0, 80);
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 80);
    lu_append_lines(r->log, "a", 80, 90);
    assert_int_equal(unlink(r->log), 0);
    lu_append_lines(r->log, "b", 0, 70);
    LU_WAIT(&r->loop, events(r) >= 160);
    assert_true(counter(r, "wtexport_file_rotations_total") >= 1);
    LU_WAIT(&r->loop, wt_tail_nfiles(r->t) == 1);
    rig_stop(r);
    expect_keys(r, "a", 0, 90);
    expect_keys(r, "b", 0, 70);
    assert_int_equal(events(r), 160);
}

/*
 * Restarts: a restart resumes from the checkpoint (no line twice); a file
 * whose inode is the checkpoint's but whose first bytes differ (inode
 * reuse: a new file got a freed inode number) is read from the start.
 * The reuse is made by rewriting the same inode in place while the tailer is
 * down (the file system decides when it hands out a freed number; the
 * tailer cannot tell the two apart: same dev/inode, other content).
 */
static void test_restart_and_inode_reuse(void **state)
{
    struct rig *r = *state;
    lu_append_lines(r->log, "a", 0, 100);
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 100);
    rig_stop(r);
    int64_t off = ckpt_offset(r, r->log);
    assert_int_equal(off, file_size(r->log));

    /* Restart: only the new lines. */
    lu_append_lines(r->log, "a", 100, 150);
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 150);
    rig_stop(r);
    expect_keys(r, "a", 0, 150);

    /* Same inode, new content longer than the checkpoint's offset. */
    struct stat st0, st1;
    assert_int_equal(stat(r->log, &st0), 0);
    int fd = open(r->log, O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    close(fd);
    lu_append_lines(r->log, "r", 0, 300);
    assert_int_equal(stat(r->log, &st1), 0);
    assert_true(st0.st_ino == st1.st_ino && st1.st_size > (off_t)ckpt_offset(r, r->log));
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 450);
    rig_stop(r);
    expect_keys(r, "a", 0, 150);
    expect_keys(r, "r", 0, 300);
    assert_int_equal(events(r), 450);

    /* Same inode, new content shorter than the checkpoint's offset. */
    fd = open(r->log, O_WRONLY | O_TRUNC | O_CLOEXEC);
    assert_true(fd >= 0);
    close(fd);
    lu_append_lines(r->log, "s", 0, 10);
    rig_start(r, NULL);
    LU_WAIT(&r->loop, events(r) >= 460);
    rig_stop(r);
    expect_keys(r, "s", 0, 10);
    assert_int_equal(events(r), 460);
}

/* Append one line; true while a background checkpoint write is in flight. */
static bool ckpt_in_flight(struct rig *r, unsigned *n)
{
    lu_append_lines(r->log, "c", *n, *n + 1);
    (*n)++;
    return wt_tail_checkpoint_sync(r->t) == -EBUSY;
}

/*
 * A reload (wt_tail_apply with a new config, the old one freed, as run's
 * SIGHUP does) while a checkpoint write runs on the thread pool: the write
 * must not read the config the loop thread swaps and frees. (Under TSan a
 * read of the tailer's config pointer from the pool is a race report;
 * under ASan, when the timing falls so, a use after free.)
 */
static void test_reload_during_checkpoint(void **state)
{
    struct rig *r = *state;
    struct wt_config *other = calloc(1, sizeof(*other));
    struct wt_config *cur = &r->cfg, *next = other;
    unsigned n = 0;
    assert_non_null(other);
    rig_start(r, NULL);
    for (int round = 0; round < 6; round++) {
        LU_WAIT(&r->loop, ckpt_in_flight(r, &n));
        lu_config(next,
                  "{\"state_dir\": \"%s\", \"retention\": \"1h\", \"scan_interval\": \"100ms\","
                  " \"checkpoint_interval\": \"10ms\", \"rotate_wait\": \"200ms\","
                  " \"inputs\": [{\"path\": \"%s\"}],"
                  " \"batch\": {\"max_events\": 40, \"linger\": \"20ms\"},"
                  " \"sinks\": [{\"type\": \"file\", \"path\": \"%s\", \"compress\": \"none\","
                  " \"fsync\": false}],"
                  " \"metrics\": {\"listen\": \"\"}}",
                  r->state, r->log, r->out);
        wt_pipeline_apply(r->p, next);
        wt_tail_apply(r->t, next);
        wt_config_free(cur);
        struct wt_config *x = cur;
        cur = next;
        next = x;
    }
    LU_WAIT(&r->loop, events(r) >= n);
    /* An even number of rounds: the config in use is r->cfg again (rig_stop frees it). */
    assert_ptr_equal(cur, &r->cfg);
    rig_stop(r);
    free(other);
    expect_keys(r, "c", 0, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_last_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_rotation_glob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copytruncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_recreate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_and_inode_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_during_checkpoint, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
