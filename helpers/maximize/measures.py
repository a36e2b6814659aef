"""Measures of synthesised pictures: roughness, simplicity, sparsity (numpy, no TensorFlow).

One roughness measure for the whole course: :func:`high_frequency_share`,
the share of an image's spectral energy above :data:`HF_CUTOFF` (a quarter)
of the highest (Nyquist) frequency, radially. White noise: 0.95; a photo:
a few percent; a one-pixel checkerboard: 1. Notebook 02 (plain vs
regularised filter patterns, pixel vs Fourier patterns), notebook 03
(regularisers, pixel vs Fourier class pictures), the gallery and
bench/bench_fourier.py all report this number ("HF").

Also: :func:`frequency_concentration` (how *simple* a pattern is: energy in
its strongest few frequencies; notebook 02) and :func:`grey_fraction` (how
sparse a clipped image is; notebook 03).
"""
from __future__ import annotations

import numpy as np

from .regularize import GREY

__all__ = ["HF_CUTOFF", "high_frequency_share", "frequency_concentration", "grey_fraction"]

#: The cut-off of :func:`high_frequency_share`, as a fraction of the Nyquist
#: frequency (0.5 cycles per pixel): frequencies with
#: ``sqrt(fy^2 + fx^2) > HF_CUTOFF * 0.5`` count as high. At a quarter, white
#: noise puts 0.95 of its energy above it and a smooth photo a few percent.
HF_CUTOFF = 0.25


def _as_images(images) -> np.ndarray:
    """(N, H, W, 3) finite float64 images for the measures below (one image (H, W, 3) accepted)."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.size == 0:
        raise ValueError(f"images must be (N, H, W, 3), got shape {np.shape(images)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or infinite values; a measure of them would be meaningless")
    return x


def high_frequency_share(images, cutoff: float = HF_CUTOFF) -> np.ndarray:
    """Share of an image's spectral energy above ``cutoff`` times the Nyquist frequency (radially).

    Each colour channel minus its own mean is transformed with a 2-D FFT;
    the power of frequencies with ``sqrt(fy^2 + fx^2) > cutoff * 0.5``
    (cycles per pixel; 0.5 is Nyquist) is summed over the channels and
    divided by the total. White noise puts about ``1 - pi cutoff^2 / 4``
    there (0.95 for the default), a photo a few percent, a one-pixel
    checkerboard all of it.

    Args:
        images: (N, H, W, 3) or (H, W, 3) floats or uint8.
        cutoff: fraction of the Nyquist frequency, in (0, 1); default :data:`HF_CUTOFF`.
    Returns:
        (N,) float in [0, 1]; a constant image gives 0.
    Raises:
        ValueError for NaN / infinite images or a cut-off outside (0, 1).
    Used by: notebooks 02 and 03, helpers.gallery, helpers.deepvis, bench/bench_fourier.py.
    """
    x = _as_images(images)
    if not 0.0 < float(cutoff) < 1.0:
        raise ValueError(f"cutoff must be between 0 and 1 (a fraction of the Nyquist frequency), got {cutoff!r}")
    x = x - x.mean(axis=(1, 2), keepdims=True)
    power = (np.abs(np.fft.fft2(x, axes=(1, 2))) ** 2).sum(axis=-1)
    f = np.hypot(np.fft.fftfreq(x.shape[1])[:, None], np.fft.fftfreq(x.shape[2])[None, :])
    total = power.sum(axis=(1, 2))
    high = (power * (f > cutoff * 0.5)).sum(axis=(1, 2))
    return np.where(total > 1e-12, high / np.where(total > 1e-12, total, 1.0), 0.0)


def frequency_concentration(images, fraction: float = 0.01) -> np.ndarray:
    """Share of a pattern's energy held by its strongest ``fraction`` of 2-D frequencies.

    "Simple" patterns - a flat colour, one stripe direction - put almost all
    their energy (around grey, per colour channel, summed) into a handful of
    Fourier coefficients (share near 1); rich textures spread it (white
    noise: about ``fraction``). A measure of simplicity, not of roughness.

    Args:
        images: (N, H, W, 3) floats or uint8 (0..255); grey 127.5 is zero.
        fraction: share of the H*W frequencies counted (at least one).
    Returns:
        (N,) float in (0, 1]; an all-grey image gives 1.0.
    Used by: notebook 02 (block1 patterns are simpler than deep ones).
    """
    from ..inputs import check_number

    fraction = check_number(fraction, "fraction", 0.0, 1.0, strict_minimum=True)
    x = _as_images(images)
    power = (np.abs(np.fft.fft2(x - GREY, axes=(1, 2))) ** 2).sum(axis=-1).reshape(len(x), -1)
    power = -np.sort(-power, axis=1)
    k = max(1, int(fraction * power.shape[1]))
    total = power.sum(axis=1)
    return np.where(total > 0, power[:, :k].sum(axis=1) / np.where(total > 0, total, 1.0), 1.0)


def grey_fraction(images, tol: float = 0.5) -> np.ndarray:
    """Share of pixels that are grey (all channels within ``tol`` of 127.5).

    Args:
        images: (N, H, W, 3) or (H, W, 3) float images 0..255 (before deprocessing).
        tol: largest distance from grey that still counts as grey.
    Returns:
        (N,) float in [0, 1].
    Used by: notebook 03 (clipping regularisers make sparse images).
    """
    x = _as_images(images)
    return (np.abs(x - GREY).max(axis=-1) <= tol).mean(axis=(1, 2))
