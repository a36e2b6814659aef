"""First-layer kernels: how much of each is an oriented edge?  Used by notebook 02 (section a).

A 3x3 first-layer kernel has one 3x3 pattern per colour channel.  Its
*colour* part is each channel's mean (a flat colour); the rest, the spatial
part, says how the kernel changes across the window.  An **oriented edge** at
angle theta is a ramp across the window, cos(theta) Gx + sin(theta) Gy with

    Gx = [[-1, 0, 1],      Gy = Gx transposed
          [-1, 0, 1],
          [-1, 0, 1]]

(Gx, Gy orthogonal, same norm), so the best angle explains exactly the energy
of the projection onto span(Gx, Gy).  :func:`oriented_edge_share` is that
energy over the whole spatial energy, summed over the colour channels: 1 for a
pure oriented edge in every channel, 0 for a centre-surround blob or a
checkerboard.  The spatial part of a 3x3 pattern has 8 degrees of freedom and
the ramps 2, so a kernel of random independent weights scores 2/8 = 0.25 on
average: :func:`random_edge_shares` gives the whole distribution to compare with.
"""
from __future__ import annotations

import numpy as np

__all__ = ["oriented_edge_share", "random_edge_shares"]

_GX = np.array([[-1.0, 0.0, 1.0]] * 3) / np.sqrt(6.0)
_GY = _GX.T.copy()


def oriented_edge_share(kernels) -> np.ndarray:
    """Share of each kernel's spatial energy explained by its best oriented edge (a 3x3 ramp).

    Args:
        kernels: (3, 3, C, F) conv kernels (Keras layout: height, width, input
            channels, filters).
    Returns:
        (F,) float64 in [0, 1]; a kernel with no spatial energy (flat or all
        zero) gets 0.0 (it has no orientation), never NaN.
    Raises:
        ValueError: kernels are not (3, 3, C, F) finite numbers.
    Used by: notebook 02.
    """
    k = np.asarray(kernels, dtype=np.float64)
    if k.ndim != 4 or k.shape[:2] != (3, 3):
        raise ValueError(f"kernels must be (3, 3, C, F) like a Conv2D(3x3) kernel, got shape {k.shape}.")
    if not np.isfinite(k).all():
        raise ValueError("kernels contain NaN or infinite values.")
    spatial = k - k.mean(axis=(0, 1), keepdims=True)          # colour part removed, per channel
    px = np.einsum("ijcf,ij->cf", spatial, _GX)
    py = np.einsum("ijcf,ij->cf", spatial, _GY)
    edge = (px ** 2 + py ** 2).sum(axis=0)
    total = (spatial ** 2).sum(axis=(0, 1, 2))
    ok = total > 1e-12 * max(float((k ** 2).sum(axis=(0, 1, 2)).max()), 1e-300)
    return np.where(ok, edge / np.where(ok, total, 1.0), 0.0)


def random_edge_shares(channels: int = 3, n: int = 20000, seed: int = 0) -> np.ndarray:
    """:func:`oriented_edge_share` of ``n`` kernels with independent N(0, 1) weights (the chance level).

    Returns:
        (n,) float64.  Used by: notebook 02.
    """
    rng = np.random.default_rng(seed)
    return oriented_edge_share(rng.normal(size=(3, 3, int(channels), int(n))))
