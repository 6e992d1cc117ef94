/*
 * sse_devices.c - devices in wt-sse-server: POST /v1/devices
 * registers one (a random id and credential), DELETE /v1/devices/{id}
 * deregisters it, and --state keeps them (and STATE.keys the accepted
 * Idempotency-Keys) across restarts (sse_http.h).
 */
#include "sse_http.h"

#include <microhttpd.h>
#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define MAX_DEVICES    10000u
#define STATE_FILE_MAX ((size_t)16 << 20) /* --state: MAX_DEVICES devices and more */

static void random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    size_t got = 0;

    while (got < nbytes) {
        ssize_t n = getrandom(raw + got, nbytes - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    for (size_t i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", raw[i]);
}

/* Under lock. NULL when no device has this credential. */
const struct device *wt_ssesrv_device_by_cred(const struct server *s, const char *cred)
{
    for (size_t i = 0; i < s->ndev; i++) {
        if (strcmp(s->dev[i].cred, cred) == 0)
            return &s->dev[i];
    }
    return NULL;
}

/* Under lock. The index of device id, or -1. */
static long device_by_id(const struct server *s, const char *id)
{
    for (size_t i = 0; i < s->ndev; i++) {
        if (strcmp(s->dev[i].id, id) == 0)
            return (long)i;
    }
    return -1;
}

/* Under lock: write --state (devices). 0 or -errno; no-op without --state. */
static int state_save(struct server *s)
{
    if (s->o.state == NULL)
        return 0;
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "devices");
    for (size_t i = 0; arr != NULL && i < s->ndev; i++) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "device_id", s->dev[i].id);
        cJSON_AddStringToObject(d, "credential", s->dev[i].cred);
        cJSON_AddStringToObject(d, "name", s->dev[i].name);
        cJSON_AddStringToObject(d, "version", s->dev[i].version);
        cJSON_AddItemToArray(arr, d);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL)
        return -ENOMEM;
    int rc = wt_ssesrv_write_text(s->o.state, text);
    free(text);
    if (rc != 0)
        wt_ssesrv_say("cannot write state %s: %s", s->o.state, strerror(-rc));
    return rc;
}

