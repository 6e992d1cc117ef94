/*
 * observe_auth.c - bearer JWT checks of the observe API with libjwt, keys
 * through OpenSSL. See observe_auth.h.
 */
#include "observe_auth.h"
#include "wt_common.h"

#include <errno.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct jwk_key {
    char *kid; /* NULL: matches any token kid */
    char *pem;
};

struct wt_auth {
    char *audience;
    unsigned char *secret; /* HS256, or NULL */
    size_t secret_len;
    struct jwk_key rsa[WT_AUTH_JWKS_KEYS + 1]; /* RS256: the PEM key, then the JWKS keys */
    size_t nrsa;
};

/* The relay modules' messages (tr-05 api/utils.py), behind "Authorization failed: ". */
#define NO_AUTH_HEADER      "Authorization header is missing"
#define WRONG_AUTH_TYPE     "Wrong authorization type"
#define WRONG_JWT_STRUCTURE "Wrong JWT structure"
#define WRONG_KEY           "Failed to decode JWT with provided key"
#define WRONG_AUDIENCE      "Wrong configuration-token-audience"
#define KID_NOT_FOUND       "kid from JWT header not found in API response"

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

static unsigned char *b64url_decode(const char *s, size_t *outlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > 8192)
        return NULL;
    size_t padded = (n + 3) / 4 * 4;
    char *tmp = wt_malloc(padded + 1);
    unsigned char *out = wt_malloc(padded);
    if (!tmp || !out) {
        wt_free(tmp);
        wt_free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    for (size_t i = n; i < padded; i++)
        tmp[i] = '=';
    tmp[padded] = '\0';
    int len = EVP_DecodeBlock(out, (const unsigned char *)tmp, (int)padded);
    wt_free(tmp);
    if (len < 0) {
        wt_free(out);
        return NULL;
    }
    *outlen = (size_t)len - (padded - n); /* EVP_DecodeBlock counts padding as zero bytes */
    return out;
}

int wt_auth_jwk_to_pem(const cJSON *jwk, char **pem)
{
    const cJSON *kty = cJSON_GetObjectItemCaseSensitive(jwk, "kty");
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(jwk, "n");
    const cJSON *je = cJSON_GetObjectItemCaseSensitive(jwk, "e");
    if (!cJSON_IsString(kty) || strcmp(kty->valuestring, "RSA") != 0 || !cJSON_IsString(jn) ||
        !cJSON_IsString(je))
        return -1;
    size_t nl = 0, el = 0;
    unsigned char *nb = b64url_decode(jn->valuestring, &nl);
    unsigned char *eb = b64url_decode(je->valuestring, &el);
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pk = NULL;
    BIO *bio = NULL;
    int rc = -1;
    if (!nb || !eb || nl == 0 || el == 0)
        goto out;
    n = BN_bin2bn(nb, (int)nl, NULL);
    e = BN_bin2bn(eb, (int)el, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!n || !e || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
        goto out;
    bio = BIO_new(BIO_s_mem());
    if (!bio || !PEM_write_bio_PUBKEY(bio, pk))
        goto out;
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || !(*pem = wt_strndup(data, (size_t)len)))
        goto out;
    rc = 0;
out:
    BIO_free(bio);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    wt_free(nb);
    wt_free(eb);
    return rc;
}

static int load_text(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    int rc = wt_read_file(path, WT_AUTH_FILE_MAX, out, len);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, wt_strerror(rc));
        return -1;
    }
    (*out)[*len] = '\0'; /* wt_read_file leaves one spare byte */
    return 0;
}

