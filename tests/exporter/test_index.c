/*
 * test_index.c - the observable index and the observe API's answers,
 * without HTTP: hour buckets, allowed/blocked, AMP verdicts, the top-N
 * clients (exact up to N, the busiest beyond), expiry of whole buckets,
 * commits only when handed to the writer (what another process sees),
 * positions for recovery, the bucket codec, the request decoder, and
 * sightings that pass the CTIM checker the CTIA sink uses, and index files
 * that a planted symlink cannot redirect (issue 17).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctim.h"
#include "index.h"
#include "index_int.h"
#include "loop_util.h"
#include "observe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define H WT_HOUR_MS

static int64_t fake_now;
static int64_t clock_fn(void)
{
    return fake_now;
}

struct env {
    char dir[64];
    struct wt_index *idx;
    struct wt_parser ps;
    struct wt_record rec;
    struct wt_obs_set os;
    char scratch[1 << 17];
};

static struct wt_index *open_idx(const char *dir, unsigned top, int64_t retention, bool ro)
{
    char err[256];
    struct wt_index_opts o = {.path = dir,
                              .max_size = 64u << 20,
                              .top_clients = top,
                              .retention_ms = retention,
                              .readonly = ro,
                              .now_ms = clock_fn};
    struct wt_index *idx = wt_index_open(&o, err, sizeof(err));
    if (!idx)
        fail_msg("open %s: %s", dir, err);
    return idx;
}

static struct env *env_new(unsigned top, int64_t retention)
{
    struct env *e = calloc(1, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/wt-index-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    e->idx = open_idx(e->dir, top, retention, false);
    wt_parser_init(&e->ps, WT_FORMAT_SQUID);
    wt_obs_set_init(&e->os, e->scratch, sizeof(e->scratch));
    return e;
}

static void env_free(struct env *e)
{
    char cmd[128];
    wt_index_close(e->idx);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    assert_int_equal(system(cmd), 0);
    free(e);
}

/* One squid line at ts_ms from client for url; result e.g. "TCP_MISS/200". */
static void add(struct env *e, int64_t ts_ms, const char *client, const char *url,
                const char *result, const char *verdict, uint64_t offset)
{
    char line[1024];
    snprintf(line, sizeof(line),
             "%lld.%03lld 10 %s %s 100 GET %s - DIRECT/1.2.3.4 text/html DEFAULT_CASE "
             "<IW_comp,6.9,-,\"-\",-,-,-,-,\"-\",-,-,-,\"-\",-,-,\"-\",\"-\",-,-,IW_comp,-,\"-\","
             "\"-\",\"Unknown\",\"Unknown\",\"-\",\"-\",198.34,0,-,[Local],\"-\",%s,\"-\",33,0,"
             "\"-\",\"-\"> -",
             (long long)(ts_ms / 1000), (long long)(ts_ms % 1000), client, result, url, verdict);
    assert_int_equal(wt_parse_line(&e->ps, line, strlen(line), &e->rec), 0);
    assert_int_equal(wt_obs_extract(&e->rec, &(struct wt_obs_opts){0}, &e->os), 0);
    struct wt_srcpos at = {.dev = 1, .ino = 2, .gen = 3, .offset = offset, .lineno = offset / 100};
    wt_index_add(e->idx, &e->rec, &e->os, 1, &at);
}

struct got {
    size_t n;
    struct wt_index_bucket b[8];
};

static int got_cb(void *ctx, const struct wt_index_bucket *b)
{
    struct got *g = ctx;
    if (g->n < 8)
        g->b[g->n++] = *b;
    return 0;
}

static struct got look(struct wt_index *idx, enum wt_obs_type t, const char *v)
{
    struct got g = {0};
    assert_int_equal(wt_index_lookup(idx, t, (struct wt_str){v, strlen(v)}, 0, 0, got_cb, &g), 0);
    return g;
}

