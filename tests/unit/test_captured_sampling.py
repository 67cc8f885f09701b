"""The static-buffer (capturable) sampling path, run eagerly on CPU: the images of naive sampling for every
conditioning and head, padded last chunks, the exactness fallback, fixed buffer addresses; ``auto`` is eager on CPU.
No GPU in CI: ``StepRunner.capture`` runs on CPU against emulated CUDA graphs (``tests.helpers.fake_graphs``:
ops recorded at capture and re-run on the same tensors), not on a real one."""

from __future__ import annotations

import pytest
import torch

import pixelcnn.sampling.batched
from pixelcnn.errors import ConfigValueError
from pixelcnn.models import ClassConditionalPixelCNN
from pixelcnn.nn.generation import GenerationCache
from pixelcnn.sampling import SeededNoise, sample_cached, sample_images, sample_naive
from pixelcnn.sampling.captured import StepRunner, static_runner, use_capture
from tests.helpers import TINY_BACKBONE
from tests.helpers.fake_graphs import emulate_cuda_graphs
from tests.helpers.fallback import watch_fallback
from tests.unit.test_cached_sampling import (
    CASES,
    HEIGHT,
    MIXTURE,
    MIXTURE_CASES,
    WIDTH,
    biases_of,
    perturb_cache,
    random_backbone,
)

ALL_CASES = [(*case, None) for case in CASES] + [(*case, MIXTURE) for case in MIXTURE_CASES]


@pytest.mark.parametrize(("channels", "kernel", "first_kernel", "layers", "cond", "head"), ALL_CASES)
def test_static_buffers_give_the_naive_images_whatever_the_chunks(
    channels, kernel, first_kernel, layers, cond, head
) -> None:
    """5 images in chunks of 2 on one runner (the last chunk padded to 2), or all at once: the naive images."""
    backbone = random_backbone(channels, kernel, first_kernel, layers, levels=9 if head is None else 64, head=head)
    n, shape = 5, (channels, HEIGHT, WIDTH)
    biases = biases_of(cond, backbone, n)
    naive = sample_naive(lambda x: backbone(x, biases), n, shape, seed=11)
    noise = SeededNoise(shape, 11)
    for batch_size in (2, None):
        captured = sample_images(backbone, noise, n, shape, biases, batch_size=batch_size, capture=True)
        assert torch.equal(captured, naive)
    assert len(naive.unique()) > 3


@pytest.mark.parametrize(
    ("channels", "kernel", "first_kernel", "layers", "cond", "head"), [ALL_CASES[4], ALL_CASES[-3]]
)
def test_replayed_graphs_give_the_naive_images(
    monkeypatch: pytest.MonkeyPatch, channels, kernel, first_kernel, layers, cond, head
) -> None:
    """``StepRunner.capture`` on emulated CUDA graphs: each step is recorded once per (column, channel) and replayed
    with the tensors it was captured with on every row and chunk, and the images are still the naive ones."""
    graphs = emulate_cuda_graphs(monkeypatch)
    backbone = random_backbone(channels, kernel, first_kernel, layers, levels=9 if head is None else 64, head=head)
    n, shape = 5, (channels, HEIGHT, WIDTH)
    biases = biases_of(cond, backbone, n)
    naive = sample_naive(lambda x: backbone(x, biases), n, shape, seed=2)

    def graphed(backbone, batch_size, image_shape, cond):
        runner = StepRunner(GenerationCache(backbone, batch_size, image_shape[1], image_shape[2], cond), graphs=False)
        runner.graphs = True  # the CPU stands in for a GPU
        return runner

    monkeypatch.setattr(pixelcnn.sampling.batched, "static_runner", graphed)
    captured = sample_images(backbone, SeededNoise(shape, 2), n, shape, biases, batch_size=2, capture=True)
    assert torch.equal(captured, naive)
    assert len(graphs) == WIDTH * channels and all(graph.ops for graph in graphs)


