"""Drawing helpers shared by the notebooks: image grids, channel grids, kernel patches.

Channel grids are built as **one** RGB mosaic (one ``imshow``), not one
matplotlib axis per channel: 512 channels draw in a fraction of a second.

Safe normalisation: every channel is min-max scaled on its own; a channel
that is constant (in particular all zero - a "dead" channel after the ReLU)
has no range to scale, and is drawn as a blank light-grey tile, never NaN.

Used by notebooks 01 (activations), 02 (filters), 03 (DeepVis), 05 (the five sequence shapes) and
the widgets.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "BLANK",
    "normalize_channels",
    "colorize",
    "mosaic",
    "channel_mosaic",
    "channel_grid",
    "activation_grids",
    "image_grid",
    "kernel_tiles",
    "to_uint8",
    "png_bytes",
    "channel_figure",
    "pattern_examples_figure",
    "SEQUENCE_EXAMPLES",
    "sequence_shapes_figure",
]

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
    from .inputs import check_cmap

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
    from .inputs import check_int

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
    from .inputs import check_cmap

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

    from .inputs import check_int

    scale = check_int(scale, "scale", 1)
    img = Image.fromarray(to_uint8(image))
    scale = max(1, int(scale))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


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

    from .inputs import check_int

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


# ---------------------------------------------------------------------------------------------
# The five input/output shapes of the lecture (Karpathy, "The Unreasonable Effectiveness of Recurrent
# Neural Networks", 2015), each with a concrete example, drawn: no model is run.

#: What sequence_shapes_figure draws: per shape its title, input tokens and output tokens (one box
#: each; "<image>" is the photo). The translation's output is Persian, shown as a transliteration in
#: the boxes (generation order) and in Persian script above them (read right to left).
SEQUENCE_EXAMPLES = {
    "one_to_one": {"title": "one-to-one\nclassification", "inputs": ["<image>"], "outputs": ["cat"]},
    "one_to_many": {"title": "one-to-many\nimage captioning", "inputs": ["<image>"],
                    "outputs": ["a", "tabby", "cat", "with", "green", "eyes"]},
    "many_to_one": {"title": "many-to-one\nsentiment of a review", "inputs": ["Brilliant", "effort", "guys!", "Loved",
                                                                           "Your", "Work."],
                    "outputs": ["positive"],
                    "also": ["\"Totally dissatisfied with the service. Worst customer care ever.\" -> negative",
                             "\"Good Job but I will expect a lot more in future.\" -> neutral"]},
    "many_to_many": {"title": "many-to-many\ntranslation, English -> Persian", "inputs": ["I", "read", "the", "book"],
                     "outputs": ["ket\u0101b", "r\u0101", "kh\u0101ndam"], "script": "\u06a9\u062a\u0627\u0628 \u0631\u0627 "
                     "\u062e\u0648\u0627\u0646\u062f\u0645"},
    "many_to_many_synced": {"title": "many-to-many, synced\nrunning parity of bits", "inputs": ["1", "0", "1", "1"],
                            "outputs": ["1", "1", "0", "1"]},
}

_IN, _STATE, _OUT = "#f4b6b6", "#b5e6ad", "#b3cff5"


def _script_image(text: str, size: int = 44):
    """``text`` in a right-to-left script (Persian) as an RGBA array, shaped by Pillow's raqm layout;
    None when Pillow has no raqm (the figure then shows the transliteration only)."""
    from PIL import Image, ImageDraw, ImageFont, features
    import matplotlib.font_manager as fm

    if not features.check("raqm"):
        return None
    font = ImageFont.truetype(fm.findfont("DejaVu Sans"), size, layout_engine=ImageFont.Layout.RAQM)
    x0, y0, x1, y1 = font.getbbox(text, direction="rtl", language="fa")
    im = Image.new("RGBA", (x1 - x0 + 8, y1 - y0 + 8), (255, 255, 255, 0))
    ImageDraw.Draw(im).text((4 - x0, 4 - y0), text, font=font, fill=(20, 20, 20, 255), direction="rtl", language="fa")
    return np.asarray(im)


def _seq_panel(ax, example, image, encoder_steps: int = 0):
    """One shape: input boxes (row 0), states (row 1, joined left to right), output boxes (row 2).

    With ``encoder_steps`` the outputs start after the inputs (encoder-decoder), else inputs and
    outputs are laid from step 0 (one input -> many outputs, many inputs -> the last step's output).
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    ins, outs = example["inputs"], example["outputs"]
    if encoder_steps:
        in_steps, out_steps = range(len(ins)), range(len(ins), len(ins) + len(outs))
    elif len(outs) == 1 and len(ins) > 1:
        in_steps, out_steps = range(len(ins)), [len(ins) - 1]
    else:
        in_steps, out_steps = range(len(ins)), range(len(outs))
    steps = max([*in_steps, *out_steps]) + 1
    w, h = 0.86, 0.5

    def box(x, y, colour, label=None):
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                    fc=colour, ec="0.35", lw=1))
        if label is not None:
            ax.text(x, y, label, ha="center", va="center", fontsize=13 if len(label) <= 6 else 11)

    def arrow(a, b, colour="0.3"):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color=colour, lw=1.3))

    for t in range(steps):
        box(t, 1, _STATE)
        if t:
            arrow((t - 1 + w / 2, 1), (t - w / 2, 1), "tab:green")
    for t, label in zip(in_steps, ins):
        if label == "<image>":
            ax.imshow(image, extent=(t - 0.45, t + 0.45, -0.6, 0.25), zorder=3, aspect="auto")
        else:
            box(t, 0, _IN, label)
        arrow((t, h / 2), (t, 1 - h / 2))
    for t, label in zip(out_steps, outs):
        box(t, 2, _OUT, label)
        arrow((t, 1 + h / 2), (t, 2 - h / 2))
    ax.set_xlim(-0.55, max(steps, 1.6) - 0.45)
    ax.set_ylim(-0.62, 2.7)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(example["title"], fontsize=13, loc="left")
    return steps


