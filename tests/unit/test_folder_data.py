"""data=folder: any folder of PNG / JPEG images (optionally one sub-folder per class) becomes a data set."""

from __future__ import annotations

import logging
from pathlib import Path

import hydra
import numpy as np
import pytest
from PIL import Image

from pixelcnn.data.folder import FolderDataModule, quantize
from pixelcnn.errors import DataNotFoundError, DataValidationError


def write_folder(root: Path, per_class: int = 4) -> Path:
    rng = np.random.default_rng(0)
    for name in ("cats", "dogs"):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (20 + i, 30, 3), dtype=np.uint8)  # not square: centre-cropped
            Image.fromarray(pixels).save(root / name / f"{i}.{'png' if i % 2 else 'jpg'}")
    (root / "dogs" / "broken.png").write_bytes(b"not an image")
    (root / "dogs" / "notes.txt").write_text("ignored: not an image suffix")
    return root


def test_quantize_maps_256_values_to_k_equal_bins() -> None:
    values = np.arange(256, dtype=np.uint8)
    assert np.array_equal(quantize(values, 256), values)
    assert quantize(values, 4).tolist() == [0] * 64 + [1] * 64 + [2] * 64 + [3] * 64


def test_a_folder_with_class_folders_becomes_a_labelled_data_set(make_config, tmp_path: Path, caplog) -> None:
    root = write_folder(tmp_path / "images")
    cfg = make_config(
        "data=folder",
        f"data.path={root}",
        "data.image_size=8",
        "data.num_levels=16",
        f"data.cache_dir={tmp_path / 'cache'}",
        "data.val_fraction=0.125",
        "data.test_fraction=0.125",
    )
    datamodule: FolderDataModule = hydra.utils.instantiate(cfg.data)
    assert datamodule.image_shape == (3, 8, 8)
    with caplog.at_level(logging.WARNING, logger="pixelcnn"):
        datamodule.setup()
    assert datamodule.skipped == 1
    assert "skipped 2 of 10 files: 1 not readable as images; 1 not PNG / JPEG (1 .txt)" in caplog.text
    sizes = {split: len(ds) for split, ds in datamodule.datasets.items()}
    assert sizes == {"train": 6, "val": 1, "test": 1}
    x, y = datamodule.datasets["train"][0]
    assert x.shape == (3, 8, 8) and 0 <= int(x.min()) and int(x.max()) < 16
    labels = sorted(int(ds[i][1]) for ds in datamodule.datasets.values() for i in range(len(ds)))
    assert labels == [0] * 4 + [1] * 4  # cats, dogs; the broken file is skipped

    cache = list((tmp_path / "cache").glob("*.npy"))
    again = hydra.utils.instantiate(cfg.data)
    again.setup()  # converted once: the second module reads the cache
    assert sorted((tmp_path / "cache").glob("*.npy")) == sorted(cache) and again.skipped == 1


def test_a_flat_folder_is_unlabelled_and_greyscale_works(tmp_path: Path) -> None:
    root = tmp_path / "flat"
    root.mkdir()
    for i in range(5):
        Image.fromarray(np.full((10, 10), 40 * i, dtype=np.uint8)).save(root / f"{i}.png")
    datamodule = FolderDataModule(path=str(root), cache_dir=str(tmp_path / "c"), image_shape=[1, 4, 4], num_levels=2)
    datamodule.setup()
    x, y = datamodule.datasets["train"][0]
    assert x.shape == (1, 4, 4) and int(y) == -1 and set(x.unique().tolist()) <= {0, 1}


def test_a_missing_or_empty_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="is not a folder"):
        FolderDataModule(
            path=str(tmp_path / "nope"), cache_dir=str(tmp_path), image_shape=[3, 8, 8], num_levels=256
        ).setup()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.png").write_bytes(b"junk")
    with pytest.raises(DataNotFoundError, match="no readable PNG / JPEG images"):
        FolderDataModule(
            path=str(tmp_path / "empty"), cache_dir=str(tmp_path), image_shape=[3, 8, 8], num_levels=256
        ).setup()


def test_the_images_shipped_with_scikit_image_are_a_data_set(tmp_path: Path) -> None:
    import skimage

    datamodule = FolderDataModule(
        path=skimage.data_dir,
        cache_dir=str(tmp_path),
        image_shape=[3, 16, 16],
        num_levels=256,
        val_fraction=0.15,
        test_fraction=0.15,
    )
    datamodule.setup()
    total = sum(len(ds) for ds in datamodule.datasets.values())
    assert total >= 20 and len(datamodule.datasets["val"]) >= 3


def test_16_bit_pngs_keep_their_full_range(tmp_path: Path) -> None:
    """A 16-bit grey ramp written by Pillow: scaled to 8 bits, then to the levels (Pillow's convert clips it)."""
    root = tmp_path / "deep"
    root.mkdir()
    ramp = np.linspace(0, 65535, 64).round().astype(np.uint16).reshape(8, 8)
    for i in range(5):
        Image.fromarray(ramp).save(root / f"{i}.png")
    assert Image.open(root / "0.png").mode == "I;16"  # really 16 bits on disk
    datamodule = FolderDataModule(path=str(root), cache_dir=str(tmp_path / "c"), image_shape=[1, 8, 8], num_levels=4)
    datamodule.setup()
    x, _ = datamodule.datasets["train"][0]
    expected = quantize(np.rint(ramp / 257).astype(np.uint8), 4)
    assert np.array_equal(x.numpy()[0], expected)
    assert np.bincount(x.numpy().ravel(), minlength=4).tolist() == [16, 16, 16, 16]  # every level, not near-white


def test_class_folders_next_to_top_level_images_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "mixed"
    (root / "cats").mkdir(parents=True)
    for path in (root / "top.png", root / "cats" / "a.png"):
        Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(path)
    datamodule = FolderDataModule(path=str(root), cache_dir=str(tmp_path / "c"), image_shape=[1, 4, 4], num_levels=2)
    with pytest.raises(DataValidationError, match=r"mixes 1 image at its top level \(top.png\) with class folders"):
        datamodule.setup()
