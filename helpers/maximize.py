"""One gradient-ascent engine: the input image that most excites a filter or a class.

Notebook 02 asks "what pattern does filter ``f`` of layer ``block3_conv1``
respond to?", notebook 03 (DeepVis) "what image does the network find most
*flamingo*?". Both questions have the same answer machinery:

1. start from a grey image with a little noise (pixels 0..255, as a photo);
2. repeat: preprocess (inside the graph: VGG16's caffe colours, ShapesNet's
   identity), forward pass, objective, gradient w.r.t. the pixels, normalise
   the gradient of each image to unit RMS, step uphill, apply regularisers;
3. turn the result into a viewable uint8 image (:func:`deprocess_images`).

What makes it fast and safe (compare ``bench/bench_filters.py``):

* **all requested filters (or classes) form one batch**: image ``i``
  maximises target ``targets[i]``, picked with a tensor ``tf.gather`` - no
  Python int reaches the compiled step, so 64 filters are **one** trace, not
  64 (the classic book/keras-io loop retraces for every filter);
* the steps run inside one ``tf.function`` loop (``tf.while_loop``), jitter
  and blur included, called once per progress-bar update (about every 0.25 s)
  rather than once per step; it is cached per model, layer, image shape and
  set of active regularisers (their strengths, the jitter size, the seed and
  blur widths up to sigma 1 are tensors: changing them does not retrace);
* the sub-model stops at the layer that is needed (block1 never runs block5);
* a filter that never fires (all-zero output, zero gradient) gives a plain
  grey image and a warning naming it - never NaN.

Objectives (what image ``i`` maximises, one number per image):

* ``"channel"``: the mean over positions of channel ``targets[i]`` of a layer
  (filters, notebook 02);
* ``"logit"``: the class score *before* the softmax (DeepVis, notebook 03;
  after the softmax the gradient also pushes the other classes down and
  vanishes when the prediction saturates).

Regularisers (Yosinski et al. 2015, "Understanding Neural Networks Through
Deep Visualization", plus two common extras). The image is kept in 0..255;
mid-grey 127.5 plays the role of the paper's zero (the mean image):

* ``l2_decay`` (theta_decay): after each step ``x <- grey + (1 - decay)(x - grey)``;
* ``blur_sigma``, ``blur_every`` (theta_b_width, theta_b_every): Gaussian
  blur of width sigma every k steps (removes high frequencies);
* ``norm_pct`` (theta_n_pct): pixels whose colour-vector norm (distance from
  grey) is below this percentile of the image are set to grey;
* ``contrib_pct`` (theta_c_pct): pixels whose contribution
  ``|sum_c (x - grey) * grad|`` (first-order estimate of the objective lost
  by greying the pixel) is below this percentile are set to grey;
* ``jitter``: random shift of up to ``jitter`` pixels before each forward pass;
* ``tv``: total-variation descent; its RMS-normalised gradient is subtracted
  with weight ``tv`` (0.5 = half as strong as the ascent).

Transformation robustness (Olah et al. 2017; all drawn from ``(seed, step)``,
one draw per step shared by the batch, inside the compiled loop):

* ``pad``: a grey border of ``pad`` pixels (the network sees a larger image);
* ``jitter`` (above), ``scale`` (random zoom in ``1 +- scale``) and
  ``rotate`` (random rotation in ``+-rotate`` degrees, bilinear, grey fill).

Named presets are in :data:`PRESETS` (the paper's Table 1 rows are
``"yosinski1"`` ... ``"yosinski4"``; ``"robust"`` the transformations alone).

Parameterisations (``parameterization=``):

* ``"pixel"`` (default, the course's original): the pixels are the
  variables, steps are the gradient normalised to RMS ``lr`` (4 grey levels);
* ``"fourier"`` (Olah et al. 2017, "Feature Visualization", Distill; Lucid's
  defaults): the variables are a spectrum per colour channel, scaled by
  1/frequency**1.25 for filters and 1/frequency for classes (:func:`fourier_scale`;
  Lucid's 1/f is ``decay_power=1``), inverse-FFT'd, mixed from decorrelated
  colours to RGB (:func:`color_matrix`) and squashed into 0..255 by a
  sigmoid (:func:`fourier_images`); Adam steps (lr 0.05); only the
  transformations apply (default preset ``"robust"``). The pixel gradient is
  dominated by high frequencies; the 1/f scaling whitens it, so steps build
  coarse structure instead of pixel noise.

Used by notebooks 02 (filters) and 03 (DeepVis) and their widgets.
"""
from __future__ import annotations

import dataclasses
import math
import warnings
import weakref

import numpy as np

from . import DATA_DIR  # noqa: F401  (sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads)
from .activations import _fixed_size, conv_layer_names, find_layer, layer_input_model, layer_model

__all__ = [
    "Regularizers",
    "PRESETS",
    "regularizers",
    "AscentResult",
    "initial_images",
    "deprocess_images",
    "maximize_filters",
    "visualize_filters",
    "maximize_classes",
    "visualize_classes",
    "get_engine",
    "frequency_concentration",
    "high_frequency_energy",
    "viewable",
    "fourier_images",
    "fourier_scale",
    "color_matrix",
    "initial_spectra",
    "PARAMETERIZATIONS",
    "GREY",
    "FOURIER_DECAY",
    "CLASS_FOURIER_DECAY",
]

#: The grey level that plays the role of "zero" (the paper's mean image).
GREY = 127.5


# ------------------------------------------------------------ regularisers ----

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
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise TypeError(f"regulariser {name} must be a number, got {value!r}")
            if not (lo <= float(value) <= hi) or not math.isfinite(float(value)):
                raise ValueError(f"regulariser {name}={value!r} is outside [{lo}, {hi}]")
            if isinstance(lo, int) and int(value) != value:
                raise TypeError(f"regulariser {name} must be a whole number of pixels/steps, got {value!r}")
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
        if self.l2_decay:
            parts.append(f"l2_decay={self.l2_decay:g}")
        if self.blur_every:
            parts.append(f"blur {self.blur_sigma:g} every {self.blur_every}")
        if self.norm_pct:
            parts.append(f"norm_pct={self.norm_pct:g}")
        if self.contrib_pct:
            parts.append(f"contrib_pct={self.contrib_pct:g}")
        if self.jitter:
            parts.append(f"jitter={self.jitter}")
        if self.tv:
            parts.append(f"tv={self.tv:g}")
        if self.scale:
            parts.append(f"scale={self.scale:g}")
        if self.rotate:
            parts.append(f"rotate={self.rotate:g}")
        if self.pad:
            parts.append(f"pad={self.pad}")
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


def _norm_flags(flags) -> tuple:
    """Flags as :attr:`Regularizers.flags` gives them: 8 bools and the pad width; shorter tuples padded."""
    flags = tuple(flags)
    bools = tuple(bool(f) for f in flags[:8]) + (False,) * max(0, 8 - len(flags))
    return bools + (int(flags[8]) if len(flags) > 8 else 0,)


# --------------------------------------------------------------- objectives ----

def _channel_objective(outputs, targets):
    """Mean over positions of channel targets[i] of outputs[i]: (B, h, w, C), (B,) -> (B,)."""
    import tensorflow as tf

    picked = tf.gather(outputs, targets, axis=outputs.shape.rank - 1, batch_dims=1)
    if picked.shape.rank > 1:
        picked = tf.reduce_mean(picked, axis=list(range(1, picked.shape.rank)))
    return picked


def _logit_objective(outputs, targets):
    """Score of class targets[i] for image i: (B, K), (B,) -> (B,)."""
    import tensorflow as tf

    return tf.gather(outputs, targets, axis=1, batch_dims=1)


OBJECTIVES = {"channel": _channel_objective, "logit": _logit_objective}


def _trimmable(layer) -> bool:
    """Can the selected channel of this layer be computed on its own (see _single_channel_objective)?"""
    import keras

    return (type(layer) is keras.layers.Conv2D and layer.groups == 1 and layer.data_format == "channels_last"
            and tuple(layer.dilation_rate) == (1, 1) and layer.strides[0] == layer.strides[1]
            and len(layer.kernel.shape) == 4)


