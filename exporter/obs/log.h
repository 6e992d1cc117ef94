/*
 * log.h - levelled, tagged logging to stderr, as text or JSON lines.
 *
 * The macros check the level before any formatting. Never log per input
 * line: warn once and count the rest (see wt_log_once). Never pass secrets.
 * Thread-safe: one write(2) per line.
 */
#ifndef WT_LOG_H
#define WT_LOG_H

#include <stdbool.h>

enum wt_log_level { WT_LOG_ERROR = 0, WT_LOG_WARN, WT_LOG_INFO, WT_LOG_DEBUG };

/** Current threshold; lines above it are not formatted. */
extern int wt_log_level_cur;

/** Configure level and format (false: text, true: JSON lines). Default: info, text. */
void wt_log_setup(enum wt_log_level level, bool json);
/** Parse "error" | "warn" | "info" | "debug". -1 otherwise. */
int wt_log_level_from_str(const char *s);

/** Write one line (use the macros). tag: subsystem, e.g. "tail", "sink.file". */
void wt__log(enum wt_log_level level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define wt_log(level, tag, ...)                                                                    \
    do {                                                                                           \
        if ((int)(level) <= wt_log_level_cur)                                                      \
            wt__log((level), (tag), __VA_ARGS__);                                                  \
    } while (0)

#define wt_log_error(tag, ...) wt_log(WT_LOG_ERROR, tag, __VA_ARGS__)
#define wt_log_warn(tag, ...)  wt_log(WT_LOG_WARN, tag, __VA_ARGS__)
#define wt_log_info(tag, ...)  wt_log(WT_LOG_INFO, tag, __VA_ARGS__)
#define wt_log_debug(tag, ...) wt_log(WT_LOG_DEBUG, tag, __VA_ARGS__)

/**
 * Log at most once per flag: `static bool warned; wt_log_once(&warned, WT_LOG_WARN, ...)`.
 * For per-input-line problems, whose count goes to a metric instead.
 */
#define wt_log_once(flag, level, tag, ...)                                                         \
    do {                                                                                           \
        if (!*(flag)) {                                                                            \
            *(flag) = true;                                                                        \
            wt_log((level), (tag), __VA_ARGS__);                                                   \
        }                                                                                          \
    } while (0)

#endif /* WT_LOG_H */
