/*
 * ctim.h - the one CTIM sighting encoder and checker of wtexport, shared by
 * the CTIA sink (sightings imported into Cisco XDR private intelligence)
 * and the observe API (sightings answered to an XDR relay lookup), and by
 * the test server that stands in for CTIA.
 *
 * CTIM is the Cisco Threat Intelligence Model (threatgrid/ctim); a
 * sighting says "this observable was seen, this many times, in this time
 * range, by this sensor, involving these targets". wtexport's sightings
 * are always: sensor "network.proxy", internal true, observables of
 * exactly one {type, value}, targets the client endpoints (by IP) that
 * made the requests. No schema_version is written.
 */
#ifndef WT_CTIM_H
#define WT_CTIM_H

#include "wt_common.h"
#include "wt_parsers.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Targets written per sighting at most; the rest is counted in the description. */
#define WT_CTIM_TARGETS_MAX 100
/* Bytes of a sighting's title and description. */
#define WT_CTIM_TEXT_MAX 1024

/** One client endpoint of a sighting (its address, canonical text). */
struct wt_ctim_target {
    enum wt_obs_type type; /* WT_OBS_IP or WT_OBS_IPV6 */
    struct wt_str addr;
    uint64_t count; /* requests it made (not written: the caller orders by it) */
};

/** What a sighting says; every string is copied into the JSON. */
struct wt_ctim_sighting {
    const char *id;          /* "transient:sighting-..." (bundle import) or a URI; NULL: none */
    const char *external_id; /* stable id for idempotent imports; NULL: none */
    enum wt_obs_type type;   /* the observable */
    struct wt_str value;
    uint64_t count;
    int64_t start_ms, end_ms; /* observed_time, epoch ms (end >= start) */
    const char *confidence;   /* "High", "Medium", "Low", "None", "Unknown" */
    const char *source;       /* "wtexport" */
    const char *source_uri;   /* NULL: none */
    const char *title;
    const char *description;
    const char *tlp;                      /* "white", "green", "amber", "red" */
    const struct wt_ctim_target *targets; /* ntargets of them (<= WT_CTIM_TARGETS_MAX) */
    size_t ntargets;
};

/** The CTIM observable type name of t ("ip", "ipv6", "domain", "url", "sha256"). */
const char *wt_ctim_obs_type(enum wt_obs_type t);

/**
 * Append the sighting to b as CTIM JSON text: the one sighting encoder of
 * wtexport (the CTIA sink's bundles and dead letters, the observe API's
 * answers). Members, in this order: observables (the one observable),
 * type "sighting", count, observed_time {start_time, end_time} in ISO 8601
 * UTC, confidence, sensor "network.proxy", source, internal true, targets
 * of type "endpoint" with their ip/ipv6 observable and the same
 * observed_time, tlp, then when set id, source_uri, title, description and
 * external_ids. Written directly (no cJSON tree): an answer of 2000
 * sightings would otherwise build and free some 150 000 nodes. Strings are
 * escaped (wt_json_append_str); an allocation failure sticks in b->oom.
 */
void wt_ctim_sighting_write(struct wt_tbuf *b, const struct wt_ctim_sighting *s);

/**
 * Is o a valid wtexport CTIM sighting? Required fields and their types, the
 * observable type vocabulary, ISO 8601 times with end >= start, count >= 1,
 * a known confidence and tlp, sensor "network.proxy", targets of type
 * "endpoint" (at most WT_CTIM_TARGETS_MAX), no schema_version.
 * @returns true, or false with the first problem in err ("count: must be an
 *          integer >= 1").
 */
bool wt_ctim_sighting_check(const cJSON *o, char *err, size_t errlen);

/* Entities of one bundle import at most (CTIA's limit). */
#define WT_CTIM_BUNDLE_MAX 2000

/**
 * A CTIM bundle {"type": "bundle", "source": source, "sightings": [...]}
 * as text: wt_ctim_bundle_begin writes everything up to the array's "[",
 * the caller writes the sightings (wt_ctim_sighting_write, separated by
 * ","), wt_ctim_bundle_end closes it.
 */
void wt_ctim_bundle_begin(struct wt_tbuf *b, const char *source);
void wt_ctim_bundle_end(struct wt_tbuf *b);

/**
 * Is o a bundle as wtexport imports it: type "bundle", a non-empty source,
 * a "sightings" array of 1 to max entities (max <= WT_CTIM_BUNDLE_MAX), no
 * other entity arrays? Each sighting is checked apart, with
 * wt_ctim_sighting_check (an import answers per entity).
 * @returns true, or false with the problem in err.
 */
bool wt_ctim_bundle_check(const cJSON *o, size_t max, char *err, size_t errlen);

/**
 * Parse an ISO 8601 UTC time as CTIM writes it, "YYYY-MM-DDTHH:MM:SS[.f]Z",
 * into epoch ms. @returns false for anything else.
 */
bool wt_ctim_time_parse(const char *s, int64_t *ms);

#endif /* WT_CTIM_H */
