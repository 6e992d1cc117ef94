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
    return wt_ctim_sighting_json(&s);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_check_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
