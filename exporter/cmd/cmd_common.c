/*
 * cmd_common.c - what the commands share: loading the config.
 */
#include "config.h"
#include "wt_common.h"
#include "wt_exporter.h"

#include <stdio.h>

int wt_cmd_load_config(const char *path, struct wt_config *cfg)
{
    struct wt_config_errors *errs = wt_calloc(1, sizeof(*errs));
    if (!errs) {
        fprintf(stderr, "wtexport: out of memory\n");
        return WT_EXIT_FAIL;
    }
    int rc = wt_config_load(path, cfg, errs);
    if (rc != 0) {
        for (unsigned i = 0; i < errs->n; i++)
            fprintf(stderr, "%s: %s\n", path, errs->msg[i]);
        if (errs->dropped)
            fprintf(stderr, "%s: %u more error(s)\n", path, errs->dropped);
    }
    wt_free(errs);
    return rc == 0 ? 0 : WT_EXIT_USAGE;
}
