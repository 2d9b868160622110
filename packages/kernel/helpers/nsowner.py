#!/usr/bin/env python3
"""Network namespaces OWNED BY THEIR OWN USER NAMESPACE, for nodes that get a student shell.

  nsowner.py add NAME...   create /run/netns/NAME (a netns owned by a new userns) + /run/patchbay/userns/NAME
  nsowner.py del NAME...   remove both pins and free the host uid (a missing NAME is not an error)
  nsowner.py uid NAME      print the host uid that NAME's userns maps inside uid/gid 1000 to

Why: a process holding CAP_NET_ADMIN in the INIT user namespace can reach other network namespaces
through rtnetlink (IFLA_TARGET_NETNSID works on every neighbour a veth leads to, whatever mount or pid
namespaces hide). When the node's netns is owned by a dedicated userns, the student's NET_ADMIN is only
valid there and the kernel answers EPERM everywhere else (research §1.1, §1.5).

Each userns maps exactly one id: inside 1000 -> a host uid/gid unique to the namespace (300000 +
[0, 1_000_000), never overlapping with a real account), so two students never share a host uid.
Inside uid 0 is not mapped at all. The userns also gets user.max_user_namespaces=0, so nothing inside
can create nested user namespaces (unshare -Ur fails with ENOSPC); the host limit is unchanged.

Output: one JSON line per NAME, {"name", "ok", "uid"?, "error"?}; exit status 1 if any failed.
Style as spawner.py: stdlib + ctypes only (Python 3.11 has no os.unshare / os.setns for this).
"""
import ctypes
import json
import os
import re
import select
import signal
import sys

import pin_dirs
from owned_uids import UIDS_DIR, alloc_uid, free_uid, uids_of  # noqa: F401 (uids_of, UIDS_DIR: nsowner's API)

NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{0,80}$")  # same as assertNamespaceName in src/process.ts
NETNS_DIR = "/run/netns"
USERNS_DIR = "/run/patchbay/userns"
INSIDE_ID = 1000

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
MS_BIND, MS_REC, MS_SHARED = 0x1000, 0x4000, 1 << 20
MNT_DETACH = 2

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)


def check(rc: int, what: str) -> None:
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def mount(src, target, flags) -> None:
    check(libc.mount(src and src.encode(), target.encode(), b"none", flags, None), f"mount {target}")


def shared_dir(path: str) -> None:
    """Make `path` a shared mount point, as `ip netns add` does for /run/netns: then a netns pin
    mounted or unmounted here propagates into mount namespaces copied later (`ip netns exec` and our
    sandboxes), and `ip netns del` on another mount ns still detaches it."""
    os.makedirs(path, mode=0o755, exist_ok=True)
    made = False
    while libc.mount(b"", path.encode(), b"none", MS_SHARED | MS_REC, None) != 0:
        e = ctypes.get_errno()
        if e != 22 or made:  # EINVAL: not a mount point yet -> bind it onto itself once, retry
            raise OSError(e, f"make {path} shared: {os.strerror(e)}")
        mount(path, path, MS_BIND | MS_REC)
        made = True


def write_once(path: str, text: str) -> None:
    # uid_map/gid_map accept exactly one write() (a second one, or a split line, is EINVAL).
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


# ---- pins ---------------------------------------------------------------------------------------
def unpin(path: str) -> None:
    """What `ip netns del` does: lazy unmount (the pin may be busy) then unlink."""
    libc.umount2(path.encode(), MNT_DETACH)  # EINVAL (not mounted) / ENOENT are fine
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def create_pin(path: str) -> None:
    # O_EXCL: an existing NAME (or a concurrent add of it) fails here, before anything changed.
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))


SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
SIGCHLD, SIGKILL, PR_SET_PDEATHSIG = 17, 9, 1


