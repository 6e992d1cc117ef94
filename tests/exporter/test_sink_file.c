/*
 * test_sink_file.c - the file sink on a real loop, in process, fed by the
 * pipeline (memory mode: a batch is acked once the sink wrote it):
 * batches appended after what the file held, one valid zstd frame per
 * batch, a torn last batch cut at open (zstd and NDJSON), a failed write
 * (the file size limit) cut back and retried with nothing acked meanwhile
 * and nothing doubled after, fsync on and off, and stdout.
 */
#include "loop_util.h"

#include "pipeline.h"

#include <signal.h>
#include <sys/resource.h>

#define LINE_STEP 100

struct rig {
    uv_loop_t loop;
    struct wt_config cfg;
    struct wt_metrics *m;
    struct wt_pipeline *p;
    struct wt_source src;
    char dir[256], out[512];
    unsigned fed;
    uint64_t acked;
};

static int setup(void **state)
{
    struct rig *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    lu_log_setup();
    lu_mkdtemp(r->dir, sizeof(r->dir), "sinkfile");
    snprintf(r->out, sizeof(r->out), "%s/out", r->dir);
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

static void on_ack(void *ctx, uint32_t input, uint64_t offset, uint64_t lineno)
{
    struct rig *r = ctx;
    (void)input;
    (void)lineno;
    r->acked = offset;
}

/* sink_keys: the file sink's keys after "type" (JSON object members). */
static void rig_start(struct rig *r, const char *sink_keys)
{
    char err[512] = "";
    assert_int_equal(uv_loop_init(&r->loop), 0);
    lu_config(&r->cfg,
              "{\"state_dir\": \"%s\", \"inputs\": [{\"path\": \"/nonexistent/access.log\"}],"
              " \"batch\": {\"max_events\": 10, \"linger\": \"1m\"},"
              " \"sinks\": [{\"type\": \"file\", %s}], \"metrics\": {\"listen\": \"\"}}",
              r->dir, sink_keys);
    r->m = wt_metrics_new();
    assert_non_null(r->m);
    struct wt_pipeline_hooks hooks = {.ctx = r, .on_ack = on_ack};
    r->p = wt_pipeline_new(&r->loop, &r->cfg, r->m, &hooks, false, 0, 0, err, sizeof(err));
    if (!r->p)
        fail_msg("wt_pipeline_new: %s", err);
    wt_pipeline_source_init(r->p, &r->src, 1, (struct wt_str){"test.log", 8}, &r->cfg.inputs[0]);
}

static void rig_stop(struct rig *r)
{
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, wt_pipeline_idle(r->p) && !wt_pipeline_busy(r->p));
    wt_pipeline_free(r->p);
    lu_loop_close(&r->loop);
    wt_metrics_free(r->m);
    wt_config_free(&r->cfg);
}

/* Feed n lines, close the batch, wait until they are acked. */
static void ship(struct rig *r, unsigned n)
{
    char line[512];
    for (unsigned i = 0; i < n; i++, r->fed++) {
        int len = lu_line(line, sizeof(line), lu_now_s(), "k", r->fed, 0);
        wt_pipeline_line(r->p, &r->src, line, (size_t)len - 1, r->fed + 1,
                         (uint64_t)(r->fed + 1) * LINE_STEP);
    }
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, r->acked == (uint64_t)r->fed * LINE_STEP);
}

static uint64_t sink_counter(struct rig *r, const char *name)
{
    return lu_counter(r->m, name, "sink=\"file0\",type=\"file\"");
}

static const char *keys(struct rig *r, const char *compress, bool fsync)
{
    static char json[1024];
    snprintf(json, sizeof(json), "\"path\": \"%s\", \"compress\": \"%s\", \"fsync\": %s", r->out,
             compress, fsync ? "true" : "false");
    return json;
}

/* ------------------------------------------------------------------------ */

/* NDJSON: appended after the lines already there; fsync on. */
static void test_ndjson_appended(void **state)
{
    struct rig *r = *state;
    lu_append(r->out, "{\"earlier\":1}\n{\"earlier\":2}\n");
    rig_start(r, keys(r, "none", true));
    ship(r, 25);
    ship(r, 3);
    assert_int_equal(sink_counter(r, "wtexport_sink_batches_total"), 4);
    assert_int_equal(sink_counter(r, "wtexport_sink_events_total"), 28);
    rig_stop(r);
    char *text = lu_slurp(r->out, NULL);
    assert_memory_equal(text, "{\"earlier\":1}\n{\"earlier\":2}\n", 28);
    assert_int_equal(lu_count_lines(text), 30);
    assert_int_equal(lu_check_keys(text, "k", 0, 28), 28);
    free(text);
}

