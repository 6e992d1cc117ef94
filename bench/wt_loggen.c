/*
 * wt_loggen.c - deterministic generator of realistic Cisco WSA / Squid access
 * logs for the benchmarks.
 *
 * The same options (above all the same --seed) give byte-identical output on
 * any machine: all randomness comes from a xoshiro256** generator seeded with
 * splitmix64, the only floating point is IEEE double addition/division in the
 * popularity tables, and nothing depends on the locale, the clock or the
 * environment.
 *
 * What a line looks like (squid-native, WSA 12.x-15.x, 44-field verdict list):
 *
 *   1700000000.123 84 10.10.3.17 TCP_MISS_SSL/200 5132 GET https://www.example.com:443/a.js
 *   "CORP\jdoe@CORP.EXAMPLE" DIRECT/203.0.113.7 application/javascript
 *   DEFAULT_CASE_12-Corp_Access-ID.Corp_Users-NONE-NONE-NONE-DefaultGroup-NONE
 *   <"IW_comp",5.1,1,"-",0,0,0,1,"-",...,"-",-,-,"-",-,-> - -
 *
 * Popularity: destination domains follow a Zipf law (weight 1/rank) over a
 * table of a few thousand names (a head of well-known sites, then generated
 * names over a fixed TLD table, some of them punycode); clients and AMP files
 * follow flatter Zipf-Mandelbrot laws.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Output buffer; flushed when less than LINE_RESERVE bytes are free. */
#define OUT_CAP (4u << 20)
/* Upper bound of one generated line (the longest query string is 8 KiB). */
#define LINE_RESERVE   (32u << 10)
#define LONG_QUERY_MIN 1024u
#define LONG_QUERY_MAX 8192u

/* ------------------------------------------------------------------------ */
/* PRNG: splitmix64 to seed, xoshiro256** to draw.                          */
/* ------------------------------------------------------------------------ */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ull);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n), n < 2^32 (multiply-shift; the bias is < n / 2^32). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

/* True with probability per_100k / 100000. */
static inline bool rng_chance(struct rng *r, uint32_t per_100k)
{
    return rng_below(r, 100000) < per_100k;
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Index drawn from integer weights. */
static uint32_t rng_weighted(struct rng *r, const uint16_t *w, size_t n)
{
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += w[i];
    uint32_t x = rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i])
            return (uint32_t)i;
        x -= w[i];
    }
    return (uint32_t)(n - 1);
}

/* ------------------------------------------------------------------------ */
/* Zipf-Mandelbrot popularity: weight(k) = 1 / (k + 1 + q), k = 0..n-1.     */
/* ------------------------------------------------------------------------ */

struct zipf {
    uint32_t n;
    double *cdf; /* cumulative, unnormalised */
};

static int zipf_init(struct zipf *z, uint32_t n, double q)
{
    z->n = n;
    z->cdf = malloc(sizeof(double) * n);
    if (!z->cdf)
        return -1;
    double acc = 0;
    for (uint32_t k = 0; k < n; k++) {
        acc += 1.0 / ((double)k + 1.0 + q);
        z->cdf[k] = acc;
    }
    return 0;
}

