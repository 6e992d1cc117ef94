/*
 * cmd_lookup.c - `wtexport lookup [-c FILE | --index DIR] TYPE VALUE
 * [--since T] [--until T] [--json]`: who saw this observable, from the
 * index, while the daemon runs (LMDB read transactions in another process
 * never block its writer, nor are blocked by it). --json prints exactly
 * what POST /observe/observables answers for that one observable.
 */
#include "config.h"
#include "index.h"
#include "input.h"
#include "observe.h"
#include "wt_exporter.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char lookup_usage[] =
    "usage: wtexport lookup [-c FILE | --index DIR] TYPE VALUE [--since TIME] [--until TIME]\n"
    "                       [--json]\n"
    "\n"
    "Who saw this observable: the index's buckets of TYPE (ip, ipv6, domain, url, sha256)\n"
    "VALUE in the window (default: the retention window, 30d without -c): requests,\n"
    "allowed/blocked, first/last seen, AMP verdicts and the busiest clients. Buckets are\n"
    "hours for the current day, whole UTC days before it: a day counts when it overlaps\n"
    "--since/--until (hour precision only within today). --json prints\n"
    "the observe API's answer ({\"data\": {\"sightings\": ...}}). Exit status 0 when it was\n"
    "seen, 1 when not, 2 on a usage error.\n";

struct print_ctx {
    uint64_t count, allowed, blocked;
    size_t buckets;
    int64_t first, last;
};

static void addr_text(const struct wt_index_client *c, char out[48])
{
    if (!inet_ntop(c->len == 4 ? AF_INET : AF_INET6, c->addr, out, 48))
        snprintf(out, 48, "?");
}

static int print_bucket(void *ctx, const struct wt_index_bucket *b)
{
    struct print_ctx *pc = ctx;
    char hour[25], first[25], last[25], when[24];
    wt_iso8601_ms(b->start_ms, hour);
    if (b->end_ms - b->start_ms > WT_HOUR_MS)
        snprintf(when, sizeof(when), "%.10s (day)", hour); /* a rolled-up day */
    else
        snprintf(when, sizeof(when), "%.13s:00Z", hour);
    wt_iso8601_ms(b->first_ms, first);
    wt_iso8601_ms(b->last_ms, last);
    if (pc->buckets == 0) {
        printf("%-17s %9s %9s %9s  %-8s %-8s  %-14s  %s\n", "bucket (UTC)", "requests", "allowed",
               "blocked", "first", "last", "amp verdicts", "top clients (requests)");
    }
    char verd[96] = "-";
    for (unsigned i = 0; i < b->nverdicts; i++) {
        if (i == 0)
            verd[0] = '\0';
        strncat(verd, i ? "," : "", sizeof(verd) - strlen(verd) - 1);
        strncat(verd, b->verdict[i], sizeof(verd) - strlen(verd) - 1);
    }
    printf("%-17s %9llu %9llu %9llu  %.8s %.8s  %-14s ", when, (unsigned long long)b->count,
           (unsigned long long)b->allowed, (unsigned long long)b->blocked, first + 11, last + 11,
           verd);
    for (unsigned i = 0; i < b->nclients && i < 5; i++) {
        char a[48];
        addr_text(&b->client[i], a);
        printf(" %s(%llu)", a, (unsigned long long)b->client[i].count);
    }
    if (b->nclients > 5)
        printf(" +%u more", b->nclients - 5);
    printf("\n");
    if (pc->buckets == 0 || b->first_ms < pc->first)
        pc->first = b->first_ms;
    if (pc->buckets == 0 || b->last_ms > pc->last)
        pc->last = b->last_ms;
    pc->buckets++;
    pc->count += b->count;
    pc->allowed += b->allowed;
    pc->blocked += b->blocked;
    return 0;
}

