"""Each head draws a level from its parameters: the level the reference inverse CDF on the head's K logits picks
(``pixelcnn.nn.draw.inverse_cdf``) with the same uniform, and the CDF values around it, whatever the parameters.
The mixture head finds it from ~2*sqrt(K) values of its closed-form CDF instead of all K bins."""

from __future__ import annotations

import pytest
import torch

from pixelcnn.nn.draw import cdf_bounds, draw_from_logits, inverse_cdf, level_cdf, search_cdf
from tests.unit.test_heads import extreme_params, mixture_head


@pytest.mark.parametrize("levels", [2, 3, 9, 16, 17, 64, 255, 256, 257])
def test_the_search_picks_the_inverse_cdf_level_and_its_bounds(levels: int) -> None:
    """On explicit CDFs (ties, empty levels, u = 0 and u near 1 included): the same levels and bounds as
    ``inverse_cdf`` and ``cdf_bounds`` of the whole CDF, bit for bit."""
    generator = torch.Generator().manual_seed(levels)
    n = 500
    logits = torch.randn(n, levels, generator=generator, dtype=torch.float64) * 4
    logits[::7, : levels // 2] = -1e4  # no mass below the middle
    cdf = level_cdf(logits)
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    u[:10] = 0.0
    u[10:20] = cdf[10:20, levels // 3]  # exactly on a boundary
    u[20:30] = 1 - 1e-17
    expected = inverse_cdf(logits, u)
    found, bounds = search_cdf(lambda k: cdf.gather(1, k.expand(n, -1)), u, levels)
    assert torch.equal(found, expected)
    reference = cdf_bounds(cdf, expected)
    reference[expected == levels - 1, 1] = 1.0  # the search takes CDF(K-1) as 1 exactly
    assert torch.equal(bounds, reference)


@pytest.mark.parametrize(("channels", "levels", "mixtures"), [(3, 256, 10), (1, 2, 1), (3, 17, 4), (2, 5, 7)])
def test_mixture_draw_equals_the_inverse_cdf_of_its_logits(channels: int, levels: int, mixtures: int) -> None:
    """Extreme parameters in float64: the level of the reference draw on the head's K logits wherever u is not
    within 1e-9 of a boundary, and bounds within 1e-10 of the reference CDF's."""
    head = mixture_head(channels, levels, mixtures)
    generator = torch.Generator().manual_seed(levels)
    pixels = torch.randint(0, levels, (2000, channels), generator=generator)
    for c in range(channels):
        params = extreme_params(head, 2000, seed=c)
        u = torch.rand(2000, generator=generator, dtype=torch.float64)
        expected, reference = draw_from_logits(head.channel_logits(params, pixels, c), u)
        found, bounds = head.draw(params, pixels, c, u)
        margin = torch.minimum(u - bounds[:, 0], bounds[:, 1] - u)
        clear = margin > 1e-9
        assert clear.float().mean() > 0.99
        assert torch.equal(found[clear], expected[clear])
        inner = expected < levels - 1
        torch.testing.assert_close(bounds[inner & clear], reference[inner & clear], rtol=0, atol=1e-10)
