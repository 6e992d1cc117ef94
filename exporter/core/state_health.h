/*
 * state_health.h - one state writer's health (the spool, the sink cursors,
 * the checkpoints): when writing stops and resumes, counted so that each
 * outage is one log line when it starts and one when it ends, and
 * exported as wtexport_state_write_errors_total{what},
 * wtexport_state_write_stopped{what} and
 * wtexport_state_write_stopped_seconds_total{what}.
 */
#ifndef WT_STATE_HEALTH_H
#define WT_STATE_HEALTH_H

#include "metrics.h"

#include <stdbool.h>
#include <stdint.h>

struct wt_state_health {
    bool stopped;
    uint64_t since_ms; /* loop time of the first failure of this outage */
    struct wt_metric *errors, *stopped_g, *seconds;
};

/** what: "spool", "cursor" or "checkpoint" (the label value). */
void wt_state_health_init(struct wt_state_health *h, struct wt_metrics *m, const char *what);

/** A write failed at now_ms. @returns true for the first failure of an outage (log it). */
bool wt_state_health_failed(struct wt_state_health *h, uint64_t now_ms);

/**
 * A write succeeded at now_ms. @returns the milliseconds writing was
 * stopped when this ends an outage (log it), else 0 with *ended false.
 */
uint64_t wt_state_health_ok(struct wt_state_health *h, uint64_t now_ms, bool *ended);

#endif /* WT_STATE_HEALTH_H */