static uint32_t zipf_draw(const struct zipf *z, struct rng *r)
{
    double u = rng_unit(r) * z->cdf[z->n - 1];
    uint32_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ------------------------------------------------------------------------ */
/* Output: one big buffer, lines appended without bounds checks (a line     */
/* never exceeds LINE_RESERVE, checked before each line).                   */
/* ------------------------------------------------------------------------ */

struct out {
    char *buf;
    size_t len;
    int fd;
    uint64_t total; /* bytes flushed so far */
};

static int out_flush(struct out *o)
{
    size_t off = 0;
    while (off < o->len) {
        ssize_t w = write(o->fd, o->buf + off, o->len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (size_t)w;
    }
    o->total += o->len;
    o->len = 0;
    return 0;
}

static inline void put(struct out *o, const char *s, size_t n)
{
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

#define PUTL(o, lit) put((o), (lit), sizeof(lit) - 1)

static inline void putc1(struct out *o, char c)
{
    o->buf[o->len++] = c;
}

static inline void puts0(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static inline void put_u64(struct out *o, uint64_t v)
{
    char tmp[20];
    int i = 20;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, tmp + i, (size_t)(20 - i));
}

/* v / 10^decimals with exactly `decimals` digits after the point. */
static void put_fixed(struct out *o, int64_t v, int decimals)
{
    uint64_t div = 1;
    if (v < 0) {
        putc1(o, '-');
        v = -v;
    }
    for (int i = 0; i < decimals; i++)
        div *= 10;
    put_u64(o, (uint64_t)v / div);
    putc1(o, '.');
    uint64_t frac = (uint64_t)v % div;
    for (uint64_t d = div / 10; d; d /= 10)
        putc1(o, (char)('0' + (frac / d) % 10));
}

static const char hexdig[] = "0123456789abcdef";

static void put_hex(struct out *o, struct rng *r, unsigned n)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++) {
        if (i % 16 == 0)
            x = rng_next(r);
        putc1(o, hexdig[x & 15]);
        x >>= 4;
    }
}

/* ------------------------------------------------------------------------ */
/* Vocabulary                                                               */
/* ------------------------------------------------------------------------ */

struct category {
    const char *abbr, *full;
    uint16_t weight; /* share among generated domains */
};

enum {
    CAT_COMP,
    CAT_BUSI,
    CAT_INFR,
    CAT_SRCH,
    CAT_SNET,
    CAT_NEWS,
    CAT_SHOP,
    CAT_ADV,
    CAT_SAAS,
    CAT_SWUP,
    CAT_MEET,
    CAT_DOCS,
    CAT_CSEC,
    CAT_STRM,
    CAT_TRVL,
    CAT_EDU,
    CAT_GAME,
    CAT_NC,
    CAT_CUST1,
    CAT_CUST2,
    NCAT
};

static const struct category cats[NCAT] = {
    [CAT_COMP] = {"IW_comp", "Computers and Internet", 160},
    [CAT_BUSI] = {"IW_busi", "Business and Industry", 150},
    [CAT_INFR] = {"IW_infr", "Infrastructure and Content Delivery Networks", 90},
    [CAT_SRCH] = {"IW_srch", "Search Engines and Portals", 15},
    [CAT_SNET] = {"IW_snet", "Social Networking", 30},
    [CAT_NEWS] = {"IW_news", "News", 70},
    [CAT_SHOP] = {"IW_shop", "Shopping", 80},
    [CAT_ADV] = {"IW_adv", "Advertisements", 60},
    [CAT_SAAS] = {"IW_saas", "SaaS and B2B", 60},
    [CAT_SWUP] = {"IW_swup", "Software Updates", 25},
    [CAT_MEET] = {"IW_meet", "Online Meetings", 10},
    [CAT_DOCS] = {"IW_docs", "Online Storage and Backup", 20},
    [CAT_CSEC] = {"IW_csec", "Computer Security", 20},
    [CAT_STRM] = {"IW_strm", "Streaming Video", 25},
    [CAT_TRVL] = {"IW_trvl", "Travel", 40},
    [CAT_EDU] = {"IW_edu", "Education", 40},
    [CAT_GAME] = {"IW_game", "Games", 30},
    [CAT_NC] = {"nc", "-", 50},
    [CAT_CUST1] = {"C_Allo", "Allowed_Partners", 8},
    [CAT_CUST2] = {"C_Cisc", "Cisco_Sites", 4},
};

struct avc {
    const char *app, *type, *behavior;
};

static const struct avc avcs[] = {
    {"-", "-", "-"}, /* 0: none */
    {"Google", "Search Engine", "Encrypted"},
    {"Facebook General", "Facebook", "Encrypted"},
    {"YouTube", "Media", "View"},
    {"Microsoft Office 365", "Office Suites", "Encrypted"},
    {"LinkedIn General", "LinkedIn", "Encrypted"},
    {"Dropbox", "File Sharing", "Upload"},
    {"Webex", "Collaboration", "Encrypted"},
    {"Amazon", "Shopping", "Encrypted"},
    {"Twitter", "Social Networking", "Encrypted"},
};

/* The head of the popularity table: well-known names, most popular first. */
static const struct {
    const char *host;
    uint8_t cat, avc;
} head_domains[] = {
    {"www.google.com", CAT_SRCH, 1},
    {"fonts.gstatic.com", CAT_INFR, 0},
    {"login.microsoftonline.com", CAT_SAAS, 4},
    {"outlook.office365.com", CAT_SAAS, 4},
    {"www.youtube.com", CAT_STRM, 3},
    {"update.googleapis.com", CAT_SWUP, 0},
    {"www.facebook.com", CAT_SNET, 2},
    {"static.xx.fbcdn.net", CAT_SNET, 2},
    {"teams.microsoft.com", CAT_MEET, 4},
    {"i.ytimg.com", CAT_STRM, 3},
    {"safebrowsing.googleapis.com", CAT_CSEC, 0},
    {"settings-win.data.microsoft.com", CAT_COMP, 0},
    {"www.linkedin.com", CAT_SNET, 5},
    {"securepubads.g.doubleclick.net", CAT_ADV, 0},
    {"www.google-analytics.com", CAT_ADV, 0},
    {"ocsp.digicert.com", CAT_INFR, 0},
    {"ctldl.windowsupdate.com", CAT_SWUP, 0},
    {"graph.microsoft.com", CAT_SAAS, 4},
    {"www.amazon.com", CAT_SHOP, 8},
    {"images-na.ssl-images-amazon.com", CAT_INFR, 8},
    {"s3.amazonaws.com", CAT_INFR, 0},
    {"cdn.jsdelivr.net", CAT_INFR, 0},
    {"ajax.googleapis.com", CAT_INFR, 0},
    {"api.github.com", CAT_COMP, 0},
    {"github.com", CAT_COMP, 0},
    {"raw.githubusercontent.com", CAT_COMP, 0},
    {"www.cisco.com", CAT_CUST2, 0},
    {"tools.cisco.com", CAT_CUST2, 0},
    {"cisco.webex.com", CAT_MEET, 7},
    {"zoom.us", CAT_MEET, 0},
    {"www.dropbox.com", CAT_DOCS, 6},
    {"drive.google.com", CAT_DOCS, 0},
    {"www.bbc.com", CAT_NEWS, 0},
    {"edition.cnn.com", CAT_NEWS, 0},
    {"en.wikipedia.org", CAT_EDU, 0},
    {"twitter.com", CAT_SNET, 9},
    {"abs.twimg.com", CAT_SNET, 9},
    {"dl.google.com", CAT_SWUP, 0},
    {"clients4.google.com", CAT_SRCH, 1},
    {"www.bing.com", CAT_SRCH, 0},
    {"csp.withgoogle.com", CAT_COMP, 0},
    {"slack.com", CAT_BUSI, 0},
    {"www.salesforce.com", CAT_SAAS, 0},
    {"gwisp-us.splunkcloud.com", CAT_SAAS, 0},
    {"xn--mnchen-3ya.de", CAT_TRVL, 0},
    {"www.xn--bcher-kva.ch", CAT_SHOP, 0},
};

static const char *const syllables[] = {
    "al",  "an",  "ar", "bel", "bit", "blu", "bo",  "cal", "cam", "cor", "da",  "del", "den",
    "dy",  "el",  "en", "fa",  "fin", "gen", "go",  "ha",  "hub", "in",  "io",  "ka",  "kin",
    "la",  "lan", "lo", "ma",  "mar", "me",  "mo",  "na",  "net", "nix", "no",  "or",  "pa",
    "per", "pix", "qu", "ra",  "ro",  "sa",  "sen", "si",  "so",  "ta",  "tel", "ter", "to",
    "tra", "tri", "va", "ven", "vi",  "vo",  "wa",  "xo",  "za",  "zen", "zo",  "ix",  "ly",
};

static const char *const words[] = {
    "cloud", "data",   "shop",  "news",   "media",  "travel", "bank",  "health", "game",
    "learn", "photo",  "music", "video",  "mail",   "secure", "trade", "home",   "auto",
    "food",  "sport",  "book",  "ads",    "track",  "stat",   "soft",  "web",    "link",
    "box",   "lab",    "zone",  "point",  "market", "search", "fast",  "green",  "blue",
    "smart", "global", "prime", "nova",   "pixel",  "metric", "edge",  "city",   "star",
    "river", "north",  "alpha", "vector", "logic",  "signal", "craft", "wave",   "stream",
};

static const char *const tlds[] = {
    "com", "net",  "org", "io",     "co.uk", "de",  "fr",    "jp",       "com.au", "ru",
    "cn",  "info", "xyz", "online", "app",   "dev", "co",    "nl",       "it",     "es",
    "ch",  "se",   "pl",  "com.br", "in",    "edu", "gov",   "biz",      "tk",     "top",
    "us",  "ca",   "eu",  "me",     "tv",    "ai",  "cloud", "xn--p1ai",
};
static const uint16_t tld_weights[ARRAY_SIZE(tlds)] = {
    450, 80, 60, 40, 30, 40, 20, 20, 15, 20, 20, 15, 10, 10, 10, 10, 10, 15, 10,
    10,  5,  5,  10, 15, 10, 10, 5,  5,  5,  10, 5,  10, 5,  5,  5,  5,  5,  4,
};

static const char *const subdomains[] = {
    "web",    "api",   "cdn",    "static",    "img",     "login", "mail",   "m",     "assets",
    "s3",     "edge",  "update", "telemetry", "auth",    "app",   "portal", "files", "download",
    "ws",     "video", "ads",    "track",     "metrics", "shop",  "blog",   "docs",  "support",
    "secure", "my",    "news",   "media",     "connect", "sso",   "gw",     "eu",    "us",
};

static const char *const edge_regions[] = {"eu-west-1", "us-east-1", "ap-south-1", "eu-central-1",
                                           "us-west-2", "fra1",      "ams3",       "lhr"};

static const char *const first_names[] = {
    "john", "mary", "ahmed", "li",    "olga",  "pierre", "sofia", "raj",   "yuki",  "carlos",
    "anna", "omar", "emma",  "lucas", "fatma", "ivan",   "chen",  "maria", "david", "sarah",
    "amir", "eva",  "noah",  "lena",  "tom",   "aisha",  "paul",  "nina",  "hiro",  "zoe",
};
static const char *const last_names[] = {
    "smith", "garcia", "mueller", "rossi", "kim",   "nguyen", "dubois",  "ivanov",  "tanaka",
    "silva", "khan",   "jensen",  "novak", "lopez", "wang",   "brown",   "schmidt", "moreau",
    "popov", "ali",    "larsen",  "costa", "sato",  "berg",   "fischer", "young",   "hassan",
};

static const char *const realms[][2] = {
    {"CORP", "CORP.EXAMPLE.COM"},
    {"EMEA", "EMEA.EXAMPLE.COM"},
    {"AMOJARRA", "WCCPrealm"},
    {"LAB", "LABrealm"},
};

static const char *const user_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
    "Microsoft-CryptoAPI/10.0",
    "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Teams/1.7.00.13456 Chrome/114.0.5735.289 Electron/25.8.4",
    "okhttp/4.12.0",
};
static const uint16_t ua_weights[ARRAY_SIZE(user_agents)] = {40, 15, 10, 8, 5, 6, 4, 3, 2, 2, 4, 1};

static const char *const path_segments[] = {
    "api",     "v1",      "v2",       "static",   "assets",  "js",        "css",     "img",
    "images",  "content", "search",   "login",    "oauth2",  "token",     "cdn-cgi", "wp-content",
    "uploads", "2024",    "media",    "download", "update",  "telemetry", "collect", "track",
    "pixel",   "ads",     "video",    "watch",    "s",       "rs",        "beacon",  "graphql",
    "en-us",   "de",      "products", "account",  "user",    "files",     "public",  "dist",
    "common",  "widgets", "embed",    "news",     "article", "category",  "item",    "feeds",
};

enum ext {
    EXT_NONE,
    EXT_HTML,
    EXT_JS,
    EXT_CSS,
    EXT_PNG,
    EXT_JPG,
    EXT_GIF,
    EXT_JSON,
    EXT_BIN,
    NEXT
};
static const char *const ext_names[NEXT] = {"",     ".html", ".js",   ".css", ".png",
                                            ".jpg", ".gif",  ".json", ".bin"};
static const uint16_t ext_weights[NEXT] = {30, 8, 18, 6, 10, 10, 4, 10, 4};
static const char *const file_stems[] = {
    "index", "main",   "app",    "bundle", "logo", "icon",     "style",  "vendor", "runtime",
    "thumb", "banner", "sprite", "config", "data", "manifest", "player", "chunk",  "font"};

static const char *const amp_stems[] = {"setup",   "invoice",   "report", "update",   "installer",
                                        "driver",  "statement", "scan",   "document", "archive",
                                        "payload", "resume",    "order",  "patch",    "tool"};
static const char *const amp_exts[] = {".exe",  ".pdf", ".docx", ".zip", ".msi",
                                       ".xlsm", ".dmg", ".js",   ".iso", ".7z"};
