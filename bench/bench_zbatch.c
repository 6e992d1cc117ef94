/*
 * bench_zbatch.c - the compression floor of a zstd sink: the CPU time of
 * compressing an NDJSON file (the events of `wtexport parse`) the way the
 * pipeline does, in batches of whole lines of at most BYTES each, one zstd
 * frame a batch (wt_batch_compress, one reused context), at each LEVEL
 * (zstd's negative levels are its fast modes). Thread CPU time, best of
 * three passes; the file is read into memory first.
 *
 *   wt-bench-zbatch FILE [BYTES [LEVEL...]]     (default 1048576 and 1)
 *   -> "level=1 batches=122 lines=200000 cpu_s=0.220 cpu_us_per_line=1.100
 *       ratio=7.68" per level
 */
#include "wt_common.h"
#include "wt_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#define PASSES 3

static double thread_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wt-bench-zbatch FILE [BYTES [LEVEL...]]\n");
        return 2;
    }
    char *data = NULL;
    size_t len = 0;
    int rc = wt_read_file(argv[1], (size_t)16 << 30, &data, &len);
    if (rc != 0) {
        fprintf(stderr, "wt-bench-zbatch: %s: %s\n", argv[1], wt_strerror(rc));
        return 1;
    }
    size_t cap = argc > 2 ? strtoul(argv[2], NULL, 10) : 1048576;
    if (cap < 4096)
        cap = 4096;
    struct wt_batch *b = wt_batch_new(cap);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    if (!b || !cc) {
        fprintf(stderr, "wt-bench-zbatch: out of memory\n");
        return 1;
    }
    char *own = b->data; /* the batch points into the file instead */
    int nlevels = argc > 3 ? argc - 3 : 1;
    for (int li = 0; li < nlevels; li++) {
        int level = argc > 3 ? atoi(argv[3 + li]) : 1;
        double best = 1e30;
        size_t lines = 0, zbytes = 0, batches = 0;
        for (int pass = 0; pass < PASSES; pass++) {
            lines = zbytes = batches = 0;
            double t0 = thread_cpu_s();
            for (size_t off = 0; off < len;) {
                /* Whole lines up to cap bytes (a longer line alone). */
                size_t end = off, n = 0;
                while (end < len) {
                    const char *nl = memchr(data + end, '\n', len - end);
                    size_t next = nl ? (size_t)(nl - data) + 1 : len;
                    if (n > 0 && next - off > cap)
                        break;
                    end = next;
                    n++;
                }
                b->data = data + off;
                b->len = end - off;
                if (b->len > b->cap) {
                    fprintf(stderr, "wt-bench-zbatch: a line longer than %zu bytes\n", cap);
                    return 1;
                }
                if (wt_batch_compress(b, cc, level) != 0) {
                    fprintf(stderr, "wt-bench-zbatch: compression failed\n");
                    return 1;
                }
                zbytes += b->zlen;
                lines += n;
                batches++;
                off = end;
            }
            double t = thread_cpu_s() - t0;
            if (t < best)
                best = t;
        }
        printf("level=%d batches=%zu lines=%zu cpu_s=%.3f cpu_us_per_line=%.3f ratio=%.2f\n", level,
               batches, lines, best, lines ? best / (double)lines * 1e6 : 0.0,
               zbytes ? (double)len / (double)zbytes : 0.0);
    }
    b->data = own;
    wt_batch_free(b);
    ZSTD_freeCCtx(cc);
    wt_free(data);
    return 0;
}
