"""What a checkpoint or a stored config may build: this package's own classes (and torch's optimizers and LR
schedulers), never any other callable. A checkpoint is data, never code.

Every ``_target_`` found in a stored config is checked here before anything is imported from it or called.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from pixelcnn.checkpoints.stored import TARGET, path_text, refuse_interpolation, strings
from pixelcnn.errors import CheckpointError

# Every class of this package a checkpoint or stored config may build, by the name it is defined under. A target
# must resolve to one of these very class objects (identity, not a name prefix or a module check).
ALLOWED_PIXELCNN = (
    "pixelcnn.models.kinds.PixelCNN",
    "pixelcnn.models.kinds.ClassConditionalPixelCNN",
    "pixelcnn.models.kinds.EmbeddingConditionalPixelCNN",
    "pixelcnn.models.kinds.SpatialConditionalPixelCNN",
    "pixelcnn.models.autoencoder.PixelCNNAutoEncoder",
    "pixelcnn.models.mse_autoencoder.MSEAutoEncoder",
    "pixelcnn.models.schedules.WarmupExponentialLR",
    "pixelcnn.embeddings.module.TripletEmbedder",
    "pixelcnn.nn.backbone.GatedPixelCNN",
    "pixelcnn.nn.heads.SoftmaxHead",
    "pixelcnn.nn.heads.LogisticMixtureHead",
    "pixelcnn.conditioning.class_bias.ClassConditioner",
    "pixelcnn.conditioning.vector.VectorConditioner",
    "pixelcnn.conditioning.spatial.SpatialConditioner",
    "pixelcnn.autoencoder.encoders.ConvEncoder",
    "pixelcnn.autoencoder.encoders.TimmEncoder",
    "pixelcnn.autoencoder.decoder.DeconvDecoder",
    "pixelcnn.data.digits.DigitsDataModule",
    "pixelcnn.data.patches.PatchesDataModule",
    "pixelcnn.data.textures.TexturesDataModule",
    "pixelcnn.data.folder.FolderDataModule",
    "pixelcnn.data.celeba.CelebADataModule",
    "pixelcnn.data.imagenet.ImageNetDataModule",
    "pixelcnn.data.embedding_pairs.EmbeddingPairsDataModule",
    "pixelcnn.data.torchvision_sets.MNISTDataModule",
    "pixelcnn.data.torchvision_sets.CIFAR10DataModule",
)


def qualified_name(obj: Any) -> str:
    """``module.QualName`` of a class or function, the form a ``_target_`` takes."""
    return f"{obj.__module__}.{obj.__qualname__}"


@functools.cache
def allowed_classes() -> frozenset[type]:
    """The class objects a stored ``_target_`` may resolve to: ``ALLOWED_PIXELCNN`` (each checked to be defined
    under that very name) and the optimizers and LR schedulers torch.optim exports."""
    import importlib

    import torch

    classes = set()
    for name in ALLOWED_PIXELCNN:
        module, _, attribute = name.rpartition(".")
        cls = getattr(importlib.import_module(module), attribute)
        if qualified_name(cls) != name:  # pragma: no cover - a renamed or moved class: fix the list above
            raise AssertionError(f"the allow-list names {name} but that is {qualified_name(cls)}")
        classes.add(cls)
    bases = (torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    for namespace in (vars(torch.optim), vars(torch.optim.lr_scheduler)):
        classes.update(v for v in namespace.values() if isinstance(v, type) and issubclass(v, bases))
    return frozenset(classes)


def allowed_class(target: Any, key: str, where: str) -> type:
    """The class ``target`` names when it is one of ``allowed_classes()`` itself; else a one-line
    ``CheckpointError`` naming ``key``. Nothing is imported for a name outside ``pixelcnn.`` / ``torch.optim.``."""
    from hydra.utils import get_object

    refusal = CheckpointError(
        f"{where}: {key} = {target!r} is not one of this package's model, data or optimizer classes; refusing to "
        "build it (a checkpoint or stored config may only name pixelcnn classes and torch.optim classes)"
    )
    if not isinstance(target, str) or not target.startswith(("pixelcnn.", "torch.optim.")):
        raise refusal
    try:
        cls = get_object(target)
    except Exception as error:
        raise refusal from error
    if not any(cls is allowed for allowed in allowed_classes()):
        raise refusal
    return cls


def check_stored_config(config: Any, where: str, key: str = "") -> None:
    """The walk a stored config takes before Hydra builds anything from it: one pass that refuses any ``${`` (a
    value or a key, see ``checkpoints.stored``) and any ``_target_`` outside the allow-list, with one line naming the
    key. Rebuilding a model or a data module from a checkpoint calls it once, on the config it then instantiates."""
    for path, value in strings(config):
        refuse_interpolation(path, value, where, key)
        if path is not None and path[1] == f".{TARGET}":
            allowed_class(value, path_text(path, key), where)


def instantiate_checked(config: Any, where: str, key: str = "") -> Any:
    """``hydra.utils.instantiate`` of a stored config once it passed ``check_stored_config`` (read unresolved)."""
    import hydra

    if isinstance(config, DictConfig | ListConfig):
        config = OmegaConf.to_container(config, resolve=False)
    check_stored_config(config, where, key)
    return hydra.utils.instantiate(config, _convert_="all")


def factory_spec(factory: Any) -> dict[str, Any] | None:
    """A config that rebuilds ``factory`` (a class or ``functools.partial`` of one): ``{_target_, _partial_, ...}``."""
    if factory is None:
        return None
    if isinstance(factory, functools.partial):
        func, bound = factory, {}
        while isinstance(func, functools.partial):  # a partial of a partial (Hydra's partials are not flattened)
            if func.args:
                raise TypeError(f"pass keyword arguments only to {func.func!r}")
            bound, func = {**func.keywords, **bound}, func.func
        keywords = OmegaConf.to_container(OmegaConf.create(bound), resolve=True)
        return {"_target_": qualified_name(func), "_partial_": True, **keywords}
    if isinstance(factory, type):
        return {"_target_": qualified_name(factory), "_partial_": True}
    raise TypeError(f"expected a class, a functools.partial or a config mapping, got {type(factory).__name__}")


def as_factory(spec: Any, default: type | None, what: str) -> Any:
    """A callable that builds a part (backbone, conditioner, encoder, optimizer, ...) from any form it is given.

    ``spec``: None (the ``default`` class, or no part when ``default`` is None); a class or partial (from Hydra's
    ``_partial_: true``, also every part of a checkpoint's config, already checked by ``check_stored_config``); a
    mapping with ``_target_`` given in Python (checked against the allow-list here); a plain mapping of keyword
    arguments for ``default``.
    """
    if spec is None:
        return default
    if callable(spec):
        return spec
    if isinstance(spec, Mapping | DictConfig):
        if "_target_" in spec:
            return instantiate_checked({**dict(spec), "_partial_": True}, where=what, key=what)
        if default is None:
            raise TypeError(f"{what} needs a _target_")
        return functools.partial(default, **OmegaConf.to_container(OmegaConf.create(dict(spec)), resolve=True))
    raise TypeError(f"{what} must be a config mapping, a class or a functools.partial, got {type(spec).__name__}")
