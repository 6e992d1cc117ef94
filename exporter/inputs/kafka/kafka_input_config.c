/*
 * kafka_input_config.c - the Kafka input's keys, its rules across keys, and
 * its entry in the input registry (input_type.c).
 */
#include "kafka_conf.h"
#include "kafka_input_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static_assert(WT_KIN_INFLIGHT_MIN <= WT_KIN_INFLIGHT_DEFAULT &&
                  WT_KIN_INFLIGHT_DEFAULT <= WT_KIN_INFLIGHT_LIMIT,
              "kafka input max_in_flight");
static_assert(WT_KIN_COMMIT_MIN_MS <= WT_KIN_COMMIT_DEFAULT_MS &&
                  WT_KIN_COMMIT_DEFAULT_MS <= WT_KIN_COMMIT_MAX_MS,
              "kafka input commit_interval");
static_assert(WT_KIN_UNREACH_MIN_MS <= WT_KIN_UNREACH_DEFAULT_MS &&
                  WT_KIN_UNREACH_DEFAULT_MS <= WT_KIN_UNREACH_MAX_MS,
              "kafka input unreachable_timeout");
static_assert(WT_KIN_PARTITIONS_DEFAULT <= WT_KIN_PARTITIONS_LIMIT, "kafka input partitions");

#define KINO(m) offsetof(struct wt_kin_opts, m)

static bool check_topics(const char *v)
{
    char buf[WT_KIN_MAX_TOPICS * 250];
    const char *names[WT_KIN_MAX_TOPICS];
    size_t n = wt__kin_topics(v, buf, sizeof(buf), names, WT_KIN_MAX_TOPICS);
    for (size_t i = 0; i < n; i++) {
        if (names[i][0] == '^') {
            /* A pattern (librdkafka's regex subscription): checked at start. */
            for (const char *q = names[i]; *q; q++) {
                if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f)
                    return false;
            }
            if (names[i][1] == '\0' || strlen(names[i]) > 249)
                return false;
        } else if (!wt_kafka_check_topic(names[i])) {
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(names[i], names[j]) == 0)
                return false;
        }
    }
    return n > 0;
}

static bool check_group(const char *v)
{
    return v[0] != '\0' && strlen(v) <= 255;
}

static bool check_consumer_property(const char *name, const char *value, char *msg, size_t cap)
{
    /* The commit-after-ack rule is the input's: librdkafka must not commit. */
    static const char *const reserved[] = {
        "bootstrap.servers",        "metadata.broker.list", "group.id", "enable.auto.commit",
        "enable.auto.offset.store", "enable.partition.eof", NULL};
    static const char *const by[] = {"brokers",
                                     "brokers",
                                     "group",
                                     "the input (commits after acks)",
                                     "the input (commits after acks)",
                                     "the input"};
    return wt_kafka_check_property(name, value, msg, cap, reserved, by);
}

