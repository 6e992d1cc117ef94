/*
 * test_config.c - the configuration decoder: defaults, every key's type and
 * range errors, unknown / duplicate / missing keys, errors reported together,
 * invalid JSON, the duration and size parsers, the example file, the
 * generated reference (docs/config.md) and the check-config command.
 */
#include "config.h"
#include "input_file.h"
#include "input_type.h"
#include "kafka_input_int.h"
#include "file_int.h"
#include "log.h"
#include "sink.h"
#include "sink_kafka_int.h"
#include "sse_int.h"
#include "ctia_int.h"
#include "wt_exporter.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* The options of a sink entry, by type. */
#define FILEO(sc)  ((const struct wt_file_opts *)(sc).opts)
#define KAFKAO(sc) ((const struct wt_kafka_opts *)(sc).opts)
#define SSEO(sc)   ((const struct wt_sse_opts *)(sc).opts)
#define CTIAO(sc)  ((const struct wt_ctia_opts *)(sc).opts)

#define DOCS_CONFIG_MD WT_TEST_DATA_DIR "/../../docs/config.md"
#define EXAMPLE_JSON   WT_TEST_DATA_DIR "/../../deploy/wtexport.example.json"

/* Large: keep them off the stack. */
static struct wt_config cfg;
static struct wt_config_errors errs;

static int parse(const char *json)
{
    return wt_config_parse(json, strlen(json), &cfg, &errs);
}

/*
 * A minimal valid document with members spliced in: at the top level, into
 * inputs[0] and into sinks[0] (each may be NULL).
 */
static const char *doc(const char *top, const char *in, const char *sink)
{
    static char buf[16384];
    snprintf(buf, sizeof(buf),
             "{\"state_dir\": \"/var/lib/wt\",\n"
             " \"inputs\": [{\"path\": \"/var/log/a*.log\"%s%s}],\n"
             " \"sinks\": [{\"type\": \"file\", \"path\": \"/out/e.zst\"%s%s}]%s%s}\n",
             in ? ", " : "", in ? in : "", sink ? ", " : "", sink ? sink : "", top ? ",\n " : "",
             top ? top : "");
    return buf;
}

static void dump_errors(const char *json)
{
    print_message("document:\n%s\nerrors (%u, dropped %u):\n", json, errs.n, errs.dropped);
    for (unsigned i = 0; i < errs.n; i++)
        print_message("  %s\n", errs.msg[i]);
}

/* json is valid; cfg is freed afterwards. */
static void check_valid(const char *json)
{
    if (parse(json) != 0) {
        dump_errors(json);
        fail_msg("expected a valid config");
    }
    wt_config_free(&cfg);
}

/* json has exactly the errors msgs[0..n), in order. */
static void check_errors(const char *json, const char *const *msgs, unsigned n)
{
    int rc = parse(json);
    bool same = rc == WT_ECONFIG && errs.n == n && errs.dropped == 0;
    for (unsigned i = 0; same && i < n; i++)
        same = strcmp(errs.msg[i], msgs[i]) == 0;
    if (!same) {
        dump_errors(json);
        print_message("expected (%u):\n", n);
        for (unsigned i = 0; i < n; i++)
            print_message("  %s\n", msgs[i]);
        fail_msg("errors differ");
    }
    /* On failure the config owns nothing. */
    assert_null(cfg.state_dir);
    assert_null(cfg.inputs[0].opts);
    assert_null(cfg.sinks[0].opts);
    assert_int_equal(cfg.ninputs, 0);
}

static void check_error(const char *json, const char *msg)
{
    check_errors(json, &msg, 1);
}

struct err_case {
    const char *top, *in, *sink; /* spliced into doc() */
    const char *msg;             /* NULL: valid */
};

static void run_cases(const struct err_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct err_case *t = &cases[i];
        const char *json = doc(t->top, t->in, t->sink);
        if (t->msg)
            check_error(json, t->msg);
        else
            check_valid(json);
    }
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Defaults and values                                                      */
/* ------------------------------------------------------------------------ */

static void test_defaults_minimal(void **state)
{
    (void)state;
    char host[256] = "";
    assert_int_equal(gethostname(host, sizeof(host) - 1), 0);

    assert_int_equal(parse(doc(NULL, NULL, NULL)), 0);
    assert_int_equal(errs.n, 0);
    assert_string_equal(cfg.state_dir, "/var/lib/wt");
    assert_string_equal(cfg.host, host);
    assert_int_equal(cfg.retention_ms, WT_RETENTION_DEFAULT_MS);
    assert_int_equal(cfg.retention_ms, 2 * 86400 * 1000LL);
    assert_int_equal(cfg.scan_interval_ms, 10000);
    assert_int_equal(cfg.ninputs, 1);
    assert_string_equal(wt_input_file_path(&cfg.inputs[0]), "/var/log/a*.log");
    assert_int_equal(cfg.inputs[0].format, WT_FORMAT_AUTO);
    assert_false(wt_input_file_read_from_end(&cfg.inputs[0]));
    assert_null(cfg.inputs[0].fields);
    assert_int_equal(cfg.inputs[0].max_line, 64 * 1024);
    assert_int_equal(cfg.batch.max_events, 5000);
    assert_int_equal(cfg.batch.max_bytes, 1024 * 1024);
    assert_int_equal(cfg.batch.linger_ms, 1000);
    assert_int_equal(cfg.queue.max_bytes, 64 * 1024 * 1024);
    assert_false(cfg.privacy.strip_query);
    assert_false(cfg.privacy.export_user);
    assert_int_equal(cfg.nsinks, 1);
    assert_ptr_equal(cfg.sinks[0].type, &wt_sink_file_type);
    assert_string_equal(cfg.sinks[0].name, "file0");
    assert_string_equal(FILEO(cfg.sinks[0])->path, "/out/e.zst");
    assert_true(FILEO(cfg.sinks[0])->compress);
    assert_int_equal(FILEO(cfg.sinks[0])->level, 3);
    assert_true(FILEO(cfg.sinks[0])->fsync);
    assert_string_equal(cfg.metrics.listen, "127.0.0.1:9464");
    assert_int_equal(cfg.log.level, WT_LOG_INFO);
    assert_false(cfg.log.json);
    assert_int_equal(cfg.drain_timeout_ms, 10000);
    wt_config_free(&cfg);
    assert_null(cfg.state_dir);
    assert_null(cfg.sinks[0].name);
    wt_config_free(&cfg); /* twice is fine */
    wt_config_free(NULL);
}

static void test_every_key_set(void **state)
{
    (void)state;
    const char *json =
        "{\"state_dir\": \"/s\", \"host\": \"proxy1.example.com\", \"retention\": \"7d\",\n"
        " \"scan_interval\": 0.5,\n"
        " \"inputs\": [{\"path\": \"/l/a.log\", \"format\": \"w3c\", \"read_from\": \"end\",\n"
        "             \"fields\": \"timestamp c-ip cs-url\", \"max_line\": 1024},\n"
        "            {\"path\": \"/l/b.log\", \"format\": \"squid\", \"max_line\": \"64KiB\"}],\n"
        " \"batch\": {\"max_events\": 1000000, \"max_bytes\": \"64KiB\", \"linger\": \"250ms\"},\n"
        " \"queue\": {\"max_bytes\": \"4GiB\"},\n"
        " \"privacy\": {\"strip_query\": true, \"export_user\": true},\n"
        " \"sinks\": [{\"type\": \"file\", \"name\": \"archive\", \"path\": \"-\",\n"
        "            \"compress\": \"none\", \"level\": 19, \"fsync\": false},\n"
        "           {\"type\": \"file\", \"path\": \"/o/x.zst\", \"level\": 1}],\n"
        " \"metrics\": {\"listen\": \"[::1]:9464\"},\n"
        " \"log\": {\"level\": \"debug\", \"format\": \"json\"},\n"
        " \"shutdown\": {\"drain_timeout\": \"5m\"}}";
    if (parse(json) != 0) {
        dump_errors(json);
        fail();
    }
    assert_string_equal(cfg.host, "proxy1.example.com");
    assert_int_equal(cfg.retention_ms, 7 * 86400 * 1000LL);
    assert_int_equal(cfg.scan_interval_ms, 500);
    assert_int_equal(cfg.ninputs, 2);
    assert_int_equal(cfg.inputs[0].format, WT_FORMAT_W3C);
    assert_true(wt_input_file_read_from_end(&cfg.inputs[0]));
    assert_string_equal(cfg.inputs[0].fields, "timestamp c-ip cs-url");
    assert_int_equal(cfg.inputs[0].max_line, 1024);
    assert_int_equal(cfg.inputs[1].format, WT_FORMAT_SQUID);
    assert_false(wt_input_file_read_from_end(&cfg.inputs[1]));
    assert_int_equal(cfg.inputs[1].max_line, 64 * 1024);
    assert_int_equal(cfg.batch.max_events, 1000000);
    assert_int_equal(cfg.batch.max_bytes, 64 * 1024);
    assert_int_equal(cfg.batch.linger_ms, 250);
    assert_int_equal(cfg.queue.max_bytes, 4ULL * 1024 * 1024 * 1024);
    assert_true(cfg.privacy.strip_query);
    assert_true(cfg.privacy.export_user);
    assert_int_equal(cfg.nsinks, 2);
    assert_string_equal(cfg.sinks[0].name, "archive");
    assert_string_equal(FILEO(cfg.sinks[0])->path, "-");
    assert_false(FILEO(cfg.sinks[0])->compress);
    assert_int_equal(FILEO(cfg.sinks[0])->level, 19);
    assert_false(FILEO(cfg.sinks[0])->fsync);
    assert_string_equal(cfg.sinks[1].name, "file1");
    assert_int_equal(FILEO(cfg.sinks[1])->level, 1);
    assert_true(FILEO(cfg.sinks[1])->compress);
    assert_string_equal(cfg.metrics.listen, "[::1]:9464");
    assert_int_equal(cfg.log.level, WT_LOG_DEBUG);
    assert_true(cfg.log.json);
    assert_int_equal(cfg.drain_timeout_ms, 300000);
    wt_config_free(&cfg);
}

/* ------------------------------------------------------------------------ */
/* Type and range errors                                                    */
/* ------------------------------------------------------------------------ */

#define E_RETENTION "retention: must be a duration from 1h to 30d (e.g. \"2d\")"
#define E_SCAN      "scan_interval: must be a duration from 100ms to 1h (e.g. \"10s\")"
#define E_THREADS   "threads: must be an integer from 0 to 64"
#define E_MAX_LINE                                                                                 \
    "inputs[0].max_line: must be a size from 256B to 16MiB (e.g. \"64KiB\"; units B, KiB, MiB, "   \
    "GiB, not KB, MB, GB)"
#define E_MAX_EVENTS "batch.max_events: must be an integer from 1 to 1000000"
#define E_BATCH_BYTES                                                                              \
    "batch.max_bytes: must be a size from 64KiB to 64MiB (e.g. \"1MiB\"; units B, KiB, MiB, GiB, " \
    "not KB, MB, GB)"
