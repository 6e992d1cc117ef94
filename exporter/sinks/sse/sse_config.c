/*
 * sse_config.c - the SSE sink's keys, their rules, and its entry in the sink
 * registry (sink.c), with its commands (sse_cmd.c).
 */
#include "config_keys.h"
#include "sink.h"
#include "sse_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static_assert(1 <= WT_SSE_CONCURRENCY_DEFAULT &&
                  WT_SSE_CONCURRENCY_DEFAULT <= WT_SSE_CONCURRENCY_MAX,
              "sse concurrency");
static_assert(WT_SSE_TIMEOUT_MIN_MS <= WT_SSE_TIMEOUT_DEFAULT_MS &&
                  WT_SSE_TIMEOUT_DEFAULT_MS <= WT_SSE_TIMEOUT_MAX_MS,
              "sse transaction_timeout");
static_assert(WT_SSE_BUDGET_PPM_MIN <= WT_SSE_BUDGET_PPM_DEFAULT &&
                  WT_SSE_BUDGET_PPM_DEFAULT <= WT_SSE_BUDGET_PPM_MAX &&
                  WT_SSE_BUDGET_PPM_MAX <= 1000000,
              "sse budget_fraction is a fraction");
static_assert(WT_SSE_RETRY_BASE_MIN_MS <= WT_SSE_RETRY_BASE_DEFAULT_MS &&
                  WT_SSE_RETRY_BASE_DEFAULT_MS <= WT_SSE_RETRY_CAP_DEFAULT_MS &&
                  WT_SSE_RETRY_CAP_DEFAULT_MS <= WT_SSE_RETRY_CAP_MAX_MS,
              "sse retry: the default base is below the default cap");

#define SSEO(m) offsetof(struct wt_sse_opts, m)

/* The region names, and URLs (plain http only to a loopback host). */

static bool check_region(const char *v)
{
    return strcmp(v, "nam") == 0 || strcmp(v, "eu") == 0 || strcmp(v, "apjc") == 0;
}

/* "https://host[:port][/path]", or "http://" to 127.x.x.x, [::1] or localhost. */
static bool check_base_url(const char *v)
{
    const char *h;
    if (strncmp(v, "https://", 8) == 0)
        h = v + 8;
    else if (strncmp(v, "http://", 7) == 0)
        h = v + 7;
    else
        return false;
    if (h[0] == '\0' || h[0] == '/' || h[0] == ':' || strlen(v) > WT_SSE_URL_MAX)
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '?' || *p == '#')
            return false;
    }
    return h == v + 8 || wt_http_url_loopback(v);
}

