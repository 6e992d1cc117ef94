/*
 * test_observables_extract.c - wt_obs_extract() over hand-built records:
 * which observables a record gives, in which order, deduplicated, and at
 * every scratch size.
 */
#include "obs_util.h"

/* ------------------------------------------------------------------------ */
/* Extraction                                                               */
/* ------------------------------------------------------------------------ */

static struct wt_record rec;
static struct wt_obs_set os;
static char scratch[8192];
static char items[2048];

static void rec_squid(const char *client, const char *method, const char *target_, const char *hier,
                      const char *server)
{
    wt_record_clear(&rec);
    rec.format = WT_FORMAT_SQUID;
    rec.client = S(client);
    rec.method = S(method);
    rec.url = S(target_);
    rec.hier = S(hier);
    rec.server = S(server);
}

/* The scratch a caller gives: every view's bytes plus the extra. */
static size_t line_len(void)
{
    return rec.client.len + rec.method.len + rec.url.len + rec.hier.len + rec.server.len +
           rec.server_ip.len + rec.amp_sha.len;
}

static int extract_cap(bool strip, size_t cap)
{
    struct wt_obs_opts o = {.strip_query = strip};
    assert_true(cap <= sizeof(scratch));
    memset(scratch, CANARY, sizeof(scratch));
    wt_obs_set_init(&os, scratch, cap);
    int rc = wt_obs_extract(&rec, &o, &os);
    for (size_t i = cap; i < sizeof(scratch); i++)
        assert_int_equal((unsigned char)scratch[i], CANARY);
    assert_true(os.scratch_used <= cap);
    assert_true(os.n <= WT_OBS_MAX);
    return rc;
}

/* v lies inside one of the record's fields. */
static bool in_field(struct wt_str v)
{
    const struct wt_str f[] = {rec.client, rec.url, rec.server, rec.server_ip, rec.amp_sha};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (f[i].len && v.p >= f[i].p && v.p + v.len <= f[i].p + f[i].len)
            return true;
    return false;
}

/* "type=value type=value ..." of the set. */
static const char *list(void)
{
    size_t k = 0;
    items[0] = '\0';
    for (unsigned i = 0; i < os.n; i++) {
        const struct wt_obs *it = &os.item[i];
        /* In scratch, or a view of one of the record's fields (a value
         * already canonical in the line). */
        assert_true(
            (it->value.p >= scratch && it->value.p + it->value.len <= scratch + os.scratch_used) ||
            in_field(it->value));
        k += (size_t)snprintf(items + k, sizeof(items) - k, "%s%s=%.*s", i ? " " : "",
                              wt_obs_type_name(it->type), (int)it->value.len, it->value.p);
    }
    return items;
}

static const char *extract(bool strip)
{
    assert_int_equal(extract_cap(strip, line_len() + WT_OBS_SCRATCH_EXTRA), 0);
    return list();
}

static const char *view(struct wt_str v)
{
    static char buf[4][512];
    static unsigned k;
    char *b = buf[k++ % 4];
    snprintf(b, 512, "%.*s", (int)v.len, v.len ? v.p : "");
    return b;
}

static void test_extract_connect_tunnel(void **state)
{
    (void)state;
    rec_squid("10.66.71.105", "CONNECT", "tunnel://WWW.Example.com:443/", "DIRECT",
              "www.example.com");
    assert_string_equal(extract(false), "ip=10.66.71.105 domain=www.example.com");
    assert_string_equal(view(os.client_ip), "10.66.71.105");
    assert_string_equal(view(os.domain), "www.example.com");
    assert_int_equal(os.url.len, 0);
    assert_int_equal(os.server_ip.len, 0);

    /* A tunnel to an address the server field repeats: one ip. */
    rec_squid("192.168.30.103", "TCP_CONNECT", "tunnel://192.168.34.32:443/", "DIRECT",
              "192.168.34.32");
    assert_string_equal(extract(false), "ip=192.168.30.103 ip=192.168.34.32");
    assert_string_equal(view(os.server_ip), "192.168.34.32");
    assert_int_equal(os.domain.len, 0);

    /* A denied tunnel to a single-label host: no domain. */
    rec_squid("10.10.10.10", "CONNECT", "tunnel://FORCEPOINTDLP:443/", "NONE", "");
    assert_string_equal(extract(false), "ip=10.10.10.10");
    assert_int_equal(os.domain.len, 0);
}

