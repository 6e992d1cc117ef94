/*
 * config.c - the config engine: decoder, validator and defaults, driven by
 * key tables (config_keys.h): the core's in config_table.c, each sink
 * type's in its own folder (found through the registry, sink.h). This file
 * parses, loads and frees a whole document and applies the rules across
 * keys; config_decode.c decodes values and objects by the tables. The
 * reference and the example are written by config_doc.c from the same
 * tables.
 *
 * Config is decoded on one thread (start, SIGHUP); nothing here is shared.
 */
#include "config.h"
#include "config_int.h"
#include "config_keys.h"
#include "input_type.h"
#include "sink.h"
#include "wt_common.h"
#include "log.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* How the bounds relate (config.h). */
static_assert(WT_RETENTION_MIN_MS <= WT_RETENTION_DEFAULT_MS &&
                  WT_RETENTION_DEFAULT_MS <= WT_RETENTION_MAX_MS,
              "retention default out of range");
static_assert(WT_SCAN_INTERVAL_MIN_MS <= WT_SCAN_INTERVAL_DEFAULT_MS &&
                  WT_SCAN_INTERVAL_DEFAULT_MS <= WT_SCAN_INTERVAL_MAX_MS,
              "scan_interval default out of range");
static_assert(WT_BATCH_MAX_EVENTS_DEFAULT <= WT_BATCH_MAX_EVENTS_LIMIT, "batch.max_events");
static_assert(WT_BATCH_MAX_EVENTS_LIMIT <= UINT32_MAX, "batch.max_events is a uint32_t");
static_assert(WT_BATCH_MAX_BYTES_MIN <= WT_BATCH_MAX_BYTES_DEFAULT &&
                  WT_BATCH_MAX_BYTES_DEFAULT <= WT_BATCH_MAX_BYTES_LIMIT,
              "batch.max_bytes default out of range");
static_assert(WT_BATCH_LINGER_DEFAULT_MS <= WT_BATCH_LINGER_MAX_MS, "batch.linger");
static_assert(WT_QUEUE_MAX_BYTES_MIN <= WT_QUEUE_MAX_BYTES_DEFAULT &&
                  WT_QUEUE_MAX_BYTES_DEFAULT <= WT_QUEUE_MAX_BYTES_LIMIT,
              "queue.max_bytes default out of range");
/* The defaults pass the cross-key rule, and so can any batch size. */
static_assert(WT_QUEUE_MAX_BYTES_DEFAULT >= 2LL * WT_BATCH_MAX_BYTES_DEFAULT, "queue >= 2 batch");
static_assert(WT_QUEUE_MAX_BYTES_LIMIT >= 2LL * WT_BATCH_MAX_BYTES_LIMIT, "queue >= 2 batch");
static_assert(SIZE_MAX >= WT_QUEUE_MAX_BYTES_LIMIT, "queue.max_bytes must fit a size_t");
static_assert(WT_DRAIN_TIMEOUT_DEFAULT_MS <= WT_DRAIN_TIMEOUT_MAX_MS, "drain_timeout");
static_assert(WT_LINE_MAX_MIN <= WT_LINE_MAX_DEFAULT && WT_LINE_MAX_DEFAULT <= WT_LINE_MAX_LIMIT,
              "max_line");
/* Default sink names are "<type><index>": short enough for any index. */
static_assert(WT_CFG_MAX_SINKS <= 100 && WT_SINK_NAME_MAX >= 8, "default sink names");
static_assert(WT_CFG_MAX_ERRORS >= 1, "errors");
static_assert(WT_INDEX_MAX_SIZE_MIN <= WT_INDEX_MAX_SIZE_DEFAULT &&
                  WT_INDEX_MAX_SIZE_DEFAULT <= WT_INDEX_MAX_SIZE_LIMIT,
              "index.max_size");
