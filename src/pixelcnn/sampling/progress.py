"""A progress bar for sampling: image rows done and images per second."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from tqdm import tqdm  # not tqdm.auto: without ipywidgets it warns in notebooks; text bars work everywhere


class SamplingProgress:
    """tqdm bar over the rows of every chunk of images being sampled; does nothing when ``enabled`` is False.

    ``row_done(images)`` after each image row of a chunk of ``images`` images; images/s counts a row of a chunk
    as ``images / height`` images, so the rate is right before the first chunk ends.
    """

    def __init__(self, total_rows: int, height: int, enabled: bool = True, desc: str = "sampling") -> None:
        self.height = height
        self.images_done = 0.0
        self.start = time.perf_counter()
        self.bar = tqdm(total=total_rows, desc=desc, unit="row", disable=not enabled, file=sys.stderr, leave=True)

    def row_done(self, images: int) -> None:
        self.images_done += images / self.height
        self.bar.update(1)
        elapsed = time.perf_counter() - self.start
        if elapsed > 0:
            self.bar.set_postfix_str(f"{self.images_done / elapsed:.3g} images/s", refresh=False)

    def __enter__(self) -> SamplingProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.bar.close()
