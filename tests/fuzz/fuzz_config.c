/*
 * fuzz_config.c - the configuration decoder: whatever the bytes, parsing
 * ends in a valid config or in a bounded list of NUL-terminated errors,
 * with nothing leaked (the config is freed either way).
 */
#include "config.h"
#include "file_int.h"
#include "input_file.h"
#include "input_type.h"
#include "sink.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct wt_config cfg;
    static struct wt_config_errors errs;

    if (size > WT_CFG_FILE_MAX)
        return 0;
    /* An exact-size copy, so reading past the end is caught by ASan. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    int rc = wt_config_parse(buf, size, &cfg, &errs);
    free(buf);

    if (errs.n > WT_CFG_MAX_ERRORS)
        abort();
    for (unsigned i = 0; i < errs.n; i++) {
        if (memchr(errs.msg[i], '\0', sizeof(errs.msg[i])) == NULL || errs.msg[i][0] == '\0' ||
            strchr(errs.msg[i], '\n'))
            abort();
    }
    if (rc == 0) {
        /* A valid config keeps every documented bound. */
        if (errs.n || errs.dropped || !cfg.state_dir || !cfg.host || !cfg.metrics.listen ||
            cfg.ninputs < 1 || cfg.ninputs > WT_CFG_MAX_INPUTS || cfg.nsinks < 1 ||
            cfg.nsinks > WT_CFG_MAX_SINKS || cfg.retention_ms < WT_RETENTION_MIN_MS ||
            cfg.retention_ms > WT_RETENTION_MAX_MS ||
            cfg.queue.max_bytes < WT_QUEUE_MIN_BATCHES * cfg.batch.max_bytes ||
            cfg.spool.max_bytes < 2 * cfg.spool.segment_bytes)
            abort();
        for (size_t i = 0; i < cfg.ninputs; i++) {
            const char *path = wt_input_file_path(&cfg.inputs[i]);
            if (!cfg.inputs[i].type || !cfg.inputs[i].opts ||
                (cfg.inputs[i].type == wt_input_types[0] && (!path || path[0] != '/')) ||
                cfg.inputs[i].max_line < WT_LINE_MAX_MIN ||
                cfg.inputs[i].max_line > WT_LINE_MAX_LIMIT)
                abort();
        }
        for (size_t i = 0; i < cfg.nsinks; i++) {
            /* Every sink has a name, a registered type and its options; a file
             * sink has a path. */
            const struct wt_sink_cfg *sc = &cfg.sinks[i];
            if (!sc->name || !sc->type || wt_sink_type_find(sc->type->name) != sc->type ||
                !sc->opts ||
                (sc->type == &wt_sink_file_type && !((struct wt_file_opts *)sc->opts)->path))
                abort();
        }
        wt_config_free(&cfg);
    } else if (rc != WT_ECONFIG || (errs.n == 0 && errs.dropped == 0) || cfg.state_dir) {
        abort();
    }
    return 0;
}
