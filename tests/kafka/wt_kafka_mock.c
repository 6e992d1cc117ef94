/*
 * wt_kafka_mock.c - wt-kafka-mock: a Kafka cluster for tests and benchmarks,
 * librdkafka's mock cluster (rdkafka_mock.h) in this process, reachable over
 * TCP like a real one.
 *
 *   wt-kafka-mock [--brokers N] [--topic T] [--partitions P]
 *                 [--replication R] [--bootstrap-file FILE]
 *
 * Starts N brokers (default 3, ids 1..N), creates topic T (default
 * "wtexport") with P partitions (default 6) and replication R (default N),
 * prints the bootstrap servers as the first line of stdout (and writes them
 * to FILE, atomically, once the cluster is up), then reads one command per
 * line on stdin and answers each with one line, "ok ..." or "error: ...":
 *
 *   err APIKEY N CODE    the next N requests of APIKEY fail with CODE
 *                        (APIKEY: PRODUCE, METADATA, INIT_PRODUCER_ID, ... or a
 *                        number; CODE: NOT_LEADER_FOR_PARTITION, _TRANSPORT,
 *                        MSG_SIZE_TOO_LARGE, ... or a number)
 *   down ID | up ID      take broker ID (-1: all) down / back up
 *   rtt ID MS            delay broker ID's responses by MS
 *   leader TOPIC P ID    move partition P's leadership to broker ID
 *   topic NAME P         create another topic with P partitions
 *   quit                 (or end of input) stop
 *
 * Data lives in memory; each partition keeps its last 5 MiB (librdkafka's
 * mock log limit).
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct apikey {
    const char *name;
    int16_t key;
};

static const struct apikey apikeys[] = {
    {"PRODUCE", 0},
    {"FETCH", 1},
    {"LIST_OFFSETS", 2},
    {"METADATA", 3},
    {"OFFSET_COMMIT", 8},
    {"OFFSET_FETCH", 9},
    {"FIND_COORDINATOR", 10},
    {"JOIN_GROUP", 11},
    {"HEARTBEAT", 12},
    {"SYNC_GROUP", 14},
    {"API_VERSIONS", 18},
    {"INIT_PRODUCER_ID", 22},
    {NULL, 0},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: wt-kafka-mock [--brokers N] [--topic T] [--partitions P] "
                 "[--replication R] [--bootstrap-file FILE]\n");
}

static bool parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_apikey(const char *s, int16_t *out)
{
    long v;
    for (const struct apikey *a = apikeys; a->name; a++) {
        if (strcasecmp(s, a->name) == 0) {
            *out = a->key;
            return true;
        }
    }
    if (!parse_int(s, 0, 100, &v))
        return false;
    *out = (int16_t)v;
    return true;
}

/* An error by its librdkafka name (with or without RD_KAFKA_RESP_ERR_) or number. */
static bool parse_err(const char *s, rd_kafka_resp_err_t *out)
{
    const struct rd_kafka_err_desc *descs;
    size_t n;
    long v;
    if (strncmp(s, "RD_KAFKA_RESP_ERR_", 18) == 0)
        s += 18;
    rd_kafka_get_err_descs(&descs, &n);
    for (size_t i = 0; i < n; i++) {
        if (descs[i].name && strcasecmp(descs[i].name, s) == 0) {
            *out = descs[i].code;
            return true;
        }
    }
    if (!parse_int(s, -200, 1000, &v))
        return false;
    *out = (rd_kafka_resp_err_t)v;
    return true;
}

static int write_bootstrap(const char *path, const char *servers)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", servers);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

