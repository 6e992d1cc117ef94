/*
 * bench_parse.c - throughput of line splitting, parsing and observable
 * extraction over an access log held in memory.
 *
 * The file is loaded once, so the disk is not measured. Each round runs,
 * in this order (interleaved, so a noisy neighbour hurts every row alike):
 *
 *   read(2) 1 MiB     read the file from the page cache into a 1 MiB buffer
 *   memchr split      memchr('\n') over the in-memory data, counting lines
 *   wt_splitter_next  the project's bounded splitter over the in-memory data
 *   token split       splitter + every space-separated token of each line found
 *                     with the parsers' own token search (wt__find_ws): the
 *                     least any parser of these formats does, converting and
 *                     checking nothing; a floor for the parse rows, not a target
 *   parse only        splitter + wt_parse_line
 *   parse + extract   splitter + wt_parse_line + wt_obs_extract (the real work)
 *
 * After one untimed warm-up round, N rounds are timed with
 * clock_gettime(CLOCK_MONOTONIC) and getrusage(RUSAGE_SELF) and the medians
 * are reported. Rates always count every line of the file (also headers and
 * malformed lines) and every byte, so rows compare directly.
 */
#include "parsers_int.h" /* wt__find_ws(): the token search the parsers use */
#include "wt_parsers.h"
#include "wt_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF (1u << 20)
/* Encode pass output: a batch buffer, as the daemon fills (batch.max_bytes default). */
#define BATCH_BUF (1024 * 1024)
#define MAX_RUNS  101

enum row {
    ROW_READ,
    ROW_MEMCHR,
    ROW_SPLITTER,
    ROW_TOKENS,
    ROW_PARSE,
    ROW_EXTRACT,
    ROW_ENCODE,
    NROW
};

static const char *const row_names[NROW] = {"read(2) 1 MiB", "memchr split", "wt_splitter_next",
                                            "token split",   "parse only",   "parse + extract",
                                            "+ JSON event"};

struct sample {
    double wall[MAX_RUNS], cpu[MAX_RUNS];
    unsigned n;
};

struct parse_ctx {
    struct wt_parser ps;
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_obs_opts oopts;
    enum wt_format fmt;
    size_t max_line;
    struct wt_buf out; /* encode pass: one batch's worth, reset when full */
    struct wt_event_opts eopts;
    /* counts of the last pass */
    uint64_t lines, parsed, skipped, malformed, too_long, obs;
};

/* Something the compiler must assume is read. */
static volatile uint64_t sink;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned n)
{
    double tmp[MAX_RUNS];
    memcpy(tmp, v, n * sizeof(double));
    qsort(tmp, n, sizeof(double), cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

/* ------------------------------------------------------------------------ */
/* Passes. noinline so that callgrind can collect one of them alone.        */
/* ------------------------------------------------------------------------ */

__attribute__((noinline)) static int pass_read(const char *path, char *buf, uint64_t *bytes)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    uint64_t total = 0, x = 0;
    for (;;) {
        ssize_t r = read(fd, buf, READ_BUF);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        if (r == 0)
            break;
        total += (uint64_t)r;
        x += (unsigned char)buf[r - 1];
    }
    close(fd);
    sink = x;
    *bytes = total;
    return 0;
}

__attribute__((noinline)) static uint64_t pass_memchr(const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    uint64_t lines = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        lines++;
        if (!nl)
            break;
        p = nl + 1;
    }
    return lines;
}

/*
 * The sum of what each line yields: its length, or with tokens the lengths of
 * its space-separated tokens (found with the parsers' own token search).
 */
static inline uint64_t line_sum(struct wt_str line, bool tokens)
{
    if (!tokens)
        return line.len;
    const char *p = line.p, *end = line.p + line.len;
    uint64_t s = 0;
    for (;;) {
        wt__skip_ws(&p, end);
        if (p == end)
            return s;
        const char *q = wt__find_ws(p, end);
        s += (uint64_t)(q - p) + 1;
        p = q;
    }
}

__attribute__((noinline)) static uint64_t pass_splitter(const char *data, size_t len,
                                                        size_t max_line, bool tokens, uint64_t *sum)
{
    struct wt_splitter sp;
    struct wt_str line;
    size_t off = 0;
    uint64_t lines = 0, s = 0;

    wt_splitter_init(&sp, max_line);
    for (;;) {
        size_t used = 0;
        int rc = wt_splitter_next(&sp, data + off, len - off, &used, &line);
        off += used;
        if (rc != 0) {
            if (used == 0)
                break;
            continue;
        }
        lines++;
        s += line_sum(line, tokens);
    }
    if (wt_splitter_finish(&sp, data + off, len - off, &line) == 0) {
        lines++;
        s += line_sum(line, tokens);
    }
    *sum = s;
    return lines + sp.too_long;
}

