/*
 * kafka_input.c - the Kafka input (fleet mode): a librdkafka high-level
 * consumer in a consumer group, on the loop.
 *
 * librdkafka's main queue is forwarded to the consumer queue, and
 * rd_kafka_queue_io_event_enable() makes it write a byte to a pipe when
 * that queue becomes non-empty; a uv_poll_t on the pipe serves it with
 * rd_kafka_consumer_poll(rk, 0), so messages, rebalances, commit results,
 * errors and logs are all handled on the loop thread, as the Kafka sink
 * does. A repeating uv_timer is the safety net (and commits, samples lag).
 *
 * Offsets: each message fed to the pipeline is tracked (kafka_input_track.c)
 * until every sink has finished its events: the pipeline acks its lines
 * once their batch is in the spool (on_ack, with the spool record's token),
 * and the spooler reports when every sink has acked (or dead-lettered)
 * that record (on_delivered); without the spool (spool.enabled false) the
 * pipeline acks them once every sink has. Only then may its partition's offset be
 * committed, never beyond the highest offset below which every message is
 * acked. Commits go out every
 * commit_interval, at every revocation (synchronously, for the revoked
 * partitions) and at stop. A kill -9 therefore reads again at most the
 * messages not yet committed: those in flight (max_in_flight: consumed and
 * not yet acked by every sink) and those acked within the last
 * commit_interval.
 *
 * Backpressure: when the pipeline is full, or max_in_flight messages wait
 * for acks, every assigned partition is paused (rd_kafka_pause_partitions:
 * librdkafka drops what it fetched ahead and fetches again from the next
 * message on resume); the consumer keeps being polled, so the group sees it
 * alive and rebalances are served.
 */
#include "kafka_conf.h"
#include "kafka_input_int.h"
#include "log.h"
#include "wt_common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG "kafka-input"
/* Bytes of a bad message shown in its warning. */
#define WT_KIN_SHOWN 60
/* Bytes of the partition list in a rebalance's log line. */
#define WT_KIN_LIST_SHOWN 400

enum { KIN_LINES = 0, KIN_EVENTS = 1 };

struct kafka_in {
    uv_loop_t *loop;
    struct wt_pipeline *p;
    struct wt_metrics *m;
    struct wt_source src;
    char name[300]; /* "kafka://GROUP/TOPICS": "src" of raw lines, the metrics label */
    char label[700];
    char topicbuf[WT_KIN_MAX_TOPICS * 250];
    const char *topics[WT_KIN_MAX_TOPICS]; /* as subscribed (names, ^patterns) */
    size_t ntopics;
    char **names; /* topics seen in assignments: max_partitions at most */
    size_t nnames;
    int mode;
    size_t max_line;
    int64_t commit_ms, unreach_ms;

    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    int pipefd[2];
    uv_poll_t poll;
    uv_timer_t tick;
    int handles;
    bool stopped, freeing, paused;
    bool durable; /* through the spool: acked once spooled, then delivered */
    bool coop;    /* the group's rebalance protocol is COOPERATIVE (last one known) */

    struct wt_kin_track tr;
    const rd_kafka_topic_t *last_rkt; /* the slot cache: runs of one partition */
    int32_t last_part;
    long last_slot;
    uint64_t lineno;
    uint64_t last_commit;
    unsigned async_commits; /* in flight */
    uint64_t down_since;    /* every broker down since (loop ms), 0: reachable */
    uint64_t down_seen_us;  /* when that was seen (uv_hrtime, us): older statistics are stale */
    bool refused_parts;     /* max_partitions reached: some partitions left paused */
    bool warned_bad, warned_err, warned_commit, warned_refused, warned_stray, warned_down;
    struct wt_metric *m_msgs, *m_bad, *m_commits, *m_commit_err, *m_rebal, *m_assigned, *m_inflight;
};

/* ------------------------------------------------------------------------ */
/* Partitions                                                               */
/* ------------------------------------------------------------------------ */

/* The index of a topic seen before, or -1. */
static long topic_find(const struct kafka_in *in, const char *name)
{
    for (size_t i = 0; i < in->nnames; i++) {
        if (strcmp(in->names[i], name) == 0)
            return (long)i;
    }
    return -1;
}

/* The index of a topic, added when new. -1: the table is full (max_partitions). */
static long topic_index(struct kafka_in *in, const char *name)
{
    long i = topic_find(in, name);
    if (i >= 0 || in->nnames == in->tr.maxparts)
        return i;
    char *d = wt_strdup(name);
    if (!d)
        return -1;
    in->names[in->nnames] = d;
    return (long)in->nnames++;
}

