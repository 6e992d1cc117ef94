/*
 * dead_letter.h - the one dead-letter writer of the sinks.
 *
 * Events a sink refuses for good (the server said 400, a message was
 * refused by the cluster, retries ran out) are never dropped silently: they
 * go to a private directory as two files, the events as NDJSON and a
 * `.reason` JSON document that says why, written durably before the batch
 * counts as done. Every sink uses this module, so all dead letters have the
 * same file modes, the same format and the same durability.
 */
#ifndef WT_DEAD_LETTER_H
#define WT_DEAD_LETTER_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a dead-letter path (directory + name). */
#define WT_DEAD_LETTER_PATH_MAX 4400
/* Names tried with a -N suffix when one is taken (same millisecond). */
#define WT_DEAD_LETTER_TRIES 100

/**
 * A new .reason document: {"sink", "time" (ISO 8601 UTC), "batch", "reason"}.
 * The caller adds its own fields (status, topic, ...) and hands it to
 * wt_dead_letter_write. @returns NULL when out of memory.
 */
cJSON *wt_dead_letter_reason(const char *sink, int64_t when_ms, uint64_t batch_id,
                             const char *reason);

/**
 * The file name base of a dead letter: "<sink>-YYYYMMDDTHHMMSS.mmmZ-b<batch>"
 * then suffix (may be ""). @returns what snprintf returns.
 */
int wt_dead_letter_name(char *buf, size_t cap, const char *sink, int64_t when_ms, uint64_t batch_id,
                        const char *suffix);

/**
 * Write one dead letter into dir (created 0700 when missing):
 * dir/base.ndjson holding events[0, len) and dir/base.reason holding the
 * reason document, both mode 0600, opened with
 * O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC (a planted symlink or an existing
 * file is never written through), each fsynced, then the directory fsynced.
 * A name already taken gets "-1" ... "-99" appended. Blocking: run it on the
 * thread pool. Every error is returned (fsyncs included), and then nothing
 * is left behind. reason is read only.
 * @returns 0 with the .ndjson path in path_out (cap bytes), or -errno.
 */
int wt_dead_letter_write(const char *dir, const char *base, const void *events, size_t len,
                         const cJSON *reason, char *path_out, size_t cap);

#endif /* WT_DEAD_LETTER_H */
