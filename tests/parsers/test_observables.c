/*
 * test_observables.c - the observable normalisers (ip, domain, url, sha256,
 * target host), one test per rule, each with valid and invalid inputs. The
 * fast paths against their general definitions are test_observables_fast.c;
 * wt_obs_extract() over hand-built records test_observables_extract.c.
 */
#include "obs_util.h"

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
