#!/bin/bash
# Tests of the tester: exit codes, error format, bad input. $1 = ringside-sim, $2 = tests dir.
set -u
sim=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # name expected-status command...
    local name=$1 want=$2
    shift 2
    timeout 60 "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: exit $got, wanted $want"; cat "$tmp/out" "$tmp/err" | head -5
        fails=$((fails + 1))
    fi
}
check help 0 "$sim" --help
check no-subcommand 2 "$sim"
check unknown-flag 2 "$sim" run --bogus "$dir/scenarios"
check unknown-subcommand 2 "$sim" frobnicate
check missing-file 2 "$sim" run "$tmp/does-not-exist.scn"
grep -q "does-not-exist.scn: error: cannot open file" "$tmp/out" || { echo "FAIL missing-file message"; fails=$((fails+1)); }

printf 'vm arch=x86_64 kernel=6.1\ncheck DIRTY_LOG_RING\nexpect 4\n' >"$tmp/wrong.scn"
check wrong-expect 1 "$sim" run "$tmp/wrong.scn"
grep -qx "$tmp/wrong.scn:3: expected '4', got '1048576'" "$tmp/out" || { echo "FAIL wrong-expect text"; cat "$tmp/out"; fails=$((fails+1)); }

printf 'vm arch=x86_64 kernel=6.1\nenable DIRTY_LOG_RING bogus=1\n' >"$tmp/syntax.scn"
check syntax-error 2 "$sim" run "$tmp/syntax.scn"
grep -q "^$tmp/syntax.scn:2:23: error: " "$tmp/out" || { echo "FAIL syntax error format"; cat "$tmp/out"; fails=$((fails+1)); }

check json 2 "$sim" run --json "$tmp/syntax.scn"
grep -q '^{"file":".*syntax.scn","line":2,"col":23,"error":' "$tmp/out" || { echo "FAIL json error"; cat "$tmp/out"; fails=$((fails+1)); }
check json-expect 1 "$sim" run --json "$tmp/wrong.scn"
grep -q '"line":3,"expected":"4","got":"1048576"' "$tmp/out" || { echo "FAIL json expect"; cat "$tmp/out"; fails=$((fails+1)); }

# The capability matrix.
check caps 0 "$sim" caps --arch arm64 --kernel 6.2
grep -q "DIRTY_LOG_RING_ACQ_REL      check 1048576  enable(args0=65536) = 0" "$tmp/out" || { echo "FAIL caps text"; fails=$((fails+1)); }
check caps-json 0 "$sim" caps --arch x86_64 --kernel 6.1 --pml off --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["fresh_vm"][0]["check"] == 1048576' "$tmp/out" || { echo "FAIL caps json"; fails=$((fails+1)); }
check caps-bad-arch 2 "$sim" caps --arch sparc --kernel 6.2
check caps-missing 2 "$sim" caps --arch arm64
check trace 0 "$sim" run --trace "$dir/scenarios/b-spec-example.scn"
grep -q "#11 push: vCPU 0's ring: entry 0 ← slot 0 offset 0, flags DIRTY; used 1 — kvm_dirty_ring_push, virt/kvm/dirty_ring.c" "$tmp/out" || { echo "FAIL trace text"; fails=$((fails+1)); }
check trace-json 0 "$sim" run --trace --json "$dir/scenarios/b-spec-example.scn"
grep -q '"kind":"push","function":"kvm_dirty_ring_push","source":"virt/kvm/dirty_ring.c"' "$tmp/out" || { echo "FAIL trace json"; fails=$((fails+1)); }

# The README's example scenario holds.
awk '/^## What a scenario looks like/{f=1} f&&/^```$/{if(inb){exit}else{inb=1;next}} inb{print}' \
    "$dir/../README.md" >"$tmp/readme.scn"
check readme-example 0 "$sim" run "$tmp/readme.scn"

# Bad input must be an error (exit 2), never a crash or a hang.
for f in "$dir"/bad-input/*.scn; do
    [ -e "$f" ] || continue
    check "bad-input $(basename "$f")" 2 "$sim" run "$f"
    grep -Eq "^$f:[0-9]+:[0-9]+: error: " "$tmp/out" || { echo "FAIL $(basename "$f"): no FILE:LINE:COL: error:"; tail -2 "$tmp/out"; fails=$((fails+1)); }
done
# Generated bad input: binary garbage and a megabyte-long line.
head -c 100000 /dev/urandom >"$tmp/garbage.scn"
check garbage 2 "$sim" run "$tmp/garbage.scn"
{ echo "vm arch=x86_64 kernel=6.1"; head -c 2000000 /dev/zero | tr '\0' 'a'; echo; } >"$tmp/long.scn"
check long-line 2 "$sim" run "$tmp/long.scn"
grep -q "long.scn:2:65537: error: line longer" "$tmp/out" || { echo "FAIL long line message"; fails=$((fails+1)); }

[ $fails = 0 ] && echo "all CLI checks passed"
exit $((fails > 0))