static void test_extract_tcp_connect_ip_port(void **state)
{
    (void)state;
    rec_squid("192.168.1.10", "TCP_CONNECT", "10.37.145.84:443", "DIRECT", "www.cisco.com");
    assert_string_equal(extract(false), "ip=192.168.1.10 ip=10.37.145.84 domain=www.cisco.com");
    /* No destination domain: the server's. */
    assert_string_equal(view(os.domain), "www.cisco.com");
    assert_int_equal(os.server_ip.len, 0);
    assert_int_equal(os.url.len, 0);

    /* "DIRECT/url" is no domain. */
    rec_squid("10.147.88.13", "TCP_CONNECT", "10.10.10.1:443", "DIRECT", "url");
    assert_string_equal(extract(false), "ip=10.147.88.13 ip=10.10.10.1");
    assert_int_equal(os.domain.len, 0);
}

static void test_extract_direct_ip_domain_url(void **state)
{
    (void)state;
    rec_squid("10.1.1.1", "GET", "http://My.Site.com:80/Path?a=1#x", "DIRECT", "1.2.3.4");
    assert_string_equal(extract(false), "ip=10.1.1.1 ip=1.2.3.4 domain=my.site.com "
                                        "url=http://my.site.com/Path?a=1");
    assert_string_equal(view(os.server_ip), "1.2.3.4");
    assert_string_equal(view(os.domain), "my.site.com");
    assert_string_equal(view(os.url), "http://my.site.com/Path?a=1");

    /* Any hierarchy code: the server is an address. */
    rec_squid("10.1.1.1", "GET", "http://my.site.com/", "DEFAULT_PARENT", "2001:DB8::7");
    assert_string_equal(extract(false),
                        "ip=10.1.1.1 ipv6=2001:db8::7 domain=my.site.com url=http://my.site.com/");
    assert_string_equal(view(os.server_ip), "2001:db8::7");
}

static void test_extract_dedup_client_server(void **state)
{
    (void)state;
    rec_squid("10.1.1.1", "GET", "http://10.1.1.1/x", "DIRECT", "10.1.1.1");
    assert_string_equal(extract(false), "ip=10.1.1.1 url=http://10.1.1.1/x");
    assert_string_equal(view(os.client_ip), "10.1.1.1");
    assert_string_equal(view(os.server_ip), "10.1.1.1");

    /* Different text, same address. */
    rec_squid("2001:DB8:0::1", "GET", "http://[2001:db8::1]/", "HIER_DIRECT", "2001:db8::0:1");
    assert_string_equal(extract(false), "ipv6=2001:db8::1 url=http://[2001:db8::1]/");
    assert_string_equal(view(os.server_ip), "2001:db8::1");

    /* Destination and server the same name: one domain. */
    rec_squid("10.1.1.1", "GET", "http://WWW.bbc.com/", "DIRECT", "www.BBC.com");
    assert_string_equal(extract(false), "ip=10.1.1.1 domain=www.bbc.com url=http://www.bbc.com/");
}

