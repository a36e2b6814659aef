"""Regularisers of the pixel ascent (Yosinski et al. 2015) and their strengths.

What is here:

* :class:`Regularizers` (the strengths, 0 = off), :data:`PRESETS` (named
  settings: the paper's Table 1 rows ``yosinski1..4``, ``"robust"`` and
  ``"strong"`` for the Fourier parameterisation) and :func:`regularizers`
  (a preset plus overrides);
* the graph operations the pixel step applies after each update
  (:func:`blur_graph`, :func:`tv_gradient`, :func:`grey_below_percentile`,
  :func:`rms`), used by :mod:`helpers.maximize.param`.

The module is called ``regularize`` (not ``regularizers``) because
``helpers.maximize.regularizers`` is the public function that builds a
:class:`Regularizers`: a submodule of the same name would hide it.

Used by notebooks 02 and 03 through :mod:`helpers.maximize`.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..gaussian import gaussian_kernel
from ..inputs import check_int

__all__ = ["GREY", "Regularizers", "PRESETS", "regularizers", "norm_flags", "MIN_KERNEL", "blur_kernel",
           "blur_graph", "tv_gradient", "rms", "grey_below_percentile"]

#: The grey level that plays the role of "zero" (the paper's mean image).
GREY = 127.5


@dataclasses.dataclass(frozen=True)
class Regularizers:
    """Strengths of the optional regularisers; 0 switches one off.

    Attributes:
        l2_decay: fraction of (x - grey) removed after every step (paper: 0..0.3).
        blur_sigma: width (std, pixels) of the Gaussian blur.
        blur_every: blur every k steps (0 = never).
        norm_pct: percentile (0..100) of pixel norms set to grey after each step.
        contrib_pct: percentile (0..100) of pixel contributions set to grey.
        jitter: largest random shift (pixels) applied before each forward pass.
        tv: weight of the total-variation descent relative to the ascent.
        scale: largest random relative zoom before each forward pass (0.1:
            a factor drawn in 0.9..1.1), about the image centre, bilinear.
        rotate: largest random rotation (degrees) before each forward pass.
        pad: grey border (pixels) added before the jitter, zoom and rotation,
            so the network sees an image ``2 * pad`` pixels larger.
    """

    l2_decay: float = 0.0
    blur_sigma: float = 0.0
    blur_every: int = 0
    norm_pct: float = 0.0
    contrib_pct: float = 0.0
    jitter: int = 0
    tv: float = 0.0
    scale: float = 0.0
    rotate: float = 0.0
    pad: int = 0

    def __post_init__(self):
        checks = {
            "l2_decay": (0.0, 1.0), "blur_sigma": (0.0, 20.0), "blur_every": (0, 10**6),
            "norm_pct": (0.0, 100.0), "contrib_pct": (0.0, 100.0), "jitter": (0, 1000), "tv": (0.0, 1000.0),
            "scale": (0.0, 0.5), "rotate": (0.0, 180.0), "pad": (0, 1000),
        }
        for name, (lo, hi) in checks.items():
            value = getattr(self, name)
            if isinstance(lo, int):                   # pixels or steps
                check_int(value, f"regulariser {name} (a whole number of pixels/steps)", lo, hi)
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"regulariser {name} must be a number, got {value!r}")
            if not (lo <= float(value) <= hi) or not math.isfinite(float(value)):
                raise ValueError(f"regulariser {name}={value!r} is outside [{lo}, {hi}]")
        if (self.blur_every > 0) != (self.blur_sigma > 0):
            raise ValueError(
                f"blur needs both blur_sigma > 0 and blur_every > 0 (got blur_sigma={self.blur_sigma}, "
                f"blur_every={self.blur_every}); set both, or both to 0 for no blur."
            )

    @property
    def flags(self) -> tuple:
        """Which in-step regularisers are active (part of the compiled step's identity).

        ``(jitter, l2_decay, tv, norm_pct, contrib_pct, blur, scale, rotate)``
        as bools, then the pad width (an int: it sets the network's input shape).
        """
        return (self.jitter > 0, self.l2_decay > 0, self.tv > 0, self.norm_pct > 0, self.contrib_pct > 0,
                self.blur_every > 0, self.scale > 0, self.rotate > 0, int(self.pad))

    @property
    def pixel_only(self) -> list:
        """Names of the active regularisers that act on pixels after a step (not with ``"fourier"``)."""
        return [n for n in ("l2_decay", "blur_sigma", "norm_pct", "contrib_pct", "tv") if getattr(self, n) > 0]

    def describe(self) -> str:
        """Short text, e.g. ``"l2_decay=0.0001, blur 1.0 every 4"`` (``"none"`` if all off)."""
        parts = []
        for name in ("l2_decay", "blur", "norm_pct", "contrib_pct", "jitter", "tv", "scale", "rotate", "pad"):
            if name == "blur":
                if self.blur_every:
                    parts.append(f"blur {self.blur_sigma:g} every {self.blur_every}")
            elif getattr(self, name):
                parts.append(f"{name}={getattr(self, name):g}")
        return ", ".join(parts) or "none"


#: Named regulariser settings. ``yosinski1..4`` are the four rows of Table 1 of
#: Yosinski et al. 2015 (the paper ran them 500, 750, 1000 and 1000 steps; row 3
#: is the one used for most of its pictures). ``"filters"`` is this course's
#: default look for filter patterns, ``"none"`` plain gradient ascent.
#: ``"robust"`` is transformation robustness only (Olah et al. 2017 and Lucid's
#: standard transforms: grey border 12, jitter 8, zoom 0.9..1.1, rotation
#: +-10 degrees), the default of ``parameterization="fourier"`` for filters.
#: ``"strong"`` doubles the moves (jitter 16, zoom 0.8..1.2, rotation +-20
#: degrees; same border, so the same cost per step): the default of
#: ``parameterization="fourier"`` for classes. On EfficientNet-Lite0 (14
#: classes, 256 steps, looked at side by side) it turned textures into
#: flamingos, school buses, zebras and fire engines one can name; moving
#: even more (jitter 24, zoom +-30 %, rotation +-30) blurred them again
#: (data/gallery/README.md).
PRESETS: dict[str, Regularizers] = {
    "none": Regularizers(),
    "yosinski1": Regularizers(blur_sigma=0.5, blur_every=4, norm_pct=50),
    "yosinski2": Regularizers(l2_decay=0.3, norm_pct=20),
    "yosinski3": Regularizers(l2_decay=1e-4, blur_sigma=1.0, blur_every=4),
    "yosinski4": Regularizers(blur_sigma=0.5, blur_every=4, contrib_pct=90),
    "filters": Regularizers(blur_sigma=0.7, blur_every=4, jitter=1),
    "smooth": Regularizers(l2_decay=1e-3, blur_sigma=1.0, blur_every=4, jitter=2, tv=0.2),
    "robust": Regularizers(jitter=8, scale=0.1, rotate=10, pad=12),
    "strong": Regularizers(jitter=16, scale=0.2, rotate=20, pad=12),
}


def regularizers(preset=None, **overrides) -> Regularizers:
    """Build a :class:`Regularizers` from a preset name and/or individual values.

    Args:
        preset: None (all off), a name in :data:`PRESETS`, or a Regularizers.
        **overrides: any field of Regularizers, e.g. ``jitter=2``; ``None``
            values are ignored.
    Returns:
        Regularizers.
    Raises:
        ValueError for an unknown preset or field (listing the valid ones).
    """
    if preset is None:
        base = Regularizers()
    elif isinstance(preset, Regularizers):
        base = preset
    elif isinstance(preset, str) and preset in PRESETS:
        base = PRESETS[preset]
    else:
        raise ValueError(f"unknown regulariser preset {preset!r}; choose one of {sorted(PRESETS)}")
    fields = {f.name for f in dataclasses.fields(Regularizers)}
    unknown = set(overrides) - fields
    if unknown:
        raise ValueError(f"unknown regulariser(s) {sorted(unknown)}; valid: {sorted(fields)}")
    return dataclasses.replace(base, **{k: v for k, v in overrides.items() if v is not None})


def norm_flags(flags) -> tuple:
    """Flags as :attr:`Regularizers.flags` gives them: 8 bools and the pad width; shorter tuples padded."""
    flags = tuple(flags)
    bools = tuple(bool(f) for f in flags[:8]) + (False,) * max(0, 8 - len(flags))
    return bools + (int(flags[8]) if len(flags) > 8 else 0,)


# ------------------------------------------------ operations of the pixel step ----

#: Shortest blur kernel (taps). Kernels for sigma <= 1 are zero-padded to this
#: length, so the presets' widths (0.5, 0.7, 1.0) share one compiled loop.
MIN_KERNEL = 7


def blur_kernel(sigma: float) -> np.ndarray:
    """The ascent's blur kernel: :func:`helpers.gaussian.gaussian_kernel` of radius ceil(3 sigma) (>= 1),
    zero-padded to >= :data:`MIN_KERNEL` taps, float32."""
    radius = max(1, int(math.ceil(3.0 * sigma)))
    return gaussian_kernel(sigma, radius, min_taps=MIN_KERNEL).astype(np.float32)


def blur_graph(x, k):
    """Separable Gaussian blur of (B, H, W, 3) around grey with 1-D kernel k, reflect-padded."""
    import tensorflow as tf

    r = (tf.shape(k)[0] - 1) // 2
    z = tf.pad(x - GREY, [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
    kv = tf.tile(tf.reshape(k, [-1, 1, 1, 1]), [1, 1, 3, 1])
    kh = tf.tile(tf.reshape(k, [1, -1, 1, 1]), [1, 1, 3, 1])
    z = tf.nn.depthwise_conv2d(z, kv, [1, 1, 1, 1], "VALID")
    z = tf.nn.depthwise_conv2d(z, kh, [1, 1, 1, 1], "VALID")
    return z + GREY


def tv_gradient(x):
    """Gradient of ``tf.image.total_variation`` (summed over the batch) w.r.t. x, in closed form.

    TV = sum |x[i+1] - x[i]| over rows and columns, so each difference d
    adds sign(d) to the pixel after it and -sign(d) to the pixel before it.
    (Letting a GradientTape differentiate the slices costs 4x more per step.)
    """
    import tensorflow as tf

    sv = tf.sign(x[:, 1:] - x[:, :-1])
    sh = tf.sign(x[:, :, 1:] - x[:, :, :-1])
    none = [0, 0]
    return (tf.pad(sv, [none, [1, 0], none, none]) - tf.pad(sv, [none, [0, 1], none, none])
            + tf.pad(sh, [none, none, [1, 0], none]) - tf.pad(sh, [none, none, [0, 1], none]))


def rms(t):
    """Per-image RMS of (B, H, W, C) -> (B, 1, 1, 1)."""
    import tensorflow as tf

    return tf.sqrt(tf.reduce_mean(tf.square(t), axis=[1, 2, 3], keepdims=True))


def grey_below_percentile(z, score, pct):
    """Set pixels of z (B,H,W,3) whose score (B,H,W) is below the pct percentile of their image to 0."""
    import tensorflow as tf

    flat = tf.reshape(score, [tf.shape(score)[0], -1])
    n = tf.shape(flat)[1]
    idx = tf.cast(tf.floor(pct / 100.0 * tf.cast(n - 1, tf.float32)), tf.int32)
    threshold = tf.gather(tf.sort(flat, axis=1), idx, axis=1)
    keep = tf.cast(score >= threshold[:, None, None], z.dtype)
    return z * keep[..., None]


