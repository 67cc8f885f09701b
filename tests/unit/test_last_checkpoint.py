"""last.ckpt holds the newest state after every validation, improved or not, at the end of training and every N
steps: a file of its own, written by the step_checkpoint callback (``LastCheckpoint``). Lightning's ``save_last=True``
rewrites it only when a top-k checkpoint was saved at the same step, and ``save_last="link"`` points it back at the
older best one: both would resume a killed run from the best epoch and drop the epochs after it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hydra
import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from pixelcnn.checkpoints.io import AtomicCheckpointIO
from pixelcnn.models.base import TrainableModule
from pixelcnn.tasks.train import ordered, train
from tests.helpers import FAST_TRAIN, compose_config


def stored_step(path: Path) -> tuple[int, int]:
    """(global_step, epoch) of a checkpoint file."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    return state["global_step"], state["epoch"]


def test_last_holds_every_epochs_state_when_val_bpd_got_worse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_config: Any
) -> None:
    """The default callbacks, a real tiny fit of 3 epochs of 3 steps whose val/bpd is best after the first one."""

    def worse_after_first(self: TrainableModule, batch: Any, batch_idx: int) -> None:
        self.log("val/bpd", 1.0 if self.current_epoch == 0 else 2.0 + self.current_epoch)

    seen: list[tuple[int, int]] = []  # (last.ckpt's step, the trainer's) when the next epoch starts

    def probe(self: TrainableModule) -> None:
        if self.current_epoch > 0:
            seen.append((stored_step(last)[0], self.trainer.global_step))

    monkeypatch.setattr(TrainableModule, "validation_step", worse_after_first)
    monkeypatch.setattr(TrainableModule, "on_train_epoch_start", probe)
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    train(make_config(*FAST_TRAIN, "trainer.max_epochs=3", "test=false", "figures=none"))
    assert seen == [(3, 3), (6, 6)]  # the newest state, not epoch 0's best
    assert stored_step(last) == (9, 2)  # the final state
    loops = torch.load(last, map_location="cpu", weights_only=True)["loops"]
    assert loops["fit_loop"]["epoch_progress"]["current"]["processed"] == 3  # all 3 epochs done: a resume is a no-op
    folder = last.parent
    assert sorted(p.name for p in folder.iterdir()) == ["epoch_000.ckpt", "last.ckpt"]  # one last.ckpt, one best
    assert stored_step(folder / "epoch_000.ckpt") == (3, 0)
    assert not last.is_symlink()


class WorseAfterEpochOne(pl.LightningModule):
    """val/bpd is best after epoch 1 and worse after epochs 2 and 3; checks last.ckpt's step before each batch."""

    def __init__(self, last: Path) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.last = last
        self.behind: list[tuple[int, int]] = []  # (trainer step, last.ckpt's step) where last.ckpt lagged

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        if self.trainer.global_step > 0 and stored_step(self.last)[0] != self.trainer.global_step:
            self.behind.append((self.trainer.global_step, stored_step(self.last)[0]))

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self.log("val/bpd", 1.0 if self.current_epoch == 1 else 2.0 + self.current_epoch)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


@pytest.mark.parametrize(
    ("overrides", "val_check_interval", "best_step"),
    [
        (["callbacks.step_checkpoint.every_n_train_steps=1"], None, 6),  # every step; validation at epoch ends
        # no step saving, a validation after every step; Lightning takes val_check_interval=1 for "at epoch ends" and
        # ranks the best checkpoint there: epoch 1's last step
        ([], 1, 6),
    ],
)
def test_last_holds_the_step_before_every_batch(
    tmp_path: Path, overrides: list[str], val_check_interval: int | None, best_step: int
) -> None:
    cfg = compose_config("train", overrides, tmp_path / "run")
    callbacks = [hydra.utils.instantiate(cfg.callbacks[name]) for name in ("model_checkpoint", "step_checkpoint")]
    loader = DataLoader(TensorDataset(torch.randn(6, 2)), batch_size=2)
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=4,
        val_check_interval=val_check_interval,
        logger=False,
        callbacks=callbacks,
        plugins=[AtomicCheckpointIO()],
        num_sanity_val_steps=0,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    folder = tmp_path / "run" / "checkpoints"
    model = WorseAfterEpochOne(folder / "last.ckpt")
    trainer.fit(model, loader, loader)
    assert model.behind == []  # before every batch, last.ckpt held the step before it
    assert stored_step(folder / "last.ckpt")[0] == 12  # 4 epochs of 3 steps: the final state
    (best,) = [p for p in folder.iterdir() if p.name != "last.ckpt"]
    assert stored_step(best)[0] == best_step


def test_last_checkpoint_runs_after_the_best_checkpoint(tmp_path: Path) -> None:
    """Whatever the config's order, so last.ckpt holds the ranking of the validation it follows."""
    cfg = compose_config("train", [], tmp_path / "run")
    best, last = (hydra.utils.instantiate(cfg.callbacks[name]) for name in ("model_checkpoint", "step_checkpoint"))
    assert ordered([last, best]) == [best, last]