static const char *const amp_threats[] = {"W32.CiscoTestVector", "W32.Trojan.Emotet",
                                          "W32.GenericKD.Agent", "W32.Ransom.LockBit",
                                          "JS.Downloader.Nemucod"};

/* Access-policy and decryption-policy suffixes of the ACL tag (7 parts each,
 * so the tag has 8), one pair per client group. */
static const char *const acl_access[] = {
    "-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup-NONE",
    "-Corp_Access-ID.Corp_Users-OMS_Default-NONE-NONE-DefaultGroup-NONE",
    "-Guest_Access-ID.Guest_WiFi-NONE-NONE-NONE-DefaultGroup-NONE",
    "-IT_Admins-ID.IT_Staff-OMS_Default-DLP_Default-NONE-DefaultRouting-Tap_Policy1",
    "-Servers_Policy-ID.Server_Subnet-NONE-NONE-NONE-DefaultGroup-NONE",
};
static const char *const acl_decrypt[] = {
    "-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup-NONE",
    "-Decrypt_Corp-ID.Corp_Users-NONE-NONE-NONE-DefaultGroup-NONE",
    "-Decrypt_Guest-ID.Guest_WiFi-NONE-NONE-NONE-DefaultGroup-NONE",
    "-Decrypt_IT-ID.IT_Staff-NONE-NONE-NONE-DefaultRouting-Tap_Policy1",
    "-Decrypt_Servers-ID.Server_Subnet-NONE-NONE-NONE-DefaultGroup-NONE",
};

/* Client subnets: prefix, how many host bits vary, ACL group, weight. */
static const struct {
    uint8_t a, b;
    uint8_t vary_c; /* 1: third octet varies (/16), 0: fixed c */
    uint8_t c;
    uint8_t group;
    uint16_t weight;
} subnets[] = {
    {10, 10, 1, 0, 1, 40},   {10, 20, 1, 0, 1, 20}, {172, 16, 1, 0, 2, 15},
    {192, 168, 0, 1, 3, 10}, {10, 60, 1, 0, 0, 10}, {192, 168, 30, 0, 4, 5},
};

/* ------------------------------------------------------------------------ */
/* Tables built from the seed                                               */
/* ------------------------------------------------------------------------ */

struct domain {
    char host[72];
    uint8_t hlen;
    uint8_t cat, avc, iplen, viplen;
    bool hier_ip;  /* hierarchy shows the server IP, not the name */
    bool multicat; /* request category lists two categories */
    int16_t wbrs;  /* tenths; INT16_MIN: no score ("ns") */
    char ip[16];   /* server address */
    char vip[16];  /* 10.x address seen by transparent redirection */
};

struct client {
    char addr[48];
    uint8_t alen;
    uint8_t group;
    uint8_t first_octet; /* for masking; 0 for IPv6 */
    char user[64];       /* quoted "REALM\user@realm" */
    uint8_t ulen;
};

struct ampfile {
    char name[40];
    uint8_t nlen;
    char sha[65];
    uint8_t verdict; /* 0 clean, 1 not scanned, 3 error, 37 malicious */
    uint8_t threat;
};

struct gen {
    struct rng r;
    enum { FMT_SQUID, FMT_W3C, FMT_W3C_DEFAULT } fmt;
    struct domain *dom;
    uint32_t ndom;
    struct zipf zdom;
    struct client *cl4, *cl6;
    uint32_t ncl4, ncl6;
    struct zipf zcl4, zcl6;
    struct ampfile *files;
    uint32_t nfiles;
    struct zipf zfiles;
    char *noise; /* random URL-safe bytes for long query strings */
    size_t noise_len;
    uint64_t ts_ns, step_ns;
    /* statistics */
    uint64_t lines, n_v6, n_masked, n_user, n_amp, n_long, n_denied;
    uint64_t n_connect, n_tcp_connect, n_https, n_http;
    int64_t first_ms, last_ms;
};

static void build_ip(struct rng *r, char *out, uint8_t *len, bool ten)
{
    unsigned a;
    if (ten) {
        a = 10;
    } else {
        do {
            a = rng_range(r, 13, 223);
        } while (a == 127 || a == 172 || a == 192 || a == 100 || a == 169);
    }
    int n = snprintf(out, 16, "%u.%u.%u.%u", a, rng_range(r, 0, 255), rng_range(r, 0, 255),
                     rng_range(r, 1, 254));
    *len = (uint8_t)n;
}

static size_t append(char *dst, size_t at, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (at + n >= cap)
        n = cap - 1 - at;
    memcpy(dst + at, s, n);
    dst[at + n] = '\0';
    return at + n;
}

static void gen_label(struct rng *r, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    if (rng_chance(r, 2000)) {
        /* punycode: xn--<basic>-<encoded> */
        at = append(buf, at, cap, "xn--");
        unsigned nb = rng_range(r, 3, 8);
        for (unsigned i = 0; i < nb && at + 1 < cap; i++)
            buf[at++] = (char)('a' + rng_below(r, 26));
        buf[at++] = '-';
        unsigned ne = rng_range(r, 3, 5);
        for (unsigned i = 0; i < ne && at + 1 < cap; i++) {
            uint32_t x = rng_below(r, 36);
            buf[at++] = (char)(x < 26 ? 'a' + x : '0' + (x - 26));
        }
        buf[at] = '\0';
        return;
    }
    unsigned shape = rng_below(r, 10);
    if (shape < 4) {
        at = append(buf, at, cap, words[rng_below(r, ARRAY_SIZE(words))]);
        at = append(buf, at, cap, syllables[rng_below(r, ARRAY_SIZE(syllables))]);
    } else if (shape < 7) {
        at = append(buf, at, cap, words[rng_below(r, ARRAY_SIZE(words))]);
        if (rng_chance(r, 15000))
            at = append(buf, at, cap, "-");
        at = append(buf, at, cap, words[rng_below(r, ARRAY_SIZE(words))]);
    } else {
        unsigned ns = rng_range(r, 2, 4);
        for (unsigned i = 0; i < ns; i++)
            at = append(buf, at, cap, syllables[rng_below(r, ARRAY_SIZE(syllables))]);
    }
    if (rng_chance(r, 4000) && at + 3 < cap) {
        at += (size_t)snprintf(buf + at, cap - at, "%u", rng_range(r, 1, 99));
    }
}

static int build_domains(struct gen *g, uint32_t n)
{
    struct rng *r = &g->r;
    uint16_t catw[NCAT];
    for (unsigned i = 0; i < NCAT; i++)
        catw[i] = cats[i].weight;
    if (n < ARRAY_SIZE(head_domains))
        n = ARRAY_SIZE(head_domains);
    g->dom = calloc(n, sizeof(*g->dom));
    if (!g->dom)
        return -1;
    g->ndom = n;
    for (uint32_t i = 0; i < n; i++) {
        struct domain *d = &g->dom[i];
        if (i < ARRAY_SIZE(head_domains)) {
            snprintf(d->host, sizeof(d->host), "%s", head_domains[i].host);
            d->cat = head_domains[i].cat;
            d->avc = head_domains[i].avc;
        } else {
            char label[40];
            size_t at = 0;
            d->host[0] = '\0';
            uint32_t sub = rng_below(r, 100);
            if (sub < 35) {
                at = append(d->host, at, sizeof(d->host), "www.");
            } else if (sub < 80) {
                at = append(d->host, at, sizeof(d->host),
                            subdomains[rng_below(r, ARRAY_SIZE(subdomains))]);
                at = append(d->host, at, sizeof(d->host), ".");
                if (rng_chance(r, 12000)) {
                    at = append(d->host, at, sizeof(d->host),
                                edge_regions[rng_below(r, ARRAY_SIZE(edge_regions))]);
                    at = append(d->host, at, sizeof(d->host), ".");
                }
            }
            gen_label(r, label, sizeof(label));
            at = append(d->host, at, sizeof(d->host), label);
            at = append(d->host, at, sizeof(d->host), ".");
            append(d->host, at, sizeof(d->host),
                   tlds[rng_weighted(r, tld_weights, ARRAY_SIZE(tlds))]);
            d->cat = (uint8_t)rng_weighted(r, catw, NCAT);
            d->avc = 0;
        }
        d->hlen = (uint8_t)strlen(d->host);
        /* WBRS: mostly positive, a tail of bad reputation, 4 % unscored. */
        if (rng_chance(r, 4000))
            d->wbrs = INT16_MIN;
        else if (rng_chance(r, 6000))
            d->wbrs = (int16_t) - (int)rng_range(r, 10, 99);
        else
            d->wbrs = (int16_t)rng_range(r, 0, 99);
        d->hier_ip = rng_chance(r, 30000);
        d->multicat = rng_chance(r, 1500);
        build_ip(r, d->ip, &d->iplen, false);
        build_ip(r, d->vip, &d->viplen, true);
    }
    return zipf_init(&g->zdom, n, 0.0);
}

