/*
 * cmd_int.h - what the long-running commands (run, replay) share: one
 * start-up path and one shut-down path. Internal to exporter/cmd/.
 */
#ifndef WT_CMD_INT_H
#define WT_CMD_INT_H

#include "config.h"
#include "metrics.h"

#include <stdbool.h>
#include <uv.h>

/** What a long-running command starts with. */
struct wt_cmd_env {
    struct wt_config *cfg; /* loaded and checked (owned) */
    uv_loop_t *loop;       /* the default loop */
    struct wt_metrics *m;  /* served on metrics.listen when it is set */
};

/** Log every error of a config that did not load ("config" tag). */
void wt_cmd_log_config_errors(const char *path, const struct wt_config_errors *errs);

/**
 * Start a long-running command: load and check cfg_path (errors logged),
 * set up the log from it, ignore SIGPIPE, size the thread pool, take the
 * default loop, create the metrics and serve them on metrics.listen. When
 * the address cannot be served, metrics_required says whether that is an
 * error (run) or a warning (replay, which may run beside the daemon).
 * tag names the command in log lines.
 * @returns 0, or an exit code (WT_EXIT_USAGE for a bad config, WT_EXIT_FAIL
 *          otherwise); wt_cmd_env_close() is due either way.
 */
int wt_cmd_env_open(struct wt_cmd_env *env, const char *tag, const char *cfg_path,
                    bool metrics_required);

/**
 * Free what wt_cmd_env_open() made. The command has freed its own handles
 * first; the loop runs once more so their close callbacks run, then closes.
 */
void wt_cmd_env_close(struct wt_cmd_env *env);

/**
 * Is state_dir (spool: the spool directory) safe to write in (issue 17):
 * not a symlink unless allow_symlinked_state, the user's own, writable by
 * no one else, and every directory above it owned by root or the user and
 * not writable by others unless sticky? A missing one passes (created 0700
 * later). No: logged with tag, false.
 */
bool wt_cmd_state_dir_ok(const struct wt_config *cfg, const char *tag, bool spool);

#endif /* WT_CMD_INT_H */
