"""A checkpoint is data, never code: ``pixelcnn.load_model`` builds only allow-listed classes
(``pixelcnn.checkpoints.registry``) and refuses any other ``_target_`` or ``model_target``, naming the key."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

import pixelcnn
from pixelcnn.errors import CheckpointError
from pixelcnn.models import ClassConditionalPixelCNN
from tests.helpers import TINY_BACKBONE

SHAPE, LEVELS, CLASSES = (3, 4, 4), 5, 3
FORBIDDEN = ["builtins.open", "os.system", "pixelcnn.tasks.train.train"]  # the last: a pixelcnn function, no class


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A class-conditional model after one Lightning training step, and the checkpoint the Trainer saved."""
    torch.set_num_threads(1)
    pl.seed_everything(0)
    model = ClassConditionalPixelCNN(SHAPE, LEVELS, num_classes=CLASSES, backbone=TINY_BACKBONE)
    x, y = torch.randint(0, LEVELS, (8, *SHAPE)), torch.randint(0, CLASSES, (8,))
    trainer = pl.Trainer(
        max_steps=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, DataLoader(TensorDataset(x, y), batch_size=4))
    path = tmp_path_factory.mktemp("ckpt") / "good.ckpt"
    trainer.save_checkpoint(path)
    return {"model": model.eval(), "path": path, "x": x, "y": y}


def tampered(trained: dict[str, Any], folder: Path, edit) -> Path:
    """A copy of the good checkpoint with ``edit(checkpoint)`` applied."""
    checkpoint = torch.load(trained["path"], weights_only=True)
    edit(checkpoint)
    path = folder / "tampered.ckpt"
    torch.save(checkpoint, path)
    return path


@pytest.fixture
def no_system_calls(monkeypatch: pytest.MonkeyPatch) -> list:
    calls: list = []
    monkeypatch.setattr(os, "system", lambda *args, **kwargs: calls.append((args, kwargs)) or 0)
    return calls


def test_a_good_checkpoint_loads_and_gives_identical_logits(trained: dict[str, Any]) -> None:
    checkpoint = torch.load(trained["path"], weights_only=True)
    assert checkpoint["model_target"].endswith(".ClassConditionalPixelCNN")
    assert checkpoint["hyper_parameters"]["conditioner"]["_target_"].startswith("pixelcnn.conditioning.")
    loaded = pixelcnn.load_model(trained["path"])
    assert type(loaded) is ClassConditionalPixelCNN and not loaded.training
    with torch.no_grad():
        assert torch.equal(loaded(trained["x"], trained["y"]), trained["model"](trained["x"], trained["y"]))


@pytest.mark.parametrize("target", FORBIDDEN)
@pytest.mark.parametrize("key", ["backbone", "conditioner", "optimizer", "compile_options.backend"])
def test_a_stored_target_outside_the_allow_list_is_refused(
    trained: dict[str, Any], tmp_path: Path, no_system_calls: list, key: str, target: str
) -> None:
    def edit(checkpoint: dict) -> None:
        config = checkpoint["hyper_parameters"]
        *parents, leaf = key.split(".")
        for parent in parents:
            if config.get(parent) is None:
                config[parent] = {}
            config = config[parent]
        config[leaf] = {**(config.get(leaf) or {}), "_target_": target}

    path = tampered(trained, tmp_path, edit)
    offending = f"hyper_parameters.{key}._target_ = '{target}'"
    with pytest.raises(CheckpointError, match=re.escape(offending)):
        pixelcnn.load_model(path)
    assert no_system_calls == []


@pytest.mark.parametrize("target", ["builtins.eval", *FORBIDDEN])
def test_a_model_target_outside_the_allow_list_is_refused(
    trained: dict[str, Any], tmp_path: Path, no_system_calls: list, target: str
) -> None:
    path = tampered(trained, tmp_path, lambda checkpoint: checkpoint.update(model_target=target))
    with pytest.raises(CheckpointError, match=re.escape(f"model_target = '{target}'")):
        pixelcnn.load_model(path)
    assert no_system_calls == []
