"""last.ckpt holds the newest weights even when validation got worse: a file of its own, not a link to the best
checkpoint (Lightning's ``save_last="link"`` points it back at the older best one and drops the newer state)."""

from __future__ import annotations

from pathlib import Path

import hydra
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from pixelcnn.checkpoints.io import AtomicCheckpointIO
from tests.helpers import compose_config


class WorseAfterEpochOne(pl.LightningModule):
    """val/bpd is best after epoch 1 and worse after epochs 2 and 3."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self.layer(batch[0]).pow(2).mean()

    def validation_step(self, batch: list[torch.Tensor], batch_idx: int) -> None:
        self.log("val/bpd", 1.0 if self.current_epoch == 1 else 2.0 + self.current_epoch)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def test_last_holds_the_final_step_when_validation_got_worse(tmp_path: Path) -> None:
    cfg = compose_config("train", ["callbacks.step_checkpoint.every_n_train_steps=1"], tmp_path / "run")
    callbacks = [hydra.utils.instantiate(cfg.callbacks[name]) for name in ("model_checkpoint", "step_checkpoint")]
    loader = DataLoader(TensorDataset(torch.randn(6, 2)), batch_size=2)
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=4,
        logger=False,
        callbacks=callbacks,
        plugins=[AtomicCheckpointIO()],
        num_sanity_val_steps=0,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(WorseAfterEpochOne(), loader, loader)
    folder = tmp_path / "run" / "checkpoints"
    last = folder / "last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 12  # 4 epochs of 3 steps: the final state
    assert not last.is_symlink()
    (best,) = [p for p in folder.iterdir() if p.name != "last.ckpt"]
    assert torch.load(best, weights_only=True)["global_step"] == 6  # epoch 1's
