/*
 * kafka_helpers.c - the Kafka sink's pure helpers (sink_kafka_int.h): lines
 * and keys of NDJSON events, the classing of delivery errors, and the
 * offsets-topic value. No broker, no loop: the unit tests and the fuzzer
 * call them directly.
 */
#include "wt_common.h"
#include "sink_kafka_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Pure helpers (sink_kafka_int.h)                                          */
/* ------------------------------------------------------------------------ */

bool wt__kafka_next_line(const char **pp, const char *end, struct wt_str *line)
{
    const char *p = *pp;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        if (stop > p) {
            *line = (struct wt_str){p, (size_t)(stop - p)};
            *pp = nl ? nl + 1 : end;
            return true;
        }
        p = stop + 1; /* an empty line */
    }
    *pp = end;
    return false;
}

bool wt__kafka_json_str(struct wt_str line, const char *pat, struct wt_str *out)
{
    size_t plen = strlen(pat);
    const char *m = memmem(line.p, line.len, pat, plen);
    if (!m)
        return false;
    const char *v = m + plen, *end = line.p + line.len, *q = v;
    while (q < end && *q != '"')
        q += *q == '\\' ? 2 : 1;
    if (q >= end)
        return false;
    *out = (struct wt_str){v, (size_t)(q - v)};
    return true;
}

bool wt__kafka_event_key(struct wt_str line, enum wt_kafka_key rule, struct wt_str *key)
{
    static const char obs[] = "\"observables\":[{\"type\":\"";
    struct wt_str type;

    switch (rule) {
    case WT_KAFKA_KEY_OBSERVABLE:
        /* The type string, then its value: {"type":"ip","value":"..."}. */
        if (!wt__kafka_json_str(line, obs, &type))
            return false;
        line.len -= (size_t)(type.p + type.len - line.p);
        line.p = type.p + type.len;
        if (line.len < 11 || memcmp(line.p, "\",\"value\":\"", 11) != 0)
            return false;
        return wt__kafka_json_str(line, "\",\"value\":\"", key);
    case WT_KAFKA_KEY_CLIENT_IP:
        return wt__kafka_json_str(line, "\"client_ip\":\"", key);
    case WT_KAFKA_KEY_NONE:
        break;
    }
    return false;
}

bool wt__kafka_err_permanent(rd_kafka_resp_err_t err)
{
    switch (err) {
    /* librdkafka gave up or was told to: the bytes were never refused. */
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR__RETRY:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__FAIL:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__NODE_UPDATE:
    case RD_KAFKA_RESP_ERR__INCONSISTENT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    /* Retriable broker errors, seen when a user limited the retries. */
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
    case RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        return false;
    default:
        /* MSG_SIZE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED, UNKNOWN_TOPIC_OR_PART,
         * __UNKNOWN_TOPIC, INVALID_RECORD, POLICY_VIOLATION, ... */
        return true;
    }
}

size_t wt__kafka_offsets_value(char *buf, size_t cap, uint64_t seq, uint64_t seg, uint64_t off,
                               const char *txn, uint64_t prev)
{
    int n = snprintf(buf, cap,
                     "{\"v\":1,\"seq\":%" PRIu64 ",\"segment\":%" PRIu64 ",\"offset\":%" PRIu64
                     ",\"txn\":\"%s\",\"prev\":%" PRIu64 "}",
                     seq, seg, off, txn, prev);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

bool wt__kafka_offsets_parse(const char *p, size_t len, uint64_t *seq)
{
    static const char pre[] = "{\"v\":1,\"seq\":";
    const size_t plen = sizeof(pre) - 1;
    if (len <= plen || memcmp(p, pre, plen) != 0)
        return false;
    size_t i = plen, n = 0;
    while (i + n < len && p[i + n] >= '0' && p[i + n] <= '9')
        n++;
    return n > 0 && i + n < len && wt_str_to_u64((struct wt_str){p + i, n}, seq) == 0;
}
