#!/usr/bin/env python3
"""The watchers of `why`'s probe, started from one small process instead of two Node forks per
namespace (forking Node costs milliseconds each, hundreds on a loaded machine for a long path).

argv: SECONDS CAPTURE-FILTER NAMESPACE...
For each named network namespace, in order: enter it (setns), start `nft monitor` and
`tcpdump -i any … -- CAPTURE-FILTER` there. Every line either prints is written to stdout as
`INDEX KIND STREAM TEXT` (INDEX: the namespace's position, KIND: trace | capture, STREAM: stdout |
stderr). A namespace that cannot be entered gets one `INDEX error stderr MESSAGE` line.
Ends when every child has ended; on SIGTERM or after SECONDS it terminates the
children (SIGKILL 300 ms later), still relaying what they print until their pipes close. A child
dies with this helper (PR_SET_PDEATHSIG), so nothing outlives it.
"""
import ctypes
import os
import re
import selectors
import signal
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{0,80}$")
ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
libc = ctypes.CDLL(None, use_errno=True)

seconds = float(sys.argv[1])
capture_filter = sys.argv[2]
names = sys.argv[3:]
children = []
ending_since = None


def say(index, kind, stream, text):
    sys.stdout.write(f"{index} {kind} {stream} {text}\n")
    sys.stdout.flush()


def end(*_):
    """Asks every child to end (once); the loop below relays their last lines."""
    global ending_since
    if ending_since is not None:
        return
    ending_since = time.monotonic()
    for p in children:
        if p.poll() is None:
            p.terminate()


def die_with_parent():
    # PR_SET_PDEATHSIG, SIGKILL: a child never outlives this helper, even one killed with SIGKILL.
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)


signal.signal(signal.SIGTERM, end)
signal.signal(signal.SIGALRM, end)
signal.setitimer(signal.ITIMER_REAL, seconds)

sel = selectors.DefaultSelector()
for index, name in enumerate(names):
    if not NAME_RE.match(name):
        say(index, "error", "stderr", f"not a namespace name: {name!r}")
        continue
    try:
        fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    except OSError as e:
        say(index, "error", "stderr", f"cannot open namespace {name}: {e.strerror}")
        continue
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            say(index, "error", "stderr", f"cannot enter namespace {name}: {os.strerror(ctypes.get_errno())}")
            continue
    finally:
        os.close(fd)
    tcpdump = ["tcpdump", "-i", "any", "-nn", "-l", "-tt", "--time-stamp-precision=nano", "--immediate-mode",
               "-c", "64", "--", capture_filter]
    for kind, argv in (("trace", ["nft", "monitor"]), ("capture", tcpdump)):
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=ENV, close_fds=True, preexec_fn=die_with_parent)
        except OSError as e:
            say(index, "error", "stderr", f"cannot run {argv[0]}: {e.strerror}")
            continue
        children.append(p)
        for stream, f in (("stdout", p.stdout), ("stderr", p.stderr)):
            os.set_blocking(f.fileno(), False)
            sel.register(f, selectors.EVENT_READ, [index, kind, stream, b""])

open_pipes = 2 * len(children)
while open_pipes > 0:
    if ending_since is not None and time.monotonic() - ending_since > 0.3:
        for p in children:
            if p.poll() is None:
                p.kill()
    for key, _ in sel.select(timeout=0.1):
        index, kind, stream, rest = key.data
        chunk = os.read(key.fd, 65536)
        if not chunk:
            sel.unregister(key.fileobj)
            open_pipes -= 1
            if rest:
                say(index, kind, stream, rest.decode("utf-8", "replace"))
            continue
        *lines, key.data[3] = (rest + chunk).split(b"\n")
        for line in lines:
            say(index, kind, stream, line.decode("utf-8", "replace"))
for p in children:
    p.wait()
