"""What every trainable module of the repo shares: image checks, injected optimizer / scheduler, the train / val /
test steps, hyper-parameters stored as plain configs, and the class name the checkpoint registry rebuilds from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf

from pixelcnn.checkpoints.registry import as_factory, factory_spec, qualified_name
from pixelcnn.nn.checks import check_images, image_shape_of


class TrainableModule(pl.LightningModule):
    """Subclasses implement ``step(batch, stage) -> loss`` (stage: train / val / test) and log their metrics there.

    ``optimizer``: a partial taking the parameters (default ``torch.optim.Adam``); ``scheduler``: a partial taking
    the optimizer, stepped once per epoch and logged as ``train/lr`` (default none). Both may also be given as
    configs (``conf/model/optimizer/*.yaml``, ``conf/model/scheduler/*.yaml``) or plain keyword mappings.
    """

    def __init__(
        self, image_shape: Sequence[int], num_levels: int, optimizer: Any = None, scheduler: Any = None
    ) -> None:
        super().__init__()
        self.image_shape = image_shape_of(image_shape)
        self.num_levels = int(num_levels)
        self.optimizer_factory = as_factory(optimizer, torch.optim.Adam, "optimizer")
        self.scheduler_factory = as_factory(scheduler, None, "scheduler")
        self.remember(
            image_shape=list(self.image_shape),
            num_levels=self.num_levels,
            optimizer=factory_spec(self.optimizer_factory),
            scheduler=factory_spec(self.scheduler_factory),
        )

    def remember(self, **hparams: Any) -> None:
        """Add plain values to ``self.hparams`` (the constructor arguments the checkpoint rebuilds this module from).

        Not sent to the loggers from here: the run's composed config is logged once, nested, by the train task.
        """
        merged = OmegaConf.to_container(OmegaConf.create({**dict(self.hparams), **hparams}), resolve=True)
        self.save_hyperparameters(merged, logger=False)

    def check_images(self, x: torch.Tensor) -> None:
        """Raise ``InputError`` unless x is an integer tensor (B,C,H,W) of this model's shape and levels."""
        check_images(x, self.image_shape, self.num_levels)

    # --- Lightning -----------------------------------------------------------------------------------------
    flops_per_batch: int | None = None  # FLOPs of a training batch's forward and backward (ThroughputMonitor)
    _flops_counted = False

    def count_flops(self, batch: Sequence[torch.Tensor]) -> int | None:
        """FLOPs (matmuls, convolutions) of the forward and backward pass of ``batch``; None: not counted."""
        return None

    def on_train_batch_start(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        if not self._flops_counted:  # once, at the first batch (the data decides the batch size), in its precision
            with self.trainer.precision_plugin.forward_context():
                self.flops_per_batch, self._flops_counted = self.count_flops(batch), True

    def step(self, batch: Sequence[torch.Tensor], stage: str) -> torch.Tensor:
        raise NotImplementedError

    def training_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.step(batch, "train")
        self.log("train/loss", loss, on_step=True, on_epoch=False, prog_bar=True)
        return loss

    # bits/dim are measured without autocast: in float32 under a ``*-mixed`` trainer, whatever the training precision
    def validation_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        with torch.autocast(self.device.type, enabled=False):
            self.step(batch, "val")

    def test_step(self, batch: Sequence[torch.Tensor], batch_idx: int) -> None:
        with torch.autocast(self.device.type, enabled=False):
            self.step(batch, "test")

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory([p for p in self.parameters() if p.requires_grad])
        if self.scheduler_factory is None:
            return optimizer
        # "name": the scheduler's name in Lightning; its LearningRateMonitor logs the rate under it (train/lr)
        scheduler = self.scheduler_factory(optimizer)
        # a scheduler class may say it steps per optimizer step (WarmupExponentialLR); torch's step per epoch here
        interval = getattr(scheduler, "interval", "epoch")
        scheduler = {"scheduler": scheduler, "interval": interval, "name": "train/lr"}
        return {"optimizer": optimizer, "lr_scheduler": scheduler}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["model_target"] = qualified_name(type(self))