/* The slot of a partition of ours, or -1 (slots full). */
static long slot_of(struct kafka_in *in, const char *topic, int32_t partition)
{
    long ti = topic_index(in, topic);
    return ti < 0 ? -1 : wt__kin_slot(&in->tr, (uint32_t)ti, partition);
}

static void lag_metric(struct kafka_in *in, struct wt_kin_part *pt, bool on)
{
    if (!on) {
        wt_metrics_remove(in->m, pt->m_lag);
        pt->m_lag = NULL;
        return;
    }
    if (pt->m_lag)
        return;
    char esc[600], lab[sizeof(in->label) + sizeof(esc) + 64];
    wt_metrics_label_escape(in->names[pt->topic], esc, sizeof(esc));
    snprintf(lab, sizeof(lab), "%s,topic=\"%s\",partition=\"%d\"", in->label, esc,
             (int)pt->partition);
    pt->m_lag = wt_metrics_get(in->m, WT_METRIC_GAUGE, "wtexport_kafka_input_lag",
                               "Consumer lag of an assigned partition: its high watermark "
                               "less this shipper's position (librdkafka statistics).",
                               lab, NULL, 0);
}

/* A list of the partitions assigned to us (slots), for pause and resume. */
static rd_kafka_topic_partition_list_t *assigned_list(const struct kafka_in *in)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)in->tr.nparts);
    for (size_t i = 0; i < in->tr.nparts; i++) {
        const struct wt_kin_part *pt = &in->tr.parts[i];
        if (pt->assigned)
            rd_kafka_topic_partition_list_add(l, in->names[pt->topic], pt->partition);
    }
    return l;
}

