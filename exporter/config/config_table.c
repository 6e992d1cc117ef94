/*
 * config_table.c - the key tables of the core configuration (everything but
 * the sinks' own keys, which each sink type brings): declarative, read by
 * the engine (config.c) and the documentation writer (config_doc.c).
 */
#include "config.h"
#include "config_int.h"
#include "config_keys.h"
#include "log.h"
#include "metrics.h"
#include "input_type.h"
#include "sink.h"
#include "wt_common.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

static_assert(WT_METRICS_HTTP_PER_IP_DEFAULT < WT_METRICS_HTTP_CONN_DEFAULT &&
                  WT_METRICS_CONN_MIN <= WT_METRICS_HTTP_CONN_DEFAULT &&
                  WT_METRICS_HTTP_CONN_DEFAULT <= WT_METRICS_CONN_MAX,
              "metrics connection defaults");
static_assert(WT_METRICS_TIMEOUT_MIN_MS <= WT_METRICS_HTTP_TIMEOUT_DEFAULT_S * 1000 &&
                  WT_METRICS_HTTP_TIMEOUT_DEFAULT_S * 1000 <= WT_METRICS_TIMEOUT_MAX_MS,
              "metrics request_timeout default");

#define CFG(m)   offsetof(struct wt_config, m)
#define INPUT(m) offsetof(struct wt_input_cfg, m)
#define SINK(m)  offsetof(struct wt_sink_cfg, m)

static const struct wt_cfg_enum formats[] = {{"auto", WT_FORMAT_AUTO},
                                             {"squid", WT_FORMAT_SQUID},
                                             {"w3c", WT_FORMAT_W3C},
                                             {"event", WT_FORMAT_EVENT},
                                             {NULL, 0}};
static const struct wt_cfg_enum log_levels[] = {{"error", WT_LOG_ERROR},
                                                {"warn", WT_LOG_WARN},
                                                {"info", WT_LOG_INFO},
                                                {"debug", WT_LOG_DEBUG},
                                                {NULL, 0}};
static const struct wt_cfg_enum log_formats[] = {{"text", 0}, {"json", 1}, {NULL, 0}};
/* The sink and input type names, filled from the registries (wt__cfg_types_init). */
static struct wt_cfg_enum sink_types[WT_CFG_MAX_SINK_TYPES + 1];
static struct wt_cfg_enum input_types[WT_CFG_MAX_INPUT_TYPES + 1];

/* The registries as the engine sees them (struct wt_cfg_typed). */
static const void *input_type_at(size_t v)
{
    return wt_input_types[v];
}

static const struct wt_cfg_obj *input_keys_of(const void *t)
{
    return ((const struct wt_input_type *)t)->keys;
}

static void input_free_opts(const void *t, void *opts)
{
    if (((const struct wt_input_type *)t)->free_opts)
        ((const struct wt_input_type *)t)->free_opts(opts);
}

static const void *sink_type_at(size_t v)
{
    return wt_sink_types[v];
}

static const struct wt_cfg_obj *sink_keys_of(const void *t)
{
    return ((const struct wt_sink_type *)t)->keys;
}

static void sink_free_opts(const void *t, void *opts)
{
    if (((const struct wt_sink_type *)t)->free_opts)
        ((const struct wt_sink_type *)t)->free_opts(opts);
}

/* String checks: true when the value is acceptable. */

bool wt_cfg_check_nonempty(const char *v)
{
    return v[0] != '\0';
}

bool wt_cfg_check_abs_path(const char *v)
{
    return v[0] == '/';
}

bool wt__cfg_check_host(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
            return false;
    }
    return true;
}

static bool check_sink_name(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > WT_SINK_NAME_MAX)
        return false;
    return strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* The parser is the judge of a field list (limits, at least one name). */
static bool check_fields(const char *v)
{
    struct wt_parser ps;
    wt_parser_init(&ps, WT_FORMAT_W3C);
    return wt_parser_set_fields(&ps, v, strlen(v)) == 0;
}

