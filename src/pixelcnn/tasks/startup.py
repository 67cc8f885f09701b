"""What the entry points do around a task before and after it runs, kept free of torch and Lightning imports.

- ``check_complete``: a value the user must give (``ckpt_path: ???``) is reported before the slow imports;
- ``removed_if_failed``: a run that fails to start leaves no run folder behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from pixelcnn.tasks.resolvers import CREATED_DIRS

# what a start writes before the run itself writes anything: Hydra's copy of the config, our printed config tree,
# the CSV logger's hyper-parameters (a run's metrics, checkpoints, W&B or TensorBoard files are never among them)
STARTUP_FILES = (
    ".hydra/config.yaml",
    ".hydra/hydra.yaml",
    ".hydra/overrides.yaml",
    "config_tree.log",
    "csv/hparams.yaml",
)


def check_complete(cfg: DictConfig) -> None:
    """Raise OmegaConf's ``MissingMandatoryValue`` (one line and exit status 2 at the entry point) for the first
    ``???`` value the command line left unset."""
    for key in sorted(OmegaConf.missing_keys(cfg)):
        OmegaConf.select(cfg, key, throw_on_missing=True)


def only_startup_files(folder: Path, job_name: str) -> bool:
    """True when ``folder`` holds nothing but what a start writes (and empty folders), Hydra's log
    ``<job_name>.log`` (``train.log``) included: no run's output."""
    allowed = {*STARTUP_FILES, f"{job_name}.log"}
    files = [path for path in folder.rglob("*") if not path.is_dir()]
    return all(path.relative_to(folder).as_posix() in allowed for path in files)


@contextlib.contextmanager
def removed_if_failed(output_dir: str | Path) -> Iterator[None]:
    """Around a single run's task: when it fails (an error, ``sys.exit``, Ctrl-C) and its run folder was created
    by this start (``unique_dir``, the default run folder) and holds only ``only_startup_files``, the folder goes.

    A folder named with ``hydra.run.dir=...`` (it may be a resumed run's), a sweep's job folders (they keep
    ``failed.txt``) and a folder holding any other file are left as they are.
    """
    folder = Path(os.path.abspath(output_dir))
    try:
        yield
    except BaseException:
        job_name = HydraConfig.get().job.name if HydraConfig.initialized() else "train"
        if str(folder) in CREATED_DIRS and folder.is_dir() and only_startup_files(folder, job_name):
            shutil.rmtree(folder, ignore_errors=True)
        raise
