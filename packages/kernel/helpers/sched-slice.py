#!/usr/bin/env python3
"""Give one process a custom scheduler slice (EEVDF, Linux 6.12+): sched-slice.py PID SLICE_US

  PID       the process (its main thread: threads and children it creates later inherit the slice)
  SLICE_US  100..100000 microseconds; 0 gives the kernel's default slice back

Under EEVDF a task's virtual deadline is its slice ahead of its eligible time: a task with a short
slice that wakes up (a shell echoing a key, the server's event loop relaying it) has an earlier
deadline than the CPU-bound work running, so the kernel switches to it at once instead of at the end
of the running task's slice. The slice changes no one's share of the CPU (that is the weight's job).
Since Linux 6.15 a group's entity takes the shortest slice queued inside it, so it works through
the sandboxes' cgroups too. Only the slice is changed: the policy (SCHED_OTHER or SCHED_BATCH) and
nice value are kept; a real-time or idle-policy task is left alone.

Prints {"pid": PID, "sliceUs": N, "applied": true|false, "reason": TEXT?}; exit status 0 unless the
arguments are invalid (2). Before Linux 6.12 the kernel ignores sched_runtime for SCHED_OTHER: then
"applied" is false with the slice the kernel reports.
"""
import ctypes
import json
import os
import struct
import sys

SYS_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}
SYS_SCHED_GETATTR = {"x86_64": 315, "aarch64": 275}
SCHED_OTHER, SCHED_BATCH = 0, 3
ATTR = "IIQiIQQQII"  # struct sched_attr, SCHED_ATTR_SIZE_VER1 (56 bytes)
ATTR_SIZE = struct.calcsize(ATTR)


def fail(msg: str) -> None:
    sys.stderr.write(f"sched-slice: {msg}\n")
    sys.exit(2)


def main() -> None:
    if len(sys.argv) != 3 or not sys.argv[1].isdigit() or not sys.argv[2].isdigit():
        fail("usage: sched-slice.py PID SLICE_US")
    pid, slice_us = int(sys.argv[1]), int(sys.argv[2])
    if pid <= 1 or len(sys.argv[1]) > 9:
        fail("invalid pid")
    if slice_us != 0 and not 100 <= slice_us <= 100_000:
        fail("the slice is 0 or 100..100000 microseconds")
    machine = os.uname().machine
    if machine not in SYS_SCHED_SETATTR:
        print(json.dumps({"pid": pid, "sliceUs": slice_us, "applied": False, "reason": f"unknown machine {machine}"}))
        return
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(ATTR_SIZE)

    def get():
        if libc.syscall(SYS_SCHED_GETATTR[machine], pid, buf, ATTR_SIZE, 0) != 0:
            return None
        return list(struct.unpack(ATTR, buf.raw))

    attr = get()
    if attr is None:
        err = ctypes.get_errno()
        print(json.dumps({"pid": pid, "sliceUs": slice_us, "applied": False, "reason": os.strerror(err)}))
        return
    policy, nice = attr[1], attr[3]
    if policy not in (SCHED_OTHER, SCHED_BATCH):
        print(json.dumps({"pid": pid, "sliceUs": slice_us, "applied": False, "reason": f"policy {policy}"}))
        return
    new = struct.pack(ATTR, ATTR_SIZE, policy, 0, nice, 0, slice_us * 1000, 0, 0, 0, 0)
    if libc.syscall(SYS_SCHED_SETATTR[machine], pid, ctypes.create_string_buffer(new, ATTR_SIZE), 0) != 0:
        err = ctypes.get_errno()
        print(json.dumps({"pid": pid, "sliceUs": slice_us, "applied": False, "reason": os.strerror(err)}))
        return
    after = get()
    applied = slice_us == 0 or (after is not None and after[5] == slice_us * 1000)
    out = {"pid": pid, "sliceUs": slice_us, "applied": applied}
    if not applied:
        out["reason"] = "the kernel ignores a custom slice for this policy (before Linux 6.12)"
    print(json.dumps(out))


main()
