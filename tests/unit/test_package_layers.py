"""The packages of ``src/pixelcnn`` form layers: a module imports only from its own package or from lower ones.

Data flows one way (data -> model -> metric / sampler -> figures -> logger -> tasks), so no import cycle can arise.
Imports inside functions count too. ``pixelcnn.nn.network`` (the whole network: backbone, conditioner, sampler) is
its own layer above ``sampling``: the rest of ``pixelcnn.nn``, its own ``__init__`` included, may not import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers import REPO

SRC = REPO / "src" / "pixelcnn"
# Lowest first. A module of package LAYERS[i] may import from LAYERS[j] only when j <= i.
LAYERS = [
    "errors",
    "nn",
    "checkpoints",
    "metrics",
    "data",
    "conditioning",
    "autoencoder",
    "sampling",
    "nn.network",
    "models",
    "embeddings",
    "api",
    "figures",
    "logging",
    "callbacks",
    "tasks",
    "analysis",
]


NETWORK = "nn.network"


def package_of(module: str) -> str | None:
    """``pixelcnn.models.kinds`` -> ``models``; ``pixelcnn.nn.network`` -> ``nn.network``; outside pixelcnn -> None."""
    parts = module.split(".")
    if parts[:3] == ["pixelcnn", *NETWORK.split(".")]:
        return NETWORK
    return parts[1] if parts[0] == "pixelcnn" and len(parts) > 1 else None


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(
                f"{node.module}.{alias.name}" for alias in node.names if node.module in ("pixelcnn", "pixelcnn.nn")
            )
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {p for p in map(package_of, names) if p is not None}


def own_package(path: Path) -> str:
    relative = path.relative_to(SRC)
    if relative.with_suffix("").as_posix() == NETWORK.replace(".", "/"):
        return NETWORK
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


MODULES = sorted(p for p in SRC.rglob("*.py") if p != SRC / "__init__.py")


def test_every_package_has_a_layer() -> None:
    assert {own_package(p) for p in MODULES} == set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_only_from_its_own_or_a_lower_layer(path: Path) -> None:
    rank = LAYERS.index(own_package(path))
    above = sorted(p for p in imported_packages(path) if LAYERS.index(p) > rank)
    assert not above, f"{path.relative_to(SRC)} ({LAYERS[rank]}) imports from higher packages {above}"


def test_no_source_file_is_longer_than_250_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in MODULES if (n := len(p.read_text().splitlines())) > 250}
    assert not long
