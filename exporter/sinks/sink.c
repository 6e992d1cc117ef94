/*
 * sink.c - the table of built-in sink types.
 */
#include "sink.h"

const struct wt_sink_ops *wt_sink_ops_for(enum wt_sink_type type)
{
    switch (type) {
    case WT_SINK_FILE:
        return &wt_sink_file_ops;
    case WT_SINK_KAFKA:
        return &wt_sink_kafka_ops;
    case WT_SINK_SSE:
        return &wt_sink_sse_ops;
    default:
        return NULL;
    }
}