static void pause_all(struct kafka_in *in)
{
    if (in->paused || !in->rk)
        return;
    in->paused = true;
    rd_kafka_topic_partition_list_t *l = assigned_list(in);
    if (l->cnt > 0)
        rd_kafka_pause_partitions(in->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    wt_log_debug(TAG, "%s: paused (%zu messages in flight)", in->name, in->tr.n);
}

static void resume_all(struct kafka_in *in)
{
    if (!in->paused || in->stopped || !in->rk)
        return;
    in->paused = false;
    rd_kafka_topic_partition_list_t *l = assigned_list(in);
    if (l->cnt > 0)
        rd_kafka_resume_partitions(in->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    wt_log_debug(TAG, "%s: resumed", in->name);
}

/*
 * A broker answered (or its connection is up): the cluster is reachable.
 * Ends an outage (down_since), logged once each, with its length.
 */
static void reachable(struct kafka_in *in, const char *how)
{
    if (!in->down_since)
        return;
    wt_log_info(TAG, "%s: cluster reachable again after %llu ms (%s)", in->name,
                (unsigned long long)(uv_now(in->loop) - in->down_since), how);
    in->down_since = 0;
    in->warned_down = false; /* the next outage is logged too */
}

/* ------------------------------------------------------------------------ */
/* Commits                                                                  */
/* ------------------------------------------------------------------------ */

static bool in_list(const rd_kafka_topic_partition_list_t *only, const char *topic, int32_t part)
{
    return !only || rd_kafka_topic_partition_list_find(only, topic, part) != NULL;
}

/* Settle committed offsets from a commit's result. */
static void committed(struct kafka_in *in, rd_kafka_resp_err_t err,
                      const rd_kafka_topic_partition_list_t *offs)
{
    bool ok = err == RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; offs && i < offs->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &offs->elems[i];
        if (e->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            ok = false;
            err = e->err;
            continue;
        }
        long ti = topic_find(in, e->topic);
        if (ti < 0 || err != RD_KAFKA_RESP_ERR_NO_ERROR)
            continue;
        for (size_t s = 0; s < in->tr.nparts; s++) {
            struct wt_kin_part *pt = &in->tr.parts[s];
            if (pt->topic == (uint32_t)ti && pt->partition == e->partition && pt->assigned &&
                e->offset > pt->committed)
                pt->committed = e->offset;
        }
    }
    if (ok) {
        wt_metric_add(in->m_commits, 1);
        reachable(in, "offsets committed");
        return;
    }
    wt_metric_add(in->m_commit_err, 1);
    wt_log_once(&in->warned_commit, WT_LOG_WARN, TAG,
                "%s: committing offsets failed: %s (tried again at the next commit_interval; "
                "further failures are only counted in wtexport_kafka_input_commit_errors_total)",
                in->name, rd_kafka_err2str(err));
}

/*
 * Commit every acked offset not yet committed (of the partitions in only,
 * or all). sync: wait for the result (rebalance, stop).
 */
static void commit(struct kafka_in *in, const rd_kafka_topic_partition_list_t *only, bool sync)
{
    if (!in->rk || (!sync && in->async_commits > 0))
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < in->tr.nparts; i++) {
        const struct wt_kin_part *pt = &in->tr.parts[i];
        int64_t off = wt__kin_commit_offset(&in->tr, i);
        if (off >= 0 && in_list(only, in->names[pt->topic], pt->partition))
            rd_kafka_topic_partition_list_add(l, in->names[pt->topic], pt->partition)->offset = off;
    }
    if (l->cnt > 0) {
        in->last_commit = uv_now(in->loop);
        if (sync) {
            rd_kafka_resp_err_t err = rd_kafka_commit(in->rk, l, 0);
            committed(in, err, l);
        } else if (rd_kafka_commit(in->rk, l, 1) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            in->async_commits++;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* ------------------------------------------------------------------------ */
/* librdkafka callbacks (on the loop thread, from rd_kafka_consumer_poll)    */
/* ------------------------------------------------------------------------ */

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offs, void *opaque)
{
    struct kafka_in *in = opaque;
    (void)rk;
    if (in->async_commits > 0)
        in->async_commits--;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return; /* nothing to commit */
    committed(in, err, offs);
}

static void assign_parts(struct kafka_in *in, rd_kafka_topic_partition_list_t *parts, bool coop)
{
    rd_kafka_topic_partition_list_t *refused = rd_kafka_topic_partition_list_new(0);
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &parts->elems[i];
        long s = slot_of(in, e->topic, e->partition);
        if (s < 0) {
            rd_kafka_topic_partition_list_add(refused, e->topic, e->partition);
            continue;
        }
        wt__kin_assign(&in->tr, (size_t)s);
        lag_metric(in, &in->tr.parts[s], true);
    }
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_assign(in->rk, parts);
        if (e) {
            wt_log_error(TAG, "%s: assigning partitions: %s", in->name, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    } else {
        rd_kafka_assign(in->rk, parts);
    }
    if (refused->cnt > 0) {
        in->refused_parts = true;
        wt_log_once(&in->warned_refused, WT_LOG_ERROR, TAG,
                    "%s: assigned more than max_partitions (%zu) partitions over its life: %d "
                    "left paused and unread (this shipper reports failing; raise "
                    "max_partitions and restart)",
                    in->name, in->tr.maxparts, refused->cnt);
        rd_kafka_pause_partitions(in->rk, refused);
    }
    if (in->paused || in->stopped) {
        in->paused = false; /* pause again, the new ones included */
        pause_all(in);
    }
    rd_kafka_topic_partition_list_destroy(refused);
    reachable(in, "partitions assigned");
}

static void revoke_parts(struct kafka_in *in, rd_kafka_topic_partition_list_t *parts, bool coop)
{
    /* What is acked is committed; what is in flight is read again by the
     * partition's next owner (from that commit). */
    commit(in, parts, true);
    for (int i = 0; i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *e = &parts->elems[i];
        long s = slot_of(in, e->topic, e->partition);
        if (s >= 0 && in->tr.parts[s].assigned) {
            wt__kin_revoke(&in->tr, (size_t)s);
            lag_metric(in, &in->tr.parts[s], false);
        }
    }
    in->last_rkt = NULL;
    if (coop) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(in->rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(in->rk, NULL);
    }
}

/* "wt[0] wt[3] ..." into buf (cut with "..." when it does not fit). */
static void parts_text(const rd_kafka_topic_partition_list_t *l, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->cnt; i++) {
        int w = snprintf(buf + n, cap - n, "%s%s[%d]", i ? " " : "", l->elems[i].topic,
                         (int)l->elems[i].partition);
        if (w < 0 || (size_t)w >= cap - n) {
            snprintf(buf + (n < cap - 4 ? n : cap - 4), 4, "...");
            return;
        }
        n += (size_t)w;
    }
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct kafka_in *in = opaque;
    /* NULL "on error": librdkafka 2.0.2 returns it for the revocation that
     * rd_kafka_consumer_close() serves while a rebalance is under way (a
     * shipper stopped right after another left the group: a SIGSEGV in
     * strcmp). The protocol cannot change within a run: keep the last one. */
    const char *proto = rd_kafka_rebalance_protocol(rk);
    if (proto)
        in->coop = strcmp(proto, "COOPERATIVE") == 0;
    bool coop = in->coop;
    wt_metric_add(in->m_rebal, 1);
    char list[WT_KIN_LIST_SHOWN];
    parts_text(parts, list, sizeof(list));
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        wt_log_info(TAG, "%s: %d partition(s) assigned: %s", in->name, parts->cnt, list);
        assign_parts(in, parts, coop);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        wt_log_info(TAG, "%s: %d partition(s) revoked: %s", in->name, parts->cnt, list);
        revoke_parts(in, parts, coop);
    } else {
        /* Everything is unassigned: what is in flight is ignored when acked. */
        wt_log_warn(TAG, "%s: rebalance failed: %s", in->name, rd_kafka_err2str(err));
        for (size_t i = 0; i < in->tr.nparts; i++) {
            if (in->tr.parts[i].assigned) {
                wt__kin_revoke(&in->tr, i);
                lag_metric(in, &in->tr.parts[i], false);
            }
        }
        in->last_rkt = NULL;
        rd_kafka_assign(rk, NULL);
    }
    size_t n = 0;
    for (size_t i = 0; i < in->tr.nparts; i++)
        n += in->tr.parts[i].assigned;
    wt_metric_set(in->m_assigned, (int64_t)n);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct kafka_in *in = opaque;
    (void)rk;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        if (!in->down_since) {
            in->down_since = uv_now(in->loop) ? uv_now(in->loop) : 1;
            in->down_seen_us = uv_hrtime() / 1000;
        }
        wt_log_once(&in->warned_down, WT_LOG_WARN, TAG,
                    "%s: %s (retrying; failing after unreachable_timeout)", in->name, reason);
        return;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(in->rk, why, sizeof(why));
        wt_log_error(TAG, "%s: fatal consumer error: %s: %s", in->name, rd_kafka_err2name(orig),
                     why);
        return;
    }
    wt_log_debug(TAG, "%s: %s: %s", in->name, rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Each assigned partition's consumer_lag from librdkafka's statistics. */
static void stats_lag(struct kafka_in *in, const cJSON *topics)
{
    const cJSON *t, *p;
    cJSON_ArrayForEach(t, topics)
    {
        long ti = t->string ? topic_find(in, t->string) : -1;
        const cJSON *parts = cJSON_GetObjectItemCaseSensitive(t, "partitions");
        if (ti < 0 || !parts)
            continue;
        cJSON_ArrayForEach(p, parts)
        {
            const cJSON *lag = cJSON_GetObjectItemCaseSensitive(p, "consumer_lag");
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "partition");
            if (!cJSON_IsNumber(lag) || !cJSON_IsNumber(id) || lag->valuedouble < 0 ||
                id->valueint < 0)
                continue; /* the UA (-1) partition, or no lag known yet */
            for (size_t s = 0; s < in->tr.nparts; s++) {
                struct wt_kin_part *pt = &in->tr.parts[s];
                if (pt->topic == (uint32_t)ti && pt->partition == id->valueint && pt->assigned &&
                    pt->m_lag)
                    wt_metric_set(pt->m_lag, (int64_t)lag->valuedouble);
            }
        }
    }
}

