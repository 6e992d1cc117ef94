/*
 * log.c - levelled, tagged log lines on stderr, as text or JSON.
 *
 * Text:  2026-11-21T23:40:01.123Z WARN  [tail] message
 * JSON:  {"ts":"2026-11-21T23:40:01.123Z","level":"warn","tag":"tail","msg":"message"}
 *
 * Each line is built in a stack buffer and written with one write(2), so
 * lines from different threads never interleave (up to PIPE_BUF on pipes,
 * always on files opened with O_APPEND). A line is always one line: control
 * characters in the message are escaped in both formats. Messages longer
 * than WT_LOG_MSG_MAX bytes are cut at a UTF-8 boundary and end in "...".
 */
#include "log.h"
#include "wt_queue.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/** Longest message kept, "..." included. */
#define WT_LOG_MSG_MAX 4096
/** Longest tag kept; longer tags are cut. */
#define WT_LOG_TAG_MAX 64
/* Worst case of one line: JSON escapes a byte to 6 ("\u00XX"). */
#define WT_LOG_LINE_MAX (128 + 6 * WT_LOG_TAG_MAX + 6 * WT_LOG_MSG_MAX)

_Static_assert(WT_LOG_MSG_MAX > 3, "room for the ellipsis");

int wt_log_level_cur = WT_LOG_INFO;
/* Written by wt_log_setup at start-up only, before any thread logs. */
static bool log_json;

static const char *const level_text[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
static const char *const level_json[] = {"error", "warn", "info", "debug"};

void wt_log_setup(enum wt_log_level level, bool json)
{
    wt_log_level_cur = (int)level;
    log_json = json;
}

int wt_log_level_from_str(const char *s)
{
    if (s == NULL)
        return -1;
    for (int i = WT_LOG_ERROR; i <= WT_LOG_DEBUG; i++) {
        if (strcmp(s, level_json[i]) == 0)
            return i;
    }
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Line assembly                                                            */
/* ------------------------------------------------------------------------ */

/* Append without bounds failure: the buffer is sized for the worst case. */
static void put(struct wt_buf *b, const char *s, size_t n)
{
    if (n > b->cap - b->len)
        n = b->cap - b->len;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

#define PUT_LIT(b, s) put((b), (s), sizeof(s) - 1)

/*
 * Text-mode escaping: control bytes (and DEL) become \n, \r, \t or \xNN so
 * a message can never start a new line or move the terminal cursor. Other
 * bytes, backslash included, are copied as they are to keep paths readable.
 */
static void put_text_escaped(struct wt_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[4] = {'\\', 0, 0, 0};
        size_t k = 2;

        if (c >= 0x20 && c != 0x7f) {
            put(b, s + i, 1);
            continue;
        }
        if (c == '\n') {
            esc[1] = 'n';
        } else if (c == '\r') {
            esc[1] = 'r';
        } else if (c == '\t') {
            esc[1] = 't';
        } else {
            esc[1] = 'x';
            esc[2] = hex[c >> 4];
            esc[3] = hex[c & 0xf];
            k = 4;
        }
        put(b, esc, k);
    }
}

/* JSON string through the queue module's encoder (valid UTF-8 out). */
static void put_json_str(struct wt_buf *b, const char *s, size_t n)
{
    if (wt_json_append_str(b, s, n) != 0)
        PUT_LIT(b, "\"\""); /* cannot happen: WT_LOG_LINE_MAX is the worst case */
}

/*
 * Format the message into msg[WT_LOG_MSG_MAX]; @returns its length. A
 * message that does not fit is cut before any UTF-8 continuation byte and
 * gets "..." appended.
 */
__attribute__((format(printf, 2, 0))) static size_t format_msg(char *msg, const char *fmt,
                                                               va_list ap)
{
    int n = vsnprintf(msg, WT_LOG_MSG_MAX, fmt, ap);

    if (n < 0) {
        memcpy(msg, "(format error)", sizeof("(format error)"));
        return sizeof("(format error)") - 1;
    }
    if ((size_t)n < WT_LOG_MSG_MAX)
        return (size_t)n;
    size_t cut = WT_LOG_MSG_MAX - 4; /* room for "..." and the NUL */
    while (cut > 0 && ((unsigned char)msg[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(msg + cut, "...", 4);
    return cut + 3;
}

static void now_iso(char ts[25])
{
    wt_iso8601_ms(wt_wall_ms(), ts);
}

void wt__log(enum wt_log_level level, const char *tag, const char *fmt, ...)
{
    char msg[WT_LOG_MSG_MAX];
    char line[WT_LOG_LINE_MAX];
    char ts[25];
    struct wt_buf b;
    va_list ap;
    int saved_errno = errno; /* callers may log and then read errno */

    if ((int)level < WT_LOG_ERROR || (int)level > WT_LOG_DEBUG)
        level = WT_LOG_ERROR;
    if (tag == NULL)
        tag = "-";
    size_t tlen = strnlen(tag, WT_LOG_TAG_MAX);

    va_start(ap, fmt);
    size_t mlen = format_msg(msg, fmt, ap);
    va_end(ap);

    now_iso(ts);
    wt_buf_init(&b, line, sizeof(line));
    if (log_json) {
        PUT_LIT(&b, "{\"ts\":\"");
        put(&b, ts, 24);
        PUT_LIT(&b, "\",\"level\":\"");
        put(&b, level_json[level], strlen(level_json[level]));
        PUT_LIT(&b, "\",\"tag\":");
        put_json_str(&b, tag, tlen);
        PUT_LIT(&b, ",\"msg\":");
        put_json_str(&b, msg, mlen);
        PUT_LIT(&b, "}\n");
    } else {
        put(&b, ts, 24);
        PUT_LIT(&b, " ");
        put(&b, level_text[level], 5);
        PUT_LIT(&b, " [");
        put_text_escaped(&b, tag, tlen);
        PUT_LIT(&b, "] ");
        put_text_escaped(&b, msg, mlen);
        PUT_LIT(&b, "\n");
    }
    /* One write(2) for the whole line when it can; nowhere left to report an error. */
    (void)wt_write_all(STDERR_FILENO, b.p, b.len);
    errno = saved_errno;
}
