/*
 * test_observables_fast.c - the normalisers' fast paths against their
 * general definitions and against inet_pton / inet_ntop: the target split,
 * canonical names, dotted quads, IPv6 parsing and writing, URL schemes and
 * where a path is cut, around every block boundary.
 */
#include "obs_util.h"

/* ------------------------------------------------------------------------ */
/* Fast paths against their general definitions                            */
/* ------------------------------------------------------------------------ */

static bool view_same(struct wt_str a, struct wt_str b)
{
    return a.p == b.p && a.len == b.len;
}

/* The split of t, fast and general: the same answer and the same views. */
static void assert_split_same(const char *t, size_t n)
{
    struct wt__target a, b;
    struct wt_str in = {t, n};
    int ra = wt__split_target(in, &a), rb = wt__split_target_general(in, &b);
    if (ra != rb)
        fail_msg("split of \"%.*s\": %d, general %d", (int)n, t, ra, rb);
    if (ra != 0)
        return;
    if (!view_same(a.scheme, b.scheme) || !view_same(a.host, b.host) ||
        !view_same(a.port, b.port) || !view_same(a.rest, b.rest) || a.bracketed != b.bracketed)
        fail_msg("split of \"%.*s\" differs from the general split", (int)n, t);
}

/* Targets around the 16-byte steps and the 64-byte window of the mask scan,
 * with every separator the split looks at, in each place. */
static void test_split_fast_matches_general(void **state)
{
    (void)state;
    static const char *const base[] = {
        "http://a.example/x",
        "https://www.example.com:443/css/dist/",
        "tunnel://fonts.gstatic.com:443/",
        "HTTPS://u:p@w@a.example:8443/p?q#f",
        "ftp://ftp.example.org/pub",
        "Tunnel://h:1",
        "a+b-c.d://h/",
        "x1://h/",
        "1x://h/",
        "10.182.119.19:443",
        "graph.microsoft.com",
        "2001:db8::1",
        "[2001:db8::1]:8443",
        "https://[::1]/",
        "http:///x",
        "http://@/x",
        "http://h:/",
        "h?q=a:b@c",
        "#frag",
        ":443",
        "abcdefghijklmnopqrstuvwxyzabcdefg://h/",
        "abcdefghijklmnopqrstuvwxyzabcdef://h/",
        "abcdefghijklmnopqrstuvwxyzabcde://h/",
        "http:/a.example/",
        "http:",
        "h",
    };
    static const char seps[] = ":@/?#[]x";
    char t[160];

    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
        size_t n = strlen(base[i]);
        for (size_t k = 0; k <= n; k++)
            assert_split_same(base[i], k); /* every prefix */
    }
    /* A known scheme + host of m bytes + ":8080/p", m around 16, 32, 48 and
     * 64 (the two loads after the scheme, and the scan past them), with
     * every prefix (targets ending in the authority). */
    static const char *const schemes[] = {"http://", "https://", "tunnel://"};
    for (size_t s = 0; s < 3; s++) {
        const size_t sl = strlen(schemes[s]);
        for (size_t m = 1; m < 100; m++) {
            int n = snprintf(t, sizeof(t), "%s%s:8080/p", schemes[s], long_name(m));
            assert_split_same(t, (size_t)n);
            assert_split_same(t + sl, (size_t)n - sl);
            for (size_t k = sl; k < (size_t)n; k++)
                assert_split_same(t, k);
            /* One separator in each place of the authority. */
            for (size_t j = 0; j < strlen(seps); j++) {
                for (size_t at = 0; at < (size_t)n; at++) {
                    char c = t[at];
                    t[at] = seps[j];
                    assert_split_same(t, (size_t)n);
                    t[at] = c;
                }
            }
        }
    }
}

/* The canonical-name check is wt_norm_domain() writing the name back
 * unchanged, around the lengths of its one and two loads. */
