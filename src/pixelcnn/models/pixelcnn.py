"""The one PixelCNN LightningModule: a gated backbone, an optional conditioner, an optimizer and a scheduler, each
injected (by Hydra as ``_partial_`` configs, or in Python as classes, partials or keyword mappings)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch.utils.flop_counter import FlopCounterMode

from pixelcnn.checkpoints.registry import as_factory, factory_spec
from pixelcnn.conditioning.base import Conditioner
from pixelcnn.conditioning.class_bias import ClassConditioner
from pixelcnn.errors import InputError, check_count, cuda_only
from pixelcnn.metrics import BitsPerDim
from pixelcnn.models.base import TrainableModule
from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.nn.heads import SoftmaxHead
from pixelcnn.nn.modes import eval_mode
from pixelcnn.sampling import GivenNoise, SeededNoise, sample_images
from pixelcnn.sampling.batched import BiasSource

LN2 = math.log(2.0)


def bind(factory: Any, arguments: dict[str, Any]) -> Any:
    """``factory`` with the given keyword ``arguments`` bound (those that are not None)."""
    given = {k: v for k, v in arguments.items() if v is not None}
    if given and factory is None:
        raise TypeError(f"unexpected arguments {sorted(given)}: an unconditional model takes no conditioner arguments")
    return functools.partial(factory, **given) if given else factory


class PixelCNNModule(TrainableModule):
    """p(x | h) = prod_i p(x_i | x_<i, h) with h entering every layer as a bias from the conditioner.

    Public surface (see README): ``model(x, cond)`` -> logits (B,K,C,H,W); ``nll(x, cond)`` -> (B,) nats;
    ``sample(n, cond, seed)`` -> (n,C,H,W) long; attributes ``image_shape``, ``num_levels``, ``num_classes``.

    ``backbone``: builds a ``GatedPixelCNN`` given ``image_channels``, ``num_levels`` and ``head``; ``head``: the
    backbone's output head (``pixelcnn.nn.heads``: ``SoftmaxHead``, the default, or ``LogisticMixtureHead``,
    ``conf/model/head/*.yaml``); ``conditioner``: builds a
    ``Conditioner`` given ``num_layers``, ``cond_channels`` and ``image_size`` (None: unconditional); other keyword
    arguments go to the conditioner too (``num_classes=10``, ``cond_dim=64``). Subclasses only choose a default
    conditioner and say how a batch becomes ``cond`` (``batch_condition``).
    """

    default_conditioner: ClassVar[type[Conditioner] | None] = None

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        backbone: Any = None,
        conditioner: Any = None,
        optimizer: Any = None,
        scheduler: Any = None,
        head: Any = None,
        compile: bool = False,
        compile_options: dict[str, Any] | None = None,
        channels_last: bool | str = "auto",
        **conditioner_args: Any,
    ) -> None:
        super().__init__(image_shape, num_levels, optimizer, scheduler)
        backbone_factory = as_factory(backbone, GatedPixelCNN, "backbone")
        head_factory = as_factory(head, SoftmaxHead, "head")
        conditioner_factory = bind(as_factory(conditioner, self.default_conditioner, "conditioner"), conditioner_args)
        self.backbone: GatedPixelCNN = backbone_factory(
            image_channels=self.image_shape[0], num_levels=self.num_levels, head=head_factory
        )
        self.conditioner: Conditioner | None = None
        if conditioner_factory is not None:
            self.conditioner = conditioner_factory(
                num_layers=self.backbone.num_layers,
                cond_channels=self.backbone.cond_channels,
                image_size=self.image_shape[1:],
            )
        self.num_classes: int | None = (
            self.conditioner.num_classes if isinstance(self.conditioner, ClassConditioner) else None
        )
        self.num_dims = math.prod(self.image_shape)
        self.remember(
            backbone=factory_spec(backbone_factory),
            head=factory_spec(head_factory),
            conditioner=factory_spec(conditioner_factory),
            compile=bool(compile),
            compile_options=dict(compile_options or {}),
            channels_last=channels_last,
        )
        self.train_bpd, self.val_bpd, self.test_bpd = BitsPerDim(), BitsPerDim(), BitsPerDim()

    # --- how h becomes biases ------------------------------------------------------------------------------
    def batch_condition(self, batch: Sequence[torch.Tensor]) -> torch.Tensor | None:
        """The ``cond`` a training batch (x, y_or_h, ...) carries: its second entry, None when unconditional."""
        return None if self.conditioner is None else batch[1]

    def check_condition(self, cond: torch.Tensor | None, batch_size: int) -> None:
        """Raise ``InputError`` unless ``cond`` fits ``batch_size`` images; builds nothing."""
        if self.conditioner is None:
            if cond is not None:
                raise InputError("this model is unconditional: call it without cond")
            return
        self.conditioner.validate(cond, batch_size)

    def condition(self, cond: torch.Tensor | None, batch_size: int) -> list[torch.Tensor] | None:
        """Validate ``cond`` and map it to per-layer biases (B, 4*hidden, 1|H, 1|W), or None."""
        self.check_condition(cond, batch_size)
        return None if self.conditioner is None else self.conditioner(cond)

    def chunk_biases(self, cond: torch.Tensor | None, n: int) -> BiasSource | None:
        """Check ``cond`` of n images; ``(start, stop) -> condition(cond[start:stop])``, called per sampled chunk."""
        self.check_condition(cond, n)
        if self.conditioner is None:
            return None
        return lambda start, stop: self.condition(cond[start:stop], stop - start)

    # --- public API ----------------------------------------------------------------------------------------
    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None, log_prob: bool = False) -> torch.Tensor:
        """x (B,C,H,W) long -> logits (B,K,C,H,W); ``log_prob=True``: log p of x itself per sub-pixel (B,C,H,W)."""
        self.check_images(x)
        return self.backbone(x, self.condition(cond, x.shape[0]), log_prob=log_prob)

    def nll(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Negative log-likelihood of each image in nats (B,): the cross-entropy of ``self(x, cond)``'s logits."""
        return -self(x, cond, log_prob=True).flatten(1).sum(1)

    @torch.no_grad()
    def sample(
        self,
        n: int,
        cond: torch.Tensor | None = None,
        seed: int = 0,
        fast: bool = True,
        batch_size: int | None = None,
        progress: bool = False,
        noise: torch.Tensor | None = None,
        capture: bool | str = "auto",
    ) -> torch.Tensor:
        """n images (n,C,H,W) long; the same seed (and cond) gives the same images.

        ``fast``: cached sampling (default) or one full forward pass per sub-pixel (False): the same images either
        way. ``batch_size``: sample in chunks of that many images; each image has its own noise, drawn from
        (seed, its index) when its chunk is sampled, so the images do not depend on ``batch_size`` or ``n`` (image
        i of ``sample(n, seed=s)`` is image i of ``sample(m, seed=s)`` for every m > i) and the noise in memory is
        one chunk's. ``progress``: a bar of rows done and images/s. ``noise``: the uniforms (n,C,H,W) in [0, 1) to
        use instead of the seed's (those of ``sample(n, seed=s)`` are ``pixelcnn.sampling.draw_uniforms(n,
        image_shape, s)``; image i alone: ``draw_uniforms(1, image_shape, s, start=i)``). ``capture``: cached
        sampling on static buffers, its per-sub-pixel step replayed as CUDA graphs (``auto``: on CUDA only; true on
        a CPU runs the same buffers eagerly); the same images either way.
        """
        check_count(n, "n (the number of images)", minimum=0)
        check_count(seed, "seed", minimum=0)
        check_count(batch_size, "batch_size", none_ok=True)
        with eval_mode(self):
            biases = self.chunk_biases(cond, n)  # built per chunk: memory bounded by batch_size, not n
            if noise is not None and tuple(noise.shape) != (n, *self.image_shape):
                raise InputError(f"noise must have shape {(n, *self.image_shape)}, got {tuple(noise.shape)}")
            source = SeededNoise(self.image_shape, seed) if noise is None else GivenNoise(noise)
            how = {"fast": fast, "batch_size": batch_size, "progress": progress, "capture": capture}
            return sample_images(self.backbone, source, n, self.image_shape, biases, **how)

    # --- Lightning -----------------------------------------------------------------------------------------
    def step(self, batch: Sequence[torch.Tensor], stage: str) -> torch.Tensor:
        x = batch[0]
        nll = self.nll(x, self.batch_condition(batch))
        metric: BitsPerDim = getattr(self, f"{stage}_bpd")
        metric.update(nll, self.num_dims)
        self.log(f"{stage}/bpd", metric, on_step=False, on_epoch=True, prog_bar=True, batch_size=x.shape[0])
        return nll.mean() / (self.num_dims * LN2)

    def count_flops(self, batch: Sequence[torch.Tensor]) -> int:
        """FLOPs of ``-nll(x, cond).sum()`` forward and backward: one image's, counted eagerly in eval mode (no
        gradients stored, no recompilation, no batch-norm statistics), times the batch size."""
        cond = self.batch_condition(batch)
        with (
            eval_mode(self),
            torch.compiler.set_stance("force_eager"),
            torch.enable_grad(),
            FlopCounterMode(display=False) as counter,
        ):
            nll = self.nll(batch[0][:1], None if cond is None else cond[:1]).sum()
            params = [p for p in self.parameters() if p.requires_grad]
            if params:
                torch.autograd.grad(nll, params, allow_unused=True)
        return counter.get_total_flops() * int(batch[0].shape[0])

    def apply_layout(self, device: torch.device | str) -> None:
        """The backbone in channels_last when ``model.channels_last`` asks for it on ``device`` (auto: CUDA only)."""
        if cuda_only(self.hparams.get("channels_last", False), device, "model.channels_last"):
            self.backbone.use_channels_last()

    def setup(self, stage: str) -> None:
        """``channels_last`` (auto: on CUDA): the backbone's weights and activations in NHWC layout; ``compile=true``:
        compile the backbone in place. Parameter names and checkpoints are unchanged either way."""
        self.apply_layout(self.trainer.strategy.root_device)
        if self.hparams.get("compile") and not getattr(self, "_compiled", False):
            self.backbone.compile(**dict(self.hparams.get("compile_options") or {}))
            self._compiled = True
