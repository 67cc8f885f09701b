"""Which checkpoint a notebook or script reads: the one it is given, else the newest training run's ``last.ckpt``
(by modification time, so ``runs/mine`` or any other hand-named folder competes on when it was written, not on its
name)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pixelcnn.errors import CheckpointError

# the last.ckpt of single runs and of every job of a multirun, under outputs/train
PATTERNS = ("runs/*/checkpoints/last.ckpt", "multiruns/*/*/checkpoints/last.ckpt")


def newest_checkpoint(root: str | Path = "outputs/train") -> Path:
    """The most recently written ``last.ckpt`` under ``root`` (``PATTERNS``); ties go to the later path."""
    root = Path(root)
    found = [path for pattern in PATTERNS for path in root.glob(pattern) if path.is_file()]
    if not found:
        raise CheckpointError(
            f"no checkpoint under {root.resolve()} (runs/*/checkpoints/last.ckpt): train one with "
            "`python train.py` or name one (PIXELCNN_CKPT=/path/to/last.ckpt)"
        )
    return max(found, key=lambda path: (path.stat().st_mtime_ns, str(path)))


def choose_checkpoint(
    given: str | Path | None, root: str | Path = "outputs/train", source: str = "PIXELCNN_CKPT"
) -> Path:
    """``given`` when set (``source`` says where it came from, e.g. "PIXELCNN_CKPT"), else ``newest_checkpoint``;
    prints which one is used and why."""
    if given:
        path, why = Path(given), f"from {source}"
        if not path.is_file():
            raise CheckpointError(f"{source}={given}: no such checkpoint file")
    else:
        path = newest_checkpoint(root)
        written = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
        why = f"the newest under {root}, written {written}; set {source} to choose another"
    print(f"checkpoint: {path} ({why})")
    return path
