"""``python -m pixelcnn.analysis.notebook``: runs a notebook with nbclient in its own folder, writes the executed copy
elsewhere, and fails with a one-line reason (status 2) or the failing cell (status 1)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from pixelcnn.analysis.notebook import main


def notebook(path: Path, *cells: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), path)
    return path


def test_bad_arguments_are_one_line_and_status_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main([str(tmp_path / "missing.ipynb")]) == 2
    assert "missing.ipynb is not a notebook file" in capsys.readouterr().err
    path = notebook(tmp_path / "nb.ipynb", "1")
    assert main([str(path), "--output", str(path)]) == 2
    assert "is the notebook itself" in capsys.readouterr().err


def test_runs_in_the_notebooks_folder_and_keeps_the_committed_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "book" / "data.txt").parent.mkdir()
    (tmp_path / "book" / "data.txt").write_text("found")
    path = notebook(tmp_path / "book" / "nb.ipynb", "print(open('data.txt').read())")
    assert main([str(path), "--output", str(tmp_path / "out" / "nb.ipynb")]) == 0
    executed = nbformat.read(tmp_path / "out" / "nb.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "found\n"
    assert nbformat.read(path, as_version=4).cells[0].outputs == []  # the notebook itself stays without outputs

    failing = notebook(tmp_path / "book" / "bad.ipynb", "raise ValueError('broken cell')")
    assert main([str(failing), "--output", str(tmp_path / "out" / "bad.ipynb")]) == 1
    assert "broken cell" in capsys.readouterr().err
