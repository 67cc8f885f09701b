"""The per-validation preview draws the same Figures as the final figures: class rows labelled with the data set's
class names, at most about ``num_samples`` images whatever the number of classes, sampled with the ``sampling``
options the train config passes it (resolved before the config is stored in a checkpoint)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from PIL import Image

from pixelcnn.callbacks import SampleGridCallback
from pixelcnn.checkpoints.stored import check_no_interpolation
from pixelcnn.data import DigitsDataModule
from pixelcnn.figures import Captions, SampleGrid, page_layout, save_grid
from pixelcnn.models import ClassConditionalPixelCNN, EmbeddingConditionalPixelCNN, PixelCNN, PixelCNNAutoEncoder
from pixelcnn.tasks.errors import user_errors
from pixelcnn.tasks.runtime import resolved
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, TINY_BACKBONE
from tests.helpers.images import grid_shape
from tests.unit.test_embedding_conditional import COND_DIM, pairs_module, write_pairs

DIGITS = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10)
CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def tiny(cls: type, shape=(1, 8, 8), levels: int = 17, **kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    return cls(list(shape), levels, backbone=TINY_BACKBONE, **kwargs).eval()


def validate(callback: SampleGridCallback, model: torch.nn.Module, datamodule, folder: Path) -> Path:
    """What Lightning does at the end of the first validation (rank 0, no sanity check, no loggers)."""
    trainer = SimpleNamespace(
        sanity_checking=False,
        is_global_zero=True,
        current_epoch=0,
        global_step=3,
        datamodule=datamodule,
        default_root_dir=str(folder),
        loggers=[],
    )
    callback.on_validation_epoch_end(trainer, model)
    assert callback.last_path == folder / "samples" / "epoch_000.png" and callback.last_path.is_file()
    return callback.last_path


def recorded_sample_calls(patch: pytest.MonkeyPatch, cls: type) -> list[dict]:
    """Every ``cls.sample`` call from now on, as {"n": ..., **keyword arguments}."""
    calls: list[dict] = []
    original = cls.sample

    def sample(self, n, **kwargs):
        calls.append({"n": n, **kwargs})
        return original(self, n, **kwargs)

    patch.setattr(cls, "sample", sample)
    return calls


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_the_preview_of_a_class_conditional_model_labels_its_rows_with_class_names(tmp_path: Path) -> None:
    model = tiny(ClassConditionalPixelCNN, num_classes=10)
    cifar = SimpleNamespace(class_names=CIFAR_NAMES)
    drawn = pixels(validate(SampleGridCallback(num_samples=20, seed=1), model, cifar, tmp_path))
    # the final figure's picture, pixel for pixel: 10 rows of 2, each labelled with its class name
    final = pixels(SampleGrid(num_samples=20, seed=1).draw(model, cifar, tmp_path / "final", {})["samples"])
    assert np.array_equal(drawn, final)
    layout = page_layout(20, 2, 8, 8, Captions(rows=CIFAR_NAMES))
    assert drawn.shape[:2] == (layout.height, layout.width)
    samples = model.sample(20, cond=torch.arange(10).repeat_interleave(2), seed=1)
    plain = pixels(save_grid(samples, 17, tmp_path / "plain.png", nrow=2))
    assert drawn.shape[1] > plain.shape[1] and np.array_equal(drawn[:, -plain.shape[1] :], plain)  # names left
    assert (drawn[:, : layout.left] < 128).any()  # text drawn in the margin


def test_the_preview_samples_with_the_sampling_options(tmp_path: Path) -> None:
    model = tiny(PixelCNN)
    sampling = {"fast": True, "batch_size": 2, "progress": False, "capture": False}
    with pytest.MonkeyPatch.context() as patch:
        calls = recorded_sample_calls(patch, PixelCNN)
        validate(SampleGridCallback(num_samples=5, seed=3, sampling=sampling), model, DIGITS, tmp_path)
    assert calls == [{"n": 5, "seed": 3, **sampling}]


def test_the_train_config_passes_its_sampling_group_resolved(make_config) -> None:
    cfg = make_config("sampling.batch_size=3", "sampling.fast=false")
    callback = instantiate(cfg.callbacks.sample_grid)
    assert callback.sampling == {"fast": False, "batch_size": 3, "progress": True, "capture": "auto"}
    assert isinstance(callback.sampling, dict)
    stored = resolved(cfg)  # what ConfigInCheckpoint writes into every checkpoint
    assert stored["callbacks"]["sample_grid"]["sampling"] == callback.sampling
    check_no_interpolation(stored, "checkpoint")  # the checkpoint reader accepts it


def test_the_preview_of_a_1000_class_model_samples_at_most_num_samples(tmp_path: Path) -> None:
    model = tiny(ClassConditionalPixelCNN, shape=(1, 4, 4), levels=5, num_classes=1000)
    with pytest.MonkeyPatch.context() as patch:
        calls = recorded_sample_calls(patch, ClassConditionalPixelCNN)
        path = validate(SampleGridCallback(num_samples=16, sampling={"progress": False}), model, None, tmp_path)
    assert sum(call["n"] for call in calls) <= 16
    assert grid_shape(path) == (4, 4)  # 4 classes spread over the 1000, 4 samples each


def test_auto_encoders_and_embedding_models_keep_their_preview(tmp_path: Path) -> None:
    autoencoder = tiny(PixelCNNAutoEncoder, latent_dim=2, encoder={"channels": [4]})
    path = validate(SampleGridCallback(num_samples=8), autoencoder, DIGITS, tmp_path / "ae")
    assert grid_shape(path) == (2, 4)  # 8 // 4 validation images | 3 decodings of each one's code
    embedded = tiny(EmbeddingConditionalPixelCNN, shape=(1, 4, 4), levels=3, cond_dim=COND_DIM)
    pairs = pairs_module(write_pairs(tmp_path / "pairs.pt"))
    path = validate(SampleGridCallback(num_samples=4), embedded, pairs, tmp_path / "embed")
    assert grid_shape(path) == (2, 2)  # one sample of each of the first 4 validation h


def test_no_preview_without_samples(tmp_path: Path) -> None:
    callback = SampleGridCallback(num_samples=0)
    trainer = SimpleNamespace(sanity_checking=False, is_global_zero=True, current_epoch=0, default_root_dir=tmp_path)
    callback.on_validation_epoch_end(trainer, tiny(PixelCNN))
    assert callback.last_path is None and not (tmp_path / "samples").exists()


@pytest.mark.parametrize(
    "override, message",
    [
        ("sampling.batch_size=0", "callbacks.sample_grid.sampling.batch_size must be an int >= 1 or None, got 0"),
        ("sampling.capture=maybe", "callbacks.sample_grid.sampling.capture must be auto, true or false"),
        ("+sampling.bogus=1", "callbacks.sample_grid.sampling.bogus: not a sampling option; the options are fast"),
        ("callbacks.sample_grid.every_n_epochs=0", "callbacks.sample_grid.every_n_epochs must be an int >= 1"),
    ],
)
def test_bad_preview_options_stop_the_run_before_training(make_config, capsys, override: str, message: str) -> None:
    cfg = make_config(*FAST_TRAIN, override)
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    lines = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and len(lines) == 1 and message in lines[0], lines
    assert not (Path(cfg.paths.output_dir) / "checkpoints").exists()  # stopped before the first step
