"""The portrait figures of section 3.3, for models conditioned on an embedding h (``gated_embed``,
``gated_spatial``): Figure 4, new samples of held-out images' embeddings; Figure 5, interpolations h_a -> h_b with
one fixed noise per row. Both captioned: identities, source images, interpolation weights, seeds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from pixelcnn.figures.base import Figure, Page, SamplingOptions
from pixelcnn.figures.captions import Captions
from pixelcnn.models import EmbeddingConditionalPixelCNN
from pixelcnn.sampling import draw_uniforms


def pick_distinct(identities: torch.Tensor, count: int) -> list[int]:
    """Indices of ``count`` items, one per identity first (in order of appearance), then the rest in order."""
    first: dict[int, int] = {}
    for index, identity in enumerate(identities.tolist()):
        first.setdefault(int(identity), index)
    chosen = list(first.values())[:count]
    chosen += [i for i in range(len(identities)) if i not in chosen][: count - len(chosen)]
    return chosen


def interpolation_strips(
    model: EmbeddingConditionalPixelCNN,
    h_start: torch.Tensor,
    h_end: torch.Tensor,
    steps: int,
    seeds: Sequence[int],
    sampling: SamplingOptions | None = None,
) -> torch.Tensor:
    """Figure 5: one row per seed of ``steps`` images along h_start -> h_end (linear), all of a row drawn with the
    noise of its seed, so each image equals ``model.sample(1, cond=h, seed=that_seed)``.

    h_start, h_end (D,) -> LongTensor (len(seeds) * steps, C, H, W), row-major. One cached-sampling call.
    """
    alphas = torch.linspace(0.0, 1.0, steps, device=h_start.device)[:, None]
    path = (1 - alphas) * h_start[None] + alphas * h_end[None]  # (steps, D)
    noise = torch.cat([draw_uniforms(1, model.image_shape, int(s)).expand(steps, -1, -1, -1) for s in seeds])
    return model.sample(len(noise), cond=path.repeat(len(seeds), 1), noise=noise, **dict(sampling or {}))


class Portraits(Figure):
    """``portraits.png`` (Figure 4): per row (labelled with its identity) one held-out image, then
    ``samples_per_embedding`` samples of its embedding; ``interpolations.png`` (Figure 5): ``interpolation_seeds``
    rows (labelled with their seed) of source a | ``interpolation_steps`` samples along h_a -> h_b (columns: the
    weight of h_b) | source b. Images and h come from the data module's ``split`` (default test: unseen identities).
    """

    def __init__(
        self,
        split: str = "test",
        embedding_rows: int = 4,
        samples_per_embedding: int = 7,
        interpolation_steps: int = 8,
        interpolation_seeds: int = 4,
        seed: int = 0,
    ) -> None:
        self.split, self.rows, self.per_row = split, int(embedding_rows), int(samples_per_embedding)
        self.steps, self.num_seeds, self.seed = int(interpolation_steps), int(interpolation_seeds), int(seed)

    def applies_to(self, model: torch.nn.Module) -> bool:
        return isinstance(model, EmbeddingConditionalPixelCNN)

    def pages(self, model: EmbeddingConditionalPixelCNN, datamodule: Any, sampling: SamplingOptions) -> dict[str, Page]:
        datamodule.setup()
        dataset = datamodule.datasets[self.split]
        labels = dataset.labels if dataset.indices is None else dataset.labels[dataset.indices]
        chosen = pick_distinct(torch.as_tensor(labels), max(self.rows, 2))
        images = torch.stack([dataset[i][0] for i in chosen]).to(model.device)
        h = torch.stack([dataset[i][1] for i in chosen]).to(model.device, torch.float32)

        identities = [f"identity {int(labels[i])}" for i in chosen]

        cond = h[: self.rows].repeat_interleave(self.per_row, dim=0)
        samples = model.sample(len(cond), cond=cond, seed=self.seed, **sampling)
        grid = torch.cat([images[: self.rows, None], samples.view(self.rows, self.per_row, *model.image_shape)], 1)
        captions = Captions(
            rows=identities[: self.rows],
            columns=["source", *(str(k + 1) for k in range(self.per_row))],
            title="source image, then samples from its embedding h",
        )
        figure4 = Page(grid.flatten(0, 1), 1 + self.per_row, captions)

        seeds = [self.seed + k for k in range(self.num_seeds)]
        strips = interpolation_strips(model, h[0], h[1], self.steps, seeds, sampling).view(
            len(seeds), self.steps, *model.image_shape
        )
        ends = images[:2, None].cpu().expand(2, len(seeds), *model.image_shape)
        rows = torch.cat([ends[0][:, None], strips.cpu(), ends[1][:, None]], dim=1)  # (seeds, steps + 2, C, H, W)
        weights = [f"{a:.2f}" for a in torch.linspace(0.0, 1.0, self.steps).tolist()]
        captions = Captions(
            rows=[f"seed {s}" for s in seeds],
            columns=["source", *weights, "source"],
            title=f"{identities[0]} -> {identities[1]}: samples of (1 - w) h_a + w h_b, one noise per row",
        )
        figure5 = Page(rows.flatten(0, 1), self.steps + 2, captions)
        return {"portraits": figure4, "interpolations": figure5}