/* "host:port", "[v6]:port" (wt_hostport_parse's rule) or "" (disabled). */
static bool check_listen(const char *v)
{
    char host[256];
    uint16_t port;
    return v[0] == '\0' || wt_hostport_parse(v, host, sizeof(host), &port) == 0;
}

/* Keys every input has; then the keys of its type (its wt_input_type.keys). */
static const struct wt_cfg_key input_keys[] = {
    {.name = "type",
     .type = K_ENUM,
     .store = S_NONE, /* decode_typed() sets wt_input_cfg.type */
     .enums = input_types,
     .def = 0, /* the registry's first: "file" */
     .doc = "Input type; the other keys depend on it (see below).",
     .example = "\"syslog\""},
    {.name = "format",
     .type = K_ENUM,
     .store = S_INT,
     .off = INPUT(format),
     .def = WT_FORMAT_AUTO,
     .enums = formats,
     .doc = "Line format: squid (WSA/Squid native access log), w3c (W3C extended, columns named "
            "by a #Fields: line) or auto (squid until a #Fields: line is seen); for a kafka "
            "input also event (wtexport's own events, as a kafka sink writes them).",
     .example = "\"w3c\""},
    {.name = "fields",
     .type = K_STR,
     .store = S_STR,
     .off = INPUT(fields),
     .def_doc = "none",
     .check = check_fields,
     .want = "a W3C field list of 1 to 128 names (e.g. \"timestamp c-ip cs-url\")",
     .doc = "W3C field names, space-separated, for input without a #Fields: header (e.g. logs "
            "received over syslog). Only with format w3c or auto.",
     .example = "\"timestamp x-elapsed-time c-ip cs-url\""},
    {.name = "max_line",
     .type = K_SIZE,
     .store = S_SIZE,
     .off = INPUT(max_line),
     .min = WT_LINE_MAX_MIN,
     .max = WT_LINE_MAX_LIMIT,
     .def = WT_LINE_MAX_DEFAULT,
     .doc = "Longest line accepted, without its newline. Longer lines are skipped whole and "
            "counted, never truncated.",
     .example = "\"256KiB\""},
};

static const struct wt_cfg_typed input_typed = {
    .type_off = INPUT(type),
    .opts_off = INPUT(opts),
    .source_off = INPUT(source),
    .type_at = input_type_at,
    .keys_of = input_keys_of,
    .free_opts = input_free_opts,
    .what = "input",
};

const struct wt_cfg_obj wt__cfg_input_obj = {
    .title = "`inputs[]`",
    .doc = "Each entry of `inputs` is one source of access-log lines: files to tail (the "
           "default) or a syslog listener. The keys of an entry are the common keys plus "
           "those of its type.",
    .keys = input_keys,
    .nkeys = WT_CFG_NKEYS(input_keys),
    .size = sizeof(struct wt_input_cfg),
    .typed = &input_typed,
};

static const struct wt_cfg_key batch_keys[] = {
    {.name = "max_events",
     .type = K_INT,
     .store = S_U32,
     .off = offsetof(struct wt_config, batch.max_events) - CFG(batch),
     .min = 1,
     .max = WT_BATCH_MAX_EVENTS_LIMIT,
     .def = WT_BATCH_MAX_EVENTS_DEFAULT,
     .doc = "Cut a batch at this many events (or at max_bytes, or after linger: whichever comes "
            "first).",
     .example = "10000"},
    {.name = "max_bytes",
     .type = K_SIZE,
     .store = S_SIZE,
     .off = offsetof(struct wt_config, batch.max_bytes) - CFG(batch),
     .min = WT_BATCH_MAX_BYTES_MIN,
     .max = WT_BATCH_MAX_BYTES_LIMIT,
     .def = WT_BATCH_MAX_BYTES_DEFAULT,
     .doc = "Cut a batch at this many bytes of NDJSON, before compression.",
     .example = "\"4MiB\""},
    {.name = "linger",
     .type = K_DUR,
     .store = S_I64,
     .off = offsetof(struct wt_config, batch.linger_ms) - CFG(batch),
     .min = 0,
     .max = WT_BATCH_LINGER_MAX_MS,
     .def = WT_BATCH_LINGER_DEFAULT_MS,
     .doc = "Cut a batch this long after its first event, however small it is.",
     .example = "\"500ms\""},
};