def test_the_fallback_resolves_real_images_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cached logits off by 1e-2: draws near a CDF boundary of the 3 real images take a forward pass, never those
    of the padding (the runner holds 4 images), and the images are the naive ones."""
    backbone = random_backbone(3, 3, 3, 2)
    shape = (3, HEIGHT, WIDTH)
    naive = sample_naive(lambda x: backbone(x), 3, shape, seed=3)
    perturb_cache(monkeypatch, 1e-2)
    runner = static_runner(backbone, 4, shape, None)
    stats = watch_fallback(monkeypatch, tolerance=0.05)
    assert torch.equal(sample_cached(backbone, 3, shape, 3, runner=runner), naive)
    assert 0 < stats.recomputed < naive.numel()
    every = watch_fallback(monkeypatch, tolerance=1.0)
    sample_cached(backbone, 3, shape, 3, runner=runner)
    assert every.recomputed == naive.numel()  # every real sub-pixel, no padded one
    assert len(runner.recorded) == WIDTH * 3  # one recorded step per (column, channel), replayed on every row and call


def test_each_step_is_replayed_into_one_fixed_output() -> None:
    """As a CUDA graph's: the output of (j, c) is one tensor, rewritten by each call from the current buffers."""
    backbone = random_backbone(3, 3, 3, 2)
    runner = static_runner(backbone, 2, (3, HEIGHT, WIDTH), None)
    x = torch.randint(0, 9, (2, 3, HEIGHT, WIDTH), generator=torch.Generator().manual_seed(0))
    runner.cache.start_row(0, x)
    runner.cache.load(x, 0, 0, 1)
    out = runner(0, 1)  # the green channel of pixel (0, 0) given its red one
    first = out.clone()
    assert torch.equal(first, runner.cache.step(0, 1))
    x[:, 0, 0, 0] = (x[:, 0, 0, 0] + 4) % 9
    runner.cache.load(x, 0, 0, 1)
    assert runner(0, 1) is out and not torch.equal(out, first)
    assert torch.equal(out, runner.cache.step(0, 1)) and len(runner.recorded) == 1


def test_buffers_keep_their_addresses_and_the_step_can_run_twice() -> None:
    """What a CUDA graph needs: ``step`` reads and writes the same tensors on every chunk and row (``reset`` and
    ``start_row`` write into them), and running it twice (warm-up, then capture) leaves the same values."""
    backbone = random_backbone(3, 3, 5, 3)
    shape = (3, HEIGHT, WIDTH)
    biases = biases_of("map", backbone, 3)
    runner = static_runner(backbone, 3, shape, biases)
    cache = runner.cache

    def buffers() -> list[torch.Tensor]:
        layers = [(block.h_row.buffer, block.links, block.h_cond) for block in cache.blocks]
        return [*(buffer for buffers in layers for buffer in buffers), cache.row]

    addresses = [b.data_ptr() for b in buffers()]
    sample_cached(backbone, 3, shape, 0, biases, runner=runner)
    cache.reset(2, [b[:2] for b in biases])
    x = torch.randint(0, 9, (2, *shape), generator=torch.Generator().manual_seed(0))
    cache.start_row(2, x)
    cache.load(x, 2, 1, 0)
    assert [b.data_ptr() for b in buffers()] == addresses
    once = cache.step(1, 0).clone()
    state = [b.clone() for b in buffers()]
    assert torch.equal(cache.step(1, 0), once)
    assert all(torch.equal(b, s) for b, s in zip(buffers(), state, strict=True))


def test_capture_auto_is_eager_on_cpu_and_graphs_need_cuda() -> None:
    assert use_capture("auto", "cpu") is False and use_capture("auto", torch.device("cuda", 0)) is True
    assert use_capture(True, "cpu") is True and use_capture(False, "cuda") is False
    with pytest.raises(ConfigValueError, match="auto, true or false"):
        use_capture("yes", "cpu")
    runner = static_runner(random_backbone(1, 3, 3, 2), 2, (1, 3, 3), None)
    assert runner.graphs is False
    with pytest.raises(ConfigValueError, match="CUDA graphs need a CUDA device"):
        StepRunner(runner.cache, graphs=True)


def test_model_sample_builds_one_runner_for_every_chunk_only_when_capturing(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = ClassConditionalPixelCNN((3, 4, 4), 8, num_classes=3, backbone=TINY_BACKBONE)
    labels = torch.tensor([0, 2, 1, 2, 0])
    built: list[int] = []

    def recorded(backbone, batch_size, image_shape, cond):
        built.append(batch_size)
        return static_runner(backbone, batch_size, image_shape, cond)

    monkeypatch.setattr(pixelcnn.sampling.batched, "static_runner", recorded)
    eager = model.sample(5, cond=labels, seed=1, batch_size=2)  # capture=auto: no runner on a CPU
    assert built == []
    assert torch.equal(model.sample(5, cond=labels, seed=1, batch_size=2, capture=True), eager)
    assert built == [2]
    assert torch.equal(eager, model.sample(5, cond=labels, seed=1, fast=False))
