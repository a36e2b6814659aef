"""Drawing the shapes: signed distances of the six outlines, backgrounds, strokes, noise.

:func:`_render_chunk` turns a chunk of per-image parameters (drawn by
:mod:`.data`) into anti-aliased images and object masks; everything is
vectorised over the chunk and each shape and stroke is drawn in a small
window around its centre.  ``CLASS_NAMES`` lists the outlines this module
can draw, in class-id order.

Used by :mod:`helpers.shapes.data` (``make_shapes``, ``sample_images``).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

CLASS_NAMES = ["circle", "square", "triangle", "star", "cross", "ring"]


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
