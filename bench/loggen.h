/*
 * loggen.h - what the files of wt-loggen share (wt_loggen.c: options and
 * main; loggen_vocab.c: the vocabulary; loggen_tables.c: the tables built
 * from the seed; loggen_plan.c: what a line holds; loggen_line.c: writing it
 * in each layout): the PRNG, the Zipf draw, the output buffer and the types
 * of the generator's state.
 *
 * Output depends only on the options: keep every draw in the order it has,
 * or the same seed no longer gives the same bytes (bench/run_parse.sh checks).
 */
#ifndef WT_LOGGEN_H
#define WT_LOGGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
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
static inline uint32_t rng_weighted(struct rng *r, const uint16_t *w, size_t n)
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

/* The cumulative weights of n ranks (malloc'ed into z->cdf): 0, or -1. */
int zipf_init(struct zipf *z, uint32_t n, double q);

static inline uint32_t zipf_draw(const struct zipf *z, struct rng *r)
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

/* Write the buffer out and empty it: 0, or -errno. */
int out_flush(struct out *o);

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
static inline void put_fixed(struct out *o, int64_t v, int decimals)
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

static inline void put_hex(struct out *o, struct rng *r, unsigned n)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < n; i++) {
        if (i % 16 == 0)
            x = rng_next(r);
        putc1(o, hexdig[x & 15]);
        x >>= 4;
    }
}

#include "loggen_vocab.h"

/* ------------------------------------------------------------------------ */
/* Tables built from the seed (loggen_tables.c)                             */
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

/* Each table from its own stream (main seeds g->r before each): 0, or -1. */
int build_domains(struct gen *g, uint32_t n);
int build_clients(struct gen *g, uint32_t n4, uint32_t n6);
int build_files(struct gen *g, uint32_t n);
int build_noise(struct gen *g);
/* Free what the build_*() functions allocated. */
void gen_free(struct gen *g);

/* ------------------------------------------------------------------------ */
/* One line (loggen_plan.c, loggen_line.c)                                 */
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

/* Decide the next line of g: *t, drawn from g->r. */
void plan(struct gen *g, struct txn *t);
/* Count t in the statistics of g. */
void count(struct gen *g, const struct txn *t);

/* Write t as one line of each layout. */
void line_squid(struct gen *g, struct out *o, const struct txn *t);
void line_w3c(struct gen *g, struct out *o, const struct txn *t);
void line_w3c_default(struct gen *g, struct out *o, const struct txn *t);

/* The W3C header (#Version .. #Fields:) of a log starting at start_s. */
void w3c_header(struct out *o, uint64_t start_s, const char *fields);
/* The #Fields: of the two W3C layouts. */
extern const char w3c_fields[];
extern const char w3c_default_fields[];

#endif /* WT_LOGGEN_H */
