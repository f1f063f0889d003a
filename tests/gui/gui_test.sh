#!/bin/bash
# Headless screenshots of the app under Xvfb, then checks of what they show.
# usage: gui_test.sh path/to/ringside tests-dir
set -euo pipefail
app=$1
dir=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 # Mesa leaks
export XDG_STATE_HOME=$out/state # never the user's history
shot() { # name, then app arguments
    local name=$1
    shift
    xvfb-run -a -s "-screen 0 1920x1080x24" "$app" --size 1920x1080 \
        --screenshot "$out/$name.png" --layout "$out/$name.json" "$@"
}
shot default --lesson none
# With no scenario the app opens on the first lesson (the README's run command).
shot lesson-default
printf 'vm arch=arm64 kernel=6.2\nenable DIRTY_LOG_RING args0=64K\n' >"$out/failed.scn"
shot failed --scenario "$out/failed.scn"
printf 'vm arch=x86_64 kernel=6.1\nenable DIRTY_LOG_RING args0=64K\nvcpu 0\n' >"$out/clean.scn"
shot clean --scenario "$out/clean.scn"
shot steps --scenario "$dir/scenarios/b-spec-example.scn" --steps 2
# A missing scenario file is reported, and the app still opens (on the default scenario).
shot missing --scenario "$out/no-such-file.scn" 2>"$out/missing.err"
grep -q "cannot open the scenario file" "$out/missing.err"
test -s "$out/missing.png"
# Commands typed in the console (here given with --command) run, show, and are remembered
# across restarts under $XDG_STATE_HOME, with a bad one answered inline.
shot typed --lesson none --command "vcpu 7" --command "enable BOGUS"
grep -qx "vcpu 7" "$out/state/ringside/history"
grep -qx "enable BOGUS" "$out/state/ringside/history"
shot order-bad --ordering publish,bad
shot order-acqrel --ordering publish,acqrel,bad
shot order-x86 --ordering publish,x86,bad
shot explore-plain --lesson none --ordering explore
shot explore-acqrel --lesson none --ordering explore,acqrel
# The migration view: a small guest migrated in every mode on the app's worker thread (the
# screenshot waits for it), then an arm64 guest whose vGIC ITS save at stop is lost in ring mode,
# next to the timeline's own migration ("this VM") that loses page 0x3f0 the same way.
shot migration --lesson none --view migration --compare memory=64M \
    --compare "workload=zipf rate=20000 hot=4096"
grep -v '^#\|^expect\|^show' "$dir/scenarios/d-migrate-ring-arm64-its.scn" >"$out/its.scn"
shot migration-lost --scenario "$out/its.scn" --view migration --compare memory=64M \
    --compare "workload=zipf rate=20000 hot=4096" --compare migrate=its-save=0x3f00
shot migration-presenter --scenario "$out/its.scn" --view migration --presenter \
    --compare memory=64M --compare "workload=zipf rate=20000 hot=4096" \
    --compare migrate=its-save=0x3f00
# A bad --compare setting is an error before any window opens.
if "$app" --compare memory=3X 2>"$out/compare.err"; then exit 1; fi
grep -q 'error: --compare: memory "3X" is not a guest size' "$out/compare.err"
# Every lesson of the course, at its third step (look at them: they are kept on failure).
for lesson in "$dir"/../lessons/[0-9]*.toml; do
    shot "lesson-$(basename "$lesson" .toml)" --lesson "$lesson" --lesson-step 3
done
# The presenter-notes window, fed a lesson and a step as the main app feeds it.
printf '%s\t3\n' "$dir/../lessons/04-dirty-ring.toml" | shot notes --presenter-notes
python3 "$dir/gui/check_shots.py" "$out"