static void test_buckets(void **state)
{
    (void)state;
    fake_now = 1714568400000LL + 10 * H; /* 2024-05-01T13:00Z + 10 h */
    int64_t h0 = 1714568400000LL;        /* an hour boundary */
    struct env *e = env_new(10, 30LL * 24 * H);
    add(e, h0 + 1000, "10.0.0.1", "http://a.example.com/x", "TCP_MISS/200", "1", 100);
    add(e, h0 + 5000, "10.0.0.2", "http://a.example.com/y", "TCP_DENIED/403", "3", 200);
    add(e, h0 + 9000, "10.0.0.1", "http://a.example.com/x", "TCP_MISS/200", "1", 300);
    add(e, h0 + H + 7, "10.0.0.3", "http://a.example.com/x", "TCP_MISS/200", "-", 400);
    assert_int_equal(wt_index_sync(e->idx), 0);

    struct got g = look(e->idx, WT_OBS_DOMAIN, "a.example.com");
    assert_int_equal(g.n, 2);
    /* Newest first. */
    assert_int_equal(g.b[0].start_ms, h0 + H);
    assert_int_equal(g.b[0].count, 1);
    assert_int_equal(g.b[1].start_ms, h0);
    assert_int_equal(g.b[1].end_ms, h0 + H);
    assert_int_equal(g.b[1].count, 3);
    assert_int_equal(g.b[1].allowed, 2);
    assert_int_equal(g.b[1].blocked, 1);
    assert_int_equal(g.b[1].first_ms, h0 + 1000);
    assert_int_equal(g.b[1].last_ms, h0 + 9000);
    assert_int_equal(g.b[1].nverdicts, 2);
    assert_string_equal(g.b[1].verdict[0], "1");
    assert_string_equal(g.b[1].verdict[1], "3");
    assert_int_equal(g.b[1].nclients, 2);
    assert_int_equal(g.b[1].client[0].count, 2); /* 10.0.0.1, the busiest, first */
    assert_int_equal(g.b[1].client[0].addr[3], 1);
    /* The URL, the client IP and the server IP are observables too. */
    g = look(e->idx, WT_OBS_URL, "http://a.example.com/x");
    assert_int_equal(g.n, 2);
    assert_int_equal(g.b[1].count, 2);
    g = look(e->idx, WT_OBS_IP, "10.0.0.1");
    assert_int_equal(g.n, 1);
    assert_int_equal(g.b[0].count, 2);
    g = look(e->idx, WT_OBS_IP, "1.2.3.4");
    assert_int_equal(g.n, 2);
    /* A window: only the first hour. */
    struct got w = {0};
    assert_int_equal(
        wt_index_lookup(e->idx, WT_OBS_DOMAIN, WT_STR_LIT("a.example.com"), h0, h0 + H, got_cb, &w),
        0);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.b[0].count, 3);
    /* Not seen. */
    assert_int_equal(look(e->idx, WT_OBS_DOMAIN, "b.example.com").n, 0);
    /* Where the committed records end, per input. */
    struct wt_srcpos pos[4];
    assert_int_equal(wt_index_positions(e->idx, NULL, 0), 1);
    assert_int_equal(wt_index_positions(e->idx, pos, 4), 1);
    assert_int_equal(pos[0].dev, 1);
    assert_int_equal(pos[0].ino, 2);
    assert_int_equal(pos[0].gen, 3);
    assert_int_equal(pos[0].offset, 400);
    assert_int_equal(pos[0].lineno, 4);
    env_free(e);
}

static void test_top_clients(void **state)
{
    (void)state;
    int64_t h0 = 1714568400000LL;
    fake_now = h0 + 2 * H;
    struct env *e = env_new(2, 30LL * 24 * H);
    /* 10.0.0.1 x5, 10.0.0.2 x3, 10.0.0.3 x1, interleaved. */
    const char *order[] = {"10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.1",
                           "10.0.0.2", "10.0.0.1", "10.0.0.2", "10.0.0.1"};
    for (size_t i = 0; i < 9; i++)
        add(e, h0 + (int64_t)i, order[i], "http://t.example.com/", "TCP_MISS/200", "-", i);
    assert_int_equal(wt_index_sync(e->idx), 0);
    struct got g = look(e->idx, WT_OBS_DOMAIN, "t.example.com");
    assert_int_equal(g.n, 1);
    assert_int_equal(g.b[0].count, 9);
    assert_int_equal(g.b[0].nclients, 2); /* bounded by top_clients */
    assert_int_equal(g.b[0].client[0].addr[3], 1);
    assert_int_equal(g.b[0].client[0].count, 5); /* the busiest is exact */
    /* The second is 10.0.0.2 with an upper bound of its count (Space-Saving). */
    assert_int_equal(g.b[0].client[1].addr[3], 2);
    assert_in_range(g.b[0].client[1].count, 3, 4);
    /* A later commit merges into the same bucket. */
    add(e, h0 + 100, "10.0.0.2", "http://t.example.com/", "TCP_MISS/200", "-", 99);
    assert_int_equal(wt_index_sync(e->idx), 0);
    g = look(e->idx, WT_OBS_DOMAIN, "t.example.com");
    assert_int_equal(g.b[0].count, 10);
    env_free(e);
}

