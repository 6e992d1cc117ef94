/*
 * kafka_conf.h - what the Kafka sink and the Kafka input share: the checks
 * of their `brokers`, `topic` and `properties` keys, and setting one
 * librdkafka property with its message as the error.
 */
#ifndef WT_KAFKA_CONF_H
#define WT_KAFKA_CONF_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>

/** A comma-separated host:port list: not empty, no spaces or control bytes. */
bool wt_kafka_check_brokers(const char *v);
/** Kafka's own rule for topic names (1..249 of a-z A-Z 0-9 . _ -, not "." or ".."). */
bool wt_kafka_check_topic(const char *v);
/**
 * librdkafka judges name = value on a scratch configuration; names in
 * reserved (NULL-terminated: set by other keys) are refused with "set by
 * \"<what>\"" from reserved_by (same index). The reason goes to msg.
 */
bool wt_kafka_check_property(const char *name, const char *value, char *msg, size_t cap,
                             const char *const *reserved, const char *const *reserved_by);
/** rd_kafka_conf_set() with its message in err. @returns 0 or WT_ECONFIG. */
int wt_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                      size_t errlen);

#endif /* WT_KAFKA_CONF_H */
