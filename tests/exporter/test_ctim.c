/*
 * test_ctim.c - the CTIM sighting encoder and checker: what is encoded
 * passes the check with every field in place; each broken field fails it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctim.h"

#include <string.h>

static const struct wt_ctim_target targets[] = {
    {WT_OBS_IP, WT_STR_LIT("10.0.0.1"), 5},
    {WT_OBS_IPV6, WT_STR_LIT("2001:db8::1"), 2},
};

/* The encoder's text, parsed (it must be valid JSON). */
static cJSON *parse_written(const struct wt_ctim_sighting *s)
{
    struct wt_tbuf b = {0};
    wt_ctim_sighting_write(&b, s);
    size_t len = 0;
    char *text = wt_tbuf_take(&b, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    cJSON *o = cJSON_ParseWithLength(text, len);
    if (!o)
        fail_msg("not JSON: %s", text);
    wt_free(text);
    return o;
}

static cJSON *sample(void)
{
    struct wt_ctim_sighting s = {
        .id = "transient:sighting-1",
        .external_id = "wtexport-sighting-proxy1-domain-x",
        .type = WT_OBS_DOMAIN,
        .value = WT_STR_LIT("example.com"),
        .count = 7,
        .start_ms = 1714566896007LL,
        .end_ms = 1714570496007LL,
        .confidence = "High",
        .source = "wtexport",
        .title = "Proxy requests to example.com",
        .description = "7 requests through proxy1",
        .tlp = "amber",
        .targets = targets,
        .ntargets = 2,
    };
    return parse_written(&s);
}

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void test_encode(void **state)
{
    (void)state;
    char err[256] = "";
    cJSON *o = sample();
    assert_non_null(o);
    if (!wt_ctim_sighting_check(o, err, sizeof(err)))
        fail_msg("%s", err);
    assert_string_equal(str(o, "type"), "sighting");
    assert_string_equal(str(o, "sensor"), "network.proxy");
    assert_string_equal(str(o, "id"), "transient:sighting-1");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "internal")));
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "count")), 7);
    const cJSON *ot = cJSON_GetObjectItem(o, "observed_time");
    assert_string_equal(str(ot, "start_time"), "2024-05-01T12:34:56.007Z");
    assert_string_equal(str(ot, "end_time"), "2024-05-01T13:34:56.007Z");
    const cJSON *ob = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "observables"), 0);
    assert_string_equal(str(ob, "type"), "domain");
    assert_string_equal(str(ob, "value"), "example.com");
    const cJSON *t1 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "targets"), 1);
    assert_string_equal(str(t1, "type"), "endpoint");
    const cJSON *t1o = cJSON_GetArrayItem(cJSON_GetObjectItem(t1, "observables"), 0);
    assert_string_equal(str(t1o, "type"), "ipv6");
    assert_string_equal(str(t1o, "value"), "2001:db8::1");
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "external_ids"), 0)),
        "wtexport-sighting-proxy1-domain-x");
    assert_null(cJSON_GetObjectItem(o, "schema_version"));
    cJSON_Delete(o);
}

/* Each mutation of a valid sighting is refused with a message naming the field. */
static void test_check_refuses(void **state)
{
    (void)state;
    static const struct {
        const char *key, *json, *want;
    } cases[] = {
        {"type", "\"indicator\"", "type"},
        {"count", "0", "count"},
        {"count", "1.5", "count"},
        {"confidence", "\"Sure\"", "confidence"},
        {"sensor", "\"endpoint\"", "sensor"},
        {"internal", "false", "internal"},
        {"tlp", "\"purple\"", "tlp"},
        {"observed_time", "{\"start_time\": \"yesterday\"}", "observed_time.start_time"},
        {"observed_time",
         "{\"start_time\": \"2024-05-02T00:00:00Z\", \"end_time\": \"2024-05-01T00:00:00Z\"}",
         "observed_time.end_time"},
        {"observables", "[{\"type\": \"hostname\", \"value\": \"x\"}]", "observables[0].type"},
        {"observables", "[]", "observables"},
        {"targets", "[{\"type\": \"person\"}]", "targets[0].type"},
        {"schema_version", "\"1.0.11\"", "schema_version"},
        {"external_ids", "[1]", "external_ids"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *o = sample();
        cJSON *v = cJSON_Parse(cases[i].json);
        assert_non_null(v);
        if (cJSON_GetObjectItem(o, cases[i].key))
            cJSON_ReplaceItemInObject(o, cases[i].key, v);
        else
            cJSON_AddItemToObject(o, cases[i].key, v);
        char err[256] = "";
        if (wt_ctim_sighting_check(o, err, sizeof(err)))
            fail_msg("case %zu (%s = %s) passed", i, cases[i].key, cases[i].json);
        if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: \"%s\" does not start with \"%s\"", i, err, cases[i].want);
        cJSON_Delete(o);
    }
}

