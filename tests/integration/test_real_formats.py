"""The real loaders (MNIST, CIFAR-10, downsampled ImageNet, CelebA, a folder of images) read small files in each
official format and train 2 steps on them through the train task."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hydra.core.global_hydra import GlobalHydra

from pixelcnn.tasks.train import train
from tests.helpers import compose_config
from tests.helpers.official_formats import (
    mnist_mirror,
    patch_celeba_checksums,
    patch_cifar10_checksums,
    write_celeba,
    write_cifar10,
    write_imagenet32,
)

TWO_STEPS = [
    "model=gated",
    "model/backbone=small",
    "trainer.max_steps=2",
    "trainer.limit_train_batches=2",
    "trainer.max_epochs=1",
    "trainer.limit_val_batches=1",
    "trainer.limit_test_batches=1",
    "data.batch_size=4",
    "data.num_workers=0",
    "figures=none",
    "callbacks.sample_grid.num_samples=0",
    "~callbacks.rich_progress_bar",
    "~callbacks.rich_model_summary",
    "print_config=false",
]


def train_two_steps(tmp_path: Path, *overrides: str, run: str = "run") -> dict:
    cfg = compose_config("train", [*TWO_STEPS, f"paths.data_dir={tmp_path / 'data'}", *overrides], tmp_path / run)
    try:
        metrics = train(cfg)
    finally:
        GlobalHydra.instance().clear()
    assert np.isfinite(metrics["val/bpd"]) and np.isfinite(metrics["test/bpd"])
    return metrics


def test_mnist_idx_gz_files_download_extract_and_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with mnist_mirror(monkeypatch, tmp_path / "mirror"):
        train_two_steps(tmp_path, "data=mnist", "data.download=true", "data.val_size=4")
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").is_file() and (raw / "t10k-labels-idx1-ubyte").is_file()
    train_two_steps(tmp_path, "data=mnist_binary", "data.val_size=4", run="binary")  # the extracted files


def test_cifar10_python_pickles_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_cifar10(tmp_path / "data")
    patch_cifar10_checksums(monkeypatch)
    train_two_steps(tmp_path, "data=cifar10", "data.val_size=6")


def test_imagenet32_npz_batches_convert_once_and_train(tmp_path: Path) -> None:
    write_imagenet32(tmp_path / "data")
    train_two_steps(tmp_path, "data=imagenet32", "data.val_size=4")
    cache = tmp_path / "data" / "imagenet32" / "cache"
    assert np.load(cache / "train_images.npy", mmap_mode="r").shape == (16, 3, 32, 32)
    assert np.load(cache / "test_labels.npy").min() >= 0


def test_celeba_folder_and_list_files_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_celeba(tmp_path / "data")
    patch_celeba_checksums(monkeypatch)
    train_two_steps(tmp_path, "data=celeba", "data.image_shape=[3,8,8]")
    cache = tmp_path / "data" / "celeba" / "cache"
    assert np.load(cache / "train_8.npy", mmap_mode="r").shape == (6, 3, 8, 8)


def test_a_folder_of_scikit_image_pictures_trains(tmp_path: Path) -> None:
    import skimage

    train_two_steps(tmp_path, "data=folder", f"data.path={skimage.data_dir}", "data.image_size=8")
    assert list((tmp_path / "data" / "folder_cache").glob("*.npy"))
