/*
 * test_kafka_input.c - the Kafka input's pure parts: the offset tracker
 * (which offset each partition may commit after the pipeline's acks,
 * across rebalances and a full ring), the check of "event" messages, and
 * the split of the topic list.
 */
#include "kafka_input_int.h"
#include "wt_common.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>

#include <stdio.h>
#include <string.h>

static void test_commit_after_acks(void **state)
{
    struct wt_kin_track t;
    (void)state;
    assert_int_equal(wt__kin_track_init(&t, 8, 4), 0);
    long p0 = wt__kin_slot(&t, 0, 0), p1 = wt__kin_slot(&t, 0, 1);
    assert_int_equal(p0, 0);
    assert_int_equal(p1, 1);
    assert_int_equal(wt__kin_slot(&t, 0, 1), 1); /* found again */
    wt__kin_assign(&t, 0);
    wt__kin_assign(&t, 1);
    /* Nothing fed, nothing acked: nothing to commit. */
    assert_int_equal(wt__kin_commit_offset(&t, 0), -1);

    /* Interleaved, with a gap in p0's offsets (compaction, control records). */
    uint64_t s1 = wt__kin_feed(&t, 0, 10);
    uint64_t s2 = wt__kin_feed(&t, 1, 100);
    uint64_t s3 = wt__kin_feed(&t, 0, 13);
    uint64_t s4 = wt__kin_feed(&t, 1, 101);
    assert_true(s1 > 0 && s1 < s2 && s2 < s3 && s3 < s4);
    assert_int_equal(t.n, 4);

    /* An ack covers everything fed before, in order. */
    assert_int_equal(wt__kin_acked(&t, s2), 2);
    assert_int_equal(wt__kin_commit_offset(&t, 0), 11);
    assert_int_equal(wt__kin_commit_offset(&t, 1), 101);
    /* Once committed (the commit callback sets it), not again. */
    t.parts[0].committed = 11;
    assert_int_equal(wt__kin_commit_offset(&t, 0), -1);
    /* A second ack of the same position changes nothing. */
    assert_int_equal(wt__kin_acked(&t, s2), 0);
    assert_int_equal(wt__kin_acked(&t, s4), 2);
    assert_int_equal(wt__kin_commit_offset(&t, 0), 14);
    assert_int_equal(wt__kin_commit_offset(&t, 1), 102);
    assert_int_equal(t.n, 0);
    wt__kin_track_free(&t);
}

static void test_revoke_drops_in_flight(void **state)
{
    struct wt_kin_track t;
    (void)state;
    assert_int_equal(wt__kin_track_init(&t, 8, 4), 0);
    long p = wt__kin_slot(&t, 2, 7);
    wt__kin_assign(&t, (size_t)p);
    uint64_t a = wt__kin_feed(&t, (size_t)p, 50);
    uint64_t b = wt__kin_feed(&t, (size_t)p, 51);
    wt__kin_acked(&t, a);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), 51);
    /* Revoked: the acked part is what the input commits at revocation;
     * afterwards nothing may be committed for it. */
    wt__kin_revoke(&t, (size_t)p);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), -1);
    /* Assigned again (same shipper): read from the committed offset again. */
    wt__kin_assign(&t, (size_t)p);
    uint64_t c = wt__kin_feed(&t, (size_t)p, 51);
    /* The old generation's ack of 51 must not count for the new one... */
    wt__kin_acked(&t, b);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), -1);
    /* ...its own does. */
    wt__kin_acked(&t, c);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), 52);
    wt__kin_track_free(&t);
}

static void test_ring_full_and_wrap(void **state)
{
    struct wt_kin_track t;
    (void)state;
    assert_int_equal(wt__kin_track_init(&t, 4, 2), 0);
    long p = wt__kin_slot(&t, 0, 0);
    wt__kin_assign(&t, (size_t)p);
    uint64_t last = 0;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 4; i++) {
            assert_false(wt__kin_full(&t));
            last = wt__kin_feed(&t, (size_t)p, round * 4 + i);
        }
        assert_true(wt__kin_full(&t));
        assert_int_equal(wt__kin_acked(&t, last - 2), 2);
        assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), round * 4 + 2);
        assert_int_equal(wt__kin_acked(&t, last), 2);
        assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), round * 4 + 4);
    }
    /* Slots are bounded. */
    assert_int_equal(wt__kin_slot(&t, 0, 1), 1);
    assert_int_equal(wt__kin_slot(&t, 0, 2), -1);
    wt__kin_track_free(&t);
}

/* Spooled is not acked: a message counts once every sink finished its record. */
static void test_acked_once_delivered(void **state)
{
    struct wt_kin_track t;
    (void)state;
    assert_int_equal(wt__kin_track_init(&t, 8, 2), 0);
    long p = wt__kin_slot(&t, 0, 0);
    wt__kin_assign(&t, (size_t)p);
    uint64_t a = wt__kin_feed(&t, (size_t)p, 0);
    uint64_t b = wt__kin_feed(&t, (size_t)p, 1);
    uint64_t c = wt__kin_feed(&t, (size_t)p, 2);
    /* a and b in spool record 5 (two acks of one record), c in record 6. */
    wt__kin_spooled(&t, a, 5);
    wt__kin_spooled(&t, b, 5);
    wt__kin_spooled(&t, c, 6);
    assert_int_equal(t.pn, 2);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), -1);
    assert_int_equal(t.n, 3);
    /* Records before 5 delivered: nothing of ours. */
    assert_int_equal(wt__kin_delivered(&t, 4), 0);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), -1);
    /* 5 delivered: a and b. */
    assert_int_equal(wt__kin_delivered(&t, 5), 2);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), 2);
    /* A later record delivered covers 6 too. */
    assert_int_equal(wt__kin_delivered(&t, 9), 1);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), 3);
    assert_int_equal(t.n, 0);
    assert_int_equal(t.pn, 0);
    /* Spooled in a record already delivered (a batch without events keeps
     * the previous token): acked at once. */
    uint64_t d = wt__kin_feed(&t, (size_t)p, 3);
    wt__kin_spooled(&t, d, 9);
    assert_int_equal(wt__kin_commit_offset(&t, (size_t)p), 4);
    wt__kin_track_free(&t);
}

