/*
 * thrd_shim.c - C11 threads for ThreadSanitizer builds of the tests.
 *
 * librdkafka starts its threads with C11 thrd_create (glibc >= 2.34). The
 * TSan runtimes of clang 14 and gcc 12 intercept pthread_create but not
 * thrd_create, so those threads run unregistered and the first allocation
 * in one crashes the runtime ("CHECK failed ... thr->slot", or "nested bug
 * in the same thread"). LLVM added the interceptor later (LLVM 15). This
 * definition in the test executable takes precedence over glibc's for
 * librdkafka (the executable exports it because librdkafka references it)
 * and starts the thread through pthread_create, which TSan sees: its
 * synchronisation is then tracked like any other thread's. thrd_join and
 * thrd_detach go through pthread_join / pthread_detach for the same reason
 * (glibc's call internal functions TSan does not see: a "thread leak").
 *
 * The same holds for librdkafka's locks: its mtx_* / cnd_* / call_once
 * calls reach glibc's internal __pthread_mutex_lock etc. directly, so TSan
 * sees none of its synchronisation and reports every hand-over between
 * its threads (and between them and ours through its API) as a race: over
 * a hundred false reports in test_sink_kafka. They are routed through the
 * pthread calls TSan intercepts here, so what TSan still reports is real.
 * glibc's mtx_t, cnd_t and once_flag are its pthread_mutex_t,
 * pthread_cond_t and pthread_once_t (its own mtx_lock is a cast and a
 * call), and the thrd_* result codes are mapped as glibc maps them.
 *
 * Linked only into test executables and only when WT_SANITIZE has
 * "thread" (tests/CMakeLists.txt). glibc's thrd_t is a pthread_t and its
 * thrd_join/thrd_exit convert the int result through the void * one, so
 * the trampoline below returns the same thing glibc's own would.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

struct thrd_start {
    thrd_start_t fn;
    void *arg;
};

static void *trampoline(void *p)
{
    struct thrd_start s = *(struct thrd_start *)p;
    free(p);
    return (void *)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg);

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    struct thrd_start *s = malloc(sizeof(*s));
    if (!s)
        return thrd_nomem;
    s->fn = fn;
    s->arg = arg;
    pthread_t t;
    int rc = pthread_create(&t, NULL, trampoline, s);
    if (rc != 0) {
        free(s);
        return rc == EAGAIN ? thrd_nomem : thrd_error;
    }
    *thr = (thrd_t)t;
    return thrd_success;
}

int thrd_join(thrd_t thr, int *res);

int thrd_join(thrd_t thr, int *res)
{
    void *r;
    if (pthread_join((pthread_t)thr, &r) != 0)
        return thrd_error;
    if (res)
        *res = (int)(intptr_t)r;
    return thrd_success;
}

int thrd_detach(thrd_t thr);

int thrd_detach(thrd_t thr)
{
    return pthread_detach((pthread_t)thr) == 0 ? thrd_success : thrd_error;
}

static int result(int rc)
{
    switch (rc) {
    case 0:
        return thrd_success;
    case EBUSY:
        return thrd_busy;
    case ETIMEDOUT:
        return thrd_timedout;
    case ENOMEM:
        return thrd_nomem;
    default:
        return thrd_error;
    }
}

int mtx_init(mtx_t *m, int type);
int mtx_lock(mtx_t *m);
int mtx_trylock(mtx_t *m);
int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts);
int mtx_unlock(mtx_t *m);
void mtx_destroy(mtx_t *m);
int cnd_init(cnd_t *c);
int cnd_signal(cnd_t *c);
int cnd_broadcast(cnd_t *c);
int cnd_wait(cnd_t *c, mtx_t *m);
int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts);
void cnd_destroy(cnd_t *c);
void call_once(once_flag *flag, void (*fn)(void));

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "glibc's mtx_t is a pthread_mutex_t");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "glibc's cnd_t is a pthread_cond_t");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "glibc's once_flag: pthread_once_t");

int mtx_init(mtx_t *m, int type)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    if (type & mtx_recursive)
        pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    int rc = pthread_mutex_init((pthread_mutex_t *)m, &a);
    pthread_mutexattr_destroy(&a);
    return result(rc);
}

int mtx_lock(mtx_t *m)
{
    return result(pthread_mutex_lock((pthread_mutex_t *)m));
}

int mtx_trylock(mtx_t *m)
{
    return result(pthread_mutex_trylock((pthread_mutex_t *)m));
}

int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
    return result(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}

int mtx_unlock(mtx_t *m)
{
    return result(pthread_mutex_unlock((pthread_mutex_t *)m));
}

void mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
}

int cnd_init(cnd_t *c)
{
    return result(pthread_cond_init((pthread_cond_t *)c, NULL));
}

int cnd_signal(cnd_t *c)
{
    return result(pthread_cond_signal((pthread_cond_t *)c));
}

int cnd_broadcast(cnd_t *c)
{
    return result(pthread_cond_broadcast((pthread_cond_t *)c));
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
    return result(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
    return result(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts));
}

void cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy((pthread_cond_t *)c);
}

void call_once(once_flag *flag, void (*fn)(void))
{
    pthread_once((pthread_once_t *)flag, fn);
}
