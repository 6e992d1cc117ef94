/*
 * observe.h - the relay-module API over the observable index: what Cisco
 * XDR (SecureX / Threat Response) calls on a third-party module, answered
 * locally from the index (docs/observe-api.md):
 *
 *   POST /health                 {"data": {"status": "ok"}}
 *   POST /observe/observables    [{"type","value"}...] -> {"data": {"sightings": {count, docs}}}
 *   POST /refer/observables      -> {"data": [references]} (observe.refer_url), else []
 *   POST /deliberate/observables -> {"data": {}}
 *   GET  /watchdog               Health-Check header echoed as {"data": ...}
 *
 * Every POST needs "Authorization: Bearer <JWT>" (observe_auth.h); errors
 * are {"errors": [{"type": "fatal", "code": ..., "message": ...}]}.
 *
 * The decoder and the answer builder are plain functions (no HTTP), shared
 * with `wtexport lookup --json` and the fuzz target.
 */
#ifndef WT_OBSERVE_H
#define WT_OBSERVE_H

#include "config.h"
#include "ctim.h"
#include "index.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest request body, and observables per request. */
#define WT_OBSERVE_BODY_MAX        (1024 * 1024)
#define WT_OBSERVE_OBSERVABLES_MAX 1000
/* Server threads answering at once, connections, idle timeout. */
#define WT_OBSERVE_THREADS    2
#define WT_OBSERVE_CONN_LIMIT 64
#define WT_OBSERVE_TIMEOUT_S  30

/** One observable asked about, normalised as the index keys it. */
struct wt_observe_obs {
    enum wt_obs_type type;
    char *value; /* wt_malloc'd, NUL-terminated */
    size_t len;
};

struct wt_observe_req {
    size_t n;
    struct wt_observe_obs *obs;
};

/**
 * Decode a request body: a JSON array of {"type": string, "value": string}.
 * Types the index does not hold are ignored (as the contract allows), so
 * are values that are not valid for their type; duplicates are merged.
 * Values are normalised as the index keys them (strip_query: the
 * pipeline's privacy.strip_query, wt_index_normalise).
 * @returns 0, or WT_EPARSE with the reason in msg (the body is not such an
 *          array), or -ENOMEM.
 */
int wt_observe_decode(const char *body, size_t len, bool strip_query, struct wt_observe_req *req,
                      char *msg, size_t msglen);
void wt_observe_req_free(struct wt_observe_req *req);

struct wt_observe_answer_opts {
    const char *host;       /* the proxy (sensor) named in titles */
    const char *source_uri; /* template with {type}/{value}, or NULL */
    unsigned limit;         /* sightings per observable (entities_limit) */
    unsigned top;           /* targets per sighting */
    int64_t since_ms, until_ms;
    const char *source_uri_expanded; /* internal (set per observable) */
};

/**
 * The "data" member of an /observe/observables answer: {"sightings":
 * {"count": N, "docs": [...]}}, or {} when nothing was seen. One sighting
 * per observable and hour bucket, newest first; when an observable has more
 * buckets than limit, consecutive buckets are merged into limit ranges.
 * @returns a new cJSON object, or NULL (out of memory / index error).
 */
cJSON *wt_observe_sightings(struct wt_index *idx, const struct wt_observe_req *req,
                            const struct wt_observe_answer_opts *o);

/**
 * The whole /observe/observables answer body, {"data": ...} as above, as
 * JSON text written directly (no cJSON tree: the fast path of the HTTP API
 * and `wtexport lookup --json`); its length in *len.
 * @returns wt_malloc'd text, or NULL (out of memory / index error).
 */
char *wt_observe_answer_text(struct wt_index *idx, const struct wt_observe_req *req,
                             const struct wt_observe_answer_opts *o, size_t *len);

/** The "data" member of a /refer/observables answer (an array). */
cJSON *wt_observe_refer(const struct wt_observe_req *req, const char *refer_url);

/** Replace {type} and {value} (percent-encoded) in tpl. @returns wt_malloc'd or NULL. */
char *wt_observe_expand(const char *tpl, enum wt_obs_type t, const char *value);

struct wt_observe;

/**
 * Serve the API on cfg->observe.listen (its own threads). cfg and idx must
 * outlive the server. @returns NULL with the reason in err.
 */
struct wt_observe *wt_observe_start(const struct wt_config *cfg, struct wt_index *idx,
                                    const char *host, char *err, size_t errlen);
/** The port bound (for listen ports of 0). */
int wt_observe_port(const struct wt_observe *o);
/** Stop serving (joins the threads) and free. NULL is fine. */
void wt_observe_stop(struct wt_observe *o);

#endif /* WT_OBSERVE_H */
