#!/usr/bin/env bash
# Installs the Debian 12 packages m2msec builds, tests and runs with (DESIGN.md section 2),
# only those that are missing. Safe to run again.
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config git
  libssl-dev openssl
  libevent-dev
  libcurl4-openssl-dev curl
  libcoap3-dev libcoap3-bin
  libjansson-dev
  libutf8proc-dev
  libsqlite3-dev sqlite3
  libpq-dev
  libinih-dev
  libcmocka-dev
  python3
  iproute2
)

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages (${missing[*]}); run as root or install them" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
