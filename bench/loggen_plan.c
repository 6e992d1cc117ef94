/*
 * loggen_plan.c - what the next line holds (struct txn), decided before it
 * is written so that every layout writes the same records: kind of request,
 * destination, client, result, sizes, MIME type, ACL tag, AMP file.
 */
#include "loggen.h"

#include <string.h>

static const uint16_t kind_weights[NKIND] = {220, 80, 20, 80, 350, 250};

static uint64_t draw_elapsed(struct rng *r, enum kind k)
{
    if (k == K_CONNECT || k == K_CONNECT_IP || k == K_TCP_CONNECT) {
        uint32_t b = rng_below(r, 10);
        return b < 3   ? rng_range(r, 1, 999)
               : b < 8 ? rng_range(r, 1000, 60000)
                       : rng_range(r, 60000, 900000);
    }
    uint32_t b = rng_below(r, 100);
    return b < 40   ? rng_range(r, 0, 50)
           : b < 80 ? rng_range(r, 51, 500)
           : b < 95 ? rng_range(r, 501, 5000)
                    : rng_range(r, 5001, 60000);
}

static uint64_t draw_body(struct rng *r)
{
    uint32_t b = rng_below(r, 100);
    return b < 30   ? rng_range(r, 200, 2000)
           : b < 75 ? rng_range(r, 2001, 50000)
           : b < 95 ? rng_range(r, 50001, 1000000)
                    : rng_range(r, 1000001, 50000000);
}

static const char *mime_of(struct rng *r, enum ext e)
{
    switch (e) {
    case EXT_HTML:
        return rng_below(r, 3) ? "text/html; charset=utf-8" : "text/html";
    case EXT_JS:
        return rng_below(r, 4) ? "application/javascript" : "text/javascript; charset=utf-8";
    case EXT_CSS:
        return "text/css";
    case EXT_PNG:
        return "image/png";
    case EXT_JPG:
        return "image/jpeg";
    case EXT_GIF:
        return "image/gif";
    case EXT_JSON:
        return rng_below(r, 2) ? "application/json" : "application/json; charset=utf-8";
    case EXT_BIN:
        return "application/octet-stream";
    default: {
        static const char *const any[] = {"text/html; charset=utf-8",
                                          "application/json",
                                          "text/plain",
                                          "application/x-protobuf",
                                          "application/ocsp-response",
                                          "video/mp4",
                                          "application/pkix-crl",
                                          "text/xml"};
        static const uint16_t w[] = {40, 25, 8, 6, 6, 5, 3, 7};
        return any[rng_weighted(r, w, ARRAY_SIZE(w))];
    }
    }
}

