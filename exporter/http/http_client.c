/*
 * http_client.c - the options every request gets, the bounded response
 * collector and the blocking request of the commands (http.h).
 */
#include "http.h"
#include "wt_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool wt_http_url_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    if (!h)
        return false;
    h += 3;
    size_t n = strcspn(h, ":/");
    if (h[0] == '[')
        return strncmp(h, "[::1]", 5) == 0 && (h[5] == '\0' || h[5] == ':' || h[5] == '/');
    if (n == 9 && strncmp(h, "localhost", 9) == 0)
        return true;
    return n >= 9 && strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") == n;
}

void wt_http_curl_common(CURL *eh, const char *url, const char *ca_file, const char *proxy,
                         char *errbuf)
{
    /* Plain http only to a loopback test server; never downgraded by a redirect
     * (redirects are not followed at all). */
    const char *protos =
        strncmp(url, "http://", 7) == 0 && wt_http_url_loopback(url) ? "http,https" : "https";
    curl_easy_setopt(eh, CURLOPT_URL, url);
    curl_easy_setopt(eh, CURLOPT_PROTOCOLS_STR, protos);
    curl_easy_setopt(eh, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(eh, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(eh, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(eh, CURLOPT_SSL_VERIFYHOST, 2L);
    /* Without ca_file the handle keeps libcurl's built-in CA bundle: setting NULL
     * would clear it. A sink sets the same value on every reuse of a handle. */
    if (ca_file)
        curl_easy_setopt(eh, CURLOPT_CAINFO, ca_file);
    /* "" disables proxies, including http_proxy / https_proxy from the environment:
     * where requests go is decided by the config file alone. */
    curl_easy_setopt(eh, CURLOPT_PROXY, proxy ? proxy : "");
    curl_easy_setopt(eh, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(eh, CURLOPT_VERBOSE, 0L);
    curl_easy_setopt(eh, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(eh, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(eh, CURLOPT_USERAGENT, "wtexport/" WT_VERSION);
    errbuf[0] = '\0';
    curl_easy_setopt(eh, CURLOPT_ERRORBUFFER, errbuf);
}

bool wt_http_pause_asked(CURL *eh, long http, int64_t *delay_ms, const char **value)
{
    struct curl_header *h = NULL;
    if (!wt_http_pausing_status(http) ||
        curl_easy_header(eh, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h ||
        wt_http_retry_after(h->value, wt_wall_ms(), delay_ms) != 0 || *delay_ms <= 0)
        return false;
    *value = h->value;
    return true;
}

const char *wt_http_tls_hint(CURLcode rc, const char *errbuf)
{
    const char *e = errbuf ? errbuf : "";
    if (rc == CURLE_SSL_CACERT_BADFILE)
        return "ca_file cannot be read or holds no CA certificate";
    if (rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CERTPROBLEM)
        return NULL;
    if (strstr(e, "subject name") || strstr(e, "does not match"))
        return "the server's certificate is for another host name: put a name it was issued "
               "for in the url (ca_file is not the cause)";
    if (strstr(e, "expired"))
        return "the server's certificate has expired (or this host's clock is wrong): the "
               "server must renew it (ca_file is not the cause)";
    if (strstr(e, "not yet valid"))
        return "the server's certificate is not valid yet (or this host's clock is wrong; "
               "ca_file is not the cause)";
    if (strstr(e, "revoked"))
        return "the server's certificate was revoked";
    return "set ca_file to the CA that signed the server's certificate";
}

void wt_http_status_text(char *buf, size_t cap, long http, const char *body, size_t len)
{
    char q[WT_HTTP_BODY_QUOTE_MAX + 1];
    size_t n = len < WT_HTTP_BODY_QUOTE_MAX ? len : WT_HTTP_BODY_QUOTE_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)body[i];
        q[i] = ch >= ' ' && ch < 0x7f ? (char)ch : ' ';
    }
    q[n] = '\0';
    snprintf(buf, cap, "HTTP %ld%s%s", http, n ? ": " : "", q);
}

size_t wt_http_collect(char *data, size_t size, size_t nmemb, void *userp)
{
    struct wt_http_resp *r = userp;
    size_t n = size * nmemb;
    size_t room = r->cap > r->len + 1 ? r->cap - r->len - 1 : 0;
    size_t take = n < room ? n : room;
    memcpy(r->body + r->len, data, take);
    r->len += take;
    r->body[r->len] = '\0';
    if (take < n)
        r->truncated = true;
    return n;
}

int wt_http_request(const char *method, const char *url, const char *ca_file, const char *proxy,
                    const char *bearer, const char *json, long timeout_ms, struct wt_http_resp *r,
                    char *err, size_t errlen)
{
    char errbuf[CURL_ERROR_SIZE];
    char auth[WT_HTTP_BEARER_MAX + 32];
    struct curl_slist *hdrs = NULL;

    r->status = 0;
    r->len = 0;
    r->truncated = false;
    if (r->cap)
        r->body[0] = '\0';
    CURL *eh = curl_easy_init();
    if (!eh) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    wt_http_curl_common(eh, url, ca_file, proxy, errbuf);
    curl_easy_setopt(eh, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(eh, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(eh, CURLOPT_CONNECTTIMEOUT_MS, WT_HTTP_CLI_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(eh, CURLOPT_WRITEFUNCTION, wt_http_collect);
    curl_easy_setopt(eh, CURLOPT_WRITEDATA, r);
    if (json) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(eh, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(eh, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(eh, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    }
    if (bearer) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        hdrs = curl_slist_append(hdrs, auth);
        explicit_bzero(auth, sizeof(auth));
    }
    curl_easy_setopt(eh, CURLOPT_HTTPHEADER, hdrs);
    CURLcode cc = curl_easy_perform(eh);
    int rc = 0;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(eh, CURLINFO_RESPONSE_CODE, &r->status);
    } else {
        snprintf(err, errlen, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        const char *hint = wt_http_tls_hint(cc, errbuf);
        if (hint)
            snprintf(err + strlen(err), errlen - strlen(err), " (TLS verification failed: %s)",
                     hint);
        rc = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
    }
    /* The slist holds the credential: wipe its copies before freeing. */
    for (struct curl_slist *h = hdrs; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(eh);
    return rc;
}
