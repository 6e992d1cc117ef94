/*
 * checkpoint.c - encode, decode and atomically write the read positions.
 * Not on the per-line path: cJSON is fine here.
 */
#include "checkpoint.h"
#include "wt_common.h"
#include "wt_parsers.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t wt_fp_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int wt_fp_of_fd(int fd, uint64_t *fp, uint32_t *fp_len)
{
    char buf[WT_FP_BYTES];
    ssize_t r = wt_pread_full(fd, buf, sizeof(buf), 0);
    if (r < 0)
        return (int)r;
    *fp = wt_fp_hash(buf, (size_t)r);
    *fp_len = (uint32_t)r;
    return 0;
}

int wt_fp_matches(int fd, uint64_t fp, uint32_t fp_len)
{
    char buf[WT_FP_BYTES];
    if (fp_len > WT_FP_BYTES)
        return 0;
    ssize_t r = wt_pread_full(fd, buf, fp_len, 0);
    if (r < 0)
        return (int)r;
    return (uint32_t)r == fp_len && wt_fp_hash(buf, fp_len) == fp;
}

/* 64-bit values go out as decimal strings: JSON numbers are doubles. */
static int add_u64(cJSON *o, const char *k, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "%" PRIu64, v);
    return cJSON_AddStringToObject(o, k, s) ? 0 : -ENOMEM;
}

int wt_ckpt_encode(const struct wt_ckpt *e, size_t n, char **out, size_t *outlen)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *files = NULL;
    int rc = -ENOMEM;
    if (!root || !cJSON_AddNumberToObject(root, "version", WT_CKPT_VERSION))
        goto out;
    files = cJSON_AddArrayToObject(root, "files");
    if (!files)
        goto out;
    for (size_t i = 0; i < n && i < WT_CKPT_MAX; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o)
            goto out;
        cJSON_AddItemToArray(files, o);
        if (!cJSON_AddStringToObject(o, "path", e[i].path) || add_u64(o, "dev", e[i].dev) ||
            add_u64(o, "ino", e[i].ino) || add_u64(o, "fp", e[i].fp) ||
            add_u64(o, "fp_len", e[i].fp_len) || add_u64(o, "offset", e[i].offset) ||
            add_u64(o, "lineno", e[i].lineno) || add_u64(o, "gen", e[i].gen) ||
            add_u64(o, "size", e[i].size))
            goto out;
    }
    *out = cJSON_PrintUnformatted(root);
    if (!*out)
        goto out;
    *outlen = strlen(*out);
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

static int get_u64(const cJSON *o, const char *k, uint64_t *v)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    const char *s = cJSON_GetStringValue(it);
    if (!s)
        return WT_EPARSE;
    return wt_str_to_u64((struct wt_str){s, strlen(s)}, v);
}

int wt_ckpt_decode(const char *json, size_t len, struct wt_ckpt **out, size_t *n, char *err,
                   size_t errlen)
{
    uint64_t failures = wt_alloc_failures();
    cJSON *root = cJSON_ParseWithLength(json, len);
    struct wt_ckpt *e = NULL;
    size_t count = 0;
    int rc = WT_EPARSE;

    *out = NULL;
    *n = 0;
    /* Not "damaged": the caller would start files over per read_from. */
    if (!root && wt_alloc_failures() != failures)
        return -ENOMEM;
    if (!root) {
        snprintf(err, errlen, "not valid JSON");
        return WT_EPARSE;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (!cJSON_IsNumber(ver) || (ver->valueint != WT_CKPT_VERSION && ver->valueint != 1)) {
        snprintf(err, errlen, "unknown version");
        goto out;
    }
    if (!cJSON_IsArray(files)) {
        snprintf(err, errlen, "no files array");
        goto out;
    }
    int total = cJSON_GetArraySize(files);
    if (total > WT_CKPT_MAX) {
        snprintf(err, errlen, "more than %d entries", WT_CKPT_MAX);
        goto out;
    }
    e = wt_calloc((size_t)total + 1, sizeof(*e));
    if (!e) {
        rc = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, files)
    {
        struct wt_ckpt *c = &e[count];
        uint64_t fp_len;
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "path"));
        if (!path || get_u64(o, "dev", &c->dev) || get_u64(o, "ino", &c->ino) ||
            get_u64(o, "fp", &c->fp) || get_u64(o, "fp_len", &fp_len) ||
            get_u64(o, "offset", &c->offset) || get_u64(o, "lineno", &c->lineno) ||
            fp_len > WT_FP_BYTES) {
            snprintf(err, errlen, "entry %zu is incomplete or invalid", count);
            goto out;
        }
        c->fp_len = (uint32_t)fp_len;
        uint64_t gen = 0;
        c->size = c->offset;
        if (ver->valueint >= 2 &&
            (get_u64(o, "gen", &gen) || get_u64(o, "size", &c->size) || gen > UINT32_MAX)) {
            snprintf(err, errlen, "entry %zu is incomplete or invalid", count);
            goto out;
        }
        c->gen = (uint32_t)gen;
        snprintf(c->path, sizeof(c->path), "%s", path);
        count++;
    }
    *out = e;
    *n = count;
    e = NULL;
    rc = 0;
out:
    wt_free(e);
    cJSON_Delete(root);
    return rc;
}

int wt_ckpt_write(const char *dir, const char *data, size_t len)
{
    return wt_write_atomic(dir, WT_CKPT_FILE, data, len);
}

int wt_ckpt_read(const char *dir, struct wt_ckpt **out, size_t *n, char *err, size_t errlen)
{
    char path[4352];
    struct stat st;
    *out = NULL;
    *n = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, WT_CKPT_FILE);
    int fd = wt_state_open(AT_FDCWD, path);
    if (fd == WT_ESYMLINK || fd == WT_ENOTREG) {
        /* Planted: never followed; the next write replaces a link. */
        snprintf(err, errlen, "%s", wt_strerror(fd));
        return WT_EPARSE;
    }
    if (fd < 0)
        return fd == -ENOENT ? 0 : fd;
    if (fstat(fd, &st) != 0 || st.st_size > 64 * 1024 * 1024) {
        close(fd);
        snprintf(err, errlen, "unreadable or too large");
        return WT_EPARSE;
    }
    char *buf = wt_malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    ssize_t r = wt_pread_full(fd, buf, (size_t)st.st_size, 0);
    close(fd);
    if (r < 0) {
        wt_free(buf);
        return (int)r;
    }
    int rc = wt_ckpt_decode(buf, (size_t)r, out, n, err, errlen);
    wt_free(buf);
    return rc;
}
