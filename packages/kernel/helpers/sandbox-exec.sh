#!/bin/sh
# sandbox-exec.sh NS BWRAP-ARGS...   (run as root; built by sandboxArgv() in src/sandbox.ts)
#
# The fixed, root-run first step of every student sandbox (pty or not). It exists because bwrap
# needs the node's user namespace as an open fd (--userns 3) and node-pty cannot hand extra fds to
# its child: so this script opens /run/patchbay/userns/NS as fd 3 itself, and binds the two halves of
# the node's identity together: the network namespace entered by nsenter and the user namespace
# given to bwrap always come from the SAME validated name. The sandbox policy (mounts, caps, ...)
# is the rest of the argv, built in one place in TypeScript.
#
# `env -i` is not cosmetic: bwrap's pid-1 reaper inside the sandbox runs as the student's uid and
# keeps bwrap's environment, readable as /proc/1/environ (research §1.4.4). Nothing of the backend's
# environment may reach it. No input is ever interpolated into a shell string here.
set -eu
case "${1-}" in
  '' | [!a-z]* | *[!a-z0-9._-]*) echo "sandbox-exec: invalid namespace name" >&2; exit 2 ;;
esac
if [ "${#1}" -gt 81 ]; then echo "sandbox-exec: invalid namespace name" >&2; exit 2; fi
NS=$1
shift
exec 3<"/run/patchbay/userns/$NS"
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm-256color \
  nsenter "--net=/run/netns/$NS" -- bwrap --userns 3 "$@"
