/*
 * ctia_config.c - the CTIA sink's keys, their rules (including the check of
 * the credential files, so `check-config` and `run` refuse a secret others
 * can read), the region hosts, and its entry in the sink registry.
 */
#include "config_keys.h"
#include "ctia_int.h"
#include "http_keys.h"
#include "sink.h"
#include "wt_common.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static_assert(WT_CTIA_MAX_OPEN_MIN <= WT_CTIA_MAX_OPEN_DEFAULT &&
                  WT_CTIA_MAX_OPEN_DEFAULT <= WT_CTIA_MAX_OPEN_MAX,
              "ctia max_open_sightings");

#define CO(m) offsetof(struct wt_ctia_opts, m)

/* ------------------------------------------------------------------------ */
/* Regions and values                                                       */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *name, *token, *import;
} regions[] = {
    {"nam", "https://visibility.amp.cisco.com/iroh/oauth2/token",
     "https://private.intel.amp.cisco.com/ctia/bundle/import"},
    {"eu", "https://visibility.eu.amp.cisco.com/iroh/oauth2/token",
     "https://private.intel.eu.amp.cisco.com/ctia/bundle/import"},
    {"apjc", "https://visibility.apjc.amp.cisco.com/iroh/oauth2/token",
     "https://private.intel.apjc.amp.cisco.com/ctia/bundle/import"},
};

const char *wt__ctia_region_token_url(const char *region)
{
    for (size_t i = 0; region && i < sizeof(regions) / sizeof(regions[0]); i++) {
        if (strcmp(region, regions[i].name) == 0)
            return regions[i].token;
    }
    return NULL;
}

const char *wt__ctia_region_import_url(const char *region)
{
    for (size_t i = 0; region && i < sizeof(regions) / sizeof(regions[0]); i++) {
        if (strcmp(region, regions[i].name) == 0)
            return regions[i].import;
    }
    return NULL;
}

void wt__ctia_urls(const struct wt_ctia_opts *o, char *tok, size_t tcap, char *imp, size_t icap)
{
    const char *t = o->region ? wt__ctia_region_token_url(o->region) : o->token_url;
    const char *i = o->region ? wt__ctia_region_import_url(o->region) : o->import_url;
    snprintf(tok, tcap, "%s", t ? t : "");
    snprintf(imp, icap, "%s?external-key-prefixes=" WT_CTIA_EXTID_PREFIX, i ? i : "");
}

unsigned wt__ctia_types_mask(const char *list)
{
    unsigned mask = 0;
    const char *p = list;
    while (*p) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        if (n == 0)
            break;
        int found = -1;
        for (int t = 0; t < WT_OBS_NTYPES; t++) {
            const char *name = wt_obs_type_name((enum wt_obs_type)t);
            if (strlen(name) == n && strncmp(p, name, n) == 0)
                found = t;
        }
        if (found < 0)
            return 0;
        mask |= 1u << found;
        p += n;
    }
    return mask;
}

static bool check_types(const char *v)
{
    return wt__ctia_types_mask(v) != 0;
}

