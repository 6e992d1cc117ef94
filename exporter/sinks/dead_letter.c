/*
 * dead_letter.c - the one dead-letter writer of the sinks (dead_letter.h).
 */
#include "dead_letter.h"
#include "wt_common.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

cJSON *wt_dead_letter_reason(const char *sink, int64_t when_ms, uint64_t batch_id,
                             const char *reason)
{
    char iso[25];
    wt_iso8601_ms(when_ms, iso);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "sink", sink) ||
        !cJSON_AddStringToObject(o, "time", iso) ||
        !cJSON_AddNumberToObject(o, "batch", (double)batch_id) ||
        !cJSON_AddStringToObject(o, "reason", reason)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int wt_dead_letter_name(char *buf, size_t cap, const char *sink, int64_t when_ms, uint64_t batch_id,
                        const char *suffix)
{
    time_t secs = (time_t)(when_ms / 1000);
    struct tm tm;
    char stamp[32];
    gmtime_r(&secs, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    return snprintf(buf, cap, "%s-%s.%03dZ-b%" PRIu64 "%s", sink, stamp, (int)(when_ms % 1000),
                    batch_id, suffix);
}

/* Create path (never existing, never through a symlink) with data, fsynced. */
static int write_new(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = wt_write_all(fd, data, n);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    if (rc != 0)
        unlink(path);
    return rc;
}

int wt_dead_letter_write(const char *dir, const char *base, const void *events, size_t len,
                         const cJSON *reason, char *path_out, size_t cap)
{
    char rpath[WT_DEAD_LETTER_PATH_MAX + 8];
    char *text = cJSON_Print(reason);
    if (!text)
        return -ENOMEM;
    int rc = wt_mkdir_p(dir);
    /* A name taken (the same millisecond after a restart): the next suffix. */
    for (int n = 0; rc == 0 || rc == -EEXIST; n++) {
        if (n == WT_DEAD_LETTER_TRIES)
            break; /* -EEXIST */
        if (n == 0)
            snprintf(path_out, cap, "%s/%s.ndjson", dir, base);
        else
            snprintf(path_out, cap, "%s/%s-%d.ndjson", dir, base, n);
        rc = write_new(path_out, events, len);
        if (rc != -EEXIST)
            break;
    }
    if (rc == 0) {
        snprintf(rpath, sizeof(rpath), "%.*s.reason", (int)(strlen(path_out) - 7), path_out);
        rc = write_new(rpath, text, strlen(text));
        if (rc != 0)
            unlink(path_out);
    }
    if (rc == 0) {
        rc = wt_fsync_dir(dir);
        if (rc != 0) {
            unlink(rpath);
            unlink(path_out);
        }
    }
    cJSON_free(text);
    return rc;
}
