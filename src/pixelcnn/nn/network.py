"""The PixelCNN as a plain torch module: backbone, head and optional conditioner, with ``forward``, ``nll`` and
``sample``. No Lightning here: each LightningModule of ``pixelcnn.models`` holds one as ``net`` and only trains it.

This module sits above ``pixelcnn.conditioning``, ``pixelcnn.autoencoder`` and ``pixelcnn.sampling`` (it holds a
conditioner and calls the sampler), so ``pixelcnn.nn``'s own ``__init__`` does not import it::

    from pixelcnn.nn.network import PixelCNNNetwork
    net = PixelCNNNetwork((1, 28, 28), 256, conditioner=functools.partial(ClassConditioner, num_classes=10))
    logits = net(x, cond=y)  # (B, 256, 1, 28, 28)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from pixelcnn.autoencoder.encoders import ConvEncoder
from pixelcnn.conditioning.base import Conditioner
from pixelcnn.conditioning.class_bias import ClassConditioner
from pixelcnn.conditioning.vector import VectorConditioner
from pixelcnn.errors import InputError, check_count
from pixelcnn.nn.backbone import GatedPixelCNN
from pixelcnn.nn.checks import check_images, image_shape_of
from pixelcnn.nn.heads import SoftmaxHead
from pixelcnn.nn.modes import eval_mode
from pixelcnn.sampling import GivenNoise, SeededNoise, sample_images
from pixelcnn.sampling.batched import BiasSource


class PixelCNNNetwork(nn.Module):
    """p(x | h) = prod_i p(x_i | x_<i, h), h entering every layer as a bias from the conditioner.

    ``backbone``: builds a ``GatedPixelCNN`` given ``image_channels``, ``num_levels`` and ``head`` (a class or a
    partial); ``head``: builds the output head (``SoftmaxHead``, ``LogisticMixtureHead``); ``conditioner``: builds a
    ``Conditioner`` given ``num_layers``, ``cond_channels`` and ``image_size`` (None: unconditional).
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        backbone: Callable[..., GatedPixelCNN] = GatedPixelCNN,
        head: Callable[..., nn.Module] = SoftmaxHead,
        conditioner: Callable[..., Conditioner] | None = None,
    ) -> None:
        super().__init__()
        self.image_shape = image_shape_of(image_shape)
        self.num_levels = int(num_levels)
        self.backbone = backbone(image_channels=self.image_shape[0], num_levels=self.num_levels, head=head)
        self.conditioner: Conditioner | None = None
        if conditioner is not None:
            self.conditioner = conditioner(
                num_layers=self.backbone.num_layers,
                cond_channels=self.backbone.cond_channels,
                image_size=self.image_shape[1:],
            )

    @property
    def num_classes(self) -> int | None:
        """The number of classes of a class-conditional network, else None."""
        return self.conditioner.num_classes if isinstance(self.conditioner, ClassConditioner) else None

    @property
    def num_dims(self) -> int:
        """Sub-pixels per image, C*H*W: the count bits/dim divides by."""
        return math.prod(self.image_shape)

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
        """Check ``cond`` of n images; ``(start, stop) -> condition(cond[start:stop])``, called per sampled chunk, so
        the biases in memory are one chunk's, not n images'."""
        self.check_condition(cond, n)
        if self.conditioner is None:
            return None
        return lambda start, stop: self.condition(cond[start:stop], stop - start)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None, log_prob: bool = False) -> torch.Tensor:
        """x (B,C,H,W) long -> logits (B,K,C,H,W); ``log_prob=True``: log p of x itself per sub-pixel (B,C,H,W)."""
        check_images(x, self.image_shape, self.num_levels)
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
        """n images (n,C,H,W) long, computed in eval mode; the same seed (and cond) gives the same images.

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


class AutoEncoderNetwork(PixelCNNNetwork):
    """p(x | h = encoder(x)) (section 3.4). ``cond`` is either images (B,C,H,W) long, which are encoded, or codes h
    (B, m) float; ``forward`` and ``nll`` default it to x itself (the reconstruction NLL); ``sample`` needs it.

    ``encoder``: builds the encoder given ``image_shape``, ``num_levels`` and ``latent_dim`` (default
    ``ConvEncoder``); ``conditioner`` (default ``VectorConditioner``) is built here with ``cond_dim=latent_dim`` and
    ``zero_init=True`` (V = 0, so before training the network is exactly an unconditional PixelCNN).
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        num_levels: int,
        latent_dim: int = 10,
        encoder: Callable[..., nn.Module] = ConvEncoder,
        backbone: Callable[..., GatedPixelCNN] = GatedPixelCNN,
        head: Callable[..., nn.Module] = SoftmaxHead,
        conditioner: Callable[..., Conditioner] | None = None,
    ) -> None:
        self.latent_dim = int(latent_dim)
        # the one place the code size becomes the conditioner's input size: h (B, latent_dim) is its cond
        conditioner = functools.partial(conditioner or VectorConditioner, cond_dim=self.latent_dim, zero_init=True)
        super().__init__(image_shape, num_levels, backbone, head, conditioner)
        # built after backbone and conditioner: the order of the parameters (and of their initial draws) is kept
        self.encoder = encoder(image_shape=self.image_shape, num_levels=self.num_levels, latent_dim=self.latent_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B,C,H,W) long -> codes h (B, latent_dim)."""
        check_images(x, self.image_shape, self.num_levels)
        return self.encoder(x)

    def code(self, cond: Any, batch_size: int) -> torch.Tensor:
        """The code h (batch_size, latent_dim) that ``cond`` (images to encode, or h itself) stands for."""
        return cond if self.is_code(cond, batch_size) else self.encode(cond)

    def check_condition(self, cond: Any, batch_size: int) -> None:
        self.is_code(cond, batch_size)

    def is_code(self, cond: Any, batch_size: int) -> bool:
        """True for codes h (batch_size, latent_dim) float, False for images to encode; else ``InputError``."""
        c, height, width = self.image_shape
        expected = (
            f"images ({batch_size}, {c}, {height}, {width}) long to encode or codes h ({batch_size}, {self.latent_dim})"
            " float"
        )
        if not isinstance(cond, torch.Tensor):
            raise InputError(f"the auto-encoder decodes a code: pass cond, {expected}")
        is_code = cond.dtype.is_floating_point and cond.shape == (batch_size, self.latent_dim)
        is_images = not cond.dtype.is_floating_point and cond.dim() == 4 and cond.shape[0] == batch_size
        if not (is_code or is_images):
            raise InputError(f"cond is {cond.dtype} of shape {tuple(cond.shape)} but must be {expected}")
        return is_code

    def condition(self, cond: torch.Tensor | None, batch_size: int) -> list[torch.Tensor]:
        return self.conditioner(self.code(cond, batch_size))  # type: ignore[misc]  # never None here

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None, log_prob: bool = False) -> torch.Tensor:
        """x (B,C,H,W) long, cond images or h (default: x itself) -> logits (B,K,C,H,W) (or log p of x, (B,C,H,W))."""
        return super().forward(x, x if cond is None else cond, log_prob=log_prob)
