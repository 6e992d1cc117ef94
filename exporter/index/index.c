/*
 * index.c - the LMDB index: the ingest buffers the loop fills, the writer
 * thread that merges them into hour buckets, expiry, and lookups. See
 * index.h for the contract and index_codec.c for the bytes.
 */
#include "index.h"
#include "index_int.h"
#include "log.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static_assert(WT_INDEX_BUCKETS_MAX >= 30 * 24 + 2, "the longest retention fits");
static_assert(WT_INDEX_TOP_MAX <= 255 && WT_INDEX_VERDICTS_MAX <= 255, "counts are one byte");

#define META_DB    "meta"
#define POS_PREFIX "pos:"
/* With no input, the writer still runs this often (expiry). */
#define WT_INDEX_IDLE_COMMIT_MS 60000
/* Buckets may start this far after now (clock skew between proxy and us). */
#define FUTURE_SLACK_MS WT_HOUR_MS

/* ------------------------------------------------------------------------ */
/* Ingest buffers                                                           */
/* ------------------------------------------------------------------------ */

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

struct bucket_ref {
    uint32_t hour;
    MDB_dbi dbi;
};

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
};

struct item {
    uint32_t hour;
    uint8_t type;
    uint16_t vlen;
    const char *v;
    const char *rec;
};

static int64_t now_ms(const struct wt_index *idx)
{
    return idx->o.now_ms ? idx->o.now_ms() : wt_wall_ms();
}

static void set_err(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "%s: %s", what, rc > 0 || rc < -30800 ? mdb_strerror(rc) : strerror(-rc));
}

/* ------------------------------------------------------------------------ */
/* Bucket table                                                             */
/* ------------------------------------------------------------------------ */

static int find_bucket(const struct bucket_ref *bk, unsigned n, uint32_t hour)
{
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (bk[mid].hour < hour)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && bk[lo].hour == hour ? (int)lo : -1;
}

static void insert_bucket(struct wt_index *idx, uint32_t hour, MDB_dbi dbi)
{
    unsigned i = idx->nbk;
    while (i > 0 && idx->bk[i - 1].hour > hour) {
        idx->bk[i] = idx->bk[i - 1];
        i--;
    }
    idx->bk[i] = (struct bucket_ref){hour, dbi};
    idx->nbk++;
}

static void bucket_name(uint32_t hour, char name[16])
{
    snprintf(name, 16, "h%08u", hour);
}

/* Open every bucket database that exists (at open). */
static int load_buckets(struct wt_index *idx, MDB_txn *txn)
{
    MDB_dbi main;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_dbi_open(txn, NULL, 0, &main);
    if (rc)
        return rc;
    rc = mdb_cursor_open(txn, main, &cur);
    if (rc)
        return rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        char name[16];
        if (k.mv_size != 9 || ((const char *)k.mv_data)[0] != 'h')
            continue;
        memcpy(name, k.mv_data, 9);
        name[9] = '\0';
        char *end;
        unsigned long h = strtoul(name + 1, &end, 10);
        if (*end || idx->nbk >= WT_INDEX_BUCKETS_MAX)
            continue;
        MDB_dbi dbi;
        if (mdb_dbi_open(txn, name, 0, &dbi) == 0)
            insert_bucket(idx, (uint32_t)h, dbi);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ------------------------------------------------------------------------ */
/* Open and close                                                           */
/* ------------------------------------------------------------------------ */

/* The files LMDB keeps in its directory (it opens them by name itself). */
static const char *const lmdb_files[2] = {"data.mdb", "lock.mdb"};

/*
 * LMDB opens <dir>/data.mdb and <dir>/lock.mdb with O_CREAT and follows
 * symlinks. Open (create: 0600) them first ourselves, O_NOFOLLOW, as
 * regular files, and keep the descriptors until the environment is closed
 * (closing one earlier would drop LMDB's fcntl locks on the lock file), so
 * that a symlink planted at either name is refused instead of followed.
 * A read-only open creates nothing: a missing file is left to LMDB.
 */
static int pin_files(struct wt_index *idx, char *err, size_t errlen)
{
    const char *dir = idx->path;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        set_err(err, errlen, dir, -errno);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        const int common = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
        int fd = openat(dfd, lmdb_files[i],
                        (idx->o.readonly ? O_RDONLY : O_RDWR | O_CREAT) | common, 0600);
        if (fd < 0 && errno == ENOENT && idx->o.readonly)
            continue;
        struct stat st;
        if (fd < 0 && errno == ELOOP) {
            snprintf(err, errlen,
                     "%s/%s is a symbolic link: refused (LMDB would write through it); "
                     "remove it and find out who could write %s",
                     dir, lmdb_files[i], dir);
            rc = -1;
        } else if (fd < 0) {
            snprintf(err, errlen, "%s/%s: %s", dir, lmdb_files[i], strerror(errno));
            rc = -1;
        } else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "%s/%s is not a regular file: refused", dir, lmdb_files[i]);
            close(fd);
            rc = -1;
        } else {
            idx->pin[i] = fd;
        }
    }
    close(dfd);
    return rc;
}

