/*
 * test_sink_ctia.c - the CTIA sink's pure parts (ctia_int.h): aggregation
 * (counts, time bounds, targets and their bound, results, bucket edges, the
 * cut and the early-flush point under the memory bound), external ids
 * (stable, distinct per part), the sighting as CTIM (passes the checker),
 * the flush journal (round trip, pruning, damaged text), the token and
 * import answers, the credential files (mode 0600 or refused), the
 * observable type list and the region hosts.
 */
#include "ctia_int.h"
#include "wt_common.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_MS  (60LL * 1000)
#define HOUR_MS (3600LL * 1000)
/* 2024-03-01T10:00:00Z */
#define T0 1709287200000LL

static void event(struct wt__ctia_agg *a, int64_t ts, const char *client, const char *result,
                  const char *domain, uint64_t idx)
{
    char ts_s[25], line[1024];
    wt_iso8601_ms(ts, ts_s);
    int n = snprintf(line, sizeof(line),
                     "{\"ts\":\"%s\",\"client_ip\":\"%s\",\"result\":\"%s\",\"observables\":"
                     "[{\"type\":\"ip\",\"value\":\"%s\"},{\"type\":\"domain\",\"value\":\"%s\"}]}",
                     ts_s, client, result, client, domain);
    assert_int_equal(wt__ctia_agg_line(a, line, (size_t)n, idx), 2);
}

static struct wt__ctia_sight *find(struct wt__ctia_sight *list, const char *value)
{
    for (; list; list = list->next) {
        if (strcmp(list->value, value) == 0)
            return list;
    }
    return NULL;
}

static void free_list(struct wt__ctia_sight *l)
{
    while (l) {
        struct wt__ctia_sight *n = l->next;
        wt__ctia_sight_free(l);
        l = n;
    }
}

static size_t list_len(const struct wt__ctia_sight *l)
{
    size_t n = 0;
    for (; l; l = l->next)
        n++;
    return n;
}

static void test_bucket_of(void **state)
{
    (void)state;
    assert_int_equal(wt__ctia_bucket_of(T0, HOUR_MS), T0);
    assert_int_equal(wt__ctia_bucket_of(T0 + HOUR_MS - 1, HOUR_MS), T0);
    assert_int_equal(wt__ctia_bucket_of(T0 + HOUR_MS, HOUR_MS), T0 + HOUR_MS);
    assert_int_equal(wt__ctia_bucket_of(-1, HOUR_MS), -HOUR_MS);
    assert_int_equal(wt__ctia_bucket_of(T0 + 123456, 86400000LL), T0 - 10 * HOUR_MS);
}

static void test_counts_times_targets(void **state)
{
    (void)state;
    struct wt__ctia_agg a;
    assert_int_equal(wt__ctia_agg_init(&a, HOUR_MS, (1u << WT_OBS_NTYPES) - 1, true), 0);
    event(&a, T0 + 5000, "10.0.0.1", "TCP_MISS", "a.example.com", 0);
    event(&a, T0 + 1000, "10.0.0.2", "TCP_DENIED", "a.example.com", 0);
    event(&a, T0 + 9000, "10.0.0.1", "TCP_MISS", "a.example.com", 1);
    /* Last millisecond of the hour: same bucket; the next one: the next bucket. */
    event(&a, T0 + HOUR_MS - 1, "10.0.0.3", "TCP_MISS", "a.example.com", 1);
    event(&a, T0 + HOUR_MS, "10.0.0.3", "TCP_MISS", "a.example.com", 2);
    assert_int_equal(a.open, 2 + 3 + 1); /* domain x2 buckets, 3 ips + 1 in bucket 2 */
    assert_int_equal(a.events, 5);
    assert_int_equal(wt__ctia_agg_oldest(&a), T0);

    struct wt__ctia_sight *l = wt__ctia_agg_cut(&a, T0 + HOUR_MS);
    assert_int_equal(list_len(l), 4);
    assert_int_equal(a.open, 2);
    struct wt__ctia_sight *d = find(l, "a.example.com");
    assert_non_null(d);
    assert_int_equal(d->count, 4);
    assert_int_equal(d->blocked, 1);
    assert_int_equal(d->first_ms, T0 + 1000);
    assert_int_equal(d->last_ms, T0 + HOUR_MS - 1);
    assert_int_equal(d->ntargets, 3);
    assert_int_equal(d->min_idx, 0);
    assert_int_equal(d->max_idx, 1);
    uint64_t t1 = 0;
    for (uint32_t i = 0; i < d->ntargets; i++) {
        if (strcmp(d->targets[i].addr, "10.0.0.1") == 0)
            t1 = d->targets[i].count;
    }
    assert_int_equal(t1, 2);
    free_list(l);
    l = wt__ctia_agg_cut(&a, INT64_MAX);
    assert_int_equal(list_len(l), 2);
    assert_int_equal(l->bucket, T0 + HOUR_MS);
    assert_int_equal(a.open, 0);
    assert_int_equal(wt__ctia_agg_oldest(&a), INT64_MAX);
    free_list(l);
    wt__ctia_agg_close(&a);
}

