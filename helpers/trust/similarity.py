"""How alike are two maps?  Spearman rank correlation and SSIM, the measures of the randomisation test.

Used by :mod:`helpers.trust.randomization` and :mod:`helpers.trust.table` (notebook 04).
"""
from __future__ import annotations

import numpy as np

from ..gaussian import gaussian_kernel, separable_filter

__all__ = ["rank_correlation", "ssim"]


def _average_ranks(v):
    """Ranks 1..n of a 1-D array; tied values share the mean of their ranks."""
    v = np.asarray(v, dtype=np.float64).ravel()
    _, inverse, counts = np.unique(v, return_inverse=True, return_counts=True)
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))      # rank - 1 of each group's first member
    return (first + (counts + 1) / 2.0)[inverse]


def rank_correlation(a, b) -> float:
    """Spearman rank correlation of two maps of the same shape (ties get average ranks).

    Args:
        a, b: arrays of the same shape (e.g. two (H, W) maps).
    Returns:
        float in [-1, 1]: the Pearson correlation of the ranks.  When one map
        is constant (e.g. a Grad-CAM map that is zero everywhere) its ranking
        says nothing: the result is defined as 0.0 (never NaN).
    Used by: :func:`randomization_test` (notebook 04).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"maps must have the same shape, got {a.shape} and {b.shape}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("maps contain NaN or infinite values.")
    ra, rb = _average_ranks(a), _average_ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / den) if den > 0 else 0.0



def ssim(a, b, data_range: float = 1.0, sigma: float = 1.5) -> float:
    """Structural similarity (Wang et al. 2004) of two 2-D maps, Gaussian window.

    SSIM = mean over pixels of
    ((2 mu_a mu_b + C1)(2 s_ab + C2)) / ((mu_a^2 + mu_b^2 + C1)(s_a^2 + s_b^2 + C2))
    with local means / (co)variances under a Gaussian window of ``sigma`` px
    (truncated at 3.5 sigma, mirrored at the border), C1 = (0.01 L)^2,
    C2 = (0.03 L)^2, L = ``data_range``.

    Args:
        a, b: (H, W) maps, values in [0, data_range] (maps in [0, 1]: 1.0).
    Returns:
        float, 1.0 for identical maps, near 0 for unrelated ones.
    Used by: :func:`randomization_test` (notebook 04).
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"ssim needs two (H, W) maps of the same shape, got {a.shape} and {b.shape}.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("maps contain NaN or infinite values.")
    k = gaussian_kernel(sigma, int(3.5 * sigma + 0.5))
    mu_a, mu_b = separable_filter(a, k), separable_filter(b, k)
    s_aa = separable_filter(a * a, k) - mu_a ** 2
    s_bb = separable_filter(b * b, k) - mu_b ** 2
    s_ab = separable_filter(a * b, k) - mu_a * mu_b
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    num = (2 * mu_a * mu_b + c1) * (2 * s_ab + c2)
    den = (mu_a ** 2 + mu_b ** 2 + c1) * (s_aa + s_bb + c2)
    return float(np.mean(num / den))