def sequence_shapes_figure(image=None, examples=None):
    """The lecture's five input/output shapes, each drawn with a concrete example (no model is run).

    Row 1: one-to-one (the photo -> "tabby cat"), one-to-many (the photo -> a caption, one word per
    step), many-to-one (a review, one word per step -> its sentiment; the lecture's two other reviews
    listed below it). Row 2: many-to-many (an English sentence read by an encoder, then a Persian one
    written by a decoder: transliterated in the boxes, in Persian script above them when Pillow can
    shape it) and many-to-many synced (a bit string -> the running parity after every bit).
    Red boxes are inputs, green the network's state at one time step (the green arrows carry it to
    the next step), blue outputs.

    Args:
        image: (H, W, 3) uint8 or float 0..255 shown as the photo; None: ``data/images/chelsea.png``.
        examples: a dict like SEQUENCE_EXAMPLES (the default) to draw other tokens.
    Returns:
        (figure, {kind: number of time steps drawn}); the figure is 12.8 x 6.4 inches at 100 dpi
        (1280 x 640 px), sized for a 1280 x 720 slide with a title and one sentence.
    Raises:
        ValueError: for an image that is not (H, W, 3).
    Used by notebook 05.
    """
    import os
    import textwrap

    import matplotlib.pyplot as plt

    from . import DATA_DIR

    examples = SEQUENCE_EXAMPLES if examples is None else examples
    if image is None:
        from PIL import Image

        image = np.asarray(Image.open(os.path.join(DATA_DIR, "images", "chelsea.png")).convert("RGB"))
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"image must be (H, W, 3), got shape {image.shape}")
    image = np.clip(image, 0, 255).astype(np.uint8)
    # every step gets the same width on both rows
    top, bottom = ["one_to_one", "one_to_many", "many_to_one"], ["many_to_many", "many_to_many_synced"]
    width = {k: max(len(examples[k]["inputs"]), len(examples[k]["outputs"])) + 0.4 for k in top}
    width["one_to_one"] = 1.9
    width["many_to_many"] = len(examples["many_to_many"]["inputs"]) + len(examples["many_to_many"]["outputs"]) + 0.4
    width["many_to_many_synced"] = len(examples["many_to_many_synced"]["inputs"]) + 0.4
    total = max(sum(width[k] for k in top), sum(width[k] for k in bottom) + 4.2)   # + the reviews' text
    fig = plt.figure(figsize=(12.8, 6.4), dpi=100)
    steps = {}
    for row, kinds in enumerate((top, bottom)):
        x = 0.01
        for kind in kinds:
            ax = fig.add_axes((x, 0.54 - row * 0.48, 0.98 * width[kind] / total, 0.37))
            steps[kind] = _seq_panel(ax, examples[kind], image,
                                     encoder_steps=len(examples[kind]["inputs"]) if kind == "many_to_many" else 0)
            x += 0.98 * width[kind] / total + 0.005
            if kind == "many_to_one" and examples[kind].get("also"):
                fig.text(0.995, 0.36, "many-to-one, the lecture's other reviews:\n\n" +
                         "\n".join(textwrap.fill(r, 34) for r in examples[kind]["also"]), fontsize=11, ha="right",
                         va="top", color="0.2", linespacing=1.4, multialignment="left")
            if kind == "many_to_many":
                n_in, n_out = len(examples[kind]["inputs"]), len(examples[kind]["outputs"])
                ax.text(n_in / 2 - 0.5, -0.42, "encoder reads English", ha="center", va="top", fontsize=11, color="0.3")
                ax.text(n_in + n_out / 2 - 0.5, 0.1, "decoder writes Persian", ha="center", va="center", fontsize=11,
                        color="0.3")
                script = _script_image(examples[kind]["script"]) if examples[kind].get("script") else None
                if script is not None:
                    hgt = 0.36
                    wid = hgt * script.shape[1] / script.shape[0]
                    cx = n_in + (n_out - 1) / 2
                    ax.imshow(script, extent=(cx - wid / 2, cx + wid / 2, 2.33, 2.33 + hgt), zorder=3)
                    ax.set_ylim(-0.6, 2.8)
    fig.text(0.5, 0.005, "red: input  ·  green: the network's state at one time step (the green arrow carries it on)"
             "  ·  blue: output", ha="center", fontsize=11)
    return fig, steps
