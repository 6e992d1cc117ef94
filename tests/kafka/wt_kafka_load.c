/*
 * wt_kafka_load.c - wt-kafka-load: load for the Kafka input's tests and
 * benchmark (tests/integration/test_kafka_input.sh, bench/bench_kafka_input.sh).
 *
 *   wt-kafka-load produce --bootstrap B --topic T --file F [--repeat N]
 *       every non-empty line of F (N times over, default 1) as one message,
 *       keyed by its number (the partitioner spreads them evenly: the mock
 *       cluster keeps only the last 5 MiB of a partition); waits for every
 *       delivery report; prints "produced=N failed=N".
 *
 *   wt-kafka-load consume --bootstrap B --topic T --group G --count N
 *                 [--timeout S]
 *       the baseline: a plain high-level consumer that only counts messages
 *       (auto commit, as librdkafka does by default) until it has N; prints
 *       "messages=N seconds=S cpu_seconds=C" (CPU of this process, user +
 *       system). Exit 1 when the timeout (default 120 s) runs out first.
 */
#include <librdkafka/rdkafka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static unsigned long long delivered, failed;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        failed++;
    else
        delivered++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *boot, const char *group)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", boot, err, sizeof(err)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "wt-kafka-load: %s\n", err);
        exit(2);
    }
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof(err));
        rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof(err));
        rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    } else {
        rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof(err));
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "wt-kafka-load: %s\n", err);
        exit(2);
    }
    return rk;
}

static int produce(const char *boot, const char *topic, const char *file, long repeat)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        perror(file);
        return 2;
    }
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, boot, NULL);
    char *line = NULL;
    size_t cap = 0;
    unsigned long long n = 0;
    for (long r = 0; r < repeat; r++) {
        rewind(f);
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
            while (len > 0 && line[len - 1] == '\n')
                len--;
            if (len == 0)
                continue;
            char key[24];
            int klen = snprintf(key, sizeof(key), "%llu", n);
            for (;;) {
                rd_kafka_resp_err_t e = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)klen),
                    RD_KAFKA_V_VALUE(line, (size_t)len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_END);
                if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                    rd_kafka_poll(rk, 10);
                    continue;
                }
                if (e) {
                    fprintf(stderr, "wt-kafka-load: produce: %s\n", rd_kafka_err2str(e));
                    return 1;
                }
                break;
            }
            n++;
            rd_kafka_poll(rk, 0);
        }
    }
    while (rd_kafka_outq_len(rk) > 0)
        rd_kafka_poll(rk, 50);
    printf("produced=%llu failed=%llu\n", delivered, failed);
    free(line);
    fclose(f);
    rd_kafka_destroy(rk);
    return failed || delivered != n ? 1 : 0;
}

static int consume(const char *boot, const char *topic, const char *group, long count, long timeout)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, boot, group);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    long n = 0;
    double t0 = 0, c0 = 0, end = now_s() + (double)timeout;
    while (n < count && now_s() < end) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err) {
            if (n++ == 0) { /* from the first message: group join is not the work */
                t0 = now_s();
                c0 = cpu_s();
            }
        }
        rd_kafka_message_destroy(m);
    }
    printf("messages=%ld seconds=%.3f cpu_seconds=%.3f\n", n, now_s() - t0, cpu_s() - c0);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n >= count ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *boot = NULL, *topic = NULL, *file = NULL, *group = "wt-kafka-load";
    long repeat = 1, count = 0, timeout = 120;
    if (argc < 2) {
        fprintf(stderr, "usage: wt-kafka-load produce|consume OPTIONS (see the source)\n");
        return 2;
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bootstrap") == 0)
            boot = argv[i + 1];
        else if (strcmp(argv[i], "--topic") == 0)
            topic = argv[i + 1];
        else if (strcmp(argv[i], "--file") == 0)
            file = argv[i + 1];
        else if (strcmp(argv[i], "--group") == 0)
            group = argv[i + 1];
        else if (strcmp(argv[i], "--repeat") == 0)
            repeat = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--count") == 0)
            count = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = strtol(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "wt-kafka-load: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!boot || !topic) {
        fprintf(stderr, "wt-kafka-load: --bootstrap and --topic are required\n");
        return 2;
    }
    if (strcmp(argv[1], "produce") == 0 && file)
        return produce(boot, topic, file, repeat);
    if (strcmp(argv[1], "consume") == 0 && count > 0)
        return consume(boot, topic, group, count, timeout);
    fprintf(stderr, "wt-kafka-load: produce needs --file, consume needs --count\n");
    return 2;
}
