#!/usr/bin/env bash
# Installs the Debian 12 packages portsim needs, if any is missing.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail
pkgs=(cmake make gcc g++ clang-14 libblocksruntime-dev pkg-config libfyaml-dev libcmocka-dev valgrind libxml2-utils chromium)
if [ "${PORTSIM_BENCH_DEPS:-0}" = 1 ]; then
  pkgs+=(libnng-dev libzmq3-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "portsim: missing packages: ${missing[*]}" >&2
  echo "portsim: run: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 2
fi
echo "portsim: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