static void test_targets_bounded(void **state)
{
    (void)state;
    struct wt__ctia_agg a;
    char ip[32];
    assert_int_equal(wt__ctia_agg_init(&a, HOUR_MS, 1u << WT_OBS_DOMAIN, true), 0);
    for (int i = 0; i < 250; i++) {
        snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 100, i % 100);
        char line[512];
        char ts[25];
        wt_iso8601_ms(T0 + i, ts);
        int n = snprintf(line, sizeof(line),
                         "{\"ts\":\"%s\",\"client_ip\":\"%s\",\"amp_threat\":\"W32.Test\","
                         "\"observables\":[{\"type\":\"domain\",\"value\":\"x.example.com\"}]}",
                         ts, ip);
        assert_int_equal(wt__ctia_agg_line(&a, line, (size_t)n, 0), 1);
    }
    struct wt__ctia_sight *l = wt__ctia_agg_cut(&a, INT64_MAX);
    assert_int_equal(l->ntargets, WT_CTIM_TARGETS_MAX);
    assert_int_equal(l->others, 150);
    assert_int_equal(l->amp_count, 250);
    l->part = 0;
    wt__ctia_sight_set_id(l, "proxy1");
    struct wt_tbuf t = {0};
    wt__ctia_sight_write(&t, l, "proxy1");
    char *text = wt_tbuf_take(&t, NULL);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    wt_free(text);
    char err[200];
    assert_true(wt_ctim_sighting_check(j, err, sizeof(err)));
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItem(j, "description"));
    assert_non_null(strstr(desc, "150 more requests from clients not listed"));
    assert_non_null(strstr(desc, "AMP verdict W32.Test"));
    assert_non_null(strstr(desc, "web proxy proxy1"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "targets")), WT_CTIM_TARGETS_MAX);
    assert_null(cJSON_GetObjectItem(j, "schema_version"));
    cJSON_Delete(j);
    free_list(l);
    wt__ctia_agg_close(&a);
}

static void test_types_and_bad_lines(void **state)
{
    (void)state;
    struct wt__ctia_agg a;
    assert_int_equal(wt__ctia_agg_init(&a, HOUR_MS, wt__ctia_types_mask("domain"), false), 0);
    const char *no_ts = "{\"observables\":[{\"type\":\"domain\",\"value\":\"a.b\"}]}";
    assert_int_equal(wt__ctia_agg_line(&a, no_ts, strlen(no_ts), 0), WT_EPARSE);
    assert_int_equal(wt__ctia_agg_line(&a, "{not json", 9, 0), WT_EPARSE);
    /* Only the domain counts; an unknown type is skipped. */
    const char *ok = "{\"ts\":\"2024-03-01T10:00:00Z\",\"observables\":[{\"type\":\"ip\","
                     "\"value\":\"10.0.0.1\"},{\"type\":\"domain\",\"value\":\"a.b\"},{\"type\":"
                     "\"email\",\"value\":\"x@y\"}]}";
    assert_int_equal(wt__ctia_agg_line(&a, ok, strlen(ok), 0), 1);
    assert_int_equal(a.open, 1);
    assert_int_equal(a.bad_lines, 2);
    wt__ctia_agg_close(&a);
}

static void test_cut_for_memory_bound(void **state)
{
    (void)state;
    struct wt__ctia_agg a;
    char d[64];
    assert_int_equal(wt__ctia_agg_init(&a, MIN_MS, 1u << WT_OBS_DOMAIN, false), 0);
    /* 4 buckets of 10, 20, 30, 40 domains. */
    for (int b = 0; b < 4; b++) {
        for (int i = 0; i < 10 * (b + 1); i++) {
            char line[256], ts[25];
            snprintf(d, sizeof(d), "d%d.example.com", i);
            wt_iso8601_ms(T0 + b * MIN_MS, ts);
            int n = snprintf(line, sizeof(line),
                             "{\"ts\":\"%s\",\"observables\":[{\"type\":\"domain\",\"value\":"
                             "\"%s\"}]}",
                             ts, d);
            assert_int_equal(wt__ctia_agg_line(&a, line, (size_t)n, (uint64_t)b), 1);
        }
    }
    assert_int_equal(a.open, 100);
    /* Keep at most 50: the two oldest buckets (30) are not enough, three (60) are. */
    assert_int_equal(wt__ctia_agg_cut_for(&a, 50), T0 + 3 * MIN_MS);
    /* Keep at most 95: still at least the oldest bucket. */
    assert_int_equal(wt__ctia_agg_cut_for(&a, 95), T0 + MIN_MS);
    assert_int_equal(wt__ctia_agg_cut_for(&a, 0), INT64_MAX);
    struct wt__ctia_sight *l = wt__ctia_agg_cut(&a, T0 + 3 * MIN_MS);
    assert_int_equal(list_len(l), 60);
    /* Oldest bucket first. */
    assert_int_equal(l->bucket, T0);
    assert_int_equal(a.open, 40);
    free_list(l);
    wt__ctia_agg_close(&a);
}

