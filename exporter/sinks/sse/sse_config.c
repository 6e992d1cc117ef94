/*
 * sse_config.c - the SSE sink's keys, their rules, and its entry in the sink
 * registry (sink.c), with its commands (sse_cmd.c).
 */
#include "config_keys.h"
#include "http_keys.h"
#include "sink.h"
#include "sse_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define SSEO(m) offsetof(struct wt_sse_opts, m)

/* The region names; URLs are checked by wt_http_check_url (http_keys.h). */

static bool check_region(const char *v)
{
    return strcmp(v, "nam") == 0 || strcmp(v, "eu") == 0 || strcmp(v, "apjc") == 0;
}

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
     .check = wt_http_check_url,
     .want = "an https:// URL without query or fragment (http:// only to 127.0.0.1, [::1] "
             "or localhost)",
     .doc = "Base URL of the SSE API instead of a region (a private deployment, or the local "
            "test server); requests go to <url>/v1/... Not with region.",
     .example = "\"https://sse.example.com\""},
    {.type = K_EMBED, .off = SSEO(http), .sub = &wt_http_sink_obj},
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
    if (!wt_cfg_failed(c, &s->http.retry.base_ms) && !wt_cfg_failed(c, &s->http.retry.cap_ms) &&
        s->http.retry.base_ms > s->http.retry.cap_ms) {
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
