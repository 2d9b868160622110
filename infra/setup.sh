#!/usr/bin/env bash
# Installs everything Patchbay needs on a fresh Debian 12 machine (run as root): the system
# packages the kernel driver calls, pnpm, the node packages, and a build. Safe to run again:
# it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
# iproute2: ip/bridge (JSON output, batch mode) · tcpdump, iputils-ping: captures and pings ·
# iptables: NAT · util-linux: nsenter · procps: sysctl · bubblewrap: student shells (sandbox) ·
# python3, g++, make: node-gyp for native node modules · ca-certificates: the npm registry over TLS ·
# chromium, fonts-dejavu-core: the browser the end-to-end tests (Playwright) drive ·
# netcat-openbsd, traceroute, iputils-tracepath, iputils-arping, curl, nftables: the learner's tools
# inside a node's sandboxed shell.
APT_PACKAGES=(iproute2 tcpdump iptables iputils-ping util-linux procps bubblewrap python3 g++ make ca-certificates chromium fonts-dejavu-core
  netcat-openbsd traceroute iputils-tracepath iputils-arping curl nftables)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "patchbay setup: run as root (it installs system packages, and labs need CAP_NET_ADMIN)" >&2
  exit 1
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "system packages present"
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

# node-gyp must find Node's headers locally (no download from nodejs.org on these machines).
export npm_config_nodedir="${npm_config_nodedir:-$(node -p "require('path').resolve(process.execPath, '../..')")}"
export TURBO_TELEMETRY_DISABLED=1

say "installing node packages"
pnpm install --frozen-lockfile --reporter=append-only | tail -n 3

say "building"
pnpm run build --output-logs=errors-only