static void test_extract_w3c_server_ip(void **state)
{
    (void)state;
    rec_squid("10.160.40.169", "CONNECT", "tunnel://www.google.com:443/", "", "www.google.com");
    rec.format = WT_FORMAT_W3C;
    rec.server_ip = S("10.160.43.9");
    assert_string_equal(extract(false), "ip=10.160.40.169 ip=10.160.43.9 domain=www.google.com");
    assert_string_equal(view(os.server_ip), "10.160.43.9");

    /* Without a server host at all. */
    rec_squid("10.160.40.169", "GET", "https://www.survey-xact.dk:443/x.jpg", "", "");
    rec.format = WT_FORMAT_W3C;
    rec.server_ip = S("10.10.1.100");
    assert_string_equal(extract(false),
                        "ip=10.160.40.169 ip=10.10.1.100 "
                        "domain=www.survey-xact.dk url=https://www.survey-xact.dk/x.jpg");

    /* An invalid s-ip is nothing. */
    rec.server_ip = S("10.10.1.xx");
    assert_string_equal(
        extract(false),
        "ip=10.160.40.169 domain=www.survey-xact.dk url=https://www.survey-xact.dk/x.jpg");
    assert_int_equal(os.server_ip.len, 0);
}

static void test_extract_masked_client(void **state)
{
    (void)state;
    rec_squid("10.xx.xx.xx", "CONNECT", "tunnel://csp.withgoogle.com:443/", "DIRECT",
              "csp.withgoogle.com");
    assert_string_equal(extract(false), "domain=csp.withgoogle.com");
    assert_int_equal(os.client_ip.len, 0);

    rec_squid("", "GET", "www.learning.com", "DIRECT", "www.learning.com");
    assert_string_equal(extract(false), "domain=www.learning.com");
    assert_int_equal(os.client_ip.len, 0);
    assert_int_equal(os.url.len, 0);
}

/*
 * A client the parser classified (rec.client_kind, client_bin) gives the set
 * that an UNCHECKED one does (wt_obs_extract's own check), at every scratch
 * size: the shortcut in take_client() changes no outcome.
 */