static inline uint64_t handle_line(struct parse_ctx *c, struct wt_str line, int level)
{
    int rc = wt_parse_line(&c->ps, line.p, line.len, &c->rec);
    c->lines++;
    if (rc == WT_ESKIP) {
        c->skipped++;
        return 1;
    }
    if (rc != 0) {
        c->malformed++;
        return 2;
    }
    c->parsed++;
    uint64_t h = (uint64_t)c->rec.status + c->rec.url.len;
    if (level >= 1) {
        wt_obs_extract(&c->rec, &c->oopts, &c->os);
        c->obs += c->os.n;
        h = h * 31 + c->os.n;
        for (unsigned i = 0; i < c->os.n && i < WT_OBS_MAX; i++)
            h = h * 31 + c->os.item[i].value.len + (uint64_t)c->os.item[i].type;
    }
    if (level >= 2) {
        /* The daemon's batcher: events appended to a batch buffer. */
        size_t before = c->out.len;
        if (wt_event_encode(&c->out, c->lines, &c->rec, &c->os, &c->eopts) != 0) {
            c->out.len = 0;
            before = 0;
            wt_event_encode(&c->out, c->lines, &c->rec, &c->os, &c->eopts);
        }
        h = h * 31 + (c->out.len - before);
    }
    return h;
}

/* level: 0 parse, 1 + extract, 2 + JSON event */
__attribute__((noinline)) static uint64_t pass_parse(struct parse_ctx *c, const char *data,
                                                     size_t len, int level)
{
    struct wt_splitter sp;
    struct wt_str line;
    size_t off = 0;
    uint64_t sum = 0;

    c->lines = c->parsed = c->skipped = c->malformed = c->obs = 0;
    wt_splitter_init(&sp, c->max_line);
    wt_parser_init(&c->ps, c->fmt);
    for (;;) {
        size_t used = 0;
        int rc = wt_splitter_next(&sp, data + off, len - off, &used, &line);
        off += used;
        if (rc != 0) {
            if (used == 0)
                break;
            continue;
        }
        sum = sum * 1099511628211ull + handle_line(c, line, level);
    }
    if (wt_splitter_finish(&sp, data + off, len - off, &line) == 0)
        sum = sum * 1099511628211ull + handle_line(c, line, level);
    c->too_long = sp.too_long;
    c->lines += sp.too_long;
    return sum;
}

/* ------------------------------------------------------------------------ */

static int load_file(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t have = 0;
    while (have < size) {
        ssize_t r = read(fd, buf + have, size - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? errno : EIO;
            free(buf);
            close(fd);
            return -e;
        }
        have += (size_t)r;
    }
    close(fd);
    *out = buf;
    *len = size;
    return 0;
}

static void fmt_rate(char *out, size_t cap, double v)
{
    if (v >= 1e9)
        snprintf(out, cap, "%.2f G", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, cap, "%.2f M", v / 1e6);
    else if (v >= 1e3)
        snprintf(out, cap, "%.2f k", v / 1e3);
    else
        snprintf(out, cap, "%.0f", v);
}

