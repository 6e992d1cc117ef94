/*
 * metrics.h - counters, gauges and histograms, the Prometheus text
 * exposition, and the /metrics + /healthz HTTP endpoint (libmicrohttpd,
 * its own thread).
 *
 * Metrics are created and updated on the loop thread; values are atomics so
 * the HTTP thread can read them. Creation and removal take a mutex (rare).
 */
#ifndef WT_METRICS_H
#define WT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/** Most buckets in one histogram. */
#define WT_HIST_MAX_BUCKETS 16
/** Longest rendered label set, e.g. `sink="sse0",type="sse"`. */
#define WT_METRIC_LABELS_MAX 256

struct wt_metrics; /* registry */
struct wt_metric;  /* one series */

enum wt_metric_kind { WT_METRIC_COUNTER, WT_METRIC_GAUGE, WT_METRIC_HISTOGRAM };

/** @returns a new empty registry, or NULL (ENOMEM). */
struct wt_metrics *wt_metrics_new(void);
/** Stops the server if running, frees every series. NULL is fine. */
void wt_metrics_free(struct wt_metrics *m);

/**
 * Get or create a series. name: `wtexport_lines_read_total`; help: one line;
 * labels: already rendered (`file="/var/log/a"`; values escaped by the
 * caller with wt_metrics_label_escape) or NULL. The same name+labels returns
 * the same series. Histograms take bucket upper bounds (ascending, at most
 * WT_HIST_MAX_BUCKETS; +Inf is implicit), others pass NULL/0.
 * @returns the series, or NULL on ENOMEM / kind mismatch.
 */
struct wt_metric *wt_metrics_get(struct wt_metrics *m, enum wt_metric_kind kind, const char *name,
                                 const char *help, const char *labels, const double *buckets,
                                 size_t nbuckets);
/** Remove a series (e.g. a file that is gone). NULL is fine. */
void wt_metrics_remove(struct wt_metrics *m, struct wt_metric *s);

void wt_metric_add(struct wt_metric *s, uint64_t n);   /* counter */
void wt_metric_set(struct wt_metric *s, int64_t v);    /* gauge */
void wt_metric_observe(struct wt_metric *s, double v); /* histogram */
uint64_t wt_metric_value(const struct wt_metric *s);   /* counter/gauge value, for tests/logs */

/** Escape a label value (\\, ", newline) into out (NUL-terminated, truncated to cap). */
void wt_metrics_label_escape(const char *in, char *out, size_t cap);

/** Write the whole registry in Prometheus text format 0.0.4. */
void wt_metrics_render(struct wt_metrics *m, FILE *out);
/** Write every series as `name{labels} value` lines through the log (SIGUSR1). */
void wt_metrics_log_all(struct wt_metrics *m);

/*
 * Health. The loop calls wt_metrics_heartbeat() at least every second; an
 * input or sink that fails sets a named problem, and clears it on recovery.
 * /healthz answers 200 "ok" while the last heartbeat is younger than
 * WT_HEALTH_STALE_MS and no problem is set, else 503 with the reasons.
 */
#define WT_HEALTH_STALE_MS     5000
#define WT_HEALTH_MAX_PROBLEMS 32

void wt_metrics_heartbeat(struct wt_metrics *m);
/** Set (msg != NULL) or clear (msg == NULL) the problem of component `who`. */
void wt_metrics_problem(struct wt_metrics *m, const char *who, const char *msg);
/** true when healthy; with reason text (NUL-terminated) when not. */
bool wt_metrics_healthy(struct wt_metrics *m, char *why, size_t cap);

/**
 * Serve GET /metrics and GET /healthz on listen ("host:port"; IPv4, [IPv6]
 * or a name resolving to loopback). Other paths 404, other methods 405.
 * @returns 0, or a negative errno / WT_ECONFIG with a message in err.
 */
int wt_metrics_serve(struct wt_metrics *m, const char *listen, char *err, size_t errlen);

/* The endpoint's bounds when nobody sets them (metrics.* config keys). */
#define WT_METRICS_HTTP_CONN_DEFAULT      256
#define WT_METRICS_HTTP_PER_IP_DEFAULT    8
#define WT_METRICS_HTTP_TIMEOUT_DEFAULT_S 2

/**
 * Bound the HTTP endpoint before wt_metrics_serve(): connections at once
 * (all clients; more are refused), connections at once from one client
 * address, and seconds after which a connection that sends nothing (an
 * idle keep-alive, an incomplete request) is closed (at least 1).
 */
void wt_metrics_set_http_limits(struct wt_metrics *m, unsigned max_connections, unsigned max_per_ip,
                                unsigned timeout_s);
/** Stop the server (idempotent). */
void wt_metrics_stop(struct wt_metrics *m);
/** The port actually bound (useful with port 0 in tests), 0 if not serving. */
int wt_metrics_port(const struct wt_metrics *m);

#endif /* WT_METRICS_H */
