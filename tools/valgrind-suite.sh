#!/usr/bin/env bash
# valgrind-suite.sh - runs every Check binary under BUILD/tests with the test process and the
# server it starts both under memcheck; fails on any memory error in either and on any definite
# leak in the server.
set -uo pipefail
build=$(cd "${1:?usage: valgrind-suite.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export VALGRIND_LOG_DIR="$build/valgrind-logs"
export VALGRIND_REAL_BIN="$build/vramfit"
export VRAMFIT_BIN="$here/valgrind-server.sh"
# No fork: the test code runs in the valgrind'ed process itself (Check forks per test otherwise).
export CK_FORK=no
# Startup under memcheck takes about a second; the harness waits up to this long for "listening".
export VRAMFIT_START_TIMEOUT_S=30
rm -rf "$VALGRIND_LOG_DIR"
mkdir -p "$VALGRIND_LOG_DIR"

failed=0
for t in "$build"/tests/check_*; do
    name=$(basename "$t")
    echo "== $name (memcheck)"
    # The test process is checked for memory errors; leaks are checked in the server (the
    # product), not in test code, which may skip its frees when an assertion ends a test.
    valgrind --quiet --error-exitcode=99 --leak-check=no --num-callers=30 \
        --log-file="$VALGRIND_LOG_DIR/$name.%p.log" "$t" 2>&1 | grep -E '^[0-9]+%: Checks|:[EF]:' 
    rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || { echo "   $name exited $rc"; failed=1; }
done

# Each log is empty when clean (--quiet); anything in one is an error or a definite leak.
bad=0
for log in "$VALGRIND_LOG_DIR"/*.log; do
    [ -s "$log" ] || continue
    echo "== memcheck report: $log"
    head -n 80 "$log"
    bad=1
done
nlogs=$(ls "$VALGRIND_LOG_DIR" | wc -l)
if [ "$failed" -ne 0 ] || [ "$bad" -ne 0 ]; then
    echo "valgrind: FAILED ($nlogs processes checked)"
    exit 1
fi
echo "valgrind: $nlogs processes (test binaries and servers), 0 errors, 0 definite leaks"
