"""The one place that turns an error a user can fix into one line on stderr and exit status 2.

Users' errors are ``PixelCNNError``s (raised by this package), Hydra's and OmegaConf's config errors, and
Lightning's misconfigurations, recognised by their classes (Hydra wraps errors raised in constructors, so the
chain of causes is searched). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from hydra.errors import ConfigCompositionException, MissingConfigException, OverrideParseException
from omegaconf.errors import MissingMandatoryValue

from pixelcnn.errors import PixelCNNError

# a folder the user chose that cannot be written: read-only, no permission, a file where a folder must be
UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR)

# a full disk or an exhausted quota: every file is written whole or not at all, so what was written before stays
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)

# how gloo / NCCL report that another process of a distributed run went away (killed, crashed, its node lost)
LOST_PEER = ("Connection reset by peer", "Connection closed by", "Broken pipe", "NCCL communicator was aborted")

# Hydra / OmegaConf errors a user makes on the command line: unknown keys, unknown options, bad syntax, no value.
CONFIG_ERRORS = (ConfigCompositionException, MissingConfigException, OverrideParseException, MissingMandatoryValue)


def chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, then the exception it was raised from (its cause, else its context), and so on."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def user_message(error: BaseException) -> str | None:
    """The one-line message for an error a user can fix, or None for a bug (which keeps its traceback)."""
    for seen in chain(error):
        if isinstance(seen, PixelCNNError):
            return str(seen)
        if is_misconfiguration(seen):
            return f"{seen} (Lightning); check the trainer config, e.g. trainer=cpu on a machine without a GPU"
        if isinstance(seen, CONFIG_ERRORS):
            return config_error_message(seen)
        if is_missing_slurm(seen):
            return (
                "hydra/launcher=slurm needs SLURM (srun / sbatch), which this machine does not have; run the sweep "
                "from a cluster's login node, or drop hydra/launcher=slurm to run its jobs here one by one"
            )
        if is_lost_peer(seen):
            return lost_peer_message(seen)
        if isinstance(seen, OSError) and seen.errno in NO_SPACE:
            return no_space_message(seen)
        if isinstance(seen, OSError) and seen.errno in UNWRITABLE and seen.filename:
            return (
                f"cannot write {seen.filename}: {seen.strerror}; pass a writable run folder "
                "(hydra.run.dir=...) or data folder (paths.data_dir=...)"
            )
    return None


def is_misconfiguration(error: BaseException) -> bool:
    """Lightning's ``MisconfigurationException``, looked up only when Lightning is loaded: a config error is
    reported before it is, and importing it only to format the error would take seconds."""
    exceptions = sys.modules.get("lightning_fabric.utilities.exceptions")
    return exceptions is not None and isinstance(error, exceptions.MisconfigurationException)


def no_space_message(error: OSError) -> str:
    where = f" writing {error.filename}" if error.filename else ""
    return (
        f"{error.strerror or 'no space left on the device'}{where}; the files written before are kept (an unfinished "
        "checkpoint is never left in place of the last good one): free space, then resume with the same "
        "hydra.run.dir and ckpt_path=last, or pass a run folder on another disk (hydra.run.dir=...)"
    )


def is_lost_peer(error: BaseException) -> bool:
    """torch.distributed's error in a survivor when another rank died (torch is not imported: names only)."""
    named = type(error).__name__ in ("DistBackendError", "DistNetworkError")
    backend = type(error) is RuntimeError and any(name in str(error) for name in ("gloo", "NCCL", "c10d"))
    return (named or backend) and any(marker in str(error) for marker in LOST_PEER)


def lost_peer_message(error: BaseException) -> str:
    cause = next((marker for marker in LOST_PEER if marker in str(error)), "lost connection")
    return (
        f"another process of this distributed run stopped ({cause.lower()}), so this one stops too; its log says "
        "why: fix that, then start every process again with the same hydra.run.dir and ckpt_path=last"
    )


def is_missing_slurm(error: BaseException) -> bool:
    """submitit's error when its SLURM launcher starts on a machine without SLURM's commands."""
    if isinstance(error, FileNotFoundError) and error.filename in ("srun", "sbatch"):
        return True
    return isinstance(error, RuntimeError) and 'Could not detect "srun"' in str(error)


def exit_status(error: BaseException) -> int:
    """2 for a user's error; a ``PixelCNNError`` with an ``exit_status`` (a run stopped by a signal) gives its own."""
    for seen in chain(error):
        if isinstance(seen, PixelCNNError):
            return int(getattr(seen, "exit_status", 2))
    return 2


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
    elif isinstance(error, MissingMandatoryValue):
        key = getattr(error, "full_key", None) or "ckpt_path"
        message += f"; pass it on the command line: {key}=..."
    return message


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user's error (also one wrapped by Hydra) into one line on stderr and exit status 2.

    Always closes a W&B run, so the next job of a multirun starts its own.
    """
    try:
        yield
    except Exception as error:
        message = user_message(error)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        if any(is_lost_peer(seen) for seen in chain(error)):
            # torch.distributed's threads would abort the interpreter's normal teardown (SIGABRT)
            finish_wandb()
            sys.stderr.flush()
            sys.stdout.flush()
            os._exit(exit_status(error))
        sys.exit(exit_status(error))
    finally:
        finish_wandb()


def run_entry_point(main: Callable[[], Any]) -> None:
    """Run a ``@hydra.main`` function so that config errors too are one line and exit status 2.

    Hydra prints composition errors itself, over several lines, unless ``HYDRA_FULL_ERROR=1`` makes it re-raise
    them; then ``user_errors`` shortens them.
    """
    os.environ["HYDRA_FULL_ERROR"] = "1"
    with user_errors():
        main()


def finish_wandb() -> None:
    if "wandb" in sys.modules:
        import wandb

        if wandb.run is not None:
            wandb.finish()
