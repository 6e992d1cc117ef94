/*
 * config_int.h - what the config engine's files share: the core key
 * tables (config_table.c), value formatting for messages and documents,
 * and the decoder's state and entry points (config_decode.c) that the
 * whole-document code (config.c) drives.
 * Not for use outside exporter/config/.
 */
#ifndef WT_CONFIG_INT_H
#define WT_CONFIG_INT_H

#include "config.h"
#include "config_keys.h"

#include <cjson/cJSON.h>

/* Sink types the `type` key can name (the registry's, in its order). */
#define WT_CFG_MAX_SINK_TYPES 16

extern const struct wt_cfg_obj wt__cfg_top_obj;
/* The keys every sink entry has; "type" (first) is decoded by the engine. */
extern const struct wt_cfg_obj wt__cfg_sink_obj;
/* The keys every input entry has; "type" (first) is decoded by the engine. */
extern const struct wt_cfg_obj wt__cfg_input_obj;

/** Fill the enum lists of the `type` keys from the registries (idempotent). */
void wt__cfg_types_init(void);

/** A printable host name of 1 to 255 bytes without spaces? */
bool wt__cfg_check_host(const char *v);

/** "90s", "2d", "0s": a duration as written in the config. */
void wt__cfg_fmt_duration(int64_t ms, char *buf, size_t cap);
/** A K_FRAC value (millionths) as a JSON number: 250000 -> "0.25". */
void wt__cfg_fmt_frac(int64_t ppm, char *buf, size_t cap);

/* Decoding state for one document (config_decode.c, config.c). */
struct wt_cfg_ctx {
    struct wt_config_errors *errs;
    bool nomem;
    /* Addresses of values that had an error, for the cross-key checks. */
    const void *failed[32];
    size_t nfailed;
    bool failed_overflow;
};

/** Add an error "path: message" to errs (counted as dropped past the cap). */
__attribute__((format(printf, 3, 4))) void wt__cfg_err_add(struct wt_config_errors *errs,
                                                           const char *path, const char *fmt, ...);
/** Store the defaults of o's keys into the struct at base. */
void wt__cfg_apply_defaults(struct wt_cfg_ctx *c, char *base, const struct wt_cfg_obj *o);
/**
 * Decode the members of obj by the keys of tabs[0..ntabs) (at most two)
 * and of the blocks they embed (K_EMBED), each into its
 * bases[t]: unknown keys, duplicates and missing required keys are errors.
 */
void wt__cfg_decode_obj(struct wt_cfg_ctx *c, const cJSON *obj, const char *path,
                        char *const *bases, const struct wt_cfg_obj *const *tabs, size_t ntabs);

#endif /* WT_CONFIG_INT_H */
