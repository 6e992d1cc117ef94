/*
 * ctia_int.h - internals of the CTIA sink shared by its files: its options
 * (ctia_config.c), the aggregation of events into sightings (ctia_agg.c),
 * the flush journal (ctia_state.c), credentials, tokens and import results
 * (ctia_auth.c), the sink (sink_ctia.c, ctia_flush.c, ctia_import.c) and
 * `wtexport status` (ctia_cmd.c); and with tests/exporter/test_sink_ctia.c
 * and tests/fuzz/fuzz_ctia.c.
 *
 * Not a public header. The aggregation, the journal and the decoders are
 * pure (no network, no loop); the sink puts them on the loop. The rule that
 * ties sightings to spool acks is in sink_ctia.c and docs/ctia.md.
 */
#ifndef WT_CTIA_INT_H
#define WT_CTIA_INT_H

#include "config.h"
#include "ctim.h"
#include "dead_letter.h"
#include "http.h"
#include "http_keys.h"
#include "sink.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

#define WT_CTIA_BUCKET_MIN_MS     (60LL * 1000)
#define WT_CTIA_BUCKET_MAX_MS     (86400LL * 1000)
#define WT_CTIA_BUCKET_DEFAULT_MS (3600LL * 1000)
#define WT_CTIA_GRACE_DEFAULT_MS  (60LL * 1000)
#define WT_CTIA_GRACE_MAX_MS      (86400LL * 1000)
#define WT_CTIA_MAX_OPEN_DEFAULT  100000
#define WT_CTIA_MAX_OPEN_MIN      10
#define WT_CTIA_MAX_OPEN_MAX      10000000
/* Bytes of a client id or secret, and of an access token. */
#define WT_CTIA_SECRET_MAX 1024
#define WT_CTIA_TOKEN_MAX  8192
/* Prefix of every external id (and the import's external-key-prefixes). */
#define WT_CTIA_EXTID_PREFIX "wtexport-sighting-"
/* Bytes of an external id: the prefix and 32 hex digits. */
#define WT_CTIA_EXTID_MAX 64
/* A token is renewed this long before it expires (at most a tenth of its life). */
#define WT_CTIA_TOKEN_MARGIN_MS (60LL * 1000)
/* Bytes of an import answer kept (results of 2000 entities fit). */
#define WT_CTIA_RESPONSE_MAX (4u << 20)

static_assert(WT_CTIA_BUCKET_MIN_MS <= WT_CTIA_BUCKET_DEFAULT_MS &&
                  WT_CTIA_BUCKET_DEFAULT_MS <= WT_CTIA_BUCKET_MAX_MS,
              "ctia bucket");
static_assert(sizeof(WT_CTIA_EXTID_PREFIX) - 1 + 32 < WT_CTIA_EXTID_MAX, "external id fits");

enum wt_ctia_targets { WT_CTIA_TARGETS_NONE = 0, WT_CTIA_TARGETS_IP = 1 };

/** The keys of a `type: "ctia"` entry (ctia_config.c). */
struct wt_ctia_opts {
    char *region;             /* "nam" | "eu" | "apjc"; NULL with token_url + import_url */
    char *token_url;          /* explicit OAuth2 token URL */
    char *import_url;         /* explicit bundle import URL (no query) */
    char *client_id_file;     /* file (0600) holding the client id ... */
    char *client_secret_file; /* ... and the secret */
    char *client_id_env;      /* or the names of environment variables holding them */
    char *client_secret_env;
    int64_t bucket_ms;             /* aggregation interval */
    int64_t bucket_grace_ms;       /* late events still join a bucket this long after its end */
    int max_entities;              /* sightings per bundle, 1..WT_CTIM_BUNDLE_MAX */
    char *observable_types;        /* "ip,domain,..."; NULL: all */
    int targets;                   /* enum wt_ctia_targets */
    int max_open_sightings;        /* memory bound: then the oldest buckets are flushed early */
    struct wt_http_sink_opts http; /* ca_file, proxy, concurrency, timeouts, retry */
    char *dead_letter;
    /* Not keys (set by the check). */
    unsigned types_mask; /* bit (1 << enum wt_obs_type) per exported type */
    char *state_file;    /* "<state_dir>/ctia-<name>.json" */
};

extern const struct wt_sink_ops wt__ctia_ops;
extern const struct wt_sink_type wt_sink_ctia_type;
/** `wtexport status` for a ctia sink: fetch a token, say when it expires (ctia_cmd.c). */
bool wt__ctia_status(const struct wt_config *cfg, const struct wt_sink_cfg *sc,
                     const char *cfg_path);

