/*
 * test_config_sinks.c - the keys of the kafka and sse sinks, and the HTTP
 * keys block the sse and ctia sinks share: defaults, values, errors and
 * their rows in the generated reference.
 */
#include "config_util.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kafka_sink_keys),
        cmocka_unit_test(test_sse_sink_keys),
        cmocka_unit_test(test_http_keys_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
