"""Weight averaging in seconds: the average moves with the warm-up decay, ``load_model`` computes with it, and the
sample grid of a validation is drawn with it (callbacks in the order ``train`` puts them)."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from pixelcnn import load_model
from pixelcnn.callbacks import EMA
from pixelcnn.callbacks.sample_grid import SampleGridCallback
from pixelcnn.checkpoints.registry import qualified_name
from pixelcnn.models import PixelCNN
from pixelcnn.tasks.train import ordered
from tests.helpers import TINY_BACKBONE
from tests.helpers.averaging import RecordWeights, assert_weights_close, quick_trainer, warmup_average

SHAPE, LEVELS, STEPS, DECAY = (1, 4, 4), 4, 3, 0.9


def tiny_model() -> PixelCNN:
    pl.seed_everything(0)
    return PixelCNN(SHAPE, LEVELS, backbone=TINY_BACKBONE, optimizer={"lr": 0.05})


def loader() -> DataLoader:
    images = torch.randint(0, LEVELS, (32, *SHAPE), generator=torch.Generator().manual_seed(0))
    return DataLoader(TensorDataset(images), batch_size=8)


def differs(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return any(not torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_the_average_moves_every_step_with_the_warm_up_decay(tmp_path: Path) -> None:
    model, recorder = tiny_model(), RecordWeights()
    trainer = quick_trainer(tmp_path, max_steps=STEPS, limit_val_batches=0, callbacks=[recorder, EMA(decay=DECAY)])
    trainer.fit(model, train_dataloaders=loader())
    raw = [recorder.weights[step] for step in range(1, STEPS + 1)]
    # after fit the model holds the average: d_t = min(0.9, (1+t)/(10+t)) = 2/11, 3/12 (0.9 without warm-up)
    assert_weights_close(model.state_dict(), warmup_average(None, raw, DECAY, 0))
    assert differs(model.state_dict(), raw[-1]) and differs(model.state_dict(), raw[0])


def test_load_model_computes_with_the_averaged_weights(tmp_path: Path) -> None:
    averaged, raw = tiny_model(), tiny_model()
    with torch.no_grad():
        for p in raw.parameters():
            p.add_(torch.randn_like(p))  # the raw weights differ from the average everywhere
    path = tmp_path / "ema.ckpt"
    torch.save(
        {
            "state_dict": averaged.state_dict(),  # where Lightning's WeightAveraging writes the average
            "current_model_state": raw.state_dict(),  # and the raw weights, for resuming
            "model_target": qualified_name(PixelCNN),
            "hyper_parameters": dict(averaged.hparams),
        },
        path,
    )
    loaded = load_model(path)
    assert not differs(loaded.state_dict(), averaged.state_dict())
    x = torch.randint(0, LEVELS, (2, *SHAPE))
    with torch.no_grad():
        assert torch.equal(loaded(x), averaged.eval()(x))


def test_the_validation_grid_is_drawn_with_the_averaged_weights(tmp_path: Path, monkeypatch) -> None:
    model, recorder, drawn = tiny_model(), RecordWeights(), []
    real = SampleGridCallback.on_validation_epoch_end

    def spy(self, trainer, pl_module) -> None:
        drawn.append({k: v.detach().clone() for k, v in pl_module.state_dict().items()})
        real(self, trainer, pl_module)

    monkeypatch.setattr(SampleGridCallback, "on_validation_epoch_end", spy)
    grid = SampleGridCallback(num_samples=2, dirpath=str(tmp_path / "samples"))
    callbacks = ordered([EMA(decay=DECAY), grid, recorder])  # as train() orders them
    trainer = quick_trainer(
        tmp_path, max_steps=STEPS, val_check_interval=STEPS, num_sanity_val_steps=0, callbacks=callbacks
    )
    trainer.fit(model, train_dataloaders=loader(), val_dataloaders=loader())
    raw = [recorder.weights[step] for step in range(1, STEPS + 1)]
    assert len(drawn) == 1 and grid.last_path is not None and grid.last_path.is_file()
    assert_weights_close(drawn[0], warmup_average(None, raw, DECAY, 0))  # the average, not the raw weights
    assert differs(drawn[0], raw[-1])
