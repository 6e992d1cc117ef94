/*
 * test_sink_kafka.c - the Kafka sink: its pure helpers (line splitting, key
 * extraction, dead-letter names, error classes), then the sink itself on a
 * libuv loop against librdkafka's in-process mock cluster: acks, queue-full
 * backpressure, a fatal producer error (restart, nothing lost), a refused
 * request (dead letters holding exactly the refused events) and close()
 * with batches in flight.
 */
#include "log.h"
#include "sink.h"
#include "sink_kafka_int.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include <dirent.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct wt_str S(const char *s) {
    return (struct wt_str){s, strlen(s)};
}

static void
assert_str(struct wt_str got, const char *want)
{
    if (got.len != strlen(want) || memcmp(got.p, want, got.len) != 0)
        fail_msg("got \"%.*s\", want \"%s\"", (int)got.len, got.p, want);
}

/* ------------------------------------------------------------------------ */
/* Pure helpers                                                             */
/* ------------------------------------------------------------------------ */

static void test_next_line(void **state)
{
    (void)state;
    const char buf[] = "one\n\ntwo\nthree";
    const char *p = buf, *end = buf + strlen(buf);
    struct wt_str l;
    assert_true(wt__kafka_next_line(&p, end, &l));
    assert_str(l, "one");
    assert_true(wt__kafka_next_line(&p, end, &l)); /* the empty line is skipped */
    assert_str(l, "two");
    assert_true(wt__kafka_next_line(&p, end, &l)); /* no final newline */
    assert_str(l, "three");
    assert_false(wt__kafka_next_line(&p, end, &l));
    assert_ptr_equal(p, end);

    const char nl[] = "a\n\n\n";
    p = nl;
    end = nl + strlen(nl);
    assert_true(wt__kafka_next_line(&p, end, &l));
    assert_str(l, "a");
    assert_false(wt__kafka_next_line(&p, end, &l));
    p = nl;
    assert_false(wt__kafka_next_line(&p, nl, &l)); /* empty buffer */
}

static void test_event_key(void **state)
{
    (void)state;
    const char *ev = "{\"line\":3,\"ts\":\"2024-05-01T00:00:00.000Z\",\"host\":\"px1\","
                     "\"client_ip\":\"10.1.2.3\",\"url\":\"http://a.example.com/\","
                     "\"observables\":[{\"type\":\"ip\",\"value\":\"10.1.2.3\"},"
                     "{\"type\":\"domain\",\"value\":\"a.example.com\"}]}";
    struct wt_str k;
    assert_true(wt__kafka_event_key(S(ev), WT_KAFKA_KEY_OBSERVABLE, &k));
    assert_str(k, "10.1.2.3");
    assert_true(wt__kafka_event_key(S(ev), WT_KAFKA_KEY_CLIENT_IP, &k));
    assert_str(k, "10.1.2.3");
    assert_false(wt__kafka_event_key(S(ev), WT_KAFKA_KEY_NONE, &k));

    /* A masked client IP is no observable: the first one is the domain. */
    ev = "{\"client_ip\":\"10.xx.xx.xx\",\"observables\":[{\"type\":\"domain\","
         "\"value\":\"b.example.com\"}]}";
    assert_true(wt__kafka_event_key(S(ev), WT_KAFKA_KEY_OBSERVABLE, &k));
    assert_str(k, "b.example.com");
    assert_true(wt__kafka_event_key(S(ev), WT_KAFKA_KEY_CLIENT_IP, &k));
    assert_str(k, "10.xx.xx.xx");

    /* No observables, no client_ip: no key. */
    ev = "{\"line\":1,\"observables\":[]}";
    assert_false(wt__kafka_event_key(S(ev), WT_KAFKA_KEY_OBSERVABLE, &k));
    assert_false(wt__kafka_event_key(S(ev), WT_KAFKA_KEY_CLIENT_IP, &k));

    /* The key pattern inside a string value is escaped, so never matched;
     * the value's own escapes are kept. */
    ev = "{\"url\":\"http://x/?\\\"observables\\\":[{\\\"type\\\":\\\"ip\\\",\\\"value\\\":\\\"1\","
         "\"observables\":[{\"type\":\"url\",\"value\":\"http://x/?a=\\\"q\\\"\"}]}";
    assert_true(wt__kafka_event_key(S(ev), WT_KAFKA_KEY_OBSERVABLE, &k));
    assert_str(k, "http://x/?a=\\\"q\\\"");

    /* Cut short: the string is not closed. */
    assert_false(wt__kafka_event_key(S("{\"client_ip\":\"10.1"), WT_KAFKA_KEY_CLIENT_IP, &k));
    assert_false(wt__kafka_event_key(S("{\"observables\":[{\"type\":\"ip\",\"value\":\"1"),
                                     WT_KAFKA_KEY_OBSERVABLE, &k));
    /* A different shape after the type: no key rather than a wrong one. */
    assert_false(wt__kafka_event_key(S("{\"observables\":[{\"type\":\"ip\",\"v\":\"1\"}]}"),
                                     WT_KAFKA_KEY_OBSERVABLE, &k));
}

