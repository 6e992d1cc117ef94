/*
 * fuzz_w3c.c - libFuzzer target for the W3C parser.
 *
 * The input is split into lines (LF; a CR before it is left for the parser)
 * and every line goes to one wt_parser, so `#Fields:` headers and the data
 * lines after them are fuzzed together. The first byte picks the mode: odd
 * W3C, even AUTO (squid until a `#Fields:` line); bit 1 strip_query, bit 2 a
 * 16-byte scratch for the client-kind check. Each line is copied into a
 * buffer of its exact size so ASan catches a read past the end. A parsed
 * record is passed to wt_obs_extract, and a few columns are looked up by name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers_int.h"
#include "record_checks.h"
#include "wt_parsers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wt_parser ps;
static struct wt_record rec;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum wt_format fmt = (data[0] & 1) ? WT_FORMAT_W3C : WT_FORMAT_AUTO;
    if (wt_parser_init(&ps, fmt) != 0)
        abort();
    const char *p = (const char *)data + 1, *end = (const char *)data + size;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        char *line = malloc(len ? len : 1);
        if (!line)
            return 0;
        memcpy(line, p, len);

        int rc = wt_parse_line(&ps, line, len, &rec);
        if (rc != 0 && rc != WT_ESKIP && rc != WT_EPARSE)
            abort();
        if (ps.w3c.n > WT_W3C_FIELDS_MAX)
            abort();
        if (rc == 0) {
            check_typed(&rec);
            check_client_kind(&rec, (data[0] & 4) ? 16 : len + WT_OBS_SCRATCH_EXTRA);
            /* Verdict-list views lie inside the line, as squid's do. */
            unsigned kept = rec.nverdict < WT_VERDICT_MAX ? rec.nverdict : WT_VERDICT_MAX;
            for (unsigned i = 0; i < kept; i++) {
                struct wt_str v = wt_record_verdict(&rec, i);
                if (v.len && (v.p < line || v.p + v.len > line + len))
                    abort();
            }
            if (rec.nfield > WT_W3C_FIELDS_MAX)
                abort();
            if (rec.format == WT_FORMAT_W3C) {
                if (rec.nfield < ps.w3c.n)
                    abort();
                for (unsigned i = 0; i < rec.nfield; i++) {
                    struct wt_str v = rec.field[i];
                    if (v.len && (v.p < line || v.p + v.len > line + len))
                        abort();
                }
                struct wt_str v;
                (void)wt_record_field(&ps, &rec, "c-ip", &v);
                (void)wt_record_field(&ps, &rec, "cs(User-Agent)", &v);
            }
            size_t cap = len + WT_OBS_SCRATCH_EXTRA;
            char *scratch = malloc(cap);
            if (scratch) {
                struct wt_obs_set os;
                struct wt_obs_opts opts = {.strip_query = (data[0] & 2) != 0};
                wt_obs_set_init(&os, scratch, cap);
                (void)wt_obs_extract(&rec, &opts, &os);
                free(scratch);
            }
        }
        free(line);
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}
