"""The portrait experiment end to end on offline data: embedder -> export -> conditional PixelCNN -> eval figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hydra.core.global_hydra import GlobalHydra

from pixelcnn import load_model
from pixelcnn.embeddings import TripletEmbedder
from pixelcnn.errors import InputError
from pixelcnn.models import EmbeddingConditionalPixelCNN, SpatialConditionalPixelCNN
from pixelcnn.tasks.errors import user_message
from pixelcnn.tasks.evaluate import evaluate
from pixelcnn.tasks.export import export
from pixelcnn.tasks.train import train
from tests.helpers import compose_config, run_cli
from tests.helpers.images import grid_shape

QUIET = ["~callbacks.rich_progress_bar", "~callbacks.rich_model_summary", "print_config=false"]
SMALL_TEXTURES = ["data.image_shape=[3,8,8]", "data.patches_per_image=[16,8,8]", "data.batch_size=32"]
EMBEDDER_FAST = [
    "experiment=portraits_embedder",
    *SMALL_TEXTURES,
    "model.backbone_name=test_resnet",
    "model.embedding_dim=8",
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=3",
    *QUIET,
]
PIXELCNN_FAST = [
    "data.cond_dim=8",
    "data.image_shape=[3,8,8]",
    "model.backbone.num_layers=2",
    "model.backbone.hidden_channels=12",
    "model.backbone.skip_channels=12",
    "model.backbone.output_hidden=12",
    "model.backbone.kernel_size=3",
    "model.backbone.first_kernel_size=3",
    "trainer.max_epochs=1",
    "trainer.limit_train_batches=2",
    "trainer.limit_val_batches=1",
    "callbacks.sample_grid.num_samples=2",
    "figures.portraits.embedding_rows=1",
    "figures.portraits.samples_per_embedding=1",
    "figures.portraits.interpolation_steps=2",
    "figures.portraits.interpolation_seeds=1",
    *QUIET,
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    torch.set_num_threads(1)  # module fixtures run before conftest's per-test one
    root = tmp_path_factory.mktemp("portraits")
    embedder = train(compose_config("train", EMBEDDER_FAST, root / "embedder"))
    pairs = root / "pairs.pt"
    export_overrides = [f"ckpt_path={embedder['best_ckpt']}", f"output={pairs}", "print_config=false"]  # a path given
    export(compose_config("export", export_overrides, root / "export"))
    data = [f"data.path={pairs}", *PIXELCNN_FAST]
    pixelcnn = train(compose_config("train", ["experiment=portraits", *data], root / "pixelcnn"))
    spatial = train(compose_config("train", ["experiment=portraits", "model=gated_spatial", *data], root / "spatial"))
    GlobalHydra.instance().clear()
    return {"root": root, "embedder": embedder, "pairs": pairs, "pixelcnn": pixelcnn, "spatial": spatial}


def test_embedder_experiment_reports_held_out_retrieval(runs: dict) -> None:
    metrics = runs["embedder"]
    for key in ("val/triplet_loss", "val/retrieval_acc", "test/retrieval_acc", "test/retrieval_chance"):
        assert key in metrics
    assert 0.0 <= metrics["test/retrieval_acc"] <= 1.0
    assert Path(metrics["best_ckpt"]).is_file()
    embedder = load_model(metrics["best_ckpt"])  # load_model rebuilds the embedder too, not only PixelCNNs
    assert isinstance(embedder, TripletEmbedder) and not embedder.training


def test_export_holds_every_split_of_the_textures(runs: dict) -> None:
    content = torch.load(runs["pairs"], weights_only=True)
    assert content["cond_dim"] == 8 and content["image_shape"] == [3, 8, 8]
    sizes = {split: len(pairs["h"]) for split, pairs in content["splits"].items()}
    assert sizes == {"train": 12 * 16, "val": 3 * 8, "test": 3 * 8}
    assert set(content["splits"]["test"]["identities"].tolist()) == {15, 16, 17}  # unseen identities


def test_export_writes_into_its_run_folder_and_prints_the_data_path(runs: dict, tmp_path: Path, capsys) -> None:
    overrides = [f"ckpt_path={runs['embedder']['best_ckpt']}", "splits=[val]", "progress=false", "print_config=false"]
    export(compose_config("export", overrides, tmp_path / "run"))
    GlobalHydra.instance().clear()
    written = tmp_path / "run" / "embeddings.pt"  # by default the pairs file lies in the export's own run folder
    assert written.is_file()
    assert f"python train.py experiment=portraits data.path={written}\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    "run, kind", [("pixelcnn", EmbeddingConditionalPixelCNN), ("spatial", SpatialConditionalPixelCNN)]
)
def test_conditional_pixelcnn_trains_on_the_pairs_and_reloads(runs: dict, run: str, kind: type) -> None:
    metrics = runs[run]
    assert metrics["val/bpd"] > 0 and metrics["test/bpd"] > 0
    model = load_model(metrics["best_ckpt"])
    assert type(model) is kind and model.cond_dim == 8 and model.image_shape == (3, 8, 8)
    h = torch.load(runs["pairs"], weights_only=True)["splits"]["test"]["h"][:2]
    first = model.sample(2, cond=h, seed=1)
    assert torch.equal(first, model.sample(2, cond=h, seed=1))
    assert list((Path(metrics["output_dir"]) / "samples").glob("epoch_*.png"))  # grid drawn from val embeddings
    assert Path(metrics["figures/portraits"]).is_file() and Path(metrics["figures/interpolations"]).is_file()
    with pytest.raises(InputError, match="the embedding dimension must be 8"):
        model.sample(2, cond=torch.zeros(2, 7))


def test_eval_writes_figure_4_and_5(runs: dict, tmp_path: Path) -> None:
    overrides = [f"ckpt_path={runs['pixelcnn']['best_ckpt']}", "print_config=false"]
    overrides += ["figures.portraits.embedding_rows=2", "figures.portraits.samples_per_embedding=2"]
    overrides += ["figures.portraits.interpolation_steps=3", "figures.portraits.interpolation_seeds=2"]
    metrics = evaluate(compose_config("eval", overrides, tmp_path))
    GlobalHydra.instance().clear()
    assert metrics["test/bpd"] == pytest.approx(runs["pixelcnn"]["test/bpd"], abs=1e-5)
    assert Path(metrics["figures/portraits"]) == tmp_path / "portraits.png"
    assert (tmp_path / "portraits.png").is_file() and (tmp_path / "interpolations.png").is_file()
    # the figures.portraits overrides reached the figure: 2 rows of image | 2 samples, 2 rows of 3 steps (8x8)
    # between the two source images
    assert grid_shape(tmp_path / "portraits.png") == (2, 3)
    assert grid_shape(tmp_path / "interpolations.png") == (2, 5)
    assert json.loads((tmp_path / "metrics.json").read_text())["figures/interpolations"].endswith("interpolations.png")


def test_wrong_embedding_dimension_in_process_and_through_the_cli(runs: dict, tmp_path: Path, monkeypatch) -> None:
    overrides = ["experiment=portraits", f"data.path={runs['pairs']}", *PIXELCNN_FAST, "data.cond_dim=5"]
    with pytest.raises(Exception) as raised:
        train(compose_config("train", overrides, tmp_path / "in_process"))
    GlobalHydra.instance().clear()
    message = user_message(raised.value)  # what train.py prints: the DataValidationError, even when wrapped
    assert message is not None and "holds 8-dim embeddings but data.cond_dim is 5; set data.cond_dim=8" in message

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    result = run_cli("train.py", *overrides, f"hydra.run.dir={tmp_path / 'cli'}")
    assert result.returncode == 2
    assert "error: " in result.stderr and "set data.cond_dim=8" in result.stderr
    assert "Traceback" not in result.stderr
