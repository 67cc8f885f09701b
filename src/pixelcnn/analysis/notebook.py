"""Run a notebook top to bottom without Jupyter's front end (nbclient, in requirements.txt; no nbconvert needed).

``python -m pixelcnn.analysis.notebook notebooks/01_quick_start.ipynb [--output outputs/notebooks/01.ipynb]``

The kernel starts in the notebook's own folder (its relative paths work as in Jupyter); the environment passes
through (``PIXELCNN_CKPT=... python -m ...``). The executed copy, outputs included, goes to ``--output`` (default
``outputs/notebooks/<name>.ipynb``), never over the committed notebook. Exit status 1 when a cell fails, with the
failing cell's error on stderr.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run_notebook(path: str | Path, output: str | Path | None = None, timeout: int = 3600) -> Path:
    """Execute ``path`` in its own folder and write the executed copy to ``output``; returns the copy's path."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    output = Path(output or Path("outputs") / "notebooks" / path.name)
    if output.resolve() == path.resolve():
        raise ValueError(f"--output {output} is the notebook itself; committed notebooks keep no outputs")
    notebook = nbformat.read(path, as_version=4)
    folder = {"metadata": {"path": str(path.resolve().parent)}}
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", resources=folder)
    try:
        client.execute()
    finally:  # a failed run keeps the outputs up to the failing cell
        output.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pixelcnn.analysis.notebook", description=__doc__.split("\n")[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--output", type=Path, default=None, help="executed copy (default outputs/notebooks/)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        print(
            f"error: {args.notebook} is not a notebook file; pass e.g. notebooks/01_quick_start.ipynb", file=sys.stderr
        )
        return 2
    from nbclient.exceptions import CellExecutionError

    try:
        written = run_notebook(args.notebook, args.output, args.timeout)
    except CellExecutionError as error:
        print(f"error: {args.notebook}: a cell failed:\n{error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
