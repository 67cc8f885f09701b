"""A failed job of a sweep (``-m``, Optuna) is recorded and the sweep goes on; the command fails at the end."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pixelcnn.tasks.errors import exit_status, finish_wandb, user_errors, user_message

log = logging.getLogger("pixelcnn")
FAILED_JOBS: list[Path] = []  # run folders of the jobs of this process's sweep that failed


def in_multirun() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def run_job(task: Callable[[], Any], output_dir: Path) -> Any:
    """``task()``. A single run: a user's error is one line and exit status 2 (``user_errors``). A job of a sweep:
    any error is recorded in ``<output_dir>/failed.txt`` and on stderr, and the job returns None: Hydra's basic
    sweeper goes on, and the Optuna sweeper marks the trial FAIL (its value is not a float) and goes on (a NaN would
    crash it: Optuna refuses NaN as a trial's value). A run stopped by a signal stops the sweep.
    """
    if not in_multirun():
        with user_errors():
            return task()
    try:
        return task()
    except Exception as error:
        message = user_message(error)
        if message is not None and exit_status(error) != 2:  # stopped by a signal: the whole sweep stops
            print(f"error: {message}", file=sys.stderr)
            sys.exit(exit_status(error))
        if message is None:  # a bug: its traceback goes into the job's log
            log.exception("the job failed")
            message = f"{type(error).__name__}: {error}"
        record_failure(message, output_dir)
        return None
    finally:
        finish_wandb()


def record_failure(message: str, output_dir: Path) -> None:
    from hydra.core.hydra_config import HydraConfig

    job = HydraConfig.get()
    overrides = " ".join(job.overrides.task)
    print(f"error: sweep job {job.job.num} ({overrides}) failed: {message}", file=sys.stderr)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "failed.txt").write_text(f"{overrides}\n{message}\n")
    FAILED_JOBS.append(output_dir)


def exit_if_jobs_failed() -> None:
    """After a sweep: one line and exit status 1 when any of its jobs (run in this process) failed."""
    if FAILED_JOBS:
        folders = ", ".join(str(path) for path in FAILED_JOBS)
        print(f"error: {len(FAILED_JOBS)} sweep job(s) failed; failed.txt in {folders} says why", file=sys.stderr)
        sys.exit(1)


@contextlib.contextmanager
def every_trial_failed() -> Iterator[None]:
    """Around a sweep: when every job failed, Optuna's sweeper has no best trial and raises ``No trials are
    completed yet``; the failures were reported already, so ``exit_if_jobs_failed`` ends with one line instead."""
    try:
        yield
    except ValueError as error:
        if not FAILED_JOBS or "No trials are completed" not in str(error):
            raise
