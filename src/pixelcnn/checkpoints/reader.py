"""Reading checkpoints safely: ``weights_only`` unpickling, one-line errors, and modules rebuilt only from the
allow-list (``pixelcnn.checkpoints.registry``)."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from pixelcnn.checkpoints.registry import allowed_class, check_targets
from pixelcnn.errors import CheckpointError, InputError


def read_checkpoint(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint dict with ``weights_only=True``; any failure becomes a one-line ``CheckpointError``.

    Every member of the zip archive is checked against the CRC-32 that ``torch.save`` wrote for it first (torch's
    reader does not check them), so a changed byte anywhere (a weight, the pickle) is refused, not loaded.
    """
    path = Path(ckpt_path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; pass the path of a .ckpt file")
    check_device(map_location)
    if path.stat().st_size > 0:
        check_integrity(path)
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


def check_integrity(path: Path) -> None:
    """Refuse ``path`` unless it is a complete zip archive whose every member matches its stored CRC-32."""
    advice = "use another checkpoint, e.g. the run's last.ckpt or best checkpoint"
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated (not a complete zip archive, which torch.save writes: "
            f"{type(error).__name__}); {advice}"
        ) from error
    if bad is not None:
        raise CheckpointError(f"checkpoint {path} is corrupt: {bad} fails its CRC-32 check (changed bytes); {advice}")


def check_device(map_location: Any) -> None:
    """A one-line ``InputError`` for a device this machine does not have (not a misleading "corrupt" later)."""
    if not isinstance(map_location, str | torch.device):
        return  # a dict or a function: torch.load's own business
    try:
        device = torch.device(map_location)
    except RuntimeError as error:
        raise InputError(f"map_location={map_location!r} is not a device; pass e.g. 'cpu' or 'cuda'") from error
    count = {"cuda": torch.cuda.device_count() if torch.cuda.is_available() else 0}.get(device.type)
    if device.type == "mps" and not torch.backends.mps.is_available():
        count = 0
    if count == 0 or (count is not None and device.index is not None and device.index >= count):
        raise InputError(
            f"map_location={map_location!r}: this machine has {count or 'no'} {device.type} device(s); "
            "pass map_location='cpu' (the checkpoint itself was not read)"
        )


def unsafe_reason(error: pickle.UnpicklingError) -> str:
    """The line of torch's long weights_only message that names the refused object."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if "Unsupported global" in line]
    reason = (named or lines or [type(error).__name__])[0]
    return reason.removeprefix("WeightsUnpickler error: ").split(" was not an allowed global")[0][:200]


def module_from_checkpoint(
    checkpoint: dict[str, Any], ckpt_path: str | Path, map_location: str | torch.device = "cpu"
) -> torch.nn.Module:
    """Rebuild the module of an already-read checkpoint dict: the class stored as ``model_target`` (allow-listed)
    called with the stored ``hyper_parameters`` (every ``_target_`` in them allow-listed), then its weights; eval mode.

    With weight averaging on, the stored ``state_dict`` holds the averaged weights (Lightning's callback puts the
    raw ones under ``current_model_state``), so the rebuilt module computes with the average.
    """
    where = str(ckpt_path)
    target = checkpoint.get("model_target")
    if not target:
        raise CheckpointError(
            f"{where} names no model class (no model_target): it was not written by this version of the repo; "
            "retrain with it, or load the weights by hand"
        )
    cls = allowed_class(target, "model_target", where)
    hparams = checkpoint.get("hyper_parameters", {})
    check_targets(hparams, where, "hyper_parameters")
    try:
        model = cls(**hparams)
    except TypeError as error:
        raise CheckpointError(f"{where}: its hyper-parameters do not fit {target} ({error})") from error
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(f"{where}: weights do not fit a {target} ({str(error)[:200]})") from error
    return model.to(map_location).eval()
