"""Text around a saved grid, like the paper's figures: a label left of each row (class names, identities, seeds),
a caption above each column ("source", "MSE", "sample 1") and a title line. Drawn with Pillow's bundled font, so
the same images give the same PNG on every machine."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageFont

FONT_SIZE = 12
LINE = FONT_SIZE + 6  # pixels per line of text, spacing included
PAD = 4  # pixels between text and the images
MAX_LABEL = 28  # characters of a row label kept (long ImageNet names are cut with "...")


@cache
def font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=FONT_SIZE)


def text_width(text: str) -> int:
    return int(font().getlength(text)) if text else 0


def shorten(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 3] + "..."


class Captions(NamedTuple):
    """``rows``: one label per grid row; ``columns``: one caption per grid column; ``title``: one line on top.
    Each may be left out (None); an empty string leaves that row or column blank."""

    rows: Sequence[str] | None = None
    columns: Sequence[str] | None = None
    title: str | None = None

    def min_cell(self) -> int:
        """The narrowest image (pixels) that keeps every column caption within its column."""
        return max((text_width(c) + PAD for c in self.columns or ()), default=0)

    def margins(self) -> tuple[int, int]:
        """(left, top) pixels of text around the grid."""
        left = max((text_width(shorten(r)) for r in self.rows or ()), default=0)
        top = LINE * (bool(self.title) + bool(self.columns))
        return left + 2 * PAD if left else 0, top

    def page_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the captioned page of a ``width`` x ``height`` grid."""
        left, top = self.margins()
        return max(left + width, text_width(self.title or "") + 2 * PAD), top + height


def caption(grid: Image.Image, captions: Captions, pitch: tuple[int, int], gap: int) -> Image.Image:
    """``grid`` (the saved images, rows ``pitch[0]`` and columns ``pitch[1]`` pixels apart, ``gap`` pixels of border
    first) on a white page with ``captions`` around it."""
    left, top = captions.margins()
    if not (left or top):
        return grid
    page = Image.new("RGB", captions.page_size(grid.width, grid.height), "white")
    page.paste(grid.convert("RGB"), (left, top))
    draw = ImageDraw.Draw(page)
    if captions.title:
        draw.text((page.width // 2, LINE // 2), captions.title, fill="black", font=font(), anchor="mm")
    for j, text in enumerate(captions.columns or ()):
        centre = left + gap + j * pitch[1] + (pitch[1] - gap) // 2
        draw.text((centre, top - PAD), text, fill="black", font=font(), anchor="ms")
    for i, text in enumerate(captions.rows or ()):
        middle = top + gap + i * pitch[0] + (pitch[0] - gap) // 2
        draw.text((left - PAD, middle), shorten(text), fill="black", font=font(), anchor="rm")
    return page
