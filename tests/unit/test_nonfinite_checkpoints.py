"""NaN or infinite weights are refused at load with one line naming the tensor (``load_model``, ``eval.py``, a
resume), and a NaN or infinite validation score is never recorded as the best checkpoint."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import hydra
import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

import pixelcnn
from pixelcnn.checkpoints.best import FiniteModelCheckpoint
from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.errors import CheckpointError
from pixelcnn.models import PixelCNN
from pixelcnn.tasks.errors import user_errors
from pixelcnn.tasks.evaluate import evaluate
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, TINY_BACKBONE

WEIGHT = "net.backbone.blocks.0.v_conv.conv.weight"


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    torch.manual_seed(0)
    model = PixelCNN((1, 8, 8), 17, backbone=TINY_BACKBONE)
    data = {"_target_": "pixelcnn.data.DigitsDataModule", "image_shape": [1, 8, 8], "num_levels": 17, "seed": 0}
    return {
        "state_dict": model.state_dict(),
        "model_target": qualified_name(PixelCNN),
        "hyper_parameters": dict(model.hparams),
        "pixelcnn_config": {"data": data},
    }


def poisoned(good: dict[str, Any], folder: Path, value: float, part: str = "state_dict") -> Path:
    checkpoint = copy.deepcopy(good)
    weights = checkpoint.setdefault(part, copy.deepcopy(good["state_dict"]))
    weights[WEIGHT] = weights[WEIGHT].clone()
    weights[WEIGHT].view(-1)[3] = value
    path = folder / "poisoned.ckpt"
    torch.save(checkpoint, path)
    return path


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("part", ["state_dict", "current_model_state"])
def test_load_model_refuses_nonfinite_weights_naming_the_tensor(
    good: dict[str, Any], tmp_path: Path, value: float, part: str
) -> None:
    with pytest.raises(CheckpointError, match=f"weight '{WEIGHT}' of {part} holds 1 NaN or infinite") as refused:
        pixelcnn.load_model(poisoned(good, tmp_path, value, part))
    assert "\n" not in str(refused.value)


def one_line(run: Any, capsys: pytest.CaptureFixture) -> str:
    with pytest.raises(SystemExit) as stopped, user_errors():
        run()
    lines = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and len(lines) == 1, lines
    return lines[0]


def test_eval_refuses_nonfinite_weights_in_one_line(good: dict[str, Any], tmp_path: Path, make_config, capsys) -> None:
    path = poisoned(good, tmp_path, float("nan"))
    cfg = make_config(f"ckpt_path={path}", "print_config=false", name="eval", output_dir=tmp_path / "eval")
    assert f"weight '{WEIGHT}'" in one_line(lambda: evaluate(cfg), capsys)
    assert not (tmp_path / "eval" / "metrics.json").exists()


def test_resume_refuses_nonfinite_weights_in_one_line(
    good: dict[str, Any], tmp_path: Path, make_config, capsys
) -> None:
    path = poisoned(good, tmp_path, float("inf"))
    cfg = make_config(*FAST_TRAIN, f"ckpt_path={path}", output_dir=tmp_path / "resumed")
    assert f"weight '{WEIGHT}'" in one_line(lambda: train(cfg), capsys)
    assert not (tmp_path / "resumed" / "checkpoints").exists()


@pytest.mark.parametrize("score", [float("nan"), float("inf")])
def test_a_nonfinite_score_is_never_ranked(score: float) -> None:
    callback = FiniteModelCheckpoint(monitor="val/bpd", save_top_k=1)
    assert callback.check_monitor_top_k(None, torch.tensor(score)) is False
    assert callback.check_monitor_top_k(None, torch.tensor(1.0)) is True  # nothing kept yet: a finite score is


class NaNValidation(pl.LightningModule):
    """A linear model whose validation score is NaN."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self.log("val/bpd", self.layer(batch[0]).pow(2).mean() * float("nan"))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.01)


def test_a_nan_validation_is_never_the_best_checkpoint(tmp_path: Path, make_config) -> None:
    callbacks = make_config(output_dir=tmp_path).callbacks
    callback = hydra.utils.instantiate(callbacks.model_checkpoint)
    assert isinstance(callback, FiniteModelCheckpoint)  # what conf/callbacks/model_checkpoint.yaml builds
    loader = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        callbacks=[callback, hydra.utils.instantiate(callbacks.step_checkpoint)],  # the second writes last.ckpt
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(NaNValidation(), loader, loader)
    assert callback.best_model_path == "" and callback.best_k_models == {}
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["last.ckpt"]