static void test_ids(void **state)
{
    (void)state;
    struct wt__ctia_sight x = {.type = WT_OBS_DOMAIN, .bucket = T0, .part = 0};
    x.value = (char *)"a.example.com";
    x.vlen = strlen(x.value);
    char id0[WT_CTIA_EXTID_MAX], id1[WT_CTIA_EXTID_MAX];
    wt__ctia_sight_set_id(&x, "proxy1");
    snprintf(id0, sizeof(id0), "%s", x.id);
    assert_int_equal(strlen(id0), sizeof(WT_CTIA_EXTID_PREFIX) - 1 + 32);
    assert_int_equal(strncmp(id0, WT_CTIA_EXTID_PREFIX, sizeof(WT_CTIA_EXTID_PREFIX) - 1), 0);
    wt__ctia_sight_set_id(&x, "proxy1");
    assert_string_equal(x.id, id0); /* stable */
    x.part = 1;
    wt__ctia_sight_set_id(&x, "proxy1");
    snprintf(id1, sizeof(id1), "%s", x.id);
    assert_string_not_equal(id0, id1); /* a later part: its own id */
    x.part = 0;
    wt__ctia_sight_set_id(&x, "proxy2");
    assert_string_not_equal(x.id, id0); /* another host */
    x.bucket = T0 + HOUR_MS;
    wt__ctia_sight_set_id(&x, "proxy1");
    assert_string_not_equal(x.id, id0); /* another bucket */
}

static void test_journal(void **state)
{
    (void)state;
    struct wt__ctia_state st, back;
    char err[200];
    wt__ctia_state_init(&st);
    assert_int_equal(wt__ctia_state_next(&st, T0), 0);
    assert_int_equal(wt__ctia_state_used(&st, T0, 0), 0);
    assert_int_equal(wt__ctia_state_used(&st, T0 - HOUR_MS, 2), 0);
    assert_int_equal(wt__ctia_state_next(&st, T0), 1);
    assert_int_equal(wt__ctia_state_next(&st, T0 - HOUR_MS), 3);
    struct wt__ctia_part_no *p = wt_calloc(2, sizeof(*p));
    p[0] = (struct wt__ctia_part_no){T0 - HOUR_MS, 2};
    p[1] = (struct wt__ctia_part_no){T0, 0};
    assert_int_equal(wt__ctia_state_add(&st, 42, T0 + HOUR_MS, p, 2), 0);
    assert_int_equal(wt__ctia_state_add(&st, 43, T0 + HOUR_MS, NULL, 0), 0);
    st.fl[0].done = true;
    st.fl[0].done_ms = 1000;
    char *text = wt__ctia_state_text(&st);
    assert_non_null(text);
    assert_int_equal(wt__ctia_state_parse(&back, text, strlen(text), err, sizeof(err)), 0);
    assert_int_equal(back.nfl, 2);
    assert_int_equal(back.fl[0].after, 42);
    assert_int_equal(back.fl[0].before, T0 + HOUR_MS);
    assert_true(back.fl[0].done);
    assert_int_equal(back.fl[0].nparts, 2);
    assert_int_equal(back.fl[0].parts[0].part, 2);
    assert_false(back.fl[1].done);
    assert_int_equal(wt__ctia_state_next(&back, T0), 1);
    assert_int_equal(wt__ctia_state_next(&back, T0 - HOUR_MS), 3);
    /* Pruning: the done flush long ago, and buckets before oldest. */
    wt__ctia_state_prune(&back, 1000 + WT_CTIA_JOURNAL_KEEP_MS + 1, T0);
    assert_int_equal(back.nfl, 1);
    assert_int_equal(back.fl[0].after, 43);
    assert_int_equal(wt__ctia_state_next(&back, T0 - HOUR_MS), 0);
    assert_int_equal(wt__ctia_state_next(&back, T0), 1);
    wt__ctia_state_close(&back);
    wt_free(text);
    wt__ctia_state_close(&st);
    /* Damaged text is refused, and leaves nothing behind. */
    const char *bad[] = {"", "{}", "{\"version\":2,\"flushes\":[]}",
                         "{\"version\":1,\"next\":[[1]],\"flushes\":[]}",
                         "{\"version\":1,\"next\":[],\"flushes\":[{\"after\":-1}]}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_not_equal(wt__ctia_state_parse(&back, bad[i], strlen(bad[i]), err, sizeof(err)),
                             0);
        assert_int_equal(back.nfl, 0);
    }
}

