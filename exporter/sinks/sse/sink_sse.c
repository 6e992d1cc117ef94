/*
 * sink_sse.c - the SSE sink: batches uploaded as zstd-compressed NDJSON to
 * POST {base}/v1/events (docs/sse-protocol.md), with libcurl's multi
 * interface driven by the libuv loop.
 *
 * curl runs on the loop through exporter/http (one CURLM per sink, capped
 * at `concurrency` connections kept open for reuse); a pool of
 * `concurrency` easy handles carries the requests.
 *
 * Parts. A batch (one unit of acking for the pipeline) is cut into parts,
 * ranges of whole NDJSON lines, each one request with its own
 * Idempotency-Key (sse_int.h: device, batch id, first line, line count,
 * checksum; stable across retries). Parts are cut when a request slot is
 * free, sized by the budget controller (sse_int.h): the measured
 * throughput times budget_fraction * transaction_timeout, shrinking fast
 * on slow or failed requests and growing slowly on fast ones. A part that
 * is the whole batch reuses the pipeline's zstd frame (b->z); others are
 * compressed here (zstd level 1, on the loop: parts are small).
 *
 * Answers (sse_int.h wt__sse_classify):
 *   2xx, 409        acked (409: the server has this key already)
 *   400             dead-lettered with the response, never retried
 *   401             credential file re-read, the part retried at once; a
 *                   second 401: the sink is failing, retries with backoff
 *   413             split in two halves; a single event is dead-lettered
 *   timeout         split in two halves (a single event: backoff)
 *   408, 429, 5xx, other statuses, connection and TLS errors: retried
 *                   with full-jitter backoff; 429/503 with Retry-After
 *                   pause the whole sink until then (no request starts)
 *   retry.max_duration past a batch's first attempt: dead-lettered.
 * While a part waits out its backoff no new part is cut: an outage costs
 * at most `concurrency` requests per backoff period.
 *
 * A batch is done when every part is acked or dead-lettered: ACKED when
 * nothing was dead-lettered, else DEAD (the pipeline counts it, and moves
 * the checkpoint past it just the same, so a poison batch never blocks
 * the input). Dead letters are written on the thread pool to
 * <dead_letter>/sse-<name>/ (0700): the part's events (.ndjson, 0600) and
 * a .reason JSON (status, reason, response, key); a failed write is
 * retried, never dropped. Every dead-lettered event is counted and logged.
 *
 * Secrets: the credential is read from the 0600 credential file into this
 * struct and into one curl_slist per request (wiped after it); never
 * logged, never a metric label.
 */
#include "log.h"
#include "wt_common.h"
#include "sink.h"
#include "dead_letter.h"
#include "sse_int.h"
#include "wt_exporter.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define TAG "sink.sse"

/* Batches held at once; ready() is false beyond. */
#define WT_SSE_MAX_BATCHES 64
/* Retry period of a dead-letter write that failed. */
#define WT_SSE_DL_RETRY_MS 5000
/* Connection phase of a request, at most (and at most transaction_timeout). */
#define WT_SSE_CONNECT_TIMEOUT_MS 30000
/* zstd level of parts compressed here (whole batches come compressed). */
#define WT_SSE_PART_ZSTD_LEVEL 1
/* Consecutive failed requests before the sink reports failing (/healthz). */
#define WT_SSE_FAILING_AFTER 3
/* A pause ends this much after the Retry-After moment: timers may fire up to 1 ms early. */
#define WT_SSE_PAUSE_MARGIN_MS 5

static_assert(WT_SSE_MAX_BATCHES >= 2, "batches in flight");
static_assert(WT_SSE_CONCURRENCY_MAX <= 1024, "slots are an array");

/* ------------------------------------------------------------------------ */
/* State                                                                    */
/* ------------------------------------------------------------------------ */

struct sse_sink;
struct sse_batch;

enum pstate {
    P_QUEUED = 0, /* waiting for a request slot (due: not before) */
    P_FLIGHT,     /* a request is running */
    P_DL_WAIT,    /* to be written to the dead-letter directory (due: retry time) */
    P_DL_JOB,     /* dead-letter write running on the thread pool */
};

/*
 * The part plan. A record (spool seq) is cut greedily into parts of at most
 * `target` NDJSON bytes, so (seq, target) is the whole plan of a record. It
 * is appended to <state_dir>/sse-<name>.plan before the record's first part
 * goes out; after a restart a record sent before is cut the same way, so
 * its parts carry the same bytes and the same Idempotency-Keys (409: a
 * no-op). Entry: u64 seq, u32 target, u32 CRC32C of those 12 bytes.
 */
struct plan_ent {
    uint64_t seq;
    uint32_t target;
};
#define WT_SSE_PLAN_ENT  16
#define WT_SSE_PLAN_KEEP 65536 /* entries kept when the file is rewritten */

/* One request's worth of whole lines of a batch. */
struct sse_part {
    struct sse_sink *ss;
    struct sse_batch *sb;
    struct sse_part *next; /* in ss->queue or ss->dl */
    enum pstate state;
    size_t off, len;       /* bytes of the batch's NDJSON */
    uint32_t first, count; /* line index in the batch, lines */
    unsigned attempts;     /* failed attempts: the backoff exponent */
    bool reauthed;         /* the one 401 retry was used */
    int64_t due;           /* loop ms */
    char *z;               /* the compressed body (z_owned: ours, else b->z) */
    size_t zlen;
    bool z_owned;
    char key[WT_SSE_KEY_MAX + 1];
    /* Dead letter. */
    uv_work_t work;
    int dl_rc;
    long dl_status;
    char dl_reason[512];
    char *dl_resp; /* response body or NULL */
    size_t dl_resp_len;
    char dl_path[4400]; /* .ndjson file written */
};

struct sse_batch {
    struct wt_batch *b;
    struct sse_batch *next;
    /* The NDJSON: b->data (replay), or decompressed here from b->z when a
     * part must be cut from it (run: the spool hands over frames only). */
    size_t len;          /* NDJSON bytes (b->len, or the frame's content size) */
    char *raw;           /* decompressed here, or NULL */
    int64_t first_ms;    /* loop ms of its first request; -1 before */
    size_t cut;          /* bytes of the NDJSON cut into parts */
    size_t target;       /* the record's cut size: from the plan, fixed at its first cut */
    uint32_t cut_lines;  /* lines cut */
    unsigned open_parts; /* parts not yet acked or dead-lettered */
    uint64_t dead_events;
};

/* An easy handle and the request it carries. */
struct slot {
    struct sse_sink *ss;
    CURL *eh;
    struct sse_part *part; /* NULL: free */
    struct curl_slist *hdrs;
    uint64_t t0_ns;
    char errbuf[CURL_ERROR_SIZE];
    char resp[WT_SSE_RESPONSE_MAX];
    size_t resp_len;
};

struct sse_sink {
    struct wt_sink *s;
    char name[WT_SINK_NAME_MAX + 1];
    char base[WT_SSE_URL_MAX + 1];
    char events_url[WT_SSE_URL_MAX + 32];
    char ca_file[4096];
    char proxy[WT_SSE_URL_MAX + 1];
    bool have_ca, have_proxy;
    char cred_path[4096];
    char dl_dir[4200];
    /* The part plan (durable mode): the cut size of each record sent. */
    bool use_plan, warned_plan;
    int plan_fd;
    char plan_path[4200];
    struct plan_ent *plan;
    size_t nplan, capplan;
    struct wt__sse_cred cred;
    unsigned concurrency;
    int64_t timeout_ms, base_ms, cap_ms, max_dur_ms;

