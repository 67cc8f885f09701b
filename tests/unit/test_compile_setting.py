"""``model.compile: auto`` compiles where torch.compile can run (CUDA; a CPU with a C++ compiler), and a machine
without a C++ compiler trains eagerly instead of stopping at its first step."""

from __future__ import annotations

import pytest

from pixelcnn.errors import ConfigValueError
from pixelcnn.models import PixelCNN, compiling
from tests.helpers import TINY_BACKBONE


@pytest.fixture
def no_cxx(monkeypatch):
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(compiling.shutil, "which", lambda name: None)


def test_auto_on_a_cpu_without_a_cxx_compiler_stays_eager(no_cxx) -> None:
    assert compiling.cpp_compiler() is None
    assert not compiling.compiles("auto", "cpu")
    assert compiling.compiles("auto", "cuda:0") and compiling.compiles(True, "cpu")
    model = PixelCNN((1, 8, 8), 17, backbone=TINY_BACKBONE, compile="auto")
    model.prepare("cpu")
    assert not getattr(model, "_compiled", False)


def test_auto_on_a_cpu_with_a_cxx_compiler_compiles(monkeypatch) -> None:
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.setattr(compiling.shutil, "which", lambda name: f"/usr/bin/{name}" if name == "clang++" else None)
    assert compiling.cpp_compiler() == "/usr/bin/clang++"
    model = PixelCNN((1, 8, 8), 17, backbone=TINY_BACKBONE, compile="auto")
    model.prepare("cpu", training=False)  # evaluating alone: the compile would cost more than it saves
    assert not getattr(model, "_compiled", False)
    model.prepare("cpu")  # wraps the backbone; nothing compiles before its first forward
    assert model._compiled and model.hparams.compile == "auto"
    assert compiling.compiles(True, "cpu", training=False)


def test_cxx_names_the_compiler(no_cxx, monkeypatch) -> None:
    monkeypatch.setenv("CXX", "/opt/gcc/bin/g++")
    assert compiling.cpp_compiler() == "/opt/gcc/bin/g++" and compiling.compiles("auto", "cpu")


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_anything_else_is_refused(value) -> None:
    with pytest.raises(ConfigValueError, match="model.compile must be auto, true or false"):
        PixelCNN((1, 8, 8), 17, backbone=TINY_BACKBONE, compile=value)
