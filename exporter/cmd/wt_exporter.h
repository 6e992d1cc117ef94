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

int wt_cmd_parse(int argc, char **argv);
int wt_cmd_check_config(int argc, char **argv);
int wt_cmd_run(int argc, char **argv);
int wt_cmd_replay(int argc, char **argv);
/* SSE registration (cmd_register.c). */
int wt_cmd_register(int argc, char **argv);
int wt_cmd_deregister(int argc, char **argv);
int wt_cmd_status(int argc, char **argv);

#endif /* WT_EXPORTER_H */
