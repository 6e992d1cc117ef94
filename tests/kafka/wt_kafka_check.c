/*
 * wt_kafka_check.c - wt-kafka-check: read a topic back from the start and
 * check what wtexport's Kafka sink put there.
 *
 *   wt-kafka-check --bootstrap B --topic T [--key observable|client_ip|none]
 *                  [--message event|batch] [--expect-seq FILE] [--timeout S]
 *                  [--dump FILE] [--txn-offsets TOPIC]
 *
 * Every partition is assigned from its beginning and read up to its high
 * watermark. Each message must be one JSON event (--message event, the
 * default) or NDJSON events (batch); its key must follow the rule (the
 * first observable's value, the client_ip, or no key; for a batch, those
 * of its first event); it must carry the headers wtexport-host (equal to
 * the event's "host") and wtexport-format-version ("1").
 *
 * --expect-seq FILE: FILE lists seq numbers, one per line; the seq of an
 * event is N in its URL ".../seq/N". Every listed seq must be present at
 * least once; duplicates are counted (at-least-once allows them). While
 * some are missing, the topic is read again as it grows, until --timeout
 * (default 30 s) runs out.
 *
 * --dump FILE: every event, one per line (NDJSON), in consumption order.
 *
 * --txn-offsets TOPIC: exactly once (a sink with "exactly_once": true,
 * TOPIC its offsets_topic). Only events of committed transactions count,
 * and a seq counted twice fails the check. The broker would hide aborted
 * transactions from a read_committed consumer, but librdkafka's mock
 * cluster (2.0.2) writes no transaction markers and hands every message
 * out; so the check tells committed from aborted itself, from what the
 * sink writes: each message carries its transaction's tag (header
 * wtexport-txn, "<instance>-<n>", instance random per producer, n counting
 * its transactions) and each transaction ends with one offsets record
 * naming the tag and "prev", the last transaction of the same instance
 * committed before it began. After the data topic, TOPIC is read to its
 * end; for each instance, the transactions with an offsets record in the
 * order of n: one is committed when the next one's prev names it, aborted
 * when the next one's prev is older; the last one of an instance counts as
 * committed (a transaction killed between its offsets record and its
 * commit: the mock keeps it, and the sink's restart reads it back as
 * committed, as it would a committed one on a real broker). A
 * transaction without an offsets record never committed. A prev that
 * names neither the previous transaction nor its prev is counted in
 * bad_txn. Consume with isolation.level=read_committed either way.
 *
 * Prints one summary line: messages=, events=, bad_json=, bad_key=,
 * bad_headers=, expected=, missing=, duplicates=, with --txn-offsets also
 * txns=, committed_txns=, uncommitted_events=, bad_txn=, then the first
 * missing seqs. Exit 0 when nothing is bad or missing (and, with
 * --txn-offsets, nothing duplicated), 1 otherwise, 2 on usage.
 */
#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum key_rule { KEY_OBSERVABLE, KEY_CLIENT_IP, KEY_NONE };

/* --txn-offsets: one transaction of the sink, by its tag. */
struct txn {
    char tag[40];
    uint64_t inst, no, prev;
    bool has_off, committed;
};

/* --txn-offsets: one event, of which transaction (index) with which seq. */
struct txn_event {
    uint32_t txn;
    uint32_t seq;
};

struct check {
    enum key_rule rule;
    bool batch;
    FILE *dump;
    uint64_t messages, events, bad_json, bad_key, bad_headers, no_seq;
    /* Seqs: count per seq, and which are expected. */
    uint32_t *count;
    bool *expected;
    size_t nseq;    /* size of both arrays */
    size_t nexpect; /* seqs listed */
    unsigned reported;
    /* --txn-offsets */
    bool eo;
    struct txn *txns;
    size_t ntxns, txns_cap;
    uint32_t *txn_hash; /* open addressing: index + 1, 0 empty */
    size_t hash_cap;
    struct txn_event *tev;
    size_t ntev, tev_cap;
    uint32_t cur_txn; /* of the message being checked; UINT32_MAX: none */
    uint64_t bad_txn, uncommitted;
};

