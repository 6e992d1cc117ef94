/*
 * test_observables.c - the observable normalisers (ip, domain, url, sha256,
 * target host) and wt_obs_extract() over hand-built records. One test per
 * rule, each with valid and invalid inputs.
 */
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

static struct wt_str S(const char *s) {
    return (struct wt_str){s, strlen(s)};
}

static const char *
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
static const char *result(int rc, size_t cap)
{
    if (rc < 0)
        return err_text(rc);
    assert_true((size_t)rc <= cap);
    memcpy(text, out, (size_t)rc);
    text[rc] = '\0';
    return text;
}

/* Room to spare, and a check that nothing past cap was written. */
static char *fresh(size_t cap)
{
    memset(out, CANARY, sizeof(out));
    (void)cap;
    return out;
}

static void assert_untouched(size_t from)
{
    for (size_t i = from; i < sizeof(out); i++)
        assert_int_equal((unsigned char)out[i], CANARY);
}

static enum wt_obs_type ip_type;

static const char *ip_cap(struct wt_str in, size_t cap)
{
    int rc = wt_norm_ip(in, fresh(cap), cap, &ip_type);
    assert_untouched(cap);
    return result(rc, cap);
}

static const char *ip(const char *in)
{
    return ip_cap(S(in), 64);
}

static const char *dom_cap(struct wt_str in, size_t cap)
{
    int rc = wt_norm_domain(in, fresh(cap), cap);
    assert_untouched(cap);
    return result(rc, cap);
}

static const char *dom(const char *in)
{
    return dom_cap(S(in), 1024);
}

static const char *url_cap(const char *in, bool strip, size_t cap)
{
    int rc = wt_norm_url(S(in), strip, fresh(cap), cap);
    assert_untouched(cap);
    return result(rc, cap);
}

static const char *url(const char *in)
{
    return url_cap(in, false, 2048);
}

static const char *sha_cap(struct wt_str in, size_t cap)
{
    int rc = wt_norm_sha256(in, fresh(cap), cap);
    assert_untouched(cap);
    return result(rc, cap);
}

static const char *sha(const char *in)
{
    return sha_cap(S(in), 128);
}

/* "host|port" of a target, or <EPARSE>. */
static const char *target(const char *in)
{
    struct wt_str h, p;
    int rc = wt_target_host(S(in), &h, &p);
    if (rc != 0)
        return err_text(rc);
    snprintf(text, sizeof(text), "%.*s|%.*s", (int)h.len, h.p, (int)p.len, p.p);
    return text;
}

/* A name of n letters with a dot every 64th byte (labels of 63). */
static const char *long_name(size_t n)
{
    static char name[512];
    assert_true(n < sizeof(name));
    memset(name, 'a', n);
    for (size_t i = 63; i + 1 < n; i += 64)
        name[i] = '.';
    name[n] = '\0';
    return name;
}

/* ------------------------------------------------------------------------ */
/* ip / ipv6                                                                */
/* ------------------------------------------------------------------------ */

static void test_ip_v4_canonical(void **state)
{
    (void)state;
    assert_string_equal(ip("192.168.1.10"), "192.168.1.10");
    assert_int_equal(ip_type, WT_OBS_IP);
    assert_string_equal(ip("0.0.0.0"), "0.0.0.0");
    assert_string_equal(ip("255.255.255.255"), "255.255.255.255");
    assert_string_equal(ip(""), "<EPARSE>");
    assert_string_equal(ip("1.2.3.4 "), "<EPARSE>");
    assert_string_equal(ip(" 1.2.3.4"), "<EPARSE>");
    assert_string_equal(ip("www.cisco.com"), "<EPARSE>");
    assert_string_equal(ip("1.2.3.4:443"), "<EPARSE>");
    /* An embedded NUL does not end the view. */
    assert_string_equal(ip_cap((struct wt_str){"1.2.3.4\0x", 9}, 64), "<EPARSE>");
}