static void test_err_permanent(void **state)
{
    (void)state;
    assert_true(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE));
    assert_true(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED));
    assert_true(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
    assert_true(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
    assert_true(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR_INVALID_RECORD));
    assert_false(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT));
    assert_false(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR__PURGE_QUEUE));
    assert_false(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR__PURGE_INFLIGHT));
    assert_false(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR__FATAL));
    assert_false(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR__TRANSPORT));
    assert_false(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION));
    assert_false(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT));
    assert_false(wt__kafka_err_permanent(RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS));
}

/* ------------------------------------------------------------------------ */
/* The sink on a loop, against the mock cluster                             */
/* ------------------------------------------------------------------------ */

#define NBATCH_MAX 16

struct harness {
    uv_loop_t loop;
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mc;
    struct wt_sink_cfg cfg;
    struct wt_kafka_opts opts;
    struct wt_sink s;
    struct wt_batch *b[NBATCH_MAX];
    unsigned nb;
    unsigned acked, dead;
    enum wt_sink_status st[NBATCH_MAX];
    bool done[NBATCH_MAX];
    char dir[64]; /* temp dir: state, dead letters */
    char dl[128];
};

static void on_done(void *ctx, struct wt_sink *s, struct wt_batch *b, enum wt_sink_status st)
{
    struct harness *h = ctx;
    (void)s;
    assert_true(b->id < NBATCH_MAX);
    assert_false(h->done[b->id]); /* exactly once */
    h->done[b->id] = true;
    h->st[b->id] = st;
    if (st == WT_SINK_ACKED)
        h->acked++;
    else
        h->dead++;
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            rm_rf(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* A mock cluster of 3 brokers with topic "t" (4 partitions); the sink's config. */
static void harness_init(struct harness *h, const char *const *props)
{
    char err[256];
    memset(h, 0, sizeof(*h));
    assert_int_equal(uv_loop_init(&h->loop), 0);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
    h->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    assert_non_null(h->mock_rk);
    h->mc = rd_kafka_mock_cluster_new(h->mock_rk, 3);
    assert_non_null(h->mc);
    assert_int_equal(rd_kafka_mock_topic_create(h->mc, "t", 4, 3), 0);

    snprintf(h->dir, sizeof(h->dir), "/tmp/wt-test-kafka.XXXXXX");
    assert_non_null(mkdtemp(h->dir));
    snprintf(h->dl, sizeof(h->dl), "%s/dead-letter", h->dir);
    h->cfg.type = &wt_sink_kafka_type;
    h->cfg.name = "kafka0";
    h->cfg.opts = &h->opts;
    h->opts.brokers = (char *)rd_kafka_mock_cluster_bootstraps(h->mc);
    h->opts.topic = "t";
    h->opts.key = WT_KAFKA_KEY_OBSERVABLE;
    h->opts.message = WT_KAFKA_MESSAGE_EVENT;
    h->opts.dead_letter = h->dl;
    for (size_t i = 0; props && props[i]; i += 2) {
        h->opts.properties[h->opts.nproperties].name = (char *)props[i];
        h->opts.properties[h->opts.nproperties].value = (char *)props[i + 1];
        h->opts.nproperties++;
    }
    h->s.ops = wt_sink_kafka_type.ops;
    h->s.cfg = &h->cfg;
    h->s.loop = &h->loop;
    h->s.done = on_done;
    h->s.done_ctx = h;
    assert_int_equal(h->s.ops->open(&h->s, err, sizeof(err)), 0);
    assert_true(h->s.ops->idle(&h->s));
    assert_true(h->s.ops->ready(&h->s));
}

static void harness_free(struct harness *h)
{
    h->s.ops->close(&h->s);
    uv_run(&h->loop, UV_RUN_DEFAULT); /* close callbacks */
    assert_int_equal(uv_loop_close(&h->loop), 0);
    for (unsigned i = 0; i < h->nb; i++)
        wt_batch_free(h->b[i]);
    rd_kafka_mock_cluster_destroy(h->mc);
    rd_kafka_destroy(h->mock_rk);
    rm_rf(h->dir);
}

/* A batch of n events, seq first.. (id = its index in h->b). */
static struct wt_batch *make_batch(struct harness *h, unsigned first, unsigned n)
{
    struct wt_batch *b = wt_batch_new(1024 * 1024);
    assert_non_null(b);
    wt_batch_reset(b, h->nb);
    for (unsigned i = 0; i < n; i++) {
        unsigned seq = first + i;
        int w = snprintf(b->data + b->len, b->cap - b->len,
                         "{\"line\":%u,\"host\":\"px1\",\"client_ip\":\"10.0.%u.%u\","
                         "\"url\":\"http://h.example.com/seq/%u\",\"observables\":[{\"type\":"
                         "\"ip\",\"value\":\"10.0.%u.%u\"}]}\n",
                         seq, seq / 256 % 256, seq % 256, seq, seq / 256 % 256, seq % 256);
        assert_true(w > 0 && (size_t)w < b->cap - b->len);
        b->len += (size_t)w;
        b->nevents++;
    }
    h->b[h->nb++] = b;
    return b;
}

/* Run the loop until cond(h) or 20 s. */
static bool run_until(struct harness *h, bool (*cond)(const struct harness *))
{
    uv_update_time(&h->loop);
    uint64_t end = uv_now(&h->loop) + 20000;
    while (!cond(h) && uv_now(&h->loop) < end)
        uv_run(&h->loop, UV_RUN_ONCE);
    return cond(h);
}

static bool all_done(const struct harness *h)
{
    return h->acked + h->dead == h->nb && h->s.ops->idle(&h->s);
}

static void test_deliver(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    for (unsigned i = 0; i < 3; i++) {
        assert_true(h.s.ops->ready(&h.s));
        h.s.ops->send(&h.s, make_batch(&h, i * 100 + 1, 100));
    }
    assert_false(h.s.ops->idle(&h.s));
    assert_true(run_until(&h, all_done));
    assert_int_equal(h.acked, 3);
    assert_int_equal(h.dead, 0);
    assert_false(h.s.failing);
    harness_free(&h);
}

/* message=batch: one message per batch, acked the same way. */
static void test_deliver_batch_mode(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    h.opts.message = WT_KAFKA_MESSAGE_BATCH; /* read at open: reopen */
    h.s.ops->close(&h.s);
    uv_run(&h.loop, UV_RUN_DEFAULT);
    char err[256];
    assert_int_equal(h.s.ops->open(&h.s, err, sizeof(err)), 0);
    h.s.ops->send(&h.s, make_batch(&h, 1, 50));
    h.s.ops->send(&h.s, make_batch(&h, 51, 50));
    assert_true(run_until(&h, all_done));
    assert_int_equal(h.acked, 2);
    harness_free(&h);
}

/* A small local queue: QUEUE_FULL stops producing, ready() is false until
 * reports make room, and production resumes where it stopped. */
static void test_queue_full_backpressure(void **state)
{
    (void)state;
    static const char *const props[] = {"queue.buffering.max.messages", "50", NULL};
    struct harness h;
    harness_init(&h, props);
    h.s.ops->send(&h.s, make_batch(&h, 1, 300));
    assert_false(h.s.ops->ready(&h.s)); /* 300 messages do not fit in 50 */
    bool saw_ready = false;
    while (!all_done(&h)) {
        uv_run(&h.loop, UV_RUN_ONCE);
        if (h.s.ops->ready(&h.s) && h.nb < 4) {
            saw_ready = true;
            h.s.ops->send(&h.s, make_batch(&h, h.nb * 300 + 1, 300));
        }
    }
    assert_true(saw_ready);
    assert_int_equal(h.acked, 4);
    assert_int_equal(h.dead, 0);
    harness_free(&h);
}

/* A message larger than the whole local queue can never be produced: it is
 * refused (dead-lettered) instead of stalling the sink for ever. */
static void test_message_larger_than_queue(void **state)
{
    (void)state;
    static const char *const props[] = {"queue.buffering.max.kbytes", "1", NULL};
    struct harness h;
    harness_init(&h, props);
    h.opts.message = WT_KAFKA_MESSAGE_BATCH; /* read at open: reopen */
    h.s.ops->close(&h.s);
    uv_run(&h.loop, UV_RUN_DEFAULT);
    char err[256];
    assert_int_equal(h.s.ops->open(&h.s, err, sizeof(err)), 0);
    h.s.ops->send(&h.s, make_batch(&h, 1, 20)); /* about 3 KiB */
    assert_true(run_until(&h, all_done));
    assert_int_equal(h.dead, 1);
    assert_true(h.s.ops->ready(&h.s));
    harness_free(&h);
}

static bool first_acked(const struct harness *h)
{
    return h->acked >= 1;
}

/* A fatal producer error: the producer is replaced, every batch not yet
 * acknowledged is produced again, nothing is dead-lettered. */
static void test_fatal_restart(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    h.s.ops->send(&h.s, make_batch(&h, 1, 100));
    assert_true(run_until(&h, first_acked));
    /* A batch in flight when the producer fails: produced again by the next one. */
    h.s.ops->send(&h.s, make_batch(&h, 101, 100));
    rd_kafka_t *before = wt__kafka_handle(&h.s);
    assert_int_equal(rd_kafka_test_fatal_error(before,
                                               RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                               "injected by test_sink_kafka"),
                     0);
    for (unsigned i = 2; i < 4; i++) {
        while (!h.s.ops->ready(&h.s))
            uv_run(&h.loop, UV_RUN_ONCE);
        h.s.ops->send(&h.s, make_batch(&h, i * 100 + 1, 100));
    }
    assert_true(run_until(&h, all_done));
    assert_int_equal(h.acked, 4);
    assert_int_equal(h.dead, 0);
    assert_non_null(wt__kafka_handle(&h.s));
    harness_free(&h);
}

static size_t count_lines_in(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    assert_non_null(f);
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

/* A refused Produce request: the batches it held messages of go DEAD, the
 * dead letters hold exactly the refused events, with a .reason. */
static void test_dead_letter(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    /* Warm up: producer id and metadata, so the error hits a Produce of data. */
    h.s.ops->send(&h.s, make_batch(&h, 1, 10));
    assert_true(run_until(&h, all_done));
    rd_kafka_mock_push_request_errors(h.mc, 0 /* Produce */, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    h.s.ops->send(&h.s, make_batch(&h, 11, 200));
    assert_true(run_until(&h, all_done));
    assert_int_equal(h.acked + h.dead, 2);
    assert_int_equal(h.st[1], WT_SINK_DEAD);

    struct stat st;
    assert_int_equal(stat(h.dl, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    DIR *d = opendir(h.dl);
    struct dirent *e;
    unsigned nd = 0, nr = 0;
    size_t refused = 0;
    char p[512];
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        snprintf(p, sizeof(p), "%s/%s", h.dl, e->d_name);
        if (n > 7 && strcmp(e->d_name + n - 7, ".ndjson") == 0) {
            nd++;
            assert_int_equal(strncmp(e->d_name, "kafka0-", 7), 0);
            assert_int_equal(stat(p, &st), 0);
            assert_int_equal(st.st_mode & 0777, 0600);
            refused += count_lines_in(p);
        } else if (n > 7 && strcmp(e->d_name + n - 7, ".reason") == 0) {
            nr++;
            FILE *f = fopen(p, "r");
            char text[1024];
            size_t len = fread(text, 1, sizeof(text) - 1, f);
            fclose(f);
            text[len] = '\0';
            cJSON *r = cJSON_Parse(text);
            assert_non_null(r);
            const char *why = cJSON_GetStringValue(cJSON_GetObjectItem(r, "reason"));
            assert_non_null(why);
            assert_non_null(strstr(why, "MSG_SIZE_TOO_LARGE: Broker: "));
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r, "topic")), "t");
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r, "error")),
                                "MSG_SIZE_TOO_LARGE");
            assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(r, "sink")), "kafka0");
            cJSON_Delete(r);
        }
    }
    closedir(d);
    assert_int_equal(nd, 1);
    assert_int_equal(nr, 1);
    /* One partition's request of four: some events, never all of them. */
    assert_true(refused > 0 && refused < 200);
    harness_free(&h);
}