/* After mdb_env_open: LMDB must have opened the very files pin_files did. */
static int pin_check(struct wt_index *idx, char *err, size_t errlen)
{
    int dfd = open(idx->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        set_err(err, errlen, idx->path, -errno);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        struct stat want, got;
        if (idx->pin[i] < 0 || fstat(idx->pin[i], &want) != 0)
            continue;
        mdb_filehandle_t lfd = -1;
        /* The data file LMDB uses, by its descriptor; the lock file by name. */
        bool same = i == 0 ? mdb_env_get_fd(idx->env, &lfd) == 0 && fstat(lfd, &got) == 0
                           : fstatat(dfd, lmdb_files[i], &got, AT_SYMLINK_NOFOLLOW) == 0;
        if (!same || got.st_dev != want.st_dev || got.st_ino != want.st_ino) {
            snprintf(err, errlen,
                     "%s/%s was replaced while the index was opened: refused; find out "
                     "who could write %s",
                     idx->path, lmdb_files[i], idx->path);
            rc = -1;
        }
    }
    close(dfd);
    return rc;
}

static void *writer_main(void *arg);

struct wt_index *wt_index_open(const struct wt_index_opts *o, char *err, size_t errlen)
{
    struct wt_index *idx = wt_calloc(1, sizeof(*idx));
    MDB_txn *txn = NULL;
    int rc;
    if (!idx) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    idx->o = *o;
    idx->pin[0] = idx->pin[1] = -1;
    if (idx->o.top_clients < 1 || idx->o.top_clients > WT_INDEX_TOP_MAX)
        idx->o.top_clients = 10;
    if (!idx->o.buf_bytes)
        idx->o.buf_bytes = WT_INDEX_BUF_DEFAULT;
    idx->path = wt_strdup(o->path);
    idx->bk = wt_calloc(WT_INDEX_BUCKETS_MAX, sizeof(*idx->bk));
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    /* Hourly expiry must not starve behind a stream of lookups. */
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&idx->lk, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&idx->mu, NULL);
    pthread_cond_init(&idx->cv_work, NULL);
    pthread_cond_init(&idx->cv_done, NULL);
    if (!idx->path || !idx->bk) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!o->readonly) {
        rc = wt_mkdir_p(o->path);
        if (rc) {
            set_err(err, errlen, o->path, rc);
            goto fail;
        }
        /* The index directory is the daemon's own, like the spool's. */
        char why[1024];
        if (wt_dir_check_private(o->path, o->allow_symlink, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "index directory %s", why);
            goto fail;
        }
    }
    if (pin_files(idx, err, errlen) != 0)
        goto fail;
    if ((rc = mdb_env_create(&idx->env)) ||
        (rc = mdb_env_set_maxdbs(idx->env, WT_INDEX_BUCKETS_MAX + 4)) ||
        (rc = mdb_env_set_mapsize(idx->env, o->max_size))) {
        set_err(err, errlen, "lmdb", rc);
        goto fail;
    }
    /* NOTLS: lookups run on the HTTP server's threads, a read transaction
     * is not tied to one. */
    unsigned flags = MDB_NOTLS | (o->readonly ? MDB_RDONLY : 0) | (o->nosync ? MDB_NOSYNC : 0);
    rc = mdb_env_open(idx->env, o->path, flags, 0600);
    if (rc) {
        set_err(err, errlen, o->path, rc);
        goto fail;
    }
    if (pin_check(idx, err, errlen) != 0)
        goto fail;
    rc = mdb_txn_begin(idx->env, NULL, o->readonly ? MDB_RDONLY : 0, &txn);
    if (rc) {
        set_err(err, errlen, "lmdb txn", rc);
        goto fail;
    }
    rc = mdb_dbi_open(txn, META_DB, o->readonly ? 0 : MDB_CREATE, &idx->meta);
    if (rc && !(o->readonly && rc == MDB_NOTFOUND)) {
        set_err(err, errlen, "lmdb meta", rc);
        goto fail;
    }
    if (rc)
        idx->meta = 0; /* read-only and empty: no positions yet */
    rc = load_buckets(idx, txn);
    if (rc) {
        set_err(err, errlen, "lmdb buckets", rc);
        goto fail;
    }
    /* Committing (also a read transaction) keeps the handles opened in it. */
    rc = mdb_txn_commit(txn);
    txn = NULL;
    if (rc) {
        set_err(err, errlen, "lmdb commit", rc);
        goto fail;
    }
    if (!o->readonly) {
        for (int i = 0; i < 2; i++) {
            idx->bufs[i].p = wt_malloc(idx->o.buf_bytes);
            idx->bufs[i].cap = idx->o.buf_bytes;
            if (!idx->bufs[i].p) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
        }
        idx->fill = &idx->bufs[0];
        rc = pthread_create(&idx->thr, NULL, writer_main, idx);
        if (rc) {
            set_err(err, errlen, "index writer thread", -rc);
            goto fail;
        }
        idx->thr_started = true;
    }
    idx->st.buckets = idx->nbk;
    return idx;