static void test_ip_v6_canonical(void **state)
{
    (void)state;
    assert_string_equal(ip("2001:0DB8:0:0::42"), "2001:db8::42");
    assert_int_equal(ip_type, WT_OBS_IPV6);
    assert_string_equal(ip("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
    assert_string_equal(ip("::1"), "::1");
    /* IPv4-mapped stays ipv6, in inet_ntop form. */
    assert_string_equal(ip("::FFFF:1.2.3.4"), "::ffff:1.2.3.4");
    assert_int_equal(ip_type, WT_OBS_IPV6);
    assert_string_equal(ip("::ffff:102:304"), "::ffff:1.2.3.4");
    assert_string_equal(ip("fe80::1%eth0"), "<EPARSE>");
    assert_string_equal(ip("2001:db8:::1"), "<EPARSE>");
    assert_string_equal(ip("1:2:3:4:5:6:7:8:9"), "<EPARSE>");
    assert_string_equal(ip("2001:db8::g"), "<EPARSE>");
    /* Longer than any address text (46 bytes): invalid, not truncated. */
    assert_string_equal(ip("0000:0000:0000:0000:0000:0000:0000:0000:0000:0000"), "<EPARSE>");
    assert_string_equal(ip("0000:0000:0000:0000:0000:ffff:255.255.255.255"),
                        "::ffff:255.255.255.255");
}

static void test_ip_bracketed(void **state)
{
    (void)state;
    assert_string_equal(ip("[2001:db8::1]"), "2001:db8::1");
    assert_int_equal(ip_type, WT_OBS_IPV6);
    assert_string_equal(ip("[::FFFF:10.0.0.1]"), "::ffff:10.0.0.1");
    /* Brackets are IPv6 syntax only, and must be balanced. */
    assert_string_equal(ip("[1.2.3.4]"), "<EPARSE>");
    assert_string_equal(ip("[2001:db8::1"), "<EPARSE>");
    assert_string_equal(ip("2001:db8::1]"), "<EPARSE>");
    assert_string_equal(ip("[]"), "<EPARSE>");
    assert_string_equal(ip("[2001:db8::1]:443"), "<EPARSE>");
}

static void test_ip_masked(void **state)
{
    (void)state;
    assert_string_equal(ip("10.xx.xx.xx"), "<EPARSE>");
    assert_string_equal(ip("172.xx.xx.xx"), "<EPARSE>");
    assert_string_equal(ip("10.10.xx.10"), "<EPARSE>");
    assert_string_equal(ip("-"), "<EPARSE>");
}

static void test_ip_invalid_v4(void **state)
{
    (void)state;
    assert_string_equal(ip("999.1.1.1"), "<EPARSE>");
    assert_string_equal(ip("256.1.1.1"), "<EPARSE>");
    assert_string_equal(ip("1.2.3"), "<EPARSE>");
    assert_string_equal(ip("1.2.3.4.5"), "<EPARSE>");
    assert_string_equal(ip("1..2.3"), "<EPARSE>");
    assert_string_equal(ip("0x1.2.3.4"), "<EPARSE>");
    assert_string_equal(ip("1.2.3.4."), "<EPARSE>");
}

static void test_ip_leading_zeros(void **state)
{
    (void)state;
    /* inet_pton refuses leading zeros in IPv4 (no octal guessing) ... */
    assert_string_equal(ip("010.1.1.1"), "<EPARSE>");
    assert_string_equal(ip("1.2.3.04"), "<EPARSE>");
    assert_string_equal(ip("00.0.0.0"), "<EPARSE>");
    /* ... and allows up to four hex digits per IPv6 group. */
    assert_string_equal(ip("2001:0db8:0000::0042"), "2001:db8::42");
    assert_string_equal(ip("00001::1"), "<EPARSE>");
    assert_string_equal(ip("::ffff:01.2.3.4"), "<EPARSE>");
}

static void test_ip_cap(void **state)
{
    (void)state;
    assert_string_equal(ip_cap(S("2001:0DB8::42"), 12), "2001:db8::42");
    assert_string_equal(ip_cap(S("2001:0DB8::42"), 11), "<EFULL>");
    assert_string_equal(ip_cap(S("10.1.2.3"), 0), "<EFULL>");
    /* Invalid wins over too small. */
    assert_string_equal(ip_cap(S("10.xx.xx.xx"), 0), "<EPARSE>");
}

/* ------------------------------------------------------------------------ */
/* domain                                                                   */
/* ------------------------------------------------------------------------ */

static void test_domain_case(void **state)
{
    (void)state;
    assert_string_equal(dom("WWW.Example.COM"), "www.example.com");
    assert_string_equal(dom("www.cisco.com"), "www.cisco.com");
    assert_string_equal(dom("a-b.c-d.example"), "a-b.c-d.example");
    assert_string_equal(dom("123.example.com"), "123.example.com");
    assert_string_equal(dom("a1.b2"), "a1.b2");
    assert_string_equal(dom(""), "<EPARSE>");
    assert_string_equal(dom("www.ex ample.com"), "<EPARSE>");
    assert_string_equal(dom("www.ex\xc3\xa4mple.com"), "<EPARSE>");
    assert_string_equal(dom("-a.example.com"), "<EPARSE>");
    assert_string_equal(dom("a-.example.com"), "<EPARSE>");
    assert_string_equal(dom("a.example-"), "<EPARSE>");
    assert_string_equal(dom("a..example.com"), "<EPARSE>");
    assert_string_equal(dom("www.example.com/"), "<EPARSE>");
}

static void test_domain_trailing_dot(void **state)
{
    (void)state;
    assert_string_equal(dom("Example.COM."), "example.com");
    assert_string_equal(dom("example.com.."), "<EPARSE>");
    assert_string_equal(dom("."), "<EPARSE>");
    assert_string_equal(dom(".example.com"), "<EPARSE>");
    assert_string_equal(dom("example."), "<EPARSE>");
    assert_string_equal(dom("a-.com."), "<EPARSE>");
}

static void test_domain_port(void **state)
{
    (void)state;
    assert_string_equal(dom("Example.com:8080"), "example.com");
    assert_string_equal(dom("example.com.:443"), "example.com");
    assert_string_equal(dom("example.com:"), "<EPARSE>");
    assert_string_equal(dom("example.com:http"), "<EPARSE>");
    assert_string_equal(dom("example.com:99999"), "<EPARSE>");
    assert_string_equal(dom("example.com:0"), "<EPARSE>");
    assert_string_equal(dom("example.com:80:80"), "<EPARSE>");
    assert_string_equal(dom(":80"), "<EPARSE>");
}

static void test_domain_punycode(void **state)
{
    (void)state;
    assert_string_equal(dom("xn--bcher-kva.example"), "xn--bcher-kva.example");
    assert_string_equal(dom("WWW.XN--BCHER-KVA.XN--P1AI"), "www.xn--bcher-kva.xn--p1ai");
    assert_string_equal(dom("xn--.example"), "<EPARSE>");
}

/* An underscore may stand anywhere in a label (docs/events.md): DNS names
 * carry it (`_dmarc`, SRV labels, internal hosts), CTIM domains too. */
static void test_domain_underscore(void **state)
{
    (void)state;
    assert_string_equal(dom("_dmarc.example.com"), "_dmarc.example.com");
    assert_string_equal(dom("My_Host.Example.com."), "my_host.example.com");
    assert_string_equal(dom("example.co_m"), "example.co_m");
    assert_string_equal(dom("test_web.net"), "test_web.net");
    assert_string_equal(dom("a_.b_"), "a_.b_");
    assert_string_equal(dom("_._"), "_._");
    /* A 40-byte name (the longer fast path) and a 70-byte one (the loop). */
    assert_string_equal(dom("A_B_C_D_E_F_G_H_I_J_K_L_M_N_O_P_Q.exa_mp"),
                        "a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q.exa_mp");
    assert_string_equal(
        dom("a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q_r_s_t_u_v_w_x_y_z.a_b_c_d_e_f_g_h_i_j.x"),
        "a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q_r_s_t_u_v_w_x_y_z.a_b_c_d_e_f_g_h_i_j.x");
    /* The other label rules still hold; '_' is no '-' and no digit. */
    assert_string_equal(dom("_.123"), "<EPARSE>");
    assert_string_equal(dom("-_.example"), "<EPARSE>");
    assert_string_equal(dom("_-.example"), "<EPARSE>");
    assert_string_equal(dom("single_label"), "<EPARSE>");
    assert_string_equal(dom("my~host.example.com"), "<EPARSE>");
    assert_string_equal(dom("my host.example.com"), "<EPARSE>");
}

static void test_domain_single_label(void **state)
{
    (void)state;
    assert_string_equal(dom("localhost"), "<EPARSE>");
    assert_string_equal(dom("FORCEPOINTDLP"), "<EPARSE>");
    assert_string_equal(dom("url"), "<EPARSE>");
    assert_string_equal(dom("url."), "<EPARSE>");
    assert_string_equal(dom("url:443"), "<EPARSE>");
}

static void test_domain_label_length(void **state)
{
    char name[80];
    (void)state;
    memset(name, 'a', 63);
    memcpy(name + 63, ".com", 5);
    assert_string_equal(dom(name), name);
    memset(name, 'a', 64);
    memcpy(name + 64, ".com", 5);
    assert_string_equal(dom(name), "<EPARSE>");
    /* A long last label too. */
    memcpy(name, "a.", 2);
    memset(name + 2, 'b', 64);
    name[66] = '\0';
    assert_string_equal(dom(name), "<EPARSE>");
}

static void test_domain_total_length(void **state)
{
    char name[520];
    (void)state;
    snprintf(name, sizeof(name), "%s", long_name(253));
    assert_string_equal(dom(name), name);
    /* 253 bytes plus the trailing dot is still 253. */
    strcat(name, ".");
    assert_int_equal(strlen(dom(name)), 253);
    snprintf(name, sizeof(name), "%s", long_name(254));
    assert_string_equal(dom(name), "<EPARSE>");
    snprintf(name, sizeof(name), "%s.", long_name(254));
    assert_string_equal(dom(name), "<EPARSE>");
}

static void test_domain_numeric_last_label(void **state)
{
    (void)state;
    assert_string_equal(dom("example.123"), "<EPARSE>");
    assert_string_equal(dom("example.123."), "<EPARSE>");
    assert_string_equal(dom("1.2.3"), "<EPARSE>");
    assert_string_equal(dom("example.1a"), "example.1a");
}

static void test_domain_ip_rejected(void **state)
{
    (void)state;
    assert_string_equal(dom("1.2.3.4"), "<EPARSE>");
    assert_string_equal(dom("10.37.145.84:443"), "<EPARSE>");
    assert_string_equal(dom("2001:db8::1"), "<EPARSE>");
    assert_string_equal(dom("[2001:db8::1]"), "<EPARSE>");
    assert_string_equal(dom("::ffff:1.2.3.4"), "<EPARSE>");
}

static void test_domain_cap(void **state)
{
    (void)state;
    assert_string_equal(dom_cap(S("WWW.example.com"), 15), "www.example.com");
    assert_string_equal(dom_cap(S("WWW.example.com"), 14), "<EFULL>");
    assert_string_equal(dom_cap(S("example.com."), 11), "example.com");
    assert_string_equal(dom_cap(S("www.example.com"), 0), "<EFULL>");
    assert_string_equal(dom_cap(S("my_host.example.com"), 3), "<EFULL>");
    assert_string_equal(dom_cap(S("my~host.example.com"), 3), "<EPARSE>");
}

/* ------------------------------------------------------------------------ */
/* url                                                                      */
/* ------------------------------------------------------------------------ */

static void test_url_scheme_host_case(void **state)
{
    (void)state;
    assert_string_equal(url("HTTPS://WWW.Example.COM/Path"), "https://www.example.com/Path");
    assert_string_equal(url("Ftp://FTP.Example.org/pub/F.txt"), "ftp://ftp.example.org/pub/F.txt");
    assert_string_equal(url("http://www.example.com./x"), "http://www.example.com/x");
    assert_string_equal(url("http://1.2.3.4/x"), "http://1.2.3.4/x");
}

static void test_url_default_ports(void **state)
{
    (void)state;
    assert_string_equal(url("http://a.example:80/x"), "http://a.example/x");
    assert_string_equal(url("https://a.example:443/"), "https://a.example/");
    assert_string_equal(url("ftp://a.example:21/f"), "ftp://a.example/f");
    assert_string_equal(url("http://a.example:0080/"), "http://a.example/");
    /* An empty port is the default. */
    assert_string_equal(url("http://a.example:/"), "http://a.example/");
}

static void test_url_other_ports(void **state)
{
    (void)state;
    assert_string_equal(url("http://a.example:8080/"), "http://a.example:8080/");
    assert_string_equal(url("https://a.example:80/"), "https://a.example:80/");
    assert_string_equal(url("http://a.example:443/"), "http://a.example:443/");
    assert_string_equal(url("ftp://a.example:2121/"), "ftp://a.example:2121/");
    assert_string_equal(url("http://a.example:08080/"), "http://a.example:8080/");
    assert_string_equal(url("http://a.example:65535/"), "http://a.example:65535/");
    assert_string_equal(url("http://a.example:65536/"), "<EPARSE>");
    assert_string_equal(url("http://a.example:http/"), "<EPARSE>");
    assert_string_equal(url("http://a.example:-1/"), "<EPARSE>");
    assert_string_equal(url("http://a.example:0/"), "<EPARSE>");
}

static void test_url_fragment(void **state)
{
    (void)state;
    assert_string_equal(url("http://a.example/p?q=1#frag"), "http://a.example/p?q=1");
    assert_string_equal(url("http://a.example/p#f?x=1"), "http://a.example/p");
    assert_string_equal(url("http://a.example#top"), "http://a.example/");
    assert_string_equal(url("http://a.example/#"), "http://a.example/");
}

static void test_url_userinfo(void **state)
{
    (void)state;
    assert_string_equal(url("http://user:pass@a.example/x"), "http://a.example/x");
    assert_string_equal(url("ftp://anonymous@FTP.example.org:21/pub"), "ftp://ftp.example.org/pub");
    assert_string_equal(url("https://u:p@w@a.example:8443/"), "https://a.example:8443/");
    /* An '@' after the authority is path, not userinfo. */
    assert_string_equal(url("http://a.example/~u@b.example"), "http://a.example/~u@b.example");
    assert_string_equal(url("http://user:pass@/x"), "<EPARSE>");
}

static void test_url_strip_query(void **state)
{
    (void)state;
    assert_string_equal(url_cap("http://a.example/p?q=secret#f", true, 256), "http://a.example/p");
    assert_string_equal(url_cap("http://a.example?q=1", true, 256), "http://a.example/");
    assert_string_equal(url_cap("http://a.example/p?", true, 256), "http://a.example/p");
    assert_string_equal(url_cap("http://a.example/p?q=1", false, 256), "http://a.example/p?q=1");
    assert_string_equal(url_cap("http://a.example/p?", false, 256), "http://a.example/p?");
}

static void test_url_path_byte_exact(void **state)
{
    (void)state;
    assert_string_equal(url("http://a.example/A%2Fb/<script>?Q=%3C&x=<y>"),
                        "http://a.example/A%2Fb/<script>?Q=%3C&x=<y>");
    assert_string_equal(url("http://a.example/UPPER/Case.HTML"),
                        "http://a.example/UPPER/Case.HTML");
    assert_string_equal(url("http://a.example//double//slash/./..//"),
                        "http://a.example//double//slash/./..//");
    assert_string_equal(url("http://a.example/a\"b\\c"), "http://a.example/a\"b\\c");
}

static void test_url_empty_path(void **state)
{
    (void)state;
    assert_string_equal(url("http://a.example"), "http://a.example/");
    assert_string_equal(url("http://a.example?x=1"), "http://a.example/?x=1");
    assert_string_equal(url("https://a.example:8443"), "https://a.example:8443/");
}

static void test_url_ipv6(void **state)
{
    (void)state;
    assert_string_equal(url("https://[2001:0DB8::1]:8443/"), "https://[2001:db8::1]:8443/");
    assert_string_equal(url("http://[::1]:80/x"), "http://[::1]/x");
    assert_string_equal(url("http://[::FFFF:1.2.3.4]/"), "http://[::ffff:1.2.3.4]/");
    assert_string_equal(url("http://[1.2.3.4]/"), "<EPARSE>");
    assert_string_equal(url("http://[2001:db8::1/"), "<EPARSE>");
    assert_string_equal(url("http://[2001:db8::1]x/"), "<EPARSE>");
    assert_string_equal(url("http://[www.example.com]/"), "<EPARSE>");
}

/* Hosts that are no domain but an RFC 3986 reg-name still make a url,
 * normalised; underscored names are domains too (docs/events.md). */
static void test_url_regname_hosts(void **state)
{
    (void)state;
    assert_string_equal(url("http://Test_Web.NET/users/user4.jpg"),
                        "http://test_web.net/users/user4.jpg");
    assert_string_equal(url("HTTPS://test_web.net:443/a#f"), "https://test_web.net/a");
    assert_string_equal(url("http://test_web.net:8080/a"), "http://test_web.net:8080/a");
    assert_string_equal(url("http://localhost/"), "http://localhost/");
    assert_string_equal(url("http://INTRANET:80/x?y"), "http://intranet/x?y");
    assert_string_equal(url("ftp://Files~Srv:21/a"), "ftp://files~srv/a");
    assert_string_equal(url("http://a!$&'()*+,;=b.example/"), "http://a!$&'()*+,;=b.example/");
    assert_string_equal(url("http://caf%c3%a9.Example/"), "http://caf%C3%A9.example/");
    assert_string_equal(url("http://user:pw@Host~1/p"), "http://host~1/p");
    assert_string_equal(url("http://a.b1/"), "http://a.b1/");
    assert_string_equal(url("http://12a/"), "http://12a/");
}

static void test_url_not_urls(void **state)
{
    (void)state;
    assert_string_equal(url("tunnel://www.example.com:443/"), "<EPARSE>");
    assert_string_equal(url("10.37.145.84:443"), "<EPARSE>");
    assert_string_equal(url("www.learning.com"), "<EPARSE>");
    assert_string_equal(url("mailto:x@example.com"), "<EPARSE>");
    assert_string_equal(url("ws://a.example/"), "<EPARSE>");
    assert_string_equal(url("http:/a.example/"), "<EPARSE>");
    assert_string_equal(url("http:///x"), "<EPARSE>");
    assert_string_equal(url(""), "<EPARSE>");
    /* The host must be an address, a domain or an RFC 3986 reg-name that
     * does not end in a number. */
    assert_string_equal(url("http://999.1.1.1/"), "<EPARSE>");
    assert_string_equal(url("http://1.2.3.4.5/"), "<EPARSE>");
    assert_string_equal(url("http://a.12./"), "<EPARSE>");
    assert_string_equal(url("http://a b/"), "<EPARSE>");
    assert_string_equal(url("http://a%2/"), "<EPARSE>");
    assert_string_equal(url("http://a%zz.example/"), "<EPARSE>");
    assert_string_equal(url("http://a{b}.example/"), "<EPARSE>");
    assert_string_equal(url("http://a\"b.example/"), "<EPARSE>");
    assert_string_equal(url("http://10.1.1/"), "<EPARSE>");
    assert_string_equal(url("http://a.example\\path/"), "<EPARSE>");
}

static void test_url_cap(void **state)
{
    (void)state;
    const char *u = "HTTP://user@A.example:80/p?q#f";
    assert_string_equal(url_cap(u, false, 20), "http://a.example/p?q");
    assert_string_equal(url_cap(u, false, 19), "<EFULL>");
    assert_string_equal(url_cap(u, true, 17), "<EFULL>");
    assert_string_equal(url_cap(u, false, 0), "<EFULL>");
    assert_string_equal(url_cap(u, true, 18), "http://a.example/p");
    assert_string_equal(url_cap("http://a_b.example/", false, 0), "<EFULL>");
    assert_string_equal(url_cap("http://a^b.example/", false, 0), "<EPARSE>");
    assert_string_equal(url_cap("http://A~B/x", false, 12), "http://a~b/x");
    assert_string_equal(url_cap("http://A~B/x", false, 11), "<EFULL>");
}

/* ------------------------------------------------------------------------ */
/* sha256                                                                   */
/* ------------------------------------------------------------------------ */

#define HASH "fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e"

static void test_sha256(void **state)
{
    (void)state;
    assert_string_equal(sha(HASH), HASH);
    assert_string_equal(sha("FD5EF49D4213E05F448F11ED9C98253D85829614FBA368A421D14E64C426DA5E"),
                        HASH);
    /* 63 and 65 digits (the second is the 65-digit sample line). */
    assert_string_equal(sha("fd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5"),
                        "<EPARSE>");
    assert_string_equal(sha("fd5ea44d421dd05e461fb00cd9c16253d85829614bba233e651d14e64c864da5e"),
                        "<EPARSE>");
    assert_string_equal(sha("gd5ef49d4213e05f448f11ed9c98253d85829614fba368a421d14e64c426da5e"),
                        "<EPARSE>");
    assert_string_equal(sha("fd5ef49d4213e05f448f11ed9c98253d 5829614fba368a421d14e64c426da5e"),
                        "<EPARSE>");
    /* A trailing U+201D (as logged by one appliance) is not trimmed. */
    assert_string_equal(sha(HASH "\xe2\x80\x9d"), "<EPARSE>");
    assert_string_equal(sha("-"), "<EPARSE>");
    assert_string_equal(sha(""), "<EPARSE>");
    assert_string_equal(sha_cap(S(HASH), 63), "<EFULL>");
    assert_string_equal(sha_cap(S(HASH "0"), 0), "<EPARSE>");
}

/* ------------------------------------------------------------------------ */
/* target host                                                              */
/* ------------------------------------------------------------------------ */

static void test_target_host(void **state)
{
    (void)state;
    assert_string_equal(target("http://www.example.com:8080/x"), "www.example.com|8080");
    assert_string_equal(target("http://www.example.com/x:80"), "www.example.com|");
    assert_string_equal(target("tunnel://csp.withgoogle.com:443/"), "csp.withgoogle.com|443");
    assert_string_equal(target("10.37.145.84:443"), "10.37.145.84|443");
    assert_string_equal(target("[2001:db8::1]:8443"), "2001:db8::1|8443");
    assert_string_equal(target("https://[2001:db8::1]/"), "2001:db8::1|");
    assert_string_equal(target("2001:db8::1"), "2001:db8::1|");
    assert_string_equal(target("www.learning.com"), "www.learning.com|");
    assert_string_equal(target("www.learning.com/x?y"), "www.learning.com|");
    assert_string_equal(target("http://u:p@h.example:1/"), "h.example|1");
    assert_string_equal(target("http://h.example?q=a:b@c"), "h.example|");
    assert_string_equal(target(""), "<EPARSE>");
    assert_string_equal(target("http:///x"), "<EPARSE>");
    assert_string_equal(target("/only/a/path"), "<EPARSE>");
    assert_string_equal(target("[2001:db8::1"), "<EPARSE>");
    assert_string_equal(target("[2001:db8::1]x"), "<EPARSE>");
    assert_string_equal(target(":443"), "<EPARSE>");
}

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
        cmocka_unit_test(test_ip_v4_canonical),
        cmocka_unit_test(test_ip_v6_canonical),
        cmocka_unit_test(test_ip_bracketed),
        cmocka_unit_test(test_ip_masked),
        cmocka_unit_test(test_ip_invalid_v4),
        cmocka_unit_test(test_ip_leading_zeros),
        cmocka_unit_test(test_ip_cap),
        cmocka_unit_test(test_domain_case),
        cmocka_unit_test(test_domain_trailing_dot),
        cmocka_unit_test(test_domain_port),
        cmocka_unit_test(test_domain_punycode),
        cmocka_unit_test(test_domain_underscore),
        cmocka_unit_test(test_domain_single_label),
        cmocka_unit_test(test_domain_label_length),
        cmocka_unit_test(test_domain_total_length),
        cmocka_unit_test(test_domain_numeric_last_label),
        cmocka_unit_test(test_domain_ip_rejected),
        cmocka_unit_test(test_domain_cap),
        cmocka_unit_test(test_url_scheme_host_case),
        cmocka_unit_test(test_url_default_ports),
        cmocka_unit_test(test_url_other_ports),
        cmocka_unit_test(test_url_fragment),
        cmocka_unit_test(test_url_userinfo),
        cmocka_unit_test(test_url_strip_query),
        cmocka_unit_test(test_url_path_byte_exact),
        cmocka_unit_test(test_url_empty_path),
        cmocka_unit_test(test_url_ipv6),
        cmocka_unit_test(test_url_regname_hosts),
        cmocka_unit_test(test_url_not_urls),
        cmocka_unit_test(test_url_cap),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_target_host),
        cmocka_unit_test(test_split_fast_matches_general),
        cmocka_unit_test(test_ipv4_fast_matches_general),
        cmocka_unit_test(test_ipv6_parse_matches_inet_pton),
        cmocka_unit_test(test_ipv6_canonical_matches_inet_ntop),
        cmocka_unit_test(test_domain_canonical),
        cmocka_unit_test(test_url_scheme_bytes),
        cmocka_unit_test(test_url_query_fragment_positions),
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
        cmocka_unit_test(test_ipv6_text_matches_inet_ntop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
