"""Runs survive faults: bad checkpoints, resume, atomic checkpoint writes, NaN loss, config and input errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch

from pixelcnn import load_model
from pixelcnn.callbacks import StopOnNonFiniteLoss
from pixelcnn.checkpoints.reader import read_checkpoint
from pixelcnn.errors import CheckpointError, DataValidationError, InputError, NonFiniteLossError
from pixelcnn.models import PixelCNN
from pixelcnn.tasks.errors import user_errors
from pixelcnn.tasks.evaluate import evaluate
from pixelcnn.tasks.resume import resolve_ckpt_path
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN, compose_config, run_cli


class Gadget:
    """Not a tensor or a plain container: refused by ``weights_only=True``."""

    def __init__(self) -> None:
        self.payload = "anything a pickle can run"


class ExplodingPixelCNN(PixelCNN):
    """Its loss becomes NaN from global step ``explode_at`` on (as after a divergence); or, with ``poison_at``, one
    weight becomes NaN during the step at that global step (the loss of that step is still finite)."""

    def __init__(self, *args, explode_at: int | None = 3, poison_at: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.remember(explode_at=explode_at, poison_at=poison_at)

    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        if self.global_step == self.hparams.poison_at:
            next(self.parameters()).data.view(-1)[0] = math.nan  # .data: not seen by autograd
        explode_at = self.hparams.explode_at
        return loss * math.nan if explode_at is not None and self.global_step >= explode_at else loss


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder of a short training of model=gated on digits (in-process)."""
    run_dir = tmp_path_factory.mktemp("fault") / "runs" / "first"
    cfg = compose_config("train", [*FAST_TRAIN, "~callbacks.sample_grid", "figures=none", "test=false"], run_dir)
    train(cfg)
    return run_dir


