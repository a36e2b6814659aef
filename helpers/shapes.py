"""ShapesNet: a synthetic shapes data set and the small VGG-style convnet trained on it.

The course's lecture model is VGG16 with ImageNet weights, which cannot be
downloaded offline.  This module gives the course a model it trains itself,
on images it generates itself, where the true position of the object is
known (so Grad-CAM's localisation can be measured honestly):

* ``make_shapes(n, seed)`` draws coloured shapes (six classes, ``CLASS_NAMES``)
  at random position, size, rotation and colour on noisy / striped / gradient /
  wavy backgrounds with small distractor strokes, and returns the images, the
  labels and the tight boxes (and the masks) of the objects.
* ``build_shapesnet`` builds the network: 4 VGG-style blocks of two 3x3 convs
  (16-32-64-128 filters, layer names ``block1_conv1`` ... ``block4_conv2`` as
  in VGG16), max pooling after blocks 1-3 (the last map is 8x8 for 64 px
  inputs), global average pooling, ``Dense(6, name="logits")`` and a separate
  ``Activation("softmax", name="predictions")``.
* ``train`` (``python -m helpers.shapes train``, ``make shapesnet``) trains it
  with BatchNorm and exports a BatchNorm-free copy (each BatchNorm folded into
  the convolution before it) to ``data/models/shapesnet.keras`` with a
  training card ``data/models/shapesnet.md``.
* ``load_shapesnet`` / ``sample_images`` are used by the model card
  (``helpers.models.load_model("shapesnet")``) in every convnet notebook.

Used by: helpers/models.py (the model card) and every convnet notebook when
``COURSE_MODEL=shapesnet`` (tests, CI, offline machines); the Grad-CAM
notebook uses ``make_shapes`` boxes for the pointing game.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import DATA_DIR

_T_IMPORT = time.monotonic()  # the training budget counts from here when run as a command

CLASS_NAMES = ["circle", "square", "triangle", "star", "cross", "ring"]
IMAGE_SIZE = 64
LAST_CONV_LAYER = "block4_conv2"
MODEL_PATH = os.path.join(DATA_DIR, "models", "shapesnet.keras")
CARD_PATH = os.path.join(DATA_DIR, "models", "shapesnet.md")
FILTERS = (16, 32, 64, 128)

# Seeds.  Training data uses --seed (default TRAIN_SEED); the training card's
# held-out accuracy uses HELDOUT_SEED; the unit tests use yet another seed.
TRAIN_SEED = 0
HELDOUT_SEED = 12345
HELDOUT_SIZE = 2000
SAMPLE_SEED = 2024

# Shipped training settings (the defaults of ``python -m helpers.shapes train``).
DEFAULT_EPOCHS = 6
DEFAULT_N_TRAIN = 14000
DEFAULT_BATCH_SIZE = 64
DEFAULT_LR = 2e-3
DEFAULT_MAX_MINUTES = 8.5

_CHUNK = 500          # images rendered at a time (fixed: results do not depend on n's chunking)
_MIN_SIZE = 24        # below this the smallest shapes may cover no pixel centre
_MAX_SIZE = 512
_MIN_CONTRAST = 80.0  # RGB distance between a shape's colour and its background's colours


# --------------------------------------------------------------- data set ----

def _check_int(name, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} ({value!r})")
    value = int(value)
    if value < low or (high is not None and value > high):
        rng = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {rng}, got {value}")
    return value


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


def _shape_distance(label, u, v, r):
    """Signed distance (pixels, < 0 inside) of points (u, v) in the shape's frame.

    label: int class; u, v: (B, S, S) float32; r: (B, 1, 1) outer radius.
    Exact inside every shape and near its edges, a lower bound further out,
    which is all that anti-aliasing needs.
    """
    name = CLASS_NAMES[label]
    if name == "circle":
        return np.sqrt(u * u + v * v) - 0.9 * r
    if name == "ring":
        return np.abs(np.sqrt(u * u + v * v) - 0.68 * r) - 0.22 * r
    if name == "square":
        return np.maximum(np.abs(u), np.abs(v)) - 0.68 * r
    if name == "cross":
        au, av = np.abs(u), np.abs(v)
        arm, half = 0.92 * r, 0.3 * r
        return np.minimum(np.maximum(au - arm, av - half), np.maximum(au - half, av - arm))
    if name == "triangle":  # equilateral, circumradius r, a vertex on the +u axis
        d = None
        for phi in (np.pi / 3, np.pi, 5 * np.pi / 3):
            e = u * np.float32(np.cos(phi)) + v * np.float32(np.sin(phi))
            d = e if d is None else np.maximum(d, e)
        return d - 0.5 * r
    if name == "star":  # five points, outer radius r, inner radius 0.45 r
        rho = np.sqrt(u * u + v * v)
        sector = 2 * np.pi / 5
        a = np.abs(np.mod(np.arctan2(v, u) + sector / 2, sector) - sector / 2)  # in [0, pi/5]
        qx, qy = rho * np.cos(a), rho * np.sin(a)
        # Edge from the tip P = (1, 0) to the inner vertex I = 0.45 (cos 36deg, sin 36deg), in units of r.
        ix, iy = 0.45 * np.cos(np.pi / 5), 0.45 * np.sin(np.pi / 5)
        ex, ey = ix - 1.0, iy
        nx, ny = ey, -ex                      # normal; points away from the origin (n.P > 0)
        norm = math.hypot(nx, ny)
        nx, ny = np.float32(nx / norm), np.float32(ny / norm)
        return (qx - r) * nx + qy * ny
    raise AssertionError(name)  # pragma: no cover


def _render_chunk(p, sl, size, rng):
    """Render images sl of the parameter dict p (rng: this chunk's pixel-noise generator).

    Returns images (B, S, S, 3) float32 0..255, masks (B, w, w) bool of the
    shape's window (pixel centre inside the shape), window origins (oy, ox) (B,).
    """
    f32 = np.float32
    n = sl.stop - sl.start
    g = np.arange(size, dtype=f32) + f32(0.5)   # pixel-centre coordinates along x or y

    def col(name, idx=None):
        a = p[name][sl] if idx is None else p[name][sl][idx]
        return a.astype(f32)

    # Background intensity t in [0, 1] between colours c1 and c2.
    t = np.full((n, size, size), 0.5, f32)   # kind 0: flat (noise comes at the end)
    bg_type = p["bg_type"][sl]
    for kind in (1, 2, 3):
        idx = np.nonzero(bg_type == kind)[0]
        if idx.size == 0:
            continue
        ang = col("bg_angle", idx)
        freq = col("bg_freq", idx)
        phase = col("bg_phase", idx)
        cos_a, sin_a = np.cos(ang), np.sin(ang)                      # (b, 3)
        if kind == 1:    # stripes, period 4..12 px (scaled), soft or hard edges
            k = f32(2 * np.pi) / ((4.0 + 8.0 * freq[:, 0]) * f32(size / 64.0))
            w = _plane_wave(g, k * cos_a[:, 0], k * sin_a[:, 0], phase[:, 0])
            hard = col("bg_hard", idx)[:, None, None]
            t[idx] = np.clip(0.5 + 0.5 * hard * w, 0.0, 1.0)
        elif kind == 2:  # linear gradient across the image
            slope = (0.6 + freq[:, 0]) / f32(size)
            gx = (g[None, :] - f32(size / 2)) * (slope * cos_a[:, 0])[:, None]    # (b, S)
            gy = (g[None, :] - f32(size / 2)) * (slope * sin_a[:, 0])[:, None]
            t[idx] = np.clip(0.5 + gx[:, None, :] + gy[:, :, None], 0.0, 1.0)
        else:            # sum of three low-frequency waves (1..4 cycles per image)
            k = f32(2 * np.pi) * (1.0 + 3.0 * freq) / f32(size)            # (b, 3)
            w = sum(_plane_wave(g, k[:, j] * cos_a[:, j], k[:, j] * sin_a[:, j], phase[:, j]) for j in range(3))
            t[idx] = 0.5 + w / 6.0
    c1 = col("c1")[:, None, None, :]
    c2 = col("c2")[:, None, None, :]
    img = c1 + t[..., None] * (c2 - c1)

    # Distractor strokes, under the shape, each drawn in a small window around its centre.
    n_strokes = p["n_strokes"][sl]
    s = size / 64.0
    w_st = min(size, int(math.ceil(2 * (6.1 * s + 1.0))) + 1)   # > the stroke's reach (half length + width + AA)
    for k in range(p["st_len"].shape[1]):
        idx = np.nonzero(n_strokes > k)[0]
        if idx.size == 0:
            continue
        c = p["st_center"][sl][idx, k].astype(f32)
        (oy, ox), (Xw, Yw) = _windows(c[:, 0], c[:, 1], w_st, size)
        half = (p["st_len"][sl][idx, k] / 2).astype(f32)
        ang = p["st_angle"][sl][idx, k].astype(f32)
        dx, dy = np.cos(ang) * half, np.sin(ang) * half
        ax, ay = (c[:, 0] - dx)[:, None, None], (c[:, 1] - dy)[:, None, None]
        bx, by = (2 * dx)[:, None, None], (2 * dy)[:, None, None]
        px, py = Xw - ax, Yw - ay
        h = np.clip((px * bx + py * by) / (bx * bx + by * by), 0.0, 1.0)
        half_width = p["st_width"][sl][idx, k].astype(f32)[:, None, None] / 2
        dist = np.sqrt((px - h * bx) ** 2 + (py - h * by) ** 2) - half_width
        cov = np.clip(0.5 - dist, 0.0, 1.0)[..., None]
        colour = p["st_colour"][sl][idx, k].astype(f32)[:, None, None, :]
        win = sliding_window_view(img, (w_st, w_st), axis=(1, 2), writeable=True)  # (B, ., ., 3, w, w) view
        patch = np.moveaxis(win[idx, oy, ox], 1, -1)
        win[idx, oy, ox] = np.moveaxis(patch + cov * (colour - patch), -1, 1)

    # The shape, in a window around its centre large enough for the largest shape.
    w_sh = min(size, int(math.ceil(2 * (23.0 * s + 1.5))))
    cxv, cyv = col("cx"), col("cy")
    (oy, ox), (Xw, Yw) = _windows(cxv, cyv, w_sh, size)
    th = col("theta")
    ct, st = np.cos(th)[:, None, None], np.sin(th)[:, None, None]
    dxs, dys = Xw - cxv[:, None, None], Yw - cyv[:, None, None]
    u = ct * dxs + st * dys
    v = -st * dxs + ct * dys
    r = col("r")[:, None, None]
    d = np.empty((n, w_sh, w_sh), f32)
    labels = p["label"][sl]
    for c in range(len(CLASS_NAMES)):
        idx = np.nonzero(labels == c)[0]
        if idx.size:
            d[idx] = _shape_distance(c, u[idx], v[idx], r[idx])
    cov = np.clip(0.5 - d, 0.0, 1.0)[..., None]
    shade = col("shade")
    shading = 1.0 + (shade[:, 0, None, None] * u + shade[:, 1, None, None] * v) / r   # +-15 % across the shape
    fg = col("fg")[:, None, None, :] * shading[..., None]
    win = sliding_window_view(img, (w_sh, w_sh), axis=(1, 2), writeable=True)
    everyone = np.arange(n)
    patch = np.moveaxis(win[everyone, oy, ox], 1, -1)
    win[everyone, oy, ox] = np.moveaxis(patch + cov * (np.clip(fg, 0, 255) - patch), -1, 1)

    # Sensor noise over everything (uniform, standard deviation p["noise"]: uniform bytes are
    # ~10x cheaper than normals), then quantise like a real 8-bit image.
    noise = rng.integers(0, 256, size=img.shape, dtype=np.uint8).astype(f32)
    noise -= f32(127.5)
    noise *= (col("noise") / f32(73.9))[:, None, None, None]
    img += noise
    np.clip(img, 0, 255, out=img)
    np.round(img, out=img)
    # Mask of the object (pixel centre inside the shape) and its window origin.
    return img, d < 0, (oy, ox)


def _plane_wave(g, kx, ky, phase):
    """sin(kx * x + ky * y + phase) on the pixel-centre grid g (S,), for (b,) parameters -> (b, S, S).

    Separable (sin(a + b) = sin a cos b + cos a sin b): four 1-D sines instead of one per pixel.
    """
    ax = kx[:, None] * g[None, :] + phase[:, None]
    by = ky[:, None] * g[None, :]
    return np.sin(ax)[:, None, :] * np.cos(by)[:, :, None] + np.cos(ax)[:, None, :] * np.sin(by)[:, :, None]


def _windows(cx, cy, w, size):
    """A w x w window around each point (cx, cy) (B,), clipped inside the image.

    Returns (oy, ox) integer origins (B,) and (X, Y) pixel-centre
    coordinates (B, w, w) of the windows' pixels.
    """
    ar = np.arange(w)
    ox = np.clip(np.floor(cx).astype(np.int64) - w // 2, 0, size - w)
    oy = np.clip(np.floor(cy).astype(np.int64) - w // 2, 0, size - w)
    xx = ox[:, None, None] + ar[None, None, :]
    yy = oy[:, None, None] + ar[None, :, None]
    X = (xx + 0.5).astype(np.float32)
    Y = (yy + 0.5).astype(np.float32)
    shape = (len(cx), w, w)
    return (oy, ox), (np.broadcast_to(X, shape), np.broadcast_to(Y, shape))


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
    n = _check_int("n", n, 1)
    size = _check_int("size", size, _MIN_SIZE, _MAX_SIZE)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
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
    images, labels, boxes, masks = _generate(n, int(seed), size, bool(clutter), classes, np.float32, return_masks)
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


# ------------------------------------------------------------------ model ----

def build_shapesnet(batchnorm=True, filters=FILTERS, input_size=IMAGE_SIZE, num_classes=len(CLASS_NAMES),
                    bn_momentum=0.9):
    """Build ShapesNet (untrained).

    Architecture: input (input_size, input_size, 3) in 0..255, Rescaling to
    [-1, 1], then one block per entry of ``filters``, each two 3x3 'same'
    convolutions ``blockB_conv1``, ``blockB_conv2`` and a 2x2 max pooling
    ``blockB_pool`` after every block but the last; GlobalAveragePooling2D
    ``gap``, ``Dense(num_classes, name="logits")`` and
    ``Activation("softmax", name="predictions")``.

    With ``batchnorm=False`` every conv has the ReLU fused
    (``Conv2D(..., activation="relu")``), exactly like VGG16: this is the
    shipped model.  With ``batchnorm=True`` (training), each conv has no
    activation and no bias and is followed by ``BatchNormalization``
    (``blockB_bnC``, momentum ``bn_momentum``) and ``Activation("relu")``
    (``blockB_reluC``); ``fold_batchnorm`` turns it into the shipped form.

    Args:
        batchnorm: see above.
        filters: filters per block (default 16, 32, 64, 128).
        input_size: image side; must be divisible by 2 ** (len(filters) - 1).
        num_classes: outputs.
        bn_momentum: BatchNorm momentum (0.9: with Keras's 0.99 a short run
            stayed at chance).

    Returns:
        keras.Model named "shapesnet" (or "shapesnet_bn"), outputs softmax
        probabilities (N, num_classes).

    Used by: ``train``, tests/test_shapes.py.
    """
    import keras
    from keras import layers

    filters = tuple(filters)
    if not filters or not all(isinstance(f, (int, np.integer)) and not isinstance(f, bool) and f >= 1
                              for f in filters):
        raise ValueError(f"filters must be a non-empty sequence of positive integers, got {filters!r}")
    input_size = _check_int("input_size", input_size, 1)
    num_classes = _check_int("num_classes", num_classes, 2)
    if input_size % (2 ** (len(filters) - 1)):
        raise ValueError(f"input_size {input_size} must be divisible by 2**{len(filters) - 1} "
                         f"(one 2x2 pooling after each of the first {len(filters) - 1} blocks)")

    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescaling")(inputs)
    for b, f in enumerate(filters, start=1):
        for c in (1, 2):
            name = f"block{b}_conv{c}"
            if batchnorm:
                x = layers.Conv2D(int(f), 3, padding="same", use_bias=False, name=name)(x)
                x = layers.BatchNormalization(momentum=bn_momentum, name=f"block{b}_bn{c}")(x)
                x = layers.Activation("relu", name=f"block{b}_relu{c}")(x)
            else:
                x = layers.Conv2D(int(f), 3, padding="same", activation="relu", name=name)(x)
        if b < len(filters):
            x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(num_classes, name="logits")(x)
    outputs = layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="shapesnet_bn" if batchnorm else "shapesnet")


def fold_batchnorm(bn_model):
    """Fold every BatchNorm of a ``build_shapesnet(batchnorm=True)`` model into its conv.

    For a conv with kernel W (bias b, 0 if none) followed by BatchNorm with
    gamma, beta, moving mean m and variance v (epsilon e), the inference-mode
    output is s * (W*x + b - m) + beta with s = gamma / sqrt(v + e), i.e. a conv
    with kernel W * s (per output channel) and bias s * (b - m) + beta.

    Args:
        bn_model: a model built by ``build_shapesnet(batchnorm=True, ...)``
            (any filters / input size), trained or not.

    Returns:
        keras.Model built by ``build_shapesnet(batchnorm=False, ...)`` with
        the folded weights: same outputs as ``bn_model(x, training=False)``
        up to float rounding.

    Used by: ``train``, tests/test_shapes.py.
    """
    import keras

    if not isinstance(bn_model, keras.Model):
        raise TypeError(f"fold_batchnorm expects a keras.Model, got {type(bn_model).__name__}")
    names = [layer.name for layer in bn_model.layers]
    n_blocks = 0
    while f"block{n_blocks + 1}_conv1" in names:
        n_blocks += 1
    if n_blocks == 0 or f"block1_bn1" not in names:
        raise ValueError("fold_batchnorm expects a model from build_shapesnet(batchnorm=True): "
                         "layers blockB_convC each followed by blockB_bnC")
    filters = [bn_model.get_layer(f"block{b}_conv1").filters for b in range(1, n_blocks + 1)]
    logits = bn_model.get_layer("logits")
    plain = build_shapesnet(batchnorm=False, filters=filters, input_size=bn_model.input_shape[1],
                            num_classes=logits.units)
    for b in range(1, n_blocks + 1):
        for c in (1, 2):
            conv = bn_model.get_layer(f"block{b}_conv{c}")
            bn = bn_model.get_layer(f"block{b}_bn{c}")
            kernel = np.asarray(conv.kernel, dtype=np.float64)
            bias = np.asarray(conv.bias, dtype=np.float64) if conv.use_bias else np.zeros(kernel.shape[-1])
            gamma = np.asarray(bn.gamma, dtype=np.float64) if bn.scale else np.ones(kernel.shape[-1])
            beta = np.asarray(bn.beta, dtype=np.float64) if bn.center else np.zeros(kernel.shape[-1])
            mean = np.asarray(bn.moving_mean, dtype=np.float64)
            var = np.asarray(bn.moving_variance, dtype=np.float64)
            s = gamma / np.sqrt(var + bn.epsilon)
            plain.get_layer(f"block{b}_conv{c}").set_weights(
                [(kernel * s).astype(np.float32), (s * (bias - mean) + beta).astype(np.float32)])
    plain.get_layer("logits").set_weights(logits.get_weights())
    return plain


def load_shapesnet(path=None):
    """Load the shipped ShapesNet (not compiled): its architecture from ``build_shapesnet``, its weights from the file.

    Args:
        path: a .keras file; default ``MODEL_PATH`` (data/models/shapesnet.keras).

    Returns:
        keras.Model: (N, 64, 64, 3) float32 images in 0..255 -> (N, 6) softmax
        probabilities; conv layers block1_conv1 ... block4_conv2 (ReLU fused).

    Raises:
        FileNotFoundError (saying to run ``make shapesnet``) when the file is missing.

    Used by: helpers.models.load_model("shapesnet").
    """
    import keras

    path = MODEL_PATH if path is None else os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"ShapesNet weights not found at {path}. Run `make shapesnet` (or "
            f"`python -m helpers.shapes train`) to train them (<= 10 minutes on a CPU).")
    # The architecture is built here and only the weights are read from the file: a .keras file's
    # layer configs carry the saving Keras's arguments (3.15 writes GlorotUniform(input_axes=...)),
    # which an older Keras (Colab's 3.13) refuses to deserialize.
    model = build_shapesnet(batchnorm=False)
    try:
        model.load_weights(path)
    except Exception as exc:   # another model's file, or a damaged one: say which file and what to do
        raise ValueError(f"{path} does not hold ShapesNet's weights ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0][:200] if str(exc) else ''}). Restore it with "
                         "`git checkout -- data/models/shapesnet.keras` or retrain it with `make shapesnet`.") from None
    return model


# --------------------------------------------------------------- training ----

def _augment(x):
    """Random flips and 90-degree rotations (all 8 symmetries of the square), per image."""
    import tensorflow as tf

    n = tf.shape(x)[0]
    flags = tf.random.uniform((n, 3)) < 0.5
    x = tf.where(flags[:, 0, None, None, None], tf.transpose(x, [0, 2, 1, 3]), x)
    x = tf.where(flags[:, 1, None, None, None], tf.reverse(x, axis=[1]), x)
    x = tf.where(flags[:, 2, None, None, None], tf.reverse(x, axis=[2]), x)
    return x


def _make_budget_callback(total_steps, base_lr, train_budget_s):
    import keras

    class _CosineWithDeadline(keras.callbacks.Callback):
        """Cosine learning-rate decay over max(step fraction, wall-clock fraction); stops at 100 %.

        With time to spare this is a plain cosine schedule over the fixed
        number of epochs.  When the machine is slow, the schedule is squeezed
        so that the rate still reaches ~0 when the wall-clock budget runs out,
        and training stops there (recorded in the training card).
        """

        def __init__(self):
            super().__init__()
            self.step = 0
            self.stopped_by_budget = False
            self.t0 = None

        def on_train_begin(self, logs=None):
            self.t0 = time.monotonic()

        def _progress(self):
            return max(self.step / total_steps, (time.monotonic() - self.t0) / train_budget_s)

        def on_train_batch_begin(self, batch, logs=None):
            frac = min(self._progress(), 1.0)
            self.model.optimizer.learning_rate.assign(base_lr * 0.5 * (1.0 + math.cos(math.pi * frac)))

        def on_train_batch_end(self, batch, logs=None):
            self.step += 1
            if self.step < total_steps and self._progress() >= 1.0:
                self.stopped_by_budget = True
                self.model.stop_training = True

    return _CosineWithDeadline()


def train(epochs=DEFAULT_EPOCHS, n_train=DEFAULT_N_TRAIN, seed=TRAIN_SEED, out=MODEL_PATH,
          max_minutes=DEFAULT_MAX_MINUTES, batch_size=DEFAULT_BATCH_SIZE, lr=DEFAULT_LR, command=None,
          verbose=2, t_start=None):
    """Train ShapesNet from scratch and write the model file and its training card.

    Generates ``n_train`` images with ``make_shapes(n_train, seed)``, trains
    the BatchNorm model (Adam, cosine learning-rate decay, random flips and
    90-degree rotations) for ``epochs`` epochs or until the wall-clock budget
    ``max_minutes`` (counted from ``t_start``, default the start of this call;
    the command passes the time helpers.shapes was imported) minus ~30 s for
    evaluation and saving runs out (the cosine schedule is then squeezed so
    the rate still decays to ~0), folds BatchNorm into the convs, saves the
    BatchNorm-free model without optimizer state to ``out`` and a markdown
    card next to it (``.md``) with the held-out accuracy on
    ``make_shapes(2000, HELDOUT_SEED)``.

    Returns:
        dict of what the card records (accuracy, times, epochs run, ...).

    Used by: ``python -m helpers.shapes train`` / ``make shapesnet``.
    """
    t_start = time.monotonic() if t_start is None else t_start
    epochs = _check_int("epochs", epochs, 1)
    n_train = _check_int("n_train", n_train, 100)
    batch_size = _check_int("batch_size", batch_size, 1)
    seed = _check_int("seed", seed, 0)
    if seed == HELDOUT_SEED:
        raise ValueError(f"seed {HELDOUT_SEED} is reserved for the held-out evaluation; choose another")
    if not (isinstance(max_minutes, (int, float)) and max_minutes > 1.0):
        raise ValueError(f"max_minutes must be a number > 1, got {max_minutes!r}")
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    out = os.fspath(out)
    if not out.endswith(".keras"):
        raise ValueError(f"out must be a .keras file, got {out!r}")
    out_dir = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(out_dir):
        raise FileNotFoundError(f"output folder {out_dir} does not exist; create it first")

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    t0 = time.monotonic()
    x_train, y_train, _, _ = _generate(n_train, seed, IMAGE_SIZE, True, None, np.uint8, False)
    gen_s = time.monotonic() - t0
    print(f"generated {n_train} training images (seed {seed}) in {gen_s:.1f} s", flush=True)

    ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
          .shuffle(n_train, seed=seed, reshuffle_each_iteration=True)
          .batch(batch_size)
          .map(lambda x, y: (_augment(tf.cast(x, tf.float32)), y), num_parallel_calls=tf.data.AUTOTUNE)
          .prefetch(tf.data.AUTOTUNE))
    steps_per_epoch = (n_train + batch_size - 1) // batch_size
    total_steps = epochs * steps_per_epoch

    model = build_shapesnet(batchnorm=True)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"], jit_compile=False)  # XLA was 4x slower on this CPU
    reserve_s = 30.0
    train_budget_s = max_minutes * 60.0 - (time.monotonic() - t_start) - reserve_s
    if train_budget_s < 30:
        raise ValueError(f"max_minutes={max_minutes} leaves no time to train after generating the data")
    budget = _make_budget_callback(total_steps, lr, train_budget_s)
    t0 = time.monotonic()
    history = model.fit(ds, epochs=epochs, callbacks=[budget], verbose=verbose, shuffle=False)
    train_s = time.monotonic() - t0
    epochs_run = budget.step / steps_per_epoch

    plain = fold_batchnorm(model)
    x_val, y_val, _ = make_shapes(HELDOUT_SIZE, seed=HELDOUT_SEED)
    p_plain = plain.predict(x_val, batch_size=250, verbose=0)
    p_bn = model.predict(x_val, batch_size=250, verbose=0)
    fold_diff = float(np.abs(p_plain - p_bn).max())
    pred = p_plain.argmax(1)
    acc = float((pred == y_val).mean())
    per_class = {CLASS_NAMES[c]: float((pred[y_val == c] == c).mean()) for c in range(len(CLASS_NAMES))}
    plain.save(out)
    size_mb = os.path.getsize(out) / 1e6
    wall_s = time.monotonic() - t_start

    info = dict(
        seed=seed, n_train=n_train, epochs=epochs, epochs_run=epochs_run, steps=budget.step,
        total_steps=total_steps, stopped_by_budget=budget.stopped_by_budget, batch_size=batch_size, lr=lr,
        max_minutes=max_minutes, heldout_seed=HELDOUT_SEED, heldout_size=HELDOUT_SIZE, accuracy=acc,
        per_class=per_class, fold_diff=fold_diff, gen_s=gen_s, train_s=train_s, wall_s=wall_s,
        size_mb=size_mb, final_train_accuracy=float(history.history["accuracy"][-1]),
        final_train_loss=float(history.history["loss"][-1]),
        command=command or f"python -m helpers.shapes train --epochs {epochs} --n-train {n_train} --seed {seed}",
        tf_version=tf.__version__, keras_version=keras.__version__, numpy_version=np.__version__,
        python_version=platform.python_version(), machine=f"{platform.machine()}, {os.cpu_count()} CPU cores",
        out=out,
    )
    card = os.path.splitext(out)[0] + ".md"
    with open(card, "w", encoding="utf-8") as fh:
        fh.write(_card_text(info))
    print(f"held-out accuracy {acc:.4f} on {HELDOUT_SIZE} images (seed {HELDOUT_SEED}); "
          f"wall time {wall_s:.0f} s; {out} ({size_mb:.2f} MB); card {card}", flush=True)
    return info


def _card_text(i):
    stop = (f"yes: the wall-clock budget ran out after {i['steps']} of {i['total_steps']} steps "
            f"({i['epochs_run']:.2f} of {i['epochs']} epochs; the cosine schedule was squeezed to end there)"
            if i["stopped_by_budget"] else f"no ({i['steps']} of {i['total_steps']} steps, all {i['epochs']} epochs)")
    per_class = ", ".join(f"{k} {v:.3f}" for k, v in i["per_class"].items())
    return f"""# ShapesNet training card

The course's offline model: a small VGG-style convnet trained from scratch on
synthetic shapes (`helpers.shapes.make_shapes`). Written by the training
command; the shipped `shapesnet.keras` is its output.

| | |
|---|---|
| Command | `{i['command']}` |
| Classes | {", ".join(CLASS_NAMES)} |
| Architecture | 64x64x3 input (0..255), Rescaling to [-1, 1], 4 blocks of two 3x3 convs (16-32-64-128, names block1_conv1 ... block4_conv2, ReLU), max pool after blocks 1-3 (last map 8x8), GAP, Dense(6) `logits`, softmax `predictions` |
| Training | with BatchNorm (momentum 0.9) after each conv, Adam lr {i['lr']:g} with cosine decay, batch {i['batch_size']}, random flips + 90-degree rotations |
| Export | BatchNorm folded into the conv kernels and biases; saved without optimizer state; max abs difference of the probabilities BN vs folded model on the held-out images: {i['fold_diff']:.2e} |
| Training data | {i['n_train']} images, `make_shapes({i['n_train']}, seed={i['seed']})` |
| Epochs | {i['epochs']} planned, {i['epochs_run']:.2f} run |
| Stopped by the {i['max_minutes']:g}-minute budget | {stop} |
| Final training loss / accuracy (augmented) | {i['final_train_loss']:.4f} / {i['final_train_accuracy']:.4f} |
| **Held-out accuracy** | **{i['accuracy']:.4f}** on {i['heldout_size']} images, `make_shapes({i['heldout_size']}, seed={i['heldout_seed']})` (a seed never used in training) |
| Per-class held-out accuracy | {per_class} |
| Wall time | {i['wall_s']:.0f} s total (data generation {i['gen_s']:.1f} s, training {i['train_s']:.0f} s) |
| File size | {i['size_mb']:.2f} MB |
| Versions | TensorFlow {i['tf_version']}, Keras {i['keras_version']}, NumPy {i['numpy_version']}, Python {i['python_version']} |
| Machine | {i['machine']} |
"""


def save_grid(path, n=24, seed=HELDOUT_SEED + 1, model=None):
    """Save a 4x6 grid of ``make_shapes`` images titled with predicted (and true) classes.

    Args:
        path: PNG file to write (folder created if needed).
        n: images (24 for a 4x6 grid).
        seed: data seed.
        model: classifier; default the shipped ShapesNet.

    Returns:
        (predicted labels (n,), true labels (n,)).

    Used by: the picture check of ``python -m helpers.shapes grid``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = load_shapesnet() if model is None else model
    images, labels, boxes = make_shapes(n, seed=seed)
    pred = model.predict(images, verbose=0).argmax(1)
    cols = 6
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.8, rows * 2.0))
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i].astype(np.uint8), interpolation="nearest")
        x0, y0, x1, y1 = boxes[i]
        ax.add_patch(plt.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, ec="yellow", lw=0.8))
        ok = pred[i] == labels[i]
        ax.set_title(CLASS_NAMES[pred[i]] + ("" if ok else f" (true {CLASS_NAMES[labels[i]]})"),
                     fontsize=9, color="black" if ok else "red")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return pred, labels


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m helpers.shapes",
                                     description="ShapesNet: train the course's offline model, or draw a sample grid.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train ShapesNet from scratch and write the model and its card")
    t.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    t.add_argument("--n-train", type=int, default=DEFAULT_N_TRAIN)
    t.add_argument("--seed", type=int, default=TRAIN_SEED)
    t.add_argument("--out", default=MODEL_PATH, help="output .keras file (the card is written next to it as .md)")
    t.add_argument("--max-minutes", type=float, default=DEFAULT_MAX_MINUTES,
                   help="wall-clock budget; training stops early (and says so in the card) to fit it")
    t.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    t.add_argument("--lr", type=float, default=DEFAULT_LR)
    g = sub.add_parser("grid", help="save a 4x6 grid of shapes with the model's predictions")
    g.add_argument("--out", default=os.path.join("build", "shapes_grid.png"))
    g.add_argument("--seed", type=int, default=HELDOUT_SEED + 1)
    args = parser.parse_args(argv)
    if args.cmd == "train":
        out = args.out
        shown = os.path.relpath(out) if os.path.isabs(out) else out
        command = (f"python -m helpers.shapes train --epochs {args.epochs} --n-train {args.n_train} "
                   f"--seed {args.seed} --out {shown} --max-minutes {args.max_minutes:g} "
                   f"--batch-size {args.batch_size} --lr {args.lr:g}")
        train(epochs=args.epochs, n_train=args.n_train, seed=args.seed, out=out, max_minutes=args.max_minutes,
              batch_size=args.batch_size, lr=args.lr, command=command, t_start=_T_IMPORT)
    else:
        pred, labels = save_grid(args.out, seed=args.seed)
        print(f"wrote {args.out}: {int((pred == labels).sum())}/{len(labels)} correct")
    return 0


if __name__ == "__main__":
    sys.exit(main())