#define E_LINGER "batch.linger: must be a duration from 0s to 1m (e.g. \"1s\")"
#define E_QUEUE                                                                                    \
    "queue.max_bytes: must be a size from 1MiB to 4GiB (e.g. \"64MiB\"; units B, KiB, MiB, GiB, "  \
    "not KB, MB, GB)"
#define E_LEVEL "sinks[0].level: must be an integer from 1 to 19"
#define E_DRAIN "shutdown.drain_timeout: must be a duration from 0s to 5m (e.g. \"10s\")"
#define E_LISTEN                                                                                   \
    "metrics.listen: must be \"host:port\" with a port from 0 to 65535, or \"\" to disable (e.g. " \
    "\"127.0.0.1:9464\", \"[::1]:9464\")"
#define E_HOST "host: must be a host name of 1 to 255 printable characters without spaces"
#define E_FIELDS                                                                                   \
    "inputs[0].fields: must be a W3C field list of 1 to 128 names (e.g. \"timestamp c-ip "         \
    "cs-url\")"
#define E_NAME "sinks[0].name: must be 1 to 32 characters from a-z, 0-9, \"_\" and \"-\""

static void test_type_errors(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"\"host\": 5", NULL, NULL, E_HOST},
        {"\"host\": \"a b\"", NULL, NULL, E_HOST},
        {"\"host\": \"\"", NULL, NULL, E_HOST},
        {"\"retention\": true", NULL, NULL, E_RETENTION},
        {"\"retention\": null", NULL, NULL, E_RETENTION},
        {"\"scan_interval\": [1]", NULL, NULL, E_SCAN},
        {"\"batch\": 1", NULL, NULL, "batch: must be an object"},
        {"\"queue\": []", NULL, NULL, "queue: must be an object"},
        {"\"privacy\": true", NULL, NULL, "privacy: must be an object"},
        {"\"metrics\": \"x\"", NULL, NULL, "metrics: must be an object"},
        {"\"log\": null", NULL, NULL, "log: must be an object"},
        {"\"shutdown\": 10", NULL, NULL, "shutdown: must be an object"},
        {NULL, "\"format\": \"squid2\"", NULL,
         "inputs[0].format: must be \"auto\", \"squid\", \"w3c\" or \"event\""},
        {NULL, "\"format\": \"W3C\"", NULL,
         "inputs[0].format: must be \"auto\", \"squid\", \"w3c\" or \"event\""},
        {NULL, "\"read_from\": 0", NULL, "inputs[0].read_from: must be \"head\" or \"end\""},
        {NULL, "\"fields\": true", NULL, E_FIELDS},
        {NULL, "\"fields\": \"  \"", NULL, E_FIELDS},
        {NULL, "\"max_line\": \"64KB\"", NULL, E_MAX_LINE},
        {NULL, "\"max_line\": false", NULL, E_MAX_LINE},
        {NULL, "\"max_line\": 1024.5", NULL, E_MAX_LINE},
        {"\"batch\": {\"max_events\": \"5\"}", NULL, NULL, E_MAX_EVENTS},
        {"\"batch\": {\"max_events\": 1.5}", NULL, NULL, E_MAX_EVENTS},
        {"\"batch\": {\"max_bytes\": true}", NULL, NULL, E_BATCH_BYTES},
        {"\"batch\": {\"max_bytes\": \"1MB\"}", NULL, NULL, E_BATCH_BYTES},
        {"\"batch\": {\"linger\": \"1.5s\"}", NULL, NULL, E_LINGER},
        {"\"queue\": {\"max_bytes\": \"64 MiB\"}", NULL, NULL, E_QUEUE},
        {"\"privacy\": {\"strip_query\": \"true\"}", NULL, NULL,
         "privacy.strip_query: must be true or false"},
        {"\"privacy\": {\"export_user\": 1}", NULL, NULL,
         "privacy.export_user: must be true or false"},
        {NULL, NULL, "\"name\": 7", E_NAME},
        {NULL, NULL, "\"name\": \"Archive\"", E_NAME},
        {NULL, NULL, "\"name\": \"\"", E_NAME},
        {NULL, NULL, "\"name\": \"a23456789012345678901234567890123\"", E_NAME},
        {NULL, NULL, "\"compress\": true", "sinks[0].compress: must be \"zstd\" or \"none\""},
        {NULL, NULL, "\"compress\": \"gzip\"", "sinks[0].compress: must be \"zstd\" or \"none\""},
        {NULL, NULL, "\"level\": \"3\"", E_LEVEL},
        {NULL, NULL, "\"fsync\": \"yes\"", "sinks[0].fsync: must be true or false"},
        {"\"metrics\": {\"listen\": 9464}", NULL, NULL, E_LISTEN},
        {"\"log\": {\"level\": \"INFO\"}", NULL, NULL,
         "log.level: must be \"error\", \"warn\", \"info\" or \"debug\""},
        {"\"log\": {\"format\": \"JSON\"}", NULL, NULL, "log.format: must be \"text\" or \"json\""},
        {"\"shutdown\": {\"drain_timeout\": \"10\"}", NULL, NULL, E_DRAIN},
    };
    run_cases(cases, NCASES(cases));

    /* Keys that doc() already sets. */
    check_error("{\"state_dir\": 1, \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "state_dir: must be an absolute path (the daemon's working directory is no place "
                "for state)");
    check_error("{\"state_dir\": \"\", \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "state_dir: must be an absolute path (the daemon's working directory is no place "
                "for state)");
    /* A relative state_dir passed check-config and then depended on the cwd (issue 17). */
    check_error("{\"state_dir\": \"var/state\", \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "state_dir: must be an absolute path (the daemon's working directory is no place "
                "for state)");
    /* Nesting past cJSON's limit is said as such, not as a syntax error (issue 17). */
    {
        static char deep[4096];
        size_t n = (size_t)snprintf(deep, sizeof(deep), "{\"state_dir\": \"/s\", \"x\": ");
        for (int i = 0; i < 1001; i++)
            deep[n++] = '[';
        for (int i = 0; i < 1001; i++)
            deep[n++] = ']';
        memcpy(deep + n, "}", 2);
        check_error(deep, "invalid JSON at line 1, column 1025 (byte 1024): too deeply nested "
                          "(more than 1000 levels of [ and {)");
    }
    check_error("{\"state_dir\": \"/s\", \"inputs\": {\"path\": \"/a\"}, "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "inputs: must be an array of 1 to 64 objects");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], \"sinks\": \"file\"}",
                "sinks: must be an array of 1 to 8 objects");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [\"/a\"], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "inputs[0]: must be an object");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"a.log\"}], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "inputs[0].path: must be an absolute path or glob (starting with \"/\")");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": 1}], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "inputs[0].path: must be an absolute path or glob (starting with \"/\")");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"type\": 1, \"path\": \"-\"}]}",
                "sinks[0].type: must be \"file\", \"sse\", \"kafka\" or \"ctia\"");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"type\": \"File\", \"path\": \"-\"}]}",
                "sinks[0].type: must be \"file\", \"sse\", \"kafka\" or \"ctia\"");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"out.zst\"}]}",
                "sinks[0].path: must be \"-\" (stdout) or an absolute path");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"type\": \"file\", \"path\": null}]}",
                "sinks[0].path: must be \"-\" (stdout) or an absolute path");
}

static void test_range_errors(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"\"retention\": \"59m\"", NULL, NULL, E_RETENTION},
        {"\"retention\": \"1h\"", NULL, NULL, NULL},
        {"\"retention\": 3600", NULL, NULL, NULL},
        {"\"retention\": 3599.999", NULL, NULL, E_RETENTION},
        {"\"retention\": \"30d\"", NULL, NULL, NULL},
        {"\"retention\": \"721h\"", NULL, NULL, E_RETENTION},
        {"\"retention\": \"31d\"", NULL, NULL, E_RETENTION},
        {"\"retention\": -1", NULL, NULL, E_RETENTION},
        {"\"scan_interval\": \"99ms\"", NULL, NULL, E_SCAN},
        {"\"scan_interval\": \"100ms\"", NULL, NULL, NULL},
        {"\"scan_interval\": 0.1", NULL, NULL, NULL},
        {"\"scan_interval\": 0.099", NULL, NULL, E_SCAN},
        {"\"scan_interval\": \"60m\"", NULL, NULL, NULL},
        {"\"scan_interval\": \"3600001ms\"", NULL, NULL, E_SCAN},
        {"\"scan_interval\": 1e300", NULL, NULL, E_SCAN},
        {"\"threads\": -1", NULL, NULL, E_THREADS},
        {"\"threads\": 0", NULL, NULL, NULL},
        {"\"threads\": 64", NULL, NULL, NULL},
        {"\"threads\": 65", NULL, NULL, E_THREADS},
        {"\"threads\": 1.5", NULL, NULL, E_THREADS},
        {NULL, "\"max_line\": 255", NULL, E_MAX_LINE},
        {NULL, "\"max_line\": \"256B\"", NULL, NULL},
        {"\"batch\": {\"max_bytes\": \"16MiB\"}, \"queue\": {\"max_bytes\": \"64MiB\"}",
         "\"max_line\": \"16MiB\"", NULL, NULL},
        {NULL, "\"max_line\": 16777217", NULL, E_MAX_LINE},
        {NULL, "\"max_line\": -1", NULL, E_MAX_LINE},
        {"\"batch\": {\"max_events\": 0}", NULL, NULL, E_MAX_EVENTS},
        {"\"batch\": {\"max_events\": 1}", NULL, NULL, NULL},
        {"\"batch\": {\"max_events\": 1000000}", NULL, NULL, NULL},
        {"\"batch\": {\"max_events\": 1000001}", NULL, NULL, E_MAX_EVENTS},
        {"\"batch\": {\"max_events\": 1e20}", NULL, NULL, E_MAX_EVENTS},
        {"\"batch\": {\"max_bytes\": \"65535B\"}", NULL, NULL, E_BATCH_BYTES},
        {"\"batch\": {\"max_bytes\": \"64KiB\"}", NULL, NULL, NULL},
        {"\"batch\": {\"max_bytes\": 1e6}", NULL, NULL, NULL},
        {"\"batch\": {\"max_bytes\": \"32MiB\"}, \"queue\": {\"max_bytes\": \"128MiB\"}", NULL,
         NULL, NULL},
        {"\"batch\": {\"max_bytes\": 67108865}", NULL, NULL, E_BATCH_BYTES},
        {"\"batch\": {\"linger\": -0.001}", NULL, NULL, E_LINGER},
        {"\"batch\": {\"linger\": 0}", NULL, NULL, NULL},
        {"\"batch\": {\"linger\": \"0ms\"}", NULL, NULL, NULL},
        {"\"batch\": {\"linger\": \"60s\"}", NULL, NULL, NULL},
        {"\"batch\": {\"linger\": \"60001ms\"}", NULL, NULL, E_LINGER},
        {"\"batch\": {\"max_bytes\": \"64KiB\"}, \"queue\": {\"max_bytes\": \"1023KiB\"}", NULL,
         NULL, E_QUEUE},
        {"\"batch\": {\"max_bytes\": \"64KiB\"}, \"queue\": {\"max_bytes\": \"1MiB\"}", NULL, NULL,
         NULL},
        {"\"queue\": {\"max_bytes\": 4294967296}", NULL, NULL, NULL},
        {"\"queue\": {\"max_bytes\": 4294967297}", NULL, NULL, E_QUEUE},
        {"\"queue\": {\"max_bytes\": \"4097MiB\"}", NULL, NULL, E_QUEUE},
        {NULL, NULL, "\"level\": 0", E_LEVEL},
        {NULL, NULL, "\"level\": 1", NULL},
        {NULL, NULL, "\"level\": 19", NULL},
        {NULL, NULL, "\"level\": 20", E_LEVEL},
        {"\"shutdown\": {\"drain_timeout\": 0}", NULL, NULL, NULL},
        {"\"shutdown\": {\"drain_timeout\": \"5m\"}", NULL, NULL, NULL},
        {"\"shutdown\": {\"drain_timeout\": \"301s\"}", NULL, NULL, E_DRAIN},
        {"\"metrics\": {\"listen\": \"\"}", NULL, NULL, NULL},
        {"\"metrics\": {\"listen\": \"[::1]:9464\"}", NULL, NULL, NULL},
        {"\"metrics\": {\"listen\": \"0.0.0.0:0\"}", NULL, NULL, NULL},
        {"\"metrics\": {\"listen\": \"localhost:65535\"}", NULL, NULL, NULL},
        {"\"metrics\": {\"listen\": \"localhost:65536\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \"localhost:009464\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \":9464\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \"[]:9464\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \"::1:9464\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \"[::1]9464\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \"localhost\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \"localhost:\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \"localhost:94x\"}", NULL, NULL, E_LISTEN},
        {"\"metrics\": {\"listen\": \"local host:80\"}", NULL, NULL, E_LISTEN},
        {"\"host\": \"h\"", NULL, NULL, NULL},
        {NULL, "\"format\": \"w3c\", \"fields\": \"#Fields: date time c-ip\"", NULL, NULL},
        {NULL, NULL, "\"name\": \"a_b-9\"", NULL},
        {NULL, NULL, "\"name\": \"a2345678901234567890123456789012\"", NULL},
    };
    run_cases(cases, NCASES(cases));
}