/** Token and import URLs of a region ("nam", "eu", "apjc"); NULL for another. */
const char *wt__ctia_region_token_url(const char *region);
const char *wt__ctia_region_import_url(const char *region);
/** The sink's token URL and import URL (with ?external-key-prefixes=...) into buffers. */
void wt__ctia_urls(const struct wt_ctia_opts *o, char *tok, size_t tcap, char *imp, size_t icap);
/** Parse an observable_types list ("ip, domain"). @returns the mask, 0 when invalid. */
unsigned wt__ctia_types_mask(const char *list);

/* ------------------------------------------------------------------------ */
/* Credentials, tokens, import results (ctia_auth.c)                        */
/* ------------------------------------------------------------------------ */

/** The API client's credentials; wipe after use (never logged, never printed). */
struct wt__ctia_secret {
    char id[WT_CTIA_SECRET_MAX + 1];
    char secret[WT_CTIA_SECRET_MAX + 1];
};

/**
 * Read one credential: the first line of file (which must be a regular file
 * not readable or writable by group or others), or the environment
 * variable env. what names it in messages ("client_secret_file"); messages
 * never carry the value. @returns 0, or negative with the reason in err.
 */
int wt__ctia_secret_read(const char *file, const char *env, const char *what, char *out, size_t cap,
                         char *err, size_t errlen);
/** Both credentials of o. @returns 0, or negative with the reason in err (s wiped). */
int wt__ctia_secrets_load(const struct wt_ctia_opts *o, struct wt__ctia_secret *s, char *err,
                          size_t errlen);
void wt__ctia_secrets_wipe(struct wt__ctia_secret *s);

/**
 * Set up eh for the token request: POST url, body
 * "grant_type=client_credentials", HTTP Basic with the client id and
 * secret, plus the common options (wt_http_curl_common). The caller sets
 * the write callback and timeouts.
 */
void wt__ctia_token_setup(CURL *eh, const char *url, const char *ca_file, const char *proxy,
                          const struct wt__ctia_secret *s, char *errbuf);

/**
 * Decode a token answer {"access_token": "...", "expires_in": N, ...}.
 * @returns 0 with the token in tok and its life in *expires_s (600 when
 * missing), or WT_EPARSE with the reason in err (never the body).
 */
int wt__ctia_token_parse(const char *body, size_t len, char *tok, size_t cap, int64_t *expires_s,
                         char *err, size_t errlen);

/** One entity's result in a bundle import answer. */
enum wt__ctia_res { WT_CTIA_RES_CREATED = 0, WT_CTIA_RES_EXISTS, WT_CTIA_RES_ERROR };
typedef void (*wt__ctia_result_fn)(void *ctx, const char *original_id, enum wt__ctia_res res,
                                   const char *error);

/**
 * Decode a bundle import answer {"results": [{"id", "original_id",
 * "result": "created"|"exists"|"updated"|"error", "type", "external_ids",
 * "error"?}]}: fn is called per result that names an original_id
 * ("updated", from CTIA versions that patch existing entities, counts as
 * exists; error is the entity's error as text, or NULL).
 * @returns 0, or WT_EPARSE with the reason in err.
 */
