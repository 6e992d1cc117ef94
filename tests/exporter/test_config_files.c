/*
 * test_config_files.c - the configuration's files: the example file, the
 * generated reference (docs/config.md), loading a file and the check-config
 * command.
 */
#include "config_util.h"

/* ------------------------------------------------------------------------ */
/* Files: example, reference, load                                          */
/* ------------------------------------------------------------------------ */

/* Read a whole file into a NUL-terminated heap buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    assert_non_null(m);
    char chunk[4096];
    size_t r;
    while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, r, m);
    fclose(f);
    fclose(m);
    *len = cap;
    return buf;
}

static void assert_same_text(const char *what, const char *got, size_t glen, const char *want,
                             size_t wlen)
{
    if (glen == wlen && memcmp(got, want, glen) == 0)
        return;
    size_t i = 0, line = 1;
    while (i < glen && i < wlen && got[i] == want[i])
        line += got[i++] == '\n';
    fail_msg("%s differs from the generated text at line %zu (byte %zu); regenerate it", what, line,
             i);
}

static void test_example_file_valid(void **state)
{
    (void)state;
    assert_int_equal(wt_config_load(EXAMPLE_JSON, &cfg, &errs), 0);
    assert_int_equal(errs.n, 0);
    assert_int_equal(cfg.ninputs, 1);
    assert_int_equal(cfg.nsinks, 1);
    assert_ptr_equal(cfg.sinks[0].type, &wt_sink_file_type);
    /* Every key at its default: the same as a minimal config. */
    struct wt_config ex = cfg;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(parse(doc(NULL, NULL, NULL)), 0);
    assert_int_equal(ex.retention_ms, cfg.retention_ms);
    assert_int_equal(ex.scan_interval_ms, cfg.scan_interval_ms);
    assert_int_equal(ex.inputs[0].format, cfg.inputs[0].format);
    assert_int_equal(wt_input_file_read_from_end(&ex.inputs[0]),
                     wt_input_file_read_from_end(&cfg.inputs[0]));
    assert_int_equal(ex.inputs[0].max_line, cfg.inputs[0].max_line);
    assert_memory_equal(&ex.batch, &cfg.batch, sizeof(cfg.batch));
    assert_memory_equal(&ex.queue, &cfg.queue, sizeof(cfg.queue));
    assert_memory_equal(&ex.privacy, &cfg.privacy, sizeof(cfg.privacy));
    assert_memory_equal(&ex.log, &cfg.log, sizeof(cfg.log));
    assert_string_equal(ex.sinks[0].name, cfg.sinks[0].name);
    assert_int_equal(FILEO(ex.sinks[0])->compress, FILEO(cfg.sinks[0])->compress);
    assert_int_equal(FILEO(ex.sinks[0])->level, FILEO(cfg.sinks[0])->level);
    assert_int_equal(FILEO(ex.sinks[0])->fsync, FILEO(cfg.sinks[0])->fsync);
    assert_string_equal(ex.metrics.listen, cfg.metrics.listen);
    assert_int_equal(ex.drain_timeout_ms, cfg.drain_timeout_ms);
    wt_config_free(&cfg);
    wt_config_free(&ex);
}

static void test_example_file_is_generated(void **state)
{
    (void)state;
    size_t flen, glen;
    char *file = slurp(EXAMPLE_JSON, &flen);
    char *gen = capture(wt_config_write_example, &glen);
    assert_same_text("deploy/wtexport.example.json", file, flen, gen, glen);
    free(file);
    free(gen);
}

static void test_reference_matches_docs(void **state)
{
    (void)state;
    size_t flen, glen;
    char *file = slurp(DOCS_CONFIG_MD, &flen);
    char *gen = capture(wt_config_write_reference, &glen);
    assert_same_text("docs/config.md", file, flen, gen, glen);
    /* Every section and a sample of rows are there. */
    static const char *const want[] = {
        "## Top level",
        "## `inputs[]`",
        "## `batch`",
        "## `queue`",
        "## `privacy`",
        "## `sinks[]`",
        "### `type: \"file\"`",
        "## `metrics`",
        "## `log`",
        "## `shutdown`",
        "| `retention` | duration | `\"2d\"` | 1h .. 30d |",
        "| `max_events` | integer | `5000` | 1 .. 1000000 |",
    };
    for (size_t i = 0; i < NCASES(want); i++) {
        if (!strstr(gen, want[i]))
            fail_msg("reference lacks %s", want[i]);
    }
    free(file);
    free(gen);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/wt_test_config.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];

    snprintf(path, sizeof(path), "%s/missing.json", dir);
    assert_int_equal(wt_config_load(path, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msg[0], "missing.json: No such file or directory"));

    assert_int_equal(wt_config_load(dir, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msg[0], ": Is a directory"));

    /* One byte over the limit, though it is only white space. */
    char *big = malloc(WT_CFG_FILE_MAX + 1);
    assert_non_null(big);
    const char *json = doc(NULL, NULL, NULL);
    memset(big, ' ', WT_CFG_FILE_MAX + 1);
    memcpy(big, json, strlen(json));
    snprintf(path, sizeof(path), "%s/big.json", dir);
    write_file(path, big, WT_CFG_FILE_MAX + 1);
    assert_int_equal(wt_config_load(path, &cfg, &errs), WT_ECONFIG);
    assert_int_equal(errs.n, 1);
    assert_non_null(strstr(errs.msg[0], "big.json: larger than 1048576 bytes"));
    /* At the limit it loads. */
    write_file(path, big, WT_CFG_FILE_MAX);
    assert_int_equal(wt_config_load(path, &cfg, &errs), 0);
    wt_config_free(&cfg);
    unlink(path);
    free(big);
    rmdir(dir);
}

