/*
 * syslog_int.h - what the syslog input's files share: its options and
 * limits, the listen-URL parser, and its operations. Not for use outside
 * exporter/inputs/syslog/.
 */
#ifndef WT_SYSLOG_INT_H
#define WT_SYSLOG_INT_H

#include "input_type.h"

#include <stdint.h>

/* Limits: each has a key (syslog_config.c). */
#define WT_SYSLOG_MAX_CONN_DEFAULT 256
#define WT_SYSLOG_MAX_CONN_LIMIT   65536
#define WT_SYSLOG_MAX_MSG_DEFAULT  (64 * 1024)
#define WT_SYSLOG_MAX_MSG_MIN      480 /* RFC 5424 6.1: every receiver takes 480 octets */
#define WT_SYSLOG_MAX_MSG_LIMIT    (16 * 1024 * 1024)
#define WT_SYSLOG_IDLE_DEFAULT_MS  (5 * 60 * 1000)
#define WT_SYSLOG_IDLE_MIN_MS      1000
#define WT_SYSLOG_IDLE_MAX_MS      (24LL * 3600 * 1000)
#define WT_SYSLOG_RCVBUF_LIMIT     (256 * 1024 * 1024)
/* Datagrams read per loop turn (recvmmsg batches), as libuv caps stream reads. */
#define WT_SYSLOG_UDP_BATCH    32
#define WT_SYSLOG_UDP_PER_TURN 128
/* Ciphertext read from a TLS socket at once. */
#define WT_SYSLOG_TLS_READ (16 * 1024)
/* How often idle connections and the kernel's UDP drop counter are looked at. */
#define WT_SYSLOG_SWEEP_MS 1000

enum wt_syslog_proto { WT_SYSLOG_UDP, WT_SYSLOG_TCP, WT_SYSLOG_TLS };

/** A syslog input's own keys (wt_input_cfg.opts of type "syslog"). */
struct wt_syslog_opts {
    char *listen; /* "udp://ADDR:PORT", "tcp://...", "tls://..." */
    size_t rcvbuf;
    int max_connections;
    size_t max_message;
    int64_t idle_timeout_ms;
    char *tls_cert_file, *tls_key_file, *tls_ca_file;
};

/**
 * Split a listen URL into its transport, host (IPv6 without brackets) and
 * port. @returns 0 or WT_EPARSE.
 */
int wt__syslog_listen_parse(const char *url, enum wt_syslog_proto *proto, char *host,
                            size_t hostcap, uint16_t *port);

extern const struct wt_input_ops wt__syslog_ops;

#endif /* WT_SYSLOG_INT_H */
