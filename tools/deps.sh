#!/usr/bin/env bash
# deps.sh - installs the Debian packages given as arguments when they are missing (make deps).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: not root and no sudo; install: $*" >&2; exit 1; }
    SUDO="sudo"
fi

missing=()
for pkg in "$@"; do
    case "$pkg" in
    nodejs)
        # Node may come from Debian or from NodeSource; either is fine as long as node and npm run.
        if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then continue; fi
        command -v node >/dev/null 2>&1 || missing+=(nodejs)
        command -v npm >/dev/null 2>&1 || missing+=(npm)
        continue ;;
    esac
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all present"
    exit 0
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
