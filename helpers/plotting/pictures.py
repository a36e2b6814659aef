"""Pictures (0..255 RGB images) as figures: uint8 conversion, image grids, kernel patches, PNG bytes,
and filter patterns beside their photo crops.

Used by notebooks 02 (:func:`image_grid`, :func:`kernel_tiles`, :func:`pattern_examples_figure`),
03 and 04 (:func:`image_grid`) and the widgets (:func:`png_bytes`).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["to_uint8", "image_grid", "kernel_tiles", "png_bytes", "pattern_examples_figure"]


def to_uint8(images) -> np.ndarray:
    """Images in 0..255 (float or int) -> uint8, clipped and rounded."""
    x = np.asarray(images)
    if x.dtype == np.uint8:
        return x
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or inf")
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def image_grid(images, titles=None, ncols: int = 8, tile_inches: float = 1.4, suptitle: str | None = None,
               interpolation: str = "nearest"):
    """Draw images (N, H, W, 3) in a grid with optional titles.

    Args:
        images: (N, H, W, 3) uint8, or floats in 0..255 (clipped).
        titles: optional list of N short strings.
        ncols: images per row.
        tile_inches: size of one image.
        suptitle: title over the grid.
        interpolation: matplotlib interpolation ("nearest" shows pixels).
    Returns:
        matplotlib Figure.
    Used by: notebooks 02, 03 and 04.
    """
    import matplotlib.pyplot as plt

    imgs = to_uint8(images)
    if imgs.ndim == 3:
        imgs = imgs[None]
    if imgs.ndim != 4 or imgs.shape[-1] != 3:
        raise ValueError(f"images must be (N, H, W, 3), got shape {imgs.shape}")
    n = len(imgs)
    if n == 0:
        raise ValueError("images is empty: give at least one image to draw")
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} images")
    cols = max(1, min(ncols, n))
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * tile_inches, rows * (tile_inches + 0.25) + 0.3),
                             squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_axis_off()
        if i < n:
            ax.imshow(imgs[i], interpolation=interpolation)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def kernel_tiles(kernels) -> np.ndarray:
    """First-layer kernels (kh, kw, 3, F) as small RGB patches (F, kh, kw, 3) uint8.

    Each kernel is scaled by its own largest absolute weight so that weight
    0 is mid-grey (128), the most positive weight is 255 in its channel and
    the most negative 0: bright red = "wants red here", dark = "wants the
    colour absent". An all-zero kernel is plain grey.

    Args:
        kernels: (kh, kw, 3, F) array (a Conv2D's kernel).
    Returns:
        (F, kh, kw, 3) uint8.
    Used by: notebook 02.
    """
    k = np.asarray(kernels, dtype=np.float64)
    if k.ndim != 4 or k.shape[2] != 3:
        raise ValueError(f"kernels must be (kh, kw, 3, F) (a first conv layer on RGB), got shape {k.shape}")
    k = np.moveaxis(k, -1, 0)
    peak = np.abs(k).max(axis=(1, 2, 3), keepdims=True)
    scaled = np.where(peak > 0, k / np.where(peak > 0, peak, 1.0), 0.0)
    return np.clip(np.round(127.5 + 127.5 * scaled), 0, 255).astype(np.uint8)


def png_bytes(image, scale: int = 1) -> bytes:
    """Encode an image as PNG bytes (for ``ipywidgets.Image``), enlarged ``scale`` times with nearest pixels.

    Args:
        image: (H, W, 3) uint8, or floats in 0..255 (for RGB in [0, 1] pass
            ``255 * rgb``).
        scale: integer enlargement factor (>= 1).
    Returns:
        bytes of a PNG file.
    Used by: helpers.widgets.activations, helpers.widgets.filters.
    """
    import io

    from PIL import Image

    from ..inputs import check_int

    scale = check_int(scale, "scale", 1)
    img = Image.fromarray(to_uint8(image))
    scale = max(1, int(scale))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def pattern_examples_figure(patterns, crops, titles=None, crop_titles=None, per_row: int = 3,
                            tile_inches: float = 1.5, fontsize: float = 9):
    """Each filter's pattern beside the photo crops where it fires most, in groups laid out in rows.

    One group per filter: its pattern (framed, titled) and then its crops.
    ``per_row`` groups share a figure row (e.g. the channels of one layer),
    with a gap between groups.

    Args:
        patterns: (F, H, W, 3) uint8 (or floats 0..255): any pictures, e.g.
            ``visualize_filters(...)`` or patterns rendered beforehand.
        crops: F arrays (K_f, c_f, c_f, 3) 0..255, one per pattern (sizes may
            differ between patterns, e.g. one crop size per layer), e.g.
            ``dataset_examples(...)["crops"]``; a (F, K, c, c, 3) array works too.
        titles: F strings over the patterns (e.g. ``"block4c #29"``).
        crop_titles: F lists of K_f strings over the crops (e.g. photo names).
        per_row: groups per figure row.
        tile_inches: side of one tile.
        fontsize: size of the titles.
    Returns:
        matplotlib Figure.
    Raises:
        ValueError for badly shaped patterns or crops, or titles of the wrong length.
    Used by: notebook 02.
    """
    import matplotlib.pyplot as plt

    from ..inputs import check_int

    pats = to_uint8(patterns)
    if pats.ndim != 4 or pats.shape[-1] != 3 or len(pats) == 0:
        raise ValueError(f"patterns must be a non-empty (F, H, W, 3) array, got shape {pats.shape}")
    n = len(pats)
    if len(crops) != n:
        raise ValueError(f"got {len(crops)} sets of crops for {n} patterns: give one (K, c, c, 3) array per pattern")
    crops = [to_uint8(c) for c in crops]
    for f, c in enumerate(crops):
        if c.ndim != 4 or c.shape[-1] != 3 or len(c) == 0:
            raise ValueError(f"crops[{f}] must be a non-empty (K, c, c, 3) array, got shape {c.shape}")
    for name, given in (("titles", titles), ("crop_titles", crop_titles)):
        if given is not None and len(given) != n:
            raise ValueError(f"got {len(given)} {name} for {n} patterns")
    per_row = min(check_int(per_row, "per_row", 1), n)
    k = max(len(c) for c in crops)
    ratios = []
    for g in range(per_row):
        ratios += [1.0] * (1 + k) + ([0.3] if g < per_row - 1 else [])
    rows = math.ceil(n / per_row)
    fig = plt.figure(figsize=(sum(ratios) * tile_inches, rows * (tile_inches + 0.4) + 0.1))
    grid = fig.add_gridspec(rows, len(ratios), width_ratios=ratios, wspace=0.06, hspace=0.3,
                            left=0.01, right=0.99, top=1 - 0.35 / (rows * (tile_inches + 0.4) + 0.1), bottom=0.01)
    for f in range(n):
        r, g = divmod(f, per_row)
        col = g * (k + 2)
        ax = fig.add_subplot(grid[r, col])
        ax.imshow(pats[f], interpolation="nearest")
        if titles is not None:
            ax.set_title(str(titles[f]), fontsize=fontsize, fontweight="bold")
        ax.set_xticks([]), ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_linewidth(2.5)
        for j, crop in enumerate(crops[f]):
            ax = fig.add_subplot(grid[r, col + 1 + j])
            ax.imshow(crop, interpolation="nearest")
            ax.set_axis_off()
            if crop_titles is not None and j < len(crop_titles[f]):
                ax.set_title(str(crop_titles[f][j]), fontsize=fontsize)
    return fig
