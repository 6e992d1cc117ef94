/*
 * config.h - the configuration: one JSON file (cJSON), decoded into plain
 * structs, validated completely, every error reported with its key path.
 *
 * Key reference: docs/config.md (generated from the same tables as the
 * decoder: config_table.c for the core, each sink type's own table). Durations accept ms/s/m/h/d
 * ("1500ms", "2d"), sizes B/KiB/MiB/GiB ("64MiB"); plain JSON numbers are seconds / bytes.
 */
#ifndef WT_CONFIG_H
#define WT_CONFIG_H

#include "wt_parsers.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Bounds (each has a key; static_asserts in config.c check how they relate). */
#define WT_CFG_MAX_INPUTS 64
#define WT_CFG_MAX_SINKS  8
#define WT_CFG_MAX_ERRORS 64
#define WT_CFG_FILE_MAX   (1024 * 1024) /* a config file larger than this is refused */

#define WT_RETENTION_DEFAULT_MS (2LL * 86400 * 1000)
#define WT_RETENTION_MIN_MS     (3600LL * 1000)
#define WT_RETENTION_MAX_MS     (30LL * 86400 * 1000)

#define WT_BATCH_MAX_EVENTS_DEFAULT 5000
#define WT_BATCH_MAX_EVENTS_LIMIT   1000000
#define WT_BATCH_MAX_BYTES_DEFAULT  (1024 * 1024)
#define WT_BATCH_MAX_BYTES_MIN      (64 * 1024)
#define WT_BATCH_MAX_BYTES_LIMIT    (64 * 1024 * 1024)
#define WT_BATCH_LINGER_DEFAULT_MS  1000
#define WT_BATCH_LINGER_MAX_MS      (60 * 1000)

#define WT_QUEUE_MIN_BATCHES       4 /* queue.max_bytes >= this * batch.max_bytes */
#define WT_QUEUE_MAX_BYTES_DEFAULT (64 * 1024 * 1024)
#define WT_QUEUE_MAX_BYTES_MIN     (1024 * 1024)
#define WT_QUEUE_MAX_BYTES_LIMIT   (4LL * 1024 * 1024 * 1024)

#define WT_SPOOL_CFG_MAX_BYTES_DEFAULT (1024ULL * 1024 * 1024)
#define WT_SPOOL_CFG_MAX_BYTES_MIN     (64ULL * 1024)
#define WT_SPOOL_CFG_MAX_BYTES_LIMIT   (1024ULL * 1024 * 1024 * 1024)
#define WT_SPOOL_CFG_SEGMENT_DEFAULT   (16ULL * 1024 * 1024)
#define WT_SPOOL_CFG_SEGMENT_MIN       (8ULL * 1024)
#define WT_SPOOL_CFG_SEGMENT_LIMIT     (1024ULL * 1024 * 1024)

#define WT_SCAN_INTERVAL_DEFAULT_MS       10000
#define WT_SCAN_INTERVAL_MIN_MS           100
#define WT_SCAN_INTERVAL_MAX_MS           (3600 * 1000)
#define WT_CHECKPOINT_INTERVAL_DEFAULT_MS 1000
#define WT_CHECKPOINT_INTERVAL_MIN_MS     10
#define WT_CHECKPOINT_INTERVAL_MAX_MS     60000
#define WT_ROTATE_WAIT_DEFAULT_MS         5000
#define WT_ROTATE_WAIT_MIN_MS             0
#define WT_ROTATE_WAIT_MAX_MS             (3600 * 1000)
/* threads: libuv's pool (compression, spool and file I/O); 0 = CPUs, at least 2. */
#define WT_THREADS_MAX              64
#define WT_THREADS_AUTO_MIN         2
#define WT_DRAIN_TIMEOUT_DEFAULT_MS 10000
#define WT_DRAIN_TIMEOUT_MAX_MS     (5 * 60 * 1000)
#define WT_METRICS_LISTEN_DEFAULT   "127.0.0.1:9464"
/* Ranges of the metrics endpoint's bounds (metrics.*; defaults in metrics.h). */
#define WT_METRICS_CONN_MIN       4
#define WT_METRICS_CONN_MAX       4096
#define WT_METRICS_TIMEOUT_MIN_MS 1000
#define WT_METRICS_TIMEOUT_MAX_MS (60 * 1000)

