/*
 * hostport.c - the one host:port rule of the project (see wt_common.h):
 * metrics.listen, the status command and the test servers all use it.
 */
#include "wt_common.h"

#include <string.h>

int wt_hostport_parse(const char *s, char *host, size_t hostcap, uint16_t *port)
{
    const char *h = s, *hend, *p;

    if (s[0] == '[') {
        h = s + 1;
        hend = strchr(h, ']');
        if (hend == NULL || hend[1] != ':' || memchr(h, '[', (size_t)(hend - h)) != NULL)
            return WT_EPARSE;
        p = hend + 2;
    } else {
        hend = strchr(s, ':');
        if (hend == NULL || strchr(hend + 1, ':') != NULL)
            return WT_EPARSE; /* no port, or an IPv6 address without brackets */
        p = hend + 1;
    }
    size_t hl = (size_t)(hend - h), pl = strlen(p);
    if (hl == 0 || hl >= hostcap || pl == 0 || pl > 5 || strspn(p, "0123456789") != pl)
        return WT_EPARSE;
    for (const char *c = h; c < hend; c++) {
        if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
            return WT_EPARSE;
    }
    unsigned long v = 0;
    for (const char *c = p; *c; c++)
        v = v * 10 + (unsigned long)(*c - '0');
    if (v > 65535)
        return WT_EPARSE;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)v;
    return 0;
}
