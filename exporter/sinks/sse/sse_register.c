/*
 * sse_register.c - SSE device registration: the credential file in
 * state_dir, the regions, the options every SSE request shares, and the
 * blocking requests of `wtexport register` / `deregister` / `status`
 * (see sse_int.h, docs/sse-protocol.md).
 *
 * Secrets: the registration token and the credential travel only in
 * request bodies and headers built here, and in the 0600 credential file.
 * Nothing here logs them, CURLOPT_VERBOSE is always off, and curl's error
 * buffer never holds a header or a body.
 */
#include "log.h"
#include "wt_common.h"
#include "sse_int.h"
#include "wt_exporter.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Largest credential file read. */
#define WT_SSE_CRED_FILE_MAX (64 * 1024)
/* Connection phase of a CLI request. */
/* Whole CLI registration request. */
#define WT_SSE_CLI_TIMEOUT_MS 30000L

/* ------------------------------------------------------------------------ */
/* Regions and URLs                                                         */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *name, *url;
} regions[] = {
    {"nam", "https://api-sse.cisco.com"},
    {"eu", "https://api.eu.sse.itd.cisco.com"},
    {"apjc", "https://api.apj.sse.itd.cisco.com"},
};

const char *wt__sse_region_url(const char *region)
{
    for (size_t i = 0; region && i < sizeof(regions) / sizeof(regions[0]); i++) {
        if (strcmp(region, regions[i].name) == 0)
            return regions[i].url;
    }
    return NULL;
}

const char *wt__sse_base_url(const struct wt_sse_opts *o, char *buf, size_t cap)
{
    const char *u = o->region ? wt__sse_region_url(o->region) : o->url;
    snprintf(buf, cap, "%s", u ? u : "");
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '/')
        buf[--n] = '\0';
    return buf;
}

/* ------------------------------------------------------------------------ */
/* The credential file                                                      */
/* ------------------------------------------------------------------------ */

bool wt__sse_valid_device_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= WT_SSE_DEVICE_ID_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

bool wt__sse_valid_credential(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > WT_SSE_CREDENTIAL_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
            return false;
    }
    return true;
}

void wt__sse_cred_wipe(struct wt__sse_cred *c)
{
    explicit_bzero(c, sizeof(*c));
}

/* A string member into dst; false when absent, not a string or too long. */
static bool json_str(const cJSON *o, const char *name, char *dst, size_t cap)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
    if (!v || strlen(v) >= cap)
        return false;
    memcpy(dst, v, strlen(v) + 1);
    return true;
}

int wt__sse_cred_load(const char *path, struct wt__sse_cred *c, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;

    wt__sse_cred_wipe(c);
    int rc = wt_read_state_file(path, WT_SSE_CRED_FILE_MAX, &buf, &len);
    if (rc == -EFBIG) {
        snprintf(err, errlen, "%s: larger than %d bytes", path, WT_SSE_CRED_FILE_MAX);
        return WT_EPARSE;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, wt_strerror(rc));
        return rc;
    }
    cJSON *root = cJSON_ParseWithLength(buf, len);
    explicit_bzero(buf, len);
    wt_free(buf);
    bool ok = cJSON_IsObject(root) &&
              json_str(root, "device_id", c->device_id, sizeof(c->device_id)) &&
              json_str(root, "credential", c->credential, sizeof(c->credential)) &&
              wt__sse_valid_device_id(c->device_id) && wt__sse_valid_credential(c->credential);
    bool has_region = ok && json_str(root, "region", c->region, sizeof(c->region));
    bool has_url = ok && json_str(root, "url", c->url, sizeof(c->url));
    if (ok && has_region == has_url)
        ok = false;
    if (ok && has_region && !wt__sse_region_url(c->region))
        ok = false;
    if (ok)
        json_str(root, "registered_at", c->registered_at, sizeof(c->registered_at));
    if (!ok) {
        snprintf(err, errlen,
                 "%s: not a credential file (device_id, credential, and region or url)", path);
        rc = WT_EPARSE;
    }
    if (root) {
        /* cJSON holds a copy of the credential: wipe it before freeing. */
        cJSON *cr = cJSON_GetObjectItemCaseSensitive(root, "credential");
        if (cJSON_IsString(cr) && cr->valuestring)
            explicit_bzero(cr->valuestring, strlen(cr->valuestring));
        cJSON_Delete(root);
    }
    if (rc != 0)
        wt__sse_cred_wipe(c);
    return rc;
}

int wt__sse_cred_save(const char *path, const struct wt__sse_cred *c, char *err, size_t errlen)
{
    char dir[4096], tmp[4200];
    int rc;

    snprintf(tmp, sizeof(tmp), "%s", path);
    snprintf(dir, sizeof(dir), "%s", dirname(tmp));
    rc = wt_mkdir_p(dir);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", dir, wt_strerror(rc));
        return rc;
    }
    /* The JSON is written by hand: every value is checked to need no escape. */
    char text[WT_HTTP_URL_MAX + WT_SSE_DEVICE_ID_MAX + WT_SSE_CREDENTIAL_MAX + 256];
    int n = snprintf(text, sizeof(text),
                     "{\n  \"%s\": \"%s\",\n  \"device_id\": \"%s\",\n  \"credential\": \"%s\",\n"
                     "  \"registered_at\": \"%s\"\n}\n",
                     c->region[0] ? "region" : "url", c->region[0] ? c->region : c->url,
                     c->device_id, c->credential, c->registered_at);
    if (strpbrk(c->url, "\"\\") || strpbrk(c->credential, "\"\\") || n < 0 ||
        (size_t)n >= sizeof(text)) {
        explicit_bzero(text, sizeof(text));
        snprintf(err, errlen, "%s: values not fit for the credential file", path);
        return -EINVAL;
    }
    snprintf(tmp, sizeof(tmp), "%s", path);
    rc = wt_write_atomic(dir, basename(tmp), text, (size_t)n);
    explicit_bzero(text, sizeof(text));
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, wt_strerror(rc));
    return rc;
}

