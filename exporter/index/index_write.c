/*
 * index_write.c - the index's writer thread: merges a handed-over ingest
 * buffer into the hour buckets in one LMDB write transaction, records the
 * input positions it holds, and drops expired buckets.
 */
#include "index.h"
#include "index_env.h"
#include "index_int.h"
#include "log.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bucket (hour, or the day rolled up) that holds hour, or -1. */
static int find_bucket(const struct bucket_ref *bk, unsigned n, uint32_t hour)
{
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (bk[mid].hour <= hour)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* lo - 1: the last bucket starting at or before hour. */
    return lo > 0 && hour - bk[lo - 1].hour < bk[lo - 1].hours ? (int)lo - 1 : -1;
}

static void bucket_name(const struct bucket_ref *r, char name[16])
{
    if (r->hours == DAY_HOURS)
        snprintf(name, 16, "d%08u", r->hour / DAY_HOURS);
    else
        snprintf(name, 16, "h%08u", r->hour);
}

/* ------------------------------------------------------------------------ */
/* Writer thread                                                            */
/* ------------------------------------------------------------------------ */

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    if (x->hour != y->hour)
        return x->hour < y->hour ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    size_t n = x->vlen < y->vlen ? x->vlen : y->vlen;
    int c = memcmp(x->v, y->v, n);
    if (c)
        return c;
    return x->vlen < y->vlen ? -1 : x->vlen > y->vlen;
}

/* Split a buffer into one item per (record, observable) inside the window. */
static int collect(struct wt_index *idx, const struct ibuf *b, size_t *nitems, uint64_t *skipped)
{
    int64_t now = now_ms(idx);
    int64_t lo = now - idx->o.retention_ms, hi = now + FUTURE_SLACK_MS;
    size_t n = 0;
    for (const char *p = b->p, *end = b->p + b->len; p < end;) {
        int64_t ts;
        memcpy(&ts, p, 8);
        const char *rec = p;
        unsigned nobs = (uint8_t)p[11];
        p += REC_HDR + (uint8_t)p[9] + (uint8_t)p[10];
        bool keep = ts >= lo && ts < hi && ts >= 0;
        if (!keep)
            (*skipped)++;
        for (unsigned i = 0; i < nobs; i++) {
            uint16_t l;
            memcpy(&l, p + 1, 2);
            if (keep) {
                if (n == idx->items_cap) {
                    size_t cap = idx->items_cap ? 2 * idx->items_cap : 65536;
                    struct item *ni = wt_realloc(idx->items, cap * sizeof(*ni));
                    if (!ni)
                        return -ENOMEM;
                    idx->items = ni;
                    idx->items_cap = cap;
                }
                idx->items[n++] =
                    (struct item){(uint32_t)(ts / WT_HOUR_MS), (uint8_t)p[0], l, p + 3, rec};
            }
            p += 3 + l;
        }
    }
    *nitems = n;
    return 0;
}

/*
 * The bucket of an hour in the write transaction: its day when that day is
 * rolled up (a late record), else its hour (created if needed).
 */
static int bucket_dbi(struct wt_index *idx, MDB_txn *txn, uint32_t hour, struct bucket_ref *out)
{
    int i = find_bucket(idx->bk, idx->nbk, hour);
    if (i >= 0) {
        *out = idx->bk[i];
        return 0;
    }
    for (unsigned k = 0; k < idx->nnew; k++) {
        if (idx->newbk[k].hour == hour) {
            *out = idx->newbk[k];
            return 0;
        }
    }
    if (idx->nbk + idx->nnew >= WT_INDEX_BUCKETS_MAX)
        return WT_EFULL;
    char name[16];
    *out = (struct bucket_ref){hour, 1, 0};
    bucket_name(out, name);
    int rc = mdb_dbi_open(txn, name, MDB_CREATE, &out->dbi);
    if (rc)
        return rc;
    idx->newbk[idx->nnew++] = *out;
    return 0;
}

