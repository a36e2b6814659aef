"""Where do the maps point?  One map per image for any method, localisation boxes, the pointing
game, the evidence inside a box, and the table comparing methods on images with true boxes.

:func:`maps` is the one function that turns (model, images, labels, method)
into one (N, h, w) map per image for every method of
:data:`helpers.cam.ALL_METHODS` (the guided ones as max |gradient| over the
colours); the localisation table, ``helpers.trust`` and the explorer widget
all call it.

Used by: notebook 04 (sections 6, 10-12), helpers.trust, bench/bench_gradcam.py.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..inputs import check_images, unpack_built_model
from .core import check_heatmap, grad_cam, resize_heatmap
from .methods import ALL_METHODS, DEFAULT_METHOD, REGISTRY, SLOW_METHODS, canonical

__all__ = ["maps", "heatmap_box", "box_iou", "pointing_game", "localization_scores", "mass_in_box",
           "localization_table", "format_table", "LOCALIZATION_METHODS"]

#: Rows of :func:`localization_table` (kept name): every method of the registry.
LOCALIZATION_METHODS = ALL_METHODS


def maps(model, images, labels, method=DEFAULT_METHOD, layer=None, *, preprocess=None, batch_size=32, size="image",
         progress=False):
    """One map per image, for the class given per image, by any method of :data:`helpers.cam.ALL_METHODS`.

    Args:
        model: keras.Model or model card; images: (N, H, W, 3) 0..255.
        labels: (N,) one class id per image (or None: each image's top-1 class).
        method: a name of :data:`helpers.cam.ALL_METHODS` (default :data:`helpers.cam.methods.DEFAULT_METHOD`).
        layer: feature layer (None: the card's / the default); preprocess,
            batch_size: as in :func:`helpers.cam.grad_cam`.
        size: "image" -> maps upsampled bilinearly to (H, W); None -> as the
            method gives them ((h, w) for feature-map methods, (H, W) for guided ones).
    Returns:
        (N, h, w) or (N, H, W) float32 in [0, 1]; guided methods give max
        |gradient| over colours divided by its max.  A map that is zero
        everywhere stays zero, silently (an uninformative answer, scored as such).
    Used by: localization_table (notebook 04), helpers.trust, helpers.widgets.cam.
    """
    method = canonical(method)
    model, preprocess, layer = unpack_built_model(model, preprocess, layer)
    x, _ = check_images(images, value_range=preprocess is not None)
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(x):
            raise ValueError(f"labels must be one class id per image: {len(x)} images, labels of shape "
                             f"{labels.shape}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a zero map is a legitimate (uninformative) answer here
        entry = REGISTRY[method]
        if entry.kind == "guided":
            out = entry.fn(model, x, labels, layer, preprocess, batch_size)
        else:
            out = grad_cam(model, x, labels, layer, method, preprocess=preprocess, batch_size=batch_size,
                           progress=progress)
    if size is None:
        return out
    H, W = x.shape[1:3]
    if out.shape[1:] == (H, W):
        return out
    return np.stack([resize_heatmap(m, (H, W)) for m in out]).clip(0.0, 1.0)


def _largest_component(mask, connectivity=8):
    """Largest connected True region of a 2-D mask, by run-length union-find.

    Returns:
        list of (row, start, stop) runs of that region (stop exclusive), or [].
    """
    runs = []
    for y in range(mask.shape[0]):
        row = np.concatenate(([0], mask[y].astype(np.int8), [0]))
        d = np.diff(row)
        for s, e in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
            runs.append((y, int(s), int(e)))
    if not runs:
        return []
    parent = list(range(len(runs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    reach = 1 if connectivity == 8 else 0
    prev_start, start = 0, 0
    for idx, (y, s, e) in enumerate(runs):
        if idx and runs[idx - 1][0] != y:
            prev_start, start = start, idx
        if y == 0:
            continue
        for j in range(prev_start, start):
            py, ps, pe = runs[j]
            if py != y - 1:
                continue
            if ps < e + reach and s < pe + reach:
                a, b = find(idx), find(j)
                if a != b:
                    parent[a] = b
    sizes: dict = {}
    for idx, (y, s, e) in enumerate(runs):
        r = find(idx)
        sizes[r] = sizes.get(r, 0) + (e - s)
    best = max(sizes, key=lambda r: (sizes[r], -r))
    return [run for idx, run in enumerate(runs) if find(idx) == best]


def heatmap_box(heatmap, threshold: float = 0.15, size=None, connectivity: int = 8):
    """Localisation box of the Grad-CAM paper: threshold at ``threshold`` x max, largest connected region.

    Args:
        heatmap: (h, w) float map (e.g. one Grad-CAM map).
        threshold: fraction of the map's maximum (0.15 in the paper).
        size: None -> box in heatmap cells; (H, W) -> the map is first resized
            bilinearly to the image and the box is in image pixels.
        connectivity: 8 (default) or 4 neighbours.
    Returns:
        (x0, y0, x1, y1) ints, x1/y1 exclusive (width = x1 - x0); None when
        the map has no positive value (nothing to localise).
    Used by: notebook 04 (box drawn, box IoU).
    """
    if connectivity not in (4, 8):
        raise ValueError("connectivity must be 4 or 8.")
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold is a fraction of the max, in [0, 1]; got {threshold}.")
    hm = check_heatmap(heatmap)
    if size is not None:
        hm = resize_heatmap(hm, size)
    peak = float(hm.max())
    if peak <= 0:
        return None
    runs = _largest_component(hm >= float(threshold) * peak, connectivity)
    ys = [y for y, _, _ in runs]
    return (min(s for _, s, _ in runs), min(ys), max(e for _, _, e in runs), max(ys) + 1)


def box_iou(a, b) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1), x1/y1 exclusive; 0.0 if either is None."""
    if a is None or b is None:
        return 0.0
    ax0, ay0, ax1, ay1 = (float(v) for v in a)
    bx0, by0, bx1, by1 = (float(v) for v in b)
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = max(0.0, ax1 - ax0) * max(0.0, ay1 - ay0) + max(0.0, bx1 - bx0) * max(0.0, by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def _check_boxes(boxes, n, size=None, name="boxes"):
    """(n, 4) finite boxes (x0, y0, x1, y1) with x0 < x1, y0 < y1, as float64; or a clear ValueError."""
    try:
        bx = np.asarray(boxes, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers (x0, y0, x1, y1) per image, got {type(boxes).__name__}.") from None
    if bx.shape != (n, 4):
        raise ValueError(f"{name} must be (N, 4) = ({n}, 4) boxes (x0, y0, x1, y1), got shape {bx.shape}.")
    if not np.all(np.isfinite(bx)):
        raise ValueError(f"{name} contain NaN or infinite values (row {int(np.argwhere(~np.isfinite(bx))[0, 0])}).")
    bad = np.flatnonzero((bx[:, 2] <= bx[:, 0]) | (bx[:, 3] <= bx[:, 1]))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] = {bx[bad[0]].tolist()} is empty or inverted: boxes are (x0, y0, x1, y1) "
                         "with x0 < x1 and y0 < y1 (x1, y1 exclusive).")
    return bx


def _check_map_batch(heatmaps, name="heatmaps"):
    """(N, h, w) finite maps with N >= 1, as float32."""
    try:
        hms = np.asarray(heatmaps, dtype=np.float32)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an (N, h, w) array of numbers, got {type(heatmaps).__name__}.") from None
    if hms.ndim != 3:
        raise ValueError(f"{name} must be (N, h, w), got shape {hms.shape}.")
    if len(hms) == 0 or hms.shape[1] == 0 or hms.shape[2] == 0:
        raise ValueError(f"{name} is empty (shape {hms.shape}); give at least one map.")
    if not np.all(np.isfinite(hms)):
        raise ValueError(f"{name} contain NaN or infinite values.")
    return hms


def _peak(hm):
    y, x = np.unravel_index(int(np.argmax(hm)), hm.shape)
    return x, y


def pointing_game(heatmaps, boxes, size, tolerance: int = 0, return_hits: bool = False):
    """Pointing game (Zhang et al. 2016): is each heatmap's peak inside its object's box?

    Args:
        heatmaps: (N, h, w) maps.
        boxes: (N, 4) true boxes (x0, y0, x1, y1) in image pixels, x1/y1 exclusive.
        size: (H, W) image size; each map is resized bilinearly to it first.
        tolerance: pixels the peak may lie outside the box (the original
            game allows 15 px at 224 px; default 0 = strict).
        return_hits: also return the (N,) bool hits.
    Returns:
        fraction of hits in [0, 1] (a map that is zero everywhere is a miss);
        with ``return_hits``: ``(fraction, hits)``.
    Used by: notebook 04, bench/bench_gradcam.py.
    """
    from ..inputs import check_number, check_size

    hms = _check_map_batch(heatmaps)
    bx = _check_boxes(boxes, len(hms))
    size = check_size(size, "size")
    tolerance = check_number(tolerance, "tolerance", 0)
    hits = np.zeros(len(hms), bool)
    for i, hm in enumerate(hms):
        up = resize_heatmap(hm, size)
        if not np.isfinite(up).all() or up.max() <= 0:
            continue
        x, y = _peak(up)
        x0, y0, x1, y1 = bx[i]
        hits[i] = (x0 - tolerance <= x < x1 + tolerance) and (y0 - tolerance <= y < y1 + tolerance)
    frac = float(hits.mean())
    return (frac, hits) if return_hits else frac


def localization_scores(heatmaps, boxes, size, threshold: float = 0.15, tolerance: int = 0):
    """Pointing game and box IoU of a set of maps against true boxes.

    Args:
        heatmaps: (N, h, w); boxes: (N, 4) (x0, y0, x1, y1) pixels; size: (H, W).
        tolerance: pointing-game pixels (see :func:`pointing_game`; 0 = strict).
    Returns:
        dict with "pointing" (fraction of peaks inside the box), "iou" (mean IoU
        of :func:`heatmap_box` with the true box), "iou>=0.5" (fraction).
    Used by: notebook 04 (table per method), bench/bench_gradcam.py.
    """
    point = pointing_game(heatmaps, boxes, size, tolerance)
    ious = np.array([box_iou(heatmap_box(h, threshold, size=size), b) for h, b in zip(heatmaps, boxes)])
    return {"pointing": point, "iou": float(ious.mean()), "iou>=0.5": float((ious >= 0.5).mean())}


def mass_in_box(heatmap, box, size) -> float:
    """Share of a map's evidence that lies inside a box, after upsampling the map to the image.

    Args:
        heatmap: (h, w) map, values >= 0 (normalised or raw).
        box: (x0, y0, x1, y1) in image pixels, x1 and y1 exclusive (as ``heatmap_box``).
        size: (H, W) of the image.
    Returns:
        float in [0, 1]: sum of the upsampled map inside the box / its sum over the
        image; 0.0 for a map that is zero everywhere (no evidence anywhere).
    Raises:
        ValueError for a map with negative, NaN or infinite values.
    Used by: notebook 04 ("Debugging a mistake").
    """
    hm = check_heatmap(heatmap)
    if hm.min() < 0:
        raise ValueError("heatmap has negative values: pass a map after the ReLU (grad_cam returns one).")
    up = np.clip(resize_heatmap(hm, tuple(size)[:2]), 0.0, None)
    total = float(up.sum())
    if total <= 0:
        return 0.0
    x0, y0, x1, y1 = (int(round(float(v))) for v in box)
    return float(up[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)].sum() / total)


def localization_table(model, images, labels, boxes, methods=ALL_METHODS, layer=None, *,
                       preprocess=None, limits=None, threshold=0.15, batch_size=64, progress=False):
    """Pointing game and box IoU of each method on images with known boxes (the true class's map).

    Args:
        model: model card or keras.Model; images (N, H, W, 3) 0..255;
        labels: (N,) true class id of each image (the map is taken for the true class);
        boxes: (N, 4) true boxes (x0, y0, x1, y1), x1/y1 exclusive.
        methods: names from :data:`helpers.cam.ALL_METHODS` (default: all).
        limits: dict method -> max images (e.g. ``dict.fromkeys(SLOW_METHODS, 100)``:
            a method of :data:`helpers.cam.SLOW_METHODS` costs one forward pass per
            channel and image); others use all N.
        threshold: box threshold (fraction of the max).
    Returns:
        list of dict rows: method, n, pointing, iou, iou>=0.5, seconds; the
        first row is the "centre" baseline (peak assumed at the image centre,
        box = the whole image).
    Used by: notebook 04 (table per method), bench/bench_gradcam.py.
    """
    import time

    model, preprocess, layer = unpack_built_model(model, preprocess, layer)
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int64)
    boxes = np.asarray(boxes, dtype=np.float64)
    if not (len(images) == len(labels) == len(boxes)):
        raise ValueError(f"got {len(images)} images, {len(labels)} labels and {len(boxes)} boxes; need one each.")
    methods = [canonical(m) for m in methods]
    limits = dict(limits or {})
    size = images.shape[1:3]
    H, W = size
    centre = np.zeros((len(images), H, W), np.float32)
    centre[:, H // 2, W // 2] = 1.0
    full = np.tile([0, 0, W, H], (len(images), 1))
    rows = [{"method": "centre (baseline)", "n": len(images), "pointing": pointing_game(centre, boxes, size),
             "iou": float(np.mean([box_iou(f, b) for f, b in zip(full, boxes)])),
             "iou>=0.5": float(np.mean([box_iou(f, b) >= 0.5 for f, b in zip(full, boxes)])), "seconds": 0.0}]
    for method in methods:
        n = min(len(images), int(limits.get(method, len(images))))
        t0 = time.perf_counter()
        hm = maps(model, images[:n], labels[:n], method, layer, preprocess=preprocess, batch_size=batch_size,
                  progress=progress, size=None)
        seconds = time.perf_counter() - t0
        rows.append({"method": method, "n": n, **localization_scores(hm, boxes[:n], size, threshold),
                     "seconds": seconds})
    return rows


def format_table(rows) -> str:
    """Rows of :func:`localization_table` as a fixed-width text table."""
    lines = [f"{'method':<18} {'n':>5} {'pointing':>9} {'box IoU':>8} {'IoU>=0.5':>9} {'seconds':>8}"]
    for r in rows:
        lines.append(f"{r['method']:<18} {r['n']:>5d} {r['pointing']:>9.3f} {r['iou']:>8.3f} "
                     f"{r['iou>=0.5']:>9.3f} {r['seconds']:>8.1f}")
    return "\n".join(lines)
