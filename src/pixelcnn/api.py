"""The public Python surface: ``load_model``."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from pixelcnn.errors import CheckpointError
from pixelcnn.models import MODEL_KINDS, PixelCNNModule


def read_checkpoint(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint dict with ``weights_only=True``; any failure becomes a one-line ``CheckpointError``."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; pass the path of a .ckpt file")
    if path.stat().st_size > 0 and not zipfile.is_zipfile(path):
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated (not a complete zip archive, which torch.save writes); "
            "use another checkpoint, e.g. the run's last.ckpt or best checkpoint"
        )
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"checkpoint {path} holds objects that are not plain weights and was refused ({unsafe_reason(error)}); "
            "only load checkpoints written by this repo"
        ) from error
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as error:
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated ({type(error).__name__}); use another checkpoint, "
            "e.g. the run's last.ckpt or best checkpoint"
        ) from error
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no state_dict)")
    return checkpoint


def unsafe_reason(error: pickle.UnpicklingError) -> str:
    """The line of torch's long weights_only message that names the refused object."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if "Unsupported global" in line]
    reason = (named or lines or [type(error).__name__])[0]
    return reason.removeprefix("WeightsUnpickler error: ").split(" was not an allowed global")[0][:200]


def load_model(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> PixelCNNModule:
    """The LightningModule saved in ``ckpt_path``, in eval mode, of whichever model kind wrote it."""
    return model_from_checkpoint(read_checkpoint(ckpt_path, map_location), ckpt_path, map_location)


def model_from_checkpoint(
    checkpoint: dict[str, Any], ckpt_path: str | Path, map_location: str | torch.device = "cpu"
) -> PixelCNNModule:
    """Rebuild the model of an already-read checkpoint dict (``read_checkpoint``), in eval mode."""
    kind = checkpoint.get("pixelcnn_kind")
    if kind not in MODEL_KINDS:
        raise CheckpointError(
            f"{ckpt_path} was not written by a known PixelCNN model (kind {kind!r}; known: {sorted(MODEL_KINDS)})"
        )
    model = MODEL_KINDS[kind](**checkpoint.get("hyper_parameters", {}))
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(f"{ckpt_path}: weights do not fit a {kind} model ({str(error)[:200]})") from error
    return model.to(map_location).eval()
