/*
 * index_read.c - lookups over the index and the recorded input positions
 * (any thread, any process: read transactions only).
 */
#include "index.h"
#include "index_env.h"
#include "index_int.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Lookups                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * The buckets that overlap [since_ms, until_ms) (0: unbounded): bk[*lo,
 * *hi) (ascending and disjoint, so they are consecutive). Under lk.
 */
static void window(const struct wt_index *idx, int64_t since_ms, int64_t until_ms, unsigned *lo,
                   unsigned *hi)
{
    *hi = idx->nbk;
    while (*hi > 0 && until_ms && (int64_t)idx->bk[*hi - 1].hour * WT_HOUR_MS >= until_ms)
        (*hi)--;
    *lo = *hi;
    while (*lo > 0 &&
           !(since_ms &&
             ((int64_t)idx->bk[*lo - 1].hour + idx->bk[*lo - 1].hours) * WT_HOUR_MS <= since_ms))
        (*lo)--;
}

/* Bucket r's start and length in ms. */
static int64_t bucket_start(const struct bucket_ref *r, int64_t *span_ms)
{
    *span_ms = (int64_t)r->hours * WT_HOUR_MS;
    return (int64_t)r->hour * WT_HOUR_MS;
}

int wt_index_lookup(struct wt_index *idx, enum wt_obs_type t, struct wt_str value, int64_t since_ms,
                    int64_t until_ms, wt_index_bucket_fn fn, void *ctx)
{
    uint8_t key[WT_INDEX_KEY_MAX];
    MDB_val k = {wt__index_key(t, value.p, value.len, key), key}, v;
    MDB_txn *txn;
    struct wt_index_bucket *b = wt_malloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    pthread_rwlock_rdlock(&idx->lk);
    int rc = mdb_txn_begin(idx->env, NULL, MDB_RDONLY, &txn);
    if (rc) {
        pthread_rwlock_unlock(&idx->lk);
        wt_free(b);
        return rc == MDB_READERS_FULL ? -EAGAIN : -EIO;
    }
    unsigned lo, hi;
    window(idx, since_ms, until_ms, &lo, &hi);
    for (unsigned i = hi; i-- > lo && rc == 0;) {
        int64_t span_ms, start_ms = bucket_start(&idx->bk[i], &span_ms);
        if (mdb_get(txn, idx->bk[i].dbi, &k, &v) != 0)
            continue; /* not seen that hour (or the bucket went away) */
        if (wt_index_bucket_decode(v.mv_data, v.mv_size, start_ms, span_ms, b) != 0)
            continue;
        rc = fn(ctx, b);
    }
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&idx->lk);
    wt_free(b);
    return rc;
}

/* Observables searched per pass over the buckets (bounds the hits kept). */
#define MANY_CHUNK 64

struct many_key {
    uint8_t key[WT_INDEX_KEY_MAX];
    size_t len;
    size_t which;
};

static int cmp_many_key(const void *a, const void *b)
{
    const struct many_key *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

int wt_index_lookup_many(struct wt_index *idx, size_t n, const enum wt_obs_type *types,
                         const struct wt_str *values, int64_t since_ms, int64_t until_ms,
                         wt_index_hits_fn fn, void *ctx)
{
    struct many_key *keys = wt_malloc(MANY_CHUNK * sizeof(*keys));
    struct wt_index_hit *hits = wt_malloc(MANY_CHUNK * WT_INDEX_BUCKETS_MAX * sizeof(*hits));
    size_t nh[MANY_CHUNK];
    int rc = keys && hits ? 0 : -ENOMEM;
    for (size_t from = 0; rc == 0 && from < n; from += MANY_CHUNK) {
        size_t k = n - from < MANY_CHUNK ? n - from : MANY_CHUNK;
        for (size_t j = 0; j < k; j++) {
            keys[j].len = wt__index_key(types[from + j], values[from + j].p, values[from + j].len,
                                        keys[j].key);
            keys[j].which = j;
            nh[j] = 0;
        }
        /* In key order: neighbouring keys share pages. */
        qsort(keys, k, sizeof(*keys), cmp_many_key);
        MDB_txn *txn;
        pthread_rwlock_rdlock(&idx->lk);
        rc = mdb_txn_begin(idx->env, NULL, MDB_RDONLY, &txn);
        if (rc) {
            pthread_rwlock_unlock(&idx->lk);
            rc = rc == MDB_READERS_FULL ? -EAGAIN : -EIO;
            break;
        }
        unsigned lo, hi;
        window(idx, since_ms, until_ms, &lo, &hi);
        for (unsigned i = hi; i-- > lo;) {
            int64_t span_ms, start_ms = bucket_start(&idx->bk[i], &span_ms);
            /* One cursor per bucket, keys in order: a key on the leaf page
             * the previous one was found on is found without a descent. */
            MDB_cursor *cur;
            if (mdb_cursor_open(txn, idx->bk[i].dbi, &cur) != 0)
                continue; /* the bucket went away */
            for (size_t j = 0; j < k; j++) {
                MDB_val kv = {keys[j].len, keys[j].key}, v;
                if (mdb_cursor_get(cur, &kv, &v, MDB_SET) != 0)
                    continue; /* not seen that hour */
                size_t w = keys[j].which;
                hits[w * WT_INDEX_BUCKETS_MAX + nh[w]++] =
                    (struct wt_index_hit){start_ms, span_ms, v.mv_data, v.mv_size};
            }
            mdb_cursor_close(cur);
        }
        /* The bucket table is no longer used: the writer may add or drop
         * buckets while the answer is built. The values stay valid while
         * the read transaction lives (MVCC). */
        pthread_rwlock_unlock(&idx->lk);
        for (size_t j = 0; j < k && rc == 0; j++)
            rc = fn(ctx, from + j, hits + j * WT_INDEX_BUCKETS_MAX, nh[j]);
        mdb_txn_abort(txn);
    }
    wt_free(keys);
    wt_free(hits);
    return rc;
}

int wt_index_positions(struct wt_index *idx, struct wt_srcpos *out, size_t cap)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k = {sizeof(POS_PREFIX) - 1, POS_PREFIX}, v;
    size_t n = 0;
    if (!idx->meta)
        return 0;
    int rc = mdb_txn_begin(idx->env, NULL, MDB_RDONLY, &txn);
    if (rc)
        return -EIO;
    rc = mdb_cursor_open(txn, idx->meta, &cur);
    if (rc) {
        mdb_txn_abort(txn);
        return -EIO;
    }
    for (rc = pos_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = pos_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct pos_val pv;
        if (k.mv_size != POS_KEY_LEN || v.mv_size != sizeof(pv))
            continue; /* an older format: pruned by the next commit */
        if (out && n < cap) {
            memcpy(&pv, v.mv_data, sizeof(pv));
            out[n] = pv.at;
        }
        n++;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc == MDB_NOTFOUND || rc == 0 ? (int)n : -EIO;
}
