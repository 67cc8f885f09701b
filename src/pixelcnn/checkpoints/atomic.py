"""Replace a file all at once: readers see the old complete file or the new complete one, never a partial one."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

# ".last.ckpt~host~1234~k2j4x9.tmp": the file it becomes, the writer's host and process id, mkstemp's random part
TEMPORARY = re.compile(r"^\.(?P<name>.+)~(?P<host>[A-Za-z0-9-]+)~(?P<pid>\d+)~[A-Za-z0-9_]+\.tmp$")
# ".last.ckpt.k2j4x9ab.tmp": what earlier versions wrote, with no writer named (stale only by age)
UNNAMED_WRITER = re.compile(r"^\..+\.ckpt\.[a-z0-9_]{8}\.tmp$")
# a temporary file of another host (or an unparsable writer) is stale only after this long: no write takes a day
STALE_AFTER_S = 24 * 3600


def host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def write_atomically(obj: Any, path: Path) -> None:
    """``torch.save(obj, path)`` so that ``path`` is always either absent, the old file or the complete new one.

    First removes the stale temporary files of killed writes in that folder (``remove_stale_temporaries``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent)
    prefix = f".{path.name}~{host()}~{os.getpid()}~"
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp_name, 0o666 & ~current_umask())  # mkstemp makes it owner-only; match a plain open()
        with os.fdopen(fd, "wb") as file:
            torch.save(obj, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp_name)
        raise
    fsync_directory(path.parent)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files a killed write left in ``folder``; return them.

    Only files named as ``write_atomically`` names them, and only when their writer is surely gone: a process of
    this host that no longer exists, or (another host sharing the folder, whose processes cannot be seen from here,
    or an earlier version's file that names no writer) a file untouched for ``STALE_AFTER_S``. A live write of
    another run into the same folder is never touched.
    """
    removed = []
    for path in folder.glob(".*.tmp"):
        match = TEMPORARY.match(path.name)
        if match is not None and match["host"] == host():
            stale = not process_exists(int(match["pid"]))
        elif match is not None or UNNAMED_WRITER.match(path.name):
            stale = age_s(path) > STALE_AFTER_S
        else:
            continue
        if stale:
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def age_s(path: Path) -> float:
    """Seconds since ``path`` was last written (0 when it vanished meanwhile)."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def process_exists(pid: int) -> bool:
    """True when a process ``pid`` runs on this host (also one of another user: signal 0 checks, sends nothing)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but not ours, or not a pid this OS knows: leave its file alone
    return True


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_directory(folder: Path) -> None:
    """Persist the rename itself (POSIX); a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