static int load_jwks(struct wt_auth *a, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (load_text(path, &text, &len, err, errlen))
        return -1;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    wt_free(text);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(doc, "keys");
    if (!cJSON_IsArray(keys)) {
        snprintf(err, errlen, "%s: not a JWKS document ({\"keys\": [...]})", path);
        cJSON_Delete(doc);
        return -1;
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        const cJSON *kid = cJSON_GetObjectItemCaseSensitive(k, "kid");
        char *pem;
        if (a->nrsa > WT_AUTH_JWKS_KEYS || wt_auth_jwk_to_pem(k, &pem) != 0)
            continue; /* not an RSA key, or too many */
        a->rsa[a->nrsa].pem = pem;
        a->rsa[a->nrsa].kid = cJSON_IsString(kid) ? wt_strdup(kid->valuestring) : NULL;
        a->nrsa++;
    }
    cJSON_Delete(doc);
    if (a->nrsa == 0) {
        snprintf(err, errlen, "%s: no RSA key in the JWKS", path);
        return -1;
    }
    return 0;
}

struct wt_auth *wt_auth_new(const char *secret_file, const char *pubkey_file, const char *jwks_file,
                            const char *audience, char *err, size_t errlen)
{
    struct wt_auth *a = wt_calloc(1, sizeof(*a));
    if (!a || !(a->audience = wt_strdup(audience ? audience : ""))) {
        snprintf(err, errlen, "out of memory");
        wt_auth_free(a);
        return NULL;
    }
    if (secret_file) {
        char *s;
        size_t len;
        if (load_text(secret_file, &s, &len, err, errlen))
            goto fail;
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
            len--;
        a->secret = (unsigned char *)s;
        a->secret_len = len;
        if (len < WT_AUTH_SECRET_MIN) {
            snprintf(err, errlen, "%s: the secret must be at least %d bytes", secret_file,
                     WT_AUTH_SECRET_MIN);
            goto fail;
        }
    }
    if (pubkey_file) {
        char *pem;
        size_t len;
        if (load_text(pubkey_file, &pem, &len, err, errlen))
            goto fail;
        /* Refuse what OpenSSL cannot read now, not at the first request. */
        BIO *bio = BIO_new_mem_buf(pem, (int)len);
        EVP_PKEY *pk = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
        bool rsa = pk && EVP_PKEY_is_a(pk, "RSA");
        EVP_PKEY_free(pk);
        BIO_free(bio);
        if (!rsa) {
            snprintf(err, errlen, "%s: not a PEM RSA public key", pubkey_file);
            wt_free(pem);
            goto fail;
        }
        a->rsa[a->nrsa++].pem = pem;
    }
    if (jwks_file && load_jwks(a, jwks_file, err, errlen))
        goto fail;
    if (!a->secret && a->nrsa == 0) {
        snprintf(err, errlen, "no key configured");
        goto fail;
    }
    return a;
fail:
    wt_auth_free(a);
    return NULL;
}

void wt_auth_free(struct wt_auth *a)
{
    if (!a)
        return;
    if (a->secret)
        OPENSSL_cleanse(a->secret, a->secret_len);
    wt_free(a->secret);
    for (size_t i = 0; i < a->nrsa; i++) {
        wt_free(a->rsa[i].kid);
        wt_free(a->rsa[i].pem);
    }
    wt_free(a->audience);
    wt_free(a);
}

/* ------------------------------------------------------------------------ */
/* Checks                                                                   */
/* ------------------------------------------------------------------------ */

static int fail_msg(char *msg, size_t msglen, const char *why)
{
    snprintf(msg, msglen, "Authorization failed: %s", why);
    return -1;
}

/* Is the audience ours? aud is a string, or an array of strings. */
static bool audience_ok(jwt_t *j, const char *want)
{
    const char *aud = jwt_get_grant(j, "aud");
    if (aud)
        return strcmp(aud, want) == 0;
    char *json = jwt_get_grants_json(j, "aud");
    bool ok = false;
    cJSON *arr = json ? cJSON_Parse(json) : NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, want) == 0)
            ok = true;
    }
    cJSON_Delete(arr);
    free(json); /* libjwt's allocation */
    return ok;
}

/*
 * The token's header, unverified, only to pick the key: alg and kid.
 * (libjwt reports alg "none" for a token decoded without a key.)
 */
