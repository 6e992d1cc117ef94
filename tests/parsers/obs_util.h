/*
 * obs_util.h - what the observable tests share (test_observables.c,
 * test_observables_fast.c, test_observables_extract.c): every normaliser's
 * result as text, so a failure prints both sides, with a check that nothing
 * is written past the room given.
 *
 * Header-only (static functions): each test is one executable.
 */
#ifndef WT_TEST_OBS_UTIL_H
#define WT_TEST_OBS_UTIL_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "parsers_int.h"

/* ------------------------------------------------------------------------ */
/* Helpers: every normaliser result as text, so failures print both sides.  */
/* ------------------------------------------------------------------------ */

#define CANARY 0x5a
static char out[4096];
static char text[4096];

static inline struct wt_str S(const char *s) {
    return (struct wt_str){s, strlen(s)};
}

static inline const char *
err_text(int rc)
{
    switch (rc) {
    case WT_EPARSE:
        return "<EPARSE>";
    case WT_EFULL:
        return "<EFULL>";
    default:
        return "<other error>";
    }
}

/* Result of a normaliser: the output as a C string, or <EPARSE>/<EFULL>. */
static inline const char *result(int rc, size_t cap)
{
    if (rc < 0)
        return err_text(rc);
    assert_true((size_t)rc <= cap);
    memcpy(text, out, (size_t)rc);
    text[rc] = '\0';
    return text;
}

/* Room to spare, and a check that nothing past cap was written. */
static inline char *fresh(size_t cap)
{
    memset(out, CANARY, sizeof(out));
    (void)cap;
    return out;
}

static inline void assert_untouched(size_t from)
{
    for (size_t i = from; i < sizeof(out); i++)
        assert_int_equal((unsigned char)out[i], CANARY);
}

static enum wt_obs_type ip_type;

static inline const char *ip_cap(struct wt_str in, size_t cap)
{
    int rc = wt_norm_ip(in, fresh(cap), cap, &ip_type);
    assert_untouched(cap);
    return result(rc, cap);
}

static inline const char *ip(const char *in)
{
    return ip_cap(S(in), 64);
}

static inline const char *dom_cap(struct wt_str in, size_t cap)
{
    int rc = wt_norm_domain(in, fresh(cap), cap);
    assert_untouched(cap);
    return result(rc, cap);
}

static inline const char *dom(const char *in)
{
    return dom_cap(S(in), 1024);
}

static inline const char *url_cap(const char *in, bool strip, size_t cap)
{
    int rc = wt_norm_url(S(in), strip, fresh(cap), cap);
    assert_untouched(cap);
    return result(rc, cap);
}

static inline const char *url(const char *in)
{
    return url_cap(in, false, 2048);
}

static inline const char *sha_cap(struct wt_str in, size_t cap)
{
    int rc = wt_norm_sha256(in, fresh(cap), cap);
    assert_untouched(cap);
    return result(rc, cap);
}

static inline const char *sha(const char *in)
{
    return sha_cap(S(in), 128);
}

/* "host|port" of a target, or <EPARSE>. */
static inline const char *target(const char *in)
{
    struct wt_str h, p;
    int rc = wt_target_host(S(in), &h, &p);
    if (rc != 0)
        return err_text(rc);
    snprintf(text, sizeof(text), "%.*s|%.*s", (int)h.len, h.p, (int)p.len, p.p);
    return text;
}

/* A name of n letters with a dot every 64th byte (labels of 63). */
static inline const char *long_name(size_t n)
{
    static char name[512];
    assert_true(n < sizeof(name));
    memset(name, 'a', n);
    for (size_t i = 63; i + 1 < n; i += 64)
        name[i] = '.';
    name[n] = '\0';
    return name;
}

/* A SHA-256 in its canonical (lower-case hex) form. */
#define HASH "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e"

#endif
