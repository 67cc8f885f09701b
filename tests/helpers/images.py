"""Expected sizes of saved PNG grids."""

from __future__ import annotations

from pixelcnn.figures import Captions, grid_geometry, page_layout


def grid_size(rows: int, cols: int, side: int) -> tuple[int, int]:
    """(width, height) of a saved grid of ``rows`` x ``cols`` square images of ``side`` pixels, no captions."""
    geometry = grid_geometry(rows, cols, side, side)
    return geometry.width, geometry.height


def page_size(rows: int, cols: int, side: int, captions: Captions) -> tuple[int, int]:
    """(width, height) of a saved figure of ``rows`` x ``cols`` square images of ``side`` pixels with ``captions``."""
    layout = page_layout(rows * cols, cols, side, side, captions)
    return layout.width, layout.height


def grid_shape(path) -> tuple[int, int]:
    """(rows, columns) of images in a saved figure, from the grey gaps around its first image (not all grey): the
    grid lies at the bottom of the page, framed by 2 px of grey (128) that no caption uses."""
    import numpy as np
    from PIL import Image

    grey = (np.asarray(Image.open(path).convert("RGB")) == 128).all(-1)
    xs = np.flatnonzero(grey[-1])
    x0, x1 = xs[0], xs[-1] + 1  # the bottom border's extent
    y0 = len(grey) - int(np.argmin(grey[::-1, x0])) if not grey[:, x0].all() else 0  # up the left border
    grid = grey[y0:, x0:x1]

    def count(full: np.ndarray) -> int:  # the pitch from the first image's gaps (a grey image elsewhere is fine)
        starts = np.flatnonzero(full[1:] & ~full[:-1]) + 1
        return (len(full) - 2) // int(starts[0])

    return count(grid.all(1)), count(grid.all(0))
