#!/usr/bin/env bash
# funclen.sh - fails when a function in core/, server/ or config/ is longer than 100 lines.
#
#   tools/funclen.sh [ROOT]     (ROOT defaults to the checkout holding this script)
#
# The developer guide caps functions at 100 lines so each one reads on a screen; long ones are split
# along the seams their comments already mark. A function is what clang-format leaves: a line that is
# exactly "{" at column 0 opens a body, the next line starting with "}" at column 0 closes it; its
# length is the lines in between. Prints file:line:name:length for each function over the cap and
# exits 1; exits 0 quietly when all is well. Run by `make lint`.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

max=100

# Known exceptions: "file:name", one a line. Only functions in files another change owns at the
# time the check was added belong here, so lint stays green while their owners split them. The list
# may only shrink: an entry whose function is back under the cap (or gone) fails the check too, so it
# is removed when fixed. Empty today: every function in these folders is within the cap.
exceptions=(
)

shopt -s nullglob
files=(core/*/*.[ch] config/*.[ch] server/*.[ch] server/*/*.[ch])
[ ${#files[@]} -gt 0 ] || exit 0

awk -v max="$max" -v exc="$(printf '%s\n' "${exceptions[@]}")" '
BEGIN {
    n = split(exc, e, "\n")
    for (i = 1; i <= n; i++) if (e[i] != "") { known[e[i]] = 1 }
}
FNR == 1 { start = 0; sig = "" }
/^\{$/ {
    start = FNR
    # The name is the identifier before the first "(" of the signature above the brace.
    name = sig; sub(/\(.*/, "", name); sub(/.*[^A-Za-z0-9_]/, "", name)
    next
}
/^\}/ {
    if (start) {
        len = FNR - start - 1; key = FILENAME ":" name
        if (key in known) { seen[key] = 1; if (len <= max) { print key ": listed as an exception but " len " lines now: remove it from tools/funclen.sh" > "/dev/stderr"; failed = 1 } }
        else if (len > max) { print FILENAME ":" start ":" name ":" len ": over the cap of " max " lines; split it along its seams" > "/dev/stderr"; failed = 1 }
        start = 0
    }
    sig = ""
    next
}
!start {
    # Remember the signature: it starts at column 0 and may run over several lines.
    if ($0 ~ /^[A-Za-z_]/) sig = $0
    else if ($0 ~ /^[ \t]+[^ \t]/ && sig != "") sig = sig " " $0
    else if ($0 ~ /^[ \t]*$/ || $0 ~ /^[#\/]/) sig = ""
}
END {
    for (k in known) if (!(k in seen)) { print k ": listed as an exception but no such function: remove it from tools/funclen.sh" > "/dev/stderr"; failed = 1 }
    exit failed
}
' "${files[@]}"
