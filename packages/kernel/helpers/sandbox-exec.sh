#!/bin/sh
# sandbox-exec.sh [--init-userns] NS GROUP NPROC NOFILE SECCOMP-FILE BWRAP-ARGS...
#                                        (run as root; built by sandboxArgv() in src/sandbox.ts)
#
# The fixed, root-run first step of every student sandbox (pty or not). It exists because bwrap
# needs the node's user namespace as an open fd (--userns 3) and node-pty cannot hand extra fds to
# its child: so this script opens /run/patchbay/userns/NS as fd 3 itself, and binds the two halves of
# the node's identity together: the network namespace entered by nsenter and the user namespace
# given to bwrap always come from the SAME validated name. The sandbox policy (mounts, caps, ...)
# is the rest of the argv, built in one place in TypeScript.
#
# Limits (src/sandbox-limits.ts): before anything else runs, the script joins the sandbox group's
# cgroup(s), created and configured by the caller (patchbay/GROUP: pids, memory, cpu), and sets
# RLIMIT_NPROC and RLIMIT_NOFILE (prlimit execs, it does not fork: the pid the caller spawned stays
# bwrap's, which sandbox-kill.ts relies on). RLIMIT_NPROC counts processes of the real uid: a root
# process ignores it, the sandbox's processes run as the node's own host uid and are bound by it.
# Syscall filter (src/sandbox-seccomp.ts): SECCOMP-FILE is opened as fd 4 and given to bwrap with
# --seccomp 4, which loads it just before it runs the command; the command closes fds 3 and 4.
#
# --init-userns (scenario steps in a host's namespace only, never a student shell): NS is a normal
# namespace owned by the init user namespace (a host node's, holding the lab's bridges and tunnels),
# where network privileges only count when held in the init userns; bwrap runs without --userns and
# the policy drops to an unprivileged uid itself (sandbox.ts). Refused for a namespace that has its
# own userns: its steps run there, with privileges that reach nothing else. Same group, limits and
# syscall filter.
#
# `env -i` is not cosmetic: bwrap's pid-1 reaper inside the sandbox runs as the student's uid and
# keeps bwrap's environment, readable as /proc/1/environ (research §1.4.4). Nothing of the backend's
# environment may reach it. No input is ever interpolated into a shell string here.
set -eu
PATH=/usr/sbin:/usr/bin:/sbin:/bin # a root-run script: never the caller's PATH (a pty passes none)
export PATH
fail() { echo "sandbox-exec: $*" >&2; exit 2; }
MODE=own
if [ "${1-}" = --init-userns ]; then
  MODE=init
  shift
fi
case "${1-}" in
  '' | [!a-z]* | *[!a-z0-9._-]*) fail "invalid namespace name" ;;
esac
if [ "${#1}" -gt 81 ]; then fail "invalid namespace name"; fi
case "${2-}" in
  '' | [!a-z]* | *[!a-z0-9._-]*) fail "invalid sandbox group name" ;;
esac
if [ "${#2}" -gt 100 ]; then fail "invalid sandbox group name"; fi
for n in "${3-}" "${4-}"; do
  case "$n" in
    '' | 0* | *[!0-9]*) fail "invalid limit" ;;
  esac
  if [ "${#n}" -gt 8 ]; then fail "invalid limit"; fi
done
case "${5-}" in
  /run/patchbay/seccomp/sandbox-????????????????.bpf) ;;
  *) fail "invalid seccomp filter file" ;;
esac
HASH=${5#/run/patchbay/seccomp/sandbox-}
case "${HASH%.bpf}" in
  *[!0-9a-f]*) fail "invalid seccomp filter file" ;;
esac
NS=$1 GROUP=$2 NPROC=$3 NOFILE=$4 SECCOMP=$5
shift 5
if [ "$MODE" = init ]; then
  if [ -e "/run/patchbay/userns/$NS" ]; then fail "$NS has its own user namespace: not an --init-userns sandbox"; fi
  if [ ! -e "/run/netns/$NS" ]; then fail "no namespace $NS"; fi
fi

# The cgroup(s): v2 when /sys/fs/cgroup is a unified hierarchy (the test cgroupLayout() makes),
# else v1's pids and memory (required) and cpu (when mounted).
join_cgroup() { echo $$ >"$1/cgroup.procs" || fail "cannot join the cgroup $1"; }
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  join_cgroup "/sys/fs/cgroup/patchbay/$GROUP"
else
  join_cgroup "/sys/fs/cgroup/pids/patchbay/$GROUP"
  join_cgroup "/sys/fs/cgroup/memory/patchbay/$GROUP"
  if [ -f /sys/fs/cgroup/cpu/cgroup.procs ]; then join_cgroup "/sys/fs/cgroup/cpu/patchbay/$GROUP"; fi
fi

exec 4<"$SECCOMP"
if [ "$MODE" = init ]; then
  exec prlimit "--nproc=$NPROC" "--nofile=$NOFILE" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm-256color \
    nsenter "--net=/run/netns/$NS" -- bwrap --seccomp 4 "$@"
fi
exec 3<"/run/patchbay/userns/$NS"
exec prlimit "--nproc=$NPROC" "--nofile=$NOFILE" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=xterm-256color \
  nsenter "--net=/run/netns/$NS" -- bwrap --userns 3 --seccomp 4 "$@"