/* ------------------------------------------------------------------------ */
/* Unknown, duplicate and missing keys                                      */
/* ------------------------------------------------------------------------ */

static void test_unknown_keys(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"\"bogus\": 1", NULL, NULL, "bogus: unknown key"},
        {"\"State_dir\": \"/x\"", NULL, NULL, "State_dir: unknown key"},
        {"\"\": 1", NULL, NULL, "\"\": unknown key"},
        {NULL, "\"bogus\": {}", NULL, "inputs[0].bogus: unknown key"},
        {"\"batch\": {\"max_event\": 1}", NULL, NULL, "batch.max_event: unknown key"},
        {"\"queue\": {\"size\": 1}", NULL, NULL, "queue.size: unknown key"},
        {"\"privacy\": {\"strip\": true}", NULL, NULL, "privacy.strip: unknown key"},
        {NULL, NULL, "\"url\": \"x\"", "sinks[0].url: unknown key"},
        {"\"metrics\": {\"port\": 1}", NULL, NULL, "metrics.port: unknown key"},
        {"\"log\": {\"file\": \"x\"}", NULL, NULL, "log.file: unknown key"},
        {"\"shutdown\": {\"timeout\": 1}", NULL, NULL, "shutdown.timeout: unknown key"},
        /* Printed safely: escaped and cut. */
        {"\"a\\u0001\\\"b\\n\": 1", NULL, NULL, "a\\x01\\x22b\\x0a: unknown key"},
        {"\"0123456789012345678901234567890123456789012345678901234567890123456789\": 1", NULL,
         NULL, "012345678901234567890123456789012345678901234567...: unknown key"},
    };
    run_cases(cases, NCASES(cases));
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"\"retention\": \"2d\", \"retention\": \"3d\"", NULL, NULL, "retention: duplicate key"},
        {"\"state_dir\": \"/x\"", NULL, NULL, "state_dir: duplicate key"},
        {"\"batch\": {\"linger\": 1, \"linger\": 1}", NULL, NULL, "batch.linger: duplicate key"},
        {"\"batch\": {}, \"batch\": {}", NULL, NULL, "batch: duplicate key"},
        {NULL, "\"format\": \"w3c\", \"format\": \"w3c\"", NULL, "inputs[0].format: duplicate key"},
        {NULL, "\"path\": \"/b\"", NULL, "inputs[0].path: duplicate key"},
        {NULL, NULL, "\"type\": \"file\"", "sinks[0].type: duplicate key"},
        {NULL, NULL, "\"fsync\": true, \"fsync\": false", "sinks[0].fsync: duplicate key"},
    };
    run_cases(cases, NCASES(cases));
}

static void test_required_keys(void **state)
{
    (void)state;
    static const char *const all[] = {"state_dir: required", "inputs: required", "sinks: required"};
    check_errors("{}", all, 3);
    check_error("{\"inputs\": [{\"path\": \"/a\"}], \"sinks\": [{\"type\": \"file\", "
                "\"path\": \"-\"}]}",
                "state_dir: required");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"format\": \"w3c\"}], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "inputs[0].path: required");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"path\": \"-\"}]}",
                "sinks[0].type: required");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], "
                "\"sinks\": [{\"type\": \"file\"}]}",
                "sinks[0].path: required");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [], "
                "\"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}",
                "inputs: must be an array of 1 to 64 objects");
    check_error("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], \"sinks\": []}",
                "sinks: must be an array of 1 to 8 objects");
}

static void test_array_limits(void **state)
{
    (void)state;
    static char json[16384];
    int n = snprintf(json, sizeof(json), "{\"state_dir\": \"/s\", \"inputs\": [");
    for (int i = 0; i < WT_CFG_MAX_INPUTS; i++)
        n += snprintf(json + n, sizeof(json) - (size_t)n, "%s{\"path\": \"/l/%d\"}", i ? "," : "",
                      i);
    n += snprintf(json + n, sizeof(json) - (size_t)n, "], \"sinks\": [");
    for (int i = 0; i < WT_CFG_MAX_SINKS; i++)
        n += snprintf(json + n, sizeof(json) - (size_t)n,
                      "%s{\"type\": \"file\", \"path\": \"/o/%d\"}", i ? "," : "", i);
    snprintf(json + n, sizeof(json) - (size_t)n, "]}");
    assert_int_equal(parse(json), 0);
    assert_int_equal(cfg.ninputs, WT_CFG_MAX_INPUTS);
    assert_int_equal(cfg.nsinks, WT_CFG_MAX_SINKS);
    assert_string_equal(wt_input_file_path(&cfg.inputs[63]), "/l/63");
    assert_string_equal(cfg.sinks[7].name, "file7");
    wt_config_free(&cfg);

    /* One more of each. */
    n = snprintf(json, sizeof(json), "{\"state_dir\": \"/s\", \"inputs\": [");
    for (int i = 0; i <= WT_CFG_MAX_INPUTS; i++)
        n += snprintf(json + n, sizeof(json) - (size_t)n, "%s{\"path\": \"/l/%d\"}", i ? "," : "",
                      i);
    n += snprintf(json + n, sizeof(json) - (size_t)n, "], \"sinks\": [");
    for (int i = 0; i <= WT_CFG_MAX_SINKS; i++)
        n += snprintf(json + n, sizeof(json) - (size_t)n,
                      "%s{\"type\": \"file\", \"path\": \"/o/%d\"}", i ? "," : "", i);
    snprintf(json + n, sizeof(json) - (size_t)n, "]}");
    static const char *const want[] = {"inputs: must be an array of 1 to 64 objects",
                                       "sinks: must be an array of 1 to 8 objects"};
    check_errors(json, want, 2);
}

/* ------------------------------------------------------------------------ */
/* Sinks and rules across keys                                              */
/* ------------------------------------------------------------------------ */

static void test_sinks(void **state)
{
    (void)state;
    const char *head = "{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], \"sinks\": ";
    char json[1024];

    /* Every type is implemented: the keys of its table apply (sse: test_sse_sink_keys). */
    snprintf(json, sizeof(json), "%s[{\"type\": \"sse\", \"region\": \"eu\", \"x\": 1}]}", head);
    check_error(json, "sinks[0].x: unknown key");

    /* Default names count every sink; explicit names must be unique. */
    snprintf(json, sizeof(json),
             "%s[{\"type\": \"file\", \"path\": \"/o/a\", \"name\": \"main\"},"
             " {\"type\": \"file\", \"path\": \"-\"}]}",
             head);
    assert_int_equal(parse(json), 0);
    assert_string_equal(cfg.sinks[0].name, "main");
    assert_string_equal(cfg.sinks[1].name, "file1");
    wt_config_free(&cfg);
    snprintf(json, sizeof(json),
             "%s[{\"type\": \"file\", \"path\": \"/o/a\", \"name\": \"file1\"},"
             " {\"type\": \"file\", \"path\": \"/o/b\"}]}",
             head);
    check_error(json, "sinks[1].name: \"file1\" is already used by sinks[0]");
    snprintf(json, sizeof(json),
             "%s[{\"type\": \"file\", \"path\": \"/o/a\", \"name\": \"x\"},"
             " {\"type\": \"file\", \"path\": \"/o/b\", \"name\": \"x\"}]}",
             head);
    check_error(json, "sinks[1].name: \"x\" is already used by sinks[0]");
    snprintf(json, sizeof(json),
             "%s[{\"type\": \"file\", \"path\": \"-\"}, {\"type\": \"file\", \"path\": \"-\"}]}",
             head);
    check_error(json, "sinks[1].path: same as sinks[0].path");
}

static void test_cross_key_rules(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"\"queue\": {\"max_bytes\": \"3MiB\"}", NULL, NULL,
         "queue.max_bytes: must be at least 4 times batch.max_bytes (4MiB)"},
        /* A line's event must fit a batch (issue 17: it passed, then was dropped). */
        {NULL, "\"max_line\": \"2MiB\"", NULL,
         "inputs[0].max_line: 2MiB is more than batch.max_bytes (1MiB): the events of such "
         "lines would never fit a batch; lower max_line or raise batch.max_bytes"},
        {NULL, "\"max_line\": \"1MiB\"", NULL, NULL},
        {"\"queue\": {\"max_bytes\": \"4MiB\"}", NULL, NULL, NULL},
        {"\"batch\": {\"max_bytes\": \"4MiB\"}, \"queue\": {\"max_bytes\": \"15MiB\"}", NULL, NULL,
         "queue.max_bytes: must be at least 4 times batch.max_bytes (16MiB)"},
        {"\"batch\": {\"max_bytes\": \"40MiB\"}", NULL, NULL,
         "queue.max_bytes: must be at least 4 times batch.max_bytes (160MiB)"},
        /* An invalid side is reported once, not compared. */
        {"\"batch\": {\"max_bytes\": \"1GiB\"}, \"queue\": {\"max_bytes\": \"1MiB\"}", NULL, NULL,
         E_BATCH_BYTES},
        {NULL, "\"format\": \"squid\", \"fields\": \"date time\"", NULL,
         "inputs[0].fields: only with format \"w3c\" or \"auto\""},
        {NULL, "\"format\": \"auto\", \"fields\": \"date time\"", NULL, NULL},
    };
    run_cases(cases, NCASES(cases));

    char json[1024];
    snprintf(json, sizeof(json),
             "{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}, {\"path\": \"/b\"}, "
             "{\"path\": \"/a\"}], \"sinks\": [{\"type\": \"file\", \"path\": \"-\"}]}");
    check_error(json, "inputs[2].path: same as inputs[0].path");

    /* More W3C fields than the parser keeps. */
    static char fields[2048];
    int n = snprintf(fields, sizeof(fields), "\"fields\": \"");
    for (int i = 0; i < 129; i++)
        n += snprintf(fields + n, sizeof(fields) - (size_t)n, "f%d ", i);
    snprintf(fields + n, sizeof(fields) - (size_t)n, "\"");
    check_error(doc(NULL, fields, NULL), E_FIELDS);
}

