/*
 * cmd_parse.c - `wtexport parse`: access-log lines in, one JSON event per
 * parsed line out. How an operator checks that their log layout is
 * understood before anything is shipped.
 */
#include "wt_exporter.h"
#include "wt_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read size; the buffer is this plus the maximum line. */
#define PARSE_READ_CHUNK (256 * 1024)
/* Output is flushed when this much is pending. */
#define PARSE_OUT_FLUSH (256 * 1024)

struct parse_counts {
    uint64_t lines, parsed, malformed, too_long, skipped;
};

struct parse_ctx {
    struct wt_parser ps;
    struct wt_record rec;
    struct wt_obs_set os;
    struct wt_obs_opts oopts;
    struct wt_event_opts eopts;
    struct wt_buf out;
    size_t max_line;
    const char *fields; /* --fields: layout for headerless W3C */
    struct parse_counts n;
    bool warned_malformed;
};

static const char parse_usage[] =
    "usage: wtexport parse [--format auto|squid|w3c] [--fields LIST] [--strip-query]\n"
    "                      [--export-user] [--max-line BYTES] [FILE...]\n"
    "\n"
    "Parse access-log lines (squid-native or W3C) and print one JSON event per\n"
    "line on stdout (see docs/events.md). Reads stdin when no FILE or '-'.\n"
    "Header and malformed lines print nothing; a summary goes to stderr.\n"
    "\n"
    "  --format FMT      auto (default), squid or w3c\n"
    "  --fields LIST     W3C field names for input without a #Fields: header\n"
    "  --strip-query     drop ?query from URLs\n"
    "  --export-user     include the authenticated user name\n"
    "  --max-line BYTES  skip longer lines (default 65536, 256..16777216)\n";

static int flush_out(struct parse_ctx *c)
{
    if (c->out.len && fwrite(c->out.p, 1, c->out.len, stdout) != c->out.len)
        return -errno;
    c->out.len = 0;
    return 0;
}

static void handle_line(struct parse_ctx *c, struct wt_str line, uint64_t lineno, const char *name)
{
    c->n.lines++;
    int rc = wt_parse_line(&c->ps, line.p, line.len, &c->rec);
    if (rc == WT_ESKIP) {
        c->n.skipped++;
        return;
    }
    if (rc != 0) {
        c->n.malformed++;
        if (!c->warned_malformed) {
            fprintf(stderr, "wtexport: %s:%llu: malformed line (further ones are only counted)\n",
                    name, (unsigned long long)lineno);
            c->warned_malformed = true;
        }
        return;
    }
    c->n.parsed++;
    wt_obs_extract(&c->rec, &c->oopts, &c->os);
    if (wt_event_encode(&c->out, lineno, &c->rec, &c->os, &c->eopts) == WT_EFULL) {
        flush_out(c);
        /* The buffer holds WT_EVENT_MAX(max_line): it fits when empty. */
        wt_event_encode(&c->out, lineno, &c->rec, &c->os, &c->eopts);
    }
    if (c->out.len >= PARSE_OUT_FLUSH)
        flush_out(c);
}

/* Parse one input to its end. Returns 0 or -errno of a read error. */
static int parse_fd(struct parse_ctx *c, int fd, const char *name, char *buf, size_t cap)
{
    struct wt_splitter sp;
    size_t have = 0;
    int rc = 0;

    wt_splitter_init(&sp, c->max_line);
    wt_parser_reset(&c->ps);
    if (c->fields)
        wt_parser_set_fields(&c->ps, c->fields, strlen(c->fields));
    for (;;) {
        ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        size_t off = 0;
        for (;;) {
            struct wt_str line;
            size_t used = 0;
            int s = wt_splitter_next(&sp, buf + off, have - off, &used, &line);
            off += used;
            if (s != 0)
                break;
            handle_line(c, line, sp.lineno, name);
        }
        memmove(buf, buf + off, have - off);
        have -= off;
    }
    struct wt_str last;
    if (rc == 0 && wt_splitter_finish(&sp, buf, have, &last) == 0)
        handle_line(c, last, sp.lineno, name);
    if (sp.too_long) {
        fprintf(stderr, "wtexport: %s: %llu line(s) longer than %zu bytes skipped\n", name,
                (unsigned long long)sp.too_long, c->max_line);
    }
    c->n.lines += sp.too_long;
    c->n.too_long += sp.too_long;
    return rc;
}

