"""The one Gaussian kernel of the course, and a separable filter with mirrored borders (numpy).

Used by :mod:`helpers.trust` (the SSIM window, the blurred start image of
insertion) and :mod:`helpers.maximize.regularize` (the blur regulariser of the
gradient ascent, notebooks 02 and 03).  A low-level module: it imports only
numpy and :mod:`helpers.inputs`, so any helper may use it.

Each caller keeps its own truncation, passed as ``radius``:

* SSIM (Wang et al. 2004): ``int(3.5 sigma + 0.5)``;
* insertion's blur: ``max(1, int(3 sigma + 0.5))``;
* the ascent's blur: ``max(1, ceil(3 sigma))``, zero-padded to at least 7 taps
  (``min_taps``) so that the presets' widths share one compiled loop.
"""
from __future__ import annotations

import numbers

import numpy as np

from .inputs import check_int

__all__ = ["gaussian_kernel", "separable_filter"]


def gaussian_kernel(sigma: float, radius: int, *, min_taps: int = 1) -> np.ndarray:
    """Normalised 1-D Gaussian exp(-t^2 / (2 sigma^2)) at t = -radius .. radius, summing to 1.

    Args:
        sigma: width in pixels (> 0).
        radius: int >= 0, taps each side of the centre (the truncation).
        min_taps: the kernel is zero-padded at both ends to at least this many
            taps (a zero tap changes no filter result).
    Returns:
        (max(2 radius + 1, min_taps rounded up to odd),) float64, symmetric.
    Raises:
        ValueError: sigma not a positive finite number, radius below 0 (TypeError: not an integer).
    Used by: :mod:`helpers.trust` (notebook 04), :mod:`helpers.maximize.regularize` (notebooks 02, 03).
    """
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real) or not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be a positive number of pixels, got {sigma!r}.")
    radius = check_int(radius, "radius (taps each side of the centre)", 0)
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / float(sigma)) ** 2)
    k = k / k.sum()
    pad = max(0, (int(min_taps) - k.size + 1) // 2)
    return np.pad(k, pad) if pad else k


def separable_filter(x, kernel) -> np.ndarray:
    """Filter the last two axes of ``x`` with the 1-D ``kernel`` along each, mirrored borders.

    The border is numpy's "symmetric" padding (the edge pixel repeated:
    ``d c b a | a b c d | d c b a``).

    Args:
        x: (..., H, W) array; kernel: (2r + 1,) 1-D weights.
    Returns:
        (..., H, W) float64.
    Raises:
        ValueError: a side of the image not longer than r (the mirror would run out).
    Used by: :func:`helpers.trust.ssim`, the insertion blur of :func:`helpers.trust.deletion_insertion`.
    """
    r = len(kernel) // 2
    out = np.asarray(x, dtype=np.float64)
    for axis in (-2, -1):
        n = out.shape[axis]
        if r >= n:
            raise ValueError(f"image side {n} is too small for a filter of radius {r}.")
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        padded = np.pad(out, pad, mode="symmetric")
        acc = np.zeros_like(out)
        for i, w in enumerate(kernel):
            acc += w * np.take(padded, np.arange(i, i + n), axis=axis)
        out = acc
    return out
