"""The README stays a short guide whose links lead somewhere, and the guides read as guides, not as a diary."""

from __future__ import annotations

import re

import pytest

from tests.helpers import REPO
from tests.helpers.readme import readme_lines

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# Guides other changes add; a link to one of them may point nowhere until it lands.
DIARY = ("missed by", "an hour later", "development machine", "load average", "2-core", "issue's", "not yet measured")


def test_the_readme_is_at_most_300_lines() -> None:
    assert len((REPO / "README.md").read_text().splitlines()) <= 300


def test_the_readme_shows_the_test_command_ci_runs() -> None:
    assert "python -m pytest -q" in readme_lines()
    assert "python -m pytest -q\n" in (REPO / ".ci" / "run").read_text()


@pytest.mark.parametrize("page", DOCS, ids=[p.name for p in DOCS])
def test_every_relative_link_leads_to_a_file(page) -> None:
    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text())
    missing = [t for t in targets if not (page.parent / t).exists()]
    assert not missing, f"{page.name} links to files that do not exist: {missing}"


@pytest.mark.parametrize("page", DOCS, ids=[p.name for p in DOCS])
def test_guides_carry_no_development_diary(page) -> None:
    text = page.read_text().lower()
    assert not [phrase for phrase in DIARY if phrase in text]