static void usage(FILE *out)
{
    fprintf(out, "usage: wt-kafka-check --bootstrap B --topic T [--key observable|client_ip|none]"
                 " [--message event|batch] [--expect-seq FILE] [--timeout S] [--dump FILE]"
                 " [--txn-offsets TOPIC]\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Report the first few problems on stderr; count all. */
static void problem(struct check *c, const rd_kafka_message_t *m, const char *what)
{
    if (c->reported++ < 10)
        fprintf(stderr, "wt-kafka-check: partition %d offset %lld: %s\n", (int)m->partition,
                (long long)m->offset, what);
}

static int load_expect(struct check *c, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[64];
    if (!f) {
        fprintf(stderr, "wt-kafka-check: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *end;
        unsigned long v = strtoul(line, &end, 10);
        if (end == line)
            continue;
        if (v >= 100000000) {
            fprintf(stderr, "wt-kafka-check: %s: seq %lu too large\n", path, v);
            fclose(f);
            return -1;
        }
        if (v >= c->nseq) {
            size_t n = c->nseq ? c->nseq : 1024;
            while (n <= v)
                n *= 2;
            c->count = realloc(c->count, n * sizeof(*c->count));
            c->expected = realloc(c->expected, n * sizeof(*c->expected));
            if (!c->count || !c->expected) {
                fclose(f);
                return -1;
            }
            memset(c->count + c->nseq, 0, (n - c->nseq) * sizeof(*c->count));
            memset(c->expected + c->nseq, 0, (n - c->nseq) * sizeof(*c->expected));
            c->nseq = n;
        }
        if (!c->expected[v])
            c->nexpect++;
        c->expected[v] = true;
    }
    fclose(f);
    return 0;
}

static uint64_t tag_hash(const char *tag)
{
    uint64_t h = 1469598103934665603u;
    for (; *tag; tag++)
        h = (h ^ (unsigned char)*tag) * 1099511628211u;
    return h;
}

/* The index of the transaction tagged tag ("<hex>-<n>"), added when new;
 * UINT32_MAX when tag is not one. */
static uint32_t txn_find(struct check *c, const char *tag, size_t len)
{
    char buf[40];
    char *end;
    if (len == 0 || len >= sizeof(buf))
        return UINT32_MAX;
    memcpy(buf, tag, len);
    buf[len] = '\0';
    const char *dash = strchr(buf, '-');
    if (!dash || dash == buf)
        return UINT32_MAX;
    uint64_t inst = strtoull(buf, &end, 16);
    if (end != dash)
        return UINT32_MAX;
    uint64_t no = strtoull(dash + 1, &end, 10);
    if (*end || end == dash + 1 || no == 0)
        return UINT32_MAX;
    if (2 * (c->ntxns + 1) > c->hash_cap) {
        size_t cap = c->hash_cap ? 2 * c->hash_cap : 1024;
        uint32_t *h = calloc(cap, sizeof(*h));
        if (!h)
            abort();
        for (size_t i = 0; i < c->ntxns; i++) {
            size_t j = tag_hash(c->txns[i].tag) & (cap - 1);
            while (h[j])
                j = (j + 1) & (cap - 1);
            h[j] = (uint32_t)i + 1;
        }
        free(c->txn_hash);
        c->txn_hash = h;
        c->hash_cap = cap;
    }
    size_t j = tag_hash(buf) & (c->hash_cap - 1);
    for (; c->txn_hash[j]; j = (j + 1) & (c->hash_cap - 1)) {
        if (strcmp(c->txns[c->txn_hash[j] - 1].tag, buf) == 0)
            return c->txn_hash[j] - 1;
    }
    if (c->ntxns == c->txns_cap) {
        c->txns_cap = c->txns_cap ? 2 * c->txns_cap : 512;
        c->txns = realloc(c->txns, c->txns_cap * sizeof(*c->txns));
        if (!c->txns)
            abort();
    }
    struct txn *t = &c->txns[c->ntxns];
    memset(t, 0, sizeof(*t));
    memcpy(t->tag, buf, len + 1);
    t->inst = inst;
    t->no = no;
    c->txn_hash[j] = (uint32_t)c->ntxns + 1;
    return (uint32_t)c->ntxns++;
}

static const char *str_of(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* The key an event must have under the rule; NULL: no key. */
static const char *want_key(const struct check *c, const cJSON *ev)
{
    if (c->rule == KEY_CLIENT_IP)
        return str_of(ev, "client_ip");
    if (c->rule == KEY_OBSERVABLE) {
        const cJSON *obs = cJSON_GetObjectItemCaseSensitive(ev, "observables");
        const cJSON *first = cJSON_IsArray(obs) ? obs->child : NULL;
        return first ? str_of(first, "value") : NULL;
    }
    return NULL;
}

static void count_seq(struct check *c, const cJSON *ev)
{
    const char *url = str_of(ev, "url");
    const char *s = url ? strstr(url, "/seq/") : NULL;
    if (!s) {
        c->no_seq++;
        return;
    }
    unsigned long v = strtoul(s + 5, NULL, 10);
    if (v < c->nseq && c->count[v] < UINT32_MAX)
        c->count[v]++;
    if (c->eo && v < c->nseq && c->cur_txn != UINT32_MAX) {
        if (c->ntev == c->tev_cap) {
            c->tev_cap = c->tev_cap ? 2 * c->tev_cap : 4096;
            c->tev = realloc(c->tev, c->tev_cap * sizeof(*c->tev));
            if (!c->tev)
                abort();
        }
        c->tev[c->ntev++] = (struct txn_event){c->cur_txn, (uint32_t)v};
    }
}

/* One event (one line); the first of a message decides key and headers. */
static void check_event(struct check *c, const rd_kafka_message_t *m, const char *p, size_t n,
                        bool first)
{
    cJSON *ev = cJSON_ParseWithLength(p, n);
    if (!cJSON_IsObject(ev)) {
        c->bad_json++;
        problem(c, m, "not a JSON object");
        cJSON_Delete(ev);
        return;
    }
    c->events++;
    if (c->dump) {
        fwrite(p, 1, n, c->dump);
        fputc('\n', c->dump);
    }
    count_seq(c, ev);
    if (first) {
        const char *k = want_key(c, ev);
        size_t kl = k ? strlen(k) : 0;
        if (k && c->batch && kl > 1024)
            kl = 1024; /* the sink cuts long batch keys */
        bool ok = k ? (m->key && m->key_len == kl && memcmp(m->key, k, kl) == 0) : !m->key;
        if (!ok) {
            c->bad_key++;
            problem(c, m, "wrong key");
        }
        rd_kafka_headers_t *h = NULL;
        const void *hv, *vv;
        size_t hl, vl;
        const char *host = str_of(ev, "host");
        ok = rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
             rd_kafka_header_get_last(h, "wtexport-host", &hv, &hl) == 0 &&
             rd_kafka_header_get_last(h, "wtexport-format-version", &vv, &vl) == 0 && vl == 1 &&
             memcmp(vv, "1", 1) == 0 &&
             (!host || (hl == strlen(host) && memcmp(hv, host, hl) == 0));
        if (!ok) {
            c->bad_headers++;
            problem(c, m, "missing or wrong headers");
        }
    }
    cJSON_Delete(ev);
}

static void check_message(struct check *c, const rd_kafka_message_t *m)
{
    const char *p = m->payload, *end = p + m->len;
    c->messages++;
    if (c->eo) {
        rd_kafka_headers_t *h = NULL;
        const void *tv;
        size_t tl;
        c->cur_txn = UINT32_MAX;
        if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            rd_kafka_header_get_last(h, "wtexport-txn", &tv, &tl) == 0 && tv)
            c->cur_txn = txn_find(c, tv, tl);
        if (c->cur_txn == UINT32_MAX) {
            c->bad_headers++;
            problem(c, m, "no transaction header (wtexport-txn)");
        }
    }
    if (!c->batch) {
        if (memchr(p, '\n', m->len)) {
            c->bad_json++;
            problem(c, m, "more than one line in an event message");
            return;
        }
        check_event(c, m, p, m->len, true);
        return;
    }
    bool first = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (stop > p)
            check_event(c, m, p, (size_t)(stop - p), first);
        first = false;
        p = stop + 1;
    }
}

static size_t missing(const struct check *c, FILE *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nseq; i++) {
        if (c->expected[i] && c->count[i] == 0) {
            if (out && n < 20)
                fprintf(out, " %zu", i);
            n++;
        }
    }
    return n;
}

/* The number of partitions of topic, asked until deadline; 0: none known. */
static int topic_partitions(rd_kafka_t *rk, const char *topic, double deadline)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int nparts = 0;
    while (now_s() < deadline) {
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
            nparts = md->topics[0].partition_cnt;
            break;
        }
        if (md)
            rd_kafka_metadata_destroy(md);
        md = NULL;
        usleep(200 * 1000);
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return nparts;
}