bool wt__sse_cred_matches(const struct wt__sse_cred *c, const struct wt_sse_opts *o)
{
    char a[WT_HTTP_URL_MAX + 1], b[WT_HTTP_URL_MAX + 1];
    if (o->region)
        return c->region[0] && strcmp(c->region, o->region) == 0;
    if (!c->url[0] || !o->url)
        return false;
    /* Trailing slashes do not make another endpoint. */
    snprintf(a, sizeof(a), "%s", c->url);
    wt__sse_base_url(o, b, sizeof(b));
    size_t n = strlen(a);
    while (n > 0 && a[n - 1] == '/')
        a[--n] = '\0';
    return strcmp(a, b) == 0;
}

const char *wt__sse_cred_where(const struct wt__sse_cred *c, char *buf, size_t cap)
{
    if (c->region[0])
        snprintf(buf, cap, "region %s", c->region);
    else
        snprintf(buf, cap, "url %s", c->url);
    return buf;
}

/* The server's "reason" (or "error") from a JSON error body, or the body's start. */
static void reason_of(const struct wt_http_resp *r, char *buf, size_t cap)
{
    cJSON *o = cJSON_ParseWithLength(r->body, r->len);
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "reason"));
    if (!why)
        why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "error"));
    if (why) {
        snprintf(buf, cap, "%s", why);
    } else {
        snprintf(buf, cap, "%.*s", (int)(r->len < 200 ? r->len : 200), r->body);
        for (char *p = buf; *p; p++) {
            if ((unsigned char)*p < ' ' || (unsigned char)*p >= 0x7f)
                *p = ' ';
        }
    }
    cJSON_Delete(o);
}

/* Now in UTC to the second: "YYYY-MM-DDTHH:MM:SSZ". */
static void now_iso(char *buf, size_t cap)
{
    char t[25];
    wt_iso8601_ms(wt_wall_ms(), t);
    snprintf(buf, cap, "%.19sZ", t);
}

int wt__sse_register(const char *base, const char *ca_file, const char *proxy, const char *token,
                     const char *name, struct wt__sse_cred *c, char *err, size_t errlen)
{
    char url[WT_HTTP_URL_MAX + 32], body_buf[8192], why[256];
    struct wt_http_resp r = {.body = body_buf, .cap = sizeof(body_buf)};

    snprintf(url, sizeof(url), "%s/v1/devices", base);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "token", token) ||
        !cJSON_AddStringToObject(o, "name", name) ||
        !cJSON_AddStringToObject(o, "version", WT_VERSION)) {
        cJSON_Delete(o);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    char *json = cJSON_PrintUnformatted(o);
    cJSON *tok = cJSON_GetObjectItemCaseSensitive(o, "token");
    explicit_bzero(tok->valuestring, strlen(tok->valuestring));
    cJSON_Delete(o);
    if (!json) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    int rc = wt_http_request("POST", url, ca_file, proxy, NULL, json, WT_SSE_CLI_TIMEOUT_MS, &r,
                             err, errlen);
    explicit_bzero(json, strlen(json));
    wt_free(json);
    if (rc != 0)
        return rc;
    if (r.status != 201 && r.status != 200) {
        reason_of(&r, why, sizeof(why));
        snprintf(err, errlen, "%s: registration refused (HTTP %ld): %s", url, r.status, why);
        return r.status == 401 || r.status == 403 ? -EACCES : -EIO;
    }
    cJSON *in = cJSON_ParseWithLength(r.body, r.len);
    bool ok = cJSON_IsObject(in) && json_str(in, "device_id", c->device_id, sizeof(c->device_id)) &&
              json_str(in, "credential", c->credential, sizeof(c->credential)) &&
              wt__sse_valid_device_id(c->device_id) && wt__sse_valid_credential(c->credential);
    if (in) {
        cJSON *cr = cJSON_GetObjectItemCaseSensitive(in, "credential");
        if (cJSON_IsString(cr) && cr->valuestring)
            explicit_bzero(cr->valuestring, strlen(cr->valuestring));
    }
    cJSON_Delete(in);
    explicit_bzero(body_buf, sizeof(body_buf));
    if (!ok) {
        wt__sse_cred_wipe(c);
        snprintf(err, errlen, "%s: HTTP %ld without a valid device_id and credential in the answer",
                 url, r.status);
        return WT_EPARSE;
    }
    now_iso(c->registered_at, sizeof(c->registered_at));
    return 0;
}

int wt__sse_deregister(const char *base, const char *ca_file, const char *proxy,
                       const struct wt__sse_cred *c, char *err, size_t errlen)
{
    char url[WT_HTTP_URL_MAX + WT_SSE_DEVICE_ID_MAX + 32], body_buf[4096], why[256];
    struct wt_http_resp r = {.body = body_buf, .cap = sizeof(body_buf)};

    snprintf(url, sizeof(url), "%s/v1/devices/%s", base, c->device_id);
    int rc = wt_http_request("DELETE", url, ca_file, proxy, c->credential, NULL,
                             WT_SSE_CLI_TIMEOUT_MS, &r, err, errlen);
    if (rc != 0)
        return rc;
    if (r.status == 200 || r.status == 202 || r.status == 204)
        return 0;
    reason_of(&r, why, sizeof(why));
    snprintf(err, errlen, "%s: HTTP %ld: %s", url, r.status, why);
    if (r.status == 404)
        return -ENOENT;
    return r.status == 401 || r.status == 403 ? -EACCES : -EIO;
}
