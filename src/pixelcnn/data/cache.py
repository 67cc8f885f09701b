"""The one writer of converted image caches: a uint8 .npy memory map that only gets its name once complete."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def image_cache(path: Path, shape: Sequence[int]) -> Iterator[np.ndarray]:
    """Yield a writable uint8 memory map of ``shape`` (N,C,H,W) for ``path``.

    It is written as ``<name>.partial.npy`` and renamed to ``path`` when the block ends without an error, so a
    killed conversion never leaves a file that looks complete; a failed one removes its partial file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.npy")
    images = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=tuple(int(s) for s in shape))
    try:
        yield images
        images.flush()
    except BaseException:
        del images
        tmp.unlink(missing_ok=True)
        raise
    del images
    tmp.replace(path)
