/*
 * main.c - wtexport: command dispatch, --help and --version.
 */
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
    "  register -c FILE --token-file PATH|- [--sink NAME]\n"
    "                 register an sse sink with SSE (token from PATH or stdin)\n"
    "  deregister -c FILE [--sink NAME] [--force]   remove that registration\n"
    "  status -c FILE [--sink NAME]   registration and the daemon's sink health\n"
    "\n"
    "options:\n"
    "  -h, --help     this text\n"
    "  -V, --version  print the version\n"
    "\n"
    "'wtexport COMMAND --help' describes a command.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return WT_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return WT_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("wtexport %s\n", WT_VERSION);
        return WT_EXIT_OK;
    }
    if (strcmp(cmd, "parse") == 0)
        return wt_cmd_parse(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return wt_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return wt_cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "check-config") == 0)
        return wt_cmd_check_config(argc - 1, argv + 1);
    if (strcmp(cmd, "register") == 0)
        return wt_cmd_register(argc - 1, argv + 1);
    if (strcmp(cmd, "deregister") == 0)
        return wt_cmd_deregister(argc - 1, argv + 1);
    if (strcmp(cmd, "status") == 0)
        return wt_cmd_status(argc - 1, argv + 1);
    fprintf(stderr, "wtexport: unknown command '%s'\n\n%s", cmd, usage);
    return WT_EXIT_USAGE;
}
