"""Channel grids: one feature map's channels as small tiles, each on its own scale.

Channel grids are built as **one** RGB mosaic (one ``imshow``), not one
matplotlib axis per channel: 512 channels draw in a fraction of a second.

Safe normalisation: every channel is min-max scaled on its own; a channel
that is constant (in particular all zero - a "dead" channel after the ReLU)
has no range to scale, and is drawn as a blank light-grey tile, never NaN.

Used by notebook 01 (activations: :func:`channel_grid`, :func:`activation_grids`,
:func:`channel_figure`) and the activation explorer (``helpers.widgets.activations``:
:func:`channel_mosaic`, :func:`colorize`, :func:`normalize_channels`).
"""
from __future__ import annotations

import math

import numpy as np

from .pictures import to_uint8

__all__ = ["BLANK", "normalize_channels", "colorize", "mosaic", "channel_mosaic", "channel_grid",
           "activation_grids", "channel_figure"]

#: RGB (0..1) of the tile drawn for a constant / dead channel.
BLANK = (0.93, 0.93, 0.93)


def normalize_channels(activation):
    """Scale each channel of a feature map to [0, 1] on its own.

    Args:
        activation: (h, w, C) array (one image).
    Returns:
        (scaled, constant): ``scaled`` (C, h, w) float32 in [0, 1] (min -> 0,
        max -> 1); ``constant`` (C,) bool, True where the channel has a single
        value (its tile is all 0 and should be drawn blank).
    Raises:
        ValueError for a wrong shape or non-finite values.
    """
    a = np.asarray(activation, dtype=np.float64)
    if a.ndim != 3:
        raise ValueError(f"activation must be (h, w, C) for one image, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("activation contains NaN or inf")
    a = np.moveaxis(a, -1, 0)
    lo = a.min(axis=(1, 2), keepdims=True)
    span = a.max(axis=(1, 2), keepdims=True) - lo
    constant = span[:, 0, 0] <= 1e-12 * np.maximum(1.0, np.abs(lo[:, 0, 0]))
    scaled = np.where(constant[:, None, None], 0.0, (a - lo) / np.where(constant[:, None, None], 1.0, span))
    return scaled.astype(np.float32), constant


def colorize(tiles, cmap: str = "viridis", blank=None) -> np.ndarray:
    """Map (N, h, w) values in [0, 1] to RGB with a matplotlib colormap.

    Args:
        tiles: (N, h, w) floats in [0, 1].
        cmap: colormap name.
        blank: optional (N,) bool; those tiles are painted :data:`BLANK`.
    Returns:
        (N, h, w, 3) float32 RGB in [0, 1].
    """
    from ..inputs import check_cmap

    rgb = check_cmap(cmap)(np.clip(np.asarray(tiles, np.float64), 0, 1))[..., :3].astype(np.float32)
    if blank is not None:
        rgb[np.asarray(blank, bool)] = BLANK
    return rgb


def mosaic(tiles, ncols: int | None = None, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """Lay tiles out in a grid, row by row, with ``pad`` pixels of ``pad_value`` between them.

    Args:
        tiles: (N, h, w) or (N, h, w, 3) array.
        ncols: tiles per row (default about sqrt(N)).
        pad: separator width in pixels.
        pad_value: separator value (and of the empty cells of the last row).
    Returns:
        (rows*(h+pad)-pad, ncols*(w+pad)-pad[, 3]) array, same dtype as tiles;
        tile i sits at row i // ncols, column i % ncols.
    """
    tiles = np.asarray(tiles)
    if tiles.ndim not in (3, 4) or len(tiles) == 0:
        raise ValueError(f"tiles must be a non-empty (N, h, w) or (N, h, w, 3) array, got shape {tiles.shape}")
    from ..inputs import check_int

    n, h, w = tiles.shape[:3]
    pad = check_int(pad, "pad", 0)
    ncols = math.ceil(math.sqrt(n)) if ncols is None else check_int(ncols, "ncols", 1)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    shape = (nrows * (h + pad) - pad, ncols * (w + pad) - pad) + tiles.shape[3:]
    out = np.full(shape, pad_value, dtype=tiles.dtype)
    for i in range(n):
        r, c = divmod(i, ncols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tiles[i]
    return out


def channel_mosaic(activation, channels=None, ncols: int = 16, cmap: str = "viridis", pad: int = 1):
    """RGB mosaic of the channels of one feature map (safe normalisation).

    Args:
        activation: (h, w, C) feature map of one image.
        channels: which channel indices to show (default all).
        ncols: tiles per row.
        cmap: matplotlib colormap for the values.
        pad: white separator width.
    Returns:
        (mosaic, constant): ``mosaic`` (H, W, 3) float32 RGB in [0, 1] (never
        NaN); ``constant`` (len(channels),) bool, the tiles drawn blank.
    Used by: channel_grid, activation_grids, the activation widget.
    """
    from ..inputs import check_cmap

    check_cmap(cmap)
    scaled, constant = normalize_channels(activation)
    if channels is not None:
        idx = np.asarray(list(channels))
        if idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"channels must be a non-empty list of channel indices, got {list(channels)!r}")
        bad = idx[(idx < 0) | (idx >= len(scaled))]
        if bad.size:
            raise ValueError(f"channels: index {int(bad[0])} is out of range; this feature map has "
                             f"{len(scaled)} channels (0..{len(scaled) - 1})")
        scaled, constant = scaled[idx], constant[idx]
    rgb = colorize(scaled, cmap, blank=constant)
    return mosaic(rgb, ncols=min(ncols, len(rgb)), pad=pad, pad_value=1.0), constant


def channel_grid(activation, channels=None, ncols: int = 16, cmap: str = "viridis", title: str | None = None,
                 ax=None, tile_inches: float = 0.55, labels: bool = True):
    """Draw the channels of one feature map as a grid of small images.

    Each channel is scaled to its own range; constant / dead channels are
    blank light-grey tiles. The title (e.g. the layer name) gets the number
    of channels shown and how many are constant.

    Args:
        activation: (h, w, C) feature map of one image.
        channels: channel indices to show (default all).
        ncols: tiles per row.
        cmap: colormap.
        title: text above the grid.
        ax: matplotlib axis to draw into (default: a new figure).
        tile_inches: size of one tile in a new figure.
        labels: write each tile's channel index in its top-left corner
            (white on a black outline, readable on any tile).
    Returns:
        matplotlib Figure.
    Used by: notebook 01.
    """
    import matplotlib.pyplot as plt

    img, constant = channel_mosaic(activation, channels, ncols=ncols, cmap=cmap)
    n = len(constant)
    cols = min(ncols, n)
    if ax is None:
        rows = math.ceil(n / cols)
        fig, ax = plt.subplots(figsize=(max(3.0, cols * tile_inches), max(1.2, rows * tile_inches) + 0.4))
    else:
        fig = ax.figure
    ax.imshow(img, interpolation="nearest")
    ax.set_axis_off()
    if labels:
        _label_tiles(ax, np.asarray(activation).shape[:2],
                     list(channels) if channels is not None else range(n), min(ncols, n))
    label = f"{n} channels, {int(constant.sum())} blank (constant)"
    ax.set_title(f"{title}: {label}" if title else label, fontsize=9, loc="left")
    return fig


def _label_tiles(ax, tile_hw, indices, ncols, pad: int = 1, fontsize: float = 6):
    """Write each tile's index in the top-left corner of its tile of a ``mosaic`` drawn in ``ax``."""
    from matplotlib import patheffects

    h, w = tile_hw
    outline = [patheffects.withStroke(linewidth=1.5, foreground="black")]
    for i, index in enumerate(indices):
        r, c = divmod(i, ncols)
        ax.text(c * (w + pad) - 0.5 + 0.04 * w, r * (h + pad) - 0.5 + 0.04 * h, str(int(index)), color="white",
                fontsize=fontsize, ha="left", va="top", path_effects=outline)


def activation_grids(activations: dict, index: int = 0, max_channels: int = 16, ncols: int = 16,
                     cmap: str = "viridis", row_inches: float = 0.9):
    """One row of channel tiles per layer, first layer on top (the "depth" picture of notebook 01).

    Each row is titled with the layer's name and shape, each tile with its channel index.

    Args:
        activations: dict layer name -> (N, h, w, C) array (from get_activations).
        index: which image of the batch.
        max_channels: first channels shown per layer.
        ncols: tiles per row.
        cmap: colormap.
        row_inches: height of one row of tiles.
    Returns:
        matplotlib Figure.
    Used by: notebook 01.
    """
    import matplotlib.pyplot as plt

    if not activations:
        raise ValueError("activations is empty; call get_activations(model, images, layers) first")
    names = list(activations)
    heights = [math.ceil(min(max_channels, activations[n].shape[-1]) / ncols) for n in names]
    fig, axes = plt.subplots(len(names), 1, figsize=(ncols * 0.6, sum(heights) * row_inches + 0.35 * len(names)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for name, ax in zip(names, axes[:, 0]):
        act = np.asarray(activations[name])[index]
        shown = range(min(max_channels, act.shape[-1]))
        channel_grid(act, channels=shown, ncols=ncols, cmap=cmap, ax=ax,
                     title=f"{name} {act.shape[0]}x{act.shape[1]}x{act.shape[-1]}")
    fig.tight_layout()
    return fig


def channel_figure(image, activation, channel: int, top=None, title: str | None = None, cmap: str = "viridis"):
    """Static twin of the activation explorer: input | one channel, enlarged | strongest channels.

    Args:
        image: (H, W, 3) 0..255 input.
        activation: (h, w, C) feature map of that image.
        channel: channel shown large.
        top: optional channel indices for the third panel (e.g. top_channels(activation)).
        title: e.g. the layer name.
        cmap: colormap.
    Returns:
        matplotlib Figure.
    Used by: notebook 01.
    """
    import matplotlib.pyplot as plt

    act = np.asarray(activation)
    if not 0 <= int(channel) < act.shape[-1]:
        raise ValueError(f"channel {channel} out of range: the layer has {act.shape[-1]} channels")
    panels = 3 if top is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(3.2 * panels, 3.4))
    axes[0].imshow(to_uint8(image))
    axes[0].set_title("input", fontsize=9)
    scaled, constant = normalize_channels(act[..., int(channel):int(channel) + 1])
    axes[1].imshow(colorize(scaled, cmap, blank=constant)[0], interpolation="nearest")
    state = " (all zero)" if not act[..., int(channel)].any() else ""
    axes[1].set_title(f"{title + ', ' if title else ''}channel {int(channel)}{state}", fontsize=9)
    if top is not None:
        tiles, _ = channel_mosaic(act, list(top), ncols=4, cmap=cmap)
        axes[2].imshow(tiles, interpolation="nearest")
        axes[2].set_title("most active: " + ", ".join(str(int(t)) for t in top), fontsize=9)
    for ax in axes:
        ax.set_axis_off()
    fig.tight_layout()
    return fig
