"""Training options: bf16 mixed precision, compiling the backbone, EMA of the weights (``pixelcnn.callbacks.EMA``)."""

from __future__ import annotations

import math
from pathlib import Path

import hydra
import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from pixelcnn import load_model
from pixelcnn.callbacks import EMA
from pixelcnn.models import ClassConditionalPixelCNN
from pixelcnn.tasks.runtime import trainer_from_config
from tests.helpers import FAST_TRAIN, TINY_BACKBONE
from tests.helpers.averaging import RecordWeights, assert_weights_close, quick_trainer, tiny_digits, warmup_average


def tiny_model(**kwargs) -> ClassConditionalPixelCNN:
    return ClassConditionalPixelCNN([1, 8, 8], 17, num_classes=10, backbone=TINY_BACKBONE, **kwargs)


@pytest.mark.parametrize("head", ["softmax", "logistic_mixture"])
def test_bf16_mixed_runs_the_backbone_in_bfloat16_on_cpu(make_config, head: str) -> None:
    cfg = make_config(*FAST_TRAIN, "trainer.precision=bf16-mixed", "~callbacks.sample_grid", f"model/head={head}")
    model = hydra.utils.instantiate(cfg.model, _convert_="all")
    seen: list[tuple[bool, torch.dtype]] = []  # (gradients on: a training step, dtype) of every forward
    model.backbone.head_out.register_forward_hook(lambda m, a, out: seen.append((torch.is_grad_enabled(), out.dtype)))
    nll: list[torch.dtype] = []
    model.backbone.register_forward_hook(lambda module, args, out: nll.append(out.dtype))
    trainer = trainer_from_config(cfg, logger=False, callbacks=[])
    trainer.fit(model, datamodule=hydra.utils.instantiate(cfg.data))
    # training forwards under autocast; validation measures bits/dim without it, in float32
    assert set(seen) == {(True, torch.bfloat16), (False, torch.float32)}
    assert set(nll) == {torch.float32}  # the per-sub-pixel log-likelihoods are computed in float32
    assert math.isfinite(float(trainer.callback_metrics["val/bpd"]))
    assert all(p.dtype == torch.float32 for p in model.parameters())  # mixed: the weights stay fp32


def test_compile_compiles_the_backbone_only_and_keeps_checkpoints_plain(tmp_path: Path) -> None:
    torch._dynamo.reset()
    counters = torch._dynamo.utils.counters
    frames_before = counters["frames"]["ok"]
    model = tiny_model(compile=True, compile_options={"backend": "eager"})
    plain_keys = set(tiny_model().state_dict())
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


def test_ema_follows_the_polyak_average_with_warm_up_once_per_optimizer_step(tmp_path: Path) -> None:
    pl.seed_everything(0)
    model, ema, record = tiny_model(optimizer={"lr": 0.01}), EMA(decay=0.2), RecordWeights()
    # 8 batches, 2 per optimizer step: 4 optimizer steps, so 4 updates of the average
    trainer = quick_trainer(
        tmp_path, max_steps=4, accumulate_grad_batches=2, limit_val_batches=0, callbacks=[ema, record]
    )
    trainer.fit(model, datamodule=tiny_digits())
    assert sorted(record.weights) == [1, 2, 3, 4]
    assert int(ema._average_model.n_averaged) == 4  # one update per optimizer step, not per batch
    # t=1: d = 2/11 (< 0.2), t=2, 3: d = min(0.2, 3/12), min(0.2, 4/13) = 0.2 (the decay caps the warm-up)
    expected = warmup_average(None, [record.weights[s] for s in (1, 2, 3, 4)], decay=0.2, t=0)
    assert_weights_close(model.state_dict(), expected)  # after fit the module holds the average
    table = "net.conditioner.table.weight"
    assert not torch.allclose(expected[table], record.weights[4][table])

    optimized = {id(p) for group in trainer.optimizers[0].param_groups for p in group["params"]}
    averaged = {id(p) for p in ema._average_model.parameters()}
    assert averaged and not optimized & averaged  # the average is not trained itself


