"""Deletion and insertion curves (Petsiuk et al. 2018) and ROAD's orders (Rong et al. 2022), with their AUC.

Used by notebook 04, tools/trust_table.py and tools/road_table.py.
"""
from __future__ import annotations

import numpy as np

from .. import cam
from ..cam.core import quiet_tracing
from ..gaussian import gaussian_kernel, separable_filter
from ..inputs import unpack_built_model
from ..layers import probabilities_fn
from .imputation import linear_imputation

__all__ = ["FILLS", "pixel_order", "deletion_insertion", "curve_auc"]

#: How :func:`deletion_insertion` fills removed pixels: the image's mean colour, or ROAD's
#: noisy linear imputation (:func:`linear_imputation`).
FILLS = ("mean", "linear")


def pixel_order(maps, seed=0):
    """Rank of every pixel by its map value, most important first; ties broken at random.

    Args:
        maps: (N, H, W).  seed: int (tie-breaking; a map with flat regions,
            e.g. Grad-CAM's zeros, would otherwise be ranked row by row).
    Returns:
        (N, H, W) int64: 0 for the highest value, H*W - 1 for the lowest.
    Used by: :func:`deletion_insertion`.
    """
    m = np.asarray(maps, dtype=np.float64)
    if m.ndim != 3:
        raise ValueError(f"maps must be (N, H, W), got shape {m.shape}.")
    rng = np.random.default_rng(seed)
    flat = m.reshape(len(m), -1)
    rank = np.empty(flat.shape, np.int64)
    for i, row in enumerate(flat):
        order = np.lexsort((rng.random(row.size), -row))
        rank[i, order] = np.arange(row.size)
    return rank.reshape(m.shape)


def _blur(images, sigma):
    if sigma <= 0:
        return np.asarray(images, dtype=np.float32).copy()
    k = gaussian_kernel(sigma, max(1, int(3 * sigma + 0.5)))
    x = np.moveaxis(np.asarray(images, dtype=np.float64), -1, 1)     # (N, C, H, W)
    return np.moveaxis(separable_filter(x, k), 1, -1).astype(np.float32)



def deletion_insertion(model, images, classes, maps, *, preprocess=None, steps=16, modes=("deletion", "insertion"),
                       blur_sigma=None, seed=0, batch_size=64, fill="mean", noise=0.01):
    """Deletion and insertion curves (Petsiuk et al. 2018): class probability as pixels go or come.

    Pixels are taken in the order of :func:`pixel_order` (the map's most
    important first).  At step s of ``steps``, the first s/steps of them are
    changed, in every image at once: ONE forward pass per step for the whole
    batch (in chunks of ``batch_size``).

    * deletion: changed pixels are removed, filled as ``fill`` says; step 0 is
      the intact image.  ROAD (Rong et al. 2022) calls this order MoRF, most
      relevant first: a faithful map makes the probability fall fast.
    * lerf: the same, least relevant pixels first (ROAD's LeRF): a faithful map
      keeps the probability high (high AUC is good).
    * insertion: the image starts blurred (Gaussian, ``blur_sigma`` px, default
      image width / 16) and changed pixels get their sharp value back; the last
      step is the intact image (``fill`` plays no part).

    Fills: "mean" sets removed pixels to the image's mean colour (the last
    deletion step is a flat colour); "linear" is ROAD's noisy linear imputation
    (:func:`linear_imputation`, noise ``noise`` x 255, its seed derived from
    ``seed``, the step and the mode, so the random order and every map see the
    same noise at a step): removed pixels are interpolated from their
    neighbours, so scattered removed pixels leave a photo looking like a photo.

    Args:
        model: model card or keras.Model; images (N, H, W, 3) 0..255;
        classes: (N,) class per image; maps: (N, H, W) (or (N, h, w):
            upsampled) - any real values, only their order matters.
        steps: number of steps (curve has steps + 1 points).
        modes: any of "deletion", "lerf", "insertion".
        fill: one of :data:`FILLS`, "mean" or "linear".
    Returns:
        dict "fractions": (steps + 1,) share of pixels changed, and per mode
        (N, steps + 1) probabilities of the class.
    Used by: :func:`trust_table`, notebook 04, tools/trust_table.py, tools/road_table.py.
    """
    model, preprocess, _ = unpack_built_model(model, preprocess, None)
    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C), got shape {x.shape}.")
    N, H, W = x.shape[:3]
    cls = np.asarray(classes).astype(np.int64).reshape(-1)
    m = np.asarray(maps, dtype=np.float32)
    if len(cls) != N or len(m) != N or m.ndim != 3:
        raise ValueError(f"need one class and one (h, w) map per image: {N} images, {len(cls)} classes, "
                         f"maps of shape {m.shape}.")
    if m.shape[1:] != (H, W):
        m = np.stack([cam.resize_heatmap(h, (H, W)) for h in m])
    if int(steps) < 1:
        raise ValueError(f"steps must be >= 1, got {steps}.")
    known = ("deletion", "lerf", "insertion")
    bad = [md for md in modes if md not in known]
    if bad:
        raise ValueError(f"unknown modes {bad}; use any of {known}.")
    if not isinstance(fill, str) or fill not in FILLS:
        raise ValueError(f"fill must be one of {FILLS} (the image's mean colour, or ROAD's noisy linear "
                         f"imputation), got {fill!r}.")
    rank = pixel_order(m, seed)                                 # (N, H, W)
    counts = np.round(np.linspace(0, H * W, int(steps) + 1)).astype(np.int64)
    probs = probabilities_fn(model, x.shape[1:] if preprocess is None else np.shape(preprocess(x[:1]))[1:])
    mean = np.broadcast_to(x.mean(axis=(1, 2), keepdims=True), x.shape)
    blurred = _blur(x, W / 16.0 if blur_sigma is None else float(blur_sigma)) if "insertion" in modes else None

    def step_images(mode, j, k):
        if mode == "insertion":
            return np.where(rank[..., None] < k, x, blurred)
        removed = rank < k if mode == "deletion" else rank >= H * W - k
        if fill == "mean":
            return np.where(removed[..., None], mean, x)
        return linear_imputation(x, removed, noise=noise, seed=(int(seed), known.index(mode), j))

    out = {"fractions": counts / float(H * W)}
    for mode in modes:
        curve = np.empty((N, len(counts)), np.float64)
        for j, k in enumerate(counts):
            step = step_images(mode, j, k)
            for s in range(0, N, int(batch_size)):
                part = step[s:s + int(batch_size)]
                inp = preprocess(part) if preprocess is not None else part
                with quiet_tracing():
                    p = np.asarray(probs(np.asarray(inp, np.float32)))
                curve[s:s + len(part), j] = p[np.arange(len(part)), cls[s:s + len(part)]]
        out[mode] = curve
    return out


def curve_auc(curve, fractions=None):
    """Area under a curve over [0, 1] by the trapezoid rule (the normalised AUC of Petsiuk et al.).

    Args:
        curve: (..., S) values at ``fractions`` (default S equal steps from 0 to 1).
    Returns:
        (...) areas (a float for one curve).
    """
    c = np.asarray(curve, dtype=np.float64)
    f = np.linspace(0.0, 1.0, c.shape[-1]) if fractions is None else np.asarray(fractions, np.float64)
    area = ((c[..., 1:] + c[..., :-1]) / 2.0 * np.diff(f)).sum(axis=-1)
    return float(area) if np.ndim(area) == 0 else area
