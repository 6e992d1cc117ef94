/*
 * config_int.h - what the config engine's files share: the core key
 * tables (config_table.c), value formatting for messages and documents.
 * Not for use outside exporter/config/.
 */
#ifndef WT_CONFIG_INT_H
#define WT_CONFIG_INT_H

#include "config_keys.h"

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

#endif /* WT_CONFIG_INT_H */
