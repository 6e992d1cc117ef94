/*
 * sse_int.h - internals of the SSE sink shared by its files: its options
 * (sse_config.c), the sink (sink_sse.c: operations and metrics; sse_plan.c:
 * batches, parts and the part plan; sse_request.c: requests and answers;
 * sse_dead.c: dead letters), registration (sse_register.c) and its
 * commands (sse_cmd.c); and with tests/exporter/test_sink_sse.c.
 *
 * Not a public header: the pure helpers (part cutting, Idempotency-Key,
 * status classes) need no network; the credential file serves the sink and
 * the commands. What any HTTP sink needs (curl on the loop, the budget
 * controller, backoff, Retry-After) is in exporter/http/http.h.
 * Wire contract: docs/sse-protocol.md.
 */
#ifndef WT_SSE_INT_H
#define WT_SSE_INT_H

#include "config.h"
#include "http.h"
#include "http_keys.h"
#include "sink.h"

#include <assert.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <zstd.h>

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

/* The HTTP keys' bounds (WT_HTTP_*) are the block's: exporter/http/http_keys.h. */

/** The keys of a `type: "sse"` entry (sse_config.c). */
struct wt_sse_opts {
    char *region;                  /* "nam" | "eu" | "apjc"; NULL when url is set */
    char *url;                     /* explicit base URL; NULL when region is set */
    struct wt_http_sink_opts http; /* ca_file, proxy, concurrency, timeouts, retry */
    char *dead_letter;             /* dead-letter directory; default "<state_dir>/dead-letter" */
    char *cred_file;               /* not a key: "<state_dir>/sse-<name>.json" (set by the check) */
};

extern const struct wt_sink_ops wt__sse_ops;
extern const struct wt_sink_type wt_sink_sse_type;
/* The commands of the sse type (sse_cmd.c). */
extern const struct wt_command wt__sse_cmd_register, wt__sse_cmd_deregister;
/** `wtexport status`: the registration of one sse sink (sse_cmd.c). */
bool wt__sse_status(const struct wt_config *cfg, const struct wt_sink_cfg *sc,
                    const char *cfg_path);

/* Longest Idempotency-Key (the contract's limit). */
#define WT_SSE_KEY_MAX 255
/* Longest device id, and credential, accepted from a registration. */
#define WT_SSE_DEVICE_ID_MAX  128
#define WT_SSE_CREDENTIAL_MAX 512
/* Longest registration token read from a file or stdin. */
#define WT_SSE_TOKEN_MAX 4096
/* Part sizes (NDJSON bytes): the controller's floor, start and ceiling. A part
 * always holds at least one event, whatever the target. */
#define WT_SSE_TARGET_MIN     (4 * 1024)
#define WT_SSE_TARGET_INITIAL (256 * 1024)
#define WT_SSE_TARGET_MAX     WT_BATCH_MAX_BYTES_LIMIT
/* Bytes of a response body kept (for the dead-letter reason and logs). */
#define WT_SSE_RESPONSE_MAX 4096
static_assert(WT_SSE_TARGET_MIN <= WT_SSE_TARGET_INITIAL &&
                  WT_SSE_TARGET_INITIAL <= WT_SSE_TARGET_MAX,
              "initial part size within its bounds");
/* "<device>-<batch u64>-<first u32>-<count u32>-<crc 8 hex>" fits the key limit. */
static_assert(WT_SSE_DEVICE_ID_MAX + 1 + 20 + 1 + 10 + 1 + 10 + 1 + 8 <= WT_SSE_KEY_MAX,
              "Idempotency-Key fits");

/* ------------------------------------------------------------------------ */
/* Pure helpers                                                             */
/* ------------------------------------------------------------------------ */

/**
 * Cut the next part from data[off, len): whole lines (each ending with
 * '\n'; the last one may lack it) of at most target bytes together, but at
 * least one line.
 * @returns the part's byte length (0 when off >= len), its lines in *nlines.
 */
size_t wt__sse_cut(const char *data, size_t len, size_t off, size_t target, uint32_t *nlines);

/**
 * Split a part of nlines >= 2 lines at p[0, len) in two halves by line
 * count: the first half gets nlines / 2 lines.
 * @returns the first half's byte length (the second is the rest).
 */
size_t wt__sse_halve(const char *p, size_t len, uint32_t nlines);

