/*
 * sse_cmd.c - the sse sink's commands, `wtexport register` and
 * `deregister` (the SSE device registration of a configured sse sink), and
 * its part of `wtexport status` (wt__sse_status: the registration).
 *
 *   register -c FILE --token-file PATH|- [--sink NAME]
 *       exchange the registration token (first line of PATH, or of stdin
 *       with "-"; never an argument, so it is not in ps or shell history)
 *       for a device id and credential: POST {base}/v1/devices; both go to
 *       <state_dir>/sse-<name>.json (0600). Refused when the sink is
 *       registered already (to another region or not): deregister first.
 *   deregister -c FILE [--sink NAME] [--force]
 *       DELETE {base}/v1/devices/{id} at the endpoint the device was
 *       registered with, then remove the file. --force removes the file
 *       even when the server cannot be reached or refuses the credential.
 *
 * Exit: 0 done; 1 refused, unreachable; 2 usage or configuration error.
 * Blocking calls only: no loop here. Neither the token nor the credential
 * is ever printed.
 */
#include "config.h"
#include "sink.h"
#include "sse_int.h"
#include "wt_exporter.h"
#include "wt_common.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct reg_args {
    const char *cfg_path;
    const char *token_file;
    const char *sink;
    bool force;
};

static const char register_usage[] =
    "usage: wtexport register -c FILE --token-file PATH|- [--sink NAME]\n"
    "\n"
    "Register an sse sink of the config with SSE: the registration token (from\n"
    "the SecureX / SSE portal) is read from the first line of PATH, or of stdin\n"
    "with '-', and exchanged for a device id and credential, stored in\n"
    "<state_dir>/sse-<sink>.json (mode 0600). --sink picks one of several sse sinks.\n";

static const char deregister_usage[] =
    "usage: wtexport deregister -c FILE [--sink NAME] [--force]\n"
    "\n"
    "Remove the SSE registration of an sse sink: the device is deleted at the\n"
    "endpoint it was registered with, then the credential file. --force removes\n"
    "the credential file even if the server cannot be reached or refuses it.\n";

/* Parse the options of both commands. 0, or an exit code. */
static int parse_args(int argc, char **argv, const char *usage, bool want_token, bool want_force,
                      struct reg_args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"token-file", required_argument, NULL, 't'},
        {"sink", required_argument, NULL, 's'},   {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int o;
    /* getopt_long takes any unambiguous prefix: "--token SECRET" would be read as
     * --token-file SECRET and the secret printed in the error. Only the full
     * option name is accepted. */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--t", 3) == 0 && strcmp(argv[i], "--token-file") != 0 &&
            strncmp(argv[i], "--token-file=", 13) != 0) {
            fprintf(stderr, "wtexport: the registration token is never an argument: use "
                            "--token-file PATH, or --token-file - for stdin\n");
            return WT_EXIT_USAGE;
        }
    }
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (o) {
        case 'c':
            a->cfg_path = optarg;
            break;
        case 't':
            if (!want_token)
                goto bad;
            a->token_file = optarg;
            break;
        case 's':
            a->sink = optarg;
            break;
        case 'f':
            if (!want_force)
                goto bad;
            a->force = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return -WT_EXIT_OK - 1;
        default:
            goto bad;
        }
    }
    if (!a->cfg_path || optind != argc || (want_token && !a->token_file))
        goto bad;
    return 0;
bad:
    fputs(usage, stderr);
    return WT_EXIT_USAGE;
}

/* The sse sink named name, or the only one. NULL with a message printed. */
static const struct wt_sink_cfg *pick_sink(const struct wt_config *cfg, const char *path,
                                           const char *name)
{
    const struct wt_sink_cfg *found = NULL;
    size_t n = 0;
    for (size_t i = 0; i < cfg->nsinks; i++) {
        const struct wt_sink_cfg *sc = &cfg->sinks[i];
        if (name && strcmp(sc->name, name) == 0) {
            if (sc->type != &wt_sink_sse_type) {
                fprintf(stderr, "wtexport: %s: sink %s is not of type sse\n", path, name);
                return NULL;
            }
            return sc;
        }
        if (sc->type == &wt_sink_sse_type) {
            found = sc;
            n++;
        }
    }
    if (name) {
        fprintf(stderr, "wtexport: %s: no sink named %s\n", path, name);
        return NULL;
    }
    if (n == 0) {
        fprintf(stderr, "wtexport: %s: no sink of type sse\n", path);
        return NULL;
    }
    if (n > 1) {
        fprintf(stderr, "wtexport: %s: %zu sse sinks: choose one with --sink NAME\n", path, n);
        return NULL;
    }
    return found;
}

/*
 * What register and deregister both start with: the options, the config and
 * the sse sink they act on. @returns 0 with *cfg loaded (the caller frees
 * it) and *sc set, -1 after --help, or an exit code.
 */