def test_ema_weights_are_checkpointed_and_used_for_eval_and_sampling(tmp_path: Path) -> None:
    pl.seed_everything(0)
    model, record = tiny_model(optimizer={"lr": 0.01}), RecordWeights()
    saver = ModelCheckpoint(dirpath=tmp_path / "ckpt", filename="step{step}", every_n_train_steps=4, save_top_k=-1)
    trainer = quick_trainer(tmp_path, max_steps=4, limit_val_batches=0, callbacks=[EMA(decay=0.5), record, saver])
    trainer.fit(model, datamodule=tiny_digits())
    (path,) = (tmp_path / "ckpt").glob("*.ckpt")
    checkpoint = torch.load(path, weights_only=True)
    raw = record.weights[4]
    averaged = warmup_average(None, [record.weights[s] for s in (1, 2, 3, 4)], decay=0.5, t=0)
    assert_weights_close(checkpoint["current_model_state"], raw)  # Lightning keeps the raw weights for resuming
    assert_weights_close(checkpoint["state_dict"], averaged)  # ... and writes the average as the state_dict
    assert int(checkpoint["averaging_state"]["n_averaged"]) == 4

    loaded = load_model(path)  # load_model gives the EMA model
    assert_weights_close(loaded.state_dict(), averaged)
    raw_model = tiny_model().eval()
    raw_model.load_state_dict(raw)
    x, y = torch.randint(0, 17, (3, 1, 8, 8)), torch.tensor([0, 4, 9])
    with torch.no_grad():
        ema_logits = loaded(x, y)
        assert not torch.allclose(ema_logits, raw_model(x, y), atol=1e-4)  # the average differs from the last weights
        model.eval()
        assert torch.allclose(model(x, y), ema_logits, atol=1e-6)  # after fit the module computes with the average
    assert torch.equal(loaded.sample(3, cond=y, seed=1), model.sample(3, cond=y, seed=1))

    # test bits/dim through Lightning uses the EMA weights of the checkpoint
    dm = tiny_digits()
    dm.setup()
    test_x, test_y = next(iter(dm.eval_dataloader("test")))
    with torch.no_grad():
        ema_nll = float(loaded.nll(test_x, test_y).sum())
        raw_nll = float(raw_model.nll(test_x, test_y).sum())
    assert abs(ema_nll - raw_nll) > 1e-4 * abs(raw_nll)  # the check below can tell them apart
    result = quick_trainer(tmp_path, limit_test_batches=1).test(loaded, dataloaders=dm.eval_dataloader("test"))
    assert result[0]["test/bpd"] == pytest.approx(ema_nll / (test_x.numel() * math.log(2)), rel=1e-5)


def test_resuming_continues_the_average_where_it_stopped(tmp_path: Path) -> None:
    pl.seed_everything(0)
    first, record = RecordWeights(), RecordWeights()
    saver = ModelCheckpoint(dirpath=tmp_path / "ckpt", filename="step{step}", every_n_train_steps=2, save_top_k=-1)
    trainer = quick_trainer(tmp_path, max_steps=2, limit_val_batches=0, callbacks=[EMA(decay=0.5), first, saver])
    trainer.fit(tiny_model(optimizer={"lr": 0.01}), datamodule=tiny_digits())
    (path,) = (tmp_path / "ckpt").glob("*.ckpt")
    stopped = torch.load(path, weights_only=True)
    assert int(stopped["averaging_state"]["n_averaged"]) == 2

    ema, resumed = EMA(decay=0.5), tiny_model(optimizer={"lr": 0.01})
    trainer = quick_trainer(tmp_path, max_steps=4, limit_val_batches=0, callbacks=[ema, record])
    trainer.fit(resumed, datamodule=tiny_digits(), ckpt_path=path, weights_only=True)
    assert sorted(record.weights) == [3, 4] and int(ema._average_model.n_averaged) == 4
    # the average of step 2 (the checkpoint's state_dict) goes on with updates t=2, 3, not from a fresh copy
    expected = warmup_average(stopped["state_dict"], [record.weights[3], record.weights[4]], decay=0.5, t=2)
    assert_weights_close(resumed.state_dict(), expected)
    restarted = warmup_average(None, [record.weights[3], record.weights[4]], decay=0.5, t=0)
    assert not torch.allclose(expected["net.conditioner.table.weight"], restarted["net.conditioner.table.weight"])


def test_a_run_without_a_logger_trains_with_the_default_callbacks(make_config) -> None:
    """~logger (no logger): Lightning's LearningRateMonitor (it refuses a trainer without loggers) is left out."""
    from pixelcnn.tasks.train import train

    cfg = make_config(*FAST_TRAIN, "~logger", "~callbacks.sample_grid", "figures=none", "test=false")
    assert "lr_monitor" in cfg.callbacks
    assert math.isfinite(train(cfg)["val/bpd"])