/**
 * The Idempotency-Key of a part: "<device_id>-<batch id>-<first line
 * index>-<line count>-<crc32c of the part's bytes, 8 hex>". Stable across
 * retries, and across restarts for the same bytes; the checksum keeps two
 * different parts with the same numbers (batch ids start again when the
 * exporter restarts without a spool) from sharing a key.
 * @returns the key's length, or -1 when it does not fit cap.
 */
int wt__sse_idem_key(char *buf, size_t cap, const char *device_id, uint64_t batch_id,
                     uint32_t first, uint32_t count, const char *data, size_t len);

/** What a finished request means for its part. */
enum wt__sse_outcome {
    WT_SSE_OUT_ACK = 0,   /* 2xx: stored */
    WT_SSE_OUT_DUP,       /* 409: stored before (same Idempotency-Key): acked */
    WT_SSE_OUT_REJECT,    /* 400: never retried, dead-lettered */
    WT_SSE_OUT_AUTH,      /* 401: re-read the credential, retry once */
    WT_SSE_OUT_TOO_LARGE, /* 413: split in two (one event: dead-lettered) */
    WT_SSE_OUT_TIMEOUT,   /* transaction_timeout ran out: split in two */
    WT_SSE_OUT_RETRY,     /* 408, 429, 5xx, other statuses, connection errors: backoff */
};

/**
 * Classify a finished request: curl's result code and the HTTP status
 * (0 when none). A timeout before the connection was made (connected
 * false) is a connection error: splitting would not help.
 */
enum wt__sse_outcome wt__sse_classify(CURLcode rc, long http, bool connected);

/** Base URL of a region ("nam", "eu", "apjc"), NULL for another name. */
const char *wt__sse_region_url(const char *region);

/**
 * The base URL of a sink: its region's, or its url without trailing
 * slashes, into buf. @returns buf.
 */
const char *wt__sse_base_url(const struct wt_sse_opts *o, char *buf, size_t cap);

/* ------------------------------------------------------------------------ */
/* The credential file (sse_register.c)                                     */
/* ------------------------------------------------------------------------ */

/**
 * <state_dir>/sse-<sink>.json, mode 0600, written by `wtexport register`:
 * {"region": ... or "url": ..., "device_id", "credential", "registered_at"}.
 * The credential never leaves this file and memory (never logged).
 */
struct wt__sse_cred {
    char region[8];                /* "" when registered by url */
    char url[WT_HTTP_URL_MAX + 1]; /* "" when registered by region */
    char device_id[WT_SSE_DEVICE_ID_MAX + 1];
    char credential[WT_SSE_CREDENTIAL_MAX + 1];
    char registered_at[32]; /* ISO 8601 UTC */
};

/** Is s a valid device id (1..WT_SSE_DEVICE_ID_MAX of [A-Za-z0-9._-])? */
bool wt__sse_valid_device_id(const char *s);
/** Is s a valid credential (1..WT_SSE_CREDENTIAL_MAX printable ASCII, no space)? */
bool wt__sse_valid_credential(const char *s);

/**
 * Read a credential file. @returns 0; -ENOENT (not registered); WT_EPARSE
 * (damaged: why in err); -errno. c is wiped on failure.
 */
int wt__sse_cred_load(const char *path, struct wt__sse_cred *c, char *err, size_t errlen);
/**
 * Write it atomically: temp file 0600, fsync, rename, fsync of the
 * directory (created 0700 if missing). @returns 0 or -errno (why in err).
 */
int wt__sse_cred_save(const char *path, const struct wt__sse_cred *c, char *err, size_t errlen);
/** Does the credential belong to the sink's configured region / url? */
bool wt__sse_cred_matches(const struct wt__sse_cred *c, const struct wt_sse_opts *o);
/** "region nam" or "url https://..." of a credential, for messages. */
const char *wt__sse_cred_where(const struct wt__sse_cred *c, char *buf, size_t cap);
/** Zero the struct (the credential must not linger in memory). */
void wt__sse_cred_wipe(struct wt__sse_cred *c);

/**
 * POST {base}/v1/devices {"token", "name", "version"} -> 201 {device_id,
 * credential}. Fills c (device_id, credential, registered_at; not
 * region/url). @returns 0, or negative with the reason in err.
 */