    struct wt_http_loop http; /* curl on the loop */
    bool http_ok;             /* http initialised (to be closed) */
    ZSTD_CCtx *zc;
    uv_timer_t wake; /* backoff, pause and dead-letter retries */
    struct slot slots[WT_SSE_CONCURRENCY_MAX];
    unsigned inflight;

    struct sse_batch *bhead, *btail;
    unsigned nbatches;
    struct sse_part *queue; /* P_QUEUED parts, in send order */
    struct sse_part *dl;    /* P_DL_WAIT and P_DL_JOB parts */
    int64_t paused_until;   /* loop ms; 0: not paused */
    struct wt_http_budget bg;
    uint64_t rng;
    unsigned fail_streak; /* failed requests since the last success */
    bool auth_bad;        /* a second 401 in a row */
    bool problem_set;     /* a health problem is reported (metrics) */
    bool in_pump;

    bool closing;
    unsigned pending; /* handle closes and jobs to wait for before freeing */

    struct wt_metrics *own_metrics; /* when the pipeline gave no registry */
    struct wt_metric *m_tx_seconds, *m_over_budget, *m_retries, *m_splits, *m_dead_events,
        *m_bytes_sent, *m_target, *m_paused_until, *m_reauth, *m_connects;
    struct wt_metric *m_req[6]; /* by class: 2xx 3xx 4xx 5xx error timeout */
};

enum { RQ_2XX = 0, RQ_3XX, RQ_4XX, RQ_5XX, RQ_ERROR, RQ_TIMEOUT };
static const char *const rq_class[] = {"2xx", "3xx", "4xx", "5xx", "error", "timeout"};

static void pump(struct sse_sink *ss);
static void dead_letter(struct sse_sink *ss, struct sse_part *p, long status, const char *reason,
                        const char *resp, size_t resp_len);

static int64_t now_ms(const struct sse_sink *ss)
{
    return (int64_t)uv_now(ss->s->loop);
}

/* ------------------------------------------------------------------------ */
/* Metrics                                                                  */
/* ------------------------------------------------------------------------ */

/* Transaction seconds: 10 ms .. 120 s (14 bounds, +Inf implicit). */
static const double tx_buckets[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                    2.5,  5,     10,   20,  30,   60,  120};
static_assert(sizeof(tx_buckets) / sizeof(tx_buckets[0]) <= WT_HIST_MAX_BUCKETS, "buckets");

static void metrics_create(struct sse_sink *ss, struct wt_metrics *m)
{
    char esc[128], l[WT_METRIC_LABELS_MAX], lc[WT_METRIC_LABELS_MAX];
    wt_metrics_label_escape(ss->name, esc, sizeof(esc));
    snprintf(l, sizeof(l), "sink=\"%s\"", esc);
#define C(name, help) wt_metrics_get(m, WT_METRIC_COUNTER, name, help, l, NULL, 0)
#define G(name, help) wt_metrics_get(m, WT_METRIC_GAUGE, name, help, l, NULL, 0)
    ss->m_tx_seconds = wt_metrics_get(m, WT_METRIC_HISTOGRAM, "wtexport_sse_transaction_seconds",
                                      "Duration of SSE upload requests (every outcome).", l,
                                      tx_buckets, sizeof(tx_buckets) / sizeof(tx_buckets[0]));
    ss->m_over_budget = C("wtexport_sse_transactions_over_budget_total",
                          "SSE requests that took longer than budget_fraction * "
                          "transaction_timeout (timeouts included).");
    ss->m_retries =
        C("wtexport_sse_retries_total", "SSE requests scheduled again after a failure.");
    ss->m_splits =
        C("wtexport_sse_splits_total", "SSE parts split in two after a timeout or a 413.");
    ss->m_dead_events = C("wtexport_sse_dead_letter_events_total",
                          "Events written to the SSE dead-letter directory.");
    ss->m_bytes_sent =
        C("wtexport_sse_bytes_sent_total", "Request body bytes (zstd) sent to SSE, retries too.");
    ss->m_reauth = C("wtexport_sse_reauth_total", "Credential file re-reads after a 401 from SSE.");
    ss->m_connects = C("wtexport_sse_connections_total",
                       "New connections opened to SSE (the rest were reused).");
    ss->m_target =
        G("wtexport_sse_target_bytes", "NDJSON bytes the next SSE request is sized for.");
    ss->m_paused_until =
        G("wtexport_sse_paused_until_seconds",
          "Unix time until which a Retry-After pauses the SSE sink; 0: not paused.");
#undef C
#undef G
    for (size_t i = 0; i < sizeof(rq_class) / sizeof(rq_class[0]); i++) {
        snprintf(lc, sizeof(lc), "%s,class=\"%s\"", l, rq_class[i]);
        ss->m_req[i] = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_sse_requests_total",
                                      "SSE upload requests by outcome: HTTP status class, "
                                      "connection error or timeout.",
                                      lc, NULL, 0);
    }
    wt_metric_set(ss->m_target, (int64_t)wt_http_budget_target(&ss->bg));
}

/* ------------------------------------------------------------------------ */
/* Parts and batches                                                        */
/* ------------------------------------------------------------------------ */

/* The batch's NDJSON if it is at hand (b->data or decompressed), else NULL. */
static const char *sb_bytes(const struct sse_batch *sb)
{
    return sb->raw ? sb->raw : sb->b->len ? sb->b->data : NULL;
}

/*
 * The batch's NDJSON, decompressed from its frame on first use: only a
 * record that must be cut (or split, or dead-lettered) is decompressed.
 * @returns NULL when the frame does not decode (logged).
 */
static const char *sb_data(struct sse_sink *ss, struct sse_batch *sb)
{
    const char *d = sb_bytes(sb);
    if (d)
        return d;
    sb->raw = wt_malloc(sb->len + 1);
    if (!sb->raw) {
        wt_log_error(TAG, "%s: out of memory for a batch of %zu bytes", ss->name, sb->len);
        abort();
    }
    long n = wt_zstd_decompress(sb->b->z, sb->b->zlen, sb->raw, sb->len);
    if (n < 0 || (size_t)n != sb->len) {
        wt_log_error(TAG, "%s: batch %" PRIu64 " does not decompress: dropped", ss->name,
                     sb->b->id);
        wt_free(sb->raw);
        sb->raw = NULL;
        return NULL;
    }
    return sb->raw;
}

/* Is [off, off + len) the whole batch, which goes out as its own zstd frame? */
static bool whole_frame(const struct sse_batch *sb, size_t off, size_t len)
{
    return off == 0 && len == sb->len && sb->b->z && sb->b->zlen;
}

static struct sse_part *part_new(struct sse_sink *ss, struct sse_batch *sb, size_t off, size_t len,
                                 uint32_t first, uint32_t count)
{
    struct sse_part *p = wt_calloc(1, sizeof(*p));
    if (!p) {
        wt_log_error(TAG, "%s: out of memory", ss->name);
        abort();
    }
    p->ss = ss;
    p->sb = sb;
    p->off = off;
    p->len = len;
    p->first = first;
    p->count = count;
    p->due = now_ms(ss);
    /* The checksum of what goes out: the batch's own frame when the part is
     * the whole batch (nothing decompressed), else the part's NDJSON. */
    bool whole = whole_frame(sb, off, len);
    const char *bytes = whole ? sb->b->z : sb_bytes(sb) + off;
    size_t nbytes = whole ? sb->b->zlen : len;
    if (wt__sse_idem_key(p->key, sizeof(p->key), ss->cred.device_id, sb->b->id, first, count, bytes,
                         nbytes) < 0) {
        /* Cannot happen: the device id is checked on load (static_assert in sse_int.h). */
        wt_log_error(TAG, "%s: Idempotency-Key does not fit", ss->name);
        abort();
    }
    sb->open_parts++;
    return p;
}

