/*
 * ctia_cmd.c - the ctia sink's part of `wtexport status`: fetch an access
 * token with the configured API client (nothing is imported) and say
 * whether it worked and when the token expires; and the journal's state.
 * Blocking; never prints a secret or a token.
 */
#include "ctia_int.h"
#include "wt_common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Time limit of the status token request. */
#define STATUS_TIMEOUT_MS 20000L

static void journal_summary(const struct wt_ctia_opts *o)
{
    char *text = NULL, err[300];
    size_t len = 0;
    struct wt__ctia_state st;
    if (!o->state_file || wt_read_state_file(o->state_file, 64u << 20, &text, &len) != 0) {
        printf("  journal:       none yet\n");
        return;
    }
    if (wt__ctia_state_parse(&st, text, len, err, sizeof(err)) != 0) {
        printf("  journal:       %s: damaged: %s\n", o->state_file, err);
    } else {
        size_t pending = 0;
        for (size_t i = 0; i < st.nfl; i++)
            pending += !st.fl[i].done;
        printf("  journal:       %s: %zu recent flush(es), %zu not imported yet\n", o->state_file,
               st.nfl, pending);
        wt__ctia_state_close(&st);
    }
    wt_free(text);
}

bool wt__ctia_status(const struct wt_config *cfg, const struct wt_sink_cfg *sc,
                     const char *cfg_path)
{
    const struct wt_ctia_opts *o = sc->opts;
    char tok_url[WT_HTTP_URL_MAX + 1], imp_url[WT_HTTP_URL_MAX + 64], err[700];
    char errbuf[CURL_ERROR_SIZE], token[WT_CTIA_TOKEN_MAX + 1];
    struct wt__ctia_secret sec;
    struct wt_http_resp r = {0};
    bool ok = false;

    (void)cfg;
    (void)cfg_path;
    wt__ctia_urls(o, tok_url, sizeof(tok_url), imp_url, sizeof(imp_url));
    printf("sink %s (ctia)\n", sc->name);
    if (o->region)
        printf("  region:        %s\n", o->region);
    printf("  token url:     %s\n  import url:    %s\n", tok_url, imp_url);
    printf("  client id:     %s %s\n", o->client_id_file ? "file" : "environment variable",
           o->client_id_file ? o->client_id_file : o->client_id_env);
    if (wt__ctia_secrets_load(o, &sec, err, sizeof(err)) != 0) {
        printf("  token:         FAILED: %s\n", err);
        return false;
    }
    r.cap = 64 * 1024;
    r.body = wt_calloc(1, r.cap);
    CURL *eh = curl_easy_init();
    if (!r.body || !eh) {
        printf("  token:         FAILED: out of memory\n");
        goto out;
    }
    wt__ctia_token_setup(eh, tok_url, o->http.ca_file, o->http.proxy, &sec, errbuf);
    curl_easy_setopt(eh, CURLOPT_TIMEOUT_MS, STATUS_TIMEOUT_MS);
    curl_easy_setopt(eh, CURLOPT_CONNECTTIMEOUT_MS, WT_HTTP_CLI_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(eh, CURLOPT_WRITEFUNCTION, wt_http_collect);
    curl_easy_setopt(eh, CURLOPT_WRITEDATA, &r);
    CURLcode cc = curl_easy_perform(eh);
    long http = 0;
    int64_t life = 0;
    curl_easy_getinfo(eh, CURLINFO_RESPONSE_CODE, &http);
    if (cc != CURLE_OK) {
        printf("  token:         FAILED: %s: %s\n", tok_url,
               errbuf[0] ? errbuf : curl_easy_strerror(cc));
    } else if (http != 200) {
        printf("  token:         FAILED: HTTP %ld%s\n", http,
               http == 400 || http == 401 || http == 403
                   ? " (client id or secret refused: check the API client)"
                   : "");
    } else if (wt__ctia_token_parse(r.body, r.len, token, sizeof(token), &life, err, sizeof(err)) !=
               0) {
        printf("  token:         FAILED: %s\n", err);
    } else {
        char at[25];
        wt_iso8601_ms(wt_wall_ms() + life * 1000, at);
        printf("  token:         ok, expires in %" PRId64 " s (%s)\n", life, at);
        ok = true;
    }
    explicit_bzero(token, sizeof(token));
    journal_summary(o);
out:
    if (eh)
        curl_easy_cleanup(eh);
    if (r.body)
        explicit_bzero(r.body, r.cap);
    wt_free(r.body);
    wt__ctia_secrets_wipe(&sec);
    return ok;
}