static_assert(WT_INDEX_COMMIT_INTERVAL_MIN_MS <= WT_INDEX_COMMIT_INTERVAL_DEFAULT_MS &&
                  WT_INDEX_COMMIT_INTERVAL_DEFAULT_MS <= WT_INDEX_COMMIT_INTERVAL_MAX_MS,
              "index.commit_interval");
static_assert(1 <= WT_INDEX_TOP_CLIENTS_DEFAULT &&
                  WT_INDEX_TOP_CLIENTS_DEFAULT <= WT_INDEX_TOP_CLIENTS_MAX,
              "index.top_clients");
static_assert(1 <= WT_OBSERVE_ENTITIES_LIMIT_DEFAULT &&
                  WT_OBSERVE_ENTITIES_LIMIT_DEFAULT <= WT_OBSERVE_ENTITIES_LIMIT_MAX,
              "observe.entities_limit");
/* Enum-valued keys are stored through an int. */
static_assert(sizeof(enum wt_format) == sizeof(int), "enum wt_format stored as int");

/* ------------------------------------------------------------------------ */
/* Rules across keys                                                        */
/* ------------------------------------------------------------------------ */

/* Every input: the common rules, then its type's own. */
static void check_inputs(struct wt_cfg_ctx *c, struct wt_config *cfg)
{
    char kp[WT_CFG_PATH_MAX];
    for (size_t i = 0; i < cfg->ninputs; i++) {
        const struct wt_input_cfg *in = &cfg->inputs[i];
        if (in->fields && in->format == WT_FORMAT_SQUID) {
            snprintf(kp, sizeof(kp), "inputs[%zu].fields", i);
            wt__cfg_err_add(c->errs, kp, "only with format \"w3c\" or \"auto\"");
        }
        if (!wt_cfg_failed(c, &in->max_line) && !wt_cfg_failed(c, &cfg->batch.max_bytes) &&
            in->max_line > cfg->batch.max_bytes) {
            char ml[32], bm[32];
            wt_cfg_fmt_size(in->max_line, ml, sizeof(ml));
            wt_cfg_fmt_size(cfg->batch.max_bytes, bm, sizeof(bm));
            snprintf(kp, sizeof(kp), "inputs[%zu].max_line", i);
            wt__cfg_err_add(
                c->errs, kp,
                "%s is more than batch.max_bytes (%s): the events of such lines would never "
                "fit a batch; lower max_line or raise batch.max_bytes",
                ml, bm);
        }
        if (in->type && in->type->check)
            in->type->check(c, cfg, i);
    }
}

/* Every sink: a default name, unique names, then its type's own rules. */
static void check_sinks(struct wt_cfg_ctx *c, struct wt_config *cfg)
{
    char kp[WT_CFG_PATH_MAX];
    for (size_t i = 0; i < cfg->nsinks; i++) {
        struct wt_sink_cfg *s = &cfg->sinks[i];
        if (!s->type)
            continue; /* its type was the error */
        if (!s->name && !wt_cfg_failed(c, &s->name)) {
            char def[WT_SINK_NAME_MAX + 1];
            snprintf(def, sizeof(def), "%s%zu", s->type->name, i);
            wt_cfg_set_str(c, &s->name, def);
        }
        for (size_t j = 0; s->name && j < i; j++) {
            if (cfg->sinks[j].name && strcmp(s->name, cfg->sinks[j].name) == 0) {
                snprintf(kp, sizeof(kp), "sinks[%zu].name", i);
                wt__cfg_err_add(c->errs, kp, "\"%s\" is already used by sinks[%zu]", s->name, j);
                break;
            }
        }
        if (s->type->check)
            s->type->check(c, cfg, i);
    }
}

