/*
 * sse_batch.c - decode and validate one uploaded batch: a single zstd frame
 * (bounded streaming decompression, so a zip bomb costs at most the cap) of
 * NDJSON event objects (docs/events.md).
 */
#include "sse_server.h"

#include <cjson/cJSON.h>
#include <zstd.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* First output allocation when the frame does not declare its size. */
#define UNZSTD_INITIAL (64u << 10)

/* Grow *buf to hold at least need bytes plus a NUL, never beyond max + 2. */
static int grow_out(char **buf, size_t *cap, size_t need, size_t max)
{
    size_t ncap = *cap == 0 ? UNZSTD_INITIAL : *cap;

    while (ncap < need)
        ncap *= 2;
    if (ncap > max + 1)
        ncap = max + 1; /* one byte over the cap proves "too big" */
    char *nb = realloc(*buf, ncap + 1);
    if (nb == NULL)
        return -ENOMEM;
    *buf = nb;
    *cap = ncap;
    return 0;
}

int wt_ssesrv_batch_unzstd(const void *body, size_t len, size_t max, char **out, size_t *outlen,
                           char *err, size_t errlen)
{
    char *buf = NULL;
    size_t cap = 0;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    if (len == 0) {
        snprintf(err, errlen, "empty body");
        return WT_SSESRV_EINVAL;
    }
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (ds == NULL)
        return -ENOMEM;
    /* A declared content size sizes the first allocation (bounded by max). */
    unsigned long long declared = ZSTD_getFrameContentSize(body, len);
    size_t first = UNZSTD_INITIAL;
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR)
        first = declared + 1 > max + 1 ? max + 1 : (size_t)declared + 1;
    rc = grow_out(&buf, &cap, first, max);
    ZSTD_inBuffer in = {body, len, 0};
    ZSTD_outBuffer ob = {buf, cap, 0};
    while (rc == 0) {
        if (ob.pos == ob.size) {
            if (ob.size > max) {
                rc = WT_SSESRV_ETOOBIG;
                break;
            }
            rc = grow_out(&buf, &cap, cap * 2, max);
            if (rc != 0)
                break;
            ob.dst = buf;
            ob.size = cap;
        }
        size_t ret = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(ret)) {
            snprintf(err, errlen, "not a valid zstd frame: %s", ZSTD_getErrorName(ret));
            rc = WT_SSESRV_EINVAL;
        } else if (ob.pos > max) {
            rc = WT_SSESRV_ETOOBIG;
        } else if (ret == 0) {
            /* The frame is complete and flushed. */
            if (in.pos < in.size) {
                snprintf(err, errlen, "%zu byte(s) after the zstd frame (one frame per batch)",
                         in.size - in.pos);
                rc = WT_SSESRV_EINVAL;
            }
            break;
        } else if (in.pos == in.size && ob.pos < ob.size) {
            snprintf(err, errlen, "truncated zstd frame");
            rc = WT_SSESRV_EINVAL;
        }
    }
    ZSTD_freeDStream(ds);
    if (rc == WT_SSESRV_ETOOBIG)
        snprintf(err, errlen, "decompressed batch exceeds %zu bytes", max);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[ob.pos] = '\0';
    *out = buf;
    *outlen = ob.pos;
    return 0;
}

/* "YYYY-MM-DDTHH:MM:SS[.f+]Z": the shape docs/events.md promises. */
static bool iso_utc(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";

    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return false;
    }
    s += sizeof(shape) - 1;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return s[0] == 'Z' && s[1] == '\0';
}

/* One line: 0, or WT_SSESRV_EINVAL with the reason in err. */
static int check_line(const char *p, size_t len, char *err, size_t errlen)
{
    const char *end = NULL;
    cJSON *ev = cJSON_ParseWithLengthOpts(p, len, &end, 0);

    if (ev == NULL) {
        snprintf(err, errlen, "not valid JSON");
        return WT_SSESRV_EINVAL;
    }
    int rc = WT_SSESRV_EINVAL;
    while (end < p + len && (*end == ' ' || *end == '\t' || *end == '\r'))
        end++;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(ev, "ts");
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(ev, "observables");
    if (end != p + len)
        snprintf(err, errlen, "more than one JSON value on the line");
    else if (!cJSON_IsObject(ev))
        snprintf(err, errlen, "not a JSON object");
    else if (ts == NULL)
        snprintf(err, errlen, "missing \"ts\"");
    else if (!cJSON_IsString(ts))
        snprintf(err, errlen, "\"ts\" is not a string");
    else if (!iso_utc(ts->valuestring))
        snprintf(err, errlen, "\"ts\" is not ISO 8601 UTC (YYYY-MM-DDTHH:MM:SS.sssZ)");
    else if (obs != NULL && !cJSON_IsArray(obs))
        snprintf(err, errlen, "\"observables\" is not an array");
    else
        rc = 0;
    cJSON_Delete(ev);
    return rc;
}

int wt_ssesrv_batch_validate(const char *buf, size_t len, size_t *events, size_t *bad_line,
                             char *err, size_t errlen)
{
    size_t n = 0;
    char why[160];

    *events = 0;
    *bad_line = 0;
    if (len == 0) {
        snprintf(err, errlen, "no events (empty NDJSON)");
        return WT_SSESRV_EINVAL;
    }
    for (size_t pos = 0; pos < len;) {
        const char *p = buf + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t ll = nl != NULL ? (size_t)(nl - p) : len - pos;
        n++;
        if (ll == 0 || (ll == 1 && p[0] == '\r')) {
            *bad_line = n;
            snprintf(err, errlen, "line %zu: empty line", n);
            return WT_SSESRV_EINVAL;
        }
        if (check_line(p, ll, why, sizeof(why)) != 0) {
            *bad_line = n;
            snprintf(err, errlen, "line %zu: %s", n, why);
            return WT_SSESRV_EINVAL;
        }
        pos += ll + (nl != NULL);
    }
    *events = n;
    return 0;
}
