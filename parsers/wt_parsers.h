/*
 * wt_parsers.h - public contract of the parsers module.
 *
 * Line formats of web-proxy access logs (WSA/Squid native and W3C), a bounded
 * line splitter, and the extraction and normalisation of the observables that
 * threat responders pivot on (ip, ipv6, domain, url, sha256).
 *
 * Everything here is pure: no I/O, no libuv, no allocation. A parsed record is
 * a set of views (struct wt_str) into the caller's line buffer; it dies when
 * that buffer is reused. Functions are reentrant; one struct wt_parser must
 * not be used from two threads at once.
 */
#ifndef WT_PARSERS_H
#define WT_PARSERS_H

#include "wt_common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Limits. Each has a config key / CLI option in the exporter.              */
/* ------------------------------------------------------------------------ */

/** Default maximum line length in bytes, without the newline (max_line). */
#define WT_LINE_MAX_DEFAULT (64 * 1024)
/** Smallest and largest settable maximum line length. */
#define WT_LINE_MAX_MIN   256
#define WT_LINE_MAX_LIMIT (16 * 1024 * 1024)
/** Fields kept from the `<...>` scan-verdict list; more are counted, not kept. */
#define WT_VERDICT_MAX 64
/** Columns of a W3C `#Fields:` layout; a longer header is rejected. */
#define WT_W3C_FIELDS_MAX 128
/** Bytes of a W3C `#Fields:` line kept by the parser (names are copied). */
#define WT_W3C_HEADER_MAX 8192
/** Observables one line can yield (client, server, destination, url, hash). */
#define WT_OBS_MAX 8
/** Scratch bytes wt_obs_extract() needs beyond the line length. */
#define WT_OBS_SCRATCH_EXTRA 1024

/* ------------------------------------------------------------------------ */
/* Views (struct wt_str and the error codes are in wt_common.h)             */
/* ------------------------------------------------------------------------ */

/** @returns true when a has exactly the bytes of the C string s. */
bool wt_str_eq(struct wt_str a, const char *s);
/** @returns true when a equals s ignoring ASCII case. */
bool wt_str_ieq(struct wt_str a, const char *s);
/** Parse an unsigned decimal (digits only) into *out. WT_EPARSE on anything else or overflow. */
int wt_str_to_u64(struct wt_str s, uint64_t *out);
/**
 * Parse `seconds[.fraction]` (up to 3 fraction digits used, more ignored)
 * into epoch milliseconds. WT_EPARSE on anything else.
 */
int wt_str_to_epoch_ms(struct wt_str s, int64_t *out_ms);

/* ------------------------------------------------------------------------ */
/* Line splitter                                                            */
/* ------------------------------------------------------------------------ */

/**
 * Splits a byte stream into lines with a hard maximum length. A line longer
 * than max_line is skipped whole (never truncated into a wrong record) and
 * counted once in too_long. CR before LF is stripped.
 */
struct wt_splitter {
    size_t max_line;   /* bytes, without the newline */
    bool skipping;     /* inside an over-long line */
    uint64_t lineno;   /* 1-based number of the last line returned or skipped */
    uint64_t too_long; /* lines skipped for length */
};

/** Initialise with a maximum line length in [WT_LINE_MAX_MIN, WT_LINE_MAX_LIMIT]. */
int wt_splitter_init(struct wt_splitter *sp, size_t max_line);

/**
 * Take the next complete line from buf[0..len).
 * @returns WT_OK (0) with *line set (a view into buf, newline and CR stripped)
 *          and *consumed = bytes used including the newline;
 *          WT_EAGAIN when buf holds no complete line: *consumed is 0, or, while
 *          an over-long line is being skipped, the bytes discarded (the caller
 *          drops them and reads more).
 * A caller whose buffer holds max_line + 1 bytes always makes progress.
 */
int wt_splitter_next(struct wt_splitter *sp, const char *buf, size_t len, size_t *consumed,
                     struct wt_str *line);