/* close() with batches in flight (every broker down): no callback after
 * it, nothing leaked (ASan), the batches stay the caller's. */
static void test_close_in_flight(void **state)
{
    (void)state;
    struct harness h;
    harness_init(&h, NULL);
    rd_kafka_mock_broker_set_down(h.mc, -1);
    h.s.ops->send(&h.s, make_batch(&h, 1, 100));
    h.s.ops->send(&h.s, make_batch(&h, 101, 100));
    for (int i = 0; i < 5; i++)
        uv_run(&h.loop, UV_RUN_NOWAIT);
    assert_false(h.s.ops->idle(&h.s));
    assert_int_equal(h.acked + h.dead, 0);
    harness_free(&h);
}

/* ------------------------------------------------------------------------ */
/* exactly_once                                                             */
/* ------------------------------------------------------------------------ */

#define EO_TXN_ID  "wt-test-txn"
#define EO_OFFSETS "t.offsets"

/* Reopen the harness's sink as exactly_once in durable mode (resume called). */
static void eo_open(struct harness *h)
{
    char err[256];
    h->s.ops->close(&h->s);
    uv_run(&h->loop, UV_RUN_DEFAULT);
    h->opts.exactly_once = true;
    h->opts.txn_id = EO_TXN_ID;
    h->opts.offsets_topic = EO_OFFSETS;
    assert_int_equal(h->s.ops->open(&h->s, err, sizeof(err)), 0);
    h->s.ops->resume(&h->s, false, 0);
    /* Batches are taken while init_transactions and the read-back run:
     * they wait, unproduced, until the committed position is known (the
     * resume test below sends them then; replay offers a batch again only
     * on an ack, so refusing them would stall it). */
    assert_true(h->s.ops->ready(&h->s));
}

