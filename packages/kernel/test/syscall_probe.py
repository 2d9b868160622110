#!/usr/bin/env python3
"""Syscall escape attempts, run INSIDE a student sandbox by sandbox-seccomp.kernel.test.ts.

  syscall_probe.py denied   try every call the seccomp policy denies; one line each:
                            "NAME RESULT" where RESULT is an errno name (EPERM, ENOSYS, ...) or "ok"
  syscall_probe.py allowed  what tools need keeps working: fork, threads, posix_spawn, vfork
  syscall_probe.py int80    getpid through the i386 ABI (int 0x80): the filter must kill the process
  syscall_probe.py x32      getpid through the x32 ABI (nr | 0x40000000): likewise

Raw x86_64 syscall numbers through libc's syscall(); the arguments are valid enough that, without
the filter, most calls would succeed or fail with another errno than EPERM (EBADF, EINVAL), so the
result shows the filter and not a missing capability. Exit 77 on another architecture.
"""
import ctypes
import errno
import mmap
import os
import platform
import subprocess
import sys
import threading

if platform.machine() != "x86_64":
    print(f"syscall_probe: x86_64 numbers only (this is {platform.machine()})")
    sys.exit(77)

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

NR = {
    "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "move_mount": 429,
    "open_tree": 428, "fsopen": 430, "fsmount": 432, "fsconfig": 431, "fspick": 433,
    "mount_setattr": 442, "unshare": 272, "setns": 308, "clone": 56, "clone3": 435,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "getpid": 39,
}
SIGCHLD = 17
CLONE_FLAGS = {
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}


def call(name, *args):
    ctypes.set_errno(0)
    r = libc.syscall(NR[name], *args)
    e = ctypes.get_errno()
    return r, e


def report(label, r, e, child_exits=False):
    if r == 0 and child_exits:
        os._exit(0)  # a clone that succeeded: this is the child
    if r >= 0:
        print(f"{label} ok")
    else:
        print(f"{label} {errno.errorcode.get(e, str(e))}")
    sys.stdout.flush()


