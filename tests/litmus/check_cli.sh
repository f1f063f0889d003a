#!/bin/bash
# ringside-sim litmus end to end: herd7's output, exit codes, bad input. $1 = ringside-sim,
# $2 = tests/litmus.
set -u
sim=$1
dir=$2
# shellcheck source=../cli/harness.sh
source "$(dirname "$0")"/../cli/harness.sh

# herd7's own output for the five examples: the block byte for byte (less its Hash line, and
# its Time line, already removed from the files), and by default the Observation line alone.
for f in "$dir"/herd7/*.litmus; do
    want=${f%.litmus}.herd7.out
    run 0 "$sim" litmus --herd "$f"
    grep -v '^Hash=' "$want" | cmp -s - "$tmp/out" ||
        { fail "--herd $(basename "$f")"; grep -v '^Hash=' "$want" | diff - "$tmp/out"; }
    run 0 "$sim" litmus "$f"
    grep '^Observation ' "$want" | cmp -s - "$tmp/out" || fail "verdict line of $(basename "$f")"
done

# Several files: one line each, in order; the model chosen by flag.
run 0 "$sim" litmus "$dir/herd7/MP.litmus" "$dir/herd7/X86-SB.litmus"
printf 'Observation MP Sometimes 1 3\nObservation X86-SB Sometimes 1 3\n' | cmp -s - "$tmp/out" ||
    fail "two files"
run 0 "$sim" litmus --model tso "$dir/herd7/MP.litmus"
grep -qx 'Observation MP Never 0 3' "$tmp/out" || fail "--model tso (ordering.md: MP forbidden on TSO)"
run 0 "$sim" litmus --model armv8 "$dir/herd7/X86-SB.litmus"
grep -qx 'Observation X86-SB Sometimes 1 3' "$tmp/out" || fail "--model armv8 (SB allowed on ARMv8)"
run 2 "$sim" litmus --model power "$dir/herd7/MP.litmus"
run 2 "$sim" litmus
run 0 "$sim" litmus --help

# Errors: exit 2, FILE:LINE: error:, and the other files are still checked.
run 2 "$sim" litmus "$tmp/does-not-exist.litmus"
grep -qx "$tmp/does-not-exist.litmus: error: cannot open file" "$tmp/out" || fail "missing file message"
for f in "$dir"/bad/*.litmus; do
    run 2 "$sim" litmus "$f"
    grep -Eq "^$f:[0-9]+: error: " "$tmp/out" || { fail "$(basename "$f"): no FILE:LINE: error:"; cat "$tmp/out"; }
done
run 2 "$sim" litmus "$dir/bad/unsupported-ldxr.litmus" "$dir/herd7/MP.litmus"
grep -qx 'Observation MP Sometimes 1 3' "$tmp/out" || fail "a bad file stops the others"
head -c 100000 /dev/urandom >"$tmp/garbage.litmus"
run 2 "$sim" litmus "$tmp/garbage.litmus"
{ echo "AArch64 Long"; head -c 2000000 /dev/zero | tr '\0' 'a'; echo; } >"$tmp/long.litmus"
run 2 "$sim" litmus "$tmp/long.litmus"

[ $fails = 0 ] && echo "all litmus CLI checks passed"
exit $((fails > 0))
