/*
 * fuzz_squid.c - libFuzzer target for the squid-native line parser and the
 * observable extractor behind it.
 *
 * Input: one line. If the first byte is below 0x08 (never the start of a
 * real line) it is an option byte and is dropped:
 *   bit 0: strip_query for the extractor
 *   bit 1: give the extractor a tiny scratch buffer (exercises WT_EFULL)
 * Plain sample lines (the seed corpus) run with all options off.
 *
 * Checked: every view of a parsed record lies inside the line, every
 * observable lies inside the line or the scratch buffer, and the parser's
 * fast path gives exactly the record of the general parser (differential).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parsers_int.h"
#include "record_checks.h"
#include "wt_parsers.h"

static void check_view(struct wt_str v, const char *a, size_t alen, const char *b, size_t blen)
{
    if (v.len == 0)
        return;
    if (v.p >= a && v.p + v.len <= a + alen)
        return;
    if (b && v.p >= b && v.p + v.len <= b + blen)
        return;
    abort();
}

static void check_record(const struct wt_record *r, const char *line, size_t len)
{
    const struct wt_str *v[] = {&r->client,  &r->result,      &r->method,     &r->url,
                                &r->user,    &r->hier,        &r->server,     &r->server_ip,
                                &r->mime,    &r->acl,         &r->verdicts,   &r->category,
                                &r->wbrs,    &r->amp_verdict, &r->amp_threat, &r->amp_file,
                                &r->amp_sha, &r->ua,          &r->custom};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        check_view(*v[i], line, len, NULL, 0);
    unsigned kept = r->nverdict < WT_VERDICT_MAX ? r->nverdict : WT_VERDICT_MAX;
    for (unsigned i = 0; i < kept; i++)
        check_view(wt_record_verdict(r, i), line, len, NULL, 0);
    if (r->format != WT_FORMAT_SQUID)
        abort();
    if (r->nverdict && r->layout == WT_LAYOUT_NONE)
        abort();
}

/* The same view: same place, same length (an empty one too). */
static void same_view(struct wt_str a, struct wt_str b)
{
    if (a.len != b.len || a.p != b.p)
        abort();
}

/* The record from wt_parse_line (fast path or not) equals the general parser's. */
static void check_same(const struct wt_record *r, const char *line, size_t len)
{
    static struct wt_record g;
    if (wt__squid_general(line, len, &g) != 0)
        abort();
    if (r->ts_ms != g.ts_ms || r->elapsed_ms != g.elapsed_ms || r->bytes != g.bytes ||
        r->status != g.status || r->layout != g.layout || r->format != g.format ||
        r->nverdict != g.nverdict || r->client_kind != g.client_kind ||
        memcmp(r->client_bin, g.client_bin, sizeof(r->client_bin)) != 0)
        abort();
    const struct wt_str *v[] = {&r->client,  &r->result,      &r->method,     &r->url,
                                &r->user,    &r->hier,        &r->server,     &r->server_ip,
                                &r->mime,    &r->acl,         &r->verdicts,   &r->category,
                                &r->wbrs,    &r->amp_verdict, &r->amp_threat, &r->amp_file,
                                &r->amp_sha, &r->ua,          &r->custom};
    const struct wt_str *w[] = {
        &g.client,     &g.result,   &g.method,  &g.url,      &g.user,     &g.hier, &g.server,
        &g.server_ip,  &g.mime,     &g.acl,     &g.verdicts, &g.category, &g.wbrs, &g.amp_verdict,
        &g.amp_threat, &g.amp_file, &g.amp_sha, &g.ua,       &g.custom};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        same_view(*v[i], *w[i]);
    unsigned kept = r->nverdict < WT_VERDICT_MAX ? r->nverdict : WT_VERDICT_MAX;
    for (unsigned i = 0; i < kept; i++)
        same_view(wt_record_verdict(r, i), wt_record_verdict(&g, i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct wt_parser ps;
    static struct wt_record rec;
    unsigned opt = 0;

    if (size > 0 && data[0] < 0x08) {
        opt = data[0];
        data++;
        size--;
    }
    /* An exact-size copy, so ASan sees any read past the end. */
    char *line = malloc(size ? size : 1);
    if (!line)
        return 0;
    if (size)
        memcpy(line, data, size);

    wt_parser_init(&ps, WT_FORMAT_SQUID);
    int rc = wt_parse_line(&ps, line, size, &rec);
    if (rc == 0) {
        size_t len = size;
        check_record(&rec, line, len);
        check_same(&rec, line, len);
        check_typed(&rec);
        check_client_kind(&rec, (opt & 2) ? 16 : len + WT_OBS_SCRATCH_EXTRA);

        struct wt_obs_opts oo = {.strip_query = (opt & 1) != 0};
        size_t cap = (opt & 2) ? 16 : len + WT_OBS_SCRATCH_EXTRA;
        char *scratch = malloc(cap);
        if (scratch) {
            struct wt_obs_set os;
            wt_obs_set_init(&os, scratch, cap);
            int erc = wt_obs_extract(&rec, &oo, &os);
            if (erc != 0 && erc != WT_EFULL)
                abort();
            if (os.n > WT_OBS_MAX)
                abort();
            for (unsigned i = 0; i < os.n; i++) {
                if (os.item[i].type >= WT_OBS_NTYPES)
                    abort();
                check_view(os.item[i].value, line, len, scratch, cap);
            }
            check_view(os.client_ip, line, len, scratch, cap);
            check_view(os.server_ip, line, len, scratch, cap);
            check_view(os.domain, line, len, scratch, cap);
            check_view(os.url, line, len, scratch, cap);
            check_view(os.sha256, line, len, scratch, cap);
            free(scratch);
        }
    } else if (rc != 0 && rc != WT_EPARSE && rc != WT_ESKIP) {
        abort();
    }
    free(line);
    return 0;
}