/* zstd: one valid frame per batch, fsync off; a restart appends more frames. */
static void test_zstd_frames(void **state)
{
    struct rig *r = *state;
    size_t raw[16], ev[16];
    rig_start(r, keys(r, "zstd", false));
    ship(r, 10);
    ship(r, 7);
    ship(r, 1);
    rig_stop(r);
    assert_int_equal(lu_frames(r->out, raw, ev, 16), 3);
    assert_int_equal(ev[0], 10);
    assert_int_equal(ev[1], 7);
    assert_int_equal(ev[2], 1);
    rig_start(r, keys(r, "zstd", false));
    ship(r, 4);
    rig_stop(r);
    assert_int_equal(lu_frames(r->out, raw, ev, 16), 4);
    long frames;
    char *text = lu_read_events(r->out, &frames);
    assert_int_equal(frames, 4);
    assert_int_equal(lu_check_keys(text, "k", 0, 22), 22);
    free(text);
}

/* A batch torn by a crash at the end of the file is cut at open. */
static void test_torn_tail_cut(void **state)
{
    struct rig *r = *state;
    size_t raw[16], ev[16], zlen;
    rig_start(r, keys(r, "zstd", true));
    ship(r, 10);
    ship(r, 10);
    rig_stop(r);
    char *z = lu_slurp(r->out, &zlen);
    /* Half of the second frame again: a write cut short. */
    size_t first = ZSTD_findFrameCompressedSize(z, zlen);
    assert_false(ZSTD_isError(first));
    int fd = open(r->out, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    lu_write_fd(fd, z + first, (zlen - first) / 2);
    close(fd);
    free(z);
    rig_start(r, keys(r, "zstd", true));
    struct stat st;
    assert_int_equal(stat(r->out, &st), 0);
    assert_int_equal((size_t)st.st_size, zlen);
    r->fed = 20;
    ship(r, 5);
    rig_stop(r);
    assert_int_equal(lu_frames(r->out, raw, ev, 16), 3);

    /* The same for NDJSON: a last line without its newline. */
    unlink(r->out);
    r->fed = 0;
    rig_start(r, keys(r, "none", false));
    ship(r, 10);
    rig_stop(r);
    lu_append(r->out, "{\"torn\":");
    rig_start(r, keys(r, "none", false));
    ship(r, 5);
    rig_stop(r);
    char *text = lu_slurp(r->out, NULL);
    assert_null(strstr(text, "torn"));
    assert_int_equal(lu_count_lines(text), 15);
    assert_int_equal(lu_check_keys(text, "k", 0, 15), 15);
    free(text);
}

/*
 * A write that fails half-way (the file size limit, EFBIG) is cut back to
 * where the job started and retried with backoff: meanwhile nothing is
 * acked and the sink reports failing; once the limit is lifted the batch
 * is written exactly once.
 */
static void test_write_error_retried(void **state)
{
    struct rig *r = *state;
    struct rlimit old, lim;
    struct stat st;
    size_t raw[16], ev[16];
    rig_start(r, keys(r, "zstd", true));
    ship(r, 10);
    assert_int_equal(stat(r->out, &st), 0);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size + 100; /* room for part of the next frame */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    char line[512];
    for (unsigned i = 0; i < 10; i++, r->fed++) {
        int len = lu_line(line, sizeof(line), lu_now_s(), "k", r->fed, 0);
        wt_pipeline_line(r->p, &r->src, line, (size_t)len - 1, r->fed + 1,
                         (uint64_t)(r->fed + 1) * LINE_STEP);
    }
    wt_pipeline_flush(r->p);
    LU_WAIT(&r->loop, wt_pipeline_failing(r->p));
    struct stat now;
    assert_int_equal(stat(r->out, &now), 0);
    assert_int_equal(now.st_size, st.st_size); /* cut back: no half batch */
    assert_int_equal(r->acked, 10 * LINE_STEP);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    LU_WAIT(&r->loop, r->acked == 20 * LINE_STEP);
    assert_false(wt_pipeline_failing(r->p));
    rig_stop(r);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(lu_frames(r->out, raw, ev, 16), 2);
    long frames;
    char *text = lu_read_events(r->out, &frames);
    assert_int_equal(lu_check_keys(text, "k", 0, 20), 20);
    free(text);
}

/* path "-": the batches go to stdout (here a file put in place of fd 1). */
static void test_stdout(void **state)
{
    struct rig *r = *state;
    char cap[600];
    snprintf(cap, sizeof(cap), "%s/stdout", r->dir);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    close(fd);
    rig_start(r, "\"path\": \"-\", \"compress\": \"none\"");
    ship(r, 12);
    rig_stop(r);
    assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    char *text = lu_slurp(cap, NULL);
    assert_int_equal(lu_count_lines(text), 12);
    assert_int_equal(lu_check_keys(text, "k", 0, 12), 12);
    free(text);
    /* stdout is still open and usable. */
    assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ndjson_appended, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zstd_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
