/*
 * config_util.h - what the configuration tests share (test_config.c,
 * test_config_files.c, test_config_sinks.c, test_config_inputs.c): the
 * decoded config and its errors, a minimal document with members spliced
 * in, checks of a document's errors, and the text a writer function prints.
 *
 * Header-only (static functions): each test is one executable.
 */
#ifndef WT_TEST_CONFIG_UTIL_H
#define WT_TEST_CONFIG_UTIL_H

#include "config.h"
#include "input_file.h"
#include "input_type.h"
#include "kafka_input_int.h"
#include "file_int.h"
#include "log.h"
#include "sink.h"
#include "sink_kafka_int.h"
#include "sse_int.h"
#include "ctia_int.h"
#include "wt_exporter.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* The options of a sink entry, by type. */
#define FILEO(sc)  ((const struct wt_file_opts *)(sc).opts)
#define KAFKAO(sc) ((const struct wt_kafka_opts *)(sc).opts)
#define SSEO(sc)   ((const struct wt_sse_opts *)(sc).opts)
#define CTIAO(sc)  ((const struct wt_ctia_opts *)(sc).opts)

#define DOCS_CONFIG_MD WT_TEST_DATA_DIR "/../../docs/config.md"
#define EXAMPLE_JSON   WT_TEST_DATA_DIR "/../../deploy/wtexport.example.json"

#define E_RETENTION "retention: must be a duration from 1h to 30d (e.g. \"2d\")"

/* Large: keep them off the stack. */
static struct wt_config cfg;
static struct wt_config_errors errs;

static inline int parse(const char *json)
{
    return wt_config_parse(json, strlen(json), &cfg, &errs);
}

/*
 * A minimal valid document with members spliced in: at the top level, into
 * inputs[0] and into sinks[0] (each may be NULL).
 */
static inline const char *doc(const char *top, const char *in, const char *sink)
{
    static char buf[16384];
    snprintf(buf, sizeof(buf),
             "{\"state_dir\": \"/var/lib/wt\",\n"
             " \"inputs\": [{\"path\": \"/var/log/a*.log\"%s%s}],\n"
             " \"sinks\": [{\"type\": \"file\", \"path\": \"/out/e.zst\"%s%s}]%s%s}\n",
             in ? ", " : "", in ? in : "", sink ? ", " : "", sink ? sink : "", top ? ",\n " : "",
             top ? top : "");
    return buf;
}

static inline void dump_errors(const char *json)
{
    print_message("document:\n%s\nerrors (%u, dropped %u):\n", json, errs.n, errs.dropped);
    for (unsigned i = 0; i < errs.n; i++)
        print_message("  %s\n", errs.msg[i]);
}

/* json is valid; cfg is freed afterwards. */
static inline void check_valid(const char *json)
{
    if (parse(json) != 0) {
        dump_errors(json);
        fail_msg("expected a valid config");
    }
    wt_config_free(&cfg);
}

/* json has exactly the errors msgs[0..n), in order. */
static inline void check_errors(const char *json, const char *const *msgs, unsigned n)
{
    int rc = parse(json);
    bool same = rc == WT_ECONFIG && errs.n == n && errs.dropped == 0;
    for (unsigned i = 0; same && i < n; i++)
        same = strcmp(errs.msg[i], msgs[i]) == 0;
    if (!same) {
        dump_errors(json);
        print_message("expected (%u):\n", n);
        for (unsigned i = 0; i < n; i++)
            print_message("  %s\n", msgs[i]);
        fail_msg("errors differ");
    }
    /* On failure the config owns nothing. */
    assert_null(cfg.state_dir);
    assert_null(cfg.inputs[0].opts);
    assert_null(cfg.sinks[0].opts);
    assert_int_equal(cfg.ninputs, 0);
}

static inline void check_error(const char *json, const char *msg)
{
    check_errors(json, &msg, 1);
}

struct err_case {
    const char *top, *in, *sink; /* spliced into doc() */
    const char *msg;             /* NULL: valid */
};

static inline void run_cases(const struct err_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct err_case *t = &cases[i];
        const char *json = doc(t->top, t->in, t->sink);
        if (t->msg)
            check_error(json, t->msg);
        else
            check_valid(json);
    }
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* What a writer function prints, in a heap buffer. */
static inline char *capture(void (*fn)(FILE *), size_t *len)
{
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    assert_non_null(m);
    fn(m);
    fclose(m);
    *len = cap;
    return buf;
}

#endif
