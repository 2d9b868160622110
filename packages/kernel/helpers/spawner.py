#!/usr/bin/env python3
"""Start many short processes, each optionally inside a named network namespace, from ONE small process.

Forking Node costs ~4 ms per process (libuv forks a big process, then nsenter execs, then the tool
execs). This helper is small and starts children with posix_spawn (vfork-style, no page-table copy),
and it enters the namespace itself, so no nsenter is needed: being single-threaded and using no
sockets, it setns()es itself into the target namespace just around posix_spawn (the child inherits
it) and straight back (if it cannot get back, it exits). Node cannot setns() itself (libuv threads).

Protocol: JSON lines. On start the helper prints {"ready": true, "version": 1, "allowed": [...]}.
Request (stdin):  {"id": N, "ns": "NAME" | null, "argv": ["ip", "-batch", "-"], "input": "..." | null,
                   "timeoutMs": N, "maxOutputBytes": N (optional, at most 64 MiB)}
Response (stdout): {"id": N, "code": N, "stdout": "...", "stderr": "..."}  (code 128+n after signal n)
  plus, when the request did not complete normally, "error": KIND and "message": TEXT, where KIND is
  "refused" (bad request: command not allowed, bad namespace name, ...; nothing was started),
  "spawn" (no pipe or process available; nothing was started), "exec" (the command could not be executed;
  code is 127 or 126 as a shell reports it), "timeout" or "output" (the child was killed: it ran
  longer than timeoutMs, or printed more than the limit to stdout and stderr together).
A missing namespace is not an error: the answer is code 1 with stderr "patchbay-spawner: cannot open
/run/netns/NAME: No such file or directory\n", as nsenter reports it (callers rely on that).

Requests are handled concurrently (one selectors loop; requests keep arriving while children run).
Children get exactly CHILD_ENV as environment, stdin from "input" (written without blocking),
stdout/stderr collected. Never a shell. The helper ignores SIGINT (the terminal's Ctrl-C reaches the
children and Node, which decides); it exits when its stdin closes, killing outstanding children.
"""
import ctypes
import errno
import json
import os
import re
import selectors
import signal
import sys
import time

VERSION = 1
# The only programs this helper starts (bare names, looked up in CHILD_ENV's PATH).
# Mirrored by SPAWNER_COMMANDS in src/spawner.ts (a unit test checks both lists are equal).
ALLOWED_COMMANDS = (
    "ip", "bridge", "sysctl", "iptables-restore", "iptables-save", "iptables", "ebtables-restore",
    "ebtables-save", "tcpdump", "ping", "sleep", "true", "python3", "sh", "nft", "ip6tables-restore",
    "ip6tables-save", "ip6tables",
)
CHILD_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{0,80}$")
CLONE_NEWNET = 0x40000000
MAX_OUTPUT = 64 * 1024 * 1024
DEFAULT_TIMEOUT_MS = 30_000
MAX_ARGV = 4096
READ_SIZE = 1 << 16

libc = ctypes.CDLL(None, use_errno=True)


def log(msg: str) -> None:
    try:
        os.write(2, f"spawner: {msg}\n".encode())
    except OSError:
        pass


def exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def set_nonblocking(fd: int) -> None:
    os.set_blocking(fd, False)


class Child:
    __slots__ = ("id", "argv", "pid", "pidfd", "stdin", "input", "input_off", "out", "err", "open_fds", "status", "deadline", "limit", "killed", "bytes")

    def __init__(self, rid, argv, deadline, limit):
        self.id = rid
        self.argv = argv
        self.pid = -1
        self.pidfd = -1
        self.stdin = -1
        self.input = b""
        self.input_off = 0
        self.out = []
        self.err = []
        self.open_fds = set()
        self.status = None
        self.deadline = deadline
        self.limit = limit
        self.killed = None  # "timeout" | "output"
        self.bytes = 0