/*
 * Statistics (every statistics.interval.ms): each partition's consumer
 * lag (the high watermark less the larger of the position and the
 * committed offset, as librdkafka computes it), and whether a broker
 * connection is up: the way to notice the cluster is back while nothing is
 * consumed or committed (paused, or idle at the end of every partition).
 */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    struct kafka_in *in = opaque;
    (void)rk;
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (root) {
        if (in->down_since && wt__kin_stats_up(root, in->down_seen_us))
            reachable(in, "a broker connection is up");
        stats_lag(in, cJSON_GetObjectItemCaseSensitive(root, "topics"));
        cJSON_Delete(root);
    }
    return 0; /* librdkafka frees json */
}

/* librdkafka levels are syslog levels. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const struct kafka_in *in = rk ? rd_kafka_opaque(rk) : NULL;
    enum wt_log_level l = level <= 3   ? WT_LOG_ERROR
                          : level == 4 ? WT_LOG_WARN
                          : level <= 6 ? WT_LOG_INFO
                                       : WT_LOG_DEBUG;
    wt_log(l, TAG, "%s: librdkafka %s: %s", in ? in->name : "kafka", fac, buf);
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */
/* ------------------------------------------------------------------------ */

static void bad_event(struct kafka_in *in, const rd_kafka_message_t *m, const char *l, size_t n)
{
    char shown[WT_KIN_SHOWN + 1];
    size_t k = 0;
    for (; k < n && k < WT_KIN_SHOWN; k++)
        shown[k] = l[k] >= 0x20 && l[k] < 0x7f ? l[k] : '?';
    shown[k] = '\0';
    wt_metric_add(in->m_bad, 1);
    wt_log_once(&in->warned_bad, WT_LOG_WARN, TAG,
                "%s: %s [%d] offset %lld: not a wtexport event (it starts \"%s\"): dropped "
                "(further ones are only counted in wtexport_kafka_input_bad_messages_total)",
                in->name, rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
                shown);
}

