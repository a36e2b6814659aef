"""Parameterisations: what the ascent optimises, and how it becomes an image.

* ``"pixel"`` (the course's original): the pixels are the variables; a step
  is the gradient normalised to RMS ``lr`` (grey levels), then the pixel
  regularisers of :mod:`helpers.maximize.regularize` (decay, total
  variation, percentile clipping, blur every k steps);
* ``"fourier"`` (Olah et al. 2017, "Feature Visualization", Distill;
  Lucid's defaults): the variables are a spectrum per colour channel, scaled
  by 1/frequency**decay_power (:func:`fourier_scale`), inverse-FFT'd, mixed
  from decorrelated colours to RGB (:func:`color_matrix`) and squashed into
  0..255 by a sigmoid (:func:`fourier_images`); Adam steps.

Each is a small class (:class:`Pixel`, :class:`Fourier`) with the same five
parts - start values, loop state, per-run constants, the image, the update -
so :mod:`helpers.maximize.engine` has one loop for both. Also here: the start
images (:func:`initial_images`, :func:`initial_spectra`) and the viewers
(:func:`deprocess_images`, :func:`viewable`).

Used by notebooks 02 and 03 through :mod:`helpers.maximize`.
"""
from __future__ import annotations

import numpy as np

from .regularize import GREY, MIN_KERNEL, blur_graph, blur_kernel, grey_below_percentile, rms, tv_gradient

__all__ = ["COLOR_CORRELATION_SQRT", "color_matrix", "FOURIER_DECAY", "CLASS_FOURIER_DECAY", "fourier_scale",
           "fourier_images", "fourier_to_image", "initial_spectra", "initial_images", "ADAM_BETAS", "ADAM_EPS",
           "PARAMETERIZATIONS", "FOURIER_REGS_MESSAGE", "Pixel", "Fourier", "parameterization_for",
           "deprocess_images", "viewable"]


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


def spectrum_to_linear(p, size, decay_power=FOURIER_DECAY):
    """Parameters p (B, 3, H, W//2+1, 2) (real, imaginary) -> images (B, H, W, 3) before colour and sigmoid.

    ``irfft2(scale * (p_re + i p_im)) / 4`` per channel (the 1/4 as Lucid).
    """
    import tensorflow as tf

    h, w = size
    scale = fourier_scale((h, w), decay_power)
    spec = tf.complex(p[..., 0], p[..., 1]) * tf.cast(tf.constant(scale), tf.complex64)
    img = tf.signal.irfft2d(spec, fft_length=[h, w])                   # (B, 3, H, W)
    return tf.transpose(img, [0, 2, 3, 1]) / 4.0


def fourier_to_image(p, size, decorrelate: bool = True, decay_power=FOURIER_DECAY):
    """Parameters (B, 3, H, W//2+1, 2) -> images (B, H, W, 3) in 0..255 (colour matrix, sigmoid)."""
    import tensorflow as tf

    t = spectrum_to_linear(p, size, decay_power)
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
    Used by: tests and :class:`Fourier` (the ascent).
    """
    p = np.asarray(spectra, np.float32)
    if p.ndim != 5 or p.shape[1] != 3 or p.shape[-1] != 2:
        raise ValueError(f"spectra must be (B, 3, H, W//2+1, 2), got shape {p.shape}")
    size = (p.shape[2], 2 * p.shape[3] - 2) if size is None else tuple(size)
    if p.shape[3] != size[1] // 2 + 1 or p.shape[2] != size[0]:
        raise ValueError(f"spectra of shape {p.shape} do not fit images of size {size}")
    return fourier_to_image(p, size, decorrelate, decay_power).numpy()


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

FOURIER_REGS_MESSAGE = (
    "parameterization='fourier' optimises the image's spectrum, so the pixel regularisers {} do not apply; "
    "use preset='robust' (or None) and only jitter, scale, rotate and pad, or parameterization='pixel'.")

#: The parameterisations the engine knows, and their default step size.
PARAMETERIZATIONS = {"pixel": 4.0, "fourier": 0.05}


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
    from ..inputs import check_size

    h, w = check_size(size, "size")
    out = np.empty((len(targets), h, w, 3), np.float32)
    for i, t in enumerate(targets):
        rng = np.random.default_rng([int(seed), int(t)])
        out[i] = GREY + rng.uniform(-noise, noise, size=(h, w, 3))
    return out



# ----------------------------------------------------- the two parameterisations ----

class Pixel:
    """The pixels are the variables: normalised gradient steps, then the pixel regularisers.

    The five parts the engine's loop calls (all but :meth:`start`, :meth:`state`
    and :meth:`constants` inside the compiled graph):

    * ``start(targets, size, seed)`` -> (B, H, W, 3) start images (:func:`initial_images`);
    * ``state(init)`` -> the loop's variables, here ``(x,)``;
    * ``constants(regs, lr, init)`` -> the run's tensors ``(kernel, blur_every,
      lr, decay, tv, norm_pct, contrib_pct)`` (tensors, so new strengths do not retrace);
    * ``image(x)`` -> what the network sees before the transformations (x itself);
    * ``update(state, grad, i, constants, flags)`` -> (new state, (B,) RMS of the gradient).
    """

    name = "pixel"
    key = ("pixel",)

    def start(self, targets, size, seed):
        return initial_images(targets, size, seed)

    def state(self, init):
        import tensorflow as tf

        return (tf.convert_to_tensor(np.asarray(init, np.float32)),)

    def constants(self, regs, lr, init):
        """The run's tensors; a blur wider than the image is refused (ValueError naming the largest width)."""
        import tensorflow as tf

        shape = np.shape(init)
        kernel = blur_kernel(regs.blur_sigma) if regs.blur_every else np.zeros(MIN_KERNEL, np.float32)
        radius, side = (kernel.size - 1) // 2, min(int(shape[1]), int(shape[2]))
        if regs.blur_every and radius >= side:
            raise ValueError(
                f"blur_sigma={regs.blur_sigma:g} blurs {radius} pixels each way, too wide for "
                f"{shape[1]}x{shape[2]} images: use blur_sigma <= {(side - 1) / 3:.2f} or larger images"
            )
        return (tf.constant(kernel), tf.constant(max(1, int(regs.blur_every)), tf.int32),
                *(tf.constant(float(v), tf.float32)
                  for v in (lr, regs.l2_decay, regs.tv, regs.norm_pct, regs.contrib_pct)))

    def image_size(self, x):
        import tensorflow as tf

        return tf.shape(x)[1], tf.shape(x)[2]

    def image(self, x):
        return x

    def update(self, state, grad, i, constants, flags):
        """One pixel step: ``x + lr * grad / rms(grad)``, TV descent, decay, percentile clipping, 0..255, blur."""
        import tensorflow as tf

        (x,), (kernel, blur_every, lr, decay, tv, norm_pct, contrib_pct) = state, constants
        decay_on, tv_on, norm_on, contrib_on, blur_on = flags[1], flags[2], flags[3], flags[4], flags[5]
        grad_rms = rms(grad)
        ascent = grad / (grad_rms + 1e-12)  # zero gradient stays zero: no NaN
        if tv_on:
            tv_grad = tv_gradient(x)
            ascent = ascent - tv * tv_grad / (rms(tv_grad) + 1e-12)
        z = x + lr * ascent - GREY
        if decay_on:
            z = z * (1.0 - decay)
        if norm_on:
            z = grey_below_percentile(z, tf.norm(z, axis=-1), norm_pct)
        if contrib_on:
            z = grey_below_percentile(z, tf.abs(tf.reduce_sum(z * grad, axis=-1)), contrib_pct)
        new_x = tf.clip_by_value(z + GREY, 0.0, 255.0)
        if blur_on:  # after steps i with (i + 1) % blur_every == 0
            new_x = tf.cond(tf.equal((i + 1) % blur_every, 0), lambda: blur_graph(new_x, kernel), lambda: new_x)
        return (new_x,), tf.reshape(grad_rms, [-1])


