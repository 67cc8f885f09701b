"""A stored config is data: what a checkpoint's non-tensor parts may hold, checked before anything reads them.

OmegaConf resolves ``${...}`` lazily, when a value is read: ``${oc.env:VAR}`` reads the environment,
``${oc.create:{_target_: ...}}`` builds a config Hydra would instantiate, a registered resolver (``unique_dir``)
creates folders. A checkpoint of this repo stores resolved values only, so any ``${`` in one (a value or a key,
escaped or nested) is refused, by key, before any of it is turned into an OmegaConf object or built.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from pixelcnn.errors import CheckpointError

INTERPOLATION = "${"
TARGET = "_target_"
_rebuilding = contextvars.ContextVar("rebuilding_from_checkpoint", default=False)


KeyPath = tuple[Any, str] | None  # (parent path, ".name" / "[index]"), built into a string only when shown


def strings(tree: Any) -> Iterator[tuple[KeyPath, Any]]:
    """Every string in a tree of dicts, lists and tuples, keys included, with its path (see ``path_text``), and
    the value of every ``_target_`` key whatever its type (the allow-list walk refuses a non-string one).

    Iterative and linear in the tree's size, so a maliciously deep tree can neither overflow the stack nor cost
    quadratic time; tensors and numbers are skipped.
    """
    stack: list[tuple[KeyPath, Any]] = [(None, tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield path, node
        elif isinstance(node, Mapping):
            for name, value in node.items():
                child = (path, f".{name}" if isinstance(name, str) else f"[{name!r}]")
                if isinstance(name, str):
                    yield (child, " (a key)"), name
                if name == TARGET and not isinstance(value, str):
                    yield child, value
                stack.append((child, value))
        elif isinstance(node, list | tuple):
            stack.extend(((path, f"[{index}]"), value) for index, value in enumerate(node))


def path_text(path: KeyPath, key: str = "") -> str:
    """``key`` followed by the parts of ``path``: ``pixelcnn_config.data.seed``; repr'd unless printable."""
    parts = []
    while path is not None:
        path, part = path
        parts.append(part)
    text = (key + "".join(reversed(parts))).lstrip(".")
    return text if text.isprintable() else printable(text)


def check_no_interpolation(tree: Any, where: str, key: str = "") -> None:
    """Refuse the first string holding ``${`` with one line naming its key; its raw text is shown, never resolved."""
    for path, text in strings(tree):
        refuse_interpolation(path, text, where, key)


def refuse_interpolation(path: KeyPath, text: Any, where: str, key: str = "") -> None:
    """One line naming the key, if ``text`` (one value that ``strings`` yielded) is a string holding ``${``."""
    if isinstance(text, str) and INTERPOLATION in text:
        raise CheckpointError(
            f"{where}: {path_text(path, key)} = {printable(text)} is an OmegaConf interpolation or resolver, "
            "which a stored config may not hold (resolving it could read the environment, create folders or "
            "build objects); refusing it: checkpoints written by this repo store resolved values only"
        )


def printable(text: str, limit: int = 80) -> str:
    """``repr`` of ``text`` cut to ``limit`` characters: one line, whatever it holds."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def check_finite(checkpoint: Mapping[str, Any], where: str) -> None:
    """Refuse a checkpoint whose weights (``state_dict``, and the raw weights beside averaged ones) hold a NaN or
    an infinity, naming the first such tensor."""
    for part in ("state_dict", "current_model_state"):
        for name, tensor in (checkpoint.get(part) or {}).items():
            if isinstance(tensor, torch.Tensor) and tensor.is_floating_point() and not torch.isfinite(tensor).all():
                bad = int((~torch.isfinite(tensor)).sum())
                raise CheckpointError(
                    f"{where}: weight {printable(str(name))} of {part} holds {bad} NaN or infinite value(s) of "
                    f"{tensor.numel()}; refusing it: use an earlier checkpoint of the run (training diverged)"
                )


@contextlib.contextmanager
def rebuilding_from_checkpoint() -> Iterator[None]:
    """While a checkpoint's module or data is built: nothing may be fetched (see ``offline``)."""
    token = _rebuilding.set(True)
    try:
        yield
    finally:
        _rebuilding.reset(token)


def offline() -> bool:
    """True while a checkpoint is rebuilt: ``pretrained`` weights and data downloads are then forced off."""
    return _rebuilding.get()
