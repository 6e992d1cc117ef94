/*
 * sse_cli.c - the command line of wt-sse-server: long options only, sizes
 * with K/M/G suffixes, and the --script fault list.
 */
#include "sse_server.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: " WT_SSESRV_PROG " [options]\n"
          "Local SSE event-ingest server (docs/sse-protocol.md) with fault injection.\n"
          "\n"
          "  --listen HOST:PORT       address (default 127.0.0.1:0; port 0 = ephemeral)\n"
          "  --port-file FILE         write the bound port (PORT\\n) atomically once listening\n"
          "  --token TOKEN            registration token\n"
          "  --token-file FILE        registration token from the file's first line\n"
          "  --credential CRED        also accept this Bearer credential (no registration)\n"
          "  --base-path PATH         prefix of the /v1 paths (default none)\n"
          "  --events-out FILE        append every accepted event line (NDJSON)\n"
          "  --state FILE             keep devices in FILE and accepted keys in FILE.keys\n"
          "  --log FILE               request log (default stderr)\n"
          "  --quiet                  no request log on stderr\n"
          "  --tls-cert FILE          serve HTTPS with this PEM certificate (chain)...\n"
          "  --tls-key FILE           ...and this PEM private key\n"
          "  --script LIST            faults for successive POST /v1/events, comma separated:\n"
          "                           NNN[:S] (2xx = normal; S = Retry-After), reset, close,\n"
          "                           cut, hang, hang:S\n"
          "  --retry-after-date       Retry-After as an HTTP-date instead of seconds\n"
          "  --rate MBPS              processing rate: wait NDJSON bytes / (MBPS * 10^6) s\n"
          "  --latency MS             extra latency before every events answer\n"
          "  --max-body BYTES         larger uploads get 413 (default 32M)\n"
          "  --max-events-bytes BYTES larger decompressed batches get 413 (default 256M)\n"
          "  --max-keys N             Idempotency-Keys remembered (default 1000000)\n"
          "  --fail-auth-once         the first events request with a valid credential gets 401\n"
          "  --ctia-client-id ID      serve the CTIA endpoints (token, bundle import) for this\n"
          "                           API client...\n"
          "  --ctia-secret-file FILE  ...whose secret is the file's first line\n"
          "  --ctia-out FILE          append every sighting created (NDJSON)\n"
          "  --ctia-token-ttl S       seconds an access token lives (default 600)\n"
          "  --bench                  store batches without validating each line (events are\n"
          "                           counted as lines): benchmarks of the client\n"
          "  --help                   this text\n"
          "BYTES take an optional K, M or G suffix (powers of 1024).\n",
          out);
}

/* Decimal with an optional K/M/G suffix; false if malformed or zero. */
static bool parse_size(const char *v, size_t *out)
{
    char *end;

    errno = 0;
    if (v[0] < '0' || v[0] > '9')
        return false;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift != 0)
        end++;
    if (errno != 0 || *end != '\0' || n == 0 || n > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)(n << shift);
    return true;
}

static bool parse_ulong(const char *v, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    if (v[0] < '0' || v[0] > '9')
        return false;
    unsigned long n = strtoul(v, &end, 10);
    if (errno != 0 || *end != '\0' || n > max)
        return false;
    *out = n;
    return true;
}

/* One script item into *st. false if malformed. */
static bool parse_step(const char *item, struct wt_ssesrv_step *st)
{
    char word[32];
    const char *colon = strchr(item, ':');
    size_t wl = colon != NULL ? (size_t)(colon - item) : strlen(item);
    unsigned long arg = 0;

    if (wl == 0 || wl >= sizeof(word))
        return false;
    memcpy(word, item, wl);
    word[wl] = '\0';
    if (colon != NULL && !parse_ulong(colon + 1, 86400, &arg))
        return false;
    *st = (struct wt_ssesrv_step){WT_SSESRV_PASS, 0, colon != NULL ? (long)arg : -1};
    if (strcmp(word, "hang") == 0) {
        st->act = WT_SSESRV_HANG;
        return true;
    }
    if (colon != NULL)
        return false; /* reset, close, cut take no argument */
    if (strcmp(word, "reset") == 0)
        st->act = WT_SSESRV_RESET;
    else if (strcmp(word, "close") == 0)
        st->act = WT_SSESRV_CLOSE;
    else if (strcmp(word, "cut") == 0)
        st->act = WT_SSESRV_CUT;
    else
        return false;
    return true;
}

