/*
 * loggen_vocab.c - the vocabulary wt-loggen draws from: URL categories and
 * their shares, AVC applications, well-known and generated host names,
 * users, user agents, URL paths, AMP files and ACL tags.
 */
#include "loggen.h"

const struct category cats[NCAT] = {
    [CAT_COMP] = {"IW_comp", "Computers and Internet", 160},
    [CAT_BUSI] = {"IW_busi", "Business and Industry", 150},
    [CAT_INFR] = {"IW_infr", "Infrastructure and Content Delivery Networks", 90},
    [CAT_SRCH] = {"IW_srch", "Search Engines and Portals", 15},
    [CAT_SNET] = {"IW_snet", "Social Networking", 30},
    [CAT_NEWS] = {"IW_news", "News", 70},
    [CAT_SHOP] = {"IW_shop", "Shopping", 80},
    [CAT_ADV] = {"IW_adv", "Advertisements", 60},
    [CAT_SAAS] = {"IW_saas", "SaaS and B2B", 60},
    [CAT_SWUP] = {"IW_swup", "Software Updates", 25},
    [CAT_MEET] = {"IW_meet", "Online Meetings", 10},
    [CAT_DOCS] = {"IW_docs", "Online Storage and Backup", 20},
    [CAT_CSEC] = {"IW_csec", "Computer Security", 20},
    [CAT_STRM] = {"IW_strm", "Streaming Video", 25},
    [CAT_TRVL] = {"IW_trvl", "Travel", 40},
    [CAT_EDU] = {"IW_edu", "Education", 40},
    [CAT_GAME] = {"IW_game", "Games", 30},
    [CAT_NC] = {"nc", "-", 50},
    [CAT_CUST1] = {"C_Allo", "Allowed_Partners", 8},
    [CAT_CUST2] = {"C_Cisc", "Cisco_Sites", 4},
};

const struct avc avcs[] = {
    {"-", "-", "-"}, /* 0: none */
    {"Google", "Search Engine", "Encrypted"},
    {"Facebook General", "Facebook", "Encrypted"},
    {"YouTube", "Media", "View"},
    {"Microsoft Office 365", "Office Suites", "Encrypted"},
    {"LinkedIn General", "LinkedIn", "Encrypted"},
    {"Dropbox", "File Sharing", "Upload"},
    {"Webex", "Collaboration", "Encrypted"},
    {"Amazon", "Shopping", "Encrypted"},
    {"Twitter", "Social Networking", "Encrypted"},
};

/* The head of the popularity table: well-known names, most popular first. */
const struct head_domain head_domains[] = {
    {"www.google.com", CAT_SRCH, 1},
    {"fonts.gstatic.com", CAT_INFR, 0},
    {"login.microsoftonline.com", CAT_SAAS, 4},
    {"outlook.office365.com", CAT_SAAS, 4},
    {"www.youtube.com", CAT_STRM, 3},
    {"update.googleapis.com", CAT_SWUP, 0},
    {"www.facebook.com", CAT_SNET, 2},
    {"static.xx.fbcdn.net", CAT_SNET, 2},
    {"teams.microsoft.com", CAT_MEET, 4},
    {"i.ytimg.com", CAT_STRM, 3},
    {"safebrowsing.googleapis.com", CAT_CSEC, 0},
    {"settings-win.data.microsoft.com", CAT_COMP, 0},
    {"www.linkedin.com", CAT_SNET, 5},
    {"securepubads.g.doubleclick.net", CAT_ADV, 0},
    {"www.google-analytics.com", CAT_ADV, 0},
    {"ocsp.digicert.com", CAT_INFR, 0},
    {"ctldl.windowsupdate.com", CAT_SWUP, 0},
    {"graph.microsoft.com", CAT_SAAS, 4},
    {"www.amazon.com", CAT_SHOP, 8},
    {"images-na.ssl-images-amazon.com", CAT_INFR, 8},
    {"s3.amazonaws.com", CAT_INFR, 0},
    {"cdn.jsdelivr.net", CAT_INFR, 0},
    {"ajax.googleapis.com", CAT_INFR, 0},
    {"api.github.com", CAT_COMP, 0},
    {"github.com", CAT_COMP, 0},
    {"raw.githubusercontent.com", CAT_COMP, 0},
    {"www.cisco.com", CAT_CUST2, 0},
    {"tools.cisco.com", CAT_CUST2, 0},
    {"cisco.webex.com", CAT_MEET, 7},
    {"zoom.us", CAT_MEET, 0},
    {"www.dropbox.com", CAT_DOCS, 6},
    {"drive.google.com", CAT_DOCS, 0},
    {"www.bbc.com", CAT_NEWS, 0},
    {"edition.cnn.com", CAT_NEWS, 0},
    {"en.wikipedia.org", CAT_EDU, 0},
    {"twitter.com", CAT_SNET, 9},
    {"abs.twimg.com", CAT_SNET, 9},
    {"dl.google.com", CAT_SWUP, 0},
    {"clients4.google.com", CAT_SRCH, 1},
    {"www.bing.com", CAT_SRCH, 0},
    {"csp.withgoogle.com", CAT_COMP, 0},
    {"slack.com", CAT_BUSI, 0},
    {"www.salesforce.com", CAT_SAAS, 0},
    {"gwisp-us.splunkcloud.com", CAT_SAAS, 0},
    {"xn--mnchen-3ya.de", CAT_TRVL, 0},
    {"www.xn--bcher-kva.ch", CAT_SHOP, 0},
};