static void build_user(struct rng *r, struct client *c)
{
    const char *const *realm = realms[rng_below(r, ARRAY_SIZE(realms))];
    const char *fn = first_names[rng_below(r, ARRAY_SIZE(first_names))];
    const char *ln = last_names[rng_below(r, ARRAY_SIZE(last_names))];
    int n;
    switch (rng_below(r, 3)) {
    case 0:
        n = snprintf(c->user, sizeof(c->user), "\"%s\\%s.%s@%s\"", realm[0], fn, ln, realm[1]);
        break;
    case 1:
        n = snprintf(c->user, sizeof(c->user), "\"%s\\%c%s@%s\"", realm[0], fn[0], ln, realm[1]);
        break;
    default:
        n = snprintf(c->user, sizeof(c->user), "\"%s\\%s%s%u@%s\"", realm[0], fn, ln,
                     rng_range(r, 1, 99), realm[1]);
        break;
    }
    c->ulen = (uint8_t)n;
}

static int build_clients(struct gen *g, uint32_t n4, uint32_t n6)
{
    struct rng *r = &g->r;
    uint16_t w[ARRAY_SIZE(subnets)];
    for (size_t i = 0; i < ARRAY_SIZE(subnets); i++)
        w[i] = subnets[i].weight;
    g->cl4 = calloc(n4, sizeof(*g->cl4));
    g->cl6 = calloc(n6, sizeof(*g->cl6));
    if (!g->cl4 || !g->cl6)
        return -1;
    g->ncl4 = n4;
    g->ncl6 = n6;
    for (uint32_t i = 0; i < n4; i++) {
        struct client *c = &g->cl4[i];
        uint32_t s = rng_weighted(r, w, ARRAY_SIZE(subnets));
        unsigned cc = subnets[s].vary_c ? rng_range(r, 0, 254) : subnets[s].c;
        c->alen = (uint8_t)snprintf(c->addr, sizeof(c->addr), "%u.%u.%u.%u", subnets[s].a,
                                    subnets[s].b, cc, rng_range(r, 2, 254));
        c->group = subnets[s].group;
        c->first_octet = subnets[s].a;
        build_user(r, c);
    }
    for (uint32_t i = 0; i < n6; i++) {
        struct client *c = &g->cl6[i];
        /* Canonical (RFC 5952) forms: no leading zeros, :: for the zero run. */
        unsigned sub = rng_range(r, 1, 0xff);
        if (rng_chance(r, 50000)) {
            c->alen = (uint8_t)snprintf(c->addr, sizeof(c->addr), "2001:db8:4a10:%x::%x", sub,
                                        rng_range(r, 1, 0xfff));
        } else {
            c->alen =
                (uint8_t)snprintf(c->addr, sizeof(c->addr), "2001:db8:4a10:%x:%x:%x:%x:%x", sub,
                                  rng_range(r, 0x1000, 0xffff), rng_range(r, 0x1000, 0xffff),
                                  rng_range(r, 0x1000, 0xffff), rng_range(r, 0x1000, 0xffff));
        }
        c->group = 1;
        c->first_octet = 0;
        build_user(r, c);
    }
    if (zipf_init(&g->zcl4, n4, 40.0) != 0 || zipf_init(&g->zcl6, n6, 10.0) != 0)
        return -1;
    return 0;
}

static int build_files(struct gen *g, uint32_t n)
{
    struct rng *r = &g->r;
    g->files = calloc(n, sizeof(*g->files));
    if (!g->files)
        return -1;
    g->nfiles = n;
    for (uint32_t i = 0; i < n; i++) {
        struct ampfile *f = &g->files[i];
        f->nlen = (uint8_t)snprintf(
            f->name, sizeof(f->name), "%s_%u%s", amp_stems[rng_below(r, ARRAY_SIZE(amp_stems))],
            rng_range(r, 1, 9999), amp_exts[rng_below(r, ARRAY_SIZE(amp_exts))]);
        for (int k = 0; k < 64; k += 16) {
            uint64_t x = rng_next(r);
            for (int j = 0; j < 16; j++, x >>= 4)
                f->sha[k + j] = hexdig[x & 15];
        }
        f->sha[64] = '\0';
        uint32_t v = rng_below(r, 100);
        f->verdict = v < 85 ? 0 : v < 90 ? 1 : v < 92 ? 3 : 37;
        f->threat = (uint8_t)rng_below(r, ARRAY_SIZE(amp_threats));
    }
    return zipf_init(&g->zfiles, n, 5.0);
}

static int build_noise(struct gen *g)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%";
    g->noise_len = 2 * LONG_QUERY_MAX;
    g->noise = malloc(g->noise_len);
    if (!g->noise)
        return -1;
    for (size_t i = 0; i < g->noise_len; i++)
        g->noise[i] = alphabet[rng_below(&g->r, sizeof(alphabet) - 1)];
    return 0;
}

static void gen_free(struct gen *g)
{
    free(g->dom);
    free(g->zdom.cdf);
    free(g->cl4);
    free(g->cl6);
    free(g->zcl4.cdf);
    free(g->zcl6.cdf);
    free(g->files);
    free(g->zfiles.cdf);
    free(g->noise);
}

/* ------------------------------------------------------------------------ */
/* One line                                                                 */
/* ------------------------------------------------------------------------ */

enum kind {
    K_CONNECT,     /* CONNECT tunnel://host:443/, passthrough */
    K_CONNECT_DEC, /* CONNECT tunnel://host:443/, decrypted afterwards */
    K_CONNECT_IP,  /* CONNECT tunnel://1.2.3.4:443/ */
    K_TCP_CONNECT, /* transparent: TCP_CONNECT 10.x.x.x:443 */
    K_HTTPS,       /* decrypted request: https://host:443/path, _SSL codes */
    K_HTTP,        /* plain http://host/path */
    NKIND
};
static const uint16_t kind_weights[NKIND] = {220, 80, 20, 80, 350, 250};

/* Everything a line needs, decided before it is written. */
struct txn {
    enum kind kind;
    const struct domain *d;
    const struct client *c;
    const struct ampfile *f; /* AMP block, or NULL */
    const char *method;
    const char *result; /* result code, with _SSL when due */
    unsigned status;
    uint64_t bytes, elapsed;
    bool denied, masked, user, scanned, long_url;
    const char *acl_tag; /* e.g. "DEFAULT_CASE_12" */
    const char *acl_rest;
    const char *mime;
    enum ext ext;
    uint32_t avg_bw; /* hundredths of Kb/s */
    unsigned ua;
    const struct domain *referer;
};

static uint64_t draw_elapsed(struct rng *r, enum kind k)
{
    if (k == K_CONNECT || k == K_CONNECT_IP || k == K_TCP_CONNECT) {
        uint32_t b = rng_below(r, 10);
        return b < 3   ? rng_range(r, 1, 999)
               : b < 8 ? rng_range(r, 1000, 60000)
                       : rng_range(r, 60000, 900000);
    }
    uint32_t b = rng_below(r, 100);
    return b < 40   ? rng_range(r, 0, 50)
           : b < 80 ? rng_range(r, 51, 500)
           : b < 95 ? rng_range(r, 501, 5000)
                    : rng_range(r, 5001, 60000);
}

static uint64_t draw_body(struct rng *r)
{
    uint32_t b = rng_below(r, 100);
    return b < 30   ? rng_range(r, 200, 2000)
           : b < 75 ? rng_range(r, 2001, 50000)
           : b < 95 ? rng_range(r, 50001, 1000000)
                    : rng_range(r, 1000001, 50000000);
}

static const char *mime_of(struct rng *r, enum ext e)
{
    switch (e) {
    case EXT_HTML:
        return rng_below(r, 3) ? "text/html; charset=utf-8" : "text/html";
    case EXT_JS:
        return rng_below(r, 4) ? "application/javascript" : "text/javascript; charset=utf-8";
    case EXT_CSS:
        return "text/css";
    case EXT_PNG:
        return "image/png";
    case EXT_JPG:
        return "image/jpeg";
    case EXT_GIF:
        return "image/gif";
    case EXT_JSON:
        return rng_below(r, 2) ? "application/json" : "application/json; charset=utf-8";
    case EXT_BIN:
        return "application/octet-stream";
    default: {
        static const char *const any[] = {"text/html; charset=utf-8",
                                          "application/json",
                                          "text/plain",
                                          "application/x-protobuf",
                                          "application/ocsp-response",
                                          "video/mp4",
                                          "application/pkix-crl",
                                          "text/xml"};
        static const uint16_t w[] = {40, 25, 8, 6, 6, 5, 3, 7};
        return any[rng_weighted(r, w, ARRAY_SIZE(w))];
    }
    }
}