def single_threaded() -> bool:
    """Whether this process runs no thread but the calling one (threads here come only from the
    threading module: rtnl_linkdel.py's)."""
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def spawn_child(ready_w: int) -> tuple:
    """A child living in a new user namespace that owns a new network namespace, and whether it
    was made by the raw clone (its namespaces exist on return). With the raw
    clone syscall the kernel makes both namespaces while creating the child (no unshare() in it)
    and the child skips Python's after-fork work: ~1.2 ms of CPU per namespace against ~1.9 ms for
    os.fork() + unshare() (measured on the project's 2-core VM). The child sets the nested-userns
    limit, says so on `ready_w` and waits to be killed once the parent has pinned its namespaces.

    The limit is per user namespace and written by a process living in it: the child holds every
    capability there, and its kernel uid is still 0 (an unmapped id keeps it), which passes the
    DAC check on /proc/sys, so this needs no id map yet and does not race with the parent's.

    The raw clone only while this process has no other thread: the child of a raw clone runs
    Python without the interpreter's after-fork repair, so a lock another thread held at that
    instant (the GIL's mutex, say: the executor's `link del` thread, rtnl_linkdel.py, wakes from
    the kernel's RCU barrier) stays locked in the child forever. It then never says ready and
    the add hung (seen in CI). With a thread alive: os.fork() + unshare() (Python repairs its
    locks after a fork), the parent waiting for the child's word before it writes the id maps;
    slower, so only then."""
    parent = os.getpid()
    if SYS_CLONE is not None and single_threaded():
        pid = libc.syscall(SYS_CLONE, ctypes.c_ulong(CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD), None, None, None, None)
        if pid < 0:
            e = ctypes.get_errno()
            raise OSError(e, f"clone: {os.strerror(e)}")
        cloned = True
    else:
        pid, cloned = os.fork(), False
    if pid != 0:
        return pid, cloned
    status = 1  # pragma: child (from here on)
    try:
        libc.prctl(PR_SET_PDEATHSIG, SIGKILL)  # never outlive the parent (the pins would stay theirs)
        if os.getppid() != parent:
            os._exit(1)
        if not cloned:
            check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNET), "unshare")
        fd = os.open("/proc/sys/user/max_user_namespaces", os.O_WRONLY)
        os.write(fd, b"0\n")
        os.close(fd)
        os.write(ready_w, b"1")
        while True:
            libc.pause()
    except BaseException as e:
        os.write(2, f"nsowner child: {e}\n".encode())
    os._exit(status)


class Pending:
    """One namespace being made: its child, its ready pipe, and how to undo what is done so far."""

    def __init__(self, name: str):
        self.name = name
        self.undo = []  # rollback steps, run in reverse when anything fails: add is all or nothing
        self.child = -1
        self.ready_r = -1
        self.ready = False
        self.uid = -1
        self.error = None

    def fail(self, e: Exception) -> None:
        self.error = e.strerror or str(e) if isinstance(e, OSError) else str(e)
        for step in reversed(self.undo):
            try:
                step()
            except OSError:
                pass

    def result(self) -> dict:
        if self.error is not None:
            return {"name": self.name, "ok": False, "error": self.error}
        return {"name": self.name, "ok": True, "uid": self.uid}


def pin_one(p: Pending) -> None:
    """Pins, a host uid, the child and its id maps, the namespaces bind-mounted: everything but
    waiting for the child, which runs meanwhile (see add_many)."""
    netns, userns = f"{NETNS_DIR}/{p.name}", f"{USERNS_DIR}/{p.name}"
    if os.path.lexists(netns) or os.path.lexists(userns):
        p.error = f"namespace {p.name} already exists"
        return
    ready_w = -1
    try:
        create_pin(netns)
        p.undo.append(lambda: unpin(netns))
        create_pin(userns)
        p.undo.append(lambda: unpin(userns))
        p.uid = alloc_uid(p.name)
        uid = p.uid
        p.undo.append(lambda: free_uid(uid))
        p.ready_r, ready_w = os.pipe()
        p.child, cloned = spawn_child(ready_w)
        os.close(ready_w)
        ready_w = -1
        if not cloned:  # its namespaces exist only once it has unshared: the maps must wait for that
            await_ready(p)
        write_once(f"/proc/{p.child}/uid_map", f"{INSIDE_ID} {uid} 1\n")
        write_once(f"/proc/{p.child}/setgroups", "deny\n")  # an unprivileged gid map needs it; and no setgroups() inside
        write_once(f"/proc/{p.child}/gid_map", f"{INSIDE_ID} {uid} 1\n")
        mount(f"/proc/{p.child}/ns/net", netns, MS_BIND)
        mount(f"/proc/{p.child}/ns/user", userns, MS_BIND)
    except Exception as e:
        p.fail(e)
    finally:
        if ready_w >= 0:
            os.close(ready_w)


# A child takes ~1 ms to say ready; this long only when something is badly wrong.
CHILD_READY_S = 10


def await_ready(p: Pending) -> None:
    """The child's word that its namespaces exist and the nested-userns limit is set (raises)."""
    ready, _, _ = select.select([p.ready_r], [], [], CHILD_READY_S)
    if not ready:  # never block the caller for good on a child that cannot go on
        raise OSError(0, f"the namespace's first process did not start within {CHILD_READY_S} s")
    if os.read(p.ready_r, 1) != b"1":
        raise OSError(0, "could not set max_user_namespaces=0 in the new user namespace")
    p.ready = True


def settle(p: Pending) -> None:
    """Waits for the child's word (unless pin_one had to), then ends it. Nobody waits for it to
    be gone (its namespaces are pinned already): SIGCHLD is ignored (main(), nlexec.py), so the
    kernel reaps it meanwhile."""
    try:
        if p.error is None and not p.ready:
            await_ready(p)
    except OSError as e:
        p.fail(e)
    if p.ready_r >= 0:
        os.close(p.ready_r)
        p.ready_r = -1
    if p.child > 0:
        os.kill(p.child, signal.SIGKILL)


