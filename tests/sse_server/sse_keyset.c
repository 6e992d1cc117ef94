/*
 * sse_keyset.c - the Idempotency-Key set of wt-sse-server: open addressing,
 * linear probing, FNV-1a hashes, doubling at half load, bounded by a maximum
 * key count. No removal, so no tombstones.
 */
#include "sse_server.h"
#include "wt_common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEYSET_MIN_CAP 1024u

static uint64_t fnv1a(const char *s)
{
    return wt_fnv1a64(WT_FNV1A64_INIT, s, strlen(s));
}

void wt_ssesrv_keyset_init(struct wt_ssesrv_keyset *ks, size_t max)
{
    memset(ks, 0, sizeof(*ks));
    ks->max = max;
}

void wt_ssesrv_keyset_close(struct wt_ssesrv_keyset *ks)
{
    for (size_t i = 0; i < ks->cap; i++)
        free(ks->slots[i].key);
    free(ks->slots);
    memset(ks, 0, sizeof(*ks));
}

/* The slot holding key, or the empty slot where it would go. cap > 0. */
static struct wt_ssesrv_key_slot *find(const struct wt_ssesrv_keyset *ks, const char *key,
                                       uint64_t h)
{
    size_t mask = ks->cap - 1;

    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct wt_ssesrv_key_slot *sl = &ks->slots[i];
        if (sl->key == NULL || (sl->hash == h && strcmp(sl->key, key) == 0))
            return sl;
    }
}

static int grow(struct wt_ssesrv_keyset *ks)
{
    size_t ncap = ks->cap == 0 ? KEYSET_MIN_CAP : ks->cap * 2;
    struct wt_ssesrv_key_slot *old = ks->slots;
    size_t ocap = ks->cap;

    ks->slots = calloc(ncap, sizeof(*ks->slots));
    if (ks->slots == NULL) {
        ks->slots = old;
        return -ENOMEM;
    }
    ks->cap = ncap;
    /* Re-insert: keys are distinct, so each lands in an empty slot. */
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].key != NULL)
            *find(ks, old[i].key, old[i].hash) = old[i];
    }
    free(old);
    return 0;
}

enum wt_ssesrv_key_state wt_ssesrv_keyset_get(const struct wt_ssesrv_keyset *ks, const char *key)
{
    if (ks->cap == 0)
        return WT_SSESRV_KEY_ABSENT;
    const struct wt_ssesrv_key_slot *sl = find(ks, key, fnv1a(key));
    return sl->key == NULL ? WT_SSESRV_KEY_ABSENT : (enum wt_ssesrv_key_state)sl->state;
}

int wt_ssesrv_keyset_mark(struct wt_ssesrv_keyset *ks, const char *key,
                          enum wt_ssesrv_key_state state)
{
    uint64_t h = fnv1a(key);
    struct wt_ssesrv_key_slot *sl = ks->cap != 0 ? find(ks, key, h) : NULL;

    if (sl != NULL && sl->key != NULL) {
        if (state > sl->state) {
            if (state == WT_SSESRV_KEY_ACCEPTED)
                ks->accepted++;
            sl->state = (unsigned char)state;
        }
        return 0;
    }
    if (ks->count >= ks->max)
        return WT_SSESRV_EFULL;
    if ((ks->count + 1) * 2 > ks->cap) {
        int rc = grow(ks);
        if (rc != 0)
            return rc;
    }
    sl = find(ks, key, h);
    sl->key = strdup(key);
    if (sl->key == NULL)
        return -ENOMEM;
    sl->hash = h;
    sl->state = (unsigned char)state;
    ks->count++;
    if (state == WT_SSESRV_KEY_ACCEPTED)
        ks->accepted++;
    return 0;
}
