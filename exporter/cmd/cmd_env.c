/*
 * cmd_env.c - the one start-up and shut-down path of run and replay
 * (cmd_int.h).
 */
#include "cmd_int.h"
#include "log.h"
#include "wt_common.h"
#include "wt_exporter.h"

#include <signal.h>
#include <stdio.h>

void wt_cmd_log_config_errors(const char *path, const struct wt_config_errors *errs)
{
    for (unsigned i = 0; i < errs->n; i++)
        wt_log_error("config", "%s: %s", path, errs->msg[i]);
    if (errs->dropped)
        wt_log_error("config", "%s: %u more error(s)", path, errs->dropped);
}

int wt_cmd_env_open(struct wt_cmd_env *env, const char *tag, const char *cfg_path,
                    bool metrics_required)
{
    char err[512] = "";
    *env = (struct wt_cmd_env){0};
    env->cfg = wt_calloc(1, sizeof(*env->cfg));
    struct wt_config_errors *errs = wt_calloc(1, sizeof(*errs));
    if (!env->cfg || !errs) {
        fprintf(stderr, "wtexport: out of memory\n");
        wt_free(errs);
        return WT_EXIT_FAIL;
    }
    int rc = wt_config_load(cfg_path, env->cfg, errs);
    if (rc != 0)
        wt_cmd_log_config_errors(cfg_path, errs);
    wt_free(errs);
    if (rc != 0)
        return WT_EXIT_USAGE;
    wt_log_setup((enum wt_log_level)env->cfg->log.level, env->cfg->log.json);
    signal(SIGPIPE, SIG_IGN);
    int threads = wt_config_apply_threads(env->cfg);
    wt_log_info(tag, "%d worker threads", threads);
    env->loop = uv_default_loop();
    if (!env->loop) {
        /* uv_loop_init failed: out of memory or of file descriptors. */
        wt_log_error(tag, "cannot start the event loop (out of memory or file descriptors)");
        return WT_EXIT_FAIL;
    }
    env->m = wt_metrics_new();
    if (!env->m) {
        wt_log_error(tag, "out of memory");
        return WT_EXIT_FAIL;
    }
    const char *listen = env->cfg->metrics.listen;
    if (!listen || !listen[0])
        return 0;
    wt_metrics_set_http_limits(env->m, (unsigned)env->cfg->metrics.max_connections,
                               (unsigned)env->cfg->metrics.max_per_ip,
                               (unsigned)(env->cfg->metrics.request_timeout_ms / 1000));
    if (wt_metrics_serve(env->m, listen, err, sizeof(err)) != 0) {
        if (metrics_required) {
            wt_log_error(tag, "metrics.listen %s: %s", listen, err);
            return WT_EXIT_FAIL;
        }
        /* The daemon may hold this address: the command works without metrics. */
        wt_log_warn(tag, "%s; going on without metrics", err);
        return 0;
    }
    wt_log_info(tag, "metrics on http://%s/metrics (health: /healthz)", listen);
    return 0;
}

void wt_cmd_env_close(struct wt_cmd_env *env)
{
    if (env->loop) {
        uv_run(env->loop, UV_RUN_NOWAIT);
        uv_loop_close(env->loop);
    }
    wt_metrics_free(env->m);
    if (env->cfg)
        wt_config_free(env->cfg);
    wt_free(env->cfg);
    *env = (struct wt_cmd_env){0};
}

/*
 * The state and spool directories must be the daemon's own (issue 17): not
 * a symlink unless allow_symlinked_state, owned by the daemon's user, not
 * writable by anyone else, and so must every directory above them (owned by
 * root or the daemon's user, not writable by others unless sticky). A
 * missing one is created 0700 later.
 */
bool wt_cmd_state_dir_ok(const struct wt_config *cfg, const char *tag, bool spool)
{
    char err[1024], dir[4200];
    const char *path = cfg->state_dir;
    if (spool) {
        snprintf(dir, sizeof(dir), "%s/spool", cfg->state_dir);
        path = cfg->spool.dir ? cfg->spool.dir : dir;
    }
    if (wt_dir_check_ancestors(path, err, sizeof(err)) != 0 ||
        wt_dir_check_private(path, cfg->allow_symlinked_state, err, sizeof(err)) != 0) {
        wt_log_error(tag, "%s %s", spool ? "spool directory" : "state_dir", err);
        return false;
    }
    return true;
}