static void plan(struct gen *g, struct txn *t)
{
    struct rng *r = &g->r;
    memset(t, 0, sizeof(*t));

    bool amp = rng_chance(r, 2000);
    bool longq = !amp && rng_chance(r, 500);
    if (amp || longq)
        t->kind = rng_below(r, 10) < 7 ? K_HTTPS : K_HTTP;
    else
        t->kind = (enum kind)rng_weighted(r, kind_weights, NKIND);
    t->long_url = longq;
    t->d = &g->dom[zipf_draw(&g->zdom, r)];
    if (rng_chance(r, 5000))
        t->c = &g->cl6[zipf_draw(&g->zcl6, r)];
    else
        t->c = &g->cl4[zipf_draw(&g->zcl4, r)];
    t->masked = t->c->first_octet && rng_chance(r, 500);
    t->user = rng_chance(r, 20000);
    t->elapsed = draw_elapsed(r, t->kind);
    t->ua = rng_weighted(r, ua_weights, ARRAY_SIZE(ua_weights));
    t->avg_bw = rng_below(r, 100000);
    t->mime = "-";
    t->acl_rest = acl_access[t->c->group];
    if (amp)
        t->f = &g->files[zipf_draw(&g->zfiles, r)];

    /* Denials: bad reputation is blocked more often. */
    uint32_t deny_p = t->d->wbrs != INT16_MIN && t->d->wbrs < -60 ? 60000 : 2500;
    t->denied = rng_chance(r, deny_p) || (t->f && t->f->verdict == 37);

    switch (t->kind) {
    case K_CONNECT:
    case K_CONNECT_DEC:
    case K_CONNECT_IP:
    case K_TCP_CONNECT:
        t->method = t->kind == K_TCP_CONNECT ? "TCP_CONNECT" : "CONNECT";
        t->acl_rest = acl_decrypt[t->c->group];
        if (t->denied) {
            t->result = "TCP_DENIED";
            t->status = 403;
            t->bytes = rng_below(r, 4) ? 0 : rng_range(r, 1500, 1700);
            t->elapsed = rng_range(r, 0, 5);
            static const char *const tags[] = {"BLOCK_WEBCAT_12", "DROP_WBRS_7", "BLOCK_WBRS_12",
                                               "BLOCK_ADMIN_CONNECT_12"};
            t->acl_tag = tags[rng_below(r, ARRAY_SIZE(tags))];
        } else if (t->kind == K_CONNECT_DEC) {
            t->result = rng_below(r, 8) ? "TCP_MISS_SSL" : "TCP_CLIENT_REFRESH_MISS_SSL";
            t->status = 200;
            t->bytes = rng_range(r, 39, 40);
            t->acl_tag = rng_below(r, 3) ? "DECRYPT_WEBCAT_7" : "DECRYPT_WBRS_7";
        } else {
            t->result = rng_below(r, 20) ? "TCP_MISS" : "TCP_CLIENT_REFRESH_MISS";
            t->status = 200;
            t->bytes = draw_body(r);
            static const char *const tags[] = {"PASSTHRU_WBRS_7", "PASSTHRU_WEBCAT_7",
                                               "PASSTHRU_CUSTOMCAT_7"};
            static const uint16_t w[] = {60, 35, 5};
            t->acl_tag = tags[rng_weighted(r, w, ARRAY_SIZE(w))];
            if (rng_chance(r, 10000))
                t->mime = "application/octet-stream";
        }
        break;
    case K_HTTPS:
    case K_HTTP: {
        bool tls = t->kind == K_HTTPS;
        uint32_t m = rng_below(r, 100);
        t->method = m < 80 ? "GET" : m < 94 ? "POST" : m < 97 ? "HEAD" : m < 99 ? "OPTIONS" : "PUT";
        if (t->f || t->long_url)
            t->method = t->long_url && rng_below(r, 4) == 0 ? "POST" : "GET";
        t->ext = t->f ? EXT_NONE : (enum ext)rng_weighted(r, ext_weights, NEXT);
        t->scanned = true;
        if (rng_chance(r, 40000))
            t->referer = &g->dom[zipf_draw(&g->zdom, r)];
        if (t->denied) {
            uint32_t x = rng_below(r, 10);
            if (t->f) {
                t->result = tls ? "TCP_DENIED_SSL" : "TCP_DENIED";
                t->status = 403;
                t->acl_tag = "BLOCK_AMW_RESP_12";
                t->bytes = rng_range(r, 1200, 4200);
                t->mime = "text/html";
            } else if (x < 2) {
                t->result = "TCP_DENIED";
                t->status = 407;
                t->acl_tag = "OTHER";
                t->acl_rest = "-NONE-NONE-NONE-NONE-NONE-NONE-NONE";
                t->bytes = rng_range(r, 300, 4000);
                t->elapsed = rng_range(r, 0, 2);
            } else {
                static const char *const tags[] = {"BLOCK_WEBCAT_12", "BLOCK_WBRS_12",
                                                   "BLOCK_CONTINUE_WEBCAT_12", "BLOCK_ADMIN_12",
                                                   "BLOCK_CUSTOMCAT_12"};
                t->result = tls ? "TCP_DENIED_SSL" : "TCP_DENIED";
                t->status = 403;
                t->acl_tag = tags[rng_below(r, ARRAY_SIZE(tags))];
                t->bytes = rng_range(r, 0, 1) ? 0 : rng_range(r, 1500, 4000);
                t->elapsed = rng_range(r, 0, 30);
            }
            t->scanned = false;
            break;
        }
        static const char *const tags[] = {"DEFAULT_CASE_12", "ALLOW_WBRS_12", "ALLOW_CUSTOMCAT_12",
                                           "MONITOR_WBRS_12", "PASSTHRU_WEBCAT_12"};
        static const uint16_t tw[] = {80, 10, 4, 4, 2};
        t->acl_tag = tags[rng_weighted(r, tw, ARRAY_SIZE(tw))];
        uint32_t s = rng_below(r, 1000);
        if (t->f)
            s = 0;
        if (s < 740) {
            t->status = 200;
            uint32_t h = rng_below(r, 100);
            if (tls)
                t->result = h < 95 ? "TCP_MISS_SSL" : "TCP_CLIENT_REFRESH_MISS_SSL";
            else
                t->result = h < 84   ? "TCP_MISS"
                            : h < 90 ? "TCP_HIT"
                            : h < 94 ? "TCP_MEM_HIT"
                            : h < 97 ? "TCP_REFRESH_HIT"
                                     : "TCP_CLIENT_REFRESH_MISS";
            t->bytes = draw_body(r);
            t->mime = mime_of(r, t->ext);
        } else if (s < 820) {
            t->status = 304;
            t->result = tls ? (rng_below(r, 2) ? "TCP_CLIENT_REFRESH_MISS_SSL" : "TCP_MISS_SSL")
                            : (rng_below(r, 2) ? "TCP_IMS_HIT" : "TCP_MISS");
            t->bytes = rng_range(r, 180, 600);
        } else if (s < 870) {
            t->status = 302;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 300, 1200);
            t->mime = "text/html; charset=utf-8";
        } else if (s < 920) {
            t->status = 204;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 150, 500);
        } else if (s < 960) {
            t->status = 404;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 400, 9000);
            t->mime = "text/html; charset=utf-8";
        } else if (s < 975) {
            t->status = 201;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 200, 3000);
            t->mime = "application/json";
        } else if (s < 985) {
            t->status = 401;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 200, 1500);
            t->mime = "application/json";
        } else if (s < 995) {
            t->status = 503;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 200, 1500);
            t->mime = "text/html";
        } else {
            t->status = 504;
            t->result = "NONE";
            t->bytes = rng_range(r, 2900, 3100);
            t->mime = "text/html";
        }
        if (t->f)
            t->mime = "application/octet-stream";
        break;
    }
    default:
        break;
    }
}

static void put_client(struct out *o, const struct txn *t)
{
    if (t->masked) {
        put_u64(o, t->c->first_octet);
        PUTL(o, ".xx.xx.xx");
    } else {
        put(o, t->c->addr, t->c->alen);
    }
}

