/*
 * parser.c - format dispatch and auto detection.
 *
 * AUTO reads squid-native lines until it meets a W3C `#Fields:` header, and
 * W3C lines from then on, so a W3C file (which starts with its header) and a
 * squid file are both recognised from their first lines, with no look-ahead.
 */
#include "parsers_int.h"

static const struct wt_parser_ops *ops_of(enum wt_format f)
{
    return f == WT_FORMAT_W3C ? &wt_parser_w3c : &wt_parser_squid;
}

int wt_parser_init(struct wt_parser *ps, enum wt_format format)
{
    if (format != WT_FORMAT_AUTO && format != WT_FORMAT_SQUID && format != WT_FORMAT_W3C)
        return WT_ECONFIG;
    memset(ps, 0, sizeof(*ps));
    ps->format = format;
    wt_parser_reset(ps);
    return 0;
}

void wt_parser_reset(struct wt_parser *ps)
{
    ps->active = ps->format == WT_FORMAT_W3C ? WT_FORMAT_W3C : WT_FORMAT_SQUID;
    wt_parser_w3c.reset(ps);
    wt_parser_squid.reset(ps);
}

static bool is_fields_header(const char *line, size_t len)
{
    static const char tag[] = "#Fields:";
    return len >= sizeof(tag) - 1 && memcmp(line, tag, sizeof(tag) - 1) == 0;
}

int wt_parse_line(struct wt_parser *ps, const char *line, size_t len, struct wt_record *rec)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (ps->format == WT_FORMAT_AUTO && ps->active == WT_FORMAT_SQUID && len > 0 &&
        line[0] == '#' && is_fields_header(line, len))
        ps->active = WT_FORMAT_W3C;
    return ops_of(ps->active)->parse(ps, line, len, rec);
}

int wt_format_from_str(const char *s, enum wt_format *out)
{
    static const struct {
        const char *name;
        enum wt_format f;
    } names[] = {{"auto", WT_FORMAT_AUTO}, {"squid", WT_FORMAT_SQUID}, {"w3c", WT_FORMAT_W3C}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    }
    return WT_EPARSE;
}

const char *wt_format_name(enum wt_format f)
{
    switch (f) {
    case WT_FORMAT_SQUID:
        return "squid";
    case WT_FORMAT_W3C:
        return "w3c";
    case WT_FORMAT_EVENT:
        return "event";
    default:
        return "auto";
    }
}
