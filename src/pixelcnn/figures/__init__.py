"""Pictures: PNG grids, sample grids and class rows, portraits (Figures 4 and 5) and reconstructions (Figure 6),
captioned. Chosen by the ``figures`` config group; drawn by eval.py and after training. Each figure is one PNG named
``<name>.png``, logged as ``figures/<name>``: samples, portraits, interpolations, reconstructions. The
per-validation preview draws the same figures (``preview_figures``)."""

from pixelcnn.figures.base import Figure, Page, draw_figures, sampling_options
from pixelcnn.figures.captions import Captions
from pixelcnn.figures.grid import grid_geometry, image_grid, page_layout, save_grid
from pixelcnn.figures.portraits import Portraits, interpolation_strips
from pixelcnn.figures.previews import EmbeddingSamples, preview_figures
from pixelcnn.figures.reconstructions import Reconstructions
from pixelcnn.figures.samples import SampleGrid

__all__ = [
    "Captions",
    "EmbeddingSamples",
    "Figure",
    "Page",
    "Portraits",
    "Reconstructions",
    "SampleGrid",
    "draw_figures",
    "grid_geometry",
    "image_grid",
    "interpolation_strips",
    "page_layout",
    "preview_figures",
    "sampling_options",
    "save_grid",
]
