"""Lightning's ``WandbLogger`` with ``log_model`` that also works offline (synced later by ``wandb sync``)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.loggers import WandbLogger

RUN_ID_FILE = "wandb_run_id.txt"


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

    def __init__(self, *args: Any, offline: bool = False, log_model: bool | str = False, **kwargs: Any) -> None:
        if kwargs.get("id") is None and kwargs.get("save_dir"):  # one W&B run per run folder, also across resumes
            kwargs.update(id=run_id_of_folder(Path(kwargs["save_dir"])), resume=kwargs.get("resume") or "allow")
        super().__init__(*args, offline=offline, log_model=False if offline else log_model, **kwargs)
        self._wandb_init.pop("anonymous", None)  # Lightning always passes it; W&B warns that it has no effect
        self._log_best_offline = bool(offline and log_model)
        self._best_callbacks: dict[int, ModelCheckpoint] = {}
        self._logged_best: set[tuple[str, float]] = set()

    def after_save_checkpoint(self, checkpoint_callback: ModelCheckpoint) -> None:
        super().after_save_checkpoint(checkpoint_callback)
        if self._log_best_offline:
            self._best_callbacks[id(checkpoint_callback)] = checkpoint_callback

    def finalize(self, status: str) -> None:
        super().finalize(status)
        if status != "success" or not self._log_best_offline or self._experiment is None:
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
