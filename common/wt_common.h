/*
 * wt_common.h - what every layer of wtexport uses: error codes, string
 * views, bounded buffers, allocation, clocks, file I/O, host:port, CRC32C,
 * ISO 8601 and JSON strings.
 *
 * The lowest library of the tree: it depends on nothing else of the project
 * (parsers, queue and exporter all build on it). Everything here is plain,
 * synchronous C; nothing needs libuv. Functions are thread-safe unless a
 * comment says otherwise.
 */
#ifndef WT_COMMON_H
#define WT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ------------------------------------------------------------------------ */
/* Errors: 0 is success, negative errno or one of these.                    */
/* ------------------------------------------------------------------------ */

#define WT_OK       0        /* success */
#define WT_EPARSE   (-10001) /* malformed input */
#define WT_EAGAIN   (-10002) /* need more input */
#define WT_EFULL    (-10003) /* a bounded buffer or queue is full */
#define WT_ETOOLONG (-10004) /* a line or value exceeds its limit */
#define WT_ESKIP    (-10005) /* header, comment or blank line: no record */
#define WT_ECONFIG  (-10006) /* invalid configuration */
#define WT_ESYMLINK (-10007) /* a state file is a symbolic link: not followed */
#define WT_ENOTREG  (-10008) /* a state file is not a regular file */

/** @returns a static description of an error code (WT_E* or -errno). */
const char *wt_strerror(int err);

/* ------------------------------------------------------------------------ */
/* Views                                                                    */
/* ------------------------------------------------------------------------ */

/** A view of bytes owned by someone else. Not NUL-terminated. */
struct wt_str {
    const char *p;
    size_t len;
};

#define WT_STR_NULL   ((struct wt_str){NULL, 0})
#define WT_STR_LIT(s) ((struct wt_str){(s), sizeof(s) - 1})

/* ------------------------------------------------------------------------ */
/* Bounded byte buffer                                                      */
/* ------------------------------------------------------------------------ */

/** A byte buffer over caller memory with a hard capacity. Never grows. */
struct wt_buf {
    char *p;
    size_t len;
    size_t cap;
};

static inline void wt_buf_init(struct wt_buf *b, char *mem, size_t cap)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
}

/** Append n bytes. WT_EFULL (and nothing written) when they do not fit. */
int wt_buf_append(struct wt_buf *b, const void *data, size_t n);

/**
 * A growable text buffer (wt_realloc'd, doubling): for output whose size is
 * not known in advance (JSON answers and bodies). Appends never fail one by
 * one: a failed allocation sticks (oom) and wt_tbuf_take then gives NULL.
 * Zero-initialise it; wt_tbuf_free (or wt_tbuf_take) releases it.
 */
struct wt_tbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

/** Room for more bytes after len. @returns false (oom set) when out of memory. */
bool wt_tbuf_reserve(struct wt_tbuf *b, size_t more);
void wt_tbuf_put(struct wt_tbuf *b, const void *s, size_t n);
/* lit must be a string literal ("" lit refuses anything else). */
#define WT_TBUF_LIT(b, lit) wt_tbuf_put((b), "" lit, sizeof("" lit) - 1)
/** Append s as a JSON string (quoted and escaped as wt_json_append_str). */
void wt_tbuf_json_str(struct wt_tbuf *b, const char *s, size_t n);
/** Append v in decimal. */
void wt_tbuf_u64(struct wt_tbuf *b, uint64_t v);
/**
 * NUL-terminate and hand the text over (*len, when not NULL, excludes the
 * NUL); the buffer is left empty. @returns the wt_malloc'd text, or NULL
 * (and nothing to free) when an allocation failed on the way.
 */
char *wt_tbuf_take(struct wt_tbuf *b, size_t *len);
void wt_tbuf_free(struct wt_tbuf *b);

/* ------------------------------------------------------------------------ */
/* Allocation                                                               */
/* ------------------------------------------------------------------------ */

/*
 * Every allocation of the project goes through these (cJSON joins through
 * cJSON_InitHooks, libuv through uv_replace_allocator), so that a test build
 * (cmake -DWT_ALLOC_FAULTS=ON) can fail the Nth allocation: with the
 * environment variable WT_ALLOC_FAIL_AT=N, allocation number N (1-based,
 * counted over the whole process) and every later one return NULL; with
 * WT_ALLOC_FAIL_ONLY=1 as well, allocation N alone.
 * Contracts are those of malloc(3), calloc(3), realloc(3), strdup(3),
 * strndup(3) and free(3); wt_free(NULL) is a no-op.
 */
