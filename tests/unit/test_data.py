"""Data modules: offline data sets, real loaders on files made in the test, clear errors for missing / bad data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pixelcnn.data import CIFAR10DataModule, DigitsDataModule, ImageNetDataModule, MNISTDataModule, PatchesDataModule
from pixelcnn.errors import DataNotFoundError, DataValidationError
from tests.helpers import run_cli


def all_items(dataset) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = zip(*(dataset[i] for i in range(len(dataset))), strict=True)
    return np.stack([x.numpy() for x in xs]), np.array([int(y) for y in ys])


def test_digits_splits_are_disjoint_and_cover_the_data_set() -> None:
    dm = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, seed=0)
    dm.setup()
    sizes = {split: len(ds) for split, ds in dm.datasets.items()}
    assert sizes == {"train": 1300, "val": 200, "test": 297}
    indices = [set(ds.indices.tolist()) for ds in dm.datasets.values()]
    assert not (indices[0] & indices[1]) and not (indices[0] & indices[2]) and not (indices[1] & indices[2])
    x, y = all_items(dm.datasets["test"])
    assert x.shape == (297, 1, 8, 8) and x.min() >= 0 and x.max() == 16 and set(y) == set(range(10))
    batch_x, batch_y = next(iter(dm.train_dataloader()))
    assert batch_x.shape == (64, 1, 8, 8) and str(batch_x.dtype) == "torch.int64" and batch_y.shape == (64,)


def test_patches_test_images_are_never_in_training() -> None:
    dm = PatchesDataModule(
        image_shape=[3, 16, 16],
        num_levels=256,
        train_images=["astronaut", "rocket"],
        val_images=["china"],
        test_images=["coffee"],
        patches_per_image=[8, 4, 4],
        seed=0,
    )
    dm.setup()
    train_x, train_y = all_items(dm.datasets["train"])
    test_x, _ = all_items(dm.datasets["test"])
    assert train_x.shape == (16, 3, 16, 16) and test_x.shape == (4, 3, 16, 16)
    assert set(train_y) == {0, 1}
    assert train_x.std() > 5  # real image content, not blank crops
    with pytest.raises(DataValidationError, match="in train and in val/test"):
        PatchesDataModule(
            image_shape=[3, 16, 16], num_levels=256, train_images=["coffee"], val_images=[], test_images=["coffee"]
        )


def test_crops_keep_height_and_width_apart_on_non_square_images() -> None:
    dm = PatchesDataModule(
        image_shape=[3, 8, 24],
        num_levels=256,
        train_images=["rocket"],
        val_images=["china"],
        test_images=["coffee"],
        patches_per_image=[3, 2, 2],
    )
    dm.setup()
    assert dm.datasets["train"][0][0].shape == (3, 8, 24)


def write_imagenet_npz(folder: Path, resolution: int, batches: int, per_batch: int) -> np.ndarray:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    all_data = []
    for b in range(batches):
        data = rng.integers(0, 256, (per_batch, 3 * resolution * resolution), dtype=np.uint8)
        np.savez(folder / f"train_data_batch_{b + 1}.npz", data=data, labels=rng.integers(1, 1001, per_batch))
        all_data.append(data)
    val = rng.integers(0, 256, (5, 3 * resolution * resolution), dtype=np.uint8)
    np.savez(folder / "val_data.npz", data=val, labels=np.arange(1, 6))
    return val


def test_imagenet_reads_the_official_npz_layout(tmp_path: Path) -> None:
    val = write_imagenet_npz(tmp_path / "imagenet32", 32, batches=2, per_batch=6)
    dm = ImageNetDataModule(
        data_dir=str(tmp_path), resolution=32, image_shape=[3, 32, 32], num_levels=256, num_classes=1000, val_size=3
    )
    dm.setup()
    assert (len(dm.datasets["train"]), len(dm.datasets["val"]), len(dm.datasets["test"])) == (9, 3, 5)
    x, y = dm.datasets["test"][1]
    # planar layout: the first 1024 values are the red plane of the first image, row by row
    assert np.array_equal(x.numpy(), val[1].reshape(3, 32, 32))
    assert int(y) == 1  # labels 1..1000 become 0..999
    assert (tmp_path / "imagenet32" / "cache" / "train_images.npy").is_file()


def test_imagenet_files_of_the_wrong_resolution_are_named(tmp_path: Path) -> None:
    write_imagenet_npz(tmp_path / "imagenet64", 32, batches=1, per_batch=4)
    dm = ImageNetDataModule(data_dir=str(tmp_path), resolution=64, image_shape=[3, 64, 64], num_levels=256)
    with pytest.raises(DataValidationError, match=r"train_data_batch_1\.npz.*expected 12288"):
        dm.setup()


def test_missing_data_sets_say_what_to_get(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"no train_data_batch_\*\.npz in .*imagenet64.*image-net\.org"):
        ImageNetDataModule(data_dir=str(tmp_path), resolution=64, image_shape=[3, 64, 64], num_levels=256).setup()
    with pytest.raises(DataNotFoundError, match="CIFAR-10 not found.*data.download=true"):
        CIFAR10DataModule(data_dir=str(tmp_path), image_shape=[3, 32, 32], num_levels=256).check_available()
    with pytest.raises(DataNotFoundError, match="MNIST not found"):
        MNISTDataModule(data_dir=str(tmp_path), image_shape=[1, 28, 28], num_levels=256).check_available()


def test_mnist_levels_must_match_binarization(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="binarize=True has 2 levels"):
        MNISTDataModule(data_dir=str(tmp_path), binarize=True, image_shape=[1, 28, 28], num_levels=256)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data.image_shape=[1,8,9]", r"digits train set: images are \(C,H,W\)=\(1, 8, 8\) but data.image_shape"),
        ("data.num_levels=10", r"digits train set: image \d+ has levels in \[0, 1[0-6]\], outside \[0, 10\)"),
    ],
)
def test_bad_shapes_and_levels_are_refused_by_the_cli(override: str, message: str, tmp_path: Path) -> None:
    result = run_cli("train.py", override, "print_config=false", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert pytest.importorskip("re").search(message, result.stderr), result.stderr[-2000:]


def test_missing_imagenet_exits_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    result = run_cli(
        "train.py", "model=gated_cond", "data=imagenet64", f"paths.data_dir={tmp_path}", f"hydra.run.dir={tmp_path}/r"
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "train_data_batch_*.npz" in errors[0] and str(tmp_path) in errors[0]