int wt__ctia_results_parse(const char *body, size_t len, wt__ctia_result_fn fn, void *ctx,
                           char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Aggregation (ctia_agg.c)                                                 */
/* ------------------------------------------------------------------------ */

/** One client endpoint of a sighting. */
struct wt__ctia_target {
    char addr[48];
    enum wt_obs_type type;
    uint64_t count;
};

/** One (type, value, bucket) being counted, then one part imported. */
struct wt__ctia_sight {
    struct wt__ctia_sight *hnext; /* hash chain (open) */
    struct wt__ctia_sight *next;  /* in a flush's list */
    uint64_t hash;
    enum wt_obs_type type;
    int64_t bucket; /* start, epoch ms */
    char *value;
    size_t vlen;
    uint64_t count, blocked, others; /* others: requests of clients beyond the targets kept */
    int64_t first_ms, last_ms;
    struct wt__ctia_target *targets;
    uint32_t ntargets, tcap;
    char amp[96]; /* last AMP verdict / threat name seen, "" none */
    uint64_t amp_count;
    uint64_t min_idx, max_idx; /* held batches (sink's numbering) it has events of */
    uint32_t part;             /* ordinal of this part of the bucket (set at the cut) */
    int result;                /* -1 pending, else enum wt__ctia_res */
    char id[WT_CTIA_EXTID_MAX];
};

/** Open buckets: start and sightings open in it (sorted by start). */
struct wt__ctia_bucket {
    int64_t start;
    size_t n;
};

struct wt__ctia_agg {
    struct wt__ctia_sight **tab;
    size_t cap, open; /* table slots (power of two), open sightings */
    struct wt__ctia_bucket *buckets;
    size_t nbuckets, bcap;
    int64_t bucket_ms;
    unsigned types_mask;
    bool targets;
    int64_t watermark; /* newest event time seen, epoch ms; INT64_MIN before */
    uint64_t events, bad_lines;
    uint64_t created; /* sightings opened so far (each pins the held batch it was opened in) */
};

/** Start empty. @returns 0 or -ENOMEM. */
int wt__ctia_agg_init(struct wt__ctia_agg *a, int64_t bucket_ms, unsigned types_mask, bool targets);
/** Free every open sighting. */
void wt__ctia_agg_close(struct wt__ctia_agg *a);
/** The start of the bucket of ts (floor, also before 1970). */
int64_t wt__ctia_bucket_of(int64_t ts_ms, int64_t bucket_ms);

/**
 * Count one NDJSON event (docs/events.md) of held batch idx: each of its
 * observables of an exported type joins the open sighting of (type, value,
 * bucket of ts), with its client as a target and its result.
 * @returns the observables counted (>= 0), WT_EPARSE (not an event with a
 * "ts"; counted in bad_lines) or -ENOMEM.
 */
int wt__ctia_agg_line(struct wt__ctia_agg *a, const char *line, size_t len, uint64_t idx);

/**
 * Take every open sighting whose bucket starts before `before` out of the
 * table. @returns them as a list (->next), oldest bucket first, or NULL.
 */
struct wt__ctia_sight *wt__ctia_agg_cut(struct wt__ctia_agg *a, int64_t before);

/** Start of the oldest open bucket, INT64_MAX when none is open. */
int64_t wt__ctia_agg_oldest(const struct wt__ctia_agg *a);

/**
 * The cut point that flushes the oldest buckets until at most keep
 * sightings stay open (at least the oldest bucket). INT64_MAX: all.
 */
int64_t wt__ctia_agg_cut_for(const struct wt__ctia_agg *a, size_t keep);

void wt__ctia_sight_free(struct wt__ctia_sight *s);

/** Set s->id: WT_CTIA_EXTID_PREFIX + 32 hex of (host, type, value, bucket, part). */
void wt__ctia_sight_set_id(struct wt__ctia_sight *s, const char *host);

/**
 * The CTIM sighting of s as imported (ctim.h), with its title and
 * description naming host and the results seen, external_ids [s->id] and
 * id "transient:" + s->id, appended to b as JSON text (an allocation failure
 * sticks in b->oom).
 */
void wt__ctia_sight_write(struct wt_tbuf *b, const struct wt__ctia_sight *s, const char *host);

/* ------------------------------------------------------------------------ */
/* The flush journal (ctia_state.c)                                         */
/* ------------------------------------------------------------------------ */

/** The part number a flush gave a bucket. */
struct wt__ctia_part_no {
    int64_t bucket;
    uint32_t part;
};

/**
 * One flush: after spool record `after` was counted, every open sighting
 * of a bucket starting before `before` was cut, bucket i getting part
 * number parts[i]. done: every one of them imported.
 */
struct wt__ctia_flush_rec {
    uint64_t after;
    int64_t before;
    bool done;
    int64_t done_ms; /* wall clock when done (pruning) */
    struct wt__ctia_part_no *parts;
    size_t nparts;
};

/** <state_dir>/ctia-<name>.json: the next part number of each bucket, and the flushes. */
struct wt__ctia_state {
    struct wt__ctia_part_no *next; /* next part number per bucket, sorted by bucket */
    size_t nnext, capn;
    struct wt__ctia_flush_rec *fl; /* oldest first */
    size_t nfl, capf;
};

/* Done flushes are kept this long (cursors are persisted every checkpoint_interval <= 1m). */
#define WT_CTIA_JOURNAL_KEEP_MS (10LL * 60 * 1000)

void wt__ctia_state_init(struct wt__ctia_state *st);
void wt__ctia_state_close(struct wt__ctia_state *st);
/**
 * Decode a journal (the file's bytes). @returns 0, or WT_EPARSE / -ENOMEM
 * with the reason in err (st is then empty).
 */
int wt__ctia_state_parse(struct wt__ctia_state *st, const char *text, size_t len, char *err,
                         size_t errlen);
/** The journal as JSON text (wt_free it), NULL when out of memory. */
char *wt__ctia_state_text(const struct wt__ctia_state *st);
/** The next part number of bucket (0 for a bucket never flushed). */
uint32_t wt__ctia_state_next(const struct wt__ctia_state *st, int64_t bucket);
/** Record that bucket got part number part. @returns 0 or -ENOMEM. */
int wt__ctia_state_used(struct wt__ctia_state *st, int64_t bucket, uint32_t part);
/** Append a flush (takes parts). @returns 0 or -ENOMEM. */
int wt__ctia_state_add(struct wt__ctia_state *st, uint64_t after, int64_t before,
                       struct wt__ctia_part_no *parts, size_t nparts);
/**
 * Forget done flushes done before now - WT_CTIA_JOURNAL_KEEP_MS, and part
 * numbers of buckets that end before oldest (events that old are expired).
 */
void wt__ctia_state_prune(struct wt__ctia_state *st, int64_t now_ms, int64_t oldest);

/* ------------------------------------------------------------------------ */
/* The sink's state (sink_ctia.c, ctia_flush.c, ctia_import.c)              */
/* ------------------------------------------------------------------------ */

struct ctia_sink;

struct held {
    struct wt_batch *b;
    uint64_t refs; /* sightings opened in it not yet imported */
    bool dead;     /* some of its events were dead-lettered */
    bool held;     /* wt_sink_hold done */
};

enum fstate {
    F_PERSIST = 0, /* journal entry being made durable */
    F_IMPORT,      /* sightings being imported */
    F_FINISH,      /* all imported; the done mark being made durable */
};

struct ctia_flush {
    struct ctia_flush *next;
    enum fstate state;
    uint64_t after;
    int64_t before;
    uint64_t need_ver;            /* journal version that must be durable first */
    struct wt__ctia_sight *parts; /* all of them (->next) */
    struct wt__ctia_sight **todo; /* not yet in a bundle: todo[ntodo_at..ntodo) */
    size_t nparts, ntodo, todo_at;
    size_t unresolved; /* parts without a final result */
    bool dead;
};

struct ctia_bundle {
    struct ctia_bundle *next;
    struct ctia_flush *f;
    struct wt__ctia_sight **items;
    size_t n;
    char *body;
    size_t len;
    unsigned attempts;
    bool reauthed;
    int64_t due, first_ms;
};

struct slot {
    struct ctia_sink *cs;
    CURL *eh;
    struct ctia_bundle *bd; /* NULL: free */
    struct curl_slist *hdrs;
    uint64_t t0_ns;
    char errbuf[CURL_ERROR_SIZE];
    struct wt_http_resp resp;
};

/* A dead letter on the thread pool: sightings as NDJSON and a reason. */
struct dl_job {
    struct ctia_sink *cs;
    struct dl_job *next;
    uv_work_t work;
    struct ctia_flush *f;
    uint64_t after; /* f->after (f may go at close while the job runs) */
    struct wt__ctia_sight **items;
    size_t n;
    char *ndjson;
    size_t len;
    cJSON *reason;
    int rc;
    bool running;
    int64_t due;
    char path[WT_DEAD_LETTER_PATH_MAX];
};

enum tstate { TOK_NONE = 0, TOK_FETCHING, TOK_OK };

struct ctia_sink {
    struct wt_sink *s;
    char name[WT_SINK_NAME_MAX + 1];
    char host[256];
    char token_url[WT_HTTP_URL_MAX + 1];
    char import_url[WT_HTTP_URL_MAX + 64];
    char dl_dir[4200];
    char state_dir[4096], state_name[WT_SINK_NAME_MAX + 16];
    struct wt__ctia_secret sec;
    unsigned concurrency;
    int64_t timeout_ms;
    size_t hold_limit; /* held record bytes that force an early flush */

    struct wt__ctia_agg agg;
    struct wt__ctia_state st;
    size_t jnext, jloaded; /* journal entries re-applied so far, and loaded */
    uint64_t ver, durable_ver;
    bool persist_busy, persist_failed;
    int64_t persist_due;
    uv_work_t persist_work;
    char *persist_text;
    int persist_rc;
    uint64_t persist_ver;

    /* Held batches: held[0] has index hbase. */
    struct held *held;
    size_t nheld, hcap, hhead;
    uint64_t hbase;
    size_t held_bytes;
    size_t to_hold; /* held[] entries from here on still need wt_sink_hold */
    uint64_t last_id;
    bool have_id;
    int64_t last_batch_ms;

    struct ctia_flush *flushes, *flushes_tail;
    struct ctia_bundle *queue; /* bundles waiting (due) */
    struct dl_job *dls;

    struct wt_http_loop http;
    bool http_ok;
    struct slot slots[WT_HTTP_CONCURRENCY_MAX];
    unsigned inflight;
    CURL *tok_eh;
    struct wt_http_resp tok_resp;
    char tok_err[CURL_ERROR_SIZE];
    enum tstate tok;
    char token[WT_CTIA_TOKEN_MAX + 1];
    int64_t tok_renew_at, tok_due;
    unsigned tok_attempts;

    uv_timer_t wake, tick, kick;
    int64_t paused_until;
    struct wt_http_budget bg;
    uint64_t rng;
    unsigned fail_streak;
    bool problem_set, in_pump, in_ack, warned_bad;
    bool closing;
    unsigned pending;

    struct wt_metrics *own_metrics;
    struct wt_metric *m_res[3], *m_req[6], *m_open, *m_held, *m_flushes, *m_sightings_count,
        *m_token, *m_dead, *m_events, *m_tx, *m_paused, *m_retries, *m_replayed;
};

enum { RQ_2XX = 0, RQ_3XX, RQ_4XX, RQ_5XX, RQ_ERROR, RQ_TIMEOUT };

/* The options: through the sink, whose cfg a reload points at the new document. */
#define O(cs) ((const struct wt_ctia_opts *)(cs)->s->cfg->opts)

/* Retry period of a failed journal or dead-letter write. */
#define WT_CTIA_WRITE_RETRY_MS 5000

/* sink_ctia.c */

/** The loop's time in ms (uv_now). */
int64_t wt__ctia_now_ms(const struct ctia_sink *cs);
/** p, or abort with a log line when it is NULL (out of memory). */
void *wt__ctia_must(void *p);
/** Ack held batches from the oldest while nothing pins them. */
void wt__ctia_try_ack(struct ctia_sink *cs);
/** A sighting is imported or dead-lettered: it no longer pins its records. */
void wt__ctia_unpin(struct ctia_sink *cs, const struct wt__ctia_sight *x, bool dead);
/** Start what is due: dead-letter retries, journal writes, the token, imports. */
void wt__ctia_pump(struct ctia_sink *cs);
/** Free cs and what it owns (secrets and token wiped first). */
void wt__ctia_sink_free(struct ctia_sink *cs);

/* ctia_flush.c */

/** Start writing the journal if it changed since the last write. */
void wt__ctia_persist(struct ctia_sink *cs);
/** Finish what can finish: journal durable, flushes done, acks. */
void wt__ctia_progress(struct ctia_sink *cs);
/** Re-apply journal entries up to record id (inclusive: entries after id itself). */
void wt__ctia_journal_replay(struct ctia_sink *cs, uint64_t id, bool inclusive);
void wt__ctia_flush_free(struct ctia_flush *f);

/* ctia_import.c */

/** The next bundle of the oldest flush that has sightings left, or NULL. */
struct ctia_bundle *wt__ctia_cut_bundle(struct ctia_sink *cs);
void wt__ctia_bundle_free(struct ctia_bundle *bd);
/** POST bundle bd on free slot sl. */
void wt__ctia_start_import(struct ctia_sink *cs, struct slot *sl, struct ctia_bundle *bd);
/** Ask {token_url} for a new token. */
void wt__ctia_start_token(struct ctia_sink *cs);
/** The end of a transfer and the end of a batch of them (wt_http_loop callbacks). */
void wt__ctia_on_transfer(void *ctx, CURL *eh, CURLcode rc);
void wt__ctia_after_transfers(void *ctx);
/** Run the dead-letter write j on the thread pool (again, after a failure). */
void wt__ctia_dl_start(struct ctia_sink *cs, struct dl_job *j);
void wt__ctia_dl_free(struct dl_job *j);
/** curl_slist_free_all after wiping each string (headers hold the token). */
void wt__ctia_wipe_slist(struct curl_slist *l);

#endif /* WT_CTIA_INT_H */
