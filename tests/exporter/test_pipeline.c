/*
 * test_pipeline.c - the pipeline on a real loop, in process: lines go in
 * through wt_pipeline_line() as a source would feed them; batches come out
 * of real file sinks (a zstd sink writes one frame per batch, so the frames
 * show where batches were cut). Covers the cut by count, bytes and linger,
 * the retention filter, and the order of acks: on_ack(offset) only once
 * every batch up to there is acked by every sink, also when one sink is
 * stalled (a FIFO nobody reads) and the other has everything.
 *
 * Line k of a test ends at offset (k + 1) * LINE_STEP and carries key k.
 */
#include "loop_util.h"

#include "pipeline.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#define LINE_STEP 100
#define MAX_ACKS  4096

struct rig {
    uv_loop_t loop;
    struct wt_config cfg;
    struct wt_metrics *m;
    struct wt_pipeline *p;
    struct wt_source src;
    char dir[256], out[512], fifo[512];
    unsigned fed;
    /* What on_ack saw. */
    unsigned nacks;
    uint64_t ack_off[MAX_ACKS];
    unsigned resumes;
    bool check_order; /* on_ack checks what the sinks hold */
    /* The stalled sink's FIFO: read end and what was read. */
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
    lu_mkdtemp(r->dir, sizeof(r->dir), "pipeline");
    snprintf(r->out, sizeof(r->out), "%s/out.zst", r->dir);
    snprintf(r->fifo, sizeof(r->fifo), "%s/stalled.fifo", r->dir);
    r->fifo_fd = -1;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct rig *r = *state;
    if (r->fifo_fd >= 0)
        close(r->fifo_fd);
    free(r->drained);
    lu_rmtree(r->dir);
    free(r);
    return 0;
}

/* Read what the FIFO holds now (non-blocking). @returns bytes read. */
static size_t drain(struct rig *r)
{
    size_t got = 0;
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
        got += (size_t)n;
    }
    r->drained[r->ndrained] = '\0';
    return got;
}

/* Read the stalled sink's FIFO (if any) while waiting; always true. */
static bool drained_now(struct rig *r)
{
    if (r->fifo_fd >= 0)
        drain(r);
    return true;
}

static size_t drained_events(struct rig *r)
{
    return r->drained ? lu_count_lines(r->drained) : 0;
}

static void on_ack(void *ctx, uint32_t input, uint64_t offset, uint64_t lineno)
{
    struct rig *r = ctx;
    assert_int_equal(input, 1);
    assert_int_equal(offset, lineno * LINE_STEP);
    /* Acks move forward only. */
    if (r->nacks > 0)
        assert_true(offset > r->ack_off[r->nacks - 1]);
    assert_true(r->nacks < MAX_ACKS);
    r->ack_off[r->nacks++] = offset;
    if (r->check_order) {
        /* Every line up to offset is held by every sink already. */
        size_t upto = (size_t)(offset / LINE_STEP);
        assert_true(lu_events_in(r->out) >= upto);
        if (r->fifo_fd >= 0) {
            drain(r);
            assert_true(drained_events(r) >= upto);
        }
    }
}

static void on_resume(void *ctx)
{
    struct rig *r = ctx;
    r->resumes++;
}

/* sinks_json: the "sinks" array; extra: more top-level keys (ending in ","). */
static void rig_start(struct rig *r, const char *batch_json, const char *extra,
                      const char *sinks_json, bool durable)
{
    char err[512] = "";
    assert_int_equal(uv_loop_init(&r->loop), 0);
    lu_config(&r->cfg,
              "{\"state_dir\": \"%s\", %s \"inputs\": [{\"path\": \"/nonexistent/access.log\"}],"
              " \"batch\": %s, \"sinks\": %s, \"metrics\": {\"listen\": \"\"}}",
              r->dir, extra, batch_json, sinks_json);
    r->m = wt_metrics_new();
    assert_non_null(r->m);
    struct wt_pipeline_hooks hooks = {.ctx = r, .on_ack = on_ack, .on_resume = on_resume};
    r->p = wt_pipeline_new(&r->loop, &r->cfg, r->m, &hooks, durable, 0, 0, err, sizeof(err));
    if (!r->p)
        fail_msg("wt_pipeline_new: %s", err);
    wt_pipeline_source_init(r->p, &r->src, 1, (struct wt_str){"test.log", 8}, &r->cfg.inputs[0]);
}