static const struct wt_cfg_obj batch_obj = {
    .title = "`batch`",
    .doc = "How events are grouped: one batch is one zstd frame and one sink transaction.",
    .keys = batch_keys,
    .nkeys = WT_CFG_NKEYS(batch_keys),
};

static const struct wt_cfg_key queue_keys[] = {
    {.name = "max_bytes",
     .type = K_SIZE,
     .store = S_SIZE,
     .off = 0,
     .min = WT_QUEUE_MAX_BYTES_MIN,
     .max = WT_QUEUE_MAX_BYTES_LIMIT,
     .def = WT_QUEUE_MAX_BYTES_DEFAULT,
     .doc = "Bytes of batches waiting for the sinks; when full, tailing pauses (the proxy's log "
            "files are the buffer). At least 4 times batch.max_bytes.",
     .example = "\"256MiB\""},
};

static const struct wt_cfg_obj queue_obj = {
    .title = "`queue`",
    .doc = "Batches not yet acknowledged by every sink.",
    .keys = queue_keys,
    .nkeys = WT_CFG_NKEYS(queue_keys),
};

static const struct wt_cfg_key spool_keys[] = {
    {.name = "enabled",
     .type = K_BOOL,
     .store = S_BOOL,
     .off = offsetof(struct wt_config, spool.enabled) - CFG(spool),
     .def = true,
     .doc = "false: no spool; batches go to the sinks from memory and an input's position is "
            "acked once every sink has acked its events (as `replay` ships). Only when every "
            "input is of type `kafka` (a stateless shipper: the topic keeps what is not acked, "
            "see fleet.md); a file or syslog input needs the spool. A reload that changes it is "
            "refused (restart).",
     .example = "false"},
    {.name = "dir",
     .type = K_STR,
     .store = S_STR,
     .off = offsetof(struct wt_config, spool.dir) - CFG(spool),
     .def_doc = "`\"<state_dir>/spool\"`",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "Directory of the spool's segment files and sink cursors (created 0700).",
     .example = "\"/var/lib/wtexport/spool\""},
    {.name = "max_bytes",
     .type = K_SIZE,
     .store = S_SIZE,
     .off = offsetof(struct wt_config, spool.max_bytes) - CFG(spool),
     .min = WT_SPOOL_CFG_MAX_BYTES_MIN,
     .max = WT_SPOOL_CFG_MAX_BYTES_LIMIT,
     .def = WT_SPOOL_CFG_MAX_BYTES_DEFAULT,
     .doc = "Disk the spool may use. When it is full, tailing pauses (the proxy's log files "
            "are the buffer) until the sinks catch up or old segments expire.",
     .example = "\"20GiB\""},
    {.name = "segment_bytes",
     .type = K_SIZE,
     .store = S_SIZE,
     .off = offsetof(struct wt_config, spool.segment_bytes) - CFG(spool),
     .min = WT_SPOOL_CFG_SEGMENT_MIN,
     .max = WT_SPOOL_CFG_SEGMENT_LIMIT,
     .def = WT_SPOOL_CFG_SEGMENT_DEFAULT,
     .doc = "Size at which a spool segment file is closed; a segment is deleted once every "
            "sink has passed it, or when its newest event is older than the retention window.",
     .example = "\"64MiB\""},
};

static const struct wt_cfg_obj spool_obj = {
    .title = "`spool`",
    .doc = "The durable disk spool between the batcher and the sinks (`run` only; `replay` "
           "ships from memory). A line's checkpoint advances once its batch is in the spool.",
    .keys = spool_keys,
    .nkeys = WT_CFG_NKEYS(spool_keys),
};

