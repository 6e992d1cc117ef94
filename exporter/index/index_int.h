/*
 * index_int.h - internals shared by the index's files (and its tests).
 */
#ifndef WT_INDEX_INT_H
#define WT_INDEX_INT_H

#include "index.h"

/* Longest LMDB key the index writes (LMDB's default limit is 511). */
#define WT_INDEX_KEY_MAX 480
/* Largest encoded bucket value: 5 varints, verdicts, clients. */
#define WT_INDEX_VALUE_BYTES_MAX                                                                   \
    (5 * 10 + 1 + WT_INDEX_VERDICTS_MAX * (1 + WT_INDEX_VERDICT_LEN) + 1 +                         \
     WT_INDEX_TOP_MAX * (1 + 16 + 10))

/** Key of (t, value): type byte + value, or its prefix + FNV-1a 64 when long. */
size_t wt__index_key(enum wt_obs_type t, const char *v, size_t len, uint8_t *key);
/** Space-Saving add of one client (len 4 or 16) with count requests. */
void wt__index_client_add(struct wt_index_bucket *b, unsigned top, const uint8_t *addr, uint8_t len,
                          uint64_t count);
void wt__index_verdict_add(struct wt_index_bucket *b, const char *v, size_t len);
void wt__index_clients_sort(struct wt_index_bucket *b);
/** Text address -> binary: 4, 16, or 0 when not an address (masked). */
int wt__index_client_bin(const char *text, size_t len, uint8_t out[16]);

#endif /* WT_INDEX_INT_H */