/* Feed every line of the message; its lines all end at position seq. */
static void feed_lines(struct kafka_in *in, const rd_kafka_message_t *m, uint64_t seq)
{
    const char *p = m->payload, *end = p + m->len;
    bool marked = false;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        const char *l = p;
        size_t n = (size_t)(stop - p);
        p = nl ? nl + 1 : end;
        while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
            n--;
        if (n == 0)
            continue;
        in->lineno++;
        if (in->mode == KIN_EVENTS) {
            int64_t ts;
            if (wt__kin_event_check(l, n, &ts) != 0) {
                bad_event(in, m, l, n);
                continue;
            }
            wt_pipeline_event(in->p, &in->src, l, n, ts, in->lineno, seq);
        } else if (n > in->max_line) {
            wt_pipeline_too_long(in->p, &in->src, in->lineno);
            wt_pipeline_mark(in->p, &in->src, seq, in->lineno);
        } else {
            wt_pipeline_line(in->p, &in->src, l, n, in->lineno, seq);
        }
        marked = true;
    }
    if (!marked) /* empty, or nothing but bad events: acked all the same */
        wt_pipeline_mark(in->p, &in->src, seq, in->lineno);
}

static void on_message(struct kafka_in *in, const rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            reachable(in, "end of a partition");
            return;
        }
        wt_log_once(&in->warned_err, WT_LOG_WARN, TAG,
                    "%s: %s%s%s (further consumer errors are logged at debug level)", in->name,
                    m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->rkt ? ": " : "",
                    rd_kafka_message_errstr(m));
        return;
    }
    reachable(in, "a message");
    long s;
    if (m->rkt == in->last_rkt && m->partition == in->last_part) {
        s = in->last_slot;
    } else {
        s = slot_of(in, rd_kafka_topic_name(m->rkt), m->partition);
        in->last_rkt = m->rkt;
        in->last_part = m->partition;
        in->last_slot = s;
    }
    if (s < 0 || !in->tr.parts[s].assigned || wt__kin_full(&in->tr)) {
        /* Not ours to track (cannot happen while partitions are paused in
         * time): not fed, never committed; read again by its owner. */
        wt_log_once(&in->warned_stray, WT_LOG_WARN, TAG,
                    "%s: %s [%d] offset %lld arrived while it cannot be tracked: skipped "
                    "(not committed)",
                    in->name, rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset);
        return;
    }
    wt_metric_add(in->m_msgs, 1);
    feed_lines(in, m, wt__kin_feed(&in->tr, (size_t)s, m->offset));
    wt_metric_set(in->m_inflight, (int64_t)in->tr.n);
}

/* ------------------------------------------------------------------------ */
/* Serving the consumer queue (poll and timer callbacks)                    */
/* ------------------------------------------------------------------------ */

static void tick_cb(uv_timer_t *h);

static void service(struct kafka_in *in)
{
    if (!in->rk || in->freeing)
        return;
    int n = 0;
    while (n < WT_KIN_PER_TURN) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, 0);
        if (!m)
            break;
        n++;
        if (!in->stopped)
            on_message(in, m);
        rd_kafka_message_destroy(m);
        if (!in->paused &&
            (in->stopped || wt__kin_full(&in->tr) || wt_pipeline_wait_if_full(in->p)))
            pause_all(in);
    }
    uint64_t now = uv_now(in->loop);
    if (now - in->last_commit >= (uint64_t)in->commit_ms)
        commit(in, NULL, false);
    if (n == WT_KIN_PER_TURN) /* more waiting: come back after the loop turns */
        uv_timer_start(&in->tick, tick_cb, 0, WT_KIN_TICK_MS);
}