static const struct wt_cfg_key privacy_keys[] = {
    {.name = "strip_query",
     .type = K_BOOL,
     .store = S_BOOL,
     .off = offsetof(struct wt_config, privacy.strip_query) - CFG(privacy),
     .def = false,
     .doc = "Drop the ?query part of URLs before they are exported.",
     .example = "true"},
    {.name = "export_user",
     .type = K_BOOL,
     .store = S_BOOL,
     .off = offsetof(struct wt_config, privacy.export_user) - CFG(privacy),
     .def = false,
     .doc = "Include the authenticated user name in events (personal data: off by default).",
     .example = "true"},
};

static const struct wt_cfg_obj privacy_obj = {
    .title = "`privacy`",
    .doc = "What personal data leaves the host.",
    .keys = privacy_keys,
    .nkeys = WT_CFG_NKEYS(privacy_keys),
};

/* Keys every sink has; then the keys of its type (its wt_sink_type.keys). */
static const struct wt_cfg_key sink_keys[] = {
    {.name = "type",
     .type = K_ENUM,
     .store = S_NONE, /* decode_typed() sets wt_sink_cfg.type */
     .enums = sink_types,
     .flags = F_REQUIRED,
     .doc = "Sink type; the other keys depend on it (see below).",
     .example = "\"file\""},
    {.name = "name",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(name),
     .def_doc = "`\"<type><index>\"`, e.g. `\"file0\"`",
     .check = check_sink_name,
     .want = "1 to 32 characters from a-z, 0-9, \"_\" and \"-\"",
     .doc = "Name of the sink in logs and metrics; unique across sinks.",
     .example = "\"archive\""},
};

static const struct wt_cfg_typed sink_typed = {
    .type_off = SINK(type),
    .opts_off = SINK(opts),
    .source_off = SINK(source),
    .type_at = sink_type_at,
    .keys_of = sink_keys_of,
    .free_opts = sink_free_opts,
    .what = "sink",
};

const struct wt_cfg_obj wt__cfg_sink_obj = {
    .title = "`sinks[]`",
    .doc = "Each entry of `sinks` is one destination; every batch goes to every sink. The keys "
           "of an entry are the common keys plus those of its type.",
    .keys = sink_keys,
    .nkeys = WT_CFG_NKEYS(sink_keys),
    .size = sizeof(struct wt_sink_cfg),
    .typed = &sink_typed,
};

static const struct wt_cfg_key metrics_keys[] = {
    {.name = "listen",
     .type = K_STR,
     .store = S_STR,
     .off = offsetof(struct wt_config, metrics.listen) - CFG(metrics),
     .def_str = WT_METRICS_LISTEN_DEFAULT,
     .check = check_listen,
     .want = "\"host:port\" with a port from 0 to 65535, or \"\" to disable (e.g. "
             "\"127.0.0.1:9464\", \"[::1]:9464\")",
     .doc = "Address of the Prometheus /metrics endpoint (HTTP); \"\" disables it. IPv6 "
            "addresses go in brackets.",
     .example = "\"[::1]:9464\""},
    {.name = "max_connections",
     .type = K_INT,
     .store = S_INT,
     .off = offsetof(struct wt_config, metrics.max_connections) - CFG(metrics),
     .min = WT_METRICS_CONN_MIN,
     .max = WT_METRICS_CONN_MAX,
     .def = WT_METRICS_HTTP_CONN_DEFAULT,
     .doc = "Connections to the endpoint at once, all clients together; more are refused.",
     .example = "64"},
    {.name = "max_connections_per_ip",
     .type = K_INT,
     .store = S_INT,
     .off = offsetof(struct wt_config, metrics.max_per_ip) - CFG(metrics),
     .min = 1,
     .max = WT_METRICS_CONN_MAX,
     .def = WT_METRICS_HTTP_PER_IP_DEFAULT,
     .doc = "Connections at once from one client address (less than max_connections), so "
            "that one local process holding connections open cannot keep the health checks "
            "of others out.",
     .example = "4"},
    {.name = "request_timeout",
     .type = K_DUR,
     .store = S_I64,
     .off = offsetof(struct wt_config, metrics.request_timeout_ms) - CFG(metrics),
     .min = WT_METRICS_TIMEOUT_MIN_MS,
     .max = WT_METRICS_TIMEOUT_MAX_MS,
     .def = WT_METRICS_HTTP_TIMEOUT_DEFAULT_S * 1000,
     .doc = "A connection that sends nothing for this long (an idle keep-alive, or a request "
            "that never completes) is closed. Whole seconds.",
     .example = "\"5s\""},
};

