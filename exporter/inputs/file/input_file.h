/*
 * input_file.h - the file input type's options (`path`, `read_from`), as
 * core/tail.c and replay read them. The tail itself stays in core/tail.c:
 * it follows every input of this type.
 */
#ifndef WT_INPUT_FILE_H
#define WT_INPUT_FILE_H

#include "config.h"

#include <stdbool.h>

/** A file input's own keys (wt_input_cfg.opts of type "file"). */
struct wt_input_file_opts {
    char *path;         /* absolute path or glob */
    bool read_from_end; /* read_from: "end" (only for files with no checkpoint) */
};

/** The glob of a file input; NULL for an input of another type. */
const char *wt_input_file_path(const struct wt_input_cfg *in);
/** read_from is "end" (false for an input of another type). */
bool wt_input_file_read_from_end(const struct wt_input_cfg *in);

#endif /* WT_INPUT_FILE_H */
