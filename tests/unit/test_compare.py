"""python -m pixelcnn.analysis.compare: curves of several runs from their CSV logs, exact summaries and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from pixelcnn.analysis.compare import CompareError, compare, main, read_curves

# The shape Lightning's CSVLogger writes: epoch-level train/val rows, a step-only lr row, a final test row.
LOG = """epoch,step,test/bpd,train/bpd,train/lr,val/bpd
,0,,,0.001,
0,9,,,,{v0}
0,9,,{t0},,
1,19,,,,{v1}
1,19,,{t1},,
2,20,{test},,,
"""


def write_run(folder: Path, t0: float, t1: float, v0: float, v1: float, test: float) -> Path:
    (folder / "csv").mkdir(parents=True)
    (folder / "csv" / "metrics.csv").write_text(LOG.format(t0=t0, t1=t1, v0=v0, v1=v1, test=test))
    return folder


def test_read_curves_keeps_epoch_rows_in_order(tmp_path: Path) -> None:
    run = write_run(tmp_path / "a", 3.0, 2.5, 2.9, 2.7, 2.71)
    curves = read_curves(run / "csv" / "metrics.csv")
    assert curves["train/bpd"] == [(0, 3.0), (1, 2.5)]
    assert curves["val/bpd"] == [(0, 2.9), (1, 2.7)]
    assert curves["test/bpd"] == [(2, 2.71)]
    assert curves["train/lr"] == [(0, 0.001)]  # a row without an epoch belongs to the epoch before it (0 at first)


def test_any_csv_column_is_a_metric(tmp_path: Path) -> None:
    run = write_run(tmp_path / "a", 3.0, 2.5, 2.9, 2.7, 2.71)
    report = compare([run], metrics=["train/lr", "val/bpd"], output=tmp_path / "c.png")
    assert report["runs"]["a"]["train/lr"] == {"last": 0.001, "best": 0.001, "points": 1}


def test_the_png_goes_into_the_one_folder_given_never_the_current_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = write_run(tmp_path / "runs" / "a", 3.0, 2.5, 2.9, 2.7, 2.71)
    assert Path(compare([run])["output"]) == run.resolve() / "compare.png"
    other = write_run(tmp_path / "runs" / "b", 3.0, 2.5, 2.9, 2.7, 2.71)
    both = Path(compare([run, other])["output"])
    assert both.parent.parent == (tmp_path / "outputs" / "compare").resolve() and both.name == "compare.png"
    assert not (tmp_path / "compare.png").exists()


def test_multirun_jobs_are_labelled_by_the_overrides_that_differ(tmp_path: Path) -> None:
    sweep = tmp_path / "multirun"
    for job, (lr, val) in enumerate([("0.001", 2.0), ("0.01", 1.5)]):
        write_run(sweep / str(job), 3.0, 2.5, 2.9, val, 2.0)
        (sweep / str(job) / ".hydra").mkdir()
        (sweep / str(job) / ".hydra" / "overrides.yaml").write_text(f"- logger=wandb\n- model.optimizer.lr={lr}\n")
    report = compare([sweep], metrics=["val/bpd"], output=tmp_path / "cmp.png")
    labels = {k: v["val/bpd"]["last"] for k, v in report["runs"].items()}
    assert labels == {"multirun/model.optimizer.lr=0.001": 2.0, "multirun/model.optimizer.lr=0.01": 1.5}


def test_every_logger_choice_keeps_the_csv_log(make_config) -> None:
    for choice in ("csv", "wandb", "tensorboard", "[tensorboard,wandb]"):
        assert "csv" in make_config(f"logger={choice}").logger


def test_compare_plots_and_summarizes_each_run(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", 3.0, 2.5, 2.9, 2.7, 2.71)
    b = write_run(tmp_path / "b", 3.2, 2.2, 2.4, 2.6, 2.45)
    report = compare([a, b], output=tmp_path / "out" / "cmp.png")
    assert report["runs"]["a"]["val/bpd"] == {"last": 2.7, "best": 2.7, "points": 2}
    assert report["runs"]["b"]["val/bpd"] == {"last": 2.6, "best": 2.4, "points": 2}
    assert report["runs"]["b"]["train/bpd"]["best"] == 2.2
    assert report["runs"]["b"]["test/bpd"]["last"] == 2.45
    width, height = Image.open(tmp_path / "out" / "cmp.png").size
    assert width > 1.8 * height  # two panels side by side


def test_a_multirun_folder_contributes_every_job(tmp_path: Path) -> None:
    sweep = tmp_path / "multirun"
    for job, val in (("0", 2.0), ("1", 1.5)):
        write_run(sweep / job, 3.0, 2.5, 2.9, val, 2.0)
    report = compare([sweep], metrics=["val/bpd"], output=tmp_path / "cmp.png")
    assert {k: v["val/bpd"]["last"] for k, v in report["runs"].items()} == {"multirun/0": 2.0, "multirun/1": 1.5}


def test_cli_prints_json_and_refuses_folders_without_logs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    run = write_run(tmp_path / "a", 3.0, 2.5, 2.9, 2.7, 2.71)
    assert main([str(run), "--output", str(tmp_path / "c.png")]) == 0
    assert json.loads(capsys.readouterr().out)["runs"]["a"]["train/bpd"]["last"] == 2.5

    assert main([str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "csv/metrics.csv" in err and len(err.strip().splitlines()) == 1


def test_unknown_metric_names_the_logged_ones(tmp_path: Path) -> None:
    run = write_run(tmp_path / "a", 3.0, 2.5, 2.9, 2.7, 2.71)
    known = "test/bpd, train/bpd, train/lr, val/bpd"
    with pytest.raises(CompareError, match=f"no run logged val/nll; logged metrics: {known}"):
        compare([run], metrics=["val/nll"], output=tmp_path / "c.png")


def with_overrides(run: Path, *overrides: str) -> Path:
    (run / ".hydra").mkdir(parents=True, exist_ok=True)
    (run / ".hydra" / "overrides.yaml").write_text("".join(f"- {item}\n" for item in overrides) or "[]\n")
    return run


def test_runs_are_labelled_by_their_overrides_not_their_folder(tmp_path: Path) -> None:
    runs = tmp_path / "outputs" / "train" / "runs"
    gated = with_overrides(write_run(runs / "2026-01-01_10-00-00", 3.0, 2.5, 2.9, 2.7, 2.7), "logger=wandb")
    cond = with_overrides(
        write_run(runs / "2026-01-01_11-00-00", 3.0, 2.5, 2.9, 2.6, 2.6), "model=gated_cond", "hydra.run.dir=x"
    )
    again = with_overrides(write_run(runs / "2026-01-01_12-00-00", 3.0, 2.5, 2.9, 2.5, 2.5), "model=gated_cond")
    report = compare([gated, cond, again], metrics=["val/bpd"], output=tmp_path / "c.png")
    assert sorted(report["runs"]) == [
        "default",  # no overrides that change the run (where it logs to does not)
        "model=gated_cond (2026-01-01_11-00-00)",  # the same overrides twice: told apart by their folders
        "model=gated_cond (2026-01-01_12-00-00)",
    ]
    alone = compare([cond], metrics=["val/bpd"], output=tmp_path / "c.png")
    assert list(alone["runs"]) == ["model=gated_cond"]
