/*
 * bench_index.c - wt-bench-index: bulk-load the observable index with
 * generated traffic and time lookups (bench/bench_index.sh drives it).
 *
 *   wt-bench-index load DIR DAYS EVENTS_PER_DAY
 *       DAYS of events ending now, in time order: Zipf (s = 1) popularity
 *       over domains, URLs and clients, 1 % with an AMP SHA-256. Each
 *       event goes through the real parser and extractor (a WSA squid
 *       line) and then wt_index_add, exactly as the pipeline calls it.
 *       Prints the parse+extract CPU, the wt_index_add CPU (the ingest
 *       overhead on the pipeline thread), the writer thread's CPU, and the
 *       index size.
 *   wt-bench-index lookup DIR WINDOW_DAYS REQUESTS EVENTS_PER_DAY
 *       REQUESTS /observe/observables answers (wt_observe_sightings, the
 *       function the HTTP handler calls) of 20 observables each (domains,
 *       URLs, client IPs and server IPs from popular to rare) over the
 *       window; prints p50, p99 and max in ms.
 *   wt-bench-index rollup DIR DAYS
 *       Opens an index of the hour-only layout writable and commits until
 *       every closed day in the DAYS+1-day retention is rolled up into a
 *       day bucket (one day per commit); prints the days and the time.
 */
#include "index.h"
#include "observe.h"
#include "wt_parsers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define NCLIENTS 4000
/* CPU of `wtexport run` per line without the index (README: tail -> spool
 * -> zstd file sink, 1 GB backlog, this machine): the pipeline's cost the
 * index stage is compared with. */
#define PIPELINE_US 1.7

static uint64_t rng = 88172645463325252ULL;
static uint64_t xr(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct zipf {
    double *cdf;
    size_t n;
};

static void zipf_init(struct zipf *z, size_t n)
{
    z->n = n;
    z->cdf = malloc(n * sizeof(double));
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += 1.0 / (double)(i + 1);
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc += 1.0 / (double)(i + 1) / s;
        z->cdf[i] = acc;
    }
}

