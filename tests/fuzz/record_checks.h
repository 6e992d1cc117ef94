/*
 * record_checks.h - checks on a parsed record that every parser's fuzz
 * target makes (fuzz_squid.c, fuzz_w3c.c): typed fields in range, and the
 * parser's client kind agreeing with the observable extractor's own check.
 * Each abort()s on a violation, which libFuzzer reports as a crash.
 */
#ifndef WT_FUZZ_RECORD_CHECKS_H
#define WT_FUZZ_RECORD_CHECKS_H

#include <stddef.h>

#include "wt_parsers.h"

/* docs/events.md, "What each format accepts": a parsed record's typed
 * fields are in range, whichever the format. */
void check_typed(const struct wt_record *r);

/*
 * The parser's client kind is wt__client_kind()'s, and wt_obs_extract()
 * gives the same outcome with the client UNCHECKED (its own check) as with
 * the kind the parser found, with a scratch of cap bytes.
 */
void check_client_kind(const struct wt_record *r, size_t cap);

#endif
