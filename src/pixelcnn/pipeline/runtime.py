"""What both entry points need around the work itself: printing the config, one-line errors, W&B cleanup."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
from omegaconf import DictConfig, OmegaConf

from pixelcnn.errors import PixelCNNError
from pixelcnn.pipeline.resolvers import register_resolvers

if TYPE_CHECKING:  # Lightning is imported lazily: a config error is reported without its 10 s import
    import pytorch_lightning as pl

log = logging.getLogger("pixelcnn")
register_resolvers()


def print_config_tree(cfg: DictConfig, save_to: Path | None = None, first: Sequence[str] = ()) -> None:
    """Rich tree of the composed config, one branch per top-level key; also written to ``save_to``."""
    import rich
    import rich.syntax
    import rich.tree

    tree = rich.tree.Tree("CONFIG", style="dim", guide_style="dim")
    keys = [k for k in first if k in cfg] + [k for k in cfg if k not in first]
    for key in keys:
        value = cfg[key]
        text = OmegaConf.to_yaml(value, resolve=True) if isinstance(value, DictConfig) else str(value)
        tree.add(key, style="dim", guide_style="dim").add(rich.syntax.Syntax(text, "yaml"))
    rich.print(tree)
    if save_to is not None:
        save_to.parent.mkdir(parents=True, exist_ok=True)
        with open(save_to, "w") as file:
            rich.print(tree, file=file)


def user_message(error: BaseException) -> str | None:
    """The one-line message for an error a user can fix, or None for a bug (which keeps its traceback).

    Hydra wraps errors raised in constructors, so the chain of causes is searched.
    """
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, PixelCNNError):
            return str(seen)
        if type(seen).__name__ == "MisconfigurationException":
            return f"{seen} (Lightning); check the trainer config, e.g. trainer=cpu on a machine without a GPU"
        if type(seen).__name__ in CONFIG_ERRORS:
            return config_error_message(seen)
        seen = seen.__cause__ or seen.__context__
    return None


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a ``PixelCNNError`` (also one wrapped by Hydra) into one line on stderr and exit status 2.

    Always closes a W&B run, so the next job of a multirun starts its own.
    """
    try:
        yield
    except Exception as error:
        message = user_message(error)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)
    finally:
        finish_wandb()


# Hydra / OmegaConf errors a user makes on the command line: unknown keys, unknown options, bad syntax, no value.
CONFIG_ERRORS = (
    "ConfigCompositionException",
    "MissingConfigException",
    "OverrideParseException",
    "MissingMandatoryValue",
)


def config_error_message(error: BaseException) -> str:
    """Hydra's multi-line message (and its cause), joined into one line with a hint."""
    text = str(error)
    cause = error.__cause__
    if cause is not None and str(cause) not in text:
        text += "\n" + str(cause)
    lines = []
    for line in (raw.strip() for raw in text.splitlines()):
        if line.startswith("Config search path"):
            break
        if line and not line.startswith(("full_key:", "object_type=", "reference_type=", "See https://hydra.cc")):
            lines.append(line.rstrip(".:") if line.endswith(":") else line)
    message = " ".join(lines)
    if "not in struct" in message:
        message += "; check the spelling (python train.py --cfg job prints every key) or add a new key with +key=value"
    elif type(error).__name__ == "MissingMandatoryValue":
        message += "; pass it on the command line, e.g. ckpt_path=/path/to/last.ckpt"
    return message


def run_entry_point(main: Callable[[], Any]) -> None:
    """Run a ``@hydra.main`` function so that config errors too are one line and exit status 2.

    Hydra prints composition errors itself, over several lines, unless ``HYDRA_FULL_ERROR=1`` makes it re-raise
    them; then ``user_errors`` shortens them. Errors that are bugs keep their full traceback.
    """
    os.environ["HYDRA_FULL_ERROR"] = "1"
    with user_errors():
        main()


def finish_wandb() -> None:
    if "wandb" in sys.modules:
        import wandb

        if wandb.run is not None:
            wandb.finish()


def instantiate_group(group: DictConfig | None) -> list[Any]:
    """Instantiate every entry with a ``_target_`` of a config group (callbacks, loggers)."""
    if not group:
        return []
    items = [item for item in group.values() if isinstance(item, DictConfig) and "_target_" in item]
    return [hydra.utils.instantiate(item) for item in items]


def resolved(cfg: DictConfig) -> dict[str, Any]:
    """The config as a plain, resolved dict (for checkpoints and loggers)."""
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]


def trainer_from_config(cfg: DictConfig, **kwargs: Any) -> pl.Trainer:
    return hydra.utils.instantiate(cfg.trainer, **kwargs)