static void test_expiry(void **state)
{
    (void)state;
    int64_t h0 = 1714568400000LL;
    fake_now = h0 + 30 * 60000; /* half past */
    struct env *e = env_new(10, 2 * H);
    add(e, h0 - H + 10, "10.0.0.1", "http://old.example.com/", "TCP_MISS/200", "-", 1);
    add(e, h0 + 10, "10.0.0.1", "http://new.example.com/", "TCP_MISS/200", "-", 2);
    add(e, h0 - 5 * H, "10.0.0.1", "http://ancient.example.com/", "TCP_MISS/200", "-", 3);
    assert_int_equal(wt_index_sync(e->idx), 0);
    struct wt_index_stats st;
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.buckets, 2);
    assert_int_equal(st.skipped, 1); /* older than the window: never stored */
    assert_int_equal(look(e->idx, WT_OBS_DOMAIN, "old.example.com").n, 1);
    /* Two hours later the first bucket has ended before now - retention. */
    fake_now += 2 * H;
    assert_int_equal(wt_index_expire(e->idx), 0);
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.expired, 1);
    assert_int_equal(st.buckets, 1);
    assert_int_equal(look(e->idx, WT_OBS_DOMAIN, "old.example.com").n, 0);
    assert_int_equal(look(e->idx, WT_OBS_DOMAIN, "new.example.com").n, 1);
    uint64_t bytes = st.map_bytes;
    /* Dropped pages are reused: refilling the dropped hour does not grow the map much. */
    fake_now += H;
    assert_int_equal(wt_index_expire(e->idx), 0);
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.buckets, 0);
    assert_true(st.map_bytes <= bytes + 4 * 4096);
    env_free(e);
}

/* In a child process (LMDB: one environment handle per process): how many
 * buckets another reader sees for domain c.example.com. */
static int seen_by_other_process(const char *dir)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct wt_index *ro = open_idx(dir, 10, 30LL * 24 * H, true);
        struct got g = look(ro, WT_OBS_DOMAIN, "c.example.com");
        wt_index_close(ro);
        _exit(g.n == 1 ? (int)g.b[0].count : 0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_commit_interval(void **state)
{
    (void)state;
    int64_t h0 = 1714568400000LL;
    fake_now = h0 + H / 2;
    struct env *e = env_new(10, 30LL * 24 * H);
    add(e, h0 + 1, "10.0.0.1", "http://c.example.com/", "TCP_MISS/200", "-", 1);
    add(e, h0 + 2, "10.0.0.1", "http://c.example.com/", "TCP_MISS/200", "-", 2);
    /* Nothing is committed until the commit interval hands the buffer over. */
    assert_int_equal(seen_by_other_process(e->dir), 0);
    wt_index_commit(e->idx);
    assert_int_equal(wt_index_sync(e->idx), 0);
    assert_int_equal(seen_by_other_process(e->dir), 2);
    /* An idle commit within the minute does nothing. */
    struct wt_index_stats st;
    wt_index_stats(e->idx, &st);
    uint64_t commits = st.commits;
    wt_index_commit(e->idx);
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.commits, commits);
    env_free(e);
}