static void test_domain_canonical(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "a.example",
        "www.example.com",
        "A.example",
        "a.example.",
        "a..b",
        ".a.b",
        "a.b-",
        "a.-b",
        "a-.b",
        "a.b.1",
        "1.2.3.4",
        "a.1b",
        "a_b.com",
        "a.b:80",
        "xn--bcher-kva.example",
        "localhost",
        "a.b",
        "a.b1",
        "a.0",
    };
    char t[128], nd[300];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct wt_str in = S(cases[i]);
        const int r = wt_norm_domain(in, nd, sizeof(nd));
        const bool want = r == (int)in.len && memcmp(nd, in.p, in.len) == 0;
        if (wt__domain_canonical(in) != want)
            fail_msg("%s: canonical %d, wt_norm_domain says %d", cases[i], !want, want);
    }
    /* Names of 3 to 80 bytes, with one byte changed in each place. */
    static const char bytes[] = "a0.-Z_:";
    for (size_t n = 3; n <= 80; n++) {
        for (size_t k = 0; k < n; k++)
            t[k] = (k % 7 == 3 && k + 1 < n) ? '.' : (char)('a' + k % 26);
        for (size_t at = 0; at <= n; at++) {
            for (size_t j = 0; j < (at < n ? strlen(bytes) : 1); j++) {
                char c = t[at < n ? at : 0];
                if (at < n)
                    t[at] = bytes[j];
                const struct wt_str in = {t, n};
                const int r = wt_norm_domain(in, nd, sizeof(nd));
                /* Longer names are never views (the fast path's limit). */
                const bool want = n <= 64 && r == (int)n && memcmp(nd, t, n) == 0;
                if (wt__domain_canonical(in) != want)
                    fail_msg("%.*s: canonical %d, wt_norm_domain says %d", (int)n, t, !want, want);
                if (at < n)
                    t[at] = c;
            }
        }
    }
}

/* Dotted quads from octet texts that are valid, too big, too long or have
 * leading zeros; and texts around them. */
static void test_ipv4_fast_matches_general(void **state)
{
    (void)state;
    static const char *const oct[] = {"",    "0",   "00",  "01",  "9",   "10",  "99",
                                      "100", "199", "200", "249", "250", "255", "256",
                                      "259", "260", "299", "300", "999", "1000"};
    const size_t no = sizeof(oct) / sizeof(oct[0]);
    char t[64];

    for (size_t a = 0; a < no; a++)
        for (size_t b = 0; b < no; b++)
            for (size_t c = 0; c < no; c++)
                for (size_t d = 0; d < no; d++) {
                    int n = snprintf(t, sizeof(t), "%s.%s.%s.%s", oct[a], oct[b], oct[c], oct[d]);
                    assert_int_equal(wt__ipv4_canonical(t, (size_t)n),
                                     wt__ipv4_canonical_general(t, (size_t)n));
                }
    static const char *const other[] = {"1.2.3.4.",  ".1.2.3.4",      "1..2.3.4", "1.2.3",
                                        "1.2.3.4.5", "1.2.3.a",       "1.2.3.4 ", "1.2.3.-4",
                                        "1.2.3.4/",  "111.222.33.44", "1.2.3:4",  "255.255.255.255",
                                        "1.2.3.\xb4"};
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        size_t n = strlen(other[i]);
        for (size_t k = 0; k <= n; k++)
            assert_int_equal(wt__ipv4_canonical(other[i], k),
                             wt__ipv4_canonical_general(other[i], k));
    }
}

/* wt_norm_ip against inet_pton + inet_ntop on IPv6 texts around the plain
 * form it parses itself: group counts, "::" places, digits per group. */
