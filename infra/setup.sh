#!/usr/bin/env bash
# Installs everything Patchbay needs on a fresh Debian 12 machine (run as root): the system
# packages the kernel driver calls, pnpm, the node packages, and a build. Safe to run again:
# it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
# iproute2: ip/bridge (JSON output, batch mode) · tcpdump, iputils-ping: captures and pings ·
# iptables: NAT (ip6tables too: IPv6 Services, policies and rules), and ebtables (its ebtables-nft alternative: bridge port anti-spoofing) · util-linux: nsenter · procps: sysctl · bubblewrap: student shells (sandbox) ·
# python3, g++, make: node-gyp for native node modules · ca-certificates: the npm registry over TLS ·
# chromium, fonts-dejavu-core: the browser the end-to-end tests (Playwright) drive ·
# netcat-openbsd, traceroute, iputils-tracepath, iputils-arping, curl, nftables: the learner's tools
# inside a node's sandboxed shell (nftables and tcpdump also for `why`'s probe: nft monitor trace,
# captures; util-linux's unshare for its private tracefs mount) · libseccomp2: the sandbox's syscall filter, compiled at first use
# by packages/kernel/helpers/seccomp-filter.py (util-linux's prlimit sets the sandbox's rlimits) ·
# systemd: systemd-analyze checks the units of infra/systemd (infra/systemd.test.mjs; util-linux's
# setpriv runs a lab under their capability set) · dnsmasq-base: a lab's DNS servers (dnsServer:, dns: docker) ·
# dnsutils: dig, the learner's DNS tool (and the DNS exercises' checks).
# openssl: the CA and certificates of mTLS between coordinators and agents (docs/deploy.md; the
# mTLS tests make a throw-away CA with it).
# postgresql, redis-server: the server's tests start a throw-away cluster and Redis of their own on
# free loopback ports (apps/server/test/database-servers.ts; PATCHBAY_DATABASE and PATCHBAY_REDIS in
# production point at servers of your own). The packages' own services are neither used nor needed.
# The Kubernetes manifests' test (infra/k8s.test.mjs) also needs kustomize v4+ — a `kustomize`
# binary or kubectl 1.21+ (`kubectl kustomize`); Debian 12's kubernetes-client (1.20) is too old, so
# it is not installed here (the development machines have kubectl 1.32).
APT_PACKAGES=(iproute2 tcpdump iptables iputils-ping util-linux procps bubblewrap python3 g++ make ca-certificates chromium fonts-dejavu-core
  netcat-openbsd traceroute iputils-tracepath iputils-arping curl nftables libseccomp2 systemd dnsmasq-base dnsutils containernetworking-plugins postgresql redis-server openssl)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "patchbay setup: run as root (it installs system packages, and labs need CAP_NET_ADMIN)" >&2
  exit 1
fi

# Node.js is the one thing set-up does not install: Debian 12's own nodejs is 18, too old for Vite 8,
# vitest 4 and better-sqlite3; the versions that work are the root package.json's "engines".
node_ok() {
  node -e '
    const [maj, min] = process.versions.node.split(".").map(Number);
    process.exit((maj === 20 && min >= 19) || (maj === 22 && min >= 12) || maj > 22 ? 0 : 1);' 2>/dev/null
}
if ! command -v node >/dev/null 2>&1 || ! node_ok; then
  found=$(node --version 2>/dev/null || echo "no node on the PATH")
  cat >&2 <<MSG
patchbay setup: Patchbay needs Node.js 20.19 or later (20.19+ or 22.12+); found: $found.
  Debian 12's own "nodejs" package is 18. Install Node 20 or 22 (the official tarballs, or
  NodeSource's Debian packages), make sure "node --version" prints it, and run this again.
MSG
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
pnpm install --frozen-lockfile --config.confirm-modules-purge=false --reporter=append-only | tail -n 3

say "building"
pnpm run build --output-logs=errors-only

# The CLI package's bin (apps/cli/package.json), linked onto the PATH as `patchbay`: a two-line
# wrapper rather than a symlink, so it works whatever mode a rebuild gives dist/main.js, and costs
# one `sh` exec where `pnpm patchbay` costs ~0.5 s of pnpm start-up.
BIN_DIR=${PATCHBAY_BIN_DIR:-/usr/local/bin}
cli_main="$(pwd)/apps/cli/$(node -p "require('./apps/cli/package.json').bin.patchbay")"
mkdir -p "$BIN_DIR"
printf '#!/bin/sh\n# Patchbay command line, linked by %s/infra/setup.sh\nexec node %s "$@"\n' "$(pwd)" "$cli_main" > "$BIN_DIR/patchbay.tmp"
chmod 755 "$BIN_DIR/patchbay.tmp"
mv -f "$BIN_DIR/patchbay.tmp" "$BIN_DIR/patchbay"
say "linked $BIN_DIR/patchbay -> $cli_main"
