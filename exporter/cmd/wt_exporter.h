/*
 * wt_exporter.h - entry points of the wtexport commands (one per file).
 * Each takes the arguments after the command name and returns the process
 * exit code: 0 success, 1 runtime failure, 2 usage or configuration error.
 */
#ifndef WT_EXPORTER_H
#define WT_EXPORTER_H

#define WT_EXIT_OK    0
#define WT_EXIT_FAIL  1
#define WT_EXIT_USAGE 2

/** A command: `wtexport <name> ...`. */
struct wt_command {
    const char *name;
    const char *usage; /* its lines in `wtexport --help` (two-space indent, ends with \n) */
    int (*run)(int argc, char **argv);
};

int wt_cmd_parse(int argc, char **argv);
int wt_cmd_check_config(int argc, char **argv);
int wt_cmd_run(int argc, char **argv);
int wt_cmd_replay(int argc, char **argv);
/* Who saw an observable, from the index (cmd_lookup.c). */
int wt_cmd_lookup(int argc, char **argv);
/* The sinks' own state and the daemon's health (cmd_status.c). */
int wt_cmd_status(int argc, char **argv);

/**
 * Route cJSON's and libuv's allocations through wt_malloc/wt_free
 * (cmd_common.c). Call first, before either library allocates: main does,
 * and so do tests that count or fail allocations.
 */
void wt_alloc_hooks_install(void);

struct wt_config;
/**
 * Load and check the config at path for a command (cmd_common.c): every
 * error is printed on stderr as "path: key: message".
 * @returns 0 with cfg loaded (wt_config_free it), or WT_EXIT_USAGE.
 */
int wt_cmd_load_config(const char *path, struct wt_config *cfg);

#endif /* WT_EXPORTER_H */
