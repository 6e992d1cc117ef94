/*
 * observe_auth.h - the bearer tokens of the observe API: JWTs signed HS256
 * with a shared secret, or RS256 with an RSA key (a PEM public key or a
 * JWKS document, by kid), verified with libjwt (signatures) and OpenSSL
 * (JWK -> key). No crypto of our own.
 *
 * The key is picked by the token's alg, and only among the keys that are
 * configured for that alg: an RSA public key is never used as an HMAC
 * secret (the "alg confusion" attack), "none" is refused. Claims: exp is
 * required and must be in the future; aud must equal the configured
 * audience (a string, or an array holding it); CTR_ENTITIES_LIMIT, when a
 * positive integer, is returned to lower the answer's entity limit (as the
 * tr-05 relay modules read it).
 */
#ifndef WT_OBSERVE_AUTH_H
#define WT_OBSERVE_AUTH_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a token accepted at most, and keys a JWKS may hold. */
#define WT_AUTH_TOKEN_MAX  8192
#define WT_AUTH_JWKS_KEYS  32
#define WT_AUTH_SECRET_MIN 32
#define WT_AUTH_FILE_MAX   (256 * 1024)

struct wt_auth;

/**
 * Load the configured keys (each path may be NULL; at least one is not).
 * @returns NULL with the reason in err.
 */
struct wt_auth *wt_auth_new(const char *secret_file, const char *pubkey_file, const char *jwks_file,
                            const char *audience, char *err, size_t errlen);
void wt_auth_free(struct wt_auth *a);

/**
 * Check an Authorization header value ("Bearer <jwt>"; NULL when absent)
 * at now_s (epoch seconds). Thread-safe (read-only).
 * @returns 0 with *limit set (the CTR_ENTITIES_LIMIT claim, 0 when absent),
 *          or -1 with the reason in msg ("Authorization header is missing").
 */
int wt_auth_check(const struct wt_auth *a, const char *authorization, int64_t now_s, int *limit,
                  char *msg, size_t msglen);

/**
 * One JWK of type RSA ({"kty":"RSA","n":...,"e":...}) as a PEM public key
 * (wt_malloc'd, NUL-terminated). @returns 0 or -1.
 */
int wt_auth_jwk_to_pem(const cJSON *jwk, char **pem);

#endif /* WT_OBSERVE_AUTH_H */
