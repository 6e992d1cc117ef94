/*
 * sse_http.h - the HTTP side of wt-sse-server, shared by its files:
 *   sse_server.c   main, setup, listening, the libmicrohttpd callbacks and
 *                  routing
 *   sse_respond.c  responses, request headers, the request log, counters
 *   sse_events.c   POST /v1/events (and the CTIA import after its fault)
 *   sse_faults.c   the --script faults and the delays (--latency, --rate)
 *   sse_devices.c  device registration and the --state file
 * The pieces without HTTP are declared in sse_server.h.
 *
 * Threads: a handler runs on its connection's own thread. Everything in
 * struct server below `lock` is shared and only touched under it.
 */
#ifndef WT_SSE_HTTP_H
#define WT_SSE_HTTP_H

#include "sse_server.h"

#include <microhttpd.h>

#include <pthread.h>
#include <stdio.h>

#define CRED_MAX   1024u /* longest Bearer credential accepted */
#define STATUS_MAX 600   /* statuses counted one by one in /stats */

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

enum route {
    R_REGISTER,
    R_DEREGISTER,
    R_EVENTS,
    R_CTIA_TOKEN,
    R_CTIA_IMPORT,
    R_CTIA_EXPIRE,
    R_CTIA_OUTAGE,
    R_STATS,
    R_HEALTHZ,
    R_NOT_FOUND,
    R_BAD_METHOD,
};

struct device {
    char id[24];    /* "dev-" + 16 hex */
    char cred[65];  /* 64 hex */
    char name[256]; /* as registered */
    char version[64];
};

/* Outcomes other than an HTTP status, counted in by_status. */
enum outcome { O_RESET, O_CLOSE, O_CUT, O_HANG, O_ABORTED, O_COUNT };

struct stats {
    uint64_t requests;        /* every HTTP request */
    uint64_t events_requests; /* POST /v1/events */
    uint64_t accepted_batches, duplicate_batches, accepted_events, faults;
    uint64_t rejected;                  /* unscripted 400 and 413 answers to POST /v1/events */
    uint64_t in_flight, max_concurrent; /* of POST /v1/events */
    uint64_t registered, deregistered, register_failed;
    uint64_t by_status[STATUS_MAX]; /* of POST /v1/events */
    uint64_t by_outcome[O_COUNT];
    uint64_t keys_overflow; /* keys not remembered because the set was full */
};

struct server {
    struct wt_ssesrv_opts o;
    char *token; /* registration token, NULL: registration refused */
    char *tls_cert, *tls_key;
    struct MHD_Daemon *httpd;
    FILE *logf; /* request log, NULL with --quiet */

    pthread_mutex_t lock; /* everything below */
    pthread_cond_t cv;    /* signalled on stop; naps wait on it */
    bool stopping;
    size_t script_pos; /* next item of o.script */
    struct wt_ssesrv_keyset keys;
    struct device *dev;
    size_t ndev;
    int events_fd, keys_fd; /* -1 when not configured */
    bool auth_failed_once;
    struct stats st;
    struct wt_ctiasrv *ctia; /* NULL: no CTIA endpoints */
};

/* One HTTP request (MHD's *req_cls). */
struct req {
    enum route route;
    const char *allow; /* R_BAD_METHOD: the Allow header */
    char method[16];
    char path[256];
    char key[WT_SSESRV_KEY_MAX + 1]; /* Idempotency-Key for the log, printable */
    uint64_t t0;                     /* CLOCK_MONOTONIC ms at arrival */
    uint64_t arrival;                /* epoch ms at arrival */
    char *body;                      /* received body (+1 byte for a NUL) */
    size_t len, cap, limit;
    size_t received; /* body bytes received, kept or not */
    bool over;       /* received > limit: the body was dropped */
    size_t events;
    size_t raw_bytes; /* the decompressed NDJSON of /v1/events */
    size_t step_no;   /* script step applied (1-based), 0: none */
    bool scripted;    /* the answer is a scripted status */
    bool in_flight, answered, logged;
};

