"""``ckpt_path`` for resuming: ``last``, a run folder or a file, checked against the model before Lightning loads it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from pixelcnn.checkpoints.reader import read_checkpoint
from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.errors import CheckpointError
from pixelcnn.models.legacy import with_net_keys
from pixelcnn.models.pixelcnn import PixelCNNModule

LAST = "last.ckpt"
log = logging.getLogger("pixelcnn")


def resolve_ckpt_path(ckpt_path: str | None, output_dir: Path) -> Path | None:
    """The checkpoint file ``ckpt_path`` names.

    - ``last``: ``checkpoints/last.ckpt`` of this run folder (``output_dir``) and of no other; None (train from
      scratch, with a one-line notice) while it has none yet: a fixed ``hydra.run.dir`` resubmitted with
      ``ckpt_path=last`` (a SLURM requeue) starts fresh the first time and resumes every time after;
    - a run folder: its ``checkpoints/last.ckpt``; a checkpoints folder: its ``last.ckpt``;
    - a file: itself.
    """
    if ckpt_path is None or str(ckpt_path) == "":
        return None
    if str(ckpt_path) == "last":
        own = output_dir / "checkpoints" / LAST
        if own.is_file():
            return own
        log.warning(f"ckpt_path=last: {own} does not exist yet, training from scratch")
        return None
    path = Path(ckpt_path).expanduser()
    if path.is_dir():
        for candidate in (path / "checkpoints" / LAST, path / LAST):
            if candidate.is_file():
                return candidate
        raise CheckpointError(f"ckpt_path={path} is a folder without checkpoints/{LAST}; pass a .ckpt file")
    if not path.is_file():
        raise CheckpointError(f"ckpt_path={path} does not exist; pass a .ckpt file, a run folder or ckpt_path=last")
    return path


def check_resumable(path: Path, model: torch.nn.Module) -> dict[str, Any]:
    """Read ``path`` safely and check it was written by this kind of model, of this shape; return the dict.

    Catches what Lightning would report with a traceback: a corrupt or unsafe file, another model kind, another
    image size or number of levels, other layer sizes.
    """
    checkpoint = read_checkpoint(path)
    kind, expected = checkpoint.get("model_target"), qualified_name(type(model))
    if kind != expected:
        raise CheckpointError(
            f"{path} holds a {kind!r} model but this run builds {expected!r}; pass model=... to match"
        )
    stored = checkpoint.get("hyper_parameters", {})
    for key in ("image_shape", "num_levels"):
        if key in stored and stored[key] != model.hparams.get(key):
            raise CheckpointError(
                f"{path} was trained with {key}={stored[key]} but this run has {key}={model.hparams.get(key)}; "
                "pass the data=... and model=... it was trained with"
            )
    if "optimizer_states" not in checkpoint:
        raise CheckpointError(f"{path} holds weights only (no optimizer state) and cannot resume training")
    own, stored = model.state_dict(), checkpoint["state_dict"]
    if isinstance(model, PixelCNNModule):
        stored = with_net_keys(stored)  # written before the network moved under ``net``: loads the same
    for name, tensor in stored.items():
        if name not in own or own[name].shape != tensor.shape:
            have = tuple(own[name].shape) if name in own else "no such weight"
            raise CheckpointError(
                f"{path} does not fit this model: {name} is {tuple(tensor.shape)} there, {have} here; pass the "
                "model config it was trained with"
            )
    missing = sorted(set(own) - set(stored))
    if missing:
        raise CheckpointError(
            f"{path} lacks weights of this model ({missing[0]}, ...); pass the model config it was trained with"
        )
    return checkpoint


def finished_note(checkpoint: dict[str, Any], max_epochs: int | None, max_steps: int | None) -> str | None:
    """Why ``checkpoint`` needs no more training under these limits (its run reached them), or None."""
    epochs = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_progress", {}).get("current", {})
    done_epochs, step = int(epochs.get("processed", 0)), int(checkpoint.get("global_step", 0))
    if max_epochs is not None and max_epochs >= 0 and done_epochs >= max_epochs:
        return f"it finished {done_epochs} epochs of trainer.max_epochs={max_epochs}"
    if max_steps is not None and max_steps > 0 and step >= max_steps:
        return f"it reached global step {step} of trainer.max_steps={max_steps}"
    return None
