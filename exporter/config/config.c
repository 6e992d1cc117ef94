/*
 * config.c - the configuration: decoder, validator, defaults, key reference
 * and example, all driven by one set of key tables.
 *
 * Each JSON object of the config is a struct cfg_obj: a table of struct
 * cfg_key (name, type, where the value lives, default, range, description,
 * example). The same tables drive decode_obj() (every error with its key
 * path, never stopping at the first), apply_defaults(), free_obj(),
 * wt_config_write_reference() (docs/config.md) and wt_config_write_example()
 * (deploy/wtexport.example.json), so the documentation cannot drift from the
 * code. A sink type is one table: add it to sink_type_keys[].
 *
 * Config is decoded on one thread (start, SIGHUP); nothing here is shared.
 */
#include "config.h"
#include "wt_common.h"
#include "log.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* How the bounds relate (config.h). */
static_assert(WT_RETENTION_MIN_MS <= WT_RETENTION_DEFAULT_MS &&
                  WT_RETENTION_DEFAULT_MS <= WT_RETENTION_MAX_MS,
              "retention default out of range");
static_assert(WT_SCAN_INTERVAL_MIN_MS <= WT_SCAN_INTERVAL_DEFAULT_MS &&
                  WT_SCAN_INTERVAL_DEFAULT_MS <= WT_SCAN_INTERVAL_MAX_MS,
              "scan_interval default out of range");
static_assert(WT_BATCH_MAX_EVENTS_DEFAULT <= WT_BATCH_MAX_EVENTS_LIMIT, "batch.max_events");
static_assert(WT_BATCH_MAX_EVENTS_LIMIT <= UINT32_MAX, "batch.max_events is a uint32_t");
static_assert(WT_BATCH_MAX_BYTES_MIN <= WT_BATCH_MAX_BYTES_DEFAULT &&
                  WT_BATCH_MAX_BYTES_DEFAULT <= WT_BATCH_MAX_BYTES_LIMIT,
              "batch.max_bytes default out of range");
static_assert(WT_BATCH_LINGER_DEFAULT_MS <= WT_BATCH_LINGER_MAX_MS, "batch.linger");
static_assert(WT_QUEUE_MAX_BYTES_MIN <= WT_QUEUE_MAX_BYTES_DEFAULT &&
                  WT_QUEUE_MAX_BYTES_DEFAULT <= WT_QUEUE_MAX_BYTES_LIMIT,
              "queue.max_bytes default out of range");
/* The defaults pass the cross-key rule, and so can any batch size. */
static_assert(WT_QUEUE_MAX_BYTES_DEFAULT >= 2LL * WT_BATCH_MAX_BYTES_DEFAULT, "queue >= 2 batch");
static_assert(WT_QUEUE_MAX_BYTES_LIMIT >= 2LL * WT_BATCH_MAX_BYTES_LIMIT, "queue >= 2 batch");
static_assert(SIZE_MAX >= WT_QUEUE_MAX_BYTES_LIMIT, "queue.max_bytes must fit a size_t");
static_assert(WT_DRAIN_TIMEOUT_DEFAULT_MS <= WT_DRAIN_TIMEOUT_MAX_MS, "drain_timeout");
static_assert(WT_ZSTD_LEVEL_MIN <= WT_ZSTD_LEVEL_DEFAULT &&
                  WT_ZSTD_LEVEL_DEFAULT <= WT_ZSTD_LEVEL_MAX,
              "zstd level");
static_assert(WT_LINE_MAX_MIN <= WT_LINE_MAX_DEFAULT && WT_LINE_MAX_DEFAULT <= WT_LINE_MAX_LIMIT,
              "max_line");
/* Default sink names are "<type><index>": short enough for any index. */
static_assert(WT_CFG_MAX_SINKS <= 100 && WT_SINK_NAME_MAX >= 8, "default sink names");
static_assert(WT_CFG_MAX_ERRORS >= 1, "errors");
static_assert(1 <= WT_SSE_CONCURRENCY_DEFAULT &&
                  WT_SSE_CONCURRENCY_DEFAULT <= WT_SSE_CONCURRENCY_MAX,
              "sse concurrency");
static_assert(WT_SSE_TIMEOUT_MIN_MS <= WT_SSE_TIMEOUT_DEFAULT_MS &&
                  WT_SSE_TIMEOUT_DEFAULT_MS <= WT_SSE_TIMEOUT_MAX_MS,
              "sse transaction_timeout");
static_assert(WT_SSE_BUDGET_PPM_MIN <= WT_SSE_BUDGET_PPM_DEFAULT &&
                  WT_SSE_BUDGET_PPM_DEFAULT <= WT_SSE_BUDGET_PPM_MAX &&
                  WT_SSE_BUDGET_PPM_MAX <= 1000000,
              "sse budget_fraction is a fraction");
static_assert(WT_SSE_RETRY_BASE_MIN_MS <= WT_SSE_RETRY_BASE_DEFAULT_MS &&
                  WT_SSE_RETRY_BASE_DEFAULT_MS <= WT_SSE_RETRY_CAP_DEFAULT_MS &&
                  WT_SSE_RETRY_CAP_DEFAULT_MS <= WT_SSE_RETRY_CAP_MAX_MS,
              "sse retry: the default base is below the default cap");
/* Enum-valued keys are stored through an int. */
static_assert(sizeof(enum wt_format) == sizeof(int), "enum wt_format stored as int");
static_assert(sizeof(enum wt_sink_type) == sizeof(int), "enum wt_sink_type stored as int");

/* ------------------------------------------------------------------------ */
/* Key tables                                                               */
/* ------------------------------------------------------------------------ */

/* K_MAP: an object of free-form names, each a string (a number or boolean is kept as its
 * text), into an array of struct wt_kafka_property at off, count at count_off. */
/* K_FRAC: a JSON number with a fraction, min/max/def in millionths, stored as a double. */
enum key_type { K_STR, K_BOOL, K_INT, K_DUR, K_SIZE, K_ENUM, K_OBJ, K_ARR, K_MAP, K_FRAC };
/* The C type of the value at cfg_key.off. */
enum key_store { S_NONE, S_STR, S_BOOL, S_INT, S_U32, S_I64, S_SIZE, S_DBL };

#define F_REQUIRED 1u
/* Keys per table, for the seen[] bitmap of decode_obj(). */
#define OBJ_MAX_KEYS 16
/* A key path: "sinks[7].compress"; unknown key names are cut to fit. */
#define PATH_MAX_LEN 128
/* Bytes of an unknown key name quoted in its error. */
#define KEY_NAME_SHOWN 48

struct cfg_enum {
    const char *name; /* NULL ends the list */
    int value;
};

struct cfg_obj;

struct cfg_key {
    const char *name;
    enum key_type type;
    enum key_store store;
    size_t off;                       /* of the value; K_OBJ: of its struct; K_ARR: of element 0 */
    size_t count_off;                 /* K_ARR: of the size_t element count */
    int64_t min, max;                 /* K_INT; K_DUR in ms; K_SIZE in bytes; K_ARR entries */
    int64_t def;                      /* default of K_BOOL, K_INT, K_DUR, K_SIZE, K_ENUM */
    const char *def_str;              /* K_STR: default value, NULL for none */
    const char *def_doc;              /* default as documented when it is computed */
    const struct cfg_enum *enums;     /* K_ENUM */
    const struct cfg_obj *sub;        /* K_OBJ, K_ARR element */
    bool (*check)(const char *value); /* K_STR: valid? */
    const char *want;                 /* K_STR: error says "must be <want>" */
    /* K_MAP: is the entry valid? If not, the reason goes to msg. */
    bool (*check_pair)(const char *name, const char *value, char *msg, size_t cap);
    unsigned flags;
    const char *doc;
    const char *example; /* JSON text */
};

struct cfg_obj {
    const char *title; /* section heading of the reference */
    const char *doc;   /* paragraph under it */
    const struct cfg_key *keys;
    size_t nkeys;
    size_t size; /* element size, for arrays */
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))
#define CFG(m)   offsetof(struct wt_config, m)
#define INPUT(m) offsetof(struct wt_input_cfg, m)
#define SINK(m)  offsetof(struct wt_sink_cfg, m)

static const struct cfg_enum formats[] = {
    {"auto", WT_FORMAT_AUTO}, {"squid", WT_FORMAT_SQUID}, {"w3c", WT_FORMAT_W3C}, {NULL, 0}};
static const struct cfg_enum read_froms[] = {{"head", 0}, {"end", 1}, {NULL, 0}};
static const struct cfg_enum compressions[] = {{"zstd", 1}, {"none", 0}, {NULL, 0}};
static const struct cfg_enum log_levels[] = {{"error", WT_LOG_ERROR},
                                             {"warn", WT_LOG_WARN},
                                             {"info", WT_LOG_INFO},
                                             {"debug", WT_LOG_DEBUG},
                                             {NULL, 0}};
static const struct cfg_enum log_formats[] = {{"text", 0}, {"json", 1}, {NULL, 0}};
/* Every sink type name; sink_type_keys[] says which are implemented. */
static const struct cfg_enum sink_types[] = {
    {"file", WT_SINK_FILE}, {"sse", WT_SINK_SSE}, {"kafka", WT_SINK_KAFKA}, {NULL, 0}};