int wt_cmd_lookup(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"index", required_argument, NULL, 'i'},
                                         {"since", required_argument, NULL, 's'},
                                         {"until", required_argument, NULL, 'u'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *cfg_path = NULL, *index_dir = NULL;
    int64_t since = 0, until = 0;
    bool json = false;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            cfg_path = optarg;
            break;
        case 'i':
            index_dir = optarg;
            break;
        case 's':
        case 'u':
            if (wt_parse_time_ms(optarg, o == 's' ? &since : &until) != 0) {
                fprintf(stderr,
                        "wtexport lookup: --%s %s: not a time (2024-05-01T12:00:00Z, "
                        "2024-05-01, epoch seconds)\n",
                        o == 's' ? "since" : "until", optarg);
                return WT_EXIT_USAGE;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            fputs(lookup_usage, stdout);
            return WT_EXIT_OK;
        default:
            fputs(lookup_usage, stderr);
            return WT_EXIT_USAGE;
        }
    }
    if (argc - optind != 2 || (!cfg_path && !index_dir) || (cfg_path && index_dir)) {
        fputs(lookup_usage, stderr);
        return WT_EXIT_USAGE;
    }
    enum wt_obs_type type;
    const char *tname = argv[optind], *value = argv[optind + 1];
    if (wt_index_type_from_str((struct wt_str){tname, strlen(tname)}, &type) != 0) {
        fprintf(stderr, "wtexport lookup: unknown type '%s' (ip, ipv6, domain, url, sha256)\n",
                tname);
        return WT_EXIT_USAGE;
    }
    struct wt_config cfg = {0};
    char path[4096], host[256] = "unknown", err[512];
    int64_t retention = WT_RETENTION_MAX_MS;
    unsigned top = WT_INDEX_TOP_CLIENTS_DEFAULT, limit = WT_OBSERVE_ENTITIES_LIMIT_DEFAULT;
    const char *source_uri = NULL;
    if (cfg_path) {
        int rc = wt_cmd_load_config(cfg_path, &cfg);
        if (rc)
            return rc;
        if (cfg.index.path)
            snprintf(path, sizeof(path), "%s", cfg.index.path);
        else
            snprintf(path, sizeof(path), "%s/index", cfg.state_dir);
        retention = cfg.retention_ms;
        top = (unsigned)cfg.index.top_clients;
        limit = (unsigned)cfg.observe.entities_limit;
        source_uri = cfg.observe.source_uri;
        if (cfg.host)
            snprintf(host, sizeof(host), "%s", cfg.host);
    } else {
        snprintf(path, sizeof(path), "%s", index_dir);
    }
    /* As the pipeline normalised what it indexed (privacy.strip_query). */
    char norm[8192];
    int nl = wt_index_normalise(&type, (struct wt_str){value, strlen(value)},
                                cfg_path && cfg.privacy.strip_query, norm, sizeof(norm));
    if (nl <= 0) {
        fprintf(stderr, "wtexport lookup: '%s' is not a valid %s\n", value, tname);
        if (cfg_path)
            wt_config_free(&cfg);
        return WT_EXIT_USAGE;
    }
    norm[nl] = '\0';
    if (!cfg.host && gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    if (!since)
        since = wt_wall_ms() - retention;

    struct wt_index_opts io = {
        .path = path, .max_size = WT_INDEX_MAX_SIZE_LIMIT, .top_clients = top, .readonly = true};
    struct wt_index *idx = wt_index_open(&io, err, sizeof(err));
    int ex = WT_EXIT_FAIL;
    if (!idx) {
        fprintf(stderr, "wtexport lookup: index %s: %s\n", path, err);
        goto out;
    }
    if (json) {
        struct wt_observe_obs ob = {type, norm, (size_t)nl};
        struct wt_observe_req req = {1, &ob};
        struct wt_observe_answer_opts ao = {.host = host,
                                            .source_uri = source_uri,
                                            .limit = limit,
                                            .top = top,
                                            .since_ms = since,
                                            .until_ms = until};
        size_t len;
        char *text = wt_observe_answer_text(idx, &req, &ao, &len);
        if (!text) {
            fprintf(stderr, "wtexport lookup: reading the index failed\n");
            goto out;
        }
        printf("%s\n", text);
        ex = strcmp(text, "{\"data\":{}}") != 0 ? WT_EXIT_OK : WT_EXIT_FAIL;
        wt_free(text);
        goto out;
    }
    struct print_ctx pc = {0};
    printf("%s %s\n", wt_obs_type_name(type), norm);
    int rc = wt_index_lookup(idx, type, (struct wt_str){norm, (size_t)nl}, since, until,
                             print_bucket, &pc);
    if (rc) {
        fprintf(stderr, "wtexport lookup: reading the index failed (%d)\n", rc);
        goto out;
    }
    if (pc.buckets == 0) {
        printf("not seen in the window\n");
        ex = WT_EXIT_FAIL;
        goto out;
    }
    char f[25], l[25];
    wt_iso8601_ms(pc.first, f);
    wt_iso8601_ms(pc.last, l);
    printf(
        "total: %llu requests (%llu allowed, %llu blocked) in %zu bucket(s), first %s, last %s\n",
        (unsigned long long)pc.count, (unsigned long long)pc.allowed,
        (unsigned long long)pc.blocked, pc.buckets, f, l);
    ex = WT_EXIT_OK;
out:
    wt_index_close(idx);
    if (cfg_path)
        wt_config_free(&cfg);
    return ex;
}
