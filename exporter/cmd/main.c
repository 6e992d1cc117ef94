/*
 * main.c - wtexport: command dispatch, --help and --version. The built-in
 * commands are listed here; a sink type adds its own (sink.h), so adding a
 * sink never edits this file.
 */
#include "sink.h"
#include "wt_exporter.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: wtexport COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Tails web-proxy access logs (Cisco Secure Web Appliance, Squid), extracts\n"
    "the observables (ip, ipv6, domain, url, sha256) and ships them.\n"
    "\n"
    "commands:\n"
    "  parse [--format auto|squid|w3c] [--fields LIST] [--strip-query]\n"
    "        [--export-user] [--max-line BYTES] [FILE...]\n"
    "        print one JSON event per log line (stdin when no FILE or '-')\n"
    "  run -c FILE    follow the configured access logs and ship their events\n"
    "  replay -c FILE [--since TIME] [--until TIME] LOGFILE...\n"
    "                 ship old log files once (plain, .gz, .zst) for backfill\n"
    "  check-config -c FILE | --reference | --example   validate a config file\n"
    "  status -c FILE [--sink NAME]   each sink's own state and the daemon's sink health\n"
    "  lookup [-c FILE | --index DIR] TYPE VALUE [--since T] [--until T] [--json]\n"
    "                 who saw this observable, from the index (while the daemon runs)\n";

static const char usage_tail[] = "\n"
                                 "options:\n"
                                 "  -h, --help     this text\n"
                                 "  -V, --version  print the version\n"
                                 "\n"
                                 "'wtexport COMMAND --help' describes a command.\n";

static const struct wt_command builtins[] = {
    {"parse", NULL, wt_cmd_parse},   {"run", NULL, wt_cmd_run},
    {"replay", NULL, wt_cmd_replay}, {"check-config", NULL, wt_cmd_check_config},
    {"status", NULL, wt_cmd_status}, {"lookup", NULL, wt_cmd_lookup},
};

/* The usage: built-in commands, then each sink type's. */
static void print_usage(FILE *out)
{
    fputs(usage, out);
    for (const struct wt_sink_type *const *t = wt_sink_types; *t; t++) {
        for (const struct wt_command *const *c = (*t)->commands; c && *c; c++)
            fputs((*c)->usage, out);
    }
    fputs(usage_tail, out);
}

static const struct wt_command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    }
    for (const struct wt_sink_type *const *t = wt_sink_types; *t; t++) {
        for (const struct wt_command *const *c = (*t)->commands; c && *c; c++) {
            if (strcmp((*c)->name, name) == 0)
                return *c;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    wt_alloc_hooks_install();
    if (argc < 2) {
        print_usage(stderr);
        return WT_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        print_usage(stdout);
        return WT_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("wtexport %s\n", WT_VERSION);
        return WT_EXIT_OK;
    }
    const struct wt_command *c = find_command(cmd);
    if (c)
        return c->run(argc - 1, argv + 1);
    fprintf(stderr, "wtexport: unknown command '%s'\n\n", cmd);
    print_usage(stderr);
    return WT_EXIT_USAGE;
}
