"""A run folder holds one run: a fresh run never writes into a folder where another run left its results."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pixelcnn.errors import PixelCNNError

# what a run leaves behind that a second run would overwrite or mix with its own (Hydra's .hydra/ and the printed
# config_tree.log are rewritten by every start, a resume included, and lose nothing)
RESULTS = ("checkpoints/*.ckpt", "metrics.json", "csv/metrics.csv")


def earlier_results(output_dir: Path) -> list[Path]:
    """The files in ``output_dir`` that show a run already trained there (``RESULTS``), sorted."""
    return sorted(path for pattern in RESULTS for path in output_dir.glob(pattern) if path.is_file())


def check_fresh_folder(
    output_dir: Path, ckpt_path: Path | None, requested: object = None, resumable: bool = True
) -> None:
    """Refuse to start in ``output_dir`` when it holds another run's results, unless this run resumes from a
    checkpoint of that folder (``ckpt_path=last``). Call before anything of the run is written.

    ``ckpt_path``: the resolved checkpoint this run resumes from (None: from scratch); ``requested``: the config's
    ``ckpt_path``; ``resumable``: whether the message offers ``ckpt_path=last`` (not for eval.py). ``last`` in a
    folder whose run was stopped before its first checkpoint (only a history in ``csv/``) starts afresh there, so a
    requeued job with a fixed folder never locks itself out.
    """
    found = earlier_results(output_dir)
    if not found:
        return
    own = output_dir / "checkpoints"
    if ckpt_path is not None and ckpt_path.resolve().parent == own.resolve():
        return
    if str(requested) == "last" and ckpt_path is None:
        kept = [path for path in found if path.parent != output_dir / "csv"]
        if not kept:
            return
        raise PixelCNNError(
            f"{output_dir} holds a run ({kept[0].relative_to(output_dir)}) but no checkpoints/last.ckpt to resume; "
            "pass ckpt_path=<one of its .ckpt files> or choose another folder (hydra.run.dir=...)"
        )
    resume = "pass ckpt_path=last to resume it or " if resumable else ""
    raise PixelCNNError(
        f"{output_dir} already holds a run ({found[0].relative_to(output_dir)}); {resume}choose another folder "
        "(hydra.run.dir=...)"
    )


def write_metrics(output_dir: Path, metrics: dict[str, Any]) -> None:
    """``metrics.json`` replaced whole (temporary file, then rename): a full disk keeps the earlier one."""
    path, tmp = output_dir / "metrics.json", output_dir / f".metrics.json.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(metrics, indent=2))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
