"""Reading checkpoints safely: ``weights_only`` unpickling, one-line errors, and modules rebuilt only from the
allow-list (``pixelcnn.checkpoints.registry``)."""

from __future__ import annotations

import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch
from hydra.errors import InstantiationException

from pixelcnn.checkpoints.registry import allowed_class, check_stored_config, instantiate_checked
from pixelcnn.checkpoints.stored import check_finite, check_no_interpolation, printable, rebuilding_from_checkpoint
from pixelcnn.errors import CheckpointError, InputError

# keys of a stored data config that name folders or files: they must exist here (nothing is created from them)
PATH_KEYS = ("data_dir", "cache_dir", "path")


def read_checkpoint(ckpt_path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint dict with ``weights_only=True``; any failure becomes a one-line ``CheckpointError``.

    Refused, each with one line: a pickle holding anything but plain data and tensors, a string with ``${`` anywhere
    in it (an OmegaConf interpolation or resolver, see ``checkpoints.stored``), NaN or infinite weights. Every member
    of the zip archive is checked against the CRC-32 that ``torch.save`` wrote for it first (torch's reader does not
    check them), so a changed byte anywhere (a weight, the pickle) is refused, not loaded. The ``_target_``s are
    checked by whoever builds from a part: ``module_from_checkpoint`` and ``datamodule_from_checkpoint``.
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
            f"checkpoint {path} holds objects that are not plain weights and was refused "
            f"({unsafe_reason(error, path)}); only load checkpoints written by this repo"
        ) from error
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as error:
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated ({type(error).__name__}); use another checkpoint, "
            "e.g. the run's last.ckpt or best checkpoint"
        ) from error
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no state_dict)")
    check_no_interpolation(checkpoint, str(path))
    check_finite(checkpoint, str(path))
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


def unsafe_reason(error: pickle.UnpicklingError, path: Path) -> str:
    """What torch refused, by name: ``refused global os.system``, not its page of advice."""
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)  # reads the pickle's opcodes, runs nothing
    except Exception:  # an older or changed torch, an unreadable pickle: fall back to torch's message
        names = []
    if not names:
        names = re.findall(r"GLOBAL ([\w.]+)", str(error))
    if names:
        shown = ", ".join(printable(name, 60) for name in names[:3])
        return f"refused global{'s' if len(names) > 1 else ''} {shown}" + (", ..." if len(names) > 3 else "")
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return printable(lines[-1] if lines else type(error).__name__, 200)


def module_from_checkpoint(
    checkpoint: dict[str, Any], ckpt_path: str | Path, map_location: str | torch.device = "cpu"
) -> torch.nn.Module:
    """Rebuild the module of an already-read checkpoint dict: the class stored as ``model_target`` (allow-listed)
    built from the stored ``hyper_parameters``, then its weights; eval mode.

    The hyper-parameters are the model's config in the form of ``conf/model/*.yaml`` after Hydra composed it
    (each part a ``{_target_, _partial_: true, ...}`` mapping). Who checks what: ``read_checkpoint`` refuses a
    ``${`` anywhere in the file as it reads it; here the config is walked once more, by ``check_stored_config``
    (``${`` and every ``_target_`` in one pass), because it is what Hydra then instantiates, in one call, into the
    constructor's arguments (parts become partials, which the constructor takes as they are: no second walk).

    With weight averaging on, the stored ``state_dict`` holds the averaged weights (Lightning's callback puts the
    raw ones under ``current_model_state``), so the rebuilt module computes with the average.
    """
    import hydra

    where = str(ckpt_path)
    target = checkpoint.get("model_target")
    if not target:
        raise CheckpointError(
            f"{where} names no model class (no model_target): it was not written by this version of the repo; "
            "retrain with it, or load the weights by hand"
        )
    cls = allowed_class(target, "model_target", where)
    hparams = checkpoint.get("hyper_parameters") or {}
    check_stored_config(hparams, where, "hyper_parameters")
    try:
        with rebuilding_from_checkpoint():
            model = cls(**hydra.utils.instantiate(hparams, _convert_="all"))
    except (TypeError, InstantiationException) as error:
        if isinstance(error.__cause__, CheckpointError):  # a part refused itself (e.g. a hub encoder): its line
            raise error.__cause__ from error
        detail = " ".join(str(error).split())  # Hydra's message spans lines
        raise CheckpointError(f"{where}: its hyper-parameters do not fit {target} ({detail})") from error
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(f"{where}: weights do not fit a {target} ({str(error)[:200]})") from error
    return model.to(map_location).eval()


def datamodule_from_checkpoint(checkpoint: dict[str, Any], ckpt_path: str | Path) -> Any:
    """The data module of the config a training run stored (``pixelcnn_config.data``), built only from this package's
    classes, with downloads off, and only when every folder or file it names exists here (nothing is created from a
    stored path); else one line saying to pass ``data=...``."""
    where = str(ckpt_path)
    stored = (checkpoint.get("pixelcnn_config") or {}).get("data")
    if not isinstance(stored, dict):
        raise CheckpointError(f"{where} stores no data config: pass data=<name>")
    stored = {**stored, **({"download": False} if "download" in stored else {})}
    for key in PATH_KEYS:
        value = stored.get(key)
        if isinstance(value, str) and not Path(value).exists():
            raise CheckpointError(
                f"{where}: its data config's {key} = {printable(value)} does not exist on this machine (nothing is "
                "created from a stored path); pass eval.py data=<name> with its folders (paths.data_dir=...), or "
                "build the data module yourself"
            )
    try:
        with rebuilding_from_checkpoint():
            return instantiate_checked(stored, where=where, key="pixelcnn_config.data")
    except InstantiationException as error:
        if not isinstance(error.__cause__, TypeError):
            raise
        raise CheckpointError(
            f"{where}: its data config does not fit {stored.get('_target_')} ({error.__cause__}); pass data=<name>"
        ) from error