def _single_channel_objective(layer):
    """Objective for a Conv2D that computes only channel targets[i] for image i.

    The layer's input (B, h, w, Cin) is laid side by side as one image with
    B*Cin channels and convolved depthwise with each image's own kernel
    ``kernel[..., targets[i]]``; summing over Cin gives the chosen channel's
    pre-activation, then bias and the layer's activation. Equal to the full
    layer followed by a gather, but the target layer costs 1/C of the work
    (block1_conv1 of VGG16: about 10x faster per step).
    """
    import tensorflow as tf

    kernel, bias, activation = layer.kernel, layer.bias if layer.use_bias else None, layer.activation
    stride, padding = int(layer.strides[0]), layer.padding.upper()
    kh, kw, cin = (int(v) for v in layer.kernel.shape[:3])

    def objective(inputs, targets):
        k = tf.gather(tf.convert_to_tensor(kernel), targets, axis=3)          # (kh, kw, Cin, B)
        shape = tf.shape(inputs)
        b, h, w = shape[0], shape[1], shape[2]
        x = tf.reshape(tf.transpose(inputs, [1, 2, 0, 3]), [1, h, w, b * cin])
        k = tf.reshape(tf.transpose(k, [0, 1, 3, 2]), [kh, kw, b * cin, 1])
        y = tf.nn.depthwise_conv2d(x, k, strides=[1, stride, stride, 1], padding=padding)
        out = tf.shape(y)
        y = tf.reduce_sum(tf.reshape(y, [out[1], out[2], b, cin]), axis=-1)  # (h', w', B)
        if bias is not None:
            y = y + tf.gather(tf.convert_to_tensor(bias), targets)
        return tf.reduce_mean(activation(y), axis=[0, 1])

    return objective


# ------------------------------------------------------------------ engine ----

@dataclasses.dataclass
class AscentResult:
    """What a gradient-ascent run produced.

    Attributes:
        images: (B, H, W, 3) float32 in 0..255 (before preprocessing).
        history: (steps, B) objective of each image at each step (before the step's update).
        final: (B,) objective of the returned images.
        dead: (B,) bool, True where the gradient was zero at every step (the
            target never fired; its image is left as it started).
        targets: (B,) the filter / class indices.
        seconds: wall time of the ascent loop.
        parameterization: ``"pixel"`` or ``"fourier"`` (how :func:`viewable` shows the images).
    """

    images: np.ndarray
    history: np.ndarray
    final: np.ndarray
    dead: np.ndarray
    targets: np.ndarray
    seconds: float = 0.0
    parameterization: str = "pixel"


#: Shortest blur kernel (taps). Kernels for sigma <= 1 are zero-padded to this
#: length, so the presets' widths (0.5, 0.7, 1.0) share one compiled loop.
_MIN_KERNEL = 7


