#!/usr/bin/env python3
"""The student sandbox's syscall filter, as a classic-BPF program for `bwrap --seccomp FD`.

  seccomp-filter.py OUT     write the program to OUT (atomically: OUT.tmp-PID, then rename)
  seccomp-filter.py --list  print the policy (syscall, action) as JSON lines

Built with Debian's libseccomp (package libseccomp2) through ctypes: libseccomp knows every
architecture's syscall numbers and argument layout and writes the arch check. Called by
src/sandbox-seccomp.ts at first use (the program is cached under /run/patchbay/seccomp, keyed by
this file's hash, so a changed policy is rebuilt). docs/isolation.md explains the policy.

Policy: everything is allowed except the calls below, which fail with EPERM (clone3: ENOSYS, so
that libc falls back to clone, whose flags a classic filter can inspect). Only the native ABI is
allowed: a call through another ABI (i386's int 0x80 on x86_64, x32) kills the process, so none of
these rules can be bypassed with another ABI's numbers.
"""
import ctypes
import errno
import json
import os
import platform
import sys

# Kernel attack surface the learner's tools never need (docs/isolation.md, "Syscall filter").
DENIED = [
    # keyrings
    "keyctl", "add_key", "request_key",
    # eBPF, perf, userfaultfd, io_uring: frequent local-privilege-escalation surface
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # looking into or controlling other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
    # the mount family (old and new API)
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount",
    "fsconfig", "fspick", "mount_setattr",
    # new or other namespaces (clone and clone3: see below)
    "unshare", "setns",
    # kexec and kernel modules
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    # host-wide administration (capabilities the sandbox does not have; denied anyway)
    "reboot", "swapon", "swapoff", "syslog", "acct", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "quotactl", "quotactl_fd", "open_by_handle_at", "lookup_dcookie", "vhangup", "iopl",
    "ioperm", "uselib", "fanotify_init",
]

# clone(2) flags that make new namespaces: clone with any of them fails with EPERM.
CLONE_NS_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_FLTATR_ACT_BADARCH = 2
SCMP_CMP_MASKED_EQ = 7


def SCMP_ACT_ERRNO(e: int) -> int:
    return 0x00050000 | (e & 0xFFFF)


class ScmpArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def policy():
    """(syscall, action name, errno, argument rule or None) for every rule."""
    rules = [(name, "errno", errno.EPERM, None) for name in DENIED]
    rules.append(("clone3", "errno", errno.ENOSYS, None))
    # clone's flags are its first argument, except on s390 where the stack comes first
    arg = 1 if platform.machine().startswith("s390") else 0
    for flag_name, flag in CLONE_NS_FLAGS.items():
        rules.append(("clone", "errno", errno.EPERM, (arg, flag, flag_name)))
    return rules


def build(out: str) -> None:
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_attr_set.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32)
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ScmpArgCmp),
    )
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)

    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)  # native architecture only
    if not ctx:
        raise OSError("seccomp_init failed")
    try:
        rc = lib.seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)
        if rc != 0:
            raise OSError(-rc, f"seccomp_attr_set(BADARCH): {os.strerror(-rc)}")
        for name, _action, err, argrule in policy():
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:
                continue  # not a syscall on this architecture (e.g. iopl on arm64): nothing to deny
            if argrule is None:
                rc = lib.seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(err), nr, 0, None)
            else:
                arg, mask, _ = argrule
                cmp = (ScmpArgCmp * 1)(ScmpArgCmp(arg, SCMP_CMP_MASKED_EQ, mask, mask))
                rc = lib.seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(err), nr, 1, cmp)
            if rc != 0:
                raise OSError(-rc, f"seccomp rule for {name}: {os.strerror(-rc)}")
        tmp = f"{out}.tmp-{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            rc = lib.seccomp_export_bpf(ctx, fd)
        finally:
            os.close(fd)
        if rc != 0:
            os.unlink(tmp)
            raise OSError(-rc, f"seccomp_export_bpf: {os.strerror(-rc)}")
        os.rename(tmp, out)
    finally:
        lib.seccomp_release(ctx)


def main(argv) -> int:
    if argv == ["--list"]:
        for name, action, err, argrule in policy():
            rule = {"syscall": name, "action": action, "errno": errno.errorcode[err]}
            if argrule:
                rule["when"] = f"arg{argrule[0]} has {argrule[2]}"
            print(json.dumps(rule))
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        sys.stderr.write("usage: seccomp-filter.py OUT | seccomp-filter.py --list\n")
        return 2
    try:
        build(argv[0])
    except OSError as e:
        sys.stderr.write(f"seccomp-filter: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
