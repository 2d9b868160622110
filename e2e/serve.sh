#!/usr/bin/env bash
# The server of the end-to-end run, wrapped so that what the run made is removed after the server
# has stopped (labs outlive `patchbay serve` by design): every pbw- namespace (with the user
# namespace pins of owned ones, and their host uids), the labs' sandbox cgroups and the data folder.
set -u
cd "$(dirname "$0")"
cleanup() {
  local names
  names=$( (ls /run/netns; ls /run/patchbay/userns) 2>/dev/null | grep "^${PATCHBAY_PREFIX}" | sort -u)
  [ -z "$names" ] || python3 ../packages/kernel/helpers/nsowner.py del $names >/dev/null
  # the labs' sandbox cgroups (empty once the server has ended its terminals): v2 or v1 layout
  for d in /sys/fs/cgroup/patchbay/lab."$PATCHBAY_PREFIX".* /sys/fs/cgroup/*/patchbay/lab."$PATCHBAY_PREFIX".*; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  rm -rf "$PATCHBAY_DATA"
}
cleanup
node ../apps/cli/dist/main.js serve --port "$1" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
wait "$pid"
wait "$pid" 2>/dev/null
cleanup