fail:
    if (txn)
        mdb_txn_abort(txn);
    wt_index_close(idx);
    return NULL;
}

void wt_index_close(struct wt_index *idx)
{
    if (!idx)
        return;
    if (idx->thr_started) {
        wt_index_sync(idx);
        pthread_mutex_lock(&idx->mu);
        idx->stop = true;
        pthread_cond_signal(&idx->cv_work);
        pthread_mutex_unlock(&idx->mu);
        pthread_join(idx->thr, NULL);
    }
    if (idx->env)
        mdb_env_close(idx->env);
    for (int i = 0; i < 2; i++) {
        if (idx->pin[i] >= 0)
            close(idx->pin[i]);
    }
    for (int i = 0; i < 2; i++)
        wt_free(idx->bufs[i].p);
    pthread_rwlock_destroy(&idx->lk);
    pthread_mutex_destroy(&idx->mu);
    pthread_cond_destroy(&idx->cv_work);
    pthread_cond_destroy(&idx->cv_done);
    wt_free(idx->items);
    wt_free(idx->bk);
    wt_free(idx->path);
    wt_free(idx);
}

/* ------------------------------------------------------------------------ */
/* Loop side: add and hand over                                             */
/* ------------------------------------------------------------------------ */

/* Snapshot the positions into the buffer being handed over. */
static void snapshot_positions(struct wt_index *idx, struct ibuf *b)
{
    b->npos = 0;
    for (unsigned i = 0; i < WT_INDEX_SOURCES_MAX; i++) {
        if (idx->src[i].used)
            b->pos[b->npos++] = idx->src[i].at;
    }
}

/* Give the filled buffer to the writer. wait: block while it is busy. */
static bool hand_over(struct wt_index *idx, bool wait)
{
    pthread_mutex_lock(&idx->mu);
    if (idx->handed) {
        if (!wait) {
            pthread_mutex_unlock(&idx->mu);
            return false;
        }
        idx->st.stalls++;
        while (idx->handed)
            pthread_cond_wait(&idx->cv_done, &idx->mu);
    }
    struct ibuf *b = idx->fill;
    snapshot_positions(idx, b);
    idx->handed = b;
    idx->fill = b == &idx->bufs[0] ? &idx->bufs[1] : &idx->bufs[0];
    pthread_cond_signal(&idx->cv_work);
    pthread_mutex_unlock(&idx->mu);
    return true;
}

static void track_position(struct wt_index *idx, uint32_t id, const struct wt_srcpos *at)
{
    struct src_pos *s = &idx->src[idx->last_src];
    if (!(s->used && s->id == id)) {
        unsigned freei = WT_INDEX_SOURCES_MAX;
        s = NULL;
        for (unsigned i = 0; i < WT_INDEX_SOURCES_MAX; i++) {
            if (idx->src[i].used && idx->src[i].id == id) {
                s = &idx->src[i];
                idx->last_src = i;
                break;
            }
            if (!idx->src[i].used && freei == WT_INDEX_SOURCES_MAX)
                freei = i;
        }
        if (!s) {
            /* A new source (once per file generation). */
            if (freei == WT_INDEX_SOURCES_MAX)
                freei = id % WT_INDEX_SOURCES_MAX;
            s = &idx->src[freei];
            s->id = id;
            s->used = true;
            idx->last_src = freei;
        }
    }
    s->at = *at;
}

