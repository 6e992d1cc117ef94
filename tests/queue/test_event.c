/*
 * test_event.c - the JSON event encoder: fields, escaping, bounds, time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_queue.h"

/* Strict UTF-8 check (no overlongs, surrogates or > U+10FFFF). */
static int valid_utf8(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k;
    }
    return 1;
}

static struct wt_str S(const char *s) {
    return (struct wt_str){s, strlen(s)};
}

static void
sample(struct wt_record *rec, struct wt_obs_set *os)
{
    wt_record_clear(rec);
    memset(os, 0, sizeof(*os));
    rec->ts_ms = 1278096903150LL;
    rec->elapsed_ms = 97;
    rec->bytes = 8187;
    rec->status = 200;
    rec->client = S("172.10.11.22");
    rec->result = S("TCP_MISS");
    rec->method = S("GET");
    rec->url = S("http://My.Site.com:80/a?b=1");
    rec->user = S("DOM\\user");
    rec->acl = S("DEFAULT_CASE_11-P-I-O-D-E-R");
    os->client_ip = S("172.10.11.22");
    os->url = S("http://my.site.com/a?b=1");
    os->domain = S("my.site.com");
    os->n = 3;
    os->item[0] = (struct wt_obs){WT_OBS_IP, S("172.10.11.22")};
    os->item[1] = (struct wt_obs){WT_OBS_DOMAIN, S("my.site.com")};
    os->item[2] = (struct wt_obs){WT_OBS_URL, S("http://my.site.com/a?b=1")};
}

static cJSON *encode_parse(const struct wt_record *rec, const struct wt_obs_set *os,
                           const struct wt_event_opts *o, char *mem, size_t cap)
{
    struct wt_buf b;
    wt_buf_init(&b, mem, cap);
    assert_int_equal(wt_event_encode(&b, 7, rec, os, o), 0);
    assert_true(b.len > 2 && b.p[b.len - 1] == '\n');
    assert_null(memchr(b.p, '\n', b.len - 1));
    assert_true(valid_utf8((const unsigned char *)b.p, b.len));
    cJSON *j = cJSON_ParseWithLength(b.p, b.len);
    assert_non_null(j);
    return j;
}

static void test_event_fields(void **state)
{
    (void)state;
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {.host = S("proxy1"), .src = S("/var/log/a.log")};
    char mem[8192];
    sample(&rec, &os);
    cJSON *j = encode_parse(&rec, &os, &o, mem, sizeof(mem));
    assert_int_equal(cJSON_GetObjectItem(j, "line")->valueint, 7);
    assert_string_equal(cJSON_GetObjectItem(j, "ts")->valuestring, "2010-07-02T18:55:03.150Z");
    assert_string_equal(cJSON_GetObjectItem(j, "host")->valuestring, "proxy1");
    assert_string_equal(cJSON_GetObjectItem(j, "src")->valuestring, "/var/log/a.log");
    assert_string_equal(cJSON_GetObjectItem(j, "client_ip")->valuestring, "172.10.11.22");
    assert_int_equal(cJSON_GetObjectItem(j, "status")->valueint, 200);
    assert_int_equal(cJSON_GetObjectItem(j, "bytes")->valueint, 8187);
    assert_int_equal(cJSON_GetObjectItem(j, "elapsed_ms")->valueint, 97);
    assert_string_equal(cJSON_GetObjectItem(j, "url")->valuestring, "http://my.site.com/a?b=1");
    assert_string_equal(cJSON_GetObjectItem(j, "domain")->valuestring, "my.site.com");
    assert_null(cJSON_GetObjectItem(j, "user")); /* privacy: off by default */
    assert_null(cJSON_GetObjectItem(j, "sha256"));
    cJSON *obs = cJSON_GetObjectItem(j, "observables");
    assert_int_equal(cJSON_GetArraySize(obs), 3);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(obs, 1), "type")->valuestring,
                        "domain");
    cJSON_Delete(j);

    o.export_user = true;
    j = encode_parse(&rec, &os, &o, mem, sizeof(mem));
    assert_string_equal(cJSON_GetObjectItem(j, "user")->valuestring, "DOM\\user");
    cJSON_Delete(j);
}

