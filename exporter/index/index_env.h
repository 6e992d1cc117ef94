/*
 * index_env.h - the index's environment as its files share it: index.c
 * (open, close, the loop side), index_write.c (the writer thread, expiry)
 * and index_read.c (lookups, positions). Not for use outside index/.
 */
#ifndef WT_INDEX_ENV_H
#define WT_INDEX_ENV_H

#include "index.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define META_DB    "meta"
#define POS_PREFIX "pos:"
/* Buckets may start this far after now (clock skew between proxy and us). */
#define FUTURE_SLACK_MS WT_HOUR_MS

/*
 * One record in a buffer:
 *   i64 ts | u8 flags | u8 client_len | u8 verdict_len | u8 nobs
 *   | client | verdict | nobs x (u8 type | u16 len | value)
 */
#define REC_HDR   12
#define F_BLOCKED 1u

struct src_pos {
    uint32_t id;
    struct wt_srcpos at; /* where its last record added ends */
    bool used;
};

/* The value of a "pos:" key (dev, ino) in the meta database. */
struct pos_val {
    struct wt_srcpos at;
    int64_t updated_ms; /* wall clock of the commit that wrote it */
};

struct ibuf {
    char *p;
    size_t len, cap;
    uint64_t nrec;
    /* Positions at hand-over. */
    size_t npos;
    struct wt_srcpos pos[WT_INDEX_SOURCES_MAX];
};

/* A bucket: an hour ("h" + hour number) or, once rolled up, a whole UTC
 * day ("d" + day number), starting at hour `hour`, `hours` long. Buckets
 * never overlap: a day's database replaces its hours' in one transaction. */
struct bucket_ref {
    uint32_t hour;
    uint32_t hours; /* 1 or 24 */
    MDB_dbi dbi;
};

#define DAY_HOURS 24u
#define DAY_MS    ((int64_t)DAY_HOURS * WT_HOUR_MS)

struct wt_index {
    struct wt_index_opts o;
    char *path;
    MDB_env *env;
    int pin[2]; /* data.mdb and lock.mdb as opened without following links */
    MDB_dbi meta;

    /* Buckets by hour, ascending. Readers hold lk shared while they use a
     * dbi; the writer takes it exclusively to add or drop buckets. */
    pthread_rwlock_t lk;
    struct bucket_ref *bk;
    unsigned nbk;

    /* Loop side. */
    struct ibuf bufs[2];
    struct ibuf *fill;
    struct src_pos src[WT_INDEX_SOURCES_MAX];
    unsigned last_src;
    bool dirty;           /* added since the last hand-over */
    int64_t last_hand_ms; /* wall clock of the last hand-over */

    /* Hand-over to the writer. */
    pthread_t thr;
    bool thr_started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    struct ibuf *handed; /* NULL while the writer is idle */
    bool stop;
    int last_err;
    struct wt_index_stats st; /* under mu */

    /* Writer scratch. */
    struct item *items;
    size_t items_cap;
    struct bucket_ref newbk[WT_INDEX_BUCKETS_MAX];
    unsigned nnew;
    bool roll_failing; /* the last roll-up failed (logged) */
};

struct item {
    uint32_t hour;
    uint8_t type;
    uint16_t vlen;
    const char *v;
    const char *rec;
};

#define POS_KEY_LEN (sizeof(POS_PREFIX) - 1 + 16)

static inline int64_t now_ms(const struct wt_index *idx)
{
    return idx->o.now_ms ? idx->o.now_ms() : wt_wall_ms();
}

static inline void insert_bucket(struct wt_index *idx, struct bucket_ref r)
{
    unsigned i = idx->nbk;
    while (i > 0 && idx->bk[i - 1].hour > r.hour) {
        idx->bk[i] = idx->bk[i - 1];
        i--;
    }
    idx->bk[i] = r;
    idx->nbk++;
}

/*
 * The first (op MDB_SET_RANGE, k set to POS_PREFIX) or next (MDB_NEXT)
 * "pos:" entry of the meta database. @returns 0, or MDB_NOTFOUND past them.
 */
static inline int pos_cursor_get(MDB_cursor *cur, MDB_val *k, MDB_val *v, MDB_cursor_op op)
{
    int rc = mdb_cursor_get(cur, k, v, op);
    if (rc == 0 && (k->mv_size < sizeof(POS_PREFIX) - 1 ||
                    memcmp(k->mv_data, POS_PREFIX, sizeof(POS_PREFIX) - 1) != 0))
        rc = MDB_NOTFOUND;
    return rc;
}

/** The writer thread (index_write.c), started by wt_index_open. */
void *wt__index_writer_main(void *arg);

#endif /* WT_INDEX_ENV_H */
