"""Scenarios for owned-pins.kernel.test.ts, each run in a private mount namespace (the caller starts
this under `unshare -m --propagation slave`) where fresh, empty directories are bound over
/run/patchbay/userns and /run/patchbay/uids, as on a freshly booted machine: whatever this mounts
(the tmpfs, the pins) exists in that mount namespace only and vanishes with it. The only things it
makes that others could see are the /run/netns pin FILES (files are not mounts): removed at the end.

  owned_pins_check.py SCENARIO HELPERS_DIR PREFIX  -> one JSON object on stdout
"""
import json
import shutil
import os
import signal
import subprocess
import sys
import tempfile

scenario, helpers, prefix = sys.argv[1:4]
sys.path.insert(0, helpers)
import nsowner  # noqa: E402
import pin_dirs  # noqa: E402

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # as nsowner.py's main()


sources = []  # the directories bound over the real ones: removed at the end


def fresh_dirs(keep_in_userns: str = "") -> None:
    for d in (nsowner.USERNS_DIR, nsowner.UIDS_DIR):
        src = tempfile.mkdtemp(prefix=f"{prefix}dir-")
        sources.append(src)
        if keep_in_userns and d == nsowner.USERNS_DIR:
            open(f"{src}/{keep_in_userns}", "w").close()
        subprocess.run(["mount", "--bind", src, d], check=True)


def state(names) -> dict:
    uid_files = {}
    for e in os.listdir(nsowner.UIDS_DIR):
        with open(f"{nsowner.UIDS_DIR}/{e}") as f:
            owner = f.read()
        if owner in names:
            uid_files[owner] = int(e)
    return {
        "netnsPins": sorted(n for n in names if os.path.lexists(f"{nsowner.NETNS_DIR}/{n}")),
        "usernsPins": sorted(n for n in names if os.path.lexists(f"{nsowner.USERNS_DIR}/{n}")),
        "uidFiles": uid_files,
    }


def uid_map(name: str) -> str:
    """The id map of the user namespace behind the pin, read from inside it as inside uid 1000."""
    r = subprocess.run(
        ["nsenter", f"--user={nsowner.USERNS_DIR}/{name}", f"--net={nsowner.NETNS_DIR}/{name}",
         "--setuid", "1000", "--setgid", "1000", "cat", "/proc/self/uid_map"],
        capture_output=True, text=True)
    return " ".join(r.stdout.split()) if r.returncode == 0 else f"error: {r.stderr.strip()}"


def delete_all(names) -> None:
    owned = nsowner.uids_of(names)
    for n in names:
        nsowner.delete(n, owned.get(n, []))


names = [f"{prefix}{i:02d}" for i in range(40)]
out: dict = {}
try:
    if scenario == "fresh":
        fresh_dirs()
        nsowner.prepare_add()
        out["tmpfs"] = [pin_dirs.on_tmpfs(d) for d in (nsowner.USERNS_DIR, nsowner.UIDS_DIR)]
        results = nsowner.add_many(names)
        out["ok"] = sum(1 for r in results if r["ok"])
        out["resultNames"] = [r["name"] for r in results]
        out["uids"] = {r["name"]: r.get("uid") for r in results}
        out["maps"] = {n: uid_map(n) for n in (names[0], names[-1])}
        out["made"] = state(names)
        delete_all(names)
        out["after"] = state(names)
    elif scenario == "in-use":
        fresh_dirs(keep_in_userns=f"{prefix}keep")
        nsowner.prepare_add()
        out["tmpfs"] = [pin_dirs.on_tmpfs(d) for d in (nsowner.USERNS_DIR, nsowner.UIDS_DIR)]
        out["kept"] = os.path.exists(f"{nsowner.USERNS_DIR}/{prefix}keep")
        results = nsowner.add_many(names[:2])
        out["ok"] = sum(1 for r in results if r["ok"])
        out["maps"] = {n: uid_map(n) for n in names[:2]}
        delete_all(names[:2])
        out["after"] = state(names[:2])
    elif scenario == "executor-later":
        # A long-lived executor (nlexec.py) started while the userns directory was in use moves
        # to the tmpfs at its first owned add after the directory became empty.
        import nlexec  # noqa: E402

        fresh_dirs(keep_in_userns=f"{prefix}keep")
        helper = nlexec.Helper()
        first = helper.netns_add(names[:2], owned=True)
        out["before"] = pin_dirs.on_tmpfs(nsowner.USERNS_DIR)
        delete_all(names[:2])
        os.unlink(f"{nsowner.USERNS_DIR}/{prefix}keep")
        second = helper.netns_add(names[2:4], owned=True)
        out["after_empty"] = pin_dirs.on_tmpfs(nsowner.USERNS_DIR)
        out["ok"] = sum(1 for r in first + second if r["ok"])
        out["maps"] = {n: uid_map(n) for n in names[2:4]}
        delete_all(names[2:4])
        out["after"] = state(names[:4])
    elif scenario == "worker-dies":
        fresh_dirs()
        nsowner.prepare_add()
        existing = names[-1]  # a namespace the worker's half names, made before: must be left alone
        nsowner.create_pin(f"{nsowner.NETNS_DIR}/{existing}")
        parent, waves = os.getpid(), nsowner.add_waves

        def dying_waves(batch):
            if os.getpid() != parent:  # the worker: makes three namespaces, then dies unannounced
                waves(batch[:3])
                os._exit(9)
            return waves(batch)

        nsowner.add_waves = dying_waves
        results = nsowner.add_many(names)
        out["results"] = {r["name"]: r.get("error", "ok") for r in results}
        out["made"] = state(names)
        nsowner.unpin(f"{nsowner.NETNS_DIR}/{existing}")
        delete_all(names)
        out["after"] = state(names)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
finally:
    for n in names:  # even when failing: no pin file of ours stays in the shared /run/netns
        nsowner.unpin(f"{nsowner.NETNS_DIR}/{n}")
    if sources:  # the tmpfs and the binds first (a bound source directory cannot be removed)
        for d in (nsowner.USERNS_DIR, nsowner.UIDS_DIR):
            subprocess.run(["umount", "-R", d], check=False)
    for src in sources:
        shutil.rmtree(src, ignore_errors=True)
print(json.dumps(out))