/* Read every partition of topic from its beginning to its high watermark
 * (as of the start), handing each message to fn. 0, or -1 on timeout. */
static int read_all(rd_kafka_t *rk, const char *topic, double deadline,
                    void (*fn)(struct check *, const rd_kafka_message_t *), struct check *c)
{
    int nparts = topic_partitions(rk, topic, deadline);
    if (nparts == 0)
        return -1;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(nparts);
    int64_t *high = calloc((size_t)nparts, sizeof(*high));
    int64_t *pos = calloc((size_t)nparts, sizeof(*pos));
    for (int p = 0; p < nparts; p++) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000) != 0)
            deadline = 0; /* fail below */
        high[p] = hi;
        pos[p] = lo;
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    bool caught_up = false;
    while (!caught_up && now_s() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->rkt &&
            strcmp(rd_kafka_topic_name(m->rkt), topic) == 0) {
            fn(c, m);
            if (m->partition >= 0 && m->partition < nparts)
                pos[m->partition] = m->offset + 1;
        }
        if (m)
            rd_kafka_message_destroy(m);
        caught_up = true;
        for (int p = 0; p < nparts; p++)
            caught_up = caught_up && pos[p] >= high[p];
    }
    rd_kafka_assign(rk, NULL);
    free(high);
    free(pos);
    return caught_up ? 0 : -1;
}

