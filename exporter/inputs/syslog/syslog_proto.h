/*
 * syslog_proto.h - the syslog input's decoders: pure functions over bytes
 * (no libuv, no I/O, no allocation), fuzzed alone (tests/fuzz/fuzz_syslog.c).
 *
 *  - wt_syslog_header: strips an RFC 5424 or RFC 3164 header from one
 *    message and returns views of the sending host and the message part
 *    (the access-log line; the appliance's own "Info:" prefix is left to
 *    the access-log parsers).
 *  - struct wt_syslog_framer: TCP framing per RFC 6587, octet counting
 *    ("123 <14>1 ...") or LF-terminated, chosen by the connection's first
 *    byte (a digit: octet counting; else LF), with a hard message size:
 *    a longer message is skipped whole and reported once.
 */
#ifndef WT_SYSLOG_PROTO_H
#define WT_SYSLOG_PROTO_H

#include "wt_common.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5424 section 6.2.1: PRI is 0..191 (facility 0..23, severity 0..7). */
#define WT_SYSLOG_PRI_MAX 191
/* Digits of an RFC 6587 MSG-LEN we read; more is a framing error. */
#define WT_SYSLOG_MSGLEN_DIGITS 10

/** One decoded message: views into the message given. */
struct wt_syslog_msg {
    int pri;            /* 0..191 */
    int version;        /* 1: RFC 5424; 0: RFC 3164 (BSD) */
    struct wt_str host; /* HOSTNAME; empty when absent or "-" */
    struct wt_str app;  /* APP-NAME / TAG without "[pid]:"; may be empty */
    struct wt_str body; /* MSG: the access-log line, without trailing CR/LF/NUL */
};

/**
 * Decode one syslog message (a UDP datagram or a TCP frame), trailing
 * CR, LF and NUL bytes ignored. RFC 5424 when "<PRI>1 " starts it, else RFC
 * 3164: "<PRI>" then, when present, a timestamp ("Mmm dd hh:mm:ss" or an
 * RFC 3339 one), a host name and a tag ("name:", "name[pid]:"); what
 * follows is the body. A 3164 message without a timestamp is all body
 * (RFC 3164 section 4.3.3).
 * @returns 0, or WT_EPARSE (no or bad PRI, a 5424 header cut short or with
 * bad structured data).
 */
int wt_syslog_header(const char *msg, size_t len, struct wt_syslog_msg *out);

enum wt_syslog_framing { WT_FRAMING_UNKNOWN = 0, WT_FRAMING_OCTET, WT_FRAMING_LF };

/** Per-connection framing state (embed; init with wt_syslog_framer_init). */
struct wt_syslog_framer {
    enum wt_syslog_framing mode;
    size_t max_msg;  /* longest message accepted, bytes */
    uint64_t skip;   /* octet counting: bytes of an oversized message still to skip */
    bool skip_to_lf; /* LF: skipping an oversized message up to its LF */
};

void wt_syslog_framer_init(struct wt_syslog_framer *f, size_t max_msg);

/**
 * Take the next message from the unread bytes buf[0..len) of a stream.
 * *used is always set: how many bytes the caller drops from the front
 * (frame headers, messages returned, skipped bytes).
 * @returns
 *  - 0: a message in *msg (a view into buf; LF framing: without its LF
 *    and a CR before it);
 *  - WT_EAGAIN: no complete message yet: call again when *used > 0 (bytes
 *    were skipped), else keep the rest and read more (the
 *    rest never exceeds max_msg plus the frame header);
 *  - WT_ETOOLONG: a message longer than max_msg begins here; it is skipped
 *    whole (over this and later calls) and this is its only report;
 *  - WT_EPARSE: an octet-counting frame without a valid length: the stream
 *    cannot be resynchronised (close the connection).
 */
int wt_syslog_frame_next(struct wt_syslog_framer *f, const char *buf, size_t len, size_t *used,
                         struct wt_str *msg);

#endif /* WT_SYSLOG_PROTO_H */
