/*
 * test_formats_same.c - one record, two layouts, one event.
 *
 * bench/wt_loggen.c writes the same records (same seed, same draws) in the
 * squid-native layout and in the appliance's default W3C layout, where the
 * verdict list is the x-result-code column (its quoted values hold spaces:
 * "Computers and Internet"). Every record must give the same event: every
 * field the event prints (docs/events.md) and every observable equal, only
 * `format` (and `line`: the W3C file has its header) differ.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_parsers.h"

#define LINE_CAP (64 * 1024)

struct side {
    FILE *f;
    struct wt_parser ps;
    struct wt_record rec;
    struct wt_obs_set os;
    char line[LINE_CAP];
    char scratch[LINE_CAP + WT_OBS_SCRATCH_EXTRA];
    unsigned long lineno;
};

static bool same(struct wt_str a, struct wt_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void fail_field(const char *name, struct wt_str a, struct wt_str b, unsigned long n)
{
    fail_msg("record %lu: %s differs: squid '%.*s' w3c '%.*s'", n, name, (int)a.len, a.p,
             (int)b.len, b.p);
}

#define SAME_STR(name, a, b)                                                                       \
    do {                                                                                           \
        if (!same((a), (b)))                                                                       \
            fail_field(name, (a), (b), n);                                                         \
    } while (0)

/* The next data line of s, parsed and extracted; false at the end of input. */
static bool next_record(struct side *s)
{
    while (fgets(s->line, sizeof(s->line), s->f)) {
        size_t len = strlen(s->line);
        assert_true(len > 0 && s->line[len - 1] == '\n'); /* no line is cut */
        s->lineno++;
        int rc = wt_parse_line(&s->ps, s->line, len - 1, &s->rec);
        if (rc == WT_ESKIP)
            continue;
        if (rc != 0)
            fail_msg("line %lu does not parse (%s): %s", s->lineno, wt_strerror(rc), s->line);
        struct wt_obs_opts o = {0};
        assert_int_equal(wt_obs_extract(&s->rec, &o, &s->os), 0);
        return true;
    }
    return false;
}

/* The event of a (squid) and b (w3c): equal but for format. */
static void compare(const struct side *a, const struct side *b, unsigned long n)
{
    const struct wt_record *x = &a->rec, *y = &b->rec;
    const struct wt_obs_set *p = &a->os, *q = &b->os;

    assert_int_equal(x->format, WT_FORMAT_SQUID);
    assert_int_equal(y->format, WT_FORMAT_W3C);
    if (x->ts_ms != y->ts_ms || x->elapsed_ms != y->elapsed_ms || x->bytes != y->bytes ||
        x->status != y->status)
        fail_msg("record %lu: numbers differ", n);
    SAME_STR("client_ip", p->client_ip.len ? p->client_ip : x->client,
             q->client_ip.len ? q->client_ip : y->client);
    SAME_STR("method", x->method, y->method);
    SAME_STR("result", x->result, y->result);
    SAME_STR("url", p->url.len ? p->url : x->url, q->url.len ? q->url : y->url);
    SAME_STR("domain", p->domain, q->domain);
    SAME_STR("server_ip", p->server_ip, q->server_ip);
    SAME_STR("hierarchy", x->hier, y->hier);
    SAME_STR("mime", x->mime, y->mime);
    SAME_STR("acl", x->acl, y->acl);
    SAME_STR("category", x->category, y->category);
    SAME_STR("wbrs", x->wbrs, y->wbrs);
    SAME_STR("amp_verdict", x->amp_verdict, y->amp_verdict);
    SAME_STR("amp_threat", x->amp_threat, y->amp_threat);
    SAME_STR("amp_file", x->amp_file, y->amp_file);
    SAME_STR("sha256", p->sha256, q->sha256);
    SAME_STR("user", x->user, y->user);
    /* Not printed, but the same decoding: the same list. */
    SAME_STR("verdicts", x->verdicts, y->verdicts);
    assert_int_equal(x->layout, y->layout);
    assert_int_equal(x->nverdict, y->nverdict);
    assert_int_equal(p->n, q->n);
    for (unsigned i = 0; i < p->n; i++) {
        assert_int_equal(p->item[i].type, q->item[i].type);
        SAME_STR("observable", p->item[i].value, q->item[i].value);
    }
}

static FILE *loggen(const char *format, unsigned lines, unsigned seed)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/wt-loggen --format %s --lines %u --seed %u 2>/dev/null",
             WT_BIN_DIR, format, lines, seed);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    return f;
}

static void run_seed(unsigned seed, unsigned lines, unsigned long *amp, unsigned long *modern)
{
    static struct side sq, w3;
    sq.f = loggen("squid", lines, seed);
    w3.f = loggen("w3c-default", lines, seed);
    sq.lineno = w3.lineno = 0;
    assert_int_equal(wt_parser_init(&sq.ps, WT_FORMAT_SQUID), 0);
    assert_int_equal(wt_parser_init(&w3.ps, WT_FORMAT_AUTO), 0);
    wt_obs_set_init(&sq.os, sq.scratch, sizeof(sq.scratch));
    wt_obs_set_init(&w3.os, w3.scratch, sizeof(w3.scratch));

    unsigned long n = 0;
    for (;;) {
        bool a = next_record(&sq), b = next_record(&w3);
        assert_int_equal(a, b);
        if (!a)
            break;
        n++;
        compare(&sq, &w3, n);
        *amp += sq.os.sha256.len > 0;
        *modern += sq.rec.layout == WT_LAYOUT_MODERN;
    }
    assert_int_equal(n, lines);
    assert_int_equal(pclose(sq.f), 0);
    assert_int_equal(pclose(w3.f), 0);
}

static void test_same_event_both_layouts(void **state)
{
    (void)state;
    unsigned long amp = 0, modern = 0;
    run_seed(42, 100000, &amp, &modern);
    run_seed(7, 100000, &amp, &modern);
    /* The runs had the cases that matter: AMP hashes from the list, and
     * the 44-field modern layout (every generated list). */
    assert_true(amp > 100);
    assert_int_equal(modern, 200000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_event_both_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
