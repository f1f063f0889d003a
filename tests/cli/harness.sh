# Sourced by the CLI checks: a scratch folder ($tmp), a failure count ($fails), fail MESSAGE,
# and run EXPECTED-STATUS COMMAND... (its stdout in $tmp/out, stderr in $tmp/err, killed after
# $RUN_TIMEOUT seconds, 60 unless set).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
run() { # expected-status command...
    local want=$1
    shift
    timeout "${RUN_TIMEOUT:-60}" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" = "$want" ] || { fail "exit $got, wanted $want: $*"; head -5 "$tmp/out" "$tmp/err"; }
}
