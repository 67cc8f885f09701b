"""gated_embed and gated_spatial: conditioning shape errors, causality of Eq. 5, seeds of interpolation strips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate
from PIL import Image

from pixelcnn.data import EmbeddingPairsDataModule
from pixelcnn.errors import DataNotFoundError, DataValidationError, InputError
from pixelcnn.figures import Captions, Portraits, interpolation_strips, page_layout
from pixelcnn.models import EmbeddingConditionalPixelCNN, SpatialConditionalPixelCNN
from pixelcnn.tasks.errors import user_message
from tests.helpers import TINY_BACKBONE, compose_config

COND_DIM = 6
MODEL_KINDS = {"gated_embed": EmbeddingConditionalPixelCNN, "gated_spatial": SpatialConditionalPixelCNN}


def make_model(kind: str, image_shape=(3, 5, 7), num_levels: int = 4, seed: int = 0):
    torch.manual_seed(seed)
    model = MODEL_KINDS[kind](list(image_shape), num_levels, cond_dim=COND_DIM, backbone=TINY_BACKBONE)
    return model.eval()


@pytest.mark.parametrize("kind", ["gated_embed", "gated_spatial"])
def test_wrong_embedding_dimension_is_refused_with_the_expected_shape(kind: str) -> None:
    model = make_model(kind)
    x = torch.zeros(2, 3, 5, 7, dtype=torch.long)
    with pytest.raises(InputError, match=r"takes a FloatTensor \(2, 6\); the embedding dimension must be 6"):
        model(x, torch.randn(2, COND_DIM + 1))
    with pytest.raises(InputError, match="pass cond"):
        model(x)
    with pytest.raises(InputError, match="FloatTensor"):
        model(x, torch.zeros(2, COND_DIM, dtype=torch.long))
    with pytest.raises(InputError, match="cond_dim is None; use data=embeddings"):
        MODEL_KINDS[kind]([3, 5, 7], 4, cond_dim=None, backbone=TINY_BACKBONE)


def test_spatial_map_has_the_image_size_and_varies_over_it() -> None:
    model = make_model("gated_spatial")
    biases = model.conditioner(torch.randn(2, COND_DIM))
    assert len(biases) == TINY_BACKBONE["num_layers"]
    hidden = TINY_BACKBONE["hidden_channels"]
    assert all(b.shape == (2, 4 * hidden, 5, 7) for b in biases[:-1])
    assert biases[-1].shape == (2, 2 * hidden, 5, 7)  # the last layer's horizontal half only
    assert biases[0].std(dim=(2, 3)).mean() > 1e-4  # location-dependent, not one bias per layer


@pytest.mark.parametrize("kind", ["gated_embed", "gated_spatial"])
def test_changing_h_changes_the_logits(kind: str) -> None:
    model = make_model(kind)
    x = torch.randint(0, 4, (2, 3, 5, 7), generator=torch.Generator().manual_seed(1))
    h = torch.randn(2, COND_DIM)
    with torch.no_grad():
        delta = (model(x, h) - model(x, h + 0.5)).abs()
    assert delta[:, :, 0, 0, 0].max() > 1e-5  # even the first sub-pixel, which sees no pixel, depends on h
    assert delta.amax(dim=(0, 1)).min() > 0  # every sub-pixel does


@pytest.mark.parametrize("kind", ["gated_embed", "gated_spatial"])
def test_no_logit_depends_on_its_own_or_a_later_sub_pixel(kind: str) -> None:
    """Perturb x at sub-pixel p (raster order, R -> G -> B inside a pixel) with h fixed: no logit at or before p
    may change, and some later one must (so the check can fail)."""
    channels, height, width = 3, 5, 7
    model = make_model(kind)
    generator = torch.Generator().manual_seed(2)
    x = torch.randint(0, 4, (1, channels, height, width), generator=generator)
    h = torch.randn(1, COND_DIM, generator=generator)
    order = torch.arange(channels * height * width).view(height, width, channels).permute(2, 0, 1)  # (C,H,W)
    with torch.no_grad():
        base = model(x, h)
        for c, i, j in [(0, 0, 0), (1, 0, 3), (2, 2, 6), (0, 3, 0), (1, 4, 5), (2, 4, 6)]:
            changed = x.clone()
            changed[0, c, i, j] = (changed[0, c, i, j] + 1) % 4
            delta = (model(changed, h) - base).abs().amax(dim=(0, 1))  # (C,H,W)
            position = order[c, i, j]
            assert delta[order <= position].max() == 0, (kind, c, i, j)
            if position < order.max():
                assert delta[order > position].max() > 0, (kind, c, i, j)


@pytest.mark.parametrize("kind", ["gated_embed", "gated_spatial"])
def test_interpolation_rows_share_their_seed(kind: str) -> None:
    model = make_model(kind, image_shape=(1, 4, 4), num_levels=3)
    h_a, h_b = torch.randn(COND_DIM) * 3, torch.randn(COND_DIM) * 3
    steps, seeds = 4, [7, 8]
    strips = interpolation_strips(model, h_a, h_b, steps, seeds).view(len(seeds), steps, 1, 4, 4)
    for row, seed in enumerate(seeds):
        assert torch.equal(strips[row, 0], model.sample(1, cond=h_a[None], seed=seed)[0])
        assert torch.equal(strips[row, -1], model.sample(1, cond=h_b[None], seed=seed)[0])
        second = h_a + (h_b - h_a) / 3  # the path's second point
        assert torch.equal(strips[row, 1], model.sample(1, cond=second[None], seed=seed)[0])
    assert not torch.equal(strips[0], strips[1])  # the seed matters


def write_pairs(path: Path, cond_dim: int = COND_DIM, image_shape=(1, 4, 4), num_levels: int = 3) -> Path:
    generator = torch.Generator().manual_seed(0)
    splits = {}
    for split, identities in (("train", [0, 0, 1, 1]), ("val", [2, 2, 3]), ("test", [4, 5, 4, 5])):
        n = len(identities)
        splits[split] = {
            "images": torch.randint(0, num_levels, (n, *image_shape), generator=generator).to(torch.uint8),
            "h": torch.randn(n, cond_dim, generator=generator),
            "identities": torch.tensor(identities),
        }
    content = {"format": "pixelcnn-embeddings/1", "image_shape": list(image_shape), "num_levels": num_levels}
    torch.save({**content, "cond_dim": cond_dim, "source": "", "splits": splits}, path)
    return path


def pairs_module(path: Path, cond_dim: int = COND_DIM) -> EmbeddingPairsDataModule:
    return EmbeddingPairsDataModule(
        path=str(path), cond_dim=cond_dim, image_shape=[1, 4, 4], num_levels=3, batch_size=2, seed=0
    )


def test_pairs_file_is_read_and_checked(tmp_path: Path) -> None:
    path = write_pairs(tmp_path / "pairs.pt")
    datamodule = pairs_module(path)
    datamodule.setup()
    x, h, identity = datamodule.datasets["test"][1]
    stored = torch.load(path, weights_only=True)["splits"]["test"]
    assert torch.equal(x, stored["images"][1].long()) and torch.equal(h, stored["h"][1]) and int(identity) == 5
    batch = next(iter(datamodule.train_dataloader()))
    assert batch[0].shape == (2, 1, 4, 4) and batch[1].shape == (2, COND_DIM) and batch[1].dtype == torch.float32

    with pytest.raises(DataValidationError, match="holds 6-dim embeddings but data.cond_dim is 5; set data.cond_dim=6"):
        pairs_module(path, cond_dim=5).setup()
    with pytest.raises(DataNotFoundError, match="export_embeddings.py ckpt_path="):
        pairs_module(tmp_path / "missing.pt").check_available()
    (tmp_path / "bad.pt").write_bytes(b"not a torch file")
    with pytest.raises(DataValidationError, match="not a readable embeddings file"):
        pairs_module(tmp_path / "bad.pt").setup()


@pytest.mark.parametrize("cls", [EmbeddingConditionalPixelCNN, SpatialConditionalPixelCNN])
def test_portraits_show_the_held_out_image_then_its_samples(cls, tmp_path: Path) -> None:
    datamodule = pairs_module(write_pairs(tmp_path / "pairs.pt"))
    torch.manual_seed(0)
    model = cls([1, 4, 4], 3, cond_dim=COND_DIM, backbone=TINY_BACKBONE).eval()
    portraits = Portraits(
        embedding_rows=2, samples_per_embedding=3, interpolation_steps=5, interpolation_seeds=2, seed=3
    )
    assert portraits.applies_to(model)
    figures = portraits.draw(model, datamodule, tmp_path / "figs", {})
    assert set(figures) == {"portraits", "interpolations"}
    assert {name: path.name for name, path in figures.items()} == {
        "portraits": "portraits.png",
        "interpolations": "interpolations.png",
    }
    # 2 rows (identities 4 and 5: test items 0 and 1) of image | 3 samples, captioned like the paper's Figure 4
    captions4 = Captions(
        rows=["identity 4", "identity 5"],
        columns=["source", "1", "2", "3"],
        title="source image, then samples from its embedding h",
    )
    figure4 = page_layout(2 * 4, 4, 4, 4, captions4)
    assert Image.open(figures["portraits"]).size == (figure4.width, figure4.height)
    # 2 rows (seeds 3, 4) of source a | 5 steps | source b, the weight of h_b above each step
    captions5 = Captions(
        rows=["seed 3", "seed 4"],
        columns=["source", "0.00", "0.25", "0.50", "0.75", "1.00", "source"],
        title="identity 4 -> identity 5: samples of (1 - w) h_a + w h_b, one noise per row",
    )
    figure5 = page_layout(2 * 7, 7, 4, 4, captions5)
    assert Image.open(figures["interpolations"]).size == (figure5.width, figure5.height)
    assert figure4.grid.scale * 4 >= 32 and figure5.grid.scale * 4 >= 32
    # the first image of each row is the held-out image itself; interpolation rows start and end at the sources
    test_images = datamodule.datasets["test"]
    for path, layout, last in ((figures["portraits"], figure4, None), (figures["interpolations"], figure5, 6)):
        page = torch.from_numpy(np.asarray(Image.open(path).convert("L")))
        scale, gap = layout.grid.scale, layout.grid.gap
        for row in range(2):
            for col, item in ((0, row if last is None else 0), (last, 1)):
                if col is None:
                    continue
                top = layout.top + gap + row * (4 * scale + gap)
                left = layout.left + gap + col * (4 * scale + gap)
                shown = page[top : top + 4 * scale : scale, left : left + 4 * scale : scale].float() / 255 * 2
                assert torch.equal(shown.round().long(), test_images[item][0][0])


def test_portraits_without_a_pairs_file_ask_for_data_path(tmp_path: Path) -> None:
    cfg = compose_config("train", ["experiment=portraits"], tmp_path)  # nothing writes a default pairs file
    GlobalHydra.instance().clear()
    with pytest.raises(Exception) as raised:
        instantiate(cfg.data)
    message = user_message(raised.value)
    assert message == "Missing mandatory value: data.path; pass it on the command line: data.path=..."
