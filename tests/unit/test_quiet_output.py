"""Output a person reads: a short config summary (rank 0 only) with the full tree in the run folder, and no noise
the user cannot act on, while real warnings stay."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

from pixelcnn.tasks.quiet import quiet_noise
from pixelcnn.tasks.runtime import print_config_tree


def test_config_summary_is_short_and_the_full_tree_is_in_the_run_folder(make_config, tmp_path, capsys) -> None:
    cfg = make_config("model=gated_cond", "seed=3")
    print_config_tree(cfg, tmp_path / "config_tree.log")
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 3
    assert "data=digits" in printed[0] and "model=gated_cond" in printed[0] and "model/backbone=default" in printed[0]
    assert printed[1] == "overrides: model=gated_cond seed=3"
    assert printed[2] == f"full config: {tmp_path / 'config_tree.log'}"
    tree = (tmp_path / "config_tree.log").read_text()
    assert "hidden_channels" in tree and "num_classes" in tree and len(tree.splitlines()) > 50


def test_config_is_printed_by_rank_zero_only(make_config, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("LOCAL_RANK", "1")
    print_config_tree(make_config(), tmp_path / "config_tree.log")
    assert capsys.readouterr().out == "" and not (tmp_path / "config_tree.log").exists()


def test_lightning_tips_are_dropped_but_other_lines_stay(caplog) -> None:
    from pytorch_lightning.utilities.rank_zero import rank_zero_info

    quiet_noise()
    with caplog.at_level(logging.INFO):
        rank_zero_info("💡 Tip: For seamless cloud logging, try installing [litlogger]")
        rank_zero_info("GPU available: False, used: False")
    assert [r.getMessage() for r in caplog.records] == ["GPU available: False, used: False"]


def test_the_leafspec_deprecation_is_silenced_but_other_warnings_stay() -> None:
    quiet_noise()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        quiet_noise()  # catch_warnings reset the filters: install them again inside
        warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated, use TreeSpec", DeprecationWarning, stacklevel=1)
        warnings.warn("something the user can fix", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["something the user can fix"]


def test_model_summary_is_lightnings_with_the_parameter_counts(capsys) -> None:
    import hydra
    import pytorch_lightning as pl
    import yaml
    from pytorch_lightning.callbacks import RichModelSummary
    from pytorch_lightning.utilities.model_summary import get_human_readable_count

    from pixelcnn.models import PixelCNN
    from tests.helpers import CONF, TINY_BACKBONE

    config = yaml.safe_load((CONF / "callbacks" / "rich_model_summary.yaml").read_text())["rich_model_summary"]
    summary = hydra.utils.instantiate(config)
    assert type(summary) is RichModelSummary
    model = PixelCNN((1, 4, 4), 3, backbone=TINY_BACKBONE)
    trainer = pl.Trainer(
        accelerator="cpu", max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False
    )
    trainer.strategy.connect(model)
    model.trainer = trainer
    summary.on_fit_start(trainer, model)
    out = capsys.readouterr().out
    params = get_human_readable_count(sum(p.numel() for p in model.parameters()))
    assert "backbone" in out and f"Total params: {params}" in " ".join(out.split())


def test_wandb_logger_does_not_pass_the_deprecated_anonymous_setting(tmp_path: Path, capfd, monkeypatch) -> None:
    import wandb

    from pixelcnn.logging.wandb import RUN_ID_FILE, PixelCNNWandbLogger

    monkeypatch.setenv("WANDB_MODE", "offline")  # restored afterwards (Lightning sets it for an offline run)
    logger = PixelCNNWandbLogger(project="p", save_dir=str(tmp_path), offline=True, name="n", group="g", tags=["t"])
    assert "anonymous" not in logger.init_options
    run = logger.experiment
    try:
        assert run is wandb.run and logger.experiment is run and run.offline
        assert run.id == logger.version == (tmp_path / RUN_ID_FILE).read_text()
        assert (run.project, run.name, run.group, run.tags) == ("p", "n", "g", ("t",))
        assert Path(run.dir).is_relative_to(tmp_path / "wandb")
    finally:
        run.finish()
    assert "anonymous" not in capfd.readouterr().err