/* ------------------------------------------------------------------------ */
/* Many errors                                                              */
/* ------------------------------------------------------------------------ */

static void test_errors_reported_together(void **state)
{
    (void)state;
    const char *json =
        "{\"state_dir\": \"\", \"retention\": \"1.5h\",\n"
        " \"inputs\": [{\"path\": \"x\", \"bogus\": 1, \"format\": \"sq\"},\n"
        "            {\"path\": \"/a\", \"fields\": \"a b\", \"format\": \"squid\"}],\n"
        " \"batch\": {\"max_events\": 0, \"max_bytes\": \"1MB\", \"linger\": -1},\n"
        " \"queue\": {\"max_bytes\": \"1MiB\"},\n"
        " \"sinks\": [{\"type\": \"sse\"},\n"
        "           {\"type\": \"file\", \"path\": \"-\", \"compress\": \"gz\", \"level\": 20,\n"
        "            \"name\": \"A\"},\n"
        "           {\"type\": \"file\"}],\n"
        " \"metrics\": {\"listen\": \"::1:80\"},\n"
        " \"log\": {\"level\": \"x\", \"format\": 1},\n"
        " \"shutdown\": {\"drain_timeout\": \"6m\"},\n"
        " \"privacy\": {\"strip_query\": \"yes\"},\n"
        " \"Retention\": 1, \"retention\": \"2d\"}";
    static const char *const want[] = {
        "state_dir: must be an absolute path (the daemon's working directory is no place for "
        "state)",
        E_RETENTION,
        "inputs[0].path: must be an absolute path or glob (starting with \"/\")",
        "inputs[0].bogus: unknown key",
        "inputs[0].format: must be \"auto\", \"squid\", \"w3c\" or \"event\"",
        E_MAX_EVENTS,
        E_BATCH_BYTES,
        E_LINGER,
        "sinks[1].compress: must be \"zstd\" or \"none\"",
        "sinks[1].level: must be an integer from 1 to 19",
        "sinks[1].name: must be 1 to 32 characters from a-z, 0-9, \"_\" and \"-\"",
        "sinks[2].path: required",
        E_LISTEN,
        "log.level: must be \"error\", \"warn\", \"info\" or \"debug\"",
        "log.format: must be \"text\" or \"json\"",
        E_DRAIN,
        "privacy.strip_query: must be true or false",
        "Retention: unknown key",
        "retention: duplicate key",
        "inputs[1].fields: only with format \"w3c\" or \"auto\"",
        "sinks[0].region: required (or url)",
    };
    check_errors(json, want, NCASES(want));
    assert_int_equal(errs.n, 21);
}

static void test_errors_dropped_beyond_max(void **state)
{
    (void)state;
    static char json[8192];
    int n = snprintf(json, sizeof(json), "{");
    for (int i = 0; i < 100; i++)
        n += snprintf(json + n, sizeof(json) - (size_t)n, "\"k%d\": %d, ", i, i);
    snprintf(json + n, sizeof(json) - (size_t)n, "\"state_dir\": 5}");
    assert_int_equal(parse(json), WT_ECONFIG);
    assert_int_equal(errs.n, WT_CFG_MAX_ERRORS);
    /* 100 unknown + state_dir + inputs and sinks missing. */
    assert_int_equal(errs.n + errs.dropped, 103);
    assert_string_equal(errs.msg[0], "k0: unknown key");
    assert_string_equal(errs.msg[63], "k63: unknown key");
}

/* ------------------------------------------------------------------------ */
/* Invalid JSON                                                             */
/* ------------------------------------------------------------------------ */