/* --txn-offsets: one offsets record of the sink. */
static void offsets_record(struct check *c, const rd_kafka_message_t *m)
{
    cJSON *v = cJSON_ParseWithLength(m->payload, m->len);
    const char *tag = str_of(v, "txn");
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(v, "prev");
    uint32_t i = tag ? txn_find(c, tag, strlen(tag)) : UINT32_MAX;
    if (i == UINT32_MAX || !cJSON_IsNumber(prev) || prev->valuedouble < 0) {
        c->bad_txn++;
        problem(c, m, "offsets record without txn/prev");
    } else {
        c->txns[i].has_off = true;
        c->txns[i].prev = (uint64_t)prev->valuedouble;
    }
    cJSON_Delete(v);
}

static int txn_order(const void *a, const void *b)
{
    const struct txn *x = a, *y = b;
    if (x->has_off != y->has_off)
        return x->has_off ? -1 : 1;
    if (x->inst != y->inst)
        return x->inst < y->inst ? -1 : 1;
    return x->no < y->no ? -1 : x->no > y->no;
}

/* --txn-offsets: decide which transactions committed, then count the seqs
 * of their events only. Returns the number of committed transactions. */
static size_t txn_judge(struct check *c)
{
    struct txn *sorted = malloc((c->ntxns ? c->ntxns : 1) * sizeof(*sorted));
    size_t ncommitted = 0;
    if (!sorted)
        abort();
    if (c->ntxns)
        memcpy(sorted, c->txns, c->ntxns * sizeof(*sorted));
    qsort(sorted, c->ntxns, sizeof(*sorted), txn_order);
    for (size_t i = 0; i < c->ntxns && sorted[i].has_off; i++) {
        struct txn *t = &sorted[i], *next = t + 1;
        bool same = i + 1 < c->ntxns && next->has_off && next->inst == t->inst;
        if (i == 0 || t[-1].inst != t->inst) {
            if (t->prev != 0)
                c->bad_txn++; /* nothing of this instance committed before */
        } else if (t->prev != t[-1].no && t->prev != t[-1].prev) {
            c->bad_txn++;
        }
        if (!same || next->prev == t->no) {
            ncommitted++;
            c->txns[txn_find(c, t->tag, strlen(t->tag))].committed = true;
        }
    }
    memset(c->count, 0, c->nseq * sizeof(*c->count));
    for (size_t i = 0; i < c->ntev; i++) {
        if (c->txns[c->tev[i].txn].committed) {
            if (c->count[c->tev[i].seq] < UINT32_MAX)
                c->count[c->tev[i].seq]++;
        } else {
            c->uncommitted++;
        }
    }
    free(sorted);
    return ncommitted;
}

