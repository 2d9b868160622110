#!/usr/bin/env bash
# `npm test`: the whole suite — lint (house rules), typecheck, unit tests, and real-kernel integration tests (as root).
# It also proves the suite leaves the machine as it found it: the network namespaces present and
# the machine's own interfaces, addresses, routes and iptables rules must be identical afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1

snapshot() {
  ip netns list 2>/dev/null | awk '{print $1}' | sort
  echo '--'
  ip -br link; ip -br addr; ip route show table all
  iptables-save 2>/dev/null | grep -v '^#'
  # user-namespace pins and host uids of owned namespaces (nsowner.py)
  ls /run/patchbay/userns /run/patchbay/uids 2>/dev/null
  # sandbox cgroups (kernel sandbox-limits.ts), v2 or v1 layout
  ls -d /sys/fs/cgroup/patchbay/*/ /sys/fs/cgroup/*/patchbay/*/ 2>/dev/null
}
before=$(snapshot)

rm -rf ./*/*/test-results infra/test-results
pnpm run build --output-logs=errors-only || exit 1
# House rules (formatting, type-aware lint, boundaries; infra/lint.sh). After the build: the rules read
# the packages' dist/. A failure fails the suite; the tests still run, so one run reports both.
pnpm lint
lint_status=$?
# …and a planted violation of each rule makes it fail (infra/lint.test.mjs; it removes what it plants).
# The same run checks the deployment files: the Kubernetes manifests rendered by kustomize and
# validated against the API schemas (infra/k8s.test.mjs), and the systemd units, whose hardening
# runs a real lab (infra/systemd.test.mjs).
pnpm exec vitest run --root infra --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || lint_status=1
# --continue: a failing package must not abort the others mid-test (their cleanup would not run).
pnpm exec turbo run typecheck test --concurrency=2 --continue --output-logs=new-only
status=$?
[ "$lint_status" -eq 0 ] || { echo "FAIL: pnpm lint" >&2; status=1; }

# End-to-end: Playwright drives Debian's Chromium against a real server on the real kernel (e2e/).
rm -rf e2e/test-results
(cd e2e && pnpm exec playwright test) || status=1

after=$(snapshot)
if [ "$before" != "$after" ]; then
  echo "FAIL: the test suite left the machine different from before:" >&2
  diff <(echo "$before") <(echo "$after") >&2
  status=1
fi

# One closing line for the whole suite, summed from every package's vitest JSON report.
node infra/summarize-tests.mjs || status=1
exit $status
