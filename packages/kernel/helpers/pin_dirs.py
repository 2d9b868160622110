"""The bookkeeping directories of owned namespaces (nsowner.py: the userns pins, the uid files) on a
tmpfs of their own.

Why: every owned namespace is one file in each, next to its /run/netns pin. Where /run is a disk
file system (ext4 on the project's VM; Debian with systemd mounts /run as a tmpfs already) creating
a file is a journalled inode allocation: 0.13-0.5 ms each, against ~6 us on a tmpfs, which was about
40 % of the time to make an owned namespace (docs/benchmarks.md). /run/netns stays as `ip netns add`
makes it: other tools create pins there too.

A tmpfs is only ever mounted over an EMPTY directory, so no pin or uid file of a running lab gets
hidden (its sandbox opens the pin by path, delete unlinks it by path). Creators hold a shared flock
on LOCK while they create (creating()); prepare() checks and mounts holding it exclusively, so
nothing is created in a directory between its check and the mount. A directory found in use stays
as it is (correct, only slower) until a later prepare() finds it empty; a reboot empties /run.
Nothing unmounts the tmpfs: an empty one costs nothing.

Style as nsowner.py: stdlib + ctypes only.
"""
import contextlib
import ctypes
import fcntl
import os

LOCK = "/run/patchbay/.owned-pins.lock"
TMPFS_MAGIC = 0x01021994
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
# Empty pins take no page; a uid file (its namespace's name) takes one: room for 16,384 of them.
TMPFS_OPTIONS = b"mode=0700,size=64m"

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p)
libc.statfs.argtypes = (ctypes.c_char_p, ctypes.c_void_p)


def fs_magic(path: str) -> int:
    """statfs(2)'s f_type: the first field of struct statfs (a long on every Linux ABI)."""
    buf = ctypes.create_string_buffer(256)
    if libc.statfs(path.encode(), buf) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"statfs {path}: {os.strerror(e)}")
    return ctypes.c_long.from_buffer(buf).value & 0xFFFFFFFF


def on_tmpfs(path: str) -> bool:
    return fs_magic(path) == TMPFS_MAGIC


def to_tmpfs(path: str) -> bool:
    """Mounts a private-to-root tmpfs over `path` if it is empty and not on a tmpfs yet (call with
    LOCK held exclusively). Whether `path` is on a tmpfs afterwards."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    if on_tmpfs(path):
        return True
    if os.listdir(path):
        return False  # in use by running labs: never hide their pins
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    if libc.mount(b"tmpfs", path.encode(), b"tmpfs", flags, TMPFS_OPTIONS) != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"mount tmpfs on {path}: {os.strerror(e)}")
    return True


def open_lock() -> int:
    os.makedirs(os.path.dirname(LOCK), mode=0o755, exist_ok=True)
    return os.open(LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def prepare(userns_dir: str, uids_dir: str, shared_dir) -> None:
    """Both directories on a tmpfs where possible (idempotent), then the userns one shared (as
    nsowner.shared_dir) and root's only."""
    fd = open_lock()
    try:
        dirs = (userns_dir, uids_dir)
        if not all(os.path.isdir(d) and on_tmpfs(d) for d in dirs):
            fcntl.flock(fd, fcntl.LOCK_EX)
            for d in dirs:
                to_tmpfs(d)
    finally:
        os.close(fd)
    shared_dir(userns_dir)
    os.chmod(userns_dir, 0o700)  # only the backend needs the userns pins
    os.chmod(uids_dir, 0o700)


@contextlib.contextmanager
def creating():
    """Held while pins and uid files are created: prepare() never mounts over a directory meanwhile."""
    fd = open_lock()
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