/* "202,503:1,reset,..." into o->script. false (with a message) if malformed. */
static bool parse_script(struct wt_ssesrv_opts *o, const char *list)
{
    char *copy = strdup(list);
    char *save = NULL;
    bool ok = copy != NULL;

    o->script = calloc(WT_SSESRV_MAX_SCRIPT, sizeof(*o->script));
    ok = ok && o->script != NULL;
    for (char *it = ok ? strtok_r(copy, ",", &save) : NULL; ok && it != NULL;
         it = strtok_r(NULL, ",", &save)) {
        it += strspn(it, " \t");
        it[strcspn(it, " \t")] = '\0';
        struct wt_ssesrv_step st;
        unsigned long code;
        const char *colon = strchr(it, ':');
        char num[8];
        size_t nl = colon != NULL ? (size_t)(colon - it) : strlen(it);
        if (nl > 0 && nl < sizeof(num) && strspn(it, "0123456789") == nl) {
            memcpy(num, it, nl);
            num[nl] = '\0';
            unsigned long ra = 0;
            ok = parse_ulong(num, 599, &code) && code >= 200 &&
                 (colon == NULL || parse_ulong(colon + 1, 86400, &ra)) &&
                 !(code < 300 && colon != NULL);
            st = (struct wt_ssesrv_step){code < 300 ? WT_SSESRV_PASS : WT_SSESRV_STATUS, (int)code,
                                         colon != NULL ? (long)ra : -1};
        } else {
            ok = parse_step(it, &st);
        }
        if (!ok) {
            fprintf(stderr, WT_SSESRV_PROG ": --script: bad item \"%s\"\n", it);
            break;
        }
        if (o->nscript >= WT_SSESRV_MAX_SCRIPT) {
            fprintf(stderr, WT_SSESRV_PROG ": --script: more than %u items\n",
                    WT_SSESRV_MAX_SCRIPT);
            ok = false;
            break;
        }
        o->script[o->nscript++] = st;
    }
    free(copy);
    return ok;
}

enum {
    OPT_LISTEN = 256,
    OPT_PORT_FILE,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_CREDENTIAL,
    OPT_BASE_PATH,
    OPT_EVENTS_OUT,
    OPT_STATE,
    OPT_LOG,
    OPT_QUIET,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_SCRIPT,
    OPT_RETRY_AFTER_DATE,
    OPT_RATE,
    OPT_LATENCY,
    OPT_MAX_BODY,
    OPT_MAX_EVENTS_BYTES,
    OPT_MAX_KEYS,
    OPT_FAIL_AUTH_ONCE,
    OPT_CTIA_CLIENT_ID,
    OPT_CTIA_SECRET_FILE,
    OPT_CTIA_OUT,
    OPT_CTIA_TOKEN_TTL,
    OPT_BENCH,
    OPT_HELP,
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"credential", required_argument, NULL, OPT_CREDENTIAL},
    {"base-path", required_argument, NULL, OPT_BASE_PATH},
    {"events-out", required_argument, NULL, OPT_EVENTS_OUT},
    {"state", required_argument, NULL, OPT_STATE},
    {"log", required_argument, NULL, OPT_LOG},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"script", required_argument, NULL, OPT_SCRIPT},
    {"retry-after-date", no_argument, NULL, OPT_RETRY_AFTER_DATE},
    {"rate", required_argument, NULL, OPT_RATE},
    {"latency", required_argument, NULL, OPT_LATENCY},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"max-events-bytes", required_argument, NULL, OPT_MAX_EVENTS_BYTES},
    {"max-keys", required_argument, NULL, OPT_MAX_KEYS},
    {"fail-auth-once", no_argument, NULL, OPT_FAIL_AUTH_ONCE},
    {"ctia-client-id", required_argument, NULL, OPT_CTIA_CLIENT_ID},
    {"ctia-secret-file", required_argument, NULL, OPT_CTIA_SECRET_FILE},
    {"ctia-out", required_argument, NULL, OPT_CTIA_OUT},
    {"ctia-token-ttl", required_argument, NULL, OPT_CTIA_TOKEN_TTL},
    {"bench", no_argument, NULL, OPT_BENCH},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char *opt_name(int opt)
{
    for (const struct option *lo = long_opts; lo->name != NULL; lo++) {
        if (lo->val == opt)
            return lo->name;
    }
    return "?";
}

