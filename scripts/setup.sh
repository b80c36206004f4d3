#!/usr/bin/env bash
# Installs the Debian packages listed in deps/debian-packages.txt (or in the list file given as
# the first argument, e.g. deps/debian-packages-fuzz.txt for `make fuzz`) that are missing.
# As root: apt-get install them. Otherwise: print the exact command and fail.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
list="${1:-$here/deps/debian-packages.txt}"
missing=()
while read -r pkg; do
  pkg="${pkg%%#*}"; pkg="${pkg//[[:space:]]/}"
  [ -z "$pkg" ] && continue
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "installed" ] || missing+=("$pkg")
done < "$list"
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  echo "setup: installed ${#missing[@]} package(s)"
else
  echo "setup: not root; run this and retry:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
