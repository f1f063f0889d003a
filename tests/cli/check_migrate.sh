#!/bin/bash
# ringside-sim migrate end to end: every mode runs on the default guest, the README's three
# broken protocols each lose their page, a mode the kernel cannot do is explained, the CSV and
# JSON files hold every round, --scenario prints runnable setups, bad arguments exit 2.
# $1 = ringside-sim.
set -u
sim=$1
RUN_TIMEOUT=120
# shellcheck source=harness.sh
source "$(dirname "$0")"/harness.sh

# The default guest (arm64 6.6) in every mode: four summary lines, nothing lost.
run 0 "$sim" migrate --csv "$tmp/c.csv" --json "$tmp/r.json"
for m in bitmap clear ring 'ring\+bitmap'; do
    grep -Eq "^$m: (converged|failed) mode=$m rounds=[0-9]+ sent=[0-9]+ downtime=[0-9.]+ms lost=0, " \
        "$tmp/out" || fail "default guest: no summary line for $m"
done
grep -q '^  round ' "$tmp/out" || fail "a costs table per mode"
grep -q 'LOST' "$tmp/out" && fail "default guest: nothing is lost"
rounds=$(grep -c '^  [0-9s]' "$tmp/out")
[ "$(($(wc -l <"$tmp/c.csv") - 1))" = "$rounds" ] || fail "CSV: one line a round ($rounds)"
head -1 "$tmp/c.csv" | grep -q '^mode,round,stop,start_ns,end_ns,dirty,sent,guest_writes,' || fail "CSV header"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r)==4 and all(x["lost"]==[] for x in r)' \
    "$tmp/r.json" || fail "JSON: four runs, none lost"

# The README's broken protocols: each loses exactly the page it names.
run 0 "$sim" migrate --mode ring --migrate its-save=0x3f000
grep -q '^  LOST 0x3f000 slot=0 offset=0x3f000 by=KVM (vGIC ITS save)' "$tmp/out" || fail "ITS save lost"
run 0 "$sim" migrate --mode ring+bitmap --migrate its-save=0x3f000
grep -q 'LOST' "$tmp/out" && fail "the backup bitmap keeps the ITS page"
run 0 "$sim" migrate --arch x86_64 --kernel 6.1 --mode bitmap --migrate kernel-write=0x30000@9000
grep -q '^  LOST 0x30000 .*by=KVM (no vCPU) at=9000.0ms' "$tmp/out" || fail "6.1 no-vCPU write lost"
run 0 "$sim" migrate --arch x86_64 --kernel 6.2 --mode bitmap --migrate kernel-write=0x30000@9000
grep -q 'LOST' "$tmp/out" && fail "6.2 sends the no-vCPU write to the bitmap"
run 0 "$sim" migrate --mode ring --ring 256 --workload "seq rate=2000" --migrate harvest=plain
[ "$(grep -c '^  LOST .*stale-read' "$tmp/out")" = 1 ] || fail "plain harvest on arm64 loses one page"
run 0 "$sim" migrate --arch x86_64 --mode ring --ring 1024 --workload "seq rate=2000" --migrate harvest=plain
grep -q 'LOST' "$tmp/out" && fail "plain harvest on x86 loses nothing"

# A mode this kernel cannot do: the failing call and its errno.
run 0 "$sim" migrate --arch x86_64 --mode ring+bitmap
grep -q "^ring+bitmap: unavailable: 'enable DIRTY_LOG_RING_WITH_BITMAP' returned -EINVAL" "$tmp/out" ||
    fail "WITH_BITMAP on x86 is explained"

# --scenario prints each mode's setup, which ringside-sim run accepts as it is.
run 0 "$sim" migrate --mode clear --memory 64M --scenario
grep -qx 'enable MANUAL_DIRTY_LOG_PROTECT2 args0=3' "$tmp/out" || fail "clear mode setup"
grep -v '^#' "$tmp/out" >"$tmp/setup.scn"
run 0 "$sim" run "$tmp/setup.scn"
grep -q '=> converged mode=clear' "$tmp/out" || fail "the printed setup migrates"

# Bad arguments: exit 2 with the reason.
run 2 "$sim" migrate --mode sideways
grep -q "unknown --mode 'sideways'" "$tmp/out" || fail "bad --mode"
run 2 "$sim" migrate --memory lots
grep -q "\-\-memory 'lots'" "$tmp/out" || fail "bad --memory"
run 2 "$sim" migrate --workload "zipf s=abc"
grep -q "s must be a decimal" "$tmp/out" || fail "bad --workload"
run 2 "$sim" migrate --migrate "downtime=soon"
grep -q "malformed number 'soon'" "$tmp/out" || fail "bad --migrate"
run 2 "$sim" migrate --csv /nonexistent/dir/c.csv --mode bitmap --memory 64M
grep -q "cannot write '/nonexistent/dir/c.csv'" "$tmp/out" || fail "unwritable CSV"

[ "$fails" = 0 ] && echo "migrate CLI: all checks passed"
exit $((fails > 0))