void plan(struct gen *g, struct txn *t)
{
    struct rng *r = &g->r;
    memset(t, 0, sizeof(*t));

    bool amp = rng_chance(r, 2000);
    bool longq = !amp && rng_chance(r, 500);
    if (amp || longq)
        t->kind = rng_below(r, 10) < 7 ? K_HTTPS : K_HTTP;
    else
        t->kind = (enum kind)rng_weighted(r, kind_weights, NKIND);
    t->long_url = longq;
    t->d = &g->dom[zipf_draw(&g->zdom, r)];
    if (rng_chance(r, 5000))
        t->c = &g->cl6[zipf_draw(&g->zcl6, r)];
    else
        t->c = &g->cl4[zipf_draw(&g->zcl4, r)];
    t->masked = t->c->first_octet && rng_chance(r, 500);
    t->user = rng_chance(r, 20000);
    t->elapsed = draw_elapsed(r, t->kind);
    t->ua = rng_weighted(r, ua_weights, ARRAY_SIZE(ua_weights));
    t->avg_bw = rng_below(r, 100000);
    t->mime = "-";
    t->acl_rest = acl_access[t->c->group];
    if (amp)
        t->f = &g->files[zipf_draw(&g->zfiles, r)];

    /* Denials: bad reputation is blocked more often. */
    uint32_t deny_p = t->d->wbrs != INT16_MIN && t->d->wbrs < -60 ? 60000 : 2500;
    t->denied = rng_chance(r, deny_p) || (t->f && t->f->verdict == 37);

    switch (t->kind) {
    case K_CONNECT:
    case K_CONNECT_DEC:
    case K_CONNECT_IP:
    case K_TCP_CONNECT:
        t->method = t->kind == K_TCP_CONNECT ? "TCP_CONNECT" : "CONNECT";
        t->acl_rest = acl_decrypt[t->c->group];
        if (t->denied) {
            t->result = "TCP_DENIED";
            t->status = 403;
            t->bytes = rng_below(r, 4) ? 0 : rng_range(r, 1500, 1700);
            t->elapsed = rng_range(r, 0, 5);
            static const char *const tags[] = {"BLOCK_WEBCAT_12", "DROP_WBRS_7", "BLOCK_WBRS_12",
                                               "BLOCK_ADMIN_CONNECT_12"};
            t->acl_tag = tags[rng_below(r, ARRAY_SIZE(tags))];
        } else if (t->kind == K_CONNECT_DEC) {
            t->result = rng_below(r, 8) ? "TCP_MISS_SSL" : "TCP_CLIENT_REFRESH_MISS_SSL";
            t->status = 200;
            t->bytes = rng_range(r, 39, 40);
            t->acl_tag = rng_below(r, 3) ? "DECRYPT_WEBCAT_7" : "DECRYPT_WBRS_7";
        } else {
            t->result = rng_below(r, 20) ? "TCP_MISS" : "TCP_CLIENT_REFRESH_MISS";
            t->status = 200;
            t->bytes = draw_body(r);
            static const char *const tags[] = {"PASSTHRU_WBRS_7", "PASSTHRU_WEBCAT_7",
                                               "PASSTHRU_CUSTOMCAT_7"};
            static const uint16_t w[] = {60, 35, 5};
            t->acl_tag = tags[rng_weighted(r, w, ARRAY_SIZE(w))];
            if (rng_chance(r, 10000))
                t->mime = "application/octet-stream";
        }
        break;
    case K_HTTPS:
    case K_HTTP: {
        bool tls = t->kind == K_HTTPS;
        uint32_t m = rng_below(r, 100);
        t->method = m < 80 ? "GET" : m < 94 ? "POST" : m < 97 ? "HEAD" : m < 99 ? "OPTIONS" : "PUT";
        if (t->f || t->long_url)
            t->method = t->long_url && rng_below(r, 4) == 0 ? "POST" : "GET";
        t->ext = t->f ? EXT_NONE : (enum ext)rng_weighted(r, ext_weights, NEXT);
        t->scanned = true;
        if (rng_chance(r, 40000))
            t->referer = &g->dom[zipf_draw(&g->zdom, r)];
        if (t->denied) {
            uint32_t x = rng_below(r, 10);
            if (t->f) {
                t->result = tls ? "TCP_DENIED_SSL" : "TCP_DENIED";
                t->status = 403;
                t->acl_tag = "BLOCK_AMW_RESP_12";
                t->bytes = rng_range(r, 1200, 4200);
                t->mime = "text/html";
            } else if (x < 2) {
                t->result = "TCP_DENIED";
                t->status = 407;
                t->acl_tag = "OTHER";
                t->acl_rest = "-NONE-NONE-NONE-NONE-NONE-NONE-NONE";
                t->bytes = rng_range(r, 300, 4000);
                t->elapsed = rng_range(r, 0, 2);
            } else {
                static const char *const tags[] = {"BLOCK_WEBCAT_12", "BLOCK_WBRS_12",
                                                   "BLOCK_CONTINUE_WEBCAT_12", "BLOCK_ADMIN_12",
                                                   "BLOCK_CUSTOMCAT_12"};
                t->result = tls ? "TCP_DENIED_SSL" : "TCP_DENIED";
                t->status = 403;
                t->acl_tag = tags[rng_below(r, ARRAY_SIZE(tags))];
                t->bytes = rng_range(r, 0, 1) ? 0 : rng_range(r, 1500, 4000);
                t->elapsed = rng_range(r, 0, 30);
            }
            t->scanned = false;
            break;
        }
        static const char *const tags[] = {"DEFAULT_CASE_12", "ALLOW_WBRS_12", "ALLOW_CUSTOMCAT_12",
                                           "MONITOR_WBRS_12", "PASSTHRU_WEBCAT_12"};
        static const uint16_t tw[] = {80, 10, 4, 4, 2};
        t->acl_tag = tags[rng_weighted(r, tw, ARRAY_SIZE(tw))];
        uint32_t s = rng_below(r, 1000);
        if (t->f)
            s = 0;
        if (s < 740) {
            t->status = 200;
            uint32_t h = rng_below(r, 100);
            if (tls)
                t->result = h < 95 ? "TCP_MISS_SSL" : "TCP_CLIENT_REFRESH_MISS_SSL";
            else
                t->result = h < 84   ? "TCP_MISS"
                            : h < 90 ? "TCP_HIT"
                            : h < 94 ? "TCP_MEM_HIT"
                            : h < 97 ? "TCP_REFRESH_HIT"
                                     : "TCP_CLIENT_REFRESH_MISS";
            t->bytes = draw_body(r);
            t->mime = mime_of(r, t->ext);
        } else if (s < 820) {
            t->status = 304;
            t->result = tls ? (rng_below(r, 2) ? "TCP_CLIENT_REFRESH_MISS_SSL" : "TCP_MISS_SSL")
                            : (rng_below(r, 2) ? "TCP_IMS_HIT" : "TCP_MISS");
            t->bytes = rng_range(r, 180, 600);
        } else if (s < 870) {
            t->status = 302;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 300, 1200);
            t->mime = "text/html; charset=utf-8";
        } else if (s < 920) {
            t->status = 204;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 150, 500);
        } else if (s < 960) {
            t->status = 404;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 400, 9000);
            t->mime = "text/html; charset=utf-8";
        } else if (s < 975) {
            t->status = 201;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 200, 3000);
            t->mime = "application/json";
        } else if (s < 985) {
            t->status = 401;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 200, 1500);
            t->mime = "application/json";
        } else if (s < 995) {
            t->status = 503;
            t->result = tls ? "TCP_MISS_SSL" : "TCP_MISS";
            t->bytes = rng_range(r, 200, 1500);
            t->mime = "text/html";
        } else {
            t->status = 504;
            t->result = "NONE";
            t->bytes = rng_range(r, 2900, 3100);
            t->mime = "text/html";
        }
        if (t->f)
            t->mime = "application/octet-stream";
        break;
    }
    default:
        break;
    }
}

void count(struct gen *g, const struct txn *t)
{
    g->lines++;
    g->n_v6 += t->c->first_octet == 0;
    g->n_masked += t->masked;
    g->n_user += t->user;
    g->n_amp += t->f != NULL;
    g->n_long += t->long_url;
    g->n_denied += t->denied;
    g->n_connect += t->kind == K_CONNECT || t->kind == K_CONNECT_DEC || t->kind == K_CONNECT_IP;
    g->n_tcp_connect += t->kind == K_TCP_CONNECT;
    g->n_https += t->kind == K_HTTPS;
    g->n_http += t->kind == K_HTTP;
}