static void part_free(struct sse_part *p)
{
    if (p->z_owned)
        wt_free(p->z);
    wt_free(p->dl_resp);
    wt_free(p);
}

/* Queue a part: at the head (splits, immediate retries) or the tail. */
static void enqueue(struct sse_sink *ss, struct sse_part *p, bool front)
{
    p->state = P_QUEUED;
    if (front || !ss->queue) {
        p->next = ss->queue;
        ss->queue = p;
        return;
    }
    struct sse_part *t = ss->queue;
    while (t->next)
        t = t->next;
    p->next = NULL;
    t->next = p;
}

static void unlink_part(struct sse_part **head, struct sse_part *p)
{
    for (struct sse_part **pp = head; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            p->next = NULL;
            return;
        }
    }
}

/* Report every finished batch (all parts acked or dead-lettered) to the pipeline. */
static void reap(struct sse_sink *ss)
{
    bool again = true;
    while (again && !ss->closing) {
        again = false;
        struct sse_batch *prev = NULL;
        for (struct sse_batch *sb = ss->bhead; sb; prev = sb, sb = sb->next) {
            if (sb->open_parts > 0 || sb->cut < sb->len)
                continue;
            if (prev)
                prev->next = sb->next;
            else
                ss->bhead = sb->next;
            if (ss->btail == sb)
                ss->btail = prev;
            ss->nbatches--;
            struct wt_batch *b = sb->b;
            enum wt_sink_status st = sb->dead_events ? WT_SINK_DEAD : WT_SINK_ACKED;
            wt_free(sb->raw);
            wt_free(sb);
            /* May call send() (and pump) again: the list is walked anew after it. */
            wt_sink_done(ss->s, b, st);
            again = true;
            break;
        }
    }
}

/* A part is acked or dead-lettered: drop it, and report its batch when complete. */
static void part_done(struct sse_sink *ss, struct sse_part *p)
{
    struct sse_batch *sb = p->sb;
    sb->open_parts--;
    part_free(p);
    if (sb->open_parts == 0 && sb->cut >= sb->len)
        reap(ss);
}

/* Cut the next part from the oldest batch that has bytes left, or NULL. */
/* ------------------------------------------------------------------------ */
/* The part plan                                                            */
/* ------------------------------------------------------------------------ */

static void plan_encode(unsigned char e[WT_SSE_PLAN_ENT], const struct plan_ent *p)
{
    for (int i = 0; i < 8; i++)
        e[i] = (unsigned char)(p->seq >> (8 * i));
    for (int i = 0; i < 4; i++)
        e[8 + i] = (unsigned char)(p->target >> (8 * i));
    uint32_t crc = wt_crc32c(0, e, 12);
    for (int i = 0; i < 4; i++)
        e[12 + i] = (unsigned char)(crc >> (8 * i));
}

static bool plan_decode(const unsigned char e[WT_SSE_PLAN_ENT], struct plan_ent *p)
{
    uint64_t seq = 0;
    uint32_t t = 0, crc = 0;
    for (int i = 0; i < 8; i++)
        seq |= (uint64_t)e[i] << (8 * i);
    for (int i = 0; i < 4; i++) {
        t |= (uint32_t)e[8 + i] << (8 * i);
        crc |= (uint32_t)e[12 + i] << (8 * i);
    }
    if (crc != wt_crc32c(0, e, 12) || t == 0)
        return false;
    *p = (struct plan_ent){seq, t};
    return true;
}

