/*
 * loggen_tables.c - the tables wt-loggen builds from the seed before the
 * first line: destination domains (a head of well-known names, then
 * generated ones), clients and their users, AMP files, the noise of long
 * query strings, and the Zipf popularity over each.
 */
#include "loggen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zipf_init(struct zipf *z, uint32_t n, double q)
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

int build_domains(struct gen *g, uint32_t n)
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

int build_clients(struct gen *g, uint32_t n4, uint32_t n6)
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

int build_files(struct gen *g, uint32_t n)
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

int build_noise(struct gen *g)
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

void gen_free(struct gen *g)
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