static void test_ipv6_parse_matches_inet_pton(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "::",
        ":::",
        "::1",
        "1::",
        ":1::",
        "1:",
        ":1",
        "1::2",
        "1:::2",
        "1::2::3",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::8",
        "::1:2:3:4:5:6:7:8",
        "1::3:4:5:6:7:8",
        "0001:02:003:0004::",
        "12345::",
        "1:2:3:4:5:6:7:8:",
        "ABCD:ef01::FFFF",
        "2001:db8:4a10:3::7d3",
        "2001:db8:4a10:5b:d1db:eb83:d7e7:1f40",
        "g::1",
        "1::g",
        "::ffff:1.2.3.4",
        "::1.2.3.4",
        "1:2:3:4:5:6:1.2.3.4",
        "::ffff:1.2.3",

        "fe80::1%eth0",
        "1: :2",
        "::0",
        "0:0:0:0:0:0:0:0",
        "0:0:0:0:0:0:0:1",
    };
    char buf[64], ref[INET6_ADDRSTRLEN];
    unsigned char bin[16];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = ip(cases[i]);
        const char *want = "<EPARSE>";
        if (strlen(cases[i]) < sizeof(buf) && inet_pton(AF_INET6, cases[i], bin) == 1) {
            assert_non_null(inet_ntop(AF_INET6, bin, ref, sizeof(ref)));
            want = ref;
        }
        if (strcmp(got, want) != 0)
            fail_msg("%s: %s, inet_pton+inet_ntop %s", cases[i], got, want);
    }
}

/* Exactly the IPv6 texts inet_ntop writes (other than dotted tails) are
 * canonical: hand-picked texts, then inet_ntop's text of seeded random
 * addresses biased towards zero words, and one-byte changes of it. */
static bool ntop_same(const char *t)
{
    unsigned char bin[16];
    char ref[INET6_ADDRSTRLEN];
    return inet_pton(AF_INET6, t, bin) == 1 && inet_ntop(AF_INET6, bin, ref, sizeof(ref)) &&
           strcmp(ref, t) == 0;
}

static void test_ipv6_canonical_matches_inet_ntop(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "::",
        "::1",
        "1::",
        "::0",
        "0::",
        "0::1",
        "1::0",
        "1:0::",
        "::0:1",
        "1:0:0:1::",
        "1::1:0:0:1",
        "1:0:0:1:0:0:1:1",
        "1:0:0:0:1:0:0:1",
        "1::1:0:0:0:1",
        "1:0:0:0:1::1",
        "1:0:2:3:4:5:6:7",
        "1::2:3:4:5:6:7",
        "::1:2",
        "::1:2:3",
        "::ffff:1:2",
        "::fffe:1:2",
        "::ffff:1",
        "::ffff:0:1:2",
        "2001:db8::5",
        "2001:DB8::5",
        "2001:0db8::5",
        "2001:db8::05",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::",
        "1:2:3:4:5:6::",
        "abcd:ef01::ffff",
        "12345::",
        "::1.2.3.4",
        "::ffff:1.2.3.4",
        "1:",
        ":1",
        "1:::2",
        "1::2::3",
        "0:0:0:0:0:0:0:0",
    };
    char ref[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    uint32_t x = 2463534242u;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const bool want = !strchr(cases[i], '.') && ntop_same(cases[i]);
        if (wt__ipv6_canonical(cases[i], strlen(cases[i])) != want)
            fail_msg("%s: canonical %d, inet_ntop says %d", cases[i], !want, want);
    }
    for (int r = 0; r < 20000; r++) {
        for (int w = 0; w < 8; w++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            const unsigned v = (x & 3) ? 0 : (x >> 8) & ((x & 4) ? 0xf : 0xffff);
            bin[2 * w] = (unsigned char)(v >> 8);
            bin[2 * w + 1] = (unsigned char)v;
        }
        assert_non_null(inet_ntop(AF_INET6, bin, ref, sizeof(ref)));
        const size_t n = strlen(ref);
        if (!strchr(ref, '.') && !wt__ipv6_canonical(ref, n))
            fail_msg("%s: inet_ntop's text not canonical", ref);
        /* One byte changed: canonical exactly when inet_ntop writes it. */
        memcpy(t, ref, n + 1);
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        t[x % n] = ":0fA."[(x >> 8) % 5];
        const bool want = !strchr(t, '.') && ntop_same(t);
        if (wt__ipv6_canonical(t, n) != want)
            fail_msg("%s: canonical %d, inet_ntop says %d", t, !want, want);
    }
}