/* index.* (the observable index) and observe.* (the relay-module API). */
#define WT_INDEX_MAX_SIZE_DEFAULT           (8ULL * 1024 * 1024 * 1024)
#define WT_INDEX_MAX_SIZE_MIN               (16ULL * 1024 * 1024)
#define WT_INDEX_MAX_SIZE_LIMIT             (1024ULL * 1024 * 1024 * 1024)
#define WT_INDEX_TOP_CLIENTS_DEFAULT        10
#define WT_INDEX_TOP_CLIENTS_MAX            100
#define WT_INDEX_COMMIT_INTERVAL_DEFAULT_MS 1000
#define WT_INDEX_COMMIT_INTERVAL_MIN_MS     100
#define WT_INDEX_COMMIT_INTERVAL_MAX_MS     60000
#define WT_OBSERVE_ENTITIES_LIMIT_DEFAULT   100
#define WT_OBSERVE_ENTITIES_LIMIT_MAX       1000
#define WT_OBSERVE_TEMPLATE_MAX             1024 /* bytes of source_uri / refer_url */

#define WT_ZSTD_LEVEL_DEFAULT 3
#define WT_ZSTD_LEVEL_MIN     1
#define WT_ZSTD_LEVEL_MAX     19
#define WT_SINK_NAME_MAX      32 /* bytes of a sink name, [a-z0-9_-] */

struct wt_input_type; /* input_type.h: what an input type is */

/**
 * One entry of `inputs`: the keys every input has, and the options of its
 * type (`file`, the default, or `syslog`) in a struct of the type's own,
 * decoded, defaulted and freed by the config engine. A file input's keys
 * are read through input_file.h (wt_input_file_path).
 */
struct wt_input_cfg {
    const struct wt_input_type *type;
    char *source;          /* the entry's JSON as written (compact) */
    enum wt_format format; /* auto | squid | w3c */
    char *fields;          /* W3C field list for header-less input, or NULL */
    size_t max_line;       /* bytes, default WT_LINE_MAX_DEFAULT */
    void *opts;            /* the type's options (type->keys->size bytes), owned */
};

struct wt_sink_type; /* sink.h: what a sink type is */

/**
 * One entry of `sinks`: the keys every sink has, and the options of its
 * type in a struct of the type's own (its key table says which), decoded,
 * defaulted and freed by the config engine.
 */
struct wt_sink_cfg {
    const struct wt_sink_type *type;
    char *source; /* the entry's JSON as written (compact), to compare on reload */
    char *name;   /* unique; default "<type><index>", e.g. "file0" */
    void *opts;   /* the type's options (type->keys->size bytes), owned */
};

