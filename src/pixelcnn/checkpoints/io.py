"""Checkpoint writes that a kill can never turn into a corrupt file in place of a good one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytorch_lightning.plugins import TorchCheckpointIO

from pixelcnn.checkpoints.atomic import write_atomically


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes ``path`` through a temporary file in the same folder: torch.save, flush, fsync, ``os.replace``.

    ``os.replace`` swaps the directory entry in one step, so a reader (or a resumed run) sees either the old
    complete checkpoint or the new complete one, never a half-written file. A failed write removes its temporary
    file; a killed one leaves a ``.<name>~<host>~<pid>~*.tmp`` file next to the checkpoint, which the next write
    into that folder removes once its writer is gone. Remote paths (``s3://`` ...) go through Lightning's own writer.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        if "://" in str(path) or storage_options is not None:
            return super().save_checkpoint(checkpoint, path, storage_options)
        write_atomically(checkpoint, Path(path))