/* The observe API needs the index, an audience and a key; TLS needs both files. */
static void check_observe(struct wt_cfg_ctx *c, struct wt_config *cfg)
{
    if (cfg->observe.listen && cfg->observe.listen[0]) {
        if (!cfg->index.enabled && !wt_cfg_failed(c, &cfg->index.enabled))
            wt__cfg_err_add(c->errs, "observe.listen", "needs index.enabled true");
        if (!cfg->observe.audience && !wt_cfg_failed(c, &cfg->observe.audience))
            wt__cfg_err_add(c->errs, "observe.audience", "required with observe.listen");
        if (!cfg->observe.jwt_secret_file && !cfg->observe.jwt_public_key_file &&
            !cfg->observe.jwks_file && !wt_cfg_failed(c, &cfg->observe.jwt_secret_file) &&
            !wt_cfg_failed(c, &cfg->observe.jwt_public_key_file) &&
            !wt_cfg_failed(c, &cfg->observe.jwks_file))
            wt__cfg_err_add(c->errs, "observe.listen",
                            "needs jwt_secret_file, jwt_public_key_file or jwks_file");
    }
    if (!cfg->observe.tls_cert_file != !cfg->observe.tls_key_file &&
        !wt_cfg_failed(c, &cfg->observe.tls_cert_file) &&
        !wt_cfg_failed(c, &cfg->observe.tls_key_file))
        wt__cfg_err_add(
            c->errs, cfg->observe.tls_cert_file ? "observe.tls_key_file" : "observe.tls_cert_file",
            "required with the other one (TLS needs a certificate and its key)");
}

static void check_cross(struct wt_cfg_ctx *c, struct wt_config *cfg)
{
    check_inputs(c, cfg);
    check_sinks(c, cfg);
    check_observe(c, cfg);
    if (!wt_cfg_failed(c, &cfg->batch.max_bytes) && !wt_cfg_failed(c, &cfg->queue.max_bytes) &&
        cfg->queue.max_bytes < WT_QUEUE_MIN_BATCHES * cfg->batch.max_bytes) {
        /* A batch holds about twice its size (data + zstd frame): room for one
         * batch open while another is compressed and one is being written. */
        char need[32];
        wt_cfg_fmt_size(WT_QUEUE_MIN_BATCHES * (uint64_t)cfg->batch.max_bytes, need, sizeof(need));
        wt__cfg_err_add(c->errs, "queue.max_bytes",
                        "must be at least %d times batch.max_bytes (%s)", WT_QUEUE_MIN_BATCHES,
                        need);
    }
    if (!wt_cfg_failed(c, &cfg->spool.max_bytes) && !wt_cfg_failed(c, &cfg->spool.segment_bytes) &&
        cfg->spool.max_bytes < 2 * cfg->spool.segment_bytes) {
        /* One segment being written while an older one waits for the sinks. */
        char need[32];
        wt_cfg_fmt_size(2 * (uint64_t)cfg->spool.segment_bytes, need, sizeof(need));
        wt__cfg_err_add(c->errs, "spool.max_bytes",
                        "must be at least twice spool.segment_bytes (%s)", need);
    }
    if (!cfg->spool.enabled && !wt_cfg_failed(c, &cfg->spool.enabled)) {
        /* Without the spool only a source that keeps what is not acked
         * (Kafka: offsets commit after every sink) loses nothing. */
        for (size_t i = 0; i < cfg->ninputs; i++) {
            const struct wt_input_type *t = cfg->inputs[i].type;
            if (t && !t->spool_optional) {
                wt__cfg_err_add(c->errs, "spool.enabled",
                                "false needs every input to be of type \"kafka\" (inputs[%zu] is "
                                "\"%s\": its lines would be lost in a crash without the spool)",
                                i, t->name);
                break;
            }
        }
    }
    if (!wt_cfg_failed(c, &cfg->metrics.max_per_ip) &&
        !wt_cfg_failed(c, &cfg->metrics.max_connections) &&
        cfg->metrics.max_per_ip >= cfg->metrics.max_connections)
        wt__cfg_err_add(c->errs, "metrics.max_connections_per_ip",
                        "must be less than max_connections (%d)", cfg->metrics.max_connections);
    if (!wt_cfg_failed(c, &cfg->metrics.request_timeout_ms) &&
        cfg->metrics.request_timeout_ms % 1000 != 0)
        wt__cfg_err_add(c->errs, "metrics.request_timeout", "must be whole seconds");
    if (!cfg->host && !wt_cfg_failed(c, &cfg->host)) {
        char h[256] = "";
        if (gethostname(h, sizeof(h) - 1) != 0 || !wt__cfg_check_host(h))
            wt__cfg_err_add(c->errs, "host", "required: the system host name is not usable");
        else
            wt_cfg_set_str(c, &cfg->host, h);
    }
}