int wt__sse_register(const char *base, const char *ca_file, const char *proxy, const char *token,
                     const char *name, struct wt__sse_cred *c, char *err, size_t errlen);

/**
 * DELETE {base}/v1/devices/{device_id} with the credential.
 * @returns 0 (removed), -ENOENT (404: the server does not know the
 *          device), -EACCES (401/403), or another negative code; err says why.
 */
int wt__sse_deregister(const char *base, const char *ca_file, const char *proxy,
                       const struct wt__sse_cred *c, char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* The sink: sink_sse.c (operations, metrics), sse_plan.c (batches, parts,  */
/* the part plan), sse_request.c (requests, answers), sse_dead.c (dead     */
/* letters)                                                                 */
/* ------------------------------------------------------------------------ */

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
static_assert(WT_HTTP_CONCURRENCY_MAX <= 1024, "slots are an array");

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
struct sse_slot {
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
    char base[WT_HTTP_URL_MAX + 1];
    char events_url[WT_HTTP_URL_MAX + 32];
    char ca_file[4096];
    char proxy[WT_HTTP_URL_MAX + 1];
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
    struct sse_slot slots[WT_HTTP_CONCURRENCY_MAX];
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

enum { SSE_RQ_2XX = 0, SSE_RQ_3XX, SSE_RQ_4XX, SSE_RQ_5XX, SSE_RQ_ERROR, SSE_RQ_TIMEOUT };

static inline int64_t wt__sse_now_ms(const struct sse_sink *ss)
{
    return (int64_t)uv_now(ss->s->loop);
}

/* sink_sse.c */
void wt__sse_sink_free(struct sse_sink *ss);

/* sse_plan.c */
/** The batch's NDJSON if it is at hand (b->data or decompressed), else NULL. */
const char *wt__sse_sb_bytes(const struct sse_batch *sb);
/** The batch's NDJSON, decompressed on first use; NULL when it does not decode (logged). */
const char *wt__sse_sb_data(struct sse_sink *ss, struct sse_batch *sb);
/** Is [off, off + len) the whole batch, which goes out as its own zstd frame? */
bool wt__sse_whole_frame(const struct sse_batch *sb, size_t off, size_t len);
void wt__sse_part_free(struct sse_part *p);
/** Queue a part: at the head (splits, immediate retries) or the tail. */
void wt__sse_enqueue(struct sse_sink *ss, struct sse_part *p, bool front);
void wt__sse_unlink_part(struct sse_part **head, struct sse_part *p);
/** Report every finished batch (all parts acked or dead-lettered) to the pipeline. */
void wt__sse_reap(struct sse_sink *ss);
/** A part is acked or dead-lettered: drop it, and report its batch when complete. */
void wt__sse_part_done(struct sse_sink *ss, struct sse_part *p);
/** Load <plan_path> (a torn last entry is dropped) and rewrite it. @returns 0 or -errno. */
int wt__sse_plan_load(struct sse_sink *ss);
/** Cut the next part from the oldest batch that has bytes left, or NULL. */
struct sse_part *wt__sse_cut_next(struct sse_sink *ss);
/** Replace p (queued to be sent again) by its two halves, at the head of the queue. */
void wt__sse_split(struct sse_sink *ss, struct sse_part *p);

/* sse_request.c */
void wt__sse_wipe_slist(struct curl_slist *l);
/** Arm the wake timer for the earliest backoff, pause end or dead-letter retry. */
void wt__sse_arm_wake(struct sse_sink *ss, int64_t now);
/** Start what may start now: dead-letter writes due, then requests up to concurrency. */
void wt__sse_pump(struct sse_sink *ss);
void wt__sse_wake_cb(uv_timer_t *t);
/** http_loop callbacks: a transfer finished; a round of transfers finished. */
void wt__sse_on_transfer(void *ctx, CURL *eh, CURLcode rc);
void wt__sse_after_transfers(void *ctx);

/* sse_dead.c */
void wt__sse_dl_start(struct sse_sink *ss, struct sse_part *p);
/** Refuse p for good: its events go to the dead-letter directory (then part_done). */
void wt__sse_dead_letter(struct sse_sink *ss, struct sse_part *p, long status, const char *reason,
                         const char *resp, size_t resp_len);

#endif /* WT_SSE_INT_H */