static void test_invalid_json(void **state)
{
    (void)state;
    check_error("", "invalid JSON: empty document");
    check_error(" \n ", "invalid JSON: empty document");
    check_error(
        "{", "invalid JSON at line 1, column 1 (byte 0): syntax error"); /* cJSON: the last byte */
    check_error("{\n \"a\": [1,2\n}", "invalid JSON at line 3, column 1 (byte 13): syntax error");
    check_error("{\"a\": 1,}", "invalid JSON at line 1, column 9 (byte 8): syntax error");
    check_error("{} {}", "invalid JSON at line 1, column 4 (byte 3): text after the document");
    check_error("{}\n\n x", "invalid JSON at line 3, column 2 (byte 5): text after the document");
    check_error("[1]", "the document must be a JSON object");
    check_error("\"x\"", "the document must be a JSON object");
    check_error("null", "the document must be a JSON object");
    assert_int_equal(wt_config_parse("{\"a\"\0: 1}", 9, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
    assert_string_equal(errs.msg[0], "invalid JSON at line 1, column 5 (byte 4): NUL byte");
    /* Not NUL-terminated: the length bounds the parse. */
    const char *json = doc(NULL, NULL, NULL);
    assert_int_equal(wt_config_parse(json, strlen(json) - 3, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msg[0], "invalid JSON at line 3"));
    /* Nesting past cJSON's limit is an error, not a crash. */
    static char deep[4096];
    memset(deep, '[', 2000);
    assert_int_equal(wt_config_parse(deep, 2000, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
}

/* ------------------------------------------------------------------------ */
/* Durations and sizes                                                      */
/* ------------------------------------------------------------------------ */

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {
        {"0ms", 0},
        {"0s", 0},
        {"1500ms", 1500},
        {"90s", 90000},
        {"30m", 1800000},
        {"1h", 3600000},
        {"2d", 172800000},
        {"007s", 7000},
        {"106751991167d", 106751991167LL * 86400000},
        {"9223372036854775807ms", INT64_MAX},
    };
    static const char *const bad[] = {
        "",
        "s",
        "ms",
        "10",
        "1.5h",
        "1,5h",
        "-1s",
        "+1s",
        " 1s",
        "1s ",
        "1 s",
        "1S",
        "1MS",
        "1sec",
        "1w",
        "1hh",
        "1h30m",
        "0x10s",
        "106751991168d",
        "1e3s",
        "∞s",
        "9223372036854775808ms",
        "99999999999999999999ms",
        "2562047788015216h",
    };
    for (size_t i = 0; i < NCASES(ok); i++) {
        int64_t v = -1;
        if (wt_parse_duration_ms(ok[i].s, &v) != 0 || v != ok[i].ms)
            fail_msg("\"%s\": rc or value %lld", ok[i].s, (long long)v);
    }
    for (size_t i = 0; i < NCASES(bad); i++) {
        int64_t v = 12345;
        if (wt_parse_duration_ms(bad[i], &v) != WT_EPARSE || v != 12345)
            fail_msg("\"%s\" accepted", bad[i]);
    }
}

static void test_parse_size(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint64_t v;
    } ok[] = {
        {"0B", 0},
        {"100B", 100},
        {"1KiB", 1024},
        {"512KiB", 524288},
        {"64MiB", 67108864},
        {"1GiB", 1073741824},
        {"4GiB", 4294967296ULL},
        {"17179869183GiB", 17179869183ULL << 30},
        {"18446744073709551615B", UINT64_MAX},
    };
    static const char *const bad[] = {
        "",
        "B",
        "100",
        "1KB",
        "1MB",
        "1GB",
        "1kB",
        "1kib",
        "1KIB",
        "1TiB",
        "1.5MiB",
        "-1B",
        "+1B",
        " 1B",
        "1B ",
        "1 MiB",
        "1Ki",
        "1MiBs",
        "1e6B",
        "0x10B",
        "17179869184GiB",
        "18446744073709551616B",
    };
    for (size_t i = 0; i < NCASES(ok); i++) {
        uint64_t v = 1;
        if (wt_parse_size(ok[i].s, &v) != 0 || v != ok[i].v)
            fail_msg("\"%s\": rc or value %llu", ok[i].s, (unsigned long long)v);
    }
    for (size_t i = 0; i < NCASES(bad); i++) {
        uint64_t v = 12345;
        if (wt_parse_size(bad[i], &v) != WT_EPARSE || v != 12345)
            fail_msg("\"%s\" accepted", bad[i]);
    }
}

static void test_json_number_values(void **state)
{
    (void)state;
    assert_int_equal(parse(doc("\"scan_interval\": 1.5, \"batch\": {\"linger\": 0.25, "
                               "\"max_bytes\": 131072}, \"retention\": 86400.0004",
                               NULL, NULL)),
                     0);
    assert_int_equal(cfg.scan_interval_ms, 1500);
    assert_int_equal(cfg.batch.linger_ms, 250);
    assert_int_equal(cfg.batch.max_bytes, 131072);
    assert_int_equal(cfg.retention_ms, 86400000); /* rounded to the millisecond */
    wt_config_free(&cfg);
    check_error(doc("\"batch\": {\"linger\": -1}", NULL, NULL), E_LINGER);
    check_error(doc(NULL, "\"max_line\": 4096.5", NULL), E_MAX_LINE);
    check_error(doc(NULL, "\"max_line\": -4096", NULL), E_MAX_LINE);
    check_error(doc(NULL, "\"max_line\": 1e30", NULL), E_MAX_LINE);
}

/* ------------------------------------------------------------------------ */
/* Files: example, reference, load                                          */
/* ------------------------------------------------------------------------ */

/* Read a whole file into a NUL-terminated heap buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    assert_non_null(m);
    char chunk[4096];
    size_t r;
    while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, r, m);
    fclose(f);
    fclose(m);
    *len = cap;
    return buf;
}

/* What a writer function prints, in a heap buffer. */
static char *capture(void (*fn)(FILE *), size_t *len)
{
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    assert_non_null(m);
    fn(m);
    fclose(m);
    *len = cap;
    return buf;
}

static void assert_same_text(const char *what, const char *got, size_t glen, const char *want,
                             size_t wlen)
{
    if (glen == wlen && memcmp(got, want, glen) == 0)
        return;
    size_t i = 0, line = 1;
    while (i < glen && i < wlen && got[i] == want[i])
        line += got[i++] == '\n';
    fail_msg("%s differs from the generated text at line %zu (byte %zu); regenerate it", what, line,
             i);
}

static void test_example_file_valid(void **state)
{
    (void)state;
    assert_int_equal(wt_config_load(EXAMPLE_JSON, &cfg, &errs), 0);
    assert_int_equal(errs.n, 0);
    assert_int_equal(cfg.ninputs, 1);
    assert_int_equal(cfg.nsinks, 1);
    assert_ptr_equal(cfg.sinks[0].type, &wt_sink_file_type);
    /* Every key at its default: the same as a minimal config. */
    struct wt_config ex = cfg;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(parse(doc(NULL, NULL, NULL)), 0);
    assert_int_equal(ex.retention_ms, cfg.retention_ms);
    assert_int_equal(ex.scan_interval_ms, cfg.scan_interval_ms);
    assert_int_equal(ex.inputs[0].format, cfg.inputs[0].format);
    assert_int_equal(wt_input_file_read_from_end(&ex.inputs[0]),
                     wt_input_file_read_from_end(&cfg.inputs[0]));
    assert_int_equal(ex.inputs[0].max_line, cfg.inputs[0].max_line);
    assert_memory_equal(&ex.batch, &cfg.batch, sizeof(cfg.batch));
    assert_memory_equal(&ex.queue, &cfg.queue, sizeof(cfg.queue));
    assert_memory_equal(&ex.privacy, &cfg.privacy, sizeof(cfg.privacy));
    assert_memory_equal(&ex.log, &cfg.log, sizeof(cfg.log));
    assert_string_equal(ex.sinks[0].name, cfg.sinks[0].name);
    assert_int_equal(FILEO(ex.sinks[0])->compress, FILEO(cfg.sinks[0])->compress);
    assert_int_equal(FILEO(ex.sinks[0])->level, FILEO(cfg.sinks[0])->level);
    assert_int_equal(FILEO(ex.sinks[0])->fsync, FILEO(cfg.sinks[0])->fsync);
    assert_string_equal(ex.metrics.listen, cfg.metrics.listen);
    assert_int_equal(ex.drain_timeout_ms, cfg.drain_timeout_ms);
    wt_config_free(&cfg);
    wt_config_free(&ex);
}

static void test_example_file_is_generated(void **state)
{
    (void)state;
    size_t flen, glen;
    char *file = slurp(EXAMPLE_JSON, &flen);
    char *gen = capture(wt_config_write_example, &glen);
    assert_same_text("deploy/wtexport.example.json", file, flen, gen, glen);
    free(file);
    free(gen);
}

static void test_reference_matches_docs(void **state)
{
    (void)state;
    size_t flen, glen;
    char *file = slurp(DOCS_CONFIG_MD, &flen);
    char *gen = capture(wt_config_write_reference, &glen);
    assert_same_text("docs/config.md", file, flen, gen, glen);
    /* Every section and a sample of rows are there. */
    static const char *const want[] = {
        "## Top level",
        "## `inputs[]`",
        "## `batch`",
        "## `queue`",
        "## `privacy`",
        "## `sinks[]`",
        "### `type: \"file\"`",
        "## `metrics`",
        "## `log`",
        "## `shutdown`",
        "| `retention` | duration | `\"2d\"` | 1h .. 30d |",
        "| `max_events` | integer | `5000` | 1 .. 1000000 |",
    };
    for (size_t i = 0; i < NCASES(want); i++) {
        if (!strstr(gen, want[i]))
            fail_msg("reference lacks %s", want[i]);
    }
    free(file);
    free(gen);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/wt_test_config.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];

    snprintf(path, sizeof(path), "%s/missing.json", dir);
    assert_int_equal(wt_config_load(path, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msg[0], "missing.json: No such file or directory"));

    assert_int_equal(wt_config_load(dir, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msg[0], ": Is a directory"));

    /* One byte over the limit, though it is only white space. */
    char *big = malloc(WT_CFG_FILE_MAX + 1);
    assert_non_null(big);
    const char *json = doc(NULL, NULL, NULL);
    memset(big, ' ', WT_CFG_FILE_MAX + 1);
    memcpy(big, json, strlen(json));
    snprintf(path, sizeof(path), "%s/big.json", dir);
    write_file(path, big, WT_CFG_FILE_MAX + 1);
    assert_int_equal(wt_config_load(path, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msg[0], "big.json: larger than 1048576 bytes"));
    /* At the limit it loads. */
    write_file(path, big, WT_CFG_FILE_MAX);
    assert_int_equal(wt_config_load(path, &cfg, &errs), 0);
    wt_config_free(&cfg);
    unlink(path);
    free(big);
    rmdir(dir);
}

/* ------------------------------------------------------------------------ */
/* check-config                                                             */
/* ------------------------------------------------------------------------ */

struct cmd_out {
    int rc;
    char *out, *err;
    size_t outlen, errlen;
};

static char *read_all(FILE *f, size_t *len)
{
    long n = ftell(f);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Run `check-config ARGS` with stdout and stderr captured. */
static struct cmd_out run_check_config(int argc, char **argv)
{
    struct cmd_out r;
    FILE *fo = tmpfile(), *fe = tmpfile();
    assert_non_null(fo);
    assert_non_null(fe);
    fflush(stdout);
    fflush(stderr);
    int so = dup(STDOUT_FILENO), se = dup(STDERR_FILENO);
    dup2(fileno(fo), STDOUT_FILENO);
    dup2(fileno(fe), STDERR_FILENO);
    r.rc = wt_cmd_check_config(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, STDOUT_FILENO);
    dup2(se, STDERR_FILENO);
    close(so);
    close(se);
    fseek(fo, 0, SEEK_END);
    fseek(fe, 0, SEEK_END);
    r.out = read_all(fo, &r.outlen);
    r.err = read_all(fe, &r.errlen);
    fclose(fo);
    fclose(fe);
    return r;
}

static void cmd_out_free(struct cmd_out *r)
{
    free(r->out);
    free(r->err);
}

static void test_check_config_command(void **state)
{
    (void)state;
    char dir[] = "/tmp/wt_test_check.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char good[512], bad[512];
    snprintf(good, sizeof(good), "%s/good.json", dir);
    snprintf(bad, sizeof(bad), "%s/bad.json", dir);
    const char *json = doc("\"host\": \"p1\"", NULL, NULL);
    write_file(good, json, strlen(json));
    json = doc("\"retention\": \"90d\", \"bogus\": 1", NULL, "\"compress\": \"gz\"");
    write_file(bad, json, strlen(json));

    char *a_ok[] = {"check-config", "-c", good, NULL};
    struct cmd_out r = run_check_config(3, a_ok);
    assert_int_equal(r.rc, WT_EXIT_OK);
    char want[1024];
    snprintf(want, sizeof(want),
             "%s: ok\n1 input(s), 1 sink(s) (file0), state_dir /var/lib/wt, host p1\n", good);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "");
    cmd_out_free(&r);

    char *a_bad[] = {"check-config", "--config", bad, NULL};
    r = run_check_config(3, a_bad);
    assert_int_equal(r.rc, WT_EXIT_USAGE);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "sinks[0].compress: must be \"zstd\" or \"none\"\n" E_RETENTION
                               "\nbogus: unknown key\n");
    cmd_out_free(&r);

    char *a_ref[] = {"check-config", "--reference", NULL};
    r = run_check_config(2, a_ref);
    assert_int_equal(r.rc, WT_EXIT_OK);
    size_t glen;
    char *gen = capture(wt_config_write_reference, &glen);
    assert_same_text("--reference", r.out, r.outlen, gen, glen);
    free(gen);
    cmd_out_free(&r);

    char *a_ex[] = {"check-config", "--example", NULL};
    r = run_check_config(2, a_ex);
    assert_int_equal(r.rc, WT_EXIT_OK);
    assert_int_equal(wt_config_parse(r.out, r.outlen, &cfg, &errs), 0);
    wt_config_free(&cfg);
    cmd_out_free(&r);

    char *a_help[] = {"check-config", "--help", NULL};
    r = run_check_config(2, a_help);
    assert_int_equal(r.rc, WT_EXIT_OK);
    assert_non_null(strstr(r.out, "usage: wtexport check-config"));
    cmd_out_free(&r);

    /* Usage errors: nothing to check, both a file and --reference, extra arguments. */
    char *a_none[] = {"check-config", NULL};
    char *a_both[] = {"check-config", "-c", good, "--reference", NULL};
    char *a_extra[] = {"check-config", "-c", good, "more", NULL};
    char *a_opt[] = {"check-config", "--bogus", NULL};
    char **usage_cases[] = {a_none, a_both, a_extra, a_opt};
    int usage_argc[] = {1, 4, 4, 2};
    for (size_t i = 0; i < NCASES(usage_cases); i++) {
        r = run_check_config(usage_argc[i], usage_cases[i]);
        assert_int_equal(r.rc, WT_EXIT_USAGE);
        assert_string_equal(r.out, "");
        assert_non_null(strstr(r.err, "usage: wtexport check-config"));
        cmd_out_free(&r);
    }

    unlink(good);
    unlink(bad);
    rmdir(dir);
}

/* ------------------------------------------------------------------------ */
/* Kafka sink keys                                                          */
/* ------------------------------------------------------------------------ */

/* A document with one kafka sink: members spliced into it and at the top. */
static const char *kafka_doc(const char *sink, const char *top)
{
    static char buf[16384];
    snprintf(buf, sizeof(buf),
             "{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}],\n"
             " \"sinks\": [{\"type\": \"kafka\"%s%s}]%s%s}\n",
             sink ? ", " : "", sink ? sink : "", top ? ", " : "", top ? top : "");
    return buf;
}