const char *const syllables[] = {
    "al",  "an",  "ar", "bel", "bit", "blu", "bo",  "cal", "cam", "cor", "da",  "del", "den",
    "dy",  "el",  "en", "fa",  "fin", "gen", "go",  "ha",  "hub", "in",  "io",  "ka",  "kin",
    "la",  "lan", "lo", "ma",  "mar", "me",  "mo",  "na",  "net", "nix", "no",  "or",  "pa",
    "per", "pix", "qu", "ra",  "ro",  "sa",  "sen", "si",  "so",  "ta",  "tel", "ter", "to",
    "tra", "tri", "va", "ven", "vi",  "vo",  "wa",  "xo",  "za",  "zen", "zo",  "ix",  "ly",
};

const char *const words[] = {
    "cloud", "data",   "shop",  "news",   "media",  "travel", "bank",  "health", "game",
    "learn", "photo",  "music", "video",  "mail",   "secure", "trade", "home",   "auto",
    "food",  "sport",  "book",  "ads",    "track",  "stat",   "soft",  "web",    "link",
    "box",   "lab",    "zone",  "point",  "market", "search", "fast",  "green",  "blue",
    "smart", "global", "prime", "nova",   "pixel",  "metric", "edge",  "city",   "star",
    "river", "north",  "alpha", "vector", "logic",  "signal", "craft", "wave",   "stream",
};

const char *const tlds[] = {
    "com", "net",  "org", "io",     "co.uk", "de",  "fr",    "jp",       "com.au", "ru",
    "cn",  "info", "xyz", "online", "app",   "dev", "co",    "nl",       "it",     "es",
    "ch",  "se",   "pl",  "com.br", "in",    "edu", "gov",   "biz",      "tk",     "top",
    "us",  "ca",   "eu",  "me",     "tv",    "ai",  "cloud", "xn--p1ai",
};
const uint16_t tld_weights[ARRAY_SIZE(tlds)] = {
    450, 80, 60, 40, 30, 40, 20, 20, 15, 20, 20, 15, 10, 10, 10, 10, 10, 15, 10,
    10,  5,  5,  10, 15, 10, 10, 5,  5,  5,  10, 5,  10, 5,  5,  5,  5,  5,  4,
};

const char *const subdomains[] = {
    "web",    "api",   "cdn",    "static",    "img",     "login", "mail",   "m",     "assets",
    "s3",     "edge",  "update", "telemetry", "auth",    "app",   "portal", "files", "download",
    "ws",     "video", "ads",    "track",     "metrics", "shop",  "blog",   "docs",  "support",
    "secure", "my",    "news",   "media",     "connect", "sso",   "gw",     "eu",    "us",
};

const char *const edge_regions[] = {"eu-west-1", "us-east-1", "ap-south-1", "eu-central-1",
                                    "us-west-2", "fra1",      "ams3",       "lhr"};

const char *const first_names[] = {
    "john", "mary", "ahmed", "li",    "olga",  "pierre", "sofia", "raj",   "yuki",  "carlos",
    "anna", "omar", "emma",  "lucas", "fatma", "ivan",   "chen",  "maria", "david", "sarah",
    "amir", "eva",  "noah",  "lena",  "tom",   "aisha",  "paul",  "nina",  "hiro",  "zoe",
};
const char *const last_names[] = {
    "smith", "garcia", "mueller", "rossi", "kim",   "nguyen", "dubois",  "ivanov",  "tanaka",
    "silva", "khan",   "jensen",  "novak", "lopez", "wang",   "brown",   "schmidt", "moreau",
    "popov", "ali",    "larsen",  "costa", "sato",  "berg",   "fischer", "young",   "hassan",
};