static size_t zipf_draw(const struct zipf *z)
{
    double u = (double)(xr() >> 11) / 9007199254740992.0;
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double proc_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sizes of the synthetic world for an events/day rate. */
static void world(long per_day, size_t *ndom, size_t *nurl)
{
    *ndom = (size_t)(per_day / 10 > 1000 ? per_day / 10 : 1000);
    if (*ndom > 2000000)
        *ndom = 2000000;
    *nurl = *ndom * 3;
}

/* One WSA squid line at ts: Zipf URL (and its domain), Zipf client, 1 % with an AMP SHA-256. */
static int gen(char *line, size_t cap, int64_t ts, const struct zipf *zu, const struct zipf *zc,
               size_t ndom)
{
    size_t u = zipf_draw(zu), d = u % ndom, c = zipf_draw(zc);
    bool sha = xr() % 100 == 0;
    return snprintf(line, cap,
                    "%lld.%03lld 120 10.0.%zu.%zu TCP_MISS/200 5120 GET "
                    "http://d%zu.example.com/p/%zu - DIRECT/198.%zu.%zu.%zu text/html "
                    "DEFAULT_CASE_11-P <IW_comp,6.9,-,\"-\",-,-,-,-,\"-\",-,-,-,\"-\",-,-,"
                    "\"-\",\"-\",-,-,IW_comp,-,\"-\",\"-\",\"Unknown\",\"Unknown\",\"-\",\"-\","
                    "198.34,0,-,[Local],\"-\",%s,\"-\",33,0,\"-\",\"%s%056zx\"> -",
                    (long long)(ts / 1000), (long long)(ts % 1000), c / 256 % 256, c % 256, d, u,
                    d / 65536 % 256, d / 256 % 256, d % 256, sha ? "1" : "-", sha ? "fd5ef49d" : "",
                    sha ? u : (size_t)0);
}

static int load(const char *dir, int days, long per_day)
{
    size_t ndom, nurl;
    world(per_day, &ndom, &nurl);
    struct zipf zu, zc;
    zipf_init(&zu, nurl);
    zipf_init(&zc, NCLIENTS);
    char err[256];
    struct wt_index_opts o = {.path = dir,
                              .max_size = 64ULL << 30,
                              .top_clients = 10,
                              .retention_ms = (int64_t)(days + 1) * 86400000LL};
    struct wt_index *idx = wt_index_open(&o, err, sizeof(err));
    if (!idx) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    struct wt_parser ps;
    struct wt_record rec;
    struct wt_obs_set os;
    static char scratch[1 << 17];
    wt_parser_init(&ps, WT_FORMAT_SQUID);
    wt_obs_set_init(&os, scratch, sizeof(scratch));
    int64_t now = wt_wall_ms(), start = now - (int64_t)days * 86400000LL + 60000;
    long total = (long)days * per_day;
    double step = (double)(now - 60000 - start) / (double)total;
    double t_parse = 0, t_index = 0, w0 = wall(), p0 = proc_cpu(), main_cpu0 = thread_cpu();
    char line[1024];
    uint64_t off = 0;
    /* Calibration on the first events (timers per event would cost more
     * than what they measure): the pipeline thread's CPU for generating
     * alone, + parse and extract, + wt_index_add (into a scratch index). */
    long ncal = total < 300000 ? total : 300000;
    double cal[3];
    char cdir[4096];
    snprintf(cdir, sizeof(cdir), "%s.calib", dir);
    struct wt_index_opts co = o;
    co.path = cdir;
    struct wt_index *cidx = wt_index_open(&co, err, sizeof(err));
    if (!cidx) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    cal[0] = cal[1] = cal[2] = 1e9;
    for (int rep = 0; rep < 9; rep++) {
        /* Interleaved and the fastest of three each: the other CPU is busy
         * with the writer thread and other processes. */
        int mode = rep % 3;
        uint64_t save = rng;
        double a = thread_cpu();
        for (long i = 0; i < ncal; i++) {
            int n = gen(line, sizeof(line), start + (int64_t)((double)i * step), &zu, &zc, ndom);
            if (mode >= 1) {
                wt_parse_line(&ps, line, (size_t)n, &rec);
                wt_obs_extract(&rec, &(struct wt_obs_opts){0}, &os);
            }
            if (mode == 2)
                wt_index_add(cidx, &rec, &os, 1,
                             &(struct wt_srcpos){.dev = 1, .ino = 1, .offset = (uint64_t)i});
        }
        double t = thread_cpu() - a;
        if (t < cal[mode])
            cal[mode] = t;
        rng = save;
    }
    wt_index_close(cidx);
    t_parse = cal[1] - cal[0];
    t_index = cal[2] - cal[1];
    for (long i = 0; i < total; i++) {
        int n = gen(line, sizeof(line), start + (int64_t)((double)i * step), &zu, &zc, ndom);
        if (wt_parse_line(&ps, line, (size_t)n, &rec) != 0) {
            fprintf(stderr, "parse failed: %s\n", line);
            return 1;
        }
        wt_obs_extract(&rec, &(struct wt_obs_opts){0}, &os);
        off += (uint64_t)n + 1;
        wt_index_add(idx, &rec, &os, 1, &(struct wt_srcpos){.dev = 1, .ino = 2, .offset = off});
        if (i % 200000 == 0)
            wt_index_commit(idx);
    }
    wt_index_sync(idx);
    double w1 = wall(), p1 = proc_cpu();
    struct wt_index_stats st;
    wt_index_stats(idx, &st);
    wt_index_close(idx);
    char path[4096];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    struct stat sb;
    stat(path, &sb);
    /* Everything but the loading thread: the writer threads (the scratch
     * index's for the calibration events too). */
    double writer_cpu = ((p1 - p0) - (thread_cpu() - main_cpu0)) / (double)(total + ncal) * total;
    printf("events %ld days %d per_day %ld domains %zu urls %zu clients %d\n", total, days, per_day,
           ndom, nurl, NCLIENTS);
    printf("wall_s %.1f events_per_s %.0f\n", w1 - w0, (double)total / (w1 - w0));
    printf("calibration_events %ld parse_extract_us %.3f index_add_us %.3f "
           "overhead_of_parse_pct %.1f overhead_of_pipeline_pct %.1f\n",
           ncal, t_parse * 1e6 / (double)ncal, t_index * 1e6 / (double)ncal,
           100.0 * t_index / t_parse, 100.0 * (t_index * 1e6 / (double)ncal) / PIPELINE_US);
    printf("writer_cpu_us %.3f (per event, writer thread, off the pipeline)\n",
           writer_cpu * 1e6 / (double)total);
    printf("commits %llu stalls %llu entries %llu buckets %u\n", (unsigned long long)st.commits,
           (unsigned long long)st.stalls, (unsigned long long)st.entries, st.buckets);
    printf("index_bytes %lld map_bytes %llu bytes_per_day %.0f bytes_per_event %.1f\n",
           (long long)sb.st_blocks * 512, (unsigned long long)st.map_bytes,
           (double)st.map_bytes / days, (double)st.map_bytes / (double)total);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("max_rss_kib %ld\n", ru.ru_maxrss);
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int lookup(const char *dir, double window_days, int nreq, long per_day)
{
    size_t ndom, nurl;
    world(per_day, &ndom, &nurl);
    char err[256];
    struct wt_index_opts o = {
        .path = dir, .max_size = 64ULL << 30, .top_clients = 10, .readonly = true};
    struct wt_index *idx = wt_index_open(&o, err, sizeof(err));
    if (!idx) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    double *ms = calloc((size_t)nreq, sizeof(double)), *cpu = calloc((size_t)nreq, sizeof(double));
    uint64_t docs = 0;
    for (int r = 0; r < nreq; r++) {
        struct wt_observe_obs obs[20];
        char vals[20][128];
        for (int k = 0; k < 20; k++) {
            /* From the most popular to the rare: rank grows geometrically. */
            size_t rank = (size_t)((double)(xr() % 1000) / 1000.0 * pow(10, k % 5 + 1));
            enum wt_obs_type t;
            switch (k % 4) {
            case 0:
                t = WT_OBS_DOMAIN;
                snprintf(vals[k], 128, "d%zu.example.com", rank % ndom);
                break;
            case 1:
                t = WT_OBS_URL;
                snprintf(vals[k], 128, "http://d%zu.example.com/p/%zu", rank % nurl % ndom,
                         rank % nurl);
                break;
            case 2:
                t = WT_OBS_IP;
                snprintf(vals[k], 128, "10.0.%zu.%zu", rank % NCLIENTS / 256, rank % 256);
                break;
            default:
                t = WT_OBS_IP;
                snprintf(vals[k], 128, "198.%zu.%zu.%zu", rank % ndom / 65536 % 256,
                         rank % ndom / 256 % 256, rank % ndom % 256);
                break;
            }
            obs[k] = (struct wt_observe_obs){t, vals[k], strlen(vals[k])};
        }
        struct wt_observe_req req = {20, obs};
        struct wt_observe_answer_opts ao = {.host = "bench",
                                            .limit = 100,
                                            .top = 10,
                                            .since_ms =
                                                wt_wall_ms() - (int64_t)(window_days * 86400000.0)};
        double a = wall();
        double ca = thread_cpu();
        size_t len = 0;
        char *text = wt_observe_answer_text(idx, &req, &ao, &len); /* the HTTP answer's body */
        double b = wall();
        cpu[r] = (thread_cpu() - ca) * 1000.0;
        const char *cnt = text ? strstr(text, "\"count\":") : NULL;
        if (cnt)
            docs += strtoull(cnt + 8, NULL, 10);
        wt_free(text);
        ms[r] = (b - a) * 1000.0;
    }
    double first = ms[0];
    qsort(ms, (size_t)nreq, sizeof(double), cmp_d);
    qsort(cpu, (size_t)nreq, sizeof(double), cmp_d);
    printf("window_days %g requests %d first_ms %.2f p50_ms %.2f p99_ms %.2f max_ms %.2f "
           "docs_per_request %.1f cpu_p50_ms %.2f cpu_p99_ms %.2f\n",
           window_days, nreq, first, ms[nreq / 2], ms[(int)((nreq - 1) * 0.99)], ms[nreq - 1],
           (double)docs / nreq, cpu[nreq / 2], cpu[(int)((nreq - 1) * 0.99)]);
    free(ms);
    free(cpu);
    wt_index_close(idx);
    return 0;
}

/* Migrate an index of the hour-only layout: commit until no closed day is left as hours. */
static int rollup(const char *dir, int days)
{
    char err[256];
    struct wt_index_opts o = {.path = dir,
                              .max_size = 64ULL << 30,
                              .top_clients = 10,
                              .retention_ms = (int64_t)(days + 1) * 86400000LL};
    double a = wall();
    struct wt_index *idx = wt_index_open(&o, err, sizeof(err));
    if (!idx) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    struct wt_index_stats st = {0};
    uint64_t before;
    do {
        before = st.rolled;
        if (wt_index_sync(idx) != 0)
            break;
        wt_index_stats(idx, &st);
    } while (st.rolled > before);
    printf("rolled_days %llu buckets %u wall_s %.1f map_bytes %llu\n",
           (unsigned long long)st.rolled, st.buckets, wall() - a, (unsigned long long)st.map_bytes);
    wt_index_close(idx);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "rollup") == 0)
        return rollup(argv[2], atoi(argv[3]));
    if (argc == 5 && strcmp(argv[1], "load") == 0)
        return load(argv[2], atoi(argv[3]), atol(argv[4]));
    if (argc == 6 && strcmp(argv[1], "lookup") == 0)
        return lookup(argv[2], atof(argv[3]), atoi(argv[4]), atol(argv[5]));
    fprintf(stderr, "usage: wt-bench-index load DIR DAYS EVENTS_PER_DAY\n"
                    "       wt-bench-index lookup DIR WINDOW_DAYS REQUESTS EVENTS_PER_DAY\n"
                    "       wt-bench-index rollup DIR DAYS   (migrate an hour-only index)\n");
    return 2;
}
