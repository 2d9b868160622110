#!/usr/bin/env python3
"""A long-lived rtnetlink executor: carries out a plan's namespace creation and configure batches
in this one process, instead of one `ip` (or `nsowner.py`) process per namespace.

It speaks the spawner's protocol (spawner.py: JSON lines, {"ready": true, ...} first, then one
answer {"id", "code", "stdout", "stderr"} per request, and "json" for read and configure: their
answer as a JSON value, not a string), so src/spawner.ts's Spawner runs it; a
request's "argv" is a command of this helper, not a program:

  ["configure"] / ["configure", "--read"], ns NAME, input: the `ip -batch` text of one namespace
      -> stdout {"done": N} or {"done": N, "failed": {"line": K, "error": TEXT}} (stopped at line K,
         1-based, like `ip -batch` without -force), plus "read": the READ_COMMANDS values
         (rtnl_read.py) when asked and every line succeeded; or {"unsupported": WHY} when any line is
         one rtnl_ops.py does not carry out: then NOTHING was done, and the caller runs `ip`.
  ["read"], ns NAME -> stdout {"read": [...]} (the same values, nothing changed)
  ["version"] -> stdout "1\n" (starts the helper, changes nothing)
  ["netns-add", NAME...] / ["netns-add", "--owned", NAME...]
      -> stdout: one JSON line per NAME, {"name", "ok", "uid"?, "error"?}, as nsowner.py prints:
         plain namespaces as `ip netns add` makes them, owned ones as nsowner.py's `add`.
  ["netns-del", "--owned", NAME...] -> the same lines, as nsowner.py's `del` (pins and uids; the
         caller has killed the processes inside).

Requests are handled one at a time, in order (each takes well under a millisecond per line). To
work in a namespace the helper setns()es itself there and straight back, as spawner.py does around
a spawn (single-threaded, so nothing else runs in the meantime; if it cannot get back, it exits).
The one exception is `link del` (rtnl_linkdel.py): a short-lived thread waits out the kernel's RCU
barrier on a socket made in the namespace, after the request has been answered; it never setns()es.
"""
import ctypes
import json
import os
import re
import signal
import sys

import nsowner
import rtnl
import rtnl_ops
import rtnl_read
import spawner

VERSION = 1
NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{0,80}$")  # as assertNamespaceName in src/process.ts
CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
COMMANDS = ("configure", "read", "netns-add", "netns-del", "version")

libc = ctypes.CDLL(None, use_errno=True)


class Refused(Exception):
    pass