static void test_codec(void **state)
{
    (void)state;
    struct wt_index_bucket b = {0}, d;
    uint8_t buf[WT_INDEX_VALUE_BYTES_MAX];
    b.start_ms = 36 * H;
    b.first_ms = b.start_ms + 5;
    b.last_ms = b.start_ms + H - 1;
    b.count = 1ULL << 40;
    b.allowed = 7;
    b.blocked = (1ULL << 40) - 7;
    wt__index_verdict_add(&b, "3", 1);
    uint8_t a4[16] = {10, 0, 0, 9}, a6[16] = {0x20, 1, 0xd, 0xb8};
    wt__index_client_add(&b, 5, a4, 4, 3);
    wt__index_client_add(&b, 5, a6, 16, 4);
    wt__index_clients_sort(&b);
    int n = wt_index_bucket_encode(&b, buf, sizeof(buf));
    assert_true(n > 0 && n < 64);
    assert_int_equal(wt_index_bucket_decode(buf, (size_t)n, b.start_ms, H, &d), 0);
    assert_int_equal(d.count, b.count);
    assert_int_equal(d.blocked, b.blocked);
    assert_int_equal(d.first_ms, b.first_ms);
    assert_int_equal(d.last_ms, b.last_ms);
    assert_int_equal(d.nclients, 2);
    assert_int_equal(d.client[0].len, 16);
    assert_int_equal(d.client[0].count, 4);
    for (int cut = 0; cut < n; cut++)
        assert_int_equal(wt_index_bucket_decode(buf, (size_t)cut, 0, H, &d), WT_EPARSE);
    /* Long values: prefix + hash keys, distinct for distinct values. */
    char v1[1000], v2[1000];
    memset(v1, 'a', sizeof(v1));
    memcpy(v2, v1, sizeof(v2));
    v2[999] = 'b';
    uint8_t k1[WT_INDEX_KEY_MAX], k2[WT_INDEX_KEY_MAX];
    assert_int_equal(wt__index_key(WT_OBS_URL, v1, 1000, k1), WT_INDEX_KEY_MAX);
    assert_int_equal(wt__index_key(WT_OBS_URL, v2, 1000, k2), WT_INDEX_KEY_MAX);
    assert_memory_not_equal(k1, k2, WT_INDEX_KEY_MAX);
}

static void test_decode_request(void **state)
{
    (void)state;
    struct wt_observe_req req;
    char msg[256];
    const char *body = "[{\"type\":\"domain\",\"value\":\"A.Example.COM\"},"
                       "{\"type\":\"domain\",\"value\":\"a.example.com\"},"
                       "{\"type\":\"email\",\"value\":\"x@example.com\"},"
                       "{\"type\":\"ip\",\"value\":\"2001:DB8::1\"},"
                       "{\"type\":\"sha256\",\"value\":\"nothex\"}]";
    assert_int_equal(wt_observe_decode(body, strlen(body), false, &req, msg, sizeof(msg)), 0);
    assert_int_equal(req.n, 2); /* duplicate merged, unknown type and bad hash ignored */
    assert_string_equal(req.obs[0].value, "a.example.com");
    assert_int_equal(req.obs[1].type, WT_OBS_IPV6);
    assert_string_equal(req.obs[1].value, "2001:db8::1");
    wt_observe_req_free(&req);
    /* privacy.strip_query: a URL asked for with its query finds what was indexed. */
    body = "[{\"type\":\"url\",\"value\":\"HTTP://A.example.com:80/p?q=1#f\"}]";
    assert_int_equal(wt_observe_decode(body, strlen(body), true, &req, msg, sizeof(msg)), 0);
    assert_int_equal(req.n, 1);
    assert_string_equal(req.obs[0].value, "http://a.example.com/p");
    wt_observe_req_free(&req);
    assert_int_equal(wt_observe_decode(body, strlen(body), false, &req, msg, sizeof(msg)), 0);
    assert_string_equal(req.obs[0].value, "http://a.example.com/p?q=1");
    wt_observe_req_free(&req);
    const char *bad[] = {"",
                         "{}",
                         "[1]",
                         "[{\"type\":\"ip\"}]",
                         "[{\"type\":\"ip\",\"value\":\"\"}]",
                         "[{\"type\":3,\"value\":\"1.2.3.4\"}]",
                         "[{"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(wt_observe_decode(bad[i], strlen(bad[i]), false, &req, msg, sizeof(msg)),
                         WT_EPARSE);
        assert_non_null(strstr(msg, "Invalid JSON payload received."));
    }
}