static void tick_cb(uv_timer_t *h)
{
    service(h->data);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
    struct kafka_in *in = h->data;
    char buf[256];
    (void)events;
    if (status < 0) {
        wt_log_error(TAG, "%s: wake-up pipe: %s", in->name, uv_strerror(status));
        return;
    }
    while (read(in->pipefd[0], buf, sizeof(buf)) > 0)
        ;
    service(in);
}

/* ------------------------------------------------------------------------ */
/* Life cycle                                                               */
/* ------------------------------------------------------------------------ */

static int consumer_new(struct kafka_in *in, const struct wt_kin_opts *o, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char msg[512], stats[32];
    /* Often enough for unreachable_timeout, and for lag every few seconds. */
    int64_t every = in->unreach_ms / 4;
    every = every < WT_KIN_STATS_MIN_MS ? WT_KIN_STATS_MIN_MS
            : every > WT_KIN_STATS_MS   ? WT_KIN_STATS_MS
                                        : every;
    snprintf(stats, sizeof(stats), "%lld", (long long)every);
    /* Defaults first; the user's properties override them. */
    const char *const defaults[][2] = {
        {"auto.offset.reset", "earliest"},
        {"client.id", "wtexport"},
        /* librdkafka's default too; said here for chained shippers (a
         * transactional kafka sink upstream): aborted messages are skipped. */
        {"isolation.level", "read_committed"},
        {"statistics.interval.ms", stats},
    };
    int rc = wt_kafka_conf_set(conf, "bootstrap.servers", o->brokers, err, errlen);
    if (rc == 0)
        rc = wt_kafka_conf_set(conf, "group.id", o->group, err, errlen);
    for (size_t i = 0; rc == 0 && i < sizeof(defaults) / sizeof(defaults[0]); i++)
        rc = wt_kafka_conf_set(conf, defaults[i][0], defaults[i][1], err, errlen);
    for (size_t i = 0; rc == 0 && i < o->nproperties; i++)
        rc = wt_kafka_conf_set(conf, o->properties[i].name, o->properties[i].value, err, errlen);
    /* Whatever the user says: commits are the input's, logs served on the loop. */
    if (rc == 0)
        rc = wt_kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen);
    if (rc == 0)
        rc = wt_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, errlen);
    if (rc == 0)
        rc = wt_kafka_conf_set(conf, "enable.partition.eof", "true", err, errlen);
    if (rc == 0)
        rc = wt_kafka_conf_set(conf, "log.queue", "true", err, errlen);
    if (rc != 0) {
        rd_kafka_conf_destroy(conf);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, in);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rd_kafka_conf_set_log_cb(conf, on_log);
    in->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, msg, sizeof(msg));
    if (!in->rk) {
        rd_kafka_conf_destroy(conf); /* not taken on failure */
        snprintf(err, errlen, "%s", msg);
        return WT_ECONFIG;
    }
    rd_kafka_set_log_queue(in->rk, NULL); /* to the main queue, */
    rd_kafka_poll_set_consumer(in->rk);   /* which goes to the consumer queue */
    in->q = rd_kafka_queue_get_consumer(in->rk);
    rd_kafka_queue_io_event_enable(in->q, in->pipefd[1], "1", 1);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new((int)in->ntopics);
    for (size_t i = 0; i < in->ntopics; i++)
        rd_kafka_topic_partition_list_add(sub, in->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(in->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errlen, "subscribing: %s", rd_kafka_err2str(e));
        return WT_ECONFIG;
    }
    return 0;
}

static void maybe_free(struct kafka_in *in)
{
    if (!in->freeing || in->handles > 0)
        return;
    if (in->pipefd[0] >= 0)
        close(in->pipefd[0]);
    if (in->pipefd[1] >= 0)
        close(in->pipefd[1]);
    wt__kin_track_free(&in->tr);
    for (size_t i = 0; i < in->nnames; i++)
        wt_free(in->names[i]);
    wt_free(in->names);
    wt_free(in);
}

static void handle_closed(uv_handle_t *h)
{
    struct kafka_in *in = h->data;
    in->handles--;
    maybe_free(in);
}

