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
 *
 * This file holds the options and main(); loggen.h says where the rest is
 * (vocabulary, tables built from the seed, planning and writing a line).
 */
#include "loggen.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
