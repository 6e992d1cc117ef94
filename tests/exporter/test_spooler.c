/*
 * test_spooler.c - the disk spool between the batcher and the sinks, on a
 * real loop, in process (the pipeline in durable mode, as `run` uses it).
 *
 * - Each sink's cursor advances on its own acks: a stalled sink (a FIFO
 *   with a one-page buffer nobody reads) keeps its records pending while
 *   the other sink's cursor reaches the end; positions are acked to the
 *   source once spooled, not once sent. The cursors persist: after a
 *   restart no sink gets a record again.
 * - on_delivered reports a spool record only once every sink has finished
 *   it: the token taken at on_ack is delivered after the stalled sink's
 *   FIFO is read, not before (the Kafka input commits on it).
 * - A full spool pauses input and resumes it: the real tailer reads a large
 *   log into a 64 KiB spool whose only sink is stalled; reading stops, and
 *   resumes as the FIFO is read, until every line is out exactly once.
 */
#include "loop_util.h"

#include "pipeline.h"
#include "tail.h"

#include <fcntl.h>

#define LINE_STEP 100

struct rig {
    uv_loop_t loop;
    struct wt_config cfg;
    struct wt_metrics *m;
    struct wt_pipeline *p;
    struct wt_tail *t; /* NULL: lines fed by the test */
    struct wt_source src;
    char dir[256], out[512], fifo[512], log[512];
    unsigned fed;
    uint64_t acked;                /* last offset acked to the test's source */
    uint64_t ack_token, delivered; /* wt_pipeline_ckpt_token at the last ack; on_delivered */
    int fifo_fd;
    char *drained;
    size_t ndrained, drained_cap;
};

