"""With the EMA callback on, everything computed from a trained model uses the averaged weights: ``load_model``,
sampling, eval.py's bits/dim and figures, the sample grid drawn at validation, the interpolation strips, and every
part (encoder, conditioner, backbone) of the auto-encoder."""

from __future__ import annotations

from pathlib import Path

import hydra
import numpy as np
import pytorch_lightning as pl
import torch
from PIL import Image
from pytorch_lightning.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader, TensorDataset

from pixelcnn import load_model
from pixelcnn.callbacks import EMA
from pixelcnn.figures import SampleGrid, interpolation_strips
from pixelcnn.models import EmbeddingConditionalPixelCNN, PixelCNN, PixelCNNAutoEncoder
from pixelcnn.tasks.evaluate import evaluate
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, TINY_BACKBONE
from tests.helpers.averaging import RecordWeights, quick_trainer, tiny_digits, warmup_average

STEPS = 4


def fit_with_ema(model: pl.LightningModule, data, folder: Path, *callbacks: pl.Callback) -> tuple[Path, dict]:
    """Train ``STEPS`` optimizer steps with EMA (decay 0.5); the checkpoint written at the last step, mid-fit (so
    its ``current_model_state`` holds the raw weights, its ``state_dict`` the average): (path, checkpoint)."""
    pl.seed_everything(0)
    saver = ModelCheckpoint(dirpath=folder, filename="ema", every_n_train_steps=STEPS, save_top_k=-1)
    trainer = quick_trainer(folder, max_steps=STEPS, limit_val_batches=0, callbacks=[EMA(decay=0.5), *callbacks, saver])
    if isinstance(data, pl.LightningDataModule):
        trainer.fit(model, datamodule=data)
    else:
        trainer.fit(model, train_dataloaders=data)
    path = folder / "ema.ckpt"
    return path, torch.load(path, weights_only=True)


def differs(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return any(not torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def part(state: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) + 1 :]: v for k, v in state.items() if k.startswith(prefix + ".")}


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_sampling_eval_and_figures_use_the_averaged_weights(make_config, tmp_path: Path) -> None:
    model = PixelCNN([1, 8, 8], 17, backbone=TINY_BACKBONE, optimizer={"lr": 0.01})
    path, checkpoint = fit_with_ema(model, tiny_digits(), tmp_path / "ckpt")
    assert differs(checkpoint["state_dict"], checkpoint["current_model_state"])  # decay 0.5: average != raw
    # a second checkpoint whose raw weights are garbage: whoever uses the average cannot tell the two apart
    generator = torch.Generator().manual_seed(0)
    garbage = {
        k: v + 0.5 * torch.randn(v.shape, generator=generator) for k, v in checkpoint["current_model_state"].items()
    }
    perturbed = tmp_path / "perturbed.ckpt"
    torch.save({**checkpoint, "current_model_state": garbage}, perturbed)

    x = torch.randint(0, 17, (3, 1, 8, 8), generator=generator)
    garbage_model = PixelCNN([1, 8, 8], 17, backbone=TINY_BACKBONE).eval()
    garbage_model.load_state_dict(garbage)
    models = [load_model(p) for p in (path, perturbed)]
    with torch.no_grad():
        logits = [m(x) for m in models]
        assert not torch.allclose(garbage_model(x), logits[0], atol=1e-2)  # the perturbation would show
    for loaded in models:
        assert not differs(loaded.state_dict(), checkpoint["state_dict"])
    assert torch.equal(logits[0], logits[1])
    assert torch.equal(models[0].sample(4, seed=0), models[1].sample(4, seed=0))

    # eval.py (in-process): the same test bits/dim and the same samples.png from both checkpoints
    results = []
    for name, ckpt in (("eval", path), ("eval_perturbed", perturbed)):
        overrides = ["data=digits", "figures.samples.num_samples=4", "sampling.progress=false", "print_config=false"]
        cfg = make_config(f"ckpt_path={ckpt}", *overrides, name="eval", output_dir=tmp_path / name)
        results.append(evaluate(cfg))
    assert results[0]["test/bpd"] == results[1]["test/bpd"]
    assert np.array_equal(pixels(Path(results[0]["figures/samples"])), pixels(Path(results[1]["figures/samples"])))