static void metrics_create(struct kafka_in *in)
{
    char esc[sizeof(in->name) * 2];
    wt_metrics_label_escape(in->name, esc, sizeof(esc));
    snprintf(in->label, sizeof(in->label), "input=\"%s\"", esc);
#define C(name, help) wt_metrics_get(in->m, WT_METRIC_COUNTER, name, help, in->label, NULL, 0)
#define G(name, help) wt_metrics_get(in->m, WT_METRIC_GAUGE, name, help, in->label, NULL, 0)
    in->m_msgs = C("wtexport_kafka_input_messages_total", "Kafka messages consumed and fed.");
    in->m_bad = C("wtexport_kafka_input_bad_messages_total",
                  "Lines of format event messages that are no wtexport event: dropped.");
    in->m_commits = C("wtexport_kafka_input_commits_total", "Offset commits that succeeded.");
    in->m_commit_err =
        C("wtexport_kafka_input_commit_errors_total", "Offset commits that failed (retried).");
    in->m_rebal =
        C("wtexport_kafka_input_rebalances_total", "Partition assignments and revocations served.");
    in->m_assigned = G("wtexport_kafka_input_partitions", "Partitions assigned to this shipper.");
    in->m_inflight = G("wtexport_kafka_input_in_flight",
                       "Messages consumed whose events not every sink has acked yet.");
#undef C
#undef G
}

static void kin_stop(void *impl)
{
    struct kafka_in *in = impl;
    if (in->stopped)
        return;
    in->stopped = true;
    pause_all(in); /* acks still come while the pipeline drains: free commits them */
}

static bool any_assigned(const struct kafka_in *in)
{
    for (size_t i = 0; i < in->tr.nparts; i++) {
        if (in->tr.parts[i].assigned)
            return true;
    }
    return false;
}

/*
 * Leave the group before rd_kafka_consumer_close(). When close has to
 * serve a revocation itself because a rebalance is under way (another
 * shipper just left), librdkafka 2.0.2 can abort in
 * rd_kafka_cgrp_terminated ("assert: !rd_kafka_assignment_in_progress",
 * as in librdkafka issue #4792) or block for good in the rd_kafka_assign()
 * of that revocation. Unsubscribing first has the revocation served here,
 * by polling, while the group is still up; at most WT_KIN_LEAVE_MS.
 * Messages still arriving are dropped (stopped: not fed, not committed).
 */
static void leave_group(struct kafka_in *in)
{
    rd_kafka_resp_err_t e = rd_kafka_unsubscribe(in->rk);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wt_log_warn(TAG, "%s: unsubscribing at stop: %s", in->name, rd_kafka_err2str(e));
        return;
    }
    uint64_t end = uv_hrtime() / 1000000 + WT_KIN_LEAVE_MS;
    while (any_assigned(in) && uv_hrtime() / 1000000 < end) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, WT_KIN_TICK_MS);
        if (m)
            rd_kafka_message_destroy(m);
    }
    if (any_assigned(in))
        wt_log_warn(TAG, "%s: no revocation within %d ms of unsubscribing; closing anyway",
                    in->name, WT_KIN_LEAVE_MS);
}

static void kin_free(void *impl)
{
    struct kafka_in *in = impl;
    if (!in || in->freeing)
        return;
    if (in->rk) {
        commit(in, NULL, true);
        leave_group(in); /* the revocation (served here) commits nothing new */
        rd_kafka_consumer_close(in->rk);
        for (size_t i = 0; i < in->tr.nparts; i++)
            lag_metric(in, &in->tr.parts[i], false);
        rd_kafka_queue_io_event_enable(in->q, -1, NULL, 0);
        rd_kafka_queue_destroy(in->q);
        rd_kafka_destroy(in->rk);
        in->rk = NULL;
    } else if (in->q) {
        rd_kafka_queue_destroy(in->q);
    }
    in->freeing = true;
    if (in->tick.data == in) {
        uv_timer_stop(&in->tick);
        uv_close((uv_handle_t *)&in->tick, handle_closed);
    }
    if (in->poll.data == in) {
        uv_poll_stop(&in->poll);
        uv_close((uv_handle_t *)&in->poll, handle_closed);
    }
    maybe_free(in);
}

