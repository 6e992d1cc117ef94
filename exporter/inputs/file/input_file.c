/*
 * input_file.c - the file input's keys, its rule across inputs, and its
 * entry in the input registry (input_type.c). Followed by core/tail.c.
 */
#include "input_file.h"
#include "input_type.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define FILEIN(m) offsetof(struct wt_input_file_opts, m)

static const struct wt_cfg_enum read_froms[] = {{"head", 0}, {"end", 1}, {NULL, 0}};

static const struct wt_cfg_key file_input_key_table[] = {
    {.name = "path",
     .type = K_STR,
     .store = S_STR,
     .off = FILEIN(path),
     .flags = F_REQUIRED,
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path or glob (starting with \"/\")",
     .doc = "Access log file or glob(7) pattern. The pattern is re-scanned every scan_interval; "
            "rotated files are followed to their end.",
     .example = "\"/var/log/squid/access*.log\""},
    {.name = "read_from",
     .type = K_ENUM,
     .store = S_BOOL,
     .off = FILEIN(read_from_end),
     .def = 0,
     .enums = read_froms,
     .doc = "Where to start reading a file that has no checkpoint yet: head (the whole file) or "
            "end (only lines written from now on).",
     .example = "\"end\""},
};

static const struct wt_cfg_obj file_input_keys = {
    .title = "`type: \"file\"`",
    .doc = "Access log files, tailed (the default type): followed through rotation, resumed "
           "after a restart from the last line that reached the spool.",
    .keys = file_input_key_table,
    .nkeys = WT_CFG_NKEYS(file_input_key_table),
    .size = sizeof(struct wt_input_file_opts),
};

const struct wt_input_type wt_input_file_type;

const char *wt_input_file_path(const struct wt_input_cfg *in)
{
    if (in->type != &wt_input_file_type || !in->opts)
        return NULL;
    return ((const struct wt_input_file_opts *)in->opts)->path;
}

bool wt_input_file_read_from_end(const struct wt_input_cfg *in)
{
    if (in->type != &wt_input_file_type || !in->opts)
        return false;
    return ((const struct wt_input_file_opts *)in->opts)->read_from_end;
}

/* Two file inputs never name the same glob. */
static void file_input_check(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i)
{
    const char *p = wt_input_file_path(&cfg->inputs[i]);
    char kp[WT_CFG_PATH_MAX];
    wt_input_check_line_format(c, cfg, i);
    for (size_t j = 0; p && j < i; j++) {
        const char *pj = wt_input_file_path(&cfg->inputs[j]);
        if (pj && strcmp(p, pj) == 0) {
            snprintf(kp, sizeof(kp), "inputs[%zu].path", i);
            wt_cfg_error(c, kp, "same as inputs[%zu].path", j);
            break;
        }
    }
}

const struct wt_input_type wt_input_file_type = {
    .name = "file",
    .keys = &file_input_keys,
    .check = file_input_check,
};