static const struct cfg_enum kafka_key_kinds[] = {{"observable", WT_KAFKA_KEY_OBSERVABLE},
                                                  {"client_ip", WT_KAFKA_KEY_CLIENT_IP},
                                                  {"none", WT_KAFKA_KEY_NONE},
                                                  {NULL, 0}};
static const struct cfg_enum kafka_messages[] = {
    {"event", WT_KAFKA_MESSAGE_EVENT}, {"batch", WT_KAFKA_MESSAGE_BATCH}, {NULL, 0}};

/* String checks: true when the value is acceptable. */

static bool check_nonempty(const char *v)
{
    return v[0] != '\0';
}

static bool check_abs_path(const char *v)
{
    return v[0] == '/';
}

static bool check_sink_path(const char *v)
{
    return strcmp(v, "-") == 0 || v[0] == '/';
}

static bool check_host(const char *v)
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

static const struct cfg_key input_keys[] = {
    {.name = "path",
     .type = K_STR,
     .store = S_STR,
     .off = INPUT(path),
     .flags = F_REQUIRED,
     .check = check_abs_path,
     .want = "an absolute path or glob (starting with \"/\")",
     .doc = "Access log file or glob(7) pattern. The pattern is re-scanned every scan_interval; "
            "rotated files are followed to their end.",
     .example = "\"/var/log/squid/access*.log\""},
    {.name = "format",
     .type = K_ENUM,
     .store = S_INT,
     .off = INPUT(format),
     .def = WT_FORMAT_AUTO,
     .enums = formats,
     .doc = "Line format: squid (WSA/Squid native access log), w3c (W3C extended, columns named "
            "by a #Fields: line) or auto (squid until a #Fields: line is seen).",
     .example = "\"w3c\""},
    {.name = "read_from",
     .type = K_ENUM,
     .store = S_BOOL,
     .off = INPUT(read_from_end),
     .def = 0,
     .enums = read_froms,
     .doc = "Where to start reading a file that has no checkpoint yet: head (the whole file) or "
            "end (only lines written from now on).",
     .example = "\"end\""},
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

static const struct cfg_obj input_obj = {
    .title = "`inputs[]`",
    .doc = "Each entry of `inputs` is one access log (or a glob of them) to tail.",
    .keys = input_keys,
    .nkeys = NKEYS(input_keys),
    .size = sizeof(struct wt_input_cfg),
};

static const struct cfg_key batch_keys[] = {
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

static const struct cfg_obj batch_obj = {
    .title = "`batch`",
    .doc = "How events are grouped: one batch is one zstd frame and one sink transaction.",
    .keys = batch_keys,
    .nkeys = NKEYS(batch_keys),
};

static const struct cfg_key queue_keys[] = {
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

static const struct cfg_obj queue_obj = {
    .title = "`queue`",
    .doc = "Batches not yet acknowledged by every sink.",
    .keys = queue_keys,
    .nkeys = NKEYS(queue_keys),
};

static const struct cfg_key spool_keys[] = {
    {.name = "dir",
     .type = K_STR,
     .store = S_STR,
     .off = offsetof(struct wt_config, spool.dir) - CFG(spool),
     .def_doc = "`\"<state_dir>/spool\"`",
     .check = check_abs_path,
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

static const struct cfg_obj spool_obj = {
    .title = "`spool`",
    .doc = "The durable disk spool between the batcher and the sinks (`run` only; `replay` "
           "ships from memory). A line's checkpoint advances once its batch is in the spool.",
    .keys = spool_keys,
    .nkeys = NKEYS(spool_keys),
};

static const struct cfg_key privacy_keys[] = {
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

static const struct cfg_obj privacy_obj = {
    .title = "`privacy`",
    .doc = "What personal data leaves the host.",
    .keys = privacy_keys,
    .nkeys = NKEYS(privacy_keys),
};

/* Keys every sink has; then the keys of its type (sink_type_keys[]). */
static const struct cfg_key sink_keys[] = {
    {.name = "type",
     .type = K_ENUM,
     .store = S_INT,
     .off = SINK(type),
     .enums = sink_types,
     .flags = F_REQUIRED,
     .doc = "Sink type; the other keys depend on it: file, sse or kafka.",
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

static const struct cfg_obj sink_obj = {
    .title = "`sinks[]`",
    .doc = "Each entry of `sinks` is one destination; every batch goes to every sink. The keys "
           "of an entry are the common keys plus those of its type.",
    .keys = sink_keys,
    .nkeys = NKEYS(sink_keys),
    .size = sizeof(struct wt_sink_cfg),
};

static const struct cfg_key file_sink_keys[] = {
    {.name = "path",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(path),
     .flags = F_REQUIRED,
     .check = check_sink_path,
     .want = "\"-\" (stdout) or an absolute path",
     .doc = "File the batches are appended to; \"-\" writes to stdout.",
     .example = "\"/var/lib/wtexport/events.ndjson.zst\""},
    {.name = "compress",
     .type = K_ENUM,
     .store = S_BOOL,
     .off = SINK(compress),
     .def = 1,
     .enums = compressions,
     .doc = "zstd: each batch is one zstd frame (the file is a valid .zst); none: plain NDJSON.",
     .example = "\"none\""},
    {.name = "level",
     .type = K_INT,
     .store = S_INT,
     .off = SINK(zstd_level),
     .min = WT_ZSTD_LEVEL_MIN,
     .max = WT_ZSTD_LEVEL_MAX,
     .def = WT_ZSTD_LEVEL_DEFAULT,
     .doc = "zstd compression level.",
     .example = "9"},
    {.name = "fsync",
     .type = K_BOOL,
     .store = S_BOOL,
     .off = SINK(fsync),
     .def = true,
     .doc = "fsync the file before a batch counts as delivered (ignored for stdout).",
     .example = "false"},
};

static const struct cfg_obj file_sink_obj = {
    .title = "`type: \"file\"`",
    .doc = "NDJSON events, zstd-compressed by default, appended to a file or written to stdout.",
    .keys = file_sink_keys,
    .nkeys = NKEYS(file_sink_keys),
    .size = sizeof(struct wt_sink_cfg),
};

/* Kafka: librdkafka judges each passed-through property on a scratch configuration. */

static bool check_brokers(const char *v)
{
    if (v[0] == '\0')
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

/* Kafka's own rule for topic names. */
static bool check_topic(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 249 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
        return false;
    return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static bool check_kafka_property(const char *name, const char *value, char *msg, size_t cap)
{
    if (strcmp(name, "bootstrap.servers") == 0 || strcmp(name, "metadata.broker.list") == 0) {
        snprintf(msg, cap, "set by \"brokers\"");
        return false;
    }
    if (strcmp(name, "transactional.id") == 0) {
        snprintf(msg, cap,
                 "transactional producers are not supported (delivery is "
                 "at-least-once, made idempotent per partition)");
        return false;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, name, value, msg, cap);
    rd_kafka_conf_destroy(conf);
    /* Some of its messages end with a newline: one error, one line. */
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    return r == RD_KAFKA_CONF_OK;
}

static const struct cfg_key kafka_sink_keys[] = {
    {.name = "brokers",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(brokers),
     .flags = F_REQUIRED,
     .check = check_brokers,
     .want = "a comma-separated list of host:port without spaces",
     .doc = "Bootstrap brokers (librdkafka bootstrap.servers); the rest of the cluster is "
            "discovered from them.",
     .example = "\"kafka1.example.com:9092,kafka2.example.com:9092\""},
    {.name = "topic",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(topic),
     .flags = F_REQUIRED,
     .check = check_topic,
     .want = "a topic name of 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" and \"-\"",
     .doc = "Topic of every message. Create it beforehand (see docs/kafka.md) unless the "
            "cluster creates topics automatically.",
     .example = "\"wtexport-events\""},
    {.name = "key",
     .type = K_ENUM,
     .store = S_INT,
     .off = SINK(kafka_key),
     .def = WT_KAFKA_KEY_OBSERVABLE,
     .enums = kafka_key_kinds,
     .doc = "Message key, which picks the partition: observable (the value of the event's "
            "first observable, as JSON-escaped in the event), client_ip, or none (no key: "
            "messages are spread over the partitions).",
     .example = "\"client_ip\""},
    {.name = "message",
     .type = K_ENUM,
     .store = S_INT,
     .off = SINK(kafka_message),
     .def = WT_KAFKA_MESSAGE_EVENT,
     .enums = kafka_messages,
     .doc = "event: one message per event (one JSON object); batch: one message per batch "
            "(NDJSON, keyed like its first event), which needs batch.max_bytes at least "
            "2KiB below message.max.bytes.",
     .example = "\"batch\""},
    {.name = "properties",
     .type = K_MAP,
     .off = SINK(properties),
     .count_off = SINK(nproperties),
     .max = WT_KAFKA_MAX_PROPERTIES,
     .check_pair = check_kafka_property,
     .def_doc = "`{\"enable.idempotence\": \"true\", \"acks\": \"all\", "
                "\"compression.type\": \"zstd\", \"message.timeout.ms\": \"0\"}`",
     .want = "librdkafka producer properties",
     .doc = "librdkafka properties passed through as they are (security.protocol, sasl.*, "
            "ssl.*, linger.ms, batch.size, ...); values are strings, numbers or booleans. They "
            "override the defaults; message.timeout.ms 0 means a message is retried until it "
            "is delivered. librdkafka checks each one: its message is the error. "
            "bootstrap.servers comes from brokers; transactional.id is not supported.",
     .example = "{\"security.protocol\": \"SASL_SSL\", \"linger.ms\": 20}"},
    {.name = "dead_letter",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(dead_letter),
     .def_doc = "`\"<state_dir>/dead-letter\"`",
     .check = check_abs_path,
     .want = "an absolute path",
     .doc = "Directory (created 0700) for events the cluster refused for good: per batch, "
            "the refused events (NDJSON) and a .reason file with the librdkafka error.",
     .example = "\"/var/lib/wtexport/dead-letter\""},
};

static const struct cfg_obj kafka_sink_obj = {
    .title = "`type: \"kafka\"`",
    .doc = "Events produced to one Kafka topic with librdkafka: idempotent, acks=all, zstd; a "
           "batch counts as delivered when every message of it is. See docs/kafka.md.",
    .keys = kafka_sink_keys,
    .nkeys = NKEYS(kafka_sink_keys),
    .size = sizeof(struct wt_sink_cfg),
};

/* SSE: the region names, and URLs (plain http only to a loopback host). */

static bool check_region(const char *v)
{
    return strcmp(v, "nam") == 0 || strcmp(v, "eu") == 0 || strcmp(v, "apjc") == 0;
}

bool wt__sse_url_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    if (!h)
        return false;
    h += 3;
    size_t n = strcspn(h, ":/");
    if (h[0] == '[')
        return strncmp(h, "[::1]", 5) == 0 && (h[5] == '\0' || h[5] == ':' || h[5] == '/');
    if (n == 9 && strncmp(h, "localhost", 9) == 0)
        return true;
    return n >= 9 && strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") == n;
}

/* "https://host[:port][/path]", or "http://" to 127.x.x.x, [::1] or localhost. */
static bool check_base_url(const char *v)
{
    const char *h;
    if (strncmp(v, "https://", 8) == 0)
        h = v + 8;
    else if (strncmp(v, "http://", 7) == 0)
        h = v + 7;
    else
        return false;
    if (h[0] == '\0' || h[0] == '/' || h[0] == ':' || strlen(v) > WT_SSE_URL_MAX)
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '?' || *p == '#')
            return false;
    }
    return h == v + 8 || wt__sse_url_loopback(v);
}

/* A proxy: curl's syntax ("http://proxy:3128", "proxy:3128"), printable, no spaces. */
static bool check_proxy(const char *v)
{
    if (v[0] == '\0' || strlen(v) > WT_SSE_URL_MAX)
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

#define SSE_RETRY(m) (offsetof(struct wt_sink_cfg, retry.m) - SINK(retry))

static const struct cfg_key sse_retry_keys[] = {
    {.name = "base",
     .type = K_DUR,
     .store = S_I64,
     .off = SSE_RETRY(base_ms),
     .min = WT_SSE_RETRY_BASE_MIN_MS,
     .max = WT_SSE_RETRY_CAP_MAX_MS,
     .def = WT_SSE_RETRY_BASE_DEFAULT_MS,
     .doc = "First backoff ceiling: the n-th retry of a request waits a random time in "
            "[0, min(cap, base * 2^n)] (full jitter).",
     .example = "\"1s\""},
    {.name = "cap",
     .type = K_DUR,
     .store = S_I64,
     .off = SSE_RETRY(cap_ms),
     .min = WT_SSE_RETRY_BASE_MIN_MS,
     .max = WT_SSE_RETRY_CAP_MAX_MS,
     .def = WT_SSE_RETRY_CAP_DEFAULT_MS,
     .doc = "Largest backoff ceiling; at least base.",
     .example = "\"5m\""},
    {.name = "max_duration",
     .type = K_DUR,
     .store = S_I64,
     .off = SSE_RETRY(max_duration_ms),
     .min = 0,
     .max = WT_SSE_RETRY_MAX_DURATION_MAX_MS,
     .def = 0,
     .doc = "How long a batch is retried, from its first attempt, before its undelivered "
            "events go to the dead-letter directory; 0 retries for ever.",
     .example = "\"1d\""},
};

static const struct cfg_obj sse_retry_obj = {
    .title = "`retry` (`type: \"sse\"`)",
    .doc = "Retries of requests that failed for a reason that may pass: connection errors, "
           "timeouts, 408, 429, 5xx. A Retry-After on a 429 or 503 pauses the whole sink "
           "instead.",
    .keys = sse_retry_keys,
    .nkeys = NKEYS(sse_retry_keys),
};

static const struct cfg_key sse_sink_keys[] = {
    {.name = "region",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(sse_region),
     .def_doc = "none; region or url is required",
     .check = check_region,
     .want = "\"nam\", \"eu\" or \"apjc\"",
     .doc = "SSE region: nam (https://api-sse.cisco.com), eu (https://api.eu.sse.itd.cisco.com) "
            "or apjc (https://api.apj.sse.itd.cisco.com). Not with url.",
     .example = "\"eu\""},
    {.name = "url",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(sse_url),
     .def_doc = "none; region or url is required",
     .check = check_base_url,
     .want = "an https:// URL without query or fragment (http:// only to 127.0.0.1, [::1] "
             "or localhost)",
     .doc = "Base URL of the SSE API instead of a region (a private deployment, or the local "
            "test server); requests go to <url>/v1/... Not with region.",
     .example = "\"https://sse.example.com\""},
    {.name = "ca_file",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(ca_file),
     .def_doc = "none: the system CAs",
     .check = check_abs_path,
     .want = "an absolute path",
     .doc = "PEM file of the CA certificates that sign the server's certificate (a private "
            "CA). TLS verification is always on.",
     .example = "\"/etc/wtexport/sse-ca.pem\""},
    {.name = "proxy",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(proxy),
     .def_doc = "none: direct (the http_proxy/https_proxy environment is ignored)",
     .check = check_proxy,
     .want = "a proxy URL without spaces (e.g. \"http://proxy.example.com:3128\")",
     .doc = "Outbound HTTP proxy for every SSE request (HTTPS goes through it with CONNECT).",
     .example = "\"http://proxy.example.com:3128\""},
    {.name = "concurrency",
     .type = K_INT,
     .store = S_INT,
     .off = SINK(concurrency),
     .min = 1,
     .max = WT_SSE_CONCURRENCY_MAX,
     .def = WT_SSE_CONCURRENCY_DEFAULT,
     .doc = "Requests in flight at most (and connections kept open).",
     .example = "8"},
    {.name = "transaction_timeout",
     .type = K_DUR,
     .store = S_I64,
     .off = SINK(transaction_timeout_ms),
     .min = WT_SSE_TIMEOUT_MIN_MS,
     .max = WT_SSE_TIMEOUT_MAX_MS,
     .def = WT_SSE_TIMEOUT_DEFAULT_MS,
     .doc = "Hard limit of one request; a request that runs out is sent again as two halves.",
     .example = "\"30s\""},
    {.name = "budget_fraction",
     .type = K_FRAC,
     .store = S_DBL,
     .off = SINK(budget_fraction),
     .min = WT_SSE_BUDGET_PPM_MIN,
     .max = WT_SSE_BUDGET_PPM_MAX,
     .def = WT_SSE_BUDGET_PPM_DEFAULT,
     .doc = "Requests are sized from the measured throughput so that one is expected to take "
            "this share of transaction_timeout.",
     .example = "0.1"},
    {.name = "retry",
     .type = K_OBJ,
     .off = SINK(retry),
     .sub = &sse_retry_obj,
     .doc = "Backoff of failed requests: see `retry` (`type: \"sse\"`)."},
    {.name = "dead_letter",
     .type = K_STR,
     .store = S_STR,
     .off = SINK(dead_letter),
     .def_doc = "`\"<state_dir>/dead-letter\"`",
     .check = check_abs_path,
     .want = "an absolute path",
     .doc = "Directory whose sse-<name>/ subdirectory (created 0700) gets the events SSE "
            "refused for good (400, too large, retry.max_duration): NDJSON and a .reason file.",
     .example = "\"/var/lib/wtexport/dead-letter\""},
};

static const struct cfg_obj sse_sink_obj = {
    .title = "`type: \"sse\"`",
    .doc = "Events uploaded to Cisco Security Services Exchange (or any server of the same "
           "contract, docs/sse-protocol.md) as zstd-compressed NDJSON over HTTPS. Register "
           "first: `wtexport register -c FILE --token-file PATH` stores a device id and "
           "credential in `<state_dir>/sse-<name>.json`.",
    .keys = sse_sink_keys,
    .nkeys = NKEYS(sse_sink_keys),
    .size = sizeof(struct wt_sink_cfg),
};

/* The keys of each sink type; NULL: the type name is reserved, not supported yet. */
static const struct cfg_obj *const sink_type_keys[] = {
    [WT_SINK_FILE] = &file_sink_obj,
    [WT_SINK_SSE] = &sse_sink_obj,
    [WT_SINK_KAFKA] = &kafka_sink_obj,
};

static const struct cfg_key metrics_keys[] = {
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
};

static const struct cfg_obj metrics_obj = {
    .title = "`metrics`",
    .doc = "The Prometheus metrics endpoint.",
    .keys = metrics_keys,
    .nkeys = NKEYS(metrics_keys),
};

static const struct cfg_key log_keys[] = {
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

static const struct cfg_obj log_obj = {
    .title = "`log`",
    .doc = "The exporter's own log, on stderr.",
    .keys = log_keys,
    .nkeys = NKEYS(log_keys),
};

static const struct cfg_key shutdown_keys[] = {
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

static const struct cfg_obj shutdown_obj = {
    .title = "`shutdown`",
    .doc = "Stopping.",
    .keys = shutdown_keys,
    .nkeys = NKEYS(shutdown_keys),
};

static const struct cfg_key top_keys[] = {
    {.name = "state_dir",
     .type = K_STR,
     .store = S_STR,
     .off = CFG(state_dir),
     .flags = F_REQUIRED,
     .check = check_nonempty,
     .want = "a non-empty string",
     .doc = "Directory of the exporter's state (read offsets, spool).",
     .example = "\"/var/lib/wtexport\""},
    {.name = "host",
     .type = K_STR,
     .store = S_STR,
     .off = CFG(host),
     .def_doc = "the system host name (gethostname)",
     .check = check_host,
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
     .sub = &input_obj,
     .flags = F_REQUIRED,
     .doc = "The access logs to tail: see `inputs[]`."},
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
     .sub = &sink_obj,
     .flags = F_REQUIRED,
     .doc = "Where the events go: see `sinks[]`."},
    {.name = "metrics",
     .type = K_OBJ,
     .off = CFG(metrics),
     .sub = &metrics_obj,
     .doc = "The Prometheus endpoint: see `metrics`."},
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

static const struct cfg_obj top_obj = {
    .title = "Top level",
    .doc = "The document is one JSON object with these keys.",
    .keys = top_keys,
    .nkeys = NKEYS(top_keys),
};

/* ------------------------------------------------------------------------ */
/* Durations and sizes                                                      */
/* ------------------------------------------------------------------------ */

struct unit {
    const char *name;
    uint64_t mult;
};

/* Largest first: formatting picks the first unit that divides exactly. */
static const struct unit dur_units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000},
                                        {"s", 1000},     {"ms", 1},      {NULL, 0}};
static const struct unit size_units[] = {
    {"GiB", 1024 * 1024 * 1024}, {"MiB", 1024 * 1024}, {"KiB", 1024}, {"B", 1}, {NULL, 0}};

/* "<digits><unit>" with a unit of the list; value * mult <= max. */
static int parse_with_unit(const char *s, const struct unit *units, uint64_t max, uint64_t *out)
{
    size_t nd = strspn(s, "0123456789");
    uint64_t v;

    if (nd == 0 || wt_str_to_u64((struct wt_str){s, nd}, &v) != 0)
        return WT_EPARSE;
    for (const struct unit *u = units; u->name; u++) {
        if (strcmp(s + nd, u->name) == 0) {
            if (v > max / u->mult)
                return WT_EPARSE;
            *out = v * u->mult;
            return 0;
        }
    }
    return WT_EPARSE;
}

int wt_parse_duration_ms(const char *s, int64_t *out_ms)
{
    uint64_t v;
    int rc = parse_with_unit(s, dur_units, INT64_MAX, &v);
    if (rc == 0)
        *out_ms = (int64_t)v;
    return rc;
}

int wt_parse_size(const char *s, uint64_t *out)
{
    return parse_with_unit(s, size_units, UINT64_MAX, out);
}

static void fmt_with_unit(uint64_t v, const struct unit *units, char *buf, size_t cap)
{
    const struct unit *u = units;
    while (u[1].name && (v == 0 || v % u->mult != 0))
        u++;
    snprintf(buf, cap, "%llu%s", (unsigned long long)(v / u->mult), u->name);
}

static void fmt_duration(int64_t ms, char *buf, size_t cap)
{
    if (ms == 0)
        snprintf(buf, cap, "0s"); /* reads better than "0ms" */
    else
        fmt_with_unit((uint64_t)ms, dur_units, buf, cap);
}

static void fmt_size(uint64_t bytes, char *buf, size_t cap)
{
    fmt_with_unit(bytes, size_units, buf, cap);
}

/* A K_FRAC value (millionths) as a JSON number: 250000 -> "0.25". */
static void fmt_frac(int64_t ppm, char *buf, size_t cap)
{
    snprintf(buf, cap, "%g", (double)ppm / 1e6);
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* Decoding state for one document. */
struct ctx {
    struct wt_config_errors *errs;
    bool nomem;
    /* Addresses of values that had an error, for the cross-key checks. */
    const void *failed[32];
    size_t nfailed;
    bool failed_overflow;
};

__attribute__((format(printf, 3, 4))) static void err_add(struct wt_config_errors *errs,
                                                          const char *path, const char *fmt, ...)
{
    if (errs->n >= WT_CFG_MAX_ERRORS) {
        errs->dropped++;
        return;
    }
    char *m = errs->msg[errs->n++];
    size_t cap = sizeof(errs->msg[0]);
    int n = path && path[0] ? snprintf(m, cap, "%s: ", path) : 0;
    if (n < 0 || (size_t)n >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
}

static void mark_failed(struct ctx *c, const void *value)
{
    if (c->nfailed < NKEYS(c->failed))
        c->failed[c->nfailed++] = value;
    else
        c->failed_overflow = true;
}

static bool has_failed(const struct ctx *c, const void *value)
{
    if (c->failed_overflow)
        return true;
    for (size_t i = 0; i < c->nfailed; i++) {
        if (c->failed[i] == value)
            return true;
    }
    return false;
}

/* What a valid value of k is, after "must be ". */
static void want_text(const struct cfg_key *k, char *buf, size_t cap)
{
    char lo[32], hi[32], def[32];

    switch (k->type) {
    case K_STR:
        snprintf(buf, cap, "%s", k->want);
        break;
    case K_BOOL:
        snprintf(buf, cap, "true or false");
        break;
    case K_INT:
        snprintf(buf, cap, "an integer from %lld to %lld", (long long)k->min, (long long)k->max);
        break;
    case K_DUR:
        fmt_duration(k->min, lo, sizeof(lo));
        fmt_duration(k->max, hi, sizeof(hi));
        fmt_duration(k->def, def, sizeof(def));
        snprintf(buf, cap, "a duration from %s to %s (e.g. \"%s\")", lo, hi, def);
        break;
    case K_SIZE:
        fmt_size((uint64_t)k->min, lo, sizeof(lo));
        fmt_size((uint64_t)k->max, hi, sizeof(hi));
        fmt_size((uint64_t)k->def, def, sizeof(def));
        snprintf(buf, cap,
                 "a size from %s to %s (e.g. \"%s\"; units B, KiB, MiB, GiB, not KB, MB, GB)", lo,
                 hi, def);
        break;
    case K_ENUM: {
        size_t n = 0, len = 0;
        while (k->enums[n].name)
            n++;
        buf[0] = '\0';
        for (size_t i = 0; i < n && len < cap; i++) {
            const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
            int w = snprintf(buf + len, cap - len, "%s\"%s\"", sep, k->enums[i].name);
            len += w > 0 ? (size_t)w : 0;
        }
        break;
    }
    case K_OBJ:
        snprintf(buf, cap, "an object");
        break;
    case K_MAP:
        snprintf(buf, cap, "an object of at most %lld %s (string, number or boolean values)",
                 (long long)k->max, k->want);
        break;
    case K_ARR:
        snprintf(buf, cap, "an array of %lld to %lld objects", (long long)k->min,
                 (long long)k->max);
        break;
    case K_FRAC:
        fmt_frac(k->min, lo, sizeof(lo));
        fmt_frac(k->max, hi, sizeof(hi));
        snprintf(buf, cap, "a number from %s to %s", lo, hi);
        break;
    }
}

static void err_want(struct ctx *c, const char *path, const struct cfg_key *k)
{
    char want[200];
    want_text(k, want, sizeof(want));
    err_add(c->errs, path, "must be %s", want);
}

/* "prefix.name" or "name" at the top. */
static void key_path(char *buf, const char *prefix, const char *name)
{
    snprintf(buf, PATH_MAX_LEN, "%s%s%s", prefix, prefix[0] ? "." : "", name);
}

/* A key name from the document, fit to print: escaped and cut. */
static void shown_name(const char *name, char *buf, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 8 < cap; p++) {
        if (o >= KEY_NAME_SHOWN) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
    }
    buf[o] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Values                                                                   */
/* ------------------------------------------------------------------------ */

static void store_num(void *p, enum key_store st, int64_t v)
{
    switch (st) {
    case S_BOOL:
        *(bool *)p = v != 0;
        break;
    case S_INT:
        *(int *)p = (int)v;
        break;
    case S_U32:
        *(uint32_t *)p = (uint32_t)v;
        break;
    case S_I64:
        *(int64_t *)p = v;
        break;
    case S_SIZE:
        *(size_t *)p = (size_t)v;
        break;
    case S_DBL:
        *(double *)p = (double)v / 1e6; /* K_FRAC: millionths */
        break;
    default:
        assert(!"not a number");
    }
}

static void store_str(struct ctx *c, char **p, const char *v)
{
    char *d = strdup(v);
    if (!d) {
        c->nomem = true;
        return;
    }
    free(*p);
    *p = d;
}

/* Doubles beyond 2^53 are not exact integers; the ranges are far below. */
#define JSON_INT_MAX 9007199254740992.0

static bool json_integer(const cJSON *it, int64_t *v)
{
    if (!cJSON_IsNumber(it))
        return false;
    double d = it->valuedouble;
    if (!(d >= -JSON_INT_MAX && d <= JSON_INT_MAX) || (double)(int64_t)d != d)
        return false;
    *v = (int64_t)d;
    return true;
}

/* A number or string node as the number of k's type; false if invalid. */
static bool scalar_value(const cJSON *it, const struct cfg_key *k, int64_t *v)
{
    switch (k->type) {
    case K_BOOL:
        if (!cJSON_IsBool(it))
            return false;
        *v = cJSON_IsTrue(it) ? 1 : 0;
        return true;
    case K_ENUM:
        if (!cJSON_IsString(it) || !it->valuestring)
            return false;
        for (const struct cfg_enum *e = k->enums; e->name; e++) {
            if (strcmp(it->valuestring, e->name) == 0) {
                *v = e->value;
                return true;
            }
        }
        return false;
    case K_INT:
        if (!json_integer(it, v))
            return false;
        break;
    case K_DUR:
        if (cJSON_IsString(it) && it->valuestring) {
            if (wt_parse_duration_ms(it->valuestring, v) != 0)
                return false;
        } else if (cJSON_IsNumber(it)) {
            /* Seconds, possibly fractional, rounded to the millisecond. */
            double s = it->valuedouble;
            if (!(s >= 0 && s <= JSON_INT_MAX / 1000))
                return false;
            *v = (int64_t)(s * 1000.0 + 0.5);
        } else {
            return false;
        }
        break;
    case K_FRAC:
        if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 && it->valuedouble <= 1.0))
            return false;
        *v = (int64_t)(it->valuedouble * 1e6 + 0.5);
        break;
    case K_SIZE:
        if (cJSON_IsString(it) && it->valuestring) {
            uint64_t u;
            if (wt_parse_size(it->valuestring, &u) != 0 || u > INT64_MAX)
                return false;
            *v = (int64_t)u;
        } else if (!json_integer(it, v)) {
            return false;
        }
        break;
    default:
        assert(!"not a scalar");
        return false;
    }
    return *v >= k->min && *v <= k->max;
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                 */
/* ------------------------------------------------------------------------ */

static void decode_value(struct ctx *c, const cJSON *it, const char *path, char *base,
                         const struct cfg_key *k);

static void apply_defaults(struct ctx *c, char *base, const struct cfg_obj *o)
{
    for (size_t i = 0; i < o->nkeys; i++) {
        const struct cfg_key *k = &o->keys[i];
        switch (k->type) {
        case K_OBJ:
            apply_defaults(c, base + k->off, k->sub);
            break;
        case K_ARR:
        case K_MAP:
            break; /* entries get theirs when decoded */
        case K_STR:
            if (k->def_str)
                store_str(c, (char **)(base + k->off), k->def_str);
            break;
        default:
            if (!(k->flags & F_REQUIRED))
                store_num(base + k->off, k->store, k->def);
        }
    }
}

/* First child named exactly name (cJSON_GetObjectItem ignores case). */
static const cJSON *child(const cJSON *obj, const char *name)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (it->string && strcmp(it->string, name) == 0)
            return it;
    }
    return NULL;
}

/* The key called name in tabs[0..ntabs), at tabs[*t]->keys[*i]; NULL if none. */
static const struct cfg_key *find_key(const struct cfg_obj *const *tabs, size_t ntabs,
                                      const char *name, size_t *t, size_t *i)
{
    for (*t = 0; *t < ntabs; (*t)++) {
        assert(tabs[*t]->nkeys <= OBJ_MAX_KEYS);
        for (*i = 0; *i < tabs[*t]->nkeys; (*i)++) {
            if (strcmp(tabs[*t]->keys[*i].name, name) == 0)
                return &tabs[*t]->keys[*i];
        }
    }
    return NULL;
}

/*
 * Decode the members of obj by the keys of tabs[0..ntabs) into base: unknown
 * keys, duplicates and missing required keys are errors.
 */
static void decode_obj(struct ctx *c, const cJSON *obj, const char *path, char *base,
                       const struct cfg_obj *const *tabs, size_t ntabs)
{
    bool seen[2][OBJ_MAX_KEYS] = {{false}};
    char kp[PATH_MAX_LEN];

    assert(ntabs <= 2);
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        size_t t, i;
        const struct cfg_key *k = find_key(tabs, ntabs, name, &t, &i);
        if (!k) {
            char shown[KEY_NAME_SHOWN * 4 + 8];
            if (name[0])
                shown_name(name, shown, sizeof(shown));
            else
                snprintf(shown, sizeof(shown), "\"\"");
            key_path(kp, path, shown);
            err_add(c->errs, kp, "unknown key");
            continue;
        }
        key_path(kp, path, k->name);
        if (seen[t][i]) {
            err_add(c->errs, kp, "duplicate key");
            continue;
        }
        seen[t][i] = true;
        decode_value(c, it, kp, base, k);
    }
    for (size_t t = 0; t < ntabs; t++) {
        for (size_t i = 0; i < tabs[t]->nkeys; i++) {
            if ((tabs[t]->keys[i].flags & F_REQUIRED) && !seen[t][i]) {
                key_path(kp, path, tabs[t]->keys[i].name);
                err_add(c->errs, kp, "required");
            }
        }
    }
}

/* A sink: its type picks the second key table. */
static void decode_sink(struct ctx *c, const cJSON *el, const char *path, char *base)
{
    struct wt_sink_cfg *s = (struct wt_sink_cfg *)base;
    const struct cfg_key *tk = &sink_keys[0];
    const cJSON *t = child(el, tk->name);
    char kp[PATH_MAX_LEN];

    assert(strcmp(tk->name, "type") == 0);
    key_path(kp, path, tk->name);
    if (!t) {
        err_add(c->errs, kp, "required");
        mark_failed(c, &s->type);
        return;
    }
    decode_value(c, t, kp, base, tk);
    if (has_failed(c, &s->type))
        return; /* the other keys depend on the type */
    const struct cfg_obj *keys = sink_type_keys[s->type];
    if (!keys) {
        err_add(c->errs, kp, "\"%s\" is not supported yet", t->valuestring);
        mark_failed(c, &s->type);
        return;
    }
    apply_defaults(c, base, keys);
    const struct cfg_obj *const tabs[] = {&sink_obj, keys};
    decode_obj(c, el, path, base, tabs, 2);
    /* The entry as written, so a reload can tell whether the sink changed. */
    free(s->source);
    s->source = cJSON_PrintUnformatted(el);
}

static void decode_array(struct ctx *c, const cJSON *it, const char *path, char *base,
                         const struct cfg_key *k)
{
    int n = cJSON_GetArraySize(it);
    if (n < k->min || n > k->max)
        err_want(c, path, k);
    /* Entries beyond the maximum are not decoded: the count is the error. */
    size_t i = 0;
    for (const cJSON *el = it->child; el && i < (size_t)k->max; el = el->next, i++) {
        char ep[PATH_MAX_LEN];
        char *eb = base + k->off + i * k->sub->size;
        snprintf(ep, sizeof(ep), "%s[%zu]", path, i);
        if (!cJSON_IsObject(el)) {
            err_add(c->errs, ep, "must be an object");
            continue;
        }
        apply_defaults(c, eb, k->sub);
        if (k->sub == &sink_obj) {
            decode_sink(c, el, ep, eb);
        } else {
            const struct cfg_obj *const tabs[] = {k->sub};
            decode_obj(c, el, ep, eb, tabs, 1);
        }
    }
    *(size_t *)(base + k->count_off) = i;
}

/* A K_MAP object: each member a string, number or boolean, judged by k->check_pair. */
static void decode_map(struct ctx *c, const cJSON *obj, const char *path, char *base,
                       const struct cfg_key *k)
{
    struct wt_kafka_property *pv = (struct wt_kafka_property *)(base + k->off);
    size_t *n = (size_t *)(base + k->count_off);
    char kp[PATH_MAX_LEN], shown[KEY_NAME_SHOWN * 4 + 8], num[64], msg[200];

    if (cJSON_GetArraySize(obj) > k->max) {
        err_want(c, path, k);
        mark_failed(c, pv);
        return;
    }
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *name = it->string ? it->string : "";
        const char *v = NULL;
        int64_t iv;
        if (name[0])
            shown_name(name, shown, sizeof(shown));
        else
            snprintf(shown, sizeof(shown), "\"\"");
        key_path(kp, path, shown);
        bool dup = false;
        for (size_t j = 0; j < *n && !dup; j++)
            dup = strcmp(pv[j].name, name) == 0;
        if (dup) {
            err_add(c->errs, kp, "duplicate key");
            continue;
        }
        if (cJSON_IsString(it) && it->valuestring) {
            v = it->valuestring;
        } else if (cJSON_IsBool(it)) {
            v = cJSON_IsTrue(it) ? "true" : "false";
        } else if (json_integer(it, &iv)) {
            snprintf(num, sizeof(num), "%lld", (long long)iv);
            v = num;
        } else if (cJSON_IsNumber(it)) {
            snprintf(num, sizeof(num), "%.15g", it->valuedouble);
            v = num;
        } else {
            err_add(c->errs, kp, "must be a string, number or boolean");
            continue;
        }
        if (k->check_pair && !k->check_pair(name, v, msg, sizeof(msg))) {
            err_add(c->errs, kp, "%s", msg);
            continue;
        }
        char *dn = strdup(name), *dv = strdup(v);
        if (!dn || !dv) {
            free(dn);
            free(dv);
            c->nomem = true;
            return;
        }
        pv[*n].name = dn;
        pv[*n].value = dv;
        (*n)++;
    }
}

static void decode_value(struct ctx *c, const cJSON *it, const char *path, char *base,
                         const struct cfg_key *k)
{
    void *p = base + k->off;
    int64_t v;

    switch (k->type) {
    case K_OBJ:
        if (cJSON_IsObject(it)) {
            const struct cfg_obj *const tabs[] = {k->sub};
            decode_obj(c, it, path, base + k->off, tabs, 1);
            return;
        }
        break;
    case K_ARR:
        if (cJSON_IsArray(it)) {
            decode_array(c, it, path, base, k);
            return;
        }
        break;
    case K_MAP:
        if (cJSON_IsObject(it)) {
            decode_map(c, it, path, base, k);
            return;
        }
        break;
    case K_STR:
        if (cJSON_IsString(it) && it->valuestring && (!k->check || k->check(it->valuestring))) {
            store_str(c, p, it->valuestring);
            return;
        }
        break;
    default:
        if (scalar_value(it, k, &v)) {
            store_num(p, k->store, v);
            return;
        }
    }
    err_want(c, path, k);
    mark_failed(c, p);
}

/* ------------------------------------------------------------------------ */
/* Rules across keys                                                        */
/* ------------------------------------------------------------------------ */

static void check_inputs(struct ctx *c, const struct wt_config *cfg)
{
    char kp[PATH_MAX_LEN];
    for (size_t i = 0; i < cfg->ninputs; i++) {
        const struct wt_input_cfg *in = &cfg->inputs[i];
        if (in->fields && in->format == WT_FORMAT_SQUID) {
            snprintf(kp, sizeof(kp), "inputs[%zu].fields", i);
            err_add(c->errs, kp, "only with format \"w3c\" or \"auto\"");
        }
        for (size_t j = 0; in->path && j < i; j++) {
            if (cfg->inputs[j].path && strcmp(in->path, cfg->inputs[j].path) == 0) {
                snprintf(kp, sizeof(kp), "inputs[%zu].path", i);
                err_add(c->errs, kp, "same as inputs[%zu].path", j);
                break;
            }
        }
    }
}

/*
 * Kafka: the dead-letter directory defaults to <state_dir>/dead-letter; one
 * message per batch must fit message.max.bytes (with room for key and headers).
 */
static void check_kafka_sink(struct ctx *c, struct wt_config *cfg, struct wt_sink_cfg *s, size_t i)
{
    char kp[PATH_MAX_LEN];
    if (!s->dead_letter && !has_failed(c, &s->dead_letter) && cfg->state_dir) {
        char dl[4096];
        snprintf(dl, sizeof(dl), "%s/dead-letter", cfg->state_dir);
        store_str(c, &s->dead_letter, dl);
    }
    /* wtexport turns idempotence on, which librdkafka allows with acks=all only. */
    const char *acks = NULL, *idem = NULL;
    for (size_t j = 0; j < s->nproperties; j++) {
        const char *n = s->properties[j].name;
        if (strcmp(n, "acks") == 0 || strcmp(n, "request.required.acks") == 0)
            acks = s->properties[j].value;
        else if (strcmp(n, "enable.idempotence") == 0)
            idem = s->properties[j].value;
    }
    bool idem_off =
        idem && (strcmp(idem, "false") == 0 || strcmp(idem, "0") == 0 || strcmp(idem, "f") == 0);
    if (acks && strcmp(acks, "all") != 0 && strcmp(acks, "-1") != 0 && !idem_off) {
        snprintf(kp, sizeof(kp), "sinks[%zu].properties.acks", i);
        err_add(c->errs, kp,
                "\"%s\" needs \"enable.idempotence\": false (idempotence, on by default, "
                "needs acks all)",
                acks);
    }
    if (s->kafka_message != WT_KAFKA_MESSAGE_BATCH || has_failed(c, &cfg->batch.max_bytes))
        return;
    uint64_t max = 1000000; /* librdkafka's default message.max.bytes */
    for (size_t j = 0; j < s->nproperties; j++) {
        const char *v = s->properties[j].value;
        if (strcmp(s->properties[j].name, "message.max.bytes") == 0)
            wt_str_to_u64((struct wt_str){v, strlen(v)}, &max);
    }
    if ((uint64_t)cfg->batch.max_bytes + 2048 > max) {
        char bm[32];
        fmt_size(cfg->batch.max_bytes, bm, sizeof(bm));
        snprintf(kp, sizeof(kp), "sinks[%zu].message", i);
        err_add(c->errs, kp,
                "\"batch\" needs batch.max_bytes (%s) + 2KiB within message.max.bytes (%llu): "
                "lower batch.max_bytes or raise message.max.bytes in properties",
                bm, (unsigned long long)max);
    }
}

/*
 * SSE: exactly one of region and url; backoff base <= cap; the dead-letter
 * directory and the credential file default from state_dir.
 */
static void check_sse_sink(struct ctx *c, struct wt_config *cfg, struct wt_sink_cfg *s, size_t i)
{
    char kp[PATH_MAX_LEN], path[4096];
    bool region_bad = has_failed(c, &s->sse_region), url_bad = has_failed(c, &s->sse_url);
    if (s->sse_region && s->sse_url) {
        snprintf(kp, sizeof(kp), "sinks[%zu].url", i);
        err_add(c->errs, kp, "not with region (one of them)");
    } else if (!s->sse_region && !s->sse_url && !region_bad && !url_bad) {
        snprintf(kp, sizeof(kp), "sinks[%zu].region", i);
        err_add(c->errs, kp, "required (or url)");
    }
    if (!has_failed(c, &s->retry.base_ms) && !has_failed(c, &s->retry.cap_ms) &&
        s->retry.base_ms > s->retry.cap_ms) {
        snprintf(kp, sizeof(kp), "sinks[%zu].retry.cap", i);
        err_add(c->errs, kp, "must be at least retry.base");
    }
    if (!cfg->state_dir)
        return;
    if (!s->dead_letter && !has_failed(c, &s->dead_letter)) {
        snprintf(path, sizeof(path), "%s/dead-letter", cfg->state_dir);
        store_str(c, &s->dead_letter, path);
    }
    if (s->name) {
        snprintf(path, sizeof(path), "%s/sse-%s.json", cfg->state_dir, s->name);
        store_str(c, &s->sse_cred_file, path);
    }
}

static void check_sinks(struct ctx *c, struct wt_config *cfg)
{
    char kp[PATH_MAX_LEN];
    for (size_t i = 0; i < cfg->nsinks; i++) {
        struct wt_sink_cfg *s = &cfg->sinks[i];
        if (has_failed(c, &s->type) || !sink_type_keys[s->type])
            continue;
        if (!s->name && !has_failed(c, &s->name)) {
            char def[WT_SINK_NAME_MAX + 1];
            snprintf(def, sizeof(def), "%s%zu", sink_types[s->type].name, i);
            store_str(c, &s->name, def);
        }
        for (size_t j = 0; s->name && j < i; j++) {
            if (cfg->sinks[j].name && strcmp(s->name, cfg->sinks[j].name) == 0) {
                snprintf(kp, sizeof(kp), "sinks[%zu].name", i);
                err_add(c->errs, kp, "\"%s\" is already used by sinks[%zu]", s->name, j);
                break;
            }
        }
        for (size_t j = 0; s->path && j < i; j++) {
            if (cfg->sinks[j].path && strcmp(s->path, cfg->sinks[j].path) == 0) {
                snprintf(kp, sizeof(kp), "sinks[%zu].path", i);
                err_add(c->errs, kp, "same as sinks[%zu].path", j);
                break;
            }
        }
        if (s->type == WT_SINK_KAFKA)
            check_kafka_sink(c, cfg, s, i);
        else if (s->type == WT_SINK_SSE)
            check_sse_sink(c, cfg, s, i);
    }
}

static void check_cross(struct ctx *c, struct wt_config *cfg)
{
    check_inputs(c, cfg);
    check_sinks(c, cfg);
    if (!has_failed(c, &cfg->batch.max_bytes) && !has_failed(c, &cfg->queue.max_bytes) &&
        cfg->queue.max_bytes < WT_QUEUE_MIN_BATCHES * cfg->batch.max_bytes) {
        /* A batch holds about twice its size (data + zstd frame): room for one
         * batch open while another is compressed and one is being written. */
        char need[32];
        fmt_size(WT_QUEUE_MIN_BATCHES * (uint64_t)cfg->batch.max_bytes, need, sizeof(need));
        err_add(c->errs, "queue.max_bytes", "must be at least %d times batch.max_bytes (%s)",
                WT_QUEUE_MIN_BATCHES, need);
    }
    if (!has_failed(c, &cfg->spool.max_bytes) && !has_failed(c, &cfg->spool.segment_bytes) &&
        cfg->spool.max_bytes < 2 * cfg->spool.segment_bytes) {
        /* One segment being written while an older one waits for the sinks. */
        char need[32];
        fmt_size(2 * (uint64_t)cfg->spool.segment_bytes, need, sizeof(need));
        err_add(c->errs, "spool.max_bytes", "must be at least twice spool.segment_bytes (%s)",
                need);
    }
    if (!cfg->host && !has_failed(c, &cfg->host)) {
        char h[256] = "";
        if (gethostname(h, sizeof(h) - 1) != 0 || !check_host(h))
            err_add(c->errs, "host", "required: the system host name is not usable");
        else
            store_str(c, &cfg->host, h);
    }
}

/* ------------------------------------------------------------------------ */
/* Parse, load, free                                                        */
/* ------------------------------------------------------------------------ */

static void err_json(struct wt_config_errors *errs, const char *json, size_t len, size_t off,
                     const char *what)
{
    unsigned long line = 1, col = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (json[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    err_add(errs, NULL, "invalid JSON at line %lu, column %lu (byte %zu): %s", line, col, off,
            what);
}

/* JSON whitespace only, from p to end? */
static bool only_space(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    }
    return true;
}

int wt_config_parse(const char *json, size_t len, struct wt_config *cfg,
                    struct wt_config_errors *errs)
{
    struct ctx c = {.errs = errs};
    const char *end = NULL;

    memset(cfg, 0, sizeof(*cfg));
    errs->n = errs->dropped = 0;

    /* cJSON stops strings at a NUL byte; JSON has none outside \u0000. */
    const char *nul = memchr(json, '\0', len);
    if (nul) {
        err_json(errs, json, len, (size_t)(nul - json), "NUL byte");
        return WT_ECONFIG;
    }
    if (only_space(json, json + len)) {
        err_add(errs, NULL, "invalid JSON: empty document");
        return WT_ECONFIG;
    }
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root) {
        err_json(errs, json, len, end ? (size_t)(end - json) : 0, "syntax error");
        return WT_ECONFIG;
    }
    if (!only_space(end, json + len)) {
        while (only_space(end, end + 1))
            end++;
        err_json(errs, json, len, (size_t)(end - json), "text after the document");
        cJSON_Delete(root);
        return WT_ECONFIG;
    }
    if (!cJSON_IsObject(root)) {
        err_add(errs, NULL, "the document must be a JSON object");
        cJSON_Delete(root);
        return WT_ECONFIG;
    }

    apply_defaults(&c, (char *)cfg, &top_obj);
    const struct cfg_obj *const tabs[] = {&top_obj};
    decode_obj(&c, root, "", (char *)cfg, tabs, 1);
    cJSON_Delete(root);
    check_cross(&c, cfg);
    if (c.nomem)
        err_add(errs, NULL, "out of memory");
    if (errs->n || errs->dropped) {
        wt_config_free(cfg);
        return WT_ECONFIG;
    }
    return 0;
}

int wt_config_load(const char *path, struct wt_config *cfg, struct wt_config_errors *errs)
{
    memset(cfg, 0, sizeof(*cfg));
    errs->n = errs->dropped = 0;

    char *buf;
    size_t len;
    int rc = wt_read_file(path, WT_CFG_FILE_MAX, &buf, &len);
    if (rc == -EFBIG) {
        err_add(errs, path, "larger than %d bytes", WT_CFG_FILE_MAX);
        return WT_ECONFIG;
    }
    if (rc != 0) {
        err_add(errs, path, "%s", rc == -ENOMEM ? "out of memory" : strerror(-rc));
        return WT_ECONFIG;
    }
    rc = wt_config_parse(buf, len, cfg, errs);
    free(buf);
    return rc;
}

/* Free the strings of an object by its keys; all array entries, used or not. */
static void free_obj(char *base, const struct cfg_obj *o)
{
    for (size_t i = 0; i < o->nkeys; i++) {
        const struct cfg_key *k = &o->keys[i];
        if (k->type == K_STR) {
            char **p = (char **)(base + k->off);
            free(*p);
            *p = NULL;
        } else if (k->type == K_MAP) {
            struct wt_kafka_property *pv = (struct wt_kafka_property *)(base + k->off);
            for (int64_t j = 0; j < k->max; j++) {
                free(pv[j].name);
                free(pv[j].value);
                pv[j].name = pv[j].value = NULL;
            }
            *(size_t *)(base + k->count_off) = 0;
        } else if (k->type == K_OBJ) {
            free_obj(base + k->off, k->sub);
        } else if (k->type == K_ARR) {
            for (int64_t j = 0; j < k->max; j++) {
                char *eb = base + k->off + (size_t)j * k->sub->size;
                free_obj(eb, k->sub);
                if (k->sub != &sink_obj)
                    continue;
                for (size_t t = 0; t < NKEYS(sink_type_keys); t++) {
                    if (sink_type_keys[t])
                        free_obj(eb, sink_type_keys[t]);
                }
            }
        }
    }
}

void wt_config_free(struct wt_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < WT_CFG_MAX_SINKS; i++) {
        /* Derived, not keys: free_obj skips them. */
        free(cfg->sinks[i].sse_cred_file);
        free(cfg->sinks[i].source);
    }
    free_obj((char *)cfg, &top_obj);
    memset(cfg, 0, sizeof(*cfg));
}

/* ------------------------------------------------------------------------ */
/* Reference (docs/config.md)                                               */
/* ------------------------------------------------------------------------ */

static const char reference_intro[] =
    "# Configuration reference\n"
    "\n"
    "<!-- Generated by `wtexport check-config --reference` from the key tables in\n"
    "exporter/config.c. Do not edit: change the tables and regenerate; a unit test\n"
    "fails when this file and the tables differ. -->\n"
    "\n"
    "wtexport reads its configuration from one JSON file of at most 1 MiB.\n"
    "`wtexport check-config -c FILE` validates a file without starting anything.\n"
    "[deploy/wtexport.example.json](../deploy/wtexport.example.json) is a complete\n"
    "example with every key at its default (`wtexport check-config --example`).\n"
    "\n"
    "Every problem in the file is reported, one per line, as `key.path: message`\n"
    "(the first 64, then how many more), for example:\n"
    "\n"
    "    sinks[0].compress: must be \"zstd\" or \"none\"\n"
    "    inputs[1].bogus: unknown key\n"
    "\n"
    "Unknown keys, duplicate keys, wrong types and out-of-range values are all\n"
    "errors, so a typo never falls back to a default silently. Keys are\n"
    "case-sensitive.\n"
    "\n"
    "- **Durations** are a string of an integer and a unit, `ms`, `s`, `m`, `h` or\n"
    "  `d` (`\"1500ms\"`, `\"90s\"`, `\"2d\"`; no fractions: `\"90m\"`, not `\"1.5h\"`), or a\n"
    "  JSON number of seconds, which may have a fraction (`0.25`).\n"
    "- **Sizes** are a string of an integer and a unit, `B`, `KiB`, `MiB` or `GiB`\n"
    "  (1024-based: `\"512KiB\"`, `\"64MiB\"`), or a JSON integer of bytes. `KB`, `MB`\n"
    "  and `GB` are not accepted: they are ambiguous.\n"
    "- **Integers** are JSON numbers without a fraction.\n";

/* A table cell: '|' would end it. */
static void md_cell(FILE *out, const char *s)
{
    fputs("| ", out);
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc(' ', out);
}

static const char *type_name(const struct cfg_key *k)
{
    static const char *const names[] = {
        [K_STR] = "string", [K_BOOL] = "boolean", [K_INT] = "integer", [K_DUR] = "duration",
        [K_SIZE] = "size",  [K_ENUM] = "string",  [K_OBJ] = "object",  [K_ARR] = "array of objects",
        [K_MAP] = "object", [K_FRAC] = "number"};
    return names[k->type];
}

/* The default as JSON text (or prose for computed ones); "" when none. */
static void default_text(const struct cfg_key *k, char *buf, size_t cap)
{
    char v[64];

    buf[0] = '\0';
    if (k->flags & F_REQUIRED) {
        snprintf(buf, cap, "required");
        return;
    }
    switch (k->type) {
    case K_STR:
        if (k->def_str)
            snprintf(buf, cap, "`\"%s\"`", k->def_str);
        else
            snprintf(buf, cap, "%s", k->def_doc ? k->def_doc : "none");
        break;
    case K_BOOL:
        snprintf(buf, cap, "`%s`", k->def ? "true" : "false");
        break;
    case K_INT:
        snprintf(buf, cap, "`%lld`", (long long)k->def);
        break;
    case K_DUR:
        fmt_duration(k->def, v, sizeof(v));
        snprintf(buf, cap, "`\"%s\"`", v);
        break;
    case K_SIZE:
        fmt_size((uint64_t)k->def, v, sizeof(v));
        snprintf(buf, cap, "`\"%s\"`", v);
        break;
    case K_ENUM:
        for (const struct cfg_enum *e = k->enums; e->name; e++) {
            if (e->value == k->def) {
                snprintf(buf, cap, "`\"%s\"`", e->name);
                break;
            }
        }
        break;
    case K_MAP:
        snprintf(buf, cap, "%s", k->def_doc ? k->def_doc : "none");
        break;
    case K_FRAC:
        fmt_frac(k->def, v, sizeof(v));
        snprintf(buf, cap, "`%s`", v);
        break;
    case K_OBJ:
    case K_ARR:
        break;
    }
}

static void range_text(const struct cfg_key *k, char *buf, size_t cap)
{
    char lo[32], hi[32];
    size_t len = 0;

    buf[0] = '\0';
    switch (k->type) {
    case K_STR:
        snprintf(buf, cap, "%s", k->want);
        break;
    case K_BOOL:
        snprintf(buf, cap, "`true`, `false`");
        break;
    case K_INT:
        snprintf(buf, cap, "%lld .. %lld", (long long)k->min, (long long)k->max);
        break;
    case K_DUR:
        fmt_duration(k->min, lo, sizeof(lo));
        fmt_duration(k->max, hi, sizeof(hi));
        snprintf(buf, cap, "%s .. %s", lo, hi);
        break;
    case K_SIZE:
        fmt_size((uint64_t)k->min, lo, sizeof(lo));
        fmt_size((uint64_t)k->max, hi, sizeof(hi));
        snprintf(buf, cap, "%s .. %s", lo, hi);
        break;
    case K_ENUM:
        for (const struct cfg_enum *e = k->enums; e->name && len < cap; e++) {
            int w = snprintf(buf + len, cap - len, "%s`\"%s\"`", len ? ", " : "", e->name);
            len += w > 0 ? (size_t)w : 0;
        }
        break;
    case K_OBJ:
        break;
    case K_ARR:
        snprintf(buf, cap, "%lld .. %lld entries", (long long)k->min, (long long)k->max);
        break;
    case K_MAP:
        snprintf(buf, cap, "up to %lld %s", (long long)k->max, k->want);
        break;
    case K_FRAC:
        fmt_frac(k->min, lo, sizeof(lo));
        fmt_frac(k->max, hi, sizeof(hi));
        snprintf(buf, cap, "%s .. %s", lo, hi);
        break;
    }
}

static void write_table(FILE *out, const struct cfg_obj *o)
{
    char def[128], range[256], ex[128];

    fputs("| key | type | default | range | description | example |\n", out);
    fputs("|---|---|---|---|---|---|\n", out);
    for (size_t i = 0; i < o->nkeys; i++) {
        const struct cfg_key *k = &o->keys[i];
        char key[64];
        snprintf(key, sizeof(key), "`%s`", k->name);
        default_text(k, def, sizeof(def));
        range_text(k, range, sizeof(range));
        snprintf(ex, sizeof(ex), k->example ? "`%s`" : "%s", k->example ? k->example : "");
        md_cell(out, key);
        md_cell(out, type_name(k));
        md_cell(out, def);
        md_cell(out, range);
        md_cell(out, k->doc);
        md_cell(out, ex);
        fputs("|\n", out);
    }
}

static void write_section(FILE *out, const char *hashes, const struct cfg_obj *o)
{
    fprintf(out, "\n%s %s\n\n%s\n\n", hashes, o->title, o->doc);
    write_table(out, o);
}

void wt_config_write_reference(FILE *out)
{
    fputs(reference_intro, out);
    write_section(out, "##", &top_obj);
    for (size_t i = 0; i < top_obj.nkeys; i++) {
        const struct cfg_key *k = &top_obj.keys[i];
        if (k->type != K_OBJ && k->type != K_ARR)
            continue;
        write_section(out, "##", k->sub);
        if (k->sub != &sink_obj)
            continue;
        for (const struct cfg_enum *e = sink_types; e->name; e++) {
            const struct cfg_obj *tk = sink_type_keys[e->value];
            for (size_t j = 0; tk && j < tk->nkeys; j++) {
                if (j == 0)
                    write_section(out, "###", tk);
                if (tk->keys[j].type == K_OBJ)
                    write_section(out, "####", tk->keys[j].sub);
            }
            if (!tk)
                fprintf(out, "\n### `type: \"%s\"`\n\nReserved: not supported yet.\n", e->name);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Example (deploy/wtexport.example.json)                                   */
/* ------------------------------------------------------------------------ */

/* The example's value of k as JSON text; false to leave the key out. */
static bool example_value(const struct cfg_key *k, char *buf, size_t cap)
{
    char v[64];

    if (k->flags & F_REQUIRED) {
        snprintf(buf, cap, "%s", k->example);
        return true;
    }
    switch (k->type) {
    case K_STR:
        if (!k->def_str)
            return false; /* no default, or a computed one */
        snprintf(buf, cap, "\"%s\"", k->def_str);
        return true;
    case K_BOOL:
    case K_INT:
    case K_ENUM:
        default_text(k, v, sizeof(v)); /* `value`: drop the backquotes */
        snprintf(buf, cap, "%.*s", (int)strlen(v) - 2, v + 1);
        return true;
    case K_DUR:
        fmt_duration(k->def, v, sizeof(v));
        snprintf(buf, cap, "\"%s\"", v);
        return true;
    case K_SIZE:
        fmt_size((uint64_t)k->def, v, sizeof(v));
        snprintf(buf, cap, "\"%s\"", v);
        return true;
    case K_FRAC:
        fmt_frac(k->def, buf, cap);
        return true;
    default:
        return false;
    }
}

static void write_example_obj(FILE *out, const struct cfg_obj *const *tabs, size_t ntabs,
                              int indent);

/* Write the members of an example object, after its "{". */
static void write_example_keys(FILE *out, const struct cfg_obj *const *tabs, size_t ntabs,
                               int indent)
{
    bool first = true;
    char v[128];

    for (size_t t = 0; t < ntabs; t++) {
        for (size_t i = 0; i < tabs[t]->nkeys; i++) {
            const struct cfg_key *k = &tabs[t]->keys[i];
            bool nested = k->type == K_OBJ || k->type == K_ARR;
            if (!nested && !example_value(k, v, sizeof(v)))
                continue;
            fprintf(out, "%s\n%*s\"%s\": ", first ? "" : ",", indent, "", k->name);
            first = false;
            if (k->type == K_OBJ) {
                const struct cfg_obj *const sub[] = {k->sub};
                write_example_obj(out, sub, 1, indent);
            } else if (k->type == K_ARR) {
                /* One entry; a sink of the first type. */
                const struct cfg_obj *const sub[] = {k->sub, sink_type_keys[WT_SINK_FILE]};
                fprintf(out, "[\n%*s", indent + 2, "");
                write_example_obj(out, sub, k->sub == &sink_obj ? 2 : 1, indent + 2);
                fprintf(out, "\n%*s]", indent, "");
            } else {
                fputs(v, out);
            }
        }
    }
}

static void write_example_obj(FILE *out, const struct cfg_obj *const *tabs, size_t ntabs,
                              int indent)
{
    fputc('{', out);
    write_example_keys(out, tabs, ntabs, indent + 2);
    fprintf(out, "\n%*s}", indent, "");
}

void wt_config_write_example(FILE *out)
{
    const struct cfg_obj *const tabs[] = {&top_obj};
    write_example_obj(out, tabs, 1, 0);
    fputc('\n', out);
}

int wt_config_apply_threads(const struct wt_config *cfg)
{
    char num[16];
    int n = cfg->threads;

    if (n == 0) {
        /* A valid setting from the environment is kept (libuv caps it at 1024). */
        const char *env = getenv("UV_THREADPOOL_SIZE");
        char *e = NULL;
        long v = env ? strtol(env, &e, 10) : 0;
        if (env && e != env && *e == '\0' && v >= 1 && v <= 1024)
            return (int)v;
        n = (int)uv_available_parallelism();
        if (n < WT_THREADS_AUTO_MIN)
            n = WT_THREADS_AUTO_MIN;
        if (n > WT_THREADS_MAX)
            n = WT_THREADS_MAX;
    }
    snprintf(num, sizeof(num), "%d", n);
    setenv("UV_THREADPOOL_SIZE", num, 1);
    return n;
}
