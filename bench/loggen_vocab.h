/*
 * loggen_vocab.h - the vocabulary of wt-loggen (loggen_vocab.c): URL
 * categories, AVC applications, names, user agents, paths and ACL tags.
 * Each table is declared with its length, so a definition that does not
 * match its count does not compile.
 */
#ifndef WT_LOGGEN_VOCAB_H
#define WT_LOGGEN_VOCAB_H

#include <stdint.h>

struct category {
    const char *abbr, *full;
    uint16_t weight; /* share among generated domains */
};

enum {
    CAT_COMP,
    CAT_BUSI,
    CAT_INFR,
    CAT_SRCH,
    CAT_SNET,
    CAT_NEWS,
    CAT_SHOP,
    CAT_ADV,
    CAT_SAAS,
    CAT_SWUP,
    CAT_MEET,
    CAT_DOCS,
    CAT_CSEC,
    CAT_STRM,
    CAT_TRVL,
    CAT_EDU,
    CAT_GAME,
    CAT_NC,
    CAT_CUST1,
    CAT_CUST2,
    NCAT
};

struct avc {
    const char *app, *type, *behavior;
};

/* The head of the popularity table: well-known names, most popular first. */
struct head_domain {
    const char *host;
    uint8_t cat, avc;
};

enum ext {
    EXT_NONE,
    EXT_HTML,
    EXT_JS,
    EXT_CSS,
    EXT_PNG,
    EXT_JPG,
    EXT_GIF,
    EXT_JSON,
    EXT_BIN,
    NEXT
};

/* Client subnets: prefix, how many host bits vary, ACL group, weight. */
struct subnet {
    uint8_t a, b;
    uint8_t vary_c; /* 1: third octet varies (/16), 0: fixed c */
    uint8_t c;
    uint8_t group;
    uint16_t weight;
};

/* The length of each table. */
enum {
    NAVC = 10,
    NHEAD = 46,
    NSYLLABLE = 65,
    NWORD = 54,
    NTLD = 38,
    NSUBDOMAIN = 36,
    NREGION = 8,
    NFIRST = 30,
    NLAST = 27,
    NREALM = 4,
    NUA = 12,
    NSEGMENT = 48,
    NSTEM = 18,
    NAMPSTEM = 15,
    NAMPEXT = 10,
    NTHREAT = 5,
    NGROUP = 5, /* client groups: one ACL pair each */
    NSUBNET = 6,
};

extern const struct category cats[NCAT];
extern const struct avc avcs[NAVC];
extern const struct head_domain head_domains[NHEAD];
extern const char *const syllables[NSYLLABLE];
extern const char *const words[NWORD];
extern const char *const tlds[NTLD];
extern const uint16_t tld_weights[NTLD];
extern const char *const subdomains[NSUBDOMAIN];
extern const char *const edge_regions[NREGION];
extern const char *const first_names[NFIRST];
extern const char *const last_names[NLAST];
extern const char *const realms[NREALM][2];
extern const char *const user_agents[NUA];
extern const uint16_t ua_weights[NUA];
extern const char *const path_segments[NSEGMENT];
extern const char *const ext_names[NEXT];
extern const uint16_t ext_weights[NEXT];
extern const char *const file_stems[NSTEM];
extern const char *const amp_stems[NAMPSTEM];
extern const char *const amp_exts[NAMPEXT];
extern const char *const amp_threats[NTHREAT];
extern const char *const acl_access[NGROUP];
extern const char *const acl_decrypt[NGROUP];
extern const struct subnet subnets[NSUBNET];

#endif /* WT_LOGGEN_VOCAB_H */