/* Run one command line; false on quit. */
static bool command(rd_kafka_mock_cluster_t *mc, char *line)
{
    char *argv[8];
    int argc = 0;
    long a, b, c;
    for (char *tok = strtok(line, " \t\r\n"); tok && argc < 8; tok = strtok(NULL, " \t\r\n"))
        argv[argc++] = tok;
    if (argc == 0)
        return true;
    const char *cmd = argv[0];
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (strcmp(cmd, "quit") == 0) {
        printf("ok quit\n");
        return false;
    } else if (strcmp(cmd, "err") == 0 && argc == 4) {
        int16_t key;
        rd_kafka_resp_err_t code;
        if (!parse_apikey(argv[1], &key) || !parse_int(argv[2], 1, 100000, &a) ||
            !parse_err(argv[3], &code)) {
            printf("error: usage: err APIKEY N CODE\n");
            return true;
        }
        rd_kafka_resp_err_t *codes = malloc(sizeof(*codes) * (size_t)a);
        if (!codes) {
            printf("error: out of memory\n");
            return true;
        }
        for (long i = 0; i < a; i++)
            codes[i] = code;
        rd_kafka_mock_push_request_errors_array(mc, key, (size_t)a, codes);
        free(codes);
        printf("ok err %s x%ld %s\n", argv[1], a, rd_kafka_err2name(code));
        return true;
    } else if ((strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0) && argc == 2 &&
               parse_int(argv[1], -1, 1000, &a)) {
        err = cmd[0] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)a)
                            : rd_kafka_mock_broker_set_up(mc, (int32_t)a);
    } else if (strcmp(cmd, "rtt") == 0 && argc == 3 && parse_int(argv[1], -1, 1000, &a) &&
               parse_int(argv[2], 0, 600000, &b)) {
        err = rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b);
    } else if (strcmp(cmd, "leader") == 0 && argc == 4 && parse_int(argv[2], 0, 100000, &b) &&
               parse_int(argv[3], -1, 1000, &c)) {
        err = rd_kafka_mock_partition_set_leader(mc, argv[1], (int32_t)b, (int32_t)c);
    } else if (strcmp(cmd, "topic") == 0 && argc == 3 && parse_int(argv[2], 1, 10000, &b)) {
        err = rd_kafka_mock_topic_create(mc, argv[1], (int)b, 1);
    } else {
        printf("error: unknown command or arguments: %s\n", cmd);
        return true;
    }
    if (err)
        printf("error: %s: %s\n", cmd, rd_kafka_err2str(err));
    else
        printf("ok %s\n", cmd);
    return true;
}

int main(int argc, char **argv)
{
    long nbrokers = 3, partitions = 6, replication = -1;
    const char *topic = "wtexport", *bootstrap_file = NULL;
    char errstr[512], line[1024];

    /* Options come in pairs: OPTION VALUE. */
    for (int i = 1; i < argc; i += 2) {
        const char *opt = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = val != NULL;
        if (strcmp(opt, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(opt, "--brokers") == 0) {
            ok = ok && parse_int(val, 1, 64, &nbrokers);
        } else if (strcmp(opt, "--partitions") == 0) {
            ok = ok && parse_int(val, 1, 10000, &partitions);
        } else if (strcmp(opt, "--replication") == 0) {
            ok = ok && parse_int(val, 1, 64, &replication);
        } else if (strcmp(opt, "--topic") == 0) {
            topic = val;
        } else if (strcmp(opt, "--bootstrap-file") == 0) {
            bootstrap_file = val;
        } else {
            ok = false;
        }
        if (!ok) {
            usage(stderr);
            return 2;
        }
    }
    if (replication < 0 || replication > nbrokers)
        replication = nbrokers;
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* The mock cluster lives in the background threads of a client handle. */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "wt-kafka-mock: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, (int)nbrokers);
    if (!mc) {
        fprintf(stderr, "wt-kafka-mock: cannot create the mock cluster\n");
        return 1;
    }
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(mc, topic, (int)partitions, (int)replication);
    if (err) {
        fprintf(stderr, "wt-kafka-mock: topic %s: %s\n", topic, rd_kafka_err2str(err));
        return 1;
    }
    const char *servers = rd_kafka_mock_cluster_bootstraps(mc);
    printf("%s\n", servers);
    if (bootstrap_file && write_bootstrap(bootstrap_file, servers) != 0) {
        fprintf(stderr, "wt-kafka-mock: %s: %s\n", bootstrap_file, strerror(errno));
        return 1;
    }
    fprintf(stderr,
            "wt-kafka-mock: %ld brokers at %s, topic %s (%ld partitions, replication %ld)\n",
            nbrokers, servers, topic, partitions, replication);

    while (fgets(line, sizeof(line), stdin)) {
        if (!command(mc, line))
            break;
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