static void test_sightings(void **state)
{
    (void)state;
    int64_t h0 = 1714568400000LL;
    fake_now = h0 + 5 * H;
    struct env *e = env_new(10, 30LL * 24 * H);
    for (int h = 0; h < 3; h++) {
        add(e, h0 + h * H + 10, "10.0.0.1", "http://s.example.com/", "TCP_MISS/200", "1", 1);
        add(e, h0 + h * H + 20, "2001:db8::7", "http://s.example.com/", "TCP_DENIED/403", "3", 2);
    }
    assert_int_equal(wt_index_sync(e->idx), 0);
    const char *body = "[{\"type\":\"domain\",\"value\":\"s.example.com\"},"
                       "{\"type\":\"domain\",\"value\":\"unseen.example.com\"}]";
    struct wt_observe_req req;
    char msg[256];
    assert_int_equal(wt_observe_decode(body, strlen(body), false, &req, msg, sizeof(msg)), 0);
    struct wt_observe_answer_opts o = {.host = "proxy1",
                                       .source_uri = "https://siem.example.com/q?v={value}",
                                       .limit = 100,
                                       .top = 10};
    cJSON *data = wt_observe_sightings(e->idx, &req, &o);
    assert_non_null(data);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(data, "sightings");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(s, "count")->valueint, 3);
    const cJSON *doc;
    char err[256];
    cJSON_ArrayForEach(doc, cJSON_GetObjectItemCaseSensitive(s, "docs"))
    {
        if (!wt_ctim_sighting_check(doc, err, sizeof(err)))
            fail_msg("not a valid CTIM sighting: %s", err);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(doc, "count")->valueint, 2);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "targets")), 2);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "source_uri")->valuestring,
                            "https://siem.example.com/q?v=s.example.com");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "internal")));
        assert_null(cJSON_GetObjectItemCaseSensitive(doc, "relations"));
    }
    cJSON_Delete(data);
    /* A limit of 2: the 3 hour buckets become 2 ranges, nothing lost. */
    o.limit = 2;
    data = wt_observe_sightings(e->idx, &req, &o);
    s = cJSON_GetObjectItemCaseSensitive(data, "sightings");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(s, "count")->valueint, 2);
    int total = 0;
    cJSON_ArrayForEach(doc, cJSON_GetObjectItemCaseSensitive(s, "docs"))
    {
        assert_true(wt_ctim_sighting_check(doc, err, sizeof(err)));
        total += cJSON_GetObjectItemCaseSensitive(doc, "count")->valueint;
    }
    assert_int_equal(total, 6);
    cJSON_Delete(data);
    wt_observe_req_free(&req);
    /* Nothing seen: {} as the relay modules answer. */
    body = "[{\"type\":\"domain\",\"value\":\"unseen.example.com\"}]";
    assert_int_equal(wt_observe_decode(body, strlen(body), false, &req, msg, sizeof(msg)), 0);
    data = wt_observe_sightings(e->idx, &req, &o);
    assert_null(data->child);
    cJSON_Delete(data);
    wt_observe_req_free(&req);
    env_free(e);
}

/* A UTC day boundary: 2024-05-01T00:00Z. */
#define D0 1714521600000LL

/* Day D0's records: three hours, four clients (top 2), allowed and blocked. */
static void add_day(struct env *e)
{
    static const struct {
        int64_t at;
        const char *client, *result, *verdict;
    } r[] = {
        {10, "10.0.0.1", "TCP_MISS/200", "1"},
        {20, "10.0.0.2", "TCP_MISS/200", "-"},
        {30, "10.0.0.1", "TCP_DENIED/403", "3"},
        {5 * H + 1, "10.0.0.3", "TCP_MISS/200", "-"},
        {5 * H + 2, "10.0.0.3", "TCP_MISS/200", "-"},
        {5 * H + 3, "10.0.0.3", "TCP_MISS/200", "-"},
        {23 * H + 7, "10.0.0.4", "TCP_MISS/200", "2"},
        {23 * H + 8, "10.0.0.1", "TCP_MISS/200", "-"},
    };
    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
        add(e, D0 + r[i].at, r[i].client, "http://r.example.com/", r[i].result, r[i].verdict,
            100 + i);
}

