#!/bin/bash
# ringside-sim explore end to end: ordering.md's required results (both races on arm64 with a
# plain harvester; none with acqrel or on x86; again with patch no-wmb or plain-reset), the
# output format, the generated litmus program, exit codes. $1 = ringside-sim.
set -u
sim=$1
RUN_TIMEOUT=120
# shellcheck source=harness.sh
source "$(dirname "$0")"/harness.sh
count() { sed -n "s/^$1: \([0-9]*\)$/\1/p" "$tmp/out"; }
race() { awk -v r="$1" '$1 == r { print $2 }' "$tmp/out"; }
positive() { [ -n "$2" ] && [ "$2" -gt 0 ] || fail "$1: wanted > 0, got '$2'"; }
zero() { [ "$2" = 0 ] || fail "$1: wanted 0, got '$2'"; }

# arm64, plain harvester: both protocol races, each with a witness as numbered steps.
run 0 "$sim" explore --arch arm64 --harvest plain --entries 2 --laps 2
grep -qx 'explore arm64, harvest plain, 2 entries x 2 laps' "$tmp/out" || fail "header line"
positive "arm64 plain executions" "$(count executions)"
positive "arm64 plain lost" "$(count 'lose a dirty page')"
positive "arm64 plain misattributed" "$(count 'misattribute a dirty page')"
positive "arm64 plain stale-read" "$(race stale-read)"
positive "arm64 plain early-reuse" "$(race early-reuse)"
grep -qx 'witness: stale-read' "$tmp/out" || fail "default witness is the first race found"
grep -Eq '^ +1\.  (vCPU|harvester|reset) +[a-z_]+ +[A-Z]' "$tmp/out" || fail "numbered step format"
grep -Eq 'reads [0-9]+ from step [0-9]+$' "$tmp/out" || fail "a read names the write it read"
run 0 "$sim" explore --arch arm64 --harvest plain --witness early-reuse
grep -qx 'witness: early-reuse' "$tmp/out" || fail "--witness early-reuse"
grep -q 'after the entry was reset and reused' "$tmp/out" || fail "early-reuse story"

# Safe: arm64 with acquire/release and the kernel's barriers; x86 either way.
for args in "--arch arm64 --harvest acqrel" "--arch x86_64 --harvest plain" \
    "--arch x86_64 --harvest acqrel"; do
    run 0 "$sim" explore $args --entries 2 --laps 2
    positive "$args executions" "$(count executions)"
    zero "$args bad" "$(count bad)"
    grep -q '^witness: none' "$tmp/out" || fail "$args: witness none"
done

# The kernel side breaks again without its barriers.
run 0 "$sim" explore --arch arm64 --harvest acqrel --patch no-wmb --entries 2 --laps 2
positive "no-wmb bad" "$(count bad)"
positive "no-wmb stale-read" "$(race stale-read)"
run 0 "$sim" explore --arch arm64 --harvest acqrel --patch plain-reset --entries 2 --laps 2
positive "plain-reset lost" "$(count 'lose a dirty page')"
positive "plain-reset reset-stale" "$(race reset-stale)"
positive "plain-reset reset-early" "$(race reset-early)"
run 0 "$sim" explore --arch arm64 --harvest plain --patch no-wmb,plain-reset --entries 1 --laps 1
grep -q '^explore arm64, harvest plain, patch no-wmb, patch plain-reset, 1 entry x 1 lap$' \
    "$tmp/out" || fail "two patches"

# The program is a litmus test ringside-sim litmus (and herd7) reads; one lap is MP.
run 0 "$sim" explore --arch arm64 --harvest plain --entries 1 --laps 1 --litmus
grep -q '^AArch64 DirtyRing+arm64+harvest-plain+1x1$' "$tmp/out" || fail "--litmus header"
cp "$tmp/out" "$tmp/ring.litmus"
run 0 "$sim" litmus "$tmp/ring.litmus"
grep -Eq '^Observation DirtyRing\+arm64\+harvest-plain\+1x1 Sometimes ' "$tmp/out" ||
    fail "one lap with a plain harvester: MP+dmb.st, allowed"
run 0 "$sim" explore --arch x86_64 --harvest plain --entries 1 --laps 1 --litmus
cp "$tmp/out" "$tmp/x86.litmus"
run 0 "$sim" litmus "$tmp/x86.litmus"
grep -Eq '^Observation DirtyRing\+x86_64\+harvest-plain\+1x1 Never ' "$tmp/out" ||
    fail "one lap on x86: MP, forbidden"

# Errors: exit 2.
run 0 "$sim" explore --help
grep -q 'from step J' "$tmp/out" || fail "--help documents the step format"
run 2 "$sim" explore --harvest plain
run 2 "$sim" explore --arch riscv --harvest plain
run 2 "$sim" explore --arch arm64 --harvest relaxed
run 2 "$sim" explore --arch arm64 --harvest plain --patch no-cap-check
run 2 "$sim" explore --arch arm64 --harvest plain --entries 0
run 2 "$sim" explore --arch arm64 --harvest plain --entries 5
run 2 "$sim" explore --arch arm64 --harvest plain --laps 4
run 2 "$sim" explore --arch arm64 --harvest plain --witness lost

[ $fails = 0 ] && echo "all explore CLI checks passed"
exit $((fails > 0))