def test_the_sample_grid_of_each_validation_is_drawn_with_the_averaged_weights(make_config, tmp_path: Path) -> None:
    cfg = make_config(
        *FAST_TRAIN,
        "callbacks=[default,ema]",
        "callbacks.ema.decay=0.5",
        "model.optimizer.lr=0.01",
        "trainer.max_epochs=2",
        "callbacks.model_checkpoint.save_top_k=-1",  # the checkpoint of every epoch
        "figures=none",
        "test=false",
    )
    train(cfg)
    run, datamodule = Path(cfg.paths.output_dir), hydra.utils.instantiate(cfg.data)
    preview = SampleGrid(cfg.callbacks.sample_grid.num_samples, seed=cfg.seed)  # the unconditional model's preview
    raw_differs = []
    for epoch in (0, 1):
        drawn = pixels(run / "samples" / f"epoch_{epoch:03d}.png")
        checkpoint_path = run / "checkpoints" / f"epoch_{epoch:03d}.ckpt"
        model = load_model(checkpoint_path)  # the averaged weights of that epoch's validation
        redrawn = pixels(preview.draw(model, datamodule, tmp_path / f"redrawn_{epoch}", {})["samples"])
        assert np.array_equal(drawn, redrawn), f"epoch {epoch}: the grid was not drawn with the averaged weights"
        model.load_state_dict(torch.load(checkpoint_path, weights_only=True)["current_model_state"])
        raw = preview.draw(model, datamodule, tmp_path / f"raw_{epoch}", {})["samples"]
        raw_differs.append(not np.array_equal(drawn, pixels(raw)))
    assert any(raw_differs)  # the raw weights draw another grid: the check above can tell them apart


def test_each_end_of_an_interpolation_strip_is_a_sample_of_that_end(tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    x, h = torch.randint(0, 17, (64, 1, 8, 8), generator=generator), torch.randn(64, 4, generator=generator)
    model = EmbeddingConditionalPixelCNN([1, 8, 8], 17, cond_dim=4, backbone=TINY_BACKBONE, optimizer={"lr": 0.01})
    path, checkpoint = fit_with_ema(model, DataLoader(TensorDataset(x, h), batch_size=16), tmp_path)
    model = load_model(path)
    assert not differs(model.state_dict(), checkpoint["state_dict"])
    assert differs(model.state_dict(), checkpoint["current_model_state"])

    h_a, h_b, steps, seeds = h[0], h[1], 5, [3, 7, 11]
    strips = interpolation_strips(model, h_a, h_b, steps, seeds).view(len(seeds), steps, 1, 8, 8)
    assert not torch.equal(strips[:, 0], strips[:, -1])  # the ends are samples of different h
    for row, seed in enumerate(seeds):
        assert torch.equal(strips[row, 0], model.sample(1, cond=h_a[None], seed=seed)[0]), row
        assert torch.equal(strips[row, -1], model.sample(1, cond=h_b[None], seed=seed)[0]), row


def test_the_autoencoder_computes_with_averaged_encoder_conditioner_and_backbone(tmp_path: Path) -> None:
    def autoencoder(**kwargs) -> PixelCNNAutoEncoder:
        return PixelCNNAutoEncoder([1, 8, 8], 17, encoder={"channels": [8, 16]}, backbone=TINY_BACKBONE, **kwargs)

    record = RecordWeights()
    path, checkpoint = fit_with_ema(autoencoder(optimizer={"lr": 0.01}), tiny_digits(), tmp_path, record)
    model = load_model(path)
    for name in ("encoder", "conditioner", "backbone"):
        weights = getattr(model, name).state_dict()
        assert not differs(weights, part(checkpoint["state_dict"], f"net.{name}")), name  # the average ...
        assert differs(weights, part(checkpoint["current_model_state"], f"net.{name}")), name  # ... not the raw

    # the average by hand, from the raw weights of each step; the logits by hand from its parts
    by_hand = autoencoder().eval()
    by_hand.load_state_dict(warmup_average(None, [record.weights[s] for s in range(1, STEPS + 1)], 0.5, t=0))
    x = torch.randint(0, 17, (3, 1, 8, 8), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = by_hand.backbone(x, by_hand.conditioner(by_hand.encoder(x)))
        assert torch.allclose(model(x), expected, atol=1e-5)
        nll = torch.nn.functional.cross_entropy(expected, x, reduction="none").flatten(1).sum(1)
        assert torch.allclose(model.nll(x), nll, atol=1e-4)  # the reconstruction NLL: cond defaults to x itself
