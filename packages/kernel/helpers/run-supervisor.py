#!/usr/bin/env python3
"""The supervisor of one `run:` process of a lab node (src/node-process.ts starts it, detached).

  run-supervisor.py LOG STATUS MAX_LOG_BYTES GRACE_MS -- FILE ARG...

Runs FILE ARG... (the node's student sandbox: sandbox-exec.sh → bwrap, whose pid 1 runs the lab
author's line) with stdin /dev/null and stdout+stderr into a pipe, and copies what comes out into
LOG, keeping it at most MAX_LOG_BYTES long: when it would grow beyond, only its newer half is kept
(disk bounded by MAX_LOG_BYTES, memory by one read of 64 KiB plus half the bound). When the sandbox
ends, its exit status (128+n for a signal) goes to STATUS as JSON, and the supervisor exits.

Why a process of its own: the command must outlive `patchbay apply` (a one-shot CLI) and the
server, so nothing of theirs may hold its pipe; and something must keep the log bounded. This is
fixed code running as root OUTSIDE the sandbox; it never interprets the output, runs no shell and
takes nothing from the lab but the argv it execs.

Stopping: SIGTERM here → SIGTERM to the sandbox's pid 1 (bwrap's child: a shell that passes it on to
the command), then after GRACE_MS SIGKILL to that pid 1, which ends the whole pid namespace (every
process the command started); bwrap then exits and the supervisor with it. SIGKILL to bwrap itself
if it is still there a second later. Stdlib only, as the other helpers.
"""
import errno
import json
import os
import select
import signal
import sys
import time

CHUNK = 64 * 1024


def children_of(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                s = f.read()
            rest = s[s.rindex(b")") + 2 :].split()
            if int(rest[1]) == pid:
                out.append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    return out


def signal_all(pids: list[int], sig: int) -> None:
    for p in pids:
        try:
            os.kill(p, sig)
        except OSError:
            pass


class BoundedLog:
    def __init__(self, path: str, limit: int):
        self.path = path
        self.limit = max(limit, 1024)
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        self.size = 0

    def write(self, data: bytes) -> None:
        if len(data) >= self.limit // 2:
            data = data[-(self.limit // 2) :]
        if self.size + len(data) > self.limit:
            # keep the newer half of what is there, then append
            keep = self.limit // 2 - len(data)
            tail = b""
            if keep > 0:
                with open(self.path, "rb") as f:
                    f.seek(max(0, self.size - keep))
                    tail = f.read()
            os.ftruncate(self.fd, 0)
            os.lseek(self.fd, 0, os.SEEK_SET)
            os.write(self.fd, tail)
            self.size = len(tail)
        os.write(self.fd, data)
        self.size += len(data)


def write_status(path: str, code: int) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, json.dumps({"code": code, "ended": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode())
    os.close(fd)
    os.rename(tmp, path)


def main() -> int:
    args = sys.argv[1:]
    if len(args) < 6 or args[4] != "--":
        print("usage: run-supervisor.py LOG STATUS MAX_LOG_BYTES GRACE_MS -- FILE ARG...", file=sys.stderr)
        return 2
    log_path, status_path, limit, grace_ms = args[0], args[1], int(args[2]), int(args[3])
    argv = args[5:]
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    log = BoundedLog(log_path, limit)
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGPIPE, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(w, 1)
            os.dup2(w, 2)
            os.closerange(3, 65536)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    os.close(w)

    stop_at = [0.0]  # when SIGTERM came (0: not yet)
    killed = [False, False]

    def on_term(_sig, _frame):
        if stop_at[0] == 0.0:
            stop_at[0] = time.monotonic()
            signal_all(children_of(child), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
    code = None
    open_pipe = True
    while open_pipe or code is None:
        if stop_at[0]:
            waited = time.monotonic() - stop_at[0]
            if waited * 1000 >= grace_ms and not killed[0]:
                killed[0] = True
                signal_all(children_of(child), signal.SIGKILL)
            if waited * 1000 >= grace_ms + 1000 and not killed[1] and code is None:
                killed[1] = True
                signal_all([child], signal.SIGKILL)
        if open_pipe:
            try:
                ready, _, _ = select.select([r], [], [], 0.2)
            except InterruptedError:
                ready = []
            if ready:
                try:
                    data = os.read(r, CHUNK)
                except OSError as e:
                    if e.errno == errno.EINTR:
                        continue
                    data = b""
                if data:
                    log.write(data)
                else:
                    open_pipe = False
        else:
            time.sleep(0.1)
        if code is None:
            try:
                pid, st = os.waitpid(child, os.WNOHANG)
            except ChildProcessError:
                pid, st = child, 0
            if pid == child:
                code = os.waitstatus_to_exitcode(st)
                if code < 0:
                    code = 128 - code
    write_status(status_path, code)
    return 0


if __name__ == "__main__":
    sys.exit(main())
