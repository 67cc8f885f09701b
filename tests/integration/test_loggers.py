"""train.py / eval.py with the CSV, TensorBoard and (offline) W&B loggers at once: every logger gets the bits/dim,
the learning rate, the throughput, the sample grids and the eval figures; W&B also the config, tags and the best
checkpoint as an artifact."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PIL import Image

from pixelcnn.analysis.compare import compare
from tests.helpers import FAST_TRAIN, run_cli
from tests.helpers.wandb_records import OfflineRun, read_offline_run

ALL_LOGGERS = "logger=[csv,tensorboard,wandb]"
SCALARS = ("train/bpd", "val/bpd", "test/bpd", "train/lr", "train/images_per_sec")


LR = 0.002  # the PixelCNN presets' Adam rate (conf/model/gated.yaml)


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("loggers") / "train_run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        result = run_cli(
            "train.py",
            *FAST_TRAIN,
            "trainer.max_epochs=2",
            "model=gated_cond",
            ALL_LOGGERS,
            "logger.wandb.log_model=true",
            "tags=[issue7,loggers]",
            f"hydra.run.dir={run_dir}",
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir


def wandb_run(parent: Path) -> tuple[Path, OfflineRun]:
    (folder,) = (parent / "wandb").glob("offline-run-*")
    return folder, read_offline_run(folder)


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def column(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(row[key]) for row in rows if row.get(key)]


def test_csv_log_holds_bpd_lr_throughput_and_image_paths(logged_run: Path) -> None:
    metrics = json.loads((logged_run / "metrics.json").read_text())
    rows = csv_rows(logged_run / "csv" / "metrics.csv")
    assert len(column(rows, "train/bpd")) == 2 and len(column(rows, "val/bpd")) == 2
    assert column(rows, "test/bpd") == [pytest.approx(metrics["test/bpd"])]
    assert column(rows, "train/lr") == [pytest.approx(LR), pytest.approx(LR * 0.99)]  # scheduler gamma per epoch
    throughput = column(rows, "train/images_per_sec")
    assert len(throughput) == 2 and all(v > 0 for v in throughput)

    images = csv_rows(logged_run / "csv" / "images.csv")
    assert [(r["step"], r["key"]) for r in images] == [("2", "samples"), ("5", "samples"), ("6", "figures/samples")]
    assert [Path(r["path"]).name for r in images] == ["epoch_000.png", "epoch_001.png", "samples.png"]
    assert all(Path(r["path"]).is_file() for r in images)


def test_offline_wandb_run_has_metrics_config_tags_images_and_best_checkpoint(logged_run: Path) -> None:
    metrics = json.loads((logged_run / "metrics.json").read_text())
    folder, run = wandb_run(logged_run)
    for key in SCALARS:
        assert run.values(key), f"{key} never logged to W&B"
    assert run.values("test/bpd") == [pytest.approx(metrics["test/bpd"])]
    assert run.values("train/lr") == [pytest.approx(LR), pytest.approx(LR * 0.99)]
    assert run.tags == ["issue7", "loggers"]
    # the resolved Hydra config, nested as in the YAML
    assert run.config["model"]["_target_"] == "pixelcnn.models.ClassConditionalPixelCNN"
    assert run.config["model"]["backbone"]["num_layers"] == 3
    assert run.config["paths"]["output_dir"] == str(logged_run)
    # one sample grid per validation, then the final figures; the PNGs lie in the run folder
    grids = run.values("samples/filenames") + run.values("figures/samples/filenames")
    assert len(grids) == 3
    for (name,) in grids:
        png = folder / "files" / name
        assert png.is_file()
    final = Image.open(folder / "files" / grids[-1][0])
    assert final.size == Image.open(logged_run / "figures" / "samples.png").size
    (artifact,) = run.artifacts
    assert artifact["type"] == "model" and "best" in artifact["aliases"] and artifact["files"] == ["model.ckpt"]
    # what `wandb sync` uploads lies in the run folder (the best checkpoint itself, no staging copy elsewhere)
    assert artifact["name"] == f"model-{run.run_id}"
    assert [Path(p) for p in artifact["local_paths"]] == [Path(metrics["best_ckpt"])]


def test_wandb_training_run_is_named_typed_and_logs_the_config_once(logged_run: Path) -> None:
    _, run = wandb_run(logged_run)
    assert run.job_type == "train" and run.group == "train-train_run"  # a single run: <task>-<its run folder>
    assert run.name.startswith("train backbone=small max_epochs=1") and "model=gated_cond" in run.name
    assert "hydra.run.dir" not in run.name and "logger" not in run.name
    # once, nested as Hydra composed it: no flat copies of the model's arguments from Lightning
    assert not {"num_levels", "image_shape", "num_classes", "backbone"} & set(run.config)
    info = run.config["run"]
    assert info["params_total"] == info["params_trainable"] > 1000
    assert "train.py" in info["command"] and "model=gated_cond" in info["command"]
    assert info["git_commit"] is None or len(info["git_commit"]) >= 40


def test_wandb_curves_of_one_epoch_share_their_step(logged_run: Path) -> None:
    _, run = wandb_run(logged_run)
    assert run.steps("val/bpd") == [2, 5]  # 3 steps per epoch: Lightning logs epoch metrics at the epoch's last step
    assert run.steps("samples/filenames") == run.steps("val/bpd") == run.steps("train/bpd")
    assert run.steps("train/lr") == [0, 3]  # Lightning's LearningRateMonitor: the first step each epoch's rate is used


def test_tensorboard_gets_the_same_scalars_and_images(logged_run: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(logged_run / "tensorboard"), size_guidance={"images": 0, "scalars": 0})
    events.Reload()
    assert set(SCALARS) <= set(events.Tags()["scalars"])
    assert [round(e.value, 6) for e in events.Scalars("train/lr")] == [LR, round(LR * 0.99, 6)]
    grids = events.Images("samples")
    assert [e.step for e in grids] == [2, 5]  # the steps of val/bpd
    width, height = Image.open(logged_run / "samples" / "epoch_001.png").size
    assert (grids[-1].width, grids[-1].height) == (width, height)
    assert len(events.Images("figures/samples")) == 1


def test_eval_sends_metrics_and_every_figure_to_the_loggers(logged_run: Path, tmp_path: Path) -> None:
    metrics = json.loads((logged_run / "metrics.json").read_text())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        result = run_cli(
            "eval.py",
            f"ckpt_path={metrics['best_ckpt']}",
            ALL_LOGGERS,
            "figures.samples.num_samples=20",
            "print_config=false",
            f"hydra.run.dir={tmp_path}",
        )
    assert result.returncode == 0, result.stderr[-3000:]
    evaluated = json.loads((tmp_path / "metrics.json").read_text())

    _, trained = wandb_run(logged_run)
    _, run = wandb_run(tmp_path)
    assert run.values("test/bpd") == [pytest.approx(evaluated["test/bpd"])]
    assert run.values("test/num_images") == [297]
    assert len(run.values("figures/samples/filenames")) == 1
    # an eval run carries the training run's config, name, group and tags, and names its model artifact
    assert run.job_type == "eval" and run.name == f"eval {trained.name}" and run.group == trained.group != ""
    assert run.tags == ["issue7", "loggers", "eval"]
    assert run.config["model"] == trained.config["model"] and run.config["data"] == trained.config["data"]
    # only what the class-conditional kind uses: its sample figure, no loggers' settings, the test loop's trainer
    assert set(run.config["figures"]) == set(run.config["eval"]["figures"]) == {"samples"}
    assert "logger" not in run.config and "logger" not in run.config["eval"]
    assert "max_epochs" not in run.config["eval"]["trainer"] and "accelerator" in run.config["eval"]["trainer"]
    assert run.config["eval"]["ckpt_path"] == metrics["best_ckpt"]
    assert run.config["eval"]["model_artifact"] == f"model-{trained.run_id}:best"
    assert run.config["run"]["params_total"] == trained.config["run"]["params_total"]

    rows = csv_rows(tmp_path / "csv" / "metrics.csv")
    assert column(rows, "test/bpd") == [pytest.approx(evaluated["test/bpd"])]
    (image,) = csv_rows(tmp_path / "csv" / "images.csv")
    assert image["key"] == "figures/samples" and Path(image["path"]) == tmp_path / "samples.png"

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tensorboard"), size_guidance={"images": 0})
    events.Reload()
    assert "test/bpd" in events.Tags()["scalars"] and events.Tags()["images"] == ["figures/samples"]


def test_compare_reads_a_real_csv_log(logged_run: Path, tmp_path: Path) -> None:
    rows = csv_rows(logged_run / "csv" / "metrics.csv")
    report = compare([logged_run], output=tmp_path / "compare.png")
    ((label, summary),) = report["runs"].items()
    assert "model=gated_cond" in label.split() and "hydra.run.dir" not in label  # its overrides, not its folder
    assert summary["val/bpd"]["points"] == 2
    assert summary["val/bpd"]["best"] == pytest.approx(min(column(rows, "val/bpd")))
    assert summary["test/bpd"]["last"] == pytest.approx(column(rows, "test/bpd")[0])
    assert (tmp_path / "compare.png").is_file()


def test_a_real_offline_run_is_never_asked_to_use_an_artifact(tmp_path: Path, monkeypatch) -> None:
    """W&B refuses ``run.use_artifact`` offline, so an offline eval run only names its model artifact (checked on
    the eval run above); the online call is checked on a fake run (tests/unit/test_wandb_lineage.py): resolving an
    artifact needs W&B's server."""
    import wandb

    from pixelcnn.logging.lineage import use_model_artifact

    monkeypatch.setenv("WANDB_MODE", "offline")  # W&B obeys it even where logger.wandb.offline=false
    run = wandb.init(project="pixelcnn", dir=tmp_path)
    try:
        with pytest.raises(TypeError, match="offline"):
            run.use_artifact("model-abc123:best", type="model")
        use_model_artifact(run, "model-abc123:best", offline=False)  # the config said online: the run says offline
    finally:
        run.finish()
