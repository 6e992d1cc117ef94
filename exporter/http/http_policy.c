/*
 * http_policy.c - the pure policies of an HTTP sink (http.h): the budget
 * controller that sizes requests to the transaction budget, full-jitter
 * backoff, and Retry-After. No network, no clock: unit-tested alone.
 */
#include "http.h"
#include "wt_common.h"
#include "wt_parsers.h"

#include <string.h>
#include <time.h>

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void wt_http_budget_init(struct wt_http_budget *bg, double budget_s, double min, double max,
                         double initial)
{
    bg->budget_s = budget_s;
    bg->min = min;
    bg->max = max;
    bg->tput = 0;
    bg->target = clampd(initial, min, max);
}

bool wt_http_budget_success(struct wt_http_budget *bg, size_t n, double secs)
{
    if (secs < 1e-3)
        secs = 1e-3;
    double sample = (double)n / secs;
    bg->tput = bg->tput > 0 ? bg->tput + WT_HTTP_EWMA_ALPHA * (sample - bg->tput) : sample;
    double ceiling = bg->tput * bg->budget_s;
    if (secs > bg->budget_s) {
        /* Relative to this request's size, not the target: requests cut earlier and
         * larger that end late one after the other shrink it once, not each time. */
        double half = (double)n / 2;
        double want = half < ceiling ? half : ceiling;
        if (want < bg->target)
            bg->target = want;
        bg->target = clampd(bg->target, bg->min, bg->max);
        return true;
    }
    double grown = bg->target * WT_HTTP_GROW;
    if (grown <= ceiling)
        bg->target = grown;
    else if (bg->target < ceiling)
        bg->target = ceiling;
    bg->target = clampd(bg->target, bg->min, bg->max);
    return false;
}

void wt_http_budget_fail(struct wt_http_budget *bg, size_t n)
{
    double half = (double)n / 2;
    if (half < bg->target)
        bg->target = half;
    bg->target = clampd(bg->target, bg->min, bg->max);
}

void wt_http_budget_too_large(struct wt_http_budget *bg, size_t n)
{
    double half = (double)n / 2;
    if (half < bg->max)
        bg->max = half < bg->min ? bg->min : half;
    bg->target = clampd(bg->target, bg->min, bg->max);
}

size_t wt_http_budget_target(const struct wt_http_budget *bg)
{
    return (size_t)bg->target;
}

uint64_t wt_http_backoff_ms(uint64_t base_ms, uint64_t cap_ms, unsigned attempt, uint64_t rnd)
{
    uint64_t ceil = base_ms;
    for (unsigned i = 0; i < attempt && ceil < cap_ms; i++)
        ceil = ceil > UINT64_MAX / 2 ? UINT64_MAX : ceil * 2;
    if (ceil > cap_ms)
        ceil = cap_ms;
    return ceil == UINT64_MAX ? rnd : rnd % (ceil + 1);
}

uint64_t wt_http_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int wt_http_retry_after(const char *v, int64_t now_ms, int64_t *delay_ms)
{
    char buf[64];
    v += strspn(v, " \t");
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n'))
        n--;
    if (n == 0 || n >= sizeof(buf))
        return WT_EPARSE;
    memcpy(buf, v, n);
    buf[n] = '\0';
    int64_t d;
    if (strspn(buf, "0123456789") == n) {
        uint64_t secs;
        if (wt_str_to_u64((struct wt_str){buf, n}, &secs) != 0)
            secs = UINT64_MAX;
        d = secs > (uint64_t)(WT_HTTP_RETRY_AFTER_MAX_MS / 1000) ? WT_HTTP_RETRY_AFTER_MAX_MS
                                                                 : (int64_t)secs * 1000;
    } else {
        /* An HTTP-date: IMF-fixdate, RFC 850 or asctime (RFC 9110 5.6.7); curl parses
         * all three. A bare number of another shape, or garbage, is -1. */
        if (!strchr(buf, ' '))
            return WT_EPARSE;
        time_t t = curl_getdate(buf, NULL);
        if (t == (time_t)-1)
            return WT_EPARSE;
        d = (int64_t)t * 1000 - now_ms;
    }
    if (d < 0)
        d = 0;
    if (d > WT_HTTP_RETRY_AFTER_MAX_MS)
        d = WT_HTTP_RETRY_AFTER_MAX_MS;
    *delay_ms = d;
    return 0;
}

bool wt_http_pausing_status(long http)
{
    return http == 429 || http == 503;
}
