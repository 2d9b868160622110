#!/bin/sh
# sandbox-exec.sh [--init-userns] NS BWRAP-ARGS...   (run as root; built by sandboxArgv() in src/sandbox.ts)
#
# The fixed, root-run first step of every student sandbox (pty or not). It exists because bwrap
# needs the node's user namespace as an open fd (--userns 3) and node-pty cannot hand extra fds to
# its child: so this script opens /run/patchbay/userns/NS as fd 3 itself, and binds the two halves of
# the node's identity together: the network namespace entered by nsenter and the user namespace
# given to bwrap always come from the SAME validated name. The sandbox policy (mounts, caps, ...)
# is the rest of the argv, built in one place in TypeScript.
#
# --init-userns (scenario steps in a host's namespace only, never a student shell): NS is a normal
# namespace owned by the init user namespace (a host node's, holding the lab's bridges and tunnels),
# where network privileges only count when held in the init userns; bwrap runs without --userns and
# the policy drops to an unprivileged uid itself (sandbox.ts). Refused for a namespace that has its
# own userns: its steps run there, with privileges that reach nothing else.
#
# `env -i` is not cosmetic: bwrap's pid-1 reaper inside the sandbox runs as the student's uid and
# keeps bwrap's environment, readable as /proc/1/environ (research §1.4.4). Nothing of the backend's
# environment may reach it. No input is ever interpolated into a shell string here.
set -eu
MODE=own
if [ "${1-}" = --init-userns ]; then
  MODE=init
  shift
fi
case "${1-}" in
  '' | [!a-z]* | *[!a-z0-9._-]*) echo "sandbox-exec: invalid namespace name" >&2; exit 2 ;;
esac
if [ "${#1}" -gt 81 ]; then echo "sandbox-exec: invalid namespace name" >&2; exit 2; fi
NS=$1
shift
if [ "$MODE" = init ]; then
  if [ -e "/run/patchbay/userns/$NS" ]; then
    echo "sandbox-exec: $NS has its own user namespace: not an --init-userns sandbox" >&2
    exit 2
  fi
  if [ ! -e "/run/netns/$NS" ]; then echo "sandbox-exec: no namespace $NS" >&2; exit 2; fi
  exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm-256color \
    nsenter "--net=/run/netns/$NS" -- bwrap "$@"
fi
exec 3<"/run/patchbay/userns/$NS"
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm-256color \
  nsenter "--net=/run/netns/$NS" -- bwrap --userns 3 "$@"
