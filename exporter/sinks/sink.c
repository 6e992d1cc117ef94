/*
 * sink.c - the registry of built-in sink types: one line each in
 * WT_SINK_TYPES. A type's folder defines wt_sink_<name>_type.
 */
#include "sink.h"

#include <string.h>

#define WT_SINK_TYPES(X) X(file) X(sse) X(kafka) X(ctia)

#define DECLARE(t) extern const struct wt_sink_type wt_sink_##t##_type;
WT_SINK_TYPES(DECLARE)
#undef DECLARE

#define ENTRY(t) &wt_sink_##t##_type,
const struct wt_sink_type *const wt_sink_types[] = {WT_SINK_TYPES(ENTRY) NULL};
#undef ENTRY

const struct wt_sink_type *wt_sink_type_find(const char *name)
{
    for (const struct wt_sink_type *const *t = wt_sink_types; *t; t++) {
        if (strcmp((*t)->name, name) == 0)
            return *t;
    }
    return NULL;
}