static void test_extract_client_kind_same(void **state)
{
    (void)state;
    static const struct {
        const char *client;
        int kind; /* wt__client_kind(), WT_EPARSE: no client address */
    } cases[] = {
        {"10.1.2.3", WT_CLIENT_IPV4},
        {"255.255.255.255", WT_CLIENT_IPV4},
        {"2001:db8::5", WT_CLIENT_IPV6},
        {"2001:DB8:0:0:0:0:0:5", WT_CLIENT_IPV6},
        {"::", WT_CLIENT_IPV6},
        {"0:0:0:0:0:ffff:a01:203", WT_CLIENT_IPV6},
        {"::ffff:10.1.2.3", WT_CLIENT_IP},
        {"[2001:db8::5]", WT_CLIENT_IP},
        {"10.xx.xx.xx", WT_CLIENT_MASKED},
        {"2001:db8:xxxx::1", WT_CLIENT_MASKED},
        {"cisco_wsa", WT_EPARSE},
        {"1.2.3.04", WT_EPARSE},
        {"999.1.1.1", WT_EPARSE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char bin[16] = {0};
        struct wt_str c = S(cases[i].client);
        int k = wt__client_kind(c, bin);
        assert_int_equal(k, cases[i].kind);
        assert_int_equal(k >= 0, wt__client_ok_general(c));
        assert_int_equal(wt__client_ok(c), wt__client_ok_general(c));
        if (k < 0)
            continue;
        for (size_t cap = 0; cap <= 64; cap++) {
            char want[2048], got[2048];
            int rc_want, rc_got;

            rec_squid(cases[i].client, "GET", "http://Example.COM/a", "DIRECT", "Example.COM");
            rc_want = extract_cap(false, cap);
            snprintf(want, sizeof(want), "%s|%s", list(), view(os.client_ip));
            rec.client_kind = (enum wt_client_kind)k;
            memcpy(rec.client_bin, bin, sizeof(bin));
            rc_got = extract_cap(false, cap);
            snprintf(got, sizeof(got), "%s|%s", list(), view(os.client_ip));
            assert_int_equal(rc_got, rc_want);
            assert_string_equal(got, want);
        }
    }
}

static void test_extract_order(void **state)
{
    (void)state;
    rec_squid("2001:db8::5", "GET", "https://[2001:DB8::1]:8443/a?b=1#c", "DEFAULT_PARENT",
              "Proxy.Corp.example");
    rec.amp_sha = S("FD5EF49D4213E05F448F11ED9C98253D85829614FBA368A421D14E64C426DA5E");
    assert_string_equal(extract(false), "ipv6=2001:db8::5 ipv6=2001:db8::1 "
                                        "domain=proxy.corp.example "
                                        "url=https://[2001:db8::1]:8443/a?b=1 sha256=" HASH);
    assert_string_equal(view(os.domain), "proxy.corp.example");
    assert_string_equal(view(os.sha256), HASH);

    /* Destination domain first, then the server's; strip_query applies. */
    rec_squid("10.0.0.1", "GET", "http://www.example.com/p?secret=1", "DEFAULT_PARENT",
              "proxy.corp.example");
    rec.server_ip = S("10.0.0.2");
    rec.amp_sha = S(HASH);
    assert_string_equal(extract(true), "ip=10.0.0.1 ip=10.0.0.2 domain=www.example.com "
                                       "domain=proxy.corp.example url=http://www.example.com/p "
                                       "sha256=" HASH);
    assert_string_equal(view(os.domain), "www.example.com");
    assert_string_equal(view(os.server_ip), "10.0.0.2");

    /* A hash with a trailing U+201D is no observable. */
    rec.amp_sha = S(HASH "\xe2\x80\x9d");
    assert_string_equal(extract(true), "ip=10.0.0.1 ip=10.0.0.2 domain=www.example.com "
                                       "domain=proxy.corp.example url=http://www.example.com/p");
    assert_int_equal(os.sha256.len, 0);
}

static void test_extract_reuse_clears(void **state)
{
    (void)state;
    rec_squid("10.0.0.1", "GET", "http://www.example.com/", "DIRECT", "1.2.3.4");
    rec.amp_sha = S(HASH);
    extract(false);
    assert_int_equal(os.n, 5);
    rec_squid("10.xx.xx.xx", "GET", "-", "NONE", "");
    assert_string_equal(extract(false), "");
    assert_int_equal(os.scratch_used, 0);
    assert_int_equal(
        os.client_ip.len + os.server_ip.len + os.domain.len + os.url.len + os.sha256.len, 0);
}

static void test_extract_scratch_too_small(void **state)
{
    char full[2048];
    (void)state;
    rec_squid("2001:db8::5", "GET", "https://user:pw@[2001:DB8::1]:8443/a?b=1#c", "DIRECT",
              "proxy.corp.example");
    rec.server_ip = S("10.0.0.2");
    rec.amp_sha = S(HASH);
    snprintf(full, sizeof(full), "%s", extract(false));
    size_t need = os.scratch_used;
    unsigned nfull = os.n;
    assert_int_equal(nfull, 6);
    for (size_t cap = 0; cap < need; cap++) {
        assert_int_equal(extract_cap(false, cap), WT_EFULL);
        /* What fit is a prefix of the full list. */
        const char *got = list();
        assert_true(os.n < nfull);
        assert_memory_equal(got, full, strlen(got));
    }
    assert_int_equal(extract_cap(false, need), 0);
    assert_string_equal(list(), full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_connect_tunnel),
        cmocka_unit_test(test_extract_tcp_connect_ip_port),
        cmocka_unit_test(test_extract_direct_ip_domain_url),
        cmocka_unit_test(test_extract_dedup_client_server),
        cmocka_unit_test(test_extract_w3c_server_ip),
        cmocka_unit_test(test_extract_masked_client),
        cmocka_unit_test(test_extract_client_kind_same),
        cmocka_unit_test(test_extract_order),
        cmocka_unit_test(test_extract_reuse_clears),
        cmocka_unit_test(test_extract_scratch_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
