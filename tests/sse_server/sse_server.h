/*
 * sse_server.h - internals of wt-sse-server, the local implementation of
 * the SSE event-ingest contract (docs/sse-protocol.md) used by the tests,
 * the demo and the benchmarks.
 *
 * The HTTP side is sse_server.c and the files sse_http.h lists. Three
 * pieces live in their own files so they can be reasoned about (and tested)
 * without HTTP: the Idempotency-Key set (sse_keyset.c), the batch decoder
 * and validator (sse_batch.c) and the command line (sse_cli.c). None takes
 * a lock: the server calls the key set under its state mutex and the batch
 * functions on private buffers.
 */
#ifndef WT_SSE_SERVER_H
#define WT_SSE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Result codes besides 0 and -errno. */
#define WT_SSESRV_EINVAL  (-20001) /* the body is not a valid batch (HTTP 400) */
#define WT_SSESRV_ETOOBIG (-20002) /* the decompressed body exceeds its cap (HTTP 413) */
#define WT_SSESRV_EFULL   (-20003) /* the key set holds its maximum number of keys */

/* ------------------------------------------------------------------------ */
/* Idempotency-Key set                                                       */
/* ------------------------------------------------------------------------ */

/* Longest Idempotency-Key accepted (the request gets 400 above it). */
#define WT_SSESRV_KEY_MAX 255

enum wt_ssesrv_key_state { WT_SSESRV_KEY_ABSENT = 0, WT_SSESRV_KEY_SEEN, WT_SSESRV_KEY_ACCEPTED };

struct wt_ssesrv_key_slot {
    char *key; /* NULL: empty slot */
    uint64_t hash;
    unsigned char state; /* enum wt_ssesrv_key_state */
};

/*
 * An open-addressing hash set of keys, each "seen" (some request carried
 * it) or "accepted" (its batch was stored). Grows by doubling at half load;
 * never holds more than max keys. Keys are never removed.
 */
struct wt_ssesrv_keyset {
    struct wt_ssesrv_key_slot *slots;
    size_t cap; /* power of two, or 0 before the first insert */
    size_t count;
    size_t accepted;
    size_t max;
};

/** Empty set of at most max keys. Never fails (allocation is lazy). */
void wt_ssesrv_keyset_init(struct wt_ssesrv_keyset *ks, size_t max);
/** Free every key. Accepts a zeroed struct. */
void wt_ssesrv_keyset_close(struct wt_ssesrv_keyset *ks);
/** @returns the state of key (WT_SSESRV_KEY_ABSENT when unknown). */
enum wt_ssesrv_key_state wt_ssesrv_keyset_get(const struct wt_ssesrv_keyset *ks, const char *key);
/**
 * Record key as seen or accepted; a key never goes back from accepted to
 * seen. The key is copied.
 * @returns 0, WT_SSESRV_EFULL (a new key while max keys are held) or -ENOMEM.
 */
int wt_ssesrv_keyset_mark(struct wt_ssesrv_keyset *ks, const char *key,
                          enum wt_ssesrv_key_state state);

/* ------------------------------------------------------------------------ */
/* Batch decoding and validation                                            */
/* ------------------------------------------------------------------------ */

/**
 * Decompress body[len], one zstd frame, into a new NUL-terminated buffer
 * (*out, *outlen; the caller frees it) of at most max bytes.
 * @returns 0; WT_SSESRV_EINVAL (not zstd, corrupt, truncated, more than one
 * frame or trailing bytes; why in err); WT_SSESRV_ETOOBIG (more than max bytes
 * of NDJSON: a zip bomb is stopped at max + 1 bytes); -ENOMEM.
 */
int wt_ssesrv_batch_unzstd(const void *body, size_t len, size_t max, char **out, size_t *outlen,
                           char *err, size_t errlen);

/**
 * Check that buf[len] is NDJSON events: one or more lines, each a JSON
 * object with a "ts" string in ISO 8601 UTC (2024-01-31T12:00:00.000Z, the
 * fraction optional) and, if present, an "observables" array. Lines end
 * with '\n'; the last one may lack it; no line may be empty. buf[len] must
 * be readable (a NUL terminator), as cJSON may look one byte past a value.
 * @returns 0 with *events set; WT_SSESRV_EINVAL with the first bad line's
 * number in *bad_line and the reason in err.
 */
