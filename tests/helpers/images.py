"""Expected sizes of saved PNG grids."""

from __future__ import annotations

from pixelcnn.figures import grid_geometry


def grid_size(rows: int, cols: int, side: int) -> tuple[int, int]:
    """(width, height) of a saved grid of ``rows`` x ``cols`` square images of ``side`` pixels."""
    geometry = grid_geometry(rows, cols, side, side)
    return geometry.width, geometry.height