static void rig_stop(struct rig *r)
{
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, drained_now(r) && wt_pipeline_idle(r->p) && !wt_pipeline_busy(r->p));
    wt_pipeline_free(r->p);
    lu_loop_close(&r->loop);
    wt_metrics_free(r->m);
    wt_config_free(&r->cfg);
}

/* Feed lines [fed, fed + n) at time ts with pad bytes of path each. */
static void feed_at(struct rig *r, unsigned n, int64_t ts, size_t pad)
{
    char line[8192];
    for (unsigned i = 0; i < n; i++, r->fed++) {
        int len = lu_line(line, sizeof(line), ts, "k", r->fed, pad);
        wt_pipeline_line(r->p, &r->src, line, (size_t)len - 1, r->fed + 1,
                         (uint64_t)(r->fed + 1) * LINE_STEP);
    }
}

static void feed(struct rig *r, unsigned n)
{
    feed_at(r, n, lu_now_s(), 0);
}

static uint64_t last_ack(struct rig *r)
{
    return r->nacks ? r->ack_off[r->nacks - 1] : 0;
}

static const char *zstd_sink(struct rig *r)
{
    static char json[1024];
    snprintf(json, sizeof(json),
             "[{\"type\": \"file\", \"path\": \"%s\", \"compress\": \"zstd\", \"fsync\": false}]",
             r->out);
    return json;
}

/* ------------------------------------------------------------------------ */

/* max_events cuts a batch at once; the rest waits for linger or a flush. */
static void test_cut_by_count(void **state)
{
    struct rig *r = *state;
    size_t raw[8], ev[8];
    r->check_order = true;
    rig_start(r, "{\"max_events\": 10, \"linger\": \"1m\"}", "", zstd_sink(r), false);
    feed(r, 25);
    LU_WAIT(&r->loop, lu_frames(r->out, raw, ev, 8) >= 2 && last_ack(r) == 20 * LINE_STEP);
    assert_int_equal(lu_frames(r->out, raw, ev, 8), 2);
    assert_int_equal(ev[0], 10);
    assert_int_equal(ev[1], 10);
    /* The open batch (5 events) is not acked: its lines are not out. */
    assert_false(wt_pipeline_idle(r->p));
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, last_ack(r) == 25 * LINE_STEP);
    assert_int_equal(lu_frames(r->out, raw, ev, 8), 3);
    assert_int_equal(ev[2], 5);
    assert_int_equal(lu_counter(r->m, "wtexport_batches_total", NULL), 3);
    assert_int_equal(lu_counter(r->m, "wtexport_events_total", NULL), 25);
    rig_stop(r);
    long frames;
    char *text = lu_read_events(r->out, &frames);
    assert_int_equal(frames, 3);
    assert_int_equal(lu_check_keys(text, "k", 0, 25), 25);
    free(text);
}

/*
 * Freed while thread-pool work holds pointers into it (a start-up error or a
 * drain timeout of run and replay): the free waits for the work, so no
 * callback runs on freed memory (ASan saw none before the fix only by luck of
 * timing; this test queues the work and frees at once).
 */
static void test_free_while_busy(void **state)
{
    struct rig *r = *state;
    rig_start(r, "{\"max_events\": 10, \"linger\": \"1m\"}", "", zstd_sink(r), true);
    for (int round = 0; round < 5; round++) {
        feed(r, 30);
        wt_pipeline_flush(r->p);
    }
    assert_true(wt_pipeline_busy(r->p)); /* compression or spool work queued */
    wt_pipeline_free(r->p);
    r->p = NULL;
    lu_loop_close(&r->loop);
    wt_metrics_free(r->m);
    wt_config_free(&r->cfg);
}