static void put_path(struct out *o, struct rng *r, const struct txn *t, const struct gen *g)
{
    if (t->f) {
        static const char *const dirs[] = {"/download/", "/files/", "/releases/latest/",
                                           "/wp-content/uploads/2024/05/", "/attachments/"};
        puts0(o, dirs[rng_below(r, ARRAY_SIZE(dirs))]);
        put(o, t->f->name, t->f->nlen);
        return;
    }
    unsigned nseg = rng_below(r, 4);
    for (unsigned i = 0; i < nseg; i++) {
        putc1(o, '/');
        if (rng_below(r, 8) == 0)
            put_hex(o, r, 8 + 8 * rng_below(r, 3));
        else
            puts0(o, path_segments[rng_below(r, ARRAY_SIZE(path_segments))]);
    }
    putc1(o, '/');
    if (t->ext != EXT_NONE) {
        puts0(o, file_stems[rng_below(r, ARRAY_SIZE(file_stems))]);
        if (t->ext == EXT_JS || t->ext == EXT_CSS || rng_below(r, 4) == 0) {
            putc1(o, '.');
            put_hex(o, r, 8);
        }
        puts0(o, ext_names[t->ext]);
    }
    if (t->long_url) {
        unsigned want = rng_range(r, LONG_QUERY_MIN, LONG_QUERY_MAX);
        unsigned have = 0;
        putc1(o, '?');
        while (have < want) {
            unsigned chunk = rng_range(r, 64, 1024);
            if (chunk > want - have)
                chunk = want - have;
            if (have) {
                putc1(o, '&');
                have++;
            }
            PUTL(o, "d");
            put_u64(o, have % 97);
            putc1(o, '=');
            size_t at = rng_below(r, (uint32_t)(g->noise_len - LONG_QUERY_MAX));
            put(o, g->noise + at, chunk);
            have += chunk + 4;
        }
        return;
    }
    uint32_t q = rng_below(r, 100);
    if (q < 8) {
        PUTL(o, "?id=");
        put_u64(o, rng_range(r, 1, 9999999));
    } else if (q < 14) {
        PUTL(o, "?v=");
        put_hex(o, r, 10);
    } else if (q < 19) {
        static const char *const terms[] = {
            "weather",          "vpn+setup", "invoice+template", "python+tutorial",
            "flights+to+paris", "news",      "excel+formula",    "caf%C3%A9+near+me"};
        PUTL(o, "?q=");
        puts0(o, terms[rng_below(r, ARRAY_SIZE(terms))]);
        PUTL(o, "&hl=en&source=hp");
    } else if (q < 23) {
        PUTL(o, "?utm_source=newsletter&utm_medium=email&utm_campaign=spring");
        put_u64(o, rng_range(r, 2019, 2025));
    } else if (q < 27) {
        PUTL(o, "?lang=en&t=");
        put_u64(o, 1700000000000ull + rng_below(r, 1000000000));
    } else if (q < 29) {
        PUTL(o, "?callback=jQuery");
        put_u64(o, rng_range(r, 100000000, 999999999));
        PUTL(o, "&_=");
        put_u64(o, 1700000000000ull + rng_below(r, 1000000000));
    }
}

/* The request target as logged. */
static void put_url(struct out *o, struct rng *r, const struct txn *t, const struct gen *g)
{
    const struct domain *d = t->d;
    switch (t->kind) {
    case K_CONNECT:
    case K_CONNECT_DEC:
        PUTL(o, "tunnel://");
        put(o, d->host, d->hlen);
        PUTL(o, ":443/");
        break;
    case K_CONNECT_IP:
        PUTL(o, "tunnel://");
        put(o, d->ip, d->iplen);
        PUTL(o, ":443/");
        break;
    case K_TCP_CONNECT:
        put(o, d->vip, d->viplen);
        PUTL(o, ":443");
        break;
    case K_HTTPS:
        PUTL(o, "https://");
        put(o, d->host, d->hlen);
        PUTL(o, ":443");
        put_path(o, r, t, g);
        break;
    case K_HTTP:
        PUTL(o, "http://");
        put(o, d->host, d->hlen);
        put_path(o, r, t, g);
        break;
    default:
        break;
    }
}

static void put_hier(struct out *o, struct rng *r, const struct txn *t)
{
    if (t->denied && !t->f) {
        PUTL(o, "NONE/-");
        return;
    }
    if (rng_below(r, 50) == 0)
        PUTL(o, "DEFAULT_PARENT/");
    else
        PUTL(o, "DIRECT/");
    if (t->d->hier_ip || t->kind == K_CONNECT_IP)
        put(o, t->d->ip, t->d->iplen);
    else
        put(o, t->d->host, t->d->hlen);
}

static void put_category(struct out *o, const struct txn *t)
{
    putc1(o, '"');
    puts0(o, cats[t->d->cat].abbr);
    putc1(o, '"');
}

static void put_wbrs(struct out *o, const struct domain *d)
{
    if (d->wbrs == INT16_MIN)
        PUTL(o, "ns");
    else
        put_fixed(o, d->wbrs, 1);
}

/* The 44-field scanning-verdict list of WSA 12.x-15.x. */
static void put_verdicts(struct out *o, const struct txn *t)
{
    const struct domain *d = t->d;
    const struct avc *a = &avcs[d->avc];
    putc1(o, '<');
    put_category(o, t); /* 1 */
    putc1(o, ',');
    put_wbrs(o, d); /* 2 */
    /* 3-17: Webroot, McAfee, Sophos */
    if (t->scanned)
        PUTL(o, ",1,\"-\",0,0,0,1,\"-\",-,-,-,\"-\",0,0,\"-\",\"-\",");
    else
        PUTL(o, ",-,\"-\",-,-,-,-,\"-\",-,-,-,\"-\",-,-,\"-\",\"-\",");
    PUTL(o, "-,-,"); /* 18-19: DS, external DLP */
    /* 20: request-side category, sometimes a list */
    if (d->multicat) {
        putc1(o, '"');
        puts0(o, cats[d->cat].abbr);
        PUTL(o, ",IW_csec\"");
    } else {
        put_category(o, t);
    }
    PUTL(o, ",-,"); /* 21 */
    if (t->scanned) /* 22 */
        PUTL(o, "\"Unknown\",\"");
    else
        PUTL(o, "\"-\",\"");
    puts0(o, cats[d->cat].full); /* 23 */
    PUTL(o, "\",\"-\",\"");      /* 24: Google Translate URL */
    puts0(o, a->app);            /* 25-27: AVC */
    PUTL(o, "\",\"");
    puts0(o, a->type);
    PUTL(o, "\",\"");
    puts0(o, a->behavior);
    if (d->cat == CAT_SRCH) /* 28: safe search */
        PUTL(o, "\",\"ensrch\",");
    else
        PUTL(o, "\",\"-\",");
    put_fixed(o, t->avg_bw, 2); /* 29 */
    PUTL(o, ",0,");             /* 30: throttled */
    if (t->user && t->c->group == 1)
        PUTL(o, "[Local],"); /* 31: user type */
    else
        PUTL(o, "-,");
    if (t->scanned) /* 32-33: outbound malware */
        PUTL(o, "\"Unknown\",\"-\",");
    else
        PUTL(o, "\"-\",\"-\",");
    if (t->f) { /* 34-39: AMP */
        put_u64(o, t->f->verdict);
        if (t->f->verdict == 37) {
            PUTL(o, ",\"");
            puts0(o, amp_threats[t->f->threat]);
            PUTL(o, "\",33,1,\"");
        } else {
            PUTL(o, ",\"-\",1,0,\"");
        }
        put(o, t->f->name, t->f->nlen);
        PUTL(o, "\",\"");
        put(o, t->f->sha, 64);
        PUTL(o, "\",");
    } else {
        PUTL(o, "-,\"-\",-,-,\"-\",\"-\",");
    }
    PUTL(o, "-,-,\"-\",-,->"); /* 40-44: archive scan, web tap, YouTube */
}

static void put_ts(struct out *o, uint64_t ts_ns)
{
    uint64_t ms = ts_ns / 1000000u;
    put_u64(o, ms / 1000);
    putc1(o, '.');
    unsigned f = (unsigned)(ms % 1000);
    putc1(o, (char)('0' + f / 100));
    putc1(o, (char)('0' + f / 10 % 10));
    putc1(o, (char)('0' + f % 10));
}

static void put_result(struct out *o, const struct txn *t)
{
    puts0(o, t->result);
    putc1(o, '/');
    put_u64(o, t->status);
}

static void put_acl(struct out *o, const struct txn *t)
{
    puts0(o, t->acl_tag);
    puts0(o, t->acl_rest);
}