static void apply_record(struct wt_index_bucket *b, const char *rec, unsigned top)
{
    int64_t ts;
    memcpy(&ts, rec, 8);
    uint8_t clen = (uint8_t)rec[9], vlen = (uint8_t)rec[10];
    if (b->count == 0 || ts < b->first_ms)
        b->first_ms = ts;
    if (b->count == 0 || ts > b->last_ms)
        b->last_ms = ts;
    b->count++;
    if (rec[8] & F_BLOCKED)
        b->blocked++;
    else
        b->allowed++;
    if (vlen)
        wt__index_verdict_add(b, rec + REC_HDR + clen, vlen);
    uint8_t addr[16];
    int alen = wt__index_client_bin(rec + REC_HDR, clen, addr);
    if (alen)
        wt__index_client_add(b, top, addr, (uint8_t)alen, 1);
}

static void pos_key(uint64_t dev, uint64_t ino, char key[POS_KEY_LEN])
{
    memcpy(key, POS_PREFIX, sizeof(POS_PREFIX) - 1);
    memcpy(key + sizeof(POS_PREFIX) - 1, &dev, 8);
    memcpy(key + sizeof(POS_PREFIX) - 1 + 8, &ino, 8);
}

/*
 * Record where the buffer's records end per file, in the transaction that
 * commits them, and forget files not written to within the retention
 * window (and entries of an older format).
 */
