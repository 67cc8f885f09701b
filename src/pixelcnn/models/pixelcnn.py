"""The PixelCNN LightningModule: it holds one plain-torch ``PixelCNNNetwork`` (``self.net``: backbone, head,
conditioner; ``forward`` / ``nll`` / ``sample``) and adds only training: optimizer, scheduler, bits/dim metrics,
logging, FLOPs, memory layout and compile. Its parts are injected (by Hydra as ``_partial_`` configs, or in Python
as classes, partials or keyword mappings)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch.utils.flop_counter import FlopCounterMode

from pixelcnn.checkpoints.registry import as_factory, factory_spec
from pixelcnn.conditioning.base import Conditioner
from pixelcnn.errors import cuda_only
from pixelcnn.metrics import BitsPerDim
from pixelcnn.models.base import TrainableModule
from pixelcnn.models.compiling import compile_setting, compiles
from pixelcnn.models.legacy import move_parts_under_net
from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.nn.heads import SoftmaxHead
from pixelcnn.nn.modes import eval_mode
from pixelcnn.nn.network import PixelCNNNetwork

LN2 = math.log(2.0)


def with_condition_size(factory: Any, num_classes: int | None, cond_dim: int | None) -> Any:
    """The conditioner ``factory`` with ``num_classes`` / ``cond_dim`` bound (those that are not None)."""
    given = {k: v for k, v in {"num_classes": num_classes, "cond_dim": cond_dim}.items() if v is not None}
    if given and factory is None:
        raise TypeError(f"unexpected arguments {sorted(given)}: an unconditional model takes no conditioner arguments")
    return functools.partial(factory, **given) if given else factory


class PixelCNNModule(TrainableModule):
    """Trains a ``PixelCNNNetwork`` (``self.net``) on the NLL in bits/dim.

    Public surface (see README), the network's: ``model(x, cond)`` -> logits (B,K,C,H,W); ``nll(x, cond)`` -> (B,)
    nats; ``sample(n, cond, seed, ...)`` -> (n,C,H,W) long; ``image_shape``, ``num_levels``, ``num_classes`` and the
    parts ``backbone`` and ``conditioner`` (read-only, those of ``net``).

    ``backbone``: builds a ``GatedPixelCNN`` given ``image_channels``, ``num_levels`` and ``head``; ``head``: the
    backbone's output head (``pixelcnn.nn.heads``: ``SoftmaxHead``, the default, or ``LogisticMixtureHead``,
    ``conf/model/head/*.yaml``); ``conditioner``: builds a
    ``Conditioner`` given ``num_layers``, ``cond_channels`` and ``image_size`` (None: unconditional);
    ``num_classes`` / ``cond_dim``, when given, are bound to the conditioner (``ClassConditionalPixelCNN(shape, K,
    num_classes=10)``; Hydra's configs set them inside ``conditioner``). Subclasses only choose a default
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
        compile: bool | str = False,
        compile_options: dict[str, Any] | None = None,
        channels_last: bool | str = "auto",
        num_classes: int | None = None,
        cond_dim: int | None = None,
    ) -> None:
        super().__init__(image_shape, num_levels, optimizer, scheduler)
        backbone_factory = as_factory(backbone, GatedPixelCNN, "backbone")
        head_factory = as_factory(head, SoftmaxHead, "head")
        conditioner_factory = as_factory(conditioner, self.default_conditioner, "conditioner")
        conditioner_factory = with_condition_size(conditioner_factory, num_classes, cond_dim)
        self.net = self.build_network(backbone=backbone_factory, head=head_factory, conditioner=conditioner_factory)
        self.register_load_state_dict_pre_hook(move_parts_under_net)  # checkpoints written before ``net`` existed
        self.remember(
            backbone=factory_spec(backbone_factory),
            head=factory_spec(head_factory),
            conditioner=factory_spec(conditioner_factory),
            compile=compile_setting(compile),
            compile_options=dict(compile_options or {}),
            channels_last=channels_last,
        )
        self.train_bpd, self.val_bpd, self.test_bpd = BitsPerDim(), BitsPerDim(), BitsPerDim()

    def build_network(self, **parts: Any) -> PixelCNNNetwork:
        """The network this module trains, from the factories ``backbone``, ``head`` and ``conditioner``."""
        return PixelCNNNetwork(self.image_shape, self.num_levels, **parts)

    # --- the network's parts and public API, read through ``net`` -----------------------------------------
    @property
    def backbone(self) -> GatedPixelCNN:
        return self.net.backbone

    @property
    def conditioner(self) -> Conditioner | None:
        return self.net.conditioner

    @property
    def num_classes(self) -> int | None:
        return self.net.num_classes

    @property
    def num_dims(self) -> int:
        return self.net.num_dims

    def condition(self, cond: torch.Tensor | None, batch_size: int) -> list[torch.Tensor] | None:
        """Validate ``cond`` and map it to per-layer biases (B, 4*hidden, 1|H, 1|W), or None."""
        return self.net.condition(cond, batch_size)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None, log_prob: bool = False) -> torch.Tensor:
        """x (B,C,H,W) long -> logits (B,K,C,H,W); ``log_prob=True``: log p of x itself per sub-pixel (B,C,H,W)."""
        return self.net(x, cond, log_prob=log_prob)

    def nll(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Negative log-likelihood of each image in nats (B,)."""
        return self.net.nll(x, cond)

    def sample(self, n: int, cond: torch.Tensor | None = None, seed: int = 0, **options: Any) -> torch.Tensor:
        """n images (n,C,H,W) long; options ``fast``, ``batch_size``, ``progress``, ``noise``, ``capture``: see
        ``PixelCNNNetwork.sample``."""
        return self.net.sample(n, cond, seed, **options)

    # --- Lightning -----------------------------------------------------------------------------------------
    def batch_condition(self, batch: Sequence[torch.Tensor]) -> torch.Tensor | None:
        """The ``cond`` a training batch (x, y_or_h, ...) carries: its second entry, None when unconditional."""
        return None if self.conditioner is None else batch[1]

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

    def prepare(self, device: torch.device | str, training: bool = True) -> None:
        """Ready the backbone to train (or, ``training=False``, to evaluate) on ``device``: ``channels_last`` (auto:
        on CUDA) puts its weights and activations in NHWC layout; ``compile`` (true, or auto where it pays:
        ``compiling.compiles``) compiles it in place, once. Parameter names and checkpoints are unchanged."""
        if cuda_only(self.hparams.get("channels_last", False), device, "model.channels_last"):
            self.backbone.use_channels_last()
        compile_it = compiles(self.hparams.get("compile", False), device, training)
        if compile_it and not getattr(self, "_compiled", False):
            self.backbone.compile(**dict(self.hparams.get("compile_options") or {}))
            self._compiled = True

    def setup(self, stage: str) -> None:
        self.prepare(self.trainer.strategy.root_device, training=stage == "fit")