# --- checkpoints that must be refused with one line -------------------------------------------------------------
def test_corrupt_and_truncated_checkpoints_are_refused(trained: Path, tmp_path: Path) -> None:
    good = (trained / "checkpoints" / "last.ckpt").read_bytes()
    truncated, garbage = tmp_path / "truncated.ckpt", tmp_path / "garbage.ckpt"
    truncated.write_bytes(good[: len(good) // 2])
    garbage.write_bytes(b"not a checkpoint at all" * 100)
    for path in (truncated, garbage):
        with pytest.raises(CheckpointError, match="corrupt or truncated"):
            load_model(path)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model(tmp_path / "missing.ckpt")


def test_checkpoint_with_arbitrary_objects_is_refused(make_config, trained: Path, tmp_path: Path, capsys) -> None:
    checkpoint = torch.load(trained / "checkpoints" / "last.ckpt", weights_only=True)
    checkpoint["extra"] = Gadget()
    unsafe = tmp_path / "unsafe.ckpt"
    torch.save(checkpoint, unsafe)
    with pytest.raises(CheckpointError, match="not plain weights and was refused.*Gadget"):
        read_checkpoint(unsafe)
    # eval.py's path: one line, exit status 2
    cfg = make_config(f"ckpt_path={unsafe}", "print_config=false", name="eval")
    with pytest.raises(SystemExit) as stopped, user_errors():
        evaluate(cfg)
    lines = capsys.readouterr().err.strip().splitlines()
    assert stopped.value.code == 2 and len(lines) == 1 and "refused" in lines[0], lines


def test_checkpoint_of_another_kind_or_size_is_refused(trained: Path, tmp_path: Path) -> None:
    checkpoint = torch.load(trained / "checkpoints" / "last.ckpt", weights_only=True)
    unknown = tmp_path / "unknown_kind.ckpt"
    torch.save({**checkpoint, "model_target": "pixelcnn.models.AutoencoderFromAnotherBranch"}, unknown)
    refused = r"model_target = '.*AutoencoderFromAnotherBranch' is not one of this package's model"
    with pytest.raises(CheckpointError, match=refused):
        load_model(unknown)
    resized = tmp_path / "resized.ckpt"
    hparams = {**checkpoint["hyper_parameters"], "image_shape": [3, 8, 8]}
    torch.save({**checkpoint, "hyper_parameters": hparams}, resized)
    with pytest.raises(CheckpointError, match=r"weights do not fit a pixelcnn\.models\..*PixelCNN"):
        load_model(resized)


def test_resuming_from_a_mismatching_or_corrupt_checkpoint_is_refused(make_config, trained: Path, tmp_path) -> None:
    ckpt = trained / "checkpoints" / "last.ckpt"
    cases = [
        (
            ["model=gated_cond"],
            ckpt,
            r"holds a '.*\.PixelCNN' model but this run builds '.*\.ClassConditionalPixelCNN'",
        ),
        (["data=patches"], ckpt, r"trained with image_shape=\[1, 8, 8\] but this run has image_shape=\[3, 32, 32\]"),
        (["model.backbone.hidden_channels=24"], ckpt, "does not fit this model"),
    ]
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(ckpt.read_bytes()[:1000])
    cases.append(([], truncated, "corrupt or truncated"))
    for overrides, path, message in cases:
        cfg = make_config(*FAST_TRAIN, *overrides, f"ckpt_path={path}")
        with pytest.raises(CheckpointError, match=message):
            train(cfg)


def test_eval_refuses_data_of_another_image_size(make_config, trained: Path) -> None:
    cfg = make_config(
        f"ckpt_path={trained / 'checkpoints' / 'last.ckpt'}", "data=patches", "print_config=false", name="eval"
    )
    refusal = r"the model takes \[1, 8, 8\] images with 17 levels but the data gives \[3, 32, 32\]"
    with pytest.raises(DataValidationError, match=refusal):
        evaluate(cfg)


# --- where ckpt_path=... points ---------------------------------------------------------------------------------
def test_ckpt_path_resolves_last_a_run_folder_and_a_file(trained: Path, tmp_path: Path, caplog) -> None:
    last = trained / "checkpoints" / "last.ckpt"
    new_run = trained.parent / "second"  # a sibling run folder, as Hydra makes for the next run
    assert resolve_ckpt_path("last", trained) == last
    assert resolve_ckpt_path(str(trained), new_run) == last
    assert resolve_ckpt_path(str(trained / "checkpoints"), new_run) == last
    assert resolve_ckpt_path(str(last), new_run) == last
    assert resolve_ckpt_path(None, new_run) is None
    # ckpt_path=last reads this run folder only, never a sibling run's: nothing there yet -> from scratch, said once
    with caplog.at_level("WARNING", logger="pixelcnn"):
        assert resolve_ckpt_path("last", new_run) is None
    notices = [r.getMessage() for r in caplog.records if "ckpt_path=last" in r.getMessage()]
    assert len(notices) == 1 and "training from scratch" in notices[0] and str(new_run) in notices[0], notices
    with pytest.raises(CheckpointError, match="does not exist"):
        resolve_ckpt_path(str(tmp_path / "nope.ckpt"), new_run)


def test_one_last_checkpoint_per_run_folder_holding_the_newest_state(make_config, tmp_path: Path) -> None:
    """Both checkpoint callbacks (best + step) write one last.ckpt, never last-v1.ckpt; at the end it holds the
    final step."""
    cfg = make_config(
        *FAST_TRAIN,
        "~callbacks.sample_grid",
        "figures=none",
        "test=false",
        "trainer.max_epochs=2",
        "callbacks.step_checkpoint.every_n_train_steps=2",
    )
    train(cfg)
    folder = tmp_path / "run" / "checkpoints"
    lasts = sorted(p.name for p in folder.iterdir() if p.name.startswith("last"))
    assert lasts == ["last.ckpt"], lasts
    assert read_checkpoint(folder / "last.ckpt")["global_step"] == 6  # 2 epochs of 3 steps: the newest state


# --- NaN / inf loss -----------------------------------------------------------------------------------------------
def stopped_line(make_config, capsys, *overrides: str) -> str:
    """The one stderr line of a 10-step run with a checkpoint after every step, which must stop with status 2."""
    cfg = make_config(
        *FAST_TRAIN,
        *overrides,
        "trainer.max_steps=10",
        "trainer.limit_train_batches=10",
        "callbacks.step_checkpoint.every_n_train_steps=1",
        "~callbacks.sample_grid",
    )
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_nan_loss_stops_with_the_step_and_keeps_the_last_good_checkpoint(make_config, tmp_path: Path, capsys) -> None:
    explode = ["model._target_=tests.integration.test_fault_tolerance.ExplodingPixelCNN", "+model.explode_at=3"]
    lines = [stopped_line(make_config, capsys, *explode)]
    assert lines[0].startswith("error: the training loss is nan at global step 3"), lines
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert str(last) in lines[0]
    kept = read_checkpoint(last)
    assert kept["global_step"] == 3
    assert all(torch.isfinite(w).all() for w in kept["state_dict"].values() if w.is_floating_point())
    # the bad step was never applied: the optimizer made exactly 3 steps
    assert all(int(s["step"]) == 3 for s in kept["optimizer_states"][0]["state"].values())


@pytest.mark.parametrize(
    ("overrides", "message", "good_step"),
    [
        (
            [
                "model._target_=tests.integration.test_fault_tolerance.ExplodingPixelCNN",
                "+model.explode_at=null",
                "+model.poison_at=3",
            ],
            "error: the weights became NaN or infinite at global step 4",
            3,
        ),
        # a legal value that makes Adam divide 0 by 0 for every weight with a zero gradient (lr=inf is refused)
        (["+model.optimizer.eps=0"], "error: the weights became NaN or infinite at global step 1", None),
    ],
)
def test_nonfinite_weights_stop_training_and_are_never_checkpointed(
    make_config, tmp_path: Path, capsys, overrides: list[str], message: str, good_step: int | None
) -> None:
    lines = [stopped_line(make_config, capsys, *overrides)]
    assert lines[0].startswith(message), lines
    folder = tmp_path / "run" / "checkpoints"
    for path in folder.glob("*.ckpt"):  # every checkpoint on disk holds finite weights
        weights = read_checkpoint(path)["state_dict"].values()
        assert all(torch.isfinite(w).all() for w in weights if w.is_floating_point()), path
    if good_step is None:
        assert "no checkpoint had been saved yet" in lines[0] and not list(folder.glob("*.ckpt"))
    else:  # the newest good checkpoint is named
        assert f"the newest good checkpoint is {folder / 'last.ckpt'}" in lines[0]
        assert read_checkpoint(folder / "last.ckpt")["global_step"] == good_step


def test_a_checkpoint_with_nonfinite_weights_is_never_written(tmp_path: Path) -> None:
    model = PixelCNN((1, 4, 4), 5, backbone={"num_layers": 2, "hidden_channels": 4, "skip_channels": 4})
    trainer = pl.Trainer(
        max_steps=0,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[StopOnNonFiniteLoss()],
        default_root_dir=tmp_path,
    )
    trainer.strategy.connect(model)
    next(model.parameters()).data.view(-1)[0] = math.inf
    with pytest.raises(NonFiniteLossError, match="refusing to write a checkpoint with NaN or infinite weights"):
        trainer.save_checkpoint(tmp_path / "bad.ckpt")
    assert not (tmp_path / "bad.ckpt").exists()


# --- config and input errors through the command line and the API -----------------------------------------------
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("modle.lr=0.1", r"Could not override 'modle.lr'.*Key 'modle' is not in struct; check the spelling"),
        ("model=gatd", r"Could not find 'model/gatd' Available options in 'model'.* gated gated_cond"),
    ],
)
def test_unknown_config_keys_and_options_get_one_line(override: str, message: str, tmp_path: Path) -> None:
    result = run_cli("train.py", override, f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert pytest.importorskip("re").search(message, lines[0]), lines[0]


def test_wrong_conditioning_for_the_data_is_one_line(make_config, capsys) -> None:
    cfg = make_config("model=gated_cond", "data=patches", "print_config=false")
    with pytest.raises(SystemExit) as stopped, user_errors():
        train(cfg)
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "needs class labels" in lines[0] and "model=gated" in lines[0]


def test_loaded_model_refuses_wrong_images_and_conditioning(trained: Path) -> None:
    model = load_model(trained / "checkpoints" / "last.ckpt")
    good = torch.zeros(2, 1, 8, 8, dtype=torch.long)
    for bad, message in [
        (torch.zeros(2, 3, 8, 8, dtype=torch.long), r"\(B, 1, 8, 8\)"),
        (torch.zeros(2, 1, 16, 16, dtype=torch.long), r"\(B, 1, 8, 8\)"),
        (torch.full((2, 1, 8, 8), 17), r"17 levels"),
    ]:
        with pytest.raises(InputError, match=message):
            model.nll(bad)
    with pytest.raises(InputError, match="unconditional"):
        model.nll(good, cond=torch.tensor([0, 1]))