static void event_ok(const char *line, int64_t want)
{
    int64_t ts = 0;
    assert_int_equal(wt__kin_event_check(line, strlen(line), &ts), 0);
    assert_int_equal(ts, want);
}

static void event_bad(const char *line)
{
    int64_t ts = 0;
    assert_int_equal(wt__kin_event_check(line, strlen(line), &ts), WT_EPARSE);
}

static void test_event_check(void **state)
{
    (void)state;
    event_ok(
        "{\"line\":1,\"ts\":\"2010-07-02T18:55:03.150Z\",\"host\":\"wsa1\",\"observables\":[]}",
        1278096903150LL);
    event_ok("{\"ts\":\"1970-01-01T00:00:00.000Z\"}", 0);
    event_bad("");
    event_bad("{}");
    event_bad("not an event");
    event_bad("{\"line\":1,\"host\":\"wsa1\"}");                       /* no ts */
    event_bad("{\"ts\":\"yesterday\"}");                               /* not a time */
    event_bad("{\"ts\":\"2010-07-02T18:55:03.150Z\"");                 /* cut */
    event_bad("[{\"ts\":\"2010-07-02T18:55:03.150Z\"}]");              /* not an object */
    event_bad("{\"ts\":\"2010-07-02T18:55:03.150Z\",\"x\":\"a\tb\"}"); /* raw control byte */
    event_bad("{\"ts\":\"2010-07-02T18:55:03.150Z");                   /* unterminated */
}

static void test_topics(void **state)
{
    char buf[64];
    const char *n[3];
    (void)state;
    assert_int_equal(wt__kin_topics("wt", buf, sizeof(buf), n, 3), 1);
    assert_string_equal(n[0], "wt");
    assert_int_equal(wt__kin_topics("a,^b.*,c", buf, sizeof(buf), n, 3), 3);
    assert_string_equal(n[1], "^b.*");
    assert_string_equal(n[2], "c");
    assert_int_equal(wt__kin_topics("a,b,c,d", buf, sizeof(buf), n, 3), 0); /* too many */
    assert_int_equal(wt__kin_topics("", buf, sizeof(buf), n, 3), 0);
    assert_int_equal(wt__kin_topics("a,,b", buf, sizeof(buf), n, 3), 0);
    assert_int_equal(wt__kin_topics("a,", buf, sizeof(buf), n, 3), 0);
    assert_int_equal(wt__kin_topics("a-very-long-topic-name-that-does-not-fit-in-the-buffer-at-all",
                                    buf, 16, n, 3),
                     0);
}

static bool stats_up_after(const char *json, uint64_t after_us)
{
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    bool up = wt__kin_stats_up(root, after_us);
    cJSON_Delete(root);
    return up;
}

/* As librdkafka 2.0.2 writes its statistics: blanks after the commas. */
#define BROKER(name, source, state)                                                                \
    "\"" name "\": { \"name\":\"" name "\", \"nodeid\":1, \"source\":\"" source                    \
    "\", \"state\":\"" state "\", \"stateage\":999754, \"connects\":1 }"

static bool stats_up(const char *json)
{
    return stats_up_after(json, 0);
}

static void test_stats_up(void **state)
{
    (void)state;
    assert_true(stats_up("{ \"name\": \"wtexport#consumer-1\", \"brokers\":{ " BROKER(
        "127.0.0.1:43779/1", "configured", "UP") " } }"));
    assert_true(
        stats_up("{\"brokers\":{" BROKER("127.0.0.1:1/1", "configured", "TRY_CONNECT") ", " BROKER(
            "GroupCoordinator", "logical", "UP") "}}"));
    assert_true(stats_up("{\"brokers\":{" BROKER("127.0.0.1:1/2", "learned", "UP") "}}"));
    /* Every connection down or not yet made: not reachable. */
    assert_false(
        stats_up("{\"brokers\":{" BROKER("127.0.0.1:1/1", "configured", "TRY_CONNECT") ", " BROKER(
            "127.0.0.1:2/2", "configured", "INIT") ", " BROKER("GroupCoordinator", "logical",
                                                               "DOWN") "}}"));
    assert_false(stats_up("{\"brokers\":{}}"));
    assert_false(stats_up("{\"topics\":{}}"));
    assert_false(stats_up("{\"brokers\":{\"b\":{\"state\":1}}}")); /* not a string */
    assert_false(wt__kin_stats_up(NULL, 0));
    /* Taken before the outage was seen (at 2000 us): stale, whatever it says. */
    const char *at = "{ \"ts\":2000, \"brokers\":{ " BROKER("b/1", "configured", "UP") " } }";
    assert_false(stats_up_after(at, 2000));
    assert_false(stats_up_after(at, 2001));
    assert_true(stats_up_after(at, 1999));
    assert_true(stats_up_after(at, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_after_acks),  cmocka_unit_test(test_revoke_drops_in_flight),
        cmocka_unit_test(test_ring_full_and_wrap), cmocka_unit_test(test_acked_once_delivered),
        cmocka_unit_test(test_event_check),        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_stats_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
