/*
 * squid_util.h - what the squid parser tests share (test_squid.c,
 * test_squid_edges.c, test_squid_fast.c): the sample files of tests/data
 * split into lines, the parser and record under test, and checks of a
 * record's views.
 *
 * Header-only (static functions): each test is one executable.
 */
#ifndef WT_TEST_SQUID_UTIL_H
#define WT_TEST_SQUID_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parsers_int.h"

#define MAX_LINES 64

struct sample_file {
    const char *name;
    char *buf;
    size_t nlines;
    const char *line[MAX_LINES];
    size_t len[MAX_LINES];
};

static struct sample_file files[] = {
    {"wsa_squid_public.log", NULL, 0, {NULL}, {0}},
    {"wsa_squid_prefixed_public.log", NULL, 0, {NULL}, {0}},
    {"wsa_squid_sc4s_rendered.log", NULL, 0, {NULL}, {0}},
    {"wsa_squid_cisco_docs_reconstructed.log", NULL, 0, {NULL}, {0}},
    {"wsa_malformed_public.log", NULL, 0, {NULL}, {0}},
};

static inline struct sample_file *load(const char *name)
{
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct sample_file *sf = &files[i];
        if (strcmp(sf->name, name) != 0)
            continue;
        if (sf->buf)
            return sf;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", WT_TEST_DATA_DIR, name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        long n = ftell(f);
        assert_true(n > 0);
        rewind(f);
        sf->buf = malloc((size_t)n);
        assert_non_null(sf->buf);
        assert_int_equal(fread(sf->buf, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        for (char *p = sf->buf, *end = sf->buf + n; p < end;) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                nl = end;
            assert_true(sf->nlines < MAX_LINES);
            sf->line[sf->nlines] = p;
            sf->len[sf->nlines] = (size_t)(nl - p);
            sf->nlines++;
            p = nl + 1;
        }
        return sf;
    }
    fail_msg("unknown sample file %s", name);
    return NULL;
}

static struct wt_parser ps;
static struct wt_record rec;

/* Parse line n (1-based) of a sample file into rec. */
static inline int parse_sample(const char *name, size_t n)
{
    struct sample_file *sf = load(name);
    assert_true(n >= 1 && n <= sf->nlines);
    return wt_parse_line(&ps, sf->line[n - 1], sf->len[n - 1], &rec);
}

#define PUB  "wsa_squid_public.log"
#define PRE  "wsa_squid_prefixed_public.log"
#define SC4S "wsa_squid_sc4s_rendered.log"
#define DOCS "wsa_squid_cisco_docs_reconstructed.log"
#define BAD  "wsa_malformed_public.log"

static inline void must_parse(const char *name, size_t n)
{
    int rc = parse_sample(name, n);
    if (rc != 0)
        fail_msg("%s:%zu: rc %d", name, n, rc);
}

static inline int parse_str(const char *s)
{
    return wt_parse_line(&ps, s, strlen(s), &rec);
}

#define assert_view(v, lit) assert_view_((v), (lit), __FILE__, __LINE__)
static inline void assert_view_(struct wt_str v, const char *lit, const char *file, int line)
{
    size_t n = strlen(lit);
    if (v.len != n || (n && memcmp(v.p, lit, n) != 0)) {
        print_error("%s:%d: view is [%.*s] (%zu bytes), expected [%s]\n", file, line, (int)v.len,
                    v.p ? v.p : "", v.len, lit);
        _fail(file, line);
    }
}

/* Every view of rec is empty or inside [line, line + len). */
static inline void assert_views_within(const struct wt_record *r, const char *line, size_t len)
{
    const struct wt_str *v[] = {&r->client,  &r->result,      &r->method,     &r->url,
                                &r->user,    &r->hier,        &r->server,     &r->server_ip,
                                &r->mime,    &r->acl,         &r->verdicts,   &r->category,
                                &r->wbrs,    &r->amp_verdict, &r->amp_threat, &r->amp_file,
                                &r->amp_sha, &r->ua,          &r->custom};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (v[i]->len == 0)
            continue;
        assert_true(v[i]->p >= line && v[i]->p + v[i]->len <= line + len);
    }
    unsigned kept = r->nverdict < WT_VERDICT_MAX ? r->nverdict : WT_VERDICT_MAX;
    for (unsigned i = 0; i < kept; i++) {
        struct wt_str vv = wt_record_verdict(r, i);
        if (vv.len)
            assert_true(vv.p >= line && vv.p + vv.len <= line + len);
    }
}

static inline int setup(void **state)
{
    (void)state;
    return wt_parser_init(&ps, WT_FORMAT_SQUID);
}

static inline void all_parse(const char *name, size_t expect_lines)
{
    struct sample_file *sf = load(name);
    assert_int_equal(sf->nlines, expect_lines);
    for (size_t i = 1; i <= sf->nlines; i++) {
        must_parse(name, i);
        assert_int_equal(rec.format, WT_FORMAT_SQUID);
        assert_true(rec.ts_ms > 1000000000000LL);
        assert_true(rec.client.len > 0);
        assert_true(rec.url.len > 0);
        assert_true(rec.acl.len > 0);
        assert_true(rec.nverdict > 0);
        assert_true(rec.layout != WT_LAYOUT_NONE);
        assert_views_within(&rec, sf->line[i - 1], sf->len[i - 1]);
    }
}

/* Free the sample files loaded (after the group has run). */
static inline void free_samples(void)
{
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        free(files[i].buf);
}

#endif
