"""A write killed half-way leaves a temporary file next to the checkpoint; the next write into that folder removes
it once its writer is gone, and never touches a live write of another run (same host or another one)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from pixelcnn.checkpoints.atomic import STALE_AFTER_S, host, write_atomically


def gone_pid() -> int:
    """The id of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def age(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def test_a_killed_write_leaves_a_temporary_that_names_its_writer(tmp_path: Path) -> None:
    script = (
        "import os, torch\n"
        "from pathlib import Path\n"
        "import pixelcnn.checkpoints.atomic as atomic\n"
        "def killed(obj, file): file.write(b'half'); file.flush(); os._exit(9)\n"
        "torch.save = killed\n"
        f"atomic.write_atomically({{'w': 1}}, Path({str(tmp_path / 'last.ckpt')!r}))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    killed = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    assert killed.returncode == 9
    (left,) = tmp_path.glob(".last.ckpt~*.tmp")
    assert left.name.startswith(f".last.ckpt~{host()}~")
    write_atomically({"w": 2}, tmp_path / "last.ckpt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]
    assert torch.load(tmp_path / "last.ckpt", weights_only=True) == {"w": 2}


def test_only_temporaries_of_gone_writers_are_removed(tmp_path: Path) -> None:
    mine, other_host = host(), f"{host()}-other"
    keep = [
        f".last.ckpt~{mine}~{os.getppid()}~abc123.tmp",  # a live process of this host: a write under way
        f".epoch_003.ckpt~{other_host}~{gone_pid()}~abc123.tmp",  # another host: its pids mean nothing here
        ".last.ckpt.abcd1234.tmp",  # an earlier version's, recent: may be a live write
        ".notes.tmp",  # not ours
        "last.ckpt.tmp",  # not ours
    ]
    old = [f".epoch_003.ckpt~{other_host}~1~abc123.tmp", ".last.ckpt.abcd1234.tmp"]
    gone = [f".last.ckpt~{mine}~{gone_pid()}~abc123.tmp", f".epoch_007.ckpt~{mine}~{gone_pid()}~x_y9.tmp"]
    for name in keep + gone:
        (tmp_path / name).write_bytes(b"partial")
    stale_dir = tmp_path / "old"
    stale_dir.mkdir()
    for name in old:
        (stale_dir / name).write_bytes(b"partial")
        age(stale_dir / name, STALE_AFTER_S + 60)
    write_atomically({"w": 1}, tmp_path / "last.ckpt")
    write_atomically({"w": 1}, stale_dir / "last.ckpt")
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted([*keep, "last.ckpt"])
    assert sorted(p.name for p in stale_dir.iterdir()) == ["last.ckpt"]
