/*
 * test_observe_auth.c - the observe API's bearer JWT checks: HS256 with a
 * secret file, RS256 with a PEM public key and with a JWKS (by kid); every
 * refusal (no header, wrong scheme, wrong signature, wrong audience,
 * expired, no exp, alg none, alg confusion with the RSA key as HMAC secret)
 * and the CTR_ENTITIES_LIMIT claim. Tokens are made with libjwt itself,
 * keys with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "observe_auth.h"
#include "wt_common.h"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AUD    "https://proxy1.example.com:9465"
#define SECRET "0123456789abcdef0123456789abcdef-secret"

static char dir[] = "/tmp/wt-auth-XXXXXX";
static char secret_path[64], pub_path[64], jwks_path[64];
static char *priv_pem, *pub_pem, *priv2_pem;
static int64_t now;

static char *pem_of(EVP_PKEY *pk, bool priv)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (priv)
        PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
    else
        PEM_write_bio_PUBKEY(b, pk);
    char *d;
    long n = BIO_get_mem_data(b, &d);
    char *s = strndup(d, (size_t)n);
    BIO_free(b);
    return s;
}

static void b64url(const unsigned char *p, size_t n, char *out)
{
    int len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    for (int i = 0; i < len; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(s, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    now = (int64_t)time(NULL);
    EVP_PKEY *k1 = EVP_RSA_gen(2048), *k2 = EVP_RSA_gen(2048);
    assert_non_null(k1);
    assert_non_null(k2);
    priv_pem = pem_of(k1, true);
    pub_pem = pem_of(k1, false);
    priv2_pem = pem_of(k2, true);
    snprintf(secret_path, sizeof(secret_path), "%s/secret", dir);
    snprintf(pub_path, sizeof(pub_path), "%s/pub.pem", dir);
    snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", dir);
    write_file(secret_path, SECRET "\n");
    write_file(pub_path, pub_pem);
    /* JWKS: key 1 as kid "k1" (from its modulus and exponent). */
    BIGNUM *n = NULL, *e = NULL;
    EVP_PKEY_get_bn_param(k1, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(k1, OSSL_PKEY_PARAM_RSA_E, &e);
    unsigned char nb[512], eb[8];
    int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
    char ns[1024], es[16], doc[2048];
    b64url(nb, (size_t)nl, ns);
    b64url(eb, (size_t)el, es);
    snprintf(doc, sizeof(doc),
             "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"ec\"},"
             "{\"kty\":\"RSA\",\"kid\":\"k1\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}]}",
             ns, es);
    write_file(jwks_path, doc);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(priv_pem);
    free(pub_pem);
    free(priv2_pem);
    return 0;
}

/* A token: alg, key, kid (or NULL), aud (NULL: none), exp (0: none), extra int claim. */
static char *token(jwt_alg_t alg, const char *key, const char *kid, const char *aud, long exp,
                   long limit)
{
    jwt_t *j;
    assert_int_equal(jwt_new(&j), 0);
    if (aud)
        jwt_add_grant(j, "aud", aud);
    if (exp)
        jwt_add_grant_int(j, "exp", exp);
    if (limit)
        jwt_add_grant_int(j, "CTR_ENTITIES_LIMIT", limit);
    jwt_add_grant(j, "key", "anything");
    if (kid)
        jwt_add_header(j, "kid", kid);
    assert_int_equal(jwt_set_alg(j, alg, (const unsigned char *)key, key ? (int)strlen(key) : 0),
                     0);
    char *t = jwt_encode_str(j);
    jwt_free(j);
    assert_non_null(t);
    char *h = malloc(strlen(t) + 8);
    sprintf(h, "Bearer %s", t);
    free(t);
    return h;
}

static int check(const struct wt_auth *a, const char *hdr, char *msg, int *limit)
{
    msg[0] = '\0';
    int rc = wt_auth_check(a, hdr, now, limit, msg, 256);
    if (rc)
        print_message("refused: %s\n", msg);
    return rc;
}

static void expect_fail(const struct wt_auth *a, char *hdr, const char *why)
{
    char msg[256];
    int limit;
    assert_int_equal(check(a, hdr, msg, &limit), -1);
    if (!strstr(msg, why))
        fail_msg("expected '%s' in '%s'", why, msg);
    free(hdr);
}