class Fourier:
    """A 1/f-scaled spectrum in decorrelated colours is the variable: Adam steps (Lucid's recipe).

    The same five parts as :class:`Pixel`: the state is ``(p, m, v)``
    (parameters (B, 3, H, W//2+1, 2) and Adam's two moments), the constants
    ``(lr,)``, the image :func:`fourier_to_image` of ``p``.

    Args:
        size: (H, W) of the images.
        decay_power: exponent of the 1/f scaling (:func:`fourier_scale`; checked here).
    """

    name = "fourier"

    def __init__(self, size, decay_power: float = FOURIER_DECAY):
        fourier_scale(size, decay_power)  # checks decay_power
        self.size = tuple(int(v) for v in size)
        self.decay_power = float(decay_power)
        self.key = ("fourier", self.size, self.decay_power)

    def start(self, targets, size, seed):
        return initial_spectra(targets, size, seed)

    def state(self, init):
        import tensorflow as tf

        p = tf.convert_to_tensor(np.asarray(init, np.float32))
        return (p, tf.zeros_like(p), tf.zeros_like(p))

    def constants(self, regs, lr, init):
        """``(lr,)``; the pixel regularisers are refused (ValueError naming them)."""
        import tensorflow as tf

        if regs.pixel_only:
            raise ValueError(FOURIER_REGS_MESSAGE.format(regs.pixel_only))
        return (tf.constant(float(lr), tf.float32),)

    def image_size(self, p):
        return self.size

    def image(self, p):
        return fourier_to_image(p, self.size, decay_power=self.decay_power)

    def update(self, state, grad, i, constants, flags):
        """One Adam step uphill (global step number ``i + 1``, bias-corrected moments)."""
        import tensorflow as tf

        (p, m, v), (lr,), (b1, b2) = state, constants, ADAM_BETAS
        m = b1 * m + (1.0 - b1) * grad
        v = b2 * v + (1.0 - b2) * tf.square(grad)
        n = tf.cast(i + 1, tf.float32)
        p = p + lr * (m / (1.0 - tf.pow(b1, n))) / (tf.sqrt(v / (1.0 - tf.pow(b2, n))) + ADAM_EPS)
        return (p, m, v), tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[1, 2, 3, 4]))


def parameterization_for(name: str, size=None, decay_power: float = FOURIER_DECAY, init=None):
    """The :class:`Pixel` or :class:`Fourier` object for ``name``.

    Args:
        name: ``"pixel"`` or ``"fourier"`` (anything else: ValueError listing them).
        size: (H, W) of the images; for ``"fourier"`` default from ``init``'s
            shape (B, 3, H, W//2+1, 2), i.e. an even width.
        decay_power: ``"fourier"`` only (:func:`fourier_scale`).
        init: the start values (only to find the size).
    Returns:
        Pixel or Fourier.
    """
    if name not in PARAMETERIZATIONS:
        raise ValueError(f"parameterization must be one of {sorted(PARAMETERIZATIONS)}, got {name!r}")
    if name == "pixel":
        return Pixel()
    if size is None:
        shape = np.shape(init)
        size = (int(shape[2]), 2 * int(shape[3]) - 2)
    return Fourier(size, decay_power)


# ------------------------------------------------------------------ viewing ----

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