/* An HTTP response to finish with. json: malloc'd or NULL. */
struct answer {
    int status;
    char *json;
    long retry_after; /* seconds, -1: none */
    const char *location;
};

/* ------------------------------------------------------------------------ */
/* Functions shared by the files                                            */
/* ------------------------------------------------------------------------ */

/* sse_server.c */
/** A message on stderr: "wt-sse-server: ..." and a newline. */
__attribute__((format(printf, 1, 2))) void wt_ssesrv_say(const char *fmt, ...);
/** A whole file of at most max bytes, NUL-terminated (wt_read_file; the caller frees).
 *  0 or -errno (-EFBIG: larger than max). */
int wt_ssesrv_read_text(const char *path, size_t max, char **out, size_t *len);
/** Write text to path atomically (wt_write_atomic: mode 0600). 0 or -errno. */
int wt_ssesrv_write_text(const char *path, const char *text);

/* sse_respond.c */
/** The value of request header name, or NULL. */
const char *wt_ssesrv_header(struct MHD_Connection *c, const char *name);
/** The credential of "Authorization: Bearer <credential>", copied; false if none. */
bool wt_ssesrv_bearer(struct MHD_Connection *c, char *out, size_t cap);
/** {"error": code, "reason": reason} plus an optional integer member extra (malloc'd). */
char *wt_ssesrv_error_json(const char *code, const char *reason, const char *extra,
                           long long value);
/** An error answer: status with wt_ssesrv_error_json(code, reason). */
struct answer wt_ssesrv_fail_with(int status, const char *code, const char *reason);
/** The headers of answer a on resp (Content-Type, Retry-After, WWW-Authenticate, Allow ...). */
void wt_ssesrv_add_headers(struct server *s, const struct req *r, struct MHD_Response *resp,
                           const struct answer *a);
/** Queue answer a (takes a.json), count and log it. */
enum MHD_Result wt_ssesrv_respond(struct server *s, struct MHD_Connection *c, struct req *r,
                                  struct answer a);
/** Count and log the end of a request: an HTTP status, or outcome o when status < 0. */
void wt_ssesrv_note(struct server *s, struct req *r, int status, enum outcome o);
/** Count a fault and log it: FAULT what, the request, the script step. */
__attribute__((format(printf, 3, 4))) void
wt_ssesrv_log_fault(struct server *s, const struct req *r, const char *fmt, ...);
/** The counters of GET /stats as JSON (malloc'd), NULL without memory. */
char *wt_ssesrv_stats_json(struct server *s);

/* sse_faults.c */
/** Sleep ms, or less when the server stops. @returns false when stopping. */
bool wt_ssesrv_nap(struct server *s, uint64_t ms);
/** Is the server stopping? */
bool wt_ssesrv_stopping(struct server *s);
/** POST /v1/events or /ctia/bundle/import, body received: the next script step, then the handler.
 */
enum MHD_Result wt_ssesrv_serve_events(struct server *s, struct MHD_Connection *c, struct req *r);

/* sse_events.c */
/** Decode, validate and store the batch of POST /v1/events; the answer to send. */
struct answer wt_ssesrv_process_batch(struct server *s, struct MHD_Connection *c, struct req *r);
/** POST /ctia/bundle/import (ctia_server.c); the answer to send. */
struct answer wt_ssesrv_ctia_import(struct server *s, struct MHD_Connection *c, struct req *r);

/* sse_devices.c */
/** Under lock. The device with this credential, or NULL. */
const struct device *wt_ssesrv_device_by_cred(const struct server *s, const char *cred);
/** Load --state (devices) and STATE.keys (accepted keys), if they exist; open STATE.keys. */
int wt_ssesrv_state_load(struct server *s);
/** POST /v1/devices: register a device; the answer to send. */
struct answer wt_ssesrv_register(struct server *s, struct req *r);
/** DELETE /v1/devices/{id}: deregister it; the answer to send. */
struct answer wt_ssesrv_deregister(struct server *s, struct MHD_Connection *c, struct req *r);

#endif