static int setup(int argc, char **argv, const char *usage, bool want_token, bool want_force,
                 struct reg_args *a, struct wt_config *cfg, const struct wt_sink_cfg **sc)
{
    int ex = parse_args(argc, argv, usage, want_token, want_force, a);
    if (ex != 0)
        return ex;
    ex = wt_cmd_load_config(a->cfg_path, cfg);
    if (ex != 0)
        return ex;
    *sc = pick_sink(cfg, a->cfg_path, a->sink);
    if (!*sc) {
        wt_config_free(cfg);
        return WT_EXIT_USAGE;
    }
    return 0;
}

/* The registration token: the first line of path ("-": stdin), trimmed. */
static int read_token(const char *path, char *tok, size_t cap)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "wtexport: token file %s: %s\n", path, strerror(errno));
        return WT_EXIT_FAIL;
    }
    size_t len = 0;
    while (len + 1 < cap) {
        ssize_t r = read(fd, tok + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        if (memchr(tok, '\n', len))
            break;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    tok[len] = '\0';
    tok[strcspn(tok, "\r\n")] = '\0';
    char *s = tok + strspn(tok, " \t");
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    memmove(tok, s, n);
    explicit_bzero(tok + n, cap - n);
    if (n == 0) {
        fprintf(stderr, "wtexport: no registration token in %s\n",
                strcmp(path, "-") == 0 ? "stdin" : path);
        return WT_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)tok[i] < ' ' || (unsigned char)tok[i] >= 0x7f) {
            explicit_bzero(tok, cap);
            fprintf(stderr, "wtexport: the registration token must be printable ASCII\n");
            return WT_EXIT_FAIL;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* register                                                                 */
/* ------------------------------------------------------------------------ */

static int cmd_register(int argc, char **argv)
{
    struct reg_args a = {0};
    struct wt_config cfg;
    struct wt__sse_cred c;
    char err[1024], base[WT_HTTP_URL_MAX + 1], where[WT_HTTP_URL_MAX + 16];
    char tok[WT_SSE_TOKEN_MAX + 2];

    const struct wt_sink_cfg *sc;
    int ex = setup(argc, argv, register_usage, true, false, &a, &cfg, &sc);
    if (ex != 0)
        return ex < 0 ? WT_EXIT_OK : ex;
    const struct wt_sse_opts *o = sc->opts;
    int rc = wt__sse_cred_load(o->cred_file, &c, err, sizeof(err));
    if (rc == 0) {
        bool same = wt__sse_cred_matches(&c, o);
        fprintf(stderr,
                "wtexport: sink %s is already registered%s with %s (device %s): deregister "
                "first: wtexport deregister -c %s%s%s\n",
                sc->name, same ? "" : " to another endpoint",
                wt__sse_cred_where(&c, where, sizeof(where)), c.device_id, a.cfg_path,
                a.sink ? " --sink " : "", a.sink ? a.sink : "");
        wt__sse_cred_wipe(&c);
        wt_config_free(&cfg);
        return WT_EXIT_FAIL;
    }
    if (rc != -ENOENT) {
        fprintf(stderr, "wtexport: %s (remove it or run deregister --force)\n", err);
        wt_config_free(&cfg);
        return WT_EXIT_FAIL;
    }
    /* Where the credential goes must work before a device is created for it. */
    rc = wt_mkdir_p(cfg.state_dir);
    if (rc != 0) {
        fprintf(stderr, "wtexport: state_dir %s: %s\n", cfg.state_dir, wt_strerror(rc));
        wt_config_free(&cfg);
        return WT_EXIT_FAIL;
    }
    ex = read_token(a.token_file, tok, sizeof(tok));
    if (ex != 0) {
        wt_config_free(&cfg);
        return ex;
    }
    wt__sse_base_url(o, base, sizeof(base));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc =
        wt__sse_register(base, o->http.ca_file, o->http.proxy, tok, cfg.host, &c, err, sizeof(err));
    explicit_bzero(tok, sizeof(tok));
    if (rc == 0) {
        if (o->region)
            snprintf(c.region, sizeof(c.region), "%s", o->region);
        else
            snprintf(c.url, sizeof(c.url), "%s", base);
        rc = wt__sse_cred_save(o->cred_file, &c, err, sizeof(err));
        if (rc != 0)
            fprintf(stderr,
                    "wtexport: registered as device %s, but storing the credential failed: %s "
                    "(the device stays registered at the server)\n",
                    c.device_id, err);
        else
            printf("sink %s: registered with %s (%s) as device %s; credential in %s (mode "
                   "0600)\n",
                   sc->name, wt__sse_cred_where(&c, where, sizeof(where)), base, c.device_id,
                   o->cred_file);
    } else {
        fprintf(stderr, "wtexport: sink %s: %s\n", sc->name, err);
    }
    wt__sse_cred_wipe(&c);
    curl_global_cleanup();
    wt_config_free(&cfg);
    return rc == 0 ? WT_EXIT_OK : WT_EXIT_FAIL;
}

/* ------------------------------------------------------------------------ */
/* deregister                                                               */
/* ------------------------------------------------------------------------ */

static int cmd_deregister(int argc, char **argv)
{
    struct reg_args a = {0};
    struct wt_config cfg;
    struct wt__sse_cred c;
    char err[1024], where[WT_HTTP_URL_MAX + 16];

    const struct wt_sink_cfg *sc;
    int ex = setup(argc, argv, deregister_usage, false, true, &a, &cfg, &sc);
    if (ex != 0)
        return ex < 0 ? WT_EXIT_OK : ex;
    const struct wt_sse_opts *o = sc->opts;
    int rc = wt__sse_cred_load(o->cred_file, &c, err, sizeof(err));
    if (rc == -ENOENT) {
        printf("sink %s: not registered (no %s): nothing to do\n", sc->name, o->cred_file);
        wt_config_free(&cfg);
        return WT_EXIT_OK;
    }
    if (rc != 0) {
        if (a.force && unlink(o->cred_file) == 0) {
            printf("sink %s: removed the damaged %s (--force)\n", sc->name, o->cred_file);
            wt_config_free(&cfg);
            return WT_EXIT_OK;
        }
        fprintf(stderr, "wtexport: %s (--force removes it)\n", err);
        wt_config_free(&cfg);
        return WT_EXIT_FAIL;
    }
    /* The device lives where it was registered, whatever the config says now. */
    const char *base = c.region[0] ? wt__sse_region_url(c.region) : c.url;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = wt__sse_deregister(base, o->http.ca_file, o->http.proxy, &c, err, sizeof(err));
    bool remove = rc == 0 || rc == -ENOENT || a.force;
    if (rc == -ENOENT)
        fprintf(stderr,
                "wtexport: sink %s: the server does not know device %s (%s): removing "
                "the local registration\n",
                sc->name, c.device_id, err);
    else if (rc != 0)
        fprintf(stderr, "wtexport: sink %s: %s%s\n", sc->name, err,
                a.force ? "; removing the local registration anyway (--force)"
                        : " (--force removes the local registration anyway)");
    if (remove) {
        if (unlink(o->cred_file) != 0 && errno != ENOENT) {
            fprintf(stderr, "wtexport: %s: %s\n", o->cred_file, strerror(errno));
            rc = -errno;
            remove = false;
        } else {
            printf("sink %s: device %s deregistered from %s; removed %s\n", sc->name, c.device_id,
                   wt__sse_cred_where(&c, where, sizeof(where)), o->cred_file);
        }
    }
    wt__sse_cred_wipe(&c);
    curl_global_cleanup();
    wt_config_free(&cfg);
    return remove ? WT_EXIT_OK : WT_EXIT_FAIL;
}

/* ------------------------------------------------------------------------ */
/* status                                                                   */
/* ------------------------------------------------------------------------ */

/* `wtexport status`: one sse sink's registration; true when registered for its endpoint. */
bool wt__sse_status(const struct wt_config *cfg, const struct wt_sink_cfg *sc, const char *cfg_path)
{
    const struct wt_sse_opts *o = sc->opts;
    struct wt__sse_cred c;
    char err[1024], base[WT_HTTP_URL_MAX + 1], where[WT_HTTP_URL_MAX + 16];
    struct stat st;

    (void)cfg;
    wt__sse_base_url(o, base, sizeof(base));
    printf("sink %s (sse)\n", sc->name);
    if (o->region)
        printf("  region:        %s (%s)\n", o->region, base);
    else
        printf("  url:           %s\n", base);
    int rc = wt__sse_cred_load(o->cred_file, &c, err, sizeof(err));
    bool ok = false;
    if (rc == -ENOENT) {
        printf("  registration:  not registered (wtexport register -c %s --token-file PATH)\n",
               cfg_path);
    } else if (rc != 0) {
        printf("  registration:  damaged credential file: %s\n", err);
    } else if (!wt__sse_cred_matches(&c, o)) {
        printf("  registration:  registered with %s, not the configured endpoint: deregister "
               "first\n",
               wt__sse_cred_where(&c, where, sizeof(where)));
        printf("  device id:     %s\n", c.device_id);
    } else {
        ok = true;
        printf("  registration:  registered%s%s\n", c.registered_at[0] ? " since " : "",
               c.registered_at);
        printf("  device id:     %s\n", c.device_id);
    }
    if (rc == 0 && stat(o->cred_file, &st) == 0)
        printf("  credential:    %s (mode %03o%s)\n", o->cred_file, (unsigned)(st.st_mode & 0777),
               (st.st_mode & 077) ? ": chmod 600 it!" : "");
    wt__sse_cred_wipe(&c);
    return ok;
}

const struct wt_command wt__sse_cmd_register = {
    .name = "register",
    .usage = "  register -c FILE --token-file PATH|- [--sink NAME]\n"
             "                 register an sse sink with SSE (token from PATH or stdin)\n",
    .run = cmd_register,
};

const struct wt_command wt__sse_cmd_deregister = {
    .name = "deregister",
    .usage = "  deregister -c FILE [--sink NAME] [--force]   remove that registration\n",
    .run = cmd_deregister,
};
