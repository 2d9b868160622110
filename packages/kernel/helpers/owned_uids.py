"""Host uids for owned namespaces (nsowner.py): each user namespace maps inside id 1000 to a host
uid of its own, in [UID_BASE, UID_BASE + UID_COUNT), never a real account's. The uid file
/run/patchbay/uids/UID, holding the namespace's name, is the allocation and its lock
(O_CREAT|O_EXCL is atomic; no lock files)."""
import os
import time
import zlib

UIDS_DIR = "/run/patchbay/uids"
UID_BASE, UID_COUNT = 300_000, 1_000_000


def uid_start(name: str) -> int:
    return zlib.crc32(name.encode()) % UID_COUNT  # stable across runs, spreads names over the range


def alloc_uid(name: str) -> int:
    start = uid_start(name)
    for i in range(UID_COUNT):
        uid = UID_BASE + (start + i) % UID_COUNT
        try:
            fd = os.open(f"{UIDS_DIR}/{uid}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as f:
            f.write(name)
        return uid
    raise OSError(28, "no free host uid")


# A uid file is created empty (O_EXCL) and its name written at once; one still empty after this
# long was left by an add killed in between (SIGKILL mid-apply): nothing names it, nothing would
# ever free it. The scan frees it.
ORPHAN_AFTER_S = 10


def uids_of(names) -> dict:
    """name -> [uid, ...] from the uid files. One directory scan per call: a probe from the hash
    start could not stop at a hole (frees leave holes), and a scan of a few thousand tiny files is cheap.
    Frees the orphans it meets (ORPHAN_AFTER_S)."""
    wanted, found = set(names), {}
    try:
        entries = os.listdir(UIDS_DIR)
    except FileNotFoundError:
        return found
    now = time.time()
    for entry in entries:
        path = f"{UIDS_DIR}/{entry}"
        try:
            with open(path) as f:
                owner = f.read()
            if owner == "" and entry.isdigit() and now - os.stat(path).st_mtime > ORPHAN_AFTER_S:
                free_uid(int(entry))
                continue
        except OSError:
            continue  # freed meanwhile
        if owner in wanted and entry.isdigit():
            found.setdefault(owner, []).append(int(entry))
    return found


def free_uid(uid: int) -> None:
    try:
        os.unlink(f"{UIDS_DIR}/{uid}")
    except FileNotFoundError:
        pass
