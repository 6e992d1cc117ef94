/*
 * cmd_check_config.c - `wtexport check-config`: validate a configuration
 * file without starting anything, and print the key reference or a full
 * example, both generated from the config key tables.
 */
#include "config.h"
#include "wt_exporter.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char check_usage[] =
    "usage: wtexport check-config -c FILE\n"
    "       wtexport check-config --reference | --example\n"
    "\n"
    "Load and validate a configuration file. Every error goes to stderr, one per\n"
    "line, as 'key.path: message', and the exit code is 2. On success prints\n"
    "'FILE: ok' and a summary on stdout.\n"
    "\n"
    "  -c, --config FILE  the configuration file (JSON)\n"
    "  --reference        print the key reference in Markdown (docs/config.md)\n"
    "  --example          print a valid config with every key at its default\n"
    "  -h, --help         this text\n";

/* One line: what the daemon would run. */
static void print_summary(const char *path, const struct wt_config *cfg)
{
    printf("%s: ok\n", path);
    printf("%zu input(s), %zu sink(s) (", cfg->ninputs, cfg->nsinks);
    for (size_t i = 0; i < cfg->nsinks; i++)
        printf("%s%s", i ? ", " : "", cfg->sinks[i].name);
    printf("), state_dir %s, host %s\n", cfg->state_dir, cfg->host);
}

static int check_file(const char *path)
{
    struct wt_config *cfg = wt_calloc(1, sizeof(*cfg));
    struct wt_config_errors *errs = wt_calloc(1, sizeof(*errs));
    int ex = WT_EXIT_OK;

    if (!cfg || !errs) {
        fprintf(stderr, "wtexport check-config: out of memory\n");
        ex = WT_EXIT_FAIL;
    } else if (wt_config_load(path, cfg, errs) != 0) {
        for (unsigned i = 0; i < errs->n; i++)
            fprintf(stderr, "%s\n", errs->msg[i]);
        if (errs->dropped)
            fprintf(stderr, "... and %u more error(s)\n", errs->dropped);
        ex = WT_EXIT_USAGE;
    } else {
        print_summary(path, cfg);
        wt_config_free(cfg);
    }
    wt_free(cfg);
    wt_free(errs);
    if (ex == WT_EXIT_OK && fflush(stdout) != 0)
        ex = WT_EXIT_FAIL;
    return ex;
}

int wt_cmd_check_config(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"reference", no_argument, NULL, 'r'},
                                         {"example", no_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int o, what = 0;

    optind = 0; /* glibc: full reset, the command may run more than once */
    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            path = optarg;
            break;
        case 'r':
        case 'e':
            what = o;
            break;
        case 'h':
            fputs(check_usage, stdout);
            return WT_EXIT_OK;
        default:
            fputs(check_usage, stderr);
            return WT_EXIT_USAGE;
        }
    }
    if (optind != argc || (path != NULL) == (what != 0)) {
        fputs(check_usage, stderr);
        return WT_EXIT_USAGE;
    }
    if (path)
        return check_file(path);
    if (what == 'r')
        wt_config_write_reference(stdout);
    else
        wt_config_write_example(stdout);
    return fflush(stdout) == 0 ? WT_EXIT_OK : WT_EXIT_FAIL;
}