static bool check_region(const char *v)
{
    return wt__ctia_region_token_url(v) != NULL;
}

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
static bool check_env_name(const char *v)
{
    if (!v[0] || (v[0] >= '0' && v[0] <= '9') || strlen(v) > 255)
        return false;
    return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
           strlen(v);
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

static const struct wt_cfg_enum ctia_targets_kinds[] = {
    {"ip", WT_CTIA_TARGETS_IP}, {"none", WT_CTIA_TARGETS_NONE}, {NULL, 0}};

static const struct wt_cfg_key ctia_key_table[] = {
    {.name = "region",
     .type = K_STR,
     .store = S_STR,
     .off = CO(region),
     .def_doc = "none; region or token_url + import_url is required",
     .check = check_region,
     .want = "\"nam\", \"eu\" or \"apjc\"",
     .doc = "Cisco XDR region: nam (visibility.amp.cisco.com, private.intel.amp.cisco.com), eu "
            "(visibility.eu.amp.cisco.com, private.intel.eu.amp.cisco.com) or apjc "
            "(visibility.apjc.amp.cisco.com, private.intel.apjc.amp.cisco.com). Not with "
            "token_url / import_url.",
     .example = "\"eu\""},
    {.name = "token_url",
     .type = K_STR,
     .store = S_STR,
     .off = CO(token_url),
     .def_doc = "the region's",
     .check = wt_http_check_url,
     .want = "an https:// URL without query or fragment (http:// only to 127.0.0.1, [::1] "
             "or localhost)",
     .doc = "OAuth2 token endpoint (client credentials) instead of a region's "
            "(https://visibility.amp.cisco.com/iroh/oauth2/token). With import_url.",
     .example = "\"http://127.0.0.1:8443/iroh/oauth2/token\""},
    {.name = "import_url",
     .type = K_STR,
     .store = S_STR,
     .off = CO(import_url),
     .def_doc = "the region's",
     .check = wt_http_check_url,
     .want = "an https:// URL without query or fragment (http:// only to 127.0.0.1, [::1] "
             "or localhost)",
     .doc = "Bundle import endpoint instead of a region's "
            "(https://private.intel.amp.cisco.com/ctia/bundle/import); the sink adds "
            "?external-key-prefixes=" WT_CTIA_EXTID_PREFIX ". With token_url.",
     .example = "\"http://127.0.0.1:8443/ctia/bundle/import\""},
    {.name = "client_id_file",
     .type = K_STR,
     .store = S_STR,
     .off = CO(client_id_file),
     .def_doc = "none; this or client_id_env is required",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "File whose first line is the API client's id. Like every credential file it "
            "must not be readable by group or others (chmod 600), or the sink refuses to "
            "start.",
     .example = "\"/etc/wtexport/ctia-client-id\""},
    {.name = "client_secret_file",
     .type = K_STR,
     .store = S_STR,
     .off = CO(client_secret_file),
     .def_doc = "none; this or client_secret_env is required",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "File whose first line is the API client's secret (mode 0600 or stricter).",
     .example = "\"/etc/wtexport/ctia-client-secret\""},
    {.name = "client_id_env",
     .type = K_STR,
     .store = S_STR,
     .off = CO(client_id_env),
     .def_doc = "none",
     .check = check_env_name,
     .want = "an environment variable name",
     .doc = "Name of the environment variable holding the client id, instead of "
            "client_id_file (e.g. from systemd's LoadCredential or an EnvironmentFile).",
     .example = "\"CTIA_CLIENT_ID\""},
    {.name = "client_secret_env",
     .type = K_STR,
     .store = S_STR,
     .off = CO(client_secret_env),
     .def_doc = "none",
     .check = check_env_name,
     .want = "an environment variable name",
     .doc = "Name of the environment variable holding the client secret, instead of "
            "client_secret_file.",
     .example = "\"CTIA_CLIENT_SECRET\""},
    {.name = "bucket",
     .type = K_DUR,
     .store = S_I64,
     .off = CO(bucket_ms),
     .min = WT_CTIA_BUCKET_MIN_MS,
     .max = WT_CTIA_BUCKET_MAX_MS,
     .def = WT_CTIA_BUCKET_DEFAULT_MS,
     .doc = "Aggregation interval: one sighting per observable and interval (UTC-aligned), "
            "counting its requests. Must divide a day.",
     .example = "\"1d\""},
    {.name = "bucket_grace",
     .type = K_DUR,
     .store = S_I64,
     .off = CO(bucket_grace_ms),
     .min = 0,
     .max = WT_CTIA_GRACE_MAX_MS,
     .def = WT_CTIA_GRACE_DEFAULT_MS,
     .doc = "How long after a bucket's end late events still join it; then it is imported. "
            "Events later still form a later part of the bucket (its own sighting).",
     .example = "\"5m\""},
    {.name = "max_entities",
     .type = K_INT,
     .store = S_INT,
     .off = CO(max_entities),
     .min = 1,
     .max = WT_CTIM_BUNDLE_MAX,
     .def = WT_CTIM_BUNDLE_MAX,
     .doc = "Sightings per bundle import at most (CTIA's limit is 2000); bundles are also "
            "sized to the transaction budget.",
     .example = "500"},
    {.name = "observable_types",
     .type = K_STR,
     .store = S_STR,
     .off = CO(observable_types),
     .def_doc = "`\"ip,ipv6,domain,url,sha256\"`: all",
     .check = check_types,
     .want = "a comma-separated list of ip, ipv6, domain, url and sha256",
     .doc = "Observable types that become sightings.",
     .example = "\"domain,sha256\""},
    {.name = "targets",
     .type = K_ENUM,
     .store = S_INT,
     .off = CO(targets),
     .def = WT_CTIA_TARGETS_IP,
     .enums = ctia_targets_kinds,
     .doc = "ip: each sighting lists the client endpoints (by IP) that made the requests, at "
            "most 100, the busiest first (the rest counted in the description); none: no "
            "targets (no client addresses leave the host).",
     .example = "\"none\""},
    {.name = "max_open_sightings",
     .type = K_INT,
     .store = S_INT,
     .off = CO(max_open_sightings),
     .min = WT_CTIA_MAX_OPEN_MIN,
     .max = WT_CTIA_MAX_OPEN_MAX,
     .def = WT_CTIA_MAX_OPEN_DEFAULT,
     .doc = "Memory bound: sightings counted in memory at most (a few hundred bytes each). "
            "When reached, the oldest buckets are imported early (never dropped); their "
            "later events form a later part.",
     .example = "500000"},
    {.type = K_EMBED, .off = CO(http), .sub = &wt_http_sink_obj},
    {.name = "dead_letter",
     .type = K_STR,
     .store = S_STR,
     .off = CO(dead_letter),
     .def_doc = "`\"<state_dir>/dead-letter\"`",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "Directory whose ctia-<name>/ subdirectory (created 0700) gets the sightings CTIA "
            "refused for good (a 4xx for a bundle, an entity error, retry.max_duration): "
            "NDJSON and a .reason file with the answer.",
     .example = "\"/var/lib/wtexport/dead-letter\""},
};

static const struct wt_cfg_obj ctia_keys = {
    .title = "`type: \"ctia\"`",
    .doc = "Observables imported into Cisco XDR / SecureX private intelligence (CTIA) as CTIM "
           "sightings, one per observable and bucket, with an OAuth2 API client (client "
           "credentials). A spool record is acked once every sighting built from it is "
           "imported. See docs/ctia.md.",
    .keys = ctia_key_table,
    .nkeys = WT_CFG_NKEYS(ctia_key_table),
    .size = sizeof(struct wt_ctia_opts),
};

/* ------------------------------------------------------------------------ */
/* Rules across keys                                                        */
/* ------------------------------------------------------------------------ */

/* Exactly one of a file and an environment variable, and it must be readable and private. */
static void check_secret(struct wt_cfg_ctx *c, size_t i, const char *file, const char *env,
                         const char *fkey, const char *ekey, bool bad)
{
    char kp[WT_CFG_PATH_MAX], err[600], val[WT_CTIA_SECRET_MAX + 1];
    if (bad)
        return;
    if (file && env) {
        snprintf(kp, sizeof(kp), "sinks[%zu].%s", i, ekey);
        wt_cfg_error(c, kp, "not with %s (one of them)", fkey);
        return;
    }
    if (!file && !env) {
        snprintf(kp, sizeof(kp), "sinks[%zu].%s", i, fkey);
        wt_cfg_error(c, kp, "required (or %s)", ekey);
        return;
    }
    if (wt__ctia_secret_read(file, env, file ? fkey : ekey, val, sizeof(val), err, sizeof(err)) !=
        0) {
        snprintf(kp, sizeof(kp), "sinks[%zu].%s", i, file ? fkey : ekey);
        wt_cfg_error(c, kp, "%s", err);
    }
    explicit_bzero(val, sizeof(val));
}

static void ctia_check(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i)
{
    struct wt_ctia_opts *o = cfg->sinks[i].opts;
    const char *name = cfg->sinks[i].name;
    char kp[WT_CFG_PATH_MAX], path[4096];
    bool tok_bad = wt_cfg_failed(c, &o->token_url), imp_bad = wt_cfg_failed(c, &o->import_url);
    if (o->region && (o->token_url || o->import_url)) {
        snprintf(kp, sizeof(kp), "sinks[%zu].%s", i, o->token_url ? "token_url" : "import_url");
        wt_cfg_error(c, kp, "not with region (region, or token_url and import_url)");
    } else if (!o->region && !wt_cfg_failed(c, &o->region) && !tok_bad && !imp_bad) {
        if (!o->token_url && !o->import_url) {
            snprintf(kp, sizeof(kp), "sinks[%zu].region", i);
            wt_cfg_error(c, kp, "required (or token_url and import_url)");
        } else if (!o->token_url || !o->import_url) {
            snprintf(kp, sizeof(kp), "sinks[%zu].%s", i, o->token_url ? "import_url" : "token_url");
            wt_cfg_error(c, kp, "required with %s", o->token_url ? "token_url" : "import_url");
        }
    }
    if (!wt_cfg_failed(c, &o->bucket_ms) && (86400LL * 1000) % o->bucket_ms != 0) {
        snprintf(kp, sizeof(kp), "sinks[%zu].bucket", i);
        wt_cfg_error(c, kp, "must divide a day (1m, 5m, 10m, 15m, 30m, 1h, 2h, ... 1d)");
    }
    if (!wt_cfg_failed(c, &o->http.retry.base_ms) && !wt_cfg_failed(c, &o->http.retry.cap_ms) &&
        o->http.retry.base_ms > o->http.retry.cap_ms) {
        snprintf(kp, sizeof(kp), "sinks[%zu].retry.cap", i);
        wt_cfg_error(c, kp, "must be at least retry.base");
    }
    o->types_mask =
        o->observable_types ? wt__ctia_types_mask(o->observable_types) : (1u << WT_OBS_NTYPES) - 1;
    check_secret(c, i, o->client_id_file, o->client_id_env, "client_id_file", "client_id_env",
                 wt_cfg_failed(c, &o->client_id_file) || wt_cfg_failed(c, &o->client_id_env));
    check_secret(c, i, o->client_secret_file, o->client_secret_env, "client_secret_file",
                 "client_secret_env",
                 wt_cfg_failed(c, &o->client_secret_file) ||
                     wt_cfg_failed(c, &o->client_secret_env));
    if (!cfg->state_dir)
        return;
    if (!o->dead_letter && !wt_cfg_failed(c, &o->dead_letter)) {
        snprintf(path, sizeof(path), "%s/dead-letter", cfg->state_dir);
        wt_cfg_set_str(c, &o->dead_letter, path);
    }
    if (name) {
        snprintf(path, sizeof(path), "%s/ctia-%s.json", cfg->state_dir, name);
        wt_cfg_set_str(c, &o->state_file, path);
    }
}

static void ctia_free_opts(void *opts)
{
    struct wt_ctia_opts *o = opts;
    wt_free(o->state_file);
    o->state_file = NULL;
}

const struct wt_sink_type wt_sink_ctia_type = {
    .name = "ctia",
    .keys = &ctia_keys,
    .check = ctia_check,
    .free_opts = ctia_free_opts,
    .ops = &wt__ctia_ops,
    .commands = NULL,
    .status = wt__ctia_status,
};