const char *const realms[][2] = {
    {"CORP", "CORP.EXAMPLE.COM"},
    {"EMEA", "EMEA.EXAMPLE.COM"},
    {"AMOJARRA", "WCCPrealm"},
    {"LAB", "LABrealm"},
};

const char *const user_agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
    "Microsoft-CryptoAPI/10.0",
    "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Teams/1.7.00.13456 Chrome/114.0.5735.289 Electron/25.8.4",
    "okhttp/4.12.0",
};
const uint16_t ua_weights[ARRAY_SIZE(user_agents)] = {40, 15, 10, 8, 5, 6, 4, 3, 2, 2, 4, 1};

const char *const path_segments[] = {
    "api",     "v1",      "v2",       "static",   "assets",  "js",        "css",     "img",
    "images",  "content", "search",   "login",    "oauth2",  "token",     "cdn-cgi", "wp-content",
    "uploads", "2024",    "media",    "download", "update",  "telemetry", "collect", "track",
    "pixel",   "ads",     "video",    "watch",    "s",       "rs",        "beacon",  "graphql",
    "en-us",   "de",      "products", "account",  "user",    "files",     "public",  "dist",
    "common",  "widgets", "embed",    "news",     "article", "category",  "item",    "feeds",
};

const char *const ext_names[NEXT] = {"",     ".html", ".js",   ".css", ".png",
                                     ".jpg", ".gif",  ".json", ".bin"};
const uint16_t ext_weights[NEXT] = {30, 8, 18, 6, 10, 10, 4, 10, 4};
const char *const file_stems[] = {"index",  "main",   "app",      "bundle", "logo",   "icon",
                                  "style",  "vendor", "runtime",  "thumb",  "banner", "sprite",
                                  "config", "data",   "manifest", "player", "chunk",  "font"};

const char *const amp_stems[] = {"setup",   "invoice",   "report", "update",   "installer",
                                 "driver",  "statement", "scan",   "document", "archive",
                                 "payload", "resume",    "order",  "patch",    "tool"};
const char *const amp_exts[] = {".exe",  ".pdf", ".docx", ".zip", ".msi",
                                ".xlsm", ".dmg", ".js",   ".iso", ".7z"};
const char *const amp_threats[] = {"W32.CiscoTestVector", "W32.Trojan.Emotet",
                                   "W32.GenericKD.Agent", "W32.Ransom.LockBit",
                                   "JS.Downloader.Nemucod"};

/* Access-policy and decryption-policy suffixes of the ACL tag (7 parts each,
 * so the tag has 8), one pair per client group. */
const char *const acl_access[] = {
    "-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup-NONE",
    "-Corp_Access-ID.Corp_Users-OMS_Default-NONE-NONE-DefaultGroup-NONE",
    "-Guest_Access-ID.Guest_WiFi-NONE-NONE-NONE-DefaultGroup-NONE",
    "-IT_Admins-ID.IT_Staff-OMS_Default-DLP_Default-NONE-DefaultRouting-Tap_Policy1",
    "-Servers_Policy-ID.Server_Subnet-NONE-NONE-NONE-DefaultGroup-NONE",
};
const char *const acl_decrypt[] = {
    "-DefaultGroup-DefaultGroup-NONE-NONE-NONE-DefaultGroup-NONE",
    "-Decrypt_Corp-ID.Corp_Users-NONE-NONE-NONE-DefaultGroup-NONE",
    "-Decrypt_Guest-ID.Guest_WiFi-NONE-NONE-NONE-DefaultGroup-NONE",
    "-Decrypt_IT-ID.IT_Staff-NONE-NONE-NONE-DefaultRouting-Tap_Policy1",
    "-Decrypt_Servers-ID.Server_Subnet-NONE-NONE-NONE-DefaultGroup-NONE",
};

/* Client subnets: prefix, how many host bits vary, ACL group, weight. */
const struct subnet subnets[] = {
    {10, 10, 1, 0, 1, 40},   {10, 20, 1, 0, 1, 20}, {172, 16, 1, 0, 2, 15},
    {192, 168, 0, 1, 3, 10}, {10, 60, 1, 0, 0, 10}, {192, 168, 30, 0, 4, 5},
};