/* A proxy: curl's syntax ("http://proxy:3128", "proxy:3128"), printable, no spaces. */
static bool check_proxy(const char *v)
{
    if (v[0] == '\0' || strlen(v) > WT_SSE_URL_MAX)
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

#define SSE_RETRY(m) (offsetof(struct wt_sse_opts, retry.m) - SSEO(retry))

static const struct wt_cfg_key sse_retry_keys[] = {
    {.name = "base",
     .type = K_DUR,
     .store = S_I64,
     .off = SSE_RETRY(base_ms),
     .min = WT_SSE_RETRY_BASE_MIN_MS,
     .max = WT_SSE_RETRY_CAP_MAX_MS,
     .def = WT_SSE_RETRY_BASE_DEFAULT_MS,
     .doc = "First backoff ceiling: the n-th retry of a request waits a random time in "
            "[0, min(cap, base * 2^n)] (full jitter).",
     .example = "\"1s\""},
    {.name = "cap",
     .type = K_DUR,
     .store = S_I64,
     .off = SSE_RETRY(cap_ms),
     .min = WT_SSE_RETRY_BASE_MIN_MS,
     .max = WT_SSE_RETRY_CAP_MAX_MS,
     .def = WT_SSE_RETRY_CAP_DEFAULT_MS,
     .doc = "Largest backoff ceiling; at least base.",
     .example = "\"5m\""},
    {.name = "max_duration",
     .type = K_DUR,
     .store = S_I64,
     .off = SSE_RETRY(max_duration_ms),
     .min = 0,
     .max = WT_SSE_RETRY_MAX_DURATION_MAX_MS,
     .def = 0,
     .doc = "How long a batch is retried, from its first attempt, before its undelivered "
            "events go to the dead-letter directory; 0 retries for ever.",
     .example = "\"1d\""},
};

static const struct wt_cfg_obj sse_retry_obj = {
    .title = "`retry` (`type: \"sse\"`)",
    .doc = "Retries of requests that failed for a reason that may pass: connection errors, "
           "timeouts, 408, 429, 5xx. A Retry-After on a 429 or 503 pauses the whole sink "
           "instead.",
    .keys = sse_retry_keys,
    .nkeys = WT_CFG_NKEYS(sse_retry_keys),
};

static const struct wt_cfg_key sse_key_table[] = {
    {.name = "region",
     .type = K_STR,
     .store = S_STR,
     .off = SSEO(region),
     .def_doc = "none; region or url is required",
     .check = check_region,
     .want = "\"nam\", \"eu\" or \"apjc\"",
     .doc = "SSE region: nam (https://api-sse.cisco.com), eu (https://api.eu.sse.itd.cisco.com) "
            "or apjc (https://api.apj.sse.itd.cisco.com). Not with url.",
     .example = "\"eu\""},
    {.name = "url",
     .type = K_STR,
     .store = S_STR,
     .off = SSEO(url),
     .def_doc = "none; region or url is required",
     .check = check_base_url,
     .want = "an https:// URL without query or fragment (http:// only to 127.0.0.1, [::1] "
             "or localhost)",
     .doc = "Base URL of the SSE API instead of a region (a private deployment, or the local "
            "test server); requests go to <url>/v1/... Not with region.",
     .example = "\"https://sse.example.com\""},
    {.name = "ca_file",
     .type = K_STR,
     .store = S_STR,
     .off = SSEO(ca_file),
     .def_doc = "none: the system CAs",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "PEM file of the CA certificates that sign the server's certificate (a private "
            "CA). TLS verification is always on.",
     .example = "\"/etc/wtexport/sse-ca.pem\""},
    {.name = "proxy",
     .type = K_STR,
     .store = S_STR,
     .off = SSEO(proxy),
     .def_doc = "none: direct (the http_proxy/https_proxy environment is ignored)",
     .check = check_proxy,
     .want = "a proxy URL without spaces (e.g. \"http://proxy.example.com:3128\")",
     .doc = "Outbound HTTP proxy for every SSE request (HTTPS goes through it with CONNECT).",
     .example = "\"http://proxy.example.com:3128\""},
    {.name = "concurrency",
     .type = K_INT,
     .store = S_INT,
     .off = SSEO(concurrency),
     .min = 1,
     .max = WT_SSE_CONCURRENCY_MAX,
     .def = WT_SSE_CONCURRENCY_DEFAULT,
     .doc = "Requests in flight at most (and connections kept open).",
     .example = "8"},
    {.name = "transaction_timeout",
     .type = K_DUR,
     .store = S_I64,
     .off = SSEO(transaction_timeout_ms),
     .min = WT_SSE_TIMEOUT_MIN_MS,
     .max = WT_SSE_TIMEOUT_MAX_MS,
     .def = WT_SSE_TIMEOUT_DEFAULT_MS,
     .doc = "Hard limit of one request; a request that runs out is sent again as two halves.",
     .example = "\"30s\""},
    {.name = "budget_fraction",
     .type = K_FRAC,
     .store = S_DBL,
     .off = SSEO(budget_fraction),
     .min = WT_SSE_BUDGET_PPM_MIN,
     .max = WT_SSE_BUDGET_PPM_MAX,
     .def = WT_SSE_BUDGET_PPM_DEFAULT,
     .doc = "Requests are sized from the measured throughput so that one is expected to take "
            "this share of transaction_timeout.",
     .example = "0.1"},
    {.name = "retry",
     .type = K_OBJ,
     .off = SSEO(retry),
     .sub = &sse_retry_obj,
     .doc = "Backoff of failed requests: see `retry` (`type: \"sse\"`)."},
    {.name = "dead_letter",
     .type = K_STR,
     .store = S_STR,
     .off = SSEO(dead_letter),
     .def_doc = "`\"<state_dir>/dead-letter\"`",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "Directory whose sse-<name>/ subdirectory (created 0700) gets the events SSE "
            "refused for good (400, too large, retry.max_duration): NDJSON and a .reason file.",
     .example = "\"/var/lib/wtexport/dead-letter\""},
};

static const struct wt_cfg_obj sse_keys = {
    .title = "`type: \"sse\"`",
    .doc = "Events uploaded to Cisco Security Services Exchange (or any server of the same "
           "contract, docs/sse-protocol.md) as zstd-compressed NDJSON over HTTPS. Register "
           "first: `wtexport register -c FILE --token-file PATH` stores a device id and "
           "credential in `<state_dir>/sse-<name>.json`.",
    .keys = sse_key_table,
    .nkeys = WT_CFG_NKEYS(sse_key_table),
    .size = sizeof(struct wt_sse_opts),
};

/*
 * SSE: exactly one of region and url; backoff base <= cap; the dead-letter
 * directory and the credential file default from state_dir.
 */
static void sse_check(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i)
{
    struct wt_sse_opts *s = cfg->sinks[i].opts;
    const char *name = cfg->sinks[i].name;
    char kp[WT_CFG_PATH_MAX], path[4096];
    bool region_bad = wt_cfg_failed(c, &s->region), url_bad = wt_cfg_failed(c, &s->url);
    if (s->region && s->url) {
        snprintf(kp, sizeof(kp), "sinks[%zu].url", i);
        wt_cfg_error(c, kp, "not with region (one of them)");
    } else if (!s->region && !s->url && !region_bad && !url_bad) {
        snprintf(kp, sizeof(kp), "sinks[%zu].region", i);
        wt_cfg_error(c, kp, "required (or url)");
    }
    if (!wt_cfg_failed(c, &s->retry.base_ms) && !wt_cfg_failed(c, &s->retry.cap_ms) &&
        s->retry.base_ms > s->retry.cap_ms) {
        snprintf(kp, sizeof(kp), "sinks[%zu].retry.cap", i);
        wt_cfg_error(c, kp, "must be at least retry.base");
    }
    if (!cfg->state_dir)
        return;
    if (!s->dead_letter && !wt_cfg_failed(c, &s->dead_letter)) {
        snprintf(path, sizeof(path), "%s/dead-letter", cfg->state_dir);
        wt_cfg_set_str(c, &s->dead_letter, path);
    }
    if (name) {
        snprintf(path, sizeof(path), "%s/sse-%s.json", cfg->state_dir, name);
        wt_cfg_set_str(c, &s->cred_file, path);
    }
}

static void sse_free_opts(void *opts)
{
    struct wt_sse_opts *o = opts;
    wt_free(o->cred_file);
    o->cred_file = NULL;
}

static const struct wt_command *const sse_commands[] = {&wt__sse_cmd_register,
                                                        &wt__sse_cmd_deregister, NULL};

const struct wt_sink_type wt_sink_sse_type = {
    .name = "sse",
    .keys = &sse_keys,
    .check = sse_check,
    .free_opts = sse_free_opts,
    .ops = &wt__sse_ops,
    .commands = sse_commands,
    .status = wt__sse_status,
};