/* ------------------------------------------------------------------------ */
/* check-config                                                             */
/* ------------------------------------------------------------------------ */

struct cmd_out {
    int rc;
    char *out, *err;
    size_t outlen, errlen;
};

static char *read_all(FILE *f, size_t *len)
{
    long n = ftell(f);
    assert_true(n >= 0);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Run `check-config ARGS` with stdout and stderr captured. */
static struct cmd_out run_check_config(int argc, char **argv)
{
    struct cmd_out r;
    FILE *fo = tmpfile(), *fe = tmpfile();
    assert_non_null(fo);
    assert_non_null(fe);
    fflush(stdout);
    fflush(stderr);
    int so = dup(STDOUT_FILENO), se = dup(STDERR_FILENO);
    dup2(fileno(fo), STDOUT_FILENO);
    dup2(fileno(fe), STDERR_FILENO);
    r.rc = wt_cmd_check_config(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, STDOUT_FILENO);
    dup2(se, STDERR_FILENO);
    close(so);
    close(se);
    fseek(fo, 0, SEEK_END);
    fseek(fe, 0, SEEK_END);
    r.out = read_all(fo, &r.outlen);
    r.err = read_all(fe, &r.errlen);
    fclose(fo);
    fclose(fe);
    return r;
}

static void cmd_out_free(struct cmd_out *r)
{
    free(r->out);
    free(r->err);
}

static void test_check_config_command(void **state)
{
    (void)state;
    char dir[] = "/tmp/wt_test_check.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char good[512], bad[512];
    snprintf(good, sizeof(good), "%s/good.json", dir);
    snprintf(bad, sizeof(bad), "%s/bad.json", dir);
    const char *json = doc("\"host\": \"p1\"", NULL, NULL);
    write_file(good, json, strlen(json));
    json = doc("\"retention\": \"90d\", \"bogus\": 1", NULL, "\"compress\": \"gz\"");
    write_file(bad, json, strlen(json));

    char *a_ok[] = {"check-config", "-c", good, NULL};
    struct cmd_out r = run_check_config(3, a_ok);
    assert_int_equal(r.rc, WT_EXIT_OK);
    char want[1024];
    snprintf(want, sizeof(want),
             "%s: ok\n1 input(s), 1 sink(s) (file0), state_dir /var/lib/wt, host p1\n", good);
    assert_string_equal(r.out, want);
    assert_string_equal(r.err, "");
    cmd_out_free(&r);

    char *a_bad[] = {"check-config", "--config", bad, NULL};
    r = run_check_config(3, a_bad);
    assert_int_equal(r.rc, WT_EXIT_USAGE);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "sinks[0].compress: must be \"zstd\" or \"none\"\n" E_RETENTION
                               "\nbogus: unknown key\n");
    cmd_out_free(&r);

    char *a_ref[] = {"check-config", "--reference", NULL};
    r = run_check_config(2, a_ref);
    assert_int_equal(r.rc, WT_EXIT_OK);
    size_t glen;
    char *gen = capture(wt_config_write_reference, &glen);
    assert_same_text("--reference", r.out, r.outlen, gen, glen);
    free(gen);
    cmd_out_free(&r);

    char *a_ex[] = {"check-config", "--example", NULL};
    r = run_check_config(2, a_ex);
    assert_int_equal(r.rc, WT_EXIT_OK);
    assert_int_equal(wt_config_parse(r.out, r.outlen, &cfg, &errs), 0);
    wt_config_free(&cfg);
    cmd_out_free(&r);

    char *a_help[] = {"check-config", "--help", NULL};
    r = run_check_config(2, a_help);
    assert_int_equal(r.rc, WT_EXIT_OK);
    assert_non_null(strstr(r.out, "usage: wtexport check-config"));
    cmd_out_free(&r);

    /* Usage errors: nothing to check, both a file and --reference, extra arguments. */
    char *a_none[] = {"check-config", NULL};
    char *a_both[] = {"check-config", "-c", good, "--reference", NULL};
    char *a_extra[] = {"check-config", "-c", good, "more", NULL};
    char *a_opt[] = {"check-config", "--bogus", NULL};
    char **usage_cases[] = {a_none, a_both, a_extra, a_opt};
    int usage_argc[] = {1, 4, 4, 2};
    for (size_t i = 0; i < NCASES(usage_cases); i++) {
        r = run_check_config(usage_argc[i], usage_cases[i]);
        assert_int_equal(r.rc, WT_EXIT_USAGE);
        assert_string_equal(r.out, "");
        assert_non_null(strstr(r.err, "usage: wtexport check-config"));
        cmd_out_free(&r);
    }

    unlink(good);
    unlink(bad);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_file_valid),
        cmocka_unit_test(test_example_file_is_generated),
        cmocka_unit_test(test_reference_matches_docs),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_check_config_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
