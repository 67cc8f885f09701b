"""Training options: bf16 mixed precision, compiling the backbone, EMA of the weights."""

from __future__ import annotations

import math
from pathlib import Path

import hydra
import pytest
import pytorch_lightning as pl
import torch
from tests.helpers import FAST_TRAIN, TINY_BACKBONE

from pixelcnn import load_model
from pixelcnn.data import DigitsDataModule
from pixelcnn.ema import EMAWeights
from pixelcnn.models import ClassConditionalPixelCNN
from pixelcnn.pipeline.runtime import trainer_from_config
from pixelcnn.sampling import sample_naive


def tiny_digits() -> DigitsDataModule:
    return DigitsDataModule(image_shape=[1, 8, 8], num_levels=17, num_classes=10, batch_size=32, seed=0)


def quick_trainer(tmp_path: Path, **kwargs) -> pl.Trainer:
    options = dict(
        max_steps=3, limit_val_batches=1, logger=False, enable_progress_bar=False, enable_model_summary=False
    )
    return pl.Trainer(accelerator="cpu", devices=1, default_root_dir=tmp_path, **{**options, **kwargs})


def test_bf16_mixed_runs_the_backbone_in_bfloat16_on_cpu(make_config) -> None:
    cfg = make_config(*FAST_TRAIN, "trainer.precision=bf16-mixed", "~callbacks.sample_grid")
    model = hydra.utils.instantiate(cfg.model, _convert_="all")
    seen: list[torch.dtype] = []
    model.backbone.register_forward_hook(lambda module, args, out: seen.append(out.dtype))
    trainer = trainer_from_config(cfg, logger=False, callbacks=[])
    trainer.fit(model, datamodule=hydra.utils.instantiate(cfg.data))
    assert seen and set(seen) == {torch.bfloat16}  # training and validation forwards under autocast
    assert math.isfinite(float(trainer.callback_metrics["val/bpd"]))
    assert all(p.dtype == torch.float32 for p in model.parameters())  # mixed: the weights stay fp32


def test_compile_compiles_the_backbone_only_and_keeps_checkpoints_plain(tmp_path: Path) -> None:
    torch._dynamo.reset()
    counters = torch._dynamo.utils.counters
    frames_before = counters["frames"]["ok"]
    model = ClassConditionalPixelCNN(
        [1, 8, 8], 17, 10, backbone=TINY_BACKBONE, compile=True, compile_options={"backend": "eager"}
    )
    plain_keys = set(ClassConditionalPixelCNN([1, 8, 8], 17, 10, backbone=TINY_BACKBONE).state_dict())
    trainer = quick_trainer(tmp_path, max_steps=1, limit_val_batches=0)
    trainer.fit(model, datamodule=tiny_digits())
    assert model.backbone._compiled_call_impl is not None  # torch.compile'd in place
    assert model.conditioner._compiled_call_impl is None
    assert counters["frames"]["ok"] > frames_before  # dynamo really traced the backbone
    assert set(model.state_dict()) == plain_keys  # no "_orig_mod." prefixes: checkpoints load uncompiled
    path = tmp_path / "compiled.ckpt"
    trainer.save_checkpoint(path)
    loaded = load_model(path)
    x, y = torch.randint(0, 17, (2, 1, 8, 8)), torch.tensor([1, 2])
    model.eval()
    assert torch.allclose(loaded(x, y), model(x, y), atol=1e-6)
    torch._dynamo.reset()


def test_ema_follows_the_polyak_average_with_warm_up() -> None:
    network = torch.nn.Linear(2, 1)
    ema = EMAWeights(network, decay=0.9)
    start = network.weight.detach().clone()
    with torch.no_grad():
        network.weight.fill_(1.0)
    ema.update(network)  # t=0: d = min(0.9, 1/10) = 0.1
    expected = 0.1 * start + 0.9 * 1.0
    assert torch.allclose(ema.shadow.weight, expected)
    with torch.no_grad():
        network.weight.fill_(3.0)
    ema.update(network)  # t=1: d = min(0.9, 2/11)
    d = 2 / 11
    assert torch.allclose(ema.shadow.weight, d * expected + (1 - d) * 3.0)
    assert int(ema.num_updates) == 2 and not ema.shadow.weight.requires_grad


def test_ema_weights_are_trained_checkpointed_and_used_for_eval_and_sampling(tmp_path: Path) -> None:
    pl.seed_everything(0)
    model = ClassConditionalPixelCNN([1, 8, 8], 17, 10, backbone=TINY_BACKBONE, lr=0.01, ema_decay=0.5)
    trainer = quick_trainer(tmp_path, max_steps=4, limit_val_batches=0)
    trainer.fit(model, datamodule=tiny_digits())
    assert int(model.ema.num_updates) == 4  # one update per optimizer step
    optimized = {id(p) for group in trainer.optimizers[0].param_groups for p in group["params"]}
    assert not optimized & {id(p) for p in model.ema.parameters()}  # the average is not trained itself

    x, y = torch.randint(0, 17, (3, 1, 8, 8)), torch.tensor([0, 4, 9])
    model.eval()
    ema_logits = model.ema.shadow["backbone"](x, model.ema.shadow["conditioner"](y))
    raw_logits = model.backbone(x, model.conditioner(y))
    assert not torch.allclose(ema_logits, raw_logits, atol=1e-4)  # the average differs from the last weights
    assert torch.equal(model(x, y), ema_logits)  # eval mode computes with the EMA weights
    model.train()
    assert torch.equal(model(x, y), raw_logits)  # training mode with the trained ones
    model.eval()

    ema_backbone, biases = model.ema.shadow["backbone"], model.ema.shadow["conditioner"](y)
    assert torch.equal(
        model.sample(3, cond=y, seed=1), sample_naive(lambda z: ema_backbone(z, biases), 3, (1, 8, 8), 1)
    )

    # test bits/dim through Lightning uses the EMA weights too
    dm = tiny_digits()
    dm.setup()
    test_x, test_y = next(iter(dm.eval_dataloader("test")))
    with torch.no_grad():
        nll = torch.nn.functional.cross_entropy(
            model.ema.shadow["backbone"](test_x, model.ema.shadow["conditioner"](test_y)), test_x, reduction="sum"
        )
    result = quick_trainer(tmp_path, limit_test_batches=1).test(model, dataloaders=dm.eval_dataloader("test"))
    assert result[0]["test/bpd"] == pytest.approx(float(nll) / (test_x.numel() * math.log(2)), rel=1e-5)

    path = tmp_path / "ema.ckpt"
    trainer.save_checkpoint(path)
    checkpoint = torch.load(path, weights_only=True)
    assert int(checkpoint["state_dict"]["ema.num_updates"]) == 4
    assert any(k.startswith("ema.shadow.backbone.") for k in checkpoint["state_dict"])
    loaded = load_model(path)
    assert torch.equal(loaded(x, y), ema_logits)  # load_model gives the EMA model