/**
 * At end of input: whatever is left (no newline) is the last line if it fits.
 * @returns WT_OK with *line, or WT_EAGAIN when nothing is left (or it was being skipped).
 */
int wt_splitter_finish(struct wt_splitter *sp, const char *buf, size_t len, struct wt_str *line);

/* ------------------------------------------------------------------------ */
/* Records                                                                  */
/* ------------------------------------------------------------------------ */

enum wt_format {
    WT_FORMAT_AUTO = 0, /* squid until a `#Fields:` line is seen, then w3c */
    WT_FORMAT_SQUID,
    WT_FORMAT_W3C,
    /* Not a line format: events already encoded (docs/events.md), as a
     * Kafka input reads them; wt_parser_init refuses it. */
    WT_FORMAT_EVENT,
};

/** Era of the `<...>` scan-verdict list, chosen by its field count. */
enum wt_layout {
    WT_LAYOUT_NONE = 0, /* no verdict list (plain Squid) */
    WT_LAYOUT_LEGACY,   /* <= 10.x: 32-41 fields, AMP SHA-256 at field 38 */
    WT_LAYOUT_MODERN,   /* >= 11.x: 42-45 fields, AMP SHA-256 at field 39 */
    WT_LAYOUT_OTHER,    /* any other count: no positional AMP fields */
};

/**
 * What the parser found the client to be, so that wt_obs_extract() need not
 * check it again. A record built by hand leaves it UNCHECKED (0): then
 * wt_obs_extract() checks the client itself, with the same outcome.
 */
enum wt_client_kind {
    WT_CLIENT_UNCHECKED = 0, /* not classified (or no client) */
    WT_CLIENT_IPV4,          /* a canonical dotted quad: its own normal form */
    WT_CLIENT_IPV6,          /* a plain IPv6 text: its 16 bytes are client_bin */
    WT_CLIENT_IP,            /* another text that wt_norm_ip() takes */
    WT_CLIENT_MASKED,        /* `10.xx.xx.xx` and the like: no observable */
};

/**
 * One parsed access-log line. Every wt_str is a view into the line given to
 * wt_parse_line(); a field that is absent or `-` has len 0. Quotes around
 * quoted values are removed (the view is the inside).
 */
struct wt_record {
    int64_t ts_ms;             /* transaction end, epoch ms */
    int64_t elapsed_ms;        /* -1 when absent */
    int64_t bytes;             /* -1 when absent */
    int status;                /* HTTP status, 0 when absent */
    struct wt_str client;      /* client address as logged (may be masked) */
    struct wt_str result;      /* result code: TCP_MISS, TCP_DENIED_SSL, ... */
    struct wt_str method;      /* GET, CONNECT, TCP_CONNECT, ... */
    struct wt_str url;         /* request target as logged */
    struct wt_str user;        /* authenticated user (sensitive: exported on request) */
    struct wt_str hier;        /* hierarchy code: DIRECT, DEFAULT_PARENT, NONE, ... */
    struct wt_str server;      /* upstream server host or IP (after the '/') */
    struct wt_str server_ip;   /* W3C s-ip */
    struct wt_str mime;        /* response MIME type, may contain "; charset=" */
    struct wt_str acl;         /* ACL decision tag with policy groups, raw */
    struct wt_str verdicts;    /* raw inside of the `<...>` list */
    struct wt_str category;    /* URL category abbreviation (verdict 1 or W3C) */
    struct wt_str wbrs;        /* WBRS score (verdict 2 or W3C) */
    struct wt_str amp_verdict; /* AMP verdict code */
    struct wt_str amp_threat;  /* AMP threat name */
    struct wt_str amp_file;    /* AMP file name */
    struct wt_str amp_sha;     /* AMP SHA-256 as logged (not validated) */
    struct wt_str ua;          /* suspect user agent */
    struct wt_str custom;      /* trailing custom fields, raw */
    enum wt_layout layout;
    enum wt_format format;           /* which parser produced it */
    enum wt_client_kind client_kind; /* set by the parsers, see above */
    unsigned char client_bin[16];    /* WT_CLIENT_IPV6: the address */
    unsigned nverdict;               /* fields in the verdict list (may exceed WT_VERDICT_MAX) */
    /* Where each kept field of the list ends, in bytes from verdicts.p (at
     * the ',' or the closing delimiter after it): read with wt_record_verdict().
     * The 64 entries past WT_VERDICT_MAX are the squid fast path's room to
     * store a 64-byte block's field ends without a bounds check each. */
    uint32_t vend[WT_VERDICT_MAX + 64];
    unsigned nfield;                        /* W3C: columns on this line */
    struct wt_str field[WT_W3C_FIELDS_MAX]; /* W3C: column values, unquoted, `-` empty */
};

