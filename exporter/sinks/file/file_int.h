/*
 * file_int.h - the file sink's options and operations, shared by its two
 * files (file_config.c, sink_file.c). Not for use outside sinks/file/.
 */
#ifndef WT_FILE_INT_H
#define WT_FILE_INT_H

#include "sink.h"

#include <stdbool.h>

#define WT_ZSTD_LEVEL_DEFAULT 3
#define WT_ZSTD_LEVEL_MIN     1
#define WT_ZSTD_LEVEL_MAX     19

/** The keys of a `type: "file"` entry (file_config.c). */
struct wt_file_opts {
    char *path;    /* "-" for stdout */
    bool compress; /* compress: "zstd" (true) or "none" */
    int level;     /* zstd level 1..19, default 3 */
    bool fsync;    /* fsync before ack (default true; ignored for stdout) */
};

extern const struct wt_sink_ops wt__file_ops;
extern const struct wt_sink_type wt_sink_file_type;

#endif /* WT_FILE_INT_H */
