#!/bin/bash
# Every catalogue test against the verdict published for it. $1 = ringside-sim, $2 = tests/litmus.
# verdicts.txt has one line a test, `FILE VERDICT SOURCE...`: FILE in catalogue/, VERDICT
# Allowed (herd7 says Sometimes or Always: some allowed execution satisfies the condition's
# proposition) or Forbidden (herd7 says Never), SOURCE where the verdict was published. Blank
# lines and lines starting with # are comments. Every catalogue/*.litmus must be listed.
# Exit 77 (skipped) while there is no catalogue.
set -u
sim=$1
dir=$2
cat_dir=$dir/catalogue
list=$dir/verdicts.txt
if [ ! -d "$cat_dir" ] || [ ! -f "$list" ]; then
    echo "no catalogue yet ($cat_dir and $list): skipped"
    exit 77
fi
pass=0
fail=0
declare -A listed
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line=${line%$'\r'}
    read -r file verdict source <<<"$line"
    case "${file:-}" in '' | '#'*) continue ;; esac
    if [ -n "${listed[$file]:-}" ]; then bad "verdicts.txt:$lineno: $file listed twice"; continue; fi
    listed[$file]=1
    case "${verdict:-}" in
    Allowed | Forbidden) ;;
    *) bad "verdicts.txt:$lineno: $file: verdict '${verdict:-}' is neither Allowed nor Forbidden"; continue ;;
    esac
    [ -n "${source:-}" ] || { bad "verdicts.txt:$lineno: $file: no source for its verdict"; continue; }
    [ -f "$cat_dir/$file" ] || { bad "verdicts.txt:$lineno: $file: no such file in catalogue/"; continue; }
    out=$(timeout 60 "$sim" litmus "$cat_dir/$file" 2>&1)
    status=$?
    if [ $status != 0 ]; then bad "$file: exit $status: $out"; continue; fi
    case "$(awk '$1 == "Observation" {print $3}' <<<"$out")" in
    Sometimes | Always) got=Allowed ;;
    Never) got=Forbidden ;;
    *) bad "$file: no verdict line in: $out"; continue ;;
    esac
    if [ "$got" = "$verdict" ]; then
        pass=$((pass + 1))
    else
        bad "$file: $got, but $source says $verdict ($out)"
    fi
done <"$list"
for f in "$cat_dir"/*.litmus; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    [ -n "${listed[$name]:-}" ] || bad "$name: not in verdicts.txt"
done
echo "$pass passed, $fail failed"
exit $((fail > 0))
