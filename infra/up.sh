#!/usr/bin/env bash
# `npm run up`: install everything, build, and start Patchbay. The web editor and live backend
# (`patchbay serve`) arrive with the server; until then "start" means: detect what this kernel
# offers and show the labs present, ready for `pnpm patchbay apply FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/setup.sh
printf '\033[1m==> kernel features for labs\033[0m\n'
node apps/cli/dist/main.js capabilities
printf '\033[1m==> labs\033[0m\n'
node apps/cli/dist/main.js list
cat <<'MSG'

Patchbay is installed. Try:
  pnpm patchbay apply ../shared/spec/examples/two-containers.yaml   # or any lab file
  pnpm patchbay exec two-containers ns-web -- ping -c 3 192.168.100.20
  pnpm patchbay destroy two-containers
MSG
