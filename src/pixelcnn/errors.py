"""Errors meant for users: the entry points print their message as one line and exit non-zero."""

from numbers import Integral
from typing import Any


class PixelCNNError(Exception):
    """Base class of every error whose message says what is wrong and how to fix it."""


class DataNotFoundError(PixelCNNError):
    """A data set's files are not where the config says."""


class DataValidationError(PixelCNNError):
    """Images of the wrong shape, channels or value range."""


class CheckpointError(PixelCNNError):
    """A checkpoint is missing, corrupt, unsafe or of an unknown model kind."""


class InputError(PixelCNNError, ValueError):
    """A tensor handed to a model has the wrong shape, dtype or range."""


class ConfigValueError(PixelCNNError, ValueError):
    """A config value or argument outside what the code accepts (a batch size of 0, an even kernel, ...)."""


class RunInterrupted(PixelCNNError):
    """Training stopped at a signal (SIGTERM / SIGUSR1 from a cluster, SIGINT); its state was saved to resume."""

    exit_status = 143  # 128 + SIGTERM, what a shell reports for a process stopped by SIGTERM


class NonFiniteLossError(PixelCNNError):
    """The training loss became NaN or infinite; training stopped before the bad step was applied."""


def check_range(values: Any, upper: int, what: str, hint: str = "") -> None:
    """Raise ``InputError`` unless every entry of the integer tensor ``values`` lies in [0, upper).

    ``what`` names the values (e.g. "the levels of x", "class ids"); ``hint`` says how to fix it.
    """
    if values.numel() and (int(values.min()) < 0 or int(values.max()) >= upper):
        low, high = int(values.min()), int(values.max())
        raise InputError(f"{what} must lie in [0, {upper}), got [{low}, {high}]{hint}")


def check_count(value: Any, what: str, minimum: int = 1, none_ok: bool = False) -> None:
    """Raise ``InputError`` unless ``value`` is an int (not a bool) >= ``minimum`` (or None when ``none_ok``)."""
    if value is None and none_ok:
        return
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        allowed = " or None" if none_ok else ""
        raise InputError(f"{what} must be an int >= {minimum}{allowed}, got {value!r}")


def cuda_only(value: Any, device: Any, what: str) -> bool:
    """An ``auto | true | false`` option as a bool: ``auto`` is true on a CUDA device only (``device``: a
    ``torch.device`` or its name); anything else raises ``ConfigValueError`` naming ``what``."""
    if value == "auto":
        return str(device).startswith("cuda")
    if isinstance(value, bool):
        return value
    raise ConfigValueError(f"{what} must be auto, true or false, got {value!r}")
