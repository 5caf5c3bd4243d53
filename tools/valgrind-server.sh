#!/usr/bin/env bash
# valgrind-server.sh - runs the server binary under memcheck; used as VRAMFIT_BIN by make valgrind.
# Exits 99 on any memcheck error or definite leak, so tests that check the exit status fail too;
# the per-process logs are checked again by valgrind-suite.sh.
exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --track-origins=yes --num-callers=30 \
    --log-file="${VALGRIND_LOG_DIR:?}/server.%p.log" "${VALGRIND_REAL_BIN:?}" "$@"