static bool is_blocked(const struct wt_record *rec)
{
    static const char *const words[] = {"DENIED", "BLOCK", "DROP"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t wl = strlen(words[i]);
        if (rec->result.len >= wl && memmem(rec->result.p, rec->result.len, words[i], wl))
            return true;
        if (rec->acl.len >= wl && memcmp(rec->acl.p, words[i], wl) == 0)
            return true;
    }
    return false;
}

void wt_index_add(struct wt_index *idx, const struct wt_record *rec, const struct wt_obs_set *os,
                  uint32_t src, const struct wt_srcpos *at)
{
    idx->dirty = true;
    if (at)
        track_position(idx, src, at);
    if (os->n == 0)
        return;
    struct wt_str client = os->client_ip.len <= 255 ? os->client_ip : WT_STR_NULL;
    struct wt_str verdict = rec->amp_verdict;
    if (verdict.len > WT_INDEX_VERDICT_LEN || (verdict.len == 1 && verdict.p[0] == '-'))
        verdict = WT_STR_NULL;
    size_t need = REC_HDR + client.len + verdict.len;
    unsigned nobs = 0;
    for (unsigned i = 0; i < os->n; i++) {
        if (os->item[i].value.len <= UINT16_MAX) {
            need += 3 + os->item[i].value.len;
            nobs++;
        }
    }
    struct ibuf *b = idx->fill;
    if (need > b->cap)
        return;
    if (b->len + need > b->cap) {
        hand_over(idx, true);
        b = idx->fill;
    }
    char *p = b->p + b->len;
    int64_t ts = rec->ts_ms;
    memcpy(p, &ts, 8);
    p[8] = (char)(is_blocked(rec) ? F_BLOCKED : 0);
    p[9] = (char)client.len;
    p[10] = (char)verdict.len;
    p[11] = (char)nobs;
    p += REC_HDR;
    if (client.len)
        memcpy(p, client.p, client.len);
    p += client.len;
    if (verdict.len)
        memcpy(p, verdict.p, verdict.len);
    p += verdict.len;
    for (unsigned i = 0; i < os->n; i++) {
        const struct wt_obs *o = &os->item[i];
        if (o->value.len > UINT16_MAX)
            continue;
        uint16_t l = (uint16_t)o->value.len;
        p[0] = (char)o->type;
        memcpy(p + 1, &l, 2);
        memcpy(p + 3, o->value.p, l);
        p += 3 + l;
    }
    b->len += need;
    b->nrec++;
}

void wt_index_commit(struct wt_index *idx)
{
    /* Idle: still once a minute, so that buckets expire without input. */
    int64_t now = now_ms(idx);
    if (!idx->dirty && now - idx->last_hand_ms < WT_INDEX_IDLE_COMMIT_MS)
        return;
    if (hand_over(idx, false)) {
        idx->dirty = false;
        idx->last_hand_ms = now;
    }
}

int wt_index_sync(struct wt_index *idx)
{
    if (!idx->thr_started)
        return 0;
    hand_over(idx, true);
    pthread_mutex_lock(&idx->mu);
    while (idx->handed)
        pthread_cond_wait(&idx->cv_done, &idx->mu);
    int rc = idx->last_err;
    pthread_mutex_unlock(&idx->mu);
    return rc;
}

void wt_index_set_retention(struct wt_index *idx, int64_t retention_ms)
{
    pthread_mutex_lock(&idx->mu);
    idx->o.retention_ms = retention_ms;
    pthread_mutex_unlock(&idx->mu);
}

