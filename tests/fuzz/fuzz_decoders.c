/*
 * fuzz_decoders.c - the exporter's small decoders, chosen by the first byte:
 *   0 --since/--until TIME        1 durations and sizes of the config
 *   2 Retry-After (seconds, HTTP-date)   3 SSE part cutting and halving
 *   4 Kafka line splitting and key extraction   5 the SSE credential file
 *   6 the Kafka input: its check of "event" messages, its topic lists
 * Each must accept or refuse any bytes without crashing, and keep its
 * invariants (checked with abort()).
 */
#include "config.h"
#include "input.h"
#include "kafka_input_int.h"
#include "sink_kafka_int.h"
#include "sse_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cut_parts(const char *d, size_t n, size_t target)
{
    size_t off = 0;
    while (off < n) {
        uint32_t lines = 0;
        size_t len = wt__sse_cut(d, n, off, target, &lines);
        if (len == 0 || off + len > n || lines == 0)
            abort();
        if (lines >= 2) {
            size_t half = wt__sse_halve(d + off, len, lines);
            if (half == 0 || half >= len)
                abort();
        }
        off += len;
    }
}

static void cred_file(const char *d, size_t n)
{
    char path[] = "/tmp/wt-fuzz-cred-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    if (write(fd, d, n) == (ssize_t)n) {
        struct wt__sse_cred c;
        char err[256];
        wt__sse_cred_load(path, &c, err, sizeof(err));
        wt__sse_cred_wipe(&c);
    }
    close(fd);
    unlink(path);
}

/* The Kafka input's decoders: each line an "event" message, the whole a topic list. */
static void kafka_input(const char *d, size_t n)
{
    const char *p = d, *end = d + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        char *line = malloc(len ? len : 1); /* exact size: ASan sees a read past it */
        if (!line)
            return;
        memcpy(line, p, len);
        int64_t ts = -1;
        if (wt__kin_event_check(line, len, &ts) == 0 &&
            (len < 2 || line[0] != '{' || line[len - 1] != '}' || ts < 0 ||
             ts >= 253402300800000LL))
            abort(); /* an event is an object with a time in years 1970..9999 */
        free(line);
        p = nl ? nl + 1 : end;
    }
    char buf[4096];
    const char *names[16];
    size_t k = wt__kin_topics(d, buf, sizeof(buf), names, 16);
    if (k > 16)
        abort();
    for (size_t i = 0; i < k; i++) {
        if (names[i] < buf || names[i] >= buf + sizeof(buf) || names[i][0] == '\0' ||
            strchr(names[i], ','))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0'; /* the string decoders take C strings */
    size_t n = size - 1;
    int64_t v;
    uint64_t u;

    switch (data[0] % 7) {
    case 0:
        if (wt_parse_time_ms(s, &v) == 0 && v < 0)
            abort(); /* years 1970..9999 only */
        break;
    case 1:
        if (wt_parse_duration_ms(s, &v) == 0 && v < 0)
            abort();
        wt_parse_size(s, &u);
        break;
    case 2:
        if (wt_http_retry_after(s, 1700000000000LL, &v) == 0 &&
            (v < 0 || v > WT_HTTP_RETRY_AFTER_MAX_MS))
            abort();
        break;
    case 3:
        cut_parts(s, n, n ? (size_t)data[0] * 7 % (n + 1) : 0);
        break;
    case 4: {
        const char *p = s, *end = s + n;
        struct wt_str line, key;
        while (wt__kafka_next_line(&p, end, &line)) {
            if (line.len == 0 || line.p < s || line.p + line.len > end)
                abort();
            for (int rule = 0; rule < 3; rule++) {
                if (wt__kafka_event_key(line, (enum wt_kafka_key)rule, &key) &&
                    (key.p < line.p || key.p + key.len > line.p + line.len))
                    abort();
            }
        }
        break;
    }
    case 5:
        cred_file(s, n);
        break;
    default:
        kafka_input(s, n);
        break;
    }
    free(s);
    return 0;
}