int wt_ssesrv_batch_validate(const char *buf, size_t len, size_t *events, size_t *bad_line,
                             char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Command line (sse_cli.c)                                                 */
/* ------------------------------------------------------------------------ */

#define WT_SSESRV_PROG "wt-sse-server"

#define WT_SSESRV_DEFAULT_LISTEN           "127.0.0.1:0"
#define WT_SSESRV_DEFAULT_MAX_BODY         ((size_t)32 << 20)  /* compressed upload */
#define WT_SSESRV_DEFAULT_MAX_EVENTS_BYTES ((size_t)256 << 20) /* decompressed NDJSON */
#define WT_SSESRV_DEFAULT_MAX_KEYS         ((size_t)1000000)   /* Idempotency-Keys remembered */
#define WT_SSESRV_MAX_SCRIPT               10000u              /* --script items */

/* What a script step does to one POST /v1/events (see sse_server.c). */
enum wt_ssesrv_action {
    WT_SSESRV_PASS,   /* a 2xx item: handle normally */
    WT_SSESRV_STATUS, /* answer a status without looking at the batch */
    WT_SSESRV_RESET,  /* abort the connection (RST), no response */
    WT_SSESRV_CLOSE,  /* close the connection (FIN), no response */
    WT_SSESRV_CUT,    /* handle normally, then cut the response mid-body */
    WT_SSESRV_HANG,   /* never answer (arg < 0), or answer after arg seconds */
};

struct wt_ssesrv_step {
    enum wt_ssesrv_action act;
    int status; /* WT_SSESRV_STATUS */
    long arg;   /* WT_SSESRV_STATUS: Retry-After seconds; WT_SSESRV_HANG: seconds; -1: none */
};

/* The options; strings point into argv. */
struct wt_ssesrv_opts {
    const char *listen, *port_file, *token, *token_file, *credential;
    const char *events_out, *state, *log, *tls_cert, *tls_key, *script_arg;
    const char *ctia_client_id, *ctia_secret_file, *ctia_out; /* CTIA endpoints (ctia_server.c) */
    unsigned long ctia_token_ttl;                             /* seconds an access token lives */
    const char *base_path; /* "" or "/prefix" (trailing '/' not counted in base_len) */
    size_t base_len;
    bool retry_after_date, fail_auth_once, quiet;
    bool bench;       /* store without validating each line; events = lines */
    double rate_mbps; /* 0: no processing delay */
    unsigned long latency_ms;
    size_t max_body, max_events_bytes, max_keys;
    struct wt_ssesrv_step *script; /* parsed --script, nscript items (owned) */
    size_t nscript;
};

/**
 * Parse the command line into *o (defaults for what is not given). Messages
 * go to stderr; --help prints the usage to stdout.
 * @returns 0 to run, -1 after --help, 2 on a usage error. Call
 * wt_ssesrv_opts_close in every case.
 */
int wt_ssesrv_opts_parse(struct wt_ssesrv_opts *o, int argc, char **argv);
/** Free the parsed script. Accepts a zeroed struct. */
void wt_ssesrv_opts_close(struct wt_ssesrv_opts *o);

/* ------------------------------------------------------------------------ */
/* CTIA endpoints (ctia_server.c)                                           */
/* ------------------------------------------------------------------------ */

#define WT_CTIASRV_DEFAULT_TTL 600 /* seconds of an access token */

struct wt_ctiasrv;

/**
 * The CTIA side of the server: OAuth2 client credentials (the client id,
 * and the secret read from its file) and bundle import, storing sightings
 * by external id (created sightings appended to out, NDJSON, if not NULL).
 * @returns NULL with a message on stderr.
 */
struct wt_ctiasrv *wt_ctiasrv_new(const char *client_id, const char *secret_file, const char *out,
                                  unsigned long ttl_s);
void wt_ctiasrv_free(struct wt_ctiasrv *c);

/**
 * POST /iroh/oauth2/token: authorization is the Authorization header (HTTP
 * Basic), body the form. @returns the status; *json the answer (malloc'd).
 */
int wt_ctiasrv_token(struct wt_ctiasrv *c, const char *authorization, const char *body, size_t len,
                     char **json);
/**
 * POST /ctia/bundle/import: authorization the Bearer header, body the bundle.
 * @returns the status (200, 400, 401, 413); *json the answer (malloc'd).
 */
int wt_ctiasrv_import(struct wt_ctiasrv *c, const char *authorization, const char *body, size_t len,
                      char **json);
/** Make every access token issued so far expire now (POST /ctia/expire-tokens). */
void wt_ctiasrv_expire(struct wt_ctiasrv *c);
/** Answer every import 503 for the next ms milliseconds (POST /ctia/outage?ms=N). */
void wt_ctiasrv_outage(struct wt_ctiasrv *c, unsigned long ms);
/** Is an outage on? (The import is then answered 503 without looking at it.) */
bool wt_ctiasrv_in_outage(struct wt_ctiasrv *c);
/** Add the CTIA counters to the /stats object. */
void wt_ctiasrv_stats(struct wt_ctiasrv *c, void *cjson_obj);

#endif