void wt_index_stats(struct wt_index *idx, struct wt_index_stats *st)
{
    pthread_mutex_lock(&idx->mu);
    *st = idx->st;
    pthread_mutex_unlock(&idx->mu);
    MDB_envinfo ei;
    MDB_stat ms;
    if (mdb_env_info(idx->env, &ei) == 0 && mdb_env_stat(idx->env, &ms) == 0)
        st->map_bytes = (uint64_t)(ei.me_last_pgno + 1) * ms.ms_psize;
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

/* The dbi of an hour's bucket in the write transaction (created if needed). */
static int bucket_dbi(struct wt_index *idx, MDB_txn *txn, uint32_t hour, MDB_dbi *dbi)
{
    int i = find_bucket(idx->bk, idx->nbk, hour);
    if (i >= 0) {
        *dbi = idx->bk[i].dbi;
        return 0;
    }
    for (unsigned k = 0; k < idx->nnew; k++) {
        if (idx->newbk[k].hour == hour) {
            *dbi = idx->newbk[k].dbi;
            return 0;
        }
    }
    if (idx->nbk + idx->nnew >= WT_INDEX_BUCKETS_MAX)
        return WT_EFULL;
    char name[16];
    bucket_name(hour, name);
    int rc = mdb_dbi_open(txn, name, MDB_CREATE, dbi);
    if (rc)
        return rc;
    idx->newbk[idx->nnew++] = (struct bucket_ref){hour, *dbi};
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

#define POS_KEY_LEN (sizeof(POS_PREFIX) - 1 + 16)

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
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < sizeof(POS_PREFIX) - 1 ||
            memcmp(k.mv_data, POS_PREFIX, sizeof(POS_PREFIX) - 1) != 0)
            break;
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
        MDB_dbi dbi;
        rc = bucket_dbi(idx, txn, it->hour, &dbi);
        if (rc == WT_EFULL) {
            (*skipped) += j - i;
            rc = 0;
            i = j;
            continue;
        }
        if (rc)
            break;
        MDB_val k = {wt__index_key((enum wt_obs_type)it->type, it->v, it->vlen, keyb), keyb}, v;
        int64_t hour_ms = (int64_t)it->hour * WT_HOUR_MS;
        memset(&bk, 0, offsetof(struct wt_index_bucket, client));
        bk.start_ms = hour_ms;
        bk.end_ms = hour_ms + WT_HOUR_MS;
        rc = mdb_get(txn, dbi, &k, &v);
        if (rc == 0 && wt_index_bucket_decode(v.mv_data, v.mv_size, hour_ms, &bk) != 0)
            memset(&bk, 0, offsetof(struct wt_index_bucket, client)); /* damaged: start over */
        else if (rc != 0 && rc != MDB_NOTFOUND)
            break;
        for (size_t r = i; r < j; r++)
            apply_record(&bk, idx->items[r].rec, idx->o.top_clients);
        wt__index_clients_sort(&bk);
        int len = wt_index_bucket_encode(&bk, valb, sizeof(valb));
        v = (MDB_val){(size_t)len, valb};
        rc = mdb_put(txn, dbi, &k, &v, 0);
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
        insert_bucket(idx, idx->newbk[k].hour, idx->newbk[k].dbi);
    pthread_rwlock_unlock(&idx->lk);
    idx->nnew = 0;
    return 0;
}

/* Drop buckets that ended before cutoff_ms (or the oldest one: force). */
static int drop_buckets(struct wt_index *idx, int64_t cutoff_ms, bool oldest)
{
    unsigned ndrop = 0;
    while (ndrop < idx->nbk && ((int64_t)idx->bk[ndrop].hour + 1) * WT_HOUR_MS <= cutoff_ms)
        ndrop++;
    if (oldest && ndrop == 0 && idx->nbk > 1)
        ndrop = 1;
    if (ndrop == 0)
        return 0;
    MDB_txn *txn;
    pthread_rwlock_wrlock(&idx->lk);
    int rc = mdb_txn_begin(idx->env, NULL, 0, &txn);
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
    int rc = drop_buckets(idx, cutoff(idx), false);
    if (rc)
        wt_log_error("index", "expiring buckets: %s", mdb_strerror(rc));
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

static void *writer_main(void *arg)
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

/* ------------------------------------------------------------------------ */
/* Lookups                                                                  */
/* ------------------------------------------------------------------------ */

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
    for (unsigned i = idx->nbk; i-- > 0 && rc == 0;) {
        int64_t hour_ms = (int64_t)idx->bk[i].hour * WT_HOUR_MS;
        if (until_ms && hour_ms >= until_ms)
            continue;
        if (since_ms && hour_ms + WT_HOUR_MS <= since_ms)
            break;
        if (mdb_get(txn, idx->bk[i].dbi, &k, &v) != 0)
            continue; /* not seen that hour (or the bucket went away) */
        if (wt_index_bucket_decode(v.mv_data, v.mv_size, hour_ms, b) != 0)
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
        for (unsigned i = idx->nbk; i-- > 0;) {
            int64_t hour_ms = (int64_t)idx->bk[i].hour * WT_HOUR_MS;
            if (until_ms && hour_ms >= until_ms)
                continue;
            if (since_ms && hour_ms + WT_HOUR_MS <= since_ms)
                break;
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
                    (struct wt_index_hit){hour_ms, v.mv_data, v.mv_size};
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
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size < sizeof(POS_PREFIX) - 1 ||
            memcmp(k.mv_data, POS_PREFIX, sizeof(POS_PREFIX) - 1) != 0)
            break;
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