static void test_kafka_sink_keys(void **state)
{
    (void)state;
    const char *base = "\"brokers\": \"k1:9092,k2:9092\", \"topic\": \"wt.events-1\"";
    char sink[8192];

    /* Defaults: key observable, one message per event, no properties,
     * dead letters under state_dir. */
    assert_int_equal(parse(kafka_doc(base, NULL)), 0);
    assert_ptr_equal(cfg.sinks[0].type, &wt_sink_kafka_type);
    assert_string_equal(cfg.sinks[0].name, "kafka0");
    assert_string_equal(KAFKAO(cfg.sinks[0])->brokers, "k1:9092,k2:9092");
    assert_string_equal(KAFKAO(cfg.sinks[0])->topic, "wt.events-1");
    assert_int_equal(KAFKAO(cfg.sinks[0])->key, WT_KAFKA_KEY_OBSERVABLE);
    assert_int_equal(KAFKAO(cfg.sinks[0])->message, WT_KAFKA_MESSAGE_EVENT);
    assert_int_equal(KAFKAO(cfg.sinks[0])->nproperties, 0);
    assert_string_equal(KAFKAO(cfg.sinks[0])->dead_letter, "/s/dead-letter");
    wt_config_free(&cfg);

    /* Every key; property values may be numbers and booleans (kept as text). */
    snprintf(sink, sizeof(sink),
             "%s, \"key\": \"client_ip\", \"message\": \"batch\", \"dead_letter\": \"/dl\", "
             "\"properties\": {\"linger.ms\": 20, \"enable.idempotence\": true, "
             "\"security.protocol\": \"plaintext\", \"message.max.bytes\": 4000000, "
             "\"queue.buffering.max.kbytes\": 1048576}",
             base);
    assert_int_equal(parse(kafka_doc(sink, NULL)), 0);
    const struct wt_kafka_opts *k = cfg.sinks[0].opts;
    assert_int_equal(k->key, WT_KAFKA_KEY_CLIENT_IP);
    assert_int_equal(k->message, WT_KAFKA_MESSAGE_BATCH);
    assert_string_equal(k->dead_letter, "/dl");
    assert_int_equal(k->nproperties, 5);
    assert_string_equal(k->properties[0].name, "linger.ms");
    assert_string_equal(k->properties[0].value, "20");
    assert_string_equal(k->properties[1].name, "enable.idempotence");
    assert_string_equal(k->properties[1].value, "true");
    assert_string_equal(k->properties[2].value, "plaintext");
    assert_string_equal(k->properties[3].value, "4000000");
    wt_config_free(&cfg);
    snprintf(sink, sizeof(sink), "%s, \"key\": \"none\", \"properties\": {}", base);
    check_valid(kafka_doc(sink, NULL));

    /* Required keys; keys of other sink types are unknown here. */
    const char *const required[] = {"sinks[0].brokers: required", "sinks[0].topic: required"};
    check_errors(kafka_doc(NULL, NULL), required, 2);
    snprintf(sink, sizeof(sink), "%s, \"path\": \"/o\"", base);
    check_error(kafka_doc(sink, NULL), "sinks[0].path: unknown key");

    /* Values. */
    static const struct {
        const char *members, *msg;
    } bad[] = {
        {"\"brokers\": \"\", \"topic\": \"t\"",
         "sinks[0].brokers: must be a comma-separated list of host:port without spaces"},
        {"\"brokers\": \"a:1, b:2\", \"topic\": \"t\"",
         "sinks[0].brokers: must be a comma-separated list of host:port without spaces"},
        {"\"brokers\": \"a:1\", \"topic\": \"a b\"",
         "sinks[0].topic: must be a topic name of 1 to 249 characters from a-z, A-Z, 0-9, "
         "\".\", \"_\" and \"-\""},
        {"\"brokers\": \"a:1\", \"topic\": \"..\"",
         "sinks[0].topic: must be a topic name of 1 to 249 characters from a-z, A-Z, 0-9, "
         "\".\", \"_\" and \"-\""},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"key\": \"ip\"",
         "sinks[0].key: must be \"observable\", \"client_ip\" or \"none\""},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"message\": \"line\"",
         "sinks[0].message: must be \"event\" or \"batch\""},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"dead_letter\": \"dl\"",
         "sinks[0].dead_letter: must be an absolute path"},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": [\"acks\"]",
         "sinks[0].properties: must be an object of at most 64 librdkafka producer properties "
         "(string, number or boolean values)"},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": {\"acks\": null}",
         "sinks[0].properties.acks: must be a string, number or boolean"},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": {\"acks\": {}}",
         "sinks[0].properties.acks: must be a string, number or boolean"},
        /* librdkafka's own words. */
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": {\"no.such.property\": 1}",
         "sinks[0].properties.no.such.property: No such configuration property: "
         "\"no.such.property\""},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": {\"acks\": \"maybe\"}",
         "sinks[0].properties.acks: Invalid value for configuration property "
         "\"request.required.acks\""},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": {\"compression.type\": "
         "\"brotli\"}",
         "sinks[0].properties.compression.type: Invalid value \"brotli\" for configuration "
         "property \"compression.codec\""},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": {\"linger.ms\": -1}",
         "sinks[0].properties.linger.ms: Configuration property \"queue.buffering.max.ms\" "
         "value -1 is outside allowed range 0..900000"},
        /* Ours. */
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": {\"bootstrap.servers\": \"x:1\"}",
         "sinks[0].properties.bootstrap.servers: set by \"brokers\""},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": {\"linger.ms\": 1, "
         "\"linger.ms\": 2}",
         "sinks[0].properties.linger.ms: duplicate key"},
        {"\"brokers\": \"a:1\", \"topic\": \"t\", \"message\": \"batch\"",
         "sinks[0].message: \"batch\" needs batch.max_bytes (1MiB) + 2KiB within "
         "message.max.bytes (1000000): lower batch.max_bytes or raise message.max.bytes in "
         "properties"},
    };
    for (size_t i = 0; i < NCASES(bad); i++)
        check_error(kafka_doc(bad[i].members, NULL), bad[i].msg);
    check_error(kafka_doc("\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": "
                          "{\"transactional.id\": \"x\"}",
                          NULL),
                "sinks[0].properties.transactional.id: needs \"exactly_once\": true (without "
                "it the producer is idempotent, at-least-once)");
    check_error(kafka_doc("\"brokers\": \"a:1\", \"topic\": \"t\", \"exactly_once\": true, "
                          "\"offsets_topic\": \"t\"",
                          NULL),
                "sinks[0].offsets_topic: must differ from topic");

    /* Idempotence (the default) needs acks all: weaker acks need it off. */
    check_error(kafka_doc("\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": "
                          "{\"acks\": 1}",
                          NULL),
                "sinks[0].properties.acks: \"1\" needs \"enable.idempotence\": false "
                "(idempotence, on by default, needs acks all)");
    check_valid(kafka_doc("\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": "
                          "{\"acks\": \"1\", \"enable.idempotence\": false}",
                          NULL));
    check_valid(kafka_doc("\"brokers\": \"a:1\", \"topic\": \"t\", \"properties\": "
                          "{\"acks\": -1}",
                          NULL));

    /* message=batch fits with smaller batches or a larger message.max.bytes. */
    check_valid(kafka_doc("\"brokers\": \"a:1\", \"topic\": \"t\", \"message\": \"batch\"",
                          "\"batch\": {\"max_bytes\": \"512KiB\"}"));
    check_valid(kafka_doc("\"brokers\": \"a:1\", \"topic\": \"t\", \"message\": \"batch\", "
                          "\"properties\": {\"message.max.bytes\": 1100000}",
                          NULL));

    /* At most WT_KAFKA_MAX_PROPERTIES properties. */
    size_t n = (size_t)snprintf(sink, sizeof(sink), "%s, \"properties\": {", base);
    for (int i = 0; i <= WT_KAFKA_MAX_PROPERTIES; i++)
        n += (size_t)snprintf(sink + n, sizeof(sink) - n, "%s\"linger.ms\": %d", i ? ", " : "", i);
    snprintf(sink + n, sizeof(sink) - n, "}");
    check_error(kafka_doc(sink, NULL),
                "sinks[0].properties: must be an object of at most 64 librdkafka producer "
                "properties (string, number or boolean values)");

    /* Two kafka sinks: default names count every sink. */
    check_valid("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], \"sinks\": ["
                "{\"type\": \"kafka\", \"brokers\": \"a:1\", \"topic\": \"t\"},"
                "{\"type\": \"kafka\", \"brokers\": \"b:1\", \"topic\": \"t\"}]}");
}

/* ------------------------------------------------------------------------ */
/* SSE sink                                                                 */
/* ------------------------------------------------------------------------ */

static const char *sse_doc(const char *sink, const char *top)
{
    static char buf[16384];
    snprintf(buf, sizeof(buf),
             "{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}],\n"
             " \"sinks\": [{\"type\": \"sse\"%s%s}]%s%s}\n",
             sink ? ", " : "", sink ? sink : "", top ? ", " : "", top ? top : "");
    return buf;
}