static void line_squid(struct gen *g, struct out *o, const struct txn *t)
{
    struct rng *r = &g->r;
    put_ts(o, g->ts_ns);
    putc1(o, ' ');
    put_u64(o, t->elapsed);
    putc1(o, ' ');
    put_client(o, t);
    putc1(o, ' ');
    put_result(o, t);
    putc1(o, ' ');
    put_u64(o, t->bytes);
    putc1(o, ' ');
    puts0(o, t->method);
    putc1(o, ' ');
    put_url(o, r, t, g);
    putc1(o, ' ');
    if (t->user)
        put(o, t->c->user, t->c->ulen);
    else
        putc1(o, '-');
    putc1(o, ' ');
    put_hier(o, r, t);
    putc1(o, ' ');
    puts0(o, t->mime);
    putc1(o, ' ');
    put_acl(o, t);
    putc1(o, ' ');
    put_verdicts(o, t);
    PUTL(o, " - -\n");
}

/* W3C layout written in the #Fields: header (25 fields). */
static const char w3c_fields[] =
    "timestamp x-elapsed-time c-ip c-port x-resultcode-httpstatus sc-bytes cs-method cs-url "
    "cs-username x-hierarchy-origin cs-mime-type x-acltag s-ip s-port cs-version "
    "x-webcat-code-abbr x-webcat-code-full x-wbrs-score x-avc-app x-amp-verdict "
    "x-amp-malware-name x-amp-filename x-amp-sha cs(Referer) cs(User-Agent)";

static void line_w3c(struct gen *g, struct out *o, const struct txn *t)
{
    struct rng *r = &g->r;
    const struct domain *d = t->d;
    put_ts(o, g->ts_ns); /* timestamp */
    putc1(o, ' ');
    put_u64(o, t->elapsed); /* x-elapsed-time */
    putc1(o, ' ');
    put_client(o, t); /* c-ip */
    putc1(o, ' ');
    put_u64(o, rng_range(r, 1024, 65535)); /* c-port */
    putc1(o, ' ');
    put_result(o, t); /* x-resultcode-httpstatus */
    putc1(o, ' ');
    put_u64(o, t->bytes); /* sc-bytes */
    putc1(o, ' ');
    puts0(o, t->method); /* cs-method */
    putc1(o, ' ');
    put_url(o, r, t, g); /* cs-url */
    putc1(o, ' ');
    if (t->user) /* cs-username, quoted */
        put(o, t->c->user, t->c->ulen);
    else
        putc1(o, '-');
    putc1(o, ' ');
    put_hier(o, r, t); /* x-hierarchy-origin */
    putc1(o, ' ');
    if (strchr(t->mime, ' ')) { /* cs-mime-type: quoted when it holds a space */
        putc1(o, '"');
        puts0(o, t->mime);
        putc1(o, '"');
    } else {
        puts0(o, t->mime);
    }
    putc1(o, ' ');
    put_acl(o, t); /* x-acltag */
    putc1(o, ' ');
    bool contacted = !t->denied || t->f;
    if (contacted) /* s-ip */
        put(o, d->ip, d->iplen);
    else
        putc1(o, '-');
    putc1(o, ' ');
    if (!contacted) /* s-port */
        putc1(o, '-');
    else if (t->kind == K_HTTP)
        PUTL(o, "80");
    else
        PUTL(o, "443");
    putc1(o, ' ');
    if (t->kind == K_HTTP || t->kind == K_HTTPS) /* cs-version */
        PUTL(o, "HTTP/1.1");
    else
        putc1(o, '-');
    putc1(o, ' ');
    puts0(o, cats[d->cat].abbr); /* x-webcat-code-abbr */
    PUTL(o, " \"");
    puts0(o, cats[d->cat].full); /* x-webcat-code-full, quoted */
    PUTL(o, "\" ");
    put_wbrs(o, d); /* x-wbrs-score */
    putc1(o, ' ');
    if (d->avc) { /* x-avc-app */
        putc1(o, '"');
        puts0(o, avcs[d->avc].app);
        putc1(o, '"');
    } else {
        putc1(o, '-');
    }
    if (t->f) { /* x-amp-verdict x-amp-malware-name x-amp-filename x-amp-sha */
        putc1(o, ' ');
        put_u64(o, t->f->verdict);
        putc1(o, ' ');
        if (t->f->verdict == 37)
            puts0(o, amp_threats[t->f->threat]);
        else
            putc1(o, '-');
        putc1(o, ' ');
        put(o, t->f->name, t->f->nlen);
        putc1(o, ' ');
        put(o, t->f->sha, 64);
    } else {
        PUTL(o, " - - - -");
    }
    putc1(o, ' ');
    if (t->referer) { /* cs(Referer) */
        PUTL(o, "https://");
        put(o, t->referer->host, t->referer->hlen);
        putc1(o, '/');
    } else {
        putc1(o, '-');
    }
    PUTL(o, " \""); /* cs(User-Agent), quoted */
    puts0(o, user_agents[t->ua]);
    PUTL(o, "\"\n");
}

/*
 * The appliance's default W3C layout (FIELDS.md section 5, the user guide's
 * header): the squid-native fields in their order, the verdict list in the
 * x-result-code column. A line is written with the same draws as its squid
 * line, so one seed gives the same records in both formats (the parsers'
 * differential test compares them).
 */
static const char w3c_default_fields[] =
    "timestamp x-elapsed-time c-ip x-resultcode-httpstatus sc-bytes cs-method cs-url "
    "cs-username x-hierarchy-origin cs-mime-type x-acltag x-result-code x-suspect-user-agent";

static void line_w3c_default(struct gen *g, struct out *o, const struct txn *t)
{
    struct rng *r = &g->r;
    put_ts(o, g->ts_ns); /* timestamp */
    putc1(o, ' ');
    put_u64(o, t->elapsed); /* x-elapsed-time */
    putc1(o, ' ');
    put_client(o, t); /* c-ip */
    putc1(o, ' ');
    put_result(o, t); /* x-resultcode-httpstatus */
    putc1(o, ' ');
    put_u64(o, t->bytes); /* sc-bytes */
    putc1(o, ' ');
    puts0(o, t->method); /* cs-method */
    putc1(o, ' ');
    put_url(o, r, t, g); /* cs-url */
    putc1(o, ' ');
    if (t->user) /* cs-username, quoted */
        put(o, t->c->user, t->c->ulen);
    else
        putc1(o, '-');
    putc1(o, ' ');
    put_hier(o, r, t); /* x-hierarchy-origin */
    putc1(o, ' ');
    if (strchr(t->mime, ' ')) { /* cs-mime-type: quoted when it holds a space */
        putc1(o, '"');
        puts0(o, t->mime);
        putc1(o, '"');
    } else {
        puts0(o, t->mime);
    }
    putc1(o, ' ');
    put_acl(o, t); /* x-acltag */
    putc1(o, ' ');
    put_verdicts(o, t); /* x-result-code: the list, its quoted values with spaces */
    PUTL(o, " -\n");    /* x-suspect-user-agent */
}

static void w3c_header(struct out *o, uint64_t start_s, const char *fields)
{
    time_t tt = (time_t)start_s;
    struct tm tm;
    char date[32] = "1970-01-01 00:00:00";
    if (gmtime_r(&tt, &tm))
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    PUTL(o, "#Version: 1.0\n#Date: ");
    puts0(o, date);
    PUTL(o, "\n#System: 10.1.1.1 - wsa01.example.com\n#Software: AsyncOS for Web 15.0.0\n"
            "#Fields: ");
    puts0(o, fields);
    putc1(o, '\n');
}