static void test_event_escaping(void **state)
{
    (void)state;
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {.export_user = true};
    char mem[8192];
    /* Invalid UTF-8 (lone continuation, overlong, surrogate, truncated),
     * control bytes, quotes and backslashes, and valid multi-byte text. */
    static const char bad[] = "a\x80"
                              "b\xc0\xaf"
                              "c\xed\xa0\x80"
                              "d\x01\x1f\x7f\"\\\te\xe2\x80\x9d"
                              "f\xf0\x9f\x98\x80\xe2\x82";
    sample(&rec, &os);
    rec.user = (struct wt_str){bad, sizeof(bad) - 1};
    cJSON *j = encode_parse(&rec, &os, &o, mem, sizeof(mem));
    const char *u = cJSON_GetObjectItem(j, "user")->valuestring;
    assert_non_null(strstr(u, "\"\\\te\xe2\x80\x9d"
                              "f\xf0\x9f\x98\x80"));
    assert_non_null(strstr(u, "a\xef\xbf\xbd"
                              "b"));
    assert_non_null(strstr(u, "d\x01\x1f\x7f"));
    cJSON_Delete(j);
}

static void test_event_bounded(void **state)
{
    (void)state;
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {0};
    char mem[8192];
    struct wt_buf b;
    sample(&rec, &os);
    /* Every capacity below the encoded size fails cleanly and leaves b as is. */
    wt_buf_init(&b, mem, sizeof(mem));
    assert_int_equal(wt_event_encode(&b, 1, &rec, &os, &o), 0);
    size_t full = b.len;
    for (size_t cap = 0; cap < full; cap++) {
        wt_buf_init(&b, mem, cap);
        assert_int_equal(wt_event_encode(&b, 1, &rec, &os, &o), WT_EFULL);
        assert_int_equal(b.len, 0);
    }
    /* Appending after existing content keeps it on failure. */
    wt_buf_init(&b, mem, full + 9);
    assert_int_equal(wt_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(wt_event_encode(&b, 1, &rec, &os, &o), WT_EFULL);
    assert_int_equal(b.len, 10);
}

static void test_event_max_bound(void **state)
{
    (void)state;
    /* The documented worst case holds for a line of escaped-everything bytes. */
    enum { N = 1000 };
    static char line[N], mem[WT_EVENT_MAX(N)];
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {.export_user = true};
    struct wt_buf b;
    memset(line, 0x01, N);
    sample(&rec, &os);
    /* The url twice (as logged and as observable), the rest of the line once. */
    rec.url = (struct wt_str){line, N};
    rec.user = (struct wt_str){line, N / 2};
    rec.acl = (struct wt_str){line + N / 2, N / 2};
    os.url = os.domain = WT_STR_NULL;
    os.n = 1;
    os.item[0] = (struct wt_obs){WT_OBS_URL, {line, N}};
    wt_buf_init(&b, mem, sizeof(mem));
    assert_int_equal(wt_event_encode(&b, 1, &rec, &os, &o), 0);
    assert_true(b.len <= WT_EVENT_MAX(N));
}

static void test_iso8601(void **state)
{
    (void)state;
    char out[25];
    wt_iso8601_ms(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    wt_iso8601_ms(951782400000LL + 999, out); /* 2000-02-29 leap day */
    assert_string_equal(out, "2000-02-29T00:00:00.999Z");
    wt_iso8601_ms(1737539565563LL, out);
    assert_string_equal(out, "2025-01-22T09:52:45.563Z");
    wt_iso8601_ms(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    wt_iso8601_ms(4102444799000LL, out);
    assert_string_equal(out, "2099-12-31T23:59:59.000Z");
    /* Outside years 0-9999: the nearest end, whatever the value. */
    wt_iso8601_ms(253402300799999LL, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    wt_iso8601_ms(253402300800000LL, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    wt_iso8601_ms(INT64_MAX, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    wt_iso8601_ms(-62167219200000LL, out);
    assert_string_equal(out, "0000-01-01T00:00:00.000Z");
    wt_iso8601_ms(-62167219200001LL, out);
    assert_string_equal(out, "0000-01-01T00:00:00.000Z");
    wt_iso8601_ms(INT64_MIN, out);
    assert_string_equal(out, "0000-01-01T00:00:00.000Z");
}

/* Numbers as printf writes them: every digit count, both ends of the range;
 * through the unchecked writer (big buffer) and the checked one (exact room). */
static void test_event_numbers(void **state)
{
    (void)state;
    static const int64_t vals[] = {
        0,   1,    9,     10,       11,        99,         100,           101,
        999, 1000, 12345, 99999999, 100000000, 4294967296, INT64_MAX - 1, INT64_MAX};
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {0};
    char big[8192], exact[8192], want[64];

    sample(&rec, &os);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        for (int checked = 0; checked < 2; checked++) {
            struct wt_buf b;
            rec.bytes = vals[i];
            wt_buf_init(&b, big, sizeof(big));
            assert_int_equal(wt_event_encode(&b, (uint64_t)vals[i], &rec, &os, &o), 0);
            if (checked) {
                size_t n = b.len;
                wt_buf_init(&b, exact, n);
                assert_int_equal(wt_event_encode(&b, (uint64_t)vals[i], &rec, &os, &o), 0);
                assert_int_equal(b.len, n);
            }
            snprintf(want, sizeof(want), "{\"line\":%lld,", (long long)vals[i]);
            assert_memory_equal(b.p, want, strlen(want));
            snprintf(want, sizeof(want), ",\"bytes\":%lld,", (long long)vals[i]);
            assert_non_null(memmem(b.p, b.len, want, strlen(want)));
        }
    }
    /* A line number past INT64_MAX prints as the signed value (the cast). */
    struct wt_buf b;
    wt_buf_init(&b, big, sizeof(big));
    assert_int_equal(wt_event_encode(&b, (uint64_t)INT64_MAX + 1, &rec, &os, &o), 0);
    static const char min[] = "{\"line\":-9223372036854775808,";
    assert_memory_equal(b.p, min, sizeof(min) - 1);
}

/* Encode through the unchecked writer (a big buffer) and the checked one
 * (exact room, then one byte less); both must write the same bytes. */
static size_t encode_both(const struct wt_record *rec, const struct wt_obs_set *os,
                          const struct wt_event_opts *o, uint64_t lineno, char *big, size_t cap)
{
    struct wt_buf b;
    wt_buf_init(&b, big, cap);
    assert_int_equal(wt_event_encode(&b, lineno, rec, os, o), 0);
    size_t n = b.len;
    char *exact = malloc(n);
    assert_non_null(exact);
    wt_buf_init(&b, exact, n);
    assert_int_equal(wt_event_encode(&b, lineno, rec, os, o), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(exact, big, n);
    wt_buf_init(&b, exact, n - 1);
    assert_int_equal(wt_event_encode(&b, lineno, rec, os, o), WT_EFULL);
    assert_int_equal(b.len, 0);
    free(exact);
    return n;
}

/* Every length the string writer splits on (1-3, 4-7, 8-16, 17-32, longer)
 * with every byte value at every position: the unchecked writer agrees with
 * wt_json_append_str() (via the checked writer). Values sit in exactly sized
 * allocations, so a sanitizer build catches a read past their end. */
static void test_event_string_paths(void **state)
{
    (void)state;
    static const size_t lens[] = {1,  2,  3,  4,  5,  7,  8,  9,  15, 16, 17,
                                  18, 31, 32, 33, 34, 47, 48, 49, 64, 65, 100};
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {.export_user = true};
    static char big[16384], want[1024];

    sample(&rec, &os);
    for (size_t li = 0; li < sizeof(lens) / sizeof(lens[0]); li++) {
        size_t n = lens[li];
        char *v = malloc(n);
        assert_non_null(v);
        for (size_t pos = 0; pos < n; pos++) {
            for (unsigned c = 0; c < 256; c++) {
                for (size_t i = 0; i < n; i++)
                    v[i] = (char)('a' + i % 26);
                v[pos] = (char)c;
                /* A valid two-byte sequence cut short by the end (pos = n - 1)
                 * or complete (its continuation after it). */
                if (c == 0xc3 && pos + 1 < n)
                    v[pos + 1] = (char)0xa9;
                rec.user = (struct wt_str){v, n};
                os.n = 1;
                os.item[0] = (struct wt_obs){WT_OBS_URL, {v, n}};
                size_t len = encode_both(&rec, &os, &o, 1, big, sizeof(big));
                assert_true(valid_utf8((const unsigned char *)big, len));
                /* The checked writer takes the unchecked path too where it
                 * has room: compare with wt_json_append_str() directly. */
                struct wt_buf w;
                wt_buf_init(&w, want, sizeof(want));
                assert_int_equal(wt_buf_append(&w, ",\"user\":", 8), 0);
                assert_int_equal(wt_json_append_str(&w, v, n), 0);
                assert_int_equal(wt_buf_append(&w, ",\"observables\":", 15), 0);
                assert_non_null(memmem(big, len, w.p, w.len));
            }
        }
        free(v);
    }
}

/* Numbers at every digit-count boundary, through both writers. */
static void test_event_number_digits(void **state)
{
    (void)state;
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {0};
    static char big[8192];
    char want[64];

    sample(&rec, &os);
    for (int neg = 0; neg < 2; neg++) {
        uint64_t p = 1;
        for (int d = 0; d <= 19; d++, p *= 10) {
            for (int delta = -1; delta <= 1; delta++) {
                uint64_t u = p + (uint64_t)(int64_t)delta;
                if (u > (uint64_t)INT64_MAX)
                    continue;
                int64_t v = neg ? -(int64_t)u : (int64_t)u;
                rec.bytes = (int64_t)u;
                rec.elapsed_ms = (int64_t)u / 7;
                rec.status = (int)(u % 1000);
                size_t len = encode_both(&rec, &os, &o, (uint64_t)v, big, sizeof(big));
                snprintf(want, sizeof(want), "{\"line\":%lld,", (long long)v);
                assert_memory_equal(big, want, strlen(want));
                snprintf(want, sizeof(want), ",\"bytes\":%lld,\"elapsed_ms\":%lld,", (long long)u,
                         (long long)u / 7);
                assert_non_null(memmem(big, len, want, strlen(want)));
                if (rec.status > 0) {
                    snprintf(want, sizeof(want), ",\"status\":%d,", rec.status);
                    assert_non_null(memmem(big, len, want, strlen(want)));
                }
            }
        }
    }
}

/* The time field follows wt_iso8601_ms() while it reuses the text of the
 * last second: forwards, backwards, across second and day boundaries. */
static void test_event_time_cache(void **state)
{
    (void)state;
    static const int64_t ts[] = {0,
                                 1,
                                 999,
                                 1000,
                                 1001,
                                 -1,
                                 -999,
                                 -1000,
                                 -1001,
                                 0,
                                 86399999,
                                 86400000,
                                 1278096903150LL,
                                 1278096903999LL,
                                 1278096904000LL,
                                 1278096903150LL,
                                 951782400999LL,
                                 4102444799000LL,
                                 INT64_MIN,
                                 INT64_MIN + 999,
                                 INT64_MAX,
                                 -62167219200001LL,
                                 253402300800000LL,
                                 1000,
                                 999};
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {0};
    static char big[8192];
    char iso[25], want[64];

    sample(&rec, &os);
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        rec.ts_ms = ts[i];
        encode_both(&rec, &os, &o, 1, big, sizeof(big));
        wt_iso8601_ms(ts[i], iso);
        snprintf(want, sizeof(want), "{\"line\":1,\"ts\":\"%s\",", iso);
        assert_memory_equal(big, want, strlen(want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* First: the encoder's first time is then in its initial second. */
        cmocka_unit_test(test_event_time_cache),    cmocka_unit_test(test_event_fields),
        cmocka_unit_test(test_event_escaping),      cmocka_unit_test(test_event_bounded),
        cmocka_unit_test(test_event_max_bound),     cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_event_numbers),       cmocka_unit_test(test_event_string_paths),
        cmocka_unit_test(test_event_number_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