/** Clear every field (views empty, numbers -1/0). */
void wt_record_clear(struct wt_record *rec);

/**
 * Field i (0-based) of a squid record's verdict list: quotes removed, `-`
 * empty, a view into the line. Empty when i >= nverdict or WT_VERDICT_MAX.
 */
struct wt_str wt_record_verdict(const struct wt_record *rec, unsigned i);

/* ------------------------------------------------------------------------ */
/* Parsers                                                                  */
/* ------------------------------------------------------------------------ */

/** A W3C `#Fields:` layout: the names (copied) and the index of known columns. */
struct wt_w3c_layout {
    unsigned n;                            /* 0: no layout yet */
    struct wt_str name[WT_W3C_FIELDS_MAX]; /* views into buf */
    int col[32];                           /* known field id -> column, -1 absent (w3c.c) */
    char buf[WT_W3C_HEADER_MAX];
};

/** Parser state for one input stream. Embeddable; no allocation. */
struct wt_parser {
    enum wt_format format; /* configured format */
    enum wt_format active; /* current: for AUTO, squid until a #Fields: line */
    struct wt_w3c_layout w3c;
};

/** A line format back end: one const instance per file (squid.c, w3c.c). */
struct wt_parser_ops {
    const char *name;
    /* Parse one line (no newline). WT_OK, WT_ESKIP (header/comment/blank) or WT_EPARSE. */
    int (*parse)(struct wt_parser *ps, const char *line, size_t len, struct wt_record *rec);
    /* Forget stream state (a new file starts). */
    void (*reset)(struct wt_parser *ps);
};

extern const struct wt_parser_ops wt_parser_squid;
extern const struct wt_parser_ops wt_parser_w3c;

/** Initialise for a stream of the given format. */
int wt_parser_init(struct wt_parser *ps, enum wt_format format);
/** Forget per-stream state (W3C layout, auto detection). */
void wt_parser_reset(struct wt_parser *ps);

/**
 * Parse one line (without its newline; a trailing CR is ignored).
 * @returns WT_OK with *rec filled (views into line), WT_ESKIP for header,
 *          comment and blank lines (a W3C `#Fields:` line updates the
 *          layout), WT_EPARSE for a malformed line (rec is then unspecified).
 */
int wt_parse_line(struct wt_parser *ps, const char *line, size_t len, struct wt_record *rec);

/**
 * Set the W3C layout from a field list ("timestamp c-ip ..."), as from a
 * `#Fields:` line without its prefix. For W3C streams shipped without header
 * (syslog). WT_ETOOLONG if it exceeds WT_W3C_HEADER_MAX or WT_W3C_FIELDS_MAX.
 */
int wt_parser_set_fields(struct wt_parser *ps, const char *fields, size_t len);

/**
 * Look up a W3C column of rec by its header name (any field, known or not).
 * @returns WT_OK with *out (possibly empty for `-`), or WT_EPARSE if the
 *          current layout has no such column or rec is not a W3C record.
 */
int wt_record_field(const struct wt_parser *ps, const struct wt_record *rec, const char *name,
                    struct wt_str *out);

