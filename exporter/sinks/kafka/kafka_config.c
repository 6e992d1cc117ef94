/*
 * kafka_config.c - the Kafka sink's keys, their rules, and its entry in the
 * sink registry (sink.c). librdkafka itself judges each passed-through
 * property, on a scratch configuration.
 */
#include "config_keys.h"
#include "kafka_conf.h"
#include "sink.h"
#include "sink_kafka_int.h"
#include "wt_parsers.h"

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define KAFKAO(m) offsetof(struct wt_kafka_opts, m)

static const struct wt_cfg_enum kafka_key_kinds[] = {{"observable", WT_KAFKA_KEY_OBSERVABLE},
                                                     {"client_ip", WT_KAFKA_KEY_CLIENT_IP},
                                                     {"none", WT_KAFKA_KEY_NONE},
                                                     {NULL, 0}};
static const struct wt_cfg_enum kafka_messages[] = {
    {"event", WT_KAFKA_MESSAGE_EVENT}, {"batch", WT_KAFKA_MESSAGE_BATCH}, {NULL, 0}};

static bool check_kafka_property(const char *name, const char *value, char *msg, size_t cap)
{
    static const char *const reserved[] = {"bootstrap.servers", "metadata.broker.list", NULL};
    static const char *const by[] = {"brokers", "brokers"};
    return wt_kafka_check_property(name, value, msg, cap, reserved, by);
}

static const struct wt_cfg_key kafka_key_table[] = {
    {.name = "brokers",
     .type = K_STR,
     .store = S_STR,
     .off = KAFKAO(brokers),
     .flags = F_REQUIRED,
     .check = wt_kafka_check_brokers,
     .want = "a comma-separated list of host:port without spaces",
     .doc = "Bootstrap brokers (librdkafka bootstrap.servers); the rest of the cluster is "
            "discovered from them.",
     .example = "\"kafka1.example.com:9092,kafka2.example.com:9092\""},
    {.name = "topic",
     .type = K_STR,
     .store = S_STR,
     .off = KAFKAO(topic),
     .flags = F_REQUIRED,
     .check = wt_kafka_check_topic,
     .want = "a topic name of 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" and \"-\"",
     .doc = "Topic of every message. Create it beforehand (see docs/kafka.md) unless the "
            "cluster creates topics automatically.",
     .example = "\"wtexport-events\""},
    {.name = "key",
     .type = K_ENUM,
     .store = S_INT,
     .off = KAFKAO(key),
     .def = WT_KAFKA_KEY_OBSERVABLE,
     .enums = kafka_key_kinds,
     .doc = "Message key, which picks the partition: observable (the value of the event's "
            "first observable, as JSON-escaped in the event), client_ip, or none (no key: "
            "messages are spread over the partitions).",
     .example = "\"client_ip\""},
    {.name = "message",
     .type = K_ENUM,
     .store = S_INT,
     .off = KAFKAO(message),
     .def = WT_KAFKA_MESSAGE_EVENT,
     .enums = kafka_messages,
     .doc = "event: one message per event (one JSON object); batch: one message per batch "
            "(NDJSON, keyed like its first event), which needs batch.max_bytes at least "
            "2KiB below message.max.bytes.",
     .example = "\"batch\""},
    {.name = "properties",
     .type = K_MAP,
     .off = KAFKAO(properties),
     .count_off = KAFKAO(nproperties),
     .max = WT_KAFKA_MAX_PROPERTIES,
     .check_pair = check_kafka_property,
     .def_doc = "`{\"enable.idempotence\": \"true\", \"acks\": \"all\", "
                "\"compression.type\": \"zstd\", \"message.timeout.ms\": \"0\"}`",
     .want = "librdkafka producer properties",
     .doc = "librdkafka properties passed through as they are (security.protocol, sasl.*, "
            "ssl.*, linger.ms, batch.size, ...); values are strings, numbers or booleans. They "
            "override the defaults; message.timeout.ms 0 means a message is retried until it "
            "is delivered. librdkafka checks each one: its message is the error. "
            "bootstrap.servers comes from brokers; transactional.id only with exactly_once.",
     .example = "{\"security.protocol\": \"SASL_SSL\", \"linger.ms\": 20}"},
    {.name = "dead_letter",
     .type = K_STR,
     .store = S_STR,
     .off = KAFKAO(dead_letter),
     .def_doc = "`\"<state_dir>/dead-letter\"`",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "Directory (created 0700) for events the cluster refused for good: per batch, "
            "the refused events (NDJSON) and a .reason file with the librdkafka error.",
     .example = "\"/var/lib/wtexport/dead-letter\""},
    {.name = "exactly_once",
     .type = K_BOOL,
     .store = S_BOOL,
     .off = KAFKAO(exactly_once),
     .def = false,
     .doc = "Transactions: each transaction holds one or more spool records and the sink's "
            "spool position, written to offsets_topic; a restart resumes after the position "
            "committed there. Consumers must read with isolation.level=read_committed. The "
            "transactional.id defaults to wtexport:<host>:<state_dir>:<sink name> (set it in "
            "properties to choose another). false: idempotent, at-least-once.",
     .example = "true"},
    {.name = "offsets_topic",
     .type = K_STR,
     .store = S_STR,
     .off = KAFKAO(offsets_topic),
     .def_doc = "`\"<topic>.wtexport-offsets\"`",
     .check = wt_kafka_check_topic,
     .want = "a topic name of 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" and \"-\"",
     .doc = "exactly_once only: the compacted topic that holds each sink's committed spool "
            "position (key: the transactional.id). Create it with cleanup.policy=compact, or "
            "let the cluster create it.",
     .example = "\"wtexport-offsets\""},
};

