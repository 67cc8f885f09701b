"""Every ``python train.py`` / ``python eval.py`` command in the README composes: its config groups, options and
override paths exist (the integration tests run the commands themselves, shrunk)."""

from __future__ import annotations

import re
import shlex

import pytest
from hydra.core.global_hydra import GlobalHydra

from tests.helpers import REPO, compose_config


def readme_commands() -> list[tuple[str, list[str]]]:
    """(config name, overrides) of each command line in the README's code blocks."""
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    commands = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"<[^>]*>", "X", line.split(" #")[0].strip())  # placeholders a user fills in: <date>
            match = re.match(r"(?:srun )?python (train|eval)\.py(.*)", line)
            if match:
                words = [w for w in shlex.split(match.group(2)) if w != "-m"]
                commands.append(({"train": "train", "eval": "eval"}[match.group(1)], words))
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_commands() -> None:
    assert len(COMMANDS) > 40


@pytest.mark.parametrize(("name", "overrides"), COMMANDS, ids=[" ".join([n, *o])[:80] for n, o in COMMANDS])
def test_readme_command_composes(name: str, overrides: list[str], tmp_path) -> None:
    # a multirun's comma lists compose one job at a time: take the first value of each
    first = [re.sub(r"=([^\[\]{},]+),[^\[\]{}]*$", r"=\1", o) for o in overrides]
    first = [o.replace("=...", "=X") for o in first]
    if name == "eval" and not any(o.startswith("ckpt_path=") for o in first):
        first.append("ckpt_path=x.ckpt")
    try:
        cfg = compose_config(name, first, tmp_path)
    finally:
        GlobalHydra.instance().clear()
    assert cfg.task_name
