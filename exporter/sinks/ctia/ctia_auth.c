/*
 * ctia_auth.c - the CTIA sink's credentials (files or environment), the
 * OAuth2 client-credentials token request and answer, and the bundle
 * import answer (ctia_int.h).
 *
 * Secrets: the client id and secret are read from a file that nobody but
 * its owner may read, or from a named environment variable; they go to
 * curl as HTTP Basic (CURLOPT_USERNAME/PASSWORD) and nowhere else. No
 * message here ever carries a secret, a token or a token answer's body.
 */
#include "ctia_int.h"
#include "wt_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Printable ASCII without spaces: what a client id, secret or token may be. */
static bool printable(const char *s)
{
    if (!s[0])
        return false;
    for (; *s; s++) {
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return false;
    }
    return true;
}

int wt__ctia_secret_read(const char *file, const char *env, const char *what, char *out, size_t cap,
                         char *err, size_t errlen)
{
    out[0] = '\0';
    if (!file) {
        const char *v = env ? getenv(env) : NULL;
        if (!v || !v[0]) {
            snprintf(err, errlen, "%s: environment variable %s is not set", what,
                     env ? env : "(none)");
            return -ENOENT;
        }
        if (strlen(v) >= cap || !printable(v)) {
            snprintf(err, errlen,
                     "%s: environment variable %s must hold 1 to %zu printable characters "
                     "without spaces",
                     what, env, cap - 1);
            return WT_ECONFIG;
        }
        memcpy(out, v, strlen(v) + 1);
        return 0;
    }
    /* An operator's file: it may be a symlink (e.g. a Kubernetes secret); the
     * checks below apply to its target. O_NONBLOCK: a FIFO never blocks. */
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s %s: %s", what, file, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "%s %s: not a regular file", what, file);
        return WT_ECONFIG;
    }
    if (st.st_mode & 077) {
        close(fd);
        snprintf(err, errlen,
                 "%s %s is accessible to group or others (mode %04o): a secret must be "
                 "readable by its owner only: chmod 600 %s",
                 what, file, (unsigned)(st.st_mode & 07777), file);
        return WT_ECONFIG;
    }
    char buf[WT_CTIA_SECRET_MAX + 2];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0) {
        int e = errno;
        snprintf(err, errlen, "%s %s: %s", what, file, strerror(e));
        return -e;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    int rc = 0;
    if (strlen(buf) >= cap || !printable(buf)) {
        snprintf(err, errlen,
                 "%s %s: the first line must hold 1 to %zu printable characters without spaces",
                 what, file, cap - 1);
        rc = WT_ECONFIG;
    } else {
        memcpy(out, buf, strlen(buf) + 1);
    }
    explicit_bzero(buf, sizeof(buf));
    return rc;
}

int wt__ctia_secrets_load(const struct wt_ctia_opts *o, struct wt__ctia_secret *s, char *err,
                          size_t errlen)
{
    int rc = wt__ctia_secret_read(o->client_id_file, o->client_id_env,
                                  o->client_id_file ? "client_id_file" : "client_id_env", s->id,
                                  sizeof(s->id), err, errlen);
    if (rc == 0)
        rc =
            wt__ctia_secret_read(o->client_secret_file, o->client_secret_env,
                                 o->client_secret_file ? "client_secret_file" : "client_secret_env",
                                 s->secret, sizeof(s->secret), err, errlen);
    if (rc != 0)
        wt__ctia_secrets_wipe(s);
    return rc;
}

void wt__ctia_secrets_wipe(struct wt__ctia_secret *s)
{
    explicit_bzero(s, sizeof(*s));
}

/* ------------------------------------------------------------------------ */
/* Token                                                                    */
/* ------------------------------------------------------------------------ */

void wt__ctia_token_setup(CURL *eh, const char *url, const char *ca_file, const char *proxy,
                          const struct wt__ctia_secret *s, char *errbuf)
{
    static const char form[] = "grant_type=client_credentials";
    wt_http_curl_common(eh, url, ca_file, proxy, errbuf);
    curl_easy_setopt(eh, CURLOPT_POST, 1L);
    curl_easy_setopt(eh, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(eh, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(sizeof(form) - 1));
    curl_easy_setopt(eh, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(eh, CURLOPT_USERNAME, s->id);
    curl_easy_setopt(eh, CURLOPT_PASSWORD, s->secret);
}

int wt__ctia_token_parse(const char *body, size_t len, char *tok, size_t cap, int64_t *expires_s,
                         char *err, size_t errlen)
{
    cJSON *o = cJSON_ParseWithLengthOpts(body, len, NULL, 0);
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "access_token"));
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(o, "expires_in");
    int rc = 0;
    if (!t || strlen(t) >= cap || !printable(t)) {
        snprintf(err, errlen, "the token answer has no usable access_token");
        rc = WT_EPARSE;
    } else {
        memcpy(tok, t, strlen(t) + 1);
        *expires_s = 600;
        if (cJSON_IsNumber(ex) && ex->valuedouble >= 1 && ex->valuedouble <= 86400 * 365)
            *expires_s = (int64_t)ex->valuedouble;
    }
    /* The parsed tree holds a copy of the token: wipe it. */
    if (t)
        explicit_bzero((char *)t, strlen(t));
    cJSON_Delete(o);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Import answers                                                           */
/* ------------------------------------------------------------------------ */

int wt__ctia_results_parse(const char *body, size_t len, wt__ctia_result_fn fn, void *ctx,
                           char *err, size_t errlen)
{
    cJSON *o = cJSON_ParseWithLengthOpts(body, len, NULL, 0);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(o, "results");
    if (!cJSON_IsObject(o) || !cJSON_IsArray(res)) {
        snprintf(err, errlen, "the import answer has no \"results\" array");
        cJSON_Delete(o);
        return WT_EPARSE;
    }
    for (const cJSON *r = res->child; r; r = r->next) {
        const char *oid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "original_id"));
        const char *what = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "result"));
        if (!oid || !what)
            continue;
        enum wt__ctia_res kind;
        if (strcmp(what, "created") == 0)
            kind = WT_CTIA_RES_CREATED;
        else if (strcmp(what, "exists") == 0 || strcmp(what, "updated") == 0)
            kind = WT_CTIA_RES_EXISTS;
        else
            kind = WT_CTIA_RES_ERROR;
        char msg[400];
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(r, "error");
        const char *text = NULL;
        if (cJSON_IsString(e)) {
            text = e->valuestring;
        } else if (e && !cJSON_IsNull(e)) {
            char *p = cJSON_PrintUnformatted(e);
            snprintf(msg, sizeof(msg), "%s", p ? p : "(error)");
            cJSON_free(p);
            text = msg;
        } else if (kind == WT_CTIA_RES_ERROR) {
            snprintf(msg, sizeof(msg), "result \"%.100s\"", what);
            text = msg;
        }
        fn(ctx, oid, kind, text);
    }
    cJSON_Delete(o);
    return 0;
}
