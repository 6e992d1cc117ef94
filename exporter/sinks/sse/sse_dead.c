/*
 * sse_dead.c - dead letters of the SSE sink (sse_int.h): a refused part's
 * events and a .reason JSON written on the thread pool to
 * <dead_letter>/sse-<name>/; a failed write is retried, never dropped.
 */
#include "log.h"
#include "wt_common.h"
#include "dead_letter.h"
#include "sse_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG "sink.sse"

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
    p->dl_rc = reason ? wt_dead_letter_write(ss->dl_dir, base, wt__sse_sb_bytes(p->sb) + p->off,
                                             p->len, reason, p->dl_path, sizeof(p->dl_path))
                      : -ENOMEM;
    cJSON_Delete(reason);
}

static void dl_after(uv_work_t *req, int status)
{
    struct sse_part *p = req->data;
    struct sse_sink *ss = p->ss;
    int rc = status ? status : p->dl_rc;

    if (ss->closing) {
        /* The batch was abandoned at close; drop the bookkeeping only. */
        wt__sse_unlink_part(&ss->dl, p);
        wt__sse_part_free(p);
        if (--ss->pending == 0)
            wt__sse_sink_free(ss);
        return;
    }
    if (rc != 0) {
        wt_log_error(TAG,
                     "%s: cannot write dead letter to %s: %s (retrying in %d s; the batch "
                     "stays unacked)",
                     ss->name, ss->dl_dir, wt_strerror(rc), WT_SSE_DL_RETRY_MS / 1000);
        p->state = P_DL_WAIT;
        p->due = wt__sse_now_ms(ss) + WT_SSE_DL_RETRY_MS;
        wt__sse_arm_wake(ss, wt__sse_now_ms(ss));
        return;
    }
    wt__sse_unlink_part(&ss->dl, p);
    wt_metric_add(ss->m_dead_events, p->count);
    p->sb->dead_events += p->count;
    wt_log_error(TAG,
                 "%s: %" PRIu32 " event(s) of batch %" PRIu64 " (lines %" PRIu32 "..%" PRIu32
                 ") dead-lettered to %s: %s",
                 ss->name, p->count, p->sb->b->id, p->first, p->first + p->count - 1, p->dl_path,
                 p->dl_reason);
    wt__sse_part_done(ss, p);
    wt__sse_pump(ss);
}

void wt__sse_dl_start(struct sse_sink *ss, struct sse_part *p)
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
void wt__sse_dead_letter(struct sse_sink *ss, struct sse_part *p, long status, const char *reason,
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
    if (!wt__sse_sb_data(ss, p->sb)) {
        p->sb->cut = p->sb->len;
        wt__sse_unlink_part(&ss->dl, p);
        p->sb->dead_events += p->count;
        wt__sse_part_done(ss, p);
        return;
    }
    wt__sse_dl_start(ss, p);
}
