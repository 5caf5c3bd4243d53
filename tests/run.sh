#!/usr/bin/env bash
# run.sh - runs every Check binary given as argument and prints one closing tally line.
set -uo pipefail

passed=0
failed=0
bad=()
for t in "$@"; do
    name=$(basename "$t")
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed "s/^/[$name] /"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: [0-9]+' | tail -n 1)
    if [ -n "$line" ]; then
        n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
        f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
        e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
        passed=$((passed + n - f - e))
        failed=$((failed + f + e))
    else
        # A binary that died before Check could report counts as one failure.
        failed=$((failed + 1))
    fi
    [ "$rc" -eq 0 ] || bad+=("$name")
done

echo "tests: $passed passed, $failed failed"
if [ ${#bad[@]} -gt 0 ] || [ "$failed" -gt 0 ]; then
    echo "failing: ${bad[*]}"
    exit 1
fi