static const struct wt_cfg_obj metrics_obj = {
    .title = "`metrics`",
    .doc = "The Prometheus metrics endpoint and /healthz: one event-driven thread, bounded "
           "connections, short timeouts, so slow clients cannot silence the health check.",
    .keys = metrics_keys,
    .nkeys = WT_CFG_NKEYS(metrics_keys),
};

#define IDX(m) (offsetof(struct wt_config, index.m) - CFG(index))
#define OBS(m) (offsetof(struct wt_config, observe.m) - CFG(observe))

/* A source_uri / refer_url template: an http(s) URL, {type} and {value} substituted. */
static bool check_template(const char *v)
{
    return (strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0) &&
           strlen(v) <= WT_OBSERVE_TEMPLATE_MAX;
}

static const struct wt_cfg_key index_keys[] = {
    {.name = "enabled",
     .type = K_BOOL,
     .store = S_BOOL,
     .off = IDX(enabled),
     .def = false,
     .doc = "Keep the observable index (who saw which ip, domain, url, sha256, per hour, per day "
            "once the day is over) over "
            "the retention window, for the observe API and `wtexport lookup`. Read at start only.",
     .example = "true"},
    {.name = "path",
     .type = K_STR,
     .store = S_STR,
     .off = IDX(path),
     .def_doc = "`\"<state_dir>/index\"`",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute directory path",
     .doc = "Directory of the index (an LMDB environment: data.mdb and lock.mdb).",
     .example = "\"/var/lib/wtexport/index\""},
    {.name = "max_size",
     .type = K_SIZE,
     .store = S_SIZE,
     .off = IDX(max_size),
     .min = (int64_t)WT_INDEX_MAX_SIZE_MIN,
     .max = (int64_t)WT_INDEX_MAX_SIZE_LIMIT,
     .def = (int64_t)WT_INDEX_MAX_SIZE_DEFAULT,
     .doc = "Largest size of the index on disk (the LMDB map size). When it is reached, the "
            "oldest hour bucket is dropped early (logged). See docs/observe-api.md for the size "
            "per day.",
     .example = "\"32GiB\""},
    {.name = "top_clients",
     .type = K_INT,
     .store = S_INT,
     .off = IDX(top_clients),
     .min = 1,
     .max = WT_INDEX_TOP_CLIENTS_MAX,
     .def = WT_INDEX_TOP_CLIENTS_DEFAULT,
     .doc = "Client addresses kept per observable and hour, with their request counts (the "
            "sightings' targets): exact while an hour has at most this many clients, the "
            "busiest ones beyond.",
     .example = "20"},
    {.name = "commit_interval",
     .type = K_DUR,
     .store = S_I64,
     .off = IDX(commit_interval_ms),
     .min = WT_INDEX_COMMIT_INTERVAL_MIN_MS,
     .max = WT_INDEX_COMMIT_INTERVAL_MAX_MS,
     .def = WT_INDEX_COMMIT_INTERVAL_DEFAULT_MS,
     .doc = "How often the index commits what was read (one LMDB write transaction, fsynced). "
            "A crash loses at most about this much of the index, which is re-read from the "
            "logs at the next start.",
     .example = "\"5s\""},
};

static const struct wt_cfg_obj index_obj = {
    .title = "`index`",
    .doc = "The observable index: LMDB, one bucket per hour of the current UTC day and one per "
           "earlier day, expired with `retention`.",
    .keys = index_keys,
    .nkeys = WT_CFG_NKEYS(index_keys),
};

