/*
 * state_health.c - see state_health.h.
 */
#include "state_health.h"

#include <stdio.h>

void wt_state_health_init(struct wt_state_health *h, struct wt_metrics *m, const char *what)
{
    char l[64];
    snprintf(l, sizeof(l), "what=\"%s\"", what);
    h->stopped = false;
    h->since_ms = 0;
    h->errors = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_state_write_errors_total",
                               "State writes that failed (retried), by what: spool, cursor, "
                               "checkpoint.",
                               l, NULL, 0);
    h->stopped_g = wt_metrics_get(m, WT_METRIC_GAUGE, "wtexport_state_write_stopped",
                                  "1 while that state cannot be written (retrying).", l, NULL, 0);
    h->seconds = wt_metrics_get(m, WT_METRIC_COUNTER, "wtexport_state_write_stopped_seconds_total",
                                "Seconds that state could not be written, counted when "
                                "writing resumes (each outage rounded up to a second).",
                                l, NULL, 0);
}

bool wt_state_health_failed(struct wt_state_health *h, uint64_t now_ms)
{
    wt_metric_add(h->errors, 1);
    if (h->stopped)
        return false;
    h->stopped = true;
    h->since_ms = now_ms;
    wt_metric_set(h->stopped_g, 1);
    return true;
}

uint64_t wt_state_health_ok(struct wt_state_health *h, uint64_t now_ms, bool *ended)
{
    *ended = h->stopped;
    if (!h->stopped)
        return 0;
    h->stopped = false;
    const uint64_t ms = now_ms > h->since_ms ? now_ms - h->since_ms : 0;
    wt_metric_add(h->seconds, (ms + 999) / 1000);
    wt_metric_set(h->stopped_g, 0);
    return ms;
}
