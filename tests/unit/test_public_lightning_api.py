"""src/ uses Lightning's public API only: no private attribute of a trainer, module, logger or callback, no private
name imported from Lightning, and no class of ours reads or overrides a private attribute of its Lightning base."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import pixelcnn

SRC = Path(pixelcnn.__file__).parent
LIGHTNING = ("pytorch_lightning", "lightning_fabric", "lightning", "torch")  # torch: also torchmetrics, torchvision
# names under which src/ holds Lightning's objects (hook arguments, attributes of a module or a callback)
HOLDERS = {"trainer", "pl_module", "module", "model", "logger", "callback", "checkpoint_callback", "strategy"}
# the private attributes of Lightning's loggers this package once reached into
KNOWN = re.compile(r"\b_(wandb_init|fs|experiment|check_log_dir_exists)\b")


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def holder(node: ast.expr) -> str | None:
    """The object an attribute chain starts from: ``trainer`` for ``trainer.fit_loop`` and for
    ``self.trainer.loggers[0]``; ``None`` where it starts from something else (a call's result, a literal)."""
    chain = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            chain.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    chain.append(node.id)
    return chain[-2] if node.id == "self" and len(chain) > 1 else chain[-1]


def violations(source: str, where: str) -> list[str]:
    """Private Lightning names in one file's source: imports, attributes of Lightning objects, known privates."""
    found = [
        f"{where}:{n}: {m.group(0)}" for n, line in enumerate(source.splitlines(), 1) for m in KNOWN.finditer(line)
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(LIGHTNING[:3]):
            names = [*node.module.split("."), *(alias.name for alias in node.names)]
            found += [f"{where}:{node.lineno}: from {node.module} import {n}" for n in names if private(n)]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(LIGHTNING[:3]) and any(map(private, alias.name.split("."))):
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.Attribute) and private(node.attr) and holder(node.value) in HOLDERS:
            found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_private_lightning_name_in_src() -> None:
    found = [v for path in sorted(SRC.rglob("*.py")) for v in violations(path.read_text(), str(path.relative_to(SRC)))]
    assert not found, "private Lightning API in src/ (use the public API):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "self._wandb_init.pop('anonymous', None)",
        "if self._experiment is None: pass",
        "self._fs.isfile(path)",
        "trainer._checkpoint_connector.resume_start()",
        "pl_module._current_fx_name",
        "n = self.trainer._logger_connector",
        "trainer.fit_loop._data_fetcher",
        "self.trainer.loggers[0]._experiment_name",
        "from pytorch_lightning.loggers.logger import _DummyExperiment",
        "from lightning_fabric.utilities.types import _PATH",
        "from pytorch_lightning.utilities._pytree import tree_flatten",
        "import pytorch_lightning.trainer._states",
    ],
)
def test_the_check_sees_each_kind_of_private_access(line: str) -> None:
    assert violations(line, "x.py")


def test_the_check_lets_public_access_and_our_own_names_pass() -> None:
    source = "trainer.logger.log_dir\nself.trainer.global_step\nself._history_kept = True\nfrom x import _y\n"
    assert violations(source, "x.py") == []


def lightning_subclasses() -> list[type]:
    for info in pkgutil.walk_packages(pixelcnn.__path__, "pixelcnn."):
        importlib.import_module(info.name)
    classes = {
        cls
        for module_name, module in list(__import__("sys").modules.items())
        if module_name.startswith("pixelcnn.")
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module_name
    }
    return sorted((c for c in classes if lightning_bases(c)), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def lightning_bases(cls: type) -> list[type]:
    return [base for base in cls.__mro__[1:] if base.__module__.startswith(LIGHTNING)]


def own_private_names(cls: type) -> set[str]:
    """``_x`` of every ``self._x`` in the class body (methods, properties)."""
    tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(cls)))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and private(node.attr) and holder(node.value) == "self"
    } | {name for name in vars(cls) if private(name) and name != "_abc_impl"}  # ABCMeta sets _abc_impl


def base_private_names(cls: type) -> set[str]:
    """The private attributes the Lightning (or torch) bases of ``cls`` define or set."""
    names: set[str] = set()
    for base in lightning_bases(cls):
        names |= {name for name in vars(base) if private(name)}
        try:
            names |= set(re.findall(r"\bself\.(_[a-zA-Z]\w*)", inspect.getsource(base)))
        except (OSError, TypeError):  # a class without Python source
            continue
    return names


def test_our_lightning_subclasses_neither_read_nor_override_a_private_attribute_of_their_base() -> None:
    classes = lightning_subclasses()
    assert len(classes) > 10  # the callbacks, models, data modules, loggers, samplers
    clashes = {
        f"{cls.__module__}.{cls.__qualname__}": sorted(own_private_names(cls) & base_private_names(cls))
        for cls in classes
    }
    clashes = {name: attrs for name, attrs in clashes.items() if attrs}
    assert not clashes, f"private attributes of a Lightning base class used: {clashes}"
