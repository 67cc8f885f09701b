"""After every training epoch one line gives its time, images/s and the time left."""

from __future__ import annotations

import logging

import pytorch_lightning as pl

from pixelcnn.callbacks.eta import RunETA, duration
from pixelcnn.data import DigitsDataModule
from pixelcnn.models import PixelCNN
from tests.helpers import TINY_BACKBONE


def test_duration_reads_well() -> None:
    assert duration(12.4) == "12 s" and duration(245) == "4 min 05 s" and duration(7380) == "2 h 03 min"


def test_each_epoch_logs_its_rate_and_the_time_left(caplog, tmp_path) -> None:
    data = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, batch_size=32, seed=0)
    model = PixelCNN((1, 8, 8), 17, backbone=TINY_BACKBONE)
    trainer = pl.Trainer(
        accelerator="cpu",
        max_epochs=3,
        limit_train_batches=2,
        limit_val_batches=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[RunETA()],
        default_root_dir=tmp_path,
    )
    with caplog.at_level(logging.INFO, logger="pixelcnn"):
        trainer.fit(model, datamodule=data)
    lines = [r.getMessage() for r in caplog.records if r.name == "pixelcnn" and r.getMessage().startswith("epoch")]
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3: ") and "(64 images, " in lines[0] and "images/s" in lines[0]
    assert "left (ETA " in lines[0] and "left (ETA " in lines[1]
    assert lines[2].startswith("epoch 3/3: ") and "left" not in lines[2]  # done