static const char usage[] =
    "usage: wt-bench-parse FILE [--runs N] [--format auto|squid|w3c] [--max-line BYTES]\n"
    "                      [--only parse]\n"
    "\n"
    "Load FILE into memory, then time (median of N runs, default 7): read(2) of the\n"
    "file from the page cache, a memchr line split, the wt_splitter, a token split\n"
    "(every space-separated token found, nothing converted), parse only, and\n"
    "parse + observable extraction. Prints a table and one line\n"
    "  RESULT parse_lines_per_s=.. parse_mb_per_s=.. split_lines_per_s=.. read_mb_per_s=..\n"
    "         ratio_vs_split=..\n"
    "--only parse runs just parse + extract (no warm-up), e.g. under callgrind with\n"
    "--toggle-collect=pass_parse.\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"runs", required_argument, NULL, 'n'},     {"format", required_argument, NULL, 'f'},
        {"max-line", required_argument, NULL, 'm'}, {"only", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    unsigned runs = 7;
    bool only_parse = false;
    enum wt_format fmt = WT_FORMAT_AUTO;
    size_t max_line = WT_LINE_MAX_DEFAULT;
    int o;

    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': {
            uint64_t v;
            if (wt_str_to_u64((struct wt_str){optarg, strlen(optarg)}, &v) != 0 || v < 1 ||
                v > MAX_RUNS) {
                fprintf(stderr, "wt-bench-parse: --runs must be 1..%d\n", MAX_RUNS);
                return 2;
            }
            runs = (unsigned)v;
            break;
        }
        case 'f':
            if (wt_format_from_str(optarg, &fmt) != 0) {
                fprintf(stderr, "wt-bench-parse: --format must be auto, squid or w3c\n");
                return 2;
            }
            break;
        case 'm': {
            uint64_t v;
            if (wt_str_to_u64((struct wt_str){optarg, strlen(optarg)}, &v) != 0 ||
                v < WT_LINE_MAX_MIN || v > WT_LINE_MAX_LIMIT) {
                fprintf(stderr, "wt-bench-parse: --max-line must be %d..%d\n", WT_LINE_MAX_MIN,
                        WT_LINE_MAX_LIMIT);
                return 2;
            }
            max_line = (size_t)v;
            break;
        }
        case 'o':
            if (strcmp(optarg, "parse") != 0) {
                fprintf(stderr, "wt-bench-parse: --only takes 'parse'\n");
                return 2;
            }
            only_parse = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fputs(usage, stderr);
        return 2;
    }
    const char *path = argv[optind];

    char *data = NULL, *rbuf = malloc(READ_BUF);
    size_t len = 0;
    int ex = 0;
    struct parse_ctx *c = calloc(1, sizeof(*c));
    size_t scap = max_line + WT_OBS_SCRATCH_EXTRA;
    char *scratch = malloc(scap);
    char *obuf = malloc(BATCH_BUF);
    if (!rbuf || !c || !scratch || !obuf) {
        fprintf(stderr, "wt-bench-parse: out of memory\n");
        goto fail;
    }
    int rc = load_file(path, &data, &len);
    if (rc != 0) {
        fprintf(stderr, "wt-bench-parse: %s: %s\n", path, strerror(-rc));
        goto fail;
    }
    c->fmt = fmt;
    c->max_line = max_line;
    wt_obs_set_init(&c->os, scratch, scap);
    wt_buf_init(&c->out, obuf, BATCH_BUF);
    c->eopts.host = WT_STR_LIT("bench-host.example.com");
    c->eopts.src = WT_STR_LIT("/var/log/wsa/aclog.@20231114T221320.s");

    if (only_parse) {
        uint64_t sum = 0;
        double w0 = wall_now();
        for (unsigned i = 0; i < runs; i++)
            sum += pass_parse(c, data, len, 1);
        double w = (wall_now() - w0) / runs;
        sink = sum;
        printf("wt-bench-parse: %s: %llu lines, parse + extract %.3f ms/run, parsed=%llu "
               "malformed=%llu skipped=%llu too_long=%llu observables=%llu\n",
               path, (unsigned long long)c->lines, w * 1e3, (unsigned long long)c->parsed,
               (unsigned long long)c->malformed, (unsigned long long)c->skipped,
               (unsigned long long)c->too_long, (unsigned long long)c->obs);
        printf("INFO lines=%llu\n", (unsigned long long)c->lines);
        goto out;
    }

    uint64_t lines = pass_memchr(data, len);
    static struct sample s[NROW];
    uint64_t chk[NROW] = {0};
    bool warned = false;

    /* Round 0 is the untimed warm-up (page cache, caches, branch predictors). */
    for (unsigned round = 0; round <= runs; round++) {
        for (int row = 0; row < NROW; row++) {
            uint64_t v = 0, aux = 0;
            double c0 = cpu_now(), w0 = wall_now();
            switch (row) {
            case ROW_READ:
                rc = pass_read(path, rbuf, &v);
                if (rc != 0) {
                    fprintf(stderr, "wt-bench-parse: %s: %s\n", path, strerror(-rc));
                    goto fail;
                }
                if (v != len) {
                    fprintf(stderr, "wt-bench-parse: %s changed size while running\n", path);
                    goto fail;
                }
                break;
            case ROW_MEMCHR:
                v = pass_memchr(data, len);
                break;
            case ROW_SPLITTER:
                v = pass_splitter(data, len, max_line, false, &aux) ^ aux;
                break;
            case ROW_TOKENS:
                v = pass_splitter(data, len, max_line, true, &aux) ^ aux;
                break;
            case ROW_PARSE:
                v = pass_parse(c, data, len, 0);
                break;
            case ROW_EXTRACT:
                v = pass_parse(c, data, len, 1);
                break;
            case ROW_ENCODE:
                v = pass_parse(c, data, len, 2);
                break;
            default:
                break;
            }
            double w1 = wall_now(), c1 = cpu_now();
            sink = v;
            if (round == 0) {
                chk[row] = v;
                continue;
            }
            if (v != chk[row] && !warned) {
                fprintf(stderr,
                        "wt-bench-parse: WARNING: %s: checksum differs between runs "
                        "(non-deterministic parser?)\n",
                        row_names[row]);
                warned = true;
            }
            s[row].wall[s[row].n] = w1 - w0;
            s[row].cpu[s[row].n] = c1 - c0;
            s[row].n++;
        }
    }

    double wall[NROW], cpu[NROW], lps[NROW], mbps[NROW];
    for (int row = 0; row < NROW; row++) {
        wall[row] = median(s[row].wall, s[row].n);
        cpu[row] = median(s[row].cpu, s[row].n);
        double w = wall[row] > 0 ? wall[row] : 1e-9;
        lps[row] = (double)lines / w;
        mbps[row] = (double)len / w / 1e6;
    }

    printf("wt-bench-parse: %s\n", path);
    printf("  %zu bytes, %llu lines, %.1f B/line; median of %u runs (1 warm-up)\n", len,
           (unsigned long long)lines, lines ? (double)len / (double)lines : 0.0, runs);
    printf("  parse: parsed=%llu skipped=%llu malformed=%llu too_long=%llu observables=%llu "
           "(%.2f/parsed line) checksum=%016llx\n",
           (unsigned long long)c->parsed, (unsigned long long)c->skipped,
           (unsigned long long)c->malformed, (unsigned long long)c->too_long,
           (unsigned long long)c->obs, c->parsed ? (double)c->obs / (double)c->parsed : 0.0,
           (unsigned long long)chk[ROW_EXTRACT]);
    printf("\n  %-18s %9s %9s %11s %9s %8s %8s %11s\n", "benchmark", "wall ms", "cpu ms", "lines/s",
           "MB/s", "ns/line", "vs split", "cpu lines/s");
    for (int row = 0; row < NROW; row++) {
        char r[32], rc_[32];
        fmt_rate(r, sizeof(r), lps[row]);
        fmt_rate(rc_, sizeof(rc_), cpu[row] > 0 ? (double)lines / cpu[row] : 0.0);
        printf("  %-18s %9.2f %9.2f %11s %9.1f %8.1f %8.3f %11s\n", row_names[row], wall[row] * 1e3,
               cpu[row] * 1e3, r, mbps[row], lines ? wall[row] * 1e9 / (double)lines : 0.0,
               lps[ROW_MEMCHR] > 0 ? lps[row] / lps[ROW_MEMCHR] : 0.0, rc_);
    }
    double ratio = lps[ROW_MEMCHR] > 0 ? lps[ROW_EXTRACT] / lps[ROW_MEMCHR] : 0.0;
    printf("\n  targets: parse+extract >= 1.5 M lines/s: %s (%.2f M); >= 30%% of memchr split: "
           "%s (%.1f%%)\n",
           lps[ROW_EXTRACT] >= 1.5e6 ? "met" : "NOT met", lps[ROW_EXTRACT] / 1e6,
           ratio >= 0.30 ? "met" : "NOT met", ratio * 100);
    if (c->parsed == 0 || c->malformed * 2 > c->lines) {
        printf("  NOTE: %llu of %llu lines malformed: the parser does not understand this input "
               "(stub?); parse rates measure the rejection path only\n",
               (unsigned long long)c->malformed, (unsigned long long)c->lines);
    }
    if (cpu[ROW_EXTRACT] < 0.9 * wall[ROW_EXTRACT])
        printf("  NOTE: cpu time < 90%% of wall time: the machine is busy, rates are low-biased\n");
    printf("RESULT parse_lines_per_s=%.0f parse_mb_per_s=%.1f split_lines_per_s=%.0f "
           "read_mb_per_s=%.1f ratio_vs_split=%.4f\n",
           lps[ROW_EXTRACT], mbps[ROW_EXTRACT], lps[ROW_MEMCHR], mbps[ROW_READ], ratio);
    printf(
        "INFO lines=%llu bytes=%zu parsed=%llu skipped=%llu malformed=%llu too_long=%llu "
        "observables=%llu parse_only_lines_per_s=%.0f splitter_lines_per_s=%.0f "
        "read_lines_per_s=%.0f token_split_lines_per_s=%.0f parse_cpu_ms=%.2f parse_wall_ms=%.2f "
        "parse_cpu_lines_per_s=%.0f\n",
        (unsigned long long)lines, len, (unsigned long long)c->parsed,
        (unsigned long long)c->skipped, (unsigned long long)c->malformed,
        (unsigned long long)c->too_long, (unsigned long long)c->obs, lps[ROW_PARSE],
        lps[ROW_SPLITTER], lps[ROW_READ], lps[ROW_TOKENS], cpu[ROW_EXTRACT] * 1e3,
        wall[ROW_EXTRACT] * 1e3, cpu[ROW_EXTRACT] > 0 ? (double)lines / cpu[ROW_EXTRACT] : 0.0);
out:
    free(data);
    free(rbuf);
    free(scratch);
    free(obuf);
    free(c);
    return ex;
fail:
    ex = 1;
    goto out;
}
