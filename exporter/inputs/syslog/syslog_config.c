/*
 * syslog_config.c - the syslog input's keys, its rules across keys and
 * inputs, and its entry in the input registry (input_type.c).
 */
#include "syslog_int.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static_assert(WT_SYSLOG_MAX_MSG_MIN <= WT_SYSLOG_MAX_MSG_DEFAULT &&
                  WT_SYSLOG_MAX_MSG_DEFAULT <= WT_SYSLOG_MAX_MSG_LIMIT,
              "syslog max_message");
static_assert(WT_SYSLOG_IDLE_MIN_MS <= WT_SYSLOG_IDLE_DEFAULT_MS &&
                  WT_SYSLOG_IDLE_DEFAULT_MS <= WT_SYSLOG_IDLE_MAX_MS,
              "syslog idle_timeout");
static_assert(WT_SYSLOG_SWEEP_MS <= WT_SYSLOG_IDLE_MIN_MS, "idle sweep finer than the timeout");

#define SYSO(m) offsetof(struct wt_syslog_opts, m)

int wt__syslog_listen_parse(const char *url, enum wt_syslog_proto *proto, char *host,
                            size_t hostcap, uint16_t *port)
{
    static const struct {
        const char *scheme;
        enum wt_syslog_proto proto;
    } schemes[] = {{"udp://", WT_SYSLOG_UDP}, {"tcp://", WT_SYSLOG_TCP}, {"tls://", WT_SYSLOG_TLS}};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i].scheme);
        if (strncmp(url, schemes[i].scheme, n) == 0) {
            *proto = schemes[i].proto;
            return wt_hostport_parse(url + n, host, hostcap, port);
        }
    }
    return WT_EPARSE;
}

static bool check_listen_url(const char *v)
{
    enum wt_syslog_proto proto;
    char host[256];
    uint16_t port;
    return wt__syslog_listen_parse(v, &proto, host, sizeof(host), &port) == 0;
}

static const struct wt_cfg_key syslog_key_table[] = {
    {.name = "listen",
     .type = K_STR,
     .store = S_STR,
     .off = SYSO(listen),
     .flags = F_REQUIRED,
     .check = check_listen_url,
     .want = "\"udp://ADDR:PORT\", \"tcp://ADDR:PORT\" or \"tls://ADDR:PORT\" (an IPv6 address "
             "in brackets)",
     .doc = "Transport and address to receive syslog on: udp (RFC 5426), tcp (RFC 6587: octet "
            "counting or LF-terminated, detected per connection) or tls (RFC 5425). See "
            "docs/syslog.md for which to choose and what a crash can lose on each.",
     .example = "\"tcp://0.0.0.0:6514\""},
    {.name = "rcvbuf",
     .type = K_SIZE,
     .store = S_SIZE,
     .off = SYSO(rcvbuf),
     .min = 0,
     .max = WT_SYSLOG_RCVBUF_LIMIT,
     .def = 0,
     .def_doc = "`0`: the kernel's default (net.core.rmem_default)",
     .doc = "Socket receive buffer (SO_RCVBUF; the kernel caps it at net.core.rmem_max). A "
            "larger one lets UDP ride out bursts: datagrams that overflow it are dropped by "
            "the kernel and counted (wtexport_syslog_dropped_total{reason=\"kernel\"}).",
     .example = "\"8MiB\""},
    {.name = "max_connections",
     .type = K_INT,
     .store = S_INT,
     .off = SYSO(max_connections),
     .min = 1,
     .max = WT_SYSLOG_MAX_CONN_LIMIT,
     .def = WT_SYSLOG_MAX_CONN_DEFAULT,
     .doc = "tcp, tls: connections at once; further ones are closed at once and counted.",
     .example = "1024"},
    {.name = "max_message",
     .type = K_SIZE,
     .store = S_SIZE,
     .off = SYSO(max_message),
     .min = WT_SYSLOG_MAX_MSG_MIN,
     .max = WT_SYSLOG_MAX_MSG_LIMIT,
     .def = WT_SYSLOG_MAX_MSG_DEFAULT,
     .doc = "Longest syslog message accepted, header included. Longer ones are dropped whole "
            "and counted (wtexport_syslog_oversize_total), never truncated.",
     .example = "\"256KiB\""},
    {.name = "idle_timeout",
     .type = K_DUR,
     .store = S_I64,
     .off = SYSO(idle_timeout_ms),
     .min = WT_SYSLOG_IDLE_MIN_MS,
     .max = WT_SYSLOG_IDLE_MAX_MS,
     .def = WT_SYSLOG_IDLE_DEFAULT_MS,
     .doc = "tcp, tls: a connection that sends nothing for this long is closed (time paused "
            "by a full queue does not count).",
     .example = "\"1h\""},
    {.name = "tls_cert_file",
     .type = K_STR,
     .store = S_STR,
     .off = SYSO(tls_cert_file),
     .def_doc = "none",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "tls: the server's certificate chain (PEM). Required with tls://.",
     .example = "\"/etc/wtexport/syslog.crt\""},
    {.name = "tls_key_file",
     .type = K_STR,
     .store = S_STR,
     .off = SYSO(tls_key_file),
     .def_doc = "none",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "tls: the private key of tls_cert_file (PEM). Required with tls://.",
     .example = "\"/etc/wtexport/syslog.key\""},
    {.name = "tls_ca_file",
     .type = K_STR,
     .store = S_STR,
     .off = SYSO(tls_ca_file),
     .def_doc = "none: clients are not asked for a certificate",
     .check = wt_cfg_check_abs_path,
     .want = "an absolute path",
     .doc = "tls: CA certificates (PEM); when set, every client must present a certificate "
            "signed by one of them, or the handshake fails (counted).",
     .example = "\"/etc/wtexport/syslog-clients-ca.crt\""},
};