static int store_positions(struct wt_index *idx, MDB_txn *txn, const struct ibuf *b, int64_t now,
                           int64_t cutoff_ms)
{
    char key[POS_KEY_LEN];
    for (size_t i = 0; i < b->npos; i++) {
        struct pos_val pv = {.at = b->pos[i], .updated_ms = now};
        pos_key(pv.at.dev, pv.at.ino, key);
        MDB_val k = {sizeof(key), key}, v = {sizeof(pv), &pv};
        int rc = mdb_put(txn, idx->meta, &k, &v, 0);
        if (rc)
            return rc;
    }
    MDB_cursor *cur;
    MDB_val k = {sizeof(POS_PREFIX) - 1, POS_PREFIX}, v;
    int rc = mdb_cursor_open(txn, idx->meta, &cur);
    if (rc)
        return rc;
    for (rc = pos_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = pos_cursor_get(cur, &k, &v, MDB_NEXT)) {
        struct pos_val pv;
        bool keep = k.mv_size == POS_KEY_LEN && v.mv_size == sizeof(pv);
        if (keep) {
            memcpy(&pv, v.mv_data, sizeof(pv));
            keep = pv.updated_ms >= cutoff_ms;
        }
        if (!keep && (rc = mdb_cursor_del(cur, 0)) != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* One write transaction for the whole buffer. */
static int write_buffer(struct wt_index *idx, const struct ibuf *b, uint64_t *entries,
                        uint64_t *skipped)
{
    size_t n = 0;
    int rc = collect(idx, b, &n, skipped);
    if (rc)
        return rc;
    /* Sorted by (hour, key): one get/put per distinct key, in key order. */
    if (n > 0) /* items is NULL until the first record (qsort wants an array) */
        qsort(idx->items, n, sizeof(*idx->items), cmp_item);
    MDB_txn *txn;
    rc = mdb_txn_begin(idx->env, NULL, 0, &txn);
    if (rc)
        return rc;
    idx->nnew = 0;
    static __thread struct wt_index_bucket bk;
    static __thread uint8_t keyb[WT_INDEX_KEY_MAX], valb[WT_INDEX_VALUE_BYTES_MAX];
    for (size_t i = 0; i < n && rc == 0;) {
        size_t j = i + 1;
        while (j < n && cmp_item(&idx->items[i], &idx->items[j]) == 0)
            j++;
        const struct item *it = &idx->items[i];
        struct bucket_ref br;
        rc = bucket_dbi(idx, txn, it->hour, &br);
        if (rc == WT_EFULL) {
            (*skipped) += j - i;
            rc = 0;
            i = j;
            continue;
        }
        if (rc)
            break;
        MDB_val k = {wt__index_key((enum wt_obs_type)it->type, it->v, it->vlen, keyb), keyb}, v;
        int64_t start_ms = (int64_t)br.hour * WT_HOUR_MS, span_ms = br.hours * WT_HOUR_MS;
        memset(&bk, 0, offsetof(struct wt_index_bucket, client));
        bk.start_ms = start_ms;
        bk.end_ms = start_ms + span_ms;
        rc = mdb_get(txn, br.dbi, &k, &v);
        if (rc == 0 && wt_index_bucket_decode(v.mv_data, v.mv_size, start_ms, span_ms, &bk) != 0) {
            memset(&bk, 0, offsetof(struct wt_index_bucket, client)); /* damaged: start over */
            bk.start_ms = start_ms;
            bk.end_ms = start_ms + span_ms;
        } else if (rc != 0 && rc != MDB_NOTFOUND)
            break;
        for (size_t r = i; r < j; r++)
            apply_record(&bk, idx->items[r].rec, idx->o.top_clients);
        wt__index_clients_sort(&bk);
        int len = wt_index_bucket_encode(&bk, valb, sizeof(valb));
        v = (MDB_val){(size_t)len, valb};
        rc = mdb_put(txn, br.dbi, &k, &v, 0);
        (*entries)++;
        i = j;
    }
    if (rc == 0) {
        int64_t now = now_ms(idx);
        rc = store_positions(idx, txn, b, now, now - idx->o.retention_ms);
    }
    if (rc) {
        mdb_txn_abort(txn);
        idx->nnew = 0;
        return rc;
    }
    rc = mdb_txn_commit(txn);
    if (rc) {
        idx->nnew = 0;
        return rc;
    }
    /* The new buckets are committed: readers may use them now. */
    pthread_rwlock_wrlock(&idx->lk);
    for (unsigned k = 0; k < idx->nnew; k++)
        insert_bucket(idx, idx->newbk[k]);
    pthread_rwlock_unlock(&idx->lk);
    idx->nnew = 0;
    return 0;
}

/* Drop buckets that ended before cutoff_ms (or the oldest one: force). */
static int drop_buckets(struct wt_index *idx, int64_t cutoff_ms, bool oldest)
{
    unsigned ndrop = 0;
    while (ndrop < idx->nbk &&
           ((int64_t)idx->bk[ndrop].hour + idx->bk[ndrop].hours) * WT_HOUR_MS <= cutoff_ms)
        ndrop++;
    if (oldest && ndrop == 0 && idx->nbk > 1)
        ndrop = 1;
    if (ndrop == 0)
        return 0;
    /* The write transaction first, then lk: the order the roll-up takes
     * them in (LMDB's writer mutex, then lk). */
    MDB_txn *txn;
    int rc = mdb_txn_begin(idx->env, NULL, 0, &txn);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&idx->lk);
    for (unsigned i = 0; rc == 0 && i < ndrop; i++)
        rc = mdb_drop(txn, idx->bk[i].dbi, 1);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc == 0) {
        memmove(idx->bk, idx->bk + ndrop, (idx->nbk - ndrop) * sizeof(*idx->bk));
        idx->nbk -= ndrop;
    }
    pthread_rwlock_unlock(&idx->lk);
    if (rc == 0) {
        pthread_mutex_lock(&idx->mu);
        idx->st.expired += ndrop;
        idx->st.buckets = idx->nbk;
        pthread_mutex_unlock(&idx->mu);
    }
    return rc;
}

/*
 * Roll up the oldest closed day still kept as hours: its hour buckets'
 * values merged per observable (wt_index_bucket_merge: counts summed,
 * first/last widened, verdicts and top clients merged and re-bounded) into
 * the day's database ("d" + day number), and the hours dropped, in ONE
 * write transaction: after a crash the day is either still hours or one
 * day, never both, so nothing is counted twice. A day qualifies once it
 * has ended (now) and when it lies wholly inside the retention window (a
 * day partly expired keeps its hours, which expire one by one). One day per
 * call bounds the transaction: an index of the hour-only layout is
 * migrated a day per commit.
 * @returns 1 when a day was rolled up, 0 when none was due, or an error.
 */
static int roll_up_day(struct wt_index *idx, int64_t now, int64_t cutoff_ms)
{
    unsigned first = 0, n = 0;
    uint32_t day = 0;
    for (unsigned i = 0; i < idx->nbk && n == 0; i++) {
        if (idx->bk[i].hours != 1)
            continue;
        day = idx->bk[i].hour / DAY_HOURS;
        int64_t day_ms = (int64_t)day * DAY_MS;
        if (day_ms + DAY_MS > now)
            break; /* not closed (nor are the later ones) */
        if (day_ms < cutoff_ms)
            continue;
        first = i;
        while (i + n < idx->nbk && idx->bk[i + n].hours == 1 &&
               idx->bk[i + n].hour / DAY_HOURS == day)
            n++;
    }
    if (n == 0)
        return 0;
    int64_t day_ms = (int64_t)day * DAY_MS;
    struct bucket_ref d = {day * DAY_HOURS, DAY_HOURS, 0};
    char name[16];
    bucket_name(&d, name);
    MDB_txn *txn;
    int rc = mdb_txn_begin(idx->env, NULL, 0, &txn);
    if (rc)
        return rc;
    rc = mdb_dbi_open(txn, name, MDB_CREATE, &d.dbi);
    static __thread struct wt_index_bucket sum, one;
    static __thread uint8_t keyb[WT_INDEX_KEY_MAX], valb[WT_INDEX_VALUE_BYTES_MAX];
    uint64_t damaged = 0;
    for (unsigned h = 0; h < n && rc == 0; h++) {
        int64_t hour_ms = (int64_t)idx->bk[first + h].hour * WT_HOUR_MS;
        MDB_cursor *cur;
        MDB_val k, v, dv;
        rc = mdb_cursor_open(txn, idx->bk[first + h].dbi, &cur);
        if (rc)
            break;
        int c;
        for (c = mdb_cursor_get(cur, &k, &v, MDB_FIRST); c == 0 && rc == 0;
             c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            if (k.mv_size > sizeof(keyb) ||
                wt_index_bucket_decode(v.mv_data, v.mv_size, hour_ms, WT_HOUR_MS, &one) != 0) {
                damaged++;
                continue;
            }
            memcpy(keyb, k.mv_data, k.mv_size);
            MDB_val key = {k.mv_size, keyb};
            int g = mdb_get(txn, d.dbi, &key, &dv);
            if (g == 0 && wt_index_bucket_decode(dv.mv_data, dv.mv_size, day_ms, DAY_MS, &sum) == 0)
                wt_index_bucket_merge(&sum, &one, idx->o.top_clients);
            else if (g == 0 || g == MDB_NOTFOUND)
                sum = one; /* the first hour of this observable (or a damaged day value) */
            else
                rc = g;
            if (rc)
                break;
            sum.start_ms = day_ms;
            sum.end_ms = day_ms + DAY_MS;
            int len = wt_index_bucket_encode(&sum, valb, sizeof(valb));
            MDB_val nv = {(size_t)len, valb};
            rc = mdb_put(txn, d.dbi, &key, &nv, 0);
        }
        if (rc == 0 && c != MDB_NOTFOUND)
            rc = c;
        mdb_cursor_close(cur);
    }
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    /* Readers use the hours' handles under lk: drop them and commit under it. */
    pthread_rwlock_wrlock(&idx->lk);
    int di = find_bucket(idx->bk, idx->nbk, d.hour);
    bool have_day = di >= 0 && idx->bk[di].hours == DAY_HOURS;
    for (unsigned h = 0; h < n && rc == 0; h++)
        rc = mdb_drop(txn, idx->bk[first + h].dbi, 1);
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc == 0) {
        memmove(idx->bk + first, idx->bk + first + n, (idx->nbk - first - n) * sizeof(*idx->bk));
        idx->nbk -= n;
        if (!have_day)
            insert_bucket(idx, d);
    }
    pthread_rwlock_unlock(&idx->lk);
    if (rc)
        return rc;
    if (damaged)
        wt_log_warn("index", "rolling up day %s: %llu damaged hour value(s) left out", name,
                    (unsigned long long)damaged);
    pthread_mutex_lock(&idx->mu);
    idx->st.rolled++;
    idx->st.buckets = idx->nbk;
    pthread_mutex_unlock(&idx->mu);
    return 1;
}