/* Load --state (devices) and STATE.keys (accepted keys), if they exist. */
int wt_ssesrv_state_load(struct server *s)
{
    char path[PATH_MAX];
    size_t len;
    char *text = NULL;
    int rc = wt_ssesrv_read_text(s->o.state, STATE_FILE_MAX, &text, &len);

    if (rc != 0 && rc != -ENOENT) {
        wt_ssesrv_say("cannot read state %s: %s", s->o.state, strerror(-rc));
        return -1;
    }
    if (text != NULL) {
        cJSON *root = cJSON_ParseWithLength(text, len);
        free(text);
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "devices");
        if (!cJSON_IsArray(arr)) {
            wt_ssesrv_say("state %s: no \"devices\" array", s->o.state);
            cJSON_Delete(root);
            return -1;
        }
        size_t n = (size_t)cJSON_GetArraySize(arr);
        s->dev = calloc(n > 0 ? n : 1, sizeof(*s->dev));
        const cJSON *d;
        cJSON_ArrayForEach(d, arr)
        {
            const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "device_id"));
            const char *cr =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "credential"));
            const char *nm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "name"));
            const char *vs = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "version"));
            if (s->dev == NULL || id == NULL || cr == NULL || s->ndev >= MAX_DEVICES)
                continue;
            struct device *dv = &s->dev[s->ndev++];
            snprintf(dv->id, sizeof(dv->id), "%s", id);
            snprintf(dv->cred, sizeof(dv->cred), "%s", cr);
            snprintf(dv->name, sizeof(dv->name), "%s", nm != NULL ? nm : "");
            snprintf(dv->version, sizeof(dv->version), "%s", vs != NULL ? vs : "");
        }
        cJSON_Delete(root);
    }
    snprintf(path, sizeof(path), "%s.keys", s->o.state);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        char line[WT_SSESRV_KEY_MAX + 2];
        while (fgets(line, sizeof(line), f) != NULL) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0] != '\0' &&
                wt_ssesrv_keyset_mark(&s->keys, line, WT_SSESRV_KEY_ACCEPTED) == WT_SSESRV_EFULL)
                s->st.keys_overflow++;
        }
        fclose(f);
    }
    s->keys_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (s->keys_fd < 0) {
        wt_ssesrv_say("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    wt_ssesrv_say("state %s: %zu device(s), %zu accepted key(s)", s->o.state, s->ndev,
                  s->keys.accepted);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Devices, stats, routing                                                  */
/* ------------------------------------------------------------------------ */

struct answer wt_ssesrv_register(struct server *s, struct req *r)
{
    static _Thread_local char location[sizeof(((struct req *)0)->path) + 32];
    cJSON *in = r->over || r->body == NULL ? NULL : cJSON_ParseWithLength(r->body, r->len);
    const char *tok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "token"));
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "name"));
    const char *ver = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "version"));
    struct answer a = {0, NULL, -1, NULL};
    struct device d;

    if (r->over)
        a = wt_ssesrv_fail_with(413, "too_large", "registration body larger than 64 KiB");
    else if (!cJSON_IsObject(in))
        a = wt_ssesrv_fail_with(400, "invalid_body", "body is not a JSON object");
    else if (tok == NULL || name == NULL || ver == NULL)
        a = wt_ssesrv_fail_with(400, "invalid_body",
                                "\"token\", \"name\" and \"version\" must be strings");
    else if (name[0] == '\0' || strlen(name) >= sizeof(d.name) || strlen(ver) >= sizeof(d.version))
        a = wt_ssesrv_fail_with(400, "invalid_body",
                                "\"name\" empty or too long, or \"version\" too long");
    else if (s->token == NULL)
        a = wt_ssesrv_fail_with(401, "unauthorized", "registration disabled (no --token)");
    else if (strcmp(tok, s->token) != 0)
        a = wt_ssesrv_fail_with(401, "unauthorized", "invalid registration token");
    if (a.status != 0) {
        cJSON_Delete(in);
        pthread_mutex_lock(&s->lock);
        s->st.register_failed++;
        pthread_mutex_unlock(&s->lock);
        return a;
    }
    memcpy(d.id, "dev-", 4);
    random_hex(d.id + 4, 8);
    random_hex(d.cred, 32);
    snprintf(d.name, sizeof(d.name), "%s", name);
    snprintf(d.version, sizeof(d.version), "%s", ver);
    cJSON_Delete(in);

    pthread_mutex_lock(&s->lock);
    struct device *nd = s->ndev < MAX_DEVICES ? realloc(s->dev, (s->ndev + 1) * sizeof(d)) : NULL;
    if (nd != NULL) {
        s->dev = nd;
        s->dev[s->ndev++] = d;
        if (state_save(s) != 0) {
            s->ndev--;
            nd = NULL;
        } else {
            s->st.registered++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (nd == NULL)
        return wt_ssesrv_fail_with(503, "unavailable", "cannot add a device (limit or state file)");
    wt_ssesrv_say("registered %s (%s %s)", d.id, d.name, d.version);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "device_id", d.id);
    cJSON_AddStringToObject(o, "credential", d.cred);
    a = (struct answer){201, cJSON_PrintUnformatted(o), -1, NULL};
    cJSON_Delete(o);
    snprintf(location, sizeof(location), "%s/%s", r->path, d.id);
    a.location = location;
    return a;
}

struct answer wt_ssesrv_deregister(struct server *s, struct MHD_Connection *c, struct req *r)
{
    const char *id = strrchr(r->path, '/') + 1;
    char cred[CRED_MAX + 1];
    bool have = wt_ssesrv_bearer(c, cred, sizeof(cred));

    pthread_mutex_lock(&s->lock);
    long i = device_by_id(s, id);
    struct answer a = {204, NULL, -1, NULL};
    if (i < 0) {
        a = wt_ssesrv_fail_with(404, "not_found", "unknown device");
    } else if (!have || strcmp(cred, s->dev[i].cred) != 0) {
        a = wt_ssesrv_fail_with(401, "unauthorized", "missing or wrong credential for this device");
    } else {
        struct device gone = s->dev[i];
        s->dev[i] = s->dev[--s->ndev];
        if (state_save(s) != 0) {
            s->dev[s->ndev++] = s->dev[i];
            s->dev[i] = gone;
            a = wt_ssesrv_fail_with(503, "unavailable", "cannot write the state file");
        } else {
            s->st.deregistered++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (a.status == 204)
        wt_ssesrv_say("deregistered %s", id);
    return a;
}