static int parse_args(struct parse_ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"fields", required_argument, NULL, 'F'},
                                         {"strip-query", no_argument, NULL, 'q'},
                                         {"export-user", no_argument, NULL, 'u'},
                                         {"max-line", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    enum wt_format fmt = WT_FORMAT_AUTO;
    int o;

    c->max_line = WT_LINE_MAX_DEFAULT;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'f':
            if (wt_format_from_str(optarg, &fmt) != 0) {
                fprintf(stderr, "wtexport parse: --format must be auto, squid or w3c\n");
                return WT_EXIT_USAGE;
            }
            break;
        case 'F':
            c->fields = optarg;
            break;
        case 'q':
            c->oopts.strip_query = true;
            break;
        case 'u':
            c->eopts.export_user = true;
            break;
        case 'm': {
            uint64_t v;
            if (wt_str_to_u64((struct wt_str){optarg, strlen(optarg)}, &v) != 0 ||
                v < WT_LINE_MAX_MIN || v > WT_LINE_MAX_LIMIT) {
                fprintf(stderr, "wtexport parse: --max-line must be %d..%d bytes\n",
                        WT_LINE_MAX_MIN, WT_LINE_MAX_LIMIT);
                return WT_EXIT_USAGE;
            }
            c->max_line = (size_t)v;
            break;
        }
        case 'h':
            fputs(parse_usage, stdout);
            return -1;
        default:
            fputs(parse_usage, stderr);
            return WT_EXIT_USAGE;
        }
    }
    if (c->fields && fmt == WT_FORMAT_SQUID) {
        fprintf(stderr, "wtexport parse: --fields needs --format w3c or auto\n");
        return WT_EXIT_USAGE;
    }
    if (c->fields)
        fmt = WT_FORMAT_W3C;
    wt_parser_init(&c->ps, fmt);
    if (c->fields && wt_parser_set_fields(&c->ps, c->fields, strlen(c->fields)) != 0) {
        fprintf(stderr, "wtexport parse: --fields: empty, too many fields or too long\n");
        return WT_EXIT_USAGE;
    }
    return 0;
}

int wt_cmd_parse(int argc, char **argv)
{
    struct parse_ctx *c = wt_calloc(1, sizeof(*c));
    char *buf = NULL, *outmem = NULL, *scratch = NULL;
    int ex = WT_EXIT_OK;

    if (!c) {
        fprintf(stderr, "wtexport parse: out of memory\n");
        return WT_EXIT_FAIL;
    }
    int a = parse_args(c, argc, argv);
    if (a != 0) {
        wt_free(c);
        return a < 0 ? WT_EXIT_OK : a;
    }
    size_t cap = c->max_line + 1 + PARSE_READ_CHUNK;
    size_t outcap = WT_EVENT_MAX(c->max_line) + PARSE_OUT_FLUSH;
    size_t scap = c->max_line + WT_OBS_SCRATCH_EXTRA;
    buf = wt_malloc(cap);
    outmem = wt_malloc(outcap);
    scratch = wt_malloc(scap);
    if (!buf || !outmem || !scratch) {
        fprintf(stderr, "wtexport parse: out of memory\n");
        ex = WT_EXIT_FAIL;
        goto out;
    }
    wt_buf_init(&c->out, outmem, outcap);
    wt_obs_set_init(&c->os, scratch, scap);

    int nfiles = argc - optind;
    for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
        const char *name = nfiles ? argv[optind + i] : "-";
        bool is_stdin = strcmp(name, "-") == 0;
        int fd = is_stdin ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "wtexport parse: %s: %s\n", name, strerror(errno));
            ex = WT_EXIT_USAGE;
            continue;
        }
        int rc = parse_fd(c, fd, is_stdin ? "<stdin>" : name, buf, cap);
        if (rc != 0) {
            fprintf(stderr, "wtexport parse: %s: %s\n", name, strerror(-rc));
            ex = WT_EXIT_USAGE;
        }
        if (!is_stdin)
            close(fd);
    }
    if (flush_out(c) != 0 || fflush(stdout) != 0) {
        fprintf(stderr, "wtexport parse: writing stdout: %s\n", strerror(errno));
        ex = WT_EXIT_FAIL;
    }
    fprintf(stderr, "lines=%llu parsed=%llu malformed=%llu too_long=%llu\n",
            (unsigned long long)c->n.lines, (unsigned long long)c->n.parsed,
            (unsigned long long)c->n.malformed, (unsigned long long)c->n.too_long);
out:
    wt_free(buf);
    wt_free(outmem);
    wt_free(scratch);
    wt_free(c);
    return ex;
}
