/*
 * http_keys.c - the key block every HTTP sink embeds in its table (ca_file,
 * proxy, concurrency, transaction_timeout, budget_fraction, retry): one
 * table, so the sinks decode, check, default and document these keys the
 * same way (docs/config.md lists them in each sink's table, and the
 * `retry` object once).
 */
#include "http.h"
#include "http_keys.h"

#include <assert.h>
#include <string.h>

static_assert(1 <= WT_HTTP_CONCURRENCY_DEFAULT &&
                  WT_HTTP_CONCURRENCY_DEFAULT <= WT_HTTP_CONCURRENCY_MAX,
              "http concurrency");
static_assert(WT_HTTP_TIMEOUT_MIN_MS <= WT_HTTP_TIMEOUT_DEFAULT_MS &&
                  WT_HTTP_TIMEOUT_DEFAULT_MS <= WT_HTTP_TIMEOUT_MAX_MS,
              "http transaction_timeout");
static_assert(WT_HTTP_BUDGET_PPM_MIN <= WT_HTTP_BUDGET_PPM_DEFAULT &&
                  WT_HTTP_BUDGET_PPM_DEFAULT <= WT_HTTP_BUDGET_PPM_MAX &&
                  WT_HTTP_BUDGET_PPM_MAX <= 1000000,
              "http budget_fraction is a fraction");
static_assert(WT_HTTP_RETRY_BASE_MIN_MS <= WT_HTTP_RETRY_BASE_DEFAULT_MS &&
                  WT_HTTP_RETRY_BASE_DEFAULT_MS <= WT_HTTP_RETRY_CAP_DEFAULT_MS &&
                  WT_HTTP_RETRY_CAP_DEFAULT_MS <= WT_HTTP_RETRY_CAP_MAX_MS,
              "http retry: the default base is below the default cap");

bool wt_http_check_url(const char *v)
{
    const char *h;
    if (strncmp(v, "https://", 8) == 0)
        h = v + 8;
    else if (strncmp(v, "http://", 7) == 0)
        h = v + 7;
    else
        return false;
    if (h[0] == '\0' || h[0] == '/' || h[0] == ':' || strlen(v) > WT_HTTP_URL_MAX)
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
    if (v[0] == '\0' || strlen(v) > WT_HTTP_URL_MAX)
        return false;
    for (const char *p = v; *p; p++) {
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    }
    return true;
}

#define HO(m)    offsetof(struct wt_http_sink_opts, m)
#define RETRY(m) (offsetof(struct wt_http_sink_opts, retry.m) - HO(retry))

static const struct wt_cfg_key retry_keys[] = {
    {.name = "base",
     .type = K_DUR,
     .store = S_I64,
     .off = RETRY(base_ms),
     .min = WT_HTTP_RETRY_BASE_MIN_MS,
     .max = WT_HTTP_RETRY_CAP_MAX_MS,
     .def = WT_HTTP_RETRY_BASE_DEFAULT_MS,
     .doc = "First backoff ceiling: the n-th retry of a request waits a random time in "
            "[0, min(cap, base * 2^n)] (full jitter).",
     .example = "\"1s\""},
    {.name = "cap",
     .type = K_DUR,
     .store = S_I64,
     .off = RETRY(cap_ms),
     .min = WT_HTTP_RETRY_BASE_MIN_MS,
     .max = WT_HTTP_RETRY_CAP_MAX_MS,
     .def = WT_HTTP_RETRY_CAP_DEFAULT_MS,
     .doc = "Largest backoff ceiling; at least base.",
     .example = "\"5m\""},
    {.name = "max_duration",
     .type = K_DUR,
     .store = S_I64,
     .off = RETRY(max_duration_ms),
     .min = 0,
     .max = WT_HTTP_RETRY_MAX_DURATION_MAX_MS,
     .def = 0,
     .doc = "How long what a request carries (an SSE batch, a CTIA bundle) is retried, from "
            "its first attempt, before it goes to the dead-letter directory; 0 retries for "
            "ever.",
     .example = "\"1d\""},
};

static const struct wt_cfg_obj retry_obj = {
    .title = "`retry` (`type: \"sse\"`, `type: \"ctia\"`)",
    .doc = "Retries of requests that failed for a reason that may pass: connection errors, "
           "timeouts, 408, 429, 5xx (for ctia, token and import requests alike). A "
           "Retry-After on a 429 or 503 pauses the whole sink instead.",
    .keys = retry_keys,
    .nkeys = WT_CFG_NKEYS(retry_keys),
};

static const struct wt_cfg_key http_keys[] = {
    {.name = "ca_file",
     .type = K_STR,
     .store = S_STR,
     .off = HO(ca_file),
     .def_doc = "none: the system CAs",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "PEM file of the CA certificates that sign the servers' certificates (a private "
            "CA). TLS verification is always on.",
     .example = "\"/etc/wtexport/ca.pem\""},
    {.name = "proxy",
     .type = K_STR,
     .store = S_STR,
     .off = HO(proxy),
     .def_doc = "none: direct (the http_proxy/https_proxy environment is ignored)",
     .check = check_proxy,
     .want = "a proxy URL without spaces (e.g. \"http://proxy.example.com:3128\")",
     .doc = "Outbound HTTP proxy for every request of the sink (HTTPS goes through it with "
            "CONNECT).",
     .example = "\"http://proxy.example.com:3128\""},
    {.name = "concurrency",
     .type = K_INT,
     .store = S_INT,
     .off = HO(concurrency),
     .min = 1,
     .max = WT_HTTP_CONCURRENCY_MAX,
     .def = WT_HTTP_CONCURRENCY_DEFAULT,
     .doc = "Requests in flight at most (and connections kept open).",
     .example = "8"},
    {.name = "transaction_timeout",
     .type = K_DUR,
     .store = S_I64,
     .off = HO(transaction_timeout_ms),
     .min = WT_HTTP_TIMEOUT_MIN_MS,
     .max = WT_HTTP_TIMEOUT_MAX_MS,
     .def = WT_HTTP_TIMEOUT_DEFAULT_MS,
     .doc = "Hard limit of one request; an upload (sse) or import (ctia) that runs out is sent "
            "again as two halves.",
     .example = "\"30s\""},
    {.name = "budget_fraction",
     .type = K_FRAC,
     .store = S_DBL,
     .off = HO(budget_fraction),
     .min = WT_HTTP_BUDGET_PPM_MIN,
     .max = WT_HTTP_BUDGET_PPM_MAX,
     .def = WT_HTTP_BUDGET_PPM_DEFAULT,
     .doc = "Requests are sized from the measured throughput so that one is expected to take "
            "this share of transaction_timeout.",
     .example = "0.1"},
    {.name = "retry",
     .type = K_OBJ,
     .off = HO(retry),
     .sub = &retry_obj,
     .doc = "Backoff of failed requests: see `retry` (`type: \"sse\"`, `type: \"ctia\"`)."},
};

const struct wt_cfg_obj wt_http_sink_obj = {
    .title = "HTTP sink keys",
    .doc = "The keys every HTTP sink has, in its own table.",
    .keys = http_keys,
    .nkeys = WT_CFG_NKEYS(http_keys),
    .size = sizeof(struct wt_http_sink_opts),
};