/* ------------------------------------------------------------------------ */
/* Parse, load, free                                                        */
/* ------------------------------------------------------------------------ */

static void err_json(struct wt_config_errors *errs, const char *json, size_t len, size_t off,
                     const char *what)
{
    unsigned long line = 1, col = 1;
    if (off > len)
        off = len;
    for (size_t i = 0; i < off; i++) {
        if (json[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    wt__cfg_err_add(errs, NULL, "invalid JSON at line %lu, column %lu (byte %zu): %s", line, col,
                    off, what);
}

/*
 * Does the document nest [ and { deeper than cJSON takes (CJSON_NESTING_LIMIT)?
 * Then *at is where it goes past. Strings are skipped; the syntax is cJSON's
 * to judge, so a broken document may well pass this.
 */
static bool too_deep(const char *json, size_t len, size_t *at)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char ch = json[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > CJSON_NESTING_LIMIT) {
                *at = i;
                return true;
            }
        } else if (ch == ']' || ch == '}') {
            depth--;
        }
    }
    return false;
}

/* JSON whitespace only, from p to end? */
static bool only_space(const char *p, const char *end)
{
    for (; p < end; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    }
    return true;
}

int wt_config_parse(const char *json, size_t len, struct wt_config *cfg,
                    struct wt_config_errors *errs)
{
    struct wt_cfg_ctx c = {.errs = errs};
    const char *end = NULL;

    memset(cfg, 0, sizeof(*cfg));
    errs->n = errs->dropped = 0;
    wt__cfg_types_init();

    /* cJSON stops strings at a NUL byte; JSON has none outside \u0000. */
    const char *nul = memchr(json, '\0', len);
    if (nul) {
        err_json(errs, json, len, (size_t)(nul - json), "NUL byte");
        return WT_ECONFIG;
    }
    if (only_space(json, json + len)) {
        wt__cfg_err_add(errs, NULL, "invalid JSON: empty document");
        return WT_ECONFIG;
    }
    size_t deep_at;
    if (too_deep(json, len, &deep_at)) {
        char what[96];
        snprintf(what, sizeof(what), "too deeply nested (more than %d levels of [ and {)",
                 CJSON_NESTING_LIMIT);
        err_json(errs, json, len, deep_at, what);
        return WT_ECONFIG;
    }
    uint64_t failures = wt_alloc_failures();
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!root && wt_alloc_failures() != failures) {
        wt__cfg_err_add(errs, NULL, "out of memory");
        return WT_ECONFIG;
    }
    if (!root) {
        err_json(errs, json, len, end ? (size_t)(end - json) : 0, "syntax error");
        return WT_ECONFIG;
    }
    if (!only_space(end, json + len)) {
        while (only_space(end, end + 1))
            end++;
        err_json(errs, json, len, (size_t)(end - json), "text after the document");
        cJSON_Delete(root);
        return WT_ECONFIG;
    }
    if (!cJSON_IsObject(root)) {
        wt__cfg_err_add(errs, NULL, "the document must be a JSON object");
        cJSON_Delete(root);
        return WT_ECONFIG;
    }

    wt__cfg_apply_defaults(&c, (char *)cfg, &wt__cfg_top_obj);
    char *const bases[] = {(char *)cfg};
    const struct wt_cfg_obj *const tabs[] = {&wt__cfg_top_obj};
    wt__cfg_decode_obj(&c, root, "", bases, tabs, 1);
    cJSON_Delete(root);
    check_cross(&c, cfg);
    if (c.nomem)
        wt__cfg_err_add(errs, NULL, "out of memory");
    if (errs->n || errs->dropped) {
        wt_config_free(cfg);
        return WT_ECONFIG;
    }
    return 0;
}