class Helper:
    def __init__(self) -> None:
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
        self.prepared = False

    # ---- namespaces ------------------------------------------------------------------------------
    def enter(self, ns: str) -> None:
        path = f"/run/netns/{ns}"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as e:
            raise OSError(e.errno, f"cannot open {path}: {os.strerror(e.errno)}") from None
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"reassociate to namespace {path} failed: {os.strerror(err)}")
        finally:
            os.close(fd)

    def leave(self) -> None:
        if libc.setns(self.home, CLONE_NEWNET) != 0:
            # Never go on in a foreign namespace: the next request would change the wrong one.
            os.write(2, b"nlexec: cannot return to the home network namespace\n")
            os._exit(70)

    def in_namespace(self, ns: str, work):
        self.enter(ns)
        try:
            with rtnl.Rtnl() as nl:
                return work(nl)
        finally:
            self.leave()

    # ---- commands --------------------------------------------------------------------------------
    def configure(self, ns: str, text: str, read: bool) -> str:
        """The answer's stdout: compact JSON text."""
        lines = [l for l in text.split("\n") if l.strip()]
        try:
            steps = [rtnl_ops.parse(l) for l in lines]
        except rtnl_ops.Unsupported as e:
            return json.dumps({"unsupported": str(e)})

        def work(nl):
            done, failed = rtnl_ops.run_lines(nl, steps)
            out: dict = {"done": done}
            if failed:
                out["failed"] = {"line": failed[0], "error": failed[1]}
            elif read:  # the read's JSON text as it is (re-encoding a big namespace's read costs)
                return f'{{"done":{done},"read":{rtnl_read.read_namespace_text(nl)}}}'
            return json.dumps(out, separators=(",", ":"))

        return self.in_namespace(ns, work)

    def netns_add(self, names: list, owned: bool) -> list:
        # Owned adds prepare every time: a pin directory that was in use when this long-lived
        # helper started gets its tmpfs once it is empty (pin_dirs.py; two statfs() when it has it).
        if owned or not self.prepared:
            nsowner.prepare_add()
            self.prepared = True
        if owned:
            return nsowner.add_many(names)
        return [self.add_plain(n) for n in dict.fromkeys(names)]

    def add_plain(self, name: str) -> dict:
        """What `ip netns add NAME` does: a pin file, a new netns, the pin bind-mounted on it."""
        path = f"{nsowner.NETNS_DIR}/{name}"
        try:
            nsowner.create_pin(path)
        except OSError as e:
            return {"name": name, "ok": False,
                    "error": f'Cannot create namespace file "{path}": {os.strerror(e.errno or 0)}'}
        try:
            if libc.unshare(CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"Failed to create a new network namespace \"{name}\": {os.strerror(err)}")
            try:
                nsowner.mount("/proc/self/ns/net", path, MS_BIND)
            finally:
                self.leave()
            return {"name": name, "ok": True}
        except OSError as e:
            nsowner.unpin(path)
            return {"name": name, "ok": False, "error": e.strerror or str(e)}

    def handle(self, req: dict) -> dict:
        argv, ns = req.get("argv"), req.get("ns")
        if not isinstance(argv, list) or not argv or argv[0] not in COMMANDS:
            raise Refused(f"command not allowed: {json.dumps(argv)} (allowed: {', '.join(COMMANDS)})")
        if not all(isinstance(a, str) for a in argv):
            raise Refused("argv must be strings")
        cmd = argv[0]
        if cmd == "version":
            return {"code": 0, "stdout": f"{VERSION}\n"}
        if cmd == "netns-add":
            owned = argv[1:2] == ["--owned"]
            names = argv[2:] if owned else argv[1:]
            if not names or not all(NAME_RE.match(n) for n in names):
                raise Refused("netns-add needs valid namespace names")
            results = self.netns_add(names, owned)
            ok = all(r["ok"] for r in results)
            return {"code": 0 if ok else 1, "stdout": "".join(json.dumps(r) + "\n" for r in results)}
        if cmd == "netns-del":
            names = argv[2:]
            if argv[1:2] != ["--owned"] or not names or not all(NAME_RE.match(n) for n in names):
                raise Refused("netns-del needs --owned and valid namespace names")
            uids = nsowner.uids_of(names)
            results = [nsowner.delete(n, uids.get(n, [])) for n in dict.fromkeys(names)]
            ok = all(r["ok"] for r in results)
            return {"code": 0 if ok else 1, "stdout": "".join(json.dumps(r) + "\n" for r in results)}
        if not isinstance(ns, str) or not NAME_RE.match(ns):
            raise Refused(f"invalid namespace name {json.dumps(ns)}")
        if cmd == "read":
            out = f'{{"read":{self.in_namespace(ns, rtnl_read.read_namespace_text)}}}'
        else:
            text = req.get("input") or ""
            out = self.configure(ns, text, argv[1:] == ["--read"])
        # JSON text, sent as it is (`json`), not as a string in `stdout`: escaping a 200-port
        # host's read (138 kB) here and parsing it twice in Node took longer than reading it.
        return {"code": 0, "stdout": "", RAW_JSON: out}

    def loop(self) -> None:
        send({"ready": True, "version": VERSION, "pid": os.getpid(), "allowed": list(COMMANDS)})
        for line in sys.stdin.buffer:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
            except ValueError as e:
                send({"id": None, "error": "refused", "message": f"invalid JSON request: {e}"})
                continue
            rid = req.get("id") if isinstance(req, dict) else None
            if not isinstance(rid, int):
                send({"id": None, "error": "refused", "message": "request without an integer id"})
                continue
            try:
                answer = {"stderr": "", **self.handle(req)}
            except Refused as e:
                answer = {"code": 127, "stdout": "", "stderr": "", "error": "refused", "message": str(e)}
            except OSError as e:
                answer = {"code": 1, "stdout": "", "stderr": f"nlexec: {e.strerror or e}\n"}
            send({"id": rid, **answer})


RAW_JSON = "json"


def send(obj) -> None:
    raw = obj.pop(RAW_JSON, None)
    line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if raw is not None:  # already JSON text (built by this helper from kernel data): appended as is
        line = f'{line[:-1]},"{RAW_JSON}":{raw}}}'
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def widen_stdout_pipe() -> None:
    """A 200-port host's read is ~140 kB: through a 64 kB pipe the answer went out in three
    pieces, each waiting for Node to wake up and read the last (~2 ms). 1 MiB (the default
    pipe-max-size) holds it whole. Not a pipe, or not allowed: left as it is."""
    try:
        import fcntl

        fcntl.fcntl(sys.stdout.fileno(), 1031, 1 << 20)  # F_SETPIPE_SZ
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    widen_stdout_pipe()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # nsowner's children are reaped by the kernel
    spawner.default_slice()  # batch work, like the spawner's commands (a server's short slice is not for it)
    Helper().loop()