static const struct wt_cfg_obj kafka_keys = {
    .title = "`type: \"kafka\"`",
    .doc = "Events produced to one Kafka topic with librdkafka: idempotent, acks=all, zstd; a "
           "batch counts as delivered when every message of it is. See docs/kafka.md.",
    .keys = kafka_key_table,
    .nkeys = WT_CFG_NKEYS(kafka_key_table),
    .size = sizeof(struct wt_kafka_opts),
};

/*
 * Kafka: the dead-letter directory defaults to <state_dir>/dead-letter; one
 * message per batch must fit message.max.bytes (with room for key and headers).
 */
static void kafka_check(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i)
{
    struct wt_kafka_opts *s = cfg->sinks[i].opts;
    char kp[WT_CFG_PATH_MAX];
    if (!s->dead_letter && !wt_cfg_failed(c, &s->dead_letter) && cfg->state_dir) {
        char dl[4096];
        snprintf(dl, sizeof(dl), "%s/dead-letter", cfg->state_dir);
        wt_cfg_set_str(c, &s->dead_letter, dl);
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
    const char *txn_id = NULL;
    for (size_t j = 0; j < s->nproperties; j++) {
        if (strcmp(s->properties[j].name, "transactional.id") == 0)
            txn_id = s->properties[j].value;
    }
    if (txn_id && !s->exactly_once) {
        snprintf(kp, sizeof(kp), "sinks[%zu].properties.transactional.id", i);
        wt_cfg_error(c, kp,
                     "needs \"exactly_once\": true (without it the producer is "
                     "idempotent, at-least-once)");
    }
    if (s->exactly_once) {
        char v[4096 + 512];
        if (!s->offsets_topic && !wt_cfg_failed(c, &s->offsets_topic) && s->topic) {
            snprintf(v, sizeof(v), "%s.wtexport-offsets", s->topic);
            wt_cfg_set_str(c, &s->offsets_topic, v);
        }
        if (s->offsets_topic && s->topic && strcmp(s->offsets_topic, s->topic) == 0) {
            snprintf(kp, sizeof(kp), "sinks[%zu].offsets_topic", i);
            wt_cfg_error(c, kp, "must differ from topic");
        }
        if (txn_id)
            snprintf(v, sizeof(v), "%s", txn_id);
        else
            snprintf(v, sizeof(v), "wtexport:%s:%s:%s", cfg->host ? cfg->host : "",
                     cfg->state_dir ? cfg->state_dir : "", cfg->sinks[i].name);
        wt_cfg_set_str(c, &s->txn_id, v);
    }
    bool idem_off =
        idem && (strcmp(idem, "false") == 0 || strcmp(idem, "0") == 0 || strcmp(idem, "f") == 0);
    if (acks && strcmp(acks, "all") != 0 && strcmp(acks, "-1") != 0 && !idem_off) {
        snprintf(kp, sizeof(kp), "sinks[%zu].properties.acks", i);
        wt_cfg_error(c, kp,
                     "\"%s\" needs \"enable.idempotence\": false (idempotence, on by default, "
                     "needs acks all)",
                     acks);
    }
    if (s->message != WT_KAFKA_MESSAGE_BATCH || wt_cfg_failed(c, &cfg->batch.max_bytes))
        return;
    uint64_t max = 1000000; /* librdkafka's default message.max.bytes */
    for (size_t j = 0; j < s->nproperties; j++) {
        const char *v = s->properties[j].value;
        if (strcmp(s->properties[j].name, "message.max.bytes") == 0)
            wt_str_to_u64((struct wt_str){v, strlen(v)}, &max);
    }
    if ((uint64_t)cfg->batch.max_bytes + 2048 > max) {
        char bm[32];
        wt_cfg_fmt_size(cfg->batch.max_bytes, bm, sizeof(bm));
        snprintf(kp, sizeof(kp), "sinks[%zu].message", i);
        wt_cfg_error(c, kp,
                     "\"batch\" needs batch.max_bytes (%s) + 2KiB within message.max.bytes (%llu): "
                     "lower batch.max_bytes or raise message.max.bytes in properties",
                     bm, (unsigned long long)max);
    }
}

/* txn_id is derived, not a key: the engine does not free it. */
static void kafka_free_opts(void *opts)
{
    struct wt_kafka_opts *s = opts;
    wt_free(s->txn_id);
    s->txn_id = NULL;
}

const struct wt_sink_type wt_sink_kafka_type = {
    .name = "kafka",
    .keys = &kafka_keys,
    .check = kafka_check,
    .free_opts = kafka_free_opts,
    .ops = &wt__kafka_ops,
};