static int plan_push(struct sse_sink *ss, const struct plan_ent *e)
{
    if (ss->nplan == ss->capplan) {
        size_t cap = ss->capplan ? ss->capplan * 2 : 1024;
        struct plan_ent *n = wt_realloc(ss->plan, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        ss->plan = n;
        ss->capplan = cap;
    }
    ss->plan[ss->nplan++] = *e;
    return 0;
}

/* Rewrite the file with the newest WT_SSE_PLAN_KEEP entries (open, and when it grows). */
static int plan_rewrite(struct sse_sink *ss)
{
    size_t from = ss->nplan > WT_SSE_PLAN_KEEP ? ss->nplan - WT_SSE_PLAN_KEEP : 0;
    size_t n = ss->nplan - from;
    unsigned char *buf = wt_malloc(n * WT_SSE_PLAN_ENT + 1);
    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        plan_encode(buf + i * WT_SSE_PLAN_ENT, &ss->plan[from + i]);
    if (n > 0)
        memmove(ss->plan, ss->plan + from, n * sizeof(*ss->plan));
    ss->nplan = n;
    char dir[4200], *slash;
    snprintf(dir, sizeof(dir), "%s", ss->plan_path);
    slash = strrchr(dir, '/');
    const char *name = slash ? slash + 1 : dir;
    if (slash)
        *slash = '\0';
    int rc = wt_write_atomic(slash ? dir : ".", name, buf, n * WT_SSE_PLAN_ENT);
    wt_free(buf);
    if (rc != 0)
        return rc;
    if (ss->plan_fd >= 0)
        close(ss->plan_fd);
    ss->plan_fd = open(ss->plan_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    return ss->plan_fd < 0 ? -errno : 0;
}

static int plan_load(struct sse_sink *ss)
{
    char *data = NULL;
    size_t len = 0;
    int rc = wt_read_state_file(ss->plan_path, 64u * 1024 * 1024, &data, &len);
    if (rc == WT_ESYMLINK || rc == WT_ENOTREG) {
        /* Planted: not read; the rewrite below replaces a link. */
        wt_log_warn(TAG, "%s: %s: %s: starting a new part plan", ss->name, ss->plan_path,
                    wt_strerror(rc));
        rc = -ENOENT;
    }
    if (rc == -ENOENT)
        rc = 0;
    if (rc != 0)
        return rc;
    for (size_t off = 0; off + WT_SSE_PLAN_ENT <= len; off += WT_SSE_PLAN_ENT) {
        struct plan_ent e;
        if (!plan_decode((const unsigned char *)data + off, &e))
            break; /* a torn last entry: its record was never sent */
        if (plan_push(ss, &e) != 0) {
            rc = -ENOMEM;
            break;
        }
    }
    wt_free(data);
    return rc ? rc : plan_rewrite(ss);
}

/* The cut size of record b: its plan entry, or the budget's target, appended first. */
static size_t plan_target(struct sse_sink *ss, const struct wt_batch *b)
{
    size_t t = wt_http_budget_target(&ss->bg);
    if (!ss->use_plan)
        return t;
    for (size_t i = ss->nplan; i-- > 0;) {
        if (ss->plan[i].seq == b->id)
            return ss->plan[i].target;
    }
    struct plan_ent e = {b->id, t > UINT32_MAX ? UINT32_MAX : (uint32_t)t};
    unsigned char buf[WT_SSE_PLAN_ENT];
    plan_encode(buf, &e);
    /* Written before the first part is sent: a crash after this line finds
     * it (a process crash keeps the page cache; see docs/sse-protocol.md). */
    if (ss->plan_fd < 0 || wt_write_all(ss->plan_fd, buf, sizeof(buf)) != 0) {
        if (!ss->warned_plan)
            wt_log_error(TAG,
                         "%s: %s: cannot write the part plan: %s (records are sent whole "
                         "until it works again)",
                         ss->name, ss->plan_path, strerror(errno));
        ss->warned_plan = true;
        if (ss->s->metrics)
            wt_metrics_problem(ss->s->metrics, "sse-plan", "cannot write the SSE part plan");
        return SIZE_MAX; /* whole: the one cut a restart can reproduce without an entry */
    }
    if (ss->warned_plan) {
        ss->warned_plan = false;
        if (ss->s->metrics)
            wt_metrics_problem(ss->s->metrics, "sse-plan", NULL);
    }
    wt_crash_point("sse-planned");
    plan_push(ss, &e);
    if (ss->nplan >= 2 * WT_SSE_PLAN_KEEP)
        plan_rewrite(ss);
    return e.target;
}

static void wake_cb(uv_timer_t *t);

static struct sse_part *cut_next(struct sse_sink *ss)
{
    for (struct sse_batch *sb = ss->bhead; sb; sb = sb->next) {
        struct wt_batch *b = sb->b;
        if (sb->cut >= sb->len)
            continue;
        uint32_t lines;
        /* With a plan: one target per record; replay --no-state: each cut follows the budget. */
        if (sb->target == 0 || !ss->use_plan)
            sb->target = plan_target(ss, b);
        size_t n;
        if (sb->cut == 0 && sb->target >= sb->len && b->z && b->zlen) {
            /* The whole record in one part: its frame as it is, and its
             * line count from the record (one event a line). */
            n = sb->len;
            lines = b->nevents;
        } else {
            const char *d = sb_data(ss, sb);
            if (!d) {
                sb->dead_events += b->nevents;
                sb->cut = sb->len;
                wt_metric_add(ss->m_dead_events, b->nevents);
                /* Reported at the next loop turn (reap edits this list). */
                uv_timer_start(&ss->wake, wake_cb, 0, 0);
                continue;
            }
            n = wt__sse_cut(d, sb->len, sb->cut, sb->target, &lines);
        }
        struct sse_part *p = part_new(ss, sb, sb->cut, n, sb->cut_lines, lines);
        sb->cut += n;
        sb->cut_lines += lines;
        if (sb->first_ms < 0)
            sb->first_ms = now_ms(ss);
        return p;
    }
    return NULL;
}

/* Replace p (queued to be sent again) by its two halves, at the head of the queue. */
static void split(struct sse_sink *ss, struct sse_part *p)
{
    struct sse_batch *sb = p->sb;
    const char *data = sb_data(ss, sb) + p->off; /* decoded when p was sent */
    size_t l1 = wt__sse_halve(data, p->len, p->count);
    uint32_t c1 = p->count / 2;
    struct sse_part *a = part_new(ss, sb, p->off, l1, p->first, c1);
    struct sse_part *b = part_new(ss, sb, p->off + l1, p->len - l1, p->first + c1, p->count - c1);
    wt_metric_add(ss->m_splits, 1);
    wt_log_debug(TAG,
                 "%s: batch %" PRIu64 " lines %" PRIu32 "+%" PRIu32 " split into %" PRIu32
                 " + %" PRIu32,
                 ss->name, sb->b->id, p->first, p->count, c1, p->count - c1);
    sb->open_parts--;
    part_free(p);
    enqueue(ss, b, true);
    enqueue(ss, a, true);
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                 */
/* ------------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct slot *sl = userp;
    size_t n = size * nmemb;
    size_t room = sizeof(sl->resp) - 1 - sl->resp_len;
    size_t take = n < room ? n : room;
    memcpy(sl->resp + sl->resp_len, data, take);
    sl->resp_len += take;
    sl->resp[sl->resp_len] = '\0';
    return n;
}

/* The request body of p: the batch's own frame, or p's bytes compressed once. */
static int part_body(struct sse_sink *ss, struct sse_part *p)
{
    struct wt_batch *b = p->sb->b;
    if (p->z)
        return 0;
    if (whole_frame(p->sb, p->off, p->len)) {
        p->z = b->z;
        p->zlen = b->zlen;
        p->z_owned = false;
        return 0;
    }
    size_t cap = ZSTD_compressBound(p->len);
    p->z = wt_malloc(cap);
    if (!p->z)
        return -ENOMEM;
    p->z_owned = true;
    size_t r = ZSTD_compressCCtx(ss->zc, p->z, cap, sb_bytes(p->sb) + p->off, p->len,
                                 WT_SSE_PART_ZSTD_LEVEL);
    if (ZSTD_isError(r)) {
        wt_log_error(TAG, "%s: zstd: %s", ss->name, ZSTD_getErrorName(r));
        return -EIO;
    }
    p->zlen = r;
    return 0;
}

static struct slot *free_slot(struct sse_sink *ss)
{
    for (unsigned i = 0; i < ss->concurrency; i++) {
        if (!ss->slots[i].part)
            return &ss->slots[i];
    }
    return NULL;
}

static void wipe_slist(struct curl_slist *l)
{
    for (struct curl_slist *h = l; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(l);
}

static void start(struct sse_sink *ss, struct sse_part *p)
{
    struct slot *sl = free_slot(ss);
    char h[WT_SSE_CREDENTIAL_MAX + WT_SSE_KEY_MAX + 64];
    struct curl_slist *l = NULL;

    if (part_body(ss, p) != 0) {
        wt_log_error(TAG, "%s: cannot compress a part: out of memory", ss->name);
        abort();
    }
    l = curl_slist_append(l, "Content-Type: application/x-ndjson");
    l = curl_slist_append(l, "Content-Encoding: zstd");
    snprintf(h, sizeof(h), "Idempotency-Key: %s", p->key);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof(h), "Authorization: Bearer %s", ss->cred.credential);
    l = curl_slist_append(l, h);
    explicit_bzero(h, sizeof(h));
    if (!l) {
        wt_log_error(TAG, "%s: out of memory", ss->name);
        abort();
    }
    CURL *eh = sl->eh;
    /* Every option is set on every request, so a reused handle needs no reset. */
    wt_http_curl_common(eh, ss->events_url, ss->have_ca ? ss->ca_file : NULL,
                        ss->have_proxy ? ss->proxy : NULL, sl->errbuf);
    curl_easy_setopt(eh, CURLOPT_POST, 1L);
    curl_easy_setopt(eh, CURLOPT_POSTFIELDS, p->z);
    curl_easy_setopt(eh, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->zlen);
    curl_easy_setopt(eh, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(eh, CURLOPT_TIMEOUT_MS, (long)ss->timeout_ms);
    curl_easy_setopt(eh, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(ss->timeout_ms < WT_SSE_CONNECT_TIMEOUT_MS
                                ? ss->timeout_ms
                                : WT_SSE_CONNECT_TIMEOUT_MS));
    curl_easy_setopt(eh, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(eh, CURLOPT_WRITEDATA, sl);
    curl_easy_setopt(eh, CURLOPT_PRIVATE, sl);
    sl->part = p;
    sl->hdrs = l;
    sl->resp_len = 0;
    sl->resp[0] = '\0';
    sl->t0_ns = uv_hrtime();
    p->state = P_FLIGHT;
    if (wt_http_loop_add(&ss->http, eh) != 0)
        abort(); /* only when curl is out of memory or misused: logged */
    ss->inflight++;
    wt_metric_add(ss->m_bytes_sent, p->zlen);
    wt_log_debug(TAG, "%s: POST key=%s lines=%" PRIu32 " bytes=%zu zstd=%zu", ss->name, p->key,
                 p->count, p->len, p->zlen);
}

/* Any queued part waiting out a backoff (due later)? Then no new part is cut. */
static bool backing_off(const struct sse_sink *ss, int64_t now)
{
    for (const struct sse_part *p = ss->queue; p; p = p->next) {
        if (p->due > now)
            return true;
    }
    return false;
}

static struct sse_part *take_due(struct sse_sink *ss, int64_t now)
{
    for (struct sse_part *p = ss->queue; p; p = p->next) {
        if (p->due <= now) {
            unlink_part(&ss->queue, p);
            return p;
        }
    }
    return NULL;
}

/* Arm the wake timer for the earliest backoff, pause end or dead-letter retry. */
static void arm_wake(struct sse_sink *ss, int64_t now)
{
    int64_t next = INT64_MAX;
    if (ss->paused_until > now) {
        next = ss->paused_until;
    } else if (ss->inflight < ss->concurrency) {
        for (const struct sse_part *p = ss->queue; p; p = p->next) {
            if (p->due < next)
                next = p->due;
        }
    }
    for (const struct sse_part *p = ss->dl; p; p = p->next) {
        if (p->state == P_DL_WAIT && p->due < next)
            next = p->due;
    }
    if (next == INT64_MAX) {
        uv_timer_stop(&ss->wake);
        return;
    }
    uv_timer_start(&ss->wake, wake_cb, next > now ? (uint64_t)(next - now) : 0, 0);
}

static void dl_start(struct sse_sink *ss, struct sse_part *p);

/* Start what may start now: dead-letter writes due, then requests up to concurrency. */
static void pump(struct sse_sink *ss)
{
    if (ss->closing || ss->in_pump)
        return;
    ss->in_pump = true;
    int64_t now = now_ms(ss);
    for (struct sse_part *p = ss->dl; p; p = p->next) {
        if (p->state == P_DL_WAIT && p->due <= now)
            dl_start(ss, p);
    }
    if (ss->paused_until && ss->paused_until <= now) {
        ss->paused_until = 0;
        wt_metric_set(ss->m_paused_until, 0);
        wt_log_info(TAG, "%s: Retry-After pause over: sending again", ss->name);
    }
    while (!ss->paused_until && ss->inflight < ss->concurrency) {
        struct sse_part *p = take_due(ss, now);
        if (!p && !backing_off(ss, now))
            p = cut_next(ss);
        if (!p)
            break;
        start(ss, p);
    }
    arm_wake(ss, now);
    ss->in_pump = false;
}

static void wake_cb(uv_timer_t *t)
{
    struct sse_sink *ss = t->data;
    pump(ss);
    reap(ss);
}

/* ------------------------------------------------------------------------ */
/* Outcomes                                                                 */
/* ------------------------------------------------------------------------ */

static void note_success(struct sse_sink *ss)
{
    if (ss->s->failing || ss->fail_streak >= WT_SSE_FAILING_AFTER)
        wt_log_info(TAG, "%s: delivering again after %u failed request(s)", ss->name,
                    ss->fail_streak);
    ss->fail_streak = 0;
    ss->auth_bad = false;
    ss->s->failing = false;
    if (ss->problem_set)
        wt_metrics_problem(ss->s->metrics, ss->name, NULL);
    ss->problem_set = false;
}

/* A failed request: log the first of a streak, and report failing after a few. */
static void note_failure(struct sse_sink *ss, const char *what)
{
    ss->fail_streak++;
    if (ss->fail_streak == 1)
        wt_log_warn(TAG, "%s: %s (retrying with backoff; nothing is dropped)", ss->name, what);
    else
        wt_log_debug(TAG, "%s: %s", ss->name, what);
    if (!ss->s->failing && (ss->fail_streak >= WT_SSE_FAILING_AFTER || ss->auth_bad)) {
        ss->s->failing = true;
        wt_log_error(TAG, "%s: failing: %u requests in a row failed, last: %s", ss->name,
                     ss->fail_streak, what);
    }
    if (ss->s->failing && ss->s->metrics && !ss->problem_set) {
        wt_metrics_problem(ss->s->metrics, ss->name, what);
        ss->problem_set = true;
    }
}

/* Schedule p again after a backoff, or dead-letter it past retry.max_duration. */
static void retry_later(struct sse_sink *ss, struct sse_part *p, const char *why)
{
    int64_t now = now_ms(ss);
    if (ss->max_dur_ms > 0 && now - p->sb->first_ms >= ss->max_dur_ms) {
        char reason[400];
        snprintf(reason, sizeof(reason), "retry.max_duration (%" PRId64 " ms) exceeded; last: %s",
                 ss->max_dur_ms, why);
        dead_letter(ss, p, 0, reason, NULL, 0);
        return;
    }
    uint64_t d = wt_http_backoff_ms((uint64_t)ss->base_ms, (uint64_t)ss->cap_ms, p->attempts,
                                    wt_http_rand(&ss->rng));
    p->attempts++;
    p->due = now + (int64_t)d;
    wt_metric_add(ss->m_retries, 1);
    enqueue(ss, p, false);
}

/* Re-read the credential file (another process may have registered again). */
static void reload_credential(struct sse_sink *ss)
{
    struct wt__sse_cred c;
    char err[512];
    wt_metric_add(ss->m_reauth, 1);
    int rc = wt__sse_cred_load(ss->cred_path, &c, err, sizeof(err));
    if (rc != 0) {
        wt_log_warn(TAG, "%s: re-reading the credential: %s (keeping the one in use)", ss->name,
                    err);
        return;
    }
    if (strcmp(c.credential, ss->cred.credential) != 0 ||
        strcmp(c.device_id, ss->cred.device_id) != 0)
        wt_log_info(TAG, "%s: credential file changed (device %s): using it", ss->name,
                    c.device_id);
    /* Keys of parts already cut keep the old device id: they stay stable. */
    ss->cred = c;
    wt__sse_cred_wipe(&c);
}

/* "HTTP 503: reason" or "curl error text" for logs and dead-letter reasons. */
static void describe(const struct slot *sl, CURLcode rc, long http, char *buf, size_t cap)
{
    if (rc != CURLE_OK) {
        const char *e = sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(rc);
        const char *hint = wt_http_tls_hint(rc, sl->errbuf);
        if (hint)
            snprintf(buf, cap, "%s: TLS verification failed: %s (%s)", sl->ss->events_url, e, hint);
        else
            snprintf(buf, cap, "%s: %s", sl->ss->events_url, e);
        return;
    }
    /* The server's reason, printable, cut short. */
    char body[200];
    size_t n = sl->resp_len < sizeof(body) - 1 ? sl->resp_len : sizeof(body) - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)sl->resp[i];
        body[i] = ch >= ' ' && ch < 0x7f ? (char)ch : ' ';
    }
    body[n] = '\0';
    snprintf(buf, cap, "HTTP %ld%s%s", http, n ? ": " : "", body);
}

/* A Retry-After on a 429/503: pause the whole sink. @returns true when paused. */
static bool maybe_pause(struct sse_sink *ss, CURL *eh, long http)
{
    int64_t delay;
    const char *value;
    if (!wt_http_pause_asked(eh, http, &delay, &value))
        return false;
    int64_t until = now_ms(ss) + delay + WT_SSE_PAUSE_MARGIN_MS;
    if (until > ss->paused_until) {
        ss->paused_until = until;
        wt_metric_set(ss->m_paused_until, (wt_wall_ms() + delay + 999) / 1000);
        wt_log_warn(TAG, "%s: HTTP %ld with Retry-After %s: no request for %" PRId64 " ms",
                    ss->name, http, value, delay);
    }
    return true;
}

/*
 * A request of p ended. sl (its response, error text, handle) is read
 * before p is acked: acking may start a new request on the same slot.
 */
static void on_done(struct sse_sink *ss, struct slot *sl, struct sse_part *p, CURLcode rc)
{
    long http = 0;
    curl_off_t pretransfer_us = 0;
    long nconn = 0;
    char what[600];

    double secs = (double)(uv_hrtime() - sl->t0_ns) / 1e9;
    curl_easy_getinfo(sl->eh, CURLINFO_RESPONSE_CODE, &http);
    curl_easy_getinfo(sl->eh, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
    curl_easy_getinfo(sl->eh, CURLINFO_NUM_CONNECTS, &nconn);
    /* The request was on its way (connected, TLS done): a timeout says "too slow". */
    bool connected = pretransfer_us > 0;
    wt_metric_observe(ss->m_tx_seconds, secs);
    wt_metric_add(ss->m_connects, (uint64_t)nconn);
    bool over = secs > ss->bg.budget_s;
    if (over)
        wt_metric_add(ss->m_over_budget, 1);

    enum wt__sse_outcome out = wt__sse_classify(rc, http, connected);
    int cls = rc == CURLE_OPERATION_TIMEDOUT ? RQ_TIMEOUT
              : rc != CURLE_OK               ? RQ_ERROR
              : http >= 500                  ? RQ_5XX
              : http >= 400                  ? RQ_4XX
              : http >= 300                  ? RQ_3XX
                                             : RQ_2XX;
    wt_metric_add(ss->m_req[cls], 1);
    describe(sl, rc, http, what, sizeof(what));
    wt_log_debug(TAG, "%s: key=%s -> %s in %.3f s", ss->name, p->key, what, secs);

    switch (out) {
    case WT_SSE_OUT_ACK:
    case WT_SSE_OUT_DUP:
        if (wt_http_budget_success(&ss->bg, p->len, secs))
            wt_log_debug(TAG, "%s: request over budget (%.3f s > %.3f s): smaller parts", ss->name,
                         secs, ss->bg.budget_s);
        note_success(ss);
        part_done(ss, p);
        break;
    case WT_SSE_OUT_REJECT:
        dead_letter(ss, p, http, "rejected by SSE (HTTP 400): never retried", sl->resp,
                    sl->resp_len);
        break;
    case WT_SSE_OUT_AUTH:
        reload_credential(ss);
        if (!p->reauthed) {
            p->reauthed = true;
            wt_log_info(TAG, "%s: credential refused (HTTP 401): re-read %s, retrying once",
                        ss->name, ss->cred_path);
            p->due = now_ms(ss);
            enqueue(ss, p, true);
        } else {
            if (!ss->auth_bad)
                wt_log_error(TAG,
                             "%s: credential refused again (HTTP 401): register again with "
                             "'wtexport register' (retrying with backoff; nothing is dropped)",
                             ss->name);
            ss->auth_bad = true;
            note_failure(ss, what);
            retry_later(ss, p, what);
        }
        break;
    case WT_SSE_OUT_TOO_LARGE:
        wt_http_budget_too_large(&ss->bg, p->len);
        if (p->count > 1) {
            split(ss, p);
        } else {
            dead_letter(ss, p, http, "too large: a single event refused with HTTP 413", sl->resp,
                        sl->resp_len);
        }
        break;
    case WT_SSE_OUT_TIMEOUT:
        wt_http_budget_fail(&ss->bg, p->len);
        if (p->count > 1 && !ss->use_plan) {
            wt_log_warn(TAG,
                        "%s: request of %" PRIu32 " events timed out after %.1f s: sending "
                        "it again as two halves",
                        ss->name, p->count, secs);
            split(ss, p);
        } else {
            note_failure(ss, what);
            retry_later(ss, p, what);
        }
        break;
    case WT_SSE_OUT_RETRY:
        if (connected && rc != CURLE_OK)
            wt_http_budget_fail(&ss->bg, p->len);
        else if (http == 408 || http == 429 || http >= 500)
            wt_http_budget_fail(&ss->bg, p->len);
        note_failure(ss, what);
        if (maybe_pause(ss, sl->eh, http) &&
            !(ss->max_dur_ms > 0 && now_ms(ss) - p->sb->first_ms >= ss->max_dur_ms)) {
            /* Not before the pause ends; the attempt still counts toward the backoff. */
            p->attempts++;
            wt_metric_add(ss->m_retries, 1);
            p->due = now_ms(ss);
            enqueue(ss, p, true);
        } else {
            retry_later(ss, p, what);
        }
        break;
    }
    wt_metric_set(ss->m_target, (int64_t)wt_http_budget_target(&ss->bg));
}

/* A transfer finished (http_loop): its slot is free, then the outcome is handled. */
static void on_transfer(void *ctx, CURL *eh, CURLcode rc)
{
    struct sse_sink *ss = ctx;
    char *priv = NULL;
    curl_easy_getinfo(eh, CURLINFO_PRIVATE, &priv);
    struct slot *sl = (struct slot *)(void *)priv;
    ss->inflight--;
    wipe_slist(sl->hdrs);
    sl->hdrs = NULL;
    /* The slot is free before the outcome is handled: acking may start new
     * requests (wt_sink_done -> send -> pump), which may reuse it. */
    struct sse_part *p = sl->part;
    sl->part = NULL;
    on_done(ss, sl, p, rc);
}

/* After a round of finished transfers: start what may start. */
static void after_transfers(void *ctx)
{
    pump(ctx);
}

/* ------------------------------------------------------------------------ */
/* Dead letters (thread pool)                                               */
/* ------------------------------------------------------------------------ */

/* The .reason document of a dead-lettered part. */
static cJSON *reason_json(const struct sse_part *p, const char *sink, int64_t when_ms)
{
    cJSON *o = wt_dead_letter_reason(sink, when_ms, p->sb->b->id, p->dl_reason);
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "first_line", p->first);
    cJSON_AddNumberToObject(o, "events", p->count);
    cJSON_AddStringToObject(o, "idempotency_key", p->key);
    if (p->dl_status)
        cJSON_AddNumberToObject(o, "status", (double)p->dl_status);
    if (p->dl_resp) {
        /* The server's answer as text (it may not be valid UTF-8). */
        char *t = wt_malloc(p->dl_resp_len + 1);
        if (t) {
            for (size_t i = 0; i < p->dl_resp_len; i++) {
                unsigned char ch = (unsigned char)p->dl_resp[i];
                t[i] = (ch >= ' ' && ch < 0x7f) || ch == '\n' ? (char)ch : '?';
            }
            t[p->dl_resp_len] = '\0';
            cJSON_AddStringToObject(o, "response", t);
            wt_free(t);
        }
    }
    return o;
}

static void dl_work(uv_work_t *req)
{
    struct sse_part *p = req->data;
    struct sse_sink *ss = p->ss;
    int64_t when = wt_wall_ms();
    char base[256], suffix[64];

    snprintf(suffix, sizeof(suffix), "-l%" PRIu32 "-n%" PRIu32, p->first, p->count);
    wt_dead_letter_name(base, sizeof(base), ss->name, when, p->sb->b->id, suffix);
    cJSON *reason = reason_json(p, ss->name, when);
    p->dl_rc = reason ? wt_dead_letter_write(ss->dl_dir, base, sb_bytes(p->sb) + p->off, p->len,
                                             reason, p->dl_path, sizeof(p->dl_path))
                      : -ENOMEM;
    cJSON_Delete(reason);
}

static void sink_free(struct sse_sink *ss);

static void dl_after(uv_work_t *req, int status)
{
    struct sse_part *p = req->data;
    struct sse_sink *ss = p->ss;
    int rc = status ? status : p->dl_rc;

    if (ss->closing) {
        /* The batch was abandoned at close; drop the bookkeeping only. */
        unlink_part(&ss->dl, p);
        part_free(p);
        if (--ss->pending == 0)
            sink_free(ss);
        return;
    }
    if (rc != 0) {
        wt_log_error(TAG,
                     "%s: cannot write dead letter to %s: %s (retrying in %d s; the batch "
                     "stays unacked)",
                     ss->name, ss->dl_dir, wt_strerror(rc), WT_SSE_DL_RETRY_MS / 1000);
        p->state = P_DL_WAIT;
        p->due = now_ms(ss) + WT_SSE_DL_RETRY_MS;
        arm_wake(ss, now_ms(ss));
        return;
    }
    unlink_part(&ss->dl, p);
    wt_metric_add(ss->m_dead_events, p->count);
    p->sb->dead_events += p->count;
    wt_log_error(TAG,
                 "%s: %" PRIu32 " event(s) of batch %" PRIu64 " (lines %" PRIu32 "..%" PRIu32
                 ") dead-lettered to %s: %s",
                 ss->name, p->count, p->sb->b->id, p->first, p->first + p->count - 1, p->dl_path,
                 p->dl_reason);
    part_done(ss, p);
    pump(ss);
}

static void dl_start(struct sse_sink *ss, struct sse_part *p)
{
    p->state = P_DL_JOB;
    p->work.data = p;
    int rc = uv_queue_work(ss->s->loop, &p->work, dl_work, dl_after);
    if (rc != 0) {
        wt_log_error(TAG, "%s: uv_queue_work: %s", ss->name, uv_strerror(rc));
        abort();
    }
}

/* Refuse p for good: its events go to the dead-letter directory (then part_done). */
static void dead_letter(struct sse_sink *ss, struct sse_part *p, long status, const char *reason,
                        const char *resp, size_t resp_len)
{
    p->dl_status = status;
    snprintf(p->dl_reason, sizeof(p->dl_reason), "%s", reason);
    if (resp && resp_len) {
        p->dl_resp = wt_malloc(resp_len);
        if (p->dl_resp) {
            memcpy(p->dl_resp, resp, resp_len);
            p->dl_resp_len = resp_len;
        }
    }
    p->next = ss->dl;
    ss->dl = p;
    /* The events as NDJSON for the file (decoded here, on the loop). */
    if (!sb_data(ss, p->sb)) {
        p->sb->cut = p->sb->len;
        unlink_part(&ss->dl, p);
        p->sb->dead_events += p->count;
        part_done(ss, p);
        return;
    }
    dl_start(ss, p);
}

/* ------------------------------------------------------------------------ */
/* Sink operations                                                          */
/* ------------------------------------------------------------------------ */

static void sink_free(struct sse_sink *ss)
{
    if (ss->plan_fd >= 0)
        close(ss->plan_fd);
    wt_free(ss->plan);
    wt__sse_cred_wipe(&ss->cred);
    wt_metrics_free(ss->own_metrics);
    wt_free(ss);
}

static int load_credential(struct sse_sink *ss, const struct wt_sse_opts *o, char *err,
                           size_t errlen)
{
    char why[600], where[WT_SSE_URL_MAX + 16];
    int rc = wt__sse_cred_load(ss->cred_path, &ss->cred, why, sizeof(why));
    if (rc == -ENOENT) {
        snprintf(err, errlen,
                 "sink %s: not registered: run 'wtexport register -c FILE --token-file PATH'",
                 ss->name);
        return WT_ECONFIG;
    }
    if (rc != 0) {
        snprintf(err, errlen, "sink %s: %s", ss->name, why);
        return rc;
    }
    if (!wt__sse_cred_matches(&ss->cred, o)) {
        snprintf(err, errlen,
                 "sink %s: registered with %s, but configured for %s %s: run 'wtexport "
                 "deregister -c FILE' and register again",
                 ss->name, wt__sse_cred_where(&ss->cred, where, sizeof(where)),
                 o->region ? "region" : "url", o->region ? o->region : o->url);
        wt__sse_cred_wipe(&ss->cred);
        return WT_ECONFIG;
    }
    struct stat st;
    if (stat(ss->cred_path, &st) == 0 && (st.st_mode & 077))
        wt_log_warn(TAG, "%s: %s is readable by others (mode %03o): chmod 600 it", ss->name,
                    ss->cred_path, (unsigned)(st.st_mode & 0777));
    return 0;
}

static void sse_close(struct wt_sink *s);

static int sse_open(struct wt_sink *s, char *err, size_t errlen)
{
    const struct wt_sink_cfg *sc = s->cfg;
    const struct wt_sse_opts *o = sc->opts;
    struct sse_sink *ss = wt_calloc(1, sizeof(*ss));
    if (!ss) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    ss->s = s;
    ss->plan_fd = -1;
    snprintf(ss->name, sizeof(ss->name), "%s", sc->name);
    wt__sse_base_url(o, ss->base, sizeof(ss->base));
    snprintf(ss->events_url, sizeof(ss->events_url), "%s/v1/events", ss->base);
    ss->have_ca = o->ca_file != NULL;
    snprintf(ss->ca_file, sizeof(ss->ca_file), "%s", o->ca_file ? o->ca_file : "");
    ss->have_proxy = o->proxy != NULL;
    snprintf(ss->proxy, sizeof(ss->proxy), "%s", o->proxy ? o->proxy : "");
    snprintf(ss->cred_path, sizeof(ss->cred_path), "%s", o->cred_file ? o->cred_file : "");
    /* config.c fills in the default (<state_dir>/dead-letter). */
    snprintf(ss->dl_dir, sizeof(ss->dl_dir), "%s/sse-%s",
             o->dead_letter ? o->dead_letter : "dead-letter", sc->name);
    ss->concurrency = (unsigned)o->concurrency;
    if (ss->concurrency < 1 || ss->concurrency > WT_SSE_CONCURRENCY_MAX)
        ss->concurrency = WT_SSE_CONCURRENCY_DEFAULT;
    ss->timeout_ms = o->transaction_timeout_ms;
    ss->base_ms = o->retry.base_ms;
    ss->cap_ms = o->retry.cap_ms;
    ss->max_dur_ms = o->retry.max_duration_ms;
    wt_http_budget_init(&ss->bg, o->budget_fraction * (double)ss->timeout_ms / 1000.0,
                        WT_SSE_TARGET_MIN, WT_SSE_TARGET_MAX, WT_SSE_TARGET_INITIAL);
    if (getrandom(&ss->rng, sizeof(ss->rng), GRND_NONBLOCK) != (ssize_t)sizeof(ss->rng))
        ss->rng = (uint64_t)wt_wall_ms() ^ ((uint64_t)getpid() << 32);

    int rc = load_credential(ss, o, err, errlen);
    if (rc != 0) {
        wt_free(ss);
        return rc;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "sink %s: curl_global_init failed", ss->name);
        sink_free(ss);
        return -EIO;
    }
    s->impl = ss;
    s->wants_zstd = true; /* a part that is the whole batch sends the pipeline's frame */
    /* The spool's frames are decompressed here only for records that must be cut. */
    s->needs_raw = false;
    struct wt_metrics *m = s->metrics;
    if (!m)
        m = ss->own_metrics = wt_metrics_new(); /* series kept, not served */
    if (!m) {
        snprintf(err, errlen, "sink %s: out of memory", ss->name);
        curl_global_cleanup();
        sink_free(ss);
        s->impl = NULL;
        return -ENOMEM;
    }
    metrics_create(ss, m);
    uv_timer_init(s->loop, &ss->wake);
    ss->wake.data = ss;
    ss->http_ok = wt_http_loop_init(&ss->http, s->loop, ss->concurrency, on_transfer,
                                    after_transfers, ss, ss->name) == 0;
    ss->zc = ZSTD_createCCtx();
    bool handles = true;
    for (unsigned i = 0; i < ss->concurrency; i++) {
        ss->slots[i].ss = ss;
        ss->slots[i].eh = curl_easy_init();
        handles &= ss->slots[i].eh != NULL;
    }
    if (!ss->http_ok || !ss->zc || !handles) {
        snprintf(err, errlen, "sink %s: out of memory", ss->name);
        sse_close(s);
        return -ENOMEM;
    }
    wt_log_info(TAG,
                "%s: %s as device %s, %u request(s) in flight, transaction_timeout %" PRId64
                " ms, budget %.1f s%s%s",
                ss->name, ss->events_url, ss->cred.device_id, ss->concurrency, ss->timeout_ms,
                ss->bg.budget_s, ss->have_proxy ? ", proxy " : "", ss->have_proxy ? ss->proxy : "");
    return 0;
}

static void sse_send(struct wt_sink *s, struct wt_batch *b)
{
    struct sse_sink *ss = s->impl;
    struct sse_batch *sb = wt_calloc(1, sizeof(*sb));
    if (!sb) {
        wt_log_error(TAG, "%s: out of memory", ss->name);
        abort();
    }
    sb->b = b;
    sb->first_ms = -1;
    sb->len = b->len;
    if (b->len == 0 && b->z && b->zlen) {
        /* A spool record (run): the NDJSON size is in the frame header. */
        unsigned long long n = ZSTD_getFrameContentSize(b->z, b->zlen);
        if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
            n > WT_SPOOL_RECORD_MAX) {
            wt_log_error(TAG, "%s: batch %" PRIu64 " is not a zstd frame of known size: dropped",
                         ss->name, b->id);
            sb->dead_events = b->nevents;
            wt_metric_add(ss->m_dead_events, b->nevents);
        } else {
            sb->len = (size_t)n;
        }
    }
    if (ss->btail)
        ss->btail->next = sb;
    else
        ss->bhead = sb;
    ss->btail = sb;
    ss->nbatches++;
    if (sb->len == 0) {
        /* Nothing to upload: done at the next loop turn, never inside send(). */
        uv_timer_start(&ss->wake, wake_cb, 0, 0);
        return;
    }
    pump(ss);
}

static bool sse_ready(const struct wt_sink *s)
{
    const struct sse_sink *ss = s->impl;
    unsigned max =
        2 * ss->concurrency < WT_SSE_MAX_BATCHES ? 2 * ss->concurrency : WT_SSE_MAX_BATCHES;
    return ss->nbatches < max;
}

static bool sse_idle(const struct wt_sink *s)
{
    const struct sse_sink *ss = s->impl;
    return ss->nbatches == 0 && ss->inflight == 0 && !ss->dl;
}

/* A dead letter being written on the pool reads its batch's NDJSON. */
static bool sse_pool_busy(const struct wt_sink *s)
{
    const struct sse_sink *ss = s->impl;
    for (const struct sse_part *p = ss ? ss->dl : NULL; p; p = p->next) {
        if (p->state == P_DL_JOB)
            return true;
    }
    return false;
}

static void on_http_closed(void *ctx)
{
    struct sse_sink *ss = ctx;
    if (--ss->pending == 0)
        sink_free(ss);
}

static void on_timer_closed(uv_handle_t *h)
{
    on_http_closed(h->data);
}

static void free_parts(struct sse_part **head, bool keep_jobs)
{
    struct sse_part *p = *head, *keep = NULL;
    while (p) {
        struct sse_part *next = p->next;
        if (keep_jobs && p->state == P_DL_JOB) {
            p->next = keep;
            keep = p;
        } else {
            part_free(p);
        }
        p = next;
    }
    *head = keep;
}

static void sse_close(struct wt_sink *s)
{
    struct sse_sink *ss = s->impl;
    if (!ss)
        return;
    s->impl = NULL;
    ss->closing = true;
    /* Requests still running are abandoned (their batches were never acked). */
    for (unsigned i = 0; i < WT_SSE_CONCURRENCY_MAX; i++) {
        struct slot *sl = &ss->slots[i];
        if (sl->part) {
            wt_http_loop_remove(&ss->http, sl->eh);
            wipe_slist(sl->hdrs);
            sl->hdrs = NULL;
            part_free(sl->part);
            sl->part = NULL;
        }
        if (sl->eh)
            curl_easy_cleanup(sl->eh);
        sl->eh = NULL;
    }
    if (ss->http_ok) {
        ss->pending++;
        wt_http_loop_close(&ss->http, on_http_closed);
    }
    ZSTD_freeCCtx(ss->zc);
    ss->zc = NULL;
    free_parts(&ss->queue, false);
    free_parts(&ss->dl, true);
    for (struct sse_part *p = ss->dl; p; p = p->next)
        ss->pending++; /* a running job: its after-callback frees it */
    while (ss->bhead) {
        struct sse_batch *next = ss->bhead->next;
        wt_free(ss->bhead->raw);
        wt_free(ss->bhead);
        ss->bhead = next;
    }
    curl_global_cleanup();
    uv_timer_stop(&ss->wake);
    ss->pending++;
    uv_close((uv_handle_t *)&ss->wake, on_timer_closed);
}

/*
 * Durable mode (wtexport run): records come from the spool with stable
 * sequence numbers, so cut them per the persisted plan, and never re-cut a
 * part whose outcome is unknown (a timeout): exactly once with 409.
 * `wtexport replay` with state does the same: its batch ids are stable
 * across re-runs of one job (cmd_replay.c), and the plan is the job's.
 */
static void sse_resume(struct wt_sink *s, bool has, uint64_t aux)
{
    struct sse_sink *ss = s->impl;
    (void)has;
    (void)aux;
    char dir[4096], *slash;
    snprintf(dir, sizeof(dir), "%s", ss->cred_path);
    slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (s->state_tag)
        /* Replay with state: a plan per job, beside its state file. */
        snprintf(ss->plan_path, sizeof(ss->plan_path), "%s/replay-%s.sse-%s.plan",
                 slash ? dir : ".", s->state_tag, ss->name);
    else
        snprintf(ss->plan_path, sizeof(ss->plan_path), "%s/sse-%s.plan", slash ? dir : ".",
                 ss->name);
    int rc = plan_load(ss);
    if (rc != 0)
        wt_log_error(TAG, "%s: %s: cannot load the part plan: %s (records are sent whole)",
                     ss->name, ss->plan_path, wt_strerror(rc));
    else
        wt_log_debug(TAG, "%s: part plan %s: %zu records", ss->name, ss->plan_path, ss->nplan);
    ss->use_plan = true;
}

const struct wt_sink_ops wt__sse_ops = {
    .type = "sse",
    .open = sse_open,
    .send = sse_send,
    .ready = sse_ready,
    .idle = sse_idle,
    .pool_busy = sse_pool_busy,
    .close = sse_close,
    .resume = sse_resume,
};
