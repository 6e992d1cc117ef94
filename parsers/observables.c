/* observables.c - STUB, being written. */
#include "parsers_int.h"
const char *wt_obs_type_name(enum wt_obs_type t)
{
    static const char *const names[] = {"ip", "ipv6", "domain", "url", "sha256"};
    return t < WT_OBS_NTYPES ? names[t] : "unknown";
}
void wt_obs_set_init(struct wt_obs_set *os, char *scratch, size_t cap)
{
    memset(os, 0, sizeof(*os));
    os->scratch = scratch;
    os->scratch_cap = cap;
}
int wt_obs_extract(const struct wt_record *rec, const struct wt_obs_opts *opts,
                   struct wt_obs_set *os)
{
    (void)rec; (void)opts;
    os->n = 0;
    return 0;
}