static int setup(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    lu_log_setup();
    lu_mkdtemp(r->dir, sizeof(r->dir), "spooler");
    snprintf(r->out, sizeof(r->out), "%s/out.zst", r->dir);
    snprintf(r->fifo, sizeof(r->fifo), "%s/stalled.fifo", r->dir);
    snprintf(r->log, sizeof(r->log), "%s/access.log", r->dir);
    if (mkfifo(r->fifo, 0600) != 0)
        return -1;
    r->fifo_fd = open(r->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (r->fifo_fd < 0 || fcntl(r->fifo_fd, F_SETPIPE_SZ, 4096) <= 0)
        return -1;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct rig *r = *state;
    close(r->fifo_fd);
    free(r->drained);
    lu_rmtree(r->dir);
    free(r);
    return 0;
}

/* Read what the FIFO holds now (non-blocking); always true (for LU_WAIT). */
static bool drain(struct rig *r)
{
    for (;;) {
        if (r->drained_cap - r->ndrained < 65536) {
            r->drained_cap = r->drained_cap ? r->drained_cap * 2 : 1 << 20;
            r->drained = realloc(r->drained, r->drained_cap);
            assert_non_null(r->drained);
        }
        ssize_t n = read(r->fifo_fd, r->drained + r->ndrained, r->drained_cap - r->ndrained - 1);
        if (n <= 0)
            break;
        r->ndrained += (size_t)n;
    }
    r->drained[r->ndrained] = '\0';
    return true;
}

static size_t drained_events(struct rig *r)
{
    return r->drained ? lu_count_lines(r->drained) : 0;
}

static void on_ack(void *ctx, uint32_t input, uint64_t offset, uint64_t lineno)
{
    struct rig *r = ctx;
    (void)lineno;
    assert_int_equal(input, 1);
    assert_true(offset > r->acked);
    r->acked = offset;
    r->ack_token = wt_pipeline_ckpt_token(r->p);
}

static void on_delivered(void *ctx, uint64_t token)
{
    struct rig *r = ctx;
    assert_true(token > r->delivered);
    r->delivered = token;
}

static void on_resume(void *ctx)
{
    (void)ctx;
}

/*
 * Start the pipeline (durable) with the sinks given; with_tail: the real
 * tailer follows r->log, else the test feeds lines itself.
 */
static void rig_start(struct rig *r, const char *extra, const char *sinks_json, bool with_tail)
{
    char err[512] = "";
    assert_int_equal(uv_loop_init(&r->loop), 0);
    lu_config(&r->cfg,
              "{\"state_dir\": \"%s\", \"checkpoint_interval\": \"20ms\", %s"
              " \"inputs\": [{\"path\": \"%s\"}], \"sinks\": %s,"
              " \"metrics\": {\"listen\": \"\"}}",
              r->dir, extra, r->log, sinks_json);
    r->m = wt_metrics_new();
    assert_non_null(r->m);
    struct wt_pipeline_hooks hooks = {
        .ctx = r, .on_ack = on_ack, .on_resume = on_resume, .on_delivered = on_delivered};
    if (with_tail) {
        r->t = wt_tail_new(&r->loop, &r->cfg, r->m);
        assert_non_null(r->t);
        hooks = wt_tail_hooks(r->t);
    }
    r->p = wt_pipeline_new(&r->loop, &r->cfg, r->m, &hooks, true, 0, 0, err, sizeof(err));
    if (!r->p)
        fail_msg("wt_pipeline_new: %s", err);
    if (r->t && wt_tail_start(r->t, r->p, err, sizeof(err)) != 0)
        fail_msg("wt_tail_start: %s", err);
    if (!r->t)
        wt_pipeline_source_init(r->p, &r->src, 1, (struct wt_str){"test.log", 8},
                                &r->cfg.inputs[0]);
}

/* Stop as `run` does once every sink caught up: cursors and checkpoints written. */
static void rig_stop(struct rig *r)
{
    int rc = 0;
    if (r->t)
        wt_tail_stop(r->t);
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, drain(r) && wt_pipeline_idle(r->p) && !wt_pipeline_busy(r->p));
    if (r->t) {
        LU_WAIT(&r->loop, (rc = wt_tail_checkpoint_sync(r->t)) != -EBUSY);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(wt_pipeline_sync(r->p), 0);
    wt_tail_free(r->t);
    r->t = NULL;
    wt_pipeline_free(r->p);
    lu_loop_close(&r->loop);
    wt_metrics_free(r->m);
    wt_config_free(&r->cfg);
}

static void feed(struct rig *r, unsigned n)
{
    char line[512];
    for (unsigned i = 0; i < n; i++, r->fed++) {
        int len = lu_line(line, sizeof(line), lu_now_s(), "k", r->fed, 0);
        wt_pipeline_line(r->p, &r->src, line, (size_t)len - 1, r->fed + 1,
                         (uint64_t)(r->fed + 1) * LINE_STEP);
    }
}

static int64_t pending(struct rig *r, const char *sink)
{
    char l[64];
    snprintf(l, sizeof(l), "sink=\"%s\"", sink);
    return lu_gauge(r->m, "wtexport_spool_pending_bytes", l);
}

static const char *two_sinks(struct rig *r)
{
    static char json[2048];
    snprintf(
        json, sizeof(json),
        "[{\"type\": \"file\", \"name\": \"fast\", \"path\": \"%s\", \"compress\": \"zstd\"},"
        " {\"type\": \"file\", \"name\": \"stalled\", \"path\": \"%s\", \"compress\": \"none\"}]",
        r->out, r->fifo);
    return json;
}

/* ------------------------------------------------------------------------ */

static void test_cursor_advance(void **state)
{
    struct rig *r = *state;
    const char *batch = "\"batch\": {\"max_events\": 10, \"linger\": \"1m\"},";
    rig_start(r, batch, two_sinks(r), false);
    feed(r, 200);
    wt_pipeline_flush(r->p);
    /* Spooled means acked to the source, whatever the sinks have done. */
    LU_WAIT(&r->loop, r->acked == 200 * LINE_STEP);
    LU_WAIT(&r->loop, lu_events_in(r->out) == 200 && pending(r, "fast") == 0);
    /* The stalled sink's cursor has not moved past what it could write. */
    LU_WAIT(&r->loop, pending(r, "stalled") > 0); /* published on the spooler's timer */
    assert_true(drained_events(r) < 200);
    assert_false(wt_pipeline_idle(r->p));
    /* Reading the FIFO lets it ack, in order, until its cursor is at the end. */
    LU_WAIT(&r->loop, drain(r) && pending(r, "stalled") == 0 && wt_pipeline_idle(r->p));
    assert_int_equal(lu_check_keys(r->drained, "k", 0, 200), 200);
    rig_stop(r);

    /* Restart on the same spool: the cursors were kept, nothing is sent again. */
    rig_start(r, batch, two_sinks(r), false);
    r->fed = 200;
    r->acked = 0;
    feed(r, 15);
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, drain(r) && lu_events_in(r->out) >= 215 && drained_events(r) >= 215 &&
                          wt_pipeline_idle(r->p));
    assert_int_equal(lu_counter(r->m, "wtexport_sink_batches_total", "sink=\"fast\",type=\"file\""),
                     2);
    rig_stop(r);
    long frames;
    char *text = lu_read_events(r->out, &frames);
    assert_int_equal(frames, 22);
    assert_int_equal(lu_check_keys(text, "k", 0, 215), 215);
    free(text);
    assert_int_equal(lu_check_keys(r->drained, "k", 0, 215), 215);
}

