/* w3c.c - STUB, being written. */
#include "parsers_int.h"
static int w3c_parse(struct wt_parser *ps, const char *line, size_t len, struct wt_record *rec)
{
    (void)ps; (void)line; (void)len; (void)rec;
    return WT_EPARSE;
}
static void w3c_reset(struct wt_parser *ps)
{
    ps->w3c.n = 0;
}
const struct wt_parser_ops wt_parser_w3c = {"w3c", w3c_parse, w3c_reset};
int wt_parser_set_fields(struct wt_parser *ps, const char *fields, size_t len)
{
    (void)ps; (void)fields; (void)len;
    return WT_EPARSE;
}
int wt_record_field(const struct wt_parser *ps, const struct wt_record *rec, const char *name,
                    struct wt_str *out)
{
    (void)ps; (void)rec; (void)name; (void)out;
    return WT_EPARSE;
}
