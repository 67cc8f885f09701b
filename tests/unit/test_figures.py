"""Figures a reader reads: one size knob honoured by every model kind, class rows labelled with the data set's class
names, at least 32 px per image, and one file name per figure (``<name>.png``, logged as ``figures/<name>``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from pixelcnn.data import DigitsDataModule
from pixelcnn.errors import ConfigValueError
from pixelcnn.figures import Captions, Reconstructions, SampleGrid, draw_figures, page_layout, save_grid
from pixelcnn.figures.samples import class_layout, class_names
from pixelcnn.models import ClassConditionalPixelCNN, MSEAutoEncoder, PixelCNN, PixelCNNAutoEncoder
from tests.helpers import TINY_BACKBONE
from tests.helpers.images import grid_shape

NAMES = {"samples", "portraits", "interpolations", "reconstructions"}  # every figure's name and file stem
DIGITS = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10)


def tiny(cls: type, **kwargs) -> torch.nn.Module:
    torch.manual_seed(0)
    return cls([1, 8, 8], 17, backbone=TINY_BACKBONE, **kwargs).eval()


def size(path: Path) -> tuple[int, int]:
    return Image.open(path).size


@pytest.mark.parametrize("kind", ["unconditional", "class-conditional"])
def test_num_samples_sizes_the_sample_grid_of_every_kind(kind: str, tmp_path: Path) -> None:
    model = tiny(PixelCNN) if kind == "unconditional" else tiny(ClassConditionalPixelCNN, num_classes=10)
    sizes = {}
    for n in (10, 20, 40):
        (path,) = SampleGrid(num_samples=n).draw(model, DIGITS, tmp_path / str(n), {}).values()
        sizes[n] = size(path)
    assert len(set(sizes.values())) == 3, sizes  # the knob changes the picture for this kind
    if kind == "class-conditional":  # 10 rows (one per digit) of n // 10 samples
        for n, (width, height) in sizes.items():
            layout = page_layout(n, n // 10, 8, 8, Captions(rows=DIGITS.class_names))
            assert (width, height) == (layout.width, layout.height)


@pytest.mark.parametrize("kind", ["pixelcnn", "mse"])
def test_rows_sizes_the_reconstructions_of_both_auto_encoders(kind: str, tmp_path: Path) -> None:
    model = (
        tiny(PixelCNNAutoEncoder, latent_dim=2, encoder={"channels": [4]})
        if kind == "pixelcnn"
        else MSEAutoEncoder([1, 8, 8], 17, latent_dim=2, encoder={"channels": [4]}, decoder={"channels": [4]}).eval()
    )
    for rows in (2, 3):
        (path,) = Reconstructions(rows=rows, samples_per_row=2).draw(model, DIGITS, tmp_path / str(rows), {}).values()
        assert grid_shape(path) == (rows, 3 if kind == "pixelcnn" else 2)  # source | 2 samples, or source | MSE


def test_class_layout_shows_every_class_or_an_even_spread() -> None:
    assert class_layout(10, 64) == (list(range(10)), 6)
    assert class_layout(10, 5) == ([0, 4, 9], 1)
    assert class_layout(1000, 64) == ([0, 143, 285, 428, 571, 714, 856, 999], 8)  # ImageNet: 8 classes of 8
    shown, per_class = class_layout(1000, 1000)  # never 1000 rows of one image: 32 classes of 31
    assert len(shown) == 32 and per_class == 31 and shown[0] == 0 and shown[-1] == 999
    assert class_layout(100, 100) == (list(range(0, 100, 11)), 10)  # 100 classes: 10 spread rows of 10
    assert class_layout(1000, 24, classes=[3, 7]) == ([3, 7], 12)
    with pytest.raises(ConfigValueError, match="figures.samples.classes=\\[10\\]: must be class ids in 0..9"):
        class_layout(10, 8, classes=[10])
    with pytest.raises(ConfigValueError, match="num_samples=0"):
        SampleGrid(num_samples=0)


def test_class_rows_carry_the_data_modules_class_names(tmp_path: Path) -> None:
    model = tiny(ClassConditionalPixelCNN, num_classes=10)
    cifar = SimpleNamespace(class_names=["airplane", "automobile", "bird", "cat", "deer"] + ["x"] * 5)
    assert class_names(10, DIGITS) == [str(d) for d in range(10)]
    assert class_names(10, cifar)[:2] == ["airplane", "automobile"]
    assert class_names(10, None) == [f"class {i}" for i in range(10)]  # unknown names: the class ids
    assert class_names(10, SimpleNamespace(class_names=["a", "b"])) == class_names(10, None)  # wrong count

    pages = {}
    for name, datamodule in (("digits", DIGITS), ("cifar", cifar), ("ids", None)):
        (path,) = SampleGrid(num_samples=20, seed=1).draw(model, datamodule, tmp_path / name, {}).values()
        pages[name] = np.asarray(Image.open(path).convert("RGB"))
    plain = np.asarray(
        Image.open(
            save_grid(
                model.sample(20, cond=torch.arange(10).repeat_interleave(2), seed=1), 17, tmp_path / "plain.png", nrow=2
            )
        ).convert("RGB")
    )
    for name, page in pages.items():  # the same samples, right of a margin of names
        assert page.shape[1] > plain.shape[1] and np.array_equal(page[:, -plain.shape[1] :], plain), name
        layout = page_layout(20, 2, 8, 8, Captions(rows=class_names(10, {"digits": DIGITS, "cifar": cifar}.get(name))))
        assert page.shape[:2] == (layout.height, layout.width)
    left = page_layout(20, 2, 8, 8, Captions(rows=class_names(10, cifar))).left
    assert not np.array_equal(pages["cifar"][:, :left], np.full_like(pages["cifar"][:, :left], 255))  # text drawn


def test_every_image_is_at_least_32_pixels_and_large_grids_grow(tmp_path: Path) -> None:
    path = save_grid(torch.zeros(256, 1, 8, 8, dtype=torch.long), 17, tmp_path / "big.png", nrow=16)
    assert size(path) == (16 * (32 + 2) + 2,) * 2  # 546 x 546, not 290 x 290
    for count, nrow, side in ((1, 1, 4), (64, 8, 8), (10, 5, 28), (4, 2, 32), (4, 2, 64)):
        layout = page_layout(count, nrow, side, side)
        assert side * layout.grid.scale >= 32, (count, side)
    # a column caption wider than 32 px widens every image of the grid
    wide = page_layout(4, 4, 8, 8, Captions(columns=["a very long caption", "", "", ""]))
    assert 8 * wide.grid.scale >= Captions(columns=["a very long caption"]).min_cell()


def test_each_figure_is_one_png_named_after_its_key(tmp_path: Path) -> None:
    figures = [SampleGrid(num_samples=4), Reconstructions(rows=2, samples_per_row=1)]
    models = [
        tiny(PixelCNN),
        tiny(ClassConditionalPixelCNN, num_classes=10),
        tiny(PixelCNNAutoEncoder, latent_dim=2, encoder={"channels": [4]}),
        MSEAutoEncoder([1, 8, 8], 17, latent_dim=2, encoder={"channels": [4]}, decoder={"channels": [4]}).eval(),
    ]
    for index, model in enumerate(models):
        drawn = draw_figures(figures, model, DIGITS, tmp_path / str(index))
        assert len(drawn) == 1 and set(drawn) <= NAMES, drawn
        for name, path in drawn.items():
            assert path == tmp_path / str(index) / f"{name}.png" and path.is_file()
            assert min(size(path)) >= 32


def test_data_modules_name_their_classes(tmp_path: Path) -> None:
    from pixelcnn.data import CIFAR10DataModule, FolderDataModule, ImageNetDataModule, MNISTDataModule
    from pixelcnn.errors import DataNotFoundError, DataValidationError

    assert DIGITS.class_names == [str(d) for d in range(10)]
    mnist = MNISTDataModule(data_dir=str(tmp_path), image_shape=[1, 28, 28], num_levels=256, num_classes=10)
    assert mnist.class_names == DIGITS.class_names
    cifar = CIFAR10DataModule(data_dir=str(tmp_path), image_shape=[3, 32, 32], num_levels=256, num_classes=10)
    assert cifar.class_names[:3] == ["airplane", "automobile", "bird"] and cifar.class_names[-1] == "truck"

    def imagenet(**kwargs) -> ImageNetDataModule:
        return ImageNetDataModule(str(tmp_path), 32, image_shape=[3, 32, 32], num_levels=256, num_classes=3, **kwargs)

    assert imagenet().class_names == ["class 0", "class 1", "class 2"]  # the npz files carry no names
    (tmp_path / "names.txt").write_text("kit fox\nEnglish setter\n\nSiberian husky\n")
    assert imagenet(class_names_file=str(tmp_path / "names.txt")).class_names[1] == "English setter"
    (tmp_path / "two.txt").write_text("kit fox\nEnglish setter\n")
    with pytest.raises(DataValidationError, match="names 2 classes but data.num_classes is 3"):
        imagenet(class_names_file=str(tmp_path / "two.txt"))
    with pytest.raises(DataNotFoundError, match="data.class_names_file=.*missing.txt: no such file"):
        imagenet(class_names_file=str(tmp_path / "missing.txt"))

    for name in ("cat", "dog"):  # a folder of class folders: the folders' names, once set up
        (tmp_path / "pets" / name).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(tmp_path / "pets" / name / f"{i}.png")
    folder = FolderDataModule(
        str(tmp_path / "pets"), str(tmp_path / "cache"), image_shape=[3, 8, 8], num_levels=4, num_classes=2
    )
    folder.setup()
    assert folder.class_names == ["cat", "dog"]