static void eo_init(struct harness *h)
{
    harness_init(h, NULL);
    assert_int_equal(rd_kafka_mock_topic_create(h->mc, EO_OFFSETS, 1, 3), 0);
    make_batch(h, 0, 0); /* id 0 is never a spool sequence number: keep it unused */
    h->done[0] = true;
    eo_open(h);
}

static unsigned eo_want;
static bool eo_acked(const struct harness *h)
{
    return h->acked + h->dead >= eo_want && h->s.ops->idle(&h->s);
}

/* Read topic from the start as a read_committed consumer: messages, and
 * for the offsets topic the last seq under EO_TXN_ID. */
static unsigned read_committed(struct harness *h, const char *topic, uint64_t *last_seq)
{
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(
        rd_kafka_conf_set(conf, "bootstrap.servers", h->opts.brokers, err, sizeof(err)),
        RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(conf, "isolation.level", "read_committed", err, sizeof(err));
    rd_kafka_conf_set(conf, "group.id", "test-reader", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    assert_non_null(c);
    int np = strcmp(topic, "t") == 0 ? 4 : 1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(c, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
    unsigned n = 0, eof = 0, idle = 0;
    while (eof < (unsigned)np && idle < 100) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m) {
            idle++;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            eof++;
        else if (!m->err) {
            n++;
            uint64_t seq;
            if (last_seq && wt__kafka_offsets_parse(m->payload, m->len, &seq))
                *last_seq = seq;
            /* Every message and offsets record names its transaction. */
            rd_kafka_headers_t *hd = NULL;
            const void *tv = NULL;
            size_t tl = 0;
            if (np == 4) {
                assert_int_equal(rd_kafka_message_headers(m, &hd), RD_KAFKA_RESP_ERR_NO_ERROR);
                assert_int_equal(rd_kafka_header_get_last(hd, WT_KAFKA_HDR_TXN, &tv, &tl), 0);
            } else {
                tv = memmem(m->payload, m->len, "\"txn\":\"", 7);
                assert_non_null(tv);
                tv = (const char *)tv + 7;
                tl = (size_t)((const char *)memchr(tv, '"', 40) - (const char *)tv);
            }
            assert_true(tl > 17 && tl < WT_KAFKA_TXN_TAG_MAX && ((const char *)tv)[16] == '-');
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(eof, np);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return n;
}

static void test_offsets_value(void **state)
{
    (void)state;
    char v[WT_KAFKA_OFFSETS_VALUE_MAX];
    size_t n = wt__kafka_offsets_value(v, sizeof(v), 42, 7, 1234, "00000000000000ff-3", 2);
    assert_true(n > 0);
    assert_string_equal(v, "{\"v\":1,\"seq\":42,\"segment\":7,\"offset\":1234,"
                           "\"txn\":\"00000000000000ff-3\",\"prev\":2}");
    uint64_t seq = 0;
    assert_true(wt__kafka_offsets_parse(v, n, &seq));
    assert_int_equal(seq, 42);
    assert_false(wt__kafka_offsets_parse("{\"v\":2,\"seq\":1}", 16, &seq));
    assert_false(wt__kafka_offsets_parse("{\"v\":1,\"seq\":", 13, &seq));
}

/* Batches go out in transactions with the offsets record; a restart reads
 * the committed position back and acks what it covers without producing. */
static void test_eo_commit_and_resume(void **state)
{
    (void)state;
    struct harness h;
    eo_init(&h);
    for (unsigned i = 1; i <= 3; i++)
        h.s.ops->send(&h.s, make_batch(&h, i * 100, 100));
    eo_want = 3;
    assert_true(run_until(&h, eo_acked));
    assert_int_equal(h.acked, 3);
    assert_false(h.s.failing);
    uint64_t seq = 0;
    assert_int_equal(read_committed(&h, "t", NULL), 300);
    assert_true(read_committed(&h, EO_OFFSETS, &seq) >= 1);
    assert_int_equal(seq, 3);

    /* A restart: the spool cursor is behind (batches 2 and 3 come again),
     * the topic says 3 is committed: they are acked, not produced. */
    eo_open(&h);
    h.done[2] = h.done[3] = false;
    h.acked -= 2;
    h.s.ops->send(&h.s, h.b[2]);
    h.s.ops->send(&h.s, h.b[3]);
    h.s.ops->send(&h.s, make_batch(&h, 400, 100));
    eo_want = 4;
    assert_true(run_until(&h, eo_acked));
    assert_int_equal(h.acked, 4);
    assert_int_equal(read_committed(&h, "t", NULL), 400); /* not 600 */
    seq = 0;
    read_committed(&h, EO_OFFSETS, &seq);
    assert_int_equal(seq, 4);
    harness_free(&h);
}

/* One committed batch of 100 events, then the mock answers request api
 * with err once while two more are sent; waits until all three are acked. */
static void eo_fault_after_first(struct harness *h, int16_t api, rd_kafka_resp_err_t err)
{
    eo_init(h);
    h->s.ops->send(&h->s, make_batch(h, 100, 100));
    eo_want = 1;
    assert_true(run_until(h, eo_acked));
    rd_kafka_mock_push_request_errors(h->mc, api, 1, err);
    h->s.ops->send(&h->s, make_batch(h, 200, 100));
    h->s.ops->send(&h->s, make_batch(h, 300, 100));
    eo_want = 3;
    assert_true(run_until(h, eo_acked));
}

/* A fatal error in a transaction (OUT_OF_ORDER_SEQUENCE): a new producer,
 * init_transactions aborts the open transaction, its batches are produced
 * again; a read_committed consumer sees every event once. */
static void test_eo_fatal_restart(void **state)
{
    (void)state;
    struct harness h;
    eo_fault_after_first(&h, 0 /* Produce */, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_int_equal(h.acked, 3);
    assert_int_equal(h.dead, 0);
    /* At least once each; a real broker hides what the aborted transaction
     * held (the mock cluster does not filter aborted transactions). */
    assert_true(read_committed(&h, "t", NULL) >= 300);
    uint64_t seq = 0;
    read_committed(&h, EO_OFFSETS, &seq);
    assert_int_equal(seq, 3);
    harness_free(&h);
}

/* An abortable error (EndTxn answers UNKNOWN_PRODUCER_ID): the transaction
 * is aborted and its batches produced again in a new one; a read_committed
 * consumer sees every event once. */
static void test_eo_abort_resend(void **state)
{
    (void)state;
    struct harness h;
    eo_fault_after_first(&h, 26 /* EndTxn */, RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID);
    assert_int_equal(h.acked, 3);
    assert_int_equal(h.dead, 0);
    /* librdkafka 2.0.2's mock cluster does not filter aborted transactions
     * out of a read_committed fetch, so the aborted attempt is visible here
     * (a real broker hides it): the batches were produced twice, once in the
     * aborted transaction and once in the committed one. */
    assert_int_equal(read_committed(&h, "t", NULL), 500);
    uint64_t seq = 0;
    read_committed(&h, EO_OFFSETS, &seq);
    assert_int_equal(seq, 3);
    harness_free(&h);
}

static bool sink_failing(const struct harness *h)
{
    return h->s.failing;
}

/* Another producer takes the transactional.id: the sink stops with an
 * error, acks nothing more, and nothing of it becomes visible. */
static void test_eo_fenced(void **state)
{
    (void)state;
    struct harness h;
    char err[256];
    eo_init(&h);
    h.s.ops->send(&h.s, make_batch(&h, 100, 100));
    eo_want = 1;
    assert_true(run_until(&h, eo_acked));
    /* librdkafka 2.0.2's mock cluster does not fence an older epoch when a
     * second producer initialises the same transactional.id: raise the
     * fatal error librdkafka raises against a real broker. */
    (void)err;
    assert_int_equal(rd_kafka_test_fatal_error(wt__kafka_handle(&h.s),
                                               RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
                                               "injected by test_sink_kafka"),
                     0);
    h.s.ops->send(&h.s, make_batch(&h, 200, 100));
    assert_true(run_until(&h, sink_failing));
    for (int i = 0; i < 20; i++)
        uv_run(&h.loop, UV_RUN_NOWAIT);
    assert_int_equal(h.acked, 1); /* the second batch is never acked */
    assert_false(h.s.ops->ready(&h.s));
    assert_int_equal(read_committed(&h, "t", NULL), 100);
    harness_free(&h);
}

int main(void)
{
    /* WT_TEST_VERBOSE=1: the sink's and librdkafka's log lines too. */
    wt_log_setup(getenv("WT_TEST_VERBOSE") ? WT_LOG_DEBUG : WT_LOG_WARN, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_line),
        cmocka_unit_test(test_event_key),
        cmocka_unit_test(test_err_permanent),
        cmocka_unit_test(test_deliver),
        cmocka_unit_test(test_deliver_batch_mode),
        cmocka_unit_test(test_queue_full_backpressure),
        cmocka_unit_test(test_message_larger_than_queue),
        cmocka_unit_test(test_fatal_restart),
        cmocka_unit_test(test_dead_letter),
        cmocka_unit_test(test_close_in_flight),
        cmocka_unit_test(test_offsets_value),
        cmocka_unit_test(test_eo_commit_and_resume),
        cmocka_unit_test(test_eo_fatal_restart),
        cmocka_unit_test(test_eo_abort_resend),
        cmocka_unit_test(test_eo_fenced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