static int kin_open(void **impl, const struct wt_input_env *env, size_t i, uint32_t id, char *err,
                    size_t errlen)
{
    const struct wt_input_cfg *icfg = &env->cfg->inputs[i];
    const struct wt_kin_opts *o = icfg->opts;
    char msg[512];
    int rc;

    struct kafka_in *in = wt_calloc(1, sizeof(*in));
    if (!in) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    in->loop = env->loop;
    in->p = env->p;
    in->m = env->m;
    in->durable = wt_pipeline_durable(env->p);
    in->pipefd[0] = in->pipefd[1] = -1;
    in->mode = icfg->format == WT_FORMAT_EVENT ? KIN_EVENTS : KIN_LINES;
    in->max_line = icfg->max_line;
    in->commit_ms = o->commit_interval_ms;
    in->unreach_ms = o->unreachable_ms;
    in->last_slot = -1;
    snprintf(in->name, sizeof(in->name), "kafka://%s/%s", o->group, o->topic);
    in->ntopics =
        wt__kin_topics(o->topic, in->topicbuf, sizeof(in->topicbuf), in->topics, WT_KIN_MAX_TOPICS);
    metrics_create(in);
    in->names = wt_calloc((size_t)o->max_partitions, sizeof(*in->names));
    if (!in->names ||
        wt__kin_track_init(&in->tr, o->max_in_flight, (size_t)o->max_partitions) != 0) {
        wt_free(in->names);
        wt_free(in);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    wt_pipeline_source_init(env->p, &in->src, id, (struct wt_str){in->name, strlen(in->name)},
                            icfg);
    if (pipe2(in->pipefd, O_NONBLOCK | O_CLOEXEC) != 0) {
        rc = -errno;
        snprintf(err, errlen, "%s: pipe: %s", in->name, strerror(-rc));
        goto fail;
    }
    rc = consumer_new(in, o, msg, sizeof(msg));
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", in->name, msg);
        goto fail;
    }
    uv_poll_init(in->loop, &in->poll, in->pipefd[0]);
    uv_timer_init(in->loop, &in->tick);
    in->poll.data = in->tick.data = in;
    in->handles = 2;
    uv_poll_start(&in->poll, UV_READABLE, poll_cb);
    uv_timer_start(&in->tick, tick_cb, WT_KIN_TICK_MS, WT_KIN_TICK_MS);
    in->last_commit = uv_now(in->loop);
    wt_log_info(TAG, "%s: consuming via %s (format %s, max_in_flight %zu, %s)", in->name,
                o->brokers, wt_format_name(icfg->format), in->tr.cap,
                in->durable ? "commits once the spool delivered"
                            : "no spool: commits once every sink acked");
    *impl = in;
    return 0;
fail:
    if (in->rk) {
        if (in->q) {
            rd_kafka_queue_io_event_enable(in->q, -1, NULL, 0);
            rd_kafka_queue_destroy(in->q);
        }
        rd_kafka_destroy(in->rk);
    }
    in->rk = NULL;
    in->q = NULL;
    in->freeing = true;
    maybe_free(in);
    return rc;
}

static void kin_resume(void *impl)
{
    struct kafka_in *in = impl;
    if (in->paused && !wt__kin_full(&in->tr))
        resume_all(in);
}

/* Messages left the ring: read on if max_in_flight alone paused us. */
static void released(struct kafka_in *in)
{
    wt_metric_set(in->m_inflight, (int64_t)in->tr.n);
    if (in->paused && in->tr.n <= in->tr.cap / 2 && !wt_pipeline_wait_if_full(in->p))
        resume_all(in);
}

/*
 * With the spool: the lines up to offset (a seq) are in the spool, acked
 * once every sink has finished that spool record (kin_delivered). Without
 * (spool.enabled false): every sink has acked them already.
 */
static void kin_ack(void *impl, uint64_t offset, uint64_t lineno)
{
    struct kafka_in *in = impl;
    (void)lineno;
    if (in->durable)
        wt__kin_spooled(&in->tr, offset, wt_pipeline_ckpt_token(in->p));
    else
        wt__kin_acked(&in->tr, offset);
    released(in);
}

static void kin_delivered(void *impl, uint64_t token)
{
    struct kafka_in *in = impl;
    if (wt__kin_delivered(&in->tr, token) > 0)
        released(in);
}

static bool kin_failing(const void *impl)
{
    const struct kafka_in *in = impl;
    return in->refused_parts ||
           (in->down_since && uv_now(in->loop) - in->down_since >= (uint64_t)in->unreach_ms);
}

const struct wt_input_ops wt__kin_ops = {
    .open = kin_open,
    .resume = kin_resume,
    .ack = kin_ack,
    .delivered = kin_delivered,
    .stop = kin_stop,
    .free = kin_free,
    .failing = kin_failing,
};
