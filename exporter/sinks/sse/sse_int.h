/*
 * sse_int.h - internals of the SSE sink shared by its files: its options
 * (sse_config.c), the sink (sink_sse.c), registration (sse_register.c) and
 * its commands (sse_cmd.c); and with tests/exporter/test_sink_sse.c.
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
#include "sink.h"

#include <assert.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

/* Bounds of its keys: the HTTP key block's (exporter/http/http_keys.h;
 * sse_config.c checks they agree), sizing the slots and URL buffers. */
#define WT_SSE_CONCURRENCY_DEFAULT 4
#define WT_SSE_CONCURRENCY_MAX     64
#define WT_SSE_URL_MAX             1024 /* bytes of url and proxy */

/** The keys of a `type: "sse"` entry (sse_config.c). */
struct wt_sse_opts {
    char *region;                   /* "nam" | "eu" | "apjc"; NULL when url is set */
    char *url;                      /* explicit base URL; NULL when region is set */
    char *ca_file;                  /* PEM CA bundle; NULL: the system CAs */
    char *proxy;                    /* outbound HTTP proxy URL; NULL: none */
    int concurrency;                /* requests in flight, 1..WT_SSE_CONCURRENCY_MAX */
    int64_t transaction_timeout_ms; /* hard limit of one request */
    double budget_fraction;         /* share of the timeout a request is sized for */
    struct {
        int64_t base_ms, cap_ms; /* backoff: full jitter in [0, min(cap, base * 2^n)] */
        int64_t max_duration_ms; /* per batch from its first attempt; 0 = unlimited */
    } retry;
    char *dead_letter; /* dead-letter directory; default "<state_dir>/dead-letter" */
    char *cred_file;   /* not a key: "<state_dir>/sse-<name>.json" (set by the check) */
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
    char region[8];               /* "" when registered by url */
    char url[WT_SSE_URL_MAX + 1]; /* "" when registered by region */
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

#endif /* WT_SSE_INT_H */