static const struct wt_cfg_key observe_keys[] = {
    {.name = "listen",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(listen),
     .def_str = "",
     .check = check_listen,
     .want = "\"host:port\" with a port from 0 to 65535, or \"\" to disable (e.g. "
             "\"127.0.0.1:9465\", \"[::1]:9465\")",
     .doc = "Address of the relay-module API (Cisco XDR / SecureX: /health, /observe/observables, "
            "/refer/observables, /deliberate/observables, /watchdog); \"\" disables it. Needs "
            "index.enabled, an audience and a key.",
     .example = "\"0.0.0.0:9465\""},
    {.name = "tls_cert_file",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(tls_cert_file),
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "PEM certificate (chain) to serve HTTPS; with tls_key_file. Without both, plain HTTP "
            "(put it behind a TLS proxy then).",
     .example = "\"/etc/wtexport/observe.crt\""},
    {.name = "tls_key_file",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(tls_key_file),
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "PEM private key of tls_cert_file.",
     .example = "\"/etc/wtexport/observe.key\""},
    {.name = "jwt_secret_file",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(jwt_secret_file),
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "File holding the shared secret of HS256 tokens (at least 32 bytes; a final newline "
            "is ignored).",
     .example = "\"/etc/wtexport/observe.secret\""},
    {.name = "jwt_public_key_file",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(jwt_public_key_file),
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "PEM RSA public key that RS256 tokens are verified with.",
     .example = "\"/etc/wtexport/observe.pub\""},
    {.name = "jwks_file",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(jwks_file),
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "JWKS document (RSA keys by kid) that RS256 tokens are verified with, e.g. a copy of "
            "https://visibility.amp.cisco.com/.well-known/jwks.",
     .example = "\"/etc/wtexport/jwks.json\""},
    {.name = "audience",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(audience),
     .check = wt_cfg_check_nonempty,
     .want = "a non-empty string",
     .doc = "The aud claim every token must carry: the module URL as registered in XDR "
            "(e.g. \"https://proxy1.example.com:9465\"). Required with listen.",
     .example = "\"https://proxy1.example.com:9465\""},
    {.name = "entities_limit",
     .type = K_INT,
     .store = S_INT,
     .off = OBS(entities_limit),
     .min = 1,
     .max = WT_OBSERVE_ENTITIES_LIMIT_MAX,
     .def = WT_OBSERVE_ENTITIES_LIMIT_DEFAULT,
     .doc = "Sightings answered per observable at most (CTR_ENTITIES_LIMIT; a token's own "
            "CTR_ENTITIES_LIMIT claim lowers it). More buckets are merged into ranges.",
     .example = "50"},
    {.name = "source_uri",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(source_uri),
     .check = check_template,
     .want = "an http(s) URL of at most 1024 bytes",
     .doc = "Link put in every sighting as source_uri; {type} and {value} are replaced "
            "(URL-encoded).",
     .example = "\"https://siem.example.com/search?q={value}\""},
    {.name = "refer_url",
     .type = K_STR,
     .store = S_STR,
     .off = OBS(refer_url),
     .check = check_template,
     .want = "an http(s) URL of at most 1024 bytes",
     .doc = "Link answered by /refer/observables for each observable; {type} and {value} are "
            "replaced (URL-encoded). Without it the answer is [].",
     .example = "\"https://siem.example.com/search?q={value}\""},
};

static const struct wt_cfg_obj observe_obj = {
    .title = "`observe`",
    .doc = "The relay-module API over the index (docs/observe-api.md). Read at start only.",
    .keys = observe_keys,
    .nkeys = WT_CFG_NKEYS(observe_keys),
};

static const struct wt_cfg_key log_keys[] = {
    {.name = "level",
     .type = K_ENUM,
     .store = S_INT,
     .off = offsetof(struct wt_config, log.level) - CFG(log),
     .def = WT_LOG_INFO,
     .enums = log_levels,
     .doc = "Least severe level logged.",
     .example = "\"debug\""},
    {.name = "format",
     .type = K_ENUM,
     .store = S_BOOL,
     .off = offsetof(struct wt_config, log.json) - CFG(log),
     .def = 0,
     .enums = log_formats,
     .doc = "Log lines on stderr as text or as JSON objects, one per line.",
     .example = "\"json\""},
};

