"""Lightning's ``WandbLogger`` with ``log_model`` that also works offline (synced later by ``wandb sync``)."""

from __future__ import annotations

import secrets
import warnings
from pathlib import Path
from typing import Any

from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import WandbLogger
from pytorch_lightning.loggers.logger import rank_zero_experiment

RUN_ID_FILE = "wandb_run_id.txt"
# arguments of Lightning's WandbLogger that are not arguments of wandb.init
LIGHTNING_OPTIONS = frozenset({"version", "prefix", "checkpoint_name", "add_file_policy", "anonymous", "experiment"})


def run_id_of_folder(folder: Path) -> str:
    """The W&B run id of a run folder: made once and kept in ``<folder>/wandb_run_id.txt``, so a resumed run
    (same folder, ``ckpt_path=last``) logs to the same W&B run (``resume="allow"``)."""
    path = folder / RUN_ID_FILE
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(6))  # letters and digits, as W&B's own ids
    return path.read_text().strip()


class PixelCNNWandbLogger(WandbLogger):
    """One W&B run per run folder (its id kept in the folder; a resume continues it). ``log_model=True`` logs the
    best checkpoint as a ``model`` artifact (aliases ``best``, ``latest``).

    Online, Lightning's own checkpoint logging is used unchanged. Lightning refuses ``log_model`` for offline
    runs, so offline this class logs the best checkpoint of every ``ModelCheckpoint`` itself when training ends;
    the artifact lies in the offline run folder and is uploaded by ``wandb sync``.
    """

    def __init__(
        self, *, save_dir: str | None = None, offline: bool = False, log_model: bool | str = False, **init_options: Any
    ) -> None:
        """``init_options``: arguments of ``wandb.init`` (``project``, ``name``, ``group``, ``tags``, ``id``, ...)."""
        if init_options.get("id") is None and save_dir:  # one W&B run per run folder, also across resumes
            init_options.update(id=run_id_of_folder(Path(save_dir)), resume=init_options.get("resume") or "allow")
        super().__init__(save_dir=save_dir, offline=offline, log_model=False if offline else log_model, **init_options)
        wandb_options = {k: v for k, v in init_options.items() if k not in LIGHTNING_OPTIONS}
        # what Lightning's own start would pass (its project, folder, id), less ``anonymous``
        self.init_options = {"resume": "allow", **wandb_options, "project": self.name, "dir": self.save_dir}
        self.init_options.update(id=self.version, **({"mode": "offline"} if offline else {}))
        self._run_started = init_options.get("experiment") is not None  # a run handed in is used as it is
        self._log_best_offline = bool(offline and log_model)
        self._best_callbacks: dict[int, ModelCheckpoint] = {}
        self._logged_best: set[tuple[str, float]] = set()

    @property
    @rank_zero_experiment
    def experiment(self) -> Any:
        """Lightning's run. The first call starts it with ``init_options``, which Lightning then adopts as the run in
        progress: Lightning's own start passes ``anonymous``, a setting W&B warns has no effect."""
        import wandb

        if self._run_started or wandb.run is not None:  # Lightning reuses a run in progress (and says so)
            self._run_started = True
            return super().experiment
        run = wandb.init(**self.init_options)
        run.define_metric("trainer/global_step")  # Lightning's step axis, as its own start defines it
        run.define_metric("*", step_metric="trainer/global_step", step_sync=True)
        self._run_started = True
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="There is a wandb run already in progress")
            return super().experiment

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        super().after_save_checkpoint(checkpoint_callback)
        if self._log_best_offline:
            self._best_callbacks[id(checkpoint_callback)] = checkpoint_callback

    def finalize(self, status: str) -> None:
        super().finalize(status)
        if status != "success" or not self._log_best_offline or not self._run_started:
            return
        for callback in self._best_callbacks.values():
            if callback.best_model_path:
                self.log_best_checkpoint(Path(callback.best_model_path), callback)

    def log_best_checkpoint(self, path: Path, callback: ModelCheckpoint) -> None:
        """One artifact ``model-<run id>`` holding ``model.ckpt``; a checkpoint file is logged once."""
        import wandb

        stamp = (str(path), path.stat().st_mtime)
        if stamp in self._logged_best:
            return
        score = callback.best_model_score
        metadata = {
            "score": None if score is None else float(score),
            "monitor": callback.monitor,
            "original_filename": path.name,
        }
        artifact = wandb.Artifact(name=f"model-{self.experiment.id}", type="model", metadata=metadata)
        # immutable: the manifest names the checkpoint in the run folder (what `wandb sync` uploads), instead of a
        # copy in W&B's staging folder outside it
        artifact.add_file(str(path), name="model.ckpt", policy="immutable", skip_cache=True)
        self.experiment.log_artifact(artifact, aliases=["best", "latest"])
        self._logged_best.add(stamp)
