/*
 * fsutil.h - the few blocking file helpers the exporter shares: whole small
 * files in and out (atomically), private directories; full preads are the
 * queue module's wt_pread_full().
 */
#ifndef WT_FSUTIL_H
#define WT_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wt_queue.h" /* wt_pread_full */

/**
 * Read a whole file of at most max bytes into a malloc'd buffer (*out, the
 * caller frees; one spare byte, not NUL-terminated). @returns 0, -errno, or
 * -EFBIG when the file is larger than max.
 */
int wt_read_file(const char *path, size_t max, char **out, size_t *len);

/**
 * Write data to dir/name atomically with mode 0600: a temp file in dir,
 * fsync, rename over name, fsync of dir. Symlinks are not followed.
 * @returns 0 or -errno.
 */
int wt_write_atomic(const char *dir, const char *name, const char *data, size_t len);

/** mkdir -p; directories it creates get mode 0700. 0 or -errno (also if not writable). */
int wt_mkdir_p(const char *path);

#endif /* WT_FSUTIL_H */
