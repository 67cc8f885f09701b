"""Every notebook under notebooks/ runs top to bottom against a tiny checkpoint trained here; git holds no outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import torch
from hydra.core.global_hydra import GlobalHydra
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, REPO, compose_config

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def train_tiny(run_dir: Path, *overrides: str) -> Path:
    """The best checkpoint of a model trained on digits for a few batches (no final figures)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        metrics = train(compose_config("train", [*FAST_TRAIN, *overrides, "logger=csv", "figures=none"], run_dir))
    finally:
        torch.set_num_threads(threads)
        GlobalHydra.instance().clear()
    return Path(metrics["best_ckpt"])


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class-conditional model on digits, trained for a few batches (every notebook reads this one)."""
    return train_tiny(tmp_path_factory.mktemp("notebooks") / "run", "model=gated_cond")


@pytest.fixture(scope="module")
def tiny_autoencoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PixelCNN auto-encoder on digits (notebook 03 draws its reconstructions)."""
    small = ["model=autoencoder", "model.latent_dim=4", "model.encoder.channels=[8,16]"]
    return train_tiny(tmp_path_factory.mktemp("notebooks") / "autoencoder", *small)


def test_the_three_notebooks_are_there() -> None:
    assert [p.name for p in NOTEBOOKS][:3] == [
        "01_quick_start.ipynb",
        "02_receptive_field.ipynb",
        "03_conditioning.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(
    path: Path, tiny_checkpoint: Path, tiny_autoencoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIXELCNN_CKPT", str(tiny_checkpoint))
    monkeypatch.setenv("PIXELCNN_AE_CKPT", str(tiny_autoencoder))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # kernels on a busy 2-core machine: oversubscription costs 10x
    monkeypatch.setenv("MPLBACKEND", "agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "Traceback" not in text
    # notebook 01 samples with progress=True: a text bar, no "TqdmWarning: IProgress not found" (no ipywidgets)
    assert "TqdmWarning" not in text and "IProgress not found" not in text
    if path.name == "01_quick_start.ipynb":
        assert "sampling: 100%" in text and "images/s" in text  # the bar itself was drawn
    if path.name == "03_conditioning.ipynb":  # the figures of the class-conditional model and the auto-encoder
        assert "samples " in text and "reconstructions " in text


@pytest.mark.slow
def test_conditioning_notebook_refuses_a_model_without_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unconditional = train_tiny(tmp_path / "run", "model=gated")
    monkeypatch.setenv("PIXELCNN_CKPT", str(unconditional))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    notebook = nbformat.read(REPO / "notebooks" / "03_conditioning.ipynb", as_version=4)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    with pytest.raises(CellExecutionError, match="holds a PixelCNN, not a class-conditional model; set PIXELCNN_CKPT"):
        client.execute()
    printed = "".join(o.get("text", "") for o in notebook.cells[1].outputs)
    assert f"checkpoint: {unconditional} (from PIXELCNN_CKPT)" in printed