/* The hour buckets of r.example.com merged oldest first, as the roll-up does. */
static struct wt_index_bucket merged_hours(struct wt_index *idx, unsigned top)
{
    struct got g = look(idx, WT_OBS_DOMAIN, "r.example.com");
    struct wt_index_bucket m = {0};
    size_t n = 0;
    for (size_t i = g.n; i-- > 0;) {
        assert_int_equal(g.b[i].end_ms - g.b[i].start_ms, H);
        if (g.b[i].start_ms >= D0 && g.b[i].start_ms < D0 + 24 * H) {
            wt_index_bucket_merge(&m, &g.b[i], top);
            n++;
        }
    }
    assert_int_equal(n, 3);
    return m;
}

static void expect_day(const struct wt_index_bucket *d, const struct wt_index_bucket *want,
                       uint64_t extra)
{
    assert_int_equal(d->start_ms, D0);
    assert_int_equal(d->end_ms, D0 + 24 * H);
    assert_int_equal(d->count, want->count + extra);
    assert_int_equal(d->allowed, want->allowed + extra);
    assert_int_equal(d->blocked, want->blocked);
    assert_int_equal(d->first_ms, want->first_ms);
    assert_int_equal(d->last_ms, want->last_ms);
    assert_int_equal(d->nverdicts, want->nverdicts);
    for (unsigned i = 0; i < d->nverdicts; i++)
        assert_string_equal(d->verdict[i], want->verdict[i]);
    if (extra)
        return;
    assert_int_equal(d->nclients, want->nclients);
    for (unsigned i = 0; i < d->nclients; i++) {
        assert_int_equal(d->client[i].count, want->client[i].count);
        assert_memory_equal(d->client[i].addr, want->client[i].addr, 4);
    }
}

static void test_rollup(void **state)
{
    (void)state;
    fake_now = D0 + 23 * H + 30 * 60000;
    struct env *e = env_new(2, 30LL * 24 * H);
    add_day(e);
    assert_int_equal(wt_index_sync(e->idx), 0);
    struct wt_index_stats st;
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.buckets, 3); /* the day is open: hours */
    assert_int_equal(st.rolled, 0);
    struct wt_index_bucket want = merged_hours(e->idx, 2);
    assert_int_equal(want.count, 8);
    assert_int_equal(want.blocked, 1);
    assert_int_equal(want.nclients, 2);

    /* The day has ended: the next commit rolls it into one bucket. */
    fake_now = D0 + 24 * H + 30 * 60000;
    add(e, D0 + 24 * H + 5, "10.0.0.9", "http://r.example.com/", "TCP_MISS/200", "-", 200);
    assert_int_equal(wt_index_sync(e->idx), 0);
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.rolled, 1);
    assert_int_equal(st.buckets, 2); /* the day and the open day's hour */
    struct got g = look(e->idx, WT_OBS_DOMAIN, "r.example.com");
    assert_int_equal(g.n, 2);
    assert_int_equal(g.b[0].start_ms, D0 + 24 * H); /* newest first */
    assert_int_equal(g.b[0].count, 1);
    expect_day(&g.b[1], &want, 0);
    /* The client IPs are keys of the day too. */
    g = look(e->idx, WT_OBS_IP, "10.0.0.3");
    assert_int_equal(g.n, 1);
    assert_int_equal(g.b[0].count, 3);
    assert_int_equal(g.b[0].start_ms, D0);

    /* A window inside a rolled day answers the whole day (day granularity). */
    struct got w = {0};
    assert_int_equal(wt_index_lookup(e->idx, WT_OBS_DOMAIN, WT_STR_LIT("r.example.com"), D0 + 5 * H,
                                     D0 + 6 * H, got_cb, &w),
                     0);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.b[0].count, 8);

    /* A late record of the rolled day goes into the day, no hour comes back. */
    add(e, D0 + 3 * H, "10.0.0.1", "http://r.example.com/", "TCP_MISS/200", "-", 201);
    assert_int_equal(wt_index_sync(e->idx), 0);
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.buckets, 2);
    g = look(e->idx, WT_OBS_DOMAIN, "r.example.com");
    assert_int_equal(g.n, 2);
    expect_day(&g.b[1], &want, 1);

    /* Idempotent: more commits and a reopen roll nothing again. */
    add(e, D0 + 24 * H + 6, "10.0.0.9", "http://other.example.com/", "TCP_MISS/200", "-", 202);
    assert_int_equal(wt_index_sync(e->idx), 0);
    wt_index_close(e->idx);
    e->idx = open_idx(e->dir, 2, 30LL * 24 * H, false);
    assert_int_equal(wt_index_sync(e->idx), 0);
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.rolled, 0);
    assert_int_equal(st.buckets, 2);
    g = look(e->idx, WT_OBS_DOMAIN, "r.example.com");
    assert_int_equal(g.n, 2);
    expect_day(&g.b[1], &want, 1);

    /* Expiry drops the whole day once all of it is older than the window. */
    wt_index_set_retention(e->idx, 2 * 24 * H);
    fake_now = D0 + 3 * 24 * H - 1; /* the day ended 2 days - 1 ms ago: kept */
    assert_int_equal(wt_index_expire(e->idx), 0);
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.expired, 0);
    fake_now = D0 + 3 * 24 * H;
    assert_int_equal(wt_index_expire(e->idx), 0);
    wt_index_stats(e->idx, &st);
    assert_int_equal(st.expired, 1);
    g = look(e->idx, WT_OBS_DOMAIN, "r.example.com");
    assert_int_equal(g.n, 1);
    assert_int_equal(g.b[0].start_ms, D0 + 24 * H);
    env_free(e);
}

