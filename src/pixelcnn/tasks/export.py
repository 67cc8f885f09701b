"""``export_embeddings.py``: embed a data set with a trained embedder and write the (image, h) pairs file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from pixelcnn.checkpoints.reader import read_checkpoint
from pixelcnn.embeddings.export import export_pairs
from pixelcnn.embeddings.module import embedder_from_checkpoint
from pixelcnn.tasks.evaluate import data_module
from pixelcnn.tasks.runtime import print_config_tree


def export(cfg: DictConfig) -> dict[str, Any]:
    """Writes ``cfg.output`` (default: ``embeddings.pt`` in this run's folder) and prints the ``data.path=...`` that
    trains on it; the data set is ``data=...`` or the one the embedder was trained on."""
    if cfg.get("print_config", True):
        print_config_tree(cfg, Path(cfg.paths.output_dir) / "config_tree.log")
    checkpoint = read_checkpoint(cfg.ckpt_path)
    embedder = embedder_from_checkpoint(checkpoint, cfg.ckpt_path, cfg.device)
    datamodule = data_module(cfg, checkpoint)
    datamodule.check_available()
    source = str(Path(cfg.ckpt_path).resolve())
    progress = bool(cfg.get("progress", True))
    content = export_pairs(embedder, datamodule, cfg.output, list(cfg.splits), source=source, progress=progress)
    counts = ", ".join(f"{split} {len(pairs['h'])}" for split, pairs in content["splits"].items())
    output = Path(cfg.output).resolve()
    print(f"exported {content['cond_dim']}-dim embeddings ({counts}) to {output}")
    print(f"train on them with: python train.py experiment=portraits data.path={output}")
    return content