def in_child(attempt):
    """Runs attempt() in a child (PTRACE_TRACEME would leave this process traced by its parent)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        res, e = attempt()
        os.write(w, f"{res} {e}".encode())
        os._exit(0)
    os.close(w)
    out = os.read(r, 64).decode().split()
    os.close(r)
    os.waitpid(pid, 0)
    return int(out[0]), int(out[1])


def denied():
    buf = ctypes.create_string_buffer(4096)
    p = ctypes.cast(buf, ctypes.c_void_p)
    # keyrings: reading the session keyring's id works for anyone without the filter
    report("keyctl", *call("keyctl", 0, ctypes.c_long(-3), 1))
    report("add_key", *call("add_key", b"user", b"pbk", b"x", 1, ctypes.c_long(-3)))
    report("request_key", *call("request_key", b"user", b"pbk", None, 0))
    report("bpf", *call("bpf", 0, p, 72))  # BPF_MAP_CREATE with an empty attr
    # perf: a software clock counting this process's user time, allowed at perf_event_paranoid 2
    attr = ctypes.create_string_buffer(128)
    attr[0:4] = (1).to_bytes(4, "little")  # type PERF_TYPE_SOFTWARE
    attr[4:8] = (128).to_bytes(4, "little")  # size
    attr[8:16] = (1).to_bytes(8, "little")  # config PERF_COUNT_SW_TASK_CLOCK
    attr[40:48] = ((1 << 5) | (1 << 6)).to_bytes(8, "little")  # exclude_kernel | exclude_hv
    report("perf_event_open", *call("perf_event_open", attr, 0, ctypes.c_int(-1), ctypes.c_int(-1), 0))
    report("userfaultfd", *call("userfaultfd", 1))  # UFFD_USER_MODE_ONLY: no privilege needed
    params = ctypes.create_string_buffer(120)
    report("io_uring_setup", *call("io_uring_setup", 1, params))
    report("io_uring_enter", *call("io_uring_enter", ctypes.c_int(-1), 0, 0, 0, None, 0))
    report("io_uring_register", *call("io_uring_register", ctypes.c_int(-1), 0, None, 0))
    report("ptrace", *in_child(lambda: call("ptrace", 0, 0, None, None)))  # PTRACE_TRACEME
    iov = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 8)
    report("process_vm_readv", *call("process_vm_readv", os.getpid(), iov, 1, iov, 1, 0))
    report("process_vm_writev", *call("process_vm_writev", os.getpid(), iov, 1, iov, 1, 0))
    report("pidfd_getfd", *call("pidfd_getfd", ctypes.c_int(-1), 0, 0))
    report("mount", *call("mount", b"none", b"/tmp", b"tmpfs", 0, None))
    report("umount2", *call("umount2", b"/tmp", 0))
    report("pivot_root", *call("pivot_root", b"/tmp", b"/tmp"))
    report("chroot", *call("chroot", b"/"))
    report("move_mount", *call("move_mount", ctypes.c_int(-1), b"", ctypes.c_int(-1), b"", 0))
    report("open_tree", *call("open_tree", ctypes.c_int(-100), b"/tmp", 1))  # OPEN_TREE_CLONE
    report("fsopen", *call("fsopen", b"tmpfs", 0))
    report("fsmount", *call("fsmount", ctypes.c_int(-1), 0, 0))
    report("fsconfig", *call("fsconfig", ctypes.c_int(-1), 0, None, None, 0))
    report("fspick", *call("fspick", ctypes.c_int(-100), b"/tmp", 0))
    report("mount_setattr", *call("mount_setattr", ctypes.c_int(-1), b"", 0, None, 0))
    report("unshare(0)", *call("unshare", 0))  # a no-op without the filter
    report("unshare(CLONE_NEWNET)", *call("unshare", 0x40000000))
    report("unshare(CLONE_NEWUSER)", *call("unshare", 0x10000000))
    report("setns", *call("setns", ctypes.c_int(-1), 0))
    for flag, bit in CLONE_FLAGS.items():
        report(f"clone({flag})", *call("clone", bit | SIGCHLD, None, None, None, None), child_exits=True)
    report("clone3", *call("clone3", p, 88), child_exits=True)
    report("kexec_load", *call("kexec_load", 0, 0, None, 0))
    report("kexec_file_load", *call("kexec_file_load", ctypes.c_int(-1), ctypes.c_int(-1), 0, None, 0))
    report("init_module", *call("init_module", None, 0, b""))
    report("finit_module", *call("finit_module", ctypes.c_int(-1), b"", 0))
    report("delete_module", *call("delete_module", b"pbk_none", 0))


def allowed():
    # fork (glibc: clone with SIGCHLD and the child tid flags)
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    print("fork", "ok" if os.waitpid(pid, 0)[1] >> 8 == 7 else "bad")
    # a plain clone without namespace flags
    r, e = call("clone", SIGCHLD, None, None, None, None)
    if r == 0:
        os._exit(0)
    if r > 0:
        os.waitpid(r, 0)
    print("clone", "ok" if r > 0 else errno.errorcode.get(e, str(e)))
    # threads (glibc tries clone3, gets ENOSYS, falls back to clone)
    out = []
    t = threading.Thread(target=lambda: out.append(1))
    t.start()
    t.join()
    print("thread", "ok" if out == [1] else "bad")
    # posix_spawn / vfork (subprocess)
    print("subprocess", "ok" if subprocess.run(["true"]).returncode == 0 else "bad")
    print("unshare-less getpid", "ok" if call("getpid")[0] == os.getpid() else "bad")
    sys.stdout.flush()


def int80():
    # x86_64 machine code: mov eax, 20 (getpid on i386); int 0x80; ret
    code = bytes([0xB8, 20, 0, 0, 0, 0xCD, 0x80, 0xC3])
    m = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    m.write(code)
    fn = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
    print("int80 getpid returned", fn())  # never printed when the filter kills the process
    sys.stdout.flush()


def x32():
    r = libc.syscall(0x40000000 | NR["getpid"])
    print("x32 getpid returned", r, errno.errorcode.get(ctypes.get_errno(), ""))
    sys.stdout.flush()


MODES = {"denied": denied, "allowed": allowed, "int80": int80, "x32": x32}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in MODES:
        sys.stderr.write("usage: syscall_probe.py denied|allowed|int80|x32\n")
        sys.exit(2)
    print("seccomp:", " ".join(l.split()[1] for l in open("/proc/self/status") if l.startswith("Seccomp:")), flush=True)
    MODES[sys.argv[1]]()