int wt_config_load(const char *path, struct wt_config *cfg, struct wt_config_errors *errs)
{
    memset(cfg, 0, sizeof(*cfg));
    errs->n = errs->dropped = 0;

    char *buf;
    size_t len;
    int rc = wt_read_file(path, WT_CFG_FILE_MAX, &buf, &len);
    if (rc == -EFBIG) {
        wt__cfg_err_add(errs, path, "larger than %d bytes", WT_CFG_FILE_MAX);
        return WT_ECONFIG;
    }
    if (rc != 0) {
        wt__cfg_err_add(errs, path, "%s", rc == -ENOMEM ? "out of memory" : strerror(-rc));
        return WT_ECONFIG;
    }
    rc = wt_config_parse(buf, len, cfg, errs);
    wt_free(buf);
    return rc;
}

/* Free the strings of an object by its keys; all array entries, used or not. */
/* Free the strings of an object by its keys; all array entries, used or not. */
static void free_obj(char *base, const struct wt_cfg_obj *o)
{
    for (size_t i = 0; i < o->nkeys; i++) {
        const struct wt_cfg_key *k = &o->keys[i];
        if (k->type == K_STR) {
            char **p = (char **)(void *)(base + k->off);
            wt_free(*p);
            *p = NULL;
        } else if (k->type == K_MAP) {
            struct wt_cfg_pair *pv = (struct wt_cfg_pair *)(void *)(base + k->off);
            for (int64_t j = 0; j < k->max; j++) {
                wt_free(pv[j].name);
                wt_free(pv[j].value);
                pv[j].name = pv[j].value = NULL;
            }
            *(size_t *)(void *)(base + k->count_off) = 0;
        } else if (k->type == K_OBJ || k->type == K_EMBED) {
            free_obj(base + k->off, k->sub);
        } else if (k->type == K_ARR) {
            for (int64_t j = 0; j < k->max; j++)
                free_obj(base + k->off + (size_t)j * k->sub->size, k->sub);
        }
    }
    if (!o->typed)
        return;
    /* A typed entry: its options and what was derived, not decoded. */
    const struct wt_cfg_typed *ty = o->typed;
    const void **type = (const void **)(void *)(base + ty->type_off);
    void **opts = (void **)(void *)(base + ty->opts_off);
    char **source = (char **)(void *)(base + ty->source_off);
    if (*opts) {
        free_obj(*opts, ty->keys_of(*type));
        ty->free_opts(*type, *opts);
        wt_free(*opts);
    }
    cJSON_free(*source);
    *opts = NULL;
    *source = NULL;
    *type = NULL;
}

void wt_config_free(struct wt_config *cfg)
{
    if (!cfg)
        return;
    free_obj((char *)cfg, &wt__cfg_top_obj);
    memset(cfg, 0, sizeof(*cfg));
}

int wt_config_apply_threads(const struct wt_config *cfg)
{
    char num[16];
    int n = cfg->threads;

    if (n == 0) {
        /* A valid setting from the environment is kept (libuv caps it at 1024). */
        const char *env = getenv("UV_THREADPOOL_SIZE");
        char *e = NULL;
        long v = env ? strtol(env, &e, 10) : 0;
        if (env && e != env && *e == '\0' && v >= 1 && v <= 1024)
            return (int)v;
        n = (int)uv_available_parallelism();
        if (n < WT_THREADS_AUTO_MIN)
            n = WT_THREADS_AUTO_MIN;
        if (n > WT_THREADS_MAX)
            n = WT_THREADS_MAX;
    }
    snprintf(num, sizeof(num), "%d", n);
    setenv("UV_THREADPOOL_SIZE", num, 1);
    return n;
}
