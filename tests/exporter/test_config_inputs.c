/*
 * test_config_inputs.c - the keys of the syslog and kafka inputs (issue 16),
 * mixed with file inputs: values, errors and the rules across inputs.
 */
#include "config_util.h"

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
        cmocka_unit_test(test_syslog_input_keys),
        cmocka_unit_test(test_kafka_input_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
