#!/usr/bin/env bash
# `npm run up`: install everything, build, show what this kernel offers and the labs present, and
# start Patchbay (`patchbay serve`, in the foreground; Ctrl-C stops the server, labs keep running).
# PATCHBAY_PORT / PATCHBAY_HOST change where it listens (default 127.0.0.1:7070).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/setup.sh
printf '\033[1m==> kernel features for labs\033[0m\n'
node apps/cli/dist/main.js capabilities
printf '\033[1m==> labs\033[0m\n'
node apps/cli/dist/main.js list
cat <<'MSG'

Patchbay is installed. From another terminal, try:
  patchbay apply examples/two-containers.yaml   # or any lab file
  patchbay exec two-containers ns-web -- ping -c 3 192.168.100.20
  patchbay destroy two-containers
MSG
printf '\033[1m==> starting Patchbay (patchbay serve)\033[0m\n'
exec node apps/cli/dist/main.js serve --port "${PATCHBAY_PORT:-7070}" --host "${PATCHBAY_HOST:-127.0.0.1}"