class Helper:
    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.children = {}  # id -> Child
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.stdin_open = True
        self.writing = False
        self.paths = {}  # command name -> executable path
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        set_nonblocking(0)
        set_nonblocking(1)
        self.sel.register(0, selectors.EVENT_READ, ("stdin", None))

    # ---- output to Node -------------------------------------------------------------------------
    def send(self, obj) -> None:
        self.outbuf += json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        self.outbuf += b"\n"
        self.flush()

    def flush(self) -> None:
        while self.outbuf:
            try:
                n = os.write(1, self.outbuf)
            except BlockingIOError:
                break
            except OSError:  # Node is gone
                self.shutdown(1)
            del self.outbuf[:n]
        want = bool(self.outbuf)
        if want != self.writing:
            self.writing = want
            if want:
                self.sel.register(1, selectors.EVENT_WRITE, ("stdout", None))
            else:
                self.sel.unregister(1)

    # ---- requests ------------------------------------------------------------------------------
    def read_requests(self) -> None:
        while True:
            try:
                data = os.read(0, READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self.stdin_open = False
                self.sel.unregister(0)
                return
            self.inbuf += data
            while True:
                nl = self.inbuf.find(b"\n")
                if nl < 0:
                    break
                line = bytes(self.inbuf[:nl])
                del self.inbuf[: nl + 1]
                if line.strip():
                    self.handle(line)

    def refuse(self, rid, message: str, kind: str = "refused") -> None:
        self.send({"id": rid, "code": 127, "stdout": "", "stderr": "", "error": kind, "message": message})

    def handle(self, line: bytes) -> None:
        try:
            req = json.loads(line)
        except ValueError as e:
            self.refuse(None, f"invalid JSON request: {e}")
            return
        rid = req.get("id") if isinstance(req, dict) else None
        if not isinstance(rid, int) or isinstance(rid, bool):
            self.refuse(None, "request without an integer id")
            return
        if rid in self.children:
            self.refuse(rid, f"request id {rid} is already running")
            return
        ns = req.get("ns")
        argv = req.get("argv")
        data = req.get("input")
        timeout_ms = req.get("timeoutMs", DEFAULT_TIMEOUT_MS)
        limit = req.get("maxOutputBytes", MAX_OUTPUT)
        if ns is not None and (not isinstance(ns, str) or not NAME_RE.match(ns)):
            self.refuse(rid, f"invalid namespace name {json.dumps(ns)}")
            return
        if (not isinstance(argv, list) or not argv or len(argv) > MAX_ARGV
                or not all(isinstance(a, str) and "\0" not in a for a in argv)):
            self.refuse(rid, "argv must be a non-empty list of strings without NUL")
            return
        if argv[0] not in ALLOWED_COMMANDS:
            self.refuse(rid, f"command not allowed: {json.dumps(argv[0])} (allowed: {', '.join(ALLOWED_COMMANDS)})")
            return
        if data is not None and not isinstance(data, str):
            self.refuse(rid, "input must be a string or null")
            return
        if timeout_ms is None:
            timeout_ms = DEFAULT_TIMEOUT_MS
        if not isinstance(timeout_ms, (int, float)) or isinstance(timeout_ms, bool) or timeout_ms < 0:
            self.refuse(rid, "timeoutMs must be a non-negative number")
            return
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            self.refuse(rid, "maxOutputBytes must be a non-negative integer")
            return
        child = Child(rid, argv, time.monotonic() + timeout_ms / 1000.0, min(limit, MAX_OUTPUT))
        child.input = (data or "").encode("utf-8", "surrogatepass")
        try:
            self.start(child, ns)
        except OSError as e:
            self.refuse(rid, f"cannot start {argv[0]}: {e.strerror or e}", "spawn")

    # ---- children -------------------------------------------------------------------------------
    def resolve(self, name: str) -> str | None:
        """The executable `name` in CHILD_ENV's PATH (cached; looked up again when missing)."""
        path = self.paths.get(name)
        if path is None:
            for d in CHILD_ENV["PATH"].split(":"):
                cand = f"{d}/{name}"
                if os.path.isfile(cand) and os.access(cand, os.X_OK):
                    path = self.paths[name] = cand
                    break
        return path

    def enter(self, ns: str, child: Child) -> int | None:
        """Enters namespace `ns` (this whole process: it is single-threaded and uses no sockets).
        Returns the namespace fd, or None after answering like nsenter (stderr, code 1)."""
        path = f"/run/netns/{ns}"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            self.send({"id": child.id, "code": 1, "stdout": "",
                       "stderr": f"patchbay-spawner: cannot open {path}: {os.strerror(e.errno)}\n"})
            return None
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            os.close(fd)
            self.send({"id": child.id, "code": 1, "stdout": "",
                       "stderr": f"patchbay-spawner: reassociate to namespace {path} failed: {os.strerror(err)}\n"})
            return None
        return fd

    def leave(self) -> None:
        if libc.setns(self.home, CLONE_NEWNET) != 0:
            # Never go on in a foreign namespace: later children would start there.
            log(f"cannot return to the home network namespace: {os.strerror(ctypes.get_errno())}")
            self.shutdown(70)

    def start(self, child: Child, ns) -> None:
        """Starts the child with posix_spawn (vfork-style: on this VM a fork() of even this small
        process costs ~1.5 ms for copying page tables, posix_spawn ~0.8 ms). The namespace is entered
        by this process around the spawn, since the child cannot run code between fork and exec."""
        exe = self.resolve(child.argv[0])
        if exe is None:
            self.exec_failed(child, errno.ENOENT)
            return
        fds = []
        try:
            in_r, in_w = os.pipe()
            fds += [in_r, in_w]
            out_r, out_w = os.pipe()
            fds += [out_r, out_w]
            err_r, err_w = os.pipe()
            fds += [err_r, err_w]
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        nsfd = None
        try:
            if ns is not None:
                nsfd = self.enter(ns, child)
                if nsfd is None:
                    for fd in fds:
                        os.close(fd)
                    return
            try:
                pid = os.posix_spawn(
                    exe, child.argv, CHILD_ENV,
                    file_actions=[(os.POSIX_SPAWN_DUP2, in_r, 0), (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)],
                    setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT),
                )
            finally:
                if nsfd is not None:
                    self.leave()
                    os.close(nsfd)
        except OSError as e:
            for fd in fds:
                os.close(fd)
            if e.errno in (errno.EAGAIN, errno.ENOMEM, errno.EMFILE, errno.ENFILE):
                raise
            self.paths.pop(child.argv[0], None)
            self.exec_failed(child, e.errno or errno.ENOENT)
            return
        for fd in (in_r, out_w, err_w):
            os.close(fd)
        child.pid = pid
        self.children[child.id] = child
        try:
            child.pidfd = os.pidfd_open(pid)
        except OSError:
            child.pidfd = -1
        for fd, kind in ((out_r, "out"), (err_r, "err")):
            set_nonblocking(fd)
            child.open_fds.add(fd)
            self.sel.register(fd, selectors.EVENT_READ, (kind, child))
        if child.pidfd >= 0:
            self.sel.register(child.pidfd, selectors.EVENT_READ, ("exit", child))
        child.stdin = in_w
        set_nonblocking(in_w)
        if child.input:
            self.sel.register(in_w, selectors.EVENT_WRITE, ("stdin-child", child))
            self.write_input(child)
        else:
            self.close_stdin(child)

    def exec_failed(self, child: Child, err: int) -> None:
        self.send({"id": child.id, "code": 126 if err in (errno.EACCES, errno.ENOEXEC, errno.EPERM) else 127,
                   "stdout": "", "stderr": "", "error": "exec",
                   "message": f"failed to execute {child.argv[0]}: {os.strerror(err)}"})

    def write_input(self, child: Child) -> None:
        while child.input_off < len(child.input):
            try:
                n = os.write(child.stdin, memoryview(child.input)[child.input_off:child.input_off + READ_SIZE])
            except BlockingIOError:
                return
            except OSError:  # EPIPE: the child exited without reading everything; its status tells
                break
            child.input_off += n
        self.sel.unregister(child.stdin)
        self.close_stdin(child)

    def close_stdin(self, child: Child) -> None:
        if child.stdin >= 0:
            os.close(child.stdin)
            child.stdin = -1
        child.input = b""

    def read_child(self, kind: str, child: Child, fd: int) -> None:
        while True:
            try:
                data = os.read(fd, READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self.sel.unregister(fd)
                os.close(fd)
                child.open_fds.discard(fd)
                self.maybe_finish(child)
                return
            child.bytes += len(data)
            if child.bytes > child.limit:
                self.kill(child, "output")
                # keep draining (and discarding) so the child cannot block on a full pipe
                continue
            (child.out if kind == "out" else child.err).append(data)

    def reap(self, child: Child, block: bool) -> None:
        if child.status is not None:
            return
        try:
            pid, status = os.waitpid(child.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            pid, status = child.pid, 0xFF00  # should not happen: report 255
        if pid == 0:
            return
        child.status = status
        if child.pidfd >= 0:
            self.sel.unregister(child.pidfd)
            os.close(child.pidfd)
            child.pidfd = -1
        self.maybe_finish(child)

    def kill(self, child: Child, why: str) -> None:
        if child.killed is None:
            child.killed = why
        if child.status is None:
            try:
                os.kill(child.pid, signal.SIGKILL)  # not reaped yet, so the pid is still ours
            except OSError:
                pass
        elif child.open_fds:
            # Exited, but something it started still holds its stdout/stderr: stop waiting.
            self.maybe_finish(child)

    def maybe_finish(self, child: Child) -> None:
        if child.id not in self.children or child.status is None:
            return
        if child.open_fds and child.killed is None:
            return
        for fd in list(child.open_fds):
            self.sel.unregister(fd)
            os.close(fd)
        child.open_fds.clear()
        if child.stdin >= 0:
            self.sel.unregister(child.stdin)
            self.close_stdin(child)
        del self.children[child.id]
        code = exit_code(child.status)
        res = {
            "id": child.id,
            "code": code,
            "stdout": b"".join(child.out).decode("utf-8", "replace"),
            "stderr": b"".join(child.err).decode("utf-8", "replace"),
        }
        if child.killed == "timeout":
            res["error"] = "timeout"
            res["message"] = f"{child.argv[0]} timed out"
        elif child.killed == "output":
            res["error"] = "output"
            res["message"] = f"{child.argv[0]} printed more than {child.limit} bytes"
        self.send(res)

    def check_deadlines(self) -> float | None:
        now = time.monotonic()
        nearest = None
        for child in list(self.children.values()):
            if child.killed == "timeout":
                continue
            if child.deadline <= now:
                self.kill(child, "timeout")
            elif nearest is None or child.deadline < nearest:
                nearest = child.deadline
        return None if nearest is None else max(0.0, nearest - now)

    def poll_exits_without_pidfd(self) -> None:
        for child in list(self.children.values()):
            if child.pidfd < 0:
                self.reap(child, False)

    # ---- main loop -------------------------------------------------------------------------------
    def shutdown(self, code: int) -> None:
        for child in list(self.children.values()):
            if child.status is None:
                try:
                    os.kill(child.pid, signal.SIGKILL)
                except OSError:
                    pass
        for child in list(self.children.values()):
            if child.status is None:
                try:
                    os.waitpid(child.pid, 0)
                except OSError:
                    pass
        os._exit(code)

    def loop(self) -> None:
        self.send({"ready": True, "version": VERSION, "pid": os.getpid(), "allowed": list(ALLOWED_COMMANDS)})
        while True:
            if not self.stdin_open:
                self.shutdown(0)
            timeout = self.check_deadlines()
            if any(c.pidfd < 0 for c in self.children.values()):
                timeout = 0.01 if timeout is None else min(timeout, 0.01)
            for key, _mask in self.sel.select(timeout):
                kind, child = key.data
                if kind == "stdin":
                    self.read_requests()
                elif kind == "stdout":
                    self.flush()
                elif kind == "stdin-child":
                    if child.stdin >= 0:
                        self.write_input(child)
                elif kind == "exit":
                    self.reap(child, True)
                else:
                    if child.id in self.children and key.fd in child.open_fds:
                        self.read_child(kind, child, key.fd)
            self.poll_exits_without_pidfd()


def default_slice() -> None:
    """The server may run with a short scheduler slice (src/sched-slice.ts), and this helper inherits
    it when the server starts it: the commands started here (check runs, reads, applies) are batch
    work, so they get the kernel's default slice back and do not jump ahead of a shell's echo."""
    numbers = {"x86_64": 314, "aarch64": 274}
    nr = numbers.get(os.uname().machine)
    if nr is None:
        return
    attr = (56).to_bytes(4, "little") + bytes(52)  # struct sched_attr: SCHED_OTHER, nice 0, slice 0
    libc.syscall(nr, 0, ctypes.create_string_buffer(attr, 56), 0)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    default_slice()
    Helper().loop()


if __name__ == "__main__":
    main()
