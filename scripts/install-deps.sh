#!/usr/bin/env bash
# Installs what building and testing hako needs on Debian 12, as root. Idempotent: only
# missing packages are installed, and the package lists are refreshed only when needed.
set -euo pipefail

# docker.io: the real Docker engine, started by tests only as a reference peer on its own
# socket and roots (save/load interop tests, bench/run.sh).
packages=(gcc pkg-config make ca-certificates curl procps util-linux iproute2 python3 nftables docker.io)
[ "${1:-}" = "--bench" ] && packages+=(hyperfine apache2-utils)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] || curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
