/*
 * kafka_conf.c - the checks the Kafka sink and input share (kafka_conf.h).
 */
#include "kafka_conf.h"
#include "wt_common.h"

#include <stdio.h>
#include <string.h>

bool wt_kafka_check_brokers(const char *v)
{
    if (v[0] == '\0')
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

bool wt_kafka_check_topic(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 249 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
        return false;
    return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

bool wt_kafka_check_property(const char *name, const char *value, char *msg, size_t cap,
                             const char *const *reserved, const char *const *reserved_by)
{
    for (size_t i = 0; reserved && reserved[i]; i++) {
        if (strcmp(name, reserved[i]) == 0) {
            snprintf(msg, cap, "set by \"%s\"", reserved_by[i]);
            return false;
        }
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

int wt_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                      size_t errlen)
{
    char msg[512];
    if (rd_kafka_conf_set(conf, name, value, msg, sizeof(msg)) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "%s", msg);
        return WT_ECONFIG;
    }
    return 0;
}