static int peek_header(const char *token, jwt_alg_t *alg, char *kid, size_t kidcap)
{
    const char *dot = strchr(token, '.');
    if (!dot || dot == token || (size_t)(dot - token) > 2048)
        return -1;
    char seg[2049];
    memcpy(seg, token, (size_t)(dot - token));
    seg[dot - token] = '\0';
    size_t len = 0;
    unsigned char *json = b64url_decode(seg, &len);
    if (!json)
        return -1;
    cJSON *h = cJSON_ParseWithLength((const char *)json, len);
    wt_free(json);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(h, "alg");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(h, "kid");
    int rc = -1;
    if (cJSON_IsString(a)) {
        *alg = jwt_str_alg(a->valuestring);
        kid[0] = '\0';
        if (cJSON_IsString(k))
            snprintf(kid, kidcap, "%s", k->valuestring);
        rc = 0;
    }
    cJSON_Delete(h);
    return rc;
}

static int verify(const struct wt_auth *a, const char *token, jwt_t **out, char *msg, size_t msglen)
{
    jwt_t *j = NULL;
    jwt_alg_t alg;
    char kid[256];
    if (peek_header(token, &alg, kid, sizeof(kid)) != 0)
        return fail_msg(msg, msglen, WRONG_JWT_STRUCTURE);
    if (alg == JWT_ALG_HS256 && a->secret) {
        if (jwt_decode(&j, token, a->secret, (int)a->secret_len) != 0 || !j)
            return fail_msg(msg, msglen, WRONG_KEY);
    } else if (alg == JWT_ALG_RS256 && a->nrsa) {
        bool tried = false;
        for (size_t i = 0; i < a->nrsa && !j; i++) {
            if (kid[0] && a->rsa[i].kid && strcmp(kid, a->rsa[i].kid) != 0)
                continue;
            tried = true;
            if (jwt_decode(&j, token, (const unsigned char *)a->rsa[i].pem,
                           (int)strlen(a->rsa[i].pem)) != 0)
                j = NULL;
        }
        if (!j)
            return fail_msg(msg, msglen, tried ? WRONG_KEY : KID_NOT_FOUND);
    } else {
        return fail_msg(msg, msglen, WRONG_KEY); /* none, another alg, or no key for it */
    }
    if (jwt_get_alg(j) != alg) {
        jwt_free(j);
        return fail_msg(msg, msglen, WRONG_KEY);
    }
    *out = j;
    return 0;
}

int wt_auth_check(const struct wt_auth *a, const char *authorization, int64_t now_s, int *limit,
                  char *msg, size_t msglen)
{
    *limit = 0;
    if (!authorization)
        return fail_msg(msg, msglen, NO_AUTH_HEADER);
    /* "Bearer <token>": exactly two words, the scheme case-insensitive. */
    const char *sp = strchr(authorization, ' ');
    if (!sp || (size_t)(sp - authorization) != 6 || strncasecmp(authorization, "bearer", 6) != 0)
        return fail_msg(msg, msglen, WRONG_AUTH_TYPE);
    const char *token = sp + 1;
    size_t tl = strlen(token);
    if (tl == 0 || tl > WT_AUTH_TOKEN_MAX || strchr(token, ' '))
        return fail_msg(msg, msglen, WRONG_AUTH_TYPE);
    jwt_t *j = NULL;
    if (verify(a, token, &j, msg, msglen) != 0)
        return -1;
    int rc = -1;
    errno = 0;
    long exp = jwt_get_grant_int(j, "exp");
    if (errno != 0 || exp <= 0) {
        fail_msg(msg, msglen, "Wrong JWT payload structure (no exp)");
    } else if ((int64_t)exp <= now_s) {
        fail_msg(msg, msglen, "Token has expired");
    } else if (!audience_ok(j, a->audience)) {
        fail_msg(msg, msglen, WRONG_AUDIENCE);
    } else {
        errno = 0;
        long l = jwt_get_grant_int(j, "CTR_ENTITIES_LIMIT");
        if (errno == 0 && l > 0)
            *limit = l > 1000000 ? 1000000 : (int)l;
        rc = 0;
    }
    jwt_free(j);
    return rc;
}
