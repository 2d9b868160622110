#!/usr/bin/env bash
# `pnpm lint`: the house rules a machine checks (docs/architecture.md, "House rules").
#   formatting  Biome (biome.jsonc); `pnpm format` rewrites the files
#   boundaries  dependency-cruiser (.dependency-cruiser.cjs): what each package may import, no cycles
#   types       ESLint with typescript-eslint's recommended type-aware rules (eslint.config.js)
# Needs `pnpm build` first: the type-aware rules and the boundaries read the packages' dist/.
# Every check runs even when an earlier one fails, so one run lists everything to fix.
# `bash infra/lint.sh FILE…` checks only those files (and, for the boundaries, what they import):
# infra/lint.test.mjs uses it to prove each rule fails on a planted violation.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
  format_paths=("$@") cruise_paths=("$@") eslint_paths=("$@")
else
  format_paths=(.) cruise_paths=(packages apps bench e2e) eslint_paths=(.)
fi
status=0
echo "lint: formatting (biome)"
pnpm exec biome format --no-errors-on-unmatched "${format_paths[@]}" || status=1
echo "lint: boundaries (dependency-cruiser)"
pnpm exec depcruise --config .dependency-cruiser.cjs "${cruise_paths[@]}" || status=1
echo "lint: type-aware rules (eslint)"
pnpm exec eslint "${eslint_paths[@]}" || status=1
exit $status
