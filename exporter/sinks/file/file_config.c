/*
 * file_config.c - the file sink's keys, its rule across sinks, and its
 * entry in the sink registry (sink.c).
 */
#include "config_keys.h"
#include "file_int.h"
#include "sink.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

static_assert(WT_ZSTD_LEVEL_MIN <= WT_ZSTD_LEVEL_DEFAULT &&
                  WT_ZSTD_LEVEL_DEFAULT <= WT_ZSTD_LEVEL_MAX,
              "zstd level");

#define FILEO(m) offsetof(struct wt_file_opts, m)

static const struct wt_cfg_enum compressions[] = {{"zstd", 1}, {"none", 0}, {NULL, 0}};

static bool check_sink_path(const char *v)
{
    return strcmp(v, "-") == 0 || v[0] == '/';
}

static const struct wt_cfg_key file_key_table[] = {
    {.name = "path",
     .type = K_STR,
     .store = S_STR,
     .off = FILEO(path),
     .flags = F_REQUIRED,
     .check = check_sink_path,
     .want = "\"-\" (stdout) or an absolute path",
     .doc = "File the batches are appended to; \"-\" writes to stdout.",
     .example = "\"/var/lib/wtexport/events.ndjson.zst\""},
    {.name = "compress",
     .type = K_ENUM,
     .store = S_BOOL,
     .off = FILEO(compress),
     .def = 1,
     .enums = compressions,
     .doc = "zstd: each batch is one zstd frame (the file is a valid .zst); none: plain NDJSON.",
     .example = "\"none\""},
    {.name = "level",
     .type = K_INT,
     .store = S_INT,
     .off = FILEO(level),
     .min = WT_ZSTD_LEVEL_MIN,
     .max = WT_ZSTD_LEVEL_MAX,
     .def = WT_ZSTD_LEVEL_DEFAULT,
     .doc = "zstd compression level.",
     .example = "9"},
    {.name = "fsync",
     .type = K_BOOL,
     .store = S_BOOL,
     .off = FILEO(fsync),
     .def = true,
     .doc = "fsync the file before a batch counts as delivered (ignored for stdout).",
     .example = "false"},
};

static const struct wt_cfg_obj file_keys = {
    .title = "`type: \"file\"`",
    .doc = "NDJSON events, zstd-compressed by default, appended to a file or written to stdout.",
    .keys = file_key_table,
    .nkeys = WT_CFG_NKEYS(file_key_table),
    .size = sizeof(struct wt_file_opts),
};

/* Two file sinks never write one file. */
static void file_check(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i)
{
    const struct wt_file_opts *o = cfg->sinks[i].opts;
    char kp[WT_CFG_PATH_MAX];
    for (size_t j = 0; o->path && j < i; j++) {
        const struct wt_file_opts *oj = cfg->sinks[j].opts;
        if (cfg->sinks[j].type == cfg->sinks[i].type && oj->path &&
            strcmp(o->path, oj->path) == 0) {
            snprintf(kp, sizeof(kp), "sinks[%zu].path", i);
            wt_cfg_error(c, kp, "same as sinks[%zu].path", j);
            break;
        }
    }
}

const struct wt_sink_type wt_sink_file_type = {
    .name = "file",
    .keys = &file_keys,
    .check = file_check,
    .ops = &wt__file_ops,
};