int main(int argc, char **argv)
{
    struct check c = {.rule = KEY_OBSERVABLE};
    const char *bootstrap = NULL, *topic = NULL, *expect = NULL, *dump = NULL, *txn_topic = NULL;
    double timeout = 30;
    char errstr[512];

    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (!val) {
            usage(stderr);
            return 2;
        }
        i++;
        if (strcmp(opt, "--bootstrap") == 0) {
            bootstrap = val;
        } else if (strcmp(opt, "--topic") == 0) {
            topic = val;
        } else if (strcmp(opt, "--expect-seq") == 0) {
            expect = val;
        } else if (strcmp(opt, "--txn-offsets") == 0) {
            txn_topic = val;
            c.eo = true;
        } else if (strcmp(opt, "--dump") == 0) {
            dump = val;
        } else if (strcmp(opt, "--timeout") == 0) {
            timeout = atof(val);
        } else if (strcmp(opt, "--key") == 0 && strcmp(val, "observable") == 0) {
            c.rule = KEY_OBSERVABLE;
        } else if (strcmp(opt, "--key") == 0 && strcmp(val, "client_ip") == 0) {
            c.rule = KEY_CLIENT_IP;
        } else if (strcmp(opt, "--key") == 0 && strcmp(val, "none") == 0) {
            c.rule = KEY_NONE;
        } else if (strcmp(opt, "--message") == 0 && strcmp(val, "event") == 0) {
            c.batch = false;
        } else if (strcmp(opt, "--message") == 0 && strcmp(val, "batch") == 0) {
            c.batch = true;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!bootstrap || !topic || timeout <= 0) {
        usage(stderr);
        return 2;
    }
    if (expect && load_expect(&c, expect) != 0)
        return 2;
    if (dump && !(c.dump = fopen(dump, "w"))) {
        fprintf(stderr, "wt-kafka-check: %s: %s\n", dump, strerror(errno));
        return 2;
    }

    char group[64];
    snprintf(group, sizeof(group), "wt-kafka-check-%d", (int)getpid());
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {
        {"bootstrap.servers", bootstrap},     {"group.id", group},
        {"enable.auto.commit", "false"},      {"auto.offset.reset", "earliest"},
        {"enable.partition.eof", "false"},    {"log_level", "3"},
        {"isolation.level", "read_committed"}};
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], errstr, sizeof(errstr))) {
            fprintf(stderr, "wt-kafka-check: %s\n", errstr);
            return 2;
        }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "wt-kafka-check: %s\n", errstr);
        return 2;
    }
    double deadline = now_s() + timeout;

    /* Partitions of the topic. */
    int nparts = topic_partitions(rk, topic, deadline);
    if (nparts == 0) {
        fprintf(stderr, "wt-kafka-check: no metadata for topic %s\n", topic);
        rd_kafka_destroy(rk);
        return 1;
    }

    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(nparts);
    for (int p = 0; p < nparts; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);

    int64_t *high = calloc((size_t)nparts, sizeof(*high));
    int64_t *pos = calloc((size_t)nparts, sizeof(*pos));
    for (int p = 0; p < nparts; p++)
        pos[p] = -1;
    bool done = false;
    while (!done && now_s() < deadline) {
        /* Read up to the current high watermarks. */
        for (int p = 0; p < nparts; p++) {
            int64_t lo = 0, hi = 0;
            if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000) == 0)
                high[p] = hi;
            if (pos[p] < lo)
                pos[p] = lo;
        }
        bool caught_up = false;
        while (!caught_up && now_s() < deadline) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
            if (m && m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                check_message(&c, m);
                if (m->partition >= 0 && m->partition < nparts)
                    pos[m->partition] = m->offset + 1;
            } else if (m && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                fprintf(stderr, "wt-kafka-check: %s\n", rd_kafka_message_errstr(m));
            }
            if (m)
                rd_kafka_message_destroy(m);
            caught_up = true;
            for (int p = 0; p < nparts; p++)
                caught_up = caught_up && pos[p] >= high[p];
        }
        done = caught_up && (!expect || missing(&c, NULL) == 0);
        if (!done)
            usleep(200 * 1000);
    }

    size_t ncommitted = 0;
    bool txn_read = true;
    if (c.eo) {
        /* After the data: a transaction's offsets record follows its messages. */
        txn_read = read_all(rk, txn_topic, now_s() + timeout, offsets_record, &c) == 0;
        if (!txn_read)
            fprintf(stderr, "wt-kafka-check: %s not read to its end\n", txn_topic);
        ncommitted = txn_judge(&c);
    }
    size_t nmissing = expect ? missing(&c, NULL) : 0;
    uint64_t dups = 0;
    for (size_t i = 0; i < c.nseq; i++) {
        if (c.expected[i] && c.count[i] > 1)
            dups += c.count[i] - 1;
    }
    printf("messages=%llu events=%llu bad_json=%llu bad_key=%llu bad_headers=%llu "
           "expected=%zu missing=%zu duplicates=%llu",
           (unsigned long long)c.messages, (unsigned long long)c.events,
           (unsigned long long)c.bad_json, (unsigned long long)c.bad_key,
           (unsigned long long)c.bad_headers, c.nexpect, nmissing, (unsigned long long)dups);
    if (c.eo)
        printf(" txns=%zu committed_txns=%zu uncommitted_events=%llu bad_txn=%llu", c.ntxns,
               ncommitted, (unsigned long long)c.uncommitted, (unsigned long long)c.bad_txn);
    if (nmissing) {
        printf(" first_missing:");
        missing(&c, stdout);
    }
    printf("\n");
    if (!done && !expect)
        fprintf(stderr, "wt-kafka-check: timed out before reaching the end of every partition\n");

    if (c.dump)
        fclose(c.dump);
    free(high);
    free(pos);
    free(c.count);
    free(c.expected);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    bool ok = done && c.bad_json == 0 && c.bad_key == 0 && c.bad_headers == 0 && nmissing == 0;
    if (c.eo)
        ok = ok && txn_read && dups == 0 && c.bad_txn == 0;
    free(c.txns);
    free(c.txn_hash);
    free(c.tev);
    return ok ? 0 : 1;
}
