/*
 * index.c - the LMDB index: opening and closing the environment, and the
 * ingest buffers the loop fills and hands to the writer. See index.h for
 * the contract, index_write.c for the writer thread and expiry,
 * index_read.c for lookups and index_codec.c for the bytes.
 */
#include "index.h"
#include "index_env.h"
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

/* With no input, the writer still runs this often (expiry). */
#define WT_INDEX_IDLE_COMMIT_MS 60000

static void set_err(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "%s: %s", what, rc > 0 || rc < -30800 ? mdb_strerror(rc) : strerror(-rc));
}

/* ------------------------------------------------------------------------ */
/* Bucket table                                                             */
/* ------------------------------------------------------------------------ */

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
        char kind = k.mv_size == 9 ? ((const char *)k.mv_data)[0] : '\0';
        if (kind != 'h' && kind != 'd')
            continue;
        memcpy(name, k.mv_data, 9);
        name[9] = '\0';
        char *end;
        unsigned long h = strtoul(name + 1, &end, 10);
        if (*end || idx->nbk >= WT_INDEX_BUCKETS_MAX || h > UINT32_MAX / DAY_HOURS)
            continue;
        struct bucket_ref r = {(uint32_t)h, 1, 0};
        if (kind == 'd')
            r = (struct bucket_ref){(uint32_t)h * DAY_HOURS, DAY_HOURS, 0};
        if (mdb_dbi_open(txn, name, 0, &r.dbi) == 0)
            insert_bucket(idx, r);
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
     * is not tied to one. NORDAHEAD (madvise MADV_RANDOM on the map): a
     * lookup touches a few pages per bucket; with the kernel's read-around
     * each cold page fault would read read_ahead_kb (8 MiB on some disks)
     * around it. */
    unsigned flags =
        MDB_NOTLS | MDB_NORDAHEAD | (o->readonly ? MDB_RDONLY : 0) | (o->nosync ? MDB_NOSYNC : 0);
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
        rc = pthread_create(&idx->thr, NULL, wt__index_writer_main, idx);
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