/*
 * kill -9 around the roll-up: a child opens the index holding day D0's
 * hours and dies before the roll-up, or rolls the day up and dies right
 * after (no close). Reopened, the day counts every record exactly once;
 * the hours the first child leaves (as an index of the hour-only layout
 * would hold them) are rolled up at the next commit. The day before D0,
 * closed at the first commit already, is rolled there.
 */
static void test_rollup_crash(void **state)
{
    (void)state;
    for (int die_after_roll = 0; die_after_roll < 2; die_after_roll++) {
        fake_now = D0 + 23 * H + 30 * 60000;
        struct env *e = env_new(2, 30LL * 24 * H);
        add_day(e);
        /* A day before, closed already: rolled at the first commit. */
        add(e, D0 - 24 * H + 2 * H, "10.0.0.5", "http://r.example.com/", "TCP_MISS/200", "-", 90);
        assert_int_equal(wt_index_sync(e->idx), 0);
        struct wt_index_bucket want = merged_hours(e->idx, 2);
        /* One writer at a time (as the daemon): the child's. */
        wt_index_close(e->idx);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            /* The child's own handle (one environment per process). */
            struct wt_index *c = open_idx(e->dir, 2, 30LL * 24 * H, false);
            if (die_after_roll) {
                fake_now = D0 + 24 * H + 30 * 60000;
                wt_index_sync(c);
                wt_index_sync(c);
            }
            raise(SIGKILL);
        }
        int wst = 0;
        assert_int_equal(waitpid(pid, &wst, 0), pid);
        assert_true(WIFSIGNALED(wst));
        fake_now = D0 + 24 * H + 30 * 60000;
        e->idx = open_idx(e->dir, 2, 30LL * 24 * H, false);
        struct wt_index_stats st;
        wt_index_stats(e->idx, &st);
        assert_int_equal(st.buckets, die_after_roll ? 2 : 4);
        assert_int_equal(wt_index_sync(e->idx), 0);
        wt_index_stats(e->idx, &st);
        assert_int_equal(st.rolled, die_after_roll ? 0 : 1);
        assert_int_equal(st.buckets, 2); /* two days */
        struct got g = look(e->idx, WT_OBS_DOMAIN, "r.example.com");
        assert_int_equal(g.n, 2);
        expect_day(&g.b[0], &want, 0);
        assert_int_equal(g.b[1].start_ms, D0 - 24 * H);
        assert_int_equal(g.b[1].count, 1);
        env_free(e);
    }
}