/* Values that need escaping come back intact; optional members are left out; defaults apply. */
static void test_encode_text(void **state)
{
    (void)state;
    struct wt_ctim_target tg[3] = {
        {WT_OBS_IP, WT_STR_LIT("10.0.0.1"), 7},
        {WT_OBS_IPV6, WT_STR_LIT("2001:db8::1"), 3},
        {WT_OBS_IP, WT_STR_LIT("10.0.0.2"), 1},
    };
    static const char value[] = "http://a.example.com/p?q=\"x\"\\y\x01\xc3\xa9";
    struct wt_ctim_sighting s = {
        .id = "transient:sighting-0123456789abcdef",
        .external_id = "wtexport-sighting-0123456789abcdef",
        .type = WT_OBS_URL,
        .value = WT_STR_LIT(value),
        .count = 12345678901ULL,
        .start_ms = 1714568400000LL,
        .end_ms = 1714568400999LL,
        .confidence = "Medium",
        .source = "wtexport",
        .source_uri = "https://siem.example.com/q?v=a%20b",
        .title = "Web proxy p saw this url",
        .description = "11 request(s) \"quoted\"\ttab",
        .tlp = "green",
        .targets = tg,
        .ntargets = 3,
    };
    for (int round = 0; round < 3; round++) {
        if (round == 1) { /* the optional members left out */
            s.id = s.external_id = s.source_uri = s.title = s.description = NULL;
            s.confidence = s.source = s.tlp = NULL;
        }
        if (round == 2)
            s.ntargets = 0;
        cJSON *o = parse_written(&s);
        char err[256] = "";
        if (!wt_ctim_sighting_check(o, err, sizeof(err)))
            fail_msg("round %d: %s", round, err);
        const cJSON *ob = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "observables"), 0);
        assert_string_equal(str(ob, "value"), value);
        assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "count")) == 12345678901.0);
        const cJSON *ot = cJSON_GetObjectItem(o, "observed_time");
        assert_string_equal(str(ot, "start_time"), "2024-05-01T13:00:00.000Z");
        assert_string_equal(str(ot, "end_time"), "2024-05-01T13:00:00.999Z");
        const cJSON *tgs = cJSON_GetObjectItem(o, "targets");
        assert_int_equal(cJSON_GetArraySize(tgs), round == 2 ? 0 : 3);
        if (round < 2) {
            const cJSON *t2 = cJSON_GetArrayItem(tgs, 2);
            assert_true(cJSON_Compare(cJSON_GetObjectItem(t2, "observed_time"), ot, true));
            const cJSON *t1o = cJSON_GetArrayItem(
                cJSON_GetObjectItem(cJSON_GetArrayItem(tgs, 1), "observables"), 0);
            assert_string_equal(str(t1o, "type"), "ipv6");
            assert_string_equal(str(t1o, "value"), "2001:db8::1");
        }
        if (round == 0) {
            assert_string_equal(str(o, "confidence"), "Medium");
            assert_string_equal(str(o, "tlp"), "green");
            assert_string_equal(str(o, "description"), "11 request(s) \"quoted\"\ttab");
            assert_string_equal(str(o, "source_uri"), "https://siem.example.com/q?v=a%20b");
        } else {
            assert_string_equal(str(o, "confidence"), "High");
            assert_string_equal(str(o, "tlp"), "amber");
            assert_string_equal(str(o, "source"), "wtexport");
            assert_null(cJSON_GetObjectItem(o, "id"));
            assert_null(cJSON_GetObjectItem(o, "external_ids"));
            assert_null(cJSON_GetObjectItem(o, "title"));
            assert_null(cJSON_GetObjectItem(o, "source_uri"));
        }
        cJSON_Delete(o);
    }
}

/* The exact text of a small sighting, and a bundle around two of them that passes the checks. */
static void test_encode_exact_and_bundle(void **state)
{
    (void)state;
    struct wt_ctim_target tg = {WT_OBS_IP, WT_STR_LIT("10.0.0.1"), 2};
    struct wt_ctim_sighting s = {
        .type = WT_OBS_DOMAIN,
        .value = WT_STR_LIT("example.com"),
        .count = 2,
        .start_ms = 0,
        .end_ms = 1000,
        .targets = &tg,
        .ntargets = 1,
    };
    struct wt_tbuf b = {0};
    wt_ctim_sighting_write(&b, &s);
    char *text = wt_tbuf_take(&b, NULL);
    assert_string_equal(
        text, "{\"observables\":[{\"type\":\"domain\",\"value\":\"example.com\"}],"
              "\"type\":\"sighting\",\"count\":2,\"observed_time\":{\"start_time\":"
              "\"1970-01-01T00:00:00.000Z\",\"end_time\":\"1970-01-01T00:00:01.000Z\"},"
              "\"confidence\":\"High\",\"sensor\":\"network.proxy\",\"source\":\"wtexport\","
              "\"internal\":true,\"targets\":[{\"type\":\"endpoint\",\"observables\":[{"
              "\"type\":\"ip\",\"value\":\"10.0.0.1\"}],\"observed_time\":{\"start_time\":"
              "\"1970-01-01T00:00:00.000Z\",\"end_time\":\"1970-01-01T00:00:01.000Z\"}}],"
              "\"tlp\":\"amber\"}");
    wt_free(text);

    wt_ctim_bundle_begin(&b, "wtexport");
    wt_ctim_sighting_write(&b, &s);
    WT_TBUF_LIT(&b, ",");
    wt_ctim_sighting_write(&b, &s);
    wt_ctim_bundle_end(&b);
    text = wt_tbuf_take(&b, NULL);
    cJSON *o = cJSON_Parse(text);
    assert_non_null(o);
    char err[256] = "";
    if (!wt_ctim_bundle_check(o, WT_CTIM_BUNDLE_MAX, err, sizeof(err)))
        fail_msg("%s: %s", err, text);
    const cJSON *sg;
    cJSON_ArrayForEach(sg, cJSON_GetObjectItem(o, "sightings"))
    {
        if (!wt_ctim_sighting_check(sg, err, sizeof(err)))
            fail_msg("%s", err);
    }
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "sightings")), 2);
    cJSON_Delete(o);
    wt_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_check_refuses),
        cmocka_unit_test(test_encode_text),
        cmocka_unit_test(test_encode_exact_and_bundle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
