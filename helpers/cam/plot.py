"""Pictures of maps: the overlay of the book's listing 5.44 and the static figures of notebook 04.

Used by: notebook 04, helpers.widgets.cam.
"""
from __future__ import annotations

import numpy as np

from .core import check_heatmap, resize_heatmap
from .guided import saliency_image

__all__ = ["overlay", "show_cams", "show_methods", "draw_box"]


def overlay(image, heatmap, alpha: float = 0.4, cmap: str = "jet", ramp: bool = False):
    """Superimpose a heatmap on an image (the book's listing 5.44, without OpenCV).

    Args:
        image: (H, W, 3) float 0..255 or uint8 (a gray (H, W) image works too).
        heatmap: (h, w) values in [0, 1]; resized to (H, W) bilinearly.
        alpha: heatmap weight in [0, 1] (0.4 as in the book); with ``ramp``, the
            weight of the hottest pixels.
        cmap: matplotlib colormap name ('jet' as in the book; 'inferno' is
            perceptually uniform: its brightness grows with the value).
        ramp: False: the book's blend, every pixel mixed with weight ``alpha``;
            True: each pixel's weight is ``alpha * heat``, so cold regions show
            the image unchanged and only the evidence is coloured (readable on
            any background, used by :func:`show_cams`).
    Returns:
        (H, W, 3) uint8 = (1 - a) * image + a * colormap(heatmap), with
        a = alpha, or a = alpha * heatmap (per pixel) with ``ramp``.
    Used by: notebook 04, the explorer widget.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    if img.ndim != 3 or img.shape[-1] not in (1, 3):
        raise ValueError(f"image must be (H, W, 3), got shape {img.shape}.")
    if img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    from ..inputs import check_cmap, check_images, check_number

    img = check_images(img, name="image")[0][0]          # 0..255, finite (a 0..1 image gets the hint)
    alpha = check_number(alpha, "alpha", 0.0, 1.0)
    hm = check_heatmap(heatmap)
    hm = np.clip(resize_heatmap(hm, img.shape[:2]), 0.0, 1.0)
    colormap = check_cmap(cmap)
    colour = colormap(hm)[..., :3] * 255.0
    a = float(alpha) * hm[..., None] if ramp else float(alpha)
    out = (1.0 - a) * img + a * colour
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def draw_box(ax, box, colour):
    """A box (x0, y0, x1, y1) in image pixels: a coloured line on a black outline (visible on light and dark)."""
    from matplotlib import patheffects
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = box
    rect = Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec=colour, lw=1.8)
    rect.set_path_effects([patheffects.Stroke(linewidth=4.0, foreground="black"), patheffects.Normal()])
    ax.add_patch(rect)


def show_cams(images, heatmaps, titles=None, boxes=None, true_boxes=None, alpha=0.75, ncols=None, size=2.2,
              cmap="inferno", note=None, colorbar=False):
    """Static figure: a grid of overlays (a widget's printable twin).

    Args:
        images: (N, H, W, 3) 0..255 (or one image reused for every map).
        heatmaps: (N, h, w) maps in [0, 1].
        titles: N strings; boxes / true_boxes: N boxes (x0, y0, x1, y1) in
            image pixels drawn in white / green on a black outline (None
            entries skipped).
        alpha, cmap: the overlay's opacity at the hottest pixels and its
            colormap (:func:`overlay` with ``ramp=True``: cold regions show the
            image, hot ones the colour; 'inferno' grows brighter with the value).
        note: one line printed under the figure (e.g. how the maps are scaled).
        colorbar: add a colour bar (0 = no evidence, 1 = the scale's maximum).
    Returns:
        matplotlib Figure.
    Used by: notebook 04.
    """
    import matplotlib.pyplot as plt

    hms = np.asarray(heatmaps, dtype=np.float32)
    imgs = np.asarray(images, dtype=np.float32)
    if imgs.ndim == 3:
        imgs = np.repeat(imgs[None], len(hms), axis=0)
    if len(imgs) != len(hms):
        raise ValueError(f"got {len(imgs)} images for {len(hms)} heatmaps.")
    n = len(hms)
    ncols = ncols or min(n, 6)
    nrows = -(-n // ncols)
    extra = 0.3 * bool(note) + 0.5 * bool(colorbar)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + extra), squeeze=False,
                             layout="constrained")
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(overlay(imgs[i], hms[i], alpha=alpha, cmap=cmap, ramp=True))
        for group, colour in ((boxes, "white"), (true_boxes, "lime")):
            if group is not None and group[i] is not None:
                draw_box(ax, group[i], colour)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if colorbar:
        from matplotlib import cm, colors

        bar = fig.colorbar(cm.ScalarMappable(colors.Normalize(0, 1), cmap), ax=axes, orientation="horizontal",
                           shrink=0.35, aspect=40, pad=0.02)
        bar.set_ticks([0, 0.5, 1])
        bar.ax.tick_params(labelsize=8)
    if note:
        fig.supxlabel(note, fontsize=9)
    return fig


def show_methods(images, maps_by_method, saliency_by_method=None, alpha=0.75, size=1.9, cmap="inferno",
                 row_titles=None):
    """Static figure comparing methods: one row per image, one column per method.

    Args:
        images: (N, H, W, 3) 0..255.
        maps_by_method: dict name -> (N, h, w) heatmaps in [0, 1] (shown as
            overlays, :func:`overlay` with ``ramp=True``, opacity ``alpha`` at the
            hottest pixels, colormap ``cmap``).
        saliency_by_method: optional dict name -> (N, H, W, 3) signed gradients
            (guided backprop, Guided Grad-CAM; shown with :func:`saliency_image`).
        row_titles: optional N strings, written left of each row.
    Returns:
        matplotlib Figure.
    Used by: notebook 04 ("other methods side by side").
    """
    import matplotlib.pyplot as plt

    imgs = np.asarray(images, dtype=np.float32)
    sal = dict(saliency_by_method or {})
    cols = ["image"] + list(maps_by_method) + list(sal)
    if row_titles is not None and len(row_titles) != len(imgs):
        raise ValueError(f"got {len(row_titles)} row titles for {len(imgs)} images.")
    fig, axes = plt.subplots(len(imgs), len(cols), figsize=(size * len(cols), size * len(imgs)), squeeze=False)
    for i, img in enumerate(imgs):
        for j, name in enumerate(cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if name == "image":
                ax.imshow(np.clip(img, 0, 255).astype(np.uint8))
                if row_titles is not None:
                    ax.set_ylabel(str(row_titles[i]), fontsize=9)
            elif name in maps_by_method:
                ax.imshow(overlay(img, np.asarray(maps_by_method[name])[i], alpha=alpha, cmap=cmap, ramp=True))
            else:
                ax.imshow(saliency_image(np.asarray(sal[name])[i]))
            if i == 0:
                ax.set_title(name, fontsize=9)
    fig.tight_layout()
    return fig