struct wt_config {
    char *state_dir;
    bool allow_symlinked_state; /* state_dir or spool.dir may be a symlink */
    char *host;                 /* host name in events; default gethostname() */
    int64_t retention_ms;
    int64_t scan_interval_ms;       /* inputs glob re-scan */
    int64_t checkpoint_interval_ms; /* file checkpoints and spool cursors are written this often */
    int64_t rotate_wait_ms;         /* how long a rotated-away file is followed at EOF */
    int threads;                    /* worker threads; 0 = auto (read at start only) */
    size_t ninputs;
    struct wt_input_cfg inputs[WT_CFG_MAX_INPUTS];
    struct {
        uint32_t max_events;
        size_t max_bytes;
        int64_t linger_ms;
    } batch;
    struct {
        size_t max_bytes;
    } queue;
    struct {
        bool enabled; /* false: batches go to the sinks from memory (Kafka inputs only) */
        char *dir;    /* NULL: <state_dir>/spool */
        size_t max_bytes;
        size_t segment_bytes;
    } spool;
    struct {
        bool strip_query;
        bool export_user;
    } privacy;
    size_t nsinks;
    struct wt_sink_cfg sinks[WT_CFG_MAX_SINKS];
    struct {
        char *listen;               /* "" disables */
        int max_connections;        /* at once, all clients together */
        int max_per_ip;             /* at once from one client address */
        int64_t request_timeout_ms; /* an idle or incomplete request is dropped after it */
    } metrics;
    struct {
        bool enabled;
        char *path; /* NULL: <state_dir>/index */
        size_t max_size;
        int top_clients;
        int64_t commit_interval_ms;
    } index;
    struct {
        char *listen; /* "" disables */
        char *tls_cert_file, *tls_key_file;
        char *jwt_secret_file, *jwt_public_key_file, *jwks_file;
        char *audience;
        int entities_limit;
        char *source_uri; /* template with {type} and {value}, or NULL */
        char *refer_url;  /* template with {type} and {value}, or NULL */
    } observe;
    struct {
        int level; /* enum wt_log_level */
        bool json;
    } log;
    int64_t drain_timeout_ms; /* shutdown.drain_timeout */
};

/** Error list: each entry "key.path: message", NUL-terminated. */
struct wt_config_errors {
    unsigned n;       /* entries kept */
    unsigned dropped; /* errors beyond WT_CFG_MAX_ERRORS */
    char msg[WT_CFG_MAX_ERRORS][256];
};

/**
 * Decode and validate a JSON document. On success cfg owns its strings (free
 * with wt_config_free). On failure every error found is in errs and cfg is
 * freed (out of memory is the error "out of memory"). cfg needs no
 * initialisation; a previous config in it must be freed first.
 * @returns 0 or WT_ECONFIG.
 */
int wt_config_parse(const char *json, size_t len, struct wt_config *cfg,
                    struct wt_config_errors *errs);
/** Read path (at most WT_CFG_FILE_MAX) and decode it. Unreadable file: one error. */
int wt_config_load(const char *path, struct wt_config *cfg, struct wt_config_errors *errs);
/** Free what cfg owns; the struct is zeroed. */
void wt_config_free(struct wt_config *cfg);

/**
 * Duration string: an unsigned integer and a unit ms|s|m|h|d ("90s", "1500ms",
 * "2d") -> ms. No sign, fraction, space or missing unit. WT_EPARSE otherwise,
 * including overflow. (A JSON number of seconds is handled by the decoder.)
 */
int wt_parse_duration_ms(const char *s, int64_t *out_ms);
/**
 * Size string: an unsigned integer and a unit B|KiB|MiB|GiB ("64MiB", "100B")
 * -> bytes. 1000-based KB/MB/GB, a missing unit and overflow are WT_EPARSE.
 * (A JSON integer of bytes is handled by the decoder.)
 */
int wt_parse_size(const char *s, uint64_t *out);

/** Write the key reference in Markdown (docs/config.md is this output): the
 *  core tables, then each registered input type's (input_type.c) and sink
 *  type's (sink.c). */
void wt_config_write_reference(FILE *out);
/**
 * Write a complete, valid example config: every key at its default, one
 * input, one file sink (deploy/wtexport.example.json is this output).
 */
void wt_config_write_example(FILE *out);

/**
 * Size libuv's thread pool from cfg->threads before the first work request
 * (libuv reads UV_THREADPOOL_SIZE once). threads 0 keeps a UV_THREADPOOL_SIZE
 * of 1-1024 from the environment, else uses the CPUs this process may run on
 * (at least WT_THREADS_AUTO_MIN). @returns the size chosen.
 */
int wt_config_apply_threads(const struct wt_config *cfg);

#endif /* WT_CONFIG_H */