# Children alive at once (one per namespace of a wave): far from any process limit.
WAVE = 100


def add_waves(names) -> list:
    """add() for each name, in waves: the parent clones, maps and pins every namespace of a wave
    before it waits for the first child, so the children's work and exits overlap the parent's
    instead of costing two process switches per namespace in turn (on a busy machine each switch
    waits for a core)."""
    results = []
    for i in range(0, len(names), WAVE):
        wave = [Pending(n) for n in names[i : i + WAVE]]
        for p in wave:
            pin_one(p)
        for p in wave:
            settle(p)
        results += [p.result() for p in wave]
    return results


# From this many names on, add_many gives half of them to a forked worker (another core).
SPLIT_FROM = 32


def add_split(names) -> list:
    """add_waves() for the first half here and the second half in a forked worker at the same
    time: most of the cost is the kernel's work in clone() (a new user and network namespace),
    done on whichever core runs the caller, so two callers use both cores. The worker answers with
    its results as one JSON text on a pipe. If it dies before answering, whatever it made of its
    names is removed again (names that existed before are left alone), and they are reported
    failed: add stays all or nothing per name."""
    half = len(names) // 2
    mine, theirs = names[:half], names[half:]
    existed = {n for n in theirs if os.path.lexists(f"{NETNS_DIR}/{n}") or os.path.lexists(f"{USERNS_DIR}/{n}")}
    r, w = os.pipe()
    worker = os.fork()
    if worker == 0:  # pragma: worker (from here on)
        status = 1
        try:
            os.close(r)
            libc.prctl(PR_SET_PDEATHSIG, SIGKILL)
            out = memoryview(json.dumps(add_waves(theirs)).encode())
            while out:
                out = out[os.write(w, out) :]
            status = 0
        except BaseException as e:
            os.write(2, f"nsowner worker: {e}\n".encode())
        os._exit(status)
    os.close(w)
    try:
        results = add_waves(mine)
    finally:
        with os.fdopen(r, "rb") as f:
            answer = f.read()  # EOF once the worker is gone, whatever way it ended
        try:
            os.waitpid(worker, 0)  # (with SIGCHLD ignored the kernel has reaped it: ECHILD)
        except ChildProcessError:
            pass
    try:
        other = json.loads(answer)
    except ValueError:
        other = None
    if isinstance(other, list) and [o.get("name") for o in other] == theirs:
        return results + other
    made = [n for n in theirs if n not in existed]
    owned = uids_of(made)
    for n in made:
        delete(n, owned.get(n, []))
    why = "the worker creating this namespace ended without an answer"
    return results + [{"name": n, "ok": False, "error": why} for n in theirs]


def add_many(names) -> list:
    """add() for each name (duplicates once): in two processes from SPLIT_FROM names on where
    there are two cores (add_split), else in this one (add_waves)."""
    names = list(dict.fromkeys(names))
    with pin_dirs.creating():
        if len(names) >= SPLIT_FROM and (os.cpu_count() or 1) > 1:
            return add_split(names)
        return add_waves(names)


def add(name: str) -> dict:
    return add_many([name])[0]


def prepare_add() -> None:
    """The directories add() needs (idempotent): /run/netns as `ip netns add` makes it, the userns
    pins and uid files on a tmpfs of their own (pin_dirs.py)."""
    shared_dir(NETNS_DIR)
    pin_dirs.prepare(USERNS_DIR, UIDS_DIR, shared_dir)


def delete(name: str, uids: list) -> dict:
    try:
        unpin(f"{NETNS_DIR}/{name}")
        unpin(f"{USERNS_DIR}/{name}")
        for uid in uids:  # a stale file left by a crashed add is freed too
            free_uid(uid)
        return {"name": name, "ok": True}
    except OSError as e:
        return {"name": name, "ok": False, "error": e.strerror or str(e)}


def main(argv) -> int:
    if len(argv) < 2 or argv[0] not in ("add", "del", "uid") or (argv[0] == "uid" and len(argv) != 2):
        sys.stderr.write("usage: nsowner.py add|del NAME... | nsowner.py uid NAME\n")
        return 2
    cmd, names = argv[0], argv[1:]
    bad = [n for n in names if not NAME_RE.match(n)]
    if bad:  # refuse the whole call: nothing is done with a name we would not accept
        for n in bad:
            print(json.dumps({"name": n, "ok": False, "error": "invalid namespace name"}))
        return 2
    if cmd == "uid":
        uids = uids_of(names).get(names[0], [])
        if not uids:
            sys.stderr.write(f"nsowner: no uid allocated for {names[0]}\n")
            return 1
        print(min(uids))
        return 0
    os.umask(0o022)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel (settle())
    failed = False
    if cmd == "add":
        prepare_add()
        results = add_many(names)
    else:
        owned = uids_of(names)
        results = (delete(n, owned.get(n, [])) for n in dict.fromkeys(names))
    for r in results:
        failed |= not r["ok"]
        print(json.dumps(r), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
