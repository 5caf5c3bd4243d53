#!/usr/bin/env bash
# layers.sh - fails when an #include points the wrong way between the layers of docs/ARCHITECTURE.md.
#
#   tools/layers.sh [ROOT]     (ROOT defaults to the checkout holding this script)
#
# Every quoted include must name its layer ("model/arch.h", "http/routes.h", "config/presets.h");
# the table below says which layers each folder may include. A header called *_priv.h belongs to
# its folder alone. core/ never sees microhttpd.h or curl.h (HTTP and transport live in server/);
# only server/fetcher links libcurl, only server/http speaks libmicrohttpd. Prints one line per
# offending include (file:line: what and why) and exits 1; exits 0 quietly when all is well.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2

# Folder -> the layers its files may include (besides their own folder). Lower layers first.
declare -A allowed=(
    [core/base]=""
    [core/model]="base"
    [core/azure]="base"
    [core/memory]="base model"
    [core/choice]="base model memory azure"
    [core/api]="base model memory azure choice"
    [config]="base model memory azure choice api"
    [server/runtime]="base model memory azure choice api config"
    [server/fetch]="base runtime"
    [server/fetcher]="base fetch"
    [server/refresh]="base model memory azure choice api config runtime fetch"
    [server/hub]="base model config runtime fetch"
    [server/http]="base model memory azure choice api config runtime hub"
    [server]="base model memory azure choice api config runtime fetch refresh hub http"
)
# System headers only some folders may include.
declare -A system_only=(
    [microhttpd.h]="server/http server"
    [curl/curl.h]="server/fetcher"
)

shopt -s nullglob
files=(core/*/*.[ch] config/*.[ch] server/*.[ch] server/*/*.[ch])
stray=(core/*.[ch])

# One awk pass over every file (a shell loop per line takes seconds on a busy machine).
rules=""
for k in "${!allowed[@]}"; do rules+="$k=${allowed[$k]};"; done
sysrules=""
for k in "${!system_only[@]}"; do sysrules+="$k=${system_only[$k]};"; done

bad=0
for f in "${stray[@]}"; do
    echo "$f: core/ holds layer folders only (see docs/ARCHITECTURE.md)" >&2
    bad=1
done
[ ${#files[@]} -gt 0 ] || exit $bad
awk -v rules="$rules" -v sysrules="$sysrules" '
function folder_of(path,   n, p) {
    n = split(path, p, "/")
    if (p[1] == "core" && n >= 3) return "core/" p[2]
    if (n == 2) return p[1]
    return p[1] "/" p[2]
}
function bad(msg) { print FILENAME ":" FNR ": " msg > "/dev/stderr"; failed = 1 }
BEGIN {
    n = split(rules, r, ";")
    for (i = 1; i <= n; i++) if (r[i] != "") { split(r[i], kv, "="); allow[kv[1]] = " " kv[2] " "; known[kv[1]] = 1 }
    n = split(sysrules, r, ";")
    for (i = 1; i <= n; i++) if (r[i] != "") { split(r[i], kv, "="); sysonly[kv[1]] = " " kv[2] " " }
}
FNR == 1 {
    folder = folder_of(FILENAME); own = folder; sub(/.*\//, "", own)
    if (!(folder in known)) bad("folder " folder " is no layer of docs/ARCHITECTURE.md (add it to tools/layers.sh)")
}
/^[ \t]*#[ \t]*include[ \t]*</ {
    h = $0; sub(/^[^<]*</, "", h); sub(/>.*/, "", h)
    if ((h in sysonly) && index(sysonly[h], " " folder " ") == 0)
        bad("<" h "> is only for" sysonly[h] "(core stays free of HTTP and transport)")
    next
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
    h = $0; sub(/^[^"]*"/, "", h); sub(/".*/, "", h)
    if (index(h, "/") == 0) { bad("\"" h "\" does not name its layer (write \"<layer>/" h "\")"); next }
    layer = h; sub(/\/.*/, "", layer)
    if (h ~ /_priv\.h$/ && layer != own) { bad("\"" h "\" is private to " layer "/"); next }
    if (layer == own) next
    if (index(allow[folder], " " layer " ") == 0)
        bad(folder " may not include \"" h "\" (" layer " is not below it; it may include:" \
            (allow[folder] ~ /^ *$/ ? " no other layer" : allow[folder] "only") ")")
}
END { exit failed }
' "${files[@]}" || bad=1
exit $bad
