"""The synthetic shapes data set: ``make_shapes`` and the per-class ``sample_images``.

Every per-image random number is drawn up front in a fixed order
(:func:`_draw_parameters`), then the pixels are rendered in chunks of
``_CHUNK`` images (:mod:`.render`), each chunk with its own noise stream:
the same (n, seed, size, clutter, classes) gives the same arrays however
the work is chunked.

Used by: helpers.models (ShapesNet sample images in every convnet notebook
with ``COURSE_MODEL=shapesnet``), notebook 04_gradcam (held-out images and
their boxes for the pointing game), :mod:`.training`, tools/trust_table.py,
tools/road_table.py.
"""
from __future__ import annotations

import numpy as np

from ..inputs import check_int
from .render import CLASS_NAMES, _render_chunk

IMAGE_SIZE = 64

# Seeds.  Training data uses --seed (default TRAIN_SEED); the training card's
# held-out accuracy uses HELDOUT_SEED; the unit tests use yet another seed.
TRAIN_SEED = 0
HELDOUT_SEED = 12345
HELDOUT_SIZE = 2000
SAMPLE_SEED = 2024

_CHUNK = 500          # images rendered at a time (fixed: results do not depend on n's chunking)
_MIN_SIZE = 24        # below this the smallest shapes may cover no pixel centre
_MAX_SIZE = 512
_MIN_CONTRAST = 80.0  # RGB distance between a shape's colour and its background's colours


def _segment_distance_to_colour(fg, c1, c2):
    """Distance (N,) in RGB from colours fg (N, 3) to the segments c1-c2 (N, 3)."""
    d = c2 - c1
    dd = np.maximum((d * d).sum(1), 1e-6)
    t = np.clip(((fg - c1) * d).sum(1) / dd, 0.0, 1.0)
    return np.linalg.norm(fg - (c1 + t[:, None] * d), axis=1)

def _draw_parameters(rng, n, size, clutter, classes, radius=(10.0, 23.0)):
    """Every per-image random number, drawn up front in a fixed order."""
    p = {}
    if classes is None:
        p["label"] = rng.integers(0, len(CLASS_NAMES), size=n)
    else:
        rng.integers(0, len(CLASS_NAMES), size=n)  # keep the stream identical
        p["label"] = classes
    s = size / 64.0
    r = rng.uniform(radius[0], radius[1], size=n) * s  # outer radius of the shape, pixels (at 64 px)
    p["r"] = r
    margin = 1.0 * s
    u = rng.uniform(0.0, 1.0, size=(n, 2))
    lo = r + margin
    p["cx"] = lo + u[:, 0] * (size - 2 * lo)
    p["cy"] = lo + u[:, 1] * (size - 2 * lo)
    p["theta"] = rng.uniform(0.0, 2 * np.pi, size=n)
    # Background: type 0 flat + noise, 1 stripes, 2 linear gradient, 3 waves.
    bg_type = rng.integers(0, 4, size=n)
    c1 = rng.uniform(0, 255, size=(n, 3))
    offset = rng.normal(size=(n, 3))
    offset *= (rng.uniform(40, 110, size=n) / np.linalg.norm(offset, axis=1))[:, None]
    c2 = np.clip(c1 + offset, 0, 255)
    bg_angle = rng.uniform(0, 2 * np.pi, size=(n, 3))
    bg_freq = rng.uniform(0.0, 1.0, size=(n, 3))
    bg_phase = rng.uniform(0, 2 * np.pi, size=(n, 3))
    bg_hard = rng.uniform(1.0, 6.0, size=n)
    if not clutter:
        bg_type[:] = 0
        c2 = c1.copy()
    p.update(bg_type=bg_type, c1=c1, c2=c2, bg_angle=bg_angle, bg_freq=bg_freq,
             bg_phase=bg_phase, bg_hard=bg_hard)
    # Foreground colour, far enough from every background colour (the segment c1-c2).
    fg = rng.uniform(0, 255, size=(n, 3))
    for _ in range(200):
        bad = _segment_distance_to_colour(fg, c1, c2) < _MIN_CONTRAST
        if not bad.any():
            break
        fg[bad] = rng.uniform(0, 255, size=(int(bad.sum()), 3))
    else:  # pragma: no cover - probability ~0
        raise RuntimeError("could not draw contrasting shape colours")
    p["fg"] = fg
    p["shade"] = rng.uniform(-0.15, 0.15, size=(n, 2))
    p["noise"] = rng.uniform(3.0, 14.0, size=n) if clutter else np.full(n, 4.0)
    # Distractor strokes (drawn under the shape): up to 4 short line segments.
    k = 4
    p["n_strokes"] = rng.integers(1, k + 1, size=n) if clutter else np.zeros(n, dtype=np.int64)
    p["st_center"] = rng.uniform(0, size, size=(n, k, 2))
    p["st_len"] = rng.uniform(4.0, 11.0, size=(n, k)) * s
    p["st_angle"] = rng.uniform(0, np.pi, size=(n, k))
    p["st_width"] = rng.uniform(0.6, 1.2, size=(n, k)) * s
    p["st_colour"] = rng.uniform(0, 255, size=(n, k, 3))
    return p