/* The whole text of path is text. */
static void expect_file(const char *path, const char *text)
{
    char *got = lu_slurp(path, NULL);
    assert_string_equal(got, text);
    free(got);
}

static struct wt_index *try_open(const char *dir, bool allow_symlink, bool ro, char *err,
                                 size_t errlen)
{
    struct wt_index_opts o = {.path = dir,
                              .max_size = 64u << 20,
                              .top_clients = 10,
                              .retention_ms = 48 * H,
                              .readonly = ro,
                              .allow_symlink = allow_symlink,
                              .now_ms = clock_fn};
    return wt_index_open(&o, err, errlen);
}

/* Symlinks planted at the index's data or lock file, or as its directory,
 * never redirect a write: refused with a clear message, targets intact. */
static void test_planted_symlinks(void **state)
{
    (void)state;
    char root[64], dir[96], target[96], data[128], lock[128], link[96], err[1024];
    snprintf(root, sizeof(root), "/tmp/wt-index-XXXXXX");
    assert_non_null(mkdtemp(root));
    snprintf(dir, sizeof(dir), "%s/index", root);
    snprintf(target, sizeof(target), "%s/precious", root);
    snprintf(data, sizeof(data), "%s/data.mdb", dir);
    snprintf(lock, sizeof(lock), "%s/lock.mdb", dir);
    snprintf(link, sizeof(link), "%s/link", root);
    lu_append(target, "keep me");
    assert_int_equal(mkdir(dir, 0700), 0);
    fake_now = 100 * H;

    for (int i = 0; i < 2; i++) {
        const char *planted = i == 0 ? data : lock;
        assert_int_equal(symlink(target, planted), 0);
        assert_null(try_open(dir, false, false, err, sizeof(err)));
        assert_non_null(strstr(err, planted));
        assert_non_null(strstr(err, "is a symbolic link: refused"));
        /* Not even a read-only open (wtexport lookup) follows it. */
        assert_null(try_open(dir, false, true, err, sizeof(err)));
        assert_non_null(strstr(err, "is a symbolic link: refused"));
        expect_file(target, "keep me");
        assert_int_equal(unlink(planted), 0);
    }
    /* Neither file was created through the link. */
    struct stat st;
    assert_int_equal(lstat(target, &st), 0);
    assert_int_equal(st.st_size, 7);

    /* Now it opens: both files are regular, 0600, and LMDB's own. */
    struct wt_index *idx = try_open(dir, false, false, err, sizeof(err));
    if (!idx)
        fail_msg("open: %s", err);
    wt_index_close(idx);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(lstat(i == 0 ? data : lock, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    /* A FIFO at the lock file's name: refused at once, never blocks. */
    assert_int_equal(unlink(lock), 0);
    assert_int_equal(mkfifo(lock, 0600), 0);
    assert_null(try_open(dir, false, false, err, sizeof(err)));
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(unlink(lock), 0);

    /* The directory itself: a symlink only when allowed. */
    assert_int_equal(symlink(dir, link), 0);
    assert_null(try_open(link, false, false, err, sizeof(err)));
    assert_non_null(strstr(err, "index directory"));
    assert_non_null(strstr(err, "is a symbolic link"));
    idx = try_open(link, true, false, err, sizeof(err));
    if (!idx)
        fail_msg("open through an allowed link: %s", err);
    wt_index_close(idx);
    /* ... and it must be the daemon's own: not writable by others. */
    assert_int_equal(chmod(dir, 0770), 0);
    assert_null(try_open(dir, false, false, err, sizeof(err)));
    assert_non_null(strstr(err, "writable by its group"));
    assert_int_equal(chmod(dir, 0700), 0);
    expect_file(target, "keep me");

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buckets),   cmocka_unit_test(test_top_clients),
        cmocka_unit_test(test_expiry),    cmocka_unit_test(test_commit_interval),
        cmocka_unit_test(test_codec),     cmocka_unit_test(test_decode_request),
        cmocka_unit_test(test_sightings), cmocka_unit_test(test_planted_symlinks),
        cmocka_unit_test(test_rollup),    cmocka_unit_test(test_rollup_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
