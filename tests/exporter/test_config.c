/*
 * test_config.c - the configuration decoder: defaults, every key's type and
 * range errors, unknown / duplicate / missing keys, errors reported together,
 * invalid JSON, the duration and size parsers and the thread pool size.
 * The files (example, reference, load, check-config) are test_config_files.c;
 * the keys of each sink and input type test_config_sinks.c and
 * test_config_inputs.c.
 */
#include "config_util.h"

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

#define E_SCAN    "scan_interval: must be a duration from 100ms to 1h (e.g. \"10s\")"
#define E_THREADS "threads: must be an integer from 0 to 64"
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
        cmocka_unit_test(test_apply_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