static const struct wt_cfg_obj log_obj = {
    .title = "`log`",
    .doc = "The exporter's own log, on stderr.",
    .keys = log_keys,
    .nkeys = WT_CFG_NKEYS(log_keys),
};

static const struct wt_cfg_key shutdown_keys[] = {
    {.name = "drain_timeout",
     .type = K_DUR,
     .store = S_I64,
     .off = CFG(drain_timeout_ms), /* the object is not a struct of its own */
     .min = 0,
     .max = WT_DRAIN_TIMEOUT_MAX_MS,
     .def = WT_DRAIN_TIMEOUT_DEFAULT_MS,
     .doc = "On SIGTERM, how long to keep delivering queued batches before exiting. Nothing "
            "is lost when it runs out: what was not delivered goes out after the next start.",
     .example = "\"30s\""},
};

static const struct wt_cfg_obj shutdown_obj = {
    .title = "`shutdown`",
    .doc = "Stopping.",
    .keys = shutdown_keys,
    .nkeys = WT_CFG_NKEYS(shutdown_keys),
};

static const struct wt_cfg_key top_keys[] = {
    {.name = "state_dir",
     .type = K_STR,
     .store = S_STR,
     .off = CFG(state_dir),
     .flags = F_REQUIRED,
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path (the daemon's working directory is no place for state)",
     .doc = "Directory of the exporter's state (read offsets, spool).",
     .example = "\"/var/lib/wtexport\""},
    {.name = "allow_symlinked_state",
     .type = K_BOOL,
     .store = S_BOOL,
     .off = CFG(allow_symlinked_state),
     .def = false,
     .doc = "Accept a `state_dir`, `spool.dir` or `index.path` that is a symbolic link (its "
            "target is checked instead). Off: `run` refuses to start on one, since whoever can "
            "change the link decides where state is written. `run` also refuses a state, spool "
            "or index directory that a user other than the daemon's owns or can write, and a "
            "directory above them that another user (not root) owns or that group or others "
            "can write without the sticky bit.",
     .example = "true"},
    {.name = "host",
     .type = K_STR,
     .store = S_STR,
     .off = CFG(host),
     .def_doc = "the system host name (gethostname)",
     .check = wt__cfg_check_host,
     .want = "a host name of 1 to 255 printable characters without spaces",
     .doc = "Host name put in every event.",
     .example = "\"proxy1.example.com\""},
    {.name = "retention",
     .type = K_DUR,
     .store = S_I64,
     .off = CFG(retention_ms),
     .min = WT_RETENTION_MIN_MS,
     .max = WT_RETENTION_MAX_MS,
     .def = WT_RETENTION_DEFAULT_MS,
     .doc = "Events older than now minus this window are not exported (they are counted); "
            "queued batches older than it expire.",
     .example = "\"7d\""},
    {.name = "scan_interval",
     .type = K_DUR,
     .store = S_I64,
     .off = CFG(scan_interval_ms),
     .min = WT_SCAN_INTERVAL_MIN_MS,
     .max = WT_SCAN_INTERVAL_MAX_MS,
     .def = WT_SCAN_INTERVAL_DEFAULT_MS,
     .doc = "How often the inputs' globs are matched again to find new files.",
     .example = "\"30s\""},
    {.name = "checkpoint_interval",
     .type = K_DUR,
     .store = S_I64,
     .off = CFG(checkpoint_interval_ms),
     .min = WT_CHECKPOINT_INTERVAL_MIN_MS,
     .max = WT_CHECKPOINT_INTERVAL_MAX_MS,
     .def = WT_CHECKPOINT_INTERVAL_DEFAULT_MS,
     .doc = "How often read positions are written (the inputs' checkpoints and the sinks' "
            "spool cursors, each in the background). After a crash, at most about this much "
            "input is shipped twice.",
     .example = "\"500ms\""},
    {.name = "rotate_wait",
     .type = K_DUR,
     .store = S_I64,
     .off = CFG(rotate_wait_ms),
     .min = WT_ROTATE_WAIT_MIN_MS,
     .max = WT_ROTATE_WAIT_MAX_MS,
     .def = WT_ROTATE_WAIT_DEFAULT_MS,
     .doc = "How long a file that was renamed away or deleted is still followed after it "
            "stops growing (the writer may not have reopened yet); then its partial last "
            "line, if any, is taken as a line and it is closed.",
     .example = "\"10s\""},
    {.name = "threads",
     .type = K_INT,
     .store = S_INT,
     .off = CFG(threads),
     .min = 0,
     .max = WT_THREADS_MAX,
     .def = 0,
     .def_doc = "0: one per CPU the process may run on, at least 2",
     .doc = "Worker threads for compression and blocking file work (fsync, spool, checkpoints). "
            "More threads than CPUs slow the exporter down: they take CPU time from the thread "
            "that reads and parses. Read at start only (a reload keeps the running value). 0 "
            "keeps UV_THREADPOOL_SIZE when the environment sets it to 1-1024.",
     .example = "4"},
    {.name = "inputs",
     .type = K_ARR,
     .off = CFG(inputs),
     .count_off = CFG(ninputs),
     .min = 1,
     .max = WT_CFG_MAX_INPUTS,
     .sub = &wt__cfg_input_obj,
     .flags = F_REQUIRED,
     .doc = "Where access-log lines come from (files, syslog): see `inputs[]`."},
    {.name = "batch",
     .type = K_OBJ,
     .off = CFG(batch),
     .sub = &batch_obj,
     .doc = "How events are grouped: see `batch`."},
    {.name = "queue",
     .type = K_OBJ,
     .off = CFG(queue),
     .sub = &queue_obj,
     .doc = "How much waits for the sinks: see `queue`."},
    {.name = "spool",
     .type = K_OBJ,
     .off = CFG(spool),
     .sub = &spool_obj,
     .doc = "Where batches wait on disk for the sinks: see `spool`."},
    {.name = "privacy",
     .type = K_OBJ,
     .off = CFG(privacy),
     .sub = &privacy_obj,
     .doc = "What personal data is exported: see `privacy`."},
    {.name = "sinks",
     .type = K_ARR,
     .off = CFG(sinks),
     .count_off = CFG(nsinks),
     .min = 1,
     .max = WT_CFG_MAX_SINKS,
     .sub = &wt__cfg_sink_obj,
     .flags = F_REQUIRED,
     .doc = "Where the events go: see `sinks[]`."},
    {.name = "metrics",
     .type = K_OBJ,
     .off = CFG(metrics),
     .sub = &metrics_obj,
     .doc = "The Prometheus endpoint: see `metrics`."},
    {.name = "index",
     .type = K_OBJ,
     .off = CFG(index),
     .sub = &index_obj,
     .doc = "The observable index: see `index`."},
    {.name = "observe",
     .type = K_OBJ,
     .off = CFG(observe),
     .sub = &observe_obj,
     .doc = "The relay-module API: see `observe`."},
    {.name = "log",
     .type = K_OBJ,
     .off = CFG(log),
     .sub = &log_obj,
     .doc = "The exporter's own log: see `log`."},
    {.name = "shutdown",
     .type = K_OBJ,
     .off = 0,
     .sub = &shutdown_obj,
     .doc = "Stopping: see `shutdown`."},
};

const struct wt_cfg_obj wt__cfg_top_obj = {
    .title = "Top level",
    .doc = "The document is one JSON object with these keys.",
    .keys = top_keys,
    .nkeys = WT_CFG_NKEYS(top_keys),
};

void wt__cfg_types_init(void)
{
    size_t n = 0;
    for (const struct wt_input_type *const *t = wt_input_types; *t; t++) {
        assert(n < WT_CFG_MAX_INPUT_TYPES);
        input_types[n].name = (*t)->name;
        input_types[n].value = (int)n;
        n++;
    }
    input_types[n].name = NULL;
    n = 0;
    for (const struct wt_sink_type *const *t = wt_sink_types; *t; t++) {
        assert(n < WT_CFG_MAX_SINK_TYPES);
        sink_types[n].name = (*t)->name;
        sink_types[n].value = (int)n;
        n++;
    }
    sink_types[n].name = NULL;
}
