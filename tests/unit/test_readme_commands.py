"""Every ``python train.py`` / ``python eval.py`` command in the README composes: its config groups, options and
override paths exist; and every README command is run somewhere: by the generic runner
(``tests/integration/test_readme_run.py``), by a named test or the CI script, or is listed as needing what no test
machine has (``tests/helpers/readme.py``)."""

from __future__ import annotations

import re
import shlex

import pytest
from hydra.core.global_hydra import GlobalHydra

from tests.helpers import REPO, compose_config
from tests.helpers.readme import COVERED, NOT_HERE, generic_commands, readme_lines


def readme_commands() -> list[tuple[str, list[str]]]:
    """(config name, overrides) of each ``python train.py`` / ``python eval.py`` line in the README's code blocks."""
    commands = []
    for line in readme_lines():
        line = re.sub(r"<[^>]*>", "X", line)  # placeholders a user fills in: <date>
        match = re.match(r"(?:srun )?python (train|eval)\.py(.*)", line)
        if match:
            commands.append((match.group(1), [w for w in shlex.split(match.group(2)) if w != "-m"]))
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


def test_every_readme_command_is_run_somewhere() -> None:
    lines = readme_lines()
    placed = [*COVERED, *NOT_HERE, *generic_commands()]
    unplaced = [line for line in lines if line not in placed]
    assert not unplaced, f"README commands no test runs (run them, or list them in tests/helpers/readme.py): {unplaced}"
    stale = [line for line in [*COVERED, *NOT_HERE] if line not in lines]
    assert not stale, f"tests/helpers/readme.py lists commands the README no longer has: {stale}"


@pytest.mark.parametrize("where", sorted(set(COVERED.values())))
def test_the_tests_that_run_readme_commands_exist(where: str) -> None:
    path, _, name = where.partition("::")
    assert (REPO / path).is_file(), where
    if name:
        assert re.search(rf"^def {name}\(", (REPO / path).read_text(), flags=re.M), where