static void count(struct gen *g, const struct txn *t)
{
    g->lines++;
    g->n_v6 += t->c->first_octet == 0;
    g->n_masked += t->masked;
    g->n_user += t->user;
    g->n_amp += t->f != NULL;
    g->n_long += t->long_url;
    g->n_denied += t->denied;
    g->n_connect += t->kind == K_CONNECT || t->kind == K_CONNECT_DEC || t->kind == K_CONNECT_IP;
    g->n_tcp_connect += t->kind == K_TCP_CONNECT;
    g->n_https += t->kind == K_HTTPS;
    g->n_http += t->kind == K_HTTP;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

static const char usage[] =
    "usage: wt-loggen [--format squid|w3c|w3c-default]\n"
    "                 [--lines N | --bytes SIZE | --duration TIME]\n"
    "                 [--seed S] [--start EPOCH] [--rate LINES_PER_SEC] [--domains N]\n"
    "                 [--output FILE]\n"
    "\n"
    "Write a deterministic, realistic Cisco WSA access log (squid-native with the\n"
    "44-field verdict list, or W3C with a #Fields: header). The same options give\n"
    "byte-identical output.\n"
    "\n"
    "  --format F      squid (default), w3c, or w3c-default: the appliance's default\n"
    "                  W3C layout, the squid fields with the verdict list in\n"
    "                  x-result-code (same seed: the same records as squid)\n"
    "  --lines N       number of log lines (default 10000)\n"
    "  --bytes SIZE    stop at the first line end at or past SIZE bytes;\n"
    "                  suffixes K, M, G (powers of 1024)\n"
    "  --duration T    lines = T * rate; T in seconds or with s, m, h, d (e.g. 7d)\n"
    "  --seed S        PRNG seed (default 1)\n"
    "  --start EPOCH   first timestamp, Unix seconds (default 1700000000)\n"
    "  --rate R        mean lines per second of log time (default 1000); timestamps\n"
    "                  advance by a random step of mean 1/R, so N lines span N/R s\n"
    "  --domains N     size of the destination-domain table (default 4000)\n"
    "  --output FILE   write to FILE instead of stdout\n"
    "\n"
    "A summary (lines, bytes, average line length, time window, shares) goes to stderr.\n";

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    uint64_t mul = 1;
    switch (*end) {
    case 'k':
    case 'K':
        mul = 1ull << 10;
        end++;
        break;
    case 'm':
    case 'M':
        mul = 1ull << 20;
        end++;
        break;
    case 'g':
    case 'G':
        mul = 1ull << 30;
        end++;
        break;
    default:
        break;
    }
    if (mul > 1 && (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0))
        end += strlen(end);
    if (*end || v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static int parse_duration(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v > 0))
        return -1;
    double mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (*end)
        return -1;
    *out = v * mul;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"lines", required_argument, NULL, 'n'},
                                         {"bytes", required_argument, NULL, 'b'},
                                         {"duration", required_argument, NULL, 'D'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"start", required_argument, NULL, 'S'},
                                         {"rate", required_argument, NULL, 'r'},
                                         {"domains", required_argument, NULL, 'd'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static struct gen gen_state;
    struct gen *g = &gen_state;
    uint64_t lines = 10000, bytes = 0, seed = 1, start = 1700000000, ndom = 4000;
    double rate = 1000, duration = 0;
    const char *output = NULL;
    int limits = 0, o;

    g->fmt = FMT_SQUID;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'f':
            if (strcmp(optarg, "squid") == 0) {
                g->fmt = FMT_SQUID;
            } else if (strcmp(optarg, "w3c") == 0) {
                g->fmt = FMT_W3C;
            } else if (strcmp(optarg, "w3c-default") == 0) {
                g->fmt = FMT_W3C_DEFAULT;
            } else {
                fprintf(stderr, "wt-loggen: --format must be squid, w3c or w3c-default\n");
                return 2;
            }
            break;
        case 'n':
            if (parse_u64(optarg, &lines) != 0) {
                fprintf(stderr, "wt-loggen: bad --lines '%s'\n", optarg);
                return 2;
            }
            limits++;
            break;
        case 'b':
            if (parse_size(optarg, &bytes) != 0 || bytes == 0) {
                fprintf(stderr, "wt-loggen: bad --bytes '%s'\n", optarg);
                return 2;
            }
            limits++;
            break;
        case 'D':
            if (parse_duration(optarg, &duration) != 0) {
                fprintf(stderr, "wt-loggen: bad --duration '%s'\n", optarg);
                return 2;
            }
            limits++;
            break;
        case 's':
            if (parse_u64(optarg, &seed) != 0) {
                fprintf(stderr, "wt-loggen: bad --seed '%s'\n", optarg);
                return 2;
            }
            break;
        case 'S':
            if (parse_u64(optarg, &start) != 0 || start > 100000000000ull) {
                fprintf(stderr, "wt-loggen: bad --start '%s'\n", optarg);
                return 2;
            }
            break;
        case 'r': {
            char *end;
            rate = strtod(optarg, &end);
            if (end == optarg || *end || !(rate > 0) || rate > 1e9) {
                fprintf(stderr, "wt-loggen: bad --rate '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case 'd':
            if (parse_u64(optarg, &ndom) != 0 || ndom < 1 || ndom > 10000000) {
                fprintf(stderr, "wt-loggen: bad --domains '%s'\n", optarg);
                return 2;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind < argc || limits > 1) {
        fprintf(stderr, "wt-loggen: give at most one of --lines, --bytes, --duration\n");
        fputs(usage, stderr);
        return 2;
    }
    if (duration > 0)
        lines = (uint64_t)(duration * rate + 0.5);
    if (bytes)
        lines = UINT64_MAX;

    /* Independent streams: tables and lines do not shift when one changes. */
    rng_seed(&g->r, seed, 1);
    if (build_domains(g, (uint32_t)ndom) != 0)
        goto oom;
    rng_seed(&g->r, seed, 2);
    if (build_clients(g, 2400, 160) != 0)
        goto oom;
    rng_seed(&g->r, seed, 3);
    if (build_files(g, 600) != 0 || build_noise(g) != 0)
        goto oom;
    rng_seed(&g->r, seed, 4);

    struct out out = {.fd = STDOUT_FILENO};
    out.buf = malloc(OUT_CAP);
    if (!out.buf)
        goto oom;
    if (output) {
        out.fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out.fd < 0) {
            fprintf(stderr, "wt-loggen: %s: %s\n", output, strerror(errno));
            return 1;
        }
    }

    /* Mean step 1/rate; each step uniform in [0, 2/rate]. */
    double step = 1e9 / rate;
    g->step_ns = step < 1 ? 1 : (uint64_t)step;
    g->ts_ns = start * 1000000000ull;
    g->first_ms = (int64_t)(g->ts_ns / 1000000u);
    if (g->fmt == FMT_W3C)
        w3c_header(&out, start, w3c_fields);
    else if (g->fmt == FMT_W3C_DEFAULT)
        w3c_header(&out, start, w3c_default_fields);

    for (uint64_t i = 0; i < lines; i++) {
        if (bytes && out.total + out.len >= bytes)
            break;
        if (OUT_CAP - out.len < LINE_RESERVE) {
            int rc = out_flush(&out);
            if (rc != 0) {
                fprintf(stderr, "wt-loggen: write: %s\n", strerror(-rc));
                return 1;
            }
        }
        struct txn t;
        g->ts_ns += (rng_next(&g->r) >> 11) % (2 * g->step_ns + 1);
        plan(g, &t);
        if (g->fmt == FMT_SQUID)
            line_squid(g, &out, &t);
        else if (g->fmt == FMT_W3C_DEFAULT)
            line_w3c_default(g, &out, &t);
        else
            line_w3c(g, &out, &t);
        count(g, &t);
    }
    g->last_ms = (int64_t)(g->ts_ns / 1000000u);
    int rc = out_flush(&out);
    if (rc == 0 && output && close(out.fd) != 0)
        rc = -errno;
    if (rc != 0) {
        fprintf(stderr, "wt-loggen: write: %s\n", strerror(-rc));
        return 1;
    }

    double n = g->lines ? (double)g->lines : 1;
    fprintf(stderr,
            "wt-loggen: %s seed=%llu lines=%llu bytes=%llu avg_line=%.1f window=%.1fs "
            "(%lld.%03lld..%lld.%03lld)\n",
            g->fmt == FMT_SQUID ? "squid"
            : g->fmt == FMT_W3C ? "w3c"
                                : "w3c-default",
            (unsigned long long)seed, (unsigned long long)g->lines, (unsigned long long)out.total,
            (double)out.total / n, (double)(g->last_ms - g->first_ms) / 1000.0,
            (long long)(g->first_ms / 1000), (long long)(g->first_ms % 1000),
            (long long)(g->last_ms / 1000), (long long)(g->last_ms % 1000));
    fprintf(stderr,
            "wt-loggen: shares %%: connect=%.1f tcp_connect=%.1f https=%.1f http=%.1f "
            "denied=%.1f user=%.1f ipv6=%.2f masked=%.2f amp=%.2f long_url=%.2f\n",
            100.0 * (double)g->n_connect / n, 100.0 * (double)g->n_tcp_connect / n,
            100.0 * (double)g->n_https / n, 100.0 * (double)g->n_http / n,
            100.0 * (double)g->n_denied / n, 100.0 * (double)g->n_user / n,
            100.0 * (double)g->n_v6 / n, 100.0 * (double)g->n_masked / n,
            100.0 * (double)g->n_amp / n, 100.0 * (double)g->n_long / n);
    free(out.buf);
    gen_free(g);
    return 0;
oom:
    fprintf(stderr, "wt-loggen: out of memory\n");
    return 1;
}