static void test_hs256(void **state)
{
    (void)state;
    char err[256], msg[256];
    int limit = -1;
    struct wt_auth *a = wt_auth_new(secret_path, NULL, NULL, AUD, err, sizeof(err));
    assert_non_null(a);
    char *ok = token(JWT_ALG_HS256, SECRET, NULL, AUD, (long)now + 300, 0);
    assert_int_equal(check(a, ok, msg, &limit), 0);
    assert_int_equal(limit, 0);
    free(ok);
    ok = token(JWT_ALG_HS256, SECRET, NULL, AUD, (long)now + 300, 7);
    assert_int_equal(check(a, ok, msg, &limit), 0);
    assert_int_equal(limit, 7);
    free(ok);
    assert_int_equal(check(a, NULL, msg, &limit), -1);
    assert_string_equal(msg, "Authorization failed: Authorization header is missing");
    expect_fail(a, strdup("Basic abc"), "Wrong authorization type");
    expect_fail(a, strdup("Bearer not.a.jwt"), "Wrong JWT structure");
    expect_fail(
        a,
        token(JWT_ALG_HS256, "another-secret-of-32-bytes-or-more!!", NULL, AUD, (long)now + 300, 0),
        "Failed to decode JWT with provided key");
    expect_fail(a,
                token(JWT_ALG_HS256, SECRET, NULL, "https://other.example.com", (long)now + 300, 0),
                "Wrong configuration-token-audience");
    expect_fail(a, token(JWT_ALG_HS256, SECRET, NULL, NULL, (long)now + 300, 0),
                "Wrong configuration-token-audience");
    expect_fail(a, token(JWT_ALG_HS256, SECRET, NULL, AUD, (long)now - 1, 0), "expired");
    expect_fail(a, token(JWT_ALG_HS256, SECRET, NULL, AUD, 0, 0), "no exp");
    expect_fail(a, token(JWT_ALG_NONE, NULL, NULL, AUD, (long)now + 300, 0),
                "Failed to decode JWT with provided key");
    /* An RS256 token when only a secret is configured. */
    expect_fail(a, token(JWT_ALG_RS256, priv_pem, NULL, AUD, (long)now + 300, 0),
                "Failed to decode JWT with provided key");
    wt_auth_free(a);
}

static void test_rs256_pem(void **state)
{
    (void)state;
    char err[256], msg[256];
    int limit;
    struct wt_auth *a = wt_auth_new(NULL, pub_path, NULL, AUD, err, sizeof(err));
    assert_non_null(a);
    char *ok = token(JWT_ALG_RS256, priv_pem, NULL, AUD, (long)now + 300, 0);
    assert_int_equal(check(a, ok, msg, &limit), 0);
    free(ok);
    expect_fail(a, token(JWT_ALG_RS256, priv2_pem, NULL, AUD, (long)now + 300, 0),
                "Failed to decode JWT with provided key");
    expect_fail(a, token(JWT_ALG_RS256, priv_pem, NULL, AUD, (long)now - 10, 0), "expired");
    /* Alg confusion: HS256 signed with the public key's PEM as the secret. */
    expect_fail(a, token(JWT_ALG_HS256, pub_pem, NULL, AUD, (long)now + 300, 0),
                "Failed to decode JWT with provided key");
    wt_auth_free(a);
}

static void test_rs256_jwks(void **state)
{
    (void)state;
    char err[256], msg[256];
    int limit;
    struct wt_auth *a = wt_auth_new(NULL, NULL, jwks_path, AUD, err, sizeof(err));
    if (!a)
        fail_msg("%s", err);
    char *ok = token(JWT_ALG_RS256, priv_pem, "k1", AUD, (long)now + 300, 0);
    assert_int_equal(check(a, ok, msg, &limit), 0);
    free(ok);
    expect_fail(a, token(JWT_ALG_RS256, priv_pem, "k9", AUD, (long)now + 300, 0),
                "kid from JWT header not found");
    expect_fail(a, token(JWT_ALG_RS256, priv2_pem, "k1", AUD, (long)now + 300, 0),
                "Failed to decode JWT with provided key");
    wt_auth_free(a);
}

static void test_bad_keys(void **state)
{
    (void)state;
    char err[256], p[96];
    snprintf(p, sizeof(p), "%s/short", dir);
    write_file(p, "short\n");
    assert_null(wt_auth_new(p, NULL, NULL, AUD, err, sizeof(err)));
    assert_non_null(strstr(err, "at least 32 bytes"));
    assert_null(wt_auth_new(NULL, secret_path, NULL, AUD, err, sizeof(err)));
    assert_non_null(strstr(err, "not a PEM RSA public key"));
    assert_null(wt_auth_new(NULL, NULL, pub_path, AUD, err, sizeof(err)));
    assert_non_null(strstr(err, "JWKS"));
    assert_null(wt_auth_new(NULL, NULL, NULL, AUD, err, sizeof(err)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hs256),
        cmocka_unit_test(test_rs256_pem),
        cmocka_unit_test(test_rs256_jwks),
        cmocka_unit_test(test_bad_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
