"""Bad ImageNet npz files are one line naming the file and leave no cache behind; a cache is rebuilt when its
source files change; a model whose levels differ from the data's is refused."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from pixelcnn.data import ImageNetDataModule
from pixelcnn.errors import DataValidationError
from pixelcnn.tasks.errors import user_errors
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN

RES = 8


def write_npz(path: Path, data: np.ndarray, labels: np.ndarray, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, data=data, labels=labels, **kwargs)


def good_data(n: int, value: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(n)
    data = rng.integers(0, 256, (n, 3 * RES * RES), dtype=np.uint8)
    return data if value is None else np.full_like(data, value)


def imagenet(tmp_path: Path) -> ImageNetDataModule:
    return ImageNetDataModule(
        data_dir=str(tmp_path), resolution=RES, val_size=2, image_shape=[3, RES, RES], num_levels=256
    )


def write_set(tmp_path: Path, train_data: np.ndarray, train_labels: np.ndarray) -> Path:
    folder = tmp_path / f"imagenet{RES}"
    write_npz(folder / "train_data_batch_1.npz", train_data, train_labels)
    write_npz(folder / "val_data.npz", good_data(3), np.arange(1, 4))
    return folder / "train_data_batch_1.npz"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: (good_data(6).astype(np.float32) / 255, np.arange(1, 7)), r"'data' holds float32 values"),
        (lambda: (good_data(6), np.arange(1, 5)), r"'labels' is int64 \(4,\); expected 6 integer labels"),
        (lambda: (good_data(6), np.arange(1, 7).astype(np.float64)), r"'labels' is float64"),
        (lambda: (good_data(6).astype(object), np.arange(1, 7)), r"cannot be read as an npz of plain arrays"),
    ],
)
def test_bad_npz_files_are_named_and_leave_no_cache(tmp_path: Path, make, message: str) -> None:
    data, labels = make()
    path = write_set(tmp_path, data, labels)
    with pytest.raises(DataValidationError, match=rf"^{path}: {message}"):
        imagenet(tmp_path).setup()
    cache = path.parent / "cache"
    assert not cache.exists() or not [p.name for p in cache.iterdir() if p.name.startswith("train")]


def test_a_corrupt_npz_is_named(tmp_path: Path) -> None:
    path = write_set(tmp_path, good_data(6), np.arange(1, 7))
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(DataValidationError, match=rf"^{path}: cannot be read as an npz"):
        imagenet(tmp_path).setup()


def test_the_cache_is_rebuilt_when_a_source_file_changes(tmp_path: Path) -> None:
    path = write_set(tmp_path, good_data(6, value=7), np.arange(1, 7))
    dm = imagenet(tmp_path)
    dm.setup()
    assert int(dm.datasets["train"].images[0].max()) == 7
    write_npz(path, good_data(6, value=9), np.arange(1, 7))  # the same size: only the mtime differs
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    fixed = imagenet(tmp_path)
    fixed.setup()
    assert int(fixed.datasets["train"].images[0].max()) == 9


def test_a_model_with_other_levels_than_the_data_is_refused(make_config, capsys) -> None:
    cfg = make_config(*FAST_TRAIN, "model.num_levels=256")  # digits have 17 levels
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    lines = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and len(lines) == 1, lines
    assert "the model takes [1, 8, 8] images with 256 levels but the data gives [1, 8, 8] with 17" in lines[0]


class FakeCelebA:
    """torchvision's CelebA as ``convert`` uses it, with one file that is not an image."""

    def __init__(self, folder: Path) -> None:
        import torch
        from PIL import Image

        self.filename = ["000001.jpg", "000002.jpg"]
        self.identity = torch.tensor([[1], [2]])
        (folder / "000001.jpg").parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (20, 20)).save(folder / "000001.jpg")
        (folder / "000002.jpg").write_text("not an image")
        self.folder = folder

    def __len__(self) -> int:
        return 2

    def __getitem__(self, i: int):
        from PIL import Image

        return Image.open(self.folder / self.filename[i]), self.identity[i]


def test_a_non_image_file_in_celeba_is_named_and_leaves_no_cache(tmp_path: Path, monkeypatch) -> None:
    from pixelcnn.data.celeba import CelebADataModule

    dm = CelebADataModule(data_dir=str(tmp_path), image_shape=[3, 8, 8], num_levels=256)
    monkeypatch.setattr(dm, "open", lambda split: FakeCelebA(tmp_path / "celeba" / "img_align_celeba"))
    with pytest.raises(DataValidationError, match=r"CelebA train: 000002.jpg under .* is not a readable image"):
        dm.setup()
    assert not list((tmp_path / "celeba" / "cache").glob("*"))  # no .partial.npy, no half cache
