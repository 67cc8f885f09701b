"""CUDA graphs emulated on CPU, for code that captures with ``torch.cuda.graph``: a capture records every aten op
it runs with the very tensors it read and wrote; ``replay`` runs those ops again on those tensors, writing each
result into the tensor the capture produced. As with a real graph, Python control flow, indices and tensor
addresses are frozen at capture: a replay sees new values only in tensors the capture itself read."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode


def tensors(value: Any) -> list[torch.Tensor]:
    items = value if isinstance(value, (tuple, list)) else [value]
    return [v for v in items if isinstance(v, torch.Tensor)]


class FakeGraph:
    """Stands in for ``torch.cuda.CUDAGraph``."""

    def __init__(self) -> None:
        self.ops: list[tuple[Any, tuple, dict, Any]] = []

    def pool(self) -> object:
        return self

    def replay(self) -> None:
        for func, args, kwargs, out in self.ops:
            new = func(*args, **kwargs)
            if func.is_view or func._schema.is_mutable:
                continue  # a view aliases what the capture saw; an in-place op has just written again
            for old, fresh in zip(tensors(out), tensors(new), strict=True):
                old.copy_(fresh)


class Recorder(TorchDispatchMode):
    def __init__(self, graph: FakeGraph) -> None:
        super().__init__()
        self.graph = graph

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        self.graph.ops.append((func, args, kwargs, out))
        return out


class FakeStream:
    def wait_stream(self, other: Any) -> None:
        pass


@contextlib.contextmanager
def fake_capture(graph: FakeGraph, pool: Any = None, capture_error_mode: str = "global") -> Iterator[None]:
    with Recorder(graph):
        yield


def emulate_cuda_graphs(monkeypatch: pytest.MonkeyPatch) -> list[FakeGraph]:
    """Make ``torch.cuda.graph`` & co. record and replay on CPU; returns the list every new graph is added to."""
    graphs: list[FakeGraph] = []

    def new_graph() -> FakeGraph:
        graphs.append(FakeGraph())
        return graphs[-1]

    monkeypatch.setattr(torch.cuda, "CUDAGraph", new_graph)
    monkeypatch.setattr(torch.cuda, "graph", fake_capture)
    monkeypatch.setattr(torch.cuda, "Stream", FakeStream)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda *a: FakeStream())
    monkeypatch.setattr(torch.cuda, "stream", lambda s: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "device", lambda d: contextlib.nullcontext())
    return graphs
