/*
 * input_type.h - what an input type is (its config keys, checks and, for
 * inputs the core's tailer does not follow, its operations), the registry
 * of built-in types, and the set of running non-file inputs.
 *
 * An input type lives in its own folder under exporter/inputs/ and exports
 * one const struct wt_input_type; adding a type is that folder plus one
 * word in WT_INPUT_TYPES (input_type.c). The config engine knows input
 * types only through this header (struct wt_cfg_typed).
 *
 * The `file` type has no operations: core/tail.c follows every file input.
 * Every other type is opened once per config entry by wt_inputs_open and
 * feeds the pipeline like the tailer does (wt_pipeline_line, _mark), with
 * a source id of its own (WT_INPUT_ID_BASE + the entry's index), so acks
 * for its lines never reach the tailer's files.
 */
#ifndef WT_INPUT_TYPE_H
#define WT_INPUT_TYPE_H

#include "config.h"
#include "config_keys.h"
#include "metrics.h"
#include "pipeline.h"

#include <uv.h>

/* Source ids of non-file inputs; the tailer counts its own up from 0. */
#define WT_INPUT_ID_BASE 0xffff0000u
/* Input types the `type` key can name. */
#define WT_CFG_MAX_INPUT_TYPES 8

/** What a running input gets: everything lives longer than the input. */
struct wt_input_env {
    uv_loop_t *loop;
    const struct wt_config *cfg;
    struct wt_pipeline *p;
    struct wt_metrics *m;
};

struct wt_input_ops {
    /*
     * Start cfg->inputs[i] (a copy of what it needs is kept: a reload
     * does not change a running input). *impl is the input's state.
     * @returns 0, or negative with a message in err.
     */
    int (*open)(void **impl, const struct wt_input_env *env, size_t i, uint32_t id, char *err,
                size_t errlen);
    /* The pipeline has room again (on_resume): read again. */
    void (*resume)(void *impl);
    /* Every line fed up to offset is in the spool (on_ack, in feeding order). NULL: ignored. */
    void (*ack)(void *impl, uint64_t offset, uint64_t lineno);
    /* Every sink finished the spool up to token (see pipeline.h on_delivered). NULL: ignored. */
    void (*delivered)(void *impl, uint64_t token);
    /* Stop reading and close handles; the loop finishes the closing. */
    void (*stop)(void *impl);
    /* Free, after stop and the loop closed the handles. NULL is fine. */
    void (*free)(void *impl);
    /* Failing (for /healthz)? NULL: never. */
    bool (*failing)(const void *impl);
};

/** An input type: everything the rest of the exporter knows of it. */
struct wt_input_type {
    const char *name; /* the "type" value in the config */
    /* Its keys, in a struct of keys->size bytes (wt_input_cfg.opts). */
    const struct wt_cfg_obj *keys;
    /* Rules across keys for inputs[i] (errors at "inputs[i].key"); NULL: none. */
    void (*check)(struct wt_cfg_ctx *c, struct wt_config *cfg, size_t i);
    /* Free what opts holds beyond its keys' strings; NULL: nothing. */
    void (*free_opts)(void *opts);
    /* NULL: followed by core/tail.c (the file type). */
    const struct wt_input_ops *ops;
    /* Its source keeps what is not acked by every sink (a Kafka topic): it
     * may run without the spool (spool.enabled false). */
    bool spool_optional;
};

/** The built-in input types, NULL-terminated (input_type.c); the first is the default. */
extern const struct wt_input_type *const wt_input_types[];

/** Refuse format "event" for inputs[i] (a type that reads access-log lines only). */
void wt_input_check_line_format(struct wt_cfg_ctx *c, const struct wt_config *cfg, size_t i);

/** The type called name, or NULL. */
const struct wt_input_type *wt_input_type_find(const char *name);

/* ------------------------------------------------------------------------ */
/* Running inputs (other than files)                                        */
/* ------------------------------------------------------------------------ */

struct wt_inputs;

/**
 * Open every input of env->cfg whose type has operations. env is copied.
 * @returns 0 with *out set (an empty set when there is none), or negative
 * with a message in err (nothing stays open).
 */
int wt_inputs_open(struct wt_inputs **out, const struct wt_input_env *env, char *err,
                   size_t errlen);
/** The pipeline has room again: every input may read. NULL is fine. */
void wt_inputs_resume(struct wt_inputs *s);
/** The pipeline acked input id up to offset (on_ack): to that input. NULL is fine. */
void wt_inputs_ack(struct wt_inputs *s, uint32_t id, uint64_t offset, uint64_t lineno);
/** Every sink finished the spool up to token (on_delivered): to every input. NULL is fine. */
void wt_inputs_delivered(struct wt_inputs *s, uint64_t token);
/** Stop reading, close handles (shutdown). NULL is fine. */
void wt_inputs_stop(struct wt_inputs *s);
/** Any input failing? */
bool wt_inputs_failing(const struct wt_inputs *s);
/** Free (after stop, once the loop closed the handles). NULL is fine. */
void wt_inputs_free(struct wt_inputs *s);

#endif /* WT_INPUT_TYPE_H */
