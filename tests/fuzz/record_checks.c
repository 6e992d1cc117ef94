/*
 * record_checks.c - the record checks shared by the parsers' fuzz targets
 * (record_checks.h).
 */
#include "record_checks.h"

#include <stdlib.h>
#include <string.h>

#include "parsers_int.h"

/* docs/events.md, "What each format accepts": a parsed record's typed
 * fields are in range, whichever the format. */
void check_typed(const struct wt_record *r)
{
    if (r->ts_ms < WT__TS_MIN_MS || r->ts_ms >= WT__TS_MAX_MS)
        abort();
    if (r->status < -WT__STATUS_MAX || r->status > WT__STATUS_MAX)
        abort();
    if (r->elapsed_ms < -1 || r->bytes < -1)
        abort();
    if (r->method.len && !wt__method_ok(r->method))
        abort();
    if (!wt__client_ok(r->client) || wt__client_ok(r->client) != wt__client_ok_general(r->client))
        abort();
}

/*
 * The parser's client kind is wt__client_kind()'s, and wt_obs_extract()
 * gives the same outcome with the client UNCHECKED (its own check) as with
 * the kind the parser found, with a scratch of cap bytes.
 */
void check_client_kind(const struct wt_record *r, size_t cap)
{
    static struct wt_record u;
    unsigned char bin[16] = {0};
    struct wt_obs_set a, b;

    if (r->client.len == 0) {
        if (r->client_kind != WT_CLIENT_UNCHECKED)
            abort();
        return;
    }
    int k = wt__client_kind(r->client, bin);
    if (k < 0 || (int)r->client_kind != k)
        abort();
    if (k == WT_CLIENT_IPV6 && memcmp(bin, r->client_bin, sizeof(bin)) != 0)
        abort();
    char *sa = malloc(cap ? cap : 1), *sb = malloc(cap ? cap : 1);
    if (sa && sb) {
        u = *r;
        u.client_kind = WT_CLIENT_UNCHECKED;
        wt_obs_set_init(&a, sa, cap);
        wt_obs_set_init(&b, sb, cap);
        if (wt_obs_extract(r, NULL, &a) != wt_obs_extract(&u, NULL, &b) || a.n != b.n ||
            a.scratch_used != b.scratch_used || a.client_ip.len != b.client_ip.len)
            abort();
        for (unsigned i = 0; i < a.n; i++) {
            const struct wt_obs *x = &a.item[i], *y = &b.item[i];
            if (x->type != y->type || x->value.len != y->value.len ||
                memcmp(x->value.p, y->value.p, x->value.len) != 0)
                abort();
        }
    }
    free(sa);
    free(sb);
}