static int64_t cutoff(struct wt_index *idx)
{
    pthread_mutex_lock(&idx->mu);
    int64_t r = idx->o.retention_ms;
    pthread_mutex_unlock(&idx->mu);
    return now_ms(idx) - r;
}

int wt_index_expire(struct wt_index *idx)
{
    /* The writer's thread owns the write side; from outside, go through it. */
    if (idx->thr_started)
        return wt_index_sync(idx);
    return drop_buckets(idx, cutoff(idx), false);
}

static void process(struct wt_index *idx, struct ibuf *b)
{
    uint64_t t0 = wt_mono_ns(), entries = 0, skipped = 0;
    int64_t cut = cutoff(idx);
    int rc = drop_buckets(idx, cut, false);
    if (rc)
        wt_log_error("index", "expiring buckets: %s", mdb_strerror(rc));
    rc = roll_up_day(idx, now_ms(idx), cut);
    if (rc < 0 || rc > 1) {
        /* Retried at the next commit; logged once per run of failures. */
        if (!idx->roll_failing)
            wt_log_error("index", "rolling up a day: %s (its hours are kept; retried)",
                         rc < 0 ? wt_strerror(rc) : mdb_strerror(rc));
        idx->roll_failing = true;
    } else {
        idx->roll_failing = false;
    }
    rc = write_buffer(idx, b, &entries, &skipped);
    for (int tries = 0; rc == MDB_MAP_FULL && tries < 8; tries++) {
        /* index.max_size reached: the oldest hour goes early, as if expired. */
        wt_log_warn("index", "index.max_size reached: dropping the oldest hour bucket early");
        if (drop_buckets(idx, 0, true) != 0)
            break;
        entries = skipped = 0;
        rc = write_buffer(idx, b, &entries, &skipped);
    }
    if (rc)
        wt_log_error("index", "writing %llu records: %s (they are not indexed)",
                     (unsigned long long)b->nrec, rc < 0 ? wt_strerror(rc) : mdb_strerror(rc));
    uint64_t dt = wt_mono_ns() - t0;
    pthread_mutex_lock(&idx->mu);
    idx->st.records += b->nrec;
    idx->st.entries += entries;
    idx->st.skipped += skipped;
    idx->st.commit_ns_last = dt;
    idx->st.commit_ns_total += dt;
    idx->st.buckets = idx->nbk;
    if (rc) {
        idx->st.failed++;
        idx->last_err = rc < 0 ? rc : -EIO;
    } else {
        idx->st.commits++;
    }
    pthread_mutex_unlock(&idx->mu);
}

void *wt__index_writer_main(void *arg)
{
    struct wt_index *idx = arg;
    pthread_mutex_lock(&idx->mu);
    for (;;) {
        while (!idx->handed && !idx->stop)
            pthread_cond_wait(&idx->cv_work, &idx->mu);
        if (!idx->handed)
            break;
        struct ibuf *b = idx->handed;
        pthread_mutex_unlock(&idx->mu);
        process(idx, b);
        b->len = 0;
        b->nrec = 0;
        b->npos = 0;
        pthread_mutex_lock(&idx->mu);
        idx->handed = NULL;
        pthread_cond_broadcast(&idx->cv_done);
    }
    pthread_mutex_unlock(&idx->mu);
    return NULL;
}
