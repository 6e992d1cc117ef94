/*
 * sse_plan.c - the batches of the SSE sink and their parts (sse_int.h):
 * a batch's NDJSON decompressed only when it must be cut, parts cut to
 * the budget's target (or the persisted part plan), split in two after a
 * timeout or a 413, and a batch reported to the pipeline when every part
 * is acked or dead-lettered. The plan file: <state_dir>/sse-<name>.plan.
 */
#include "log.h"
#include "wt_common.h"
#include "sse_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG "sink.sse"

/* ------------------------------------------------------------------------ */
/* Parts and batches                                                        */
/* ------------------------------------------------------------------------ */

/* The batch's NDJSON if it is at hand (b->data or decompressed), else NULL. */
const char *wt__sse_sb_bytes(const struct sse_batch *sb)
{
    return sb->raw ? sb->raw : sb->b->len ? sb->b->data : NULL;
}

/*
 * The batch's NDJSON, decompressed from its frame on first use: only a
 * record that must be cut (or split, or dead-lettered) is decompressed.
 * @returns NULL when the frame does not decode (logged).
 */
const char *wt__sse_sb_data(struct sse_sink *ss, struct sse_batch *sb)
{
    const char *d = wt__sse_sb_bytes(sb);
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
bool wt__sse_whole_frame(const struct sse_batch *sb, size_t off, size_t len)
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
    p->due = wt__sse_now_ms(ss);
    /* The checksum of what goes out: the batch's own frame when the part is
     * the whole batch (nothing decompressed), else the part's NDJSON. */
    bool whole = wt__sse_whole_frame(sb, off, len);
    const char *bytes = whole ? sb->b->z : wt__sse_sb_bytes(sb) + off;
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

void wt__sse_part_free(struct sse_part *p)
{
    if (p->z_owned)
        wt_free(p->z);
    wt_free(p->dl_resp);
    wt_free(p);
}

/* Queue a part: at the head (splits, immediate retries) or the tail. */
void wt__sse_enqueue(struct sse_sink *ss, struct sse_part *p, bool front)
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

void wt__sse_unlink_part(struct sse_part **head, struct sse_part *p)
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
void wt__sse_reap(struct sse_sink *ss)
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
void wt__sse_part_done(struct sse_sink *ss, struct sse_part *p)
{
    struct sse_batch *sb = p->sb;
    sb->open_parts--;
    wt__sse_part_free(p);
    if (sb->open_parts == 0 && sb->cut >= sb->len)
        wt__sse_reap(ss);
}

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

int wt__sse_plan_load(struct sse_sink *ss)
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

struct sse_part *wt__sse_cut_next(struct sse_sink *ss)
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
            const char *d = wt__sse_sb_data(ss, sb);
            if (!d) {
                sb->dead_events += b->nevents;
                sb->cut = sb->len;
                wt_metric_add(ss->m_dead_events, b->nevents);
                /* Reported at the next loop turn (reap edits this list). */
                uv_timer_start(&ss->wake, wt__sse_wake_cb, 0, 0);
                continue;
            }
            n = wt__sse_cut(d, sb->len, sb->cut, sb->target, &lines);
        }
        struct sse_part *p = part_new(ss, sb, sb->cut, n, sb->cut_lines, lines);
        sb->cut += n;
        sb->cut_lines += lines;
        if (sb->first_ms < 0)
            sb->first_ms = wt__sse_now_ms(ss);
        return p;
    }
    return NULL;
}

/* Replace p (queued to be sent again) by its two halves, at the head of the queue. */
void wt__sse_split(struct sse_sink *ss, struct sse_part *p)
{
    struct sse_batch *sb = p->sb;
    const char *data = wt__sse_sb_data(ss, sb) + p->off; /* decoded when p was sent */
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
    wt__sse_part_free(p);
    wt__sse_enqueue(ss, b, true);
    wt__sse_enqueue(ss, a, true);
}