def _generate(n, seed, size, clutter, classes, dtype, want_masks, radius=(10.0, 23.0)):
    ss = np.random.SeedSequence(seed)
    param_ss, pixel_ss = ss.spawn(2)
    p = _draw_parameters(np.random.default_rng(param_ss), n, size, clutter, classes, radius)
    images = np.empty((n, size, size, 3), dtype)
    masks = np.empty((n, size, size), bool) if want_masks else None
    boxes = np.empty((n, 4), np.float32)
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    for i, cs in enumerate(pixel_ss.spawn(n_chunks)):
        sl = slice(i * _CHUNK, min(n, (i + 1) * _CHUNK))
        img, m, (oy, ox) = _render_chunk(p, sl, size, np.random.default_rng(cs))
        images[sl] = img
        w = m.shape[1]
        if want_masks:
            masks[sl] = False
            b = np.arange(m.shape[0])[:, None, None]
            masks[sl][b, oy[:, None, None] + np.arange(w)[:, None], ox[:, None, None] + np.arange(w)] = m
        cols, rows = m.any(axis=1), m.any(axis=2)           # (B, w): which window columns / rows hold the object
        if not cols.any(axis=1).all():  # pragma: no cover - excluded by the size limits
            raise RuntimeError("a shape covered no pixel centre; please report this seed")
        boxes[sl, 0] = ox + cols.argmax(1)
        boxes[sl, 1] = oy + rows.argmax(1)
        boxes[sl, 2] = ox + w - cols[:, ::-1].argmax(1)
        boxes[sl, 3] = oy + w - rows[:, ::-1].argmax(1)
    labels = np.asarray(p["label"], dtype=np.int64)
    return images, labels, boxes, masks

def make_shapes(n, seed=0, size=IMAGE_SIZE, clutter=True, return_masks=False, classes=None):
    """Generate the synthetic shapes data set.

    Each image holds one shape of class ``CLASS_NAMES[label]`` (circle, square,
    triangle, star, cross, ring) at a random position, size (radius 10-23 px
    at 64 px), rotation and colour, anti-aliased, drawn on a background that
    is flat, striped, a gradient or wavy (random colours), over 1-4 small
    distractor strokes, with pixel noise; values are rounded like an 8-bit
    photo.  Colours and backgrounds are drawn independently of the class, so
    the class cannot be read from a colour: only the outline tells it.

    Args:
        n: number of images (>= 1).
        seed: int seed; the same (n, seed, size, clutter, classes) gives the
            same arrays every time (numpy ``default_rng``).
        size: image side in pixels (24..512); 64 is ShapesNet's input size.
        clutter: False gives clean images (flat noisy background, no strokes),
            e.g. for demo pictures.
        return_masks: also return the object masks.
        classes: optional (n,) class ids to draw instead of random classes.

    Returns:
        images (n, size, size, 3) float32 in 0..255 (integer-valued),
        labels (n,) int64 in 0..5,
        boxes (n, 4) float32 (x0, y0, x1, y1): the tight box of the object's
        pixels in pixel-edge coordinates, i.e. ``images[i, y0:y1, x0:x1]`` is
        the smallest crop holding every pixel whose centre lies inside the
        shape (x1 - x0 is the object's width in pixels),
        and with ``return_masks=True`` masks (n, size, size) bool, True where
        the pixel centre is inside the shape.

    Used by: helpers.models (ShapesNet sample images), the Grad-CAM notebook
    (pointing game and boxes), ``train``.
    """
    n = check_int(n, "n", 1)
    size = check_int(size, "size", _MIN_SIZE, _MAX_SIZE)
    seed = check_int(seed, "seed", 0)
    if not isinstance(clutter, (bool, np.bool_)):
        raise TypeError(f"clutter must be True or False, got {clutter!r}")
    if classes is not None:
        classes = np.asarray(classes)
        if classes.shape != (n,) or not np.issubdtype(classes.dtype, np.integer):
            raise ValueError(f"classes must be {n} integer class ids (shape ({n},)), got shape {classes.shape} "
                             f"dtype {classes.dtype}")
        if classes.min() < 0 or classes.max() >= len(CLASS_NAMES):
            raise ValueError(f"classes must be in 0..{len(CLASS_NAMES) - 1} ({', '.join(CLASS_NAMES)})")
        classes = classes.astype(np.int64)
    images, labels, boxes, masks = _generate(n, seed, size, bool(clutter), classes, np.float32, return_masks)
    if return_masks:
        return images, labels, boxes, masks
    return images, labels, boxes

def sample_images():
    """One clean example per class, generated from a fixed seed.

    Returns:
        dict class name -> (64, 64, 3) float32 image in 0..255, in the order
        of ``CLASS_NAMES``.  The shipped ShapesNet classifies each correctly
        (tests/test_shapes.py checks it).

    Used by: the model card (``card.sample_images()``) in every convnet notebook.
    """
    # Like make_shapes(6, SAMPLE_SEED, clutter=False, classes=0..5) but with large shapes (radius 17-21 px).
    images, _, _, _ = _generate(len(CLASS_NAMES), SAMPLE_SEED, IMAGE_SIZE, False, np.arange(len(CLASS_NAMES)),
                                np.float32, False, radius=(17.0, 21.0))
    return {name: images[i] for i, name in enumerate(CLASS_NAMES)}