static void test_sse_sink_keys(void **state)
{
    (void)state;

    /* Defaults: 4 in flight, 60 s per request, a quarter of it as the budget,
     * backoff 500 ms .. 60 s for ever, state files under state_dir. */
    assert_int_equal(parse(sse_doc("\"region\": \"nam\"", NULL)), 0);
    assert_ptr_equal(cfg.sinks[0].type, &wt_sink_sse_type);
    assert_string_equal(cfg.sinks[0].name, "sse0");
    const struct wt_sse_opts *s = cfg.sinks[0].opts;
    assert_string_equal(s->region, "nam");
    assert_null(s->url);
    assert_null(s->http.ca_file);
    assert_null(s->http.proxy);
    assert_int_equal(s->http.concurrency, WT_HTTP_CONCURRENCY_DEFAULT);
    assert_int_equal(s->http.concurrency, 4);
    assert_int_equal(s->http.transaction_timeout_ms, 60000);
    assert_true(s->http.budget_fraction > 0.2499 && s->http.budget_fraction < 0.2501);
    assert_int_equal(s->http.retry.base_ms, 500);
    assert_int_equal(s->http.retry.cap_ms, 60000);
    assert_int_equal(s->http.retry.max_duration_ms, 0);
    assert_string_equal(s->dead_letter, "/s/dead-letter");
    assert_string_equal(s->cred_file, "/s/sse-sse0.json");
    wt_config_free(&cfg);

    /* Every key. */
    assert_int_equal(parse(sse_doc("\"name\": \"cloud\", \"url\": \"https://sse.example.com:8443/"
                                   "api/\", \"ca_file\": \"/etc/ca.pem\", \"proxy\": "
                                   "\"http://proxy:3128\", \"concurrency\": 64, "
                                   "\"transaction_timeout\": \"10m\", \"budget_fraction\": 0.05, "
                                   "\"retry\": {\"base\": \"10ms\", \"cap\": \"1h\", "
                                   "\"max_duration\": \"30d\"}, \"dead_letter\": \"/dl\"",
                                   NULL)),
                     0);
    s = cfg.sinks[0].opts;
    assert_string_equal(s->url, "https://sse.example.com:8443/api/");
    assert_null(s->region);
    assert_string_equal(s->http.ca_file, "/etc/ca.pem");
    assert_string_equal(s->http.proxy, "http://proxy:3128");
    assert_int_equal(s->http.concurrency, 64);
    assert_int_equal(s->http.transaction_timeout_ms, 600000);
    assert_true(s->http.budget_fraction > 0.0499 && s->http.budget_fraction < 0.0501);
    assert_int_equal(s->http.retry.base_ms, 10);
    assert_int_equal(s->http.retry.cap_ms, 3600000);
    assert_int_equal(s->http.retry.max_duration_ms, 30LL * 86400000);
    assert_string_equal(s->dead_letter, "/dl");
    assert_string_equal(s->cred_file, "/s/sse-cloud.json");
    wt_config_free(&cfg);
    check_valid(
        sse_doc("\"region\": \"eu\", \"budget_fraction\": 1, \"transaction_timeout\": 1", NULL));
    check_valid(sse_doc("\"region\": \"apjc\", \"retry\": {}", NULL));
    /* Plain http only to loopback (the local test server). */
    check_valid(sse_doc("\"url\": \"http://127.0.0.1:8080\"", NULL));
    check_valid(sse_doc("\"url\": \"http://localhost/\"", NULL));
    check_valid(sse_doc("\"url\": \"http://[::1]:9\"", NULL));

    /* One of region and url. */
    check_error(sse_doc(NULL, NULL), "sinks[0].region: required (or url)");
    check_error(sse_doc("\"region\": \"eu\", \"url\": \"https://x.example.com\"", NULL),
                "sinks[0].url: not with region (one of them)");
    /* Keys of other sink types are unknown here. */
    check_error(sse_doc("\"region\": \"eu\", \"topic\": \"t\"", NULL),
                "sinks[0].topic: unknown key");
    check_error(sse_doc("\"region\": \"eu\", \"compress\": \"none\"", NULL),
                "sinks[0].compress: unknown key");

    /* Values. */
    static const struct {
        const char *members, *msg;
    } bad[] = {
        {"\"region\": \"us\"", "sinks[0].region: must be \"nam\", \"eu\" or \"apjc\""},
        {"\"region\": \"EU\"", "sinks[0].region: must be \"nam\", \"eu\" or \"apjc\""},
        {"\"url\": \"http://sse.example.com\"",
         "sinks[0].url: must be an https:// URL without query or fragment (http:// only to "
         "127.0.0.1, [::1] or localhost)"},
        {"\"url\": \"http://127.0.0.1.example.com\"",
         "sinks[0].url: must be an https:// URL without query or fragment (http:// only to "
         "127.0.0.1, [::1] or localhost)"},
        {"\"url\": \"ftp://x\"",
         "sinks[0].url: must be an https:// URL without query or fragment (http:// only to "
         "127.0.0.1, [::1] or localhost)"},
        {"\"url\": \"https://x.example.com/?a=b\"",
         "sinks[0].url: must be an https:// URL without query or fragment (http:// only to "
         "127.0.0.1, [::1] or localhost)"},
        {"\"url\": \"https:// x\"",
         "sinks[0].url: must be an https:// URL without query or fragment (http:// only to "
         "127.0.0.1, [::1] or localhost)"},
        {"\"url\": \"https://\"",
         "sinks[0].url: must be an https:// URL without query or fragment (http:// only to "
         "127.0.0.1, [::1] or localhost)"},
        {"\"region\": \"eu\", \"ca_file\": \"ca.pem\"",
         "sinks[0].ca_file: must be an absolute path"},
        {"\"region\": \"eu\", \"proxy\": \"\"",
         "sinks[0].proxy: must be a proxy URL without spaces (e.g. "
         "\"http://proxy.example.com:3128\")"},
        {"\"region\": \"eu\", \"proxy\": \"http://a b\"",
         "sinks[0].proxy: must be a proxy URL without spaces (e.g. "
         "\"http://proxy.example.com:3128\")"},
        {"\"region\": \"eu\", \"concurrency\": 0",
         "sinks[0].concurrency: must be an integer from 1 to 64"},
        {"\"region\": \"eu\", \"concurrency\": 65",
         "sinks[0].concurrency: must be an integer from 1 to 64"},
        {"\"region\": \"eu\", \"concurrency\": 2.5",
         "sinks[0].concurrency: must be an integer from 1 to 64"},
        {"\"region\": \"eu\", \"transaction_timeout\": \"999ms\"",
         "sinks[0].transaction_timeout: must be a duration from 1s to 10m (e.g. \"1m\")"},
        {"\"region\": \"eu\", \"transaction_timeout\": \"11m\"",
         "sinks[0].transaction_timeout: must be a duration from 1s to 10m (e.g. \"1m\")"},
        {"\"region\": \"eu\", \"budget_fraction\": 0.04",
         "sinks[0].budget_fraction: must be a number from 0.05 to 1"},
        {"\"region\": \"eu\", \"budget_fraction\": 1.01",
         "sinks[0].budget_fraction: must be a number from 0.05 to 1"},
        {"\"region\": \"eu\", \"budget_fraction\": \"0.25\"",
         "sinks[0].budget_fraction: must be a number from 0.05 to 1"},
        {"\"region\": \"eu\", \"retry\": {\"base\": \"5ms\"}",
         "sinks[0].retry.base: must be a duration from 10ms to 1h (e.g. \"500ms\")"},
        {"\"region\": \"eu\", \"retry\": {\"cap\": \"2h\"}",
         "sinks[0].retry.cap: must be a duration from 10ms to 1h (e.g. \"1m\")"},
        {"\"region\": \"eu\", \"retry\": {\"max_duration\": \"31d\"}",
         "sinks[0].retry.max_duration: must be a duration from 0s to 30d (e.g. \"0s\")"},
        {"\"region\": \"eu\", \"retry\": {\"jitter\": true}", "sinks[0].retry.jitter: unknown key"},
        {"\"region\": \"eu\", \"retry\": 5", "sinks[0].retry: must be an object"},
        {"\"region\": \"eu\", \"retry\": {\"base\": \"2m\"}",
         "sinks[0].retry.cap: must be at least retry.base"},
        {"\"region\": \"eu\", \"dead_letter\": \"dl\"",
         "sinks[0].dead_letter: must be an absolute path"},
    };
    for (size_t i = 0; i < NCASES(bad); i++)
        check_error(sse_doc(bad[i].members, NULL), bad[i].msg);

    /* Two sse sinks: names, credential files and dead letters apart. */
    assert_int_equal(parse("{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}], \"sinks\": ["
                           "{\"type\": \"sse\", \"region\": \"eu\"},"
                           "{\"type\": \"sse\", \"region\": \"nam\", \"name\": \"us\"}]}"),
                     0);
    assert_string_equal(SSEO(cfg.sinks[0])->cred_file, "/s/sse-sse0.json");
    assert_string_equal(SSEO(cfg.sinks[1])->cred_file, "/s/sse-us.json");
    wt_config_free(&cfg);

    /* The reference documents the table and its retry object. */
    size_t glen;
    char *gen = capture(wt_config_write_reference, &glen);
    assert_non_null(strstr(gen, "### `type: \"sse\"`"));
    assert_non_null(strstr(gen, "#### `retry` (`type: \"sse\"`, `type: \"ctia\"`)"));
    assert_non_null(strstr(gen, "| `budget_fraction` | number | `0.25` | 0.05 .. 1 |"));
    assert_null(strstr(gen, "Reserved: not supported yet"));
    free(gen);
}

/* How often needle occurs in hay. (Not inlined: gcc 12 takes the text of
 * capture() for a dangling stack pointer.) */
__attribute__((noinline)) static size_t occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Does needle occur in hay after the first from? */
__attribute__((noinline)) static bool occurs_after(const char *hay, const char *from,
                                                   const char *needle)
{
    const char *p = strstr(hay, from);
    return p && strstr(p, needle);
}

/* A ctia sink entry with its credentials from the environment. */
static const char *ctia_doc(const char *sink)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf),
             "{\"state_dir\": \"/s\", \"inputs\": [{\"path\": \"/a\"}],\n"
             " \"sinks\": [{\"type\": \"ctia\", \"region\": \"eu\", "
             "\"client_id_env\": \"WT_TEST_CTIA_ID\", "
             "\"client_secret_env\": \"WT_TEST_CTIA_SECRET\"%s%s}]}\n",
             sink ? ", " : "", sink ? sink : "");
    return buf;
}

/* The HTTP keys are one block (http_keys.c) both HTTP sinks embed: decoded
 * into each sink's own options, defaulted, checked and documented alike. */
static void test_http_keys_block(void **state)
{
    (void)state;
    setenv("WT_TEST_CTIA_ID", "client-id", 1);
    setenv("WT_TEST_CTIA_SECRET", "client-secret", 1);

    /* Defaults, in a ctia sink as in an sse one (test_sse_sink_keys). */
    assert_int_equal(parse(ctia_doc(NULL)), 0);
    const struct wt_ctia_opts *o = CTIAO(cfg.sinks[0]);
    assert_null(o->http.ca_file);
    assert_null(o->http.proxy);
    assert_int_equal(o->http.concurrency, 4);
    assert_int_equal(o->http.transaction_timeout_ms, 60000);
    assert_true(o->http.budget_fraction > 0.2499 && o->http.budget_fraction < 0.2501);
    assert_int_equal(o->http.retry.base_ms, 500);
    assert_int_equal(o->http.retry.cap_ms, 60000);
    assert_int_equal(o->http.retry.max_duration_ms, 0);
    assert_string_equal(o->dead_letter, "/s/dead-letter");
    wt_config_free(&cfg);

    /* Every key of the block set, among the sink's own keys. */
    assert_int_equal(parse(ctia_doc("\"ca_file\": \"/etc/ca.pem\", \"bucket\": \"1h\", "
                                    "\"proxy\": \"http://proxy:3128\", \"concurrency\": 64, "
                                    "\"transaction_timeout\": \"10m\", \"budget_fraction\": 0.5, "
                                    "\"retry\": {\"base\": \"10ms\", \"cap\": \"1h\", "
                                    "\"max_duration\": \"2d\"}, \"max_entities\": 7")),
                     0);
    o = CTIAO(cfg.sinks[0]);
    assert_string_equal(o->http.ca_file, "/etc/ca.pem");
    assert_string_equal(o->http.proxy, "http://proxy:3128");
    assert_int_equal(o->http.concurrency, 64);
    assert_int_equal(o->http.transaction_timeout_ms, 600000);
    assert_true(o->http.budget_fraction > 0.4999 && o->http.budget_fraction < 0.5001);
    assert_int_equal(o->http.retry.base_ms, 10);
    assert_int_equal(o->http.retry.cap_ms, 3600000);
    assert_int_equal(o->http.retry.max_duration_ms, 2LL * 86400000);
    assert_int_equal(o->bucket_ms, 3600000);
    assert_int_equal(o->max_entities, 7);
    wt_config_free(&cfg);

    /* Errors of the block's keys carry the entry's path; duplicates and typos are caught. */
    check_error(ctia_doc("\"concurrency\": 0"),
                "sinks[0].concurrency: must be an integer from 1 to 64");
    check_error(ctia_doc("\"proxy\": \"a:1\", \"proxy\": \"b:2\""),
                "sinks[0].proxy: duplicate key");
    check_error(ctia_doc("\"proxies\": \"a:1\""), "sinks[0].proxies: unknown key");
    check_error(ctia_doc("\"retry\": {\"base\": \"2m\", \"cap\": \"1m\"}"),
                "sinks[0].retry.cap: must be at least retry.base");
    check_error(sse_doc("\"region\": \"eu\", \"ca_file\": \"ca.pem\"", NULL),
                "sinks[0].ca_file: must be an absolute path");
    check_error(ctia_doc("\"token_url\": \"http://x.example.com/t\""),
                "sinks[0].token_url: must be an https:// URL without query or fragment "
                "(http:// only to 127.0.0.1, [::1] or localhost)");

    /* The reference lists the block's keys in both tables and the retry object once. */
    size_t glen;
    char *gen = capture(wt_config_write_reference, &glen);
    const char *row = "| `concurrency` | integer | `4` | 1 .. 64 |";
    assert_true(occurs_after(gen, "### `type: \"sse\"`", row));
    assert_true(occurs_after(gen, "### `type: \"ctia\"`", row));
    assert_int_equal(occurrences(gen, "#### `retry` (`type: \"sse\"`, `type: \"ctia\"`)"), 1);
    assert_int_equal(occurrences(gen, "#### `retry`"), 1);
    free(gen);
    unsetenv("WT_TEST_CTIA_ID");
    unsetenv("WT_TEST_CTIA_SECRET");
}

