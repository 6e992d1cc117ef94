/*
 * fuzz_ctia.c - the CTIA sink's decoders, chosen by the first byte:
 *   0 a bundle import answer   1 a token answer   2 the flush journal
 *   3 an event line counted into sightings, then the sightings as CTIM
 * Each must accept or refuse any bytes without crashing, and keep its
 * invariants (checked with abort()): a journal that parses writes out as
 * text that parses to the same flushes; a sighting built from any event
 * passes the CTIM checker.
 */
#include "ctia_int.h"
#include "wt_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_result(void *ctx, const char *oid, enum wt__ctia_res r, const char *error)
{
    (void)ctx;
    if (!oid || (unsigned)r > WT_CTIA_RES_ERROR || (r == WT_CTIA_RES_ERROR && !error))
        abort();
}

static void journal(const char *d, size_t n)
{
    struct wt__ctia_state st, back;
    char err[300];
    if (wt__ctia_state_parse(&st, d, n, err, sizeof(err)) != 0)
        return;
    char *text = wt__ctia_state_text(&st);
    if (!text)
        abort();
    if (wt__ctia_state_parse(&back, text, strlen(text), err, sizeof(err)) != 0 ||
        back.nfl != st.nfl || back.nnext != st.nnext)
        abort();
    for (size_t i = 0; i < st.nfl; i++) {
        if (back.fl[i].after != st.fl[i].after || back.fl[i].before != st.fl[i].before ||
            back.fl[i].done != st.fl[i].done || back.fl[i].nparts != st.fl[i].nparts)
            abort();
    }
    wt__ctia_state_close(&back);
    wt__ctia_state_close(&st);
    wt_free(text);
}

static void events(const char *d, size_t n)
{
    struct wt__ctia_agg a;
    char err[300];
    if (wt__ctia_agg_init(&a, 60000, (1u << WT_OBS_NTYPES) - 1, true) != 0)
        return;
    size_t off = 0;
    while (off < n) {
        const char *nl = memchr(d + off, '\n', n - off);
        size_t end = nl ? (size_t)(nl - d) : n;
        wt__ctia_agg_line(&a, d + off, end - off, 0);
        off = end + 1;
    }
    struct wt__ctia_sight *l = wt__ctia_agg_cut(&a, INT64_MAX);
    if (a.open != 0)
        abort();
    while (l) {
        struct wt__ctia_sight *next = l->next;
        wt__ctia_sight_set_id(l, "fuzz");
        struct wt_tbuf t = {0};
        wt__ctia_sight_write(&t, l, "fuzz");
        char *text = wt_tbuf_take(&t, NULL);
        cJSON *j = text ? cJSON_Parse(text) : NULL;
        /* The encoder writes valid JSON whatever the events held. */
        if (text && !j)
            abort();
        wt_free(text);
        /* The times of events are any the parser takes; the sighting must still check. */
        if (j && l->count >= 1 && !wt_ctim_sighting_check(j, err, sizeof(err))) {
            fprintf(stderr, "sighting refused: %s\n", err);
            abort();
        }
        cJSON_Delete(j);
        wt__ctia_sight_free(l);
        l = next;
    }
    wt__ctia_agg_close(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[300], tok[WT_CTIA_TOKEN_MAX + 1];
    int64_t life;
    if (size < 1)
        return 0;
    const char *d = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 4) {
    case 0:
        wt__ctia_results_parse(d, n, on_result, NULL, err, sizeof(err));
        break;
    case 1:
        if (wt__ctia_token_parse(d, n, tok, sizeof(tok), &life, err, sizeof(err)) == 0 &&
            (life < 1 || tok[0] == '\0'))
            abort();
        break;
    case 2:
        journal(d, n);
        break;
    default:
        events(d, n);
        break;
    }
    return 0;
}
