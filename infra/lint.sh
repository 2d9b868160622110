#!/usr/bin/env bash
# `pnpm lint`: the house rules a machine checks (docs/architecture.md, "House rules").
#   formatting  Biome (biome.jsonc); `pnpm format` rewrites the files
#   types       ESLint with typescript-eslint's recommended type-aware rules (eslint.config.js)
#   boundaries  dependency-cruiser (.dependency-cruiser.cjs): what each package may import, no cycles
# Needs `pnpm build` first: the type-aware rules and the boundaries read the packages' dist/.
# Every check runs even when an earlier one fails, so one run lists everything to fix.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
echo "lint: formatting (biome)"
pnpm exec biome format . || status=1
echo "lint: boundaries (dependency-cruiser)"
pnpm exec depcruise packages apps bench e2e --config .dependency-cruiser.cjs || status=1
echo "lint: type-aware rules (eslint)"
pnpm exec eslint . || status=1
exit $status