static const struct wt_cfg_key kin_key_table[] = {
    {.name = "brokers",
     .type = K_STR,
     .store = S_STR,
     .off = KINO(brokers),
     .flags = F_REQUIRED,
     .check = wt_kafka_check_brokers,
     .want = "a comma-separated list of host:port without spaces",
     .doc = "Bootstrap brokers (librdkafka bootstrap.servers).",
     .example = "\"kafka1.example.com:9092,kafka2.example.com:9092\""},
    {.name = "topic",
     .type = K_STR,
     .store = S_STR,
     .off = KINO(topic),
     .flags = F_REQUIRED | F_LIST,
     .check = check_topics,
     .want = "1 to 16 distinct topic names or ^patterns, separated by commas or as an array (a "
             "name: 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" and \"-\")",
     .doc = "Topic to consume, or several (an array, or one string separated by commas); one "
            "starting with ^ is a regular "
            "expression (every matching topic, e.g. \"^wsa-.*\"; no comma in it). Partitions "
            "added later, and topics created later that match a pattern, are picked up at the "
            "next metadata refresh (topic.metadata.refresh.interval.ms).",
     .example = "\"wtexport-events\""},
    {.name = "group",
     .type = K_STR,
     .store = S_STR,
     .off = KINO(group),
     .flags = F_REQUIRED,
     .check = check_group,
     .want = "a consumer group id of 1 to 255 bytes",
     .doc = "Consumer group (group.id): the shippers of one group share the topic's "
            "partitions; each partition is read by one of them at a time.",
     .example = "\"wtexport-shippers\""},
    {.name = "properties",
     .type = K_MAP,
     .off = KINO(properties),
     .count_off = KINO(nproperties),
     .max = WT_KIN_MAX_PROPERTIES,
     .check_pair = check_consumer_property,
     .def_doc = "`{\"auto.offset.reset\": \"earliest\", \"isolation.level\": "
                "\"read_committed\"}`",
     .want = "librdkafka consumer properties",
     .doc = "librdkafka properties passed through as they are (security.protocol, sasl.*, "
            "ssl.*, session.timeout.ms, partition.assignment.strategy, ...); librdkafka "
            "checks each one. bootstrap.servers and group.id come from brokers and group; "
            "offsets are committed by the input only after acks, so enable.auto.commit and "
            "enable.auto.offset.store cannot be set.",
     .example = "{\"security.protocol\": \"SASL_SSL\", \"session.timeout.ms\": 10000}"},
    {.name = "max_in_flight",
     .type = K_INT,
     .store = S_SIZE,
     .off = KINO(max_in_flight),
     .min = WT_KIN_INFLIGHT_MIN,
     .max = WT_KIN_INFLIGHT_LIMIT,
     .def = WT_KIN_INFLIGHT_DEFAULT,
     .doc = "Messages consumed and not yet acked by every sink, at most (40 bytes each); at "
            "the limit the input pauses its partitions until acks come. After a crash or a "
            "rebalance, at most this many messages (plus what commit_interval leaves "
            "uncommitted) are read again.",
     .example = "20000"},
    {.name = "max_partitions",
     .type = K_INT,
     .store = S_INT,
     .off = KINO(max_partitions),
     .min = 1,
     .max = WT_KIN_PARTITIONS_LIMIT,
     .def = WT_KIN_PARTITIONS_DEFAULT,
     .doc = "Distinct partitions this input may be assigned over its life; beyond, an "
            "assignment is refused and logged (the input reports failing).",
     .example = "4096"},
    {.name = "commit_interval",
     .type = K_DUR,
     .store = S_I64,
     .off = KINO(commit_interval_ms),
     .min = WT_KIN_COMMIT_MIN_MS,
     .max = WT_KIN_COMMIT_MAX_MS,
     .def = WT_KIN_COMMIT_DEFAULT_MS,
     .doc = "How often acked offsets are committed (and at every rebalance and stop).",
     .example = "\"5s\""},
    {.name = "unreachable_timeout",
     .type = K_DUR,
     .store = S_I64,
     .off = KINO(unreachable_ms),
     .min = WT_KIN_UNREACH_MIN_MS,
     .max = WT_KIN_UNREACH_MAX_MS,
     .def = WT_KIN_UNREACH_DEFAULT_MS,
     .doc = "When every broker has been unreachable for this long, /healthz reports the "
            "input failing (until a broker answers again).",
     .example = "\"5m\""},
};

static const struct wt_cfg_obj kin_keys = {
    .title = "`type: \"kafka\"`",
    .doc = "Fleet mode (docs/fleet.md): consume a Kafka topic in a consumer group. `format` "
           "event reads wtexport's own events as a kafka sink writes them (one event or one "
           "NDJSON batch per message, shipped as they are); squid, w3c or auto read raw "
           "access-log lines (one or more per message). A message's offset is committed once "
           "every sink has acked its events. A reload does not change a running consumer: "
           "restart to change these keys.",
    .keys = kin_key_table,
    .nkeys = WT_CFG_NKEYS(kin_key_table),
    .size = sizeof(struct wt_kin_opts),
};

/* One consumer per group and topic list in a config. */
static void kin_check(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i)
{
    const struct wt_kin_opts *o = cfg->inputs[i].opts;
    char kp[WT_CFG_PATH_MAX];
    if (!o->group || !o->topic || !o->brokers)
        return;
    for (size_t j = 0; j < i; j++) {
        const struct wt_kin_opts *oj = cfg->inputs[j].opts;
        if (cfg->inputs[j].type == cfg->inputs[i].type && oj && oj->group && oj->topic &&
            oj->brokers && strcmp(oj->group, o->group) == 0 &&
            strcmp(oj->brokers, o->brokers) == 0) {
            snprintf(kp, sizeof(kp), "inputs[%zu].group", i);
            wt_cfg_error(c, kp, "same as inputs[%zu].group on the same brokers", j);
            break;
        }
    }
}

const struct wt_input_type wt_input_kafka_type = {
    .name = "kafka",
    .keys = &kin_keys,
    .check = kin_check,
    .ops = &wt__kin_ops,
    .spool_optional = true, /* Kafka is the buffer: offsets commit after every sink acked */
};
