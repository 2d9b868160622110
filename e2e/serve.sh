#!/usr/bin/env bash
# The server of the end-to-end run, wrapped so that what the run made is removed after the server
# has stopped (labs outlive `patchbay serve` by design): every pbw- namespace and the data folder.
set -u
cd "$(dirname "$0")"
cleanup() {
  for ns in $(ip netns list | awk '{print $1}' | grep "^${PATCHBAY_PREFIX}"); do ip netns del "$ns"; done
  rm -rf "$PATCHBAY_DATA"
}
cleanup
node ../apps/cli/dist/main.js serve --port "$1" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
wait "$pid"
wait "$pid" 2>/dev/null
cleanup