/* max_bytes (of NDJSON) cuts a batch before the event that would not fit. */
static void test_cut_by_bytes(void **state)
{
    struct rig *r = *state;
    size_t raw[64], ev[64];
    r->check_order = true;
    rig_start(r, "{\"max_events\": 100000, \"max_bytes\": \"64KiB\", \"linger\": \"1m\"}", "",
              zstd_sink(r), false);
    /* Events of about 2.4 KiB (the padded URL is in the event twice). */
    feed_at(r, 150, lu_now_s(), 1000);
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, last_ack(r) == 150 * LINE_STEP);
    size_t n = lu_frames(r->out, raw, ev, 64);
    assert_true(n >= 4 && n <= 64);
    size_t total = 0, biggest = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(raw[i] <= 64 * 1024);
        total += ev[i];
        if (raw[i] / ev[i] > biggest)
            biggest = raw[i] / ev[i] + 1;
    }
    /* Every batch but the last was cut because the next event did not fit. */
    for (size_t i = 0; i + 1 < n; i++)
        assert_true(raw[i] + 2 * biggest > 64 * 1024);
    assert_int_equal(total, 150);
    rig_stop(r);
}

/* linger cuts a batch that far after its first line, however small. */
static void test_cut_by_linger(void **state)
{
    struct rig *r = *state;
    size_t raw[8], ev[8];
    rig_start(r, "{\"max_events\": 1000, \"linger\": \"150ms\"}", "", zstd_sink(r), false);
    uv_update_time(&r->loop);
    uint64_t t0 = lu_mono_ms();
    feed(r, 3);
    LU_WAIT(&r->loop, lu_frames(r->out, raw, ev, 8) == 1);
    uint64_t t1 = lu_mono_ms();
    assert_true(t1 - t0 >= 140);
    assert_int_equal(ev[0], 3);
    LU_WAIT(&r->loop, last_ack(r) == 3 * LINE_STEP);
    uv_update_time(&r->loop);
    t0 = lu_mono_ms();
    feed(r, 2);
    LU_WAIT(&r->loop, lu_frames(r->out, raw, ev, 8) == 2);
    assert_true(lu_mono_ms() - t0 >= 140);
    assert_int_equal(ev[1], 2);
    rig_stop(r);
}

/* Events older than retention are not exported, are counted, and are acked. */
static void test_retention(void **state)
{
    struct rig *r = *state;
    r->check_order = false; /* expired lines are acked without being in the output */
    rig_start(r, "{\"max_events\": 7, \"linger\": \"1m\"}", "\"retention\": \"1h\",", zstd_sink(r),
              false);
    int64_t now = lu_now_s();
    for (unsigned i = 0; i < 40; i++)
        feed_at(r, 1, i % 2 ? now : now - 2 * 3600, 0);
    /* A batch of expired lines only: nothing to send, positions acked. */
    feed_at(r, 5, now - 7200, 0);
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, last_ack(r) == 45 * LINE_STEP);
    assert_int_equal(lu_counter(r->m, "wtexport_events_expired_total", NULL), 25);
    assert_int_equal(lu_counter(r->m, "wtexport_events_total", NULL), 20);
    assert_int_equal(wt_pipeline_counts(r->p)->expired, 25);
    rig_stop(r);
    long frames;
    char *text = lu_read_events(r->out, &frames);
    assert_int_equal(lu_count_lines(text), 20);
    char needle[64];
    for (unsigned i = 0; i < 40; i++) {
        snprintf(needle, sizeof(needle), "/k/k/%u\"", i);
        assert_true((strstr(text, needle) != NULL) == (i % 2 == 1));
    }
    free(text);
}

/*
 * Two sinks, one stalled: a FIFO with a one-page buffer that nobody reads,
 * so its write blocks in the thread pool. The other sink acks everything,
 * yet no position is acked to the source until the stalled sink has the
 * batches too; meanwhile the queue fills and the pipeline asks the source
 * to pause, and resumes it once the FIFO is read.
 */
