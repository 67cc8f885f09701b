"""How an eval run is tied to its training run on W&B: the training run's config, group and name, and the model
artifact the checkpoint came from (``run.use_artifact``)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("pixelcnn")

DOWNLOADED = re.compile(r"^(?P<name>model-[^:/]+):(?P<version>[^:/]+)$")  # wandb's artifacts/<name>:<version>/


def training_wandb(train_config: dict[str, Any]) -> dict[str, Any]:
    return ((train_config or {}).get("logger") or {}).get("wandb") or {}


def eval_run_options(train_config: dict[str, Any], eval_tags: list[str]) -> dict[str, Any]:
    """W&B logger options of an eval run: ``eval <training run's name>``, the training run's group, its tags too."""
    trained = training_wandb(train_config)
    name = trained.get("name") or train_config.get("task_name") or "model"
    tags = [*dict.fromkeys([*(train_config.get("tags") or []), *eval_tags])]
    return {"name": f"eval {name}", "group": eval_group(train_config), "tags": tags}


def eval_group(train_config: dict[str, Any]) -> str | None:
    """The training run's W&B group, as its checkpoint stores it; for a run that logged no group (trained before
    single runs had one, or without W&B) the group its run folder gives (``pixelcnn.tasks.resolvers.run_group``)."""
    group = training_wandb(train_config).get("group")
    if isinstance(group, str) and group and "${" not in group:
        return group
    folder = (train_config.get("paths") or {}).get("output_dir")
    if not isinstance(folder, str) or not folder or "${" in folder:
        return None
    return group_name(train_config.get("task_name") or "train", folder)


def group_name(task_name: str, folder: str | Path) -> str:
    """``<task>-<folder name>``: the W&B group of a run folder, or of a sweep folder for all of its jobs."""
    return f"{task_name}-{Path(folder).name}"


def model_artifact(ckpt_path: str | Path, train_config: dict[str, Any]) -> str | None:
    """``model-<run id>:<version or alias>`` when the checkpoint came from a W&B model artifact: it lies in a folder
    W&B downloaded an artifact into, or it is the best checkpoint of a run that logged it (``log_model``)."""
    path = Path(ckpt_path).resolve()
    match = DOWNLOADED.match(path.parent.name)
    if match:
        return f"{match['name']}:{match['version']}"
    if not training_wandb(train_config).get("log_model"):
        return None
    run_folder = path.parent.parent  # <run>/checkpoints/<file>.ckpt
    metrics = run_folder / "metrics.json"
    runs = sorted((run_folder / "wandb").glob("*run-*-*"), key=lambda p: p.stat().st_mtime)
    if not metrics.is_file() or not runs:
        return None
    best = json.loads(metrics.read_text()).get("best_ckpt")
    if best is None or Path(best).resolve() != path:
        return None
    return f"model-{runs[-1].name.rsplit('-', 1)[1]}:best"


def use_model_artifact(experiment: Any, artifact: str, offline: bool) -> None:
    """``run.use_artifact`` (online); W&B cannot link artifacts of an offline run (it raises), which keeps the name
    in its config (``eval.model_artifact``). A run is offline by the config or by ``WANDB_MODE=offline``, which W&B
    obeys whatever the config says."""
    if offline or getattr(experiment, "offline", False):
        log.info(f"offline W&B run: the model artifact {artifact} is named in the config, linked only when online")
        return
    from wandb.errors import CommError

    try:
        experiment.use_artifact(artifact, type="model")
    except (CommError, ValueError) as error:  # a deleted or private artifact must not fail the evaluation
        log.warning(f"could not link the model artifact {artifact}: {error}")
