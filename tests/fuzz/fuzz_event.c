/*
 * fuzz_event.c - the JSON string escaper and the event encoder: whatever the
 * bytes, the output is one line of valid JSON that decodes to an object, and
 * a too-small buffer fails cleanly, and the encoder's unchecked path (room
 * for its size bound) writes the same bytes as its checked path (exact room).
 */
#include "wt_queue.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Unchecked (a buffer far above the bound) == checked (exact room, in an
 * allocation of that size); one byte less room is WT_EFULL.
 */
static void differential(const struct wt_record *rec, const struct wt_obs_set *os,
                         const struct wt_event_opts *o, uint64_t lineno)
{
    static char big[64 * 1024];
    struct wt_buf u, c;
    wt_buf_init(&u, big, sizeof(big));
    if (wt_event_encode(&u, lineno, rec, os, o) != 0)
        abort();
    char *exact = malloc(u.len);
    if (!exact)
        abort();
    wt_buf_init(&c, exact, u.len);
    if (wt_event_encode(&c, lineno, rec, os, o) != 0 || c.len != u.len ||
        memcmp(c.p, u.p, u.len) != 0)
        abort();
    wt_buf_init(&c, exact, u.len - 1);
    if (wt_event_encode(&c, lineno, rec, os, o) != WT_EFULL || c.len != 0)
        abort();
    free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char mem[WT_EVENT_MAX(4096)];
    struct wt_buf b;
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_event_opts o = {.export_user = true};

    if (size > 4096)
        return 0;
    /* 1. A bare JSON string round-trips through cJSON. */
    wt_buf_init(&b, mem, sizeof(mem));
    if (wt_json_append_str(&b, (const char *)data, size) != 0)
        abort();
    cJSON *j = cJSON_ParseWithLength(b.p, b.len);
    if (!j || !cJSON_IsString(j))
        abort();
    cJSON_Delete(j);
    /* Exact room (sized first, byte by byte) writes the same; one less fails. */
    static char mem2[sizeof(mem)];
    struct wt_buf b2;
    wt_buf_init(&b2, mem2, b.len);
    if (wt_json_append_str(&b2, (const char *)data, size) != 0 || b2.len != b.len ||
        memcmp(b2.p, b.p, b.len) != 0)
        abort();
    wt_buf_init(&b2, mem2, b.len - 1);
    if (wt_json_append_str(&b2, (const char *)data, size) != WT_EFULL || b2.len != 0)
        abort();

    /* 2. A whole event with the bytes in several fields, in a buffer the
     *    first byte shrinks: either it fits and parses, or WT_EFULL, len 0. */
    wt_record_clear(&rec);
    memset(&os, 0, sizeof(os));
    size_t third = size / 3;
    rec.url = (struct wt_str){(const char *)data, third};
    rec.user = (struct wt_str){(const char *)data + third, third};
    rec.acl = (struct wt_str){(const char *)data + 2 * third, size - 2 * third};
    rec.ts_ms = size ? (int64_t)data[0] * 86400000LL * 365 : 0;
    os.n = 1;
    os.item[0] = (struct wt_obs){WT_OBS_URL, rec.url};
    size_t cap = size ? sizeof(mem) * data[0] / 255 : sizeof(mem);
    wt_buf_init(&b, mem, cap);
    int rc = wt_event_encode(&b, 1, &rec, &os, &o);
    if (rc == WT_EFULL) {
        if (b.len != 0)
            abort();
        return 0;
    }
    if (rc != 0 || b.len == 0 || b.p[b.len - 1] != '\n' || memchr(b.p, '\n', b.len - 1))
        abort();
    j = cJSON_ParseWithLength(b.p, b.len);
    if (!j || !cJSON_IsObject(j))
        abort();
    cJSON_Delete(j);

    /* 3. Unchecked (a buffer far above the bound) == checked (exact room). */
    differential(&rec, &os, &o, 1);

    /* 4. The bytes cut into fields of every length class the unchecked
     *    writer splits on (1-3, 4-7, 8-16, 17-32, longer), numbers and the
     *    line number from them too. */
    if (size >= 8) {
        struct wt_str *f[] = {&rec.client, &rec.method, &rec.result,   &rec.hier,
                              &rec.mime,   &rec.wbrs,   &rec.category, &rec.amp_threat};
        size_t off = 0;
        int64_t v;
        for (unsigned k = 0; k < sizeof(f) / sizeof(f[0]); k++) {
            size_t n = data[k] % 40;
            if (n > size - off)
                n = size - off;
            *f[k] = (struct wt_str){(const char *)data + off, n};
            off += n;
        }
        o.host = (struct wt_str){(const char *)data + size - data[1] % 9, data[1] % 9};
        memcpy(&v, data, 8);
        rec.bytes = v;
        rec.elapsed_ms = v >> 20;
        rec.status = (int)(v & 0x3ff);
        rec.ts_ms = v >> 16;
        differential(&rec, &os, &o, (uint64_t)v);
    }
    return 0;
}
