/*
 * config_keys.h - how a part of the exporter describes its configuration
 * keys: the table types the config engine (config.c) decodes, validates,
 * defaults, frees and documents, and the few calls a part's own checks
 * make while a document is decoded.
 *
 * Each JSON object of the config is a struct wt_cfg_obj: a table of struct
 * wt_cfg_key (name, type, where the value lives, default, range,
 * description, example). The same table drives decoding (every error with
 * its key path, never stopping at the first), defaults, freeing,
 * docs/config.md and deploy/wtexport.example.json, so the documentation
 * cannot drift from the code. A sink or input type brings its own table and
 * checks (struct wt_sink_type in sink.h, struct wt_input_type in
 * input_type.h); the engine knows no type by name (struct wt_cfg_typed).
 */
#ifndef WT_CONFIG_KEYS_H
#define WT_CONFIG_KEYS_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Key types. K_MAP: an object of free-form names, each a string (a number
 * or boolean is kept as its text), into an array of struct wt_cfg_pair at
 * off, count at count_off. K_FRAC: a JSON number with a fraction,
 * min/max/def in millionths, stored as a double. K_EMBED: not a key but a
 * block of keys that several tables share (e.g. the HTTP sinks' keys,
 * exporter/http/http_keys.h): the keys of sub are members of this object,
 * their values at off + their own offsets; nameless, documented in place.
 * A table embeds at most WT_CFG_MAX_EMBED blocks; a block embeds none. */
enum wt_cfg_type {
    K_STR,
    K_BOOL,
    K_INT,
    K_DUR,
    K_SIZE,
    K_ENUM,
    K_OBJ,
    K_ARR,
    K_MAP,
    K_FRAC,
    K_EMBED
};
/* The C type of the value at wt_cfg_key.off. */
enum wt_cfg_store { S_NONE, S_STR, S_BOOL, S_INT, S_U32, S_I64, S_SIZE, S_DBL };

#define F_REQUIRED 1u
/* K_STR: a JSON array of strings is taken too, joined with "," (no element
 * may hold a comma) before the check; at most WT_CFG_LIST_MAX bytes. */
#define F_LIST          2u
#define WT_CFG_LIST_MAX 4096
/* Keys per table (the decoder keeps a seen[] bitmap of this size). */
#define WT_CFG_OBJ_MAX_KEYS 24
/* K_EMBED blocks per table. */
#define WT_CFG_MAX_EMBED 2
/* Bytes of a key path: "sinks[7].compress"; unknown key names are cut to fit. */
#define WT_CFG_PATH_MAX 128

#define WT_CFG_NKEYS(a) (sizeof(a) / sizeof((a)[0]))

struct wt_cfg_enum {
    const char *name; /* NULL ends the list */
    int value;
};

/** One entry of a K_MAP key; both strings owned by the config. */
struct wt_cfg_pair {
    char *name;
    char *value;
};

struct wt_cfg_obj;

struct wt_cfg_key {
    const char *name;
    enum wt_cfg_type type;
    enum wt_cfg_store store;
    size_t off;                      /* value; K_OBJ, K_EMBED: its struct; K_ARR: element 0 */
    size_t count_off;                /* K_ARR, K_MAP: of the size_t element count */
    int64_t min, max;                /* K_INT; K_DUR in ms; K_SIZE in bytes; K_ARR, K_MAP entries */
    int64_t def;                     /* default of K_BOOL, K_INT, K_DUR, K_SIZE, K_ENUM */
    const char *def_str;             /* K_STR: default value, NULL for none */
    const char *def_doc;             /* default as documented when it is computed */
    const struct wt_cfg_enum *enums; /* K_ENUM */
    const struct wt_cfg_obj *sub;    /* K_OBJ, K_EMBED, K_ARR element */
    bool (*check)(const char *value); /* K_STR: valid? */
    const char *want;                 /* K_STR: error says "must be <want>" */
    /* K_MAP: is the entry valid? If not, the reason goes to msg. */
    bool (*check_pair)(const char *name, const char *value, char *msg, size_t cap);
    unsigned flags;
    const char *doc;
    const char *example; /* JSON text */
};

/**
 * An array entry whose first key, `type`, picks a second key table and a
 * struct of that type's options (sinks[], inputs[]). The engine knows the
 * types only through this: the registry's entries, each with its key table.
 * The `type` key is a K_ENUM over names(); F_REQUIRED, or its def is the
 * index of the default type.
 */
struct wt_cfg_typed {
    size_t type_off;   /* of the `const void *` type pointer in the entry */
    size_t opts_off;   /* of the `void *` options (owned) */
    size_t source_off; /* of the `char *` entry JSON as written (owned, cJSON_free) */
    /* The registry: type v (0..), NULL past the end. */
    const void *(*type_at)(size_t v);
    /* The key table of a type (its options struct is keys->size bytes). */
    const struct wt_cfg_obj *(*keys_of)(const void *type);
    /* Free what opts holds beyond its keys' strings; NULL: nothing. */
    void (*free_opts)(const void *type, void *opts);
    /* What a section of one type's keys is about ("sink", "input"). */
    const char *what;
};

struct wt_cfg_obj {
    const char *title; /* section heading of the reference */
    const char *doc;   /* paragraph under it */
    const struct wt_cfg_key *keys;
    size_t nkeys;
    size_t size; /* bytes of the struct the offsets are in (arrays, sink options) */
    const struct wt_cfg_typed *typed; /* entries of a typed array; NULL: plain */
};

/** Decoding state of one document (opaque to the parts' checks). */
struct wt_cfg_ctx;

/** Report an error at a key path ("sinks[0].url"; NULL or "": the document). */
__attribute__((format(printf, 3, 4))) void wt_cfg_error(struct wt_cfg_ctx *c, const char *path,
                                                        const char *fmt, ...);
/** Did the value at this address fail to decode? (Cross-key rules then stay quiet.) */
bool wt_cfg_failed(const struct wt_cfg_ctx *c, const void *value);
/** Set a string value (a computed default); out of memory is recorded. */
void wt_cfg_set_str(struct wt_cfg_ctx *c, char **p, const char *v);
/** A size as written in the config: "1MiB", "64KiB", "100B". */
void wt_cfg_fmt_size(uint64_t bytes, char *buf, size_t cap);

/* String checks shared by the tables: true when the value is acceptable. */
bool wt_cfg_check_abs_path(const char *v);
bool wt_cfg_check_nonempty(const char *v);

#endif /* WT_CONFIG_KEYS_H */