/* 0: run; -1: --help given; 2: usage error (message printed). */
int wt_ssesrv_opts_parse(struct wt_ssesrv_opts *o, int argc, char **argv)
{
    int opt;
    char *end;

    *o = (struct wt_ssesrv_opts){.listen = WT_SSESRV_DEFAULT_LISTEN,
                                 .base_path = "",
                                 .max_body = WT_SSESRV_DEFAULT_MAX_BODY,
                                 .max_events_bytes = WT_SSESRV_DEFAULT_MAX_EVENTS_BYTES,
                                 .max_keys = WT_SSESRV_DEFAULT_MAX_KEYS};
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        bool ok = true;
        switch (opt) {
        case OPT_LISTEN:
            o->listen = optarg;
            break;
        case OPT_PORT_FILE:
            o->port_file = optarg;
            break;
        case OPT_TOKEN:
            o->token = optarg;
            break;
        case OPT_TOKEN_FILE:
            o->token_file = optarg;
            break;
        case OPT_CREDENTIAL:
            o->credential = optarg;
            break;
        case OPT_BASE_PATH:
            o->base_path = optarg;
            break;
        case OPT_EVENTS_OUT:
            o->events_out = optarg;
            break;
        case OPT_STATE:
            o->state = optarg;
            break;
        case OPT_LOG:
            o->log = optarg;
            break;
        case OPT_QUIET:
            o->quiet = true;
            break;
        case OPT_TLS_CERT:
            o->tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            o->tls_key = optarg;
            break;
        case OPT_SCRIPT:
            o->script_arg = optarg;
            break;
        case OPT_RETRY_AFTER_DATE:
            o->retry_after_date = true;
            break;
        case OPT_FAIL_AUTH_ONCE:
            o->fail_auth_once = true;
            break;
        case OPT_CTIA_CLIENT_ID:
            o->ctia_client_id = optarg;
            break;
        case OPT_CTIA_SECRET_FILE:
            o->ctia_secret_file = optarg;
            break;
        case OPT_CTIA_OUT:
            o->ctia_out = optarg;
            break;
        case OPT_CTIA_TOKEN_TTL:
            ok = parse_ulong(optarg, 86400, &o->ctia_token_ttl) && o->ctia_token_ttl > 0;
            break;
        case OPT_BENCH:
            o->bench = true;
            break;
        case OPT_RATE:
            errno = 0;
            o->rate_mbps = strtod(optarg, &end);
            ok = errno == 0 && *end == '\0' && end != optarg && o->rate_mbps > 0 &&
                 o->rate_mbps < 1e9;
            break;
        case OPT_LATENCY:
            ok = parse_ulong(optarg, 3600000, &o->latency_ms);
            break;
        case OPT_MAX_BODY:
            ok = parse_size(optarg, &o->max_body);
            break;
        case OPT_MAX_EVENTS_BYTES:
            ok = parse_size(optarg, &o->max_events_bytes);
            break;
        case OPT_MAX_KEYS:
            ok = parse_size(optarg, &o->max_keys);
            break;
        case OPT_HELP:
            usage(stdout);
            return -1;
        default:
            fprintf(stderr, WT_SSESRV_PROG ": unknown option or missing value: %s (see --help)\n",
                    argv[optind - 1]);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, WT_SSESRV_PROG ": bad value for --%s: %s\n", opt_name(opt), optarg);
            return 2;
        }
    }
    const char *why = NULL;
    if (optind < argc)
        why = "unexpected argument";
    else if ((o->tls_cert == NULL) != (o->tls_key == NULL))
        why = "--tls-cert and --tls-key go together";
    else if (o->token != NULL && o->token_file != NULL)
        why = "--token and --token-file are exclusive";
    else if (o->base_path[0] != '\0' && o->base_path[0] != '/')
        why = "--base-path must start with /";
    if (why != NULL) {
        fprintf(stderr, WT_SSESRV_PROG ": %s%s%s\n", why, optind < argc ? ": " : "",
                optind < argc ? argv[optind] : "");
        return 2;
    }
    o->base_len = strlen(o->base_path);
    while (o->base_len > 0 && o->base_path[o->base_len - 1] == '/')
        o->base_len--;
    if (o->script_arg != NULL && !parse_script(o, o->script_arg))
        return 2;
    return 0;
}

void wt_ssesrv_opts_close(struct wt_ssesrv_opts *o)
{
    free(o->script);
    o->script = NULL;
    o->nscript = 0;
}
