"""train.py -> eval.py for the auto-encoders: bits/dim next to the unconditional model's, and Figure 6 as PNG."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hydra.core.global_hydra import GlobalHydra
from PIL import Image

from pixelcnn import load_model
from pixelcnn.data import DigitsDataModule
from pixelcnn.errors import CheckpointError
from pixelcnn.figures import Captions, Reconstructions, draw_figures
from pixelcnn.figures.reconstructions import mse_baseline
from pixelcnn.models import PixelCNNAutoEncoder
from pixelcnn.tasks.evaluate import evaluate
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, compose_config, run_cli
from tests.helpers.images import grid_shape, grid_size, page_size

SMALL_AE = ["model.latent_dim=4", "model.encoder.channels=[8,16]"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The auto-encoder trained through the CLI; the unconditional model and the MSE baseline in-process."""
    root = tmp_path_factory.mktemp("ae")
    result = run_cli("train.py", *FAST_TRAIN, "model=autoencoder", *SMALL_AE, f"hydra.run.dir={root / 'ae'}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "final: val/bpd" in result.stdout
    torch.set_num_threads(1)  # module fixtures run before conftest's per-test one
    fast = [o for o in FAST_TRAIN if not o.startswith(("model.backbone", "model/backbone"))]  # MSE: no backbone
    train(compose_config("train", [*FAST_TRAIN, "model=gated"], root / "gated"))
    mse = [*fast, "model=mse_autoencoder", *SMALL_AE, "model.decoder.channels=[16,8]"]
    metrics = train(compose_config("train", mse, root / "mse"))
    GlobalHydra.instance().clear()
    assert set(metrics) >= {"val/mse", "test/mse"} and "val/bpd" not in metrics
    return {"ae": root / "ae", "gated": root / "gated", "mse": root / "mse"}


def best(run: Path) -> str:
    return json.loads((run / "metrics.json").read_text())["best_ckpt"]


def test_eval_reports_both_bpds_and_writes_figure6(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "eval"
    result = run_cli(
        "eval.py",
        f"ckpt_path={best(runs['ae'])}",
        f"compare_ckpt={best(runs['gated'])}",
        f"figures.reconstructions.mse_ckpt={best(runs['mse'])}",
        "figures.reconstructions.rows=3",
        "figures.reconstructions.samples_per_row=2",
        f"hydra.run.dir={out}",
        "print_config=false",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    trained = json.loads((runs["ae"] / "metrics.json").read_text())
    assert metrics["test/bpd"] == pytest.approx(trained["test/bpd"], abs=1e-6)
    gated = json.loads((runs["gated"] / "metrics.json").read_text())
    assert metrics["compare/test/bpd"] == pytest.approx(gated["test/bpd"], abs=1e-6)
    figure = Path(metrics["figures/reconstructions"])
    assert figure == out / "reconstructions.png"
    # 3 rows of source | MSE reconstruction | 2 samples of 8x8 images, captioned
    assert grid_shape(figure) == (3, 4) and Image.open(figure).height > grid_size(3, 4, 8)[1]  # captions on top
    assert "test/bpd" in result.stdout and "compare/test/bpd" in result.stdout


def test_figure6_without_mse_column_and_mse_eval(runs: dict[str, Path], tmp_path: Path) -> None:
    model = load_model(best(runs["ae"]))
    assert isinstance(model, PixelCNNAutoEncoder) and model.latent_dim == 4
    digits = DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, val_size=200, test_size=297)
    figures = draw_figures([Reconstructions(rows=2, samples_per_row=3)], model, digits, tmp_path, {"progress": False})
    assert set(figures) == {"reconstructions"}
    captions = Captions(columns=["source", "1", "2", "3"], title="PixelCNN samples given the source's code h, m=4")
    assert Image.open(figures["reconstructions"]).size == page_size(2, 4, 8, captions)  # source | 3 samples
    with pytest.raises(CheckpointError, match="holds a PixelCNN; pass an mse_autoencoder run"):
        mse_baseline(best(runs["gated"]), model)

    metrics = evaluate(compose_config("eval", [f"ckpt_path={best(runs['mse'])}", "print_config=false"], tmp_path))
    GlobalHydra.instance().clear()
    assert 0 < metrics["test/mse"] < 1 and "test/bpd" not in metrics
    assert Path(metrics["figures/reconstructions"]).is_file()
