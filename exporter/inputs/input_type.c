/*
 * input_type.c - the registry of built-in input types (one word each in
 * WT_INPUT_TYPES; a type's folder defines wt_input_<name>_type; the first
 * is the default of `type`) and the set of running non-file inputs.
 */
#include "input_type.h"

#include "wt_common.h"

#include <stdio.h>
#include <string.h>

#define WT_INPUT_TYPES(X) X(file) X(syslog) X(kafka)

#define DECLARE(t) extern const struct wt_input_type wt_input_##t##_type;
WT_INPUT_TYPES(DECLARE)
#undef DECLARE

#define ENTRY(t) &wt_input_##t##_type,
const struct wt_input_type *const wt_input_types[] = {WT_INPUT_TYPES(ENTRY) NULL};
#undef ENTRY

const struct wt_input_type *wt_input_type_find(const char *name)
{
    for (const struct wt_input_type *const *t = wt_input_types; *t; t++) {
        if (strcmp((*t)->name, name) == 0)
            return *t;
    }
    return NULL;
}

void wt_input_check_line_format(struct wt_cfg_ctx *c, const struct wt_config *cfg, size_t i)
{
    char kp[WT_CFG_PATH_MAX];
    if (cfg->inputs[i].format == WT_FORMAT_EVENT) {
        snprintf(kp, sizeof(kp), "inputs[%zu].format", i);
        wt_cfg_error(c, kp, "\"event\" only with type \"kafka\"");
    }
}

struct wt_inputs {
    size_t n;
    struct {
        const struct wt_input_ops *ops;
        void *impl;
        uint32_t id;
    } in[WT_CFG_MAX_INPUTS];
};

int wt_inputs_open(struct wt_inputs **out, const struct wt_input_env *env, char *err, size_t errlen)
{
    struct wt_inputs *s = wt_calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < env->cfg->ninputs; i++) {
        const struct wt_input_ops *ops = env->cfg->inputs[i].type->ops;
        if (!ops)
            continue; /* a file: the tailer's */
        void *impl = NULL;
        int rc = ops->open(&impl, env, i, WT_INPUT_ID_BASE + (uint32_t)i, err, errlen);
        if (rc != 0) {
            wt_inputs_stop(s);
            wt_inputs_free(s); /* the handles close with the loop's next turn */
            return rc;
        }
        s->in[s->n].ops = ops;
        s->in[s->n].impl = impl;
        s->in[s->n].id = WT_INPUT_ID_BASE + (uint32_t)i;
        s->n++;
    }
    *out = s;
    return 0;
}

void wt_inputs_resume(struct wt_inputs *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        s->in[i].ops->resume(s->in[i].impl);
}

void wt_inputs_ack(struct wt_inputs *s, uint32_t id, uint64_t offset, uint64_t lineno)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (s->in[i].id == id && s->in[i].ops->ack)
            s->in[i].ops->ack(s->in[i].impl, offset, lineno);
    }
}

void wt_inputs_delivered(struct wt_inputs *s, uint64_t token)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (s->in[i].ops->delivered)
            s->in[i].ops->delivered(s->in[i].impl, token);
    }
}

void wt_inputs_stop(struct wt_inputs *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        s->in[i].ops->stop(s->in[i].impl);
}

bool wt_inputs_failing(const struct wt_inputs *s)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (s->in[i].ops->failing && s->in[i].ops->failing(s->in[i].impl))
            return true;
    }
    return false;
}

void wt_inputs_free(struct wt_inputs *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        s->in[i].ops->free(s->in[i].impl);
    wt_free(s);
}
