/*
 * strerror.c - the text of an error code.
 */
#include "wt_common.h"

#include <string.h>

const char *wt_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case WT_EPARSE:
        return "malformed input";
    case WT_EAGAIN:
        return "need more input";
    case WT_EFULL:
        return "buffer or queue full";
    case WT_ETOOLONG:
        return "exceeds its length limit";
    case WT_ESKIP:
        return "no record (header or comment)";
    case WT_ECONFIG:
        return "invalid configuration";
    case WT_ESYMLINK:
        return "a symbolic link: refused (state files are never read through one)";
    case WT_ENOTREG:
        return "not a regular file: refused";
    default:
        break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}
