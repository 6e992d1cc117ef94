#!/usr/bin/env bash
# test_kafka_input_nospool.sh - test_kafka_input.sh with stateless shippers
# ("spool": {"enabled": false}, docs/fleet.md): the same group, SIGKILL,
# restart and new partitions; nothing lost, duplicates within the
# uncommitted part, no spool directory.
export KIN_SPOOL=false
. "$(dirname "$0")/test_kafka_input.sh"