void *wt_malloc(size_t n);
void *wt_calloc(size_t n, size_t size);
void *wt_realloc(void *p, size_t n);
char *wt_strdup(const char *s);
char *wt_strndup(const char *s, size_t n);
void wt_free(void *p);

/** Allocations made so far (counted in fault builds only, else 0). */
uint64_t wt_alloc_count(void);
/**
 * Allocations that returned NULL so far (every build). Compare before and
 * after a library call that reports out of memory like any other error.
 */
uint64_t wt_alloc_failures(void);

/* ------------------------------------------------------------------------ */
/* Clocks                                                                   */
/* ------------------------------------------------------------------------ */

/** Wall clock: milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t wt_wall_ms(void);
/** Monotonic clock in nanoseconds (CLOCK_MONOTONIC), for durations. */
uint64_t wt_mono_ns(void);

/* 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the times that
 * four-digit years can write. */
#define WT_ISO8601_MIN_MS (-62167219200000LL)
#define WT_ISO8601_MAX_MS 253402300799999LL

/** ts_ms moved into [WT_ISO8601_MIN_MS, WT_ISO8601_MAX_MS]. */
static inline int64_t wt_iso8601_clamp(int64_t ts_ms)
{
    return ts_ms < WT_ISO8601_MIN_MS   ? WT_ISO8601_MIN_MS
           : ts_ms > WT_ISO8601_MAX_MS ? WT_ISO8601_MAX_MS
                                       : ts_ms;
}

/** Format epoch ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 bytes + NUL) into out[25];
 *  a time before year 0 or after 9999 is written as the nearest of the two ends. */
void wt_iso8601_ms(int64_t ts_ms, char out[25]);

/* ------------------------------------------------------------------------ */
/* File I/O (blocking: callers on an event loop use them for small files    */
/* or run them on a thread pool)                                            */
/* ------------------------------------------------------------------------ */

/** write(2) until all n bytes are out (EINTR retried). @returns 0 or -errno. */
int wt_write_all(int fd, const void *buf, size_t n);

/**
 * pread until n bytes or the end of the file (EINTR retried).
 * @returns the bytes read (short only at end of file) or -errno.
 */
ssize_t wt_pread_full(int fd, void *buf, size_t n, uint64_t off);

/**
 * Read a whole file of at most max bytes into a wt_malloc'd buffer (*out, the
 * caller wt_frees; one spare byte, not NUL-terminated). @returns 0, -errno, or
 * -EFBIG when the file is larger than max.
 */
int wt_read_file(const char *path, size_t max, char **out, size_t *len);

/**
 * Open a state file (one the daemon wrote under its state directories) for
 * reading: O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK, then checked to be a regular
 * file, so a planted symlink is never followed and a planted FIFO or device
 * never blocks or is read. dirfd is a directory descriptor or AT_FDCWD.
 * @returns the descriptor, WT_ESYMLINK (name is a symlink), WT_ENOTREG, or
 * -errno (-ENOENT when absent).
 */
int wt_state_open(int dirfd, const char *name);

/**
 * wt_read_file for a state file: opened by wt_state_open (never through a
 * symlink, only a regular file). Files the operator names in the config
 * (secrets, certificates, the config itself) are read with wt_read_file,
 * since they may legitimately be symlinks (e.g. Kubernetes secrets).
 * @returns 0, WT_ESYMLINK, WT_ENOTREG, -EFBIG, or -errno.
 */
int wt_read_state_file(const char *path, size_t max, char **out, size_t *len);

/** Minimum age (mtime) of a temp file wt_remove_stale_temps removes, in s:
 *  a younger one may belong to a write in progress by another process. */
#define WT_STALE_TEMP_AGE_S 60

/**
 * Remove the temporary files a crash left in dir: names exactly of
 * wt_write_atomic's pattern (.<name>.XXXXXX, X in [A-Za-z0-9], name not
 * empty) that are regular files or symlinks (the link itself is removed,
 * never its target; unlinkat does not follow) whose mtime is at least
 * min_age_s seconds old. Directories and other types are left alone.
 * @returns the number removed (a missing dir: 0) or -errno.
 */
int wt_remove_stale_temps(const char *dir, unsigned min_age_s);

/**
 * Write data to dir/name atomically with mode 0600: a new temp file in dir
 * with a unique name (.<name>.XXXXXX, created O_EXCL|O_NOFOLLOW|O_CLOEXEC,
 * so nothing planted there is ever opened), fsync, rename over name (which
 * replaces a symlink planted at name, never its target), fsync of dir.
 * @returns 0 or -errno (the first error, fsyncs included).
 */