static void test_acks_in_order(void **state)
{
    struct rig *r = *state;
    char sinks[2048];
    assert_int_equal(mkfifo(r->fifo, 0600), 0);
    r->fifo_fd = open(r->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    assert_true(r->fifo_fd >= 0);
    assert_true(fcntl(r->fifo_fd, F_SETPIPE_SZ, 4096) > 0);
    snprintf(
        sinks, sizeof(sinks),
        "[{\"type\": \"file\", \"name\": \"fast\", \"path\": \"%s\", \"compress\": \"zstd\","
        " \"fsync\": true},"
        " {\"type\": \"file\", \"name\": \"stalled\", \"path\": \"%s\", \"compress\": \"none\","
        " \"fsync\": true}]",
        r->out, r->fifo);
    r->check_order = true;
    rig_start(r, "{\"max_events\": 10, \"max_bytes\": \"64KiB\", \"linger\": \"1m\"}",
              "\"queue\": {\"max_bytes\": \"1MiB\"},", sinks, false);
    /* Feed as a source does: until the pipeline says full. */
    while (!wt_pipeline_wait_if_full(r->p) && r->fed < 10000)
        feed(r, 1);
    assert_true(wt_pipeline_wait_if_full(r->p));
    unsigned closed = r->fed / 10 * 10;
    assert_true(closed >= 20);
    LU_WAIT(&r->loop, lu_events_in(r->out) >= closed);
    /* The fast sink has every closed batch; the stalled one holds them all back. */
    assert_int_equal(r->nacks, 0);
    assert_true(wt_pipeline_wait_if_full(r->p));
    assert_int_equal(r->resumes, 0);
    assert_int_equal(lu_gauge(r->m, "wtexport_paused", NULL), 1);
    /* Read the FIFO: acks follow in order, then input resumes. */
    LU_WAIT(&r->loop, drained_now(r) && r->resumes > 0);
    assert_false(wt_pipeline_wait_if_full(r->p));
    LU_WAIT(&r->loop, drained_now(r) && last_ack(r) == (uint64_t)closed * LINE_STEP);
    assert_true(r->nacks >= closed / 10 / 2); /* acked batch by batch, not all at the end */
    feed(r, 35);
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, drained_now(r) && last_ack(r) == (uint64_t)r->fed * LINE_STEP);
    unsigned fed = r->fed;
    rig_stop(r);
    long frames;
    char *text = lu_read_events(r->out, &frames);
    assert_int_equal(lu_check_keys(text, "k", 0, fed), fed);
    free(text);
    assert_int_equal(lu_check_keys(r->drained, "k", 0, fed), fed);
}

/* Blank lines have their own counter, apart from comments and malformed
 * lines (issue 17): lines = parsed + malformed + too_long + empty + skipped. */
static void test_line_counters(void **state)
{
    struct rig *r = *state;
    static const char *const odd[] = {"", "   ", "\t \t", "# a comment", "not a squid line"};
    r->check_order = false;
    rig_start(r, "{\"max_events\": 1000, \"linger\": \"1m\"}", "", zstd_sink(r), false);
    feed(r, 3);
    for (unsigned i = 0; i < 5; i++, r->fed++)
        wt_pipeline_line(r->p, &r->src, odd[i], strlen(odd[i]), r->fed + 1,
                         (uint64_t)(r->fed + 1) * LINE_STEP);
    feed(r, 2);
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, last_ack(r) == (uint64_t)r->fed * LINE_STEP);
    const struct wt_pipeline_counts *c = wt_pipeline_counts(r->p);
    assert_int_equal(c->lines, 10);
    assert_int_equal(c->parsed, 5);
    assert_int_equal(c->empty, 3);
    assert_int_equal(c->skipped, 1);
    assert_int_equal(c->malformed, 1);
    assert_int_equal(c->lines, c->parsed + c->malformed + c->too_long + c->empty + c->skipped);
    assert_int_equal(lu_counter(r->m, "wtexport_lines_read_total", NULL), 10);
    assert_int_equal(lu_counter(r->m, "wtexport_lines_empty_total", NULL), 3);
    assert_int_equal(lu_counter(r->m, "wtexport_lines_skipped_total", NULL), 1);
    assert_int_equal(lu_counter(r->m, "wtexport_lines_malformed_total", NULL), 1);
    rig_stop(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cut_by_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_by_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cut_by_linger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acks_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_while_busy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