static void test_delivered_waits_for_every_sink(void **state)
{
    struct rig *r = *state;
    rig_start(r, "\"batch\": {\"max_events\": 10, \"linger\": \"1m\"},", two_sinks(r), false);
    feed(r, 200);
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, r->acked == 200 * LINE_STEP);
    uint64_t last = r->ack_token;
    assert_true(last > 0);
    /* The fast sink has everything; the stalled one not: not delivered. */
    LU_WAIT(&r->loop, lu_events_in(r->out) == 200);
    LU_WAIT(&r->loop, pending(r, "stalled") > 0);
    assert_true(r->delivered < last);
    /* Once the stalled sink caught up, every record is delivered. */
    LU_WAIT(&r->loop, drain(r) && r->delivered >= last && wt_pipeline_idle(r->p));
    assert_int_equal(r->delivered, last);
    rig_stop(r);
}

static void test_full_spool_pauses_input(void **state)
{
    struct rig *r = *state;
    char sinks[1024];
    enum { N = 3000 };
    /* About 1.7 MB of log; padded lines compress to roughly half. */
    size_t cap = (size_t)N * 1024, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (unsigned i = 0; i < N; i++)
        n += (size_t)lu_line(buf + n, cap - n, lu_now_s(), "t", i, 300);
    int fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    lu_write_fd(fd, buf, n);
    close(fd);
    free(buf);
    snprintf(sinks, sizeof(sinks),
             "[{\"type\": \"file\", \"name\": \"stalled\", \"path\": \"%s\", \"compress\": "
             "\"none\"}]",
             r->fifo);
    rig_start(r,
              "\"batch\": {\"max_events\": 20, \"linger\": \"10ms\"},"
              " \"spool\": {\"max_bytes\": \"64KiB\", \"segment_bytes\": \"8KiB\"},",
              sinks, true);
    LU_WAIT(&r->loop, lu_gauge(r->m, "wtexport_spool_full", NULL) == 1);
    assert_int_equal(lu_gauge(r->m, "wtexport_paused", NULL), 1);
    /* Paused: reading does not go on while the spool stays full. */
    uint64_t lines = lu_counter(r->m, "wtexport_lines_read_total", NULL);
    assert_true(lines < N);
    LU_RUN_FOR(&r->loop, 300);
    assert_int_equal(lu_counter(r->m, "wtexport_lines_read_total", NULL), lines);
    assert_true(lu_gauge(r->m, "wtexport_spool_bytes", NULL) <= 64 * 1024);
    /* Read the FIFO: the spool empties, reading resumes, everything comes out. */
    LU_WAIT(&r->loop, drain(r) && drained_events(r) >= N);
    LU_WAIT(&r->loop, drain(r) && lu_gauge(r->m, "wtexport_spool_full", NULL) == 0 &&
                          lu_gauge(r->m, "wtexport_paused", NULL) == 0);
    assert_int_equal(lu_counter(r->m, "wtexport_lines_read_total", NULL), N);
    assert_int_equal(lu_counter(r->m, "wtexport_spool_dropped_events_total", NULL), 0);
    rig_stop(r);
    assert_int_equal(lu_check_keys(r->drained, "t", 0, N), N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cursor_advance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivered_waits_for_every_sink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_spool_pauses_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