int wt_write_atomic(const char *dir, const char *name, const void *data, size_t len);

/**
 * Create a new file dirfd/<prefix>XXXXXX<suffix> (X: random [A-Za-z0-9])
 * with O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC and mode 0600, retrying on a name
 * that exists. name (cap bytes) gets the name used.
 * @returns the descriptor (O_WRONLY) or -errno.
 */
int wt_create_unique(int dirfd, const char *prefix, const char *suffix, char *name, size_t cap);

/**
 * Check that a state directory is the daemon's own: not a symlink (unless
 * allow_symlink; then its target is checked), a directory, owned by the
 * effective user, and not writable by group or others. A missing path is
 * fine (0): it will be created 0700. err gets a reason fit for the log.
 * @returns 0, -ELOOP (a symlink), -EPERM (owner or mode), -ENOTDIR, -errno.
 */
int wt_dir_check_private(const char *path, bool allow_symlink, char *err, size_t errlen);

/**
 * Check the ancestors of a state directory (the "safe path" rule of
 * OpenSSH's StrictModes): each directory above path, up to /, both along
 * path as written and along its resolved real path, must be owned by root
 * or the effective user and must not be writable by group or others unless
 * it has the sticky bit (like /tmp). Ancestors that do not exist yet are
 * skipped (they are created 0700). path itself is wt_dir_check_private's.
 * err gets a reason naming the directory.
 * @returns 0, -EPERM (owner or mode), -ENOTDIR, or -errno.
 */
int wt_dir_check_ancestors(const char *path, char *err, size_t errlen);

/**
 * Test-only crash point. With WT_CRASH_AT=<name>[:<n>] in the environment,
 * the n-th pass (default the first) through the point called name kills
 * the process with SIGKILL, as a crash would; every other point, and every
 * point when the variable is unset, does nothing (the variable is read once).
 * Any thread. The names are listed in docs/operations.md.
 */
void wt_crash_point(const char *name);

/** fsync a directory (after a rename or create in it). @returns 0 or -errno. */
int wt_fsync_dir(const char *dir);

/** mkdir -p; directories it creates get mode 0700. 0 or -errno (also if not writable). */
int wt_mkdir_p(const char *path);

/* ------------------------------------------------------------------------ */
/* host:port                                                                */
/* ------------------------------------------------------------------------ */

/**
 * Split "host:port" into host (NUL-terminated, at most hostcap - 1 bytes)
 * and port. One rule everywhere: an IPv6 address is bracketed
 * ("[::1]:9464", brackets not copied), a bare IPv4 address or name is not
 * ("127.0.0.1:9464", "localhost:9464"); a bare IPv6 address (two colons
 * without brackets) is refused. The host is printable ASCII without spaces,
 * the port 0..65535 in at most 5 digits.
 * @returns 0, or WT_EPARSE when malformed.
 */
int wt_hostport_parse(const char *s, char *host, size_t hostcap, uint16_t *port);

/* ------------------------------------------------------------------------ */
/* CRC32C                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * @brief CRC32C (Castagnoli, iSCSI polynomial 0x1EDC6F41, reflected) of n
 * bytes, continuing from crc: pass 0 to start, and the previous result to
 * continue, so wt_crc32c(wt_crc32c(0, a, na), b, nb) is the CRC of a then b.
 * Uses the SSE4.2 instruction when the CPU has it, slicing-by-8 otherwise.
 * Thread-safe; p may be NULL when n is 0.
 */
uint32_t wt_crc32c(uint32_t crc, const void *p, size_t n);

/* FNV-1a 64's offset basis: the h to start wt_fnv1a64 with. */
#define WT_FNV1A64_INIT 0xcbf29ce484222325ULL

/**
 * @brief FNV-1a 64 of n bytes, continuing from h (WT_FNV1A64_INIT to
 * start). For ids and hash tables, not a security boundary.
 */
static inline uint64_t wt_fnv1a64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ------------------------------------------------------------------------ */
/* JSON strings                                                             */
/* ------------------------------------------------------------------------ */

/**
 * Append s as a JSON string (with quotes): '"' and '\' escaped, control
 * bytes and DEL as \u00XX, valid UTF-8 kept, invalid UTF-8 as U+FFFD, so
 * the output is always valid UTF-8 JSON. WT_EFULL with b unchanged when it
 * does not fit. (The escaping primitives are in wt_json_esc.h.)
 */
int wt_json_append_str(struct wt_buf *b, const char *s, size_t n);

#endif /* WT_COMMON_H */
