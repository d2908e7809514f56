#!/usr/bin/env bash
# Installs the Debian packages Twill DB builds and tests with. Idempotent: a package
# already present is not touched, and nothing runs when everything is there.
set -euo pipefail

PKGS=(build-essential cmake pkg-config clang-format
      libpg-query-dev libprotobuf-c-dev libedit-dev libsqlite3-dev libssl-dev
      libpq-dev postgresql-client-15 postgresql-15 python3-psycopg2 nodejs
      libcurl4-openssl-dev libexpat1-dev libzstd-dev
      radosgw ceph-mon ceph-osd)

if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian: nothing to check against. The CMake configure step names what it
    # cannot find.
    echo "twill: not a Debian system; make sure these (or their equivalents) are installed:" >&2
    echo "    ${PKGS[*]}" >&2
    exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive "${cmd[@]}"
        exit 0
    fi
    echo "twill: missing Debian packages: ${missing[*]}" >&2
    echo "twill: install them as root with:" >&2
    echo "    apt-get update && ${cmd[*]}" >&2
    exit 1
fi
echo "twill: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
"${cmd[@]}"