/* threads: a set value wins; 0 keeps the environment's, else one per CPU (>= 2). */
static void test_apply_threads(void **state)
{
    (void)state;
    struct wt_config c;
    memset(&c, 0, sizeof(c));
    char *saved = getenv("UV_THREADPOOL_SIZE") ? strdup(getenv("UV_THREADPOOL_SIZE")) : NULL;

    c.threads = 3;
    setenv("UV_THREADPOOL_SIZE", "7", 1);
    assert_int_equal(wt_config_apply_threads(&c), 3);
    assert_string_equal(getenv("UV_THREADPOOL_SIZE"), "3");

    c.threads = 0;
    setenv("UV_THREADPOOL_SIZE", "5", 1);
    assert_int_equal(wt_config_apply_threads(&c), 5);
    assert_string_equal(getenv("UV_THREADPOOL_SIZE"), "5");

    int cpus = (int)uv_available_parallelism();
    int expect = cpus < WT_THREADS_AUTO_MIN ? WT_THREADS_AUTO_MIN
                 : cpus > WT_THREADS_MAX    ? WT_THREADS_MAX
                                            : cpus;
    /* Not a pool size libuv would use as it stands: replaced by the default. */
    static const char *const bad[] = {"abc", "0", "-3", "5000", "4x", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("UV_THREADPOOL_SIZE", bad[i], 1);
        assert_int_equal(wt_config_apply_threads(&c), expect);
    }

    unsetenv("UV_THREADPOOL_SIZE");
    int n = wt_config_apply_threads(&c);
    assert_int_equal(n, expect);
    char want[16];
    snprintf(want, sizeof(want), "%d", n);
    assert_string_equal(getenv("UV_THREADPOOL_SIZE"), want);

    if (saved)
        setenv("UV_THREADPOOL_SIZE", saved, 1);
    else
        unsetenv("UV_THREADPOOL_SIZE");
    free(saved);
}

/* Issue 16: inputs of type syslog, mixed with files; their keys and rules. */
static void test_syslog_input_keys(void **state)
{
    (void)state;
#define SYSLOG_BASE                                                                                \
    "{\"state_dir\": \"/var/lib/wt\", \"inputs\": [{\"path\": \"/l/a\"}, %s],"                     \
    " \"sinks\": [{\"type\": \"file\", \"path\": \"/o\"}]}"
    char json[2048];

    snprintf(json, sizeof(json), SYSLOG_BASE,
             "{\"type\": \"syslog\", \"listen\": \"udp://[::]:514\", \"format\": \"w3c\","
             " \"fields\": \"timestamp c-ip cs-url\", \"rcvbuf\": \"8MiB\"}");
    assert_int_equal(parse(json), 0);
    assert_int_equal(cfg.ninputs, 2);
    assert_string_equal(cfg.inputs[0].type->name, "file");
    assert_string_equal(cfg.inputs[1].type->name, "syslog");
    assert_null(wt_input_file_path(&cfg.inputs[1]));
    assert_int_equal(cfg.inputs[1].format, WT_FORMAT_W3C);
    assert_non_null(cfg.inputs[1].source);
    wt_config_free(&cfg);

    static const struct {
        const char *entry, *msg;
    } bad[] = {
        {"{\"type\": \"syslog\"}", "inputs[1].listen: required"},
        {"{\"type\": \"syslog\", \"listen\": \"udp://host\"}",
         "inputs[1].listen: must be \"udp://ADDR:PORT\", \"tcp://ADDR:PORT\" or "
         "\"tls://ADDR:PORT\" (an IPv6 address in brackets)"},
        {"{\"type\": \"syslog\", \"listen\": \"http://1.2.3.4:1\"}",
         "inputs[1].listen: must be \"udp://ADDR:PORT\", \"tcp://ADDR:PORT\" or "
         "\"tls://ADDR:PORT\" (an IPv6 address in brackets)"},
        {"{\"type\": \"syslog\", \"listen\": \"tls://0.0.0.0:6514\", \"tls_key_file\": \"/k\"}",
         "inputs[1].tls_cert_file: required with a tls:// listen address"},
        {"{\"type\": \"syslog\", \"listen\": \"tcp://0.0.0.0:514\", \"tls_ca_file\": \"/k\"}",
         "inputs[1].tls_ca_file: only with a tls:// listen address"},
        {"{\"type\": \"syslog\", \"listen\": \"tcp://0.0.0.0:514\", \"path\": \"/x\"}",
         "inputs[1].path: unknown key"},
        {"{\"type\": \"syslog\", \"listen\": \"tcp://0.0.0.0:514\", \"max_message\": 100}",
         "inputs[1].max_message: must be a size from 480B to 16MiB (e.g. \"64KiB\"; units B, "
         "KiB, MiB, GiB, not KB, MB, GB)"},
        {"{\"type\": \"pipe\", \"listen\": \"tcp://0.0.0.0:514\"}",
         "inputs[1].type: must be \"file\", \"syslog\" or \"kafka\""},
        {"{\"type\": \"file\", \"path\": \"/l/b\", \"listen\": \"tcp://0.0.0.0:514\"}",
         "inputs[1].listen: unknown key"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(json, sizeof(json), SYSLOG_BASE, bad[i].entry);
        check_error(json, bad[i].msg);
    }
    /* The file input's rule still holds, and so does a listener's. */
    snprintf(json, sizeof(json), SYSLOG_BASE, "{\"path\": \"/l/a\"}");
    check_error(json, "inputs[1].path: same as inputs[0].path");
}

/* Issue 16: inputs of type kafka (fleet mode); their keys and rules. */
static void test_kafka_input_keys(void **state)
{
    (void)state;
    char json[2048];

    snprintf(json, sizeof(json), SYSLOG_BASE,
             "{\"type\": \"kafka\", \"brokers\": \"k1:9092,k2:9092\", \"topic\": "
             "\"wt,^wsa-.*\", \"group\": \"ship\", \"format\": \"event\", "
             "\"max_in_flight\": 5000, \"commit_interval\": \"250ms\", "
             "\"properties\": {\"session.timeout.ms\": 10000}}");
    assert_int_equal(parse(json), 0);
    assert_string_equal(cfg.inputs[1].type->name, "kafka");
    assert_int_equal(cfg.inputs[1].format, WT_FORMAT_EVENT);
    assert_null(wt_input_file_path(&cfg.inputs[1]));
    wt_config_free(&cfg);

    /* topic as an array: the same as the comma-separated string. */
    snprintf(json, sizeof(json), SYSLOG_BASE,
             "{\"type\": \"kafka\", \"brokers\": \"k1:9092\", \"topic\": "
             "[\"wt\", \"^wsa-.*\"], \"group\": \"ship\"}");
    assert_int_equal(parse(json), 0);
    assert_string_equal(((const struct wt_kin_opts *)cfg.inputs[1].opts)->topic, "wt,^wsa-.*");
    wt_config_free(&cfg);

#define KIN(extra)                                                                                 \
    "{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": \"wt\", \"group\": \"g\"" extra "}"
    static const struct {
        const char *entry, *msg;
    } bad[] = {
        {"{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": \"wt\"}",
         "inputs[1].group: required"},
        {"{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": \"a,,b\", \"group\": \"g\"}",
         "inputs[1].topic: must be 1 to 16 distinct topic names or ^patterns, separated by "
         "commas or as an array (a name: 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" "
         "and \"-\")"},
        {"{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": [\"a\", \"a\"], \"group\": "
         "\"g\"}",
         "inputs[1].topic: must be 1 to 16 distinct topic names or ^patterns, separated by "
         "commas or as an array (a name: 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" "
         "and \"-\")"},
        {"{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": [\"a,b\"], \"group\": \"g\"}",
         "inputs[1].topic: must be 1 to 16 distinct topic names or ^patterns, separated by "
         "commas or as an array (a name: 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" "
         "and \"-\")"},
        {"{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": [], \"group\": \"g\"}",
         "inputs[1].topic: must be 1 to 16 distinct topic names or ^patterns, separated by "
         "commas or as an array (a name: 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" "
         "and \"-\")"},
        {"{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": [\"a\", 1], \"group\": \"g\"}",
         "inputs[1].topic: must be 1 to 16 distinct topic names or ^patterns, separated by "
         "commas or as an array (a name: 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" "
         "and \"-\")"},
        {"{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": [\"\"], \"group\": \"g\"}",
         "inputs[1].topic: must be 1 to 16 distinct topic names or ^patterns, separated by "
         "commas or as an array (a name: 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" "
         "and \"-\")"},
        {"{\"type\": \"kafka\", \"brokers\": \"k:9092\", \"topic\": \"a,a\", \"group\": \"g\"}",
         "inputs[1].topic: must be 1 to 16 distinct topic names or ^patterns, separated by "
         "commas or as an array (a name: 1 to 249 characters from a-z, A-Z, 0-9, \".\", \"_\" "
         "and \"-\")"},
        {KIN(", \"properties\": {\"enable.auto.commit\": true}"),
         "inputs[1].properties.enable.auto.commit: set by \"the input (commits after acks)\""},
        {KIN(", \"properties\": {\"group.id\": \"x\"}"),
         "inputs[1].properties.group.id: set by \"group\""},
        {KIN(", \"properties\": {\"no.such.property\": 1}"),
         "inputs[1].properties.no.such.property: No such configuration property: "
         "\"no.such.property\""},
        {KIN(", \"max_in_flight\": 1"),
         "inputs[1].max_in_flight: must be an integer from 16 to 16777216"},
        {KIN(", \"listen\": \"tcp://0.0.0.0:1\""), "inputs[1].listen: unknown key"},
        /* format event is the kafka input's only. */
        {"{\"path\": \"/l/b\", \"format\": \"event\"}",
         "inputs[1].format: \"event\" only with type \"kafka\""},
        {"{\"type\": \"syslog\", \"listen\": \"udp://[::]:514\", \"format\": \"event\"}",
         "inputs[1].format: \"event\" only with type \"kafka\""},
    };
#undef KIN
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(json, sizeof(json), SYSLOG_BASE, bad[i].entry);
        check_error(json, bad[i].msg);
    }
    /* One consumer per group and brokers. */
    snprintf(json, sizeof(json),
             "{\"state_dir\": \"/var/lib/wt\", \"inputs\": [%s, %s],"
             " \"sinks\": [{\"type\": \"file\", \"path\": \"/o\"}]}",
             "{\"type\": \"kafka\", \"brokers\": \"k:1\", \"topic\": \"a\", \"group\": \"g\"}",
             "{\"type\": \"kafka\", \"brokers\": \"k:1\", \"topic\": \"b\", \"group\": \"g\"}");
    check_error(json, "inputs[1].group: same as inputs[0].group on the same brokers");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_minimal),
        cmocka_unit_test(test_every_key_set),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_range_errors),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_required_keys),
        cmocka_unit_test(test_array_limits),
        cmocka_unit_test(test_sinks),
        cmocka_unit_test(test_cross_key_rules),
        cmocka_unit_test(test_errors_reported_together),
        cmocka_unit_test(test_errors_dropped_beyond_max),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_json_number_values),
        cmocka_unit_test(test_example_file_valid),
        cmocka_unit_test(test_example_file_is_generated),
        cmocka_unit_test(test_reference_matches_docs),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_check_config_command),
        cmocka_unit_test(test_kafka_sink_keys),
        cmocka_unit_test(test_sse_sink_keys),
        cmocka_unit_test(test_http_keys_block),
        cmocka_unit_test(test_apply_threads),
        cmocka_unit_test(test_syslog_input_keys),
        cmocka_unit_test(test_kafka_input_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
