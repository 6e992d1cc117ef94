/*
 * loggen_line.c - writing a planned line (struct txn) in each layout:
 * squid-native, the 25-field W3C layout and the default W3C layout, the W3C
 * header, and flushing the output buffer.
 */
#include "loggen.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int out_flush(struct out *o)
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

/* W3C cs-username x-hierarchy-origin cs-mime-type x-acltag, as both W3C
 * layouts write them (a MIME type with a space is quoted). */
static void put_w3c_user_to_acl(struct out *o, struct rng *r, const struct txn *t)
{
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
}

void line_squid(struct gen *g, struct out *o, const struct txn *t)
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
const char w3c_fields[] =
    "timestamp x-elapsed-time c-ip c-port x-resultcode-httpstatus sc-bytes cs-method cs-url "
    "cs-username x-hierarchy-origin cs-mime-type x-acltag s-ip s-port cs-version "
    "x-webcat-code-abbr x-webcat-code-full x-wbrs-score x-avc-app x-amp-verdict "
    "x-amp-malware-name x-amp-filename x-amp-sha cs(Referer) cs(User-Agent)";

void line_w3c(struct gen *g, struct out *o, const struct txn *t)
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
    put_w3c_user_to_acl(o, r, t);
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
const char w3c_default_fields[] =
    "timestamp x-elapsed-time c-ip x-resultcode-httpstatus sc-bytes cs-method cs-url "
    "cs-username x-hierarchy-origin cs-mime-type x-acltag x-result-code x-suspect-user-agent";

void line_w3c_default(struct gen *g, struct out *o, const struct txn *t)
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
    put_w3c_user_to_acl(o, r, t);
    putc1(o, ' ');
    put_verdicts(o, t); /* x-result-code: the list, its quoted values with spaces */
    PUTL(o, " -\n");    /* x-suspect-user-agent */
}

void w3c_header(struct out *o, uint64_t start_s, const char *fields)
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