/** Parse "auto" | "squid" | "w3c". WT_EPARSE otherwise. */
int wt_format_from_str(const char *s, enum wt_format *out);
const char *wt_format_name(enum wt_format f);

/* ------------------------------------------------------------------------ */
/* Observables                                                              */
/* ------------------------------------------------------------------------ */

/** CTIM observable types, in their stable output order. */
enum wt_obs_type {
    WT_OBS_IP = 0,
    WT_OBS_IPV6,
    WT_OBS_DOMAIN,
    WT_OBS_URL,
    WT_OBS_SHA256,
    WT_OBS_NTYPES
};

/** @returns the CTIM name: "ip", "ipv6", "domain", "url", "sha256". */
const char *wt_obs_type_name(enum wt_obs_type t);

struct wt_obs {
    enum wt_obs_type type;
    struct wt_str value; /* normalised; points into the set's scratch or the line */
};

struct wt_obs_opts {
    bool strip_query; /* drop `?query` from URLs */
};

/**
 * The observables of one line, plus the normalised values the event prints.
 * The caller provides scratch of at least line length + WT_OBS_SCRATCH_EXTRA
 * bytes; it is reused by every wt_obs_extract() call. A value already in
 * canonical form in the line is a view of the line instead (valid as long as
 * the record's views are).
 */
struct wt_obs_set {
    unsigned n;
    struct wt_obs item[WT_OBS_MAX]; /* de-duplicated, ordered ip/ipv6, domain, url, sha256 */
    struct wt_str client_ip;        /* canonical client address, empty if masked/invalid */
    struct wt_str server_ip;        /* canonical upstream server address, if known */
    struct wt_str domain;           /* normalised destination domain, if any */
    struct wt_str url;              /* normalised URL, if the target is a URL */
    struct wt_str sha256;           /* normalised SHA-256, if valid */
    char *scratch;
    size_t scratch_cap;
    size_t scratch_used;
};

/** Attach scratch memory (owned by the caller) to a set. */
void wt_obs_set_init(struct wt_obs_set *os, char *scratch, size_t cap);

/**
 * Extract and normalise the observables of rec into os (cleared first).
 * @returns WT_OK, or WT_EFULL if scratch is too small (os then holds what fit).
 */
int wt_obs_extract(const struct wt_record *rec, const struct wt_obs_opts *opts,
                   struct wt_obs_set *os);

/*
 * Normalisers. Each writes the canonical form into out (cap bytes, not
 * NUL-terminated) and returns its length, or WT_EPARSE if in is not a valid
 * value of that type, or WT_EFULL if cap is too small. Bytes of out past the
 * returned length (within cap) may be overwritten, also on an error; out
 * must not overlap in.
 */

/** IPv4 or IPv6 (optionally in [brackets]) -> inet_ntop form; *type gets IP or IPV6. */
int wt_norm_ip(struct wt_str in, char *out, size_t cap, enum wt_obs_type *type);
/** A binary address (len 4 or 16) in inet_ntop's text form, without its sprintf. out needs 46
 * bytes; no NUL is written. @returns the length (0 for another len). */
size_t wt_ip_text(const unsigned char *bin, size_t len, char *out);
/** Host name -> lower-case, no trailing dot; rejects IPs and invalid names. */
int wt_norm_domain(struct wt_str in, char *out, size_t cap);
/** http(s)/ftp URL -> scheme and host lower-case, default port and fragment dropped. */
int wt_norm_url(struct wt_str in, bool strip_query, char *out, size_t cap);
/** Exactly 64 hex digits -> lower case. */
int wt_norm_sha256(struct wt_str in, char *out, size_t cap);

/**
 * Split a request target into host and port: "http://h:p/x" -> h, p;
 * "tunnel://h:p/" -> h, p; "h:p" (transparent TCP_CONNECT) -> h, p;
 * "[v6]:p" -> v6. Port is empty when absent. WT_EPARSE if there is no host.
 */
int wt_target_host(struct wt_str target, struct wt_str *host, struct wt_str *port);

#endif /* WT_PARSERS_H */