struct seen {
    int n[3];
    char last_err[200];
};

static void on_res(void *ctx, const char *oid, enum wt__ctia_res r, const char *error)
{
    struct seen *s = ctx;
    (void)oid;
    s->n[r]++;
    if (error)
        snprintf(s->last_err, sizeof(s->last_err), "%s", error);
}

static void test_answers(void **state)
{
    (void)state;
    char err[200], tok[64];
    int64_t life;
    const char *ok = "{\"access_token\":\"abc123\",\"token_type\":\"bearer\",\"expires_in\":3600}";
    assert_int_equal(
        wt__ctia_token_parse(ok, strlen(ok), tok, sizeof(tok), &life, err, sizeof(err)), 0);
    assert_string_equal(tok, "abc123");
    assert_int_equal(life, 3600);
    const char *no = "{\"error\":\"invalid_client\"}";
    assert_int_equal(
        wt__ctia_token_parse(no, strlen(no), tok, sizeof(tok), &life, err, sizeof(err)), WT_EPARSE);
    const char *res = "{\"results\":[{\"original_id\":\"transient:sighting-1\",\"result\":"
                      "\"created\",\"id\":\"x\"},{\"original_id\":\"transient:sighting-2\","
                      "\"result\":\"exists\"},{\"original_id\":\"transient:sighting-3\","
                      "\"result\":\"updated\"},{\"original_id\":\"transient:sighting-4\","
                      "\"result\":\"error\",\"error\":{\"type\":\"invalid\"}},{\"result\":"
                      "\"created\"}]}";
    struct seen s = {{0}, ""};
    assert_int_equal(wt__ctia_results_parse(res, strlen(res), on_res, &s, err, sizeof(err)), 0);
    assert_int_equal(s.n[WT_CTIA_RES_CREATED], 1);
    assert_int_equal(s.n[WT_CTIA_RES_EXISTS], 2);
    assert_int_equal(s.n[WT_CTIA_RES_ERROR], 1);
    assert_non_null(strstr(s.last_err, "invalid"));
    assert_int_equal(wt__ctia_results_parse("[]", 2, on_res, &s, err, sizeof(err)), WT_EPARSE);
}

static void test_secret_files(void **state)
{
    (void)state;
    char path[] = "/tmp/wt-test-ctia-XXXXXX", out[64], err[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "s3cret\nignored\n", 15), 15);
    close(fd);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(
        wt__ctia_secret_read(path, NULL, "client_secret_file", out, sizeof(out), err, sizeof(err)),
        0);
    assert_string_equal(out, "s3cret");
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(
        wt__ctia_secret_read(path, NULL, "client_secret_file", out, sizeof(out), err, sizeof(err)),
        WT_ECONFIG);
    assert_non_null(strstr(err, "chmod 600"));
    assert_null(strstr(err, "s3cret"));
    unlink(path);
    setenv("WT_TEST_CTIA_ID", "id-1", 1);
    assert_int_equal(wt__ctia_secret_read(NULL, "WT_TEST_CTIA_ID", "client_id_env", out,
                                          sizeof(out), err, sizeof(err)),
                     0);
    assert_string_equal(out, "id-1");
    setenv("WT_TEST_CTIA_ID", "has space", 1);
    assert_int_not_equal(wt__ctia_secret_read(NULL, "WT_TEST_CTIA_ID", "client_id_env", out,
                                              sizeof(out), err, sizeof(err)),
                         0);
    assert_null(strstr(err, "has space"));
}

static void test_types_regions(void **state)
{
    (void)state;
    assert_int_equal(wt__ctia_types_mask("ip, domain"), (1u << WT_OBS_IP) | (1u << WT_OBS_DOMAIN));
    assert_int_equal(wt__ctia_types_mask("ip,bogus"), 0);
    assert_int_equal(wt__ctia_types_mask(""), 0);
    assert_string_equal(wt__ctia_region_token_url("eu"),
                        "https://visibility.eu.amp.cisco.com/iroh/oauth2/token");
    assert_string_equal(wt__ctia_region_import_url("apjc"),
                        "https://private.intel.apjc.amp.cisco.com/ctia/bundle/import");
    assert_string_equal(wt__ctia_region_import_url("nam"),
                        "https://private.intel.amp.cisco.com/ctia/bundle/import");
    assert_null(wt__ctia_region_token_url("us"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_of),
        cmocka_unit_test(test_counts_times_targets),
        cmocka_unit_test(test_targets_bounded),
        cmocka_unit_test(test_types_and_bad_lines),
        cmocka_unit_test(test_cut_for_memory_bound),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_journal),
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_secret_files),
        cmocka_unit_test(test_types_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
