/*
 * checkpoint.h - the per-file read positions in state_dir, keyed by device,
 * inode and a fingerprint of the file's first bytes.
 *
 * One JSON document (state_dir/checkpoints.json, mode 0600) holding an entry
 * per file, replaced atomically: temp file, fsync, rename, fsync of the dir.
 * Encoding and decoding are pure; the write blocks and belongs on the thread
 * pool (or at shutdown).
 */
#ifndef WT_CHECKPOINT_H
#define WT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#define WT_CKPT_FILE    "checkpoints.json"
#define WT_CKPT_VERSION 2 /* 2 adds gen and size; version 1 files are read */
/* Bytes at the start of a file hashed into its fingerprint. */
#define WT_FP_BYTES 1024
/* Entries one document may hold (more are dropped, oldest path order). */
#define WT_CKPT_MAX 4096

struct wt_ckpt {
    uint64_t dev, ino;
    uint64_t fp;     /* FNV-1a 64 of the first fp_len bytes */
    uint32_t fp_len; /* 0..WT_FP_BYTES */
    uint64_t offset; /* acked position */
    uint64_t lineno; /* lines before offset */
    uint32_t gen;    /* truncation generation of (dev, ino) (version 1: 0) */
    uint64_t size;   /* the file's size as last seen (version 1: offset) */
    char path[4096]; /* last known path (informational) */
};

/** FNV-1a 64 of n bytes. */
uint64_t wt_fp_hash(const void *p, size_t n);

/**
 * Compute the fingerprint of an open file: hash of its first
 * min(size, WT_FP_BYTES) bytes. @returns 0 or -errno.
 */
int wt_fp_of_fd(int fd, uint64_t *fp, uint32_t *fp_len);

/**
 * Does the open file still start with the bytes an entry fingerprinted?
 * @returns 1 yes, 0 no, -errno on read error.
 */
int wt_fp_matches(int fd, uint64_t fp, uint32_t fp_len);

/**
 * Encode entries as JSON into a malloc'd NUL-terminated string (*out, the
 * caller frees). @returns 0 or -ENOMEM.
 */
int wt_ckpt_encode(const struct wt_ckpt *e, size_t n, char **out, size_t *outlen);

/**
 * Decode a document. *out is malloc'd (caller frees), *n entries.
 * @returns 0, -ENOMEM, or WT_EPARSE with a reason in err (the file is
 * damaged).
 */
int wt_ckpt_decode(const char *json, size_t len, struct wt_ckpt **out, size_t *n, char *err,
                   size_t errlen);

/** Write data to dir/WT_CKPT_FILE atomically (0600). Blocking. 0 or -errno. */
int wt_ckpt_write(const char *dir, const char *data, size_t len);

/**
 * Read dir/WT_CKPT_FILE. A missing file is 0 entries. @returns 0, -errno,
 * or WT_EPARSE (damaged) with the reason in err.
 */
int wt_ckpt_read(const char *dir, struct wt_ckpt **out, size_t *n, char *err, size_t errlen);

#endif /* WT_CHECKPOINT_H */