/* The scheme compare ignores ASCII case only: every byte in every place. */
static void test_url_scheme_bytes(void **state)
{
    (void)state;
    static const char *const schemes[] = {"http", "https", "ftp"};
    char t[64];

    for (size_t i = 0; i < 3; i++) {
        const size_t n = strlen(schemes[i]);
        for (size_t k = 0; k < n; k++) {
            for (unsigned b = 1; b < 256; b++) {
                snprintf(t, sizeof(t), "%s://a.example/", schemes[i]);
                t[k] = (char)b;
                const char want = schemes[i][k];
                const bool same = b == (unsigned char)want || b == (unsigned char)(want - 32);
                int rc = wt_norm_url(S(t), false, out, sizeof(out));
                if (same)
                    assert_true(rc > 0);
                else
                    assert_int_equal(rc, WT_EPARSE);
            }
        }
    }
}

/* The path is cut at the first '?' or '#' wherever it is (16-byte steps). */
static void test_url_query_fragment_positions(void **state)
{
    (void)state;
    char t[128], want[128];

    for (size_t len = 0; len < 50; len++) {
        for (size_t q = 0; q <= len; q++) {
            for (int kind = 0; kind < 3; kind++) {
                /* "http://a.example/" + len path bytes, one of them '?', '#'
                 * or both ("?" at q, "#" at the end). */
                size_t n = (size_t)snprintf(t, sizeof(t), "http://a.example/");
                const size_t path = n;
                for (size_t i = 0; i < len; i++)
                    t[n++] = (char)('a' + i % 26);
                if (q < len)
                    t[path + q] = kind == 1 ? '#' : '?';
                if (kind == 2 && len > 0)
                    t[n - 1] = '#';
                t[n] = '\0';
                /* The reference: path to the first '?' or '#', a query to '#'. */
                size_t w = 0, i = 0;
                for (; i < n && t[i] != '?' && t[i] != '#'; i++)
                    want[w++] = t[i];
                if (i < n && t[i] == '?')
                    for (; i < n && t[i] != '#'; i++)
                        want[w++] = t[i];
                want[w] = '\0';
                assert_string_equal(url(t), want);
            }
        }
    }
}

/* The IPv6 writer against inet_ntop: edge cases, then seeded random addresses
 * biased towards zero words (where "::" choices are made). */
static void test_ipv6_text_matches_inet_ntop(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "::",
        "::1",
        "1::",
        "1:0:0:1:0:0:0:1",
        "1:0:0:0:1:0:0:1",
        "1:0:2:3:4:5:6:7",
        "0:0:1::",
        "::1.2.3.4",
        "::ffff:1.2.3.4",
        "::fffe:1.2.3.4",
        "0:1:0:0:0:0:1.2.3.4",
        "2001:db8::42",
        "fe80::1:0:0:0",
        "abcd:ef01:2345:6789:abcd:ef01:2345:6789",
    };
    unsigned char bin[16];
    char mine[INET6_ADDRSTRLEN], ref[INET6_ADDRSTRLEN];
    uint64_t x = 0x9e3779b97f4a7c15ULL;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) + 20000; i++) {
        if (i < sizeof(cases) / sizeof(cases[0])) {
            assert_int_equal(inet_pton(AF_INET6, cases[i], bin), 1);
        } else {
            for (int k = 0; k < 16; k += 2) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                unsigned w = (x & 3) ? 0 : (unsigned)(x >> 16) & 0xffff;
                if ((x >> 40) % 16 == 0)
                    w = 0xffff;
                bin[k] = (unsigned char)(w >> 8);
                bin[k + 1] = (unsigned char)w;
            }
        }
        size_t n = wt__ipv6_text(bin, mine);
        assert_non_null(inet_ntop(AF_INET6, bin, ref, sizeof(ref)));
        mine[n] = '\0';
        assert_string_equal(mine, ref);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_fast_matches_general),
        cmocka_unit_test(test_ipv4_fast_matches_general),
        cmocka_unit_test(test_ipv6_parse_matches_inet_pton),
        cmocka_unit_test(test_ipv6_canonical_matches_inet_ntop),
        cmocka_unit_test(test_domain_canonical),
        cmocka_unit_test(test_url_scheme_bytes),
        cmocka_unit_test(test_url_query_fragment_positions),
        cmocka_unit_test(test_ipv6_text_matches_inet_ntop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
