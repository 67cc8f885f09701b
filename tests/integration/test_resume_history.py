"""A resume in the same run folder continues its history: one metrics.csv with every row and column, the same W&B
run; resuming a finished run trains nothing and says so."""

from __future__ import annotations

import csv
from pathlib import Path

from pixelcnn.checkpoints.reader import read_checkpoint
from pixelcnn.logging.wandb import PixelCNNWandbLogger
from pixelcnn.tasks.train import train
from tests.helpers import FAST_TRAIN

QUICK = [*FAST_TRAIN, "~callbacks.sample_grid", "figures=none", "test=false"]


def rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        return list(reader.fieldnames or []), list(reader)


def test_a_resume_appends_to_the_csv_and_a_finished_run_is_a_no_op(make_config, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    train(make_config(*QUICK))
    metrics = run / "csv" / "metrics.csv"
    first_columns, first_rows = rows(metrics)
    assert any(c.startswith(("lr", "train/lr")) for c in first_columns), first_columns

    train(make_config(*QUICK, "ckpt_path=last", "trainer.max_epochs=2"))
    columns, all_rows = rows(metrics)
    assert set(first_columns) <= set(columns)  # no column lost
    assert all_rows[: len(first_rows)] == [{**{c: "" for c in columns}, **r} for r in first_rows]  # history kept
    assert sorted({r["epoch"] for r in all_rows if r.get("val/bpd")}) == ["0", "1"]
    step = read_checkpoint(run / "checkpoints" / "last.ckpt")["global_step"]
    assert step == 6
    capsys.readouterr()

    before = metrics.read_text()
    again = train(make_config(*QUICK, "ckpt_path=last", "trainer.max_epochs=2"))
    out = capsys.readouterr().out
    assert "nothing to resume" in out and "finished 2 epochs of trainer.max_epochs=2" in out, out
    assert metrics.read_text() == before and read_checkpoint(run / "checkpoints" / "last.ckpt")["global_step"] == 6
    assert "val/bpd" in again


def test_a_run_folder_keeps_one_wandb_run_id(tmp_path: Path) -> None:
    first = PixelCNNWandbLogger(project="p", save_dir=str(tmp_path), offline=True)
    second = PixelCNNWandbLogger(project="p", save_dir=str(tmp_path), offline=True)
    other = PixelCNNWandbLogger(project="p", save_dir=str(tmp_path / "other"), offline=True)
    assert first.version == second.version != other.version
    assert first.init_options["id"] == first.version and first.init_options["resume"] == "allow"
