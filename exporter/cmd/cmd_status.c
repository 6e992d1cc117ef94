/*
 * cmd_status.c - `wtexport status -c FILE [--sink NAME]`: what each sink
 * knows of itself (its type's status hook: an sse sink's registration, ...)
 * and what the running daemon says: /healthz and each sink's series of
 * /metrics, when metrics.listen is set (else, or when it does not answer,
 * "daemon: not reachable").
 *
 * Exit: 0 when every sink shown is fine, 1 otherwise, 2 usage or
 * configuration error. Blocking calls only; no secret is ever printed.
 */
#include "config.h"
#include "sink.h"
#include "wt_common.h"
#include "wt_exporter.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* How long status waits for the daemon's endpoints. */
#define WT_STATUS_TIMEOUT_MS 3000L
/* Bytes of /metrics read by status. */
#define WT_STATUS_METRICS_MAX (4 * 1024 * 1024)

static const char status_usage[] =
    "usage: wtexport status -c FILE [--sink NAME]\n"
    "\n"
    "Show what each sink knows of itself (an sse sink: its region or url,\n"
    "device id and registration state) and the running daemon's health and\n"
    "sink counters (from metrics.listen).\n";

/* A response body, bounded and NUL-terminated. */
struct resp {
    long status;
    char *body;
    size_t len, cap;
    bool truncated;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *userp)
{
    struct resp *r = userp;
    size_t n = size * nmemb, room = r->cap - 1 - r->len;
    if (n > room) {
        r->truncated = true;
        n = room;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return size * nmemb;
}

/* GET http://listen/path from the daemon. 0 with r filled, or -1 (err says why). */
static int daemon_get(const char *listen, const char *path, struct resp *r, char *err,
                      size_t errlen)
{
    char url[512], errbuf[CURL_ERROR_SIZE] = "";
    const char *host = listen;
    /* A wildcard listener is reached on loopback. */
    if (strncmp(listen, "0.0.0.0:", 8) == 0)
        snprintf(url, sizeof(url), "http://127.0.0.1%s%s", listen + 7, path);
    else if (strncmp(listen, "[::]:", 5) == 0)
        snprintf(url, sizeof(url), "http://[::1]%s%s", listen + 4, path);
    else
        snprintf(url, sizeof(url), "http://%s%s", host, path);
    CURL *eh = curl_easy_init();
    if (!eh) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    r->len = 0;
    r->status = 0;
    r->truncated = false;
    r->body[0] = '\0';
    curl_easy_setopt(eh, CURLOPT_URL, url);
    curl_easy_setopt(eh, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(eh, CURLOPT_PROXY, "");
    curl_easy_setopt(eh, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(eh, CURLOPT_TIMEOUT_MS, WT_STATUS_TIMEOUT_MS);
    curl_easy_setopt(eh, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(eh, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(eh, CURLOPT_WRITEDATA, r);
    CURLcode cc = curl_easy_perform(eh);
    if (cc == CURLE_OK)
        curl_easy_getinfo(eh, CURLINFO_RESPONSE_CODE, &r->status);
    else
        snprintf(err, errlen, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    curl_easy_cleanup(eh);
    return cc == CURLE_OK ? 0 : -1;
}

/* The daemon's health and, per sink shown, its series of /metrics. */
static void show_daemon(const struct wt_config *cfg, const char *only)
{
    char err[600];
    struct resp r = {.cap = WT_STATUS_METRICS_MAX};

    if (!cfg->metrics.listen || !cfg->metrics.listen[0]) {
        printf("daemon: not reachable (metrics.listen is disabled in the config)\n");
        return;
    }
    r.body = wt_malloc(r.cap);
    if (!r.body) {
        printf("daemon: out of memory\n");
        return;
    }
    if (daemon_get(cfg->metrics.listen, "/healthz", &r, err, sizeof(err)) != 0) {
        printf("daemon: not reachable (%s)\n", err);
        wt_free(r.body);
        return;
    }
    for (char *q = r.body; *q; q++) {
        if (*q == '\n' || *q == '\r')
            *q = ' ';
    }
    printf("daemon: http://%s: %s%s%.*s\n", cfg->metrics.listen,
           r.status == 200 ? "healthy" : "unhealthy", r.status == 200 ? "" : ": ",
           r.status == 200 ? 0 : 400, r.body);
    if (daemon_get(cfg->metrics.listen, "/metrics", &r, err, sizeof(err)) != 0 || r.status != 200) {
        printf("  /metrics: not available\n");
        wt_free(r.body);
        return;
    }
    for (size_t i = 0; i < cfg->nsinks; i++) {
        const struct wt_sink_cfg *sc = &cfg->sinks[i];
        char pat[WT_SINK_NAME_MAX + 16];
        if (only && strcmp(only, sc->name) != 0)
            continue;
        snprintf(pat, sizeof(pat), "sink=\"%s\"", sc->name);
        printf("  sink %s:\n", sc->name);
        for (char *line = r.body; line && *line;) {
            char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line) : strlen(line);
            if (line[0] != '#' && memmem(line, n, pat, strlen(pat)) &&
                !memmem(line, n, "_bucket{", 8))
                printf("    %.*s\n", (int)n, line);
            line = nl ? nl + 1 : NULL;
        }
    }
    wt_free(r.body);
}

int wt_cmd_status(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"sink", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *cfg_path = NULL, *only = NULL;
    struct wt_config cfg;
    int o;

    optind = 1;
    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            cfg_path = optarg;
            break;
        case 's':
            only = optarg;
            break;
        case 'h':
            fputs(status_usage, stdout);
            return WT_EXIT_OK;
        default:
            fputs(status_usage, stderr);
            return WT_EXIT_USAGE;
        }
    }
    if (!cfg_path || optind != argc) {
        fputs(status_usage, stderr);
        return WT_EXIT_USAGE;
    }
    int ex = wt_cmd_load_config(cfg_path, &cfg);
    if (ex != 0)
        return ex;
    bool all_ok = true, found = false;
    for (size_t i = 0; i < cfg.nsinks; i++) {
        const struct wt_sink_cfg *sc = &cfg.sinks[i];
        if (only && strcmp(only, sc->name) != 0)
            continue;
        found = true;
        if (sc->type->status)
            all_ok &= sc->type->status(&cfg, sc, cfg_path);
        else
            printf("sink %s (%s)\n", sc->name, sc->type->name);
    }
    if (only && !found) {
        fprintf(stderr, "wtexport: %s: no sink named %s\n", cfg_path, only);
        wt_config_free(&cfg);
        return WT_EXIT_USAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    show_daemon(&cfg, only);
    curl_global_cleanup();
    wt_config_free(&cfg);
    return all_ok ? WT_EXIT_OK : WT_EXIT_FAIL;
}