static const struct wt_cfg_obj syslog_keys = {
    .title = "`type: \"syslog\"`",
    .doc = "Access-log lines pushed by syslog (the appliance's \"Syslog Push\" log "
           "subscription, rsyslog, syslog-ng): the RFC 5424 or RFC 3164 header is stripped, the "
           "message part is parsed per `format`, the sender is recorded in `syslog_host`. A "
           "reload does not change a running listener: restart to change these keys.",
    .keys = syslog_key_table,
    .nkeys = WT_CFG_NKEYS(syslog_key_table),
    .size = sizeof(struct wt_syslog_opts),
};

/* TLS files only with tls://, and then cert and key; one listener per address. */
static void syslog_check(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i)
{
    const struct wt_syslog_opts *o = cfg->inputs[i].opts;
    char kp[WT_CFG_PATH_MAX], host[256];
    enum wt_syslog_proto proto;
    uint16_t port;

    wt_input_check_line_format(c, cfg, i);
    if (!o->listen || wt__syslog_listen_parse(o->listen, &proto, host, sizeof(host), &port))
        return; /* the listen key's own error */
    if (proto == WT_SYSLOG_TLS) {
        if (!o->tls_cert_file && !wt_cfg_failed(c, &o->tls_cert_file)) {
            snprintf(kp, sizeof(kp), "inputs[%zu].tls_cert_file", i);
            wt_cfg_error(c, kp, "required with a tls:// listen address");
        }
        if (!o->tls_key_file && !wt_cfg_failed(c, &o->tls_key_file)) {
            snprintf(kp, sizeof(kp), "inputs[%zu].tls_key_file", i);
            wt_cfg_error(c, kp, "required with a tls:// listen address");
        }
    } else {
        const char *const names[] = {"tls_cert_file", "tls_key_file", "tls_ca_file"};
        const char *const vals[] = {o->tls_cert_file, o->tls_key_file, o->tls_ca_file};
        for (size_t k = 0; k < 3; k++) {
            if (vals[k]) {
                snprintf(kp, sizeof(kp), "inputs[%zu].%s", i, names[k]);
                wt_cfg_error(c, kp, "only with a tls:// listen address");
            }
        }
    }
    for (size_t j = 0; j < i; j++) {
        const struct wt_syslog_opts *oj = cfg->inputs[j].opts;
        if (cfg->inputs[j].type == cfg->inputs[i].type && oj && oj->listen &&
            strcmp(oj->listen, o->listen) == 0) {
            snprintf(kp, sizeof(kp), "inputs[%zu].listen", i);
            wt_cfg_error(c, kp, "same as inputs[%zu].listen", j);
            break;
        }
    }
}

const struct wt_input_type wt_input_syslog_type = {
    .name = "syslog",
    .keys = &syslog_keys,
    .check = syslog_check,
    .ops = &wt__syslog_ops,
};
