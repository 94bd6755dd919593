#!/usr/bin/env bash
# Installs the Debian packages inf-engine needs to build and test, when any is
# missing (apt-get; through sudo unless run as root). Does nothing otherwise.
set -euo pipefail

packages=(
  libglib2.0-dev libjson-c-dev libcurl4-openssl-dev libsqlite3-dev libsoup-3.0-dev
  meson ninja-build pkg-config gcc python3 valgrind binutils clang-format json-schema-test-suite
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
else
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "${missing[@]}"
