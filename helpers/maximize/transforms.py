"""Transformation robustness (Olah et al. 2017): what the network sees of the image at each step.

Before every forward pass the image gets a grey border (``pad``), a random
shift (``jitter``, a ``tf.roll``), and a random zoom and rotation about its
centre (``scale``, ``rotate``; bilinear, grey fill). The draws depend only on
``(seed, step)`` and are shared by the batch, so a run's result does not
depend on how its steps are cut into compiled calls.

Used by :mod:`helpers.maximize.engine` (both parameterisations; notebooks 02
and 03) and the tests.
"""
from __future__ import annotations

import math

from .regularize import GREY

__all__ = ["jitter_shift", "warp_matrix", "warp_from", "transform_graph"]


def jitter_shift(seed, i, jitter, on: bool):
    """The (2,) int32 jitter shift of step ``i``: uniform in ``-jitter..jitter`` from ``(seed, i)``; zeros if not ``on``."""
    import tensorflow as tf

    if not on:
        return tf.zeros([2], tf.int32)
    return tf.random.stateless_uniform([2], seed=tf.stack([seed, i]), minval=-jitter, maxval=jitter + 1,
                                       dtype=tf.int32)


def warp_matrix(seed, i, scale, rotate, height, width):
    """One random zoom + rotation about the image centre for step ``i``, as ImageProjectiveTransform's 8 numbers.

    The zoom factor is uniform in ``1 +- scale``, the angle uniform in
    ``+-rotate`` degrees; both depend only on ``(seed, i)``. Output pixel
    (x, y) reads input point ``c + R(-angle) (x - c) / zoom`` (c the centre).
    Returns a (1, 8) float32 tensor.
    """
    import tensorflow as tf

    u = tf.random.stateless_uniform([2], seed=tf.stack([-1 - seed, i]), minval=-1.0, maxval=1.0)
    return warp_from(1.0 + scale * u[0], rotate * u[1], height, width)


def warp_from(zoom, degrees, height, width):
    """The (1, 8) ImageProjectiveTransform of a zoom by ``zoom`` and a rotation by ``degrees`` about the centre."""
    import tensorflow as tf

    angle = tf.cast(degrees, tf.float32) * (math.pi / 180.0)
    zoom = tf.cast(zoom, tf.float32)
    c, s = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    cx, cy = (tf.cast(width, tf.float32) - 1.0) / 2.0, (tf.cast(height, tf.float32) - 1.0) / 2.0
    return tf.reshape(tf.stack([c, s, cx - c * cx - s * cy, -s, c, cy + s * cx - c * cy, 0.0, 0.0]), [1, 8])


def transform_graph(x, flags, shift=None, warp=None):
    """What the network sees of the images x (B, H, W, 3): grey border, jitter (roll), zoom + rotation.

    ``flags`` are :attr:`Regularizers.flags`; ``shift`` the jitter's (2,)
    int shift, ``warp`` the (1, 8) transform of :func:`warp_matrix`. With
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