def _gaussian_kernel(sigma: float) -> np.ndarray:
    """Normalised 1-D Gaussian of width ``sigma``, radius ceil(3 sigma), zero-padded to >= 7 taps."""
    radius = max(1, int(math.ceil(3.0 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    pad = max(0, (_MIN_KERNEL - k.size) // 2)  # zero taps: the same blur (reflection is symmetric)
    return np.pad(k, pad).astype(np.float32)


def _blur_graph(x, k):
    """Separable Gaussian blur of (B, H, W, 3) around grey with 1-D kernel k, reflect-padded."""
    import tensorflow as tf

    r = (tf.shape(k)[0] - 1) // 2
    z = tf.pad(x - GREY, [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
    kv = tf.tile(tf.reshape(k, [-1, 1, 1, 1]), [1, 1, 3, 1])
    kh = tf.tile(tf.reshape(k, [1, -1, 1, 1]), [1, 1, 3, 1])
    z = tf.nn.depthwise_conv2d(z, kv, [1, 1, 1, 1], "VALID")
    z = tf.nn.depthwise_conv2d(z, kh, [1, 1, 1, 1], "VALID")
    return z + GREY


def _tv_gradient(x):
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


def _rms(t):
    """Per-image RMS of (B, H, W, C) -> (B, 1, 1, 1)."""
    import tensorflow as tf

    return tf.sqrt(tf.reduce_mean(tf.square(t), axis=[1, 2, 3], keepdims=True))


def _grey_below_percentile(z, score, pct):
    """Set pixels of z (B,H,W,3) whose score (B,H,W) is below the pct percentile of their image to 0."""
    import tensorflow as tf

    flat = tf.reshape(score, [tf.shape(score)[0], -1])
    n = tf.shape(flat)[1]
    idx = tf.cast(tf.floor(pct / 100.0 * tf.cast(n - 1, tf.float32)), tf.int32)
    threshold = tf.gather(tf.sort(flat, axis=1), idx, axis=1)
    keep = tf.cast(score >= threshold[:, None, None], z.dtype)
    return z * keep[..., None]


# ------------------------------------------------- transformation robustness ----

def _warp_matrix(seed, i, scale, rotate, height, width):
    """One random zoom + rotation about the image centre for step ``i``, as ImageProjectiveTransform's 8 numbers.

    The zoom factor is uniform in ``1 +- scale``, the angle uniform in
    ``+-rotate`` degrees; both depend only on ``(seed, i)``. Output pixel
    (x, y) reads input point ``c + R(-angle) (x - c) / zoom`` (c the centre).
    Returns a (1, 8) float32 tensor.
    """
    import tensorflow as tf

    u = tf.random.stateless_uniform([2], seed=tf.stack([-1 - seed, i]), minval=-1.0, maxval=1.0)
    return _warp_from(1.0 + scale * u[0], rotate * u[1], height, width)


def _warp_from(zoom, degrees, height, width):
    """The (1, 8) ImageProjectiveTransform of a zoom by ``zoom`` and a rotation by ``degrees`` about the centre."""
    import tensorflow as tf

    angle = tf.cast(degrees, tf.float32) * (math.pi / 180.0)
    zoom = tf.cast(zoom, tf.float32)
    c, s = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    cx, cy = (tf.cast(width, tf.float32) - 1.0) / 2.0, (tf.cast(height, tf.float32) - 1.0) / 2.0
    return tf.reshape(tf.stack([c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy, 0.0, 0.0]), [1, 8])


def _transform_graph(x, flags, shift=None, warp=None):
    """What the network sees of the images x (B, H, W, 3): grey border, jitter (roll), zoom + rotation.

    ``flags`` are :attr:`Regularizers.flags`; ``shift`` the jitter's (2,)
    int shift, ``warp`` the (1, 8) transform of :func:`_warp_matrix`. With
    pad 0 and no zoom or rotation this is exactly the course's original
    jitter (``tf.roll``) or nothing.
    """
    import tensorflow as tf

    jitter_on, pad = flags[0], int(flags[8])
    warp_on = flags[6] or flags[7]
    if pad:
        x = tf.pad(x - GREY, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) + GREY
    if jitter_on:
        x = tf.roll(x, shift, axis=[1, 2])
    if warp_on:
        x = tf.raw_ops.ImageProjectiveTransformV3(
            images=x, transforms=warp, output_shape=tf.shape(x)[1:3], fill_value=GREY,
            interpolation="BILINEAR", fill_mode="CONSTANT")
    return x


# ------------------------------------------------ Fourier parameterisation ----

#: Square root of the colour correlation of ImageNet photos (RGB), as published
#: with Lucid (``color_correlation_svd_sqrt``: U sqrt(S) of the SVD of the
#: 3x3 covariance). Its first column is the brightness direction (all three
#: channels together), which carries most of the variance of natural images.
COLOR_CORRELATION_SQRT = np.array([[0.26, 0.09, 0.02],
                                   [0.27, 0.00, -0.05],
                                   [0.27, -0.09, 0.03]], np.float32)


def color_matrix() -> np.ndarray:
    """The 3x3 matrix that turns decorrelated colour channels into RGB.

    :data:`COLOR_CORRELATION_SQRT` divided by its largest column norm (so no
    decorrelated channel is amplified): ``rgb = M @ d`` for a pixel's
    decorrelated channels d. Uncorrelated unit-variance noise in d becomes
    noise with ImageNet's colour correlation in RGB.

    Returns:
        (3, 3) float32.
    Used by: :func:`fourier_images` and tests.
    """
    m = COLOR_CORRELATION_SQRT.astype(np.float64)
    return (m / np.linalg.norm(m, axis=0).max()).astype(np.float32)


#: Default exponent of the Fourier scaling 1 / f**decay_power. Lucid uses 1;
#: on EfficientNet-Lite0 (224 px, 256 Adam steps, the lecture's classes) 1
#: left 0.25 of the pictures' energy above a quarter of Nyquist, about 1.9x
#: the blurred ``yosinski3`` preset, 1.25 left 0.08-0.11 with the same
#: probabilities (bench/bench_fourier.py).
FOURIER_DECAY = 1.25

#: The exponent for class pictures (Lucid's 1/f). With the ``"strong"`` moves
#: and 512 steps, 1/f gave sharper pictures with more nameable parts than
#: 1/f**1.25 (goldfish, ostrich, monarch butterflies, teapots with spouts;
#: looked at side by side with Lucent's, data/gallery/README.md); the
#: high-frequency share rose from about 0.11 to 0.25-0.34, still below
#: half of plain pixel ascent's 0.86.
CLASS_FOURIER_DECAY = 1.0


def fourier_scale(size, decay_power: float = FOURIER_DECAY) -> np.ndarray:
    """Amplitude of each rfft2 frequency of the Fourier parameterisation: 1 / frequency**decay_power.

    ``s[ky, kx] = sqrt(H W) / max(f, 1 / max(H, W)) ** decay_power`` with
    ``f = sqrt(fy^2 + fx^2)`` in cycles per pixel (numpy's ``fftfreq(H)`` and
    ``rfftfreq(W)``), then multiplied by one constant so that its RMS over
    the frequencies equals that of the ``decay_power=1`` scale (Lucid's,
    which it is exactly for 1): a steeper fall-off moves weight from high
    to low frequencies without making the image brighter or darker overall.
    Equal-sized parameters then make a spectrum falling as 1/f (like natural
    photos), and an equal-sized step changes low frequencies more than high ones.

    Args:
        size: (H, W).
        decay_power: exponent of the fall-off (Lucid: 1; default :data:`FOURIER_DECAY`).
    Returns:
        (H, W // 2 + 1) float32.
    """
    h, w = size
    if not (isinstance(decay_power, (int, float, np.integer, np.floating)) and 0 <= float(decay_power) <= 4):
        raise ValueError(f"decay_power must be a number between 0 and 4 (Lucid: 1), got {decay_power!r}")
    f = np.maximum(np.sqrt(np.fft.fftfreq(h)[:, None] ** 2 + np.fft.rfftfreq(w)[None, :] ** 2), 1.0 / max(h, w))
    lucid = np.sqrt(h * w) / f
    scale = np.sqrt(h * w) / f ** float(decay_power)
    return (scale * np.sqrt(np.mean(lucid ** 2) / np.mean(scale ** 2))).astype(np.float64).astype(np.float32)


def _spectrum_to_linear(p, size, decay_power=FOURIER_DECAY):
    """Parameters p (B, 3, H, W//2+1, 2) (real, imaginary) -> images (B, H, W, 3) before colour and sigmoid.

    ``irfft2(scale * (p_re + i p_im)) / 4`` per channel (the 1/4 as Lucid).
    """
    import tensorflow as tf

    h, w = size
    scale = fourier_scale((h, w), decay_power)
    spec = tf.complex(p[..., 0], p[..., 1]) * tf.cast(tf.constant(scale), tf.complex64)
    img = tf.signal.irfft2d(spec, fft_length=[h, w])                   # (B, 3, H, W)
    return tf.transpose(img, [0, 2, 3, 1]) / 4.0


def _fourier_to_image(p, size, decorrelate: bool = True, decay_power=FOURIER_DECAY):
    """Parameters (B, 3, H, W//2+1, 2) -> images (B, H, W, 3) in 0..255 (colour matrix, sigmoid)."""
    import tensorflow as tf

    t = _spectrum_to_linear(p, size, decay_power)
    if decorrelate:
        t = tf.einsum("bhwd,cd->bhwc", t, tf.constant(color_matrix()))
    return 255.0 * tf.sigmoid(t)


def fourier_images(spectra, size=None, decorrelate: bool = True, decay_power: float = FOURIER_DECAY) -> np.ndarray:
    """The images that Fourier parameters stand for (what ``parameterization="fourier"`` optimises).

    Per colour channel the parameters are a spectrum, scaled by
    :func:`fourier_scale` and inverse-transformed (``numpy.fft.irfft2``
    convention); the three channels are then mixed by :func:`color_matrix`
    (decorrelated colour -> RGB) and squashed by a sigmoid into 0..255.

    Args:
        spectra: (B, 3, H, W // 2 + 1, 2) float (real and imaginary parts).
        size: (H, W); default ``(H, 2 * (W//2 + 1) - 2)`` (even width).
        decorrelate: mix the channels with the colour matrix (False: each
            channel is one RGB channel).
        decay_power: exponent of the 1/f scaling (:func:`fourier_scale`).
    Returns:
        (B, H, W, 3) float32 in 0..255.
    Used by: tests and :meth:`AscentEngine.run`.
    """
    p = np.asarray(spectra, np.float32)
    if p.ndim != 5 or p.shape[1] != 3 or p.shape[-1] != 2:
        raise ValueError(f"spectra must be (B, 3, H, W//2+1, 2), got shape {p.shape}")
    size = (p.shape[2], 2 * p.shape[3] - 2) if size is None else tuple(size)
    if p.shape[3] != size[1] // 2 + 1 or p.shape[2] != size[0]:
        raise ValueError(f"spectra of shape {p.shape} do not fit images of size {size}")
    return _fourier_to_image(p, size, decorrelate, decay_power).numpy()


def initial_spectra(targets, size, seed: int = 0, sd: float = 0.01) -> np.ndarray:
    """Start parameters of the Fourier parameterisation: small normal noise, one set per target.

    As :func:`initial_images`, image i depends only on ``(seed, targets[i])``.
    With ``sd=0.01`` the start image is grey with faint smooth colour noise.

    Args:
        targets: (B,) ints.
        size: (H, W).
        seed: int.
        sd: standard deviation of each real and imaginary part.
    Returns:
        (B, 3, H, W // 2 + 1, 2) float32.
    """
    h, w = size
    out = np.empty((len(targets), 3, h, w // 2 + 1, 2), np.float32)
    for i, t in enumerate(targets):
        out[i] = np.random.default_rng([int(seed), int(t), 1]).normal(0.0, sd, size=out.shape[1:])
    return out


#: Adam's constants for the Fourier parameterisation (Kingma & Ba; Lucid's optimiser).
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8

_FOURIER_REGS_MESSAGE = (
    "parameterization='fourier' optimises the image's spectrum, so the pixel regularisers {} do not apply; "
    "use preset='robust' (or None) and only jitter, scale, rotate and pad, or parameterization='pixel'.")

#: The parameterisations the engine knows, and their default step size.
PARAMETERIZATIONS = {"pixel": 4.0, "fourier": 0.05}


def _compiled(fn):
    """``tf.function(fn, autograph=False)`` without TensorFlow's "frequent retracing" warning.

    Every engine (one per model, layer, ...) compiles its own copy of the
    same Python code; TensorFlow counts traces per code object and would
    warn after five engines although each function traced once. Tests
    count the traces of each function instead.
    """
    import tensorflow as tf

    compiled = tf.function(fn, autograph=False)
    if hasattr(compiled, "_omit_frequent_tracing_warning"):
        compiled._omit_frequent_tracing_warning = True
    return compiled


#: Seconds of work per call of the compiled loop: the progress bar and the
#: Python loop are visited this often (more often costs time, see bench/).
_BLOCK_SECONDS = 0.25


class AscentEngine:
    """Compiled gradient ascent on one (sub-)model with one objective.

    Obtain engines with :func:`get_engine` (cached); call :meth:`run`.
    :meth:`loop_function` is the ``tf.function`` :meth:`run` calls: it runs
    any number of ascent steps, jitter and blur included, inside the graph
    (one call per progress-bar update, not per step). :meth:`step_function`
    is the same single step compiled on its own (the benchmark's floor).
    ``.experimental_get_tracing_count()`` on either counts its traces (tests
    check it is 1 for 64 filters). Both are compiled without AutoGraph
    (tracing is 2-3x quicker): a custom ``objective(outputs, targets) -> (B,)``
    must use TensorFlow ops only, no Python ``if``/``for`` on tensor values.
    """

    def __init__(self, feature_model, objective, preprocess=None, name: str = ""):
        if callable(objective):
            self.objective_name, self.objective = getattr(objective, "__name__", "custom"), objective
        elif objective in OBJECTIVES:
            self.objective_name, self.objective = objective, OBJECTIVES[objective]
        else:
            raise ValueError(f"objective must be one of {sorted(OBJECTIVES)} or a function, got {objective!r}")
        self.feature_model = feature_model  # None: the objective reads the (preprocessed) images
        self.preprocess = preprocess
        self.name = name
        self._steps: dict = {}
        self._loops: dict = {}
        self._pace: dict = {}  # (flags, shape) -> measured seconds per step
        self._score_fn = None

    def _forward(self, x):
        seen = self.preprocess(x) if self.preprocess is not None else x
        return seen if self.feature_model is None else self.feature_model(seen, training=False)

    def _step_body(self, flags):
        """One ascent step as a plain function of tensors (compiled by the callers)."""
        import tensorflow as tf

        flags = _norm_flags(flags)
        jitter_on, decay_on, tv_on, norm_on, contrib_on = flags[:5]
        forward, objective = self._forward, self.objective

        def step(x, targets, lr, decay, tv, norm_pct, contrib_pct, shift, warp=None):
            with tf.GradientTape() as tape:
                tape.watch(x)
                seen = _transform_graph(x, flags, shift, warp)  # pad 0, no warp: tf.roll or x, as before
                score = objective(forward(seen), targets)
                total = tf.reduce_sum(score)
            grad = tape.gradient(total, x)
            grad_rms = _rms(grad)
            ascent = grad / (grad_rms + 1e-12)  # zero gradient stays zero: no NaN
            if tv_on:
                tv_grad = _tv_gradient(x)
                ascent = ascent - tv * tv_grad / (_rms(tv_grad) + 1e-12)
            z = x + lr * ascent - GREY
            if decay_on:
                z = z * (1.0 - decay)
            if norm_on:
                z = _grey_below_percentile(z, tf.norm(z, axis=-1), norm_pct)
            if contrib_on:
                z = _grey_below_percentile(z, tf.abs(tf.reduce_sum(z * grad, axis=-1)), contrib_pct)
            new_x = tf.clip_by_value(z + GREY, 0.0, 255.0)
            return new_x, score, tf.reshape(grad_rms, [-1])

        return step

    def step_function(self, flags=(False,) * 5):
        """One compiled step for a set of active regularisers (see Regularizers.flags; blur is not in it).

        ``step(x, targets, lr, decay, tv, norm_pct, contrib_pct, shift, warp=None) -> (x, score, grad_rms)``.
        """
        flags = _norm_flags(flags)
        flags = flags[:5] + (False,) + flags[6:]
        if flags not in self._steps:
            import tensorflow as tf

            self._steps[flags] = _compiled(self._step_body(flags))
        return self._steps[flags]

    def loop_function(self, flags=(False,) * 6):
        """The compiled loop :meth:`run` uses, for a set of active regularisers (Regularizers.flags).

        ``loop(x, targets, start, count, seed, jitter, kernel, blur_every, lr,
        decay, tv, norm_pct, contrib_pct, scale, rotate) -> (x, scores (count, B),
        grad_rms (count, B))`` runs steps ``start .. start+count-1``. Step ``i``'s
        jitter shift, zoom and rotation depend only on ``(seed, i)`` and the blur follows steps
        ``i`` with ``(i + 1) % blur_every == 0``, so how :meth:`run` cuts the
        steps into calls does not change the result.
        """
        flags = _norm_flags(flags)
        if flags not in self._loops:
            self._loops[flags] = self._build_loop(flags)
        return self._loops[flags]

    def _build_loop(self, flags):
        import tensorflow as tf

        jitter_on, blur_on, warp_on, pad = flags[0], flags[5], flags[6] or flags[7], flags[8]
        step = self._step_body(flags)

        def loop(x, targets, start, count, seed, jitter, kernel, blur_every, lr, decay, tv, norm_pct,
                 contrib_pct, scale, rotate):
            batch = tf.shape(x)[0]
            height, width = tf.shape(x)[1] + 2 * pad, tf.shape(x)[2] + 2 * pad
            scores = tf.TensorArray(tf.float32, size=count, element_shape=targets.shape)
            grads = tf.TensorArray(tf.float32, size=count, element_shape=targets.shape)

            def body(j, x, scores, grads):
                i = start + j
                if jitter_on:
                    shift = tf.random.stateless_uniform([2], seed=tf.stack([seed, i]), minval=-jitter,
                                                        maxval=jitter + 1, dtype=tf.int32)
                else:
                    shift = tf.zeros([2], tf.int32)
                warp = _warp_matrix(seed, i, scale, rotate, height, width) if warp_on else None
                x, score, grad_rms = step(x, targets, lr, decay, tv, norm_pct, contrib_pct, shift, warp)
                if blur_on:
                    x = tf.cond(tf.equal((i + 1) % blur_every, 0), lambda: _blur_graph(x, kernel), lambda: x)
                return j + 1, x, scores.write(j, score), grads.write(j, grad_rms)

            _, x, scores, grads = tf.while_loop(lambda j, *_: j < count, body,
                                                (tf.constant(0), x, scores, grads))
            empty = tf.zeros([0, batch])
            return (x, tf.cond(count > 0, scores.stack, lambda: empty),
                    tf.cond(count > 0, grads.stack, lambda: empty))

        return _compiled(loop)  # explicit while_loop and cond: nothing to convert

    def fourier_loop_function(self, flags, size, decay_power=FOURIER_DECAY):
        """The compiled loop of ``parameterization="fourier"`` for a set of active transformations.

        ``loop(p, m, v, targets, start, count, seed, jitter, scale, rotate, lr)
        -> (p, m, v, scores (count, B), grad_rms (count, B))``: Fourier
        parameters p (B, 3, H, W//2+1, 2) and Adam's moments m, v (same
        shape); step ``i`` makes the image (:func:`fourier_images`), applies
        the grey border, jitter, zoom and rotation of step ``i``, and takes
        one Adam step (global step number ``i + 1``) uphill on the objective.
        """
        flags = _norm_flags(flags)
        fourier_scale(size, decay_power)  # checks decay_power
        key = ("fourier", flags, tuple(int(v) for v in size), float(decay_power))
        if key not in self._loops:
            self._loops[key] = self._build_fourier_loop(flags, key[2], key[3])
        return self._loops[key]

    def _build_fourier_loop(self, flags, size, decay_power):
        import tensorflow as tf

        jitter_on, warp_on, pad = flags[0], flags[6] or flags[7], flags[8]
        forward, objective = self._forward, self.objective
        (b1, b2), h, w = ADAM_BETAS, *size

        def loop(p, m, v, targets, start, count, seed, jitter, scale, rotate, lr):
            batch = tf.shape(p)[0]
            scores = tf.TensorArray(tf.float32, size=count, element_shape=targets.shape)
            grads = tf.TensorArray(tf.float32, size=count, element_shape=targets.shape)

            def body(j, p, m, v, scores, grads):
                i = start + j
                if jitter_on:
                    shift = tf.random.stateless_uniform([2], seed=tf.stack([seed, i]), minval=-jitter,
                                                        maxval=jitter + 1, dtype=tf.int32)
                else:
                    shift = None
                warp = _warp_matrix(seed, i, scale, rotate, h + 2 * pad, w + 2 * pad) if warp_on else None
                with tf.GradientTape() as tape:
                    tape.watch(p)
                    seen = _transform_graph(_fourier_to_image(p, size, decay_power=decay_power), flags, shift, warp)
                    score = objective(forward(seen), targets)
                    total = tf.reduce_sum(score)
                g = tape.gradient(total, p)
                m = b1 * m + (1.0 - b1) * g
                v = b2 * v + (1.0 - b2) * tf.square(g)
                n = tf.cast(i + 1, tf.float32)
                p = p + lr * (m / (1.0 - tf.pow(b1, n))) / (tf.sqrt(v / (1.0 - tf.pow(b2, n))) + ADAM_EPS)
                g_rms = tf.sqrt(tf.reduce_mean(tf.square(g), axis=[1, 2, 3, 4]))
                return j + 1, p, m, v, scores.write(j, score), grads.write(j, g_rms)

            _, p, m, v, scores, grads = tf.while_loop(lambda j, *_: j < count, body,
                                                      (tf.constant(0), p, m, v, scores, grads))
            empty = tf.zeros([0, batch])
            return (p, m, v, tf.cond(count > 0, scores.stack, lambda: empty),
                    tf.cond(count > 0, grads.stack, lambda: empty))

        return _compiled(loop)

    def _image_function(self, size, decay_power):
        key = ("image", tuple(size), float(decay_power))
        if key not in self._loops:
            import tensorflow as tf

            self._loops[key] = _compiled(lambda p: _fourier_to_image(p, key[1], decay_power=key[2]))
        return self._loops[key]

    def _score(self, x, targets):
        if self._score_fn is None:
            import tensorflow as tf

            self._score_fn = _compiled(lambda x, t: self.objective(self._forward(x), t))
        return self._score_fn(x, targets)

    def run(self, init, targets, steps: int = 30, lr: float = 4.0, regs: Regularizers | None = None,
            seed: int = 0, progress: bool = True, callback=None, callback_every: int = 10,
            desc: str = "gradient ascent", bar=None, parameterization: str = "pixel",
            size=None, decay_power: float = FOURIER_DECAY) -> AscentResult:
        """Gradient ascent from ``init`` (B, H, W, 3) 0..255, image i maximising target ``targets[i]``.

        The steps run inside the compiled loop in blocks of about a quarter
        of a second (one block per progress-bar update), cut at the callback
        steps; the result does not depend on the cutting.

        Args:
            init: (B, H, W, 3) float32 start images (see :func:`initial_images`).
            targets: (B,) ints, the channel / class for each image.
            steps: number of ascent steps.
            lr: step length, as the RMS pixel change (0..255 scale) per step.
            regs: Regularizers (default none).
            seed: seeds the jitter shifts.
            progress: show a tqdm.auto bar.
            callback: optional ``callback(step, images)`` called every
                ``callback_every`` steps and at the end (live previews).
            desc: progress bar label.
            bar: an open tqdm bar to advance instead of opening one (chunked runs).
            parameterization: ``"pixel"`` (init are images, normalised
                gradient steps of RMS ``lr``) or ``"fourier"`` (init are
                Fourier parameters (B, 3, H, W//2+1, 2), see
                :func:`initial_spectra`; Adam steps of size ``lr``; only the
                transformations jitter, scale, rotate and pad apply).
            size: (H, W) of the images (needed for ``"fourier"`` with an odd width).
            decay_power: ``"fourier"`` only: exponent of the 1/f scaling (:func:`fourier_scale`).
        Returns:
            AscentResult (``images`` are always the (B, H, W, 3) images).
        """
        import time

        import tensorflow as tf
        from tqdm.auto import tqdm

        regs = regs or Regularizers()
        steps = int(steps)
        fourier = parameterization == "fourier"
        if parameterization not in PARAMETERIZATIONS:
            raise ValueError(f"parameterization must be one of {sorted(PARAMETERIZATIONS)}, got {parameterization!r}")
        t = tf.convert_to_tensor(np.asarray(targets, np.int32))
        seed_t = tf.constant(int(seed) % 2**31, tf.int32)
        moves = [tf.constant(float(regs.scale), tf.float32), tf.constant(float(regs.rotate), tf.float32)]
        if fourier:
            if regs.pixel_only:
                raise ValueError(_FOURIER_REGS_MESSAGE.format(regs.pixel_only))
            p = tf.convert_to_tensor(np.asarray(init, np.float32))
            if size is None:
                size = (int(p.shape[2]), 2 * int(p.shape[3]) - 2)
            loop = self.fourier_loop_function(regs.flags, size, decay_power)
            to_image = self._image_function(size, decay_power)
            state = [p, tf.zeros_like(p), tf.zeros_like(p)]
            fixed = [seed_t, tf.constant(int(regs.jitter), tf.int32), *moves, tf.constant(float(lr), tf.float32)]
            shape = tuple(p.shape)
        else:
            loop = self.loop_function(regs.flags)
            x = tf.convert_to_tensor(np.asarray(init, np.float32))
            kernel = _gaussian_kernel(regs.blur_sigma) if regs.blur_every else np.zeros(_MIN_KERNEL, np.float32)
            radius, side = (kernel.size - 1) // 2, min(int(x.shape[1]), int(x.shape[2]))
            if regs.blur_every and radius >= side:
                raise ValueError(
                    f"blur_sigma={regs.blur_sigma:g} blurs {radius} pixels each way, too wide for "
                    f"{x.shape[1]}x{x.shape[2]} images: use blur_sigma <= {(side - 1) / 3:.2f} or larger images"
                )
            fixed = [seed_t, tf.constant(int(regs.jitter), tf.int32),
                     tf.constant(kernel), tf.constant(max(1, int(regs.blur_every)), tf.int32)]
            fixed += [tf.constant(float(v), tf.float32) for v in
                      (lr, regs.l2_decay, regs.tv, regs.norm_pct, regs.contrib_pct)]
            fixed += moves
            state, to_image, shape = [x], (lambda x: x), tuple(x.shape)
        own_bar = bar is None
        if own_bar:
            bar = tqdm(total=steps, desc=desc, disable=not progress, leave=False)
        every = max(1, int(callback_every)) if callback is not None else steps
        scores, grads = [], []
        pace_key = (parameterization, regs.flags, shape)
        per_step = self._pace.get(pace_key)
        done, block = 0, 1 if per_step is None else max(1, int(_BLOCK_SECONDS / per_step))
        start = time.perf_counter()
        while done < steps:
            count = min(block, steps - done, every - done % every)
            began = time.perf_counter()
            *state, score, grad_rms = loop(*state, t, tf.constant(done), tf.constant(count), *fixed)
            scores.append(score.numpy())
            grads.append(grad_rms.numpy())
            took = time.perf_counter() - began
            if per_step is None:
                per_step = -1.0  # the first call may have traced: time the next one
            else:
                per_step = max(took / count, 1e-6)
                self._pace[pace_key] = per_step
                block = max(1, int(_BLOCK_SECONDS / per_step))
            done += count
            bar.update(count)
            if callback is not None and (done % every == 0 or done == steps):
                callback(done, to_image(state[0]).numpy())
        x = to_image(state[0])
        if callback is not None and steps == 0:
            callback(0, x.numpy())
        final = self._score(x, t).numpy()
        seconds = time.perf_counter() - start
        if own_bar:
            bar.close()
        b = len(targets)
        history = np.concatenate(scores) if scores else np.zeros((0, b), np.float32)
        grad_hist = np.concatenate(grads) if grads else np.zeros((0, b), np.float32)
        dead = np.all(grad_hist == 0, axis=0) if steps else np.zeros(b, bool)
        return AscentResult(images=x.numpy(), history=history, final=final, dead=dead,
                            targets=np.asarray(targets), seconds=seconds, parameterization=parameterization)


def _run_batched(engine, init, targets, batch_size, steps, progress, callback, desc, **kw) -> AscentResult:
    """Run ``engine`` over the targets in equal chunks of at most ``batch_size`` images.

    Chunks have the same size (the last is padded with copies and the copies
    dropped), so one compiled trace serves them all. With a callback, or
    ``batch_size=None``, everything runs as one batch.
    """
    from tqdm.auto import tqdm

    from .inputs import check_int

    n = len(targets)
    if batch_size is not None:
        batch_size = check_int(batch_size, "batch_size", 1)
    if callback is not None or batch_size is None or n <= batch_size:
        return _finite(engine.run(init, targets, steps=steps, progress=progress, callback=callback, desc=desc, **kw))
    n_chunks = math.ceil(n / int(batch_size))
    chunk = math.ceil(n / n_chunks)
    pad = n_chunks * chunk - n
    init = np.concatenate([init, np.repeat(init[-1:], pad, axis=0)]) if pad else init
    padded = np.concatenate([targets, np.repeat(targets[-1:], pad)]) if pad else targets
    parts = []
    with tqdm(total=steps * n_chunks, desc=desc, disable=not progress, leave=False) as bar:
        for c in range(n_chunks):
            sl = slice(c * chunk, (c + 1) * chunk)
            parts.append(engine.run(init[sl], padded[sl], steps=steps, progress=progress, bar=bar, **kw))
    return _finite(AscentResult(
        images=np.concatenate([p.images for p in parts])[:n],
        history=np.concatenate([p.history for p in parts], axis=1)[:, :n],
        final=np.concatenate([p.final for p in parts])[:n],
        dead=np.concatenate([p.dead for p in parts])[:n],
        targets=np.asarray(targets),
        seconds=float(sum(p.seconds for p in parts)),
        parameterization=parts[0].parameterization,
    ))


def _finite(result):
    """``result``, or a clear error when the objective or the images became NaN / infinite."""
    bad = ~np.isfinite(np.asarray(result.history, np.float64)).all(axis=0) if np.size(result.history) else \
        np.zeros(len(result.targets), bool)
    bad |= ~np.isfinite(result.images.reshape(len(result.images), -1)).all(axis=1)
    if bad.any():
        raise ValueError(
            f"the objective of targets {np.asarray(result.targets)[bad].tolist()} became NaN or infinite during "
            "the ascent: does preprocess return NaN/inf (e.g. a division by zero), or is lr far too large?"
        )
    return result


# model -> {key: AscentEngine} (oldest first); weak so a dropped model is freed.
_ENGINES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
#: Engines kept per model: each (layer, objective, preprocess function) has one compiled trace. A
#: notebook that passes a new ``lambda`` every call gets a new engine each time; the oldest are dropped.
MAX_ENGINES = 16


def get_engine(model, layer=None, objective: str = "channel", preprocess=None, size=None) -> AscentEngine:
    """The cached engine for (model, layer, objective, preprocess, input flexibility).

    Args:
        model: a keras.Model.
        layer: layer name for ``"channel"``; ignored for ``"logit"``.
        objective: ``"channel"`` or ``"logit"``.
        preprocess: function applied to the 0..255 images inside the graph
            (use the same function object across calls to reuse the trace).
        size: (H, W) of the images that will be optimised.
    Returns:
        AscentEngine.
    """
    from .inputs import unpack_model

    model, preprocess, _ = unpack_model(model, preprocess)
    if objective not in ("channel", "logit"):
        raise ValueError(f"objective must be 'channel' or 'logit', got {objective!r}")
    if preprocess is not None and not callable(preprocess):
        raise TypeError(f"preprocess must be a function images -> model input (e.g. card.preprocess), "
                        f"got {type(preprocess).__name__}")
    fixed = _fixed_size(model)
    flexible = fixed is not None and size is not None and tuple(size) != fixed
    key = (objective, layer, preprocess, flexible)
    cache = _ENGINES.setdefault(model, {})
    if key in cache:
        cache[key] = cache.pop(key)               # most recently used last
    else:
        while len(cache) >= MAX_ENGINES:          # a fresh preprocess lambda per call must not grow it forever
            cache.pop(next(iter(cache)))
        if objective == "channel":
            _, lay = find_layer(model, layer)
            if _trimmable(lay):  # compute only the selected channel of the target conv
                engine = AscentEngine(layer_input_model(model, layer, flexible=flexible),
                                      _single_channel_objective(lay), preprocess, name=f"{model.name}:{layer}")
                cache[key] = engine
                return engine
            feature = layer_model(model, layer, flexible=flexible)
        else:
            from .models import logits_model

            feature = logits_model(model)
            if flexible:
                from .activations import _flexible

                try:
                    feature = _flexible(feature)
                    probe = np.full((1, int(size[0]), int(size[1]), 3), GREY, np.float32)
                    feature(preprocess(probe) if preprocess is not None else probe, training=False)
                except Exception as exc:  # e.g. Flatten + Dense need the trained size
                    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
                    raise ValueError(
                        f"model {model.name!r} only gives class scores for {fixed[0]}x{fixed[1]} images "
                        f"(a Flatten/Dense head needs the trained size); use size={tuple(fixed)} or leave "
                        f"size=None. ({type(exc).__name__}: {first})"
                    ) from None
        cache[key] = AscentEngine(feature, objective, preprocess, name=f"{model.name}:{layer or 'logits'}")
    return cache[key]


# ------------------------------------------------------------ image helpers ----

def _as_size(size, model, default: int = 128) -> tuple[int, int]:
    from .inputs import check_size

    if size is None:
        return _fixed_size(model) or (default, default)
    if isinstance(size, str):
        raise TypeError(f"size must be an int or a pair (height, width), got the string {size!r}")
    h, w = check_size(size, "size")
    if h < 8 or w < 8:
        raise ValueError(f"size must be at least 8x8 pixels, got {h}x{w}")
    return h, w


def initial_images(targets, size, seed: int = 0, noise: float = 60.0) -> np.ndarray:
    """Start images: grey plus uniform noise, one per target.

    The noise of image i depends only on ``(seed, targets[i])``, so filter 5
    starts from the same image whether asked alone or among 64 filters.

    Args:
        targets: (B,) ints.
        size: (H, W).
        seed: int.
        noise: half-width of the uniform noise around grey (0..255 scale).
            Generous noise wakes up more deep filters: on ShapesNet's
            block4_conv1, +-60 leaves 6 of 128 filters silent on their start
            image, +-20 left 22.
    Returns:
        (B, H, W, 3) float32 in 0..255.
    """
    from .inputs import check_size

    h, w = check_size(size, "size")
    out = np.empty((len(targets), h, w, 3), np.float32)
    for i, t in enumerate(targets):
        rng = np.random.default_rng([int(seed), int(t)])
        out[i] = GREY + rng.uniform(-noise, noise, size=(h, w, 3))
    return out


def deprocess_images(images, dead=None, contrast: float = 0.15) -> np.ndarray:
    """Make optimised images viewable, the same way for every image.

    Each image is standardised on its own (minus its mean over all pixels
    and channels, divided by its standard deviation - colours keep their
    relations), scaled by ``contrast`` (0.15: +-3.3 std span the range),
    shifted to mid-grey and clipped to 0..255 (the keras-io convention).
    A constant image becomes plain grey (no division by zero); images
    flagged ``dead`` are drawn plain grey (128).

    Args:
        images: (B, H, W, 3) float.
        dead: optional (B,) bool.
        contrast: scale of one standard deviation, as a fraction of 0..1.
    Returns:
        (B, H, W, 3) uint8.
    """
    x = np.array(images, dtype=np.float32)  # a copy: the caller's array is not touched
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3 or x.size == 0:
        raise ValueError(f"images must have shape (B, H, W, 3) (or one (H, W, 3)), got {np.shape(images)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or infinite values: did the ascent diverge (lr too large, or a "
                         "preprocess that returns NaN)?")
    x -= x.mean(axis=(1, 2, 3), keepdims=True, dtype=np.float64).astype(np.float32)
    std = np.sqrt(np.mean(np.square(x), axis=(1, 2, 3), keepdims=True, dtype=np.float64)).astype(np.float32)
    x *= np.float32(255.0 * contrast) / np.maximum(std, np.float32(1e-8))
    x[np.broadcast_to(std <= 1e-8, x.shape)] = 0.0
    x += np.float32(127.5)
    out = np.rint(np.clip(x, 0.0, 255.0, out=x)).astype(np.uint8)
    if dead is not None:
        out[np.asarray(dead, bool)] = 128
    return out


def viewable(result) -> np.ndarray:
    """uint8 images of an :class:`AscentResult`, drawn the way its parameterisation needs.

    ``"pixel"`` results go through :func:`deprocess_images` (each image
    standardised: plain ascent leaves them near grey with a few extremes);
    ``"fourier"`` images are already photos in 0..255 (sigmoid) and are
    only rounded. Dead targets are plain grey (128) either way.

    Args:
        result: AscentResult.
    Returns:
        (B, H, W, 3) uint8.
    Used by: visualize_filters, visualize_classes, notebooks 02 and 03.
    """
    if getattr(result, "parameterization", "pixel") != "fourier":
        return deprocess_images(result.images, dead=result.dead)
    out = np.rint(np.clip(result.images, 0.0, 255.0)).astype(np.uint8)
    out[np.asarray(result.dead, bool)] = 128
    return out


def _setup(preset, regs, parameterization, lr, pixel_default, fourier_default="robust"):
    """Check the parameterisation and build (Regularizers, lr) for it (clear errors for bad combinations)."""
    if parameterization not in PARAMETERIZATIONS:
        raise ValueError(f"parameterization must be one of {sorted(PARAMETERIZATIONS)}, got {parameterization!r}")
    if isinstance(preset, str) and preset == "auto":
        preset = fourier_default if parameterization == "fourier" else pixel_default
    reg = regularizers(preset, **regs)
    if parameterization == "fourier" and reg.pixel_only:
        raise ValueError(_FOURIER_REGS_MESSAGE.format(reg.pixel_only))
    lr = PARAMETERIZATIONS[parameterization] if lr is None else lr
    return reg, lr


def _start(targets, size, seed, parameterization):
    if parameterization == "fourier":
        return initial_spectra(targets, size, seed)
    return initial_images(targets, size, seed)


# ------------------------------------------------------------------ filters ----

def _check_int(value, name: str, minimum: int = 0) -> int:
    """``value`` as an int >= minimum, or a TypeError / ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_run_args(steps, seed, lr, callback_every):
    """Validate the arguments shared by the maximize_* functions (clear errors, not TensorFlow's)."""
    _check_int(steps, "steps")
    _check_int(seed, "seed")
    _check_int(callback_every, "callback_every", 1)
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise TypeError(f"lr must be a number, got {lr!r}")
    if not (math.isfinite(float(lr)) and float(lr) > 0):
        raise ValueError(f"lr (the RMS pixel change per step) must be a positive number, got {lr!r}")


def _check_targets(values, count, what: str, where: str) -> np.ndarray:
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    try:
        arr = np.asarray(list(values))
    except TypeError:
        raise TypeError(f"{what} must be an int or a list of ints, got {values!r}") from None
    if arr.size == 0:
        raise ValueError(f"{what} is empty: give at least one index")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what} must be integers, got {arr.tolist()!r}")
    if count is not None:
        bad = arr[(arr < 0) | (arr >= count)]
        if bad.size:
            raise ValueError(f"{what} {bad.tolist()} out of range: {where} has {count} (valid 0..{count - 1})")
    return arr.astype(np.int64)


def maximize_filters(model, layer: str, filters, steps: int = 30, size=None, seed: int = 0,
                     preprocess=None, lr=None, preset="auto", progress: bool = True,
                     callback=None, callback_every: int = 10, batch_size=32, parameterization: str = "pixel",
                     decay_power: float = FOURIER_DECAY, **regs) -> AscentResult:
    """Gradient ascent for several filters of one layer, as one batch (see module doc).

    Same arguments as :func:`visualize_filters`; returns the raw
    :class:`AscentResult` (float images, objective history, dead mask).
    """
    from .inputs import unpack_model

    model, preprocess, _ = unpack_model(model, preprocess)
    reg, lr = _setup(preset, regs, parameterization, lr, None)
    _check_run_args(steps, seed, lr, callback_every)
    names = conv_layer_names(model)
    _, lay = find_layer(model, layer, valid=names)
    if names and layer not in names:
        raise ValueError(f"{layer!r} is not a convolution layer; valid conv layers: {', '.join(names)}")
    channels = lay.output.shape[-1]
    filters = _check_targets(filters, channels, "filters", f"layer {layer!r}")
    h, w = _as_size(size, model)
    engine = get_engine(model, layer, "channel", preprocess, size=(h + 2 * reg.pad, w + 2 * reg.pad))
    init = _start(filters, (h, w), seed, parameterization)
    result = _run_batched(engine, init, filters, batch_size, steps, progress, callback,
                          f"{layer}: {len(filters)} filter{'s' if len(filters) != 1 else ''}", lr=lr, regs=reg, seed=seed,
                          callback_every=callback_every, parameterization=parameterization, size=(h, w),
                          decay_power=decay_power)
    if result.dead.any():
        warnings.warn(
            f"filters {result.targets[result.dead].tolist()} of layer {layer!r} never fired on the start "
            "image (all-zero output, zero gradient): drawn as plain grey.",
            RuntimeWarning, stacklevel=3,
        )
    return result


def visualize_filters(model, layer: str, filters, steps: int = 30, size=None, seed: int = 0,
                      preprocess=None, lr=None, preset="auto", progress: bool = True,
                      callback=None, callback_every: int = 10, batch_size=32, parameterization: str = "pixel",
                      decay_power: float = FOURIER_DECAY, **regs) -> np.ndarray:
    """The input pattern each filter of ``layer`` responds to most, by gradient ascent.

    All filters are optimised together as one batch in one compiled step
    (one trace for any number of filters).

    Args:
        model: a keras.Model (only the part up to ``layer`` is run).
        layer: name of a convolution layer (an unknown name raises a
            ValueError listing the valid ones).
        filters: int or list of filter (channel) indices.
        steps: ascent steps (30 gives clear block1-3 patterns).
        size: int or (H, W); default the model's input size (128 if free).
        seed: seed of the start noise (and jitter): same seed, same image.
        preprocess: applied to the 0..255 images inside the graph, e.g.
            ``card.preprocess`` (default identity).
        lr: step size; default 4.0 for ``"pixel"`` (RMS pixel change per
            step, 0..255 scale), 0.05 for ``"fourier"`` (Adam's step).
        preset: a name in :data:`PRESETS` or a Regularizers; ``"auto"``
            (default) is no regulariser for ``"pixel"``, ``"robust"`` for
            ``"fourier"``.
        progress: tqdm.auto progress bar.
        callback: optional ``callback(step, images)`` called every
            ``callback_every`` steps and at the end, with the float images
            (B, H, W, 3) so far (live previews, snapshots); with a callback
            all filters run as one batch.
        batch_size: filters per batch (equal chunks share one compiled
            trace); None = all at once. Measured on a 2-core CPU, very large
            batches get slower per image (VGG16 block3_conv1 at 128 px:
            36 ms per image-step in batches of 16, 71 ms in one batch of 64)
            and take more memory; 32 is a safe middle.
        parameterization: ``"pixel"`` (the course's original: the pixels
            are the variables) or ``"fourier"`` (Olah et al. 2017: a 1/f
            scaled spectrum in decorrelated colours through a sigmoid,
            Adam steps; see :func:`fourier_images`).
        decay_power: ``"fourier"`` only: the spectrum's scaling 1/f**decay_power
            (:func:`fourier_scale`; Lucid: 1, default :data:`FOURIER_DECAY`).
        **regs: individual regulariser strengths (see :class:`Regularizers`).
    Returns:
        (F, H, W, 3) uint8 images (see :func:`viewable`); a filter
        that never fires gives plain grey and a RuntimeWarning naming it.
    Used by: notebook 02 and helpers.widgets.filters.
    """
    result = maximize_filters(model, layer, filters, steps=steps, size=size, seed=seed,
                              preprocess=preprocess, lr=lr, preset=preset, progress=progress,
                              callback=callback, callback_every=callback_every, batch_size=batch_size,
                              parameterization=parameterization, decay_power=decay_power, **regs)
    return viewable(result)


# ------------------------------------------------------------------ classes ----

def maximize_classes(model, classes, steps: int = 100, size=None, seed: int = 0, preprocess=None,
                     lr=None, preset="auto", progress: bool = True, callback=None,
                     callback_every: int = 10, batch_size=32, parameterization: str = "pixel",
                     decay_power: float = CLASS_FOURIER_DECAY, **regs) -> AscentResult:
    """Gradient ascent on class scores before the softmax, all classes as one batch.

    Same arguments as :func:`visualize_classes`; returns the raw :class:`AscentResult`.
    """
    from .inputs import class_index, is_card, unpack_model
    from .models import logits_model

    if isinstance(classes, str) or (isinstance(classes, (list, tuple)) and any(isinstance(c, str) for c in classes)):
        if not is_card(model):
            raise TypeError(f"classes={classes!r}: class names need the model card (it knows the names); "
                            "pass the card instead of card.model, or give class ids.")
        classes = [class_index(model, c, name="classes") for c in ([classes] if isinstance(classes, str) else classes)]
    model, preprocess, _ = unpack_model(model, preprocess)
    reg, lr = _setup(preset, regs, parameterization, lr, "yosinski3", "strong")
    _check_run_args(steps, seed, lr, callback_every)
    n_classes = logits_model(model).outputs[0].shape[-1]
    classes = _check_targets(classes, n_classes, "classes", f"model {model.name!r}")
    h, w = _as_size(size, model, default=224)
    engine = get_engine(model, None, "logit", preprocess, size=(h + 2 * reg.pad, w + 2 * reg.pad))
    init = _start(classes, (h, w), seed, parameterization)
    result = _run_batched(engine, init, classes, batch_size, steps, progress, callback,
                          f"{len(classes)} class{'es' if len(classes) != 1 else ''}", lr=lr, regs=reg,
                          seed=seed, callback_every=callback_every, parameterization=parameterization, size=(h, w),
                          decay_power=decay_power)
    if result.dead.any():
        warnings.warn(
            f"classes {result.targets[result.dead].tolist()} had a zero gradient at every step: drawn as plain grey.",
            RuntimeWarning, stacklevel=3,
        )
    return result


def visualize_classes(model, classes, steps: int = 100, size=None, seed: int = 0, preprocess=None,
                      lr=None, preset="auto", progress: bool = True, callback=None,
                      callback_every: int = 10, batch_size=32, parameterization: str = "pixel",
                      decay_power: float = CLASS_FOURIER_DECAY, **regs) -> np.ndarray:
    """The synthetic input that most excites each class score (DeepVis), by gradient ascent.

    The objective is the class score *before* the softmax
    (``helpers.models.logits_model``); all classes are one batch.

    Args:
        model: a keras.Model whose output is softmax probabilities.
        classes: int or list of class indices.
        steps: ascent steps.
        size: int or (H, W); default the model's input size.
        seed: same seed, same image.
        preprocess: e.g. ``card.preprocess`` (applied inside the graph).
        lr: step size; default 4.0 for ``"pixel"`` (RMS pixel change per
            step, 0..255 scale), 0.05 for ``"fourier"`` (Adam's step).
        preset: a name in :data:`PRESETS`, a Regularizers, or None;
            ``"auto"`` (default) is ``"yosinski3"`` (decay 1e-4, blur 1.0
            every 4 steps) for ``"pixel"`` and ``"strong"`` for ``"fourier"`` (the gallery's recipe).
        progress, callback, callback_every: progress bar and live preview.
        batch_size: classes per batch (see :func:`visualize_filters`).
        parameterization: ``"pixel"`` or ``"fourier"`` (see :func:`visualize_filters`).
        decay_power: ``"fourier"`` only: the spectrum's scaling 1/f**decay_power
            (default :data:`CLASS_FOURIER_DECAY`, Lucid's 1/f).
        **regs: individual regulariser strengths (override the preset).
    Returns:
        (C, H, W, 3) uint8 images (see :func:`viewable`).
    Used by: notebook 03.
    """
    result = maximize_classes(model, classes, steps=steps, size=size, seed=seed, preprocess=preprocess,
                              lr=lr, preset=preset, progress=progress, callback=callback,
                              callback_every=callback_every, batch_size=batch_size,
                              parameterization=parameterization, decay_power=decay_power, **regs)
    return viewable(result)


# ---------------------------------------------------------------- measures ----

def _measure_images(images) -> np.ndarray:
    """(N, H, W, 3) finite float64 images for the measures below (one image (H, W, 3) accepted)."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.size == 0:
        raise ValueError(f"images must be (N, H, W, 3), got shape {np.shape(images)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("images contain NaN or infinite values; a measure of them would be meaningless")
    return x


def frequency_concentration(images, fraction: float = 0.01) -> np.ndarray:
    """Share of a pattern's energy held by its strongest ``fraction`` of 2-D frequencies.

    "Simple" patterns - a flat colour, one stripe direction - put almost all
    their energy (around grey, per colour channel, summed) into a handful of
    Fourier coefficients (share near 1); rich textures spread it (white
    noise: about ``fraction``).

    Args:
        images: (N, H, W, 3) floats or uint8 (0..255); grey 127.5 is zero.
        fraction: share of the H*W frequencies counted (at least one).
    Returns:
        (N,) float in (0, 1]; an all-grey image gives 1.0.
    Used by: notebook 02 (block1 patterns are simpler than deep ones).
    """
    from .inputs import check_number

    fraction = check_number(fraction, "fraction", 0.0, 1.0, strict_minimum=True)
    x = _measure_images(images)
    power = (np.abs(np.fft.fft2(x - GREY, axes=(1, 2))) ** 2).sum(axis=-1).reshape(len(x), -1)
    power = -np.sort(-power, axis=1)
    k = max(1, int(fraction * power.shape[1]))
    total = power.sum(axis=1)
    return np.where(total > 0, power[:, :k].sum(axis=1) / np.where(total > 0, total, 1.0), 1.0)


def high_frequency_energy(images) -> np.ndarray:
    """Pixel-to-pixel roughness: squared neighbour differences relative to the variance.

    ``(mean dx^2 + mean dy^2) / (4 * variance)`` of the grey levels: about 1
    for white noise, near 0 for smooth images, 2 for a one-pixel
    checkerboard (the maximum).

    Args:
        images: (N, H, W, 3) floats or uint8.
    Returns:
        (N,) float; a constant image gives 0.
    Used by: notebooks 02 and 03 (regularisers remove high frequencies).
    """
    x = _measure_images(images)
    g = x.mean(axis=-1)
    var = g.var(axis=(1, 2))
    diff = (np.diff(g, axis=1) ** 2).mean(axis=(1, 2)) + (np.diff(g, axis=2) ** 2).mean(axis=(1, 2))
    return np.where(var > 1e-12, diff / (4.0 * np.where(var > 1e-12, var, 1.0)), 0.0)
