/*
 * kafka_input_track.c - the Kafka input's pure parts (kafka_input_int.h):
 * the offset tracker, the check of "event" messages and the broker states
 * of librdkafka's statistics.
 *
 * Tracker. Every message fed to the pipeline gets the next seq and a place
 * in a ring, in feeding order. The pipeline acks positions in the order it
 * was fed (pipeline.h), once their batch is in the spool, with the spool
 * record's token; the message is acked once every sink has finished that
 * record (on_delivered). An ack of seq S then settles every message up to S:
 * for each, its partition's acked offset moves to it. Within a partition
 * messages are fed in offset order, so acked is always the highest offset
 * below which every consumed message is acked: committing acked + 1 never
 * skips a message that is not. A revoked partition gets a new generation:
 * its messages still in flight are then ignored when acked (the partition's
 * new owner reads them again from the committed offset).
 */
#include "input.h"
#include "kafka_input_int.h"
#include "wt_common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

size_t wt__kin_topics(const char *list, char *buf, size_t bufcap, const char **names, size_t cap)
{
    size_t n = strlen(list);
    if (n + 1 > bufcap)
        return 0;
    memcpy(buf, list, n + 1);
    size_t k = 0;
    for (char *p = buf;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p == '\0' || k == cap)
            return 0;
        names[k++] = p;
        if (!comma)
            return k;
        p = comma + 1;
    }
}

int wt__kin_track_init(struct wt_kin_track *t, size_t ring_cap, size_t max_parts)
{
    memset(t, 0, sizeof(*t));
    t->ring = wt_calloc(ring_cap, sizeof(*t->ring));
    t->pend = wt_calloc(ring_cap, sizeof(*t->pend));
    t->parts = wt_calloc(max_parts, sizeof(*t->parts));
    if (!t->ring || !t->pend || !t->parts) {
        wt__kin_track_free(t);
        return -ENOMEM;
    }
    t->cap = ring_cap;
    t->maxparts = max_parts;
    return 0;
}

void wt__kin_track_free(struct wt_kin_track *t)
{
    wt_free(t->ring);
    wt_free(t->pend);
    wt_free(t->parts);
    t->ring = NULL;
    t->pend = NULL;
    t->parts = NULL;
    t->cap = t->n = t->pn = t->nparts = 0;
}

long wt__kin_slot(struct wt_kin_track *t, uint32_t topic, int32_t partition)
{
    for (size_t i = 0; i < t->nparts; i++) {
        if (t->parts[i].topic == topic && t->parts[i].partition == partition)
            return (long)i;
    }
    if (t->nparts == t->maxparts)
        return -1;
    struct wt_kin_part *p = &t->parts[t->nparts];
    memset(p, 0, sizeof(*p));
    p->topic = topic;
    p->partition = partition;
    p->fed = p->acked = p->committed = -1;
    return (long)t->nparts++;
}

void wt__kin_assign(struct wt_kin_track *t, size_t slot)
{
    struct wt_kin_part *p = &t->parts[slot];
    p->gen++;
    p->assigned = true;
    p->fed = p->acked = p->committed = -1;
}

void wt__kin_revoke(struct wt_kin_track *t, size_t slot)
{
    struct wt_kin_part *p = &t->parts[slot];
    p->gen++;
    p->assigned = false;
}

uint64_t wt__kin_feed(struct wt_kin_track *t, size_t slot, int64_t offset)
{
    struct wt_kin_fed *f = &t->ring[(t->head + t->n) % t->cap];
    f->seq = ++t->seq;
    f->slot = (uint32_t)slot;
    f->gen = t->parts[slot].gen;
    f->offset = offset;
    t->n++;
    t->parts[slot].fed = offset + 1;
    return f->seq;
}

size_t wt__kin_acked(struct wt_kin_track *t, uint64_t seq)
{
    size_t done = 0;
    while (t->n > 0 && t->ring[t->head].seq <= seq) {
        const struct wt_kin_fed *f = &t->ring[t->head];
        struct wt_kin_part *p = &t->parts[f->slot];
        if (p->assigned && p->gen == f->gen && f->offset > p->acked)
            p->acked = f->offset;
        t->head = (t->head + 1) % t->cap;
        t->n--;
        done++;
    }
    return done;
}

void wt__kin_spooled(struct wt_kin_track *t, uint64_t seq, uint64_t token)
{
    if (token <= t->delivered && t->pn == 0) {
        wt__kin_acked(t, seq);
        return;
    }
    /* One entry per spool record: a later ack of the same record extends it. */
    if (t->pn > 0) {
        struct wt_kin_spooled *last = &t->pend[(t->phead + t->pn - 1) % t->cap];
        if (last->token >= token) {
            if (seq > last->seq)
                last->seq = seq;
            return;
        }
    }
    if (t->pn == t->cap) { /* cannot happen: each entry holds a message in flight */
        t->pend[(t->phead + t->pn - 1) % t->cap] = (struct wt_kin_spooled){token, seq};
        return;
    }
    t->pend[(t->phead + t->pn) % t->cap] = (struct wt_kin_spooled){token, seq};
    t->pn++;
}

size_t wt__kin_delivered(struct wt_kin_track *t, uint64_t token)
{
    size_t done = 0;
    if (token > t->delivered)
        t->delivered = token;
    while (t->pn > 0 && t->pend[t->phead].token <= t->delivered) {
        done += wt__kin_acked(t, t->pend[t->phead].seq);
        t->phead = (t->phead + 1) % t->cap;
        t->pn--;
    }
    return done;
}

int64_t wt__kin_commit_offset(const struct wt_kin_track *t, size_t slot)
{
    const struct wt_kin_part *p = &t->parts[slot];
    if (!p->assigned || p->acked < 0 || p->acked + 1 <= p->committed)
        return -1;
    return p->acked + 1;
}

int wt__kin_event_check(const char *line, size_t len, int64_t *ts_ms)
{
    static const char key[] = "\"ts\":\"";
    char ts[40];

    if (len < 2 || line[0] != '{' || line[len - 1] != '}')
        return WT_EPARSE;
    const char *k = memmem(line, len, key, sizeof(key) - 1);
    if (!k)
        return WT_EPARSE;
    const char *v = k + sizeof(key) - 1, *end = line + len;
    const char *q = memchr(v, '"', (size_t)(end - v));
    if (!q || (size_t)(q - v) >= sizeof(ts))
        return WT_EPARSE;
    memcpy(ts, v, (size_t)(q - v));
    ts[q - v] = '\0';
    /* A raw control byte is no JSON: the encoder escapes every one. */
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)line[i] < 0x20)
            return WT_EPARSE;
    }
    return wt_parse_time_ms(ts, ts_ms) == 0 ? 0 : WT_EPARSE;
}

bool wt__kin_stats_up(const struct cJSON *stats, uint64_t after_us)
{
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(stats, "ts"), *b;
    if (after_us && cJSON_IsNumber(ts) && ts->valuedouble <= (double)after_us)
        return false; /* taken before: stale */
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(stats, "brokers"))
    {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(b, "state");
        if (cJSON_IsString(st) && strcmp(st->valuestring, "UP") == 0)
            return true;
    }
    return false;
}
