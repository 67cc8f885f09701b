"""The cached sampler's per-sub-pixel step as CUDA graphs: on a GPU the step (a few small kernels per layer) is
bound by kernel launches, so it is captured once per (column, channel) and replayed for every row and chunk.

``GenerationCache.step`` reads and writes fixed buffers only, so the same ``StepRunner`` runs it eagerly where no
graph can be captured (a CPU): the tests check the static-buffer path, padding included, on CPU.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from pixelcnn.errors import ConfigValueError, cuda_only
from pixelcnn.nn.generation import GenerationCache


def use_capture(capture: bool | str, device: torch.device | str) -> bool:
    """Whether sampling runs on static buffers (``StepRunner``): ``auto`` on CUDA only, else as told."""
    return cuda_only(capture, device, "sampling capture")


class StepRunner:
    """Calls ``cache.step(j, c)`` -> head parameters (batch_size, P) in one fixed output per (j, c): with ``graphs``
    (default: on CUDA) a CUDA graph per (j, c), captured at its first call (all in one memory pool) and replayed
    after; without, the same calls replayed eagerly (the step run again, its result copied into that output).

    The output of (j, c) is overwritten by its next call: read it first. ``recorded``: the (j, c) seen so far.
    """

    def __init__(self, cache: GenerationCache, graphs: bool | None = None) -> None:
        graphs = cache.device.type == "cuda" if graphs is None else graphs
        if graphs and cache.device.type != "cuda":
            raise ConfigValueError(f"CUDA graphs need a CUDA device, the model is on {cache.device}")
        self.cache, self.graphs = cache, graphs
        self.recorded: dict[tuple[int, int], tuple[Callable[[], object], torch.Tensor]] = {}
        self.pool = None

    def __call__(self, j: int, c: int) -> torch.Tensor:
        if (j, c) not in self.recorded:
            self.recorded[(j, c)] = self.capture(j, c) if self.graphs else self.record(j, c)
        replay, out = self.recorded[(j, c)]
        replay()
        return out

    def record(self, j: int, c: int) -> tuple[Callable[[], object], torch.Tensor]:
        """Eager replay: run the step at every call, into one output."""
        out = self.cache.step(j, c).clone()
        return (lambda: out.copy_(self.cache.step(j, c))), out

    def capture(self, j: int, c: int) -> tuple[Callable[[], object], torch.Tensor]:
        """One warm-up run on a side stream (``step`` writes the same values when run twice), then the capture."""
        with torch.cuda.device(self.cache.device):
            current, side = torch.cuda.current_stream(), torch.cuda.Stream()
            side.wait_stream(current)
            with torch.cuda.stream(side):
                self.cache.step(j, c)
            current.wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            # thread_local: CUDA calls of other threads (a data loader's pin-memory thread) do not break the capture
            with torch.cuda.graph(graph, pool=self.pool, capture_error_mode="thread_local"):
                out = self.cache.step(j, c)
        self.pool = self.pool if self.pool is not None else graph.pool()
        return graph.replay, out


def static_runner(
    backbone: torch.nn.Module,
    batch_size: int,
    image_shape: tuple[int, int, int],
    cond: list[torch.Tensor] | None,
) -> StepRunner:
    """A runner over a new cache for chunks of up to ``batch_size`` images (a smaller last chunk is padded), with
    biases shaped like ``cond`` (those of any chunk); CUDA graphs when the backbone is on CUDA."""
    cache = backbone.cache(batch_size, image_shape[1], image_shape[2], cond)
    return StepRunner(cache)
