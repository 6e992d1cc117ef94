/* squid.c - STUB, being written. */
#include "parsers_int.h"
static int squid_parse(struct wt_parser *ps, const char *line, size_t len, struct wt_record *rec)
{
    (void)ps; (void)line; (void)len; (void)rec;
    return WT_EPARSE;
}
static void squid_reset(struct wt_parser *ps)
{
    (void)ps;
}
const struct wt_parser_ops wt_parser_squid = {"squid", squid_parse, squid_reset};
